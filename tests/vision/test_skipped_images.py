"""Unreadable images in a folder: every one is named (in the warning, and past a few in a list file the warning
names), and predictions keep a row for each, empty but for the reason in an ``error`` column, so the answers join
back to every file, on the command line as in Python."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import trainwell
from image_files import make_image_folder, shape_image, small_image_model
from trainwell.cli.app import app
from trainwell.vision import image_data

#: What trainwell.vision.io.SHOWN_SKIPPED holds: the files a warning names one by one.
SHOWN_SKIPPED = 10


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_image_model(tmp_path_factory.mktemp("skipped_images"))


def _broken(folder: Path) -> dict[str, str]:
    """Four files a camera card or a failed copy leaves behind, in ``folder``; each one's name and the start of
    the reason it cannot be read."""
    import numpy as np

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "garbled.png").write_bytes(bytes(range(256)) * 4)
    (folder / "text.png").write_text("not an image at all\n", encoding="utf-8")
    whole = io.BytesIO()
    shape_image("vertical", np.random.default_rng(0), 12).save(whole, format="PNG")
    (folder / "trunc.png").write_bytes(whole.getvalue()[: len(whole.getvalue()) // 2])
    (folder / "zero.png").write_bytes(b"")
    return {
        "garbled.png": "UnidentifiedImageError",
        "text.png": "UnidentifiedImageError",
        "trunc.png": "",
        "zero.png": "",
    }


def test_predict_on_a_folder_keeps_a_row_with_the_reason_for_each_unreadable_file(
    model: Path, tmp_path: Path
) -> None:
    folder = make_image_folder(tmp_path / "new", per_class=3, size=12)
    broken = _broken(folder / "vertical")
    out = tmp_path / "p.csv"
    result = CliRunner().invoke(
        app, ["predict", str(model), str(folder), "--out", str(out)], env={"COLUMNS": "400"}
    )
    assert result.exit_code == 0, result.output
    err = " ".join(result.stderr.split())
    assert "skipped 4 unreadable image file(s) of 10: " in err and not re.search(r"; and \d+ more", err)
    for name in broken:  # every one named: the fourth was "and 1 more"
        assert f"{folder / 'vertical' / name}: " in err
    assert "each keeps its row, with an empty prediction and the reason in the 'error' column" in err
    assert "wrote 10 predictions" in err
    table = pd.read_csv(out)
    files = sorted(str(path) for path in folder.rglob("*.png"))
    assert sorted(table["path"]) == files and list(table.columns)[-1] == "error"
    failed = table[table["error"].notna()]
    assert sorted(Path(path).name for path in failed["path"]) == sorted(broken)
    assert failed["prediction"].isna().all() and failed["probability_vertical"].isna().all()
    for path, reason in zip(failed["path"], failed["error"], strict=True):
        assert reason.startswith(broken[Path(path).name]) and str(path) not in reason.split(":")[0]
    decoded = table[table["error"].isna()]
    assert len(decoded) == 6 and decoded["prediction"].notna().all()
    # the class folders name the actual class of each row; the accuracy is over the images decoded
    assert "actual" in table.columns and "on these 6 images" in err
    # Python's predictor answers the same rows, the same reasons
    with pytest.warns(UserWarning, match=r"skipped 4 unreadable image file\(s\) of 10: ") as said:
        in_python = trainwell.load(model).predict(folder)
    assert not re.search(r"; and \d+ more", str(said[0].message))
    assert in_python["path"].tolist() == table["path"].tolist()
    assert (
        in_python["error"].replace("", None).tolist() == table["error"].replace(float("nan"), None).tolist()
    )
    assert in_python["prediction"].isna().tolist() == table["prediction"].isna().tolist()


def test_a_folder_of_only_decodable_images_has_no_error_column(model: Path, tmp_path: Path) -> None:
    folder = make_image_folder(tmp_path / "fine", per_class=2, size=12)
    table = trainwell.load(model).predict(folder)
    assert "error" not in table.columns and len(table) == 4


def test_past_a_few_the_warning_names_a_file_that_lists_them_all(model: Path, tmp_path: Path) -> None:
    folder = make_image_folder(tmp_path / "many", per_class=2, size=12)
    names = [f"bad{index:02d}.png" for index in range(SHOWN_SKIPPED + 3)]
    for name in names:
        (folder / "horizontal" / name).write_text("no pixels here", encoding="utf-8")
    from trainwell.vision.io import SHOWN_SKIPPED as shown

    assert shown == SHOWN_SKIPPED
    with pytest.warns(UserWarning) as said:
        table = trainwell.load(model).predict(folder)
    message = next(str(w.message) for w in said if "unreadable" in str(w.message))
    assert message.startswith(f"skipped {len(names)} unreadable image file(s) of {len(names) + 4}: ")
    assert sum(f"{folder / 'horizontal' / name}: " in message for name in names) == SHOWN_SKIPPED
    found = re.search(r"; and 3 more \(all 13 listed in (\S+\.txt)\)", message)
    assert found is not None, message
    listed = Path(found.group(1))
    try:
        lines = listed.read_text(encoding="utf-8").splitlines()
    finally:
        listed.unlink()
    assert [line.split(": ")[0] for line in lines] == [str(folder / "horizontal" / name) for name in names]
    assert all(": UnidentifiedImageError: " in line for line in lines)
    assert (table["error"] != "").sum() == len(names) and len(table) == len(names) + 4


def test_fit_names_every_training_image_it_skips(tmp_path: Path) -> None:
    folder = make_image_folder(tmp_path / "train", per_class=8, size=12)
    broken = _broken(folder / "horizontal")
    with pytest.warns(UserWarning, match=r"skipped 4 unreadable image file\(s\) of 20: ") as said:
        data = image_data(folder, valid_pct=0.25)
    message = next(str(w.message) for w in said if "unreadable" in str(w.message))
    assert all(f"{folder / 'horizontal' / name}: " in message for name in broken) and "; and " not in message
    assert data.train.n_rows + data.valid.n_rows == 16  # type: ignore[union-attr]
