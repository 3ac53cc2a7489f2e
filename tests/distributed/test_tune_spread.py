"""``torchrun --nproc_per_node 2 -m trainwell tune``: the real launcher, two CPU processes sharing one search.

Each process trains whole trials alone, in one Optuna study; ``--trials`` counts the trials of both; the
defaults' trials come first; the kept trial's model (the best's, or the defaults' when the best's gain is
within the noise) is written once, by the process that trained it, with the record of every trial; rank 0
alone prints, and no journal is left behind. The four searches run in one launch, one after another (each with
its own keys in the job's store: a search run after another in the same job once read the first's study).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from torchrun_support import launch

import trainwell

pytestmark = pytest.mark.slow

HERE = Path(__file__).parent
JOB = HERE / "tune_spread_job.py"
KEEP_JOB = HERE / "tune_spread_keep_job.py"
DONE = "several_commands: done"  # rank 0's mark after each command


@dataclass(frozen=True)
class Launched:
    out: Path  # each search's folder is out / its name
    ranks: list[tuple[str, str]]  # each process's (stdout, stderr), every search's


@pytest.fixture(scope="module")
def searches(tmp_path_factory: pytest.TempPathFactory) -> Launched:
    """The four searches below, one after another in the same two processes (``several_jobs.py``; the two
    ``trainwell tune`` commands through ``several_commands.py``, as ``torchrun -m trainwell tune`` runs each):
    a launch costs seconds of imports in each process, these searches a few seconds each. Each search's keys in
    the job's store are its own, so that a search does not read the one before's study."""
    from tune_spread_keep_job import rare_table

    out = tmp_path_factory.mktemp("tune")
    for name in ("shared", "one-trial", "rank-one", "keep"):
        (out / name).mkdir()
    for name in ("shared", "one-trial", "rank-one"):
        write_table(out / name)
    rare_table().to_csv(out / "keep" / "table.csv", index=False)
    code, ranks = launch(
        out, HERE / "several_jobs.py",
        *tune_command(out / "shared", "--trials", "6", "--search", "epochs=2:6"),
        "+", *tune_command(out / "one-trial", "--trials", "1", "--arch", "gbdt"),
        "+", JOB, out / "rank-one" / "table.csv", out / "rank-one",
        "+", KEEP_JOB, out / "keep" / "table.csv", out / "keep",
    )  # fmt: skip
    assert code == 0, "\n".join(stderr[-3000:] for _, stderr in ranks)
    return Launched(out, ranks)


def tune_command(folder: Path, *options: str) -> tuple[str | Path, ...]:
    """``trainwell tune`` on ``folder/table.csv``, its model in ``folder/model``, as one job of the launch."""
    return (
        HERE / "several_commands.py", "tune", folder / "table.csv", "--target", "y", "--out", folder / "model",
        *options,
    )  # fmt: skip


def write_table(folder: Path, rows: int = 400) -> pd.DataFrame:
    """A binary target from two numbers and a category, with noise."""
    generator = np.random.default_rng(0)
    x = generator.normal(size=(rows, 2))
    city = generator.choice(["north", "south", "east"], size=rows)
    logit = 1.5 * x[:, 0] - x[:, 1] + (city == "north") + generator.normal(scale=0.8, size=rows)
    table = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "city": city, "y": np.where(logit > 0, "yes", "no")})
    table.to_csv(folder / "table.csv", index=False)
    return table


def test_two_processes_share_one_search_and_write_the_best_model_once(searches: Launched) -> None:
    tmp_path = searches.out / "shared"
    table = pd.read_csv(tmp_path / "table.csv")
    record = json.loads((tmp_path / "model" / "tuning.json").read_text())
    trials = record["trials"]
    assert [t["number"] for t in trials] == [0, 1, 2, 3, 4, 5]  # --trials counts both processes' trials
    assert [t["defaults"] for t in trials] == [True, True, False, False, False, False]
    assert [t["arch"] for t in trials[:2]] == ["gbdt", "tabular_mlp"]  # each kind's defaults, once
    assert {t["process"] for t in trials} == {0, 1}  # both processes trained trials
    finished = [t for t in trials if t["state"] == "complete"]
    best = max(finished, key=lambda t: (t["value"], -t["number"]))
    assert (record["best_trial"], record["best_value"]) == (best["number"], best["value"])
    # The model written is the kept trial's (the best's, or the better defaults' when the best's gain is within
    # the noise), trained by whichever process ran it (not trained again).
    kept = trials[record["kept_trial"]]
    assert kept is best or (record["kept"] == "defaults" and kept["defaults"])
    metadata = json.loads((tmp_path / "model" / "trainwell.json").read_text())
    assert metadata["training"]["tuning"]["best_trial"] == best["number"]
    assert metadata["training"]["final"]["roc_auc"] == pytest.approx(kept["value"])
    predictor = trainwell.load(tmp_path / "model")
    assert len(predictor.predict(table.drop(columns="y").head(7))) == 7
    # Rank 0 reports once; rank 1 prints nothing at all (before its mark that the command is done).
    (out, err), (out_1, err_1) = searches.ranks
    said = out.split(DONE)[0] + err.split(DONE)[0]
    assert out_1 == "" and err_1.split("several_jobs: done")[0] == "", err_1[-3000:]
    lines = said.splitlines()
    assert sum(f"best roc_auc {best['value']:.4f}" in line for line in lines) == 1, said[-3000:]
    assert sum("model directory:" in line for line in lines) == 1
    # What a search under torchrun does with its processes, said once, by rank 0, as its trials begin; then rank 0
    # says its own trials as they end, numbered by their tickets of the 6. (Checked here, in this launch, rather
    # than in a torchrun launch of its own in tests/automl/test_tune_trial_times.py: seconds of imports.)
    assert said.count("tune under torchrun: 2 processes run 2 trials at a time") == 1, said[-3000:]
    assert any(line.startswith("trial ") and " of 6): " in line for line in lines), said[-3000:]
    # The shared study's journal is gone; the folder holds the table and the model alone.
    assert sorted(path.name for path in tmp_path.iterdir()) == ["model", "table.csv"]


def test_fewer_trials_than_processes_run_exactly_that_many(searches: Launched) -> None:
    # Every process asks for a trial as soon as it starts: the store's counter lets only --trials of them run
    # (this search's counter: the search before it in the launch handed out 6).
    tmp_path = searches.out / "one-trial"
    trials = json.loads((tmp_path / "model" / "tuning.json").read_text())["trials"]
    assert [(t["number"], t["state"], t["defaults"]) for t in trials] == [(0, "complete", True)]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["model", "table.csv"]


def test_the_process_that_trained_the_best_trial_writes_it_and_rank_0_is_told(searches: Launched) -> None:
    # Rank 0's trials barely learn (tune_spread_job.py), so the best model is rank 1's to write: rank 0 holds
    # no learner of it, and must still return (and could print) the same record.
    tmp_path = searches.out / "rank-one"
    zero, one = (json.loads((tmp_path / f"rank{rank}.json").read_text()) for rank in (0, 1))
    best = zero["trials"][zero["best_trial"]]
    assert best["process"] == 1 and {t["process"] for t in zero["trials"]} == {0, 1}
    assert (zero["has_run"], one["has_run"]) == (False, True)  # the learner stays where it was trained
    assert zero == {**one, "has_run": False}  # the same record in both processes
    # The reality check compared the best with every finished trial after the defaults', both processes' alike:
    # their validation predictions reached the process that checked it.
    compared = [t for t in zero["trials"] if t["state"] == "complete" and not t["defaults"]]
    if not best["defaults"]:
        assert zero["selection"]["trials"] == len(compared) and {t["process"] for t in compared} == {0, 1}
    assert json.loads((tmp_path / "model" / "tuning.json").read_text())["trials"] == zero["trials"]
    assert len(trainwell.load(tmp_path / "model").predict(pd.read_csv(tmp_path / "table.csv").head(3))) == 3


def test_the_defaults_kept_for_a_gain_within_the_noise_are_written_by_the_process_that_trained_them(
    searches: Launched,
) -> None:
    # The best trial's gain is within the noise and its process did not train the defaults' trial
    # (tune_spread_keep_job.py): the defaults' model must still be the one written, by its own process.
    from tune_spread_keep_job import rare_table

    tmp_path = searches.out / "keep"
    table = rare_table()
    zero, one = (json.loads((tmp_path / f"rank{rank}.json").read_text()) for rank in (0, 1))
    trials = zero["trials"]
    assert [(t["number"], t["defaults"]) for t in trials] == [(0, True), (1, False)]
    defaults_process, best_process = trials[0]["process"], trials[1]["process"]
    assert defaults_process != best_process  # each process trained one of the two
    low, _ = zero["improvement_interval"]
    assert zero["best_trial"] == 1 and trials[1]["value"] > trials[0]["value"] and low <= 0
    # Checked with the other process's defaults' predictions: the best of one trial, by chance.
    assert zero["selection"]["trials"] == 1 and zero["selection"]["p_value"] >= 0.05
    assert (zero["kept"], zero["kept_trial"]) == ("defaults", 0)
    # The learner stays where it was trained: the defaults' process holds the run, and wrote the model.
    assert [zero["has_run"], one["has_run"]] == [defaults_process == 0, defaults_process == 1]
    assert {**zero, "has_run": None} == {**one, "has_run": None}  # the same record in both processes
    record = json.loads((tmp_path / "model" / "tuning.json").read_text())
    assert (record["kept"], record["kept_trial"], record["best_trial"]) == ("defaults", 0, 1)
    features = table.drop(columns=["y", "is_valid"])
    written = trainwell.load(tmp_path / "model").predict_proba(features)
    # The defaults' trial is what fit fits: the same trees.
    fitted = trainwell.fit_table(table, "y", arch="gbdt", valid_col="is_valid", progress=False)
    expected = trainwell.tabular.TabularPredictor(
        fitted.learn.model, fitted.learn.task, fitted.data.recipe, {}
    )
    assert np.allclose(written.numpy(), expected.predict_proba(features).numpy())
    assert float(written.std()) < 1e-6  # one probability for every row, not the best trial's split
