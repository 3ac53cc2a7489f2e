"""Text: tokenisation (word rules with ULMFiT's special tokens, BPE / unigram subwords) and vocabularies.

Names load on first use (PEP 562), so importing ``trainwell.text`` pulls in neither torch-heavy code nor
``tokenizers`` until they are needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "SPECIAL_TOKENS": "trainwell.text.tokenize",
    "SubwordTokenizer": "trainwell.text.tokenize",
    "Vocab": "trainwell.text.vocab",
    "WordTokenizer": "trainwell.text.tokenize",
    "detokenize": "trainwell.text.tokenize",
    "read_text_files": "trainwell.text.tokenize",
    "validate_texts": "trainwell.text.tokenize",
}

__all__ = [
    "SPECIAL_TOKENS",
    "SubwordTokenizer",
    "Vocab",
    "WordTokenizer",
    "detokenize",
    "read_text_files",
    "validate_texts",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'trainwell.text' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:
    from trainwell.text.tokenize import (
        SPECIAL_TOKENS,
        SubwordTokenizer,
        WordTokenizer,
        detokenize,
        read_text_files,
        validate_texts,
    )
    from trainwell.text.vocab import Vocab
