"""The validation images in a fair order (a budget's capped pass reads every class), and the line said while
image files are decoded (``fit cifar10 --time 90s`` read for 79 s in silence)."""

from __future__ import annotations

import io
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from image_files import make_image_folder
from trainwell.vision import _reading
from trainwell.vision._order import fair_order
from trainwell.vision._reading import ReadingProgress
from trainwell.vision.data import image_data
from trainwell.vision.io import decode_images

CLASSES = ("horizontal", "vertical", "square")


def _first_batch_classes(data: object, size: int) -> Counter[int]:
    _images, targets = next(iter(data.valid.new(batch_size=size)))  # type: ignore[attr-defined]
    return Counter(targets.tolist())


def test_a_validation_share_of_a_class_sorted_train_folder_holds_every_class_from_its_first_batch(
    tmp_path: Path,
) -> None:
    # train/ and test/ without valid/ (CIFAR-10's layout): the share drawn from train/ was kept in the files'
    # order, so the first batches a capped pass read were the first class folder's.
    root = tmp_path / "cifar"
    make_image_folder(root / "train", CLASSES, per_class=40, size=12)
    make_image_folder(root / "test", CLASSES, per_class=4, size=12, seed=3)
    data = image_data(root, size=12, seed=0, progress=False)
    targets = data.valid.tensors[1].tolist()  # type: ignore[union-attr]
    whole = Counter(targets)
    assert len(targets) == 24 and len(whole) == 3
    for k in (6, 12, 18):  # each class in its share of every prefix (before: the first 6 all 'horizontal')
        prefix = Counter(targets[:k])
        for label, count in whole.items():
            assert abs(prefix[label] - count * k / 24) <= 1.5, (k, prefix, whole)
    assert len(_first_batch_classes(data, 6)) >= 2


def test_a_valid_folder_sorted_by_class_is_read_in_a_fair_order_each_file_named_with_its_pixels(
    split_folder: Path,
) -> None:
    data = image_data(split_folder, seed=0, progress=False)
    first = _first_batch_classes(data, 4)
    assert sorted(first) == [0, 1], first  # before: four 'horizontal' images
    paths = data.paths["valid"]  # type: ignore[index]
    images, targets = data.valid.tensors  # type: ignore[union-attr]
    assert sorted(paths) == sorted((split_folder / "valid").rglob("*.png"))  # every file, once
    classes = list(data.task.classes)
    for index, path in enumerate(paths):  # each prediction still maps to its file (top losses, occlusion)
        assert classes[int(targets[index])] == path.parent.name
        with Image.open(path) as image:
            assert torch.equal(
                images[index], torch.from_numpy(np.array(image.convert("RGB")).transpose(2, 0, 1))
            )
    again = image_data(split_folder, seed=0, progress=False)
    assert again.paths["valid"] == paths  # type: ignore[index]  # fixed for a seed
    other = image_data(split_folder, seed=1, progress=False)
    assert other.paths["valid"] != paths  # type: ignore[index]


def test_a_whole_validation_pass_scores_the_same_in_the_fair_order(split_folder: Path) -> None:
    from trainwell.data.loader import TensorLoader
    from trainwell.vision.learner import vision_learner

    torch.manual_seed(0)
    data = image_data(split_folder, seed=0, progress=False)
    learn = vision_learner(data, "simple_cnn", progress=False)
    learn.fit(1, 1e-3)
    images, targets = data.valid.tensors  # type: ignore[union-attr]
    paths = data.paths["valid"]  # type: ignore[index]
    by_file = sorted(range(len(paths)), key=lambda index: paths[index])
    in_files_order = TensorLoader((images[by_file], targets[by_file]), data.valid.batch_size)  # type: ignore[union-attr]
    fair, sorted_scores = learn.validate(data.valid), learn.validate(in_files_order)
    assert fair.keys() == sorted_scores.keys()
    for name in fair:
        assert fair[name] == pytest.approx(sorted_scores[name], rel=1e-5, abs=1e-6), name


def test_an_array_given_as_validation_keeps_its_order() -> None:
    # Cross-validation's folds and a user's arrays map predictions to rows by position.
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (40, 8, 8), dtype=np.uint8)
    labels = [0] * 20 + [1] * 20
    data = image_data(
        images[:30], labels=labels[:30], valid=(images[30:], labels[30:]), size=8, progress=False
    )
    assert torch.equal(data.valid.tensors[0][:, 0], torch.from_numpy(images[30:]))  # type: ignore[union-attr]


