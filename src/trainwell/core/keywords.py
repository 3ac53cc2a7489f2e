"""The refusal of a keyword a one-call function passes on to another and neither takes.

``fit_table(df, "y", epoch=3)`` handed ``epoch`` to :func:`~trainwell.tabular_data` with the rest of its keywords,
and Python blamed that function, which the user never called: ``tabular_data() got an unexpected keyword
argument 'epoch'``. :func:`check_passed_keywords` names the function called and the setting meant.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Iterable
from typing import Any

from trainwell.core.errors import ConfigError

__all__ = ["check_passed_keywords"]


def check_passed_keywords(
    caller: Callable[..., Any], passed: Iterable[str], onto: Callable[..., Any]
) -> None:
    """Refuse the keywords in ``passed`` (what ``caller`` received in ``**kwargs``) that ``onto``, the function
    it hands them to, does not take, naming ``caller`` and the closest keyword of either function.

    Raises:
        ConfigError: ``fit_table() has no keyword 'epoch' (did you mean 'epochs'?) ...``.
    """
    target = inspect.signature(onto).parameters
    if any(parameter.kind is inspect.Parameter.VAR_KEYWORD for parameter in target.values()):
        return  # onto takes any keyword: it judges them itself
    unknown = [name for name in passed if name not in target]
    if not unknown:
        return
    own = [
        name
        for name, parameter in inspect.signature(caller).parameters.items()
        if parameter.kind not in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)
    ]
    known = [*own, *(name for name in target if name not in own)]
    close = difflib.get_close_matches(unknown[0], known, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ConfigError(
        f"{caller.__name__}() has no keyword {unknown[0]!r}{hint}; it takes its own and those of "
        f"{onto.__name__}(), which it passes on: {', '.join(known)}"
    )
