"""The learning-rate finder: sweep shape, divergence stop, restoration, suggestion, NaN robustness."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import pytest
import torch
from torch import nn

from clock_support import FakeClock
from trainwell.core.errors import ConfigError
from trainwell.data import tensor_data
from trainwell.learner import Callback, Learner
from trainwell.learner.lr_find import MIN_POINTS, TIMED_POINTS, LRFinder, SweptTrainedModel, suggest
from trainwell.tabular.pipeline import DEFAULT_LR, choose_lr


def _learner(seed: int = 0) -> Learner:
    torch.manual_seed(seed)
    x = torch.randn(512, 4)
    y = (x[:, 0] - x[:, 1] > 0).long().numpy()
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, 1))
    return Learner(model, tensor_data(x, y, batch_size=16, seed=seed), progress=False)


def test_sweep_is_exponential_and_stops_on_divergence() -> None:
    learn = _learner()
    result = learn.lr_find(start_lr=1e-6, end_lr=1e3, num_it=100)
    ratios = [b / a for a, b in zip(result.lrs, result.lrs[1:], strict=False)]
    assert all(math.isclose(r, ratios[0], rel_tol=1e-9) for r in ratios)  # geometric steps
    assert math.isclose(result.lrs[0], 1e-6)
    # An lr of 1e3 wrecks this model: the sweep stops before the end once the loss has blown up.
    assert len(result.lrs) < 100
    finite = [loss for loss in result.losses if math.isfinite(loss)]
    assert finite[-1] > 4 * min(finite) or not math.isfinite(result.losses[-1])


def test_weights_optimizer_rng_and_history_are_restored() -> None:
    learn = _learner()
    learn.fit(1, lr=1e-3)
    before = {k: v.clone() for k, v in learn.model.state_dict().items()}
    opt_state = learn.opt.state_dict()
    history = [dict(row) for row in learn.history]
    rng = torch.get_rng_state()
    with pytest.warns(SweptTrainedModel):  # a sweep of a trained model says what its suggestion is for
        learn.lr_find(num_it=30)
    after = learn.model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert learn.opt.state_dict()["state"].keys() == opt_state["state"].keys()
    for key, state in opt_state["state"].items():
        assert torch.equal(state["exp_avg"], learn.opt.state_dict()["state"][key]["exp_avg"])
    assert learn.history == history
    assert torch.equal(torch.get_rng_state(), rng)


def test_fit_after_lr_find_equals_fit_without_it() -> None:
    plain = _learner()
    plain.fit(2, lr=3e-3)
    swept = _learner()
    swept.lr_find(num_it=40)
    swept.fit(2, lr=3e-3)
    for key, value in plain.model.state_dict().items():
        assert torch.equal(value, swept.model.state_dict()[key]), key


def test_suggestion_sits_below_the_minimum() -> None:
    result = _learner().lr_find()
    assert result.suggestion is not None and result.minimum is not None
    assert math.isclose(result.suggestion, result.minimum / 10)
    assert 1e-5 < result.suggestion < 1.0


def test_suggest_on_a_synthetic_curve() -> None:
    lrs = [10 ** (-6 + 6 * i / 99) for i in range(100)]
    # Flat, then falling fastest around 1e-3, lowest at 1e-1, then rising.
    losses = [
        1.0 - 0.8 / (1 + math.exp(-4 * (math.log10(lr) + 3))) + max(0.0, math.log10(lr) + 1) ** 2
        for lr in lrs
    ]
    suggestion, steepest, minimum = suggest(lrs, losses)
    assert minimum is not None and 0.05 < minimum < 0.2
    assert steepest is not None and 3e-4 < steepest < 3e-3
    assert suggestion == pytest.approx(minimum / 10)


def test_an_easy_first_batch_does_not_make_the_minimum() -> None:
    # The house-prices sweep that suggested 1.5e-8: a dip among the first points, the real minimum near 1e-1.
    lrs = [10 ** (-7 + 7 * i / 99) for i in range(100)]
    losses = [1.2 - 0.2 * (1 - (math.log10(lr) + 1) ** 2 / 36) for lr in lrs]
    losses[2] = 0.5  # one easy batch while the average is still young
    suggestion, _, minimum = suggest(lrs, losses)
    assert minimum is not None and 0.03 < minimum < 0.3
    assert suggestion == pytest.approx(minimum / 10)


def test_nan_from_the_start_gives_no_suggestion() -> None:
    class Poison(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.linear = nn.Linear(4, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.linear(x) * float("nan")

    x = torch.randn(64, 4)
    learn = Learner(Poison(), tensor_data(x, (x[:, 0] > 0).long().numpy()), progress=False)
    result = learn.lr_find(num_it=20)
    assert result.suggestion is None
    assert len(result.lrs) == 1 and math.isnan(result.raw_losses[0])


def test_bad_arguments() -> None:
    learn = _learner()
    with pytest.raises(ConfigError, match="start_lr < end_lr"):
        learn.lr_find(start_lr=1.0, end_lr=0.1)
    with pytest.raises(ConfigError, match="num_it >= 5"):
        learn.lr_find(num_it=2)


def test_plot_writes_a_png(tmp_path) -> None:
    result = _learner().lr_find(num_it=30)
    path = result.plot(tmp_path / "lr.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


class _SecondPerBatch(Callback):
    order = 100

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock

    def after_batch(self, learn: Learner) -> None:
        self.clock.now += 1.0


def _timed_sweep(time_limit: float | None) -> LRFinder:
    learn, clock = _learner(), FakeClock(0.0)
    finder = LRFinder(1e-7, 10.0, 100, stop_div=False, time_limit=time_limit, clock=clock)
    learn.fit(4, callbacks=[finder, _SecondPerBatch(clock)])  # 32 batches an epoch: up to 128 batches
    return finder


def test_a_time_limit_takes_fewer_larger_steps_over_the_same_range() -> None:
    finder = _timed_sweep(60)  # 60 one-second batches fit: 60 points instead of 100
    assert len(finder.lrs) == 60 and not finder.stopped_for_time
    assert math.isclose(finder.lrs[0], 1e-7) and math.isclose(finder.lrs[-1], 10.0, rel_tol=1e-6)
    ratios = [b / a for a, b in zip(finder.lrs, finder.lrs[1:], strict=False)]
    first, later = ratios[: 1 + TIMED_POINTS], ratios[1 + TIMED_POINTS :]
    assert all(math.isclose(r, first[0], rel_tol=1e-9) for r in first)  # the usual steps while timing
    assert all(math.isclose(r, later[0], rel_tol=1e-9) for r in later) and later[0] > first[0]


def test_a_time_limit_too_short_for_a_readable_curve_stops_the_sweep(tmp_path: Path) -> None:
    finder = _timed_sweep(MIN_POINTS - 1)  # a coarser curve misreads the rate: stop once that is clear
    assert finder.stopped_for_time and len(finder.lrs) == 1 + TIMED_POINTS
    assert len(_timed_sweep(MIN_POINTS).lrs) == MIN_POINTS
    result = _learner().lr_find(time_limit=1e-9)
    assert result.stopped_for_time and result.suggestion is None
    assert len(result.lrs) == len(result.losses) == len(result.raw_losses)
    assert result.plot(tmp_path / "lr_find.png").stat().st_size > 0  # the short curve is drawn
    with pytest.warns(
        UserWarning, match=r"what the training plainly leaves\), so it stopped; training at the"
    ):
        assert choose_lr(result) == DEFAULT_LR


def test_a_generous_time_limit_changes_nothing() -> None:
    generous = _timed_sweep(1000)
    assert len(generous.lrs) == 100 and generous.lrs == _timed_sweep(None).lrs


def test_a_time_limit_of_zero_is_refused() -> None:
    with pytest.raises(ConfigError, match="time_limit above 0"):
        _learner().lr_find(time_limit=0)


def _keep_lr_figures(monkeypatch: pytest.MonkeyPatch) -> list:  # type: ignore[type-arg]
    from trainwell.learner import plots

    drawn: list = []  # type: ignore[type-arg]
    save = plots._save
    monkeypatch.setattr(plots, "_save", lambda figure, path: (drawn.append(figure), save(figure, path))[1])
    return drawn


def test_the_plot_marks_the_rate_a_fit_trained_at_and_keeps_the_blow_up_off_the_curve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A table's fit clips the suggestion to 1e-2, yet lr_find.png said only "suggestion 3.5e-02"; and the loss
    # at the largest rates (1000x the start) flattened the part of the curve that chose the rate.
    from trainwell.learner.lr_find import LRFindResult

    drawn = _keep_lr_figures(monkeypatch)
    lrs = [10 ** (-7 + 7 * i / 99) for i in range(100)]
    losses = [2.0 - i / 100 for i in range(90)] + [1.1 * 3**k for k in range(10)]
    result = LRFindResult(lrs, losses, suggestion=3.5e-2, steepest=1e-2)
    result.plot(tmp_path / "clipped.png", trained_at=1e-2)
    result.plot(tmp_path / "kept.png", trained_at=3.5e-2 * 0.999)
    clipped, kept = ([line.get_label() for line in figure.axes[0].lines] for figure in drawn)
    assert "trained at 1.0e-02 (capped below the suggestion)" in clipped and "suggestion 3.5e-02" in clipped
    assert "suggestion 3.5e-02, trained at" in kept and not any(label.startswith("trained") for label in kept)
    top = drawn[0].axes[0].get_ylim()[1]
    assert top < 5 < max(losses)  # the start (2.0) and the fall to 1.1 fill the panel; 21,000 leaves it


def test_a_first_point_below_the_plateau_does_not_top_the_axis_under_the_curve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tour's lr-find on CIFAR images: the first smoothed point (2.14) sat under the plateau at ln 10 (2.30), the
    axis was topped at 2.245 from it, and only three points of the curve showed under the suggestion's line; the
    legend, inside the panel, covered the descent."""
    from trainwell.learner.lr_find import LRFindResult

    drawn = _keep_lr_figures(monkeypatch)
    lrs = [10 ** (-7 + 7 * i / 99) for i in range(100)]
    losses = (
        [2.14] + [2.30 - 0.002 * i for i in range(1, 60)] + [2.18 + 0.05 * (i - 60) for i in range(60, 100)]
    )
    LRFindResult(lrs, losses, suggestion=1e-3, steepest=7.6e-4).plot(tmp_path / "images.png")
    axis = drawn[0].axes[0]
    bottom, top = axis.get_ylim()
    assert (
        bottom < 2.14 and top > 2.30 and top < max(losses)
    )  # the plateau and the minimum show; the blow-up not
    drawn[0].canvas.draw()
    legend = axis.get_legend().get_window_extent()
    assert legend.y1 <= axis.get_window_extent().y0  # below the panel, over none of the curve


