"""What is being predicted, inferred from the targets and overridable.

The :class:`Task` decides the loss, the output activation, the default metrics and how outputs are decoded
back to labels. Nothing downstream re-guesses it: builders infer it once and store it in the artifact.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from trainwell.core.arrays import as_array, is_tensor
from trainwell.core.errors import ConfigError, DataError
from trainwell.core.warn import warn

if TYPE_CHECKING:
    import pandas as pd
    import torch

    from trainwell.core.label_names import LabelNames

TaskKind = Literal["binary", "multiclass", "multilabel", "regression", "language_model", "tagging"]
#: Tasks inferred from a target column.
TARGET_KINDS: tuple[str, ...] = ("binary", "multiclass", "multilabel", "regression")
#: Every task: the target kinds, ``language_model`` (predict each next token of a text stream; its
#: ``extra["vocab_size"]`` is the number of outputs, perplexity is computed over tokens by a callback) and
#: ``tagging`` (one class per token of a sentence: named entities, parts of speech; ``extra["scheme"]`` says
#: whether the tags mark entity spans, ``"iob2"``, or stand alone, ``"none"``).
TASK_KINDS: tuple[str, ...] = (*TARGET_KINDS, "language_model", "tagging")
#: Tag schemes a tagging task may declare: entity spans in IOB2 (what every tagger trains on) or plain tags.
TAGGING_SCHEMES: tuple[str, ...] = ("iob2", "none")

#: Integer targets with at most this many distinct values are read as classes, more as a quantity.
MAX_INTEGER_CLASSES = 20

_LOSSES = {
    "binary": "bce",
    "multiclass": "cross_entropy",
    "multilabel": "bce",
    "regression": "mse",
    "language_model": "cross_entropy",
    "tagging": "token_cross_entropy",
}
_ACTIVATIONS = {
    "binary": "sigmoid",
    "multiclass": "softmax",
    "multilabel": "sigmoid",
    "regression": "identity",
    "language_model": "softmax",
    "tagging": "softmax",
}
_METRICS = {
    "binary": ("accuracy", "roc_auc", "f1"),
    "multiclass": ("accuracy", "balanced_accuracy", "roc_auc"),
    "multilabel": ("accuracy", "f1", "roc_auc"),
    "regression": ("rmse", "mae", "r2"),
    "language_model": (),  # perplexity is exact only over tokens: a callback computes it (text.lm_learner)
    "tagging": ("tag_accuracy",),  # entity-span tasks report entity_f1 first: see Task.metric_names
}
_ENTITY_METRICS = ("entity_f1", "entity_precision", "entity_recall", "tag_accuracy")


@dataclass(frozen=True)
class Task:
    """The prediction task.

    Attributes:
        kind: one of ``binary``, ``multiclass``, ``multilabel``, ``regression``, ``language_model``,
            ``tagging``.
        classes: class labels in output order (binary: ``[negative, positive]``; multilabel: label names).
        target_names: the target column(s) it was inferred from.
        threshold: decision threshold for binary and multilabel decoding (multilabel: of every label that has
            no threshold of its own in ``label_thresholds``): a row is ``classes[1]`` where its probability
            reaches it. 0.5 unless the fit chose or was given another (binary: ``decision_threshold=``,
            ``--decision-threshold``); kept in the model directory (older ones, without it, decide at 0.5).
        label_delim: for multilabel targets held as text, the separator between labels (``encode`` needs it).
        extra: more settings; ``language_model`` keeps its ``vocab_size`` here, ``tagging`` its ``scheme``
            (``"iob2"`` when the tags mark entity spans, ``"none"`` otherwise) and the ``source_scheme`` the
            data came in (predictions can be written back in it).
        label_thresholds: multilabel only: one decision threshold per class, in ``classes`` order, usually
            chosen on validation rows at the end of a fit (:mod:`trainwell.metrics.thresholds`); empty means
            ``threshold`` for every label (what older model directories hold).
        ``extra["label_codes"]``: where the classes are names given to the data's own labels (GoEmotions'
            ids 0 to 27 named admiration ... neutral, :func:`name_labels`), those labels in ``classes`` order:
            :meth:`encode` reads either.
    """

    kind: str
    classes: tuple[Any, ...] = ()
    target_names: tuple[str, ...] = ()
    threshold: float = 0.5
    label_delim: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    label_thresholds: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in TASK_KINDS:
            raise ConfigError(f"task {self.kind!r} is not known; use one of: {', '.join(TASK_KINDS)}")
        if self.label_thresholds:
            self._check_label_thresholds()
        if self.kind in ("binary", "multiclass") and len(self.classes) < 2:
            raise DataError(f"a {self.kind} task needs at least 2 classes, got {list(self.classes)}")
        if self.kind == "tagging":
            if len(self.classes) < 2:
                raise DataError(
                    f"a tagging task needs at least 2 different tags, got {list(self.classes)}; check the tag column"
                )
            scheme = self.extra.get("scheme", "none")
            if scheme not in TAGGING_SCHEMES:
                raise ConfigError(
                    f"tag scheme {scheme!r} is not known; use one of: {', '.join(TAGGING_SCHEMES)}"
                )
        if self.kind == "binary" and len(self.classes) != 2:
            raise DataError(
                f"a binary task needs exactly 2 classes, got {len(self.classes)}: {list(self.classes)[:10]}"
            )

    def _check_label_thresholds(self) -> None:
        values = tuple(float(value) for value in self.label_thresholds)
        object.__setattr__(
            self, "label_thresholds", values
        )  # a list given becomes a tuple (frozen, hashable)
        if self.kind != "multilabel":
            raise ConfigError(
                f"label_thresholds fit a multilabel task, not {self.kind}; set threshold instead"
            )
        if len(values) != len(self.classes):
            raise ConfigError(
                f"label_thresholds holds {len(values)} thresholds for {len(self.classes)} labels; give one per label"
            )
        outside = [
            (label, value) for label, value in zip(self.classes, values, strict=True) if not 0 < value < 1
        ]
        if outside:
            raise ConfigError(f"label thresholds must lie strictly between 0 and 1; got {outside[:5]}")

    @property
    def decision_threshold(self) -> float | tuple[float, ...]:
        """What a positive decision compares with: ``label_thresholds`` where set, else ``threshold``
        (pass it as a metric's ``threshold``)."""
        return self.label_thresholds or self.threshold

    def with_threshold(self, threshold: float | None, *, option: str = "threshold") -> Task:
        """This task deciding at ``threshold`` (``None``: itself): a prediction's own threshold for a binary
        model (``predict(rows, threshold=0.3)``, ``trainwell predict --threshold 0.3``).

        Raises:
            ConfigError: for a task that is not binary, or a threshold not strictly between 0 and 1 (``option``
                names it as the caller wrote it).

        Example:
            >>> Task("binary", ("no", "yes")).with_threshold(0.3).decode(np.array([0.25, 0.3], dtype=np.float32))
            ['no', 'yes']
        """
        if threshold is None:
            return self
        if self.kind != "binary":
            per_label = (
                ": a multi-label model decides each label at its own threshold, chosen at fit on the validation "
                "rows (trainwell info lists them)"
                if self.kind == "multilabel"
                else ""
            )
            raise ConfigError(
                f"{option} is the decision threshold of a binary model; this model is {self.kind}{per_label}; "
                f"drop {option}"
            )
        if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 < threshold < 1:
            raise ConfigError(
                f"{option} {threshold!r}: a threshold must lie strictly between 0 and 1 (a row is "
                f"{self.classes[1]!r} where its probability reaches it), e.g. 0.3"
            )
        return dataclasses.replace(self, threshold=float(threshold))

    @property
    def n_outputs(self) -> int:
        """Width of the model's last layer."""
        if self.kind == "binary":
            return 1
        if self.kind == "regression":
            return max(1, len(self.target_names))
        if self.kind == "language_model":
            return int(self.extra.get("vocab_size", 0))
        return len(self.classes)

    @property
    def loss_name(self) -> str:
        return _LOSSES[self.kind]

    @property
    def activation_name(self) -> str:
        return _ACTIVATIONS[self.kind]

    @property
    def metric_names(self) -> tuple[str, ...]:
        if self.kind == "tagging" and self.extra.get("scheme") == "iob2":
            return _ENTITY_METRICS
        return _METRICS[self.kind]

    @property
    def label_codes(self) -> tuple[Any, ...]:
        """The data's own labels in ``classes`` order where the classes are names given to them, else ``()``."""
        return tuple(self.extra.get("label_codes", ()))

    def label_index(self) -> dict[str, int]:
        """Each label's output index by its text: the classes, and the data's own labels they name."""
        index = {_key(c): i for i, c in enumerate(self.classes)}
        for i, code in enumerate(self.label_codes):
            index.setdefault(_key(code), i)
        return index

    def unknown_classes(self, labels: Iterable[Any]) -> list[str]:
        """The distinct ``labels`` (as text, sorted) that are neither a class nor a label a class names."""
        index = self.label_index()
        return sorted({str(label) for label in labels if _key(label) not in index})

    def as_class(self, label: Any) -> Any:
        """The class ``label`` stands for (itself, or the name given to it); ``label`` unchanged if none."""
        found = self.label_index().get(_key(label))
        return label if found is None else self.classes[found]

    @property
    def is_classification(self) -> bool:
        return self.kind != "regression"

    def activate(self, output: torch.Tensor) -> torch.Tensor:
        """Raw model output -> probabilities (classification) or values (regression).

        Binary outputs of shape ``(N, 1)`` become ``(N,)``: the probability of ``classes[1]``.
        """
        import torch  # here: the ONNX path activates in numpy (export._onnx_runtime.activate), torch-free

        if self.kind == "binary":
            return torch.sigmoid(output.float().reshape(-1))
        if self.kind in ("multiclass", "language_model", "tagging"):
            return torch.softmax(output.float(), dim=-1)
        if self.kind == "multilabel":
            return torch.sigmoid(output.float())
        return output.float().squeeze(-1) if output.ndim == 2 and output.shape[1] == 1 else output.float()

    def encode(self, values: Any) -> torch.Tensor:
        """Target values as given by the user -> the tensor the loss expects."""
        import torch  # here: predicting (decode) needs no torch, and an ONNX server never imports it

        if is_tensor(values):
            values = as_array(values)
        if (
            isinstance(values, np.ndarray)
            and values.ndim == 2
            and values.shape[1] == 1
            and self.kind != "multilabel"
        ):
            values = values[:, 0]  # one target as a column, (N, 1), is the same target as (N,)
        if self.kind == "regression":
            array = np.asarray(values, dtype=np.float32)
            # A copy in both cases: pandas may hand out read-only arrays, which torch warns about.
            return torch.from_numpy((array.reshape(len(array), -1) if array.ndim > 1 else array).copy())
        if self.kind == "multilabel":
            return torch.from_numpy(_multilabel_matrix(values, self, self.label_delim)).float()
        if self.kind == "language_model":
            return torch.as_tensor(values, dtype=torch.long)  # token ids
        if self.kind == "tagging":
            raise ConfigError(
                "tagging targets are sequences: the tagging recipe encodes them (text.tagging_data)"
            )
        index = self.label_index()
        keys = [_key(v) for v in _as_list(values)]
        unknown = sorted({k for k in keys if k not in index})
        respelled = _respelled(self.classes, unknown)
        if respelled:  # UCI Adult's test file writes '>50K.' where its training file has '>50K'
            pairs = ", ".join(
                f"{value!r} as {self.classes[code]!r}" for value, code in list(respelled.items())[:4]
            )
            warn(
                f"target values written otherwise than the known classes were read as them: {pairs}"
                f"{' ...' if len(respelled) > 4 else ''} (case, spaces or punctuation at an end); write the labels "
                "as the training data does to silence this",
                UserWarning,
            )
            index.update(respelled)
            unknown = []
        if unknown:
            shown = ", ".join(map(str, self.classes[:20]))
            more = f" ... ({len(self.classes)} in all)" if len(self.classes) > 20 else ""
            raise DataError(
                f"target values {unknown[:5]} were not seen when the task was set up; known classes: "
                f"{shown}{more}{_delimiter_hint(self.classes, unknown) or _spelling_hint(self.classes, unknown)}"
            )
        codes = torch.tensor([index[k] for k in keys], dtype=torch.long)
        return codes.float() if self.kind == "binary" else codes

    def decode(self, probabilities: Any, *, at_least_one: bool = False) -> list[Any]:
        """Activated outputs (a numpy array or a tensor) -> labels (a list per row for multilabel, floats for
        regression).

        Decoded in numpy, whichever engine ran the model: the PyTorch predictors and the ONNX one (which never
        imports torch) give the same labels from the same numbers. Thresholds are compared in the outputs' own
        type (float32 for a model's), as the probabilities are.

        ``at_least_one`` (multilabel only; off by default): a row whose every label falls short of its
        threshold gets its likeliest label instead of none, for a user who needs one answer a row; rows with a
        label over its threshold are decoded as without it. The likeliest is the highest probability, not the
        label nearest its threshold: on GoEmotions' test texts left without a label (6.7%, fast bag model, 30 s)
        it is one of the text's true labels in 31% of them; the highest probability divided by its threshold, in 28%.

        Example:
            >>> Task("binary", ("no", "yes"), threshold=0.5).decode(np.array([0.2, 0.5], dtype=np.float32))
            ['no', 'yes']
        """
        values = as_array(probabilities)
        if self.kind == "binary":
            positive = (values.reshape(-1) >= _same_type(self.threshold, values)).tolist()
            return [self.classes[1] if p else self.classes[0] for p in positive]
        if self.kind == "multiclass":
            return [self.classes[i] for i in values.argmax(axis=-1).tolist()]
        if self.kind == "language_model":
            return values.argmax(axis=-1).tolist()  # the likeliest next token ids
        if self.kind == "tagging":  # (B, T, C) probabilities or (B, T) decoded ids, padding < 0
            ids = values.argmax(axis=-1) if values.dtype.kind == "f" else values
            return [[self.classes[i] for i in row if i >= 0] for row in ids.tolist()]
        if self.kind == "multilabel":
            over = values >= _same_type(self.decision_threshold, values)  # (N, C)
            if at_least_one:
                likeliest = np.zeros_like(over)
                np.put_along_axis(likeliest, values.argmax(axis=-1)[..., None], True, axis=-1)
                over = over | (likeliest & ~over.any(axis=-1, keepdims=True))
            chosen = over.tolist()
            return [[c for c, on in zip(self.classes, row, strict=True) if on] for row in chosen]
        return values.tolist()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "classes": [_jsonable(c) for c in self.classes],
            "target_names": list(self.target_names),
            "threshold": self.threshold,
        }
        if self.label_delim is not None:
            data["label_delim"] = self.label_delim
        if self.label_thresholds:
            data["label_thresholds"] = list(self.label_thresholds)
        if self.kind == "language_model":
            data["vocab_size"] = self.n_outputs
        if self.kind == "tagging":
            data["scheme"] = self.extra.get("scheme", "none")
            data["source_scheme"] = self.extra.get("source_scheme", data["scheme"])
        if self.label_codes:
            data["label_codes"] = [_jsonable(c) for c in self.label_codes]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Task:
        return cls(
            kind=data["kind"],
            classes=tuple(data.get("classes", ())),
            target_names=tuple(data.get("target_names", ())),
            threshold=float(data.get("threshold", 0.5)),
            label_delim=data.get("label_delim"),
            extra=_extra_from_dict(data),
            label_thresholds=tuple(float(value) for value in data.get("label_thresholds") or ()),
        )


