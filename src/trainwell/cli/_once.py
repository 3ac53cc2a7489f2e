"""An option that takes one value is given once.

click keeps the last of two values without a word: ``trainwell fit t.csv --target Survived --target Age``
would predict Age and feed Survived to the model as an input. :class:`OneValueGroup`, the command group of
``trainwell``, reads every command's arguments before the command parses them and refuses such an option given
twice with different values, whatever the command and the option; an option declared as a list (``--search``,
``--date-format``) is meant to be repeated and is left alone. The same option given twice with the same value is
accepted: nothing is lost.

The same first reading refuses ``nan`` as the value of a number option (``--lr nan``, ``--valid-pct nan``): click
reads it as a float that passes every range check (NaN compares false), and it went on to fail far from the
option, in a message about checkpoint settings.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperGroup

try:  # typer >= 0.26 ships its own copy of click
    from typer._click.exceptions import UsageError
except ImportError:  # pragma: no cover - older typer
    from click.exceptions import UsageError  # type: ignore[assignment,no-redef]

#: How click's parser stores one value, and the action that keeps every value instead.
_KEEP_ALL = {"store": "append", "store_const": "append_const"}


class OneValueGroup(TyperGroup):
    """The ``trainwell`` command group: a single-value option given twice is a usage error (exit code 2)."""

    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[str | None, Any, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None and not ctx.resilient_parsing:  # resilient: shell completion, never an error
            refuse_repeated_options(command, ctx, name, rest)
        return name, command, rest

    def invoke(self, ctx: Any) -> Any:
        from trainwell.cli._common import fit_consoles

        fit_consoles()
        return super().invoke(ctx)


def refuse_repeated_options(command: Any, parent: Any, name: str | None, args: list[str]) -> None:
    """Raise a ``UsageError`` naming the first single-value option of ``command`` that ``args`` give with two
    different values, both values, and the fix.

    ``args`` are parsed a first time by the command's own parser (so ``--target=x``, short forms and values that
    look like options read exactly as the command will read them), with every single-value option told to keep
    all its values. That parse is resilient: it stops at the first argument it cannot read (an unknown option),
    so the first problem on the command line is the one reported, a repetition before it here and the rest by
    the command's own parsing.
    """
    context = command.context_class(
        command, info_name=name, parent=parent, **{**command.context_settings, "resilient_parsing": True}
    )
    parser = command.make_parser(context)
    # The parser keeps its options in private maps (click's and typer's copy alike); should they move, the check
    # is skipped rather than every command broken (tests/cli/test_cli_once.py says so).
    options = {*getattr(parser, "_long_opt", {}).values(), *getattr(parser, "_short_opt", {}).values()}
    single = set()
    for option in options:
        if option.action in _KEEP_ALL:
            option.action = _KEEP_ALL[option.action]
            single.add(option.dest)
    try:
        values, _, order = parser.parse_args(args=list(args))
    except UsageError:  # a parser that raises even when resilient: the command's own parse reports it
        return
    for param in dict.fromkeys(order):  # in the order given: the first repeated option is the one reported
        _refuse_nan(param, values.get(param.name), context)
        given = values.get(param.name) if param.name in single else None
        if not isinstance(given, list) or len(given) < 2:
            continue
        shown = [_shown(param, value) for value in given]
        if len(set(shown)) > 1:
            raise UsageError(_message(param, shown), ctx=context)


def _refuse_nan(param: Any, given: Any, context: Any) -> None:
    """A ``UsageError`` when a number option (``float``) is given ``nan``, which no range check catches."""
    bare = getattr(param, "bare_type", None)  # typer >= 0.29 keeps the annotation's type, not a click type
    kind = bare() if callable(bare) else getattr(getattr(param, "type", None), "name", None)
    if kind != "float":
        return
    for value in given if isinstance(given, list) else [given]:
        if isinstance(value, str) and value.strip().lower() in ("nan", "+nan", "-nan"):
            name = next((opt for opt in param.opts if opt.startswith("--")), param.opts[0])
            raise UsageError(
                f"Invalid value for '{name}': {value!r} is not a number; give a number", ctx=context
            )


def _shown(param: Any, value: Any) -> str:
    if isinstance(value, bool) and param.is_flag:  # a flag shows as it was written: --x or --no-x
        return param.opts[0] if value or not param.secondary_opts else param.secondary_opts[0]
    if isinstance(value, (tuple, list)):  # an option of several values (nargs > 1)
        return "'" + " ".join(str(part) for part in value) + "'"
    return f"'{value}'"


def _message(param: Any, shown: list[str]) -> str:
    name = next((opt for opt in param.opts if opt.startswith("--")), param.opts[0])
    times = "twice" if len(shown) == 2 else f"{len(shown)} times"
    listed = f"{', '.join(shown[:-1])} and {shown[-1]}"
    if param.is_flag and param.secondary_opts:
        fix = f"give {name} or {param.secondary_opts[0]} once"
    else:
        fix = f"give {name} once"
    return f"{name} was given {times} ({listed}) but takes a single value: {fix}"
