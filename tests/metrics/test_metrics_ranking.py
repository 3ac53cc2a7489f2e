"""AUC over many resamples of the rows from one sort (:func:`trainwell.metrics._ranking.resampled_auc`), against
the AUC of each resample's own rows, bit for bit, and scikit-learn's."""

from __future__ import annotations

import pytest
import torch
from sklearn.metrics import roc_auc_score

from trainwell.metrics import functional
from trainwell.metrics._ranking import RESAMPLED_BLOCK, resampled_auc


@pytest.mark.parametrize("rows", [4, 60, 400])
def test_the_auc_of_every_resample_is_that_of_its_rows(rows: int, monkeypatch: pytest.MonkeyPatch) -> None:
    generator = torch.Generator().manual_seed(rows)
    truth = torch.rand(rows, generator=generator) < 0.3
    scores = (torch.rand(rows, generator=generator) * 10).round() / 10  # many ties, within and across classes
    drawn = torch.randint(0, rows, (50, rows), generator=generator)  # as a bootstrap draws them
    counts = torch.zeros(50, rows).scatter_add_(1, drawn, torch.ones(50, rows))
    monkeypatch.setattr("trainwell.metrics._ranking.RESAMPLED_BLOCK", 7 * rows)  # several blocks of resamples
    fast = resampled_auc(scores, truth, counts)
    each = torch.tensor(
        [functional.roc_auc(scores[rows_], truth[rows_].float(), "binary") for rows_ in drawn],
        dtype=torch.float64,
    )
    assert torch.equal(fast.isnan(), each.isnan()) and (
        rows > 4 or bool(fast.isnan().any())
    )  # one class: nan
    assert torch.equal(fast[~fast.isnan()], each[~each.isnan()])
    kept = drawn[0]
    assert fast[0].item() == pytest.approx(
        roc_auc_score(truth[kept].numpy(), scores[kept].numpy()), abs=1e-12
    )
    assert RESAMPLED_BLOCK >= 1 << 20  # the default keeps a bootstrap of 200 x 5000 rows in one block
