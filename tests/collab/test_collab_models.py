"""Tests for trainwell.collab.models, trainwell.collab.learner and trainwell.collab.pipeline: the architectures,
the unseen-id row, and that training recovers a known low-rank model."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import torch

from ratings_support import LowRankRatings, average_user_scores, low_rank_ratings, pair_scores, rmse
from trainwell.collab.data import chosen_items, ratings_data
from trainwell.collab.learner import DEFAULT_LR, UnknownAsAverage, collab_learner
from trainwell.collab.models import CollabNN, DotBias
from trainwell.collab.pipeline import RatingsRun, default_epochs, fit_ratings
from trainwell.core.errors import ConfigError
from trainwell.data.bundle import tensor_data
from trainwell.models.registry import create_model, list_models

Y_RANGE = (0.6, 5.4)


def codes(rows: list[tuple[int, int]]) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.long)


# --------------------------------------------------------------------------------------------- the models
def test_both_architectures_are_registered_for_collab() -> None:
    assert {"dot_bias", "collab_nn"} <= set(list_models())
    assert isinstance(create_model("dot_bias", n_users=5, n_items=4, n_factors=3), DotBias)
    assert isinstance(create_model("collab_nn", n_users=5, n_items=4, layers=[8]), CollabNN)


def test_dot_bias_is_the_bounded_sum_of_dot_product_and_biases() -> None:
    model = DotBias(n_users=5, n_items=4, n_factors=3, y_range=Y_RANGE)
    with torch.no_grad():
        for embedding in (model.user_factors, model.item_factors, model.user_bias, model.item_bias):
            embedding.weight.normal_(0.0, 1.0)
    pairs = codes([[1, 1], [4, 3], [2, 0], [0, 2]])
    output = model(pairs, torch.zeros(4, 0))
    assert output.shape == (4, 1)
    expected = pair_scores(model, pairs[:, 0].numpy(), pairs[:, 1].numpy())
    assert np.allclose(output.detach().reshape(-1).numpy(), expected, atol=1e-5)
    # Without a range the raw sum comes out (the logits of a liked/disliked task).
    model.y_range = None
    raw = model(pairs).detach().reshape(-1).numpy()
    assert np.allclose(raw, pair_scores(model, pairs[:, 0].numpy(), pairs[:, 1].numpy()), atol=1e-5)
    assert not np.allclose(raw, expected, atol=0.1)


def test_fresh_models_start_near_the_middle_of_the_scale_with_row_zero_empty() -> None:
    model = DotBias(n_users=50, n_items=30, n_factors=10, y_range=Y_RANGE)
    with torch.no_grad():
        output = model(torch.randint(0, 30, (200, 2)))
    # Factors and biases of std 0.01: every first prediction is within a few hundredths of the middle, 3.0.
    assert float(output.mean()) == pytest.approx(3.0, abs=0.01)
    assert float((output - 3.0).abs().max()) < 0.1
    for embedding in (model.user_factors, model.item_factors, model.user_bias, model.item_bias):
        assert torch.count_nonzero(embedding.weight[0]) == 0
        assert 0.005 < float(embedding.weight.detach()[1:].std()) < 0.02


@pytest.mark.parametrize("arch", ["dot_bias", "collab_nn"])
def test_row_zero_takes_no_gradient(arch: str) -> None:
    config = {"n_factors": 4} if arch == "dot_bias" else {"layers": [8], "dropout": 0.0}
    model = create_model(arch, n_users=6, n_items=5, y_range=Y_RANGE, **config)
    pairs = codes([[0, 1], [2, 0], [0, 0], [3, 4]])
    model(pairs).sum().backward()
    embeddings = [m for m in model.modules() if isinstance(m, torch.nn.Embedding)]
    assert len(embeddings) == (4 if arch == "dot_bias" else 2)
    for embedding in embeddings:
        grad = embedding.weight.grad
        assert torch.count_nonzero(grad[0]) == 0
        assert torch.count_nonzero(grad[1:]) > 0  # the known rows in the batch did get one


@pytest.mark.parametrize("arch", ["dot_bias", "collab_nn"])
def test_refresh_unknown_sets_row_zero_to_the_mean_of_known_rows(arch: str) -> None:
    config = {"n_factors": 4} if arch == "dot_bias" else {"layers": [8]}
    model = create_model(arch, n_users=6, n_items=5, y_range=Y_RANGE, **config)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.normal_(0.0, 1.0)
    model.refresh_unknown()
    for embedding in (m for m in model.modules() if isinstance(m, torch.nn.Embedding)):
        weight = embedding.weight.detach()
        assert torch.allclose(weight[0], weight[1:].mean(dim=0), atol=1e-7)
        assert torch.count_nonzero(weight[0]) == weight.shape[1]


def test_collab_nn_output_stays_in_range() -> None:
    model = CollabNN(n_users=8, n_items=6, layers=(16,), dropout=0.0, y_range=Y_RANGE).eval()
    with torch.no_grad():
        model.head.bias.fill_(50.0)  # a raw score far above the range
        high = model(torch.randint(0, 6, (20, 2)))
        model.head.bias.fill_(-50.0)
        low = model(torch.randint(0, 6, (20, 2)))
    assert high.shape == (20, 1)
    # The sigmoid saturates at the ends of the range, never beyond (float32 rounding aside).
    assert torch.allclose(high, torch.full_like(high, Y_RANGE[1]), atol=1e-5)
    assert torch.allclose(low, torch.full_like(low, Y_RANGE[0]), atol=1e-5)


@pytest.mark.parametrize("model_class", [DotBias, CollabNN])
def test_outside_training_predictions_are_clipped_to_the_ratings_seen(model_class: type) -> None:
    model = model_class(n_users=8, n_items=6, y_range=Y_RANGE, clip=(1.0, 5.0))
    last = model.head if isinstance(model, CollabNN) else model.user_bias
    with torch.no_grad():
        (last.bias if isinstance(model, CollabNN) else last.weight).fill_(50.0)  # far above the scale
    pairs = torch.randint(1, 6, (10, 2))
    trained = model.train()(pairs)
    assert trained.max() > 5.3  # training keeps the widened range (its ends stay reachable)
    assert torch.equal(model.eval()(pairs), torch.full_like(trained, 5.0))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"clip": (5.0, 1.0)}, "clip must be \\(low, high\\) with low <= high"),
        ({"y_range": (5.0, 1.0)}, "y_range must be \\(low, high\\) with low < high"),
        ({"y_range": (2.0, 2.0)}, "low < high, got \\(2.0, 2.0\\)"),
        ({"n_out": 2}, "one score per \\(user, item\\) pair; got n_out=2"),
    ],
)
@pytest.mark.parametrize("model_class", [DotBias, CollabNN])
def test_models_refuse_bad_settings(model_class: type, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        model_class(5, 4, **kwargs)


# --------------------------------------------------------------------------------------------- the learner
def test_chosen_items_are_each_users_known_pairs_of_training_and_validation_once() -> None:
    frame = pd.DataFrame(
        {
            "user": ["a", "a", "a", "b", "b", "c", "a", "new"],
            "item": ["x", "y", "x", "y", "z", "x", "z", "x"],
            "rating": [5, 3, 4, 2, 1, 4, 5, 3],
        }
    )
    # Rows 0-5 train; 6 (a, z: a known pair's items) and 7 (a new user) validate.
    data = ratings_data(frame, splits=([0, 1, 2, 3, 4, 5], [6, 7]))
    offsets, items = chosen_items(data)
    recipe = data.recipe
    by_user = {
        user: sorted(recipe.items[i - 1] for i in items[offsets[code] : offsets[code + 1]])
        for user, code in zip("abc", recipe.user_codes(list("abc")), strict=True)
    }
    assert by_user == {"a": ["x", "y", "z"], "b": ["y", "z"], "c": ["x"]}  # "x" twice, once; "new" aside
    assert offsets[0] == offsets[1] == 0 and len(offsets) == recipe.n_users + 1


def test_collab_learner_sizes_the_model_from_the_data() -> None:
    frame = low_rank_ratings(n_ratings=400).frame
    data = ratings_data(frame, valid_pct=0.25)
    learn = collab_learner(data, n_factors=7, progress=False)
    model = learn.model
    assert isinstance(model, DotBias)
    assert model.user_factors.weight.shape == (data.recipe.n_users, 7)
    assert model.item_factors.weight.shape == (data.recipe.n_items, 7)
    assert model.y_range == pytest.approx(tuple(data.model_hints["y_range"]))
    assert model.clip == (data.recipe.rating_min, data.recipe.rating_max)
    offsets, items = chosen_items(data)
    assert learn.model_spec == {
        "name": "dot_bias",
        "config": {**data.model_hints, "n_factors": 7, "n_seen": len(items)},
    }
    assert model.seen_offsets.tolist() == offsets.tolist() and model.seen_items.tolist() == items.tolist()
    assert learn.get_callback(UnknownAsAverage) is not None
    assert (learn.lr, learn.wd) == (DEFAULT_LR, 0.1)

    nn_learn = collab_learner(data, arch="collab_nn", layers=(12,), dropout=0.2, progress=False)
    assert isinstance(nn_learn.model, CollabNN)
    assert nn_learn.model_spec["config"] == {
        **data.model_hints,
        "layers": [12],
        "dropout": 0.2,
        "n_seen": len(items),
    }


def test_collab_learner_refuses_other_data() -> None:
    data = tensor_data(torch.randn(20, 3), torch.randn(20))
    with pytest.raises(ConfigError, match="collab_learner needs data from ratings_data"):
        collab_learner(data)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": 0}, "epochs (--epochs) must be a whole number of at least 1, got 0"),
        ({"lr": 0.0}, "lr (--lr) must be above 0 and below 10"),
    ],
)
def test_fit_ratings_refuses_bad_settings_before_training(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        fit_ratings(low_rank_ratings(n_ratings=100).frame, progress=False, **kwargs)


@pytest.mark.parametrize(("n_batches", "expected"), [(1, 30), (25, 20), (100, 5), (157, 5), (10_000, 5)])
def test_default_epochs_take_about_five_hundred_steps(n_batches: int, expected: int) -> None:
    assert default_epochs(n_batches) == expected


# --------------------------------------------------------------------------------------------- learning
@pytest.fixture(scope="module")
def truth() -> LowRankRatings:
    return low_rank_ratings(seed=0)


@pytest.fixture(scope="module")
def run(truth: LowRankRatings) -> RatingsRun:
    """The recommended recipe with every default (20 epochs on 1,600 training ratings, batches of 64)."""
    return fit_ratings(truth.frame, progress=False)


def test_fit_ratings_beats_the_global_mean_by_far(run: RatingsRun) -> None:
    assert len(run.learn.history) == 20  # ceil(500 steps / 25 batches)
    assert run.lr == DEFAULT_LR and run.model_dir is None
    predictions, targets = run.learn.get_preds()
    assert targets is not None
    valid_ratings = targets.numpy()
    model_rmse = rmse(predictions.numpy(), valid_ratings)
    baseline = rmse(np.full_like(valid_ratings, run.data.recipe.rating_mean), valid_ratings)
    assert baseline > 1.0  # the synthetic ratings spread widely
    assert model_rmse < 0.5 * baseline
    # The recorded metric is this RMSE, on these rows.
    assert run.metrics["rmse"] == pytest.approx(model_rmse, rel=1e-4)
    assert len(valid_ratings) == 400


def test_unknown_rows_hold_the_mean_after_training(run: RatingsRun) -> None:
    model = run.learn.model
    for embedding in (model.user_factors, model.item_factors, model.user_bias, model.item_bias):
        weight = embedding.weight.detach()
        assert torch.allclose(weight[0], weight[1:].mean(dim=0), atol=1e-6)
        assert float(weight[0].abs().sum()) > 0  # not the zeros it started with


def test_cold_start_validation_rows_are_scored_as_the_average_user(truth: LowRankRatings) -> None:
    frame = truth.frame
    # Users 1..5 appear only in validation: the model has never seen them.
    newcomer = frame["user"] <= 5
    splits = (np.flatnonzero(~newcomer), np.flatnonzero(newcomer))
    # fold_in=False: average_user_scores averages every user row, and a fold-in would add users 1..5 after training
    # (test_collab_fold_in checks that validation scores the same either way).
    run = fit_ratings(frame, epochs=5, lr=3e-2, progress=False, splits=splits, fold_in=False)
    x_cat = run.data.valid.tensors[0]
    assert (x_cat[:, 0] == 0).all()
    predictions, targets = run.learn.get_preds()
    expected = average_user_scores(run.learn.model, x_cat[:, 1].numpy())
    assert np.allclose(predictions.numpy(), expected, atol=1e-5)
    # The last validation during training already scored them so (row 0 is refreshed before validating).
    assert run.metrics["rmse"] == pytest.approx(rmse(expected, targets.numpy()), rel=1e-4)
    # Not a constant: the average user still prefers some items to others.
    assert np.ptp(expected) > 1.0


def test_collab_nn_learns_too() -> None:
    truth = low_rank_ratings(seed=2)
    run = fit_ratings(truth.frame, arch="collab_nn", epochs=5, lr=1e-2, progress=False)
    assert isinstance(run.learn.model, CollabNN)
    predictions, targets = run.learn.get_preds()
    baseline = rmse(np.full(len(targets), run.data.recipe.rating_mean), targets.numpy())
    assert rmse(predictions.numpy(), targets.numpy()) < 0.6 * baseline


def test_same_seed_same_model() -> None:
    frame = low_rank_ratings(seed=1, n_ratings=600).frame
    first, second = (fit_ratings(frame, epochs=2, lr=1e-2, progress=False, seed=3) for _ in range(2))
    other = fit_ratings(frame, epochs=2, lr=1e-2, progress=False, seed=4)
    first_state, second_state = first.learn.model.state_dict(), second.learn.model.state_dict()
    assert all(torch.equal(first_state[name], second_state[name]) for name in first_state)
    assert not torch.equal(
        first_state["user_factors.weight"], other.learn.model.state_dict()["user_factors.weight"]
    )


def test_binary_ratings_train_with_logits_and_beat_the_majority() -> None:
    frame = low_rank_ratings(seed=4).frame
    frame["liked"] = np.where(frame.pop("rating") >= 3.0, "yes", "no")
    run = fit_ratings(frame, epochs=5, lr=3e-2, progress=False)
    assert run.data.task.kind == "binary" and run.learn.model.y_range is None
    probabilities, targets = run.learn.get_preds()
    assert float(probabilities.min()) >= 0.0 and float(probabilities.max()) <= 1.0
    accuracy = float(((probabilities >= 0.5).float() == targets).float().mean())
    majority = float(pd.Series(targets.numpy()).value_counts(normalize=True).max())
    assert accuracy > majority + 0.15
    assert run.metrics["accuracy"] == pytest.approx(accuracy, abs=1e-6)


def test_each_epoch_reports_the_bias_baseline_on_the_same_rows_and_the_model_beats_it() -> None:
    from trainwell.collab.baselines import BiasBaseline

    frame = low_rank_ratings(0).frame
    run = fit_ratings(frame, epochs=5, progress=False, seed=0)
    train_rows, valid_rows = run.data.train.tensors[0].shape[0], run.data.valid.tensors[0].shape[0]
    assert train_rows + valid_rows == len(frame)
    # The same split, recomputed from the raw table: the baseline fitted on its training rows by hand.
    from trainwell.data.bundle import random_split

    train_index, valid_index = random_split(len(frame), 0.2, 0)
    train, valid = frame.iloc[train_index], frame.iloc[valid_index]
    by_hand = BiasBaseline.fit(train["user"], train["item"], train["rating"]).predict(
        valid["user"], valid["item"]
    )
    expected = rmse(by_hand, valid["rating"].to_numpy())
    for row in run.learn.history:
        assert row["rmse_biases"] == pytest.approx(expected, rel=1e-9)
    assert run.learn.history[-1]["rmse"] < 0.8 * expected
