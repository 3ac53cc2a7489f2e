"""What a text model's predictions say of the texts' lengths: those cut at the ``max_len`` tokens the model reads
(:func:`cut_texts_note`), and those far longer than any it trained on (:func:`long_texts_note`). Plain numpy, so
that the ONNX predictor (a server without torch) says them as the PyTorch one does."""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np

__all__ = ["LONG_TEXT_FACTOR", "cut_texts_note", "long_texts_note", "say_length_notes"]


#: What :func:`say_length_notes` adds to a note: it is said once for the model, not at every call.
ONCE = " (said once for this model)"


def say_length_notes(recipe: Any, lengths: np.ndarray) -> None:
    """Warn (:class:`~trainwell.core.warn.Note`) what :func:`cut_texts_note` and :func:`long_texts_note` say of
    texts of ``lengths`` tokens read by a model of ``recipe`` (a :class:`~trainwell.text.recipe.TextRecipe`),
    each once for that recipe (a loaded model's): a loop predicting batch after batch was told the same at every
    call (Python's own once-only filter forgets what it said whenever a warning filter changes)."""
    from trainwell.core.warn import Note, warn

    said_before = _said(recipe)
    note = cut_texts_note(lengths, recipe.max_len)
    if note is not None and "cut" not in said_before:
        said = Note(note + ONCE)
        said.command_line = note.replace(" max_len ", " --max-len ")  # type: ignore[attr-defined]
        warn(said)
        said_before.add("cut")
    far = long_texts_note(lengths, recipe.max_len, recipe.longest_trained, recipe.batch_format)
    if far is not None and "far" not in said_before:
        said_far = Note(far + ONCE)
        said_far.command_line = far  # type: ignore[attr-defined]  # a command predicts once: no "once" to say
        warn(said_far)
        said_before.add("far")


def _said(recipe: Any) -> set[str]:
    """The notes said of ``recipe``'s predictions so far, kept on it (a frozen dataclass: set past its fields,
    which its comparison and its JSON do not read)."""
    found = getattr(recipe, "_length_notes_said", None)
    if found is None:
        found = set()
        with contextlib.suppress(AttributeError, TypeError):  # slots: said every time, as before
            object.__setattr__(recipe, "_length_notes_said", found)
    return found


def cut_texts_note(lengths: np.ndarray, max_len: int | None) -> str | None:
    """What a prediction says of texts longer than the ``max_len`` tokens the model reads (``lengths``: each
    text's tokens before the cut): that each was read up to its first ``max_len``, as in training; ``None`` when
    none was cut. A 30,000-word line was read whole by a sequence model, a minute of work said nowhere.

    Example:
        >>> cut_texts_note(np.array([12, 30_012, 2_000]), 1440)
        '2 of 3 texts are longer than the 1,440 tokens the model reads (the longest 30,012): each is read up to its first 1,440, as in training (a model fitted with a larger max_len reads more)'
        >>> cut_texts_note(np.array([12]), 1440) is None
        True
        >>> cut_texts_note(np.array([2_000]), 1440)
        'the text has 2,000 tokens, more than the 1,440 the model reads: it is read up to its first 1,440, as in training (a model fitted with a larger max_len reads more)'

    """
    if max_len is None or not len(lengths):
        return None
    n_cut = int((lengths > max_len).sum())
    if not n_cut:
        return None
    fix = ", as in training (a model fitted with a larger max_len reads more)"
    if len(lengths) == 1:
        return (
            f"the text has {int(lengths[0]):,} tokens, more than the {max_len:,} the model reads: it is read up to "
            f"its first {max_len:,}{fix}"
        )
    return (
        f"{n_cut:,} of {len(lengths):,} texts are longer than the {max_len:,} tokens the model reads (the longest "
        f"{int(lengths.max()):,}): each is read up to its first {max_len:,}{fix}"
    )


#: A text the model reads more than this many times as many tokens of as of its longest training text is said
#: (:func:`long_texts_note`): a bag of words reads a 20,000-word request whole, in a tenth of a second, and answered
#: it without a word, though it had learned from texts of a few hundred.
LONG_TEXT_FACTOR = 2


def long_texts_note(
    lengths: np.ndarray, max_len: int | None, longest_trained: int | None, batch_format: str = "bag"
) -> str | None:
    """What a prediction says of texts the model reads whole (``lengths``: each text's tokens; those over
    ``max_len`` are cut, which :func:`cut_texts_note` says) that hold more than :data:`LONG_TEXT_FACTOR` times
    the tokens of its longest training text: that it reads every token (a bag of words: at any length), and that
    its answer on them goes beyond the lengths it learned from; ``None`` when none does, or the longest training
    text was not kept (a model fitted before it was).

    Example:
        >>> long_texts_note(np.array([20_012]), None, 312)
        'the text has 20,012 tokens, more than twice the 312 of the longest text the model was trained on: it reads every one of them (a bag of words), and its answer on a text this long is an extrapolation from shorter ones (fit on texts as long to trust it there)'
        >>> long_texts_note(np.array([12, 1_000, 2_000]), 1440, 300, "padded")
        '1 of 3 texts has more than twice the 300 tokens of the longest text the model was trained on (1,000): it reads every token of it, and its answer on a text this long is an extrapolation from shorter ones (fit on texts as long to trust it there)'
        >>> long_texts_note(np.array([500]), None, 312) is None
        True
    """
    if not longest_trained or not len(lengths):
        return None
    whole = lengths if max_len is None else np.where(lengths <= max_len, lengths, 0)
    far = whole > LONG_TEXT_FACTOR * longest_trained
    n_far = int(far.sum())
    if not n_far:
        return None
    times = "twice" if LONG_TEXT_FACTOR == 2 else f"{LONG_TEXT_FACTOR} times"
    bag = " (a bag of words)" if batch_format == "bag" else ""
    trained = "the longest text the model was trained on"
    if len(lengths) == 1:
        return (
            f"the text has {int(lengths[0]):,} tokens, more than {times} the {longest_trained:,} of {trained}: it "
            f"reads every one of them{bag}, and its answer on a text this long is an extrapolation from shorter "
            "ones (fit on texts as long to trust it there)"
        )
    if n_far == 1:
        return (
            f"1 of {len(lengths):,} texts has more than {times} the {longest_trained:,} tokens of {trained} "
            f"({int(whole.max()):,}): it reads every token of it{bag}, and its answer on a text this long is an "
            "extrapolation from shorter ones (fit on texts as long to trust it there)"
        )
    return (
        f"{n_far:,} of {len(lengths):,} texts have more than {times} the {longest_trained:,} tokens of {trained} "
        f"(the longest here {int(whole.max()):,}): it reads every token of each{bag}, and its answers on texts this "
        "long are extrapolations from shorter ones (fit on texts as long to trust them there)"
    )
