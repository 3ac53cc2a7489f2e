"""``trainwell evaluate`` under the real ``torchrun`` (Gloo, CPU): the folds are shared out over the processes,
each trained alone, and the report is the one a single process prints, number for number (what rank 0 gathers
from the others' folds: ``test_distributed_evaluate_gathered.py``).

Each process's own output is read from torchrun's per-rank logs (``--log-dir``, ``--redirects 3``), so the
tests see that rank 1 prints nothing, not only that the output holds one report.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from torchrun_support import launch, one_process

from text_samples import reviews
from trainwell.datasets import adult_sample


def test_evaluate_under_torchrun_prints_the_report_of_one_process_and_the_time_shares_of_every_fold(
    tmp_path: Path,
) -> None:
    # 3 folds over 2 processes: rank 0 trains folds 1 and 3, rank 1 fold 2 (an odd share). The MLP with its
    # learning-rate finder, then the baselines on the same folds.
    adult_sample().head(240).to_csv(tmp_path / "adult.csv", index=False)
    args = ("evaluate", "adult.csv", "--target", "income", "--cv", "3", "--arch", "mlp", "--epochs", "2")
    single = one_process(tmp_path, *args)
    # A --time never reached adds its line and changes nothing else. Each process holds the budgets of its own
    # folds: they are gathered before rank 0 says what --time allowed.
    code, [(out, err), (out_1, err_1)] = launch(tmp_path, "-m", "trainwell", *args, "--time", "3m")
    assert code == 0, err[-3000:] + err_1[-3000:]
    said = re.findall(
        r"time budget 3m: \S+ reading the data and \S+ scoring the baselines; the 3 folds ran side by side in 2 "
        r"processes, each within 1m \(an even share of the whole budget\); no fold was cut short \(fold 1: ",
        out,
    )
    assert len(said) == 1, out
    report = "".join(line for line in out.splitlines(keepends=True) if not line.startswith("time budget 3m:"))
    assert report == single.stdout  # the same table: every fold, every baseline, every verdict
    assert "3-fold cross-validation (binary, 240 rows)" in out and "HistGradientBoosting" in out
    assert err.count("cross-validating 3 folds over 2 processes") == 1, err
    assert (out_1, err_1) == ("", "")  # rank 1 trains its fold and says nothing
    assert sorted(path.name for path in tmp_path.iterdir()) == ["adult.csv", "logs"]  # nothing written


AT_CHANCE = ("--epochs", "1", "--lr", "1e-6")  # one epoch at a tiny rate: no fold learns anything


def test_a_text_classifier_is_cross_validated_under_torchrun_as_in_one_process_and_at_chance_said_once(
    tmp_path: Path,
) -> None:
    # The verdicts of the folds each process trained (a text classifier at chance) meet in rank 0, which says
    # them in one line for every fold, as one process does (tests/evaluate/test_folds_at_chance_said_once.py):
    # rank 1's folds' warnings were each said again by rank 0.
    reviews(200, positive_every=2).to_csv(tmp_path / "reviews.csv", index=False)
    args = ("evaluate", "reviews.csv", "--text", "review", "--target", "sentiment", "--cv", "3", *AT_CHANCE)
    single = one_process(tmp_path, *args)
    code, [(out, err), (out_1, err_1)] = launch(tmp_path, "-m", "trainwell", *args)
    assert code == 0, err[-3000:] + err_1[-3000:]
    assert out == single.stdout and "tf-idf + logistic" in out
    assert (out_1, err_1) == ("", "")
    said = [line for line in err.splitlines() if "did not beat always answering" in line]
    assert len(said) == 1 and said[0].startswith("warning: 3 of 3 folds did not beat"), err
    assert said == [line for line in single.stderr.splitlines() if "did not beat always answering" in line]
    assert "does not beat always answering" not in err + single.stderr


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