def name_labels(task: Task, names: LabelNames) -> Task:
    """``task`` with its classes named: ``names`` maps each label as the data writes it to the name shown and
    predicted (``{"0": "admiration", ...}``), or lists the names of the labels 0, 1, 2 ... in order; a path or a
    text is read as ``--label-names`` reads it (a file of one name per line, as GoEmotions' emotions.txt;
    ``"neg,pos"``; ``"0=neg,1=pos"``). The classes keep their order; the data's own labels stay readable
    (:attr:`Task.label_codes`), so held-out files written with them are scored alike."""
    from trainwell.core.label_names import label_names_given

    if task.kind not in ("binary", "multiclass", "multilabel"):
        raise ConfigError.worded(
            lambda say: (
                f"{say('label_names')} names the classes of a classifier; target "
                f"'{', '.join(task.target_names)}' is a {task.kind} task: drop {say('label_names')}"
            )
        )
    if task.label_codes:
        raise ConfigError(
            f"the classes of this task are named already ({', '.join(map(str, task.classes[:5]))})"
        )
    listed = label_names_given(names)
    assert listed is not None
    given = (
        {_key(code): name for code, name in listed.items()}
        if isinstance(listed, dict)
        else {str(i): name for i, name in enumerate(listed)}
    )
    target = ", ".join(task.target_names)
    every = list(given.values())
    twice = sorted({name for name in every if every.count(name) > 1})
    if twice:
        raise DataError.worded(
            lambda say: f"{say('label_names')} gives the name(s) {', '.join(twice[:5])} to several labels"
        )
    missing = [c for c in task.classes if _key(c) not in given]
    if missing:
        how = (
            (
                "it names label 0 alone"
                if len(given) == 1
                else f"it names the labels 0 to {len(given) - 1} by position"
            )
            if not isinstance(listed, dict)
            else f"it names {', '.join(list(given)[:5])}{' ...' if len(given) > 5 else ''}"
        )
        raise DataError.worded(
            lambda say: (
                f"{say('label_names')} has no name for the label(s) {', '.join(map(str, missing[:5]))}"
                f"{' ...' if len(missing) > 5 else ''} of target '{target}': {how}; "
                "give one name per label (LABEL=NAME pairs for labels that are not 0, 1, 2 ...)"
            )
        )
    named = [given[_key(c)] for c in task.classes]
    codes = {_key(c): c for c in task.classes}
    crossed = [
        name for name, code in zip(named, task.classes, strict=True) if name in codes and name != _key(code)
    ]
    if crossed:
        raise DataError.worded(
            lambda say: (
                f"{say('label_names')} names a label {crossed[0]!r}, which is another label of the data: a "
                "file written either way could not be read; pick names that are not labels"
            )
        )
    split = [name for name in named if task.label_delim and task.label_delim in name]
    if split:
        raise DataError.worded(
            lambda say: (
                f"{say('label_names')} names a label {split[0]!r}, which holds the separator "
                f"{task.label_delim!r} between labels: a prediction of it could not be read back; pick a name "
                "without it"
            )
        )
    unused = [code for code in given if code not in {_key(c) for c in task.classes}]
    if unused:
        shown = ", ".join(f"{code} ({given[code]})" for code in unused[:5])
        warn(
            f"label_names (--label-names) names {shown}{' ...' if len(unused) > 5 else ''}, which no training row "
            f"of target '{target}' holds: the model cannot predict {'it' if len(unused) == 1 else 'them'}",
            UserWarning,
        )
    return Task(
        task.kind,
        tuple(named),
        task.target_names,
        threshold=task.threshold,
        label_delim=task.label_delim,
        extra={**task.extra, "label_codes": tuple(task.classes)},
        label_thresholds=task.label_thresholds,
    )


