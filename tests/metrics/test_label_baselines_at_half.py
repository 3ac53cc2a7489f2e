"""A multi-label model whose labels are all decided at 0.5 (tune_thresholds=False, --no-label-thresholds) is held
to the trivial answers too, in the words of the tuned case: only a fit whose thresholds were chosen was checked,
so one at 0.5 that beat neither answering no label anywhere nor the most frequent label set said nothing."""

from __future__ import annotations

import warnings

import torch

from multilabel_samples import TABLE_DELIM, tagged_rows
from trainwell.automl.table import tune_table
from trainwell.learner.label_thresholds import choose_label_thresholds
from trainwell.metrics.label_baselines import BaselineNotBeaten, label_baseline_warning, label_baselines
from trainwell.tabular import fit_table

TRUTH = torch.tensor(
    [[0, 0, 1], [0, 0, 1], [1, 0, 1], [0, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0], [0, 0, 1]],
    dtype=torch.float32,
)


def _said(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, BaselineNotBeaten)]


def test_an_f1_short_at_half_where_accuracy_beats_names_the_thresholds_it_went_without() -> None:
    baselines = label_baselines(TRUTH, ["a", "b", "c"])  # best accuracy 17/24 (no label), best f1 4/9
    row = {"accuracy": 0.80, "f1": 0.30}
    said = label_baseline_warning(row, baselines, thresholds_tuned=False)
    assert isinstance(said, BaselineNotBeaten)
    assert str(said).startswith("the model's decisions do not beat a trivial answer: f1 0.3000 against 0.")
    assert (
        "(accuracy 0.8000 does beat them): every label is decided at 0.5, which rare labels seldom reach"
        in (str(said))
    )
    assert str(said).endswith(
        "per-label thresholds chosen for F1 (tune_thresholds=True) or training longer (more epochs) lift it"
    )
    assert (
        said.command_line is not None
        and "(leave out --no-label-thresholds) or training longer (--epochs)" in (said.command_line)
    )
    # The tuned case keeps its words.
    tuned = label_baseline_warning(row, baselines)
    assert tuned is not None and "every label is decided at 0.5" not in str(tuned)


def test_a_fit_at_half_that_learned_nothing_is_warned_in_the_tuned_case_words() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = fit_table(
            tagged_rows(400, 0), "tags", epochs=1, lr=1e-5, progress=False, label_delim=TABLE_DELIM, seed=0,
            tune_thresholds=False,
        )  # fmt: skip
    # fit_table holds its decisions at 0.5 to the trivial answers itself (it skipped the check before).
    said = _said(caught)
    assert len(said) == 1, said
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert choose_label_thresholds(run.learn, tune=False) is None  # the contract: no thresholds, None
    row = run.learn.history[-1]
    assert "accuracy_tuned" not in row and row["accuracy"] < 0.58  # the no answer is right on 0.58 of them
    said = _said(caught)
    assert len(said) == 1, said
    assert said[0].startswith(
        f"the model's decisions do not beat a trivial answer: accuracy {row['accuracy']:.4f}"
    )
    assert said[0].endswith(
        "it has learned nothing usable yet: train longer (more epochs, or a longer time_budget) or check the labels"
    )


def test_a_search_kept_at_half_is_held_to_them_too() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tune_table(
            tagged_rows(400, 0), "tags", n_trials=1, label_delim=TABLE_DELIM, tune_thresholds=False,
            search={"epochs": 1, "lr": 1e-5},
        )  # fmt: skip
    said = _said(caught)
    assert len(said) == 1 and "it has learned nothing usable yet" in said[0], said
