"""Learner holes found by tour67: ``add_callbacks`` given a list (#8); a fit that raised before its first row
still took a number in the history (#10); and a trees' fit with its Recorder removed, which builds no
optimizer, was exported as "epochs 0" (the Recorder read ``learn.opt`` as "a fit ran")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import trainwell
from table_samples import yes_no_rows
from trainwell.callbacks import Recorder
from trainwell.core.errors import ConfigError
from trainwell.data.bundle import DataBundle
from trainwell.learner import Callback
from trainwell.learner._export import EPOCHS_NOT_RECORDED


class Counts(Callback):
    def __init__(self) -> None:
        self.epochs = 0

    def after_epoch(self, learn: trainwell.Learner) -> None:
        self.epochs += 1


class Boom(Callback):
    """Raises in the first training batch of the fits it is given to."""

    def after_batch(self, learn: trainwell.Learner) -> None:
        raise ValueError("user bug in callback")


@pytest.fixture(scope="module")
def data() -> DataBundle:
    return trainwell.tabular_data(yes_no_rows(160, 0), "y", seed=0)


def test_add_callbacks_takes_a_list_as_its_callbacks(data: DataBundle) -> None:
    # learn.add_callbacks([a, b]) was kept as one "callback": the next fit failed with "callbacks holds a list,
    # which is not a trainwell Callback", and the list stayed in learn.callbacks.
    learn = trainwell.tabular_learner(data, progress=False)
    first, second, third = Counts(), Counts(), Counts()
    before = list(learn.callbacks)
    assert learn.add_callbacks([first, second], (third,)) is learn
    assert learn.callbacks == [*before, first, second, third]
    learn.fit(1)
    assert (first.epochs, second.epochs, third.epochs) == (1, 1, 1)


def test_add_callbacks_refuses_what_is_no_callback_at_once_and_adds_none(data: DataBundle) -> None:
    learn = trainwell.tabular_learner(data, progress=False)
    before = list(learn.callbacks)
    with pytest.raises(ConfigError, match=r"^add_callbacks got a str, which is not a trainwell Callback"):
        learn.add_callbacks(Counts(), ["early_stopping"])  # type: ignore[list-item]
    with pytest.raises(ConfigError, match=r"^add_callbacks got the class Counts, not an object of it"):
        learn.add_callbacks([Counts])  # type: ignore[list-item]
    assert learn.callbacks == before  # nothing half-added
    learn.fit(1)  # and the next fit runs


def test_a_fit_that_raised_before_its_first_row_leaves_its_number_to_the_next(data: DataBundle) -> None:
    # After a fit raised in epoch 1 (no row), the next fit's rows said fit 2, with no fit 1 in learn.history.
    learn = trainwell.tabular_learner(data, progress=False)
    with pytest.raises(ValueError, match="user bug"):
        learn.fit(1, callbacks=[Boom()])
    assert learn.history == []
    learn.fit(2)
    assert [(row["fit"], row["epoch"]) for row in learn.history] == [(1, 1), (1, 2)]
    learn.fit(1)
    assert [row["fit"] for row in learn.history] == [1, 1, 2]


def test_a_fit_that_raised_after_some_rows_keeps_them_under_its_number(data: DataBundle) -> None:
    learn = trainwell.tabular_learner(data, progress=False)

    class BoomInEpochTwo(Callback):
        def after_batch(self, learn: trainwell.Learner) -> None:
            if learn.epoch == 1:
                raise ValueError("user bug in epoch 2")

    with pytest.raises(ValueError, match="epoch 2"):
        learn.fit(3, callbacks=[BoomInEpochTwo()])
    learn.fit(1)
    assert [(row["fit"], row["epoch"]) for row in learn.history] == [(1, 1), (2, 2)]


def test_a_trees_fit_without_its_recorder_is_exported_as_not_recorded(
    data: DataBundle, tmp_path: Path
) -> None:
    # A model fitted in closed form builds no optimizer: "a fit since" read from learn.opt said none had run.
    learn = trainwell.tabular_learner(data, arch="gbdt", progress=False, path=tmp_path)
    with pytest.warns(UserWarning, match="the Recorder callback was removed"):
        learn.remove_callback(Recorder)
    assert not learn.recorder.unrecorded_training(learn)  # no fit yet
    learn.fit(1)
    assert learn.opt is None and learn.history == [] and learn.fits == 1
    model_dir = learn.export(tmp_path / "trees")
    assert json.loads((model_dir / "trainwell.json").read_text())["training"]["epochs"] == EPOCHS_NOT_RECORDED


def test_an_lr_find_sweep_is_no_fit_for_the_recorder(data: DataBundle) -> None:
    learn = trainwell.tabular_learner(data, progress=False)
    with pytest.warns(UserWarning, match="the Recorder callback was removed"):
        learn.remove_callback(Recorder)
    learn.lr_find(num_it=5)  # the weights are put back: nothing trained
    assert learn.fits == 0 and not learn.recorder.unrecorded_training(learn)