def _extra_from_dict(data: dict[str, Any]) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if "vocab_size" in data:
        extra["vocab_size"] = int(data["vocab_size"])
    for key in ("scheme", "source_scheme"):
        if key in data:
            extra[key] = str(data[key])
    if data.get("label_codes"):
        extra["label_codes"] = tuple(data["label_codes"])
    return extra


def _delimiter_hint(classes: Sequence[Any], unknown: Sequence[Any]) -> str:
    """Advice when single-label classes look like several labels joined in one cell (``"joy;love"``)."""
    values = [str(value) for value in [*classes, *unknown]]
    for mark in (";", "|", ","):
        joined = [value for value in values if mark in value]
        if len(joined) >= 2 and len(joined) * 4 >= len(values):
            return (
                f"; several labels in one cell ({joined[0]!r})? pass --label-delim '{mark}' (Python: "
                f"label_delim='{mark}') to train a multi-label model"
            )
    return ""


#: Separators that join several labels in one cell (``drama|comedy``, ``sports;politics``, ``cat,dark``), read
#: without ``label_delim``: each combination then trains as a class of its own (:func:`joined_labels`).
LABEL_SEPARATORS = (";", "|", ",")
#: The share of the distinct labels that must hold one separator, and of those whose parts must recur, for the
#: labels to be read as joined (:func:`joined_labels`).
JOINED_SHARE = 0.5
#: A number written with a decimal comma or thousands separators (``3,5``, ``1,234``): one value, not two labels
#: (unless the labels are lists of label ids: :func:`_lists_of_ids`).
_NUMBER_WITH_COMMAS = re.compile(r"[-+]?(\d+,\d+|\d{1,3}(,\d{3})+)([.]\d+)?")
#: Whole numbers joined by commas (``2,5``, ``0,1,17``): a number with a decimal comma, or a list of label ids.
_NUMBER_LIST = re.compile(r"\d+( ?, ?\d+)+")
#: Thousands separators (``1,234,567``): the one way a number holds two commas.
_THOUSANDS = re.compile(r"\d{1,3}(,\d{3})+")


