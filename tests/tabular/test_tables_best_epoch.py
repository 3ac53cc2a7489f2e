"""A table's MLP ends with the weights of its epoch of lowest validation loss (tour58 #8): before, the last epoch's
weights were kept however much the validation loss had risen, and that last figure was what ``arch="auto"``
compared with the trees."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import trainwell
from trainwell.callbacks import EarlyStopping, SaveBest

#: An MLP at this rate for this many epochs overfits the noisy table below: its validation loss rises after its low.
OVERFIT = {"epochs": 8, "lr": 3e-2, "arch": "mlp", "seed": 0}


def noisy_table(n_rows: int = 600, seed: int = 0) -> pd.DataFrame:
    """One weak signal among noise columns: an MLP learns the noise after a few epochs."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(n_rows, 10)), columns=[f"x{i}" for i in range(10)])
    frame["y"] = (frame["x0"] + rng.normal(scale=1.5, size=n_rows) > 0).astype(int)
    return frame


def losses(history: list[dict[str, float]]) -> list[float]:
    return [row["valid_loss"] for row in history]


def test_the_mlp_keeps_its_epoch_of_lowest_validation_loss_in_memory_and_on_disk(tmp_path: Path) -> None:
    run = trainwell.fit_table(noisy_table(), "y", out=tmp_path / "m", progress=False, **OVERFIT)  # type: ignore[arg-type]
    seen = losses(run.learn.history)
    best = int(np.argmin(seen))
    assert best < len(seen) - 1 and seen[-1] > seen[best]  # the fit did overfit: the test can tell
    assert run.metrics["valid_loss"] == pytest.approx(seen[best])
    assert run.learn.validate()["loss"] == pytest.approx(seen[best], rel=1e-5)  # the weights are that epoch's
    training = json.loads((tmp_path / "m" / "trainwell.json").read_text())["training"]
    assert training["final"]["valid_loss"] == pytest.approx(seen[best])
    assert training["weights_from_epoch"] == best + 1
    assert not list((tmp_path / "m").glob("*best*"))  # in memory: no file of the best weights
    loaded = trainwell.load(tmp_path / "m")
    frame = noisy_table(50, seed=3).drop(columns="y")
    np.testing.assert_allclose(
        loaded.predict(frame)["probability_1"].to_numpy(),
        run.learn.predict(frame)["probability_1"].to_numpy(),
    )


def test_keep_best_false_keeps_the_last_epoch() -> None:
    run = trainwell.fit_table(noisy_table(), "y", progress=False, keep_best=False, **OVERFIT)  # type: ignore[arg-type]
    seen = losses(run.learn.history)
    assert min(seen) < seen[-1] and run.metrics["valid_loss"] == pytest.approx(seen[-1])
    assert run.learn.weights_row is None


def test_the_kept_epoch_is_said_in_one_line_beside_the_last(capsys: pytest.CaptureFixture[str]) -> None:
    run = trainwell.fit_table(noisy_table(), "y", progress=True, **OVERFIT)  # type: ignore[arg-type]
    seen = losses(run.learn.history)
    best = int(np.argmin(seen))
    said = capsys.readouterr()
    lines = [line for line in (said.out + said.err).splitlines() if "weights" in line]
    assert lines == [
        f"kept epoch {best + 1}'s weights (validation loss {seen[best]:.4f}; the last epoch had {seen[-1]:.4f})"
    ]


def test_auto_compares_the_trees_with_the_mlps_kept_epoch(tmp_path: Path) -> None:
    run = trainwell.fit_table(noisy_table(), "y", out=tmp_path / "m", progress=False, seed=0)
    assert run.compared is not None
    mlp = (
        pd.read_csv(tmp_path / "m" / "mlp_history.csv")["valid_loss"].tolist()
        if run.arch == "gbdt"
        else losses(run.learn.history)
    )
    assert run.compared["tabular_mlp"]["valid_loss"] == pytest.approx(min(mlp))


def test_a_savebest_given_does_the_keeping_and_early_stopping_still_stops(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--patience gives EarlyStopping and SaveBest: no second tracker is added (SaveBest's own line alone), and
    the best epoch is still kept."""
    stop, best = EarlyStopping(patience=1), SaveBest()
    run = trainwell.fit_table(noisy_table(), "y", progress=True, callbacks=[stop, best], **OVERFIT)  # type: ignore[arg-type]
    seen = losses(run.learn.history)
    assert stop.stopped_epoch is not None and run.metrics["valid_loss"] == pytest.approx(min(seen))
    said = capsys.readouterr()
    assert "SaveBest: the model holds epoch" in said.out + said.err
    assert "kept epoch" not in said.out + said.err


def test_a_resumed_fit_keeps_the_best_epoch_of_the_whole_fit(tmp_path: Path) -> None:
    """The kept weights are part of the checkpoint: a fit resumed after its best epoch still ends with it."""
    from trainwell.callbacks import Checkpoint

    whole = trainwell.fit_table(noisy_table(), "y", progress=False, **OVERFIT)  # type: ignore[arg-type]
    best = int(np.argmin(losses(whole.learn.history)))
    assert best < OVERFIT["epochs"] - 1  # type: ignore[operator]
    checkpoint = tmp_path / "fit.pt"

    from trainwell.learner.events import Callback, CancelFit

    class Interrupt(Callback):
        """Ends the fit as an interruption would, once the best epoch and one more are checkpointed."""

        order = 95  # after the checkpoint of the epoch

        def after_epoch(self, learn: object) -> None:
            if getattr(learn, "epoch", 0) == best + 1:
                raise CancelFit

    trainwell.fit_table(noisy_table(), "y", progress=False, callbacks=[Checkpoint(checkpoint), Interrupt()],
                        **OVERFIT)  # type: ignore[arg-type]  # fmt: skip
    assert checkpoint.is_file()  # the resume below continues it, past the best epoch
    resumed = trainwell.fit_table(noisy_table(), "y", progress=False, callbacks=[Checkpoint(checkpoint)],
                                  resume_from=checkpoint, **OVERFIT)  # type: ignore[arg-type]  # fmt: skip
    assert losses(resumed.learn.history) == pytest.approx(losses(whole.learn.history))
    assert resumed.metrics["valid_loss"] == pytest.approx(whole.metrics["valid_loss"])
    assert resumed.learn.validate()["loss"] == pytest.approx(whole.metrics["valid_loss"], rel=1e-5)


def test_without_validation_rows_the_last_epoch_is_kept() -> None:
    run = trainwell.fit_table(noisy_table(), "y", progress=False, valid_pct=0, **OVERFIT)  # type: ignore[arg-type]
    assert run.learn.weights_row is None and "valid_loss" not in run.metrics
