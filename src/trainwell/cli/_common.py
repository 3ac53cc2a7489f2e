"""What every command shares: the consoles and the guard that turns user mistakes into one line and exit 2."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.text import Text

out_console = Console()
err_console = Console(stderr=True)
T = TypeVar("T")


def guarded(run: Callable[[], T]) -> T:
    from trainwell.core.errors import UserError

    with warnings.catch_warnings():
        warnings.showwarning = show_warning
        try:
            return run()
        except UserError as error:
            err_console.print(
                Text.assemble(("error:", "bold red"), " ", one_line(str(error))), soft_wrap=True
            )
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            err_console.print("interrupted; nothing was written for the unfinished run")
            raise typer.Exit(130) from None


def one_line(message: str) -> str:
    # A message quoting a parser or a file may hold line breaks; the contract is one line per problem.
    return " ".join(message.split())


def show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: Any = None,
) -> None:
    """Warnings reach a command-line user as one ``warning:`` line, without a source excerpt."""
    err_console.print(Text.assemble(("warning:", "yellow"), " ", one_line(str(message))), soft_wrap=True)


def emit_table(table: Any, out: Path | None, noun: str = "rows") -> None:
    """A result table as CSV: to ``out`` (written atomically, with a line on standard error), or printed."""
    if out is None:
        table.to_csv(sys.stdout, index=False)
        return
    from trainwell.core.atomic import write_text_atomic

    write_text_atomic(out, table.to_csv(index=False))
    err_console.print(f"wrote {len(table)} {noun} to {out}")


def stdin_lines() -> tuple[list[int], list[str]]:
    """The non-blank lines of standard input and their 1-based line numbers (blank lines are skipped, so the
    numbers say which input line each prediction answers)."""
    numbers, lines = [], []
    for number, line in enumerate(sys.stdin, start=1):
        if line.strip():
            numbers.append(number)
            lines.append(line.rstrip("\n"))
    return numbers, lines