def _lists_of_ids(labels: Sequence[str]) -> bool:
    """Whether the whole numbers joined by commas among ``labels`` are lists of label ids (GoEmotions'
    ``2,5`` and ``0,1,17``), not numbers written with a decimal comma (``3,5``): some label joins three or more
    whole numbers and is no number with thousands separators, which no number written with commas does."""
    return any(
        _NUMBER_LIST.fullmatch(label) and label.count(",") >= 2 and not _THOUSANDS.fullmatch(label)
        for label in labels
    )


def joined_labels(labels: Iterable[Any]) -> tuple[str, list[str]] | None:
    """The separator of :data:`LABEL_SEPARATORS` that joins several labels in most cells of ``labels``, and the
    distinct labels holding it (first seen first); ``None`` when the labels look like classes.

    Joined: at least :data:`JOINED_SHARE` of the distinct labels hold the separator, and at least that share of
    those are made of parts each found in another label too (``drama`` in ``drama|comedy`` and ``action|drama``,
    or a label alone). A city's ``"New York, NY"`` in a handful of rows, places ``"Albany, NY"`` whose first part
    is their own, and numbers written with commas (``3,5``, ``1,234``) are classes, unless some label lists three
    whole numbers or more (GoEmotions' ``0,1,17`` beside ``2,5`` and ``27``: lists of label ids, :func:`_lists_of_ids`).

    >>> joined_labels(["drama|comedy", "comedy", "action|drama", "drama", "action|comedy"])
    ('|', ['drama|comedy', 'action|drama', 'action|comedy'])
    >>> joined_labels(["Albany, NY", "Buffalo, NY", "Boston, MA", "Salem, MA"]) is None
    True
    """
    distinct = list(
        dict.fromkeys(label.strip() for label in labels if isinstance(label, str) and label.strip())
    )
    if len(distinct) < 2:
        return None
    ids = _lists_of_ids(distinct)  # then 2,5 joins the labels 2 and 5, as 0,1,17 joins three
    for mark in LABEL_SEPARATORS:
        joined = [
            label
            for label in distinct
            if mark in label.strip(mark)
            and not (mark == "," and not ids and _NUMBER_WITH_COMMAS.fullmatch(label))
        ]
        if len(joined) < 2 or len(joined) < JOINED_SHARE * len(distinct):
            continue
        chosen = set(joined)
        parts = {
            label: {part.strip() for part in label.split(mark) if part.strip()}
            if label in chosen
            else {label}
            for label in distinct
        }
        found: dict[str, int] = {}
        for held in parts.values():
            for part in held:
                found[part] = found.get(part, 0) + 1
        recurring = [label for label in joined if all(found[part] >= 2 for part in parts[label])]
        if len(recurring) >= JOINED_SHARE * len(joined):
            return mark, joined
    return None


def joined_labels_advice(
    labels: Iterable[Any], what: str, unit: str = "a row", *, python: bool = False, asked: str | None = None
) -> str:
    """What :func:`warn_joined_labels` says of ``labels`` (of ``what``: ``"target 'genres'"``; ``unit``: what
    holds the labels, a row, a text or an image), or ``""`` when they look like classes. ``python``: the labels
    came through Python alone (``labels=``), so the fix names ``label_delim=`` only; ``asked``: the single-label
    kind the user asked for (``"multiclass"``), which the fix then replaces."""
    texts = [label.strip() for label in labels if isinstance(label, str) and label.strip()]
    found = joined_labels(texts)
    if found is None:
        return ""
    mark, joined = found
    chosen = set(joined)
    holding = sum(1 for text in texts if text in chosen)
    every = holding == len(texts)
    share = "every label" if every else f"{holding:,} of the {len(texts):,} labels"
    option = f"label_delim={mark!r}" if python else f"--label-delim '{mark}' (Python: label_delim={mark!r})"
    instead = f" instead of --task {asked} (Python: task={asked!r})" if asked else ""
    if mark == "," and all(_NUMBER_LIST.fullmatch(label) for label in joined):
        # GoEmotions' '2,5': said as what they are, lists of label ids, not words with a comma
        shown = ", ".join(repr(label) for label in joined[:3])
        classes = len({text for text in texts})
        return (
            f"{share} of {what} {'is a list' if every else 'are lists'} of label ids joined by ',' ({shown}): each "
            f"list is read as a class of its own ({classes:,} classes); for several labels {unit} (multi-label), "
            f"pass {option}{instead}"
        )
    return (
        f"{share} of {what} hold{'s' if every else ''} '{mark}' (e.g. {joined[0]!r}): each combination is read as "
        f"one class; for several labels {unit} (multi-label), pass {option}{instead}"
    )


#: The joined labels :func:`warn_joined_labels` warned of last (separator, joined labels, how many labels): a
#: caller that warned where it read the labels and then asks :func:`infer_task` for the kind it chose itself
#: (``text_data``: binary or multiclass) is not told twice.
_said_last: list[tuple[str, tuple[str, ...], int]] = []


def _joined_key(labels: Iterable[Any]) -> tuple[str, tuple[str, ...], int] | None:
    texts = [label.strip() for label in labels if isinstance(label, str) and label.strip()]
    found = joined_labels(texts)
    return None if found is None else (found[0], tuple(found[1]), len(texts))


def warn_joined_labels(
    labels: Iterable[Any], what: str, unit: str = "a row", *, python: bool = False
) -> bool:
    """Warn when ``labels``, read without ``label_delim``, join several labels in most cells (:func:`joined_labels`):
    each combination (``drama|comedy``) became a class of a single-label model, without a word. ``what`` names
    the labels (``"target 'genres'"``, ``"--label-col 'tags' in 'train.csv'"``), ``unit`` what holds them;
    ``python``: they came through Python alone (:func:`joined_labels_advice`). Returns whether it warned."""
    labels = list(labels)
    advice = joined_labels_advice(labels, what, unit, python=python)
    if advice:
        warn(advice, UserWarning)
        _said_last[:] = [key for key in [_joined_key(labels)] if key is not None]
    return bool(advice)


