"""curves.png: metrics of different scales get their own panels, epochs sit where they ended."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from callbacks_helpers import regression_data
from torch import nn

from trainwell.learner import Callback, CancelTrain, Learner, plots
from trainwell.learner.plots import metric_panels


def _rows(**columns: list[float]) -> list[dict[str, Any]]:
    epochs = len(next(iter(columns.values())))
    return [
        {"fit": 1, "epoch": i, "train_loss": 1.0, "valid_loss": 1.0, **{k: v[i] for k, v in columns.items()}}
        for i in range(epochs)
    ]


def test_a_regression_puts_r2_apart_from_rmse() -> None:
    history = _rows(rmse=[61_000.0, 48_000.0], mae=[45_000.0, 33_000.0], r2=[0.2, 0.84])
    assert metric_panels(history) == [["rmse", "mae"], ["r2"]]


def test_metrics_within_one_share_one_panel() -> None:
    history = _rows(accuracy=[0.8, 0.9], f1_macro=[0.7, 0.85], roc_auc=[0.9, 0.95], r2=[-0.4, 0.3])
    assert metric_panels(history) == [["accuracy", "f1_macro", "roc_auc", "r2"]]


def test_ranking_measures_of_a_few_hundredths_get_their_own_panel() -> None:
    # Implicit feedback: hit@10 near 0.06 shared ROC AUC's panel (scale 1) and was drawn as a flat line.
    history = _rows(roc_auc=[0.80, 0.84], **{"hit@10": [0.03, 0.06], "hit@10_popularity": [0.05, 0.05]})
    assert metric_panels(history) == [["roc_auc"], ["hit@10", "hit@10_popularity"]]


def test_perplexity_falls_from_hundreds_beside_accuracy() -> None:
    # 900 and 120: one metric's scale is its largest value, so a falling perplexity keeps one panel.
    history = _rows(perplexity=[900.0, 120.0], accuracy=[0.1, 0.3])
    assert metric_panels(history) == [["perplexity"], ["accuracy"]]


def test_a_baseline_is_drawn_in_its_metrics_panel_whatever_its_scale() -> None:
    # A language model's first epochs: perplexity 1,326 then 251 against a Kneser-Ney trigram's 48.5, more than ten
    # times apart, so the trigram took a fourth panel of its own (a flat line) and pushed the figure off the page.
    history = _rows(perplexity=[1326.0, 262.0, 251.0], perplexity_baseline=[48.5, 48.5, 48.5])
    assert metric_panels(history) == [["perplexity", "perplexity_baseline"]]
    history = _rows(entity_f1=[0.0, 0.6], tag_accuracy=[0.78, 0.9], entity_f1_baseline=[0.6, 0.6])
    assert metric_panels(history) == [["entity_f1", "tag_accuracy", "entity_f1_baseline"]]


def test_per_target_values_and_bookkeeping_are_not_drawn() -> None:
    history = _rows(rmse=[3.0, 2.0], **{"rmse[price]": [5.0, 4.0]})
    for row in history:
        row.update(lr=0.01, time=1.2)
    assert metric_panels(history) == [["rmse"]]


def test_a_metric_missing_from_the_first_row_still_gets_drawn() -> None:
    history = [{"fit": 1, "epoch": 0, "train_loss": 1.0}, *_rows(accuracy=[0.9])]
    assert metric_panels(history) == [["accuracy"]]


def test_scales_past_the_panel_limit_share_the_last() -> None:
    history = _rows(a=[1.0], b=[100.0], c=[10_000.0], d=[1e6], e=[1e8])
    assert metric_panels(history) == [["a"], ["b"], ["c"], ["d", "e"]]


def test_no_metrics_draws_an_empty_panel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    drawn = _keep_figures(monkeypatch)
    plots.plot_history(_rows(train_loss=[1.0, 0.5]), [0.1, 0.2], [1.0, 0.9], tmp_path / "curves.png")
    assert len(drawn[0].axes) == 3
    plots._pyplot().close(drawn[0])


def _keep_figures(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    drawn: list[Any] = []

    def keep(figure: Any, path: Path) -> Path:
        drawn.append(figure)
        return path

    monkeypatch.setattr(plots, "_save", keep)
    return drawn


def test_the_figure_has_a_panel_per_scale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    drawn = _keep_figures(monkeypatch)
    history = _rows(rmse=[61_000.0, 48_000.0], r2=[0.2, 0.84])
    plots.plot_history(history, [0.1] * 4, [1.0] * 4, tmp_path / "curves.png")
    loss, first, second, lr = drawn[0].axes
    assert loss.get_title() == "Loss"
    assert [line.get_label() for line in first.lines] == ["rmse"]
    assert [line.get_label() for line in second.lines] == ["r2"]
    assert list(second.lines[0].get_ydata()) == [0.2, 0.84]  # r2 on its own axis, readable
    assert lr.get_title() == "Learning rate"
    plots._pyplot().close(drawn[0])


class _StopAfter(Callback):
    """Ends each epoch's training after ``batches`` batches, as a time budget does on its last epoch."""

    def __init__(self, batches: int) -> None:
        self.batches = batches
        self.seen = 0

    def before_epoch(self, learn: Learner) -> None:
        self.seen = 0

    def after_batch(self, learn: Learner) -> None:
        if learn.training:
            self.seen += 1
            if self.seen >= self.batches:
                raise CancelTrain


