"""A cross-validated text classifier whose folds are at chance is said so once, for every fold ("5 of 5 folds did
not beat always answering ... 'neg'"): each fold warned on its own (BaselineNotBeaten), the gist of the warnings
only dedupes the same words, so 'not above it' and 'above it by less than chance allows' folds made two lines
of one fold's numbers each. (Under torchrun: tests/distributed/test_distributed_evaluate.py.)"""

from __future__ import annotations

import warnings

import numpy as np

from text_samples import reviews
from trainwell.evaluate.cv import FoldVerdict, cross_validate, keep_fold_verdict
from trainwell.metrics.label_baselines import BaselineNotBeaten
from trainwell.text.evaluation import evaluate_texts
from trainwell.text.majority import folds_at_chance_warning


def _fold(majority: str, accuracy: float, beaten: bool, budgeted: bool = False) -> FoldVerdict:
    details = {"majority": majority, "accuracy": accuracy, "baseline": 0.5, "budgeted": budgeted}
    return FoldVerdict(folds_at_chance_warning, {**details, "beaten": beaten})


def test_the_folds_verdicts_read_as_one_sentence() -> None:
    said = folds_at_chance_warning(
        [
            _fold("neg", 0.5, False),
            _fold("neg", 0.9, True),
            _fold("neg", 0.52, False),
            _fold("neg", 0.48, False),
        ]
    )
    assert isinstance(said, BaselineNotBeaten)
    assert str(said) == (
        "3 of 4 folds did not beat always answering the training rows' most common class, 'neg' (validation "
        "accuracy 0.480 to 0.520, that answer right on 0.500 of the validation rows; not above it, or above it by "
        "less than chance allows): the model has learned nothing usable yet; train longer (more epochs)"
    )
    assert said.command_line is not None and said.command_line.endswith("train longer (--epochs)")
    mixed = folds_at_chance_warning([_fold("neg", 0.5, False), _fold("pos", 0.5, False, budgeted=True)])
    assert "class, by fold: 'neg' in 1, 'pos' in 1 (validation accuracy 0.500," in str(mixed)
    assert mixed is not None and mixed.command_line is not None and "(a longer --time)" in mixed.command_line
    assert folds_at_chance_warning([_fold("neg", 0.9, True)]) is None


def test_cross_validate_says_its_folds_verdicts_once_and_a_fit_outside_folds_warns_as_before() -> None:
    y = np.array([0, 1] * 10)

    def fold(train: np.ndarray, valid: np.ndarray, number: int) -> dict[str, float]:
        assert keep_fold_verdict(_fold("neg", 0.5, beaten=number == 0))
        return {"n": float(len(valid))}

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cross_validate(20, y, fold, k=4)
    said = [str(w.message) for w in caught if issubclass(w.category, BaselineNotBeaten)]
    assert len(said) == 1 and said[0].startswith("3 of 4 folds did not beat"), said
    assert not keep_fold_verdict(_fold("neg", 0.5, False))  # outside a fold: the check warns itself


def test_evaluate_texts_at_chance_warns_once_for_all_its_folds() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        evaluate_texts(
            reviews(200, positive_every=2),
            "sentiment",
            text_col="review",
            cv=3,
            epochs=1,
            lr=1e-6,
            baselines=False,
        )
    said = [str(w.message) for w in caught if issubclass(w.category, BaselineNotBeaten)]
    assert len(said) == 1, said
    assert said[0].startswith(
        "3 of 3 folds did not beat always answering the training rows' most common class"
    )
