"""A one-call pipeline under ``time_budget=`` keeps the predictions of a validation pass the budget cut to its
first batches, as ``trainwell fit --time`` does: what is scored after the fit (the label thresholds, the caller's
``validation_predictions``) reads those rows, and one warning says how many, instead of a pass over the whole
validation set past the budget (CoNLL-2003: 2m 18s past a budget of 1m).

The budget's clock moves one second each time it is read (``SteppingClock``): no time is asserted.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from clock_support import SteppingClock
from forward_counts import rows_read_in_eval_mode
from trainwell.callbacks.budget import TimeBudget
from trainwell.learner.kept_predictions import (
    KeepCappedValidation,
    keep_capped_validation,
    validation_predictions,
)
from trainwell.tabular import fit_table


def _table(n_rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x1, x2 = rng.normal(size=n_rows), rng.uniform(0, 10, size=n_rows)
    return pd.DataFrame({"x1": x1, "x2": x2, "y": np.where(1.5 * x1 - 0.4 * (x2 - 5) > 0.5, "yes", "no")})


def test_fit_table_scores_results_on_the_rows_a_capped_pass_read() -> None:
    budget = TimeBudget("40s", clock=SteppingClock())
    with warnings.catch_warnings(record=True) as caught, rows_read_in_eval_mode() as rows:
        warnings.simplefilter("always")
        run = fit_table(_table(12_000), "y", arch="mlp", lr=0.01, epochs=2, valid_pct=0.9, batch_size=128,
                        time_budget=budget, progress=False)  # fmt: skip
        read_in_fit = max(rows.values())
        preds, targets = validation_predictions(run.learn)
        after = max(rows.values())
    assert budget.valid_batches is not None  # the budget cut the passes
    said = [str(w.message) for w in caught if "validation results: scored on the first" in str(w.message)]
    assert len(said) == 1, [str(w.message) for w in caught]
    total = run.data.valid.n_rows  # type: ignore[union-attr]
    assert f"of the {total:,} validation rows, those each pass read within time_budget" in said[0]
    first = int(said[0].split("first ")[1].split(" of")[0].replace(",", ""))
    assert 0 < first < total
    # The results read the capped pass's rows, the same ones as the history's scores: nothing scored again.
    assert len(preds) == len(targets) == first
    assert after == read_in_fit


def test_a_fold_of_an_evaluation_and_the_command_keep_no_capped_predictions_of_their_own() -> None:
    # A fold under budget_each_call is scored on all its held-out rows; fit --time adds its own keeper.
    budget = TimeBudget("40s")
    assert keep_capped_validation(None, budget, []) is None
    assert keep_capped_validation("40s", budget, [KeepCappedValidation()]) is None
    assert isinstance(keep_capped_validation("40s", budget, []), KeepCappedValidation)
    assert keep_capped_validation(None, None, []) is None


if __name__ == "__main__":  # pragma: no cover
    pytest.main([__file__])
