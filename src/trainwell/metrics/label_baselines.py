"""The trivial answers a multi-label model must beat, and the warning when it does not.

Three answers need no model: **no label anywhere** (every decision "no"; with 28 labels and one or two per
text, right on ~96% of GoEmotions' decisions), **every label on every row** (the macro F1 of thresholds at 0)
and **the most frequent label set** of the training rows, given to every row (``{neutral}`` on GoEmotions). A fitted model is scored on the same validation rows against the better
of the two, metric by metric, for the threshold metrics it reports (``accuracy``, ``f1``, ``error_rate``, at 0.5
and ``_tuned``): a 1-epoch GoEmotions model's ``accuracy_tuned`` 0.706 sat below answering no label anywhere
(0.957), and nothing said so. :func:`label_baseline_warning` words the :class:`BaselineNotBeaten` warning
for Python and the command line, as a single-label classifier, a language model and a tagger are warned.

:class:`BaselineNotBeaten` itself lives here, the lowest layer that judges scores, so that every application
warns with the one class (``trainwell.text.lm_callbacks`` and the tagger re-export it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from trainwell.metrics import functional

__all__ = [
    "BaselineNotBeaten",
    "LabelBaseline",
    "label_baseline_warning",
    "label_baselines",
    "most_frequent_set",
]

#: The threshold metrics compared, and whether higher is better.
_COMPARED = {"accuracy": True, "f1": True, "error_rate": False}
#: A score this close to the baseline's is the baseline's (the same answers give the same share).
_TIE = 1e-9


class BaselineNotBeaten(UserWarning):
    """A trained model does not beat a trivial baseline on its validation rows: a language model's perplexity
    not below its Kneser-Ney trigram's, a tagger not above tagging each word with its most frequent tag, a
    multi-label model not above answering no label anywhere (or the most frequent label set).

    Attributes:
        command_line: The same words naming command-line options (``--epochs``, not more epochs), which the
            command line prints instead.
    """

    command_line: str | None = None


def train_longer_warning(
    words: Callable[[str], str], budgeted: bool, *, searched: bool = False
) -> BaselineNotBeaten:
    """The warning ``words(fix)`` says, its fix in Python's words (a longer ``time_budget``, more epochs) and,
    as its :attr:`~BaselineNotBeaten.command_line`, in the command line's (a longer ``--time``, ``--epochs``);
    ``budgeted``: the fit ran under a time budget; ``searched``: the model is a search's kept trial, whose
    epochs the search chose (``tune`` has no ``--epochs``: a search of more of them, ``--search epochs=``)."""
    if searched:
        python, command = (
            ("a longer timeout", "a longer --time")
            if budgeted
            else (
                "a search of more epochs, search={'epochs': (LOW, HIGH)}",
                "a search of more epochs, --search epochs=LOW:HIGH",
            )
        )
    else:
        python, command = (
            ("a longer time_budget", "a longer --time") if budgeted else ("more epochs", "--epochs")
        )
    warning = BaselineNotBeaten(words(python))
    warning.command_line = words(command)
    return warning


@dataclass(frozen=True)
class LabelBaseline:
    """One trivial answer and its validation scores.

    Attributes:
        name: how the answer reads in a sentence (``"answering no label anywhere"``).
        labels: the labels it gives every row (none for the all-no answer).
        scores: metric -> its value on the validation rows.
    """

    name: str
    labels: tuple[str, ...]
    scores: dict[str, float]


def most_frequent_set(targets: torch.Tensor) -> tuple[int, ...]:
    """The label indices of the most common row of 0/1 ``targets`` ``(N, L)`` (the first, on a tie).

    Example:
        >>> most_frequent_set(torch.tensor([[1, 0, 1], [0, 1, 0], [1, 0, 1]]))
        (0, 2)
    """
    rows = (targets.reshape(len(targets), -1) > 0.5).to(torch.int64)
    if not len(rows):
        return ()
    unique, inverse, counts = torch.unique(rows, dim=0, return_inverse=True, return_counts=True)
    first = torch.full((len(unique),), len(rows), dtype=torch.int64).scatter_reduce(
        0, inverse, torch.arange(len(rows)), reduce="amin"
    )
    best = max(range(len(unique)), key=lambda i: (int(counts[i]), -int(first[i])))
    return tuple(int(i) for i in torch.nonzero(unique[best]).flatten())


def label_baselines(
    targets: torch.Tensor,
    classes: Sequence[Any],
    *,
    train_targets: torch.Tensor | None = None,
    metric_names: Sequence[str] = tuple(_COMPARED),
) -> list[LabelBaseline]:
    """The trivial answers' scores on validation ``targets`` ``(N, L)``: no label anywhere (the accuracy to beat
    when labels are rare), every label on every row (the macro F1 of thresholds at 0), and the most frequent label
    set of ``train_targets`` (of ``targets`` when not given, or of another width) when it is neither.

    Example:
        >>> truth = torch.tensor([[0.0, 1.0], [0.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
        >>> for b in label_baselines(truth, ["a", "b"]):
        ...     print(b.name, b.scores["accuracy"], round(b.scores["f1"], 4))
        answering no label anywhere 0.625 0.0
        answering every label on every row 0.375 0.5333
        answering 'b' on every row 0.625 0.3333
    """
    truth = targets.float().reshape(len(targets), -1)
    names = [name for name in metric_names if name in _COMPARED]
    every = tuple(range(truth.shape[1]))
    answers: list[tuple[str, tuple[int, ...]]] = [
        ("answering no label anywhere", ()),
        ("answering every label on every row", every),
    ]
    counted = truth
    if train_targets is not None and len(train_targets):
        train = train_targets.reshape(len(train_targets), -1)
        counted = train if train.shape[1] == truth.shape[1] else truth
    chosen = most_frequent_set(counted)
    if chosen and chosen != every:
        shown = "+".join(str(classes[i]) if i < len(classes) else str(i) for i in chosen)
        answers.append((f"answering {shown!r} on every row", chosen))
    baselines = []
    for name, labels in answers:
        decisions = torch.zeros_like(truth)
        decisions[:, list(labels)] = 1.0
        scores = {
            metric: float(getattr(functional, metric)(decisions, truth, "multilabel", 0.5))
            for metric in names
        }
        shown_labels = tuple(str(classes[i]) if i < len(classes) else str(i) for i in labels)
        baselines.append(LabelBaseline(name, shown_labels, scores))
    return baselines


def label_baseline_warning(
    row: Mapping[str, Any],
    baselines: Sequence[LabelBaseline],
    *,
    tuned_suffix: str = "_tuned",
    thresholds_tuned: bool = True,
) -> BaselineNotBeaten | None:
    """The warning a multi-label fit whose last validation ``row`` does not beat the best of ``baselines`` on
    some threshold metric it reports (``accuracy``, ``accuracy_tuned``, ``f1``...) gives, worded for Python and
    for the command line; ``None`` when every reported metric beats them (or the row reports none).

    Two cases: the model beats them on no metric (it has learned nothing usable yet: train longer), or only on
    some: then it names the metrics that fall short and what to do (per-label thresholds chosen for F1 trade
    accuracy for it: decide at 0.5 when accuracy matters; without them, ``thresholds_tuned=False``, every label
    decided at 0.5: an F1 that falls short where accuracy does not is what they are for).

    Example:
        >>> truth = torch.tensor([[0.0, 1.0], [0.0, 0.0], [0.0, 0.0], [1.0, 0.0]])
        >>> warning = label_baseline_warning({"accuracy": 0.75, "f1": 0.0}, label_baselines(truth, ["a", "b"]))
        >>> str(warning)[:99]
        "the model's decisions do not beat a trivial answer: accuracy 0.7500 against 0.7500 for answering no"

    """
    reported = [
        (name, base)
        for base in _COMPARED
        for name in (base, f"{base}{tuned_suffix}")
        if isinstance(row.get(name), float) and row[name] == row[name]
    ]
    if not reported or not baselines:
        return None
    short: list[tuple[str, float, float, str]] = []  # metric, model's value, best baseline's, whose
    for name, base in reported:
        higher = _COMPARED[base]
        best = max(baselines, key=lambda b: b.scores.get(base, float("-inf")) * (1 if higher else -1))
        if base not in best.scores:
            continue
        value, bar = float(row[name]), best.scores[base]
        if (value <= bar + _TIE) if higher else (value >= bar - _TIE):
            short.append((name, value, bar, best.name))
    if not short:
        return None
    groups: dict[tuple[str, float, str], list[str]] = {}  # (metric, baseline's value, whose): the model's
    for name, value, bar, who in short:
        groups.setdefault((name.removesuffix(tuned_suffix), bar, who), []).append(f"{name} {value:.4f}")
    listed = "; ".join(
        f"{' and '.join(said)} against {bar:.4f} for {who}" for (_, bar, who), said in groups.items()
    )
    head = f"the model's decisions do not beat a trivial answer: {listed}"
    if len(short) == len(reported):

        def words(longer: str) -> str:
            return f"{head}; it has learned nothing usable yet: train longer ({longer}) or check the labels"

        warning = BaselineNotBeaten(words("more epochs, or a longer time_budget"))
        warning.command_line = words("--epochs, or a longer --time")
        return warning
    beaten = [
        f"{name} {float(row[name]):.4f}" for name, _ in reported if name not in {n for n, _, _, _ in short}
    ]
    at_half_beats = any(name == "accuracy" for name, _ in reported) and not any(
        name == "accuracy" for name, _, _, _ in short
    )
    tuned_short = any(name.endswith(tuned_suffix) for name, _, _, _ in short)
    only_f1_short = all(name == "f1" for name, _, _, _ in short)
    if not thresholds_tuned and only_f1_short and at_half_beats:
        python_fix, cli_fix = (
            "every label is decided at 0.5, which rare labels seldom reach; per-label thresholds chosen for F1 "
            "(tune_thresholds=True) or training longer (more epochs) lift it",
            "every label is decided at 0.5, which rare labels seldom reach; per-label thresholds chosen for F1 "
            "(leave out --no-label-thresholds) or training longer (--epochs) lift it",
        )
    elif tuned_short and at_half_beats:
        python_fix, cli_fix = (
            "the per-label thresholds, chosen for F1, mark labels where there are none; where accuracy matters, "
            "decide at 0.5 (tune_thresholds=False)",
            "the per-label thresholds, chosen for F1, mark labels where there are none; where accuracy matters, "
            "decide at 0.5 (--no-label-thresholds)",
        )
    else:
        python_fix, cli_fix = (
            "train longer (more epochs, or a longer time_budget) for decisions that beat it",
            "train longer (--epochs, or a longer --time) for decisions that beat it",
        )
    listed_beaten = beaten[0] if len(beaten) == 1 else f"{', '.join(beaten[:-1])} and {beaten[-1]}"
    said = f"{head} ({listed_beaten} {'does' if len(beaten) == 1 else 'do'} beat them)"
    warning = BaselineNotBeaten(f"{said}: {python_fix}")
    warning.command_line = f"{said}: {cli_fix}"
    return warning
