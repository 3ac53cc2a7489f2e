"""A saved recommender takes newer ratings without a Learner: ``trainwell fold-in recs/ newer.csv`` (and
``trainwell.collab.fold_in_dir``) fits the users and items new to it into its model directory, every trained
weight unchanged, the directory rewritten atomically (or written to ``--out``), the fold-in recorded after the
earlier ones and shown by ``trainwell info`` and ``trainwell report``; a mistake is one line, exit 2, and leaves
the model as it was."""

from __future__ import annotations

import html as html_text
import json
import re
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

import trainwell
from process_support import command_env
from ratings_support import low_rank_ratings, rmse
from trainwell.cli.app import app
from trainwell.collab import directory_fold_in, fold_in_record
from trainwell.collab.directory_fold_in import fold_in_dir
from trainwell.collab.fold_in import FOLD_IN_PRIOR, fold_in
from trainwell.collab.fold_in_record import folded_in_words, ratings_digest
from trainwell.collab.pipeline import RatingsRun, fit_ratings
from trainwell.core.errors import ConfigError, DataError

#: Items only the newer ratings have, users likewise; item 30 only the fit's validation rows have.
NEWER_ITEMS, NEWER_USERS, VALIDATION_ITEM = (37, 38, 39, 40), (59, 60), 30
AT = datetime(2026, 12, 6, 21, 5, 0, tzinfo=timezone.utc)


def _write_files() -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = low_rank_ratings(seed=0).frame
    newer = frame["item"].isin(NEWER_ITEMS) | frame["user"].isin(NEWER_USERS)
    older, later = frame[~newer].reset_index(drop=True), frame[newer].reset_index(drop=True)
    older.to_csv("ratings.csv", index=False)
    later.to_csv("newer.csv", index=False)
    return older, later


def _fit(older: pd.DataFrame) -> RatingsRun:
    valid = (older["item"] == VALIDATION_ITEM).to_numpy() | (np.arange(len(older)) % 5 == 0)
    return fit_ratings(
        "ratings.csv",
        out="recs",
        splits=(np.flatnonzero(~valid), np.flatnonzero(valid)),
        epochs=2,
        progress=False,
    )


@pytest.fixture()
def files() -> tuple[pd.DataFrame, pd.DataFrame]:
    """ratings.csv (neither the newer items nor the newer users) and newer.csv (every rating of either), in the
    test's own folder."""
    return _write_files()


