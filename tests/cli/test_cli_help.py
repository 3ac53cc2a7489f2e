"""``trainwell COMMAND --help`` read through a pipe (``| less``, ``> help.txt``) shows every option name whole.

A user's tour piped ``trainwell serve --help`` and read ``--forbid-extra-f…  --no-forbid-ext…``, ``--backend
<auto|torch|onnx`` and ``--at-least-one <bool>``: typer let rich shrink the names to fit the 80 columns rich
assumes when no terminal measures it, and gave every flag a ``<bool>`` it takes no value for. Each command's help
runs here as a user runs it, its output a pipe, without ``COLUMNS`` and at ``COLUMNS=80``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import typer

from trainwell.cli._help import PIPED_WIDTH
from trainwell.cli.app import app

COMMANDS = [name for name in typer.main.get_command(app).commands]  # type: ignore[attr-defined]


def _help(*args: str, columns: str | None) -> str:
    """``trainwell ARGS --help``, its output a pipe and its input no terminal either (as under ``| cat`` in a
    script)."""
    env = {
        key: value for key, value in os.environ.items() if key not in ("COLUMNS", "FORCE_COLOR", "PY_COLORS")
    }
    env.pop("TERMINAL_WIDTH", None)
    if columns is not None:
        env["COLUMNS"] = columns
    done = subprocess.run(
        [sys.executable, "-m", "trainwell", *args, "--help"],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _params(name: str | None) -> list[Any]:
    group = typer.main.get_command(app)
    command = group.commands[name] if name else group  # type: ignore[attr-defined]
    context = command.make_context(name or "trainwell", [], resilient_parsing=True)
    return [param for param in command.get_params(context) if not getattr(param, "hidden", False)]


@pytest.mark.parametrize("name", [None, *COMMANDS])
def test_piped_help_shows_every_option_name_whole(name: str | None) -> None:
    args = (name,) if name else ()
    with ThreadPoolExecutor(2) as pool:
        piped, narrow = pool.map(lambda columns: _help(*args, columns=columns), (None, "80"))
    for text, width in ((piped, PIPED_WIDTH), (narrow, 80)):
        lines = text.splitlines()
        assert max(len(line) for line in lines) == width, name  # the panels span the width: 100 piped, not 80
        assert "…" not in text and "<bool>" not in text, name
        words = {word.strip("│,") for line in lines for word in line.split()}
        for param in _params(name):
            for option in (*param.opts, *param.secondary_opts):
                shown = option if option.startswith("-") else param.metavar or param.name
                assert shown in words, (name, width, shown)


def test_a_flag_shows_its_two_names_one_under_the_other_and_no_type() -> None:
    lines = _help("serve", columns=None).splitlines()
    at = next(number for number, line in enumerate(lines) if "--at-least-one " in line)
    assert lines[at + 1].split()[1] == "--no-at-least-one"
    assert "<" not in lines[at] and "<" not in lines[at + 1]  # no placeholder: a flag takes no value
    backend = next(line for line in lines if "--backend " in line)
    assert "<auto|torch|onnx>" in backend
    top = _help(columns=None)
    assert "--version, -V  " in top and "<bool>" not in top


def test_a_long_range_goes_to_the_description_not_the_type_column() -> None:
    # fit's --seed is 0 to 2**32 - 1: '[0<=x<=4294967295]' made the type column of every option 18 wide.
    lines = _help("fit", columns="80").splitlines()
    seed = next(number for number, line in enumerate(lines) if "--seed " in line)
    assert "<int range>" in lines[seed]
    assert any("[0<=x<=4294967295]" in line for line in lines[seed : seed + 6])
    patience = next(number for number, line in enumerate(lines) if "--patience " in line)
    assert "<int range>" in lines[patience] and "[x>=0]" in lines[patience + 1]  # short: under its type
