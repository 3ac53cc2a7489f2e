"""A mistaken command is told before the training stack is imported, in the words the library says later.

The commands check paths and plain option values first (``trainwell.cli._early``) and import torch, pandas and
scikit-learn after: one line in a fraction of a second instead of 2-4 s of imports. Each check in a fresh
interpreter (never the tests' preloaded one, which holds torch already) reports which heavy modules the process
had loaded when it exited; the early lines are checked word for word against the readers that say them later.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from process_support import command_env
from trainwell.cli._early import need_data
from trainwell.core.errors import DataError

HEAVY = ("torch", "pandas", "sklearn", "numpy", "matplotlib", "PIL")
#: ``python -c`` of a command run as ``python -m trainwell ARGS``, that prints the heavy modules loaded on exit.
RUN_REPORTING_IMPORTS = (
    "import atexit, runpy, sys\n"
    f"atexit.register(lambda: print('heavy:', ','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr))\n"
    "sys.argv = ['trainwell', *sys.argv[1:]]\n"
    "runpy.run_module('trainwell', run_name='__main__')\n"
)


def run_fresh(*args: str, cwd: Path) -> tuple[int, list[str], str]:
    """``trainwell ARGS`` in a fresh interpreter: its exit code, its error lines, and the heavy modules it held."""
    done = subprocess.run(
        [sys.executable, "-c", RUN_REPORTING_IMPORTS, *args],
        capture_output=True,
        text=True,
        env=command_env(),
        cwd=cwd,
        timeout=120,
        check=False,
    )
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    heavy = [line.removeprefix("heavy:").strip() for line in lines if line.startswith("heavy:")]
    assert len(heavy) == 1, done.stderr
    return done.returncode, [line for line in lines if not line.startswith("heavy:")], heavy[0]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("fit", "nope.csv", "--target", "y"), "error: data file 'nope.csv' not found; check the path"),
        # Without --target a mistyped path was "--target is required for the table 'nodir'"
        (("fit", "nodir/"), "error: data file 'nodir' not found; check the path"),
        (("tune", "nodir/"), "error: data file 'nodir' not found; check the path"),
        (
            ("fit", "nope.csv", "--task", "tagging"),
            "error: nope.csv does not exist; pass the path of a CoNLL or CoNLL-U file.",
        ),
        (
            ("evaluate", "table.csv", "--target", "y", "--time", "1x"),
            "error: --time '1x' is not a duration longer than zero",
        ),
        (
            ("fit", "table.csv", "--target", "y", "--task", "ranking"),
            "error: --task ranking is not known; use one of: binary, multiclass, multilabel, regression, "
            "language_model, tagging (the first four for a table",
        ),
        (
            ("fit", "table.csv", "--target", "y", "--track", "wandb"),
            "error: --track 'wandb': not a destination; pass tensorboard, mlflow or both",
        ),
        (
            ("fit", "table.csv", "--target", "y", "--metric", "f1", "--metric", "acuracy"),
            "error: unknown metric 'acuracy'; did you mean 'accuracy'? known metrics: accuracy, average_precision",
        ),
        (
            ("tune", "table.csv", "--target", "y", "--metric", "rmse[price", "--trials", "1"),
            "error: unknown metric 'rmse[price'; known metrics: accuracy, average_precision",
        ),
        (
            ("fit", "table.csv", "--target", "y", "--label-names", "names.txt"),
            "error: --label-names names.txt: no such file; give a file of one name per line, or the names",
        ),
        (("predict", "nope", "rows.csv"), "error: model directory 'nope' does not exist"),
        (
            ("recommend", "table.csv", "1"),
            "error: 'table.csv' is a file, not a model directory; pass the folder written by `trainwell fit --out`",
        ),
        (  # checking a --search value imported every search, and torch, through trainwell.automl
            ("tune", "table.csv", "--target", "y", "--search", "lr=abc"),
            "error: --search lr=abc: lr takes a number above 0; e.g. --search lr=1e-4:1e-2",
        ),
        (
            ("tune", "table.csv", "--target", "y", "--encoding", "cp9999"),
            "error: unknown encoding 'cp9999'; pass a text encoding Python knows",
        ),
    ],
)
def test_a_mistaken_command_says_so_before_importing_torch(
    tmp_path: Path, args: tuple[str, ...], expected: str
) -> None:
    (tmp_path / "table.csv").write_text("x,y\n1,a\n2,b\n", encoding="utf-8")
    code, lines, heavy = run_fresh(*args, cwd=tmp_path)
    assert code == 2, lines
    assert len(lines) == 1 and lines[0].startswith(expected), lines
    assert heavy == "", f"trainwell {' '.join(args)} imported {heavy} before saying: {lines[0]}"


def _read_table(path: Path) -> Any:
    from trainwell.data.io import read_table

    return read_table(path)


def _read_conll(path: Path) -> Any:
    from trainwell.text.tagging.conll import read_conll

    return read_conll(path)


def _read_corpus(path: Path) -> Any:
    from trainwell.text.lm_stream import read_corpus

    return read_corpus(path)


def _csv_files(path: Path) -> Any:
    from trainwell.vision.io import csv_files

    return csv_files(path, "path", "label")


def _evaluate_images(path: Path) -> Any:
    from trainwell.vision.evaluation import evaluate_images

    return evaluate_images(path, path_col="path", label_col="label")


def _expand_image_paths(path: Path) -> Any:
    from trainwell.vision.predictor import expand_image_paths

    return expand_image_paths([path])


def _read_points(path: Path) -> Any:
    from trainwell.interpret.boundary import read_points

    return read_points(path)


#: The reader each early check speaks for.
READERS: dict[str, Callable[[Path], Any]] = {
    "table": _read_table,
    "rows": _read_table,
    "conll": _read_conll,
    "corpus": _read_corpus,
    "image csv": _csv_files,
    "images": _evaluate_images,
    "image files": _expand_image_paths,
    "points": _read_points,
}


@pytest.mark.parametrize("kind", sorted(READERS))
def test_the_early_line_for_a_missing_path_is_the_readers(tmp_path: Path, kind: str) -> None:
    missing = tmp_path / "nowhere.csv"
    with pytest.raises(DataError) as early:
        need_data(missing, kind)
    with pytest.raises(DataError) as late:
        READERS[kind](missing)
    assert str(early.value) == str(late.value)


def test_a_folder_given_as_a_table_is_refused_as_the_reader_refuses_it(tmp_path: Path) -> None:
    with pytest.raises(DataError) as early:
        need_data(tmp_path, "table")
    with pytest.raises(DataError) as late:
        _read_table(tmp_path)
    assert str(early.value) == str(late.value)
    need_data(Path("-"), "table")  # standard input: read later


@pytest.mark.parametrize(
    "args",
    [
        ("fit", "{model}"),
        ("fit", "{model}", "--task", "language_model"),
        ("evaluate", "{model}", "--target", "y"),
        ("tune", "{model}", "--task", "tagging"),
        ("report", "{model}", "--data", "{model}"),
    ],
)
def test_a_model_directory_given_as_data_is_named_as_one(tmp_path: Path, args: tuple[str, ...]) -> None:
    # Its curves.png read as "1 loose image" of a folder with no class folders, its JSON as a text to learn.
    from typer.testing import CliRunner

    from trainwell.cli.app import app

    model = tmp_path / "ner"
    model.mkdir()
    (model / "trainwell.json").write_text(
        '{"application": "text", "task": {"kind": "tagging"}}', encoding="utf-8"
    )
    (model / "curves.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    result = CliRunner().invoke(app, [arg.format(model=model) for arg in args], env={"COLUMNS": "200"})
    assert result.exit_code == 2, result.output
    assert (
        f"error: '{model}' is a model directory (it holds trainwell.json), not data; pass the data to read"
        in (result.stderr)
    )
    scored = f"to score this fitted one on labelled rows: trainwell report {model} --data FILE"
    assert (scored in " ".join(result.stderr.split())) is (args[0] == "evaluate")


def test_info_reads_a_model_directory_without_the_training_stack(tmp_path: Path) -> None:
    # `trainwell info` reads trainwell.json alone, yet imported torch (through the metrics' descriptions and the
    # artifact module): 1.9 s here for a table of text, 10-20 s on a busy machine.
    import pandas as pd

    import trainwell

    frame = pd.DataFrame({"x": [float(i % 7) for i in range(60)], "y": ["a", "b", "c"] * 20})
    trainwell.fit_table(frame, "y", out=tmp_path / "model", arch="gbdt", progress=False)
    done = subprocess.run(
        [sys.executable, "-c", RUN_REPORTING_IMPORTS, "info", "model"],
        capture_output=True, text=True, env=command_env(), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "multiclass" in done.stdout
    heavy = [
        line.removeprefix("heavy:").strip() for line in done.stderr.splitlines() if line.startswith("heavy:")
    ]
    assert heavy == [""], done.stderr
