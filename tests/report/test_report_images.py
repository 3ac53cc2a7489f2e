"""The HTML report on an image classifier: metrics, confusion, and the worst images with occlusion maps."""

from __future__ import annotations

import json
import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from report_browser import dump_dom

from image_files import square_on_noise_folder
from trainwell.core.errors import ConfigError, DataError
from trainwell.report import build_report
from trainwell.vision import image_data, vision_learner

HEADINGS = ("Training curves", "Metrics on held-out data", "Confusion matrix", "Calibration", "Top losses")


def _folder(root: Path, per_class: int, seed: int) -> Path:
    """Three classes of coloured squares on noise."""
    return square_on_noise_folder(root, per_class, seed, classes=("red", "blue", "green"))


@pytest.fixture(scope="module")
def report_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("images")
    torch.manual_seed(0)
    learn = vision_learner(image_data(_folder(base / "train", 20, 0)), progress=False)
    learn.fit_one_cycle(1, 3e-3)
    learn.export(base / "model")
    (base / "model" / "curves.png").write_bytes(learn.show_results(base / "r.png").read_bytes())  # type: ignore[attr-defined]
    return build_report(base / "model", _folder(base / "valid", 6, 1), base / "report.html")


def test_report_has_the_sections_and_occlusion_maps(report_html: Path) -> None:
    text = report_html.read_text(encoding="utf-8")
    # What covered each patch, said in the caption: the image's own mean, never a grey mark on a dark image.
    assert "filled with that image&#x27;s own mean colour (per channel)" in text
    for heading in HEADINGS:
        assert f"<h2>{heading}</h2>" in text
    assert "occlusion map" in text and "Permutation feature importance" not in text
    sources = re.findall(r'<img [^>]*src="([^"]*)"', text)
    assert len(sources) >= 4 and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "http://" not in text and "https://" not in text and "<script" not in text.lower()
    # Each top-loss image by its path under the folder: every class folder holds a 0.png, named once each.
    files = re.findall(r"<td>((?:red|blue|green)/\d+\.png)</td>", text)
    assert files and len(files) == len(set(files)), files


def test_unknown_class_folder_is_a_clear_error(report_html: Path, tmp_path: Path) -> None:
    folder = _folder(tmp_path / "odd", 2, 3)
    (folder / "green").rename(folder / "purple")
    with pytest.raises(DataError, match="does not know: \\['purple'\\]"):
        build_report(report_html.parent / "model", folder, tmp_path / "r.html")


def test_an_empty_label_cell_for_a_single_label_model_names_no_option_report_lacks(
    report_html: Path, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from trainwell.cli.app import app

    folder = _folder(tmp_path / "valid", 2, 4)
    cells = [f"{path.relative_to(folder)},{path.parent.name}" for path in sorted(folder.rglob("*.png"))]
    cells[2] = cells[2].split(",")[0] + ","  # the third image has no label
    csv = folder / "labels.csv"
    csv.write_text("file,colour\n" + "\n".join(cells) + "\n", encoding="utf-8")
    model = report_html.parent / "model"
    args = ["report", str(model), "--data", str(csv), "--path-col", "file", "--label-col", "colour"]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "r.html")], env={"COLUMNS": "300"})
    said = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert "--label-col 'colour' is empty in data row 3 of" in said and "(1 row in all)" in said
    assert "the model is single-label, so every image needs a label: fill the cell, or drop the row" in said
    assert "--label-delim" not in said


def test_image_report_renders_in_headless_chromium(report_html: Path, tmp_path: Path) -> None:
    dom = dump_dom(report_html, tmp_path / "profile")
    for heading in HEADINGS:
        assert heading in dom


