"""``GET /metadata``'s ``metrics.epoch`` is the epoch of the figures beside it: a table's MLP that kept its epoch 9 of
12 (``weights_from_epoch`` 9) gave its epoch 9 validation loss under ``"epoch": 12``. A directory written before,
whose rows counted from 0 within each fit, gives the same numbers."""

from __future__ import annotations

from trainwell.serve.predictions import _metrics


def metadata(final_epoch: int, history_epochs: list[int], **kept: int) -> dict:
    rows = [{"fit": 1, "epoch": epoch, "valid_loss": 0.5 + epoch / 100} for epoch in history_epochs]
    final = next(row for row in rows if row["epoch"] == final_epoch)
    return {"training": {"epochs": len(rows), "final": {**final, "lr": 0.01}, "history": rows, **kept}}


def test_the_epoch_is_the_kept_rows_as_written_now_and_before() -> None:
    now = _metrics(metadata(3, [1, 2, 3, 4], weights_from_epoch=3))
    assert now == {"epoch": 3, "valid_loss": 0.53}
    before = _metrics(metadata(2, [0, 1, 2, 3], weights_from_epoch=3))  # each fit's rows counted from 0
    assert before["epoch"] == 3


def test_without_a_kept_epoch_it_is_the_last() -> None:
    assert _metrics(metadata(4, [1, 2, 3, 4]))["epoch"] == 4
    assert _metrics(metadata(3, [0, 1, 2, 3]))["epoch"] == 4
