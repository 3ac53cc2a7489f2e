"""The command line for recommenders: ``trainwell fit --user --item``, ``trainwell predict`` on a ratings model,
``trainwell recommend`` (for users, with --seen, and --similar-to), and the one-line errors.

The commands run in-process through typer's runner (a fresh interpreter costs seconds on a 2-core machine);
one test runs the real entry point in a subprocess to check the exit code and the single ``error:`` line.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import trainwell
from ratings_support import low_rank_ratings, run_trainwell
from trainwell.cli.app import app
from trainwell.collab.pipeline import fit_ratings
from trainwell.tabular.pipeline import fit_table

FIT_OPTIONS = ["--epochs", "5", "--lr", "0.03"]


@dataclass(frozen=True)
class Invocation:
    exit_code: int
    stdout: str
    stderr: str

    def explain(self) -> str:
        return f"exit {self.exit_code}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}"

    @property
    def stderr_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def trainwell_cli(*args: str | Path) -> Invocation:
    """``trainwell ARGS`` in this process, stdout and stderr apart."""
    result = CliRunner().invoke(app, [str(arg) for arg in args], env={"COLUMNS": "200"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Invocation(result.exit_code, result.stdout, result.stderr)


def csv_table(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text))


@pytest.fixture(scope="module")
def ratings_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ratings with column names the finder does not know for users and items (uid, sku), stars by name."""
    frame = low_rank_ratings(seed=1, n_ratings=1_200).frame
    path = tmp_path_factory.mktemp("ratings") / "ratings.csv"
    frame.rename(columns={"user": "uid", "item": "sku", "rating": "stars"}).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def fitted(ratings_csv: Path) -> tuple[Path, Invocation]:
    model_dir = ratings_csv.parent / "model"
    result = trainwell_cli(
        "fit", ratings_csv, "--user", "uid", "--item", "sku", "--out", model_dir, *FIT_OPTIONS
    )
    assert result.exit_code == 0, result.explain()
    return model_dir, result


@pytest.fixture(scope="module")
def model_dir(fitted: tuple[Path, Invocation]) -> Path:
    return fitted[0]


# --------------------------------------------------------------------------------------------- fit
def test_info_describes_users_items_and_the_rating_scale(fitted: tuple[Path, Invocation]) -> None:
    model_dir, _ = fitted
    recipe = trainwell.load(model_dir).recipe
    shown = trainwell_cli("info", model_dir)
    assert shown.exit_code == 0
    assert f"{len(recipe.users):,} users ('uid'), {len(recipe.items):,} items ('sku')" in shown.stdout
    assert f"rating 'stars', {recipe.rating_min:g} to {recipe.rating_max:g}" in shown.stdout


def test_fit_writes_a_recommender_and_says_how_to_use_it(
    fitted: tuple[Path, Invocation], ratings_csv: Path
) -> None:
    model_dir, result = fitted
    assert {"model.safetensors", "trainwell.json", "history.csv", "curves.png"} <= {
        entry.name for entry in model_dir.iterdir()
    }
    assert "Validation results (regression, 5 epochs)" in result.stdout
    assert f"recommend with: trainwell recommend {model_dir} USER_ID\n" in result.stdout
    history = pd.read_csv(model_dir / "history.csv")
    assert history["epoch"].tolist() == [1, 2, 3, 4, 5]  # counted from 1, as on the screen
    row = next(line for line in result.stdout.splitlines() if line.strip("│┃ ").startswith("rmse "))
    assert f"{history['rmse'].iloc[-1]:.4f}" in row
    predictor = trainwell.load(model_dir)
    assert (predictor.recipe.user_col, predictor.recipe.item_col, predictor.recipe.rating_col) == (
        "uid",
        "sku",
        "stars",
    )
    # The command is fit_ratings with those settings: the same run, epoch for epoch.
    same = fit_ratings(ratings_csv, user="uid", item="sku", epochs=5, lr=0.03, progress=False)
    assert np.allclose(history["rmse"], [epoch["rmse"] for epoch in same.learn.history], atol=1e-6)
    # And it learned: well below the spread of the ratings it was given.
    assert history["rmse"].iloc[-1] < 0.75 * pd.read_csv(ratings_csv)["stars"].std()


