"""Report sections for a ratings model: metrics, predicted against actual, error by what the model knew,
the largest errors, and what the model learned about the items (biases and nearest neighbours)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from trainwell.core.errors import DataError
from trainwell.report import _html

if TYPE_CHECKING:
    import pandas as pd

    from trainwell.collab.predictor import CollabPredictor

#: Items whose neighbours are listed: the most rated in the report's data.
NEIGHBOUR_ITEMS = 5
NEIGHBOURS = 5
#: Items listed at each end of the item-bias ranking.
BIAS_ITEMS = 10


def read_ratings_frame(data: pd.DataFrame | str | Path) -> tuple[pd.DataFrame, str]:
    """The labelled ratings of ``data`` (a header-less file read as user, item, rating[, timestamp])."""
    import pandas as pd

    from trainwell.collab.data import read_ratings

    if isinstance(data, pd.DataFrame):
        return data.reset_index(drop=True), "the data"
    return read_ratings(data).reset_index(drop=True), str(data)


def collab_report_sections(
    predictor: CollabPredictor,
    frame: pd.DataFrame,
    source: str,
    *,
    top_k: int,
    seed: int = 0,
    item_names: dict[str, str] | None = None,
    header: bool = True,
    k: int | None = None,
) -> tuple[list[str], list[str]]:
    """Intro paragraphs and sections for a ratings model judged on the labelled rows of ``frame``; items are shown
    with their names in ``item_names`` (by id key, :func:`~trainwell.collab.names.read_item_names`) when given;
    ``header``: whether ``frame``'s file opened with a header row (u.data has none: row N is its line N); ``k``: places
    in each top-N list (default 10)."""
    from trainwell.collab.ranking import check_k
    from trainwell.report.build import (
        _metrics_section,
        _regression_section,
        _top_losses_section,
        _training_overlap,
    )

    k = 10 if k is None else k
    check_k(k)
    recipe, task = predictor.recipe, predictor.task
    if recipe.implicit:
        from trainwell.report._implicit import implicit_report_sections

        intro, sections = implicit_report_sections(predictor, frame, source, item_names=item_names or {}, k=k)
        facts = _html.facts(  # the header's lines; the paragraph below them says how the ranking is judged
            f"implicit-feedback recommender ({type(predictor.model).__name__}) ranking items for each user, "
            f"{len(recipe.users):,} users and {len(recipe.items):,} items known from training",
            f"each user's latest interaction in {source}, held out and ranked among the items the user has not "
            "touched there or in the model's record",
        )
        return [facts, *intro], sections
    for name, what in (
        (recipe.user_col, "user"),
        (recipe.item_col, "item"),
        (task.target_names[0], "rating"),
    ):
        if name not in frame.columns:
            raise DataError(
                f"{what} column '{name}' not found in {source}; the report needs rated (user, item) rows. "
                f"Columns are: {', '.join(map(str, list(frame.columns)[:20]))}"
            )
    target = task.target_names[0]
    # The checks a fit makes, in its words: an empty user, item or rating cell, and a rating of a model of
    # numbers that is no number ('five'), infinite or beyond 1e15; a 'five' was a numpy traceback here.
    from trainwell.collab.data import checked_ratings, refuse_unusable_ratings

    frame = checked_ratings(frame, recipe.user_col, recipe.item_col, target, source)
    if task.kind == "regression":
        refuse_unusable_ratings(frame[target], target, source)
    targets = task.encode(frame[target])
    predictions = predictor.predict_proba(frame)
    overlap = _training_overlap(predictor.metadata, frame)
    title = "Metrics on ratings the model trained on" if overlap else "Metrics on held-out data"
    sections = [_metrics_section(task, predictions, targets, len(frame), source, title=title, seed=seed)]
    from trainwell.report._recorded import fit_baselines_note

    # fit showed the biases' RMSE beside the model's; the metrics above were left without it
    biases = fit_baselines_note(
        predictor.metadata, {"rmse": "rmse_biases"}, "user + item biases alone", "ratings"
    )
    baseline_parts = []
    if task.kind == "regression":  # the training mean is kept in the model: scored on these very rows
        baseline_parts = mean_baseline_parts(
            predictions.reshape(-1).double().numpy(),
            targets.reshape(-1).double().numpy(),
            float(recipe.rating_mean),
            seed,
        )
    if biases is not None:
        baseline_parts.append(_html.paragraph(biases, note=True))
    if baseline_parts:
        sections.append(_html.section("baseline", "Baseline", baseline_parts))
    if task.kind == "regression":
        sections.append(_regression_section(predictions, targets, unit="ratings"))
    if task.kind == "regression":  # ratings as numbers: how each user's are ordered, which RMSE does not ask
        from trainwell.report._ratings_ranking import ranking_section

        lowest = getattr(recipe, "rating_min", None)
        lists = None
        if not overlap:  # lists judged on training rows would be judged on items left out as already rated
            from trainwell.collab.top_n import evaluate_top_n

            lists = evaluate_top_n(predictor, frame, k=k, seed=seed)
        ranking = ranking_section(
            frame[recipe.user_col],
            frame[recipe.item_col],
            targets.reshape(-1).double().numpy(),
            predictions.reshape(-1).double().numpy(),
            lowest=float(lowest) if lowest is not None else float(targets.min()),
            seed=seed,
            lists=lists,
        )
        if ranking is not None:
            sections.append(ranking)
    elif task.kind == "binary" and not overlap:  # liked/disliked: the lists alone (no ratings to order by)
        from trainwell.collab.top_n import evaluate_top_n
        from trainwell.report._ratings_ranking import lists_parts

        lists = evaluate_top_n(predictor, frame, k=k, seed=seed)
        if lists is not None:
            sections.append(
                _html.section("ranking", "How the model ranks items for each user", lists_parts(lists))
            )
    sections.append(_cold_start_section(predictor, frame, predictions, targets))
    # the items by name too, as in the bias and neighbour tables below
    named_frame = (
        frame.assign(**{recipe.item_col: [named_item(item, item_names) for item in frame[recipe.item_col]]})
        if item_names
        else frame
    )
    sections.append(
        _top_losses_section(
            task, predictions, targets, named_frame, predictor.input_names, top_k, header_row=header
        )
    )
    sections.extend(_items_sections(predictor, frame, item_names or {}))
    intro = [
        _html.facts(
            f"recommender ({type(predictor.model).__name__}) predicting '{target}' for (user, item) pairs, "
            f"{len(recipe.users):,} users and {len(recipe.items):,} items known from training",
            f"{len(frame):,} rated pairs from {source}",
        )
    ]
    if overlap:
        intro.append(_html.paragraph(overlap))
    return intro, sections


#: Resamples of the rows for the interval of the model's RMSE minus the training mean's.
MEAN_BOOTSTRAPS = 500


def mean_baseline_parts(predicted: np.ndarray, actual: np.ndarray, mean: float, seed: int) -> list[str]:
    """The model's RMSE and MAE on the report's rows beside the training mean rating's (kept in the model as
    ``recipe.rating_mean``) on the same rows, with a 95% bootstrap interval over the rows of the RMSE difference."""
    from trainwell.core.numbers import figure

    def rmse(error: np.ndarray) -> float:
        return float(np.sqrt(np.mean(error**2)))

    ours, theirs = predicted - actual, mean - actual
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(actual), size=(MEAN_BOOTSTRAPS, len(actual)))
    differences = np.sqrt((ours[draws] ** 2).mean(axis=1)) - np.sqrt((theirs[draws] ** 2).mean(axis=1))
    low, high = (float(np.quantile(differences, q)) for q in (0.025, 0.975))
    gap = rmse(ours) - rmse(theirs)
    verdict = (
        "the model is clearly closer than the mean alone"
        if high < 0
        else "the model is no better than the mean alone here: it has learnt nothing of these users and items"
    )
    rows = [
        ("trainwell", rmse(ours), float(np.mean(np.abs(ours)))),
        (
            f"the training mean rating ({mean:.3f}) for every pair",
            rmse(theirs),
            float(np.mean(np.abs(theirs))),
        ),
    ]
    note = (
        f"On the same {len(actual):,} rows, the answer with no information at all: the mean rating of the "
        f"training rows, kept in the model. RMSE of the model minus the mean's: {figure(gap)} "
        f"[{figure(low, like=gap)}, {figure(high, like=gap)}] (95% bootstrap over the rows): {verdict}."
    )
    return [_html.paragraph(note, note=True), _html.table(["answer", "rmse", "mae"], rows)]


def _cold_start_section(
    predictor: CollabPredictor, frame: pd.DataFrame, predictions: torch.Tensor, targets: torch.Tensor
) -> str:
    codes, _ = predictor.recipe.transform(frame)
    known_user, known_item = (codes[:, 0] > 0).numpy(), (codes[:, 1] > 0).numpy()
    groups = {
        "user and item seen in training": known_user & known_item,
        "new user (scored as the average user)": ~known_user & known_item,
        "new item (scored as the average item)": known_user & ~known_item,
        "both new": ~known_user & ~known_item,
    }
    errors = (predictions.reshape(-1).double() - targets.reshape(-1).double()).numpy()
    is_regression = predictor.task.kind == "regression"
    rows = []
    for name, mask in groups.items():
        if not mask.any():
            continue
        part = errors[mask]
        measure = float(np.sqrt(np.mean(part**2))) if is_regression else float(np.mean(np.abs(part)))
        rows.append((name, int(mask.sum()), measure))
    what = "RMSE" if is_regression else "mean absolute error of the probability"
    note = (
        f"The {what} of the rows by what the model knew about their user and item. New users and items get "
        "the average's score: expect them to be worse, and compare with the first line."
    )
    return _html.section(
        "cold-start",
        "Error by what the model knew",
        [_html.paragraph(note, note=True), _html.table(["pairs", "count", what], rows)],
    )


def named_item(item: Any, names: dict[str, str]) -> str:
    """An item's id, with its name when ``names`` (by id key) has one: ``50 Star Wars (1977)``."""
    from trainwell.data.categories import category_key

    name = names.get(category_key(item))
    return f"{item} {name}" if name else str(item)