def _spelling_hint(classes: Sequence[Any], unknown: Sequence[Any]) -> str:
    """Advice when unseen labels are known classes spelled otherwise: another case, spaces, or punctuation at
    an end (UCI Adult's test file writes ``'>50K.'`` where its training file has ``'>50K'``)."""

    known = {plain_label(name): name for name in classes}
    pairs = [(value, known[plain_label(value)]) for value in unknown if plain_label(value) in known]
    if not pairs:
        return ""
    value, name = pairs[0]
    return (
        f"; {len(pairs)} of them {'is a known class' if len(pairs) == 1 else 'are known classes'} spelled "
        f"otherwise ({value!r} for {name!r}): write the labels as the training data does"
    )


def _respelled(classes: Sequence[Any], unknown: Sequence[str]) -> dict[str, int]:
    """The class index of each of ``unknown`` (label keys), when every one is a known class written otherwise
    (:func:`plain_label`) and no two classes read alike; else nothing (the labels are refused by name)."""
    if not unknown:
        return {}
    plain: dict[str, int] = {}
    for code, name in enumerate(classes):
        if plain.setdefault(plain_label(name), code) != code:
            return {}  # 'A' and 'a' are two classes: which one '.a' means is not for us to guess
    found = {value: plain.get(plain_label(value)) for value in unknown}
    return (
        {value: code for value, code in found.items() if code is not None}
        if None not in found.values()
        else {}
    )


def plain_label(value: Any) -> str:
    """A label as people read it: without case, outer spaces or punctuation at an end."""
    return str(value).strip().strip(".,;:!?'\"").strip().casefold()


def _warn_look_alike_classes(counts: pd.Series, name: str) -> None:
    """Warn of classes that differ only in case, spaces or punctuation at an end (``'Yes'`` and ``'yes'``): most
    often one class typed two ways, which the model then learns to tell apart by chance. Only a warning: in
    letters' case (EMNIST's ``'A'`` and ``'a'``) the difference is the point."""
    groups: dict[str, list[Any]] = {}
    for label in counts.index:
        if isinstance(label, str):
            groups.setdefault(plain_label(label), []).append(label)
    alike = [labels for labels in groups.values() if len(labels) > 1]
    if not alike:
        return
    shown = " and ".join(f"{label!r} ({int(counts[label])} rows)" for label in alike[0][:3])
    more = f"; {len(alike) - 1} more such group(s)" if len(alike) > 1 else ""
    warn(
        f"target '{name}' has classes that differ only in case, spaces or punctuation: {shown}{more}; if they are "
        "one class, write them alike in the data",
        UserWarning,
    )


#: Each of the two kinds of label must hold at least this share of the rows for a mix to be said: a stray "N/A"
#: among numbers is a cell, not a second way of writing the classes.
MIXED_LABELS_SHARE = 0.05


def _warn_mixed_classes(counts: pd.Series, name: str) -> None:
    """Warn of classes written partly as numbers and partly as words (``'0'``..``'6'`` beside ``'<=50K'`` and
    ``'>50K'``): most often two codings of the data joined, which the model learns as that many classes."""
    numbers = [label for label in counts.index if _number_like(label)]
    words = [label for label in counts.index if not _number_like(label)]
    if not numbers or not words:
        return
    total = float(counts.sum())
    in_numbers, in_words = float(counts[numbers].sum()), float(counts[words].sum())
    if min(in_numbers, in_words) < MIXED_LABELS_SHARE * total:
        return

    def listed(labels: list[Any]) -> str:
        shown = ", ".join(repr(label) for label in labels[:4])
        return shown + (f" ... ({len(labels)} in all)" if len(labels) > 4 else "")

    # '2,5' beside '2' and '5': whole numbers joined by commas, lists of label ids more likely than words
    lists = all(isinstance(label, str) and _NUMBER_LIST.fullmatch(label.strip()) for label in words)
    warn(
        f"target '{name}' writes some classes as numbers ({listed(sorted(numbers, key=_sort_key))}: "
        f"{int(in_numbers)} rows) and others as "
        + ("numbers joined by ','" if lists else "words")
        + f" ({listed(sorted(words, key=_sort_key))}: {int(in_words)} rows), so it is learned as {len(counts)} "
        + (
            "classes; if they are lists of label ids (several labels a row), pass --label-delim ',' (Python: "
            "label_delim=','); if they are numbers written with a decimal comma, write them with a point"
            if lists
            else "classes; if the numbers code the words (or the data joins two codings), write every label one way"
        ),
        UserWarning,
    )


def _number_like(label: Any) -> bool:
    if isinstance(label, bool):
        return False
    if isinstance(label, int | float):
        return True
    try:
        float(str(label))
    except ValueError:
        return False
    return True


#: Label pairs (negative, positive) that sorted order would put the wrong way round; a negated label ("not liked",
#: "no churn", "non-fraud") is found by its prefix instead (:func:`positive_last`).
OPPOSITE_LABELS = (("-", "+"), ("\N{THUMBS DOWN SIGN}", "\N{THUMBS UP SIGN}"), ("thumbsdown", "thumbsup"))
NEGATING_PREFIXES = ("not", "non", "no", "un", "dis", "dont", "didnt", "never")


def positive_last(classes: tuple[Any, ...]) -> tuple[Any, ...]:
    """Two labels ordered ``(negative, positive)``: a binary task's probability, F1 and the rest are of the second.
    Numbers and most text pairs (``no``/``yes``, ``neg``/``pos``, ``disliked``/``liked``) already sort that way; a
    label that negates the other (``no churn``/``churn``, ``not liked``, ``non_fraud``) and the pairs of
    :data:`OPPOSITE_LABELS` (``-``/``+``, thumbs down/up) do not, and are turned round.

    >>> positive_last(("churn", "no churn"))
    ('no churn', 'churn')
    """
    if len(classes) != 2 or not all(isinstance(label, str) for label in classes):
        return classes
    first, second = (re.sub(r"[\s_\-'’]", "", label.lower()) or label for label in classes)
    negated = any(second == prefix + first for prefix in NEGATING_PREFIXES)
    return (classes[1], classes[0]) if negated or (second, first) in OPPOSITE_LABELS else classes


def with_positive(task: Task, positive: Any) -> Task:
    """``task`` with the class ``positive`` (compared as text) second: the class a binary task's probability,
    F1, precision and recall are of.

    Raises:
        ConfigError: ``task`` is not binary, or has no class ``positive``.
    """
    if task.kind != "binary":
        raise ConfigError.worded(
            lambda say: (
                f"{say('positive', positive)} names the class a binary target's scores are of; target "
                f"'{task.target_names[0]}' is {task.kind}: drop {say('positive')}"
            )
        )
    matches = [label for label in task.classes if str(label) == str(positive)]
    if not matches:
        shown = ", ".join(repr(label) for label in task.classes)
        raise ConfigError.worded(
            lambda say: (
                f"{say('positive', positive)} is not a class of target '{task.target_names[0]}'; its classes are "
                f"{shown}"
            )
        )
    other = next(label for label in task.classes if label != matches[0])
    return dataclasses.replace(task, classes=(other, matches[0]))


