"""``--k``: how many places a recommender's top-N lists have when ``report --data`` and ``evaluate`` judge them
(precision@k, recall@k, hit@k, NDCG@k, MRR@k, MAP@k), the names following it; refused in one line for a k that
is no whole number of at least 1, and for models and data that are not a recommender's.

The model is made by hand: every item factor zero and item ``i``'s bias ``i / 10``, so that each user's list is
the items they have not rated, highest number first, and the figures below are worked out on paper.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from safetensors.torch import load_file, save_file
from typer.testing import CliRunner

import trainwell
from ratings_support import run_trainwell
from trainwell.cli.app import app
from trainwell.collab.evaluation_lists import fold_lists, lists_evaluation, lists_said
from trainwell.collab.pipeline import fit_ratings
from trainwell.core.errors import ConfigError
from trainwell.report._collab import collab_report_sections

#: Users 1-4 on items 1-8, ratings 1 to 5 (so 4 and 5 are relevant). Most rated: item 1 (3 users), then 3, 5 and 6
#: (2 each), then 2, 4, 7, 8: popularity's order 1, 3, 5, 6, 2, 4, 7, 8 (ties in the model's item order).
TRAIN = [
    (1, 1, 5), (1, 2, 1), (2, 1, 3), (2, 3, 4), (2, 4, 2), (3, 1, 4), (3, 5, 5), (3, 6, 2), (3, 7, 3), (3, 8, 1),
    (4, 5, 4), (4, 6, 1), (4, 3, 2),
]  # fmt: skip
#: User 1, who rated items 1 and 2, later liked 7, 4 and 3 (relevant) and not 6.
TEST = [(1, 7, 5), (1, 4, 5), (1, 3, 4), (1, 6, 2)]

# By hand. The model lists 8, 7, 6, 5, 4, 3 for user 1; relevant: 7, 4, 3.
#   top 5  [8, 7, 6, 5, 4]: relevant at places 2 and 5: precision 2/5, recall 2/3, MRR 1/2,
#          MAP (1/2 + 2/5) / 3 = 0.3
#   top 10 (6 items left): places 2, 5, 6: precision 3/10, recall 1, MRR 1/2, MAP (1/2 + 2/5 + 3/6) / 3 = 0.4667
# Popularity lists 3, 5, 6, 4, 7, 8 for user 1:
#   top 5  [3, 5, 6, 4, 7]: places 1, 4, 5: precision 3/5, recall 1, MRR 1, MAP (1 + 2/4 + 3/5) / 3 = 0.7
BY_HAND = {
    5: {"precision": 0.4, "recall": 2 / 3, "mrr": 0.5, "map": 0.3, "hit": 1.0},
    10: {"precision": 0.3, "recall": 1.0, "mrr": 0.5, "map": 1.4 / 3, "hit": 1.0},
}
POPULARITY_AT_5 = {"precision": 0.6, "recall": 1.0, "mrr": 1.0, "map": 0.7}


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    """The model directory of the hand-made model, and the held-out ratings beside it (``test.tsv``)."""
    root = tmp_path_factory.mktemp("list_k")
    train = pd.DataFrame(TRAIN, columns=["user", "item", "rating"])
    fit_ratings(train, out=root / "model", progress=False, valid_pct=0.0, epochs=1, seed=0)
    weights_file = root / "model" / "model.safetensors"
    weights = load_file(weights_file)
    codes = trainwell.load(root / "model").recipe.item_codes(pd.Series([str(item) for item in range(1, 9)]))
    weights["item_factors.weight"].zero_()
    for item, code in zip(range(1, 9), codes.tolist(), strict=True):
        weights["item_bias.weight"][code, 0] = item / 10
    save_file(weights, weights_file)
    test = pd.DataFrame(TEST, columns=["user", "item", "rating"])
    test.to_csv(root / "test.tsv", sep="\t", header=False, index=False)
    return root / "model", test


def trainwell_cli(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(arg) for arg in args], env={"COLUMNS": "200"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_the_hand_made_model_lists_as_worked_out(made: tuple[Path, pd.DataFrame]) -> None:
    predictor = trainwell.load(made[0])
    assert predictor.recommend(1, k=10)["item"].astype(int).tolist() == [8, 7, 6, 5, 4, 3]
    for k, expected in BY_HAND.items():
        found = predictor.evaluate_lists(made[1], k=k)
        assert found.users == 1 and found.relevant == 3
        for name, value in expected.items():
            assert getattr(found.model, name) == pytest.approx(value, abs=1e-12), (k, name)
    popular = predictor.evaluate_lists(made[1], k=5).popularity
    for name, value in POPULARITY_AT_5.items():
        assert getattr(popular, name) == pytest.approx(value, abs=1e-12), name


def test_a_folds_lists_are_named_and_scored_at_k(made: tuple[Path, pd.DataFrame]) -> None:
    predictor = trainwell.load(made[0])
    fold = fold_lists(predictor, made[1], seed=0, k=5)
    assert fold is not None
    assert set(fold["model"]) == {"ndcg@5", "hit@5", "precision@5", "recall@5", "mrr@5"}
    assert fold["model"]["precision@5"] == pytest.approx(0.4)
    assert fold["model"]["recall@5"] == pytest.approx(2 / 3)
    assert fold["popularity"]["mrr@5"] == pytest.approx(1.0)
    at_10 = fold_lists(predictor, made[1], seed=0)
    assert at_10 is not None and at_10["model"]["precision@10"] == pytest.approx(0.3)
    # two folds alike: the table is named at 5, precision, recall and MRR said under it
    splits = [(pd.RangeIndex(0).to_numpy(), pd.RangeIndex(4).to_numpy())] * 2
    evaluation, precision = lists_evaluation([fold, fold], splits, seed=0, k=5)
    assert evaluation is not None and all(name.endswith("@5") for name in evaluation.metrics)
    assert "top-5 lists" in (evaluation.subject or "") and precision["model"] == pytest.approx(0.4)
    said = lists_said([fold, fold], k=5)
    assert said["model"] == pytest.approx({"recall@5": 2 / 3, "mrr@5": 0.5})


def test_the_reports_lists_follow_k(made: tuple[Path, pd.DataFrame]) -> None:
    predictor = trainwell.load(made[0])
    _, at_5 = collab_report_sections(predictor, made[1], "test.tsv", top_k=5, k=5)
    html_5 = "\n".join(at_5)
    assert "Top-5 lists over all items" in html_5 and "precision@5 is 0.4000" in html_5
    assert "precision@10" not in html_5
    _, at_10 = collab_report_sections(predictor, made[1], "test.tsv", top_k=5)
    assert "precision@10 is 0.3000" in "\n".join(at_10)
    with pytest.raises(ConfigError, match="whole number of at least 1"):
        collab_report_sections(predictor, made[1], "test.tsv", top_k=5, k=0)


def test_report_k_on_the_command_line(made: tuple[Path, pd.DataFrame], tmp_path: Path) -> None:
    model_dir, _ = made
    data = model_dir.parent / "test.tsv"
    code, out, err = trainwell_cli(
        "report", model_dir, "--data", data, "--k", "5", "--out", tmp_path / "r.html"
    )
    assert code == 0, out + err
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Top-5 lists over all items" in page and "precision@5 is 0.4000" in page
    for bad, said in (("0", "greater than or equal to 1"), ("2.5", "is not a whole number; write e.g. 10")):
        # the real entry point, as a user runs it: one line on stderr, exit 2
        done = run_trainwell("report", model_dir, "--data", data, "--k", bad)
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert done.returncode == 2 and len(lines) == 1, (bad, done.stderr)
        assert lines[0].startswith("error:") and "--k" in lines[0] and said in lines[0], lines


def test_k_is_refused_for_a_model_that_is_no_recommender(
    made: tuple[Path, pd.DataFrame], tmp_path: Path
) -> None:
    other = tmp_path / "table_model"
    shutil.copytree(made[0], other)
    meta_file = other / "trainwell.json"
    metadata = json.loads(meta_file.read_text(encoding="utf-8"))
    metadata["application"] = "tabular"
    meta_file.write_text(json.dumps(metadata), encoding="utf-8")
    code, out, err = trainwell_cli("report", other, "--data", made[0].parent / "test.tsv", "--k", "5")
    assert code == 2 and "--k is the length of a recommender's top-N lists" in err, out + err
    assert len([line for line in err.splitlines() if line.strip()]) == 1


def test_evaluate_k_is_refused_for_tables_and_a_k_below_1(tmp_path: Path) -> None:
    table = tmp_path / "table.csv"
    pd.DataFrame({"x": range(20), "y": [0, 1] * 10}).to_csv(table, index=False)
    code, out, err = trainwell_cli("evaluate", table, "--target", "y", "--k", "5")
    assert code == 2 and "--k" in err and "recommenders" in err, out + err
    ratings = tmp_path / "ratings.csv"
    pd.DataFrame(TRAIN, columns=["user", "item", "rating"]).to_csv(ratings, index=False)
    # interactions take k (test_b1_lists_measures); a k that is no whole number of at least 1 is refused for both
    with pytest.raises(ConfigError, match="whole number of at least 1"):
        trainwell.evaluate_ratings(ratings, implicit=True, k=0)
    with pytest.raises(ConfigError, match="whole number of at least 1"):
        trainwell.evaluate_ratings(ratings, k=0)


def test_evaluate_k_names_the_lists_table_and_says_recall_and_mrr(tmp_path: Path) -> None:
    from ratings_support import low_rank_ratings

    ratings = tmp_path / "ratings.csv"
    low_rank_ratings(seed=1, n_users=40, n_items=30, n_ratings=600).frame.to_csv(ratings, index=False)
    code, out, err = trainwell_cli(
        "evaluate", ratings, "--user", "user", "--item", "item", "--target", "rating", "--cv", "2", "--epochs", "1",
        "--k", "5",
    )  # fmt: skip
    assert code == 0, out + err
    lists = out[out.index("top-5 lists") :]
    for name in (
        "ndcg@5",
        "hit@5",
        "precision@5",
        "recall@5, mean over the folds",
        "mrr@5, mean over the folds",
    ):
        assert name in lists, (name, lists)
    assert "@10" not in lists


def test_an_implicit_models_report_ranks_at_k(tmp_path: Path) -> None:
    from trainwell.report._implicit import implicit_report_sections

    interactions = pd.DataFrame(TRAIN + TEST, columns=["user", "item", "rating"])[["user", "item"]]
    fit_ratings(interactions, implicit=True, out=tmp_path / "model", progress=False, epochs=1, seed=0)
    predictor = trainwell.load(tmp_path / "model")
    _, sections = implicit_report_sections(predictor, interactions, "interactions", k=3)
    page = "\n".join(sections)
    assert "hit@3" in page and "ndcg@3" in page and "top 3" in page
    assert "hit@10" not in page and "top 10" not in page
