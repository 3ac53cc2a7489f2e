"""``trainwell importance MODEL DATA``: a table model's columns ranked by the loss when each is shuffled."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_support import run_cli, run_cli_many

from process_support import command_env


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A binary table model where 'size' decides the label and 'noise' nothing, and 100 held-out rows."""
    import trainwell

    folder = tmp_path_factory.mktemp("importance")
    generator = np.random.default_rng(1)
    frame = pd.DataFrame({"size": generator.uniform(20, 200, 400), "noise": generator.normal(size=400)})
    frame["big"] = np.where(frame["size"] + generator.normal(scale=20, size=400) > 110, "yes", "no")
    trainwell.fit_table(frame.head(300), "big", out=folder / "model", arch="gbdt", progress=False)
    frame.tail(100).to_csv(folder / "test.csv", index=False)
    frame.tail(100).drop(columns="big").to_csv(folder / "unlabelled.csv", index=False)
    return folder


def test_the_table_the_reading_and_the_files_hold_the_python_figures(fitted: Path) -> None:
    import trainwell

    csv_run, json_run, sampled, by_log_loss = run_cli_many(
        [
            [
                "importance",
                fitted / "model",
                fitted / "test.csv",
                "--repeats",
                "4",
                "--out",
                fitted / "imp.csv",
            ],
            [
                "importance",
                fitted / "model",
                fitted / "test.csv",
                "--repeats",
                "4",
                "--out",
                fitted / "imp.json",
            ],
            [
                "importance",
                fitted / "model",
                fitted / "test.csv",
                "--rows",
                "60",
                "--seed",
                "2",
                "--out",
                fitted / "s.json",
            ],
            ["importance", fitted / "model", fitted / "test.csv", "--metric", "log_loss", "--repeats", "3"],
        ]
    )
    for result in (csv_run, json_run, sampled, by_log_loss):
        assert result.returncode == 0, result.explain()
    expected = trainwell.permutation_importance(fitted / "model", fitted / "test.csv", n_repeats=4, seed=0)
    written = pd.read_csv(fitted / "imp.csv")
    assert list(written.columns) == [
        "column",
        "importance",
        "std",
        "low",
        "high",
        "p_value",
        "repeats",
        "reading",
    ]
    assert list(written["column"]) == [item.column for item in expected] == ["size", "noise"]
    for (_, row), item in zip(written.iterrows(), expected, strict=True):
        assert (row["importance"], row["low"], row["high"]) == (
            pytest.approx(item.importance),
            pytest.approx(item.low),
            pytest.approx(item.high),
        )
        assert (row["repeats"], row["reading"]) == (4, item.reading)
    document = json.loads((fitted / "imp.json").read_text())
    assert (document["metric"], document["rows"], document["rows_in_data"], document["repeats"]) == (
        "roc_auc",
        100,
        100,
        4,
    )
    assert (document["target_names"], document["seed"], document["model"]) == (
        ["big"],
        0,
        str(fitted / "model"),
    )
    assert document["columns"][0]["importance"] == pytest.approx(expected[0].importance)
    # The table in plain words: the top column's cost with its interval, then what did not measurably help.
    top = expected[0]
    assert (
        f"shuffling 'size' costs {top.importance:.4f} roc_auc [{top.low:.4f}, {top.high:.4f}]"
        in csv_run.stdout
    )
    assert "drop in roc_auc" in csv_run.stdout and "95% interval" in csv_run.stdout
    if expected[1].reading == "no measurable effect":
        assert "columns whose interval includes 0 did not measurably help: 'noise'" in csv_run.stdout
    assert "scoring a seeded sample" not in csv_run.stdout  # 100 rows: fewer than --rows
    # --rows: a seeded sample, said in one line, and scored alone.
    assert "scoring a seeded sample of 60 of the 100 rows" in sampled.stdout
    found = json.loads((fitted / "s.json").read_text())
    assert (found["rows"], found["rows_in_data"], found["seed"]) == (60, 100, 2)
    assert found["columns"][0]["importance"] == pytest.approx(
        trainwell.permutation_importance(
            fitted / "model", fitted / "test.csv", n_repeats=5, subsample=60, seed=2
        )[0].importance
    )
    # An error metric: its rise.
    assert "rise in log_loss" in by_log_loss.stdout and "raises log_loss by" in by_log_loss.stdout


def test_mistakes_are_one_line_and_exit_2(fitted: Path) -> None:
    unlabelled, unknown, unfit, bad_out = run_cli_many(
        [
            ["importance", fitted / "model", fitted / "unlabelled.csv"],
            ["importance", fitted / "model", fitted / "test.csv", "--metric", "prauc"],
            ["importance", fitted / "model", fitted / "test.csv", "--metric", "mae"],
            ["importance", fitted / "model", fitted / "test.csv", "--out", fitted / "imp.txt"],
        ]
    )
    for result, words in (
        (unlabelled, "target column 'big' not found in"),
        (unknown, "unknown metric 'prauc' (did you mean 'pr_auc'?); metrics for a binary model: accuracy,"),
        (unfit, "metric 'mae' does not score a binary model (it scores: regression)"),
        (bad_out, "name the file .csv (one row a column) or .json"),
    ):
        assert result.returncode == 2, result.explain()
        assert len(result.stderr_lines) == 1 and words in result.stderr, result.explain()
        assert "Traceback" not in result.stderr
    assert "needs labelled rows" in unlabelled.stderr
    assert not (fitted / "imp.txt").exists()


#: ``python -c`` of ``trainwell ARGS`` that prints, on exit, the heavy modules it had loaded.
REPORTING_IMPORTS = (
    "import atexit, runpy, sys\n"
    "atexit.register(lambda: print('heavy:', ','.join(m for m in ('torch', 'pandas', 'numpy') if m in sys.modules),"
    " file=sys.stderr))\n"
    "sys.argv = ['trainwell', *sys.argv[1:]]\n"
    "runpy.run_module('trainwell', run_name='__main__')\n"
)


@pytest.mark.parametrize(
    ("application", "words"), [("vision", "an image model"), ("text", "a text classifier")]
)
def test_a_model_without_table_columns_is_refused_before_the_imports(
    tmp_path: Path, application: str, words: str
) -> None:
    model = tmp_path / "model"
    model.mkdir()
    task = {"kind": "multiclass", "classes": ["a", "b", "c"], "target_names": ["label"]}
    (model / "trainwell.json").write_text(json.dumps({"application": application, "task": task}))
    (tmp_path / "rows.csv").write_text("x,label\n1,a\n")
    done = subprocess.run(
        [sys.executable, "-c", REPORTING_IMPORTS, "importance", str(model), str(tmp_path / "rows.csv")],
        capture_output=True,
        text=True,
        env=command_env(),
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    error, heavy = done.stderr.strip().splitlines()
    assert error == (
        f"error: trainwell importance ranks the input columns of table models (binary, multiclass, multi-label and "
        f"regression); '{model}' is {words}: judge it with trainwell report {model} --data FILE"
    )
    assert heavy == "heavy:"  # said before torch, pandas or numpy were imported


def test_help_lists_the_command(tmp_path: Path) -> None:
    result = run_cli("--help", cwd=tmp_path)
    assert result.returncode == 0, result.explain()
    # report's summary says "importance" too: the command's own line is looked for.
    assert any(
        line.split()[1:2] == ["importance"] and "Rank a table model" in line
        for line in result.stdout.splitlines()
    )
