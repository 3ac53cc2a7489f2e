"""``learn.history`` and ``run.metrics`` count epochs from 1 over every fit, as the screen, ``history.csv``,
``learn.history_table()`` and a server's ``/metadata`` do: after ``fit_texts(..., epochs=3)``,
``run.metrics["epoch"]`` and ``learn.history[-1]["epoch"]`` read 2 while every table said 3 (tour60 #15).

Files written before keep working: a checkpoint whose rows counted from 0 within each fit (its recorder state
without ``epochs_from_one``) is renumbered as it is read, and resumes to the epochs of a fit never stopped; a
``trainwell.json`` written so is shown with the epochs it was shown with then (every reader numbers a model
directory's rows by their place)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from callbacks_helpers import linear_learner

from trainwell.callbacks import Checkpoint, CSVLogger, EarlyStopping, SaveBest
from trainwell.callbacks.recorder import Recorder
from trainwell.learner import Callback, Learner
from trainwell.text import fit_texts


def test_the_history_counts_epochs_from_one_over_every_fit() -> None:
    learn = linear_learner()
    learn.fit(3)
    assert [row["epoch"] for row in learn.history] == [1, 2, 3]
    learn.fit(2)
    assert [(row["fit"], row["epoch"]) for row in learn.history] == [(1, 1), (1, 2), (1, 3), (2, 4), (2, 5)]
    assert learn.history_table()["epoch"].tolist() == [row["epoch"] for row in learn.history]
    assert learn.final_row["epoch"] == 5


def test_the_best_epoch_kept_is_the_row_reported() -> None:
    learn = linear_learner(lr=0.05)
    learn.fit(1)
    keep = SaveBest("valid_loss")
    learn.fit(4, callbacks=[keep, Scripted([3.0, 1.0, 2.0, 4.0])])
    assert learn.final_row["epoch"] == keep.best_epoch_shown == 3 and keep.best_epoch == 1


def test_a_text_run_reports_the_epochs_it_trained() -> None:
    texts = [f"t{i} {'good' if i % 2 else 'bad'}" for i in range(60)]
    run = fit_texts(pd.DataFrame({"text": texts, "label": ["pos" if i % 2 else "neg" for i in range(60)]}),
                    "label", epochs=3, progress=False)  # fmt: skip
    assert run.metrics["epoch"] == run.learn.history[-1]["epoch"] == 3


def old_rows(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``history`` as trainwell wrote it before: each fit's rows counted from 0."""
    firsts: dict[Any, int] = {}
    for row in history:
        firsts.setdefault(row["fit"], row["epoch"])
    return [{**row, "epoch": row["epoch"] - firsts[row["fit"]]} for row in history]


def test_an_older_recorder_states_rows_are_renumbered_from_one() -> None:
    learn = linear_learner()
    learn.fit(1)
    learn.fit(2)
    state = learn.recorder.state_dict()
    state.pop("epochs_from_one")
    state["history"] = old_rows(state["history"])
    assert [row["epoch"] for row in state["history"]] == [0, 0, 1]
    old = Recorder()
    old.load_state_dict(state, torch.device("cpu"))
    assert [(row["fit"], row["epoch"]) for row in old.history] == [(1, 1), (2, 2), (2, 3)]
    current = Recorder()
    current.load_state_dict(learn.recorder.state_dict(), torch.device("cpu"))
    assert [row["epoch"] for row in current.history] == [1, 2, 3]


class Scripted(Callback):
    """The validation loss of each epoch of the fit, as scripted (after the Recorder, before the trackers)."""

    order = 0

    def __init__(self, values: list[float]) -> None:
        self.values = values

    def after_epoch(self, learn: Learner) -> None:
        learn.history[-1]["valid_loss"] = self.values[learn.epoch]


class Interrupt(Callback):
    order = 100  # after Checkpoint (85) and EarlyStopping (90)

    def after_epoch(self, learn: Learner) -> None:
        if learn.epoch == 3:
            raise KeyboardInterrupt


#: The second fit's validation losses: best at its 3rd epoch (the 4th of the history), then 3 epochs without
#: improvement, so that EarlyStopping(patience=3) stops after its 6th (the 7th of the history).
VALUES = [5.0, 4.0, 1.0, 4.2, 4.1, 3.0, 0.5, 0.4]


