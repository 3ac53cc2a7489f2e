"""Tour 62's findings on ``trainwell tune``: ``--search`` values checked before any trial (#2), ``fit_kwargs`` of
the model kept (#4), a search of the defaults alone said so (#5), the command's whole time (#10), a pruned
trial's line in the table's words (#11), and a ``--storage`` in a missing folder refused (#13)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from trainwell.automl._search_values import check_search_value
from trainwell.automl._storage import resolve_storage
from trainwell.automl.pruning import pruned_outcome
from trainwell.automl.result import TuneResult
from trainwell.cli.app import app
from trainwell.cli.tune_cmd import time_line, verdict
from trainwell.core.errors import ConfigError
from trainwell.datasets import adult_sample


@pytest.fixture(scope="module")
def table_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tour62") / "adult.csv"
    adult_sample().head(300).to_csv(path, index=False)
    return path


def _tune(*args: str | Path) -> Any:
    return CliRunner().invoke(app, ["tune", *map(str, args)], env={"COLUMNS": "300"})


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("epochs=abc", "--search epochs=abc: epochs takes a whole number of at least 1; e.g. --search epochs=2:6"),
        ("epochs=2.5", "--search epochs=2.5: epochs takes a whole number of at least 1"),
        ("epochs=0:3", "--search epochs=0:3 (the end 0): epochs takes a whole number of at least 1"),
        ("dropout=1.5", "--search dropout=1.5: dropout takes a number from 0 to below 1; e.g. --search dropout=0:0.5"),
        ("layers=64-abc", "--search layers=64-abc: layers takes hidden layers' widths"),
        ("numeric_embedding=foo", "--search numeric_embedding=foo: numeric_embedding takes one of periodic, none"),
        ("lr=0,0.01", "--search lr=0,0.01 (0): lr takes a number above 0"),
        ("dim=16:64", "--search dim=16:64: dim takes values, not a range: pass --search dim=A,B; e.g. --search dim=16,32"),
    ],
)  # fmt: skip
def test_a_search_value_its_setting_does_not_take_is_refused_before_any_trial(
    table_csv: Path, tmp_path: Path, given: str, said: str
) -> None:
    # Each failed inside trial 1, after trial 0 had run, with a traceback and exit 1 (epochs=2.5: cut to 2).
    done = _tune(table_csv, "--target", "income", "--search", given, "--trials", "2", "--out", tmp_path / "m")
    assert done.exit_code == 2, done.output
    assert said in done.output and "Traceback" not in done.output
    assert len(done.output.strip().splitlines()) == 1, done.output
    assert not (tmp_path / "m").exists()  # refused before anything ran


def test_search_values_are_read_as_the_search_reads_them() -> None:
    assert check_search_value("epochs", 4.0) == 4 and isinstance(check_search_value("epochs", 4.0), int)
    assert check_search_value("epochs", (2, 6.0)) == (2, 6)
    assert check_search_value("layers", [128, "256-128"]) == [128, "256-128"]
    assert check_search_value("unknown_to_the_table", "x") == "x"  # its space says what it searches
    # Python's own words for Python's search=.
    with pytest.raises(
        ConfigError, match=r"^search\['dropout'\] = 1\.5: dropout takes .*search=\{'dropout': \(0, 0\.5\)\}"
    ):
        check_search_value("dropout", 1.5)
    with pytest.raises(
        ConfigError, match=r"^search\['epochs'\] = 'abc': epochs takes a whole number of at least 1"
    ):
        check_search_value("epochs", "abc")
    assert check_search_value("dim", (16, 64)) == (16, 64)  # the space refuses it, naming its values


def _trial(number: int, value: float, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"number": number, "state": "complete", "value": value, "params": params, "seconds": 10.0,
            "defaults": number == 0, "cut_by_time": False, **extra}  # fmt: skip


TREES_DEFAULTS = {"arch": "gbdt", "gbdt_settings": {"learning_rate": 0.1, "max_leaf_nodes": 31}}
TREES_BEST = {"arch": "gbdt", "gbdt_settings": {"learning_rate": 0.047, "max_leaf_nodes": 38}}


def _result(**changes: Any) -> TuneResult:
    trials = [_trial(0, 0.88, {"learning_rate": 0.1}), _trial(9, 0.89, {"learning_rate": 0.047})]
    settings: dict[str, Any] = dict(metric="roc_auc", direction="maximize", best_params={"learning_rate": 0.047},
                                    best_value=0.89, default_value=0.88, trials=trials, run=None, best_trial=9,
                                    kept_trial=0, fit_settings=TREES_BEST, kept_fit_settings=TREES_DEFAULTS)  # fmt: skip
    settings.update(changes)
    return TuneResult(**settings)


def test_fit_kwargs_are_the_kept_trials_and_the_best_ones_are_labelled_apart() -> None:
    # t3clear/tuning.json: kept "defaults", kept_trial 0, and fit_kwargs held trial 9's settings.
    result = _result()
    assert result.fit_kwargs() == TREES_DEFAULTS and result.best_fit_kwargs() == TREES_BEST
    record = result.to_dict()
    assert record["fit_kwargs"] == TREES_DEFAULTS and record["fit_kwargs_trial"] == 0
    assert record["best_fit_kwargs"] == TREES_BEST and record["best_fit_kwargs_trial"] == 9
    kept_best = _result(kept_trial=9, kept_fit_settings=None)
    assert kept_best.fit_kwargs() == kept_best.best_fit_kwargs() == TREES_BEST
    assert kept_best.to_dict()["fit_kwargs_trial"] == 9
    # Where the kept trial's keywords are unknown, the best's are never given in their place.
    unknown = _result(kept_fit_settings=None)
    assert "fit_kwargs" not in unknown.to_dict()
    with pytest.raises(
        ConfigError, match=r"the kept trial 0's settings were not recorded .* best_fit_kwargs\(\)"
    ):
        unknown.fit_kwargs()


def _images_alone() -> TuneResult:
    """``tune mn/ --trials 4 --time 50s``: the defaults' trial (40 epochs) cut at 3.5 used the whole budget."""
    trial = _trial(0, 0.935, {"lr": 1e-3, "epochs": 40}, cut_by_time=True, epochs_trained=3.5)
    trial["seconds"] = 45.0
    return _result(trials=[trial], best_params=trial["params"], best_value=0.935, default_value=0.935,
                   best_trial=0, kept_trial=0, metric="accuracy", timeout=50.0, fit_settings=None,
                   kept_fit_settings=None, startup_seconds=4.0,
                   not_started={"asked": 4, "started": 1, "left": 0.0})  # fmt: skip


