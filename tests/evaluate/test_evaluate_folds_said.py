"""What ``trainwell evaluate`` of a table says as its folds run and when it is stopped, which model it was, what it
loads, and what grouped folds' boosted trees stop on (tours 66 and 67).

- A line per fold on standard error (``fold 1 of 3 done in ...``): ``evaluate adult.csv --cv 5 --arch mlp`` printed
  nothing for 71 s. Ctrl-C gives the folds that had finished, with their scores, marked partial, and says that
  ``--json``/``--oof`` were not written (exit 130): it said "interrupted; nothing was written" and lost them.
- With ``--arch auto`` the line "trainwell here is ..." comes whichever won the folds (it came only when trees won
  one, so a user whose folds all chose the MLP never learnt which model "trainwell" was).
- ``--arch gbdt --time`` loads no ``torch._dynamo``: trees build no optimizer.
- Grouped folds: the trees stop on an inner tenth of whole groups, handed to them as validation rows; scikit-learn's
  own tenth was drawn row by row, and the rounds were chosen on rows whose groups the trees trained on.
"""

from __future__ import annotations

import functools
import json
import re
import signal
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from _trim_T4 import EVALUATE_GBDT, dynamo_step
from logged_process import LoggedProcess
from process_support import command_env
from trainwell.evaluate import fold_indices
from trainwell.evaluate.spread import FoldsInterrupted, cross_validate_spread


def _table(n_rows: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n_rows), rng.normal(size=n_rows)
    return pd.DataFrame(
        {"a": a, "b": b, "y": np.where(a + 0.5 * b + rng.normal(size=n_rows) > 0, "hi", "lo")}
    )


def test_ctrl_c_gives_the_folds_that_finished_with_their_scores() -> None:
    def fold(train: np.ndarray, valid: np.ndarray, number: int) -> dict[str, float]:
        if number == 2:
            raise KeyboardInterrupt
        return {"accuracy": 0.8 + number / 100, "f1": 0.5}

    with pytest.raises(FoldsInterrupted) as caught:
        cross_validate_spread(fold, fold_indices(np.arange(50.0), 5, 0, False))
    error = caught.value
    assert isinstance(error, KeyboardInterrupt)  # whatever stops on Ctrl-C stops on it as before
    assert error.done == [(0, {"accuracy": 0.8, "f1": 0.5}), (1, {"accuracy": 0.81, "f1": 0.5})]
    assert error.line() == (
        "interrupted after 2 of 5 folds, while training a fold; their scores, partial (no baselines, intervals or "
        "verdicts): accuracy 0.8000, 0.8100; f1 0.5000, 0.5000"
    )
    assert str(error) == error.line()

    def first(train: np.ndarray, valid: np.ndarray, number: int) -> dict[str, float]:
        raise KeyboardInterrupt

    with pytest.raises(
        FoldsInterrupted, match=r"^interrupted after 0 of 3 folds, while training a fold: no fold"
    ):
        cross_validate_spread(first, fold_indices(np.arange(30.0), 3, 0, False))


def test_evaluate_says_each_fold_and_ctrl_c_keeps_the_finished_ones(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    _table().to_csv(table, index=False)
    out, oof = tmp_path / "e.json", tmp_path / "oof.csv"
    argv = [sys.executable, "-m", "trainwell.cli.app", "evaluate", str(table), "--target", "y", "--cv", "3",
            "--arch", "mlp", "--epochs", "3", "--lr", "0.01", "--json", str(out), "--oof", str(oof)]  # fmt: skip
    with LoggedProcess(argv, stdout=tmp_path / "stdout.txt", env=command_env()) as started:
        started.wait_for(re.compile(r"^fold 1 of 3 done in \S+ \(\S+ so far, about \S+ left\)$"))
        code = started.stop(signal.SIGINT)
        said = started.said
    assert code == 130, said
    found = re.search(
        r"interrupted after (\d) of 3 folds, while (training a fold|scoring the baselines)", said
    )
    assert found is not None, said
    finished = int(found[1])
    # each finished fold's accuracy, in fold order, then the other metrics
    assert re.search(
        r"partial \(no baselines, intervals or verdicts\): accuracy [\d.]+"
        + r", [\d.]+" * (finished - 1)
        + ";",
        said,
    ), said
    assert f"--json {out} and --oof {oof} not written (a partial evaluation)" in said, said
    assert "nothing was written for the unfinished run" not in said
    assert not out.exists() and not oof.exists()


def test_the_line_says_the_mlp_won_every_fold_with_arch_auto() -> None:
    from trainwell.tabular.evaluation import evaluate_table

    # --epochs given: each fold keeps the MLP, as fit --arch auto does with the MLP's settings given
    evaluation = evaluate_table(_table(120), "y", cv=2, epochs=1, lr=0.01, baselines=False, progress=False)
    assert evaluation.archs == ["tabular_mlp", "tabular_mlp"] and evaluation.chose_arch
    shown = " ".join(str(evaluation).split())
    assert "trainwell here is the MLP in 2 of 2 folds (each fold chose as fit --arch auto does)" in shown, (
        shown
    )
    named = evaluate_table(
        _table(120), "y", cv=2, epochs=1, lr=0.01, arch="mlp", baselines=False, progress=False
    )
    assert not named.chose_arch and "trainwell here is" not in str(named)  # --arch mlp: the user named it


def test_boosted_trees_under_a_budget_load_no_dynamo(tmp_path_factory: pytest.TempPathFactory) -> None:
    # evaluate_table(200 rows, cv=2, arch='gbdt', time_budget=60), run in one fresh interpreter with the other paths
    # of trees, each checked before any has loaded dynamo
    said = dynamo_step(tmp_path_factory, EVALUATE_GBDT)
    assert said["archs"] == ["gbdt", "gbdt"]


def test_grouped_folds_trees_stop_on_whole_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    from trainwell.tabular.evaluation import evaluate_table

    rng = np.random.default_rng(0)
    group = np.repeat(np.arange(40), 5)
    # x is its group's own value: a row's x tells its group among the trees' inputs
    frame = pd.DataFrame(
        {
            "patient": [f"p{i}" for i in group],
            "x": rng.normal(size=40)[group],
            "y": (rng.random(40)[group] > 0.5),
        }
    )
    fitted: list[tuple[np.ndarray, Any]] = []
    original = HistGradientBoostingClassifier.fit

    @functools.wraps(original)  # its signature kept: fit_trees looks for X_val in it
    def fit(self: Any, X: np.ndarray, y: np.ndarray, *args: Any, **kwargs: Any) -> Any:
        fitted.append((X, kwargs.get("X_val")))
        return original(self, X, y, *args, **kwargs)

    monkeypatch.setattr(HistGradientBoostingClassifier, "fit", fit)
    with pytest.warns(UserWarning, match="left out of the inputs"):
        evaluation = evaluate_table(frame, "y", cv=3, groups="patient", arch="gbdt", progress=False)
    trees = fitted[:3]  # the folds' trees come first; the HistGradientBoosting baseline's after them
    for X, held in trees:
        assert held is not None, "the trees stopped on a tenth scikit-learn drew row by row"
        assert 0 < len(held) < len(X) / 5
        assert not set(X[:, -1]) & set(held[:, -1])  # no group on both sides
    assert evaluation.model_note is not None and "training rows (whole groups)" in evaluation.model_note
    assert json.dumps(evaluation.to_dict())  # still a record
