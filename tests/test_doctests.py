"""The examples in docstrings run: every ``>>>`` line in ``src/trainwell`` is executed and its output checked.

Examples that need files or a trained model are marked ``# doctest: +SKIP`` where they stand; all others run
here, so a docstring cannot drift from the code it documents.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
MODULES = sorted(
    ".".join(path.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")
    for path in (SRC / "trainwell").rglob("*.py")
    if ">>>" in path.read_text(encoding="utf-8")
)


def test_modules_with_examples_are_found() -> None:
    assert "trainwell.data.task" in MODULES and "trainwell.collab.recipe" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(module, optionflags=flags, verbose=False, report=True)
    assert result.failed == 0, f"{result.failed} of {result.attempted} docstring examples failed in {name}"
