"""MNIST's IDX files: read as arrays, and a folder of them as image data (train-* to train, t10k-* to test),
from Python and from ``trainwell fit FOLDER``."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from process_support import run_trainwell
from trainwell.core.errors import DataError
from trainwell.vision import image_data, read_idx


def write_idx(path: Path, array: np.ndarray) -> Path:
    """``array`` (uint8) as an IDX file, gzipped when ``path`` ends in ``.gz``, as MNIST ships them."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    raw = header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()
    path.write_bytes(gzip.compress(raw) if path.suffix == ".gz" else raw)
    return path


def digits(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` 12x12 images of two classes anyone can tell apart: a bright top half (1) or bottom half (0)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n).astype(np.uint8)
    images = rng.integers(0, 40, (n, 12, 12)).astype(np.uint8)
    for image, label in zip(images, labels, strict=True):
        (image[:6] if label else image[6:])[:] += 200
    return images, labels


def mnist_folder(root: Path, n_train: int = 80, n_test: int = 30) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, (images, labels) in (("train", digits(n_train, 0)), ("t10k", digits(n_test, 1))):
        write_idx(root / f"{name}-images-idx3-ubyte.gz", images)
        write_idx(root / f"{name}-labels-idx1-ubyte.gz", labels)
    return root


def test_idx_files_read_back_as_their_arrays(tmp_path: Path) -> None:
    images, labels = digits(7, 0)
    assert np.array_equal(read_idx(write_idx(tmp_path / "i-images-idx3-ubyte.gz", images)), images)
    assert np.array_equal(read_idx(write_idx(tmp_path / "i-labels-idx1-ubyte", labels)), labels)
    (tmp_path / "bad").write_bytes(b"\x01\x02\x08\x01")
    with pytest.raises(DataError, match="is not an IDX file"):
        read_idx(tmp_path / "bad")
    cut = tmp_path / "cut-images-idx3-ubyte"
    cut.write_bytes(write_idx(tmp_path / "whole", images).read_bytes()[:-5])
    with pytest.raises(DataError, match="is truncated"):
        read_idx(cut)


def test_a_folder_of_idx_files_is_image_data_with_its_test_set(tmp_path: Path) -> None:
    folder = mnist_folder(tmp_path / "mnist")
    data = image_data(folder, augmentation="none", valid_pct=0.25)
    assert data.task.kind == "binary"
    assert (data.train.n_rows, data.valid.n_rows, data.test.n_rows) == (60, 20, 30)  # type: ignore[union-attr]
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(
        DataError, match=r"have no labels file beside them: expected 't10k-labels-idx1-ubyte\.gz'"
    ):
        image_data(folder)
    only_test = mnist_folder(tmp_path / "only_test")
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        (only_test / name).unlink()
    with pytest.raises(DataError, match="no training set: name it train-images-idx3-ubyte"):
        image_data(only_test)


def test_trainwell_fit_reads_a_folder_of_idx_files(tmp_path: Path) -> None:
    # `trainwell fit ../shared/data/mnist` said "a folder without images".
    folder = mnist_folder(tmp_path / "mnist", n_train=120, n_test=50)
    done = run_trainwell("fit", str(folder), "--out", str(tmp_path / "model"), "--epochs", "2", timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    said = " ".join(done.stdout.split())
    assert "test set (50 images): accuracy" in said
    accuracy = float(said.split("test set (50 images): accuracy ")[1].split(",")[0])
    assert accuracy >= 0.9  # halves bright or dark: any working image model tells them apart
    one_file = run_trainwell("fit", str(folder / "train-images-idx3-ubyte.gz"), "--out", str(tmp_path / "m2"))
    assert one_file.returncode == 2
    assert f"pass the folder holding it with its labels file, trainwell fit {folder}" in one_file.stderr
    # predict read image files only: an IDX file "could not be decoded as an image".
    test_images = folder / "t10k-images-idx3-ubyte.gz"
    predicted = run_trainwell("predict", str(tmp_path / "model"), str(test_images))
    assert predicted.returncode == 0, predicted.stderr[-3000:]
    lines = predicted.stdout.splitlines()
    assert lines[0] == "index,prediction,probability_1" and [line.split(",")[0] for line in lines[1:]] == [
        str(i) for i in range(50)
    ]
    answers = np.array([int(line.split(",")[1]) for line in lines[1:]])
    assert (answers == digits(50, 1)[1]).mean() == accuracy  # the very images fit scored as its test set
    # The exported graph reads the same IDX file (its chunks are numpy arrays, which torch.cat refused).
    from trainwell.export.onnx import export_onnx

    export_onnx(tmp_path / "model")
    by_onnx = run_trainwell("predict", str(tmp_path / "model" / "model.onnx"), str(test_images))
    assert by_onnx.returncode == 0, by_onnx.stderr[-3000:]
    onnx_lines = by_onnx.stdout.splitlines()
    assert onnx_lines[0] == lines[0] and [line.split(",")[1] for line in onnx_lines] == [
        line.split(",")[1] for line in lines
    ]
    for source, said in (
        (
            folder,
            f"holds no image files; it holds IDX files (MNIST's format): pass the images file, e.g. {test_images}",
        ),
        (
            folder / "t10k-labels-idx1-ubyte.gz",
            f"holds labels, not images: pass the images file beside it, {test_images}",
        ),
    ):
        refused = run_trainwell("predict", str(tmp_path / "model"), str(source))
        assert refused.returncode == 2 and said in refused.stderr, refused.stderr
    # evaluate read image files only: it cross-validates the train-* set, t10k-* left out as fit holds it out.
    evaluated = run_trainwell("evaluate", str(folder), "--cv", "2", "--epochs", "1", timeout=180)
    assert evaluated.returncode == 0, evaluated.stderr[-3000:]
    assert (
        "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz left out: the folds are drawn from "
        "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz" in evaluated.stdout
    )
    assert "2-fold cross-validation (binary, 120 images)" in " ".join(evaluated.stdout.split())
    # report read image files only: it judges the model on the t10k-* set, as fit scored it.
    page = tmp_path / "report.html"
    reported = run_trainwell("report", str(tmp_path / "model"), "--data", str(folder), "--out", str(page))
    assert reported.returncode == 0, reported.stderr[-3000:]
    html = page.read_text(encoding="utf-8")
    evaluated = (
        f"<dt>Evaluated on</dt><dd>50 labelled images in {test_images} (the test split of {folder})</dd>"
    )
    assert evaluated in html
    assert "Test metrics" in html and "t10k-images-idx3-ubyte.gz[" in html  # top losses named by position


def test_commands_that_read_image_files_say_an_idx_folder_is_not_one(tmp_path: Path) -> None:
    from trainwell.vision.io import folder_splits

    with pytest.raises(
        DataError, match="it holds IDX files, MNIST's format, which trainwell fit, evaluate, report"
    ):
        folder_splits(mnist_folder(tmp_path / "mnist"))  # the reader of folders of image files
