"""A table's MLP that loads its best epoch's weights back keeps that epoch's validation predictions: the results
after the fit read them instead of scoring the validation rows once more (a tune trial read its 100 validation
rows an extra time for each trial whose best epoch was not its last)."""

from __future__ import annotations

import numpy as np
import torch
from test_tables_best_epoch import OVERFIT, losses, noisy_table

import trainwell
from forward_counts import rows_read_in_eval_mode
from trainwell.learner.kept_predictions import kept_validation_predictions


def test_the_results_read_the_kept_epochs_own_pass_and_it_matches_the_weights() -> None:
    with rows_read_in_eval_mode() as rows:
        run = trainwell.fit_table(noisy_table(), "y", progress=False, **OVERFIT)  # type: ignore[arg-type]
    seen = losses(run.learn.history)
    assert (
        int(np.argmin(seen)) < len(seen) - 1
    )  # the best epoch's weights were loaded back: the test can tell
    n_valid = run.data.valid.n_rows  # type: ignore[union-attr]
    # One pass an epoch, none after the fit (before: one more, the kept epoch's rows scored again)
    assert max(rows.values()) == len(seen) * n_valid, (dict(rows), len(seen), n_valid)
    kept = kept_validation_predictions(run.learn)
    assert kept is not None
    fresh, targets = run.learn.get_preds()
    torch.testing.assert_close(kept[0], fresh)  # the kept epoch's pass is what its weights compute now
    torch.testing.assert_close(kept[1], targets)
