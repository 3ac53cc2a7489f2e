"""PNG plots of training: the learning-rate sweep and the training curves (matplotlib, Agg backend).

matplotlib is imported inside the functions so that ``import trainwell`` stays fast.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainwell.metrics.targets import split_target_key

if TYPE_CHECKING:
    from trainwell.learner.lr_find import LRFindResult


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _save(figure: Any, path: Path) -> Path:
    """Save atomically (a reader never sees half a PNG), readable by others like every file trainwell writes."""
    import io

    from trainwell.core.atomic import write_bytes_atomic

    buffer = io.BytesIO()
    try:
        figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    finally:
        _pyplot().close(figure)
    return write_bytes_atomic(path, buffer.getvalue())


def plot_lr_find(result: LRFindResult, path: Path) -> Path:
    """Loss against learning rate (log scale) with the suggestion marked."""
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(6, 4))
    points = [(lr, loss) for lr, loss in zip(result.lrs, result.losses, strict=True) if math.isfinite(loss)]
    if points:
        axis.plot([p[0] for p in points], [p[1] for p in points], color="tab:blue", label="smoothed loss")
    if result.suggestion:
        axis.axvline(
            result.suggestion, color="tab:red", linestyle="--", label=f"suggestion {result.suggestion:.1e}"
        )
    if result.steepest:
        axis.axvline(
            result.steepest, color="tab:orange", linestyle=":", label=f"steepest {result.steepest:.1e}"
        )
    axis.set_xscale("log")
    axis.set_xlabel("learning rate")
    axis.set_ylabel("loss")
    axis.set_title("Learning-rate finder")
    axis.legend()
    axis.grid(alpha=0.3)
    return _save(figure, path)


def plot_history(
    history: Sequence[dict[str, Any]], lrs: Sequence[float], losses: Sequence[float], path: Path
) -> Path:
    """Three panels: batch losses with train/valid epoch losses, the metrics per epoch, the learning rate."""
    plt = _pyplot()
    figure, (loss_axis, metric_axis, lr_axis) = plt.subplots(1, 3, figsize=(15, 4))
    if losses:
        loss_axis.plot(range(1, len(losses) + 1), losses, color="tab:blue", alpha=0.25, label="batch loss")
    per_epoch = max(1, len(losses) // max(1, len(history)))
    epoch_ends = [per_epoch * (i + 1) for i in range(len(history))]
    for key, color in (("train_loss", "tab:blue"), ("valid_loss", "tab:orange")):
        values = [row.get(key) for row in history]
        if any(v is not None for v in values):
            loss_axis.plot(
                epoch_ends, [math.nan if v is None else v for v in values], "o-", color=color, label=key
            )
    loss_axis.set_xlabel("batch")
    loss_axis.set_ylabel("loss")
    loss_axis.set_title("Loss")
    loss_axis.legend()
    skip = {"fit", "epoch", "train_loss", "valid_loss", "lr", "time"}
    # Headlines only: per-target values ("rmse[price]") are in their targets' units, not the headlines' scale.
    metric_names = [
        key for key in (history[0] if history else {}) if key not in skip and split_target_key(key)[1] is None
    ]
    epochs = list(range(1, len(history) + 1))
    for name in metric_names:
        metric_axis.plot(
            epochs, [math.nan if row.get(name) is None else row[name] for row in history], "o-", label=name
        )
    metric_axis.set_xlabel("epoch")
    metric_axis.xaxis.get_major_locator().set_params(integer=True)  # epochs 1, 2, 3: never 1.5
    metric_axis.set_title("Validation metrics")
    if metric_names:
        metric_axis.legend()
    lr_axis.plot(range(1, len(lrs) + 1), lrs, color="tab:green")
    lr_axis.set_xlabel("batch")
    lr_axis.set_title("Learning rate")
    for axis in (loss_axis, metric_axis, lr_axis):
        axis.grid(alpha=0.3)
    return _save(figure, path)
