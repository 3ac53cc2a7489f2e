"""Helpers of the command-line tests: small synthetic tables and a runner for the real command.

Every test here runs ``python -m trainwell.cli.app`` in a process of its own, as a user would (forked from a
preloaded interpreter: :mod:`process_support`). Each run is kept short (a few hundred rows, two epochs) and
single-threaded: the tensors are tiny, and extra intra-op threads on a
shared 2-core machine only add synchronisation. Independent commands are started side by side.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from process_support import command_env, run_trainwell

N_ROWS = 400
EPOCHS = ["--epochs", "2"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class CliResult:
    """What one run of the command returned."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def stderr_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]

    def explain(self) -> str:
        return f"trainwell {' '.join(self.args)} -> {self.returncode}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}"


def cli_env() -> dict[str, str]:
    return command_env()


def run_cli(*args: str | Path, cwd: Path | None = None, timeout: float = 120) -> CliResult:
    """Run ``trainwell ARGS`` in a fresh interpreter and capture everything it printed."""
    text_args = tuple(str(arg) for arg in args)
    completed = run_trainwell(*text_args, cwd=cwd, timeout=timeout)
    return CliResult(text_args, completed.returncode, completed.stdout, completed.stderr)


def run_cli_many(commands: Sequence[Sequence[str | Path]], cwd: Path | None = None) -> list[CliResult]:
    """Run independent commands side by side (each is single-threaded), results in the given order."""
    workers = max(2, min(4, os.cpu_count() or 2))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda args: run_cli(*args, cwd=cwd), commands))


def fitted_models(folder: Path, commands: dict[str, list[str | Path]]) -> dict[str, Path]:
    """Run the ``fit`` commands side by side, each writing its model to ``folder/NAME``: ``folder`` (as
    ``"folder"``) and each model's folder, by name, as :func:`compared` reads them."""
    done = run_cli_many([[*args, "--out", folder / name] for name, args in commands.items()])
    for result in done:
        assert result.returncode == 0, result.explain()
    return {"folder": folder, **{name: folder / name for name in commands}}


def compared(
    models: dict[str, Path], a: str, b: str, data: str, *extra: str | Path
) -> tuple[CliResult, dict]:
    """``trainwell compare`` of the models named ``a`` and ``b`` on ``data`` (a file or folder in the models'
    folder): the run, once it has exited 0, and its JSON report."""
    out = models["folder"] / f"{a}-{b}-{data.replace('/', '_')}.json"
    result = run_cli(
        "compare", models[a], models[b], "--data", models["folder"] / data, "--json", out, *extra
    )
    assert result.returncode == 0, result.explain()
    return result, json.loads(out.read_text(encoding="utf-8"))


def binary_table(seed: int = 0, n_rows: int = N_ROWS) -> pd.DataFrame:
    """A learnable yes/no rule over two numbers and a colour, with a noise column and missing values."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n_rows)
    x2 = rng.uniform(0, 10, size=n_rows)
    color = rng.choice(["red", "green", "blue"], size=n_rows).astype(object)
    size = rng.choice(["S", "M", "L"], size=n_rows).astype(object)
    score = 1.5 * x1 + 2.0 * (color == "red") - 0.4 * (x2 - 5)
    frame = pd.DataFrame(
        {"x1": x1, "x2": x2, "color": color, "size": size, "y": np.where(score > 0.5, "yes", "no")}
    )
    frame.loc[rng.choice(n_rows, 30, replace=False), "x2"] = np.nan
    frame.loc[rng.choice(n_rows, 20, replace=False), "color"] = np.nan
    return frame


def table_with_test(folder: Path) -> list[str]:
    """A :func:`binary_table` of 400 rows and a test table of 200 (another seed) written to ``folder``: the
    ``fit`` arguments that read them (``TABLE --target y --test TEST``)."""
    binary_table(n_rows=400).to_csv(folder / "table.csv", index=False)
    binary_table(seed=3, n_rows=200).to_csv(folder / "test.csv", index=False)
    return [str(folder / "table.csv"), "--target", "y", "--test", str(folder / "test.csv")]


def count_table(seed: int = 1, n_rows: int = N_ROWS) -> pd.DataFrame:
    """An integer target 0..4 (multiclass by inference, a quantity with --task regression)."""
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n_rows), rng.normal(size=n_rows)
    group = rng.choice(["p", "q", "r"], size=n_rows)
    k = np.clip(np.round(1.2 * a + b + (group == "p") + 2), 0, 4).astype(int)
    # 'ticket' is an identifier (a different text in every row): inference leaves it out, with a warning.
    ticket = [f"T-{number:05d}" for number in rng.permutation(n_rows)]
    return pd.DataFrame({"ticket": ticket, "a": a, "b": b, "group": group, "k": k})
