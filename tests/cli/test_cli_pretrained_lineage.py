"""``trainwell fit photos/ --pretrained parent/``: the fit says what it loaded and what is new, the model directory
records its parent (``training.pretrained`` in ``trainwell.json``), and ``trainwell info`` and the recorded report
show a "fine-tuned from" row, so a model's lineage can be traced back."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from cli_support import run_cli

from image_files import make_image_folder
from trainwell.core.lineage import fine_tuned_from, frozen_words, loaded_words, weights_digest

LINE = (
    "fine-tuning from parent (simple_cnn, 2 classes: horizontal, vertical): its body loaded, a new head for "
    "3 classes; the body frozen for 1 epoch, then unfrozen"
)


@pytest.fixture(scope="module")
def fine_tuned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A two-class parent fitted on one folder, then fine-tuned on three classes through the CLI."""
    root = tmp_path_factory.mktemp("lineage")
    make_image_folder(root / "two", per_class=10)
    make_image_folder(root / "three", ("horizontal", "vertical", "square"), per_class=10, seed=3)
    parent = run_cli("fit", "two", "--epochs", "1", "--out", "parent", cwd=root)
    assert parent.returncode == 0, parent.explain()
    child = run_cli("fit", "three", "--pretrained", "parent", "--epochs", "1", "--out", "child", cwd=root)
    assert child.returncode == 0, child.explain()
    return root, child.stderr


def test_the_fit_says_what_it_loaded_and_what_is_new(fine_tuned: tuple[Path, str]) -> None:
    _root, stderr = fine_tuned
    assert LINE in stderr
    assert stderr.index(LINE) < stderr.index("train_loss")  # before the first epoch's line


def test_trainwell_json_records_the_parent(fine_tuned: tuple[Path, str]) -> None:
    root, _stderr = fine_tuned
    record = json.loads((root / "child" / "trainwell.json").read_text())["training"]["pretrained"]
    expected = hashlib.sha256((root / "parent" / "model.safetensors").read_bytes()).hexdigest()
    assert record["path"] == "parent" and record["kind"] == "model directory"
    assert record["architecture"] == "simple_cnn" and record["classes"] == ["horizontal", "vertical"]
    assert record["weights_sha256"] == expected
    assert record["new"] == "a new head for 3 classes" and record["freeze_epochs"] == 1
    assert record["tensors_loaded"] > 0


def test_info_and_the_recorded_report_show_the_parent(fine_tuned: tuple[Path, str]) -> None:
    root, _stderr = fine_tuned
    info = run_cli("info", "child", cwd=root)
    assert info.returncode == 0, info.explain()
    row = next(line for line in info.stdout.splitlines() if "fine-tuned from" in line)
    assert "parent (simple_cnn, 2 classes: horizontal, vertical)" in row
    parent_info = run_cli("info", "parent", cwd=root)
    assert "fine-tuned from" not in parent_info.stdout  # trained from scratch: no such row
    report = run_cli("report", "child", cwd=root)
    assert report.returncode == 0, report.explain()
    page = (root / "child" / "report.html").read_text()
    assert f'fine-tuned from</td><td class="prose">{LINE.removeprefix("fine-tuning from ")}' in page


def test_the_record_in_words_when_the_head_is_kept_or_there_are_no_classes(tmp_path: Path) -> None:
    loaded, new = loaded_words(True, 2, ["a", "b"], "binary")
    record = {"path": "w.safetensors", "kind": "weights file", "loaded": loaded, "new": new}
    assert fine_tuned_from({**record, "training": frozen_words(0)}) == (
        "w.safetensors: its body and head loaded (the head's shape fits these outputs); everything trained "
        "from the start (no frozen epochs)"
    )
    loaded, new = loaded_words(False, 1, None, "regression")
    assert new == "a new head (1 output, regression)"
    assert weights_digest(tmp_path) is None  # no weights file: no hash, no error
    (tmp_path / "model.safetensors").write_bytes(b"abc")
    assert weights_digest(tmp_path) == hashlib.sha256(b"abc").hexdigest()


def test_a_text_classifier_started_from_a_language_model_records_it(tmp_path: Path) -> None:
    from text_samples import reviews, stories

    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "a.txt").write_text(" ".join(stories(120, 0)), encoding="utf-8")
    reviews(60).to_csv(tmp_path / "reviews.csv", index=False)
    lm = run_cli("fit", "corpus", "--task", "language_model", "--epochs", "1", "--out", "lm", cwd=tmp_path)
    assert lm.returncode == 0, lm.explain()
    args = ("fit", "reviews.csv", "--text", "review", "--target", "sentiment", "--model", "ulmfit")
    child = run_cli(*args, "--pretrained", "lm", "--epochs", "1", "--out", "tc", cwd=tmp_path, timeout=300)
    assert child.returncode == 0, child.explain()
    said = (
        "fine-tuning from lm (awd_lstm_lm, a language model): its encoder loaded (the embedding and 2 LSTM "
        "layers), a new head for 2 classes; gradual unfreezing: the head first, then one more layer group every "
        "epoch, then everything for 1 epoch"
    )
    assert said in " ".join(child.stderr.split())
    record = json.loads((tmp_path / "tc" / "trainwell.json").read_text())["training"]["pretrained"]
    expected = hashlib.sha256((tmp_path / "lm" / "model.safetensors").read_bytes()).hexdigest()
    assert record["path"] == "lm" and record["task"] == "language_model"
    assert record["weights_sha256"] == expected
    info = run_cli("info", "tc", cwd=tmp_path)
    assert "fine-tuned from" in info.stdout and "lm (awd_lstm_lm, a language model)" in info.stdout
