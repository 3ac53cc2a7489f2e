"""Tour 62's findings on the search itself: ``search=`` values checked before any trial in Python too (#2), the
kept trial's ``fit_kwargs`` (#4), a defaults' trial queued but never begun neither counted nor blamed on
another kind (#3), and a trial's line in the table's words (#11)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import optuna
import pytest

from trainwell.automl import tune_table
from trainwell.automl.search import _begun, _queued_kind, _trial_reporter
from trainwell.automl.space import MixedSpace, Space
from trainwell.core.errors import ConfigError
from trainwell.datasets import adult_sample


@pytest.mark.parametrize(
    ("search", "said"),
    [
        ({"epochs": "abc"}, r"^search\['epochs'\] = 'abc': epochs takes a whole number of at least 1"),
        ({"epochs": 2.5}, r"^search\['epochs'\] = 2\.5: epochs takes a whole number"),
        ({"dropout": 1.5}, r"^search\['dropout'\] = 1\.5: dropout takes a number from 0 to below 1"),
        ({"epochs": (0, 3)}, r"^search\['epochs'\] = \(0, 3\) \(the end 0\): epochs takes a whole number"),
        (
            {"layers": ["64-abc"]},
            r"^search\['layers'\] = \['64-abc'\] \('64-abc'\): layers takes hidden layers' widths",
        ),
        ({"numeric_embedding": "foo"}, r"numeric_embedding takes one of periodic, none"),
    ],
)
def test_a_search_value_is_refused_before_any_trial_in_python_too(search: dict[str, Any], said: str) -> None:
    with pytest.raises(ConfigError, match=said):
        tune_table(adult_sample().head(200), "income", n_trials=2, arch="mlp", search=search)


def test_fit_kwargs_train_the_kept_defaults_not_the_rejected_best() -> None:
    result = tune_table(adult_sample().head(400), "income", n_trials=4, arch="gbdt")
    assert result.kept == "defaults" and result.kept_trial == 0 != result.best_trial, result.kept_reason
    kept = result.fit_kwargs()["gbdt_settings"]
    assert kept["learning_rate"] == result.trials[0]["params"]["learning_rate"]
    assert result.best_fit_kwargs()["gbdt_settings"]["learning_rate"] == result.best_params["learning_rate"]
    record = result.to_dict()
    assert record["fit_kwargs_trial"] == 0 and record["best_fit_kwargs_trial"] == result.best_trial


def _kind(arch: str) -> Space:
    return Space(defaults=lambda data, seed: {}, ranges={}, train=None, run_class=None, arch=arch)  # type: ignore[arg-type]


def test_a_defaults_trial_queued_but_never_begun_is_not_counted_and_names_the_next_kind() -> None:
    # tune --time 5s: trees' defaults ran, the MLP's stayed "waiting", and the summary said "2 trials".
    trees, mlp = _kind("gbdt"), _kind("tabular_mlp")
    space = MixedSpace((trees, mlp))
    study = optuna.create_study(direction="maximize")
    study.enqueue_trial({"arch": "gbdt"})
    study.enqueue_trial({"arch": "tabular_mlp"})
    study.optimize(lambda trial: float(trial.suggest_categorical("arch", ["gbdt", "tabular_mlp"]) == "gbdt"),
                   n_trials=1)  # fmt: skip
    assert len(study.trials) == 2 and len(_begun(study)) == 1
    assert _queued_kind(space, study) is mlp  # what --time's stop must weigh: a kind it can cut
    study.optimize(lambda trial: 0.5, n_trials=1)
    assert _queued_kind(space, study) is None and len(_begun(study)) == 2


def test_a_trials_line_says_where_it_was_pruned_and_that_it_was_cut_as_the_table_does() -> None:
    lines: list[str] = []
    report = _trial_reporter(lines.append, "accuracy", 8, cut={4})
    start = datetime(2026, 12, 7)
    pruned = optuna.trial.create_trial(
        state=optuna.trial.TrialState.PRUNED, params={}, distributions={}, intermediate_values={60: 0.81},
        user_attrs={"pruned_at": [2, 3], "pruned_value": 0.81},
    )  # fmt: skip
    pruned.number, pruned.datetime_start, pruned.datetime_complete = 5, start, start + timedelta(seconds=7)
    report(None, pruned)
    assert lines[-1] == "trial 5 (1 of 8): pruned at epoch 2 of 3 (accuracy 0.8100 then), 7 s"
    cut = optuna.trial.create_trial(
        state=optuna.trial.TrialState.COMPLETE, value=0.9, params={}, distributions={}
    )
    cut.number, cut.datetime_start, cut.datetime_complete = 4, start, start + timedelta(seconds=8)
    report(None, cut)
    assert lines[-1] == "trial 4 (2 of 8): accuracy 0.9000, cut short by --time, 8 s"
