"""Ranking items for a user with any predictor of a ratings model (PyTorch or ONNX).

Only the predictor's ``recipe`` and ``predict_proba`` are used, so the HTTP server ranks with whichever engine
runs the model, and gives the ranking :meth:`CollabPredictor.recommend` gives.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from trainwell.core.errors import ConfigError, DataError
from trainwell.data.categories import category_key

__all__ = ["Ranking", "rank_items"]


@dataclass(frozen=True)
class Ranking:
    """The best items for one user, best first.

    Attributes:
        items: Item ids as written in the training table (whole numbers as ints).
        scores: Predicted rating (or probability of "liked") of each item.
        known_user: False when the user was not in the training ratings: the ranking is then the average
            user's, which orders items by their general appeal.
        seen_left_out: How many items were left out because the user already chose them in the data the
            model was fitted on (which it keeps); 0 when asked to keep them, or for a model written before
            trainwell kept them (except EASE's, which keeps its training items).
    """

    items: list[Any]
    scores: list[float]
    known_user: bool
    seen_left_out: int = 0


def rank_items(
    predictor: Any,
    user: Any,
    k: int = 10,
    *,
    exclude: Iterable[Any] = (),
    candidates: Iterable[Any] | None = None,
    include_seen: bool = False,
) -> Ranking:
    """The ``k`` items with the highest predicted score for ``user`` (ties keep the training order).

    Args:
        predictor: A loaded ratings model (``trainwell.load`` or the ONNX predictor).
        user: A user id as in the training table.
        k: How many items to return (fewer when fewer are left).
        exclude: Items to leave out, typically those the user has already rated; unknown ones are ignored.
        candidates: Rank only these items; one the model does not know is an error. Default: every item.
        include_seen: Keep the items the user already chose. By default those the model keeps
            (:func:`seen_in_training`: its training and validation rows) are left out; others, e.g. chosen
            since, go in ``exclude``.

    Raises:
        ConfigError: ``k`` is not a whole number of at least 1.
        DataError: A candidate item was not in the training ratings.
    """
    check_k(k)
    check_user(user)
    recipe = predictor.recipe
    refuse_missing_id(user, "user", "recommend", list(recipe.users))
    # Ids are matched by the recipe's codes, so "50.0" is the item 50 here as everywhere (recipe.encode_ids).
    if candidates is None:
        keys = list(recipe.items)
    else:
        wanted = id_list(candidates)
        codes = recipe.item_codes(wanted).tolist()
        unknown = [item for item, code in zip(wanted, codes, strict=True) if code == 0]
        if unknown:
            raise DataError(
                f"candidate items {unknown[:5]} were not in the training ratings; the model cannot rank them"
            )
        keys = list(dict.fromkeys(recipe.items[code - 1] for code in codes))
    excluded = {recipe.items[code - 1] for code in recipe.item_codes(id_list(exclude)).tolist() if code > 0}
    known_user = int(recipe.user_codes([user])[0]) > 0
    seen = set() if include_seen or not known_user else set(_seen_keys(predictor, user))
    seen_left_out = sum(key in seen and key not in excluded for key in keys)
    excluded |= seen
    keys = [key for key in keys if key not in excluded]
    if not keys:
        return Ranking([], [], known_user, seen_left_out)
    import pandas as pd

    rows = pd.DataFrame({recipe.user_col: [user] * len(keys), recipe.item_col: keys})
    scores = np.asarray(predictor.predict_proba(rows), dtype=np.float64).reshape(-1)
    order = np.argsort(-scores, kind="stable")[: int(k)]
    return Ranking([item_id(keys[i]) for i in order], scores[order].tolist(), known_user, seen_left_out)


def seen_in_training(predictor: Any, user: Any) -> list[Any]:
    """The items ``user`` chose in the data the model was fitted on, training and validation rows (ids as in the
    training table); ``[]`` for a model written before trainwell kept them (an EASE model then gives its
    training items). Read from the PyTorch model, or for the ONNX predictor from the model directory's weights
    file, which holds the same buffers."""
    return [item_id(key) for key in _seen_keys(predictor, user)]


def _seen_keys(predictor: Any, user: Any) -> list[str]:
    history = _training_history(predictor)
    if history is None:
        return []
    offsets, items = history
    code = int(predictor.recipe.user_codes([user])[0])
    if not 0 < code < len(offsets) - 1:
        return []
    keys = predictor.recipe.items
    return [keys[int(item) - 1] for item in items[offsets[code] : offsets[code + 1]] if item > 0]


#: Neighbours (similar items, items for a basket) are drawn from items at least this many users chose: an item
#: of two ratings has factors its few raters alone shaped, and topped Star Wars' neighbours on MovieLens at 0.83.
MIN_NEIGHBOUR_USERS = 5


def neighbour_floor(counts: np.ndarray | None) -> int:
    """The fewest users an item must have been chosen by to be listed as a neighbour by default: as many as the
    median item (of those chosen at all) and at least :data:`MIN_NEIGHBOUR_USERS`. It scales with the data: on
    MovieLens 100k's u1.base the median film has 22 ratings, which keeps "Sum of Us" (9 ratings) from topping
    Star Wars' neighbours at 0.75, while Star Wars' sequels (367, 507) stay. ``counts``: :func:`users_per_item`
    (``None``: the model keeps no record; the floor is then not applied)."""
    if counts is None:
        return MIN_NEIGHBOUR_USERS
    chosen = counts[1:][counts[1:] > 0]
    if len(chosen) == 0:
        return MIN_NEIGHBOUR_USERS
    return max(MIN_NEIGHBOUR_USERS, int(np.median(chosen)))


def users_per_item(predictor: Any) -> np.ndarray | None:
    """How many users chose each item (indexed by item code, 0 for unknown ids), from the model's record of the
    training and validation rows; ``None`` when the model keeps none."""
    history = _training_history(predictor)
    if history is None:
        return None
    _, items = history
    items = np.asarray(items, dtype=np.int64)
    return np.bincount(items[items > 0], minlength=len(predictor.recipe.items) + 1)


def _training_history(predictor: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """``(offsets, item codes)`` of what every user chose (CSR by user code), cached on the predictor: the
    model's ``seen_*`` record (training and validation rows), or for an EASE model written before it was kept,
    its training history."""
    cached = getattr(predictor, "_training_history", False)
    if cached is not False:
        return cached  # type: ignore[return-value]
    history = None
    model = getattr(predictor, "model", None)
    if model is not None:
        for prefix in ("seen", "history"):
            if hasattr(model, f"{prefix}_offsets"):
                offsets, items = getattr(model, f"{prefix}_offsets"), getattr(model, f"{prefix}_items")
                history = (offsets.cpu().numpy(), items.cpu().numpy())
                break
    elif getattr(predictor, "model_dir", None) is not None:
        from safetensors import safe_open

        from trainwell.core.artifact import WEIGHTS_FILE

        path = predictor.model_dir / WEIGHTS_FILE
        if path.is_file():
            with safe_open(str(path), framework="numpy") as weights:
                names = set(weights.keys())
                for prefix in ("seen", "history"):
                    if {f"{prefix}_offsets", f"{prefix}_items"} <= names:
                        history = (
                            weights.get_tensor(f"{prefix}_offsets"),
                            weights.get_tensor(f"{prefix}_items"),
                        )
                        break
    predictor._training_history = history
    return history


def check_k(k: Any) -> None:
    """Refuse a number of items to return that is not a whole number of at least 1."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ConfigError(f"k must be a whole number of at least 1, got {k!r}")


def id_list(ids: Any) -> list[Any]:
    """Item ids as a list: one id (``50``, ``"50"``) stands for itself. A string is iterable, so ``exclude="50"``
    would otherwise leave out the items "5" and "0", and ``exclude=50`` fail as not iterable."""
    if isinstance(ids, (str, bytes, int, float, np.integer, np.floating)) or not isinstance(ids, Iterable):
        return [ids]
    return list(ids)


def check_user(user: Any) -> None:
    """Refuse several users where one is ranked (a list would be read as one id, failing deep in pandas)."""
    if isinstance(user, (list, tuple, set, frozenset, dict, np.ndarray)) or hasattr(user, "to_numpy"):
        raise ConfigError(
            f"recommend ranks items for one user, got {type(user).__name__} of {len(user)}; call it once per "
            "user, or pass them in a list (trainwell recommend MODEL 196 42 takes several)"
        )


def refuse_missing_id(value: Any, role: str, call: str, known: list[str]) -> None:
    """Refuse ``None``, NaN (``pd.NA``, ``NaT``) or an empty string where one user or item id is asked for: it
    matched no training id, so ``recommend(None)`` answered the average user's ranking as if for a new user,
    in silence. ``role`` is "user" or "item", ``call`` the method refusing it, ``known`` the training ids (a few
    are given as examples)."""
    import pandas as pd

    missing = (
        value is None
        or (isinstance(value, str) and not value.strip())
        or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))
    )
    if missing:
        examples = ", ".join(repr(item_id(key)) for key in known[:3])
        raise DataError(
            f"{call} needs {'a user' if role == 'user' else 'an item'} id, got {value!r}; pass one as written in "
            f"the training ratings{f' (e.g. {examples})' if examples else ''}"
            + ("; a user the model never saw gets the average user's ranking" if role == "user" else "")
        )