def test_fit_says_whether_it_beats_user_and_item_biases(
    fitted: tuple[Path, Invocation], ratings_csv: Path
) -> None:
    _, result = fitted
    history = pd.read_csv(fitted[0] / "history.csv")
    rmse, bar = history["rmse"].iloc[-1], history["rmse_biases"].iloc[-1]
    assert (
        rmse < bar and f"rmse {rmse:.4f} is below the {bar:.4f} of user + item biases alone" in result.stdout
    )
    # One epoch at a learning rate that barely moves the weights: worse than the averages, and told so.
    stalled = trainwell_cli(
        "fit",
        ratings_csv,
        "--user",
        "uid",
        "--item",
        "sku",
        "--out",
        ratings_csv.parent / "stalled",
        "--epochs",
        "1",
        "--lr",
        "1e-6",
    )
    assert stalled.exit_code == 0, stalled.explain()
    assert "warning: rmse" in stalled.stdout and "is not below the" in stalled.stdout
    assert "learned nothing personal yet" in " ".join(stalled.stdout.split())


# --------------------------------------------------------------------------------------------- predict
def test_predict_scores_pairs_like_the_python_api(model_dir: Path, tmp_path: Path) -> None:
    pairs = pd.DataFrame({"uid": [3, 3, 17, 999], "sku": [1, 2, 5, 5]})
    path = tmp_path / "pairs.csv"
    pairs.to_csv(path, index=False)
    result = trainwell_cli("predict", model_dir, path)
    assert result.exit_code == 0, result.explain()
    table = csv_table(result.stdout)
    assert table.columns.tolist() == ["uid", "sku", "prediction"]  # a score alone said not whose, nor of what
    assert table["uid"].astype(str).tolist() == ["3", "3", "17", "999"]
    assert csv_table(trainwell_cli("predict", model_dir, path, "--keep", "sku").stdout).columns.tolist() == [
        "sku",
        "prediction",
    ]
    expected = trainwell.load(model_dir).predict(pairs)["prediction"].to_numpy()
    assert np.allclose(table["prediction"].to_numpy(), expected, atol=1e-5)
    assert ((table["prediction"] > 0.6) & (table["prediction"] < 5.4)).all()
    # The new user is said: the table alone cannot show that it got the average user's score.
    assert (
        "note: 1 cell(s) hold users or items the model never saw, scored as the average known user or item: "
        in (" ".join(result.stderr.split()))
    )
    assert "uid: '999' (1)" in result.stderr


# --------------------------------------------------------------------------------------------- recommend
def test_recommend_with_seen_leaves_out_what_each_user_rated(model_dir: Path, ratings_csv: Path) -> None:
    ratings = pd.read_csv(ratings_csv)
    result = trainwell_cli("recommend", model_dir, "3", "nobody", "--top", "7", "--seen", ratings_csv)
    assert result.exit_code == 0, result.explain()
    table = csv_table(result.stdout)
    assert table.columns.tolist() == ["uid", "rank", "sku", "score", "known_user"]
    known = table[table["uid"] == "3"]
    seen = set(ratings.loc[ratings["uid"] == 3, "sku"])
    assert len(seen) >= 10  # a user with a history, so leaving it out matters
    assert len(known) == 7 and known["known_user"].all()
    assert not seen & set(known["sku"])
    # Every item user 3 rated is in --seen, so --seen is named for all of them (the count is the same either way).
    assert (
        f"left out {len(seen)} items these users already chose: {len(seen)} in --seen, 0 more"
        in result.stderr
    )
    predictor = trainwell.load(model_dir)
    expected = predictor.recommend(3, k=7, exclude=sorted(seen))
    assert known["sku"].tolist() == expected["sku"].tolist()
    assert np.allclose(known["score"].to_numpy(), expected["score"].to_numpy(), atol=1e-5)
    # The model keeps what each user rated in the table it was fitted on (training and validation rows, the
    # whole of ratings_csv here): without --seen, the same ranking, and a note of how many were left out.
    plain = trainwell_cli("recommend", model_dir, "3", "--top", "7")
    assert csv_table(plain.stdout)["sku"].tolist() == known["sku"].tolist()
    assert (
        f"left out {len(seen)} items this user already chose" in plain.stderr
    )  # one user: not "these users"
    # --include-seen ranks every item: the best include ones user 3 already rated.
    every = csv_table(trainwell_cli("recommend", model_dir, "3", "--top", "7", "--include-seen").stdout)
    assert seen & set(every["sku"])
    # A user not in the ratings gets the cold-start ranking, with nothing left out.
    newcomer = table[table["uid"] == "nobody"]
    assert not newcomer["known_user"].any()
    assert newcomer["sku"].tolist() == predictor.recommend("nobody", k=7)["sku"].tolist()
    assert newcomer["rank"].tolist() == list(range(1, 8))


