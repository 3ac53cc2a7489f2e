"""What next, after a fit: one line when the validation loss was still falling as the fit ended, so that the
model looks under-trained and more time (``--time``) or more epochs (``--epochs``) would likely help; not for a
language model not below its Kneser-Ney trigram, which a warning tells to train longer already.

Its inverse, the validation loss rising for the last epochs while the training loss falls (overfitting), is said
by :func:`~trainwell.learner.run_files.overfitting_note` (every fit warns it, and the report). The two never
both hold: this one needs the lowest validation loss at the last epoch, that one at least three epochs back.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

#: The last epochs that must each have lowered the validation loss on the epoch before (fewer when the fit had
#: fewer epochs after its first, but at least :data:`MIN_FALLS`).
FALLING_EPOCHS = 3
MIN_FALLS = 2
#: What the validation loss must have fallen by over those epochs, as a share of its value before them: a
#: schedule that anneals lowers a converged model's loss a little at the end too (0.3% an epoch), which is no
#: sign that more training would help.
FALL_SHARE = 0.02
#: What the last epoch alone must have lowered it by (its share of the loss before): a loss that fell fast early
#: and then only crept (0.5 -> 0.3105 -> 0.3098 -> 0.3092) has levelled off, however many epochs it crept.
LAST_FALL_SHARE = 0.005


def undertrained_note(
    history: Sequence[dict[str, Any]], *, time_seconds: float | None = None, epochs: int | None = None
) -> str | None:
    """One line when the validation loss fell in each of the last epochs (:data:`FALLING_EPOCHS`, at least
    :data:`MIN_FALLS`), by :data:`FALL_SHARE` or more in all and :data:`LAST_FALL_SHARE` or more in the last
    epoch, and was at its lowest at the last one; ``None``
    otherwise (and without validation). ``time_seconds``: the ``--time`` budget when it ended the fit (the advice
    is then a longer ``--time``), else ``epochs``: the epochs the fit ran, which the advice doubles.

    Example:
        >>> undertrained_note([{"valid_loss": v} for v in (0.9, 0.7, 0.6, 0.52)], epochs=4)
        "the validation loss fell in each of the last 3 epochs (0.9 -> 0.52), its lowest at the last: the model looks under-trained; more epochs would likely help (--epochs 8, twice this fit's 4)"
        >>> undertrained_note([{"valid_loss": v} for v in (3.9e9, 3.3e9, 2.8e9)], epochs=3)[:74]
        'the validation loss fell in each of the last 2 epochs (3.900e9 -> 2.800e9)'
    """
    losses = [
        float(row["valid_loss"])
        for row in history
        if isinstance(row.get("valid_loss"), int | float) and math.isfinite(row["valid_loss"])
    ]
    falls = min(FALLING_EPOCHS, len(losses) - 1)
    if falls < MIN_FALLS:
        return None
    last = losses[-falls - 1 :]
    if any(after >= before for before, after in pairwise(last)) or last[-1] > min(losses):
        return None
    if last[0] <= 0 or (last[0] - last[-1]) / last[0] < FALL_SHARE:
        return None
    if (last[-2] - last[-1]) / last[-2] < LAST_FALL_SHARE:
        return None
    if time_seconds is not None:
        more = f"more time would likely help (--time {_duration(2 * time_seconds)}, twice this fit's budget)"
    elif epochs:
        more = f"more epochs would likely help (--epochs {2 * epochs}, twice this fit's {epochs})"
    else:
        more = "more epochs (--epochs) or time (--time) would likely help"
    from trainwell.core.numbers import amount  # a price's squared error: 2.826e9 -> 2.374e9, not 2.826e+09

    fell = f"{amount(last[0], like=last[-1])} -> {amount(last[-1], like=last[0])}"
    return (
        f"the validation loss fell in each of the last {falls} epochs ({fell}), its "
        f"lowest at the last: the model looks under-trained; {more}"
    )


def fit_undertrained_note(learn: Any) -> str | None:
    """:func:`undertrained_note` for a fit's learner: a longer ``--time`` when its :class:`TimeBudget` cut the
    fit's plan, else twice its epochs; ``None`` for a language model not below its Kneser-Ney trigram, whose
    warning (:func:`~trainwell.text.lm_callbacks.baseline_warning`) already says to train longer: one message,
    not two lines a screen apart saying the same."""
    history = getattr(learn, "history", None) or []
    if history and _trigram_not_beaten(history[-1]):
        return None
    budget = getattr(learn, "time_budget", None)
    fits = getattr(budget, "fits", None) or []
    cut = any(fit.get("shortened") for fit in fits)
    return undertrained_note(
        getattr(learn, "history", None) or [],
        time_seconds=float(getattr(budget, "seconds", 0.0)) if cut else None,
        epochs=getattr(learn, "n_epochs", None),
    )


def _trigram_not_beaten(row: dict[str, Any]) -> bool:
    """Whether a language model's last validation ``row`` is not below its Kneser-Ney trigram's perplexity, as
    :func:`~trainwell.text.lm_callbacks.baseline_warning` judges it (and then warns).

    Example:
        >>> _trigram_not_beaten({"perplexity": 44.9, "perplexity_baseline": 8.2}), _trigram_not_beaten({"valid_loss": 1.0})
        (True, False)
    """
    perplexity, baseline = row.get("perplexity"), row.get("perplexity_baseline")
    return isinstance(perplexity, float) and isinstance(baseline, float) and perplexity >= baseline


def _duration(seconds: float) -> str:
    """A ``--time`` value about ``seconds`` long, rounded as people write one: ``90s``, ``8m``, ``2h30m``.

    Example:
        >>> _duration(89.6), _duration(483), _duration(9000)
        ('90s', '8m', '2h30m')
    """
    if seconds < 120:
        return f"{max(1, round(seconds))}s"
    minutes = round(seconds / 60)
    if minutes < 120:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes}m" if minutes else f"{hours}h"
