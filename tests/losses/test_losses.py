"""Every loss against torch.nn.functional (and a hand formula), including shape reconciliation."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from trainwell.core.errors import ConfigError
from trainwell.data import Task
from trainwell.losses import MAE, MSE, BCEWithLogits, CrossEntropy, Huber, create_loss, loss_for_task, losses

N = 8


def generator(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def binary_batch(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A binary model's ``(N, 1)`` logits and the ``(N,)`` float targets that Task.encode gives."""
    g = generator(seed)
    return torch.randn(N, 1, generator=g) * 2, torch.randint(0, 2, (N,), generator=g).float()


def regression_batch(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = generator(seed)
    return torch.randn(N, 1, generator=g) * 3, torch.randn(N, generator=g) * 3


# ------------------------------------------------------------------------------------------------ BCE
def test_bce_reshapes_binary_output_to_the_target() -> None:
    output, target = binary_batch()
    expected = F.binary_cross_entropy_with_logits(output.reshape(-1), target)
    torch.testing.assert_close(create_loss("bce")(output, target), expected)
    # Hand formula: -mean(t log p + (1 - t) log(1 - p)).
    p = torch.sigmoid(output.reshape(-1))
    hand = -(target * p.log() + (1 - target) * (1 - p).log()).mean()
    torch.testing.assert_close(create_loss("bce")(output, target), hand)


def test_bce_on_multilabel_matrices() -> None:
    g = generator(1)
    output, target = torch.randn(N, 3, generator=g), torch.randint(0, 2, (N, 3), generator=g).float()
    torch.testing.assert_close(
        create_loss("bce")(output, target), F.binary_cross_entropy_with_logits(output, target)
    )


def test_bce_label_smoothing_pulls_targets_towards_one_half() -> None:
    output, target = binary_batch(2)
    smoothed = target * 0.8 + 0.1  # eps = 0.2: 1 -> 0.9, 0 -> 0.1
    expected = F.binary_cross_entropy_with_logits(output.reshape(-1), smoothed)
    torch.testing.assert_close(create_loss("bce", label_smoothing=0.2)(output, target), expected)
    assert not torch.allclose(create_loss("bce")(output, target), expected)


def test_bce_pos_weight_scales_the_positive_term() -> None:
    output, target = binary_batch(3)
    weight = torch.tensor([3.0])
    p = torch.sigmoid(output.reshape(-1))
    hand = -(3.0 * target * p.log() + (1 - target) * (1 - p).log()).mean()
    torch.testing.assert_close(create_loss("bce", pos_weight=weight)(output, target), hand)


def test_bce_accepts_integer_targets() -> None:
    output, target = binary_batch(4)
    torch.testing.assert_close(create_loss("bce")(output, target.long()), create_loss("bce")(output, target))


# --------------------------------------------------------------------------------------- cross-entropy
def multiclass_batch(seed: int = 0, classes: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    g = generator(seed)
    return torch.randn(N, classes, generator=g), torch.randint(0, classes, (N,), generator=g)


def test_cross_entropy_matches_functional_and_hand_formula() -> None:
    output, target = multiclass_batch()
    loss = create_loss("cross_entropy")(output, target)
    torch.testing.assert_close(loss, F.cross_entropy(output, target))
    hand = -output.log_softmax(-1)[torch.arange(N), target].mean()
    torch.testing.assert_close(loss, hand)


def test_cross_entropy_label_smoothing_mixes_in_the_uniform_distribution() -> None:
    output, target = multiclass_batch(1)
    eps = 0.1
    log_p = output.log_softmax(-1)
    hand = ((1 - eps) * -log_p[torch.arange(N), target] + eps * -log_p.mean(-1)).mean()
    loss = create_loss("cross_entropy", label_smoothing=eps)(output, target)
    torch.testing.assert_close(loss, hand)
    torch.testing.assert_close(loss, F.cross_entropy(output, target, label_smoothing=eps))


def test_cross_entropy_class_weights_and_float_codes() -> None:
    output, target = multiclass_batch(2)
    weight = torch.tensor([1.0, 2.0, 0.5, 4.0])
    expected = F.cross_entropy(output, target, weight=weight)
    torch.testing.assert_close(create_loss("cross_entropy", weight=weight)(output, target), expected)
    # Codes stored as floats (e.g. after a collate) still index classes.
    torch.testing.assert_close(create_loss("cross_entropy", weight=weight)(output, target.float()), expected)


@pytest.mark.parametrize(("name", "option"), [("cross_entropy", "weight"), ("bce", "pos_weight")])
def test_class_weights_follow_the_outputs_device(name: str, option: str) -> None:
    # The Learner moves the model, never the loss; "meta" stands in for a GPU: a mixed-device call raises.
    output = torch.randn(N, 3, device="meta")
    target = torch.zeros(N, dtype=torch.long, device="meta") if name == "cross_entropy" else output.clone()
    loss = create_loss(name, **{option: torch.ones(3)})(output, target)
    assert loss.device.type == "meta"
    assert loss.shape == ()


# ---------------------------------------------------------------------------------------- regression
@pytest.mark.parametrize(
    ("name", "reference"),
    [("mse", F.mse_loss), ("mae", F.l1_loss), ("huber", F.huber_loss)],
)
def test_regression_losses_reshape_single_output_to_the_target(name: str, reference) -> None:
    output, target = regression_batch()
    loss = create_loss(name)(output, target)
    torch.testing.assert_close(loss, reference(output.reshape(-1), target))
    # Without reconciliation, (N, 1) against (N,) would broadcast to an (N, N) grid: a different number.
    with pytest.warns(UserWarning):
        broadcast = reference(output, target)
    assert not torch.allclose(loss, broadcast)


def test_regression_hand_formulas() -> None:
    output, target = regression_batch(1)
    diff = output.reshape(-1) - target
    torch.testing.assert_close(create_loss("mse")(output, target), (diff**2).mean())
    torch.testing.assert_close(create_loss("mae")(output, target), diff.abs().mean())
    delta = 1.5
    huber = torch.where(diff.abs() <= delta, 0.5 * diff**2, delta * (diff.abs() - 0.5 * delta)).mean()
    torch.testing.assert_close(create_loss("huber", delta=delta)(output, target), huber)


def test_regression_with_several_targets_and_integer_targets() -> None:
    g = generator(2)
    output, target = torch.randn(N, 2, generator=g), torch.randn(N, 2, generator=g)
    torch.testing.assert_close(create_loss("mse")(output, target), F.mse_loss(output, target))
    counts = torch.randint(0, 5, (N,), generator=g)
    torch.testing.assert_close(
        create_loss("mae")(output[:, :1], counts), F.l1_loss(output[:, 0], counts.float())
    )


def test_low_precision_outputs_give_a_float32_loss() -> None:
    output, target = binary_batch(5)
    loss = create_loss("bce")(output.bfloat16(), target)
    assert loss.dtype == torch.float32
    torch.testing.assert_close(
        loss, F.binary_cross_entropy_with_logits(output.bfloat16().float().reshape(-1), target)
    )


# ------------------------------------------------------------------------------------ registry, tasks
def test_every_registered_loss_is_tested_here() -> None:
    # A new loss must come with a reference test in this file.
    assert losses.names() == ["bce", "cross_entropy", "huber", "mae", "mse", "token_cross_entropy"]


def test_token_cross_entropy_is_the_mean_over_labelled_tokens() -> None:
    g = generator(7)
    output = torch.randn(3, 4, 5, generator=g)
    target = torch.randint(0, 5, (3, 4), generator=g)
    target[1, 2:] = -100  # padding after a shorter sentence
    target[2, 1:] = -100
    labelled = target != -100
    by_hand = -torch.log_softmax(output, -1)[labelled].gather(1, target[labelled].unsqueeze(1)).mean()
    torch.testing.assert_close(create_loss("token_cross_entropy")(output, target), by_hand)


@pytest.mark.parametrize("name", losses.names())
def test_every_loss_returns_a_differentiable_scalar(name: str) -> None:
    g = generator(6)
    if name == "token_cross_entropy":
        output = torch.randn(N, 4, 3, generator=g, requires_grad=True)
        target = torch.randint(0, 3, (N, 4), generator=g)
        loss = create_loss(name)(output, target)
        assert loss.shape == ()
        loss.backward()
        assert output.grad is not None and torch.isfinite(output.grad).all()
        return
    output = torch.randn(N, 3 if name == "cross_entropy" else 1, generator=g, requires_grad=True)
    target = torch.randint(0, 3 if name == "cross_entropy" else 2, (N,), generator=g)
    loss = create_loss(name)(output, target)
    assert loss.shape == ()
    loss.backward()
    assert output.grad is not None and torch.isfinite(output.grad).all() and output.grad.abs().sum() > 0


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        (Task("binary", (0, 1)), BCEWithLogits),
        (Task("multiclass", ("a", "b", "c")), CrossEntropy),
        (Task("multilabel", ("x", "y")), BCEWithLogits),
        (Task("regression"), MSE),
    ],
)
def test_loss_for_task(task: Task, expected: type) -> None:
    assert type(loss_for_task(task)) is expected


def test_create_loss_by_name_and_options() -> None:
    assert isinstance(create_loss("mae"), MAE)
    assert create_loss("huber", delta=2.0).delta == 2.0
    assert create_loss("cross_entropy", label_smoothing=0.1).label_smoothing == 0.1
    assert isinstance(create_loss("huber"), Huber)


def test_unknown_loss_names_the_known_ones() -> None:
    with pytest.raises(
        ConfigError,
        match=r"unknown loss 'focal'; known: bce, cross_entropy, huber, mae, mse, token_cross_entropy",
    ):
        create_loss("focal")
