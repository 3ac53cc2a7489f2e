"""A report names each top-loss image by its path from the folder or CSV judged, never by its bare name."""

from __future__ import annotations

from pathlib import Path

from trainwell.report._vision import _under


def test_images_are_named_by_their_path_from_the_data(tmp_path: Path) -> None:
    root = tmp_path / "csvimg"
    root.mkdir()
    inside = tmp_path / "csvimg" / "airplane" / "0003.jpg"
    beside = tmp_path / "c10small" / "test" / "deer" / "0003.jpg"  # a CSV listing '../c10small/...' paths
    assert _under(inside, root) == "airplane/0003.jpg"
    assert _under(beside, root) == "../c10small/test/deer/0003.jpg"  # it said '0003.jpg', twice in one table