def infer_task(
    targets: Any,
    *,
    name: str = "target",
    kind: str | None = None,
    label_delim: str | None = None,
    label_names: LabelNames | None = None,
    positive: Any = None,
    joined_said: bool = False,
) -> Task:
    """Infer the task from target values (a Series, a DataFrame of several targets, an array or a list).

    Rules: several numeric target columns (a DataFrame, or a 2-D array or tensor: one target per column, named
    ``{name}_0``, ``{name}_1``...) -> regression (or multilabel if all 0/1); lists of labels or strings
    split by ``label_delim`` -> multilabel; bool or two distinct values -> binary; text or integers with at most
    :data:`MAX_INTEGER_CLASSES` distinct values -> multiclass; other numbers -> regression. ``kind`` overrides.
    ``label_names`` names the classes (:func:`name_labels`). A binary task's second class is the one its
    probability and scores are of: the later in sorted order, unless one label negates the other
    (:func:`positive_last`: ``churn`` of ``churn``/``no churn``); ``positive`` names it instead.
    Labels that join several in a cell (``drama|comedy``) without ``label_delim`` are warned of
    (:func:`warn_joined_labels`) when ``kind`` is left out and when it asks for ``binary`` or ``multiclass``;
    ``joined_said``: the caller warned of them already, where it read them.

    >>> infer_task(["cat", "dog", "cat"]).kind
    'binary'
    >>> infer_task([0.5, 1.25, 3.0, 2.0]).kind
    'regression'
    >>> infer_task(["1", "0", "1"], label_names=["negative", "positive"]).classes
    ('negative', 'positive')
    """
    task = _inferred(targets, name=name, kind=kind, label_delim=label_delim, joined_said=joined_said)
    task = task if label_names is None else name_labels(task, label_names)
    return task if positive is None else with_positive(task, positive)


def _inferred(
    targets: Any, *, name: str, kind: str | None, label_delim: str | None, joined_said: bool = False
) -> Task:
    import pandas as pd  # here, not at module level: `import trainwell` stays fast

    if kind == "language_model":
        raise ConfigError.worded(
            lambda say: (
                f"{say('task', kind)} reads text, not a target column; train it with "
                + say.either("fit_language_model(corpus)", "trainwell fit corpus/ --task language_model")
            )
        )
    if kind == "tagging":
        raise ConfigError.worded(
            lambda say: (
                f"{say('task', kind)} reads sentences with one tag per word (CoNLL or CoNLL-U files), "
                "not a target column; train it with "
                + say.either("fit_tagger('train.conll')", "trainwell fit train.conll --task tagging")
            )
        )
    if kind is not None and kind not in TARGET_KINDS:
        raise ConfigError.worded(
            lambda say: f"{say('task', kind)} is not known; use one of: {', '.join(TARGET_KINDS)}"
        )
    matrix = _numeric_matrix(targets)
    if matrix is not None:
        # A 2-D array or tensor of numbers holds one target per column (sklearn's y of shape (N, K)), not a
        # list of labels per row: its columns are read as a table's would be, a single column as one target.
        if matrix.shape[1] == 1:
            targets = matrix[:, 0]
        else:
            targets = pd.DataFrame(matrix, columns=[f"{name}_{i}" for i in range(matrix.shape[1])])
    if isinstance(targets, pd.DataFrame):
        if label_delim is not None:
            columns = ", ".join(map(str, targets.columns))
            raise ConfigError.worded(
                lambda say: (
                    f"{say('label_delim')} is for one column holding several labels per cell; the targets "
                    f"{columns} are separate columns (0/1 columns are multi-label without it): drop "
                    f"{say('label_delim')}"
                )
            )
        return _infer_from_frame(targets, kind)
    series = targets if isinstance(targets, pd.Series) else pd.Series(_as_list(targets), dtype=object)
    names = (str(series.name) if series.name is not None else name,)
    if label_delim is not None and pd.api.types.is_numeric_dtype(series.dtype):
        raise DataError.worded(
            lambda say: (
                f"{say('label_delim')} is for a column of labels written as text ('a{label_delim}b'); "
                f"target '{names[0]}' holds numbers: drop {say('label_delim')}"
            )
        )
    # A cell of spaces is as empty as a blank one: not a class named "  ".
    blank = series.map(lambda value: isinstance(value, str) and not value.strip())
    series = series.where(~blank.astype(bool), None) if bool(blank.any()) else series
    present = series.dropna()
    if len(present) == 0:
        raise DataError(
            f"target '{names[0]}' has no values (all {len(series)} are missing); pick another --target"
        )
    if label_delim is not None and (kind is None or kind == "multilabel"):
        # Labels separated in one cell: an empty cell is a row with no label, not a missing target.
        labels = _split_labels(present, label_delim)
        classes = tuple(sorted({lab for row in labels for lab in row}, key=_sort_key))
        if not classes:
            raise DataError(f"target '{names[0]}' holds no labels at all")
        return Task("multilabel", classes, names, label_delim=label_delim)
    if len(present) < len(series):
        raise DataError(
            f"target '{names[0]}' is missing in {len(series) - len(present)} of {len(series)} rows; "
            "drop those rows or fill them before training"
        )
    if label_delim is not None or kind == "multilabel" or _looks_multilabel(present):
        labels = _split_labels(present, label_delim)
        classes = tuple(sorted({lab for row in labels for lab in row}, key=_sort_key))
        if not classes:
            raise DataError(f"target '{names[0]}' holds no labels at all")
        return Task("multilabel", classes, names, label_delim=label_delim)
    text = present.dtype == object or isinstance(present.dtype, pd.StringDtype)  # pandas 3 reads text as str
    if kind is None and text:
        # Prices with an 'unknown' are no classification over thousands of prices (a table read by tabular_data
        # is refused before, naming the cells' data rows; these values may have lost theirs).
        from trainwell.data.text_cells import refuse_text_in_number_target

        refuse_text_in_number_target(present, np.ones(len(present), dtype=bool), names[0], None, rows=False)
    numeric = pd.to_numeric(present, errors="coerce") if text else present
    is_numeric = pd.api.types.is_numeric_dtype(numeric) and not pd.api.types.is_bool_dtype(numeric)
    is_numeric = is_numeric and not bool(pd.isna(numeric).any())
    if kind == "regression" or (kind is None and is_numeric and _is_quantity(numeric)):
        if not is_numeric:
            words = present[pd.isna(pd.to_numeric(present, errors="coerce"))] if text else present
            example = plain_value(words.iloc[0] if len(words) else present.iloc[0])
            cells = (
                f"{len(words)} cell{'s' if len(words) != 1 else ''} of text"
                if len(words) < len(present)
                else "text"
            )
            raise DataError(
                f"target '{names[0]}' holds {cells}, e.g. {example!r}; a regression target must be numbers: fix "
                "or drop those rows"
            )
        return Task("regression", (), names)
    if pd.api.types.is_float_dtype(present.dtype) and bool((present % 1 == 0).all()):
        # Whole numbers read as floats because other rows' targets were missing (pandas has no NaN in an
        # integer column): the classes are 0 and 1 as the file writes them, not '0.0' and '1.0'.
        present = present.astype(np.int64)
    classes = tuple(sorted(present.map(_jsonable).unique().tolist(), key=_sort_key))
    if len(classes) < 2:
        raise DataError(
            f"target '{names[0]}' has a single value ({classes[0]!r}) in every row; there is nothing to learn. "
            "Check the column or the filter that produced the data"
        )
    counts = present.map(_jsonable).value_counts()
    once = int((counts == 1).sum())
    # Several labels joined in a cell (drama|comedy) without label_delim: each combination a class. Said when
    # the kind is inferred, and when binary or multiclass is asked for (a classifier over the combinations, which
    # the user may not know they asked for); not again when the caller said it where it read the labels.
    said = _said_last[:1]
    _said_last.clear()
    asked = (
        kind in ("binary", "multiclass")
        and not joined_said
        and not (said and said[0] == _joined_key(present))
    )
    what = f"target '{names[0]}'"
    joined = (
        joined_labels_advice(present, what)
        if kind is None
        else joined_labels_advice(present, what, asked=kind)
        if asked
        else ""
    )
    if len(present) >= MIN_ROWS_FOR_ID_CHECK and once > len(present) / 2:
        raise DataError(
            f"target '{names[0]}' has {len(classes)} different values in {len(present)} rows, {once} of them seen "
            "only once: a class seen once cannot be learned. "
            + (
                joined[0].upper() + joined[1:]
                if joined
                else "It looks like an ID or free text; pick another --target (or, if it is a quantity, pass "
                "--task regression)"
            )
        )
    if joined:
        warn(joined, UserWarning)
    _warn_look_alike_classes(counts, names[0])
    if joined_labels(present) is None:  # else the joined labels are the "words", and were said to be joined
        _warn_mixed_classes(counts, names[0])
    chosen = kind or ("binary" if len(classes) == 2 else "multiclass")
    if chosen == "binary" and len(classes) != 2:
        quantity = is_numeric and _is_quantity(numeric)
        raise DataError.worded(
            lambda say: (
                f"{say('task', 'binary')} needs 2 classes but target '{names[0]}' has {len(classes)}; "
                + (
                    f"it holds a quantity: drop {say('task')} (regression)"
                    if quantity
                    else f"use {say('task', 'multiclass')}"
                )
            )
        )
    return Task(chosen, positive_last(classes) if chosen == "binary" else classes, names)


