"""``trainwell predict MODEL rows.csv --threshold 0.3``: a binary model decides at the threshold given for this
call (its model directory untouched); anything but a binary model, or a threshold outside (0, 1), is refused in
one line with exit code 2 before the model is loaded."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_support import count_table, run_cli

from trainwell.tabular.pipeline import fit_table


def _predictions(*args: str | Path) -> pd.DataFrame:
    result = run_cli("predict", *args)
    assert result.returncode == 0, result.explain()
    return pd.read_csv(io.StringIO(result.stdout))


def test_a_threshold_given_decides_this_call_only(model_dir: Path, binary_csv: Path) -> None:
    metadata = json.loads((model_dir / "trainwell.json").read_text())
    plain = _predictions(model_dir, binary_csv)
    low = _predictions(model_dir, binary_csv, "--threshold", "0.2")
    high = _predictions(model_dir, binary_csv, "--threshold", "0.8")
    assert np.allclose(plain["probability_yes"], low["probability_yes"])
    for table, cut in ((plain, 0.5), (low, 0.2), (high, 0.8)):
        expected = np.where(table["probability_yes"] >= cut, "yes", "no")  # to the CSV's printed digits
        clear = (table["probability_yes"] - cut).abs() > 1e-6
        assert (table["prediction"][clear] == expected[clear]).all()
    assert (
        (high["prediction"] == "yes").sum()
        < (plain["prediction"] == "yes").sum()
        < (low["prediction"] == "yes").sum()
    )
    assert json.loads((model_dir / "trainwell.json").read_text()) == metadata  # the model's own: untouched


def test_a_threshold_outside_zero_and_one_is_refused(model_dir: Path, binary_csv: Path) -> None:
    refused = run_cli("predict", model_dir, binary_csv, "--threshold", "1.5")
    assert refused.returncode == 2, refused.explain()
    assert refused.stderr_lines == [
        "error: --threshold 1.5: a threshold must lie strictly between 0 and 1 (a row is called positive where "
        "its probability reaches it), e.g. --threshold 0.3"
    ]


@pytest.fixture(scope="module")
def multiclass_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("multiclass")
    rows = folder / "counts.csv"
    count_table().drop(columns="ticket").to_csv(rows, index=False)
    fit_table(rows, "k", arch="gbdt", out=folder / "model", progress=False)
    return folder / "model", rows


def test_a_model_that_is_not_binary_is_refused(multiclass_model: tuple[Path, Path]) -> None:
    model, rows = multiclass_model
    refused = run_cli("predict", model, rows, "--threshold", "0.3")
    assert refused.returncode == 2, refused.explain()
    assert refused.stderr_lines == [
        "error: --threshold is the decision threshold of a binary classifier; this model is multiclass; drop "
        "--threshold"
    ]
