"""What a model directory says of each fold-in: the ``folded_in`` list of its ``trainwell.json``, and its words.

A fold-in (:mod:`trainwell.collab.fold_in`) changes a trained model after its history ends: it adds users and
items, and their embedding rows fitted on ratings no training row held. Its ``trainwell.json`` then records,
under ``training.folded_in``, one record per fold-in in the order they were made (a fit folds in its validation
rows' new ids; ``fold_in(learn, "newer.csv")`` may add more later): when (UTC), how many users, items and
ratings, which data (the path as given, ``None`` for a table given in Python, and whether only its validation
rows), and a SHA-256 of those ratings, so that the data can be told apart later even when a file of that name
was changed, as a fine-tuned model's record keeps its parent's weights' hash (:mod:`trainwell.core.lineage`).
:func:`folded_in_words` says a record the same way wherever it is shown (the ``folded in`` row of
``trainwell info``).

No torch here: ``trainwell info`` reads the records without importing it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FOLDED_IN_KEY", "fold_in_record", "folded_in_words", "ratings_digest"]

#: The key of ``training`` in ``trainwell.json`` that holds the fold-in records, oldest first.
FOLDED_IN_KEY = "folded_in"
#: ``part`` of a fit's own fold-in: the validation rows of ids no training row had.
VALIDATION_PART = "validation rows"


def ratings_digest(rows: pd.DataFrame, columns: Sequence[str]) -> str:
    """The SHA-256 (hex) of ``rows``' ``columns`` in order, each value as text (7 and 7.0 alike, as the training
    rows' sketch reads them: :func:`~trainwell.data.fingerprint.row_hashes`)."""
    from trainwell.data.fingerprint import row_hashes

    return hashlib.sha256(row_hashes(rows, list(columns)).tobytes()).hexdigest()


def fold_in_record(
    *,
    users: int,
    items: int,
    ratings: int,
    data: str | None,
    part: str | None,
    ratings_sha256: str,
    at: datetime | None = None,
    updated_users: int = 0,
) -> dict[str, Any]:
    """One fold-in's record (JSON-able): ``at`` (UTC, ISO 8601 to the second; default now), the counts, ``data``
    (a path as given, ``None`` for a table given in Python), ``part`` (``"validation rows"`` for a fit's own
    fold-in, ``None`` for every row given) and the ratings' SHA-256."""
    when = (at or now()).astimezone(timezone.utc)
    record = {
        "at": when.isoformat(timespec="seconds"),
        "users": int(users),
        "items": int(items),
        "ratings": int(ratings),
        "data": data,
        "part": part,
        "ratings_sha256": ratings_sha256,
    }
    if updated_users:  # known users given newer ratings (older records have no such key)
        record["updated_users"] = int(updated_users)
    return record


def now() -> datetime:
    """The time a fold-in is recorded at (UTC); a test sets it by replacing this function."""
    return datetime.now(timezone.utc)


def folded_in_words(record: Mapping[str, Any]) -> str:
    """A record in words: "2026-12-06 19:52:03 UTC: 2 items and 1 user, fitted on 57 ratings (the validation
    rows of ratings.csv)"."""
    counts = [
        _count(int(record.get(kind) or 0), kind[:-1], kind) for kind in ("items", "users") if record.get(kind)
    ]
    what = " and ".join(counts) or "no new id"
    if record.get("updated_users"):  # known users given newer ratings
        updated = _count(int(record["updated_users"]), "known user updated", "known users updated")
        what = f"{what}, {updated}" if counts else updated
    where = str(record["data"]) if record.get("data") else "a table given in Python"
    if record.get("part"):
        where = f"the {record['part']} of {where}"
    said = f"{what}, fitted on {_count(int(record.get('ratings') or 0), 'rating', 'ratings')} ({where})"
    return f"{_when(record.get('at'))}: {said}" if record.get("at") else said


def _when(at: Any) -> str:
    """``2026-12-06T19:52:03+00:00`` as ``2026-12-06 19:52:03 UTC``; any other text as it is."""
    try:
        moment = datetime.fromisoformat(str(at))
    except ValueError:
        return str(at)
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S") + " UTC"


def _count(number: int, one: str, many: str) -> str:
    return f"{number:,} {one if number == 1 else many}"