def test_recommend_matches_an_id_written_as_a_float_and_names_the_ids_an_unknown_one_should_be(
    model_dir: Path,
) -> None:
    # uid 3 read from a CSV whose uid column has a gap comes back as 3.0.
    as_float = trainwell_cli("recommend", model_dir, "3.0", "--top", "5")
    assert as_float.exit_code == 0, as_float.explain()
    as_int = trainwell_cli("recommend", model_dir, "3", "--top", "5")
    float_table, int_table = csv_table(as_float.stdout), csv_table(as_int.stdout)
    assert float_table["known_user"].all()
    assert float_table["sku"].tolist() == int_table["sku"].tolist()
    assert "not in the training ratings" not in as_float.stderr
    unknown = trainwell_cli("recommend", model_dir, "3.5", "nobody", "--top", "5")
    assert unknown.exit_code == 0, unknown.explain()
    users = sorted(int(user) for user in trainwell.load(model_dir).recipe.users)
    for user in ("3.5", "nobody"):
        assert (
            f"user '{user}' was not in the training ratings (its users are whole numbers from {users[0]} to "
            f"{users[-1]}): ranked for the average user" in unknown.stderr
        ), unknown.stderr


def test_recommend_similar_to_writes_the_neighbours(model_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "similar.csv"
    result = trainwell_cli("recommend", model_dir, "--similar-to", "4", "--top", "5", "--out", out)
    assert result.exit_code == 0, result.explain()
    assert result.stdout == ""
    assert "wrote 5 rows to" in result.stderr
    table = pd.read_csv(out)
    assert table.columns.tolist() == ["rank", "sku", "similarity", "seen_by"]
    assert 4 not in table["sku"].tolist()
    expected = trainwell.load(model_dir).similar_items(4, k=5)
    assert table["sku"].tolist() == expected["sku"].tolist()
    assert np.allclose(table["similarity"].to_numpy(), expected["similarity"].to_numpy(), atol=1e-5)
    every = trainwell_cli("recommend", model_dir, "--similar-to", "4", "--top", "5", "--min-users", "1")
    assert every.exit_code == 0, every.explain()
    assert csv_table(every.stdout)["sku"].tolist() == (
        trainwell.load(model_dir).similar_items(4, k=5, min_users=1)["sku"].tolist()
    )
    ranking = trainwell_cli("recommend", model_dir, "3", "--min-users", "2")
    assert ranking.exit_code == 2 and "--min-users is for --similar-to and --from-items" in ranking.stderr


def test_item_names_list_each_item_with_its_name(model_dir: Path, tmp_path: Path) -> None:
    # MovieLens' u.item: id|title|date|..., no header row, latin-1, commas inside later titles.
    items = sorted({int(item) for item in trainwell.load(model_dir).recipe.items})  # type: ignore[attr-defined]
    titles = {item: f"Film {item}" + (", The (1995)" if item % 3 else " (Été)") for item in items}
    u_item = tmp_path / "u.item"
    u_item.write_bytes(
        "".join(f"{item}|{titles[item]}|01-Jan-1995||0|1\n" for item in items).encode("latin-1")
    )
    similar = trainwell_cli("recommend", model_dir, "--similar-to", "4", "--top", "5", "--item-names", u_item,
                            "--encoding", "latin-1")  # fmt: skip
    assert similar.exit_code == 0, similar.explain()
    table = csv_table(similar.stdout)
    assert table.columns.tolist() == ["rank", "sku", "name", "similarity", "seen_by"]
    assert table["name"].tolist() == [titles[item] for item in table["sku"]]
    listed = tmp_path / "titles.csv"  # a header row: the model's item column and a title column
    pd.DataFrame({"genre": ["x"] * len(items), "sku": items, "title": [titles[i] for i in items]}).to_csv(
        listed, index=False
    )
    users = trainwell_cli("recommend", model_dir, "3", "--top", "4", "--item-names", listed)
    assert users.exit_code == 0, users.explain()
    ranked = csv_table(users.stdout)
    assert ranked.columns.tolist()[:4] == ["uid", "rank", "sku", "name"]
    assert ranked["name"].tolist() == [titles[item] for item in ranked["sku"]]
    wrong = tmp_path / "users.csv"  # ids, but of users, with their occupations: no names of items
    pd.DataFrame(
        {"sku": items, "job": ["writer", "nurse"] * (len(items) // 2) + ["x"] * (len(items) % 2)}
    ).to_csv(wrong, index=False)
    refused = trainwell_cli("recommend", model_dir, "3", "--item-names", wrong)
    assert refused.exit_code == 2 and "has no column of names beside its ids ('sku')" in refused.stderr
    ratings = tmp_path / "ratings.csv"
    low_rank_ratings(seed=2, n_ratings=300).frame.rename(
        columns={"user": "uid", "item": "sku", "rating": "stars"}
    ).to_csv(ratings, index=False)
    page = tmp_path / "report.html"
    reported = trainwell_cli("report", model_dir, "--data", ratings, "--item-names", u_item, "--encoding", "latin-1",
                             "--out", page)  # fmt: skip
    assert reported.exit_code == 0, reported.explain()
    text = page.read_text(encoding="utf-8")
    neighbours = text[text.index("Nearest items") :]
    assert sum(f"{item} {title}" in neighbours for item, title in titles.items()) >= 5  # id, then name


def test_recommend_from_items_pools_the_neighbours_of_a_basket(model_dir: Path) -> None:
    result = trainwell_cli("recommend", model_dir, "--from-items", "4, 7", "--top", "5")
    assert result.exit_code == 0, result.explain()
    table = csv_table(result.stdout)
    # pooled cosine, not a rating; seen_by: how many users chose each (a neighbour of few says little)
    assert table.columns.tolist() == ["rank", "sku", "similarity", "seen_by"]
    assert not {4, 7} & set(table["sku"])
    predictor = trainwell.load(model_dir)
    assert table["sku"].tolist() == predictor.recommend_from_items([4, 7], k=5)["sku"].tolist()
    # One item: the pooled neighbours are that item's neighbours.
    alone = predictor.recommend_from_items([4], k=5)
    similar = predictor.similar_items(4, k=5)
    assert alone["sku"].tolist() == similar["sku"].tolist()
    np.testing.assert_allclose(alone["similarity"], similar["similarity"], atol=1e-5)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "name at least one user id"),
        (["3", "--similar-to", "4"], "pass one of user ids, --similar-to ITEM or --from-items IDS, not"),
        (["--from-items", "4", "--similar-to", "4"], "not --similar-to and --from-items"),
        (["--from-items", "nope,never"], "none of the items ['nope', 'never'] was in the training ratings"),
        (["--from-items", "4", "--seen", "seen.csv"], "--seen is for user ids; with --from-items"),
        (["--similar-to", "no-such-item"], "item 'no-such-item' was not in the training ratings"),
    ],
)
def test_recommend_mistakes_are_one_line_and_exit_2(model_dir: Path, args: list[str], message: str) -> None:
    result = trainwell_cli("recommend", model_dir, *args)
    assert result.exit_code == 2, result.explain()
    assert result.stderr_lines == [result.stderr_lines[0]]
    assert result.stderr_lines[0].startswith("error: ") and message in result.stderr_lines[0]
    assert result.stdout == ""


