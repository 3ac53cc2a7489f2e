"""``fit --time`` whose budget ends just as an epoch's training does: the next epoch begins and is cancelled before
any batch, so the MLP loads back its best epoch's weights (the same ones). Before, that load made the results
after the fit score all 10,800 validation rows again instead of the capped pass's first 7,168 (seen in CI on a
loaded machine: 17,968 rows read in eval mode by a 1-epoch fit); the best epoch's own capped pass is kept now."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import test_cli_fit_time_limits as limits

from trainwell.callbacks.budget import TimeBudget


def test_a_budget_ending_with_an_epochs_training_scores_the_results_on_the_capped_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    planned = TimeBudget._plan

    def one_epoch(self: TimeBudget, learn: Any, now: float) -> int:
        return min(
            planned(self, learn, now), self._per_epoch
        )  # the plan ends with the first epoch's training

    monkeypatch.setattr(TimeBudget, "_plan", one_epoch)
    limits.test_results_after_a_capped_validation_are_scored_on_the_rows_it_read(tmp_path, monkeypatch)
