"""The references the verdicts and sentences judge a model against (tour53's audit): F1 against answering the
positive class everywhere, not the majority class; a baseline scoring below chance is no evidence; a table of
few rows says so; the log-loss, accuracy, F1 and R² sentences give the figures a reader can check; and compare
ends with one conclusion naming A and B."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from trainwell.data.task import Task
from trainwell.evaluate.baselines import baseline_result
from trainwell.evaluate.compare import ALWAYS_POSITIVE, score, verdict_lines, verdicts
from trainwell.evaluate.cv import CVResult, fold_indices
from trainwell.evaluate.explain import explain_validation, small_sample_caution

METRICS = ["accuracy", "roc_auc", "f1", "recall"]


def _scored(y: np.ndarray, splits: list, predict) -> tuple[list[dict[str, float]], list]:
    folds, out_of_fold = [], []
    for _, valid in splits:
        preds = torch.tensor(predict(valid), dtype=torch.float32)
        targets = torch.from_numpy(y[valid])
        folds.append(score(preds, targets, "binary", METRICS))
        out_of_fold.append((valid, preds, targets))
    return folds, out_of_fold


def _setup(rate: float, model_noise: float = 0.6, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = (rng.random(600) < rate).astype(np.int64)
    splits = fold_indices(y, 5, seed=0)
    noise = rng.random(600)
    folds, predictions = _scored(
        y, splits, lambda v: np.clip(y[v] * (1 - model_noise) + noise[v] * model_noise, 0, 1)
    )
    constant_folds, constant_oof = _scored(
        y, splits, lambda v: np.full(len(v), float(np.mean(np.delete(y, v))))
    )
    majority = baseline_result("majority class", constant_folds, splits, constant_oof, "binary")
    return y, splits, CVResult(folds, splits), predictions, majority


@pytest.mark.parametrize("rate", [0.38, 0.58])  # the majority class is '0' (Titanic), then '1' (SST-2)
def test_f1_is_judged_against_answering_the_positive_class_everywhere(rate: float) -> None:
    y, splits, model, predictions, majority = _setup(rate)
    found = verdicts(model, {"majority class": majority}, model_predictions=predictions)
    by = {(v.metric, v.baseline): v for v in found}
    # no F1 (nor recall) verdict against the majority class: 0 or 2p/(1+p) by which class is commoner
    assert ("f1", "majority class") not in by and ("recall", "majority class") not in by
    assert ("accuracy", "majority class") in by
    f1 = by[("f1", ALWAYS_POSITIVE)]
    expected = np.mean([2 * y[v].mean() / (1 + y[v].mean()) for _, v in splits])
    assert f1.other.mean == pytest.approx(expected)
    assert f1.paired is not None and f1.paired.mean == pytest.approx(np.mean(model.values("f1")) - expected)
    assert f1.outcome == "beats"
    (line,) = [text for _, text in verdict_lines(found) if ALWAYS_POSITIVE in text]
    assert line.startswith(f"trainwell beats {ALWAYS_POSITIVE} on f1 +")
    assert "answering the positive class for every row, which already reaches recall 100% and f1 " in line
    assert "not the majority class" in line


def test_a_model_no_better_than_answering_positive_everywhere_is_told_so() -> None:
    # SST-2: "does not beat majority class" on F1 while it beat it on accuracy and AUC, and no word of why.
    _, _, model, predictions, majority = _setup(0.58, model_noise=0.97, seed=1)
    found = verdicts(model, {"majority class": majority}, model_predictions=predictions)
    f1 = next(v for v in found if v.metric == "f1")
    assert f1.baseline == ALWAYS_POSITIVE and f1.outcome != "beats"
    (line,) = [text for _, text in verdict_lines(found) if ALWAYS_POSITIVE in text]
    assert f"does not beat {ALWAYS_POSITIVE}'s" in line or "worse than" in line
    assert "recall 100%" in line


def test_a_baseline_below_chance_is_flagged_and_beating_it_is_no_evidence() -> None:
    y, splits, model, predictions, majority = _setup(0.5, model_noise=0.9)
    rng = np.random.default_rng(5)
    noise = rng.random(600)
    # scores against the truth: wholly below 0.5 in AUC (what a fit on noise can do in cross-validation)
    below, _ = _scored(y, splits, lambda v: np.clip((1 - y[v]) * 0.3 + noise[v] * 0.7, 0, 1))
    fair, _ = _scored(y, splits, lambda v: noise[v])
    baselines = {
        "majority class": majority,
        "logistic": CVResult(below, splits),
        "trees": CVResult(fair, splits),
    }
    found = verdicts(model, baselines, model_predictions=predictions)
    auc = next(v for v in found if v.metric == "roc_auc" and v.baseline == "logistic")
    assert auc.other.high < 0.5 and auc.below_chance == 0.5 and auc.outcome == "beats"
    assert "but logistic scores below chance (0.500) on roc_auc" in auc.sentence()
    # a baseline at chance is not flagged
    assert all(v.below_chance is None for v in found if v.baseline in ("trees", "majority class"))
    lines = verdict_lines(found)
    assert not any(text.startswith("trainwell beats logistic") and "roc_auc" in text for _, text in lines)
    (warned,) = [
        text for kind, text in lines if kind == "warning" and text.startswith("logistic scores below")
    ]
    assert "roc_auc" in warned and "(chance 0.500)" in warned
    assert "is no evidence that trainwell learned anything" in warned


def test_sentences_give_the_figures_a_reader_can_check() -> None:
    task = Task("binary", classes=("no", "yes"))
    targets = torch.tensor([1.0] * 25 + [0.0] * 75)
    scores = torch.cat([torch.linspace(0.3, 0.9, 25), torch.linspace(0.0, 0.6, 75)])
    lines = {
        line.name: line for line in explain_validation(task, scores, targets, ["accuracy", "f1", "log_loss"])
    }
    # log loss against the base rate's (25%: 0.562), not "0.693 = a coin flip"
    entropy = -(0.25 * math.log(0.25) + 0.75 * math.log(0.75))
    assert (
        f"would score {entropy:.3f})" in lines["log_loss"].sentence
        and "coin" not in lines["log_loss"].sentence
    )
    decided = scores >= 0.5
    hits = int((decided & (targets > 0.5)).sum())
    called = int(decided.sum())
    assert lines["f1"].sentence.startswith(
        f"for 'yes': it finds {100 * hits / 25:.0f}% of its 25 rows, and {100 * hits / called:.0f}% of the "
        f"{called} rows it calls 'yes' are right"
    ), lines["f1"].sentence
    assert (
        "always answering 'no', the commoner class of these rows, would score 75%"
        in lines["accuracy"].sentence
    )
    # the training rows' shares, when known: their commoner class, scored on these rows
    known = {
        line.name: line
        for line in explain_validation(
            task, scores, targets, ["accuracy", "log_loss"], train_shares=[0.4, 0.6]
        )
    }
    assert (
        "always answering 'yes', the training rows' commoner class, would score 25%"
        in known["accuracy"].sentence
    )
    crossed = -(0.25 * math.log(0.6) + 0.75 * math.log(0.4))
    assert f"the training rows' share of 'yes', 60%, would score {crossed:.3f})" in known["log_loss"].sentence
    # R²: the mean of these rows, which no model knows in advance
    y = torch.linspace(0, 1, 40)
    (r2,) = explain_validation(Task("regression"), y * 0.9, y, ["r2"])
    assert "(0% = always answering these rows' own average)" in r2.sentence


def test_a_table_of_few_rows_says_so_and_how_many_each_figure_rests_on() -> None:
    task = Task("binary", classes=(0, 1))
    generator = torch.Generator().manual_seed(0)
    small_targets = torch.tensor([1.0] * 5 + [0.0] * 10)
    small = explain_validation(task, torch.rand(15, generator=generator), small_targets, ["accuracy", "f1"])
    # The caution is a line of its own under the table (small_sample_caution), not inside a metric's sentence.
    assert not any("caution" in line.sentence.lower() for line in small)
    assert small_sample_caution(len(small_targets)).startswith(
        "Caution: only 15 rows, so every figure in the table is rough"
    )
    assert small_sample_caution(400) == ""
    by = {line.name: line for line in small}
    assert "it rests on 5 '1' rows, too few to judge (under 20)" in by["f1"].sentence
    assert (
        "(2 rows)" in by["top10_precision"].sentence
        and "it rests on 2 rows" in by["top10_precision"].sentence
    )
    big_targets = (torch.rand(400, generator=generator) < 0.3).float()
    big = explain_validation(task, torch.rand(400, generator=generator), big_targets, ["accuracy", "f1"])
    assert not any("caution" in line.sentence or "rests on" in line.sentence for line in big)


def test_compare_ends_with_one_conclusion_naming_a_and_b() -> None:
    from trainwell.cli.compare_cmd import overall_line

    def rows(*outcomes: str) -> list[SimpleNamespace]:
        return [SimpleNamespace(metric=f"m{i}", outcome=o) for i, o in enumerate(outcomes)]

    a, b = Path("ad_mlp"), Path("ad_gbdt")
    none = overall_line(rows("within", "within", "within"), a, b, 1000)
    assert none == (
        "overall: no metric shows a clear difference between A 'ad_mlp' and B 'ad_gbdt' on these 1,000 rows: the data "
        "cannot tell them apart"
    )
    one = overall_line(rows("beats", "within", "within"), a, b, 1000)
    assert one.startswith(
        "overall: B 'ad_gbdt' is better than A 'ad_mlp' on m0; no clear difference on m1, m2"
    )
    assert "3 metrics are tested at once" in one
    split = overall_line(rows("beats", "worse"), a, b, 1000)
    assert split.startswith("overall: the metrics disagree: B 'ad_gbdt' is better on m0, A 'ad_mlp' on m1")


def test_beating_a_baseline_below_chance_does_not_count_in_beats_baselines() -> None:
    """Evaluation.beats_baselines() counted a "beats" over a baseline scoring below chance as evidence that the
    model learned something; such a verdict is left out (here the only one, so nothing is beaten)."""
    import dataclasses

    from trainwell.evaluate.evaluation import Evaluation

    y, splits, model, predictions, _ = _setup(0.5, model_noise=0.9)
    noise = np.random.default_rng(5).random(600)
    below, _ = _scored(y, splits, lambda v: np.clip((1 - y[v]) * 0.3 + noise[v] * 0.7, 0, 1))
    found = [
        v
        for v in verdicts(model, {"logistic": CVResult(below, splits)}, model_predictions=predictions)
        if v.metric == "roc_auc"
    ]
    assert [v.outcome for v in found] == ["beats"] and found[0].below_chance is not None
    flagged = SimpleNamespace(verdicts=lambda: found, _metric=lambda *args: None)
    assert not Evaluation.beats_baselines(flagged, "roc_auc")  # type: ignore[arg-type]
    plain = [dataclasses.replace(v, below_chance=None) for v in found]
    unflagged = SimpleNamespace(verdicts=lambda: plain, _metric=lambda *args: None)
    assert Evaluation.beats_baselines(unflagged, "roc_auc")  # type: ignore[arg-type]
