"""``trainwell evaluate`` under the real ``torchrun`` (Gloo, CPU): the folds are shared out over the processes,
each trained alone, and the report is the one a single process prints, number for number.

Each process's own output is read from torchrun's per-rank logs (``--log-dir``, ``--redirects 3``), so the
tests see that rank 1 prints nothing, not only that the output holds one report.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
from torchrun_support import ENV, launch

from process_support import run_python
from text_samples import reviews
from trainwell.datasets import adult_sample

JOB = Path(__file__).with_name("evaluate_spread_job.py")


def one_process(tmp_path: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    done = run_python(["-m", "trainwell", *args], env=ENV, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_evaluate_under_torchrun_prints_the_report_of_one_process(tmp_path: Path) -> None:
    # 3 folds over 2 processes: rank 0 trains folds 1 and 3, rank 1 fold 2 (an odd share). The MLP with its
    # learning-rate finder, then the baselines on the same folds.
    adult_sample().head(240).to_csv(tmp_path / "adult.csv", index=False)
    args = ("evaluate", "adult.csv", "--target", "income", "--cv", "3", "--arch", "mlp", "--epochs", "2")
    single = one_process(tmp_path, *args)
    code, [(out, err), (out_1, err_1)] = launch(tmp_path, "-m", "trainwell", *args)
    assert code == 0, err[-3000:] + err_1[-3000:]
    assert out == single.stdout  # the same table: every fold, every baseline, every verdict
    assert "3-fold cross-validation (binary, 240 rows)" in out and "HistGradientBoosting" in out
    assert err.count("cross-validating 3 folds over 2 processes") == 1, err
    assert (out_1, err_1) == ("", "")  # rank 1 trains its fold and says nothing
    assert sorted(path.name for path in tmp_path.iterdir()) == ["adult.csv", "logs"]  # nothing written


def test_a_text_classifier_is_cross_validated_under_torchrun_as_in_one_process(tmp_path: Path) -> None:
    reviews(120, 0).to_csv(tmp_path / "reviews.csv", index=False)
    args = (
        "evaluate",
        "reviews.csv",
        "--text",
        "review",
        "--target",
        "sentiment",
        "--cv",
        "2",
        "--epochs",
        "2",
    )
    single = one_process(tmp_path, *args)
    code, [(out, err), (out_1, err_1)] = launch(tmp_path, "-m", "trainwell", *args)
    assert code == 0, err[-3000:] + err_1[-3000:]
    assert out == single.stdout and "tf-idf + logistic" in out
    assert (out_1, err_1) == ("", "")


def test_spread_folds_keep_every_fold_record_and_idle_processes_wait(tmp_path: Path) -> None:
    # 2 folds over 3 processes: rank 2 has none and only gathers. What rank 0 holds afterwards (scores,
    # learning rates, chosen architectures, out-of-fold predictions) is exactly what one process holds.
    single = run_python([JOB, tmp_path / "single", "2"], env=ENV)
    assert single.returncode == 0, single.stderr[-3000:]
    code, ranks = launch(tmp_path, JOB, tmp_path / "spread", "2", processes=3)
    assert code == 0, "".join(err for _, err in ranks)[-3000:]
    one = json.loads((tmp_path / "single" / "evaluation.json").read_text())
    spread = json.loads((tmp_path / "spread" / "evaluation.json").read_text())
    assert (one.pop("world_size"), spread.pop("world_size")) == (1, 3)
    assert "1 process has no fold and only waits for the results" in ranks[0][1]
    assert (
        ranks[0][1].count("2 folds over 3 processes") == 2
    )  # a second evaluation in the same job spreads too
    assert spread == one
    assert len(one["lrs"]) == len(one["predictions"]) == len(one["archs"]) == 2
    assert sorted(row for valid, _, _ in one["predictions"] for row in valid) == list(range(180))


def test_a_language_model_is_not_evaluated_under_torchrun(tmp_path: Path) -> None:
    # One fit judged on held-out text: no folds to share out, so it would run whole in every process.
    pd.DataFrame({"text": ["a b c d"] * 20}).to_csv(tmp_path / "corpus.csv", index=False)
    code, [(_, err), (out_1, err_1)] = launch(
        tmp_path, "-m", "trainwell", "evaluate", "corpus.csv", "--text", "text", "--task", "language_model"
    )
    assert code != 0
    assert err.count("error: evaluate --task language_model judges one model on held-out text") == 1, err
    assert "start it without torchrun" in err
    assert (out_1, err_1) == ("", "")


def test_time_shares_are_said_for_every_fold_under_torchrun(tmp_path: Path) -> None:
    # Each process holds the budgets of its own folds: they are gathered before rank 0 says what --time allowed.
    adult_sample().head(240).to_csv(tmp_path / "adult.csv", index=False)
    code, [(out, err), (out_1, err_1)] = launch(
        tmp_path, "-m", "trainwell", "evaluate", "adult.csv", "--target", "income", "--cv", "3", "--arch",
        "mlp", "--epochs", "2", "--time", "3m", "--no-baselines",
    )  # fmt: skip
    assert code == 0, err[-3000:] + err_1[-3000:]
    assert (
        out.count(
            "time budget: each fold trained within its share, 1m; the budget cut 0 of the 3 short (fold 1: "
        )
        == 1
    )
    assert (out_1, err_1) == ("", "")


def test_a_warning_met_only_in_another_process_folds_is_said_by_rank_0(tmp_path: Path) -> None:
    # Column z holds one value (row 5): the fold whose training rows leave it out drops z with a warning. That
    # fold is rank 1's here, and rank 1 stays silent, so the warning was lost; rank 0 now says what the others
    # met, and the warnings are those of one process.
    rng = np.random.default_rng(0)
    x1, city = rng.normal(size=180), rng.choice(["north", "south", "east"], 180)
    z = np.full(180, np.nan)
    z[5] = 1.0
    y = np.where(x1 + (city == "north") > 0.3, "yes", "no")
    pd.DataFrame({"x1": x1, "city": city, "z": z, "y": y}).to_csv(tmp_path / "z.csv", index=False)
    args = (
        "evaluate",
        "z.csv",
        "--target",
        "y",
        "--cv",
        "3",
        "--arch",
        "mlp",
        "--epochs",
        "2",
        "--no-baselines",
    )
    single = one_process(tmp_path, *args)
    code, [(out, err), (_, err_1)] = launch(tmp_path, "-m", "trainwell", *args)
    assert code == 0, err[-3000:] + err_1[-3000:]
    said = sorted(line for line in err.splitlines() if line.startswith("warning:"))
    assert "warning: column 'z' left out of the inputs: missing in every training row" in said, err
    assert said == sorted(line for line in single.stderr.splitlines() if line.startswith("warning:"))
    assert err_1 == "" and out == single.stdout
