"""The check every text Learner makes of data set in place of its own (``learn.data = ...``, through the
:meth:`~trainwell.learner.Learner.check_new_data` hook).

A text model's embedding rows belong to the words (or pieces, or characters) of the vocabulary it was built on,
so data whose recipe reads text otherwise would give them to other words without a word said. Each Learner
says how its recipes differ and how to build data it can read; the refusal is worded once, here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from trainwell.core.errors import ConfigError

RecipeT = TypeVar("RecipeT")


def check_same_reading(
    new: object,
    old: object,
    recipe_type: type[RecipeT],
    difference: Callable[[RecipeT, RecipeT], str | None],
    fix: Callable[[RecipeT, RecipeT], str],
) -> None:
    """Refuse the new data's recipe ``new`` when it reads text otherwise than the Learner's ``old``.

    Args:
        new, old: the recipes of the new data and of the Learner's; other kinds of recipe are not compared.
        recipe_type: the recipe class both must be for the check to apply.
        difference: the first way ``new`` reads text otherwise than ``old``, worded to follow "the new data's"
            (``None``: they read alike).
        fix: how to build data the Learner can read (or what to do instead), given both recipes.

    Raises:
        ConfigError: ``learn.data: the new data's <difference>; <fix>``, on one line.
    """
    if not isinstance(new, recipe_type) or not isinstance(old, recipe_type):
        return
    found = difference(new, old)
    if found is not None:
        raise ConfigError(f"learn.data: the new data's {found}; {fix(new, old)}")
