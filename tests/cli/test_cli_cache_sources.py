"""``trainwell cache`` names the folders its joined splits came from, as it names an unpacked archive's archive:
it listed ``joined splits │ 4 │ 4.2 MB │`` with the "holds" cell empty."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from trainwell.cli.app import app


def _listing() -> str:
    result = CliRunner().invoke(app, ["cache"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def test_joined_splits_are_listed_with_the_folders_they_came_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trainwell.cli._splits import made_once
    from trainwell.data.splits import _joined

    cache = tmp_path / "cache"
    monkeypatch.setenv("TRAINWELL_CACHE", str(cache))
    shop, photos = tmp_path / "shop", tmp_path / "photos"
    shop.mkdir()
    photos.mkdir()
    frames = [pd.DataFrame({"x": [1, 2], "y": [0, 1]}), pd.DataFrame({"x": [3], "y": [1]})]
    paths = []
    for number, frame in enumerate(frames):
        paths.append(shop / f"train-0000{number}-of-00002.csv")
        frame.to_csv(paths[-1], index=False)
    joined = _joined(shop, "train", paths, frames, None, "utf-8")
    assert len(pd.read_parquet(joined)) == 3
    _joined(shop, "test", paths, frames, None, "utf-8")  # the same folder's other split: named once
    made_once(
        photos, "images", [photos], "", lambda partial: {"images": 0}
    )  # an image tree, as fit makes one
    listed = _listing()
    assert "joined splits │ 2 │" in listed
    assert f"│ {photos.resolve()}, {shop.resolve()} │" in listed, listed
    shutil.rmtree(shop)
    assert f"{shop.resolve()} (gone)" in _listing()


def test_an_entry_an_earlier_version_made_gets_its_source_when_next_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trainwell.data.splits import _joined

    monkeypatch.setenv("TRAINWELL_CACHE", str(tmp_path / "cache"))
    shop = tmp_path / "shop"
    shop.mkdir()
    frames = [pd.DataFrame({"x": [1.5], "y": [0]})]
    (shop / "train.csv").write_text("x,y\n1.5,0\n")
    joined = _joined(shop, "train", [shop / "train.csv"], frames, None, "utf-8")
    marker = joined.parent.with_name(f"{joined.parent.name}.source")
    marker.unlink()  # as an earlier version left it
    assert f"│ {joined.parent.name} │" in _listing()  # no record: the entry's own name
    assert _joined(shop, "train", [shop / "train.csv"], frames, None, "utf-8") == joined
    assert marker.read_text(encoding="utf-8") == str(shop.resolve())
