"""``trainwell lr-find`` and ``trainwell info``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
import torch
from cli_support import PNG_SIGNATURE, run_cli, run_cli_many

import trainwell
from image_files import make_image_folder
from text_samples import imdb_layout, reviews
from trainwell.core.seeding import seed_everything
from trainwell.export import FORMAT_VERSION
from trainwell.tabular.data import tabular_data
from trainwell.tabular.learner import tabular_learner

pytestmark = pytest.mark.slow


def test_lr_find_writes_the_curve_and_prints_the_suggestion(binary_csv: Path, tmp_path: Path) -> None:
    png = tmp_path / "plots" / "sweep.png"
    result = run_cli("lr-find", binary_csv, "--target", "y", "--out", png)
    assert result.returncode == 0, result.explain()
    assert png.read_bytes()[:8] == PNG_SIGNATURE
    match = re.search(r"suggested learning rate: (\S+) \(a tenth of the minimum at (\S+?)[;)]", result.stdout)
    assert match is not None, result.stdout
    assert f"curve written to {png}" in result.stdout

    # The same sweep through the Python API suggests the same learning rate.
    seed_everything(0)
    sweep = tabular_learner(tabular_data(binary_csv, "y", seed=0), progress=False).lr_find()
    assert sweep.suggestion is not None and sweep.minimum is not None
    assert match.group(1) == f"{sweep.suggestion:.2e}"
    assert match.group(2) == f"{sweep.minimum:.2e}"
    assert float(match.group(1)) == pytest.approx(float(match.group(2)) / 10, rel=0.02)
    # A name without a suffix gets .png: test_lr_find_sweeps_the_image_and_text_models_fit_trains's sweep of a
    # table of texts is given `--out table` (the suffix is added before the kind of data is looked at).


def table_rows(stdout: str) -> dict[str, str]:
    """The two-column table of ``trainwell info`` as {field: value}."""
    rows = {}
    for line in stdout.splitlines():
        cells = [cell.strip() for cell in line.strip("│ ").split("│")]
        if len(cells) == 2 and cells[0]:
            rows[cells[0]] = cells[1]
    return rows


def test_info_shows_task_columns_metrics_and_versions(model_dir: Path) -> None:
    result = run_cli("info", model_dir)
    assert result.returncode == 0, result.explain()
    rows = table_rows(result.stdout)
    history = pd.read_csv(model_dir / "history.csv")
    metadata = json.loads((model_dir / "trainwell.json").read_text())
    assert rows["application"] == "tabular"
    assert rows["task"] == "binary"
    assert rows["classes"] == "no, yes"
    assert rows["target"] == "y"
    assert rows["categorical inputs"] == "color, size"
    assert rows["continuous inputs"] == "x1, x2"
    assert rows["architecture"] == "tabular_mlp"
    assert rows["epochs"] == "2"
    for metric in ("train_loss", "valid_loss", "accuracy", "roc_auc", "f1"):
        assert rows[f"final {metric}"] == f"{history[metric].iloc[-1]:.4f}"
    assert (
        rows["versions"]
        == f"trainwell {trainwell.__version__}, torch {torch.__version__}, format {FORMAT_VERSION}"
    )
    assert rows["created"] == metadata["created"]
    assert result.stderr == ""


def test_info_quotes_class_names_that_a_comma_list_would_split() -> None:
    import io

    from rich.console import Console

    from trainwell.cli._show import show_info

    def classes(names: list[str]) -> str:
        out = io.StringIO()
        metadata = {"application": "vision", "task": {"kind": "multiclass", "classes": names}}
        show_info(metadata, Path("m"), Console(file=out, width=200))
        return table_rows(out.getvalue())["classes"]

    assert classes(["avión, grand", "chat"]) == "'avión, grand', 'chat'"
    assert classes(["avion", "chat"]) == "avion, chat"


def test_lr_find_sweeps_the_image_and_text_models_fit_trains(tmp_path: Path) -> None:
    # lr-find read tables alone: a folder of images was 'a directory, not a file', after --target was demanded.
    images = make_image_folder(tmp_path / "shapes", per_class=16)
    texts = imdb_layout(tmp_path / "reviews")
    table = tmp_path / "reviews.csv"
    reviews(120).to_csv(table, index=False)
    runs = run_cli_many(
        [
            ("lr-find", images, "--out", tmp_path / "images.png"),
            ("lr-find", texts, "--out", tmp_path / "texts.png"),
            # a name without a suffix: `--out sweep` wrote a PNG named sweep, which no viewer opens; .png is added
            ("lr-find", table, "--text", "review", "--target", "sentiment", "--out", tmp_path / "table"),
            ("lr-find", images, "--target", "label"),
            ("lr-find", table, "--text", "review"),
            (
                "lr-find",
                images,
                "--arch",
                "whitened_cnn",  # another than auto's choice; xresnet18's sweep took 17 s of this test's 35
                "--size",
                "16",
                "--batch-size",
                "8",
                "--out",
                tmp_path / "x.png",
            ),
            ("lr-find", table, "--text", "review", "--target", "sentiment", "--size", "24"),
        ]
    )
    for result, png in zip(runs[:3], ("images", "texts", "table"), strict=True):
        assert result.returncode == 0, result.explain()
        assert (tmp_path / f"{png}.png").read_bytes()[:8] == PNG_SIGNATURE
        assert re.search(
            r"suggested learning rate: \S+ .*; fit trains this model at \S+ unless given --lr", result.stdout
        )
    assert (
        f"curve written to {tmp_path / 'table.png'}" in runs[2].stdout and not (tmp_path / "table").exists()
    )
    assert f"{texts}: the class folders neg, pos; unlabelled texts left out" in runs[1].stdout
    assert (
        runs[3].returncode == 2
        and "--target is not used by a folder of class folders of images" in runs[3].stderr
    )
    assert runs[4].returncode == 2 and "--target is required for the table" in runs[4].stderr
    # fit's image settings choose the model swept (it was always fit's auto choice at the images' own size)
    assert "sweeping simple_cnn on 24x24 images" in runs[0].stdout
    assert runs[5].returncode == 0 and "sweeping whitened_cnn on 16x16 images, batch 8" in runs[5].stdout, (
        runs[5].explain()
    )
    assert runs[6].returncode == 2 and "--size is not used by a text classifier" in runs[6].stderr
    fitted = run_cli("fit", images, "--epochs", "1", "--out", tmp_path / "m")
    assert fitted.returncode == 0, fitted.explain()
    tuned = run_cli("lr-find", images, "--pretrained", tmp_path / "m", "--out", tmp_path / "p.png")
    assert (
        tuned.returncode == 0
        and "sweeping simple_cnn on 24x24 images, batch 16, its body frozen" in tuned.stdout
    )
