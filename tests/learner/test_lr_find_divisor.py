"""The suggestion's divisor: a tenth of the sweep's minimum in general, a hundredth for a bag of n-grams (its
registry entry's ``lr_find_divisor``), whose sweep bottoms out far above the rates a whole fit bears."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch
from torch import nn

from text_samples import reviews
from trainwell.core.errors import ConfigError
from trainwell.core.seeding import seed_everything
from trainwell.data import tensor_data
from trainwell.learner import Learner
from trainwell.learner.lr_find import DIVISOR, KeptSweep, LRFindResult, suggest, suggestion_divisor
from trainwell.models.registry import list_models, models
from trainwell.text.data import text_data
from trainwell.text.learner import BAG_LR, text_classifier_learner


def _curve() -> tuple[list[float], list[float]]:
    """Flat, falling fastest around 1e-3, lowest near 1e-1, then rising (as a bag's sweep, only earlier)."""
    lrs = [10 ** (-6 + 6 * i / 99) for i in range(100)]
    losses = [
        1.0 - 0.8 / (1 + math.exp(-4 * (math.log10(lr) + 3))) + max(0.0, math.log10(lr) + 1) ** 2
        for lr in lrs
    ]
    return lrs, losses


def test_the_divisor_moves_the_suggestion_alone() -> None:
    lrs, losses = _curve()
    tenth = suggest(lrs, losses)
    hundredth = suggest(lrs, losses, 100.0)
    assert tenth[2] == hundredth[2] and tenth[1] == hundredth[1]  # the same minimum and steepest point
    assert hundredth[0] == pytest.approx(tenth[2] / 100)
    assert tenth[0] == pytest.approx(tenth[2] / DIVISOR)


def test_a_divisor_below_one_is_refused() -> None:
    lrs, losses = _curve()
    with pytest.raises(ConfigError, match="divisor must be 1 or more"):
        suggest(lrs, losses, 0.5)


def _learner(name: str | None) -> Learner:
    torch.manual_seed(0)
    x = torch.randn(64, 3)
    learn = Learner(
        nn.Linear(3, 1), tensor_data(x, (x[:, 0] > 0).long().numpy(), batch_size=16), progress=False
    )
    learn.model_spec = None if name is None else {"name": name, "config": {}}
    return learn


def test_the_divisor_is_the_registry_entry_s() -> None:
    list_models()  # the builtin architectures registered, as building one by name does
    assert models.entry("ngram_bag").metadata["lr_find_divisor"] == 100.0
    assert suggestion_divisor(_learner("ngram_bag")) == 100.0
    assert suggestion_divisor(_learner("tabular_mlp")) == DIVISOR  # dense models keep Smith's tenth
    assert suggestion_divisor(_learner(None)) == DIVISOR  # a model of one's own, not by name
    assert suggestion_divisor(_learner("no_such_model")) == DIVISOR


def test_a_sweep_kept_before_the_divisor_field_loads_with_a_tenth() -> None:
    # A checkpoint's KeptSweep state written before `divisor` was a field: that sweep took a tenth.
    state = dataclasses.asdict(LRFindResult([1e-3, 1e-2], [0.7, 0.6], [0.7, 0.6], 1e-3, None, 1e-2))
    del state["divisor"]
    kept = KeptSweep()
    kept.load_checkpoint_state(state)
    assert kept.result is not None and kept.result.divisor == DIVISOR


def _bag(frame, seed: int = 0) -> Learner:  # type: ignore[no-untyped-def]
    seed_everything(seed)
    return text_classifier_learner(
        text_data(frame, "sentiment", text_col="review", seed=seed), progress=False
    )


@pytest.mark.slow
def test_a_bag_model_trains_well_at_its_suggestion() -> None:
    # Varied lengths, the sentiment word anywhere, and one label in seven flipped: a loss with a floor.
    frame = reviews(600, filler=None, shuffle=True)
    frame.loc[::7, "sentiment"] = frame.loc[::7, "sentiment"].map({"pos": "neg", "neg": "pos"})
    sweep = _bag(frame).lr_find()
    assert sweep.divisor == 100.0 and sweep.minimum is not None and sweep.suggestion is not None
    assert sweep.suggestion == pytest.approx(sweep.minimum / 100)
    # Within the decade around the rate the bag is known to train well at, not ten times above it.
    assert BAG_LR / 3 < sweep.suggestion < 10 * BAG_LR
    learn = _bag(frame)
    learn.fit_one_cycle(5, sweep.suggestion)
    assert learn.validate()["accuracy"] > 0.8  # 6/7 of the labels are right: ~0.86 is the ceiling
