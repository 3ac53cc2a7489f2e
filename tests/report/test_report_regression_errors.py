"""A regression report reads in the target's units: top losses by |error|, the fitted paragraph's losses as the
command line writes them, and where the errors lie (residuals, error by range, a capped target, extrapolation)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import torch

from trainwell.data.task import Task
from trainwell.interpret.regression import RegressionInterpretation
from trainwell.report.build import _fitted_without_batches, _regression_sections, _top_losses_section

PRICE = Task("regression", (), ("price",))


def _capped_prices(n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """House prices recorded up to a cap of 500,001 (every tenth row), predicted well below the cap and a few
    predicted past it."""
    rng = np.random.default_rng(0)
    actual = rng.uniform(50_000, 450_000, n)
    actual[::10] = 500_001.0
    predicted = actual + rng.normal(0, 20_000, n)
    predicted[::10] = 250_000.0 + rng.uniform(0, 50_000, len(predicted[::10]))  # worst errors sit at the cap
    predicted[1] = 612_345.0
    return actual, predicted


def test_top_losses_show_the_absolute_error_in_the_targets_units_ordered_by_loss() -> None:
    actual = np.array([55_000.0, 182_500.0, 300_000.0])
    predicted = np.array([332_852.0, 436_080.0, 301_000.0])
    frame = pd.DataFrame({"price": actual, "rooms": [3, 4, 5]})
    html = _top_losses_section(
        PRICE, torch.tensor(predicted, dtype=torch.float32), torch.tensor(actual), frame, ["rooms"], 3
    )
    header = re.findall(r"<th>(.*?)</th>", html)
    assert header == ["row", "actual", "predicted", "|error|", "rooms"]
    cells = re.findall(r'<td class="number">(.*?)</td>', html)
    assert cells[:4] == ["1", "55,000", "332,852", "277,852"]  # largest error first, in dollars
    assert "77,201" not in html  # not the squared error (77,201,489,904 dollars²)
    assert cells.index("253,580") < cells.index("1,000")
    assert "in the target&#x27;s units" in html


def test_the_fitted_paragraph_writes_losses_as_the_command_line_does_with_their_rmse() -> None:
    metadata = {
        "architecture": {"name": "gbdt", "config": {"settings": {"n_iter": 62, "learning_rate": 0.1}}},
        "training": {
            "loss": "MSE",
            "compared": {"gbdt": {"valid_loss": 3036493905.92}, "tabular_mlp": {"valid_loss": 3447633674.0}},
        },
    }
    text = _fitted_without_batches(metadata)
    assert "3.036e9 against 3.448e9" in text  # 4 digits of a float32's 7, not 10
    assert "RMSE 55,104 against 58,717" in text
    assert "e+09" not in text


def test_the_regression_report_shows_where_the_errors_lie_and_points_out_a_capped_target() -> None:
    actual, predicted = _capped_prices()
    sections = _regression_sections(
        PRICE, torch.tensor(predicted, dtype=torch.float32), torch.tensor(actual, dtype=torch.float32)
    )
    assert len(sections) == 2
    errors = sections[1]
    assert "Where the errors lie" in errors
    assert errors.count("<img") == 2  # the residuals and the error by range
    assert 'alt="residuals against predicted"' in errors
    assert "weakest for" in errors and "400 rows" in errors
    assert "9 of the 10 largest errors sit at price&#x27;s maximum 500,001" in errors
    assert "40 of 400 rows (10.0%)" in errors and "the data caps price there" in errors
    assert "1 row predicted above any actual value here (500,001), as far as 612,345" in errors


def test_caveats_name_the_training_range_when_known_and_say_nothing_of_a_plain_target() -> None:
    actual = np.linspace(0.0, 10.0, 101)
    plain = RegressionInterpretation(PRICE, actual, actual + 0.1)
    assert plain.caveats() == [
        "1 row predicted above any actual value here (10), as far as 10.1: the model extrapolates there."
    ]
    inside = RegressionInterpretation(PRICE, actual, actual * 0.5 + 2.0)
    assert inside.caveats(trained_range=([-1.0], [20.0])) == []
    past = RegressionInterpretation(PRICE, actual, actual * 3.0)
    assert past.caveats(trained_range=([0.0], [20.0])) == [
        "34 rows predicted above any training value (20), as far as 30: the model extrapolates there."
    ]