def test_seen_table_without_the_item_column_is_refused(model_dir: Path, tmp_path: Path) -> None:
    seen = tmp_path / "seen.csv"
    pd.DataFrame({"uid": [3], "movie": [1]}).to_csv(seen, index=False)
    result = trainwell_cli("recommend", model_dir, "3", "--seen", seen)
    assert result.exit_code == 2, result.explain()
    assert len(result.stderr_lines) == 1
    assert "--seen" in result.stderr and "no column 'sku'" in result.stderr
    assert "'uid', 'sku'" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--item", "nope"], "item column 'nope' not found"),
        (["--item", "sku", "--arch", "xresnet18"], "--arch xresnet18 is not a recommender"),
        (["--item", "sku", "--task", "multiclass"], "--task 'multiclass' does not fit ratings"),
        (["--item", "sku", "--epochs", "0"], "epochs (--epochs) must be a whole number of at least 1, got 0"),
    ],
)
def test_fit_mistakes_are_one_line_and_exit_2(
    ratings_csv: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "model"
    result = trainwell_cli("fit", ratings_csv, "--user", "uid", *args, "--out", out)
    assert result.exit_code == 2, result.explain()
    assert len(result.stderr_lines) == 1 and message in result.stderr
    assert not out.exists()


def test_fit_on_users_and_items_alone_trains_on_implicit_feedback(tmp_path: Path) -> None:
    clicks = tmp_path / "clicks.csv"
    rng = np.random.default_rng(0)
    pd.DataFrame({"uid": rng.integers(0, 30, 600), "sku": rng.integers(0, 40, 600)}).to_csv(
        clicks, index=False
    )
    result = trainwell_cli(
        "fit", clicks, "--user", "uid", "--item", "sku", "--epochs", "2", "--out", tmp_path / "m"
    )
    assert result.exit_code == 0, result.explain()
    assert "implicit feedback: 30 users" in result.stdout and "hit@10" in result.stdout
    # Clicks at random: nothing to learn, and the fit says so against both baselines, paired over the users.
    printed = " ".join(result.stdout.split())
    for baseline in ("the popularity ranking", "EASE"):
        assert f"ndcg@10: the model is not clearly better than {baseline}" in printed or (
            f"ndcg@10: the model is worse than {baseline}" in printed
        )
    assert printed.count("warning: ndcg@10") == 2 and "hit@10_ease" in printed
    assert (tmp_path / "m" / "trainwell.json").is_file()


def test_an_unnamed_extra_column_is_an_error_that_offers_both_readings(tmp_path: Path) -> None:
    table = tmp_path / "ratings.csv"
    pd.DataFrame({"uid": [1, 2, 3, 1], "sku": [5, 6, 7, 7], "points": [1, 5, 3, 4]}).to_csv(
        table, index=False
    )
    result = trainwell_cli("fit", table, "--user", "uid", "--item", "sku", "--out", tmp_path / "model")
    assert result.exit_code == 2, result.explain()
    assert len(result.stderr_lines) == 1
    assert "--target points" in result.stderr and "--implicit" in result.stderr


def test_recommend_on_a_table_model_is_one_error_line_from_the_real_command(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"x": rng.normal(size=120), "z": rng.normal(size=120)})
    table["y"] = 2 * table["x"] + rng.normal(scale=0.1, size=120)
    table_dir = tmp_path / "table-model"
    fit_table(table, "y", out=table_dir, epochs=1, lr=1e-2, progress=False)
    completed = run_trainwell("recommend", table_dir, "3")
    assert completed.returncode == 2, completed.stderr
    lines = [line for line in completed.stderr.splitlines() if line.strip()]
    assert lines == [
        f"error: '{table_dir}' is a tabular model; trainwell recommend needs a recommender (trainwell fit "
        "ratings.csv --user USER_COL --item ITEM_COL)"
    ]
    assert completed.stdout == ""


