"""How many images each split of an image model's data holds, per class: what ``fit`` says in one line before
training, kept on the training loader (``images_found``, as ``class_shares`` is) for ``trainwell.json`` and
``trainwell info``.

They said only "Caution: only 30 images" of the validation images and "test set (45 images)": how many images
trained the model, of which class, after the files skipped as unreadable, was the user's own sum. Plain Python,
no NumPy or torch: ``trainwell info`` reads it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

#: The splits, in the order they are said.
SPLITS = ("train", "valid", "test")
#: Classes named one by one in a split; past this many, the largest few and the smallest.
SHOWN_CLASSES = 6
#: How many of the largest classes are named when there are more than :data:`SHOWN_CLASSES`.
LARGEST_SHOWN = 3


def split_counts(targets: Mapping[str, Any], kind: str, n_classes: int) -> dict[str, dict[str, Any]]:
    """Per split (``train``, ``valid``, ``test``), ``{"images": n, "per_class": [...]}``: ``targets`` are each
    split's encoded targets (a torch tensor: class indices, or one row of 0/1 a label for multi-label); a
    classifier's counts follow its classes' order (images holding each label, for multi-label); a regression
    has no ``per_class``."""
    counts: dict[str, dict[str, Any]] = {}
    for key in SPLITS:
        if key not in targets:
            continue
        values = targets[key]
        entry: dict[str, Any] = {"images": len(values)}
        if kind in ("binary", "multiclass") and values.ndim == 1:
            entry["per_class"] = [int(n) for n in values.long().bincount(minlength=n_classes).tolist()]
        elif kind == "multilabel" and values.ndim == 2:
            entry["per_class"] = [int(n) for n in (values > 0.5).sum(dim=0).tolist()]
        counts[key] = entry
    return counts


def counts_line(
    counts: Mapping[str, Any] | None, classes: Sequence[Any] | None, kind: str = ""
) -> str | None:
    """``train 120 (airplane 40, cat 40, dog 40), valid 30 (10 a class)``: each split's images and, for a
    classifier, each class's (the largest few and the smallest when there are many); ``None`` without counts
    (a model from before they were recorded)."""
    if not counts:
        return None
    parts: list[str] = []
    for key in SPLITS:
        entry = counts.get(key)
        if not isinstance(entry, Mapping) or "images" not in entry:
            continue
        total = int(entry["images"])
        said = f"{key} {total:,}"
        per_class = entry.get("per_class")
        if per_class and classes and len(per_class) == len(classes):
            said += f" ({_per_class(list(classes), [int(n) for n in per_class], kind)})"
        parts.append(said)
    return ", ".join(parts) if parts else None


def _per_class(classes: list[Any], counts: list[int], kind: str) -> str:
    """``airplane 40, cat 38, dog 42``; ``40 a class`` when all are equal (single-label); past
    :data:`SHOWN_CLASSES` classes, ``100 classes: dog 80, cat 78, fox 70 ... fewest: owl 2``."""
    if kind != "multilabel" and len(set(counts)) == 1 and len(counts) > 1:
        return f"{counts[0]:,} a class"
    pairs = list(zip(classes, counts, strict=True))
    if len(pairs) <= SHOWN_CLASSES:
        return ", ".join(f"{name} {count:,}" for name, count in pairs)
    ordered = sorted(pairs, key=lambda pair: -pair[1])
    largest = ", ".join(f"{name} {count:,}" for name, count in ordered[:LARGEST_SHOWN])
    name, count = ordered[-1]
    noun = "labels" if kind == "multilabel" else "classes"
    return f"{len(pairs):,} {noun}: {largest} ... fewest: {name} {count:,}"