def _multilabel_csv(root: Path, n: int, seed: int) -> Path:
    """Images holding a red square, a blue square or both, listed in a CSV with '|'-separated labels."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True)
    rows = []
    for index in range(n):
        pixels = rng.integers(0, 60, (20, 20, 3), dtype=np.uint8)
        labels = [name for name in ("red", "blue") if rng.random() < 0.5] or ["red"]
        for name in labels:
            top, left = rng.integers(0, 13, 2)
            pixels[top : top + 7, left : left + 7] = (230, 30, 30) if name == "red" else (30, 30, 230)
        Image.fromarray(pixels).save(root / f"{index}.png")
        rows.append(f"{index}.png,{'|'.join(labels)}")
    (root / "labels.csv").write_text("file,colours\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return root / "labels.csv"


def test_a_multilabel_image_model_is_reported_from_a_csv(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from trainwell.cli.app import app

    torch.manual_seed(0)
    data = image_data(
        _multilabel_csv(tmp_path / "train", 80, 0), path_col="file", label_col="colours", label_delim="|"
    )
    learn = vision_learner(data, progress=False)
    learn.fit_one_cycle(2, 3e-3)
    learn.export(tmp_path / "model")
    valid = _multilabel_csv(tmp_path / "valid", 30, 1)
    # The CSV's columns are those of training: no --path-col / --label-col needed.
    result = CliRunner().invoke(
        app, ["report", str(tmp_path / "model"), "--data", str(valid), "--out", str(tmp_path / "r.html")]
    )
    assert result.exit_code == 0, result.output
    text = (tmp_path / "r.html").read_text(encoding="utf-8")
    for heading in ("Metrics on held-out data", "Per-label quality", "Calibration", "Top losses"):
        assert f"<h2>{heading}</h2>" in text
    assert "multi-label image classifier" in text and "30 labelled images listed in" in text
    assert "missed" in text and "occlusion map of its worst-decided label" in text
    with pytest.raises(ConfigError, match="needs a CSV of paths and labels"):
        build_report(tmp_path / "model", _folder(tmp_path / "folder", 2, 2), tmp_path / "x.html")
    renamed = tmp_path / "renamed.csv"
    renamed.write_text(
        valid.read_text(encoding="utf-8").replace("file,colours", "path,tags"), encoding="utf-8"
    )
    (tmp_path / "valid" / "renamed.csv").write_bytes(renamed.read_bytes())
    with pytest.raises(DataError, match="--path-col 'file' is not a column"):
        build_report(tmp_path / "model", tmp_path / "valid" / "renamed.csv", tmp_path / "x.html")
    built = build_report(
        tmp_path / "model",
        tmp_path / "valid" / "renamed.csv",
        tmp_path / "y.html",
        path_col="path",
        label_col="tags",
        top_k=1,  # the renamed columns are what is checked, not the top losses (the command's page has them)
    )
    assert "<h2>Per-label quality</h2>" in built.read_text(encoding="utf-8")


def test_an_unreadable_image_is_skipped_by_name_as_fit_skips_it(report_html: Path, tmp_path: Path) -> None:
    model = report_html.parent / "model"
    folder = _folder(tmp_path / "valid", 3, 5)
    (folder / "red" / "broken.png").write_bytes(b"not an image")
    with pytest.warns(UserWarning, match=r"skipped 1 unreadable image file\(s\) of 10: .*broken\.png"):
        # top_k=1: the top losses' occlusion maps (most of a report's time) are not what is checked here
        page = build_report(model, folder, tmp_path / "r.html", top_k=1).read_text(encoding="utf-8")
    assert "9 labelled images in" in page and "broken.png" not in page
    only_bad = tmp_path / "bad"
    (only_bad / "red").mkdir(parents=True)
    (only_bad / "red" / "a.png").write_bytes(b"\x89PNG truncated")
    with pytest.raises(DataError, match=r"none of the 1 images could be decoded, e\.g\. .*a\.png"):
        build_report(model, only_bad, tmp_path / "none.html")


def test_a_report_on_the_training_images_says_so(report_html: Path, tmp_path: Path) -> None:
    base = report_html.parent
    assert "trained the model" not in report_html.read_text(encoding="utf-8")  # new images: no warning
    # The training images, copied elsewhere: recognised by their pixels, not their paths.
    copied = Path(shutil.copytree(base / "train", tmp_path / "copy"))
    with pytest.warns(
        UserWarning, match="of these images trained the model"
    ):  # top_k=1: the top losses unread
        page = build_report(base / "model", copied, tmp_path / "r.html", top_k=1).read_text(encoding="utf-8")
    found = re.search(r"Warning: (?:about )?(\d+)% of these images trained the model", page)
    assert found is not None and 70 <= int(found.group(1)) <= 90  # 48 of the 60 (a fifth held out)
    assert "<h2>Metrics on images the model trained on</h2>" in page


def test_an_artifact_without_the_image_sketch_reports_without_the_warning(
    report_html: Path, tmp_path: Path
) -> None:
    base = report_html.parent
    old = Path(shutil.copytree(base / "model", tmp_path / "old"))
    metadata = json.loads((old / "trainwell.json").read_text(encoding="utf-8"))
    assert metadata["training"]["rows_sketch"]["columns"] == ["pixels"]
    del metadata["training"]["rows_sketch"]  # as written before image models kept one
    (old / "trainwell.json").write_text(json.dumps(metadata), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        # tta=False: TTA's verdict is a Note (a UserWarning) of its own, not the warning looked for here
        # top_k=1: the top losses (their occlusion maps, most of a report's time) are not what is checked here
        page = build_report(old, base / "train", tmp_path / "r.html", tta=False, top_k=1).read_text(
            encoding="utf-8"
        )
    assert "trained the model" not in page and "<h2>Metrics on held-out data</h2>" in page


def test_a_folder_of_splits_is_judged_on_its_test_split_and_says_which(
    report_html: Path, tmp_path: Path
) -> None:
    # photos/ holding train/, valid/ and test/ was judged on valid/ (the images the fit chose on), and the page
    # said "evaluated on 18 labelled images in photos": which of them, it did not say.
    base = report_html.parent
    photos = tmp_path / "photos"
    shutil.copytree(base / "train", photos / "train")
    shutil.copytree(base / "valid", photos / "valid")
    _folder(photos / "test", 4, 7)
    # top_k=1: the top losses (their occlusion maps, most of a report's time) are not what is checked here
    page = build_report(base / "model", photos, tmp_path / "r.html", top_k=1).read_text(encoding="utf-8")
    assert (
        f"<dt>Evaluated on</dt><dd>12 labelled images in {photos / 'test'} (the test split of {photos})"
        in page
    )
    assert ">Test metrics<" in page and ">Metrics on held-out data<" not in page
    (photos / "test").rename(photos / "held")  # train/ and valid/ alone: the validation split, said so
    page = build_report(base / "model", photos, tmp_path / "r.html", top_k=1).read_text(encoding="utf-8")
    assert (
        f"<dt>Evaluated on</dt><dd>18 labelled images in {photos / 'valid'} (the validation split of {photos})"
        in page
    )
    assert ">Metrics on held-out data<" in page and ">Test metrics<" not in page


def test_top_loss_images_give_the_probability_of_the_predicted_class(report_html: Path) -> None:
    # docs/python.md promises "actual -> predicted, p(predicted), loss"; the table had no probability column.
    section = report_html.read_text(encoding="utf-8").split('<section id="top-losses">', 1)[1]
    header = re.findall(r"<th>(.*?)</th>", section)
    assert header == ["image", "file", "actual", "predicted", "p(predicted)", "loss"], header
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", section)[1:]]
    for row in rows:
        probability = float(row[4])  # of 3 classes, the predicted one has at least a third
        assert 1 / 3 - 1e-4 <= probability <= 1 and len(row[4].split(".")[1]) == 4, row
    assert "p (the probability of the predicted class)" in section
