"""EASE as a servable recommender (``--arch ease``): the closed form itself, checked against an explicit
inverse; the same ranking as the baseline it replaces; the artifact, the command line and real HTTP."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from test_collab_implicit import ITEMS_PER_GROUP, grouped_interactions
from typer.testing import CliRunner

import trainwell
from trainwell.cli.app import app
from trainwell.collab import collab_learner, ratings_data
from trainwell.collab import ease as ease_module
from trainwell.collab.baselines import EASE
from trainwell.collab.ease import EASEModel, _platt
from trainwell.collab.implicit import held_out_ranks, model_scores
from trainwell.collab.ranking import item_id, rank_items, seen_in_training
from trainwell.core.errors import ArtifactError, ConfigError, DataError
from trainwell.distributed import distribute
from trainwell.export.onnx import export_onnx

runner = CliRunner()


def _dense_ease(users: np.ndarray, items: np.ndarray, n_users: int, n_items: int, lam: float) -> np.ndarray:
    """``X B`` with ``B = I - P / diag(P)``, ``P = (XᵀX + λI)⁻¹``, written out densely (item 0 unused)."""
    x = np.zeros((n_users, n_items))
    x[users, items] = 1.0
    x[:, 0] = 0.0
    gram = x.T @ x + lam * np.eye(n_items)
    inverse = np.linalg.inv(gram)
    weights = np.eye(n_items) - inverse / np.diag(inverse)
    weights[0, :] = weights[:, 0] = 0.0
    return x @ weights


def test_scores_are_the_closed_form_whatever_the_chunking(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    n_users, n_items = 12, 9
    users, items = rng.integers(1, n_users, 60), rng.integers(1, n_items, 60)
    model = EASEModel.fit(users, items, n_users, n_items, lam=3.0)
    expected = _dense_ease(users, items, n_users, n_items, 3.0)
    grid = torch.cartesian_prod(torch.arange(n_users), torch.arange(n_items))
    a, b = model.calibration.tolist()
    for chunk in (1 << 22, n_items * 2, 1):  # all users at once, two at a time, one at a time
        monkeypatch.setattr(ease_module, "CHUNK_SCORES", chunk)
        shuffled = torch.randperm(len(grid), generator=torch.Generator().manual_seed(1))
        raw = ((model(grid[shuffled]).reshape(-1) - b) / a).numpy()
        got = np.empty(len(grid))
        got[shuffled.numpy()] = raw
        got = got.reshape(n_users, n_items)
        np.testing.assert_allclose(got[1:, 1:], expected[1:, 1:], atol=1e-5)
        np.testing.assert_allclose(got[:, 0], 0.0, atol=1e-6)  # an unknown item scores nothing
        # A user never seen in training gets the average known user's scores.
        np.testing.assert_allclose(got[0, 1:], expected[1:, 1:].mean(axis=0), atol=1e-5)
    assert a > 0


def test_calibration_is_the_logistic_fit_and_keeps_the_order() -> None:
    rng = np.random.default_rng(1)
    scores = rng.normal(size=4000)
    targets = (rng.random(4000) < 1 / (1 + np.exp(-(2.0 * scores - 1.0)))).astype(float)
    a, b = _platt(scores, targets)
    assert abs(a - 2.0) < 0.2 and abs(b + 1.0) < 0.15  # the generating logistic model, found again
    # Scores that run against the interactions must not reverse the ranking.
    assert _platt(scores, (scores < 0).astype(float))[0] > 0
    # Separable data stays finite.
    assert np.isfinite(_platt(scores, (scores > 0).astype(float))).all()


def test_ease_ranks_exactly_like_the_baseline_and_learns_the_groups() -> None:
    data = ratings_data(grouped_interactions(), batch_size=64)
    learn = collab_learner(data, arch="ease", progress=False)
    before = [p.clone() for p in learn.model.parameters()]
    learn.fit(1)
    assert all(torch.equal(p, q) for p, q in zip(before, learn.model.parameters(), strict=True))
    row = learn.history[-1]
    assert np.isnan(row["train_loss"]) and row["hit@10"] >= 0.95
    assert "hit@10_ease" not in row  # no bar against itself; popularity stays
    assert row["hit@10"] > row["hit@10_popularity"] + 0.3
    ranking = data.valid.ranking
    rows = np.arange(len(ranking.users))
    baseline, baseline_ranks = EASE.fit_on(ranking, rows)
    assert learn.model.lam == baseline.lam
    ranks = held_out_ranks(model_scores(learn.model, ranking.n_items, torch.device("cpu")), ranking, rows)
    np.testing.assert_array_equal(ranks, baseline_ranks)


def test_ease_refuses_ratings_big_catalogues_and_torchrun(monkeypatch: pytest.MonkeyPatch) -> None:
    ratings = grouped_interactions().assign(stars=lambda f: 1 + f["timestamp"] % 5)
    data = ratings_data(ratings, rating="stars", batch_size=64)
    with pytest.raises(ConfigError, match="--implicit"):
        collab_learner(data, arch="ease")
    monkeypatch.setattr("trainwell.collab.baselines.MAX_EASE_ITEMS", 10)
    implicit = ratings_data(grouped_interactions(), batch_size=64)
    with pytest.raises(ConfigError, match="stops at 10 items; this data has 36"):
        collab_learner(implicit, arch="ease")
    monkeypatch.undo()
    learn = collab_learner(implicit, arch="ease", progress=False)
    with pytest.raises(ConfigError, match=r"closed form.*without torchrun"):
        distribute(learn)


@pytest.fixture(scope="module")
def ease_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ease") / "model"
    trainwell.fit_ratings(grouped_interactions(), out=out, arch="ease", batch_size=64, progress=False)
    return out


def test_an_ease_artifact_recommends_within_the_group(ease_dir: Path) -> None:
    frame = grouped_interactions()
    predictor = trainwell.load(ease_dir)
    assert isinstance(predictor.model, EASEModel)
    seen = frame.loc[frame["user"] == "u2-5", "item"].tolist()
    top = predictor.recommend("u2-5", k=ITEMS_PER_GROUP - len(seen) + 1, exclude=seen)
    # Every unseen item of the user's group comes first (the last place goes to another group).
    assert all(200 <= item < 300 for item in top["item"][:-1]) and not set(top["item"]) & set(seen)
    assert top["score"].between(0, 1).all() and top["score"].is_monotonic_decreasing
    similar = predictor.similar_items(105, k=5)
    assert all(100 <= item < 200 for item in similar["item"])
    newcomer = predictor.recommend("never-seen", k=3)
    assert not newcomer["known_user"].any() and len(newcomer) == 3
    assert len(set(predictor.predict(frame.iloc[:5])["prediction"])) >= 1


def test_what_a_user_chose_is_left_out_unless_asked_for(ease_dir: Path) -> None:
    frame = grouped_interactions()
    predictor = trainwell.load(ease_dir)
    chose = seen_in_training(predictor, "u2-5")
    # Everything the user chose, the latest (held out for validation) included: it is not news to them.
    assert sorted(chose) == sorted(set(frame.loc[frame["user"] == "u2-5", "item"]))
    code = int(predictor.recipe.user_codes(["u2-5"])[0])
    offsets = predictor.model.history_offsets
    assert int(offsets[code + 1] - offsets[code]) == len(chose) - 1  # EASE scores from the training ones only
    everything = len(predictor.recipe.items)
    ranked = predictor.recommend("u2-5", k=everything)
    assert len(ranked) == everything - len(chose) and not set(chose) & set(ranked["item"])
    assert rank_items(predictor, "u2-5", 5).seen_left_out == len(chose)
    kept = predictor.recommend("u2-5", k=everything, include_seen=True)
    assert len(kept) == everything and set(chose) <= set(kept["item"][: len(chose) + ITEMS_PER_GROUP])
    # Leaving them out by hand gives the same ranking; an item in both lists is counted once.
    by_hand = predictor.recommend("u2-5", k=10, exclude=chose, include_seen=True)
    assert by_hand["item"].tolist() == ranked["item"][:10].tolist()
    assert rank_items(predictor, "u2-5", 5, exclude=chose[:2]).seen_left_out == len(chose) - 2
    assert seen_in_training(predictor, "never-seen") == []


@pytest.mark.parametrize("arch", ["dot_bias", "collab_nn"])
def test_a_factor_model_keeps_what_each_user_chose(tmp_path: Path, arch: str) -> None:
    frame = grouped_interactions()
    out = tmp_path / arch
    trainwell.fit_ratings(frame, out=out, epochs=1, progress=False, arch=arch)
    predictor = trainwell.load(out)
    chose = seen_in_training(predictor, "u2-5")
    assert sorted(chose) == sorted(set(frame.loc[frame["user"] == "u2-5", "item"]))
    ranked = predictor.recommend("u2-5", k=10_000)
    assert len(ranked) == len(predictor.recipe.items) - len(chose)
    assert len(predictor.recommend("u2-5", k=10_000, include_seen=True)) == len(predictor.recipe.items)


def _as_written_before(model_dir: Path, tmp_path: Path) -> Path:
    """A copy of ``model_dir`` as trainwell wrote it before models kept what each user chose."""
    import json
    import shutil

    from safetensors.torch import load_file, save_file

    old = tmp_path / f"{model_dir.name}-old"
    shutil.copytree(model_dir, old)
    metadata = json.loads((old / "trainwell.json").read_text())
    del metadata["architecture"]["config"]["n_seen"]
    (old / "trainwell.json").write_text(json.dumps(metadata))
    weights = {k: v for k, v in load_file(old / "model.safetensors").items() if not k.startswith("seen_")}
    save_file(weights, old / "model.safetensors")
    return old


def test_models_written_before_still_load_and_rank(ease_dir: Path, tmp_path: Path) -> None:
    frame = grouped_interactions()
    factor = tmp_path / "dot"
    trainwell.fit_ratings(frame, out=factor, epochs=1, progress=False)
    old_factor = trainwell.load(_as_written_before(factor, tmp_path))
    assert seen_in_training(old_factor, "u2-5") == []  # nothing kept: every item is ranked
    assert len(old_factor.recommend("u2-5", k=10_000)) == len(old_factor.recipe.items)
    assert old_factor.recommend("u2-5", k=5)["item"].tolist() == (
        trainwell.load(factor).recommend("u2-5", k=5, include_seen=True)["item"].tolist()
    )
    old_ease = trainwell.load(_as_written_before(ease_dir, tmp_path))
    chose = seen_in_training(old_ease, "u2-5")  # its training history, the held-out item aside
    assert len(chose) == len(set(frame.loc[frame["user"] == "u2-5", "item"])) - 1


def test_the_command_line_fits_recommends_and_exports_onnx(ease_dir: Path, tmp_path: Path) -> None:
    table = tmp_path / "interactions.csv"
    grouped_interactions().to_csv(table, index=False)
    out = tmp_path / "m"
    result = runner.invoke(
        app,
        [
            "fit",
            str(table),
            "--user",
            "user",
            "--item",
            "item",
            "--implicit",
            "--arch",
            "ease",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (
        "ease: fitted in closed form on" in result.output and "Validation results (binary)" in result.output
    )
    assert "train_loss" not in result.output.split("Validation results")[1]  # nothing was trained
    # No batch was trained: curves would be one validation dot on an empty batch axis, so none are drawn.
    assert not (out / "curves.png").exists() and (out / "history.csv").is_file()
    assert f"model directory: {out}\n" in result.output and "training curves" not in result.output
    assert "hit@10_ease" not in result.output
    result = runner.invoke(app, ["recommend", str(out), "u0-1", "--seen", str(table), "--top", "3"])
    assert result.exit_code == 0, result.output
    assert all(0 <= int(line.split(",")[2]) < 100 for line in result.stdout.strip().splitlines()[1:])
    # Without --seen the model's own record of the training items leaves them out, and says so.
    chose = seen_in_training(trainwell.load(out), "u0-1")
    result = runner.invoke(app, ["recommend", str(out), "u0-1", "--top", "1000"])
    assert result.exit_code == 0, result.output
    assert f"left out {len(chose)} items this user already chose" in result.output
    listed = [
        int(line.split(",")[2]) for line in result.output.strip().splitlines() if line.startswith("u0-1,")
    ]
    n_items = len(trainwell.load(out).recipe.items)
    assert len(listed) == n_items - len(chose) and not set(chose) & set(listed)
    result = runner.invoke(app, ["recommend", str(out), "u0-1", "--top", "1000", "--include-seen"])
    listed = [
        int(line.split(",")[2]) for line in result.output.strip().splitlines() if line.startswith("u0-1,")
    ]
    assert set(chose) & set(listed) and "left out" not in result.output
    result = runner.invoke(app, ["export", str(out), "--onnx"])
    assert result.exit_code == 0, result.output
    assert "onnxruntime matches PyTorch" in result.output and (out / "model.onnx").exists()
    # The ONNX graph ranks exactly as PyTorch does, for a known and a new user.
    from trainwell.export.onnx_predictor import OnnxPredictor

    for user in ("u0-1", "nobody"):
        onnx_top = rank_items(OnnxPredictor(out), user, 5)
        torch_top = trainwell.load(out).recommend(user, k=5)
        assert onnx_top.items == torch_top["item"].tolist()
        # The ONNX predictor reads the training items from the weights file: the same ones are left out.
        assert onnx_top.seen_left_out == rank_items(trainwell.load(out), user, 5).seen_left_out
        assert (onnx_top.seen_left_out > 0) is (user == "u0-1")
        np.testing.assert_allclose(onnx_top.scores, torch_top["score"], rtol=1e-5, atol=1e-6)
    ratings = tmp_path / "ratings.csv"
    grouped_interactions().assign(stars=3).assign(stars=lambda f: 1 + f["timestamp"] % 5).to_csv(
        ratings, index=False
    )
    result = runner.invoke(
        app, ["fit", str(ratings), "--user", "user", "--item", "item", "--target", "stars", "--arch", "ease"]
    )
    assert result.exit_code != 0 and "--implicit" in result.output and "Traceback" not in result.output


def test_a_graph_onnxruntime_cannot_run_is_a_clear_refusal(
    ease_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Traced as it runs in PyTorch (a lookup of varying length per user, not the dense form), EASE gives a
    # graph that fails or disagrees at run time: either way an ArtifactError naming what to do, nothing written.
    monkeypatch.setattr(EASEModel, "onnx_module", lambda self: self)
    with pytest.raises(ArtifactError, match="nothing was written"):
        export_onnx(ease_dir)
    assert not (ease_dir / "model.onnx").exists()
    # The dense form has a size limit: above it, a one-line refusal that names the way out.
    monkeypatch.undo()
    monkeypatch.setattr(ease_module, "MAX_ONNX_HISTORY_CELLS", 100)
    with pytest.raises(ArtifactError, match=r"dense users x items matrix.*serve it with PyTorch"):
        export_onnx(ease_dir)
    assert not (ease_dir / "model.onnx").exists()


def test_from_items_is_exactly_the_ranking_of_a_training_user_with_those_items(ease_dir: Path) -> None:
    predictor = trainwell.load(ease_dir)
    model = predictor.model
    code = int(predictor.recipe.user_codes(["u1-3"])[0])
    start, end = model.history_offsets[code : code + 2].tolist()  # the user's training items (not validation)
    seen = [item_id(predictor.recipe.items[i - 1]) for i in model.history_items[start:end].tolist()]
    as_user = predictor.recommend("u1-3", k=8, exclude=seen, include_seen=True)  # not its held-out item
    with pytest.warns(UserWarning, match=r"items \['unknown-item'\] were not in the training ratings"):
        as_basket = predictor.recommend_from_items(
            [*seen, seen[0], "unknown-item"], k=8
        )  # repeats count once
    assert as_basket["item"].tolist() == as_user["item"].tolist()
    np.testing.assert_allclose(as_basket["score"], as_user["score"], rtol=1e-5)
    kept = predictor.recommend_from_items(seen, k=len(seen) + 3, exclude_given=False)
    assert set(seen) <= set(kept["item"])  # the basket's own items score highest
    with pytest.raises(DataError, match="none of the items"):
        predictor.recommend_from_items(["unknown-item"])
