"""The export's timing of onnxruntime against PyTorch (what ``serve --backend auto`` decides by, at 1.25x) stops a
request size's rounds once they leave no doubt which runtime is faster: a table model's export timed every size
through six rounds of both predictors (36 calls) even where onnxruntime took a fraction of PyTorch's time in every
one. Sizes whose rounds come close still get every round."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest

from trainwell.export import onnx as onnx_export
from trainwell.export.onnx import _end_to_end_speed, _settled


class Counted:
    """A predictor that answers at once, or after ``pause`` seconds, and counts its calls."""

    def __init__(self, pause: float = 0.0) -> None:
        self.pause, self.calls = pause, 0

    def predict_proba(self, given: Any) -> np.ndarray:
        self.calls += 1
        if self.pause:
            time.sleep(self.pause)
        return np.zeros((len(given), 1), dtype=np.float32)


def _rounds(onnx: list[float], torch: list[float]) -> dict[str, list[float]]:
    return {"onnxruntime_ms": onnx, "torch_ms": torch}


@pytest.mark.parametrize(
    ("onnx", "torch", "settled"),
    [
        ([0.001, 0.001, 0.001], [0.010, 0.020, 0.010], True),  # onnxruntime a tenth of PyTorch in 3 rounds
        (
            [0.030, 0.020, 0.030],
            [0.010, 0.008, 0.010],
            False,
        ),  # PyTorch faster: every round, the median decides
        ([0.001, 0.001], [0.010, 0.010], False),  # two rounds are not enough
        ([0.001, 0.009], [0.010, 0.010], False),  # a round near parity: keep timing
        ([0.001, 0.030], [0.010, 0.010], False),  # the rounds disagree on which is faster
        (
            [0.010, 0.010, 0.010],
            [0.012, 0.011, 0.013],
            False,
        ),  # within 1.25x: the medians decide, every round
    ],
)
def test_settled_needs_every_round_clearly_one_way(
    onnx: list[float], torch: list[float], settled: bool
) -> None:
    assert _settled(_rounds(onnx, torch)) is settled


def test_a_clearly_faster_runtime_is_timed_in_fewer_rounds_at_every_size() -> None:
    fast, slow = Counted(), Counted(pause=0.05)
    speed = _end_to_end_speed(
        slow, fast, lambda count: list(range(count)), (1, 64)
    )  # PyTorch, then onnxruntime
    # per size, one warm-up round and the three timed rounds that settled it (else 1 + 7 rounds a size)
    assert fast.calls == slow.calls == 2 * 4
    assert [batch["items"] for batch in speed["batches"]] == [1, 64]
    assert all(batch["onnxruntime_ms"] < batch["torch_ms"] for batch in speed["batches"])


def test_rounds_that_stay_unclear_are_all_timed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(onnx_export, "_settled", lambda seconds: False)  # as near parity: never settled
    one, other = Counted(), Counted()
    _end_to_end_speed(one, other, lambda count: list(range(count)), (1,), rounds=5)
    assert one.calls == other.calls == 6
