"""The words behind a text prediction are public: ``trainwell.text.word_effects`` (and its ``WordEffects`` and
``word_summary``), which the docs named only as the private ``text._word_effects.word_effects``."""

from __future__ import annotations

import trainwell.text
from trainwell.text import _word_effects


def test_word_effects_is_exported_from_trainwell_text() -> None:
    for name in ("word_effects", "word_summary", "WordEffects"):
        assert name in trainwell.text.__all__ and name in dir(trainwell.text)
        assert getattr(trainwell.text, name) is getattr(_word_effects, name)
