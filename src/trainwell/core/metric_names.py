"""The names of the built-in metrics, readable without torch: the command line checks ``--metric`` at once,
before any data is read (:func:`check_metric_names`); :mod:`trainwell.metrics.registry` registers exactly these
(a test keeps the two equal) and words its refusal of an unknown name with :func:`unknown_metric`."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

from trainwell.core.errors import ConfigError

#: Every metric trainwell registers, by name.
BUILTIN_METRICS: tuple[str, ...] = (
    "accuracy", "average_precision", "balanced_accuracy", "brier", "entity_f1", "entity_precision",
    "entity_recall", "error_rate", "f1", "f1_micro", "f1_samples", "log_loss", "mae", "mcc", "precision", "r2",
    "recall", "rmse", "roc_auc", "tag_accuracy",
)  # fmt: skip
#: Other spellings of them.
ALIASES: dict[str, str] = {
    "auc": "roc_auc",
    "acc": "accuracy",  # Keras' spelling
    "pr_auc": "average_precision",  # the area under the precision-recall curve, as it is often called
}


def unknown_metric(name: str, known: Iterable[str], aliases: Mapping[str, str] = ALIASES) -> ConfigError:
    """The refusal of metric ``name``, which is none of ``known`` nor an alias: the closest name, then them all."""
    names = sorted(known)
    close = difflib.get_close_matches(name, [*names, *aliases], n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    spelled = ", ".join(f"{alias} = {target}" for alias, target in aliases.items())
    return ConfigError(
        f"unknown metric {name!r}; {hint}known metrics: {', '.join(names)} (aliases: {spelled})"
    )


def check_metric_names(keys: Iterable[str] | None) -> None:
    """Refuse a ``--metric`` that names no built-in metric (``rmse[price]``, one target's value, names ``rmse``)."""
    for key in keys or ():
        name, bracket, rest = key.partition("[")
        name = name if bracket and rest.endswith("]") and name else key
        if ALIASES.get(name, name) not in BUILTIN_METRICS:
            raise unknown_metric(name, BUILTIN_METRICS)
