"""``MultiLabelInterpretation.top_losses``: the rows with the highest summed binary cross-entropy, as the
classification and regression interpretations have it, with each row's true and predicted label sets."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from trainwell.core.errors import ConfigError
from trainwell.core.seeding import seed_everything
from trainwell.data import tensor_data
from trainwell.interpret import MultiLabelInterpretation
from trainwell.learner import Learner


def test_multilabel_top_losses_rank_rows_by_summed_bce_with_their_label_sets() -> None:
    seed_everything(0)
    x = torch.randn(100, 3, generator=torch.Generator().manual_seed(1))
    labels = [[name for name, on in zip("abc", row, strict=True) if on] for row in (x > 0.2).tolist()]
    data = tensor_data(x, labels, valid_pct=0.4, batch_size=16, seed=0)
    learn = Learner(nn.Linear(3, 3), data, progress=False)
    interp = MultiLabelInterpretation.from_learner(learn)
    probabilities, target = learn.get_preds()
    assert target is not None
    expected = F.binary_cross_entropy(probabilities, target.float(), reduction="none").sum(1).numpy()
    top = interp.top_losses(5)
    assert list(top.columns[:5]) == ["loss", "actual", "predicted", "missed", "added"]
    order = np.argsort(-expected, kind="stable")[:5]
    np.testing.assert_allclose(top["loss"].to_numpy(), expected[order], rtol=1e-4)
    classes = list(learn.task.classes)
    decided = (probabilities >= 0.5).numpy()
    for (_, row), i in zip(top.iterrows(), order, strict=True):
        assert row["actual"] == [classes[j] for j in np.flatnonzero(target[i].numpy() > 0.5)]
        assert row["predicted"] == [classes[j] for j in np.flatnonzero(decided[i])]
        assert set(row["missed"]) == set(row["actual"]) - set(row["predicted"])
        assert set(row["added"]) == set(row["predicted"]) - set(row["actual"])
    # named as the classification interpretation names rows of tensors: their positions in x
    assert top.index.name == "row" and set(top.index) <= set(data.valid_index.tolist())
    with pytest.raises(ConfigError, match="k must be a positive integer"):
        interp.top_losses(0)