@pytest.fixture()
def run(files: tuple[pd.DataFrame, pd.DataFrame]) -> RatingsRun:
    """recs/ fitted on ratings.csv in the test's own folder, and its learner (for the tests that fold into it)."""
    return _fit(files[0])


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder where :func:`run`'s fit ran once, as it runs in a test's folder (same files, same seed)."""
    from trainwell.core.seeding import seed_everything

    folder = tmp_path_factory.mktemp("fitted")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        seed_everything(0)  # what each test starts from (tests/conftest.py)
        _fit(_write_files()[0])
    return folder


@pytest.fixture()
def recs(files: tuple[pd.DataFrame, pd.DataFrame], fitted: Path) -> Path:
    """recs/ as :func:`run` writes it, copied into the test's folder from the one fit of :func:`fitted`, for the
    tests that read or fold into the model directory alone (not into the learner): each gets its own copy."""
    return Path(shutil.copytree(fitted / "recs", "recs"))


def files_of(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


def metadata(folder: Path) -> dict:
    return json.loads((folder / "trainwell.json").read_text(encoding="utf-8"))


def test_the_directory_learns_the_new_ids_and_keeps_the_trained_weights(
    recs: Path, files: tuple[pd.DataFrame, pd.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    newer = files[1]
    before = trainwell.load("recs")
    history = Path("recs/history.csv").read_bytes()
    monkeypatch.setattr(fold_in_record, "now", lambda: AT)
    folded = fold_in_dir("recs", "newer.csv")
    assert folded is not None
    assert folded.items == tuple(map(str, NEWER_ITEMS)) and folded.users == tuple(map(str, NEWER_USERS))
    assert folded.rows == len(newer)
    after = trainwell.load("recs")
    assert (
        after.recipe.n_items == before.recipe.n_items + 4
        and after.recipe.n_users == before.recipe.n_users + 2
    )
    # The known users who rated in newer.csv are updated from those ratings (their rows refitted); every other
    # trained row is as it was.
    updated = before.recipe.user_codes(newer.loc[~newer["user"].isin(NEWER_USERS), "user"].unique())
    assert folded.updated_users and len(folded.updated_users) == len(updated)
    others = np.setdiff1d(np.arange(before.recipe.n_users), updated)
    for name, old in before.model.state_dict().items():
        if name.startswith("seen_"):
            continue
        kept = old[others] if name.startswith("user_") else old
        now = after.model.state_dict()[name][: len(old)]
        assert torch.equal(now[others] if name.startswith("user_") else now, kept), name
        if name.startswith("user_"):
            assert not torch.equal(now[updated], old[updated]), name  # moved by their newer ratings
    # What the directory recorded is kept (the fit's own fold-in, the history), and this fold-in appended.
    records = metadata(Path("recs"))["training"]["folded_in"]
    assert [record["data"] for record in records] == ["ratings.csv", "newer.csv"]
    assert records[1] == {
        "at": "2026-12-06T21:05:00+00:00",
        "users": 2,
        "items": 4,
        "ratings": len(newer),
        "data": "newer.csv",
        "part": None,
        "ratings_sha256": ratings_digest(newer, ["user", "item", "rating"]),
        "updated_users": len(updated),
    }
    assert Path("recs/history.csv").read_bytes() == history and Path("recs/curves.png").is_file()
    # A new user's ratings of the films they rated are left out of their recommendations, as a training user's.
    user = str(NEWER_USERS[0])
    rated = set(newer.loc[newer["user"] == NEWER_USERS[0], "item"].astype(str))
    ranking = after.recommend(user, k=40)
    assert bool(ranking["known_user"].all()) and not rated & set(ranking["item"].astype(str))
    assert ranking.attrs["seen_left_out"] == len(rated)


def test_it_fits_the_same_rows_as_a_fold_in_of_the_learner(
    run: RatingsRun, files: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    """The reference: the Learner the directory was written from, folded in memory on the same rows."""
    fold_in_dir("recs", "newer.csv")
    fold_in(run.learn, "newer.csv")
    saved = trainwell.load("recs")
    assert saved.recipe == run.learn.data.recipe
    memory = run.learn.model.state_dict()
    for name, value in saved.model.state_dict().items():
        assert torch.allclose(value, memory[name].cpu(), atol=1e-5), name
    assert metadata(Path("recs"))["architecture"]["config"] == run.learn.model_spec["config"]


def test_folded_in_items_are_scored_better_than_as_the_average_item(
    recs: Path, files: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    """Each newer item folded in on the first half of its ratings (by known users), scored on the rest."""
    newer = files[1]
    newer = newer[~newer["user"].isin(NEWER_USERS)]
    order = newer.groupby("item").cumcount().to_numpy()
    size = newer.groupby("item")["item"].transform("size").to_numpy()
    first, later = newer[order < size // 2], newer[order >= size // 2]
    first.to_csv("first_half.csv", index=False)
    with pytest.warns(UserWarning, match="users or items the model never saw"):
        average = trainwell.load("recs").predict(later[["user", "item"]])["prediction"].to_numpy()
    fold_in_dir("recs", "first_half.csv")
    folded = trainwell.load("recs").predict(later[["user", "item"]])["prediction"].to_numpy()
    actual = later["rating"].to_numpy()
    assert rmse(folded, actual) < 0.95 * rmse(average, actual)  # 1.08 against 1.19 (a short fit: 2 epochs)


def test_out_writes_another_directory_and_leaves_the_model_as_it_was(recs: Path) -> None:
    original = files_of(Path("recs"))
    result = CliRunner().invoke(app, ["fold-in", "recs", "newer.csv", "--out", "recs2"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith(
        "fitted 4 items and 2 users new to the model and updated 58 known users from their newer ratings (the "
        "items rated are left out of their recommendations), on 263 rows of newer.csv"
    )
    assert "model directory: recs2" in result.output
    assert files_of(Path("recs")) == original
    assert trainwell.load("recs2").recipe.n_items == trainwell.load("recs").recipe.n_items + 4
    # Again on the new directory: nothing is new, nothing is written.
    written = files_of(Path("recs2"))
    again = CliRunner().invoke(app, ["fold-in", "recs2", "newer.csv"])
    assert again.exit_code == 0, again.output
    assert again.output.startswith(
        "nothing to fold in: every user and item of newer.csv is known to the model and every rating is of an "
        "item its user already rated"
    )
    assert files_of(Path("recs2")) == written


def test_in_place_the_command_says_a_server_reads_it_on_restart(recs: Path) -> None:
    result = CliRunner().invoke(app, ["fold-in", "recs", "newer.csv"])
    assert result.exit_code == 0, result.output
    assert "model directory: recs (a running trainwell serve reads it when restarted)" in result.output
    info = CliRunner().invoke(app, ["info", "recs"], env={"COLUMNS": "200"})
    lines = [" ".join(line.replace("│", " ").split()) for line in info.stdout.splitlines()]
    start = next(index for index, line in enumerate(lines) if line.startswith("folded in "))
    assert "(the validation rows of ratings.csv)" in lines[start]
    assert lines[start + 1].endswith(
        "4 items and 2 users, 58 known users updated, fitted on 263 ratings (newer.csv)"
    )


def test_the_recorded_report_lists_each_fold_in(recs: Path) -> None:
    from trainwell.report import build_report

    fold_in_dir("recs", "newer.csv")
    page = build_report(Path("recs"), None, Path("recorded.html")).read_text(encoding="utf-8")
    settings = page.split('<section id="settings">', 1)[1].split("</section>", 1)[0]
    cells = [html_text.unescape(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", settings)]
    shown = [value for label, value in zip(cells[::2], cells[1::2], strict=True) if label == "folded in"]
    records = metadata(Path("recs"))["training"]["folded_in"]
    assert shown == [folded_in_words(record) for record in records] and len(shown) == 2


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "user,item,stars\n59,1,4\n",
            "error: fold_in: newer.csv has no column 'rating' (the model's rating column); its columns are: "
            "user, item, stars. Rename it to 'rating', or give a file without a header row (read as user, item, "
            "rating[, timestamp])",
        ),
        ("user,item,rating\n", "error: 'newer.csv' has no data rows"),
        ("", "error: 'newer.csv' has no data rows"),
        ("user,item,rating\n59,1,\n", "error: column 'rating' of newer.csv is empty in 1 of 1 rows"),
    ],
)
def test_bad_ratings_are_one_line_and_leave_the_model_untouched(
    recs: Path, content: str, expected: str
) -> None:
    original = files_of(Path("recs"))
    Path("newer.csv").write_text(content, encoding="utf-8")
    result = CliRunner().invoke(app, ["fold-in", "recs", "newer.csv"])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(expected), result.output
    assert files_of(Path("recs")) == original


def test_an_empty_table_is_refused_from_python(recs: Path) -> None:
    empty = pd.DataFrame({"user": [], "item": [], "rating": []})
    with pytest.raises(
        DataError, match=r"^fold_in: the rows given holds no ratings; give the rows of the users"
    ):
        fold_in_dir("recs", empty)


def test_a_model_that_is_no_ratings_recommender_is_refused(tmp_path: Path) -> None:
    clicks = low_rank_ratings(seed=1).frame[["user", "item"]]
    fit_ratings(clicks, out="clicks", implicit=True, epochs=1, progress=False)
    with pytest.raises(ConfigError, match=r"^'clicks' ranks interactions \(implicit feedback\)"):
        fold_in_dir("clicks", clicks)
    table = pd.DataFrame({"x": np.arange(40.0), "y": np.arange(40) % 2})
    trainwell.fit_table(table, "y", out="table_model", epochs=1, lr=1e-2, progress=False)  # lr: no sweep
    original = files_of(Path("table_model"))
    result = CliRunner().invoke(app, ["fold-in", "table_model", "newer.csv"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: 'table_model' is a tabular model (binary), not a recommender: fold-in adds users and items to a "
        "model fitted on ratings (trainwell fit ratings.csv --user USER --item ITEM --target RATING); pass such "
        "a model directory"
    )
    assert files_of(Path("table_model")) == original
    not_a_model = CliRunner().invoke(app, ["fold-in", "nowhere", "newer.csv"])
    assert not_a_model.exit_code == 2 and len(not_a_model.output.strip().splitlines()) == 1


def test_a_neural_model_folded_in_loads_again(files: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    # collab_nn sizes its embeddings from the number of ids: grown by a fold-in, its recorded n_users rebuilt
    # other widths than the weights' ("3 weights of another shape"), the fit's own fold-in included.
    older = files[0]
    valid = (older["item"] == VALIDATION_ITEM).to_numpy() | (older["user"] <= 8).to_numpy()
    fit_ratings(
        "ratings.csv",
        arch="collab_nn",
        out="nn",
        splits=(np.flatnonzero(~valid), np.flatnonzero(valid)),
        epochs=1,
        progress=False,
    )
    widths = trainwell.load("nn").model.user_factors.weight.shape[1]
    assert fold_in_dir("nn", "newer.csv") is not None
    loaded = trainwell.load("nn")
    assert loaded.model.user_factors.weight.shape[1] == widths
    assert loaded.recipe.item_codes(["40"])[0] > 0


def test_the_command_refuses_another_model_before_importing_torch(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "trainwell.json").write_text(
        json.dumps({"format_version": 1, "application": "vision", "task": {"kind": "multiclass"}}),
        encoding="utf-8",
    )
    (tmp_path / "newer.csv").write_text("user,item,rating\n1,2,3\n", encoding="utf-8")
    program = (
        "import atexit, runpy, sys\n"
        "atexit.register(lambda: print('heavy:', 'torch' in sys.modules, file=sys.stderr))\n"
        "sys.argv = ['trainwell', 'fold-in', 'm', 'newer.csv']\n"
        "runpy.run_module('trainwell', run_name='__main__')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        env=command_env(),
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2
    assert lines == [
        "error: 'm' is a vision model (multiclass), not a recommender: fold-in adds users and items to a model "
        "fitted on ratings (trainwell fit ratings.csv --user USER --item ITEM --target RATING); pass such a "
        "model directory",
        "heavy: False",
    ]


def test_the_prior_said_without_torch_is_the_fold_ins() -> None:
    assert directory_fold_in.FOLD_IN_PRIOR == FOLD_IN_PRIOR


def test_a_second_fold_in_keeps_the_first_ones_rated_items_out_of_recommendations(
    run: RatingsRun, files: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    # The Learner's fold-in read what to leave out from the data's rows and the new rows alone: a second
    # fold-in forgot the first one's users' ratings, and recommended them the films they had rated.
    newer = files[1]
    first, second = newer[newer["user"] == NEWER_USERS[0]], newer[newer["user"] == NEWER_USERS[1]]
    assert fold_in(run.learn, first) is not None and fold_in(run.learn, second) is not None
    run.learn.export("twice")
    ranking = trainwell.load("twice").recommend(NEWER_USERS[0], k=40)
    assert not set(first["item"].astype(str)) & set(ranking["item"].astype(str))
    assert ranking.attrs["seen_left_out"] == len(first)
