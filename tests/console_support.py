"""What the command line prints under a given terminal width: its consoles made again for ``COLUMNS``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


def printed(
    columns: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    draw: Callable[[Any], Any],
) -> str:
    """What ``draw(console)`` prints on the command line's console under ``COLUMNS=columns``."""
    from trainwell.cli import _common

    monkeypatch.setenv("COLUMNS", str(columns))
    _common.fit_consoles()
    capsys.readouterr()
    draw(_common.out_console)
    return capsys.readouterr().out
