"""The bag of ragged texts exports as a running sum, not an ONNX loop over the texts: onnxruntime opened the
n-gram bag's graph with two CanUpdateImplicitInputNameInSubgraphs warnings, printed to whoever loaded it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from text_samples import reviews
from trainwell.export._traceable import RunningSumBag, traceable_layers
from trainwell.text import fit_texts


@pytest.mark.parametrize("mode", ["sum", "mean"])
@pytest.mark.parametrize("last", [False, True])
def test_the_running_sum_gives_the_bags_sums(mode: str, last: bool) -> None:
    torch.manual_seed(0)
    bag = nn.EmbeddingBag(50, 6, mode=mode, include_last_offset=last, padding_idx=0)
    ids = torch.randint(0, 50, (40,))
    ids[[3, 17]] = 0  # the padding row: neither summed nor counted
    starts = torch.tensor(
        [0, 5, 5, 12, 30, 40 if last else 39]
    )  # an empty bag, and a last one of one id (or none)
    offsets = starts if last else starts[:-1]
    expected = bag(ids, offsets)
    with torch.no_grad():
        found = RunningSumBag(bag)(ids, offsets)
    torch.testing.assert_close(found, expected, rtol=0, atol=1e-6)
    if mode == "sum":  # per-id weights, and bags of one length given as rows
        weights = torch.rand(40)
        plain = nn.EmbeddingBag(50, 6, mode="sum", include_last_offset=last)
        torch.testing.assert_close(
            RunningSumBag(plain)(ids, offsets, weights), plain(ids, offsets, per_sample_weights=weights)
        )
        square = ids.reshape(8, 5)
        torch.testing.assert_close(RunningSumBag(plain)(square), plain(square))


def test_the_swap_shares_the_weights_and_is_undone() -> None:
    model = nn.Sequential(nn.EmbeddingBag(10, 4), nn.Linear(4, 1))
    kept = nn.EmbeddingBag(10, 4, mode="max")  # no running form: left as it is
    model.append(kept)
    with traceable_layers(model):
        assert isinstance(model[0], RunningSumBag) and model[0].bag.weight is model[0].bag.weight
        assert model[2] is kept
    assert type(model[0]) is nn.EmbeddingBag


@pytest.mark.filterwarnings("ignore:validation accuracy")  # what it learned is not the point
def test_onnxruntime_opens_the_text_models_graph_without_a_warning(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    from trainwell.export.onnx import export_onnx

    out = tmp_path / "model"
    fit_texts(
        reviews(120, 0, positive_every=3, filler=None),
        text_col="review",
        target="sentiment",
        out=out,
        epochs=3,
        progress=False,
    )
    report = export_onnx(out)
    assert report.max_abs_diff <= 1e-4
    # onnxruntime's own logger writes to the process's standard error, at its default severity (warnings)
    opened = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, onnxruntime as ort; "
            "ort.InferenceSession(sys.argv[1], providers=['CPUExecutionProvider']); print('opened')",
            str(report.path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert opened.returncode == 0 and opened.stdout.strip() == "opened", opened.stderr
    assert "onnxruntime" not in opened.stderr, opened.stderr
