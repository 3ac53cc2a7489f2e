"""The one-call functions name a setting alike across applications: the architecture is ``arch`` in every
``fit_*``, ``evaluate_*`` and ``tune_*`` call that takes one (a notebook's user guesses it once)."""

from __future__ import annotations

import inspect

import trainwell


def test_every_one_call_function_names_the_architecture_arch() -> None:
    # fit_texts(model=) was the odd one out: fit_table, fit_images, fit_ratings and fit_tagger take arch=.
    # tune_texts(model=) too. The tagger and language-model calls but fit_tagger take none: one architecture each.
    fits = ("fit_texts", "fit_table", "fit_images", "fit_ratings", "fit_tagger")
    evaluations = ("evaluate_texts", "evaluate_table", "evaluate_images", "evaluate_ratings")
    for name in (*fits, *evaluations, "tune_texts", "tune_table", "tune_images", "tune_ratings"):
        parameters = inspect.signature(getattr(trainwell, name)).parameters
        assert "arch" in parameters and "model" not in parameters, name
