"""``tune --storage FILE --study-name NAME``: a study kept across runs in a real SQLite file (or an Optuna
journal), resumed by the same search run again, refused for another search, and the storage's own errors said
in one line.

Every search here is of boosted trees on 1,200 rows (a second a trial), except where a trial must be pruned,
which only the MLP reports to the pruner (two epochs, held by ``search=``).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import optuna
import pandas as pd
import pytest
from typer.testing import CliRunner

import trainwell
from trainwell.automl import tune_table
from trainwell.automl._storage import DEFAULT_STUDY_NAME, StoredStudy, resolve_storage
from trainwell.automl.search import TUNING_FILE
from trainwell.cli.app import app
from trainwell.core.errors import ConfigError

TREES: dict[str, Any] = {"arch": "gbdt", "keep": "best"}


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return trainwell.datasets.adult_sample().head(1200)


def stored_trials(path: Path, name: str) -> list[optuna.trial.FrozenTrial]:
    """The trials the file holds, read by Optuna itself (not through trainwell)."""
    return optuna.load_study(study_name=name, storage=f"sqlite:///{path}").trials


def test_a_second_run_resumes_the_study_and_keeps_the_best_of_both(
    table: pd.DataFrame, tmp_path: Path
) -> None:
    db = tmp_path / "tune.db"
    first = tune_table(table, "income", n_trials=3, storage=db, study_name="adult", **TREES)
    assert sqlite3.connect(db).execute("select count(*) from trials").fetchone() == (3,)  # a real SQLite file
    assert first.trials_before == 0 and len(stored_trials(db, "adult")) == 3
    second = tune_table(
        table, "income", n_trials=2, storage=db, study_name="adult", out=tmp_path / "m", **TREES
    )
    # n_trials more: the study now holds five trials, numbered on from the first run's.
    assert second.trials_before == 3 and [t["number"] for t in second.trials] == [0, 1, 2, 3, 4]
    assert len(stored_trials(db, "adult")) == 5
    # The first run's trials are the same records, scores included; the defaults were not tried again.
    assert [t["value"] for t in second.trials[:3]] == [t["value"] for t in first.trials]
    assert [t["defaults"] for t in second.trials] == [True, False, False, False, False]
    assert second.trials[3]["params"] != second.trials[0]["params"]
    # The sampler, seeded on from the stored trials, does not draw the first run's settings again.
    assert [t["params"] for t in second.trials[3:]] != [t["params"] for t in first.trials[1:3]]
    # The best of all five trials is the one kept, whichever run it came from.
    values = [t["value"] for t in second.trials]
    assert second.best_value == max(values) and second.best_trial == values.index(max(values))
    assert second.kept_trial == second.best_trial
    # The gain's reality check compares every stored trial with the defaults, the first run's included.
    assert second.selection is not None and second.selection.trials == 4
    record = json.loads((tmp_path / "m" / TUNING_FILE).read_text())
    assert record["study"] == {"storage": str(db), "name": "adult", "trials": 5, "trials_before": 3}
    assert len(record["trials"]) == 5
    summary = json.loads((tmp_path / "m" / "trainwell.json").read_text())["training"]["tuning"]
    assert summary["study"]["trials_before"] == 3


def test_an_earlier_runs_best_trial_is_trained_again_and_said_so(table: pd.DataFrame, tmp_path: Path) -> None:
    db = tmp_path / "tune.sqlite"
    search = {"epochs": 2}  # quick MLP trials, held there in both runs (the study records it)
    first = tune_table(table, "income", n_trials=2, arch="mlp", search=search, storage=db, keep="best",
                       pruner=optuna.pruners.NopPruner())  # fmt: skip
    # Every trial of this run is pruned at its first report: the best is one of the first run's.
    second = tune_table(table, "income", n_trials=2, arch="mlp", search=search, storage=db, keep="best",
                        pruner=optuna.pruners.ThresholdPruner(lower=2.0), out=tmp_path / "m")  # fmt: skip
    assert [t["state"] for t in second.trials] == ["complete", "complete", "pruned", "pruned"]
    assert second.best_trial == first.best_trial and second.kept_trial == first.best_trial
    # Its model was not in hand: its settings were trained again, with the same data and seed, to the same score.
    assert second.refitted is not None and second.refitted["trial"] == first.best_trial
    assert second.refitted["stored_value"] == first.best_value
    assert second.refitted["refit_value"] == pytest.approx(first.best_value, abs=1e-6)
    assert second.run is not None
    assert second.run.learn.final_row["roc_auc"] == pytest.approx(first.best_value, abs=1e-6)
    assert json.loads((tmp_path / "m" / TUNING_FILE).read_text())["refitted"]["trial"] == first.best_trial
    assert first.refitted is None  # the first run kept a model it trained


def test_a_journal_file_keeps_the_study_too(table: pd.DataFrame, tmp_path: Path) -> None:
    (tmp_path / "runs").mkdir()  # a folder that does not exist is refused, not made (tour62 #13)
    journal = tmp_path / "runs" / "tune.log"
    tune_table(table, "income", n_trials=2, storage=journal, **TREES)
    second = tune_table(table, "income", n_trials=1, storage=journal, **TREES)
    assert second.trials_before == 2 and len(second.trials) == 3
    assert second.study_name == DEFAULT_STUDY_NAME
    assert not (tmp_path / "runs" / "tune.db").exists() and journal.stat().st_size > 0


@pytest.fixture(scope="module")
def made(table: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A study of one trial, made with the settings :func:`test_another_search_is_refused` changes one by one."""
    db = tmp_path_factory.mktemp("made") / "tune.db"
    tune_table(table, "income", n_trials=1, storage=db, study_name="s", valid_col=None, **TREES)
    return db


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"metric": "accuracy"}, "was made to maximize roc_auc, this run to maximize accuracy; pass --metric roc_auc"),
        ({"seed": 3}, "was made for other data (a binary task, 960 training and 240 validation rows; this run: a "
                      "binary task, 960 training and 240 validation rows, other values)"),
        ({"valid_pct": 0.3}, "was made for other data (a binary task, 960 training and 240 validation rows; this "
                             "run: a binary task, 840 training and 360 validation rows)"),
        ({"search": {"max_leaf_nodes": (8, 16)}}, "searched other settings (max_leaf_nodes 8 to 128 (log scale), "
                                                  "whole numbers then, 8 to 16 (log scale), whole numbers now)"),
        ({"arch": "mlp"}, "searched other settings (models gbdt then, tabular_mlp now); pass the same --arch"),
    ],
)  # fmt: skip
def test_another_search_is_refused(
    table: pd.DataFrame, made: Path, change: dict[str, Any], said: str
) -> None:
    settings = {**TREES, **change}
    with pytest.raises(ConfigError, match="or pass another --study-name for a new study") as refused:
        tune_table(table, "income", n_trials=1, storage=made, study_name="s", **settings)
    assert f"the study 's' in --storage {made} {said}" in str(refused.value)
    assert len(stored_trials(made, "s")) == 1  # nothing was added