def folded_in_validation(predictor: Any) -> bool | None:
    """Whether ``predictor``'s model had its validation rows' new ids folded in after training (its
    ``training.folded_in`` record says so): ``True``; ``None`` when its record cannot tell (a fit with no such
    id, or with ``fold_in=False``, keeps no record of it)."""
    from trainwell.collab.fold_in_record import FOLDED_IN_KEY, VALIDATION_PART

    training = (getattr(predictor, "metadata", None) or {}).get("training") or {}
    records = training.get(FOLDED_IN_KEY) or [] if isinstance(training, dict) else []
    if any(isinstance(record, dict) and record.get("part") == VALIDATION_PART for record in records):
        return True
    return None


def unknown_id_hint(value: Any, vocabulary: list[str], kind: str, *, folded: bool | None = None) -> str:
    """What the training ids of ``kind`` ("users", "items") look like, for a message about ``value``, which is
    not one of them: their range when all are whole numbers, else the nearest spellings or a few examples.
    ``folded``: whether the model's validation rows' new ids were folded in (:func:`folded_in_validation`);
    ``None`` (not known) says what ``fold_in=False`` would mean as a condition, not as a fact of this model.

    >>> unknown_id_hint("7.5", ["1", "2", "40"], "users")
    'its users are whole numbers from 1 to 40'
    >>> unknown_id_hint("2", ["1", "3", "40"], "items")
    'its 3 items are whole numbers from 1 to 40, with gaps: 2 had no ratings in the data the model was fitted on (or only validation ones, if it was fitted with fold_in=False)'
    >>> unknown_id_hint("41", ["1", "2", "40"], "items")
    'its items are whole numbers from 1 to 40; a model fitted with fold_in=False does not know one whose ratings were all in the validation rows either'
    >>> unknown_id_hint("41", ["1", "2", "40"], "items", folded=True)
    'its items are whole numbers from 1 to 40; the new ids of its validation rows were folded in, so this one had no ratings in the data the model was fitted on'
    >>> unknown_id_hint("alise", ["alice", "bob"], "users")
    "did you mean 'alice'?"
    """
    numbers = [int(key) for key in vocabulary if key.lstrip("-").isdigit()]
    if vocabulary and len(numbers) == len(vocabulary):
        low, high = min(numbers), max(numbers)
        inside = str(value).strip().lstrip("-").isdigit() and low <= int(str(value).strip()) <= high
        if inside and len(numbers) < high - low + 1:  # within the range, yet not one of them: a gap
            # No parentheses of its own: it is said inside those of the message that names the id.
            # "with fold_in=False" read as a fact of a model that had been folded in (tour69 #8)
            return f"its {len(numbers):,} {kind} are whole numbers from {low} to {high}, with gaps: " + (
                f"{str(value).strip()} had no ratings in the data the model was fitted on"
                + ("" if folded else " (or only validation ones, if it was fitted with fold_in=False)")
            )
        if str(value).strip().lstrip("-").isdigit():  # a whole number past the range: still maybe in the data
            if folded:
                return (
                    f"its {kind} are whole numbers from {low} to {high}; the new ids of its validation rows were "
                    "folded in, so this one had no ratings in the data the model was fitted on"
                )
            return (
                f"its {kind} are whole numbers from {low} to {high}; a model fitted with fold_in=False does not "
                "know one whose ratings were all in the validation rows either"
            )
        return f"its {kind} are whole numbers from {low} to {high}"
    import difflib

    text = str(value).strip()
    by_case = {key.casefold(): key for key in vocabulary}
    near = [by_case[text.casefold()]] if text.casefold() in by_case else []
    if not near and len(vocabulary) <= 50_000:  # difflib reads every key: bounded for an interactive answer
        near = difflib.get_close_matches(text, vocabulary, n=3, cutoff=0.75)
    if near:
        return f"did you mean {' or '.join(repr(key) for key in near)}?"
    return f"its {kind} are ids such as {', '.join(repr(key) for key in vocabulary[:3])}"


def item_id(key: str) -> Any:
    """A stored id key back as the user wrote it: whole numbers as ints, the rest as text."""
    try:
        number = int(key)
    except ValueError:
        return key
    return number if category_key(number) == key else key
