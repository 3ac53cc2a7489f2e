"""A resumed TensorBoardLogger leaves each step in its event files once: what the interrupted run logged past the
checkpoint is dropped from its file, not only hidden by TensorBoard (a tour read the files one by one and found
the replayed batches twice)."""

from __future__ import annotations

import collections
from pathlib import Path

import pytest
from callbacks_helpers import linear_learner

pytest.importorskip("tensorboard", reason="the TensorBoard logger's tests need the tensorboard extra")

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from resume_support import CrashAfter
from trainwell.callbacks import Checkpoint, TensorBoardLogger
from trainwell.callbacks.tensorboard import drop_events_from


def steps_per_file(run_dir: Path, tag: str = "train/batch_loss") -> list[list[int]]:
    found = []
    for path in sorted(run_dir.glob("*tfevents*")):
        events = EventAccumulator(str(path))
        events.Reload()
        found.append([event.step for event in events.Scalars(tag)] if tag in events.Tags()["scalars"] else [])
    return found


def test_the_replayed_batches_are_in_the_files_once(tmp_path: Path) -> None:
    # 4 training batches an epoch; a checkpoint every 5 batches (the last at 5), a crash after batch 8.
    learn = linear_learner(path=tmp_path)
    with pytest.raises(KeyboardInterrupt):
        learn.fit(
            3,
            callbacks=[
                TensorBoardLogger("runs/a", every_n_batches=1),
                Checkpoint(every_n_batches=5),
                CrashAfter(8),
            ],
        )
    assert steps_per_file(tmp_path / "runs" / "a") == [list(range(1, 9))]  # 6, 7, 8 to be replayed
    resumed = linear_learner(path=tmp_path)
    resumed.fit(
        3,
        callbacks=[TensorBoardLogger("runs/a", every_n_batches=1), Checkpoint(every_n_batches=5)],
        resume_from=tmp_path / "checkpoint.pt",
    )
    first, second = steps_per_file(tmp_path / "runs" / "a")
    assert (first, second) == (list(range(1, 6)), list(range(6, 13)))
    counted = collections.Counter(
        step for steps in steps_per_file(tmp_path / "runs" / "a", "valid/loss") for step in steps
    )
    assert counted == {
        4: 1,
        8: 1,
        12: 1,
    }  # the epoch ends once each, epoch 2's (step 8) logged by the resumed fit


def test_a_record_cut_short_by_the_interruption_is_left_behind(tmp_path: Path) -> None:
    learn = linear_learner(path=tmp_path)
    logger = TensorBoardLogger("runs/b", every_n_batches=1)
    learn.fit(2, callbacks=[logger])
    (events_file,) = (tmp_path / "runs" / "b").glob("*tfevents*")
    with events_file.open("ab") as stream:
        stream.write(b"\x10\x00\x00")  # the start of a record the process was killed writing
    assert drop_events_from(tmp_path / "runs" / "b", 6) > 0
    assert steps_per_file(tmp_path / "runs" / "b") == [[1, 2, 3, 4, 5]]
    assert (
        drop_events_from(tmp_path / "runs" / "b", 6) == 0
    )  # nothing left to drop: the file is left as it is
