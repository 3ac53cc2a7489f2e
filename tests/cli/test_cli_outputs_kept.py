"""What a command writes never destroys what the user had, and an unusable cache is said in one line (bad-input
tour 55): ``TRAINWELL_CACHE`` naming a file, ``boundary DATA --generate`` over the user's table, ``--out`` and
``--gif`` over a CSV, ``tune --out`` over a model of another target, and ``tune``'s exit code after Ctrl-C."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest
from cli_support import PNG_SIGNATURE, CliResult, binary_table, cli_env, count_table, run_cli, run_cli_many

from process_support import run_python

pytestmark = pytest.mark.slow  # every test starts the real command (seconds each on 2 shared cores)

ONE_TRIAL = ["--trials", "1", "--arch", "mlp", "--search", "epochs=1"]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def folder_digest(folder: Path) -> dict[str, str]:
    return {entry.name: digest(entry) for entry in sorted(folder.iterdir()) if entry.is_file()}


def with_cache(cache: Path, *args: str | Path, cwd: Path) -> CliResult:
    """``trainwell ARGS`` with ``TRAINWELL_CACHE=cache``."""
    text = [str(arg) for arg in args]
    done = run_python(
        ["-m", "trainwell.cli.app", *text],
        env={**cli_env(), "TRAINWELL_CACHE": str(cache)},
        cwd=cwd,
        timeout=120,
    )
    return CliResult(tuple(text), done.returncode, done.stdout, done.stderr)


def one_error(result: CliResult, *texts: str) -> None:
    """Exit 2 with one ``error:`` line holding every one of ``texts``, and no traceback."""
    assert result.returncode == 2, result.explain()
    assert len(result.stderr_lines) == 1 and result.stderr_lines[0].startswith("error:"), result.explain()
    for text in texts:
        assert text in result.stderr, result.explain()


def test_a_cache_that_cannot_be_used_is_said_in_one_line(tmp_path: Path) -> None:
    # TRAINWELL_CACHE=titanic.csv ended `fit data.zip` in a NotADirectoryError traceback (exit 1), and
    # `trainwell cache` listed "0 bytes" for it.
    table = tmp_path / "table.csv"
    binary_table(n_rows=60).to_csv(table, index=False)
    archive = tmp_path / "table.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(table, "table.csv")
    before = digest(table)
    for cache in (table, table / "below"):  # a file, and a folder that cannot be made under it
        fitted = with_cache(
            cache, "fit", archive, "--target", "y", "--epochs", "1", "--out", "m", cwd=tmp_path
        )
        one_error(fitted, f"TRAINWELL_CACHE '{cache}'", "point TRAINWELL_CACHE at a folder", "is a file")
        for command in (["cache"], ["cache", "--clear"]):
            listed = with_cache(cache, *command, cwd=tmp_path)
            one_error(listed, f"TRAINWELL_CACHE '{cache}'", "unset it")
    assert digest(table) == before and not (tmp_path / "m").exists()
    usable = with_cache(tmp_path / "cache", "cache", cwd=tmp_path)  # a folder to be made: listed as before
    assert usable.returncode == 0 and "0 bytes in all" in usable.stdout, usable.explain()


def test_boundary_writes_nothing_over_a_file_of_another_kind(tmp_path: Path) -> None:
    # `boundary mydata.csv --generate spirals` replaced the user's table, `--out mydata.csv` made it a PNG,
    # `--gif` a GIF; `--frames 0` was taken.
    mine = tmp_path / "mydata.csv"
    binary_table(n_rows=50).to_csv(mine, index=False)
    before = digest(mine)
    points = tmp_path / "points.csv"
    made = run_cli("boundary", "--generate", "gaussian", "--n", "60", points, cwd=tmp_path)
    assert made.returncode == 0, made.explain()
    fast = ["--grid", "20", "--epochs", "2", "--frames", "3"]
    generated, drawn_over, animated_over, no_frames, fewer_frames, again = run_cli_many(
        [
            ["boundary", "--generate", "spirals", "--n", "20", mine],
            ["boundary", points, "--models", "logistic", "--out", mine],
            ["boundary", points, "--models", "mlp", *fast[:4], "--gif", mine, "--out", "b.png"],
            ["boundary", points, "--models", "mlp", "--frames", "0"],
            ["boundary", points, "--models", "mlp", "--frames", "-3"],
            ["boundary", "--generate", "spirals", "--n", "40", points],  # its own file: written anew
        ],
        cwd=tmp_path,
    )
    one_error(generated, "'", "mydata.csv' exists and is not a file --generate wrote", "choose another name")
    one_error(drawn_over, "is a PNG image", "pass", "mydata.png")
    one_error(animated_over, "--gif", "is a GIF image", "mydata.gif")
    for result, value in ((no_frames, "0"), (fewer_frames, "-3")):
        one_error(result, f"--frames must be at least 2 (the GIF's first and last), got {value}")
    assert digest(mine) == before
    assert again.returncode == 0 and len(points.read_text().splitlines()) == 41, again.explain()
    named = run_cli(
        "boundary", points, "--models", "logistic", "--grid", "20", "--out", "panels", cwd=tmp_path
    )
    assert named.returncode == 0, named.explain()
    assert (tmp_path / "panels.png").read_bytes()[:8] == PNG_SIGNATURE  # .png added, as lr-find does


def test_lr_find_draws_its_curve_only_over_a_png(tmp_path: Path) -> None:
    # `lr-find --out mydata2.csv` kept the .csv suffix (its help promises .png) and replaced the CSV's bytes.
    rows, mine, text = tmp_path / "rows.csv", tmp_path / "mydata2.csv", tmp_path / "notes.png"
    binary_table(n_rows=120).to_csv(rows, index=False)
    binary_table(n_rows=30).to_csv(mine, index=False)
    text.write_text("not a picture\n")
    kept = {path: digest(path) for path in (mine, text)}
    over_csv, over_text = run_cli_many(
        [
            ["lr-find", rows, "--target", "y", "--out", mine],
            ["lr-find", rows, "--target", "y", "--out", text],
        ],
        cwd=tmp_path,
    )
    one_error(over_csv, "the learning-rate curve is a PNG image", "mydata2.png")
    one_error(over_text, "notes.png' exists and is not a PNG image", "delete it")
    assert {path: digest(path) for path in kept} == kept


def test_tune_refuses_an_out_holding_a_model_of_another_target_before_searching(tmp_path: Path) -> None:
    # A tabular binary model of 'y' in --out was replaced by the search's model of 'k', said only afterwards.
    binary_table(n_rows=120).to_csv(tmp_path / "yes_no.csv", index=False)
    count_table(n_rows=120).to_csv(tmp_path / "counts.csv", index=False)
    first = run_cli("tune", "yes_no.csv", "--target", "y", "--out", "m", *ONE_TRIAL, cwd=tmp_path)
    assert first.returncode == 0, first.explain()
    before = folder_digest(tmp_path / "m")
    other = run_cli("tune", "counts.csv", "--target", "k", "--out", "m", *ONE_TRIAL, cwd=tmp_path)
    one_error(
        other, "--out 'm' holds a tabular binary model of 'y'", "with a model of 'k'", "pass another --out"
    )
    assert "trial" not in other.stdout, other.explain()  # refused before the search
    assert folder_digest(tmp_path / "m") == before
    again = run_cli("tune", "yes_no.csv", "--target", "y", "--out", "m", *ONE_TRIAL, cwd=tmp_path)
    assert again.returncode == 0 and "replaced" not in again.stderr, (
        again.explain()
    )  # the same model: as before


LAUNCHER = """
import os, signal, sys
from trainwell.automl.search import trial_callbacks
from trainwell.cli.app import main
from trainwell.learner import Callback