def test_a_seed_alone_is_named_when_the_validation_rows_are_fixed(
    table: pd.DataFrame, tmp_path: Path
) -> None:
    marked = table.assign(is_valid=[i % 5 == 0 for i in range(len(table))])
    db = tmp_path / "tune.db"
    tune_table(marked, "income", n_trials=1, storage=db, valid_col="is_valid", **TREES)
    with pytest.raises(
        ConfigError, match=r"was made with --seed 0, this run has 1; pass --seed 0 to resume it"
    ):
        tune_table(marked, "income", n_trials=1, storage=db, valid_col="is_valid", seed=1, **TREES)


def test_a_study_trainwell_did_not_make_is_refused(table: pd.DataFrame, tmp_path: Path) -> None:
    db = tmp_path / "tune.db"
    theirs = optuna.create_study(study_name="theirs", storage=f"sqlite:///{db}")
    theirs.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=1)
    with pytest.raises(ConfigError, match=r"'theirs' in --storage .* was not made by trainwell tune"):
        tune_table(table, "income", n_trials=1, storage=db, study_name="theirs", **TREES)
    # A new name in a storage that holds other studies starts afresh, and says which it holds (a typo?).
    with pytest.warns(UserWarning, match=r"the study 'mine' is new in .*tune.db, which holds: theirs"):
        tune_table(table, "income", n_trials=1, storage=db, study_name="mine", **TREES)


