"""Which split (train, valid, test) a data file's name points to: CoNLL-2003's ``train.txt``, UD's
``en_ewt-ud-dev.conllu``, PTB's ``ptb.test.txt``. Shared by the tagging folders and the language-model corpora."""

from __future__ import annotations

__all__ = ["SPLIT_NAMES", "split_of"]

SPLIT_NAMES = ("train", "valid", "test")


def split_of(name: str) -> list[str]:
    """The splits a file name points to (usually one; none when the name says nothing about its split)."""
    lower = name.lower()

    def holds(*words: str) -> bool:  # ``-dev.``, ``_dev.`` or ``.dev.`` inside the name
        return any(f"{separator}{word}." in lower for separator in "-_." for word in words)

    found = []
    if lower.startswith("train") or holds("train"):
        found.append("train")
    if lower.startswith(("valid", "dev", "testa")) or holds("dev", "valid"):
        found.append("valid")
    if (lower.startswith("test") and not lower.startswith("testa")) or holds("test"):
        found.append("test")
    return found
