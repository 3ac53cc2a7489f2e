"""EarlyStopping and SaveBest: stopping after `patience` flat epochs, restoring the best epoch's weights."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch
from callbacks_helpers import linear_learner, regression_data, weights_of
from safetensors.torch import load_file

from trainwell.callbacks import Checkpoint, EarlyStopping, SaveBest
from trainwell.core.errors import ConfigError
from trainwell.data import tensor_data
from trainwell.learner import Callback, Learner


class Scripted(Callback):
    """Replaces the monitored column of each new history row with a scripted value (runs after the Recorder)."""

    order = 0

    def __init__(self, column: str, values: list[float]) -> None:
        self.column, self.values = column, values

    def after_epoch(self, learn) -> None:
        learn.history[-1][self.column] = self.values[learn.epoch]


class WeightsPerEpoch(Callback):
    order = 50

    def __init__(self) -> None:
        self.weights: list[dict[str, torch.Tensor]] = []

    def after_epoch(self, learn) -> None:
        self.weights.append(weights_of(learn.model))


def test_stops_after_patience_epochs_without_improvement() -> None:
    values = [5.0, 4.0, 4.5, 4.2, 4.1, 1.0, 1.0, 1.0]
    stop = EarlyStopping(patience=3)
    learn = linear_learner()
    learn.fit(8, callbacks=[Scripted("valid_loss", values), stop])
    assert [row["epoch"] for row in learn.history] == [1, 2, 3, 4, 5]  # epochs 3, 4, 5 did not beat 4.0
    assert stop.stopped_epoch == 4 and stop.best_epoch == 1 and stop.best_value == 4.0


@pytest.mark.parametrize("patience", [0, 1])
def test_patience_0_stops_at_the_first_epoch_without_improvement_as_keras_does(patience: int) -> None:
    # Keras and Lightning take patience=0 (stop at the first epoch that does not improve); it was refused here
    # with "must be a whole number >= 1". An epoch without improvement counts one, so 0 stops where 1 does.
    values = [5.0, 4.0, 3.0, 3.5, 2.0, 1.0]
    stop = EarlyStopping(patience=patience)
    learn = linear_learner()
    learn.fit(6, callbacks=[Scripted("valid_loss", values), stop])
    # Epoch 4 (3.5) is the first not to improve.
    assert [row["epoch"] for row in learn.history] == [1, 2, 3, 4]
    assert stop.stopped_epoch == 3 and stop.best_epoch == 2 and stop.best_value == 3.0


def test_patience_0_never_stops_a_fit_that_improves_every_epoch() -> None:
    # Keras 2.2 stopped with patience=0 on an improving epoch too (its wait was checked after being reset).
    stop = EarlyStopping(patience=0)
    learn = linear_learner()
    learn.fit(4, callbacks=[Scripted("valid_loss", [4.0, 3.0, 2.0, 1.0]), stop])
    assert len(learn.history) == 4 and stop.stopped_epoch is None and stop.best_epoch == 3


def test_min_delta_and_an_improvement_resetting_the_wait() -> None:
    values = [5.0, 4.9, 4.8, 4.0, 3.95, 3.9, 3.85, 3.8]  # only the drop to 4.0 beats min_delta=0.5
    stop = EarlyStopping(patience=3, min_delta=0.5)
    learn = linear_learner()
    learn.fit(8, callbacks=[Scripted("valid_loss", values), stop])
    assert len(learn.history) == 7 and stop.best_epoch == 3
    never = EarlyStopping(patience=3)  # without min_delta every epoch improves
    learn.fit(8, callbacks=[Scripted("valid_loss", values), never])
    assert never.stopped_epoch is None and learn.history[-1]["fit"] == 2 and learn.history[-1]["epoch"] == 15


def classification_learner() -> Learner:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(60, 2, generator=generator)
    labels = np.where((x[:, 0] > 0).numpy(), "yes", "no")
    data = tensor_data(x, labels, valid_pct=0.25, batch_size=16)
    torch.manual_seed(0)
    return Learner(
        torch.nn.Linear(2, 1), data, metrics=["accuracy", "log_loss"], progress=False, device="cpu"
    )


@pytest.mark.parametrize(
    ("monitor", "higher"), [("accuracy", True), ("log_loss", False), ("valid_loss", False)]
)
def test_auto_mode_follows_the_metric(monitor: str, higher: bool) -> None:
    rising = [0.1 * epoch for epoch in range(6)]
    stop = EarlyStopping(monitor, patience=2)
    learn = classification_learner()
    learn.fit(6, callbacks=[Scripted(monitor, rising), stop])
    assert stop.higher_is_better is higher
    assert len(learn.history) == (6 if higher else 3)  # rising is good only for accuracy


def test_explicit_mode_overrides_auto() -> None:
    stop = EarlyStopping("valid_loss", mode="max", patience=1)
    learn = linear_learner()
    learn.fit(4, callbacks=[Scripted("valid_loss", [1.0, 2.0, 3.0, 4.0]), stop])
    assert stop.stopped_epoch is None and stop.best_epoch == 3


def test_unknown_monitor_lists_the_columns_before_training() -> None:
    learn = linear_learner()
    message = (
        "EarlyStopping monitor 'accuracy' is not a column of learn.history; columns to monitor are: "
        "train_loss, valid_loss, rmse, mae, r2. Pass monitor=NAME."
    )
    with pytest.raises(ConfigError, match=re.escape(message)):
        learn.fit(2, callbacks=[EarlyStopping("accuracy")])
    assert learn.history == []  # refused in before_fit: no epoch ran


def test_valid_loss_without_a_validation_set_is_refused() -> None:
    learn = linear_learner(regression_data(valid_pct=0))
    with pytest.raises(
        ConfigError, match=r"\(this data has no validation set\); columns to monitor are: train_loss\."
    ):
        learn.fit(1, callbacks=[SaveBest()])
    learn.fit(1, callbacks=[SaveBest("train_loss")])  # the training loss can be monitored


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"patience": -1},
            "EarlyStopping patience must be a whole number >= 0 (epochs without improvement before stopping; 0 "
            "and 1 both stop after the first), got -1",
        ),
        ({"patience": 1.5}, "EarlyStopping patience must be a whole number >= 0"),
        ({"patience": True}, "EarlyStopping patience must be a whole number >= 0"),
        ({"mode": "lowest"}, "EarlyStopping mode must be one of 'auto', 'min', 'max', got 'lowest'"),
        ({"min_delta": -0.1}, "EarlyStopping min_delta must be a finite number >= 0, got -0.1"),
        ({"monitor": ""}, "EarlyStopping monitor must be a history column name, got ''"),
    ],
)
def test_early_stopping_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        EarlyStopping(**kwargs)


def test_save_best_restores_the_best_epoch_and_writes_it(tmp_path: Path) -> None:
    values = [3.0, 1.0, 2.0, 4.0]
    best = SaveBest(path="best/model.safetensors")
    per_epoch = WeightsPerEpoch()
    learn = linear_learner(path=tmp_path)
    learn.fit(4, callbacks=[Scripted("valid_loss", values), best, per_epoch])
    assert best.best_epoch == 1 and best.best_value == 1.0
    assert not torch.equal(per_epoch.weights[1]["weight"], per_epoch.weights[3]["weight"])
    for key, value in weights_of(learn.model).items():
        assert torch.equal(value, per_epoch.weights[1][key])
    saved = load_file(tmp_path / "best" / "model.safetensors")
    assert saved.keys() == per_epoch.weights[1].keys()
    for key, value in saved.items():
        assert torch.equal(value, per_epoch.weights[1][key])
    assert [p.name for p in (tmp_path / "best").iterdir()] == ["model.safetensors"]  # no temp file left
    assert learn.final_row is learn.history[1]  # what the model now is: reported as such


def test_an_export_after_a_restore_reports_the_restored_epoch(tmp_path: Path) -> None:
    import json

    import pandas as pd

    from trainwell.tabular import tabular_data, tabular_learner

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=200), "c": rng.choice(list("abc"), 200)})
    frame["y"] = 2 * frame["x"] + rng.normal(size=200) * 0.1
    learn = tabular_learner(tabular_data(frame, "y"), progress=False)
    learn.fit(4, 0.01, callbacks=[Scripted("valid_loss", [3.0, 1.0, 2.0, 4.0]), SaveBest()])
    training = json.loads((learn.export(tmp_path / "m") / "trainwell.json").read_text())["training"]
    assert training["final"]["valid_loss"] == 1.0 and training["final"]["epoch"] == 2  # counted from 1
    assert training["weights_from_epoch"] == 2 and training["epochs"] == 4
    learn.fit(1, 0.01)  # a later fit's weights are its own last epoch's again
    assert learn.final_row is learn.history[-1]
    training = json.loads((learn.export(tmp_path / "m") / "trainwell.json").read_text())["training"]
    assert "weights_from_epoch" not in training


def test_save_best_without_restore_keeps_the_last_weights() -> None:
    best = SaveBest(restore=False)
    per_epoch = WeightsPerEpoch()
    learn = linear_learner()
    learn.fit(3, callbacks=[Scripted("valid_loss", [1.0, 2.0, 3.0]), best, per_epoch])
    assert best.best_epoch == 0
    assert torch.equal(learn.model.weight, per_epoch.weights[2]["weight"])
    assert torch.equal(best.best_state["weight"], per_epoch.weights[0]["weight"])
    assert learn.final_row is learn.history[-1]


def test_save_best_also_restores_after_an_early_stop() -> None:
    values = [3.0, 1.0, 2.0, 2.0, 0.5]
    best, per_epoch = SaveBest(), WeightsPerEpoch()
    learn = linear_learner()
    learn.fit(5, callbacks=[Scripted("valid_loss", values), best, EarlyStopping(patience=2), per_epoch])
    assert len(learn.history) == 4 and best.best_epoch == 1
    assert torch.equal(learn.model.weight, per_epoch.weights[1]["weight"])


def test_the_stop_and_the_restored_epoch_are_said_under_the_rows(capsys: pytest.CaptureFixture[str]) -> None:
    # A tour: an early stop printed nothing, and the rows ended as if the schedule had been cut for no reason.
    values = [3.0, 1.0, 2.0, 2.0, 0.5]
    learn = linear_learner(progress=True)
    learn.fit(5, callbacks=[Scripted("valid_loss", values), SaveBest(), EarlyStopping(patience=2)])
    said = capsys.readouterr().err
    assert (
        "EarlyStopping: valid_loss has not improved on 1 (epoch 2) for 2 epochs: stopping after epoch 4"
        in said
    )
    assert "SaveBest: the model holds epoch 2's weights, its best valid_loss (1)" in said
    quiet = linear_learner()  # progress=False: nothing printed
    quiet.fit(5, callbacks=[Scripted("valid_loss", values), EarlyStopping(patience=2)])
    assert capsys.readouterr().err == ""


class Interrupt(Callback):
    order = 100  # after Checkpoint (85) and EarlyStopping (90)

    def after_epoch(self, learn) -> None:
        if learn.epoch == 2:
            raise KeyboardInterrupt


def test_early_stopping_replays_the_history_of_a_resumed_fit(tmp_path: Path) -> None:
    values = [5.0, 4.0, 4.5, 4.2, 4.1, 1.0]
    learn = linear_learner(path=tmp_path)
    with pytest.raises(KeyboardInterrupt):
        learn.fit(
            6,
            callbacks=[Scripted("valid_loss", values), EarlyStopping(patience=3), Checkpoint(), Interrupt()],
        )
    resumed = linear_learner(path=tmp_path)
    stop = EarlyStopping(patience=3)
    resumed.fit(6, callbacks=[Scripted("valid_loss", values), stop], resume_from=tmp_path / "checkpoint.pt")
    assert [row["epoch"] for row in resumed.history] == [1, 2, 3, 4, 5]
    assert stop.stopped_epoch == 4 and stop.best_epoch == 1


def test_save_best_keeps_the_best_epoch_across_a_resume(tmp_path: Path) -> None:
    """The best epoch (2) is before the interruption: the resumed fit must still restore its weights."""
    values = [5.0, 4.0, 1.0, 4.2, 4.1, 3.0]
    reference = linear_learner()
    seen = WeightsPerEpoch()
    reference.fit(6, callbacks=[Scripted("valid_loss", values), seen, SaveBest()])
    learn = linear_learner(path=tmp_path)
    with pytest.raises(KeyboardInterrupt):
        learn.fit(6, callbacks=[Scripted("valid_loss", values), SaveBest(), Checkpoint(), Interrupt()])
    resumed = linear_learner(path=tmp_path)
    best = SaveBest()
    resumed.fit(6, callbacks=[Scripted("valid_loss", values), best], resume_from=tmp_path / "checkpoint.pt")
    assert best.best_epoch == 2 and best.best_value == 1.0
    for key, value in seen.weights[2].items():
        assert torch.equal(weights_of(resumed.model)[key], value), key


def test_the_shown_epochs_are_the_ones_the_messages_say(capsys: pytest.CaptureFixture[str]) -> None:
    """A tour: "(epoch 6)" was printed while best_epoch was 5. best_epoch stays the history row's own (0-based,
    what a resume reads); best_epoch_shown / stopped_epoch_shown are the numbers printed, counted over fits."""
    learn = linear_learner(progress=True)
    learn.fit(2)  # an earlier fit: this one's epochs are numbered 3, 4, 5...
    capsys.readouterr()
    best, stop = SaveBest(), EarlyStopping(patience=2)
    learn.fit(5, callbacks=[Scripted("valid_loss", [3.0, 1.0, 2.0, 2.0, 0.5]), best, stop])
    said = capsys.readouterr().err
    assert (best.best_epoch, best.best_epoch_shown) == (1, 4)
    assert (stop.best_epoch, stop.best_epoch_shown, stop.stopped_epoch, stop.stopped_epoch_shown) == (
        1,
        4,
        3,
        6,
    )
    assert "has not improved on 1 (epoch 4) for 2 epochs: stopping after epoch 6" in said
    assert "SaveBest: the model holds epoch 4's weights" in said
    assert learn.history_table()["epoch"].tolist()[best.best_epoch_shown - 1] == 4
    assert learn.final_row["epoch"] == best.best_epoch_shown and learn.final_row["fit"] == 2
    assert EarlyStopping().best_epoch_shown is None and EarlyStopping().stopped_epoch_shown is None