@pytest.mark.parametrize(
    ("content", "name", "said"),
    [
        (
            "not a database at all " * 20,
            "tune.db",
            r"tune.db: is not a SQLite database \(file is not a database\)",
        ),
        ("not a journal\n", "tune.log", r"tune.log is not an Optuna journal file \(line 1"),
    ],
)
def test_a_file_that_is_not_a_study_is_said_in_one_line(
    table: pd.DataFrame, tmp_path: Path, content: str, name: str, said: str
) -> None:
    (tmp_path / name).write_text(content)
    with pytest.raises(ConfigError, match=said) as refused:
        tune_table(table, "income", n_trials=1, storage=tmp_path / name, **TREES)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize(
    ("storage", "said"),
    [
        ("nosuch://x/y", r"--storage nosuch://x/y: not a database URL Optuna can open .*pass sqlite:///FILE.db"),
        ("postgresql://me:secret@localhost/tune", r"--storage postgresql://me:\*\*\*@localhost/tune: the database "
                                                  r"driver for 'postgresql' is not installed"),
    ],
)  # fmt: skip
def test_a_url_optuna_cannot_open_is_said_in_one_line(
    table: pd.DataFrame, storage: str, said: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if "postgresql" in storage:
        pytest.importorskip("sqlalchemy")
        try:
            import psycopg2  # noqa: F401
        except ModuleNotFoundError:
            pass
        else:
            pytest.skip("psycopg2 is installed: the driver is not missing")
    with pytest.raises(ConfigError, match=said) as refused:
        tune_table(table, "income", n_trials=1, storage=storage, **TREES)
    assert "secret" not in str(refused.value)


@pytest.mark.parametrize(
    ("storage", "name", "said"),
    [
        (None, "adult", "--study-name .* names a study kept in a --storage .*; pass --storage FILE too"),
        ("", None, "--storage .* is empty"),
        ("tune.db", " ", "--study-name .* is empty"),
    ],
)
def test_settings_of_a_stored_study_are_refused_before_the_data_is_read(
    storage: str | None, name: str | None, said: str
) -> None:
    with pytest.raises(ConfigError, match=said):
        tune_table("no/such/file.csv", "y", storage=storage, study_name=name)


def test_a_folder_is_not_a_storage(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"is a folder; name a file in it: .*tune.db \(SQLite\)"):
        tune_table("no/such/file.csv", "y", storage=tmp_path)


def test_which_storage_a_path_or_url_names(tmp_path: Path) -> None:
    for name in ("a.db", "a.sqlite", "a.SQLITE3"):
        where = resolve_storage(tmp_path / name, None)
        assert where is not None and where.url == f"sqlite:///{tmp_path / name}" and where.journal is None
    for name in ("a.log", "a.jsonl", "a.journal"):
        where = resolve_storage(tmp_path / name, "s")
        assert where is not None and where.journal == tmp_path / name and where.url is None
    assert resolve_storage("sqlite:///x.db", None) == StoredStudy(
        "sqlite:///x.db", DEFAULT_STUDY_NAME, url="sqlite:///x.db"
    )
    assert StoredStudy("u", "s", url="postgresql://me:secret@host/db").shown == "postgresql://me:***@host/db"


def test_under_torchrun_a_storage_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "RANK": "0",
        "WORLD_SIZE": "2",
        "LOCAL_RANK": "0",
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": "29500",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=r"--storage .* is not kept under torchrun"):
        tune_table("no/such/file.csv", "y", storage="tune.db")


def test_the_command_line_resumes_and_says_how_many_trials_are_stored(
    table: pd.DataFrame, tmp_path: Path
) -> None:
    table.to_csv(tmp_path / "adult.csv", index=False)
    args = ["tune", str(tmp_path / "adult.csv"), "--target", "income", "--arch", "gbdt", "--out",
            str(tmp_path / "m"), "--storage", str(tmp_path / "tune.db"), "--study-name", "adult"]  # fmt: skip
    runner = CliRunner()
    first = runner.invoke(app, [*args, "--trials", "2"], env={"COLUMNS": "300"})
    assert first.exit_code == 0, first.output
    assert (
        "study 'adult' in " in first.stdout
        and ": 2 trials stored (0 before this run, 2 in it)" in first.stdout
    )
    second = runner.invoke(app, [*args, "--trials", "2"], env={"COLUMNS": "300"})
    assert second.exit_code == 0, second.output
    said = " ".join(second.stdout.split())
    assert "trial 2 (1 of 2): roc_auc" in said and "trial 3 (2 of 2): roc_auc" in said
    assert "4 trials stored (2 before this run, 2 in it); the same command again runs --trials more" in said
    assert "4 trials (0 stopped early)" in said  # the table lists every stored trial
    # Another metric: one line, exit code 2, and nothing added to the study.
    refused = runner.invoke(app, [*args, "--trials", "1", "--metric", "accuracy"], env={"COLUMNS": "300"})
    assert refused.exit_code == 2 and "Traceback" not in refused.output
    assert "was made to maximize roc_auc, this run to maximize accuracy" in refused.output
    assert len(stored_trials(tmp_path / "tune.db", "adult")) == 4


def test_the_command_line_says_a_broken_storage_in_one_line(table: pd.DataFrame, tmp_path: Path) -> None:
    table.to_csv(tmp_path / "adult.csv", index=False)
    (tmp_path / "tune.db").write_text("plain text, not SQLite " * 20)
    done = CliRunner().invoke(
        app,
        ["tune", str(tmp_path / "adult.csv"), "--target", "income", "--arch", "gbdt", "--trials", "1",
         "--storage", str(tmp_path / "tune.db")],
        env={"COLUMNS": "300"},
    )  # fmt: skip
    assert done.exit_code == 2 and "Traceback" not in done.output
    assert "is not a SQLite database (file is not a database)" in done.output


def _resumed_twice(search: Any, tmp_path: Path) -> Any:
    """``search(storage=...)`` run twice on one SQLite file: the second run's result."""
    tmp_path.mkdir()  # a storage's folder must exist (tour62 #13)
    db = tmp_path / "tune.db"
    first = search(storage=db)
    second = search(storage=db)
    assert second.trials_before == len(first.trials) and len(second.trials) == 2 * len(first.trials)
    assert [t["value"] for t in second.trials[: len(first.trials)]] == [t["value"] for t in first.trials]
    return second


def test_texts_and_recommenders_resume_a_stored_study_too(tmp_path: Path) -> None:
    from test_tune_ratings import clicks

    from ratings_support import low_rank_ratings
    from text_samples import reviews
    from trainwell.automl import tune_ratings, tune_texts

    nop = optuna.pruners.NopPruner()
    few = {"epochs": (2, 3)}  # for time: the defaults' epochs moved to 3 (resuming does not depend on them)
    frame = reviews(160)
    texts = _resumed_twice(
        lambda **stored: tune_texts(frame, text_col="review", target="sentiment", n_trials=2, pruner=nop,
                                    search=few, **stored),
        tmp_path / "texts",
    )  # fmt: skip
    assert texts.best_value == max(t["value"] for t in texts.trials)
    ratings = low_rank_ratings(0).frame
    rated = _resumed_twice(
        lambda **stored: tune_ratings(ratings, rating="rating", n_trials=2, pruner=nop, search=few, **stored),
        tmp_path / "r",
    )
    assert rated.direction == "minimize" and rated.best_value == min(t["value"] for t in rated.trials)
    # Implicit feedback is ranked (ndcg@10, not resampled by rows): no predictions kept, the study resumes all the same.
    _resumed_twice(
        lambda **stored: tune_ratings(clicks(), n_trials=1, pruner=nop, search=few, **stored), tmp_path / "i"
    )
