"""How ``trainwell ... --help`` is laid out: typer's rich panels, with every option name whole.

typer sizes the columns of its options table by their content and lets rich shrink any of them, so a table too
wide for the width cut the names themselves (``--forbid-extra-f…  --no-forbid-ext…``) at 80 columns, which is
what rich assumes when the help is piped into ``less`` or a file. Here the names and the type placeholder never
wrap and the description takes what is left; a flag's other name goes under it, not in a column of its own that
every other option leaves empty; a flag, which takes no value, shows no type (typer said ``<bool>``); and help
written to neither a terminal nor a width given in ``COLUMNS`` is laid out :data:`PIPED_WIDTH` wide.

The usage line, the command's own text and the list of commands are typer's own renderings. typer's renderer
(:mod:`typer.rich_utils`, a tenth of a second of imports) is imported when help is asked, as typer does: a command
that runs starts without it.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from typer.core import TyperArgument, TyperCommand, TyperGroup

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

#: Width of help written to a file or a pipe when no terminal measures it and ``COLUMNS`` is unset: wider than
#: rich's 80, so descriptions read in fewer lines, yet prose, not a 200-column table.
PIPED_WIDTH = 100
#: The longest line of a type placeholder: a long list of choices is broken after a ``|``, not mid-word.
TYPE_WIDTH = 17


def help_width() -> int | None:
    """The width to lay help out at: ``None`` (rich's own: ``COLUMNS``, else the terminal's) when ``COLUMNS``
    is set or a standard stream is a terminal (``--help | less`` in one: as wide as that terminal), else
    :data:`PIPED_WIDTH`."""
    if os.environ.get("COLUMNS", "").isdigit() or a_terminal_measures():
        return None
    return PIPED_WIDTH


def a_terminal_measures() -> bool:
    """Whether a standard stream is a terminal, whose width rich then reads (a stream a test runner replaced, or
    one closed, is none)."""
    for stream in (sys.stdout, sys.stdin, sys.stderr):
        try:
            if stream is not None and os.isatty(stream.fileno()):
                return True
        except (AttributeError, ValueError, OSError):  # replaced by a test runner, or closed
            continue
    return False


def option_names(param: Any) -> Text:
    """The names of ``param`` as typed on the command line: ``--version, -V``; a flag's two forms one under
    the other (``--tta`` then ``--no-tta``); an argument's own name."""
    from typer import rich_utils as typer_help

    if isinstance(param, TyperArgument):
        return typer_help.highlighter(param.display_name_raw)
    lines = [", ".join(sorted(param.opts, key=lambda name: not name.startswith("--")))]
    if param.secondary_opts:
        lines.append(", ".join(param.secondary_opts))
    names = typer_help.highlighter(lines[0])
    for line in lines[1:]:
        names.append("\n")
        names.append_text(typer_help.negative_highlighter(line))
    return names


def type_placeholder(param: Any, ctx: Any) -> Text:
    """What ``param`` takes: ``<int>``, ``<auto|torch|onnx>``, ``<str>...`` for an option given once per value,
    its range under it when short (:func:`long_range`: else in the description); nothing for a flag or a count,
    which take no value."""
    from rich.text import Text
    from typer import rich_utils as typer_help

    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return Text()
    shown = str(param.display_type_rich(ctx=ctx) or "")
    if shown.startswith("<list[") and shown.endswith("]>"):  # typer's <list[str]>: the option is repeated
        shown = f"<{shown[6:-2].lower()}>..."
    range_help = param._get_number_range_help_str()
    placeholder = Text(style=typer_help.STYLE_TYPES, no_wrap=True)
    placeholder.append(_broken(shown))
    if range_help and long_range(param) is None:
        placeholder.append(f"\n[{range_help}]")
    return typer_help.types_highlighter(placeholder)


def long_range(param: Any) -> str | None:
    """``param``'s range, ``[0<=x<=4294967295]``, when wider than :data:`TYPE_WIDTH`: said after its description,
    not widening the type column of every option."""
    range_help = param._get_number_range_help_str()
    return f"[{range_help}]" if range_help and len(range_help) + 2 > TYPE_WIDTH else None


