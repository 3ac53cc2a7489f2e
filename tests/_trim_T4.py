"""The paths of boosted trees that must not import ``torch._dynamo`` (a second of CPU a process, loaded by the
first optimizer), checked in ONE fresh interpreter instead of one each.

The interpreter runs the paths in turn and looks at ``sys.modules`` after each. A path is checked only while no
earlier one has loaded dynamo: at the first path that loads it, the run stops and names it, so that no path's
import can hide another's (every later path is then reported as not checked, and its test fails). The one path
expected to load dynamo (``fit --arch mlp --time``) runs last.

The run is made once per test process (:func:`dynamo_paths`); the tests of
``tests/automl/test_tune_trees_no_training_imports.py``, ``tests/cli/test_cli_trees_time_no_dynamo.py``,
``tests/learner/test_learner_closed_form_no_optimizer.py`` and ``tests/evaluate/test_evaluate_folds_said.py``
each read what their path did (:func:`dynamo_step`).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from process_support import command_env
from table_samples import yes_no_rows

TESTS = Path(__file__).resolve().parent

# The steps, in the order run; the last one is the only one expected to load dynamo.
CLI_GBDT = "fit --arch gbdt --time 60"
FIT_TABLE_GBDT = "fit_table(arch='gbdt')"
TUNE_GBDT = "tune_table(arch='gbdt', timeout={timeout!r})"
EVALUATE_GBDT = "evaluate_table(arch='gbdt', time_budget=60)"
CLI_MLP = "fit --arch mlp --time 60 --epochs 1"

SCRIPT = r"""
import json, os, sys, traceback
from pathlib import Path

folder = Path(sys.argv[1])
sys.path.insert(0, sys.argv[2])  # the tests' folder (table_samples), whatever the current folder
sys.argv = sys.argv[:1]
names = json.loads(os.environ["DYNAMO_STEPS"])


def cli(*args):
    from trainwell.cli._early import mark_process_start
    from trainwell.cli.app import _run_command

    os.chdir(folder)
    mark_process_start()
    sys.argv = ["trainwell", *args]
    try:
        _run_command()
    except SystemExit as done:
        return {"exit": done.code if isinstance(done.code, int) else (0 if done.code is None else 1)}
    return {"exit": 0}


def fit_table():
    import trainwell
    from table_samples import yes_no_rows

    run = trainwell.fit_table(yes_no_rows(300, 0), target="y", arch="gbdt", out=str(folder / "trees"),
                              progress=False)
    return {"opt_is_none": run.learn.opt is None, "accuracy_over_half": bool(run.metrics["accuracy"] > 0.5)}


def tune(timeout):
    from trainwell.automl.table import tune_table
    from table_samples import yes_no_rows

    result = tune_table(yes_no_rows(300, 0), "y", arch="gbdt", n_trials=2, timeout=timeout)
    return {"trials": len(result.trials)}


def evaluate():
    import numpy as np, pandas as pd
    from trainwell.tabular.evaluation import evaluate_table

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    df["y"] = np.where(df.a + rng.normal(size=200) > 0, "p", "n")
    evaluation = evaluate_table(df, "y", cv=2, arch="gbdt", baselines=False, time_budget=60, progress=False)
    return {"archs": list(evaluation.archs)}


steps = [
    lambda: cli("fit", "yes_no.csv", "--target", "y", "--arch", "gbdt", "--time", "60", "--out", "m_gbdt"),
    fit_table,
    lambda: tune(None),
    lambda: tune(600),
    evaluate,
    lambda: cli("fit", "yes_no.csv", "--target", "y", "--arch", "mlp", "--time", "60", "--out", "m_mlp",
                "--epochs", "1"),
]
assert "torch._dynamo" not in sys.modules
for name, step in zip(names, steps, strict=True):
    try:
        facts = step()
    except BaseException:
        facts = {"error": traceback.format_exc()[-3000:]}
    facts["dynamo"] = "torch._dynamo" in sys.modules
    print("STEP " + json.dumps({"name": name, **facts}), flush=True)
    if "error" in facts or facts["dynamo"]:
        break
sys.stdout.flush()
os._exit(0)
"""

STEPS = [CLI_GBDT, FIT_TABLE_GBDT, TUNE_GBDT.format(timeout=None), TUNE_GBDT.format(timeout=600), EVALUATE_GBDT,
         CLI_MLP]  # fmt: skip

_done: dict[str, Any] = {}


def dynamo_paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run every path once in one fresh interpreter (once per test process): ``{"folder": Path, "steps": {name:
    facts}, "said": the interpreter's output}``; a step that did not run is missing from ``steps``."""
    if not _done:
        folder = tmp_path_factory.mktemp("dynamo_paths")
        table = yes_no_rows(200, 0).astype(
            {"color": object}
        )  # with missing values, as the command line's tests
        table.loc[::7, "x2"] = np.nan
        table.loc[3::11, "color"] = np.nan
        table.to_csv(folder / "yes_no.csv", index=False)
        env = dict(command_env(), DYNAMO_STEPS=json.dumps(STEPS))
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT, str(folder), str(TESTS)], cwd=TESTS, env=env, capture_output=True, text=True,
            timeout=600, check=False,
        )  # fmt: skip
        said = f"exit {done.returncode}\nstdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-3000:]}"
        steps = {}
        for line in done.stdout.splitlines():
            if line.startswith("STEP "):
                facts = json.loads(line[5:])
                steps[facts.pop("name")] = facts
        _done.update(folder=folder, steps=steps, said=said)
    return _done


def dynamo_step(tmp_path_factory: pytest.TempPathFactory, name: str, dynamo: bool = False) -> dict[str, Any]:
    """What the path ``name`` did, checked to have loaded ``torch._dynamo`` (or not) in a process that had not
    loaded it before the path; fails naming the earlier path that loaded it, or the path's own error."""
    run = dynamo_paths(tmp_path_factory)
    steps = run["steps"]
    if name not in steps:
        earlier = [step for step, facts in steps.items() if facts.get("dynamo") or "error" in facts]
        pytest.fail(
            f"{name} was not checked: {earlier or 'the interpreter'} stopped the run first\n{run['said']}"
        )
    facts = steps[name]
    assert "error" not in facts, facts["error"]
    assert facts["dynamo"] is dynamo, f"{name} {'did not load' if dynamo else 'loaded'} torch._dynamo"
    return dict(facts, folder=run["folder"])


__all__ = ["CLI_GBDT", "CLI_MLP", "EVALUATE_GBDT", "FIT_TABLE_GBDT", "TUNE_GBDT", "dynamo_step"]