class CtrlC(Callback):  # Ctrl-C in the second trial's training
    def before_batch(self, learn):
        if learn.training and learn.iteration == 2:
            os.kill(os.getpid(), signal.SIGINT)


with trial_callbacks(lambda number, _: [CtrlC()] if number == 1 else []):
    main()
"""


def test_ctrl_c_in_tune_keeps_the_best_trial_and_exits_130(tmp_path: Path) -> None:
    # The search stopped at the interrupted trial and kept the best finished one, but exited 0: a script could not
    # tell that its 5 trials were cut to 1.
    binary_table(n_rows=200).to_csv(tmp_path / "yes_no.csv", index=False)
    launcher = tmp_path / "launch.py"
    launcher.write_text(LAUNCHER)
    args = ["tune", "yes_no.csv", "--target", "y", "--out", "m", "--trials", "5", "--arch", "mlp"]
    done = run_python([launcher, *args], env=cli_env(), cwd=tmp_path, timeout=300)
    result = CliResult(tuple(args), done.returncode, done.stdout, done.stderr)
    assert result.returncode == 130, result.explain()
    assert "interrupted (Ctrl-C): 1 of the 5 trials asked finished" in result.stderr, result.explain()
    assert (tmp_path / "m" / "trainwell.json").is_file() and (tmp_path / "m" / "tuning.json").is_file()
