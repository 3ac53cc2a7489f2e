"""Tables printed by the command line."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from trainwell.learner.label_thresholds import ThresholdSummary

#: Added to a threshold metric's meaning when the fit also chose per-label thresholds.
AT_HALF = "; every label decided at 0.5, as during training"


def _steering(training: dict[str, Any]) -> str:
    """The optimizer and what steered it, in one line: ``adamw, weight decay 0.01, gradients clipped at 1,
    bfloat16 forward`` (each part only where the model directory recorded it)."""
    parts = [str(training.get("optimizer") or "?")]
    if training.get("weight_decay") is not None:
        parts.append(f"weight decay {training['weight_decay']:g}")
    if training.get("gradient_clip") is not None:
        parts.append(f"gradients clipped at {training['gradient_clip']:g}")
    if training.get("precision"):
        parts.append(f"{training['precision']} forward")
    return ", ".join(parts)


def _number(value: Any, grouped: bool = False, like: float | None = None) -> str:
    """A number in a printed table, by the HTML report's rule (:func:`trainwell.core.numbers.format_value`):
    whole numbers from 10,000 up with separators (``12,435``; ``12435`` beside the report's ``12,435``), other
    numbers to 4 decimals, whole from 10,000 up (a price, ``500,001``), compact from 10 million up (a loss in
    squared dollars, ``1.955e9``); ``grouped``: the number's column reaches 10,000 (:func:`_grouped`), so from
    1,000 up too (``3,846`` under ``12,435``); ``like``: the size of the figures it stands with (a value and its
    interval's bounds, :func:`_size`), which share its form. A missing one is ``-``."""
    from trainwell.core.numbers import figure, format_value

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    real = figure if like is None else (lambda number: figure(number, like=like))
    return format_value(value, grouped, real=real) or "-"


def _size(*values: Any) -> float | None:
    """The largest size of ``values``' finite numbers (a value and its interval's bounds), which sets the form of
    each (:func:`~trainwell.core.numbers.figure`'s ``like``: ``[9.812e6, 1.024e7]`` is ``[0.981e7, 1.024e7]``,
    not one bound whole and one compact); ``None`` where none is a number."""
    sizes = [
        abs(float(value))
        for value in values
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    ]
    return max(sizes, default=None)


def _grouped(values: Any) -> bool:
    """Whether a column of ``values`` reaches 10,000, and so writes its numbers from 1,000 up with separators."""
    from trainwell.core.numbers import reaches_ten_thousand

    return any(reaches_ten_thousand(value) for value in values)


def show_metrics(learn: Any, console: Console, thresholds: ThresholdSummary | None = None) -> None:
    """The validation metrics, each with a 95% interval (Wilson's for a proportion, else a percentile bootstrap
    over rows; "not estimable" where every resample scored alike) and what it means for this data.

    ``thresholds``: the run's :class:`~trainwell.learner.label_thresholds.ThresholdSummary` (multi-label),
    whose intervals the ``_tuned`` rows show.
    """
    from trainwell.metrics import describe_metric  # with torch: here, not on `trainwell info`'s path
    from trainwell.metrics.targets import target_keys

    if not learn.history:
        return
    row = learn.final_row
    validated = "valid_loss" in row
    title = "Validation results" if validated else "Training results (no validation rows, so no metrics)"
    epochs = len(learn.history)
    restored = getattr(learn, "weights_row", None)
    kept = f"; the weights of epoch {restored + 1}" if restored is not None and restored != epochs - 1 else ""
    # A model fitted in closed form (boosted trees, EASE) has no epochs to count: its one row is the fit.
    counted = f"{epochs} epoch{'' if epochs == 1 else 's'}"
    budget = getattr(learn, "time_budget", None)
    # A time budget that ended the fit within an epoch: how much was trained, not the rows of the history.
    done = budget.trained() if budget is not None else None  # "0.008 epochs (7 of 825 batches)"
    counted = done if done is not None else counted
    trained = "" if getattr(learn.model, "closed_form", False) else f", {counted}"
    title = f"{title} ({learn.task.kind}{trained}{kept})"
    # (name, value, 95% interval, meaning): the numbers written once every row is known, as a column reaching
    # 10,000 writes its numbers from 1,000 up with separators (the HTML report's rule).
    shown: list[tuple[Any, Any, tuple[Any, Any] | str, Any]] = []
    for name in ("train_loss", "valid_loss"):
        if name in row and not (name == "train_loss" and getattr(learn.model, "closed_form", False)):
            shown.append((name, row[name], "", "mean loss the model minimises (lower is better)"))
    caution = ""
    if validated:
        lines, caution = _explained(learn)
        lines += _ranking_lines(learn)
        explained = {line.name for line in lines}
        for line in lines:
            # Text, not markup: a per-target name such as "rmse[price]" would read as a style tag; multi-label
            # threshold metrics say "at 0.5" in their sentences themselves.
            shown.append((Text(line.name), line.value, (line.low, line.high), Text(line.sentence)))
        n_targets = len(learn.task.target_names)
        for metric in learn.metrics:
            if metric.name not in explained:
                meaning = describe_metric(metric.name, learn.task.kind, targets=n_targets)
                if f"{metric.name}_tuned" in row:
                    meaning += AT_HALF
                shown.append((metric.name, row.get(metric.name), "", meaning))
            for key in target_keys([metric], learn.task.target_names):
                if key not in explained and key in row:
                    shown.append((Text(key), row[key], "", Text(describe_metric(key))))
        tuned = _tuned_intervals(thresholds)
        for name, value in row.items():  # measures written by callbacks (ranking, perplexity)
            sentence = _callback_measure(name, value)
            if sentence is not None and name not in explained:
                shown.append((name, value, tuned.get(name, ""), sentence))
    if not shown:  # boosted trees on every row (--valid-pct 0): no loss of theirs to show, no validation rows
        console.print(
            f"no validation rows: nothing scored before the test set ({learn.task.kind}{trained})",
            soft_wrap=True,
            markup=False,
            highlight=False,
        )
        return
    values = _grouped(value for _, value, _, _ in shown)
    bounds = _grouped(
        bound for _, _, interval, _ in shown if isinstance(interval, tuple) for bound in interval
    )
    cells = []
    for name, value, interval, meaning in shown:
        like = _size(value, *interval) if isinstance(interval, tuple) else None
        if isinstance(interval, tuple) and not all(math.isfinite(float(bound)) for bound in interval):
            interval = (
                "not estimable"  # every resample scored alike: no interval to give, not a zero-width one
            )
        elif isinstance(interval, tuple):
            interval = f"[{_number(interval[0], bounds, like)}, {_number(interval[1], bounds, like)}]"
        cells.append((name, _number(value, values, like), interval, meaning))
    print_with_prose(
        console, _metrics_table(title, cells), lambda: _metrics_table(title, cells, stacked=True)
    )
    if caution:  # a line of its own under the table: inside the first sentence it read as that metric's alone
        console.print(caution, soft_wrap=True, markup=False, highlight=False)
    if validated:
        for line in [*_ranking_verdicts(learn), *_bias_verdict(row, _bias_gap(learn))]:
            console.print(line, soft_wrap=True)


#: The fewest columns a column of sentences (what a metric means, a verdict) is given beside figures before the
#: table takes its narrower form: narrower, its sentences run to a word or two a line.
PROSE_WIDTH = 24


def prose_fits(table: Table, console: Console, prose: Sequence[int], least: int = PROSE_WIDTH) -> bool:
    """Whether ``table`` fits ``console`` with every column but the ``prose`` ones (indices) unwrapped, and each
    of these at least ``least`` columns wide (or its natural width, or its longest word, if that is more)."""
    from rich.measure import Measurement

    from trainwell.core.fitting_tables import natural_width

    options = console.options.update_width(10_000)
    spare = 0
    for index in prose:
        column = table.columns[index]
        found = [Measurement.get(console, options, cell) for cell in (column.header, *column.cells)]
        widest = max((measured.maximum for measured in found), default=0)
        longest_word = max((measured.minimum for measured in found), default=0)
        spare += max(0, widest - max(least, longest_word))
    return natural_width(table, console) - spare <= console.width


def print_with_prose(
    console: Console,
    wide: Table,
    narrow: Callable[[], Table],
    prose: Sequence[int] = (-1,),
    narrow_prose: Sequence[int] | None = None,
) -> None:
    """Print ``wide`` where it fits ``console`` with its figures unwrapped and its ``prose`` columns (indices:
    sentences, which may wrap) at least :data:`PROSE_WIDTH` wide (:func:`prose_fits`), else the table
    ``narrow`` draws (each interval on its own line under its figure; ``narrow_prose``: its columns that may
    wrap, ``prose`` by default); a cell that still cannot fit folds within its column, never cut with "…".
    Before, rich narrowed every column of an 80-column terminal alike and an interval broke after its comma."""
    fits = prose_fits(wide, console, _indices(wide, prose))
    table = wide if fits else narrow()
    indices = _indices(table, prose if fits or narrow_prose is None else narrow_prose)
    # only the sentences wrap, a figure or an interval whole on its line; unless even the narrow form is wider
    # than the terminal with its sentences a word a line: then every cell folds, cropping nothing
    unwrapped = table is wide or prose_fits(table, console, indices, least=0)
    for index, column in enumerate(table.columns):
        column.overflow = "fold"
        column.no_wrap = unwrapped and index not in indices
    console.print(table)


def _indices(table: Table, columns: Sequence[int]) -> list[int]:
    """``columns`` (indices, ``-1`` the last) as indices from 0 in ``table``."""
    return [index % len(table.columns) for index in columns]


def _metrics_table(title: str, cells: list[tuple[Any, str, str, Any]], stacked: bool = False) -> Table:
    """:func:`show_metrics`'s table: each metric's value and 95% interval in columns of their own, or
    ``stacked``, the interval on its own line under the value (a narrow terminal's form)."""
    table = Table(title=title)
    table.add_column("metric")
    if stacked:
        table.add_column("value\n[95% CI]", justify="right")
    else:
        table.add_column("value", justify="right")
        table.add_column("95% CI", justify="right")
    table.add_column("what it means here")
    for name, value, interval, meaning in cells:
        if stacked:
            table.add_row(name, f"{value}\n{interval}" if interval else value, meaning)
        else:
            table.add_row(name, value, interval, meaning)
    return table


def _tuned_intervals(thresholds: ThresholdSummary | None) -> dict[str, str]:
    """``{"f1_tuned": "[0.61, 0.74]"}``: the printed intervals of the cross-fitted metrics, if any."""
    from trainwell.evaluate.explain import cross_fitted_intervals
    from trainwell.learner.label_thresholds import TUNED_SUFFIX

    found = cross_fitted_intervals(thresholds) if thresholds is not None else {}
    return {
        f"{name}{TUNED_SUFFIX}": f"[{_number(low)}, {_number(high)}]" for name, (low, high) in found.items()
    }


def _ranking_callback(learn: Any) -> Any:
    from trainwell.collab.implicit import RankingMetrics

    found = [callback for callback in learn.callbacks if isinstance(callback, RankingMetrics)]
    return found[0] if found and "model" in found[0].ranks else None


def _ranking_lines(learn: Any) -> list[Any]:
    """An implicit-feedback model's hit rate and NDCG, and its baselines', with intervals over users."""
    from trainwell.evaluate.ranking import explain_ranking

    ranking = _ranking_callback(learn)
    return explain_ranking(ranking.ranks, ranking.k) if ranking is not None else []


def _ranking_verdicts(learn: Any) -> list[str]:
    """One sentence per baseline: the model's NDCG against it on the same users, as a warning when not above."""
    from trainwell.evaluate.ranking import compare_rankings

    ranking = _ranking_callback(learn)
    if ranking is None:
        return []
    lines = []
    # A closed-form model (ease) has no epochs or learning rate to change: the advice is another model.
    advice = (
        "try the factor model (drop --arch ease)"
        if getattr(learn.model, "closed_form", False)
        else "try more --epochs or another --lr"
    )
    for comparison in compare_rankings(ranking.ranks, ranking.k):
        if comparison.verdict == "better":
            lines.append(f"{comparison.sentence()} (paired over the same users)")
        else:
            lines.append(
                f"warning: {comparison.sentence()} (paired over the same users): it is not worth serving over "
                f"that ranking yet; {advice} (on some data the baseline is simply the "
                "better recommender; trainwell report shows for which users and items)"
            )
    return lines


def _bias_gap(learn: Any) -> tuple[float, float, float, int] | None:
    """The model's validation RMSE minus that of user + item biases alone, with its 95% paired bootstrap
    interval (every resample draws the same rating rows for both) and the count of rows; ``None`` without the
    biases' predictions (implicit feedback, a model without validation rows)."""
    from trainwell.collab.baselines import BiasBaselineScore

    found = [callback for callback in learn.callbacks if isinstance(callback, BiasBaselineScore)]
    if not found or found[0].predictions is None:
        return None
    import torch

    from trainwell.evaluate.paired import paired_metric
    from trainwell.learner.kept_predictions import validation_predictions

    predictions, targets = validation_predictions(learn)
    model = predictions.detach().double().reshape(-1)
    biases = torch.as_tensor(found[0].predictions, dtype=torch.float64).reshape(-1)
    if model.shape != biases.shape:
        return None
    truth = targets.detach().double().reshape(-1)
    compared = paired_metric(
        "rmse", "regression", biases, model, truth
    )  # B - A: the model's minus the biases'
    difference = compared.difference
    return difference.mean, difference.low, difference.high, len(truth)


#: The third remedy for a rating model that memorises its training ratings: weight decay is what keeps a factor
#: model of a sparse matrix from memorising it (trainwell.collab.learner.DEFAULT_WD, 0.1 unless told).
STRONGER_WD = "a stronger --wd (weight decay: 0.1 unless given)"


def _bias_verdict(row: dict[str, Any], gap: tuple[float, float, float, int] | None = None) -> list[str]:
    """A rating model's RMSE against user + item biases alone, as a warning when it is not below them.
    ``gap``: the paired difference and its interval (:func:`_bias_gap`): "found personal taste" only when the
    whole interval lies below 0, as a gap of 0.0014 inside an RMSE's own interval of ±0.02 is noise."""
    rmse, bar = row.get("rmse"), row.get("rmse_biases")
    if not isinstance(rmse, float) or not isinstance(bar, float) or math.isnan(rmse) or math.isnan(bar):
        return []
    if rmse < bar:
        if gap is None:
            return [f"rmse {rmse:.4f} is below the {bar:.4f} of user + item biases alone on the same rows"]
        difference, low, high, count = gap
        paired = (
            f"the gap {difference:+.4f} [{low:+.4f}, {high:+.4f}], paired over the same {count:,} ratings"
        )
        if high < 0:
            return [
                f"rmse {rmse:.4f} is below the {bar:.4f} of user + item biases alone ({paired}): the model "
                "predicts ratings beyond each user's and item's average (ratings only: trainwell report MODEL "
                "--data HELD_OUT judges its top-10 lists against the most popular items)"
            ]
        train, valid = row.get("train_loss"), row.get("valid_loss")
        memorises = isinstance(train, float) and isinstance(valid, float) and train < 0.5 * valid
        advice = (
            f"it fits its training ratings far better (train loss {train:.4f} against {valid:.4f}): try fewer "
            f"--epochs, a lower --lr or {STRONGER_WD}"
            if memorises
            else "try more --epochs or another --lr"
        )
        return [
            f"rmse {rmse:.4f} against {bar:.4f} for user + item biases alone: no clear difference ({paired}, "
            f"holds 0): the model has not shown taste beyond each user's and item's average rating; {advice} (on "
            "small or sparse ratings the biases are simply as good)"
        ]
    train, valid = row.get("train_loss"), row.get("valid_loss")
    if isinstance(train, float) and isinstance(valid, float) and train < 0.5 * valid:
        return [
            f"warning: rmse {rmse:.4f} is not below the {bar:.4f} of user + item biases alone on the same rows, "
            f"and the model fits its training ratings far better (train loss {train:.4f} against {valid:.4f}): "
            f"it memorises them; try fewer --epochs, a lower --lr or {STRONGER_WD}"
        ]
    return [
        f"warning: rmse {rmse:.4f} is not below the {bar:.4f} of user + item biases alone on the same rows: the "
        "model has learned nothing personal yet: each user's and item's average rating alone predicts better; try "
        "more --epochs or another --lr (on small or very sparse ratings the biases are simply the better model)"
    ]


def _callback_measure(name: str, value: Any) -> str | None:
    """What a measure added to the history row by a callback means, or ``None`` for other entries."""
    if not isinstance(value, float):
        return None
    if name.endswith("_popularity") and name.startswith(("hit@", "ndcg@")):
        return (
            f"{name.removesuffix('_popularity')} of the popularity ranking (the most interacted-with items the "
            "user has not touched): the bar a personal model must clear"
        )
    if name.endswith("_ease") and name.startswith(("hit@", "ndcg@")):
        return (
            f"{name.removesuffix('_ease')} of EASE, a closed-form item-to-item model fitted on the same "
            "interactions: a strong bar a personal model must clear"
        )
    prefix, _, k = name.partition("@")
    if prefix == "hit" and k.isdigit():
        return (
            f"for {value:.0%} of users the held-out item is among the {k} highest-scored of all items they "
            "had not interacted with"
        )
    if prefix == "ndcg" and k.isdigit():
        return f"like hit@{k}, discounted by position: 1 if always ranked first, 0 if never in the top {k}"
    from trainwell.learner.label_thresholds import THRESHOLD_METRICS, TUNED_SUFFIX

    if name.endswith(TUNED_SUFFIX) and name.removesuffix(TUNED_SUFFIX) in THRESHOLD_METRICS:
        return (
            f"{name.removesuffix(TUNED_SUFFIX)} with each label decided at its own threshold, as the model now "
            "decides; cross-fitted on the validation rows (chosen on one half, scored on the other; the interval "
            "resamples the rows, not the choice of thresholds)"
        )
    if name == "rmse_biases":
        return (
            f"RMSE of user + item biases alone on the same rows ({value:.4f}): the bar a model of personal "
            "taste must clear"
        )
    if name == "entity_f1_baseline":
        return (
            "entity F1 of tagging each word with its commonest training tag: the bar a tagger that reads "
            "context must clear"
        )
    if name == "tag_accuracy_baseline":
        return "tag accuracy of giving each word its commonest training tag (unseen words: the commonest tag)"
    if name == "perplexity_baseline":
        return (
            "perplexity of a Kneser-Ney trigram counted on the same training text: the bar a neural language "
            "model must clear"
        )
    if name == "perplexity":
        return f"as unsure of the next word as a uniform choice among {value:.0f} words (lower is better)"
    return None


def _explained(learn: Any) -> tuple[list[Any], str]:
    """The explained lines of the validation metrics, and the caution to say under their table (``""``: none)."""
    from trainwell.learner.kept_predictions import validation_predictions

    if learn.task.kind == "tagging":
        from trainwell.evaluate.tagging import explain_tagging, sentence_counts

        preds, targets = validation_predictions(learn)
        counts = sentence_counts(preds, targets, learn.task.classes)
        return explain_tagging(counts, [metric.name for metric in learn.metrics]), ""
    from trainwell.evaluate.explain import explain_validation, small_sample_caution

    # The fit's last validation pass kept its predictions (fit_images): not scored again while the weights are
    # the same.
    probabilities, targets = validation_predictions(learn)
    unit = {"vision": "image", "text": "text"}.get(getattr(learn.data, "application", ""), "row")
    names = [metric.name for metric in learn.metrics]
    task = learn.task
    if task.kind == "multilabel":
        # At 0.5, as every epoch's row: thresholds chosen on these very rows would flatter them (f1_tuned is
        # the honest figure at the thresholds).
        task = dataclasses.replace(task, label_thresholds=())
    # Each class's share of the training rows (a table's data keeps them): the accuracy's constant answer is then
    # the training rows' commoner class, not these rows' own.
    shares = getattr(getattr(learn.data, "train", None), "class_shares", None)
    lines = explain_validation(task, probabilities, targets, names, unit=unit, train_shares=shares)
    return lines, small_sample_caution(len(targets), unit) if lines else ""


def date_summary(recipe: Any) -> str:
    """``"sold (DD/MM/YYYY: month, day, ...)"`` for each date column of a tabular recipe (object or dict)."""
    from trainwell.data.dates import describe_date_format

    dates = recipe.get("dates", {}) if isinstance(recipe, dict) else recipe.dates
    parts = recipe.get("date_parts", {}) if isinstance(recipe, dict) else recipe.date_parts
    return "; ".join(
        f"{name} ({describe_date_format(fmt) if fmt else 'datetime'}: {', '.join(parts.get(name, []))})"
        for name, fmt in dates.items()
    )


def show_info(metadata: dict[str, Any], path: Path, console: Console) -> None:
    """What a model directory holds."""
    task = metadata.get("task", {})
    table = Table(title=f"trainwell model: {path}", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    table.add_row("application", str(metadata.get("application")))
    table.add_row("task", str(task.get("kind")))
    if task.get("classes"):
        classes = [str(name) for name in task["classes"]]
        if any("," in name or name != name.strip() or not name for name in classes):
            classes = [repr(name) for name in classes]  # 'avión, grand' is one class, not two
        table.add_row("classes", ", ".join(classes))
    if task.get("kind") == "binary" and task.get("classes"):  # 0.5, or what fit --decision-threshold chose
        threshold = float(task.get("threshold", 0.5))
        table.add_row(
            "decision threshold",
            f"{threshold:g}: a row is {task['classes'][1]!r} from this probability (predict --threshold overrides it)",
        )
    codes = task.get("label_codes") or []
    if codes and len(codes) == len(task.get("classes") or []):
        shown = ", ".join(
            f"{code}={name}" for code, name in list(zip(codes, task["classes"], strict=True))[:6]
        )
        more = f" ... ({len(codes)} in all)" if len(codes) > 6 else ""
        table.add_row(
            "label names", f"given to the data's labels: {shown}{more}; files may write a label either way"
        )
    recipe = metadata.get("recipe") or {}
    # An image model read from a CSV of paths and labels: models saved before the task took the label
    # column's name called it "label".
    csv = (recipe.get("extra") or {}).get("csv") or {}
    table.add_row(
        "target",
        csv.get("label_col")
        or ", ".join(task.get("target_names", []))
        or ("the next token" if task.get("kind") == "language_model" else ""),
    )
    kept_within = (metadata.get("architecture") or {}).get("config", {}).get("target_range")
    if task.get("kind") == "regression" and kept_within:  # a text or image model's TargetScale
        names = task.get("target_names") or ["prediction"]
        lows, highs = kept_within
        from trainwell.core.numbers import amount  # a price's range: 14,999 to 500,001, not 1.5e+04 to 5e+05

        table.add_row(
            "answers kept within",
            "; ".join(
                (f"{name} " if len(names) > 1 else "")
                + f"{amount(low, like=high)} to {amount(high, like=low)}"
                for name, low, high in zip(names, lows, highs, strict=False)
            )
            + " (the training targets' range)",
        )
    thresholds = task.get("label_thresholds") or []
    if thresholds and len(thresholds) == len(task.get("classes") or []):
        table.add_row(
            "decision thresholds",
            ", ".join(
                f"{label} {value:.2f}" for label, value in zip(task["classes"], thresholds, strict=True)
            )
            + " (each label's, chosen on the validation rows)",
        )
    arch = metadata.get("architecture") or {}
    if metadata.get("application") == "vision" and recipe:
        size = recipe.get("size") or ["?", "?"]
        table.add_row(
            "inputs",
            f"images {size[0]}x{size[1]}, {recipe.get('channels')} channel(s), fitted by '{recipe.get('resize')}'",
        )
        if recipe.get("mean") is not None:
            shown = ", ".join(
                f"{m:.3g}/{s:.3g}" for m, s in zip(recipe["mean"], recipe.get("std") or [], strict=False)
            )
            origin = (recipe.get("extra") or {}).get("normalisation") or "measured on the training images"
            table.add_row("normalised", f"mean/std per channel {shown}: {origin}")
        from trainwell.vision._choices import describe_augmentation  # no torch: info stays light

        extra = recipe.get("extra") or {}
        said = describe_augmentation(extra.get("augmentation"), extra.get("augmentation_preset"))
        table.add_row("augmentation", said)
        from trainwell.vision._counts import counts_line  # plain Python: info stays light

        found = counts_line(
            (metadata.get("training") or {}).get("images_found"),
            task.get("classes"),
            str(task.get("kind", "")),
        )
        if found:
            table.add_row("images found", found)
        network = (arch.get("config") or {}).get("arch")
        table.add_row("architecture", f"{arch.get('name')} ({network})" if network else str(arch.get("name")))
    elif task.get("kind") == "tagging" and recipe:
        scheme = (
            f"entity spans, IOB2; the data came as {task.get('source_scheme')}"
            if task.get("scheme") == "iob2"
            else "one tag per word"
        )
        table.add_row(
            "inputs",
            f"words (vocabulary {len(recipe.get('words') or [])}, {len(recipe.get('chars') or [])} characters); "
            f"tags from '{recipe.get('tag_col')}' ({scheme})",
        )
        table.add_row("architecture", str(arch.get("name")))
    elif task.get("kind") == "language_model" and recipe:
        itos = (recipe.get("vocab") or {}).get("itos") or []
        table.add_row("inputs", f"text; {recipe.get('tokenizer_name')} tokens, vocabulary {len(itos):,}")
        table.add_row("architecture", str(arch.get("name")))
        cache = recipe.get("cache")
        table.add_row(
            "cache pointer",
            f"window {cache['window']}, theta {cache['theta']}, lambda {cache['lambda']} (chosen on the validation "
            "text; applied when held-out text is scored)"
            if cache
            else "none (no validation text, or it did not help there)",
        )
    elif metadata.get("application") == "text" and recipe:
        tokenizer = (recipe.get("tokenizer") or {}).get("kind", "word")
        vocab = f", vocabulary {len(recipe.get('vocab') or []):,}"
        if tokenizer == "subword":  # its pieces are its vocabulary: the recipe keeps no words
            vocab = _subword_pieces((recipe.get("tokenizer") or {}).get("config") or {})
        grams = f", n-grams up to {recipe['ngrams']}" if recipe.get("ngrams") else ""
        fields = recipe.get("fields") or []
        columns = (
            f"text columns {' and '.join(repr(str(name)) for name in fields)}, one example a row"
            + (", with the words both share and those only one holds" if len(fields) == 2 and grams else "")
            if fields
            else f"text column '{recipe.get('text_col')}'"
        )
        longest = (recipe.get("extra") or {}).get("longest_trained_tokens")
        trained = f"; its longest training text {longest:,} tokens" if isinstance(longest, int) else ""
        if recipe.get("max_len"):
            capped = f", at most {recipe['max_len']:,} tokens a text{trained}"
        elif recipe.get("batch_format", "bag") == "bag":  # a bag reads every word: a long text is read whole
            capped = f", every token of a text (a bag of words, never cut{trained})"
        else:
            capped = ""
        table.add_row("inputs", f"{columns}; {tokenizer} tokens{vocab}{grams}{capped}")
        table.add_row("architecture", str(arch.get("name")))
    elif metadata.get("application") == "collab" and recipe:
        rating = recipe.get("rating_col")
        scale = (
            f"rating '{rating}', {recipe.get('rating_min'):g} to {recipe.get('rating_max'):g}"
            if rating
            else ("implicit feedback (interactions, no rating)")
        )
        table.add_row(
            "inputs",
            f"{len(recipe.get('users') or []):,} users ('{recipe.get('user_col')}'), {len(recipe.get('items') or []):,} "
            f"items ('{recipe.get('item_col')}'); {scale}",
        )
        from trainwell.collab.names import ITEM_NAMES_FILE, stored_item_names

        names = stored_item_names(path)  # kept by fit from the ratings folder (MovieLens' u.item)
        if names:
            table.add_row(
                "item names", f"{len(names):,} kept in {ITEM_NAMES_FILE} (recommend and report show them)"
            )
    elif recipe:
        table.add_row("categorical inputs", ", ".join(recipe.get("cat_names", [])) or "-")
        table.add_row("continuous inputs", ", ".join(recipe.get("cont_names", [])) or "-")
        if recipe.get("rare"):  # values too rare in training for a code of their own (tabular recipes)
            counts = ", ".join(
                f"{name} {count:,} value{'' if count == 1 else 's'}" for name, count in recipe["rare"].items()
            )
            fewer = recipe.get("min_category_count")  # recipes of the first grouping did not record it
            seen = f"seen in fewer than {fewer} training rows: " if fewer else ""
            table.add_row(
                "rare category values", f"{counts} ({seen}one shared code, also read for unseen values)"
            )
        if recipe.get("dates"):
            table.add_row("date inputs", date_summary(recipe))
        if recipe.get("words"):  # text columns with a value of their own in each row, read as words
            table.add_row(
                "text inputs (words)", "; ".join(f"{k}: {', '.join(v)}" for k, v in recipe["words"].items())
            )
        if recipe.get("dropped"):
            table.add_row("dropped columns", ", ".join(f"{k} ({v})" for k, v in recipe["dropped"].items()))
    if metadata.get("application") not in ("vision", "text"):
        table.add_row("architecture", str(arch.get("name")))
    if arch.get("name") == "gbdt":
        table.add_row("trees", trees_summary((arch.get("config") or {}).get("settings") or {}))
    training = metadata.get("training", {})
    lineage = training.get("pretrained")
    if isinstance(lineage, dict) and lineage:  # fine-tuned from another model (--pretrained)
        from trainwell.core.lineage import fine_tuned_from

        table.add_row("fine-tuned from", Text(fine_tuned_from(lineage)))
    folded = training.get("folded_in")
    if isinstance(folded, list) and folded:  # ids fitted after training (a recommender's fold-ins), in order
        from trainwell.collab.fold_in_record import folded_in_words

        table.add_row("folded in", Text("\n".join(folded_in_words(record) for record in folded)))
    final = training.get("final", {})
    closed_form = arch.get("name") in ("gbdt", "ease")  # fitted in one pass: no epochs, no training loss
    if not closed_form:
        done, rows = training.get("epochs_trained"), training.get("epochs")
        from trainwell.core.numbers import format_epochs  # no torch: `trainwell info` stays quick

        cut = (
            f"{format_epochs(done)} (the time budget ended epoch {rows} early)"
            if isinstance(done, float)
            else None
        )
        table.add_row("epochs", cut or str(rows))
        table.add_row("training", _steering(training))
        stop = training.get("early_stopping")
        if isinstance(stop, dict) and stop.get("stopped_after_epoch"):
            table.add_row(
                "early stop",
                f"after epoch {stop['stopped_after_epoch']}: {stop.get('monitor')} had not improved for "
                f"{stop.get('patience')} epoch{'' if stop.get('patience') == 1 else 's'}",
            )
    processes = training.get("processes")
    if isinstance(processes, int) and processes > 1:  # trained under torchrun: every process took a share
        table.add_row("processes", f"{processes} (torchrun)")
    if training.get("weights_from_epoch"):  # SaveBest loaded an earlier epoch back: its row is the "final"
        table.add_row("weights", f"epoch {training['weights_from_epoch']}'s (the best one, loaded back)")
    budget = training.get("time_budget")
    if isinstance(budget, dict) and budget.get("summary"):
        table.add_row("time budget", str(budget["summary"]))
    finals = [
        (f"final {key}", value)
        for key, value in final.items()
        if key not in ("fit", "epoch", "lr", "time") and not (closed_form and key == "train_loss")
    ]
    finals += [(f"test {key}", value) for key, value in (training.get("test") or {}).items()]
    grouped = _grouped(value for _, value in finals)  # one column of figures: written alike
    for name, value in finals:
        table.add_row(Text(name), _number(value, grouped))  # Text: "final rmse[price]" is no markup
    compared = training.get("compared")
    if isinstance(compared, dict) and compared:  # what --arch auto chose between
        names = {"tabular_mlp": "MLP", "gbdt": "boosted trees"}
        kept = arch.get("name")
        table.add_row(
            "compared",
            ", ".join(
                f"{names.get(name, name)} valid_loss {_number(row.get('valid_loss'))}"
                + (" (kept)" if name == kept else "")
                for name, row in compared.items()
            ),
        )
    board = training.get("leaderboard")
    if isinstance(board, dict) and board.get("candidates"):  # the same choice, with intervals and times
        table.add_row("leaderboard", Text(leaderboard_summary(board)))
    header = training.get("header_names")
    if isinstance(header, list) and header:  # fitted on a file without a header row (--names)
        table.add_row(
            "read without header",
            Text(f"--names {','.join(map(str, header))} (predict, report and export read files like it so)"),
        )
    tuning = training.get("tuning")
    if isinstance(tuning, dict) and tuning:  # the search (trainwell tune) this model won
        table.add_row("search", tuning_summary(tuning))
    onnx = metadata.get("onnx")
    if isinstance(onnx, dict):
        language_model = (metadata.get("task") or {}).get("kind") == "language_model"
        table.add_row("onnx export", onnx_summary(onnx, served=not language_model))
    table.add_row(
        "versions",
        f"trainwell {metadata.get('trainwell_version')}, torch {metadata.get('torch_version')}, "
        f"format {metadata.get('format_version')}",
    )
    table.add_row("created", str(metadata.get("created")))
    console.print(table)


def _subword_pieces(config: dict[str, Any]) -> str:
    """A subword model's vocabulary as ``info`` says it: its kind and its pieces (``(BPE), vocabulary 4,659
    pieces``), special tokens included."""
    from trainwell.text.subword import stored_piece_count

    pieces = stored_piece_count(config)
    kind = {"bpe": "BPE", "unigram": "unigram"}.get(str(config.get("kind")), "")
    counted = f"vocabulary {pieces:,} pieces" if pieces is not None else "vocabulary of pieces not readable"
    return f"{f' ({kind})' if kind else ''}, {counted}"


def milliseconds(value: float) -> str:
    """A time in milliseconds to read and compare: one decimal from 1 ms up, two significant digits below
    (a small model's batch takes 0.016 ms against PyTorch's 0.037, which one decimal showed as 0.0 and 0.0)."""
    return f"{value:.1f}" if value >= 1 else f"{value:.2g}"


def onnx_summary(onnx: dict[str, Any], *, served: bool = True) -> str:
    """The ``onnx`` entry of ``trainwell.json`` in words: the file, and how it was checked against PyTorch;
    ``served``: ``trainwell serve`` uses it (a language model's graph is for other runtimes)."""
    opset = f" (opset {onnx['opset']})" if onnx.get("opset") else ""
    checked = [f"{onnx[key]:,} {key.removeprefix('n_').removesuffix('_checked')}" for key in onnx
               if key.startswith("n_") and key.endswith("_checked") and isinstance(onnx[key], int)]  # fmt: skip
    where = f" on {onnx['checked_on']}" if onnx.get("checked_on") else ""
    diff = onnx.get("max_abs_diff")
    if not isinstance(diff, (int, float)):
        return f"{onnx.get('file', 'model.onnx')}{opset}; not checked against PyTorch"
    tolerance = (
        f" (tolerance {onnx['tolerance']:.0e})" if isinstance(onnx.get("tolerance"), (int, float)) else ""
    )
    count = f" ({', '.join(checked)})" if checked else ""
    from trainwell.serve.backends import onnx_measured_slower, slower_words, timed_batches

    units = [key.removeprefix("n_").removesuffix("_checked") for key in onnx if key.endswith("_checked")]
    # Every size the export timed: the figures serve --backend auto decides on, not the batch of 64 alone.
    batches = timed_batches({"onnx": onnx})

    def joined(key: str) -> str:
        return "/".join(milliseconds(batch[key]) for batch in batches)

    end_to_end = " end to end" if (onnx.get("speed") or {}).get("scope") == "end_to_end" else ""
    timed = (
        f"; {'/'.join(str(int(batch['items'])) for batch in batches)} {next(iter(units), 'items')} in "
        f"{joined('onnxruntime_ms')} ms (PyTorch {joined('torch_ms')} ms){end_to_end}"
        if batches
        else ""
    )
    application = "vision" if units == ["images"] else "text" if units == ["texts"] else None
    slower = slower_words({"onnx": onnx, "application": application})
    if not served:
        use = "for other runtimes (serve keeps PyTorch)"
    elif onnx_measured_slower({"onnx": onnx}):
        use = f"`trainwell serve` keeps PyTorch: onnxruntime {slower} (--backend onnx to use it)"
    else:
        use = "`trainwell serve` uses it (--backend auto" + (f"; onnxruntime {slower})" if slower else ")")
    return (
        f"{onnx.get('file', 'model.onnx')}{opset}, matches PyTorch{where}{count}: max difference "
        f"{diff:.2e}{tolerance}{timed}; {use}"
    )


def say_budget(budget: Any, console: Console) -> None:
    """What ``--time`` did: the epochs it allowed, or that the fit ended before it (nothing without one)."""
    if budget is not None and budget.fits:
        console.print(f"--time: {budget.summary()}", soft_wrap=True, markup=False)


def trees_summary(settings: dict[str, Any]) -> str:
    """Boosted trees' fit in words (``settings`` as the model keeps them)."""
    where = (
        "the validation rows (the round of lowest loss kept)"
        if settings.get("stopped_on") == "validation"
        else "an inner tenth of the training rows"
    )
    stopping = (
        f"early stopping on {where}, at most {settings.get('max_iter')}"
        if settings.get("early_stopping", True)
        else "a fixed number: a class has a single training row, too few for early stopping"
    )
    return (
        f"{settings.get('n_iter')} boosting rounds ({stopping}), up to {settings.get('max_leaf_nodes')} leaves a "
        f"tree, learning rate {settings.get('learning_rate')}"
    )


def show_table_choice(run: Any, console: Console) -> None:
    """After a table's fit (``trainwell fit``, ``trainwell demo``): what ``--arch auto`` compared (its leaderboard,
    then the choice in one line and how sure it is), and how the trees were grown when trees were kept."""
    board = getattr(run, "leaderboard", None)
    if board is not None:
        print_leaderboard(board.to_dict(), console)
    if run.compared:
        console.print(compared_line(run), soft_wrap=True)
    if board is not None:
        console.print(board.note, soft_wrap=True, markup=False, highlight=False)
    trees = run.learn.model
    if getattr(trees, "closed_form", False):
        console.print(f"gbdt: {trees_summary(getattr(trees, 'settings', {}))}", soft_wrap=True)


def _interval_text(bounds: Any, grouped: bool, value: Any = None) -> str:
    """``[0.7511, 0.8648]``, or ``not estimable`` where a bound is missing (every resample scored alike);
    ``value``: the figure the interval stands beside, whose form the bounds share (:func:`_beside`)."""
    if not isinstance(bounds, list | tuple) or len(bounds) != 2 or any(bound is None for bound in bounds):
        return "not estimable"
    like = _size(value, *bounds)  # both bounds in one form, and the figure's: 1.955e9 [1.795e9, 2.118e9]
    return f"[{_number(bounds[0], grouped, like)}, {_number(bounds[1], grouped, like)}]"


def _beside(value: Any, bounds: Any, grouped: bool) -> str:
    """A figure beside its interval (``bounds``) in the interval's form: ``1.955e9`` by ``[1.795e9, 2.118e9]``."""
    return _number(value, grouped, _size(value, *(bounds if isinstance(bounds, list | tuple) else ())))


def _seconds(value: Any) -> str:
    return (
        "-" if not isinstance(value, int | float) else f"{value:.1f} s" if value >= 0.1 else f"{value:.2f} s"
    )


def _milliseconds(value: Any) -> str:
    return (
        "-"
        if not isinstance(value, int | float)
        else f"{value:,.1f} ms"
        if value >= 0.1
        else f"{value:.3f} ms"
    )


def print_leaderboard(board: dict[str, Any], console: Console) -> None:
    """``--arch auto``'s leaderboard (:func:`leaderboard_table`), each interval in a column of its own where the
    console is wide enough for it, else on its own line under its figure: at 80 columns the side by side table
    broke every interval after its comma and cut the predict column (``44.3`` of ``44.3 ms``)."""
    from trainwell.core.fitting_tables import print_fitting

    print_fitting(console, leaderboard_table(board), lambda: leaderboard_table(board, stacked=True))


def leaderboard_table(board: dict[str, Any], stacked: bool = False) -> Table:
    """``--arch auto``'s leaderboard (:meth:`trainwell.tabular.pipeline.Leaderboard.to_dict`, as ``trainwell.json``
    keeps it): one row per candidate, best validation loss first, each loss and metric with its 95% interval, in
    a column of its own, or ``stacked`` on its own line under the figure (a narrow terminal's form: 28 columns
    fewer, each figure and interval whole on its line)."""
    names = {"tabular_mlp": "MLP", "gbdt": "boosted trees", "constant": "constant"}
    metric = str(board.get("metric") or "metric")
    rows = [row for row in board.get("candidates") or [] if isinstance(row, dict)]
    from rich import box

    table = Table(
        title=f"--arch auto leaderboard: {board.get('rows_validated', 0):,} validation rows, paired 95% intervals",
        caption="fit: seconds; predict: time per 1,000 rows",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
        show_edge=False,  # 2 columns more: a constant's [1.308e10, 1.434e10] stays on one line at 100 columns
    )
    losses = _grouped(
        value
        for row in rows
        for value in (row.get("valid_loss"), *(row.get("valid_loss_interval") or []))
        if value is not None
    )
    metrics = _grouped(
        value
        for row in rows
        for value in (row.get("metric"), *(row.get("metric_interval") or []))
        if value is not None
    )
    cells = [
        (
            names.get(str(row.get("name")), str(row.get("name"))) + (" (kept)" if row.get("kept") else ""),
            _beside(row.get("valid_loss"), row.get("valid_loss_interval"), losses),
            _interval_text(row.get("valid_loss_interval"), losses, row.get("valid_loss")),
            _beside(row.get("metric"), row.get("metric_interval"), metrics),
            _interval_text(row.get("metric_interval"), metrics, row.get("metric")),
            _seconds(row.get("fit_seconds")),
            _milliseconds(row.get("predict_ms_per_1000_rows")),
        )
        for row in rows
    ]
    table.add_column("model", no_wrap=True)
    if stacked:
        for column in ("valid_loss\n[95% CI]", f"{metric}\n[95% CI]", "fit", "predict"):
            table.add_column(column, justify="right", no_wrap=True)
        for name, loss, loss_interval, score, score_interval, fit, predict in cells:
            table.add_row(name, f"{loss}\n{loss_interval}", f"{score}\n{score_interval}", fit, predict)
        return table
    for at, column in enumerate(("valid_loss", "95% CI", metric, "95% CI ", "fit", "predict"), start=1):
        # An interval may wrap after its comma when its figures are long (a price's squared error): each half whole
        halves = [len(half) + 1 for cell in cells for half in cell[at].split(" ")] if "CI" in column else []
        table.add_column(
            column, justify="right", no_wrap="CI" not in column, min_width=max(halves, default=None)
        )
    for cell in cells:
        table.add_row(*cell)
    return table


def leaderboard_summary(board: dict[str, Any]) -> str:
    """The leaderboard in one line for ``trainwell info``: each candidate's loss and metric with intervals, its
    times, the one kept, and the certainty of the choice."""
    names = {"tabular_mlp": "MLP", "gbdt": "boosted trees", "constant": "constant baseline"}
    metric = str(board.get("metric") or "metric")
    parts = []
    for row in board.get("candidates") or []:
        if not isinstance(row, dict):
            continue
        times = ""
        if isinstance(row.get("fit_seconds"), int | float):
            times = f", fit {_seconds(row['fit_seconds'])}, predict {_milliseconds(row.get('predict_ms_per_1000_rows'))}"
            times += " per 1,000 rows"
        parts.append(
            f"{names.get(str(row.get('name')), str(row.get('name')))} valid_loss "
            f"{_beside(row.get('valid_loss'), row.get('valid_loss_interval'), False)} "
            f"{_interval_text(row.get('valid_loss_interval'), False, row.get('valid_loss'))}, {metric} "
            f"{_beside(row.get('metric'), row.get('metric_interval'), False)} "
            f"{_interval_text(row.get('metric_interval'), False, row.get('metric'))}{times}"
            + (" (kept)" if row.get("kept") else "")
        )
    return (
        f"on {board.get('rows_validated', 0):,} validation rows, 95% intervals: "
        + "; ".join(parts)
        + ". "
        + ("The choice is uncertain." if board.get("uncertain") else "The choice holds on these rows.")
    )


def compared_line(run: Any) -> str:
    """One sentence on what ``--arch auto`` chose between, on the same validation rows."""
    names = {"tabular_mlp": "the MLP", "gbdt": "boosted trees"}
    shown = []
    for name, row in run.compared.items():
        loss = row.get("valid_loss")
        shown.append(
            f"{names.get(name, name)} {_loss(loss)}" if isinstance(loss, float) else names.get(name, name)
        )
    kept = names.get(run.arch, run.arch)
    other = "--arch mlp" if run.arch == "gbdt" else "--arch gbdt"
    return (
        f"--arch auto: validation loss {', '.join(shown)} on the same rows; kept {kept} ({other} fits the other; "
        "trainwell evaluate compares them on folds)"
    )


def _loss(value: float) -> str:
    from trainwell.core.numbers import figure

    return figure(value)


def tuning_summary(tuning: dict[str, Any]) -> str:
    """One line on the search a tuned model won: its trials and best trial, and per kind of model searched
    its trials, best score and defaults' score (the kept one marked), whether the model is the defaults'
    trial, kept because the best's gain was within the validation rows' noise, and that gain's reality check
    (its p-value, and how many trials the best was chosen from)."""
    names = {"tabular_mlp": "MLP", "gbdt": "boosted trees"}
    said = f"{_trials(tuning.get('trials'))} on {tuning.get('metric')}, best trial {tuning.get('best_trial')}"
    kinds = tuning.get("kinds")
    if isinstance(kinds, dict) and len(kinds) > 1:
        said += ": " + ", ".join(
            f"{names.get(name, name)} {_trials(kind.get('trials'))}, best {_number(kind.get('best'))}, defaults "
            f"{_number(kind.get('defaults'))}" + (" (kept)" if name == tuning.get("arch") else "")
            for name, kind in kinds.items()
            if isinstance(kind, dict)
        )
    else:
        said += f" ({_number(tuning.get('best_value'))}; defaults {_number(tuning.get('default_value'))})"
    p_value, compared = tuning.get("gain_p_value"), tuning.get("trials_compared")
    # The reality check of the best's gain, the choice of the best of the compared trials counted.
    checked = f" (p = {p_value:.3f}, best of {_trials(compared)})" if isinstance(p_value, float) else ""
    if tuning.get("kept") == "defaults":  # the best's gain was within the validation rows' noise
        said += (
            f"; this is the defaults' trial {tuning.get('kept_trial')}, the best's gain being within the noise"
            f"{checked}"
        )
    elif tuning.get("kept") == "fallback":  # an earlier run's best could not be trained again as it scored
        found = tuning.get("refitted")
        refitted: dict[str, Any] = found if isinstance(found, dict) else {}
        said += (
            f"; trial {refitted.get('trial', tuning.get('best_trial'))} (an earlier run's) could not be trained "
            f"again as it scored: this is trial {tuning.get('kept_trial')}'s model, this run's best"
        )
    elif isinstance(p_value, float) and tuning.get("kept_trial") == tuning.get("best_trial"):
        from trainwell.automl._gain import GAIN_ALPHA

        clear = "clear of" if p_value < GAIN_ALPHA else "within"
        said += f"; the best's gain over the defaults is {clear} the noise{checked}"
    return said + f"; every trial in {tuning.get('record', 'tuning.json')}"


def _trials(count: Any) -> str:
    return "1 trial" if count == 1 else f"{count} trials"


def check_weights_file(path: Path) -> None:
    """Refuse, after ``trainwell info`` showed the table, a model directory whose weights cannot be loaded, as far
    as the file's header tells (a truncated copy, a garbled or missing file): info read only trainwell.json, and
    said a model was healthy that predict, serve and export then refused. No torch: the header is read by hand.

    Raises:
        ArtifactError: Naming the file and what is wrong, with the fix ``read_artifact``'s message gives.
    """
    from trainwell.core.errors import ArtifactError
    from trainwell.core.model_dir import WEIGHTS_FILE, weights_file_problem

    weights = path / WEIGHTS_FILE
    if not weights.is_file():
        raise ArtifactError(
            f"model directory '{path}' has no {WEIGHTS_FILE} (the weights), so the model cannot be loaded: restore "
            "it from where it was copied, or write it again (`trainwell fit --out`)"
        )
    problem = weights_file_problem(weights)
    if problem is not None:
        raise ArtifactError(
            f"{weights} is corrupted or not a safetensors file ({problem}), so the model cannot be loaded: "
            "restore it from where it was copied, or re-export the model"
        )


def check_architecture_known(metadata: dict[str, Any], path: Path) -> None:
    """Refuse, after ``trainwell info`` showed the table, a model directory whose architecture this version of
    trainwell does not have (saved by a newer version, or a hand edit): info had shown it as a healthy model that
    predict, serve and export then refused. No torch: the built-in names are a list of their own.

    Raises:
        ArtifactError: Naming the architecture, the known ones, and the fix.
    """
    from trainwell.core.arch_names import BUILTIN_ARCHITECTURES, unknown_architecture
    from trainwell.core.errors import ArtifactError

    name = unknown_architecture(metadata)
    if name is None:
        return
    written = metadata.get("trainwell_version")
    by = f"saved by trainwell {written}; " if isinstance(written, str) else ""
    raise ArtifactError(
        f"model directory '{path}': architecture {name!r} is not one this version of trainwell knows ({by}known: "
        f"{', '.join(BUILTIN_ARCHITECTURES)}); upgrade trainwell to load it, or, if it is your own, import the "
        f"module that registers it (@register_model({name!r})) and load it in Python"
    )
