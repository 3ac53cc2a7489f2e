"""The spellings of a mixed-precision float type, readable without torch: one list for the command line's
``--precision`` (checked at once, before any data is read or torch imported) and for
:class:`~trainwell.callbacks.MixedPrecision`'s ``dtype``, so the two accept exactly the same words and refuse an
unknown one in the same words."""

from __future__ import annotations

from trainwell.core.errors import ConfigError

#: The float types MixedPrecision knows, by their own names.
DTYPES: tuple[str, ...] = ("bfloat16", "float16", "float32", "auto")
#: Other spellings of them: the command line's (``bf16``, ``fp16``, ``fp32``) and Lightning's ``precision=``
#: (``"bf16-mixed"``, ``"16-mixed"``, ``"32-true"``), in any case. Lightning's ``"bf16-true"`` (weights in
#: bfloat16 too) is not what MixedPrecision does and stays refused.
ALIASES: dict[str, str] = {
    "bf16": "bfloat16",
    "bf16-mixed": "bfloat16",
    "fp16": "float16",
    "16": "float16",
    "16-mixed": "float16",
    "fp32": "float32",
    "32": "float32",
    "32-true": "float32",
}


def spellings() -> dict[str, str]:
    """Every accepted spelling (lower case) and the float type it names."""
    return {**{name: name for name in DTYPES}, **ALIASES}


def canonical_precision(given: object, what: str) -> str:
    """``given`` (a name of :data:`DTYPES` or of :data:`ALIASES`, any case, spaces around ignored) as one of
    :data:`DTYPES`; anything else is a :class:`ConfigError` naming ``what`` was given (``"--precision"``,
    ``"MixedPrecision dtype"``) and listing every spelling.

    Example:
        >>> canonical_precision(" BF16-mixed", "--precision")
        'bfloat16'
    """
    if isinstance(given, str):
        named = spellings().get(given.strip().lower())
        if named is not None:
            return named
    others = ", ".join(
        f"{dtype} ({', '.join(alias for alias, to in ALIASES.items() if to == dtype)})"
        for dtype in DTYPES
        if dtype in ALIASES.values()
    )
    raise ConfigError(
        f"{what} {given!r} is not known; use bf16, fp16, fp32 or auto (every spelling, in any case: {others}, "
        "auto)"
    )
