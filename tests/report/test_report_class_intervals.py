"""The 95% intervals of the per-class table: the resamples of ``bootstrap_ci`` (the same bounds for the same
seed), each class's figure inside its interval, and a class of too few rows noted and not named the weakest."""

from __future__ import annotations

import html
import re

import numpy as np
import torch

from trainwell.evaluate._resampled import resampled_metric
from trainwell.evaluate.intervals import bootstrap_ci, wilson_interval
from trainwell.metrics import functional
from trainwell.report._class_intervals import RESAMPLES, class_intervals, label_intervals
from trainwell.report._outputs import MIN_JUDGED_ROWS, class_section


def test_a_class_interval_is_the_one_bootstrap_ci_gives_its_figure() -> None:
    rng = np.random.default_rng(0)
    actual = rng.integers(0, 2, 300)
    predicted = np.where(rng.random(300) < 0.8, actual, 1 - actual)
    bounds = class_intervals(actual, predicted, 2, n_boot=200, seed=3)
    preds, targets = torch.tensor(predicted, dtype=torch.float32), torch.tensor(actual, dtype=torch.float32)
    for name in ("precision", "recall", "f1"):
        metric = getattr(functional, name)
        point, low, high = bootstrap_ci(
            lambda p, t, metric=metric: metric(p, t, "binary"),
            preds,
            targets,
            n_boot=200,
            seed=3,
            resampled_fn=resampled_metric(name, "binary"),
        )
        # Class 1 is the binary metrics' positive class.
        assert (bounds.low[name][1], bounds.high[name][1]) == (low, high), name
        assert low <= point <= high


def test_a_rare_class_is_too_small_to_judge_and_the_weakest_is_named_with_its_interval() -> None:
    # 'sun' and 'rain' have 200 rows each; 'fog' 8, all of them missed: the lowest F1, but too few to judge.
    rng = np.random.default_rng(1)
    actual = np.concatenate([np.zeros(200), np.ones(200), np.full(8, 2)]).astype(int)
    predicted = np.where(rng.random(len(actual)) < 0.9, actual, 1 - np.minimum(actual, 1))
    predicted[actual == 2] = 1
    text = html.unescape(class_section(["sun", "rain", "fog"], actual, predicted, seed=0))
    weakest = re.search(
        r"The weakest class is '(\w+)': F1 ([0-9.]+) \(95% interval ([0-9.]+) to ([0-9.]+)\)", text
    )
    assert weakest is not None, text
    assert weakest.group(1) in ("sun", "rain")
    assert float(weakest.group(3)) <= float(weakest.group(2)) <= float(weakest.group(4))
    assert f"Too few rows to judge (under {MIN_JUDGED_ROWS}): 'fog' (8 rows, F1 0.0000)." in text
    fog = text.split("<td>fog</td>", 1)[1].split("</tr>", 1)[0]
    assert "too few rows to judge" in fog
    # Never given: its precision and that interval are blank; its recall 0 of 8, whose Wilson interval reaches
    # 0.3244 (a bootstrap of 0 of 8 was [0, 0]: every resample misses every fog row too).
    cells = re.findall(r"<td[^>]*>(.*?)</td>", fog)
    assert cells[2:4] == ["", ""] and cells[4:6] == ["0.0000", "[0.0000, 0.3244]"], cells


def test_the_averages_intervals_are_the_metrics_ones_on_the_same_draws() -> None:
    # A report shows the macro F1 (metrics=["f1"]) or the accuracy (the weighted recall) in its metrics table
    # too: one figure, one interval. Class 3 has two rows, absent from many resamples, which the metrics' macro
    # mean then leaves out, as each resample's own classes seen.
    rng = np.random.default_rng(0)
    actual = np.concatenate([rng.integers(0, 3, 300), [3, 3]])
    predicted = np.where(rng.random(302) < 0.7, actual, rng.integers(0, 4, 302))
    bounds = class_intervals(actual, predicted, 4, n_boot=300, seed=5)
    preds, targets = torch.nn.functional.one_hot(torch.tensor(predicted), 4).float(), torch.tensor(actual)
    for name in ("precision", "recall", "f1"):
        metric = getattr(functional, name)
        _, low, high = bootstrap_ci(
            lambda p, t, metric=metric: metric(p, t, "multiclass"),
            preds,
            targets,
            n_boot=300,
            seed=5,
            resampled_fn=resampled_metric(name, "multiclass"),
        )
        assert (bounds.low[name][4], bounds.high[name][4]) == (low, high), name  # the macro average
    _, low, high = bootstrap_ci(
        lambda p, t: functional.accuracy(p, t, "multiclass"),
        preds,
        targets,
        n_boot=300,
        seed=5,
        resampled_fn=resampled_metric("accuracy", "multiclass"),
    )
    np.testing.assert_allclose([bounds.low["recall"][5], bounds.high["recall"][5]], [low, high], rtol=1e-12)


def test_each_labels_interval_is_the_one_bootstrap_ci_gives_it_as_a_yes_no_decision() -> None:
    rng = np.random.default_rng(2)
    actual = rng.random((200, 3)) < 0.4
    predicted = np.where(rng.random((200, 3)) < 0.8, actual, ~actual)
    predicted[:, 2] = False  # a label never given: its precision is undefined in every resample
    bounds = label_intervals(actual, predicted, seed=2)
    for column in range(2):
        for name in ("precision", "recall", "f1"):
            metric = getattr(functional, name)
            _, low, high = bootstrap_ci(
                lambda p, t, metric=metric: metric(p, t, "binary"),
                torch.tensor(predicted[:, column]).float(),
                torch.tensor(actual[:, column]).float(),
                n_boot=RESAMPLES,
                seed=2,
                resampled_fn=resampled_metric(name, "binary"),
            )
            assert (bounds.low[name][column], bounds.high[name][column]) == (low, high), (column, name)
    # Never given: no precision; a recall of 0 of its rows, whose Wilson interval is not [0, 0].
    assert np.isnan(bounds.low["precision"][2])
    assert (bounds.low["recall"][2], bounds.high["recall"][2]) == wilson_interval(0, int(actual[:, 2].sum()))
    assert bounds.high["recall"][2] > 0