def warn_whole_number_classes(labels: Any, name: str, examples: str) -> None:
    """Warn when ``labels``, read as classes because texts and images take whole numbers as classes (digits,
    stars), are more than :data:`MAX_INTEGER_CLASSES` different whole numbers: a score of 1 to 100 or an age is
    more likely a quantity, which ``--task regression`` learns as one (``examples``: what the labels are of,
    "texts" or "images"). Labels written as text (class folders named by numbers) are names, not numbers: no
    warning. A table's target of that many whole numbers is a regression without asking."""
    import pandas as pd

    series = labels if isinstance(labels, pd.Series) else pd.Series(list(labels), dtype=object)
    present = series.dropna()
    if any(isinstance(value, str) for value in present):  # folders named 1 to 102 (Oxford's flowers): names
        return
    numbers = pd.to_numeric(present, errors="coerce")
    if not len(present) or numbers.isna().any() or pd.api.types.is_bool_dtype(present):
        return
    values = numbers.to_numpy(dtype=float)
    distinct = len(np.unique(values))
    if distinct > MAX_INTEGER_CLASSES and np.all(values == np.round(values)):
        warn(
            f"target '{name}' holds {distinct} different whole numbers ({values.min():g} to {values.max():g}), "
            f"read as {distinct} classes of {examples}; if it is a quantity (a score, an age, a count), pass "
            "--task regression (Python: task='regression') to learn it as a number",
            UserWarning,
        )


#: Rows from which a class target whose values are mostly unique is refused as an ID (below it, too few to say).
MIN_ROWS_FOR_ID_CHECK = 20


def warn_single_row_classes(task: Task, values: pd.Series, labelled: np.ndarray) -> None:
    """Warn of the classes of ``task`` seen in a single row of ``values`` (the target column, ``labelled``
    marking the rows that hold one): a typo (a ``2`` in a 0/1 target) that silently made the task multiclass,
    or a class too rare to learn. A class seen once lands in the training rows, where nothing validates it, or
    in the validation rows, never learned. A target whose values are mostly seen once is an ID and refused
    (:func:`infer_task`); a few such classes beside well-populated ones are warned of here."""
    if task.kind not in ("binary", "multiclass") or len(values) < MIN_ROWS_FOR_ID_CHECK:
        return
    from trainwell.data.dates import data_row

    positions = np.flatnonzero(labelled)
    kept = values.iloc[positions]
    counts = kept.value_counts()  # by value, then by text below: 1 and 1.0 are one class
    by_text: dict[str, int] = {}
    for value, count in counts.items():
        by_text[_key(value)] = by_text.get(_key(value), 0) + int(count)
    once = sorted((key for key, count in by_text.items() if count == 1), key=_sort_key)
    if not once:
        return
    lone = np.flatnonzero(kept.isin([value for value in counts.index if _key(value) in once]).to_numpy())
    rows = {_key(kept.iloc[i]): data_row(values, int(positions[i])) for i in lone}
    shown = ", ".join(f"{key!r} ({rows[key]})" for key in once[:5])
    more = f" and {len(once) - 5} more" if len(once) > 5 else ""
    multiclass = (
        f"; with it the task is {task.kind} over {len(task.classes)} classes"
        if task.kind == "multiclass" and len(task.classes) - len(once) <= 2
        else ""
    )
    name = task.target_names[0]
    warn(
        f"target '{name}' has {'a class' if len(once) == 1 else f'{len(once)} classes'} seen in a single row: "
        f"{shown}{more}{multiclass}. A class seen once cannot be learned and validated (its row is in training or "
        "in validation, not both): if "
        + ("it is a typo, fix it or leave that cell empty" if len(once) == 1 else "they are typos, fix them"),
        UserWarning,
    )


