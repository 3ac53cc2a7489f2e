"""fit_table keeps its last validation pass's predictions, so that the results' table after the fit does not
score the validation rows again (boosted trees on adult: 3.5 s of a busy machine's time, twice the same)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch


def _table(n_rows: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0, 10, n_rows), rng.uniform(0, 10, n_rows)
    return pd.DataFrame({"a": a, "b": b, "y": np.where((a > 6.5) ^ (b < 2.5), "yes", "no")})


@pytest.mark.parametrize("arch", ["gbdt", "mlp"])
def test_the_validation_predictions_are_kept_and_are_those_a_new_pass_makes(arch: str) -> None:
    import trainwell
    from trainwell.learner.kept_predictions import kept_validation_predictions

    run = trainwell.fit_table(_table(), "y", arch=arch, epochs=None if arch == "gbdt" else 1, progress=False)
    kept = kept_validation_predictions(run.learn)
    assert kept is not None
    predictions, targets = run.learn.get_preds()
    assert targets is not None
    assert torch.allclose(kept[0], predictions) and torch.equal(kept[1], targets)