def test_a_rating_model_that_memorises_is_told_to_train_less() -> None:
    from trainwell.cli._show import _bias_verdict

    overfit = {"rmse": 1.02, "rmse_biases": 0.94, "train_loss": 0.10, "valid_loss": 1.03}
    (line,) = _bias_verdict(overfit)
    assert "memorises them; try fewer --epochs" in line and "more --epochs" not in line
    (stalled,) = _bias_verdict({**overfit, "train_loss": 1.2})
    assert "learned nothing personal yet" in stalled and "more --epochs" in stalled


def test_a_table_without_a_header_row_and_no_target_says_how_to_read_it(tmp_path: Path) -> None:
    frame = low_rank_ratings(seed=1, n_ratings=200).frame
    path = tmp_path / "u.data"
    frame.to_csv(path, sep="\t", header=False, index=False)  # as MovieLens writes it
    for command in ("fit", "evaluate"):
        result = trainwell_cli(command, path)
        assert result.exit_code == 2
        assert "its first row was read as the header" in result.stderr
        assert "--user user --item item --target rating" in result.stderr


def test_seen_and_report_read_a_headerless_file_in_the_models_columns(
    model_dir: Path, ratings_csv: Path, tmp_path: Path
) -> None:
    # The model was fitted on uid, sku, stars; a file without a header row (MovieLens' u.data) is read in the
    # model's own columns, as trainwell predict reads it, not as user, item, rating (which the model lacks).
    ratings = pd.read_csv(ratings_csv)
    headerless = tmp_path / "seen.data"
    ratings.to_csv(headerless, sep="\t", header=False, index=False)
    seen = set(ratings.loc[ratings["uid"] == 3, "sku"])
    result = trainwell_cli("recommend", model_dir, "3", "--top", "7", "--seen", headerless)
    assert result.exit_code == 0, result.explain()
    assert f"left out {len(seen)} items this user already chose: {len(seen)} in --seen" in result.stderr
    report = trainwell_cli("report", model_dir, "--data", headerless, "--out", tmp_path / "report.html")
    assert report.exit_code == 0, report.explain()
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert f"<dt>Evaluated on</dt><dd>{len(ratings):,} rated pairs from" in html


