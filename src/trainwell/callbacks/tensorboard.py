"""Log a fit to TensorBoard: losses, learning rates, every metric, and the run's settings as hyper-parameters."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainwell.callbacks._run_info import (
    batch_due,
    batch_scalars,
    epoch_scalars,
    hyperparameters,
    metric_tags,
    need_package,
    plain_params,
)
from trainwell.callbacks._validate import positive_int
from trainwell.core.atomic import write_atomic
from trainwell.core.device import is_rank_zero
from trainwell.core.errors import ConfigError
from trainwell.learner.events import Callback

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner

#: Characters of the model's description kept in the run's text (a large network's is long).
MAX_MODEL_TEXT = 20_000


def default_run_name(prefix: str = "") -> str:
    """``prefix-YYYYmmdd-HHMMSS`` (or the time alone): a run folder name that sorts by start."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return f"{prefix}-{stamp}" if prefix else stamp


class TensorBoardLogger(Callback):
    """Write the fit as TensorBoard event files in ``log_dir``; watch it with ``tensorboard --logdir runs``.

    What is written, on one step axis (training batches over every fit of this learner, so fine-tuning's
    unfrozen phase goes on from its frozen one):

    - every ``every_n_batches`` training batches: ``train/batch_loss``, ``train/lr`` and ``train/momentum``
      (of the head's parameter group; ``train/lr_group0``... for each group with discriminative rates);
    - each epoch: ``train/loss``, ``valid/loss``, each metric as ``valid/<name>``, ``time/epoch_seconds`` and
      ``epoch`` (counted from 1 over every fit, as ``curves.png`` counts);
    - once: the settings (task, architecture, optimizer, learning rate, weight decay, epochs, batch size,
      rows, parameters) in the HParams tab with the validation numbers as its metrics, and the settings and
      the model's layers as text.

    Reading a loss every ``every_n_batches`` batches is what costs: on a GPU it waits for the batch to finish.
    Only rank 0 writes. A fit resumed from a checkpoint writes on in the interrupted run's folder, dropping
    whatever that run had written past the checkpoint from its event files (the batches between the checkpoint
    and the interruption, which the resumed fit trains and logs again): each step is in the files once, for
    TensorBoard and for any reader of the files alike. A relative ``log_dir`` is under ``learn.path``.

    Needs the package ``tensorboard`` (``pip install 'trainwell[tensorboard]'``).

    Args:
        log_dir: the run's folder (default ``runs/<YYYYmmdd-HHMMSS>``); runs side by side under one parent
            are compared by pointing TensorBoard at the parent.
        every_n_batches: training batches between two readings of the batch loss and learning rate.
        params: more settings to record beside the fit's own (a search's trial: ``trial.leaves``...).

    Example:
        >>> learn.fit_one_cycle(5, callbacks=[TensorBoardLogger("runs/baseline")])  # doctest: +SKIP
    """

    order = 40  # after every writer of the epoch row (5 at most), before pruning (50) may end the fit there
    runs_in_lr_find = False  # the learning-rate finder's sweep is undone: no training to log

    def __init__(
        self,
        log_dir: str | Path | None = None,
        every_n_batches: int = 10,
        params: dict[str, Any] | None = None,
    ) -> None:
        need_package("TensorBoardLogger", "tensorboard", "tensorboard")
        # Imported now (about a second), not at the first batch: inside a fit it is training time lost.
        import torch.utils.tensorboard  # noqa: F401

        if log_dir is not None and (not isinstance(log_dir, (str, Path)) or not str(log_dir)):
            raise ConfigError(
                f"TensorBoardLogger log_dir must be a folder path, got {log_dir!r}; pass e.g. log_dir='runs/first'"
            )
        self.log_dir: Path | None = Path(log_dir) if log_dir is not None else None
        self.every_n_batches = positive_int(
            "TensorBoardLogger", "every_n_batches", every_n_batches, example=10
        )
        self.params = plain_params(params)
        #: Training batches seen over every fit (the x axis); kept in checkpoints.
        self.step = 0
        #: Where the events went (``log_dir`` under ``learn.path``), set at the first fit.
        self.run_dir: Path | None = None
        self._writer: Any = None
        self._purge_step: int | None = None
        self._described = False

    # ------------------------------------------------------------------------------------------- events
    def before_fit(self, learn: Learner) -> None:
        # The learner's batches so far: a logger added to a learner already trained (or to a fit resumed from a
        # checkpoint written without it) carries on that axis instead of starting again at 0.
        self.step = max(self.step, len(learn.recorder.lrs))
        if self.run_dir is None:
            self.run_dir = learn.path / (self.log_dir or Path("runs") / default_run_name())

    def after_batch(self, learn: Learner) -> None:
        if not batch_due(self, learn) or not is_rank_zero():
            return
        writer = self._open(learn)
        for tag, value in batch_scalars(learn).items():
            if math.isfinite(value):
                writer.add_scalar(tag, value, self.step)

    def after_epoch(self, learn: Learner) -> None:
        if not is_rank_zero() or not learn.history:
            return
        writer = self._open(learn)
        row = learn.history[-1]
        for tag, value in epoch_scalars(row).items():
            writer.add_scalar(tag, value, self.step)
        writer.add_scalar("epoch", int(row["epoch"]), self.step)  # counted from 1 over every fit
        writer.flush()

    def teardown(self, learn: Learner) -> None:
        if self._writer is not None:
            self._writer.close()  # a later fit of this learner opens it again (a new events file, same run)
            self._writer = None

    def checkpoint_state(self) -> dict[str, Any] | None:
        return {"step": self.step, "run_dir": None if self.run_dir is None else str(self.run_dir)}

    def load_checkpoint_state(self, state: dict[str, Any]) -> None:
        self.step = int(state["step"])
        # The interrupted run's folder, not a new one (a default name has a new time).
        if state.get("run_dir"):
            self.run_dir = Path(state["run_dir"])
        self._purge_step = self.step + 1  # what the interrupted run wrote after the checkpoint is dropped
        self._described = True  # the settings were written by the run that is resumed

    # ------------------------------------------------------------------------------------------- writing
    def _open(self, learn: Learner) -> Any:
        if self._writer is None:
            from torch.utils.tensorboard import SummaryWriter

            assert self.run_dir is not None
            if self._purge_step is not None:
                drop_events_from(self.run_dir, self._purge_step)
            # purge_step also marks the restart for TensorBoard, which hides any later step of an older file.
            self._writer = SummaryWriter(str(self.run_dir), purge_step=self._purge_step)
            self._purge_step = None
        if not self._described:
            self._described = True
            self._describe(learn)
        return self._writer

    def _describe(self, learn: Learner) -> None:
        from torch.utils.tensorboard.summary import hparams

        settings = {**hyperparameters(learn), **self.params}
        # The HParams tab: the settings, and as metrics the validation numbers logged under these tags.
        experiment, start, end = hparams(settings, {tag: math.nan for tag in metric_tags(learn)})
        for summary in (experiment, start, end):
            self._writer.file_writer.add_summary(summary)
        lines = [
            "| setting | value |",
            "|---|---|",
            *(f"| {key} | {value} |" for key, value in settings.items()),
        ]
        self._writer.add_text("run/settings", "\n".join(lines), self.step)
        layers = repr(learn.model)
        if len(layers) > MAX_MODEL_TEXT:
            layers = layers[:MAX_MODEL_TEXT] + "\n..."
        self._writer.add_text("run/model", "    " + layers.replace("\n", "\n    "), self.step)


