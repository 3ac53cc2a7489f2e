"""A fit resumed into its interrupted MLflow run sends no step twice: the batches between the checkpoint and the
interruption, which the interrupted fit had logged (flushed when it stopped) and the resumed fit trains again, are
in the run once, with the values of a fit never stopped (MLflow keeps every point sent and cannot take one back)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from callbacks_helpers import linear_learner

from trainwell.callbacks import Checkpoint, MLflowLogger
from trainwell.learner import Callback, Learner

pytest.importorskip(
    "mlflow", reason="the MLflow logger is an optional extra: pip install 'trainwell[mlflow]'"
)
from mlflow.tracking import MlflowClient


class Interrupt(Callback):
    """Ctrl-C in the second epoch, after its third batch (the checkpoint is the first epoch's, at step 4)."""

    order = 100

    def after_batch(self, learn: Learner) -> None:
        if learn.epoch == 1 and learn.batch_index == 2:
            raise KeyboardInterrupt


def _history(uri: str, run_id: str, key: str) -> list[tuple[int, float]]:
    return sorted((metric.step, metric.value) for metric in MlflowClient(uri).get_metric_history(run_id, key))


def test_the_replayed_batches_are_logged_once(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    straight = MLflowLogger("straight", tracking_uri=uri, every_n_batches=1)
    linear_learner(path=tmp_path / "straight").fit(3, callbacks=[straight])
    first = MLflowLogger(tracking_uri=uri, every_n_batches=1)
    with pytest.raises(KeyboardInterrupt):
        linear_learner(path=tmp_path).fit(3, callbacks=[first, Checkpoint(), Interrupt()])
    assert [step for step, _ in _history(uri, str(first.run_id), "train/batch_loss")] == [1, 2, 3, 4, 5, 6, 7]
    again = MLflowLogger(tracking_uri=uri, every_n_batches=1)
    linear_learner(path=tmp_path).fit(
        3, callbacks=[again, Checkpoint()], resume_from=tmp_path / "checkpoint.pt"
    )
    assert again.run_id == first.run_id
    for key in ("train/batch_loss", "train/lr", "epoch", "valid/loss"):
        found = _history(uri, str(again.run_id), key)
        twice = [step for step, count in Counter(step for step, _ in found).items() if count > 1]
        assert twice == [], f"{key}: steps {twice} logged twice"
        expected = _history(uri, str(straight.run_id), key)
        assert [step for step, _ in found] == [step for step, _ in expected]
        assert [value for _, value in found] == pytest.approx([value for _, value in expected])