def test_a_fit_writes_lr_find_png_with_the_rate_it_trained_at(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import trainwell
    from trainwell.datasets import adult_sample

    drawn = _keep_lr_figures(monkeypatch)
    run = trainwell.fit_table(
        adult_sample().head(300),
        "income",
        out=tmp_path / "model",
        epochs=1,
        arch="tabular_mlp",
        progress=False,
    )
    lr_plot = next(figure for figure in drawn if figure.axes[0].get_title() == "Learning-rate finder")
    assert any(f"trained at {run.lr:.1e}" in line.get_label() for line in lr_plot.axes[0].lines) or any(
        line.get_label() == f"suggestion {run.lr:.1e}, trained at" for line in lr_plot.axes[0].lines
    )


def test_callbacks_that_judge_or_save_a_fit_sit_out_the_sweep(tmp_path: Path) -> None:
    from trainwell.callbacks import Checkpoint, CSVLogger, EarlyStopping, GradientClip, SaveBest

    plain = _learner().lr_find(num_it=60)
    learn = _learner()
    clip = GradientClip(1e6)  # shapes the steps: it runs in the sweep as in the fit
    best = SaveBest(path="best.safetensors")
    learn.callbacks.extend(
        [EarlyStopping(patience=1), CSVLogger("history.csv"), Checkpoint("ck.pt"), best, clip]
    )
    learn.path = tmp_path
    swept = learn.lr_find(num_it=60)
    # EarlyStopping cut the sweep after its first epoch (26 of 60 points): it suggested 3.5e-8 instead of 0.11.
    assert swept.lrs == plain.lrs and swept.suggestion == plain.suggestion
    assert clip.last_norm is not None
    assert sorted(path.name for path in tmp_path.iterdir()) == []  # no sweep rows, checkpoint, best weights
    learn.fit(1, lr=1e-2)
    header = (tmp_path / "history.csv").read_text().splitlines()[0]
    assert header.startswith("fit,epoch,train_loss,valid_loss,accuracy")  # the sweep's header lacked these
    assert best.best_epoch == 0 and (tmp_path / "ck.pt").is_file()


def test_a_sweep_of_a_trained_model_says_once_what_its_suggestion_is_for() -> None:
    learn = _learner()
    with warnings.catch_warnings():
        warnings.simplefilter("error", SweptTrainedModel)
        learn.lr_find(num_it=30)  # before any fit: nothing to say
    learn.fit_one_cycle(2, 1e-2)
    with pytest.warns(SweptTrainedModel) as said:
        result = learn.lr_find(num_it=30)
    assert len(said) == 1 and said[0].filename == __file__  # points at the caller's line
    message = str(said[0].message)
    assert "\n" not in message and message.startswith("lr_find ran on a model trained for 2 epochs already")
    assert f"its suggestion ({result.suggestion:.2e}) is a rate for training these weights further" in message
    assert (
        "run lr_find before fit" in message and "a tenth of the highest rate used so far (1.0e-02)" in message
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", SweptTrainedModel)
        learn.lr_find(num_it=30)  # said once per learner