def drop_events_from(run_dir: Path, step: int) -> int:
    """Rewrite the event files of ``run_dir`` without their events at ``step`` or later; how many were dropped.

    What an interrupted run logged after its checkpoint is logged again by the resumed fit. TensorBoard hides
    the older copy (the resumed writer's ``purge_step``), but the files kept both, so anything reading them
    (``EventAccumulator`` on one file, ``tbparse``, a script) saw those steps twice. Each file is replaced
    atomically, and only when it holds such events; a record cut short by the interruption ends the file's
    reading there, as TensorBoard reads it.
    """
    from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader
    from tensorboard.compat.proto import event_pb2
    from tensorboard.summary.writer.record_writer import RecordWriter

    dropped = 0
    for path in sorted(run_dir.glob("*tfevents*")):
        if not path.is_file() or path.name.startswith("."):  # a temp file of an atomic write
            continue
        kept, dropped_here = [], 0
        for record in RawEventFileLoader(str(path)).Load():
            event = event_pb2.Event.FromString(record)
            if event.step >= step:
                dropped_here += 1
            else:
                kept.append(record)
        if dropped_here:

            def write(stream: Any, records: list[bytes] = kept) -> None:
                writer = RecordWriter(stream)
                for record in records:
                    writer.write(record)

            write_atomic(path, write)
            dropped += dropped_here
    return dropped
