"""The DataBundle: what a Learner needs to know about the data, in one object."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from os import PathLike
from typing import Any, Literal, Protocol

import numpy as np
import torch

from trainwell.core.errors import ConfigError, DataError
from trainwell.core.warn import warn
from trainwell.data.loader import TensorLoader
from trainwell.data.task import Task, infer_task


class Recipe(Protocol):
    """Fitted preprocessing: plain data that survives a JSON round trip."""

    def to_dict(self) -> dict[str, Any]: ...


@dataclass
class DataBundle:
    """Task + fitted recipe + loaders.

    Attributes:
        task: what is predicted (decides loss, metrics, decoding).
        train: the training loader (shuffled).
        valid: the validation loader, or ``None`` to train without one.
        test: an optional held-out loader, only used when asked for.
        recipe: the fitted preprocessing, or ``None`` for data that is already tensors.
        application: which application built it (``"tabular"``, ...): decides how an artifact is served.
        model_hints: what a model factory needs to fit the data (input sizes, cardinalities...).
        augmentation: a training-only batch transform (kept beside the recipe, never in it); the
            application's learner factory installs the callback that applies it.
        leaks: input columns warned of as leaking the answer (one alone decides the target on the training
            rows, or the data's own description says so): ``trainwell fit`` names them again beside its scores.
        rows: each held-out split's rows as read, in its loader's order, where the application keeps them
            (tables: their first training rows, and ``rows["valid"]`` and ``rows["test"]`` up to 200,000 rows
            each): :class:`~trainwell.interpret.ClassificationInterpretation` shows them beside the top losses.
    """

    task: Task
    train: Iterable[Any]
    valid: Iterable[Any] | None = None
    test: Iterable[Any] | None = None
    recipe: Recipe | None = None
    application: str = "generic"
    model_hints: dict[str, Any] = field(default_factory=dict)
    augmentation: Any = None
    leaks: tuple[str, ...] = ()
    rows: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.task, str):
            self.task = _task_from_name(self.task)
        elif not isinstance(self.task, Task):
            raise ConfigError(
                f"DataBundle task must be a Task or a task name, got {type(self.task).__name__}: pass e.g. "
                "task=Task('multiclass', classes=[0, 1, 2]) (from trainwell.data import Task) or task='regression'"
            )

    def show_batch(self, n: int = 8, split: str = "train") -> Any:
        """The first ``n`` rows of ``split`` as read, beside their target (a table's: a look at what was read before
        training on it); images, texts and tagged sentences have their own (a PNG grid, the tokens the model
        reads, each sentence's words and tags)."""
        refuse_a_path(n, "rows as read, beside their target")
        rows = self.rows.get(split)
        if rows is None:
            raise ConfigError(self._nothing_to_show(split))
        return rows.head(n)

    def _nothing_to_show(self, split: str) -> str:
        """Why :meth:`show_batch` has no rows of ``split``, in words about this kind of data: the tour's tagging
        and ratings users were told what tables and tensor_data keep, which was neither of theirs."""
        kind = _KINDS.get(self.application, f"{self.application!r}")
        first = f"show_batch: this data keeps no rows of its {split!r} split to show"
        if split not in self.loaders():
            has = ", ".join(self.loaders())
            return f"{first}: this {kind} data has no {split!r} split (it has: {has}); pass one of those as split="
        if self.rows:
            return (
                f"{first} (it keeps: {', '.join(self.rows)}); {kind} data keeps a held-out split's rows as read "
                "only when it is small enough to copy beside its tensors"
            )
        if self.application == "generic":
            return (
                f"{first}: tensor data (tensor_data, or a DataBundle of loaders of your own) holds tensors, not rows "
                "as read; look at a batch instead: next(iter(data.train))"
            )
        return (
            f"{first}: {kind} data keeps no rows as read; look at a batch of what the model reads instead: "
            f"next(iter(data.{split}))"
        )

    def loaders(self) -> dict[str, Iterable[Any]]:
        found = {"train": self.train, "valid": self.valid, "test": self.test}
        return {name: loader for name, loader in found.items() if loader is not None}

    def __repr__(self) -> str:
        sizes = ", ".join(f"{name}={_rows(loader)}" for name, loader in self.loaders().items())
        return f"DataBundle(task={self.task.kind}, {sizes}, application={self.application!r})"


def _task_from_name(name: str) -> Task:
    """``DataBundle(task="regression")``: the task a name alone describes. ``"binary"`` is over the targets 0 and 1
    (what a loader of your own gives a binary loss); the kinds whose classes the name cannot say are refused in one
    line naming ``Task(kind, classes=...)`` (it failed with "'str' object has no attribute 'loss_name'")."""
    from trainwell.data.task import TASK_KINDS

    if name == "regression":
        return Task("regression")
    if name == "binary":
        return Task("binary", classes=(0, 1))
    if name == "language_model":
        raise ConfigError(
            "DataBundle(task='language_model'): a language model's task needs its vocabulary size, which a name "
            "cannot say: pass task=Task('language_model', extra={'vocab_size': N}) (from trainwell.data import Task)"
        )
    if name in TASK_KINDS:
        needs = {"multilabel": "labels", "tagging": "tags"}.get(name, "classes")
        raise ConfigError(
            f"DataBundle(task={name!r}): a {name} task needs its {needs} in output order, which a name cannot "
            f"say: pass task=Task({name!r}, classes=[...]) (from trainwell.data import Task)"
        )
    raise ConfigError(
        f"DataBundle(task={name!r}): not a task kind; use one of: {', '.join(TASK_KINDS)}, or a Task (from "
        "trainwell.data import Task)"
    )


def refuse_a_path(n: Any, what: str, *, method: str = "show_batch", subject: str = "this data") -> None:
    """``show_batch("batch.png")`` on data that answers with a table (and ``learn.show_results("results.png")`` on
    a Learner that does: ``method`` and ``subject`` name them): a path where ``n`` goes gave pandas' raw TypeError;
    said in one line instead (only images draw a PNG grid)."""
    if isinstance(n, str | PathLike):
        raise ConfigError(
            f"{method}({str(n)!r}): {subject} shows its {what} as a DataFrame, not a PNG (only images draw a "
            f"grid); call {method}() or {method}(n) and save the table yourself (e.g. .to_csv(path))"
        )


#: How :meth:`DataBundle.show_batch` names each application's data in its refusals.
_KINDS = {
    "tabular": "table",
    "collab": "ratings",
    "text": "text",
    "vision": "image",
    "generic": "tensor",
}


def _rows(loader: Iterable[Any]) -> str:
    """How many examples ``loader`` holds, in their unit: sentences for a tagger (as its evaluation and
    cross-validation count them), tokens for a language model's stream, rows for the rest."""
    n_sentences = getattr(loader, "n_sentences", None)
    if n_sentences is not None:
        return f"{n_sentences} sentences"
    n_tokens = getattr(loader, "n_tokens", None)
    if n_tokens is not None:  # a language model's token stream
        return f"{n_tokens} tokens"
    n_rows = getattr(loader, "n_rows", None)
    return f"{n_rows} rows" if n_rows is not None else "stream"


def random_split(n_rows: int, valid_pct: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Shuffled train and valid row indices, ``valid_pct`` of rows to valid (at least one row each), each sorted
    (the file's order: a class-sorted file's first validation batches are then one class, so images, texts and
    tables put the validation rows in :func:`~trainwell.data.fair_order.fair_order` after the split)."""
    if not 0.0 < valid_pct < 1.0:
        raise ConfigError(f"--valid-pct must be between 0 and 1 (exclusive), got {valid_pct}")
    if n_rows < 2:
        raise DataError(f"need at least 2 rows to split into train and valid, got {n_rows}")
    order = np.random.default_rng(seed).permutation(n_rows)
    n_valid = min(n_rows - 1, max(1, round(n_rows * valid_pct)))
    return np.sort(order[n_valid:]), np.sort(order[:n_valid])


def keep_classes_in_train(
    train_index: np.ndarray,
    valid_index: np.ndarray,
    labels: Sequence[Any],
    what: str,
    *,
    unit: Literal["row", "image", "text"] = "row",
) -> tuple[np.ndarray, np.ndarray]:
    """A random split of single-label rows with every class in training: for each class whose rows the draw
    put all in validation (a class of one image or text, or a rare one), its first validation row is moved to
    training, and a warning names the classes, counting in ``unit`` (images, texts, a table's rows).

    Without it such a class could not be learned, and a task fitted on the training labels refused the
    validation rows, so that a folder with one image of a class failed or not depending on the seed. Labels
    are compared by their text (``7`` and ``"7"`` are one class). Only for a split drawn at random: a split the
    user made is kept as made.
    """
    in_train = {str(labels[i]) for i in train_index}
    moved: dict[str, int] = {}
    for index in valid_index.tolist():
        key = str(labels[index])
        if key not in in_train and key not in moved:
            moved[key] = int(index)
    if not moved:
        return train_index, valid_index
    shown = ", ".join(repr(key) for key in list(moved)[:5]) + (
        f" and {len(moved) - 5} more" if len(moved) > 5 else ""
    )
    from trainwell.core.warn import warn

    warn(
        f"{what}: the random validation share drew every {unit} of class(es) {shown}; one {unit} of each was moved "
        f"to training, as a class with no training {unit}s cannot be learned (add more of them, or pass the "
        "validation set yourself)",
        UserWarning,
    )
    kept = set(moved.values())
    train = np.sort(np.concatenate([train_index, np.array(sorted(kept), dtype=train_index.dtype)]))
    valid = np.array([i for i in valid_index.tolist() if i not in kept], dtype=valid_index.dtype)
    return train, valid


def check_split_settings(
    valid_pct: float,
    batch_size: int | None,
    *,
    fewest_rows: int = 1,
    why: str = "",
    valid_pct_example: float = 0.2,
) -> None:
    """Refuse a ``valid_pct`` outside [0, 1) and a ``batch_size`` that is not a whole number of at least
    ``fewest_rows`` (``why``: the reason for that least, said in brackets), in one line each, naming the
    setting as the caller spells it (Python keyword, or command-line option)."""
    import numbers

    if batch_size is not None and (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, numbers.Integral)
        or batch_size < fewest_rows
    ):
        reason = f" ({why})" if why else ""
        raise ConfigError.worded(
            lambda say: (
                f"{say('batch_size')} must be a whole number of at least {fewest_rows}{reason}, got {batch_size!r}; "
                f"pass e.g. {say('batch_size', 64)}"
            )
        )
    if not 0 <= valid_pct < 1:
        raise ConfigError.worded(
            lambda say: (
                f"{say('valid_pct')} must be at least 0 and less than 1, got {valid_pct}; pass e.g. "
                f"{say('valid_pct', valid_pct_example)}"
            )
        )


def choose_split(
    df: Any,
    *,
    valid_pct: float,
    valid_col: str | None = None,
    splits: tuple[Sequence[int], Sequence[int]] | None = None,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Train and valid row positions of the table ``df``: explicit ``splits``, else the rows ``valid_col``
    marks, else ``valid_pct`` of the rows at random (none when it is 0)."""
    if splits is not None:
        train_index, valid_index = (np.asarray(s, dtype=np.int64) for s in splits)
        out_of_range = any(
            len(ix) and (ix.min() < 0 or ix.max() >= len(df)) for ix in (train_index, valid_index)
        )
        if len(train_index) == 0 or out_of_range:
            raise ConfigError(
                f"splits must hold row positions from 0 to {len(df) - 1}, and train must not be empty"
            )
        return train_index, valid_index
    if valid_col is not None:
        return mask_split(df[valid_col].tolist(), source=f"--valid-col '{valid_col}'")
    if valid_pct == 0:
        return np.arange(len(df)), np.arange(0)
    warn_unused_valid_marker(df)
    return random_split(len(df), valid_pct, seed)


#: Column names that mark validation rows in shared datasets (fastai's ``is_valid``, a ``split`` of
#: train/valid): with no ``valid_col`` given, a column so named and holding only marks gets a warning.
_VALID_MARKER_NAME = re.compile(
    r"^(?:is_?)?(?:valid|validation|val)(?:_?(?:set|split|row))?$|^(?:data_?)?split$", re.I
)
_TRUTHY = frozenset({True, "1", "true", "True", "TRUE", "yes", "valid", "validation"})
_FALSY = frozenset({False, "0", "false", "False", "FALSE", "no", "train", "training"})


def is_valid_marker(values: Any, name: str) -> bool:
    """Whether a column looks like a mark of validation rows: named like ``is_valid`` or ``split``, holding only
    true/false or valid/train, both present."""
    if not _VALID_MARKER_NAME.match(str(name)):
        return False
    found = set(values.dropna().unique().tolist())
    return bool(found and found <= _TRUTHY | _FALSY and found & _TRUTHY and found & _FALSY)


def warn_unused_valid_marker(df: Any) -> None:
    """Warn when a column of ``df`` looks like a mark of validation rows (:func:`is_valid_marker`) while the
    rows are split at random (a table's recipe leaves it out of the inputs)."""
    for name in getattr(df, "columns", ()):
        if is_valid_marker(df[name], str(name)):
            warn(
                f"column '{name}' looks like a mark of validation rows, but the validation rows were drawn at "
                f"random; to hold out the rows it marks, pass --valid-col {name} (Python: valid_col='{name}')",
                UserWarning,
            )


def mask_split(
    is_valid: Sequence[Any] | np.ndarray, source: str = "valid column"
) -> tuple[np.ndarray, np.ndarray]:
    """Train and valid indices from a boolean-like column (True/1/"true"/"valid" mark validation rows)."""
    values = np.asarray(is_valid, dtype=object)
    unknown = sorted({str(v) for v in values if v not in _TRUTHY and v not in _FALSY})
    if unknown:
        raise DataError(f"{source} must hold true/false (or 1/0, valid/train); found {unknown[:5]}")
    mask = np.array([v in _TRUTHY for v in values], dtype=bool)
    if mask.all() or not mask.any():
        which = "every" if mask.all() else "no"
        raise DataError(f"{source} marks {which} row as validation; both train and valid rows are needed")
    return np.flatnonzero(~mask), np.flatnonzero(mask)


@dataclass(repr=False)
class TensorDataBundle(DataBundle):
    """A DataBundle of in-memory tensors (:func:`tensor_data`), with the rows of ``x`` behind each split.

    Attributes:
        train_index: the positions in ``x`` (and ``y``) of the training rows, in the training tensors' order.
        valid_index: those of the validation rows, in the validation loader's order (``None`` without one):
            ``x[data.valid_index[i]]`` is the validation loader's row ``i``, and the top losses of an
            interpretation name each row by it.
    """

    train_index: np.ndarray | None = None
    valid_index: np.ndarray | None = None


#: Labels an error about labels outside the given classes names before "and N more".
SHOWN_LABELS = 5


def tensor_data(
    x: torch.Tensor | np.ndarray | tuple[torch.Tensor | np.ndarray, ...],
    y: Any,
    *,
    task: str | Task | None = None,
    classes: Iterable[Any] | None = None,
    like: DataBundle | None = None,
    valid_pct: float = 0.2,
    splits: tuple[Sequence[int], Sequence[int]] | None = None,
    batch_size: int = 64,
    seed: int | None = 0,
) -> TensorDataBundle:
    """A bundle over in-memory arrays: the simplest way to give any model to a Learner.

    Args:
        x: inputs, first dimension = rows; a tuple ``(a, b)`` for a model called as ``model(a, b)`` (each split
            alike, batches ``(a, b, y)``). Missing (NaN) or infinite numbers are refused: fill or drop them first.
        y: targets (labels or numbers; a 2-D array holds one target per column, as scikit-learn's ``y``); the
            task is inferred from them unless ``task``, ``classes`` or ``like`` is given.
        task: a task kind name or a :class:`Task` to override inference.
        classes: every class the model has an output for, in output order (``classes=range(10)``), whether or
            not ``y`` holds each: for data that brings some classes only (continual learning: digits 0-4, then
            5-9, each built with the same ``classes``), so that a label keeps its output index. A label of
            ``y`` outside them is refused. Two classes make a binary task unless ``task`` names another kind.
        like: a bundle of :func:`tensor_data` (``learn.data``) whose task is taken as it is, so that the same
            label is the same output (``learn.data = tensor_data(x_b, y_b, like=learn.data)``); its rows'
            shape must be ``x``'s, and a label outside its classes is refused. Build the first data with
            ``classes=`` to leave room for the classes the later data brings.
        valid_pct: share of rows held out when ``splits`` is not given (0 for none).
        splits: explicit ``(train_indices, valid_indices)``.
        batch_size: rows per training batch (validation uses twice as many).
        seed: controls the split and the shuffling; ``0`` fixes them whatever :func:`~trainwell.seed_everything`
            set, so that a study over several seeds varies only the initial weights and dropout. ``None`` takes
            the seed ``seed_everything`` (or ``torch.manual_seed``) last set, so the split and the batch order
            change with it, as Lightning's ``seed_everything`` does.

    The bundle keeps which rows of ``x`` each split holds (``data.valid_index``, ``data.train_index``).
    """
    if seed is None:
        seed = (
            torch.initial_seed() % 2**32
        )  # what seed_everything set, read without drawing from the generator
    parts = _input_tensors(x)
    n_rows = len(parts[0])
    _refuse_other_lengths(x, parts, y)
    for position, part in enumerate(parts):
        _refuse_non_finite(
            part,
            _input_name(position, len(parts)),
            "fill them (e.g. torch.nan_to_num(x), or each column's mean) or drop those rows: arrays are used "
            "as given (only tabular_data fills a table's missing numbers)",
        )
    _refuse_non_finite(_float_targets(y), "y", "drop those rows from x and y, or fill in their true targets")
    resolved = _tensor_task(y, parts, task=task, classes=classes, like=like)
    targets = resolved.encode(y)
    chosen: tuple[Sequence[int] | np.ndarray, Sequence[int] | np.ndarray] | None = splits
    if chosen is None and valid_pct:
        drawn_train, drawn_valid = random_split(n_rows, valid_pct, seed)
        # In a fair order (every prefix holds each class in proportion), as images, texts and tables keep theirs:
        # a time budget's capped pass reads the first batches, which in the arrays' order could be one class.
        from trainwell.data.fair_order import in_fair_order

        one_class = resolved.kind in ("binary", "multiclass") and targets.numel() == len(targets)
        classes_of = targets.reshape(-1).tolist() if one_class else None
        chosen = drawn_train, in_fair_order(drawn_valid, classes_of, seed)
    if chosen is None:
        train = TensorLoader((*parts, targets), batch_size, shuffle=True, seed=seed)
        every = np.arange(n_rows, dtype=np.int64)
        return TensorDataBundle(resolved, train, None, application="generic", train_index=every)
    train_index, valid_index = (torch.as_tensor(np.asarray(s), dtype=torch.long) for s in chosen)
    train = TensorLoader(
        (*(part[train_index] for part in parts), targets[train_index]), batch_size, shuffle=True, seed=seed
    )
    valid = TensorLoader((*(part[valid_index] for part in parts), targets[valid_index]), batch_size * 2)
    return TensorDataBundle(
        resolved,
        train,
        valid,
        application="generic",
        train_index=train_index.numpy().astype(np.int64),
        valid_index=valid_index.numpy().astype(np.int64),
    )


def _tensor_task(
    y: Any,
    inputs: tuple[torch.Tensor, ...],
    *,
    task: str | Task | None,
    classes: Iterable[Any] | None,
    like: DataBundle | None,
) -> Task:
    """The task of :func:`tensor_data`: ``like``'s, one of ``classes``, ``task`` itself, or inferred from ``y``;
    a label of ``y`` outside given classes is refused (it would have no output, or another class's)."""
    if like is not None:
        _check_tensor_like(like, inputs, task=task, classes=classes)
        _refuse_unknown_labels(
            like.task,
            y,
            "the classes of like=",
            "build the first data with every class the tasks will bring (tensor_data(x, y, classes=[...])), or "
            "leave like= out to start a new model",
        )
        return like.task
    if classes is None:
        return task if isinstance(task, Task) else infer_task(y, kind=task)
    resolved = _task_of_classes(classes, task)
    advice = "pass every class the labels hold in classes=, or leave it out to take them from the labels"
    _refuse_unknown_labels(resolved, y, "classes=", advice)
    return resolved


def _task_of_classes(classes: Iterable[Any], task: str | Task | None) -> Task:
    """A classifier's task over ``classes`` as given (output order), binary for two unless ``task`` says."""
    if isinstance(task, Task):
        raise ConfigError("tensor_data: a Task holds its classes; pass task=Task(...) or classes=, not both")
    if isinstance(classes, str | bytes) or not isinstance(classes, Iterable):
        raise ConfigError(
            f"tensor_data: classes= takes the classes as a list (classes=range(10), classes=['cat', 'dog']), "
            f"got {classes!r}"
        )
    listed = classes.tolist() if isinstance(classes, torch.Tensor | np.ndarray) else classes
    given = tuple(value.item() if isinstance(value, np.generic) else value for value in listed)
    keys = [str(value) for value in given]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ConfigError(f"tensor_data: classes= names {', '.join(repeated[:SHOWN_LABELS])} more than once")
    kind = task if task is not None else "binary" if len(given) == 2 else "multiclass"
    if kind not in ("binary", "multiclass"):
        raise ConfigError(
            f"tensor_data: classes= fixes a classifier's classes (binary or multiclass), not a {kind} task's; "
            "drop classes= or task="
        )
    return Task(kind, classes=given, target_names=("target",))


def _refuse_unknown_labels(task: Task, y: Any, whose: str, advice: str) -> None:
    """Refuse labels of ``y`` outside ``task``'s classes in one line naming them, ``whose`` classes they are
    not among, and ``advice``: a single-label classifier only (the others' encoding refuses its own)."""
    if task.kind not in ("binary", "multiclass"):
        return
    values = y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else y
    array = np.asarray(values, dtype=object)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        return  # not one label per row: the task's own encoding says what is wrong
    unknown = task.unknown_classes(
        value.item() if isinstance(value, np.generic) else value for value in array
    )
    if not unknown:
        return
    shown = ", ".join(unknown[:SHOWN_LABELS])
    more = f" and {len(unknown) - SHOWN_LABELS} more" if len(unknown) > SHOWN_LABELS else ""
    known = ", ".join(map(str, task.classes[:20])) + (" ..." if len(task.classes) > 20 else "")
    raise DataError(
        f"tensor_data: label(s) {shown}{more} are not among {whose} ({known}), and the model has no output for "
        f"them; {advice}"
    )


def _check_tensor_like(like: Any, inputs: tuple[torch.Tensor, ...], **given: Any) -> None:
    """Refuse ``like=`` that is no bundle of tensors, beside settings it fixes, or of rows of another shape."""
    if not isinstance(like, DataBundle) or like.application != "generic":
        got = f"a bundle of {like.application} data" if isinstance(like, DataBundle) else type(like).__name__
        raise ConfigError(f"tensor_data: like= takes a bundle of tensor_data (learn.data), got {got}")
    set_too = [name for name, value in given.items() if value is not None]
    if set_too:
        raise ConfigError(
            f"tensor_data: like= takes the task and its classes from its data; drop "
            f"{', '.join(f'{name}=' for name in set_too)}"
        )
    tensors = getattr(like.train, "tensors", None)
    if not tensors:
        return
    before = [tuple(tensor.shape[1:]) for tensor in tensors[:-1]]
    now = [tuple(tensor.shape[1:]) for tensor in inputs]
    if len(before) != len(now):
        raise DataError(
            f"tensor_data: x holds {_count_inputs(len(now))} but like='s data held {_count_inputs(len(before))}, "
            "which the model reads; pass x as the first data's"
        )
    if before != now:
        shown, then = (", ".join(map(str, shapes)) for shapes in (now, before))
        raise DataError(
            f"tensor_data: x's rows have shape {shown} but like='s have {then}, which the model reads; reshape x "
            "as the first data's"
        )


def _count_inputs(count: int) -> str:
    return "one input" if count == 1 else f"{count} inputs (a tuple)"


def _input_tensors(x: Any) -> tuple[torch.Tensor, ...]:
    """The model's inputs as tensors (floating point ones as float32): ``x`` itself, or each array of a tuple ``x``
    for a model called as ``model(a, b)`` (numpy's "setting an array element with a sequence" before)."""
    if isinstance(x, tuple) and not x:
        raise DataError("tensor_data: x is an empty tuple; pass the inputs, or a tuple (a, b) of several")
    parts = x if isinstance(x, tuple) else (x,)
    tensors: list[torch.Tensor] = []
    for part in parts:
        tensor = part if isinstance(part, torch.Tensor) else torch.as_tensor(np.asarray(part))
        if tensor.dim() == 0:
            raise DataError(
                f"tensor_data: {_input_name(len(tensors), len(parts))} is one value, not rows; pass an array "
                "whose first dimension is the rows"
            )
        tensors.append(tensor.float() if tensor.is_floating_point() else tensor)
    return tuple(tensors)


def _input_name(position: int, count: int) -> str:
    return "x" if count == 1 else f"x[{position}]"


def _n_targets(y: Any) -> int | None:
    """How many rows of targets ``y`` holds (its first dimension), or ``None`` when it has no length."""
    shape = getattr(y, "shape", None)
    if shape is not None:
        return int(shape[0]) if len(shape) else None
    try:
        return len(y)
    except TypeError:
        return None


def _refuse_other_lengths(x: Any, parts: tuple[torch.Tensor, ...], y: Any) -> None:
    """Refuse inputs and targets of different numbers of rows in one line naming both, before the split
    (an IndexError from the validation order, or a loader's "tensor 1 has 150 rows", before)."""
    rows = [len(part) for part in parts]
    if len(set(rows)) > 1:
        shapes = ", ".join(str(tuple(part.shape)) for part in parts)
        raise DataError(
            f"tensor_data: the inputs of x have different numbers of rows ({shapes}); each input needs one row "
            "per example, in the same order"
        )
    n_targets = _n_targets(y)
    if n_targets is None or n_targets == rows[0]:
        return
    hint = ""
    if (
        isinstance(x, list)
        and x
        and all(
            isinstance(item, torch.Tensor | np.ndarray) and item.ndim and len(item) == n_targets for item in x
        )
    ):
        hint = (
            f" (x is a list of {len(x)} arrays of {n_targets} rows: pass several inputs as a tuple, (a, b))"
        )
    raise DataError(
        f"tensor_data: x has {rows[0]} rows but y has {n_targets}{hint}; give one target per row of x, in the "
        "same order (cut both to the same rows)"
    )


def _float_targets(y: Any) -> torch.Tensor | None:
    """``y`` as a float tensor when it holds floating point numbers (where NaN and infinity can hide), else
    ``None`` (labels, whole numbers, text: the task's inference and encoding check those)."""
    if isinstance(y, torch.Tensor):
        return y.detach() if y.is_floating_point() else None
    try:
        values = y.to_numpy() if hasattr(y, "to_numpy") else np.asarray(y)
    except (TypeError, ValueError):
        return None
    if not isinstance(values, np.ndarray) or values.dtype.kind != "f" or values.ndim == 0:
        return None
    return torch.tensor(values)  # a copy: a frame's values may be read-only


def _refuse_non_finite(values: torch.Tensor | None, name: str, fix: str) -> None:
    """Refuse missing (NaN) or infinite numbers in ``values`` (first dimension = rows) in one line naming
    ``name``, how many rows hold one, the first of them, and ``fix``. Unrefused, a NaN in a training row stopped
    the fit as "loss became nan ... lower the learning rate", and one in a validation row gave ``valid_loss: nan``
    beside metrics that read as valid."""
    if values is None or not values.is_floating_point() or values.numel() == 0:
        return
    finite = torch.isfinite(values)
    if bool(finite.all()):
        return
    bad_rows = torch.nonzero(~finite.reshape(len(values), -1).all(dim=1)).reshape(-1)
    has_nan, has_inf = bool(torch.isnan(values).any()), bool(torch.isinf(values).any())
    what = " or ".join(word for word, found in (("missing (NaN)", has_nan), ("infinite", has_inf)) if found)
    raise DataError(
        f"tensor_data: {name} holds {what} values in {len(bad_rows)} of {len(values)} rows (the first: row "
        f"{int(bad_rows[0])}), which a model cannot learn from; {fix}"
    )