def test_an_epoch_cut_short_is_placed_where_it_ended(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    learn = Learner(nn.Linear(3, 1), regression_data(), progress=False, device="cpu", lr=0.05)
    batches = len(learn.data.train)  # type: ignore[arg-type]
    learn.fit(2)
    learn.fit(1, callbacks=[_StopAfter(1)])  # a third epoch of one batch
    assert learn.recorder.epoch_ends == [batches, 2 * batches, 2 * batches + 1]
    drawn = _keep_figures(monkeypatch)
    plots.plot_history(
        learn.history,
        learn.recorder.lrs,
        learn.recorder.losses,
        tmp_path / "c.png",
        learn.recorder.epoch_ends,
    )
    train_line = next(line for line in drawn[0].axes[0].lines if line.get_label() == "train_loss")
    assert list(train_line.get_xdata()) == [batches, 2 * batches, 2 * batches + 1]
    plots._pyplot().close(drawn[0])


def test_a_baseline_is_dashed_in_its_metrics_colour(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # hit@10 and its two baselines were three unrelated solid colours among seven lines; a baseline with a
    # single epoch (perplexity_baseline) drew no line at all.
    drawn = _keep_figures(monkeypatch)
    history = _rows(**{"hit@10": [0.06, 0.07], "hit@10_popularity": [0.05, 0.05], "hit@10_ease": [0.1, 0.1]})
    plots.plot_history(history, [0.1] * 4, [1.0] * 4, tmp_path / "curves.png")
    lines = {line.get_label(): line for line in drawn[0].axes[1].lines}
    # Each baseline in the metric's colour, and each its own mark: both were one blue "x--", told apart by none.
    styles = {
        (lines[name].get_linestyle(), lines[name].get_marker())
        for name in ("hit@10_popularity", "hit@10_ease")
    }
    assert styles == {("--", "x"), (":", "+")}
    for baseline in ("hit@10_popularity", "hit@10_ease"):
        assert lines[baseline].get_color() == lines["hit@10"].get_color()
    assert lines["hit@10"].get_linestyle() == "-"
    assert drawn[0].axes[1].get_title() == "Validation metrics"
    assert plots.baseline_of("f1_macro", ["f1", "f1_macro"]) is None  # a metric of its own
    plots._pyplot().close(drawn[0])


def test_four_panels_or_more_go_in_two_rows_titled_by_the_models_metrics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Implicit feedback: roc_auc, then hit@10 and ndcg@10 with four baselines in one title that ran into the next
    # panel's, on a figure 2,212 pixels wide whose learning-rate panel a report's page cut off.
    drawn = _keep_figures(monkeypatch)
    history = _rows(
        roc_auc=[0.8, 0.82],
        **{"hit@10": [0.06, 0.08], "ndcg@10": [0.03, 0.04], "hit@10_popularity": [0.05, 0.05]},
    )
    plots.plot_history(history, [0.1] * 4, [1.0] * 4, tmp_path / "curves.png")
    figure = drawn[0]
    visible = [axis for axis in figure.axes if axis.get_visible()]
    assert len(visible) == 4 and figure.get_size_inches()[0] <= 10.5  # two panels a row
    assert visible[2].get_title() == "Validation: hit@10, ndcg@10"
    plots._pyplot().close(figure)


def test_labels_and_legends_stay_clear_of_the_data_and_the_next_panel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The learning-rate panel's labels (0.00175) ran into the metrics panel, a legend inside a panel hid the
    # points under it, and one epoch was drawn on an axis from 0.96 to 1.04.
    drawn = _keep_figures(monkeypatch)
    history = _rows(accuracy=[0.7], f1=[0.4], roc_auc=[0.8])
    plots.plot_history(history, [0.0001 * i for i in range(20)], [1.0] * 20, tmp_path / "curves.png")
    figure = drawn[0]
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    loss, metrics, lr = figure.axes
    low, high = lr.get_ylim()
    drawn_labels = [label for label in lr.get_yticklabels() if low <= label.get_position()[1] <= high]
    labels_left = min(label.get_window_extent(renderer).x0 for label in drawn_labels)
    assert labels_left > metrics.get_window_extent(renderer).x1
    for axis in (loss, metrics):
        assert axis.get_legend().get_window_extent(renderer).y1 < axis.get_window_extent(renderer).y0
    left, right = metrics.get_xlim()
    epochs = [
        label.get_text() for label in metrics.get_xticklabels() if left <= label.get_position()[0] <= right
    ]
    assert epochs == ["1"]
    plots._pyplot().close(figure)


def test_the_recorder_draws_the_curves_of_a_fit_in_python(tmp_path: Path) -> None:
    # fastai's recorder.plot_loss: a tour found curves.png only through fit_*(out=...).
    from trainwell.core.errors import ConfigError

    learn = Learner(nn.Linear(3, 1), regression_data(), progress=False, device="cpu", lr=0.05)
    with pytest.raises(ConfigError, match=r"nothing to plot: no training batch has run \(call fit first"):
        learn.recorder.plot(tmp_path / "none.png")
    learn.fit(2)
    written = learn.recorder.plot(tmp_path / "curves.png")
    assert written == tmp_path / "curves.png" and written.read_bytes().startswith(b"\x89PNG")
