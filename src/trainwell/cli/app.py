"""The ``trainwell`` command line: a thin layer over the Python API.

User mistakes (a UserError, or a usage error such as an option of one value given twice) print one line and
exit with code 2; anything else is a bug and keeps its traceback. Heavy imports happen inside the commands so
that ``trainwell --help`` is instant.
"""

from __future__ import annotations

import inspect
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from trainwell.cli._common import guarded, out_console
from trainwell.cli._help import HelpCommand, print_help
from trainwell.cli._once import OneValueGroup
from trainwell.cli.boundary_cmd import boundary
from trainwell.cli.cache_cmd import cache
from trainwell.cli.compare_cmd import compare
from trainwell.cli.evaluate_cmd import evaluate
from trainwell.cli.export_cmd import export
from trainwell.cli.fit_cmd import fit, report_fit
from trainwell.cli.fold_in_cmd import fold_in
from trainwell.cli.generate_cmd import generate
from trainwell.cli.importance_cmd import importance
from trainwell.cli.lr_find_cmd import lr_find
from trainwell.cli.predict_cmd import predict
from trainwell.cli.recommend_cmd import recommend
from trainwell.cli.report_cmd import report
from trainwell.cli.serve_cmd import serve
from trainwell.cli.tune_cmd import tune


class TrainwellGroup(OneValueGroup):
    """The ``trainwell`` group: :class:`OneValueGroup`, its ``--help`` laid out by :mod:`trainwell.cli._help`."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        print_help(self, ctx)


app = typer.Typer(
    name="trainwell",
    help="Well-trained models by default: fit, evaluate, predict, inspect, export, serve.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=TrainwellGroup,  # an option of one value given twice is refused, not resolved to the last
)


def _show_version(asked: bool) -> None:
    """``--version``: print the versions and stop before any command runs (eager, so ``trainwell --version fit``
    needs no fit options either)."""
    if asked:
        from trainwell.cli._early import version_line

        out_console.print(version_line(), highlight=False, markup=False)
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            is_eager=True,
            callback=_show_version,
            help="Print trainwell's version, torch's and Python's, and exit.",
        ),
    ] = False,
) -> None:
    """Options of ``trainwell`` itself, before the command."""


app.command(cls=HelpCommand)(fit)


@app.command(cls=HelpCommand)
def demo(
    out: Annotated[Path, typer.Option(help="Where to write the demo model directory.")] = Path("demo-model"),
    epochs: Annotated[int | None, typer.Option(help="Passes over the data.")] = None,
) -> None:
    """Train on the embedded sample of UCI Adult (income > 50K?) and write a model directory."""

    def run() -> None:
        from trainwell.datasets import ADULT_TARGET, adult_sample_path
        from trainwell.tabular.pipeline import fit_table

        out_console.print(
            f"Training on the embedded UCI Adult sample ({adult_sample_path().name}, CC BY 4.0): "
            f"predict '{ADULT_TARGET}'."
        )
        result = fit_table(adult_sample_path(), ADULT_TARGET, out=out, epochs=epochs)
        report_fit(result)  # with what --arch auto compared, as fit says it

    guarded(run)


app.command(cls=HelpCommand)(predict)


app.command("lr-find", cls=HelpCommand)(lr_find)
app.command("boundary", cls=HelpCommand)(boundary)
app.command("compare", cls=HelpCommand)(compare)
app.command("evaluate", cls=HelpCommand)(evaluate)
app.command("export", cls=HelpCommand)(export)
app.command("fold-in", cls=HelpCommand)(fold_in)
app.command("generate", cls=HelpCommand)(generate)
app.command("importance", cls=HelpCommand)(importance)
app.command("recommend", cls=HelpCommand)(recommend)
app.command("report", cls=HelpCommand)(report)
app.command("serve", cls=HelpCommand)(serve)
app.command("tune", cls=HelpCommand)(tune)
app.command("cache", cls=HelpCommand)(cache)


@app.command(cls=HelpCommand)
def info(model: Annotated[Path, typer.Argument(help="Model directory.")]) -> None:
    """Show a model directory's task, inputs, metrics and versions."""

    def run() -> None:
        from trainwell.cli._early import need_model_directory

        need_model_directory(model)
        from trainwell.cli._show import check_architecture_known, check_weights_file, show_info
        from trainwell.core.artifact import read_metadata  # not trainwell.export's: torch stays unloaded

        metadata = read_metadata(model)
        show_info(metadata, model, out_console)
        check_weights_file(model)  # a truncated copy is said, not shown as a healthy model
        check_architecture_known(metadata, model)  # as is one this version cannot build

    guarded(run)


def _flow_help() -> None:
    """Each paragraph of a command's docstring on one line: typer's rich help keeps a docstring's line breaks,
    which cut a command's summary mid-sentence in ``trainwell --help`` on a narrow terminal."""
    for command in app.registered_commands:
        if command.help is None and command.callback is not None:
            doc = inspect.getdoc(command.callback) or ""
            command.help = "\n\n".join(" ".join(paragraph.split()) for paragraph in doc.split("\n\n"))