def test_a_search_of_the_defaults_alone_says_no_search_ran_and_the_time_one_needs() -> None:
    result = _images_alone()
    said = verdict(result)
    # 45 s for 3.5 of 40 epochs: 514 s for all of them; the start-up and three such trials, rounded up.
    assert said == (
        "best accuracy 0.9350, of the defaults; the defaults' trial (cut at 3.5 of its 40 epochs) used the whole "
        "--time of 50s: no search ran; pass --time 26m or more or fewer epochs (--search epochs=LOW:HIGH)"
    )
    assert "no trial beat" not in said
    assert time_line(result) == (
        "--time 50s: the one trial was cut short, its schedule fitted to the time left (its score is of fewer epochs "
        "than it asked)"
    )
    searched = _result(timeout=50.0, not_started={"asked": 4, "started": 2, "left": 0.0})
    assert searched.no_search_line() is None  # trial 9 was a search's


def test_the_command_took_line_follows_a_tune_that_ran_past_its_time(
    table_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from time import monotonic

    from trainwell.cli import _early

    # As if the process had started 200 s ago (its start-up counts in the command's time, as fit's does).
    monkeypatch.setattr(_early, "process_started", monotonic() - 200)
    done = _tune(table_csv, "--target", "income", "--arch", "mlp", "--trials", "1", "--search", "epochs=1",
                 "--time", "30s", "--out", tmp_path / "m")  # fmt: skip
    assert done.exit_code == 0, done.output
    took = [line for line in done.output.splitlines() if line.startswith("the command took ")]
    assert len(took) == 1, done.output
    assert " of trials (--time)" in took[0] and "before --time's clock" in took[0]


def test_a_pruned_trials_line_says_its_epoch_as_the_table_does() -> None:
    import optuna

    # Resumed run 2, trial 5: the line said "pruned at 60% of its epochs", the table "pruned at epoch 2 of 3".
    trial = optuna.trial.create_trial(
        state=optuna.trial.TrialState.PRUNED,
        params={},
        distributions={},
        intermediate_values={60: 0.81},
        user_attrs={"pruned_at": [2, 3], "pruned_value": 0.81},
    )
    assert pruned_outcome(trial, "roc_auc") == "pruned at epoch 2 of 3 (roc_auc 0.8100 then)"
    stored = optuna.trial.create_trial(
        state=optuna.trial.TrialState.PRUNED, params={}, distributions={}, intermediate_values={60: 0.81}
    )
    assert pruned_outcome(stored, "roc_auc") == "pruned at 60% of its epochs"


def test_a_storage_in_a_missing_folder_is_refused_and_no_folder_made(table_csv: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nonexist" / "dir"
    for given in (missing / "t.db", missing / "t.log", f"sqlite:///{missing / 't.db'}"):
        with pytest.raises(ConfigError, match=r"its folder .*nonexist/dir does not exist; make it first"):
            resolve_storage(given, None)
    done = _tune(table_csv, "--target", "income", "--storage", missing / "t.db", "--out", tmp_path / "m")
    assert done.exit_code == 2 and len(done.output.strip().splitlines()) == 1, done.output
    assert not (tmp_path / "nonexist").exists()
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match=r"its folder .*file is not a folder"):
        resolve_storage(tmp_path / "file" / "t.db", None)
    assert resolve_storage(tmp_path / "t.db", None) is not None  # a folder that exists: as before
