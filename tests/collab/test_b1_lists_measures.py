"""A recommender's report shows every measure of its top-N lists that the command line says, and ``evaluate --k``
reaches the cross-validation of interactions.

* ``report --data`` on a ratings model: the lists' table held precision@k, hit@k and NDCG@k alone, while
  ``fit --test`` and ``evaluate_lists`` also say recall@k, MRR@k and MAP@k; now one row a measure, the model's and
  popularity's figures each with its 95% interval over users, and what the measure means.
* an implicit model's report: mrr@k beside hit@k and ndcg@k, for the model and each baseline.
* ``evaluate --k 5`` on interactions stopped with "is for the top-N lists of ratings"; now each fold's held-out
  interactions are judged at k (hit@k, ndcg@k), the baselines' too.

The ratings model is test_collab_list_k's hand-made one (item ``i``'s bias ``i / 10``, factors zero), whose
figures are worked out on paper there.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from safetensors.torch import load_file, save_file
from test_collab_list_k import BY_HAND, POPULARITY_AT_5, TEST, TRAIN, trainwell_cli

import trainwell
from trainwell.collab.pipeline import fit_ratings
from trainwell.report._collab import collab_report_sections


@pytest.fixture(scope="module")
def hand_made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """test_collab_list_k's hand-made ratings model: user 1's list is 8, 7, 6, 5, 4, 3."""
    root = tmp_path_factory.mktemp("b1_lists")
    fit_ratings(
        pd.DataFrame(TRAIN, columns=["user", "item", "rating"]),
        out=root / "model",
        progress=False,
        valid_pct=0.0,
        epochs=1,
        seed=0,
    )
    weights_file = root / "model" / "model.safetensors"
    weights = load_file(weights_file)
    codes = trainwell.load(root / "model").recipe.item_codes(pd.Series([str(item) for item in range(1, 9)]))
    weights["item_factors.weight"].zero_()
    for item, code in zip(range(1, 9), codes.tolist(), strict=True):
        weights["item_bias.weight"][code, 0] = item / 10
    save_file(weights, weights_file)
    return root / "model"


def _row(page: str, name: str) -> list[str]:
    """The cells of the table row whose first cell is ``name``."""
    found = re.search(rf"<tr><td>{re.escape(name)}</td>(.*?)</tr>", page)
    assert found is not None, (name, page)
    return re.findall(r"<td[^>]*>(.*?)</td>", found.group(1))


def test_the_reports_lists_table_has_recall_mrr_and_map_with_intervals(hand_made: Path) -> None:
    predictor = trainwell.load(hand_made)
    test = pd.DataFrame(TEST, columns=["user", "item", "rating"])
    _, sections = collab_report_sections(predictor, test, "test.tsv", top_k=5, k=5)
    page = next(section for section in sections if "Top-5 lists over all items" in section)
    model, popular = BY_HAND[5], POPULARITY_AT_5
    for name, key in (
        ("recall@5", "recall"),
        ("MRR@5", "mrr"),
        ("MAP@5", "map"),
        ("precision@5", "precision"),
    ):
        cells = _row(page, name)
        # the model's figure, its interval, popularity's, its interval, what it means
        assert cells[0] == f"{model[key]:.4f}" and cells[2] == f"{popular[key]:.4f}", (name, cells)
        # one user judged: every resample is that user, so each interval is the figure itself
        assert cells[1] == f"[{model[key]:.4f}, {model[key]:.4f}]", (name, cells)
        assert cells[3] == f"[{popular[key]:.4f}, {popular[key]:.4f}]", (name, cells)
        assert len(cells[4].split()) > 5, (name, cells)  # the words
    assert _row(page, "hit@5")[0] == "1.0000" and "NDCG@5" in page and "items listed" in page
    found = predictor.evaluate_lists(test, k=5)
    assert (found.model.mrr_low, found.model.map_high) == pytest.approx((0.5, 0.3))


def test_evaluate_k_judges_each_folds_interactions_at_k(tmp_path: Path) -> None:
    # 4 users on 8 items: at k = 8 every held-out item is in every top 8, whatever the model learned
    table = tmp_path / "interactions.csv"
    pd.DataFrame(TRAIN + TEST, columns=["user", "item", "rating"])[["user", "item"]].to_csv(
        table, index=False
    )
    out = tmp_path / "cv.json"
    code, stdout, stderr = trainwell_cli(
        "evaluate", table, "--user", "user", "--item", "item", "--implicit", "--cv", "2", "--epochs", "1",
        "--k", "8", "--json", out,
    )  # fmt: skip
    assert code == 0, stdout + stderr
    assert "hit@8" in stdout and "hit@10" not in stdout
    text = out.read_text(encoding="utf-8")
    assert "hit@10" not in text and "ndcg@10" not in text
    found = json.loads(text)
    assert json.dumps(found).count("hit@8") >= 2  # the model's and the baselines'


@pytest.fixture(scope="module")
def tuned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """``tune --implicit --test`` of one trial on 24 users x 12 items, each user's first item held out as the test
    table (every item trains others): the kept model's directory, the test table and what the command printed."""
    root = tmp_path_factory.mktemp("b1_tune")
    rows = [(step, user, (user * 3 + step) % 12 + 1) for user in range(1, 25) for step in range(6)]
    train, test = root / "train.csv", root / "test.csv"
    for path, held in ((train, False), (test, True)):
        kept_rows = [(user, item) for step, user, item in rows if (step == 0) == held]
        pd.DataFrame(kept_rows, columns=["user", "item"]).to_csv(path, index=False)
    code, stdout, stderr = trainwell_cli(
        "tune", train, "--user", "user", "--item", "item", "--implicit", "--test", test, "--trials", "1",
        "--search", "epochs=1", "--out", root / "kept",
    )  # fmt: skip
    assert code == 0, stdout + stderr
    return root / "kept", test, stdout


def test_tune_test_judges_the_kept_recommenders_lists_on_the_test_table(
    tuned: tuple[Path, Path, str],
) -> None:
    # tune --user ... --test was refused ("--test is not used by a recommender"); fit --test judges a
    # recommender's lists on it, and so does tune now, the kept model's
    model_dir, test, stdout = tuned
    said = stdout[stdout.index("test set top-10 lists") :]
    kept = trainwell.load(model_dir).evaluate_lists(pd.read_csv(test))
    assert kept is not None and f"precision@10 {kept.model.precision:.3f}" in said, said
    assert f"map@10 {kept.model.map:.3f}" in said and "popularity" in said


def test_an_implicit_models_report_says_mrr_for_the_model_and_the_baselines(
    tuned: tuple[Path, Path, str],
) -> None:
    from trainwell.report._implicit import implicit_report_sections

    model_dir, test, _ = tuned
    interactions = pd.concat([pd.read_csv(model_dir.parent / "train.csv"), pd.read_csv(test)])
    _, sections = implicit_report_sections(trainwell.load(model_dir), interactions, "interactions", k=3)
    page = sections[0]
    for suffix in ("", "_popularity", "_ease"):
        hit, mrr = float(_row(page, f"hit@3{suffix}")[0]), float(_row(page, f"mrr@3{suffix}")[0])
        assert hit / 3 - 1e-4 <= mrr <= hit + 1e-4, (suffix, hit, mrr)  # one held-out item, within the top 3
        assert _row(page, f"mrr@3{suffix}")[1].startswith("[")
    assert "MAP@3 is mrr@3" in page
