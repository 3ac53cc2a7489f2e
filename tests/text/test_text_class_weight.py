"""``fit_texts(..., class_weight="balanced")``: a text classifier weighs each class by the inverse of its share of
the training texts, as ``fit_table`` does. ``fit --class-weight balanced`` on SST-2 phrases was refused ("not used
by a text classifier"), and an imbalanced text task (toxicity, intent) had no way to weigh its rare class.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.utils.class_weight import compute_class_weight

from trainwell.core.errors import ConfigError
from trainwell.losses.class_weights import BalancedCrossEntropy, balanced_weights
from trainwell.text import fit_texts


def _imbalanced(n_rows: int = 300, seed: int = 0) -> pd.DataFrame:
    """10% 'toxic' texts, which hold 'bad' three times in four; 'bad' also in a tenth of the others."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n_rows):
        toxic = rng.random() < 0.1
        words = list(rng.choice([f"w{i}" for i in range(30)], 6))
        if rng.random() < (0.75 if toxic else 0.1):
            words.append("bad")
        rows.append({"text": " ".join(words), "label": "toxic" if toxic else "ok"})
    return pd.DataFrame(rows)


def test_balanced_weights_are_scikit_learns() -> None:
    targets = torch.tensor([0, 0, 0, 1, 2, 2])
    expected = compute_class_weight("balanced", classes=np.arange(3), y=targets.numpy())
    assert torch.allclose(balanced_weights(targets, 3), torch.tensor(expected, dtype=torch.float32))


def test_a_balanced_text_fit_weighs_the_rare_class_and_leans_towards_it() -> None:
    frame = _imbalanced()
    options = {"epochs": 4, "progress": False, "seed": 0, "lr": 0.05}
    plain = fit_texts(frame, "label", **options)
    weighted = fit_texts(frame, "label", class_weight="balanced", **options)
    loss = weighted.learn.loss_func
    assert isinstance(loss, BalancedCrossEntropy) and loss.binary
    targets = weighted.data.train.targets  # type: ignore[union-attr]
    share = float(targets.float().mean())  # the positive class's share of the training texts
    positive = weighted.data.task.classes[1]
    assert positive == "toxic" and 0.03 < share < 0.2
    expected = torch.tensor([1 / (2 * (1 - share)), 1 / (2 * share)])
    assert torch.allclose(loss.weights, expected, rtol=1e-4)
    assert not isinstance(plain.learn.loss_func, BalancedCrossEntropy)
    # Weighted, the rare class's probabilities rise: the mean over the validation texts moves towards it.
    plain_p = plain.learn.get_preds()[0].float().mean()
    weighted_p = weighted.learn.get_preds()[0].float().mean()
    assert weighted_p > plain_p + 0.05, (float(plain_p), float(weighted_p))


def test_class_weight_is_refused_where_it_cannot_apply() -> None:
    with pytest.raises(
        ConfigError, match=r"class_weight 'even' is not known: class_weight='balanced' weighs"
    ):
        fit_texts(_imbalanced(40), "label", class_weight="even", progress=False)
    tags = pd.DataFrame({"text": [f"w{i} w{i + 1}" for i in range(40)], "tags": ["a;b", "a", "b", ""] * 10})
    with pytest.raises(ConfigError, match=r"holds several labels a row: drop class_weight"):
        fit_texts(tags, "tags", label_delim=";", class_weight="balanced", progress=False)
