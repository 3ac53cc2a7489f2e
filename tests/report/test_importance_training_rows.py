"""trainwell.permutation_importance warns when most of the rows it scores trained the model, in the words
``trainwell importance`` prints (docs/tables.md: "it warns when most of the rows did"); the Python function said
nothing, and the command still says it once."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from trainwell.cli.app import app


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Boosted trees fitted on the first 300 of 400 rows; the rows in train.csv and test.csv."""
    import trainwell

    folder = tmp_path_factory.mktemp("training_rows")
    generator = np.random.default_rng(3)
    frame = pd.DataFrame({"size": generator.uniform(20, 200, 400), "noise": generator.normal(size=400)})
    frame["big"] = np.where(frame["size"] + generator.normal(scale=20, size=400) > 110, "yes", "no")
    trainwell.fit_table(frame.head(300), "big", out=folder / "model", arch="gbdt", progress=False)
    frame.head(300).to_csv(folder / "train.csv", index=False)
    frame.tail(100).to_csv(folder / "test.csv", index=False)
    return folder


def _training_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(item.message) for item in caught if "trained the model" in str(item.message)]


def test_python_warns_on_the_rows_that_trained_the_model(fitted: Path) -> None:
    import trainwell

    rows = pd.read_csv(fitted / "train.csv")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainwell.permutation_importance(fitted / "model", rows, n_repeats=2)
    said = _training_warnings(caught)
    assert len(said) == 1, [str(item.message) for item in caught]
    # fit_table trained on 240 of the 300 rows (the others validated): "about 80% ... (240 of 300 checked)"
    assert said[0].startswith("about 80% of these rows trained the model (240 of 300 checked)"), said
    assert "pass rows it has not seen" in said[0]
    assert next(item for item in caught if "trained the model" in str(item.message)).category is UserWarning


def test_python_is_quiet_on_new_rows_and_when_asked(fitted: Path) -> None:
    import trainwell

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainwell.permutation_importance(fitted / "model", fitted / "test.csv", n_repeats=2)
        trainwell.permutation_importance(
            fitted / "model", fitted / "train.csv", n_repeats=2, warn_training_rows=False
        )
    assert _training_warnings(caught) == []


def test_the_command_says_it_once(fitted: Path) -> None:
    result = CliRunner().invoke(
        app, ["importance", str(fitted / "model"), str(fitted / "train.csv"), "--repeats", "2"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("trained the model") == 1, result.output
    assert "warning: about 80% of these rows trained the model (240 of 300 checked)" in result.output


def test_the_report_says_it_once(fitted: Path, tmp_path: Path) -> None:
    from trainwell.report.build import build_report

    # The report warns of its rows once for every section (its importances too), not a second time in other words
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        build_report(fitted / "model", pd.read_csv(fitted / "train.csv"), tmp_path / "r.html")
    assert len(_training_warnings(caught)) == 1, _training_warnings(caught)