def test_a_checkpoint_written_before_resumes_with_the_epochs_of_a_fit_never_stopped(tmp_path: Path) -> None:
    reference = linear_learner()
    reference.fit(1)  # a first fit (fine-tuning's frozen epoch): the second's epochs go on from it
    reference.fit(8, callbacks=[Scripted(VALUES), SaveBest(), EarlyStopping(patience=3)])
    assert [row["epoch"] for row in reference.history] == [1, 2, 3, 4, 5, 6, 7]
    assert reference.final_row["epoch"] == 4
    stopped = linear_learner(path=tmp_path)
    stopped.fit(1)
    with pytest.raises(KeyboardInterrupt):
        stopped.fit(
            8,
            callbacks=[Scripted(VALUES), SaveBest(), EarlyStopping(patience=3), Checkpoint(), Interrupt()],
        )
    # The file as trainwell wrote it before: the recorder's rows counted from 0 within each fit, unmarked.
    path = tmp_path / "checkpoint.pt"
    state = torch.load(path, weights_only=False)
    assert state["recorder"].pop("epochs_from_one") is True
    state["recorder"]["history"] = old_rows(state["recorder"]["history"])
    assert [row["epoch"] for row in state["recorder"]["history"]] == [0, 0, 1, 2, 3]
    torch.save(state, path)
    resumed = linear_learner(path=tmp_path)
    stop, log = EarlyStopping(patience=3), CSVLogger("history.csv")
    resumed.fit(8, callbacks=[Scripted(VALUES), SaveBest(), stop, log], resume_from=path)
    assert [(row["fit"], row["epoch"]) for row in resumed.history] == [
        (row["fit"], row["epoch"]) for row in reference.history
    ]
    # EarlyStopping replayed the rows before the interruption: it stopped where the reference did
    assert stop.stopped_epoch_shown == 7 and stop.best_epoch_shown == 4
    assert resumed.final_row["epoch"] == 4 and resumed.weights_row == 3  # SaveBest found the kept epoch's row
    written = pd.read_csv(tmp_path / "history.csv")
    assert written["epoch"].tolist() == [2, 3, 4, 5, 6, 7]  # this fit's rows, as the screen counted them


def test_a_model_directory_written_before_shows_the_epochs_it_showed_then(tmp_path: Path) -> None:
    """Every reader of ``trainwell.json`` (``trainwell info``, the report, a server's ``/metadata``, MLflow) shows
    a directory whose rows counted from 0 within each fit as it shows the same directory written now."""
    from rich.console import Console

    from trainwell.cli._show import show_info
    from trainwell.learner.run_files import history_csv, write_run
    from trainwell.report._recorded import recorded_sections
    from trainwell.serve.predictions import _metrics
    from trainwell.tabular import tabular_data, tabular_learner

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=200), "c": rng.choice(list("abc"), 200)})
    frame["y"] = 2 * frame["x"] + rng.normal(size=200) * 0.1
    learn = tabular_learner(tabular_data(frame, "y"), progress=False)
    learn.fit(1, 0.01)
    learn.fit(4, 0.01, callbacks=[Scripted([3.0, 1.0, 2.0, 4.0]), SaveBest()])
    new = write_run(learn, tmp_path / "new", None)
    metadata = json.loads((new / "trainwell.json").read_text())
    training = metadata["training"]
    assert [row["epoch"] for row in training["history"]] == [1, 2, 3, 4, 5]
    assert training["final"]["epoch"] == 3 and training["weights_from_epoch"] == 3
    before = {
        **metadata,
        "training": {
            **training,
            "history": old_rows(training["history"]),
            "final": {**training["final"], "epoch": 1},  # the kept row: the 2nd epoch of its fit
        },
    }
    assert history_csv(before["training"]["history"]) == history_csv(training["history"])
    assert _metrics(before) == _metrics(metadata)
    assert recorded_sections(new, before) == recorded_sections(new, metadata)
    # the history table's last row: fit 2, epoch 5
    assert re.search(r"<tr><td[^>]*>2</td><td[^>]*>5</td>", "".join(recorded_sections(new, metadata)[1]))

    def info(shown: dict[str, Any]) -> str:
        console = Console(record=True, width=200, force_terminal=False)
        show_info(shown, new, console)
        return console.export_text()

    assert info(before) == info(metadata) and "epoch 3's (the best one, loaded back)" in info(metadata)