def _items_sections(predictor: CollabPredictor, frame: pd.DataFrame, names: dict[str, str]) -> list[str]:
    from trainwell.collab.ranking import item_id

    def shown(item: Any) -> str:
        return named_item(item, names)

    recipe, model = predictor.recipe, predictor.model
    sections = []
    bias = getattr(model, "item_bias", None)
    if isinstance(bias, torch.nn.Embedding):
        values = bias.weight.detach().reshape(-1)[1:].numpy()
        order = np.argsort(-values, kind="stable")
        counts = frame[recipe.item_col].map(str).value_counts()

        def listed(positions: np.ndarray) -> list[tuple[Any, float, int]]:
            keys = [recipe.items[i] for i in positions.tolist()]
            return [
                (shown(item_id(k)), float(values[i]), int(counts.get(k, 0)))
                for k, i in zip(keys, positions, strict=True)
            ]

        header = ["item", "bias", f"ratings in {len(frame):,} rows"]
        sections.append(
            _html.section(
                "item-bias",
                "Items liked or disliked whatever the user",
                [
                    _html.paragraph(
                        "The item bias is the part of the score that does not depend on who is rating: high for "
                        "items most people rate above their own average, low for the reverse.",
                        note=True,
                    ),
                    "<h3>Highest</h3>",
                    _html.table(header, listed(order[:BIAS_ITEMS])),
                    "<h3>Lowest</h3>",
                    _html.table(header, listed(order[::-1][:BIAS_ITEMS])),
                ],
            )
        )
    known = frame[recipe.item_col][recipe.item_codes(frame[recipe.item_col]) > 0]
    popular = known.value_counts().index[:NEIGHBOUR_ITEMS].tolist()
    rows = []
    floor = None
    for item in popular:
        neighbours = predictor.similar_items(item, k=NEIGHBOURS)
        floor = neighbours.attrs.get("min_users")
        listed_items = ", ".join(
            f"{shown(n)} ({s:.2f})"
            for n, s in zip(neighbours[recipe.item_col], neighbours["similarity"], strict=True)
        )
        rows.append((shown(item), listed_items))
    if rows:
        sections.append(
            _html.section(
                "neighbours",
                "Nearest items",
                [
                    _html.paragraph(
                        f"For the {len(rows)} items rated most often here, the items whose learned factors point "
                        "the same way (cosine similarity): liked by the same people, whatever their labels say."
                        + (
                            f" Drawn from items at least {floor:,} users chose (as many as the median item): a "
                            "film few rated has factors those few alone shaped."
                            if floor
                            else ""
                        ),
                        note=True,
                    ),
                    _html.table(["item", f"nearest {NEIGHBOURS} (similarity)"], rows),
                ],
            )
        )
    return sections
