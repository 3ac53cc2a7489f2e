"""WeightAverage: the EMA, the uniform average and Lookahead, checked against their definitions step by step."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from callbacks_helpers import linear_learner, weights_of
from torch.nn import functional as F

from trainwell.callbacks import Checkpoint, WeightAverage
from trainwell.core.errors import ConfigError
from trainwell.learner.events import Callback


class StepWeights(Callback):
    """The weights after every optimizer step (ordered after WeightAverage, so Lookahead's pull is included)."""

    order = 30

    def __init__(self) -> None:
        self.steps: list[dict[str, torch.Tensor]] = []

    def after_step(self, learn) -> None:
        self.steps.append(weights_of(learn.model))


def _valid_loss(model: torch.nn.Module, learn) -> float:
    x, y = learn.data.valid.tensors  # type: ignore[union-attr]
    with torch.no_grad():
        return float(F.mse_loss(model(x).squeeze(-1), y.float()))


def test_ema_follows_its_definition_and_validation_measures_it() -> None:
    learn, steps = linear_learner(), StepWeights()
    learn.fit(3, callbacks=[WeightAverage("ema", decay=0.9), steps])
    expected = dict(steps.steps[0])
    for n, weights in enumerate(steps.steps[1:], start=1):
        share = 1 - min(0.9, (1 + n) / (10 + n))
        expected = {key: value + share * (weights[key] - value) for key, value in expected.items()}
    for key, value in weights_of(learn.model).items():  # the model ends with the average
        assert torch.allclose(value, expected[key], atol=1e-6), key
    assert learn.history[-1]["valid_loss"] == pytest.approx(_valid_loss(learn.model, learn), rel=1e-5)


def test_averaging_leaves_the_trained_trajectory_untouched() -> None:
    plain = linear_learner()
    plain.fit(3)
    averaged = linear_learner()
    averaged.fit(3, callbacks=[WeightAverage("ema", decay=0.9, keep=False)])
    for key, value in weights_of(plain.model).items():
        assert torch.equal(weights_of(averaged.model)[key], value), key
    assert averaged.history[-1]["valid_loss"] != plain.history[-1]["valid_loss"]  # validated on the average


def test_averages_side_by_side_validate_the_trained_weights() -> None:
    plain = linear_learner()
    plain.fit(3)
    learn = linear_learner()
    ema, uniform = (
        WeightAverage(keep=False, validate=False),
        WeightAverage("uniform", keep=False, validate=False),
    )
    learn.fit(3, callbacks=[ema, uniform])
    assert [row["valid_loss"] for row in learn.history] == [row["valid_loss"] for row in plain.history]
    trained = _valid_loss(learn.model, learn)
    uniform.apply_to(learn.model)
    assert _valid_loss(learn.model, learn) != trained
    with pytest.raises(ConfigError, match="no average yet"):
        WeightAverage().apply_to(learn.model)


def test_uniform_average_is_the_mean_of_the_second_half() -> None:
    learn, steps = linear_learner(), StepWeights()
    learn.fit(4, callbacks=[WeightAverage("uniform", start=0.5), steps])
    n_steps = len(steps.steps)
    second_half = steps.steps[n_steps // 2 :]
    for key, value in weights_of(learn.model).items():
        mean = torch.stack([weights[key] for weights in second_half]).mean(0)
        assert torch.allclose(value, mean, atol=1e-6), key


def test_lookahead_pulls_the_network_back_to_the_average_every_k_steps() -> None:
    learn, steps = linear_learner(), StepWeights()
    average = WeightAverage("ema", decay=0.5, every=2, reset=True, warmup="cubic")
    learn.fit(2, callbacks=[average, steps])
    assert average.n_averaged == len(steps.steps) // 2
    plain = linear_learner()
    plain.fit(2)
    assert not torch.equal(plain.model.weight, learn.model.weight)  # the slow weights changed the path
    # After an update the network is the average; in between it moves on its own.
    second, third = steps.steps[1], steps.steps[2]
    assert not torch.equal(second["weight"], third["weight"])


def test_a_resumed_fit_continues_the_average_exactly(tmp_path: Path) -> None:
    class Interrupt(Callback):
        order = 100  # after Checkpoint

        def after_epoch(self, learn) -> None:
            if learn.epoch == 1:
                raise KeyboardInterrupt

    reference = linear_learner()
    reference.fit(4, callbacks=[WeightAverage("ema", decay=0.95)])
    learn = linear_learner(path=tmp_path)
    with pytest.raises(KeyboardInterrupt):
        learn.fit(4, callbacks=[WeightAverage("ema", decay=0.95), Checkpoint(), Interrupt()])
    resumed = linear_learner(path=tmp_path)
    average = WeightAverage("ema", decay=0.95)
    resumed.fit(4, callbacks=[average], resume_from=tmp_path / "checkpoint.pt")
    for key, value in weights_of(reference.model).items():
        assert torch.equal(weights_of(resumed.model)[key], value), key
    assert [row["valid_loss"] for row in resumed.history] == [row["valid_loss"] for row in reference.history]


def test_bad_settings_are_one_line_errors() -> None:
    with pytest.raises(ConfigError, match="kind"):
        WeightAverage("swa")
    with pytest.raises(ConfigError, match="decay must be between 0 and 1"):
        WeightAverage(decay=1.0)
    with pytest.raises(ConfigError, match="start is a fraction"):
        WeightAverage("uniform", start=1.5)
    with pytest.raises(ConfigError, match="every"):
        WeightAverage(every=0)