def test_fit_on_two_labels_says_which_one_recommend_ranks_by(tmp_path: Path) -> None:
    frame = low_rank_ratings(seed=1, n_ratings=300).frame
    frame["rating"] = np.where(frame["rating"] >= 3, "liked", "not liked")
    path = tmp_path / "opinions.csv"
    frame.to_csv(path, index=False)
    result = trainwell_cli(
        "fit", path, "--user", "user", "--item", "item", "--out", tmp_path / "m", "--epochs", "1"
    )
    assert result.exit_code == 0, result.explain()
    assert "scores are the chance of 'liked' (not 'not liked'): recommend ranks items by it" in result.stdout
    # A model directory with a space in its name is printed ready to paste into a shell.
    spaced = tmp_path / "my model"
    again = trainwell_cli("fit", path, "--user", "user", "--item", "item", "--out", spaced, "--epochs", "1")
    assert f"recommend with: trainwell recommend '{spaced}' USER_ID" in again.stdout


def test_from_items_reads_an_id_holding_a_comma_in_double_quotes(tmp_path: Path) -> None:
    frame = low_rank_ratings(seed=1, n_ratings=300).frame
    frame["item"] = frame["item"].map(lambda item: f"Film {item}, the sequel" if item == 4 else str(item))
    fit_ratings(frame, out=tmp_path / "m", epochs=1, progress=False)
    result = trainwell_cli(
        "recommend", tmp_path / "m", "--from-items", '"Film 4, the sequel", 7', "--top", "5"
    )
    assert result.exit_code == 0, result.explain()
    expected = trainwell.load(tmp_path / "m").recommend_from_items(["Film 4, the sequel", 7], k=5)
    assert csv_table(result.stdout)["item"].astype(str).tolist() == expected["item"].astype(str).tolist()


def test_predict_names_standard_input_when_its_columns_are_wrong(model_dir: Path) -> None:
    result = CliRunner().invoke(app, ["predict", str(model_dir), "-"], input="usr,film\n3,4\n")
    assert result.exit_code == 2, result.output
    assert "no column 'uid' nor 'sku' in standard input; its columns are: usr, film" in result.stderr


