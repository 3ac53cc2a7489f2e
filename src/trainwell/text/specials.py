"""The special tokens every word and subword vocabulary starts with, and the filler tokens that round one up.

The special tokens (``xxunk``, ``xxpad``, ``xxbos``, ...) have fixed ids, their order in
:data:`SPECIAL_TOKENS`, in every vocabulary; :class:`~trainwell.text.tokenize.WordTokenizer` produces them and
:func:`~trainwell.text.tokenize.detokenize` undoes them. A vocabulary may be padded with ``xxfake*`` fillers
up to a multiple of a size (``pad_to_multiple_of``, 8 by default); the two helpers here check that setting and
round a size up to it.
"""

from __future__ import annotations

from trainwell.core.errors import ConfigError

__all__ = ["BOS", "EOS", "FAKE_PREFIX", "FLD", "MAJ", "PAD", "REP", "SPECIAL_TOKENS", "UNK", "UP", "WREP"]

UNK, PAD, BOS, EOS, FLD, MAJ, UP, REP, WREP = (
    "xxunk",
    "xxpad",
    "xxbos",
    "xxeos",
    "xxfld",
    "xxmaj",
    "xxup",
    "xxrep",
    "xxwrep",
)
# The fixed order of the special tokens: their ids in every vocabulary (xxunk = 0, xxpad = 1, ...).
SPECIAL_TOKENS: tuple[str, ...] = (UNK, PAD, BOS, EOS, FLD, MAJ, UP, REP, WREP)
FAKE_PREFIX = "xxfake"  # filler tokens that round a vocabulary up to a multiple of 8; never produced


def _check_multiple(pad_to_multiple_of: int | None) -> None:
    if pad_to_multiple_of is not None and (
        isinstance(pad_to_multiple_of, bool)
        or not isinstance(pad_to_multiple_of, int)
        or pad_to_multiple_of < 1
    ):
        raise ConfigError(
            f"pad_to_multiple_of must be a whole number >= 1 or None; got {pad_to_multiple_of!r}"
        )


def _round_up(size: int, multiple: int | None) -> int:
    return size if multiple is None else -(-size // multiple) * multiple
