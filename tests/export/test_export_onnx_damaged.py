"""ONNX export of a model whose weights are damaged is refused, naming the weights (tour T47, finding 4: NaN
agreeing with NaN had passed the parity check as a difference of 0, recorded as checked, then served); a model
whose outputs fail for most inputs is said to have damaged weights by predict too (finding 8)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors.torch import load_file, save_file

import trainwell
from trainwell.core.errors import ArtifactError
from trainwell.data.tables import not_finite_outputs
from trainwell.export.onnx import export_onnx


def _table(n_rows: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x1, x2 = rng.normal(size=n_rows), rng.uniform(0, 10, size=n_rows)
    return pd.DataFrame({"x1": x1, "x2": x2, "y": np.where(x1 + 0.1 * x2 > 0.5, "yes", "no")})


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("models") / "binary"
    trainwell.fit_table(_table(), "y", out=out, epochs=1, lr=1e-2, progress=False)
    return out


def _with_nan_weights(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    weights = load_file(target / "model.safetensors")
    name = next(key for key, value in weights.items() if value.is_floating_point() and value.dim() == 2)
    weights[name] = torch.full_like(weights[name], float("nan"))
    save_file(weights, target / "model.safetensors", metadata={"format": "pt"})
    return target


def test_export_refuses_a_model_answering_nan_and_writes_nothing(fitted: Path, tmp_path: Path) -> None:
    broken = _with_nan_weights(fitted, tmp_path / "broken")
    before = (broken / "trainwell.json").read_bytes()
    with pytest.raises(ArtifactError) as caught:
        export_onnx(broken, inputs=_table(50).drop(columns="y"))
    assert str(caught.value).startswith(
        f"model directory '{broken}': its weights hold NaN or infinite values ("
    )
    assert re.search(
        r" \(([\d,]+) of \1 in [\w.]+\), a damaged model.safetensors or a fit that diverged; restore the model "
        r"directory or fit it again; nothing was written$",
        str(caught.value),
    ), str(caught.value)
    assert not (broken / "model.onnx").exists()
    assert (broken / "trainwell.json").read_bytes() == before  # no parity check recorded
    with pytest.raises(ArtifactError, match=r"its weights hold NaN"):  # synthetic rows too
        export_onnx(broken)
    export_onnx(fitted, inputs=_table(50).drop(columns="y"))  # healthy weights still export


def test_most_rows_failing_blames_the_weights_a_few_the_rows() -> None:
    most = not_finite_outputs(list(range(299)), 300)
    assert most.startswith(
        "the model's output is not a finite number for data rows 1, 2, 3, 4, 5, ... (299 of 300"
    )
    assert "the weights are likely damaged (a corrupted model.safetensors" in most
    assert "far outside the training data" not in most
    few = not_finite_outputs([3, 7], 300)
    assert few == (
        "the model's output is not a finite number for data rows 4, 8 (2 of 300 rows): an input is far outside "
        "the training data; check the values of those rows"
    )
    assert "far outside" in not_finite_outputs([0], 2)  # 1 of 2: no majority to speak of