def test_export_checks_on_ratings_named_as_the_model_and_says_which_columns_lack(
    model_dir: Path, ratings_csv: Path, tmp_path: Path
) -> None:
    import shutil

    copy = tmp_path / "model"
    shutil.copytree(model_dir, copy)
    # A header-less file is read in the model's own columns (uid, sku, stars), as predict reads it.
    headerless = tmp_path / "check.data"
    pd.read_csv(ratings_csv).head(50).to_csv(headerless, sep="\t", header=False, index=False)
    result = trainwell_cli("export", copy, "--onnx", "--data", headerless)
    assert result.exit_code == 0, result.explain()
    assert "onnxruntime matches PyTorch on 50 rows from" in result.stdout + result.stderr
    # A table without them is one line in the command line's words, not the Python keyword.
    wrong = tmp_path / "wrong.csv"
    pd.DataFrame({"user": [3], "item": [4]}).to_csv(wrong, index=False)
    refused = trainwell_cli("export", copy, "--onnx", "--data", wrong)
    assert refused.exit_code == 2, refused.explain()
    assert "input columns 'uid', 'sku' missing from" in refused.stderr
    assert "allow_missing_columns" not in refused.stderr


def test_a_ratings_table_without_user_and_item_flags_is_pointed_at_the_recommender(tmp_path: Path) -> None:
    # fit ratings.csv suggested "--target label"; fit ratings.csv --target rating trained a table model on ids
    # read as numbers, in silence (recommend then refused the model).
    frame = low_rank_ratings(0, n_ratings=300).frame.rename(columns={"item": "movie"})
    frame["timestamp"] = np.arange(len(frame))
    path = tmp_path / "ratings.csv"
    frame.round({"rating": 0}).to_csv(path, index=False)
    asked = trainwell_cli("fit", path)
    assert asked.exit_code == 2
    assert (
        "for ratings, pass --user user --item movie --target rating (a recommender); to predict a column"
        in (" ".join(asked.stderr.split()))
    )
    tabled = trainwell_cli("fit", path, "--target", "rating", "--epochs", "1", "--out", tmp_path / "m")
    assert tabled.exit_code == 0, tabled.explain()
    assert (
        f"warning: '{path}' looks like a table of ratings ('user' rates 'movie'): as a table its ids are inputs "
        f"like any other, read as numbers or categories; a recommender learns each user's and item's taste: "
        f"trainwell fit {path} --user user --item movie --target rating"
    ) in " ".join(tabled.stderr.split())


def test_a_held_out_table_of_ratings_is_scored_once_after_training(tmp_path: Path) -> None:
    # MovieLens' u1.base beside u1.test: fit refused --test ("not used by a recommender").
    frame = low_rank_ratings(0, n_ratings=600).frame
    frame.iloc[:500].to_csv(tmp_path / "base.csv", index=False)
    frame.iloc[500:].to_csv(tmp_path / "test.csv", index=False)
    done = trainwell_cli("fit", tmp_path / "base.csv", "--user", "user", "--item", "item", "--target", "rating",
                         "--test", tmp_path / "test.csv", *FIT_OPTIONS, "--out", tmp_path / "m")  # fmt: skip
    assert done.exit_code == 0, done.explain()
    assert "test set (100 rows): rmse " in done.stdout
    scored = trainwell.load(tmp_path / "m").metadata["training"]["test"]
    predicted = trainwell.load(tmp_path / "m").predict(frame.iloc[500:])["prediction"].to_numpy()
    expected = float(np.sqrt(np.mean((predicted - frame.iloc[500:]["rating"].to_numpy()) ** 2)))
    assert scored["rmse"] == pytest.approx(expected, rel=1e-4)
    # interactions: refused once ("--test is not used by a recommender"); their test rows now judge the lists
    listed = trainwell_cli("fit", tmp_path / "base.csv", "--user", "user", "--item", "item", "--implicit",
                           "--epochs", "1", "--test", tmp_path / "test.csv", "--out", tmp_path / "i")  # fmt: skip
    assert listed.exit_code == 0, listed.explain()
    assert "relevant: every held-out interaction" in " ".join(listed.stdout.split())
