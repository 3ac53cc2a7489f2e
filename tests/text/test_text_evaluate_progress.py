"""``evaluate_texts`` (``trainwell evaluate`` on texts) says on standard error as each fold ends: which fold, its
time, the time so far and about how long the rest will take. ``evaluate sst_sub.tsv --text sentence --target
label --cv 3`` ran 4m 33s with nothing on the screen between the data's lines and the table."""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import pytest

from trainwell.evaluate._progress import FoldProgress
from trainwell.text import evaluate_texts


def _texts() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    labels = rng.choice(["pos", "neg"], 90)
    texts = [f"t{i:03d} {'good' if label == 'pos' else 'bad'} {rng.choice(['a', 'b', 'c'])}" for i, label in
             enumerate(labels)]  # fmt: skip
    return pd.DataFrame({"text": texts, "label": labels})


def test_each_fold_says_its_time_and_what_is_left(capsys: pytest.CaptureFixture[str]) -> None:
    evaluate_texts(_texts(), "label", cv=3, epochs=1, baselines=False)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("fold ")]
    assert [line.split(" done")[0] for line in lines] == ["fold 1 of 3", "fold 2 of 3", "fold 3 of 3"]
    assert all(
        re.fullmatch(r"fold \d of 3 done in \S+( \S+)? \(.+ so far, about .+ left\)", line)
        for line in lines[:2]
    )
    assert re.fullmatch(r"fold 3 of 3 done in .+ \(.+ for the 3 folds\)", lines[2]), lines[2]


def test_a_quiet_evaluation_says_nothing_of_its_folds(capsys: pytest.CaptureFixture[str]) -> None:
    evaluate_texts(_texts(), "label", cv=2, epochs=1, baselines=False, progress=False)
    assert not [line for line in capsys.readouterr().err.splitlines() if line.startswith("fold ")]


def test_the_estimate_is_the_mean_fold_time_times_the_folds_left() -> None:
    times, out = iter([100.0, 130.0, 190.0]), io.StringIO()
    progress = FoldProgress(4, 8, clock=lambda: next(times), stream=out)  # one process's 4 of 8 folds
    progress.done(0)
    progress.done(2)
    assert out.getvalue().splitlines() == [
        "fold 1 of 8 done in 30s (30s so far, about 1m 30s left)",
        "fold 3 of 8 done in 1m (1m 30s so far, about 1m 30s left)",
    ]