def _infer_from_frame(frame: pd.DataFrame, kind: str | None) -> Task:
    import pandas as pd

    names = tuple(str(c) for c in frame.columns)
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ConfigError(
            f"target {', '.join(repr(n) for n in repeated)} is named twice in --target; name it once"
        )
    if frame.isna().to_numpy().any():
        raise DataError(f"target columns {list(names)} have missing values; drop or fill those rows first")
    values = frame.to_numpy()
    binary = np.isin(values, (0, 1, True, False)).all()
    if kind == "multilabel" or (kind is None and binary):
        return Task("multilabel", names, names)
    if kind in ("binary", "multiclass"):
        raise ConfigError.worded(
            lambda say: (
                f"{say('task', kind)} predicts one class per row, but there are {len(names)} targets "
                f"({', '.join(names[:5])}); several targets are multilabel (0/1 columns) or regression: pass one of "
                "those, or train one model per target"
            )
        )
    # Several targets that are not 0/1 flags are one regression: each must hold numbers.
    for name in names:
        numbers = pd.to_numeric(frame[name], errors="coerce")
        if numbers.isna().any():
            example = frame[name][numbers.isna()].iloc[0]
            raise DataError(
                f"target '{name}' holds text, e.g. {str(example)!r}; several targets train as one regression, "
                "which needs numbers in each. Train one model per target (a class target alone is classification)"
            )
    if kind is None:
        flags = [name for name in names if frame[name].nunique() <= 2]
        numbers = [name for name in names if name not in flags]
        if flags and numbers:
            raise DataError(
                f"targets {', '.join(repr(n) for n in flags)} (two values: a class) and "
                f"{', '.join(repr(n) for n in numbers)} (numbers) are different kinds, and one model would score "
                "them as one regression in mixed units; train one model per target (or pass --task regression "
                "to treat them all as numbers)"
            )
    return Task("regression", (), names)


def _numeric_matrix(targets: Any) -> np.ndarray | None:
    """``targets`` as a 2-D numpy array when it is a 2-D numeric array or tensor, else ``None``."""
    if is_tensor(targets):
        targets = as_array(targets)
    if isinstance(targets, np.ndarray) and targets.ndim == 2 and targets.dtype.kind in "biuf":
        return targets
    return None


def _is_quantity(values: pd.Series) -> bool:
    as_float = values.astype(float).to_numpy()
    integral = bool(np.all(np.isfinite(as_float)) and np.all(as_float == np.round(as_float)))
    return not integral or len(np.unique(as_float)) > MAX_INTEGER_CLASSES


def _looks_multilabel(values: pd.Series) -> bool:
    first = values.iloc[0]
    return isinstance(first, list | tuple | set | frozenset)


def _split_labels(values: pd.Series, delim: str | None) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for value in values:
        if isinstance(value, list | tuple | set | frozenset):
            rows.append([_jsonable(v) for v in value])
        elif delim is not None:
            rows.append([part.strip() for part in str(value).split(delim) if part.strip()])
        else:
            rows.append([_jsonable(value)])
    return rows


def unknown_labels(task: Task, values: Any) -> dict[str, int]:
    """Labels of multi-label ``values`` (lists, or text split by the task's ``label_delim``) that are not among
    the task's classes, with the number of rows holding each: :meth:`Task.encode` leaves them out."""
    import pandas as pd

    if task.kind != "multilabel" or isinstance(values, pd.DataFrame):
        return {}
    known = set(task.label_index())
    counts: dict[str, int] = {}
    for labels in _as_list(values):
        if isinstance(labels, str):
            labels = (
                [part.strip() for part in labels.split(task.label_delim)] if task.label_delim else [labels]
            )
        if not isinstance(labels, list | tuple | set):
            continue
        for label in {str(label) for label in labels if str(label) and _key(label) not in known}:
            counts[label] = counts.get(label, 0) + 1
    return dict(sorted(counts.items()))


def warn_unknown_labels(task: Task, values: Any, where: str) -> None:
    """Warn that labels of held-out rows the training rows lack are left out: nothing else says so."""
    unknown = unknown_labels(task, values)
    if unknown:
        shown = ", ".join(
            f"{label} ({n} row{'' if n == 1 else 's'})" for label, n in list(unknown.items())[:5]
        )
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        warn(
            f"{where}: label(s) the training rows lack are left out, as the model cannot learn them: "
            f"{shown}{more}",
            UserWarning,
        )


def _multilabel_matrix(values: Any, task: Task, delim: str | None = None) -> np.ndarray:
    import pandas as pd  # here, not at module level: `import trainwell` stays fast

    if isinstance(values, pd.DataFrame):
        return values.to_numpy(dtype=np.float32, copy=True)
    array = _numeric_array(values) if not isinstance(values, pd.Series) else None
    if array is not None and array.ndim == 2 and array.shape[1] == len(task.classes):
        return array.astype(np.float32)
    index = task.label_index()
    matrix = np.zeros((len(values), len(task.classes)), dtype=np.float32)
    for row, labels in enumerate(_as_list(values)):
        if labels is None or (isinstance(labels, float) and labels != labels):
            continue  # an empty cell: no label
        if isinstance(labels, str):
            labels = [part.strip() for part in labels.split(delim)] if delim is not None else [labels]
        elif not isinstance(labels, list | tuple | set | frozenset | np.ndarray):
            # One label id read as a number: a column of ids ('0', '2', '') with no row of two reads as floats
            # (report --data stopped on "'float' object is not iterable"); 2.0 is the label '2' (_key).
            labels = [labels]
        for label in labels:
            if _key(label) in index:
                matrix[row, index[_key(label)]] = 1.0
    return matrix


def _numeric_array(values: Any) -> np.ndarray | None:
    """``values`` as a numeric array, or ``None`` for lists of labels (ragged, or text)."""
    try:
        array = np.asarray(values)
    except ValueError:  # ragged lists such as [["a"], ["b", "c"]]
        return None
    return array if array.dtype.kind in "biuf" else None


def _same_type(thresholds: Any, values: np.ndarray) -> np.ndarray:
    """``thresholds`` in the type of the float ``values`` they are compared with (float32 for integers), as torch
    compared a tensor with them: 0.3 as float32 is not 0.3 as float64, and a probability of exactly 0.3f must
    reach it."""
    return np.asarray(thresholds, dtype=values.dtype if values.dtype.kind == "f" else np.float32)


def _as_list(values: Any) -> list[Any]:
    import pandas as pd  # here, not at module level: `import trainwell` stays fast

    if isinstance(values, pd.Series | pd.Index):
        return values.tolist()
    if isinstance(values, np.ndarray) or is_tensor(values):
        return values.tolist()
    return list(values)


def plain_value(value: Any) -> Any:
    """numpy scalars -> Python scalars: classes survive a JSON round trip unchanged, and a message shows ``inf``
    or ``3.5``, not numpy's ``np.float64(3.5)``."""
    if isinstance(value, np.generic):
        return value.item()
    return value


_jsonable = plain_value


def _key(value: Any) -> str:
    """Compare labels by text so that 1, 1.0 from a CSV and "1" from JSON match."""
    value = _jsonable(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _sort_key(value: Any) -> tuple[int, Any, str]:
    # Numbers sort numerically before text, numbers written as text too (GoEmotions' label ids "0,15": 2 before
    # 10, not after 19); False < True; mixed types never raise.
    if isinstance(value, bool):
        return (0, int(value), "")
    if isinstance(value, int | float):
        return (1, value, "")
    text = str(value)
    if _NUMBER_TEXT.fullmatch(text):
        return (1, float(text), text)
    return (2, 0, text)


#: A label written as a plain decimal number ("7", "-2", "3.5").
_NUMBER_TEXT = re.compile(r"-?\d+(\.\d+)?")