def _broken(shown: str) -> str:
    """``shown`` in lines of at most :data:`TYPE_WIDTH`, broken after a ``|`` (a long list of choices)."""
    lines = [""]
    for piece in shown.replace("|", "|\0").split("\0"):
        if lines[-1] and len(lines[-1]) + len(piece) > TYPE_WIDTH:
            lines.append("")
        lines[-1] += piece
    return "\n".join(lines)


def _description(param: Any, ctx: Any, markup_mode: Any) -> Any:
    """typer's description of ``param`` (its help, default, required), with its range when too long for the
    type column."""
    from rich.text import Text
    from typer import rich_utils as typer_help

    described = typer_help._get_parameter_help(param=param, ctx=ctx, markup_mode=markup_mode)
    range_help = long_range(param)
    if range_help is not None:
        described.add_renderable(Text(range_help, style=typer_help.STYLE_TYPES))
    return described


def _params_panel(title: str, params: list[Any], ctx: Any, markup_mode: Any, console: Console) -> None:
    """One panel of arguments or options: names, type, description (with its default), a ``*`` before the
    required ones when there are any."""
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text
    from typer import rich_utils as typer_help

    if not params:
        return
    table = Table(highlight=True, show_header=False, expand=True, box=None, pad_edge=False, padding=(0, 1))
    required = any(param.required for param in params)
    if required:
        table.add_column(no_wrap=True)
    table.add_column(no_wrap=True)  # the names: never cut
    table.add_column(no_wrap=True)  # the type
    table.add_column(ratio=1)  # the description takes what is left, wrapped
    for param in params:
        row = [
            option_names(param),
            type_placeholder(param, ctx),
            _description(param, ctx, markup_mode),
        ]
        if required:
            row.insert(0, Text("*", style=typer_help.STYLE_REQUIRED_SHORT) if param.required else Text())
        table.add_row(*row)
    console.print(
        Panel(
            table,
            border_style=typer_help.STYLE_OPTIONS_PANEL_BORDER,
            title=title,
            title_align=typer_help.ALIGN_OPTIONS_PANEL,
        )
    )


def print_help(command: Any, ctx: Any) -> None:
    """Print ``command``'s help (a command or the ``trainwell`` group) as :mod:`typer.rich_utils` does, with the
    options panels of this module, at :func:`help_width`."""
    from rich.align import Align
    from rich.padding import Padding
    from typer import rich_utils as typer_help

    markup_mode = command.rich_markup_mode
    console = typer_help._get_rich_console()
    width = help_width()
    if width is not None:
        console.width = width
    console.print(
        Padding(typer_help.highlighter(command.get_usage(ctx)), 1), style=typer_help.STYLE_USAGE_COMMAND
    )
    if command.help:
        text = typer_help._get_help_text(obj=command, markup_mode=markup_mode)
        console.print(Padding(Align(text, pad=False), (0, 1, 1, 1)))
    panels: dict[tuple[str, str], list[Any]] = {}
    for param in command.get_params(ctx):
        if getattr(param, "hidden", False):
            continue
        kind = "argument" if isinstance(param, TyperArgument) else "option"
        default = typer_help.ARGUMENTS_PANEL_TITLE if kind == "argument" else typer_help.OPTIONS_PANEL_TITLE
        panels.setdefault((kind, getattr(param, "rich_help_panel", None) or default), []).append(param)
    for (_, title), params in sorted(panels.items(), key=lambda item: item[0][0]):  # arguments first
        _params_panel(title, params, ctx, markup_mode, console)
    if isinstance(command, TyperGroup):
        commands = [
            found
            for name in command.list_commands(ctx)
            if (found := command.get_command(ctx, name)) is not None and not found.hidden
        ]
        typer_help._print_commands_panel(
            name=typer_help.COMMANDS_PANEL_TITLE,
            commands=commands,
            markup_mode=markup_mode,
            console=console,
            cmd_len=max((len(found.name or "") for found in commands), default=0),
        )


class HelpCommand(TyperCommand):
    """A ``trainwell`` command whose ``--help`` is :func:`print_help`'s."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        if self.rich_markup_mode is None:  # pragma: no cover - rich is a dependency: typer's plain help
            return super().format_help(ctx, formatter)
        print_help(self, ctx)
        return None