_flow_help()


#: Commands that may run under ``torchrun``: ``fit`` and ``demo`` train one model with every process;
#: ``evaluate`` shares its folds out and ``tune`` its trials, each process training its own alone
#: (``evaluate.spread``, ``automl._spread``). The others run in one process (``lr-find`` too: its sweep
#: is short, and every process would print and draw it).
DISTRIBUTED_COMMANDS = ("fit", "demo", "evaluate", "tune")


def refuse_torchrun(argv: list[str]) -> None:
    """Under ``torchrun`` (several processes), a command that does not train would run once per process: two
    servers on one port, every file written twice. Stop it in one line (said by rank 0) before it starts."""
    variables = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")
    if not all(name in os.environ for name in variables) or os.environ["WORLD_SIZE"] in ("", "0", "1"):
        return
    command = next((arg for arg in argv if not arg.startswith("-")), None)
    if command is None or command in DISTRIBUTED_COMMANDS or command not in _command_names():
        return
    if os.environ["RANK"] != "0":
        # The others leave quietly and successfully: one failing first would have torchrun stop rank 0 before
        # it says why.
        raise SystemExit(0)
    print(
        f"error: trainwell {command} does not train, so it runs in one process: start it without torchrun "
        f"(torchrun --nproc_per_node N -m trainwell is for {', '.join(DISTRIBUTED_COMMANDS)})",
        file=sys.stderr,
    )
    raise SystemExit(2)


def _command_names() -> set[str]:
    return {
        command.name or command.callback.__name__ for command in app.registered_commands if command.callback
    }


def main() -> None:
    """Entry point of the ``trainwell`` command (the console script, ``python -m trainwell``): runs the command
    in ``sys.argv`` and ends the process.

    Usage mistakes (a missing option, a value of the wrong type) print one ``error:`` line and exit with 2,
    like every other user mistake, instead of click's framed box.

    Once the command is done, its threads finished, ``atexit`` handlers run and files closed, the process ends at
    once (:mod:`trainwell.cli._exit`) instead of tearing the interpreter down, seconds after a fit. ``serve``,
    processes under ``torchrun`` and ``TRAINWELL_SLOW_EXIT=1`` end the usual way. To run a command inside a
    Python process that goes on, call :data:`app` (``app(["fit", ...], standalone_mode=False)``), not this.
    """
    from trainwell.cli._early import mark_process_start
    from trainwell.cli._exit import end_process, ends_fast, exit_code

    mark_process_start()  # the command's time counts from the interpreter's start (fit --time's closing line)
    try:
        _run_command()
    except SystemExit as done:
        if not ends_fast(sys.argv[1:]):
            raise
        code = exit_code(done)
    except BaseException as error:
        if isinstance(error, KeyboardInterrupt) or not ends_fast(sys.argv[1:]):
            raise  # Ctrl-C outside the command (which says it and exits 130) ends by SIGINT, as Python's does
        sys.excepthook(*sys.exc_info())  # an uncaught error, said as the interpreter says it: 1
        code = 1
    else:  # pragma: no cover - _run_command always raises SystemExit
        code = 0
    end_process(code)


def _run_command() -> None:
    """The command in ``sys.argv``, ended by :class:`SystemExit` with its exit code."""
    refuse_torchrun(sys.argv[1:])
    from trainwell.cli._pipes import keep_going_unread

    keep_going_unread(sys.argv[1:])  # fit ... | head: the fit goes on when head has read its lines
    try:  # typer >= 0.26 ships its own copy of click
        from typer._click import exceptions as click_errors
    except ImportError:  # pragma: no cover - older typer
        from click import exceptions as click_errors  # type: ignore[no-redef]

    try:
        code = app(standalone_mode=False)
    except click_errors.NoArgsIsHelpError as error:
        error.show()
        raise SystemExit(error.exit_code) from None
    except click_errors.ClickException as error:
        context = getattr(error, "ctx", None)
        command = context.command_path if context is not None else "trainwell"
        message = error.format_message()
        if command.endswith(" fit") and message.startswith("Got unexpected extra argument"):
            message += (
                ": trainwell fit reads one data source (a file or a folder); a labelled test set goes in --test "
                "FILE, and rows to answer go to trainwell predict MODEL_DIR FILE once the model is fitted"
            )
        elif command.endswith(" evaluate") and message.startswith("Got unexpected extra argument"):
            message += (
                ": trainwell evaluate reads one data source, on which it cross-validates a new model; to score a "
                "fitted model on labelled data: trainwell report MODEL_DIR --data FILE"
            )
        if os.environ.get("RANK", "0") == "0":  # under torchrun every process parses alike: one says it
            print(f"error: {message} (see '{command} --help')", file=sys.stderr)
        raise SystemExit(error.exit_code) from None
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        raise SystemExit(130) from None
    raise SystemExit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
