"""``serve --backend auto`` does not leave onnxruntime for PyTorch on one noisy figure (tour71 #2), says where
onnxruntime timed slower, and ``trainwell info`` shows every figure that choice rests on (tour71 #3)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from trainwell.cli._show import onnx_summary
from trainwell.export.onnx import _settled
from trainwell.serve.backends import auto_choice_words, onnx_measured_slower, resolve_backend


def end_to_end(*batches: tuple[int, float, float]) -> dict[str, Any]:
    rows = [{"items": n, "onnxruntime_ms": o, "torch_ms": t} for n, o, t in batches]
    return {**rows[len(rows) // 2], "scope": "end_to_end", "batches": rows}


#: What the tour's export recorded: onnxruntime faster at 1 and 1000 rows, 1.5x slower at 64 rows.
NOISY_64 = end_to_end((1, 14.7, 23.6), (64, 40.8, 26.6), (1000, 61.8, 90.4))


@pytest.mark.parametrize(
    ("speed", "slower"),
    [
        (NOISY_64, False),  # one middle size alone: kept (was: PyTorch, cold start 3.3 s -> 10.3 s)
        (end_to_end((1, 15.8, 5.2), (64, 6.7, 7.3), (1000, 50.0, 60.0)), False),  # one row slower than 64
        (
            end_to_end((1, 0.9, 1.0), (64, 2.0, 4.0), (1000, 47.0, 32.0)),
            True,
        ),  # the largest request: leaves it
        (end_to_end((1, 3.0, 1.0), (64, 8.0, 4.0), (1000, 30.0, 32.0)), True),  # most of the sizes
        (end_to_end((1, 3.0, 1.0), (64, 1.0, 4.0)), False),  # images: one image only, 64 faster
        (end_to_end((1, 1.0, 1.0), (64, 9.0, 4.0)), True),  # images: the batch of 64
        ({"items": 64, "onnxruntime_ms": 2.0, "torch_ms": 1.0}, True),  # an older export's single figure
    ],
)
def test_auto_leaves_onnxruntime_only_when_clearly_slower(speed: dict[str, Any], slower: bool) -> None:
    assert onnx_measured_slower({"onnx": {"speed": speed}}) is slower


def test_rounds_that_find_pytorch_faster_are_all_timed() -> None:
    # Two rounds of a busy machine decided against onnxruntime; now only onnxruntime clearly faster stops early.
    assert not _settled({"onnxruntime_ms": [0.030, 0.020, 0.030], "torch_ms": [0.010, 0.008, 0.010]})
    assert not _settled({"onnxruntime_ms": [0.001, 0.001], "torch_ms": [0.010, 0.010]})
    assert _settled({"onnxruntime_ms": [0.001, 0.001, 0.001], "torch_ms": [0.010, 0.010, 0.010]})


def with_speed(source: Path, target: Path, speed: dict[str, Any]) -> Path:
    shutil.copytree(source, target)
    path = target / "trainwell.json"
    document = json.loads(path.read_text())
    document["onnx"]["speed"] = speed
    path.write_text(json.dumps(document))
    return target


def test_the_start_up_line_says_where_onnxruntime_timed_slower(onnx_model_dir: Path, tmp_path: Path) -> None:
    kept = with_speed(onnx_model_dir, tmp_path / "kept", NOISY_64)
    assert resolve_backend(kept, "auto") == "onnx"
    words = auto_choice_words(kept, "onnx")
    assert words is not None and "onnxruntime over 1.25x slower at 64 rows only, of 1/64/1000" in words
    left = with_speed(
        onnx_model_dir, tmp_path / "left", end_to_end((1, 0.9, 1.0), (64, 2.0, 4.0), (1000, 47.0, 32.0))
    )
    assert resolve_backend(left, "auto") == "torch"
    words = auto_choice_words(left, "torch")
    assert words is not None
    assert words.startswith("auto: onnxruntime was over 1.25x slower at 1000 rows, the largest request timed")


def entry(speed: dict[str, Any]) -> dict[str, Any]:
    return {"file": "model.onnx", "opset": 17, "max_abs_diff": 1e-7, "tolerance": 1e-4, "n_rows_checked": 50,
            "checked_on": "given rows", "speed": speed}  # fmt: skip


def test_info_shows_every_figure_the_choice_rests_on() -> None:
    # info showed "64 rows in 6.7 ms (PyTorch 7.3 ms); serve keeps PyTorch, measured faster": the 1-row figure
    # behind the choice was not shown.
    left = onnx_summary(entry(end_to_end((1, 0.9, 1.0), (64, 2.0, 4.0), (1000, 47.0, 32.0))))
    assert "1/64/1000 rows in 0.9/2.0/47.0 ms (PyTorch 1.0/4.0/32.0 ms) end to end" in left
    assert (
        "`trainwell serve` keeps PyTorch: onnxruntime over 1.25x slower at 1000 rows, the largest request timed"
        in left
    )
    kept = onnx_summary(entry(NOISY_64))
    assert "1/64/1000 rows in 14.7/40.8/61.8 ms (PyTorch 23.6/26.6/90.4 ms)" in kept
    assert "`trainwell serve` uses it (--backend auto; onnxruntime over 1.25x slower at 64 rows only" in kept
    old = onnx_summary(entry({"items": 64, "onnxruntime_ms": 0.0163, "torch_ms": 0.0370}))
    assert "64 rows in 0.016 ms (PyTorch 0.037 ms); `trainwell serve` uses it (--backend auto)" in old


def test_a_text_export_is_not_sent_to_re_export(tmp_path: Path) -> None:
    # A text export times the graph alone (this version too): "re-export to time it end to end" sent the user
    # round in a loop.
    from trainwell.serve.backends import speed_words

    speed = {"items": 38, "onnxruntime_ms": 0.335, "torch_ms": 13.7}
    text = speed_words({"application": "text", "onnx": {"speed": speed}})
    assert (
        text
        == "timed the model call alone at export: 38 texts in 0.335 ms on onnxruntime, 13.7 ms on PyTorch"
    )
    table = speed_words({"application": "tabular", "onnx": {"speed": speed}})
    assert "the model call alone (re-export to time it end to end)" in table
