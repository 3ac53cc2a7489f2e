"""An option that takes one value is given once.

click keeps the last of two values without a word: ``trainwell fit t.csv --target Survived --target Age``
would predict Age and feed Survived to the model as an input. :class:`OneValueGroup`, the command group of
``trainwell``, reads every command's arguments before the command parses them and refuses such an option given
twice with different values, whatever the command and the option; an option declared as a list (``--search``,
``--date-format``) is meant to be repeated and is left alone. The same option given twice with the same value is
accepted: nothing is lost.

The same first reading refuses a value of a number option that is no number: ``nan`` (``--lr nan``, ``--valid-pct
nan``), which click read as a float that passes every range check (NaN compares false), so that it failed far
from the option, in a message about checkpoint settings; and a word (``--lr abc``), which typer refused in
pydantic's words without the value. Each is one line echoing the value with one that is read.
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
    """A ``UsageError`` when a number option is given a value that is no number (``--lr abc``: typer's own
    check said "Input should be a valid number, unable to parse string as a number", without the value), a
    whole-number option a fraction (``--epochs 2.5``), or a ``float`` one ``nan``, which no range check catches.
    The message echoes the value and shows one that is read: ``--lr 'abc' is not a number; write e.g. 3e-3``."""
    bare = getattr(param, "bare_type", None)  # typer >= 0.29 keeps the annotation's type, not a click type
    kind = bare() if callable(bare) else getattr(getattr(param, "type", None), "name", None)
    if kind not in ("float", "int", "integer"):
        return
    name = next((opt for opt in param.opts if opt.startswith("--")), param.opts[0])
    for value in given if isinstance(given, list) else [given]:
        if not isinstance(value, str):
            continue
        number = _number(value)
        example = _example(param, name, kind)
        if number is None or number != number:  # NaN is not equal to itself
            raise UsageError(f"{name} {value!r} is not a number; write e.g. {example}", ctx=context)
        if kind == "float":  # an infinite value is the range check's to refuse
            continue
        if abs(number) == float("inf") or number != int(number):
            raise UsageError(f"{name} {value!r} is not a whole number; write e.g. {example}", ctx=context)
        if "e" in value.lower():  # 1e3: whole, but not read as one
            raise UsageError(
                f"{name} {value!r} is not written as a whole number; write e.g. {example}", ctx=context
            )


#: A value to show for a number option whose default is none.
_EXAMPLES = {
    "--batch-size": "256",
    "--clip": "1.0",
    "--epochs": "10",
    "--k": "10",
    "--lr": "3e-3",
    "--max-body-bytes": "1000000",
    "--min-category-count": "3",
    "--min-users": "5",
    "--patience": "3",
    "--seed": "0",
    "--size": "128",
    "--threads": "4",
    "--top-k": "40",
    "--top-p": "0.9",
    "--wd": "0.01",
}


def _number(value: str) -> float | None:
    """``value`` read as a number (``1e-3``, `` 5 ``, ``nan``), or ``None``."""
    if "_" in value:  # Python reads 1_000, the option's own check does not
        return None
    try:
        return float(value.strip())
    except ValueError:
        return None


def _example(param: Any, name: str, kind: str) -> str:
    default = getattr(param, "default", None)
    if isinstance(default, (int, float)) and not isinstance(default, bool) and default == default:
        return str(default)
    return _EXAMPLES.get(name, "0.5" if kind == "float" else "1")


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
