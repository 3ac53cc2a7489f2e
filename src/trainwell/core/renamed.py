"""Keywords renamed for consistency across the one-call functions, still accepted under their old name.

``fit_texts(model="ulmfit")`` was the only call to name the architecture ``model``; every other ``fit_*`` and
``evaluate_*`` names it ``arch``. A notebook written against the old name keeps working: the old keyword is read
from the function's ``**kwargs``, with a :class:`DeprecationWarning` that names the new one, attributed to the
user's line (:func:`~trainwell.core.warn.warn`), so the function's signature shows one name only.
"""

from __future__ import annotations

from typing import Any, TypeVar

from trainwell.core.errors import ConfigError
from trainwell.core.warn import warn

__all__ = ["renamed_keyword"]

_Value = TypeVar("_Value")


def renamed_keyword(
    passed: dict[str, Any], old: str, new: str, value: _Value, default: _Value, function: str
) -> _Value:
    """The setting of keyword ``new``, taken from ``old`` where the caller used the old name.

    Args:
        passed: the ``**kwargs`` ``function`` received; ``old`` is removed from it when there.
        old, new: the keyword's old and new names.
        value, default: what ``new`` received, and its default (a ``new`` left at its default with ``old``
            given takes ``old``'s value).
        function: the function's name, for the messages.

    Raises:
        ConfigError: Both names given, with different values.

    Example:
        >>> import warnings
        >>> passed = {"model": "ulmfit"}
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     renamed_keyword(passed, "model", "arch", "fast", "fast", "fit_texts"), passed
        ('ulmfit', {})
        >>> str(caught[0].message).split(";")[0]
        "fit_texts(model='ulmfit') is now fit_texts(arch='ulmfit')"
    """
    if old not in passed:
        return value
    given = passed.pop(old)
    if value != default and value != given:
        raise ConfigError(
            f"{new}= and {old}= are one setting, given twice ({new}={value!r}, {old}={given!r}); {old}= is its "
            f"old name: pass {new}= alone"
        )
    warn(
        f"{function}({old}={given!r}) is now {function}({new}={given!r}); {old}= still works for now and will "
        "be removed in a later release",
        DeprecationWarning,
    )
    return given  # type: ignore[no-any-return]