def test_fair_order_keeps_each_class_in_proportion_in_every_prefix() -> None:
    labels = ["a"] * 500 + ["b"] * 300 + ["c"] * 200  # sorted, as class folders are
    order = fair_order(labels, seed=0)
    assert sorted(order.tolist()) == list(range(1000))
    for k in (10, 50, 128, 333, 1000):
        counts = Counter(labels[i] for i in order[:k])
        for label, share in (("a", 0.5), ("b", 0.3), ("c", 0.2)):
            assert abs(counts[label] - share * k) <= 2, (k, counts)
    assert fair_order(labels, seed=0).tolist() == order.tolist()
    numbers = fair_order([0.5] * 10 + [2.5] * 10, seed=0, classes=False)  # a regression: shuffled
    assert sorted(numbers.tolist()) == list(range(20)) and numbers.tolist() != list(range(20))


def _ticking(step: float) -> object:
    now = [0.0]

    def clock() -> float:
        now[0] += step
        return now[0]

    return clock


def test_a_long_read_says_a_few_plain_lines_off_a_terminal_and_a_closing_one() -> None:
    out = io.StringIO()
    reading = ReadingProgress(50_000, [Path("0001.jpg")], clock=_ticking(1.0), stream=out)  # StringIO: no tty
    for _ in range(100):
        reading.advance(400)
    assert reading.close() > 2.0
    lines = out.getvalue().splitlines()
    assert 2 <= len(lines) <= _reading.PLAIN_LINES + 1, lines
    assert lines[0].startswith("reading images: ") and "/ 50,000 (decoding JPEG, " in lines[0]
    assert lines[-1].startswith("read 40,000 images in ")
    assert "\r" not in out.getvalue()


def test_in_a_terminal_one_line_is_rewritten_in_place() -> None:
    out = io.StringIO()
    reading = ReadingProgress(10_000, [Path("a.png")], clock=_ticking(0.5), stream=out, terminal=True)
    for _ in range(20):
        reading.advance(500)
    reading.close()
    text = out.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n") and text.count("\r") > 3
    assert "(decoding PNG, " in text and "read 10,000 images in " in text


def test_a_short_read_says_nothing_and_progress_false_nothing_at_all() -> None:
    out = io.StringIO()
    quick = ReadingProgress(1_000, clock=_ticking(0.1), stream=out)
    for _ in range(10):
        quick.advance(100)
    quick.close()
    slow = ReadingProgress(1_000, clock=_ticking(5.0), stream=out, enabled=False)
    for _ in range(10):
        slow.advance(100)
    assert slow.close() > 0 and out.getvalue() == ""


@pytest.mark.parametrize("workers", [1, 2])
def test_decode_images_reports_every_file_once_in_one_process_and_in_a_pool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    from trainwell.vision import io as image_io

    monkeypatch.setattr(image_io, "POOL_THRESHOLD", 10)
    monkeypatch.setattr(image_io, "CHUNK_IMAGES", 7)
    folder = make_image_folder(tmp_path / "imgs", per_class=15, size=10)
    paths = sorted(folder.rglob("*.png"))
    (folder / "horizontal" / "broken.png").write_bytes(b"not a png")
    paths.append(folder / "horizontal" / "broken.png")
    counts: list[int] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _images, kept = decode_images(paths, (10, 10), 3, n_workers=workers, progress=counts.append)
    assert sum(counts) == len(paths) == 31 and len(counts) > 1 and len(kept) == 30


def test_image_data_says_its_reading_on_standard_error_when_it_takes_a_while(
    image_folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # any read is long: the line is said
    monkeypatch.setattr("trainwell.data.reading_progress.QUIET_SECONDS", 0.0)
    monkeypatch.setattr("trainwell.vision.io.CHUNK_IMAGES", 8)
    data = image_data(image_folder, progress=True)
    err = capsys.readouterr().err
    assert "reading images: " in err and "/ 60 (decoding PNG, " in err
    assert "read 60 images in " in err and data.read_seconds is not None  # type: ignore[attr-defined]
    image_data(image_folder, progress=False)
    assert "reading images" not in capsys.readouterr().err


def test_a_budget_mostly_spent_reading_is_warned_of_before_training() -> None:
    from trainwell.callbacks.budget import TimeBudget
    from trainwell.vision.pipeline import _warn_reading_share

    budget = TimeBudget(90).start(ago=79)
    with pytest.warns(
        UserWarning, match=r"reading the images took 1m 19s of the 1m 30s time budget.*left to train"
    ):
        _warn_reading_share(budget, 79.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _warn_reading_share(budget, 30.0)
        _warn_reading_share(None, 79.0)
        _warn_reading_share(TimeBudget(60).start(ago=61), 60.0)  # spent: the fit's own error says so
