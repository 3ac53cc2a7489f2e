"""Grouped folds (``evaluate --groups``) keep their groups whole inside each fold too: the fifth of a fold's training
rows on which ``--decision-threshold`` chooses its threshold (and, for tables, the MLP keeps its epoch and
``--arch auto`` chooses) holds whole groups, never rows of a group whose other rows the inner model trained on. Before,
that fifth was drawn row by row and a third of the groups of a table landed on both sides, which flatters the
threshold chosen there."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import trainwell.evaluate.spread as spread
from trainwell.evaluate.evaluation import inner_order, inner_rows
from trainwell.tabular.evaluation import evaluate_table
from trainwell.vision.evaluation import ImageFold, evaluate_images


class _Stop(Exception):
    """Raised in place of the folds' training: the test reads the fold function it was given."""


def _captured(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What the evaluation hands the cross-validation (``fold``, ``splits``), filled in when it is called, which
    then raises :class:`_Stop` in place of training the folds."""
    seen: dict[str, Any] = {}

    def capture(fold: Any, splits: Any, **_: Any) -> Any:
        seen.update(fold=fold, splits=splits)
        raise _Stop

    monkeypatch.setattr(spread, "cross_validate_spread", capture)
    return seen


def _straddling(groups: np.ndarray, held: np.ndarray, kept: np.ndarray) -> set[Any]:
    return set(groups[held]) & set(groups[kept])


def test_inner_order_holds_out_whole_groups_about_a_fifth() -> None:
    rng = np.random.default_rng(1)
    groups = np.repeat([f"g{i}" for i in range(40)], rng.integers(1, 8, size=40))
    train = np.arange(len(groups))[rng.random(len(groups)) < 0.8]
    for seed in range(5):
        order, n_inner = inner_order(train, seed, groups)
        assert sorted(order) == sorted(train)
        assert not _straddling(groups, order[:n_inner], order[n_inner:])
        assert abs(n_inner - 0.2 * len(train)) <= 7  # the nearest whole groups: one group's rows at most off
        kept, held = inner_rows(train, seed, groups)
        assert list(held) == list(order[:n_inner]) and list(kept) == list(order[n_inner:])
    assert [list(part) for part in inner_rows(train, 3, groups)] == [
        list(part) for part in inner_rows(train, 3, groups)
    ]


def test_inner_order_without_groups_is_the_row_split_as_before() -> None:
    train = np.arange(3, 103)
    order, n_inner = inner_order(train, 7)
    assert list(order) == list(np.random.default_rng(7).permutation(train)) and n_inner == 20
    one_group = np.array(["a"] * 103)  # a single group cannot be split: rows are, as before
    assert list(inner_order(train, 7, one_group)[0]) == list(order)


def test_evaluate_table_splits_each_folds_inner_fifth_by_its_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    group = np.repeat(np.arange(30), 4)
    frame = pd.DataFrame(
        {
            "patient": [f"p{i}" for i in group],
            "x": rng.normal(size=30)[group] + 0.1 * rng.normal(size=len(group)),
            "y": (rng.random(30)[group] > 0.5).astype(int),
        }
    )
    seen = _captured(monkeypatch)
    with pytest.warns(UserWarning, match="left out of the inputs"), pytest.raises(_Stop):
        evaluate_table(
            frame, "y", cv=3, groups="patient", decision_threshold="f1", arch="mlp", baselines=False
        )
    patients = frame["patient"].to_numpy()
    for index, (train, valid) in enumerate(seen["splits"]):
        order, n_inner = seen["fold"]._inner_split(train, index)
        assert 0 < n_inner < len(order) and sorted(order) == sorted(train)
        assert not _straddling(patients, order[:n_inner], order[n_inner:]), f"fold {index}"
        assert not _straddling(patients, train, valid)


def test_an_image_folds_threshold_is_chosen_on_whole_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    group = np.repeat(np.arange(20), 5)
    images = rng.integers(0, 255, size=(len(group), 16, 16, 3), dtype=np.uint8)
    labels = ["cat" if g % 2 else "dog" for g in group]
    seen = _captured(monkeypatch)
    with pytest.raises(_Stop):
        evaluate_images(images, labels=labels, cv=2, groups=group, baselines=False, decision_threshold="f1")
    fold: ImageFold = seen["fold"]
    fitted: list[tuple[np.ndarray, np.ndarray]] = []

    def fit(train: np.ndarray, valid: np.ndarray, index: int, budget: Any) -> tuple[Any, ...]:
        import torch

        fitted.append((train, valid))  # the inner fit: answers for its held-out images, without training
        return None, None, None, torch.full((len(valid), 2), 0.5), torch.zeros(len(valid), dtype=torch.long)

    monkeypatch.setattr(fold, "_fit", fit)
    for index, (train, _) in enumerate(seen["splits"]):
        fold._threshold(train, index)
    assert len(fitted) == 2
    for inner_train, inner_valid in fitted:
        assert len(inner_valid) and not _straddling(group, inner_valid, inner_train)


def test_a_text_folds_threshold_is_chosen_on_whole_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    from trainwell.text.evaluation import TextFold, evaluate_texts

    group = np.repeat(np.arange(20), 4)
    frame = pd.DataFrame(
        {
            "text": [
                f"review {index} by author {g} {'great fun' if g % 2 else 'dull plot'}"
                for index, g in enumerate(group)
            ],
            "label": ["pos" if g % 2 else "neg" for g in group],
            "author": group,
        }
    )
    seen = _captured(monkeypatch)
    with pytest.raises(_Stop):
        evaluate_texts(
            frame, "label", text_col="text", cv=2, groups="author", baselines=False, decision_threshold="f1"
        )
    fold: TextFold = seen["fold"]
    fitted: list[tuple[np.ndarray, np.ndarray]] = []

    def fit(train: np.ndarray, valid: np.ndarray, index: int) -> Any:
        fitted.append((train, valid))  # the inner fit, stopped before it trains
        raise _Stop

    monkeypatch.setattr(fold, "_fit", fit)
    for index, (train, _) in enumerate(seen["splits"]):
        with pytest.raises(_Stop):
            fold._threshold(train, index)
    assert len(fitted) == 2
    for inner_train, inner_valid in fitted:
        assert len(inner_valid) and not _straddling(group, inner_valid, inner_train)


def test_the_threshold_line_says_the_fifth_held_whole_groups() -> None:
    from trainwell.data.task import Task
    from trainwell.evaluate.cv import CVResult
    from trainwell.evaluate.evaluation import Evaluation

    def evaluation(groups: tuple[str, int] | None) -> Evaluation:
        folds = CVResult([{"f1": 0.7}, {"f1": 0.8}])
        return Evaluation(
            Task("binary", classes=(0, 1)), 40, folds, {}, [1e-3, 1e-3], groups=groups,
            decision="f1", decision_thresholds=[0.4, 0.45],
        )  # fmt: skip

    grouped = evaluation(("'patient'", 10)).decision_line()
    assert (
        grouped is not None
        and "a fifth of its training rows (whole groups, as the folds keep them)" in grouped
    )
    plain = evaluation(None).decision_line()
    assert (
        plain is not None
        and "whole groups" not in plain
        and "a fifth of its training rows, held out" in plain
    )
