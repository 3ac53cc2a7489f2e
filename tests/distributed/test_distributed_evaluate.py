"""``trainwell evaluate`` under the real ``torchrun`` (Gloo, CPU): the folds are shared out over the processes,
each trained alone, and the report is the one a single process prints, number for number (what rank 0 gathers
from the others' folds: ``test_distributed_evaluate_gathered.py``).

Each process's own output is read from torchrun's per-rank logs (``--log-dir``, ``--redirects 3``), so the
tests see that rank 1 prints nothing, not only that the output holds one report.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from torchrun_support import launch, one_process

from text_samples import reviews
from trainwell.datasets import adult_sample


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
