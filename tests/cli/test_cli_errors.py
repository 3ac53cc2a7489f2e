"""Bad input reaches a command-line user as one ``error:`` line and exit code 2, and nothing is written.

The commands are independent, so they all run side by side once (a module fixture); each test then checks one
of them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_support import EPOCHS, CliResult, binary_table, run_cli_many

pytestmark = pytest.mark.slow


# A command built from the folder of input files and the case's own (empty) folder.
Command = Callable[[Path, Path], list[str]]


@dataclass(frozen=True)
class Case:
    name: str
    command: Command
    expected: tuple[str, ...]


def command(template: str) -> Command:
    """``template`` split on spaces, with ``{inputs}`` and ``{case}`` standing for the two folders."""
    return lambda inputs, case: [part.format(inputs=inputs, case=case) for part in template.split()]


def fit(data: str, options: str = "") -> Command:
    return command(f"fit {{inputs}}/{data} --target y --out {{case}}/model {' '.join(EPOCHS)} {options}")


CASES = [
    Case("missing_file", fit("absent.csv"), ("data file '", "absent.csv' not found")),
    Case("directory_instead_of_file", fit("a_folder"), ("a_folder' is a folder without images",)),
    Case("binary_garbage", fit("garbage.csv"), ("could not read '", "garbage.csv' as CSV")),
    Case("empty_file", fit("empty.csv"), ("empty.csv' has no data rows",)),
    Case("header_only", fit("header.csv"), ("header.csv' has no data rows",)),
    Case(
        "target_missing_while_refitting_a_model",
        command("fit {inputs}/good --target price --out {inputs}/existing --epochs 2"),
        ("target column 'price' not found", "columns are: x1, x2, color, size, y", "--target"),
    ),
    Case("constant_target", fit("constant.csv"), ("target 'y' has a single value ('same')",)),
    Case("text_in_declared_continuous", fit("text.csv", "--cont-names x1"), ("'x1'", "'abc'", "continuous")),
    Case("more_columns_than_rows", fit("wide.csv"), ("12 input columns but only 6 rows",)),
    Case("task_nonsense", fit("good", "--task nonsense"), ("--task nonsense is not known", "regression")),
    Case("valid_pct_above_one", fit("good", "--valid-pct 1.5"), ("--valid-pct", "got 1.5")),
    Case(
        "zero_epochs",
        command("fit {inputs}/good --target y --out {case}/model --epochs 0"),
        ("--epochs", "got 0"),
    ),
    Case(
        "out_is_a_file",
        command("fit {inputs}/good --target y --out {inputs}/a_file --epochs 2"),
        ("--out '", "a_file' exists and is not a trainwell model directory"),
    ),
    Case(
        "predict_with_a_folder_that_is_not_a_model",
        command("predict {inputs}/a_folder {inputs}/good"),
        ("a_folder' is not a trainwell model directory (no trainwell.json)",),
    ),
    Case(
        "predict_with_truncated_weights",
        command("predict {inputs}/truncated {inputs}/good"),
        ("model.safetensors is corrupted or not a safetensors file",),
    ),
    Case(
        "predict_with_invalid_json",
        command("predict {inputs}/bad_json {inputs}/good --out {case}/predictions.csv"),
        ("trainwell.json is not valid JSON",),
    ),
    Case(
        "predict_with_a_missing_column",
        command("predict {inputs}/model {inputs}/without_size.csv --out {case}/predictions.csv"),
        ("input column 'size' missing from", "without_size.csv", "--allow-missing-columns"),
    ),
]


def write_inputs(folder: Path, model_dir: Path) -> None:
    frame = binary_table(n_rows=120)
    frame.to_csv(folder / "good", index=False)  # no extension: read as CSV
    (folder / "a_folder").mkdir()
    (folder / "a_folder" / "readme.txt").write_text("not a model")
    (folder / "a_file").write_text("precious")
    (folder / "garbage.csv").write_bytes(
        np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8).tobytes()
    )
    (folder / "empty.csv").write_text("")
    (folder / "header.csv").write_text("x1,x2,color,size,y\n")
    frame.assign(y="same").to_csv(folder / "constant.csv", index=False)
    text = frame.astype({"x1": object})
    text.loc[::10, "x1"] = "abc"
    text.to_csv(folder / "text.csv", index=False)
    wide = pd.DataFrame(np.random.default_rng(1).normal(size=(6, 12)), columns=[f"c{i}" for i in range(12)])
    wide.assign(y=[0, 1] * 3).to_csv(folder / "wide.csv", index=False)
    frame.drop(columns="size").to_csv(folder / "without_size.csv", index=False)
    for name in ("model", "existing", "truncated", "bad_json"):
        shutil.copytree(model_dir, folder / name)
    weights = folder / "truncated" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    (folder / "bad_json" / "trainwell.json").write_text('{"format_version": 1, "task": ')


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too) with its content."""
    found = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = Path(root) / name
            found[str(path.relative_to(folder))] = path.read_bytes()
    return found


@pytest.fixture(scope="module")
def outcomes(
    model_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, CliResult], dict[str, bytes], dict[str, bytes], Path]:
    inputs = tmp_path_factory.mktemp("inputs")
    write_inputs(inputs, model_dir)
    cases_folder = tmp_path_factory.mktemp("cases")
    before = snapshot(inputs)
    commands = []
    for case in CASES:
        (cases_folder / case.name).mkdir()
        commands.append(case.command(inputs, cases_folder / case.name))
    results = run_cli_many(commands)
    return (
        dict(zip([case.name for case in CASES], results, strict=True)),
        before,
        snapshot(inputs),
        cases_folder,
    )


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input_prints_one_error_line_and_exits_2(
    case: Case, outcomes: tuple[dict[str, CliResult], dict[str, bytes], dict[str, bytes], Path]
) -> None:
    results, _, _, cases_folder = outcomes
    result = results[case.name]
    assert result.returncode == 2, result.explain()
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.explain()
    for fragment in case.expected:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    assert result.stdout == ""
    assert list((cases_folder / case.name).iterdir()) == [], "something was written"


def test_failed_commands_leave_every_input_and_existing_model_untouched(
    outcomes: tuple[dict[str, CliResult], dict[str, bytes], dict[str, bytes], Path],
) -> None:
    """Includes the failed fit into an existing model directory: it is byte for byte what it was."""
    _, before, after, _ = outcomes
    assert sorted(after) == sorted(before)  # no new files, no hidden staging folders
    changed = [name for name in before if after[name] != before[name]]
    assert changed == []
    assert any(name.startswith("existing/") and name.endswith("model.safetensors") for name in before)
