"""Paths listed back to the user come in the order people number them."""

from pathlib import Path, PurePosixPath

from trainwell.core.paths import natural_key, natural_sorted


def test_numbers_inside_names_compare_as_numbers() -> None:
    names = ["img10.png", "img2.png", "img1.png", "IMG3.png", "b.png", "a.png"]
    assert natural_sorted(names) == ["a.png", "b.png", "img1.png", "img2.png", "IMG3.png", "img10.png"]


def test_folders_order_before_their_files_and_ties_are_broken_exactly() -> None:
    paths = [Path("b/1.txt"), Path("a/10.txt"), Path("a/2.txt"), Path("a/02.txt"), Path("A/2.txt")]
    assert natural_sorted(paths) == [
        Path("A/2.txt"),  # same words as a/ and A < a: the order is total and repeatable
        Path("a/02.txt"),
        Path("a/2.txt"),
        Path("a/10.txt"),
        Path("b/1.txt"),
    ]
    assert natural_key(PurePosixPath("x/7.txt")) == natural_key("x/7.txt")
