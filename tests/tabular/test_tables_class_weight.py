"""``class_weight="balanced"`` (``--class-weight balanced``) for a table's classes, the MLP's and the trees' (tour58
#4): before, only ``gbdt_settings={"class_weight": ...}`` or a hand-made loss reached it, undocumented."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import log_loss, recall_score
from sklearn.utils.class_weight import compute_class_weight

import trainwell
from trainwell.core.errors import ConfigError
from trainwell.tabular.class_weights import BalancedCrossEntropy, balanced_weights


def rare_table(n_rows: int = 1500, seed: int = 0) -> pd.DataFrame:
    """About 8% positives, partly predictable: unweighted models call few rows positive at 0.5."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x": rng.normal(size=n_rows), "z": rng.normal(size=n_rows)})
    frame["kind"] = rng.choice(["a", "b", "c"], n_rows)
    frame["y"] = np.where(frame["x"] + 0.8 * rng.normal(size=n_rows) > 1.7, "yes", "no")
    return frame


def test_balanced_weights_are_scikit_learns() -> None:
    targets = torch.tensor([0, 0, 0, 1, 2, 2, 0, 1, 0, 0])
    expected = compute_class_weight("balanced", classes=np.arange(3), y=targets.numpy())
    np.testing.assert_allclose(balanced_weights(targets, 3).numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("binary", [True, False])
def test_the_weighted_loss_is_the_sample_weighted_log_loss(binary: bool) -> None:
    generator = torch.Generator().manual_seed(0)
    n_classes = 2 if binary else 3
    targets = torch.randint(0, n_classes, (64,), generator=generator)
    targets[:3] = torch.arange(n_classes).repeat(2)[:3]
    weights = balanced_weights(targets, n_classes)
    outputs = torch.randn(64, 1 if binary else n_classes, generator=generator)
    loss = BalancedCrossEntropy(weights, binary)(outputs, targets.float() if binary else targets)
    probabilities = torch.sigmoid(outputs[:, 0]).numpy() if binary else torch.softmax(outputs, 1).numpy()
    # the weights of these rows sum to their count, so the mean of weighted losses is scikit-learn's weighted mean
    expected = log_loss(targets.numpy(), probabilities, sample_weight=weights[targets].numpy(),
                        labels=list(range(n_classes)))  # fmt: skip
    assert float(loss) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("arch", ["gbdt", "mlp"])
def test_balanced_classes_raise_the_rare_class_recall_and_are_recorded(arch: str, tmp_path: Path) -> None:
    frame = rare_table()
    runs = {
        weighted: trainwell.fit_table(
            frame, "y", arch=arch, progress=False, out=tmp_path / str(weighted), seed=0,
            **({"class_weight": "balanced"} if weighted else {}),
        )
        for weighted in (False, True)
    }  # fmt: skip
    recall = {}
    for weighted, run in runs.items():
        valid = frame.iloc[run.data.valid_index]
        answers = run.learn.predict(valid.drop(columns="y"))
        recall[weighted] = recall_score(valid["y"], answers["prediction"], pos_label="yes")
    assert recall[True] > recall[False] + 0.15
    written = json.loads((tmp_path / "True" / "trainwell.json").read_text())
    assert written["training"]["loss"] == "BalancedCrossEntropy"
    if arch == "gbdt":
        assert written["architecture"]["config"]["settings"]["class_weight"] == "balanced"
        assert runs[True].learn.model.settings["class_weight"] == "balanced"


def test_auto_validates_both_architectures_with_the_weighted_loss() -> None:
    run = trainwell.fit_table(rare_table(), "y", class_weight="balanced", progress=False, seed=0)
    assert run.compared is not None
    for (
        name,
        row,
    ) in run.compared.items():  # a weighted loss: far above the unweighted one's ~0.2 at 8% positives
        assert row["valid_loss"] > 0.3, name


@pytest.mark.parametrize(
    ("target", "task", "said"),
    [("x", None, r"'x' holds numbers: drop class_weight"), ("tags", "multilabel", r"several labels a row")],
)
def test_class_weights_are_refused_for_targets_without_one_class_a_row(
    target: str, task: str | None, said: str
) -> None:
    frame = rare_table(200)
    frame["tags"] = np.where(frame["z"] > 0, "p;q", "q")
    keywords = {"task": task, "label_delim": ";"} if task else {}
    with pytest.raises(ConfigError, match=r"^class_weight='balanced' weighs the classes .*" + said):
        trainwell.fit_table(frame.drop(columns="y" if target != "y" else []), target, class_weight="balanced",
                            progress=False, **keywords)  # fmt: skip


def test_an_unknown_class_weight_is_refused_before_the_data_is_read() -> None:
    with pytest.raises(ConfigError, match=r"class_weight 'even' is not known: class_weight='balanced'"):
        trainwell.fit_table("no-such-file.csv", "y", class_weight="even")


def test_a_loss_and_class_weights_together_are_refused() -> None:
    from trainwell.losses import BCEWithLogits

    with pytest.raises(ConfigError, match="pass it or loss=, not both"):
        trainwell.fit_table(rare_table(200), "y", arch="mlp", class_weight="balanced", epochs=1, lr=1e-3,
                            learner_kwargs={"loss": BCEWithLogits()}, progress=False)  # fmt: skip
