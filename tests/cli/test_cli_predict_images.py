"""``trainwell predict`` given the wrong kind of input for its model: standard input or a table for an image model,
an image for a table model. Each is one line naming the input and what the model reads, said before the model
is loaded (the model directories here hold only their ``trainwell.json``)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trainwell.cli.app import app

MODELS = {
    "photos-model": {"application": "vision", "task": {"kind": "multiclass"}},
    "table-model": {"application": "tabular", "task": {"kind": "binary"}},
}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    for name, metadata in MODELS.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "trainwell.json").write_text(json.dumps(metadata), encoding="utf-8")
    (tmp_path / "rows.csv").write_text("path,label\ncat.png,cat\n", encoding="utf-8")
    (tmp_path / "notes.txt.gz").write_bytes(b"")
    (tmp_path / "cat.png").write_bytes(b"\x89PNG\r\n\x1a\n")  # never decoded
    return tmp_path


def _run(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "300"})
    return result.exit_code, result.stderr.replace(str(root) + "/", "")


def test_standard_input_for_an_image_model_is_refused_saying_what_it_reads(root: Path) -> None:
    # It said "'-' does not exist; pass image files or folders of images", and the help promised a CSV table.
    code, err = _run(root, "predict", str(root / "photos-model"), "-")
    assert code == 2
    assert err.strip() == (
        "error: an image model reads image files and folders of them, not standard input ('-'); pass their paths"
    )


@pytest.mark.parametrize("name", ["rows.csv", "notes.txt.gz"])
def test_a_table_or_text_file_for_an_image_model_is_refused_by_name(root: Path, name: str) -> None:
    # 'rows.csv' "could not be decoded as an image (UnidentifiedImageError); send a JPEG or PNG", after the
    # model had loaded: as if the CSV of paths fit takes were a broken image.
    code, err = _run(root, "predict", str(root / "photos-model"), str(root / "cat.png"), str(root / name))
    assert code == 2
    assert err.strip() == (
        f"error: '{name}' is not an image: 'photos-model' is an image model (not trained from a CSV of paths, so no "
        "column of one is known); name the table's column of image paths with --path-col, or pass image files (.jpg, "
        ".png...) or folders of them"
    )


def test_an_image_for_a_table_model_is_refused_by_name(root: Path) -> None:
    # It was "could not read 'cat.png' as CSV: it holds NUL bytes, so it looks like a binary file or UTF-16 text".
    code, err = _run(root, "predict", str(root / "table-model"), str(root / "cat.png"))
    assert code == 2
    assert err.strip() == (
        "error: 'cat.png' is an image, and 'table-model' is a table model, not an image model; pass a table (.csv, .tsv, "
        ".parquet) of the columns it was trained on"
    )


def test_a_model_trained_from_a_csv_of_paths_predicts_and_checks_its_export_on_such_a_csv(
    tmp_path: Path,
) -> None:
    # fit took train.csv (--path-col file), but predict and export --data read test.csv as one broken image.
    import pandas as pd

    from image_files import make_image_folder
    from trainwell.vision.pipeline import fit_images

    root = make_image_folder(tmp_path / "imgs", per_class=8, size=12)
    paths = sorted(root.rglob("*.png"))
    table = pd.DataFrame(
        {"file": [str(p.relative_to(tmp_path)) for p in paths], "species": [p.parent.name for p in paths]}
    )
    table.to_csv(tmp_path / "train.csv", index=False)
    model = tmp_path / "model"
    fit_images(
        tmp_path / "train.csv", path_col="file", label_col="species", out=model, epochs=1, progress=False
    )
    listed = tmp_path / "listed"
    listed.mkdir()
    table.iloc[::3][["file"]].assign(file=lambda t: "../" + t["file"]).to_csv(
        listed / "test.csv", index=False
    )
    code, out, err = _output(tmp_path, "predict", str(model), str(listed / "test.csv"))
    assert code == 0, err
    named = [str(paths[i]) for i in range(0, len(paths), 3)]
    code_named, out_named, _ = _output(tmp_path, "predict", str(model), *named)
    assert code_named == 0
    from_csv, from_files = pd.read_csv(io.StringIO(out)), pd.read_csv(io.StringIO(out_named))
    assert len(from_csv) == len(named) == 6
    # The CSV's own column of paths, its cells as written, so the answers join back to it.
    assert (
        from_csv.columns[0] == "file"
        and from_csv["file"].tolist() == pd.read_csv(listed / "test.csv")["file"].tolist()
    )
    assert [(listed / p).resolve() for p in from_csv["file"]] == [
        Path(p).resolve() for p in from_files["path"]
    ]
    pd.testing.assert_frame_equal(from_csv.drop(columns="file"), from_files.drop(columns="path"))
    code, out, err = _output(tmp_path, "export", str(model), "--data", str(listed / "test.csv"))
    assert code == 0, err
    assert "onnxruntime matches PyTorch on 6 images from" in out
    # --keep copies the CSV's columns beside each image's answer; a skipped image keeps its row, empty but for why.
    (listed / "broken.png").write_bytes(b"not an image")
    kept = table.iloc[::3][["file"]].assign(file=lambda t: "../" + t["file"])
    kept = pd.concat(
        [kept.iloc[:2], pd.DataFrame({"file": ["broken.png"]}), kept.iloc[2:]], ignore_index=True
    )
    kept.insert(0, "id", [f"row{i}" for i in range(len(kept))])
    kept.to_csv(listed / "keep.csv", index=False)
    code, out, err = _output(tmp_path, "predict", str(model), str(listed / "keep.csv"), "--keep", "id")
    assert code == 0, err
    assert "broken.png" in err  # skipped, by name
    with_ids = pd.read_csv(io.StringIO(out))
    assert list(with_ids.columns[:2]) == ["id", "file"]
    assert with_ids["id"].tolist() == [f"row{i}" for i in range(7)]
    assert with_ids.loc[2, "error"].startswith("UnidentifiedImageError") and pd.isna(
        with_ids.loc[2, "prediction"]
    )
    decoded = with_ids.drop(index=2, columns=["id", "error"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(decoded, from_csv)
    code, out, err = _output(
        tmp_path, "predict", str(model), str(listed / "keep.csv"), "--keep", "id", "--label-only"
    )
    assert code == 0, err  # a submission file: the label under the column it was trained from
    labels_only = pd.read_csv(io.StringIO(out))
    assert list(labels_only.columns) == ["id", "species"]  # the ids name the rows: no path
    assert labels_only.fillna("")["species"].tolist() == with_ids.fillna("")["prediction"].tolist()
    code, _, err = _output(tmp_path, "predict", str(model), *named[:2], "--keep", "id")
    assert code == 2 and "image files and folders have none" in err
    (listed / "other.csv").write_text("path\nx.png\n")
    code, _, err = _output(tmp_path, "predict", str(model), str(listed / "other.csv"))
    assert (
        code == 2 and "'file' (the column of image paths the model was trained from) is not a column" in err
    )


def test_a_folder_trained_model_predicts_a_csv_of_paths_named_by_path_col(tmp_path: Path) -> None:
    # A competition's test.csv of ids and paths, for a model trained from class folders: refused, "not trained
    # from a CSV of paths", with no option to name the column.
    import pandas as pd

    from image_files import make_image_folder

    make_image_folder(tmp_path / "train", per_class=12)
    model = tmp_path / "model"
    fitted = CliRunner().invoke(app, ["fit", str(tmp_path / "train"), "--arch", "simple_cnn", "--epochs", "1",
                                      "--out", str(model)])  # fmt: skip
    assert fitted.exit_code == 0, fitted.output
    images = sorted((tmp_path / "train").rglob("*.png"))[:4]
    (tmp_path / "test.csv").write_text(
        "id,image\n" + "".join(f"t{i},{p.relative_to(tmp_path).as_posix()}\n" for i, p in enumerate(images))
    )
    code, out, err = _output(tmp_path, "predict", str(model), str(tmp_path / "test.csv"), "--path-col", "image",
                             "--keep", "id")  # fmt: skip
    assert code == 0, err
    table = pd.read_csv(io.StringIO(out))
    assert table["id"].tolist() == ["t0", "t1", "t2", "t3"]
    code, direct, _ = _output(tmp_path, "predict", str(model), *map(str, images))
    assert table["prediction"].tolist() == pd.read_csv(io.StringIO(direct))["prediction"].tolist()
    code, _, err = _output(tmp_path, "predict", str(model), str(tmp_path / "test.csv"), "--path-col", "img")
    assert code == 2 and "'img' (--path-col) is not a column of 'test.csv'; its columns are: id, image" in err
    # A text file among images said "'notes.txt' has no data rows", nothing of images.
    (tmp_path / "notes.txt").write_text("just some notes\n")
    code, _, err = _output(
        tmp_path, "predict", str(model), str(tmp_path / "notes.txt"), "--path-col", "image"
    )
    assert code == 2 and "'notes.txt' is not an image, and as a table of image paths it cannot be read" in err
    # One listed file missing stopped every prediction; a folder skips a file it cannot read, and so does a list.
    listed = [p.relative_to(tmp_path).as_posix() for p in images[:2]]
    (tmp_path / "gone.csv").write_text(f"id,image\nt0,{listed[0]}\nt1,train/gone.png\nt2,{listed[1]}\n")
    code, out, err = _output(tmp_path, "predict", str(model), str(tmp_path / "gone.csv"), "--path-col", "image",
                             "--keep", "id")  # fmt: skip
    assert code == 0, err
    assert pd.read_csv(io.StringIO(out))["id"].tolist() == ["t0", "t1", "t2"]
    assert pd.read_csv(io.StringIO(out))["error"].fillna("").tolist() == [
        "",
        "does not exist or is not a file",
        "",
    ]
    assert "skipped 1 unreadable image file(s) of 3: train/gone.png: does not exist or is not a file" in err
    # Paths written as Windows writes them are read with / (they were "do not exist").
    (tmp_path / "windows.csv").write_text("id,image\n" + "".join(f"w{i},{p.replace('/', chr(92))}\n"
                                                                   for i, p in enumerate(listed)))  # fmt: skip
    code, out, err = _output(
        tmp_path, "predict", str(model), str(tmp_path / "windows.csv"), "--path-col", "image"
    )
    assert code == 0 and "writes its paths with backslashes, as Windows does: read with / instead" in err, err
    assert pd.read_csv(io.StringIO(out))["prediction"].tolist() == table["prediction"].tolist()[:2]


def _output(root: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "300"})
    return result.exit_code, result.stdout, result.stderr.replace(str(root) + "/", "")


def test_a_folder_of_numbered_images_is_predicted_in_numbered_order(tmp_path: Path) -> None:
    from trainwell.vision.predictor import expand_image_paths

    for name in ("frame10.png", "frame2.png", "frame1.png"):
        (tmp_path / name).write_bytes(b"\x89PNG\r\n\x1a\n")  # listed, never decoded
    assert [path.name for path in expand_image_paths([tmp_path])] == [
        "frame1.png",
        "frame2.png",
        "frame10.png",
    ]
