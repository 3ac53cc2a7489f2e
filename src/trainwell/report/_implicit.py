"""Report sections for an implicit-feedback recommender: how often each user's latest interaction is among the
top recommendations, against popularity and EASE on the same users, for which users and which items it works,
how much of the catalogue it recommends, and a few users' recommendations to look at.

The report's data is an interactions table read as the fit reads it: each (user, item) pair once, and each
user's latest interaction held out and ranked among every item the user has not touched in the rest of the
table or in the model's own record of the fit's data (what ``recommend`` leaves out). On the table the model was
trained on, that is exactly the fit's validation.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from trainwell.core.errors import DataError
from trainwell.report import _html

if TYPE_CHECKING:
    import pandas as pd

    from trainwell.collab.implicit import HeldOutRanking
    from trainwell.collab.predictor import CollabPredictor

K = 10
#: Users whose recommendations are listed.
EXAMPLE_USERS = 5
#: History lengths that bound the user groups: 1-5 interactions, 6-20, 21-100, more.
ACTIVITY_EDGES = (5, 20, 100)
#: Share of the catalogue, most interacted-with first, counted as the head.
HEAD_SHARE = 0.1


def implicit_report_sections(
    predictor: CollabPredictor,
    frame: pd.DataFrame,
    source: str,
    *,
    seed: int = 0,
    item_names: dict[str, str] | None = None,
    k: int = K,
) -> tuple[list[str], list[str]]:
    """Intro paragraphs and sections for an implicit-feedback model judged on the interactions ``frame``; items
    are shown with their names in ``item_names`` (by id key) when given; ``k``: places in each list (hit@k, ndcg@k,
    the top-k shown)."""
    from trainwell.collab.baselines import EASE, MAX_EASE_ITEMS
    from trainwell.collab.data import split_latest
    from trainwell.collab.implicit import held_out_ranks, model_scores

    recipe = predictor.recipe
    for name, what in ((recipe.user_col, "user"), (recipe.item_col, "item")):
        if name not in frame.columns:
            raise DataError(
                f"{what} column '{name}' not found in {source}; the report needs the model's interactions table. "
                f"Columns are: {', '.join(map(str, list(frame.columns)[:20]))}"
            )
    history, held = split_latest(frame, recipe.user_col, recipe.item_col, seed=seed, name=source)
    ranking, unranked = _ranking(predictor, history, held, source)
    rows = np.arange(len(ranking.users))
    scores_of = model_scores(predictor.model, ranking.n_items, torch.device("cpu"))
    counts = torch.as_tensor(ranking.popularity[1:], dtype=torch.float32)
    ranks = {
        "model": held_out_ranks(scores_of, ranking, rows),
        "popularity": held_out_ranks(lambda users: counts.expand(len(users), -1), ranking, rows),
    }
    ease_note = ""
    if getattr(predictor.model, "closed_form", False):  # the model is EASE itself (--arch ease)
        ease_note = " The model is EASE itself, so EASE is not repeated as a bar."
    elif ranking.n_items - 1 <= MAX_EASE_ITEMS:
        ease, ranks["ease"] = EASE.fit_on(ranking, rows, k)
        ease_note = f" EASE is fitted on the same history (λ = {ease.lam:g}, chosen on that history)."
    else:
        ease_note = (
            f" EASE is left out: {ranking.n_items - 1} items is more than the {MAX_EASE_ITEMS} it handles."
        )
    sections = [
        _metrics_section(ranks, ease_note, seed, k),
        _activity_section(ranks, ranking, k),
        _item_section(ranks, ranking, k),
        _coverage_section(scores_of, ranking, rows, k),
        _examples_section(predictor, scores_of, ranking, ranks["model"], item_names or {}, k),
    ]
    skipped = (
        f" {unranked} held-out interactions of users or items the model never saw are not ranked (the model "
        "scores them as the average user or item)."
        if unranked
        else ""
    )
    intro = [
        # The model, its users and items and the trainwell version are the header's (_collab's facts): not again.
        _html.paragraph(
            f"From {source}, each user's latest interaction is held out and ranked among every item the user has "
            f"not touched in the rest of it or in the model's own record (the fit's data), as recommend leaves "
            f"them out: {len(rows)} users ranked.{skipped} On the table the model was "
            "trained on, this is the fit's own validation."
        )
    ]
    return intro, sections


def _ranking(
    predictor: CollabPredictor, history: pd.DataFrame, held: pd.DataFrame, source: str
) -> tuple[HeldOutRanking, int]:
    """The held-out interactions the model can rank (user and item known), and how many it cannot."""
    from trainwell.collab.implicit import HeldOutRanking, pair_keys, with_model_record

    recipe = predictor.recipe
    n_items = int(recipe.n_items)
    history_codes, _ = recipe.transform(history, source=source)
    held_codes, _ = recipe.transform(held, source=source)
    known = ((held_codes[:, 0] > 0) & (held_codes[:, 1] > 0)).numpy()
    if not known.any():
        raise DataError(
            f"none of the {len(held)} held-out interactions in {source} is of a user and an item the model knows; "
            "pass the interactions table the model was trained on, or later interactions of the same users"
        )
    users, items = history_codes[:, 0].numpy(), history_codes[:, 1].numpy()
    seen = (users > 0) & (items > 0)
    keys = np.unique(pair_keys(users[seen], items[seen], n_items))
    popularity = np.bincount(items[seen], minlength=n_items)
    ranking = HeldOutRanking(
        held_codes[known, 0].numpy(), held_codes[known, 1].numpy(), keys, n_items, popularity
    )
    # the model's own record of each user's items is left out too, as recommend leaves it out
    return with_model_record(predictor, ranking), int((~known).sum())


def _metrics_section(ranks: dict[str, np.ndarray], ease_note: str, seed: int, k: int = K) -> str:
    from trainwell.evaluate.ranking import compare_rankings, explain_ranking

    lines = explain_ranking(ranks, k, seed=seed)
    reciprocal = _mrr_rows(ranks, k, seed)
    rows = []
    for line in lines:
        rows.append((line.name, line.value, f"[{line.low:.4f}, {line.high:.4f}]", line.sentence))
        if line.name.startswith(f"ndcg@{k}"):  # each ranking's MRR after its NDCG
            rows.extend(reciprocal.pop(line.name.replace(f"ndcg@{k}", "", 1).lstrip("_") or "model", []))
    verdicts = [
        (
            comparison.baseline,
            comparison.difference,
            f"[{comparison.low:+.4f}, {comparison.high:+.4f}]",
            comparison.verdict,
        )
        for comparison in compare_rankings(ranks, k, seed=seed)
    ]
    return _html.section(
        "metrics",
        "Ranking quality",
        [
            _html.paragraph(
                f"hit@{k}: the held-out item is among the {k} highest-scored items the user has not touched. "
                f"ndcg@{k}: the same, worth more the nearer the top. mrr@{k}: 1 over the held-out item's place "
                f"(1 = first), 0 outside the top {k}. Each user has one held-out item, so recall@{k} (the share of "
                f"their held-out items listed) is hit@{k}, and MAP@{k} is mrr@{k}. Intervals: 95% bootstrap over "
                "users. Popularity "
                "recommends the most interacted-with items to everyone; EASE is a closed-form item-to-item model "
                f"as strong as a tuned matrix factorisation on MovieLens.{ease_note}",
                note=True,
            ),
            _html.table(["metric", "value", "95% interval", "what it means here"], rows),
            "<h3>The model against each baseline</h3>",
            _html.paragraph(
                f"ndcg@{k} of the model minus the baseline's, on the same users (a paired bootstrap): an interval "
                "above 0 means the model is better on these users, one that straddles 0 that the data cannot tell "
                "them apart.",
                note=True,
            ),
            _html.table(["baseline", "difference", "95% interval", "verdict"], verdicts),
        ],
    )


def _mrr_rows(ranks: dict[str, np.ndarray], k: int, seed: int, n_boot: int = 1000) -> dict[str, list[Any]]:
    """By ranking: its ``mrr@k`` row of the metrics table (1 over the held-out item's 1-based place inside the top
    ``k``, else 0; ties count half, as the places do), with a 95% bootstrap interval over users."""
    found: dict[str, list[Any]] = {}
    draws: np.ndarray | None = None
    for name, places in ranks.items():
        places = np.asarray(places, dtype=np.float64)
        values = np.where(places < k, 1.0 / (places + 1.0), 0.0)
        if draws is None:
            draws = np.random.default_rng(seed).integers(0, len(values), size=(n_boot, len(values)))
        means = values[draws].mean(axis=1) if len(values) else np.full(n_boot, np.nan)
        value = float(values.mean()) if len(values) else float("nan")
        low, high = float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))
        if name == "model":
            sentence = (
                f"1 over the held-out item's place (1 = first) when it is in the top {k}, 0 when not, averaged "
                f"over the {len(places):,} users: the nearer 1, the nearer the top it is found"
            )
            label = f"mrr@{k}"
        else:
            from trainwell.evaluate.ranking import BASELINE_NAMES

            sentence = f"mrr@{k} of {BASELINE_NAMES.get(name, name)}: a bar a personal model must clear"
            label = f"mrr@{k}_{name}"
        found[name] = [(label, value, f"[{low:.4f}, {high:.4f}]", sentence)]
    return found


def _hit_rates(ranks: dict[str, np.ndarray], mask: np.ndarray, k: int = K) -> list[float]:
    return [float((places[mask] < k).mean()) if mask.any() else float("nan") for places in ranks.values()]


def _history_lengths(ranking: HeldOutRanking) -> np.ndarray:
    """How many interactions each ranked user has in the history."""
    users = ranking.seen // ranking.n_items
    return np.bincount(users, minlength=int(ranking.users.max()) + 1)[ranking.users]


def _activity_section(ranks: dict[str, np.ndarray], ranking: HeldOutRanking, k: int = K) -> str:
    history_length = _history_lengths(ranking)
    edges = [0, *ACTIVITY_EDGES, None]
    rows = []
    for low, high in itertools.pairwise(edges):
        assert low is not None
        mask = history_length > low if high is None else (history_length > low) & (history_length <= high)
        if mask.any():
            label = f"more than {low}" if high is None else f"{low + 1} to {high}"
            rows.append((label, int(mask.sum()), *_hit_rates(ranks, mask, k)))
    return _hit_rate_section(
        "activity",
        "Who it works for",
        f"hit@{k} of users grouped by how many interactions they have in the history. A personal model should gain "
        "most over popularity for users it knows well; for users with few interactions, popularity is hard to beat.",
        "interactions in history",
        ranks,
        rows,
        k,
    )


def _hit_rate_section(
    anchor: str, title: str, note: str, first: str, ranks: dict[str, np.ndarray], rows: list[Any], k: int = K
) -> str:
    """A section with one table: a group per row, its user count and each ranking's hit rate."""
    return _html.section(
        anchor,
        title,
        [
            _html.paragraph(note, note=True),
            _html.table([first, "users", *[f"hit@{k} {name}" for name in ranks]], rows),
        ],
    )


def _item_section(ranks: dict[str, np.ndarray], ranking: HeldOutRanking, k: int = K) -> str:
    popularity = ranking.popularity
    order = np.argsort(-popularity[1:], kind="stable") + 1
    n_head = max(1, round(HEAD_SHARE * (len(popularity) - 1)))
    head = np.isin(ranking.items, order[:n_head])
    rows = []
    for label, mask in ((f"head: the {n_head} most interacted-with items", head), ("the other items", ~head)):
        if mask.any():
            rows.append((label, int(mask.sum()), *_hit_rates(ranks, mask, k)))
    return _hit_rate_section(
        "items",
        "Popular items and the long tail",
        f"hit@{k} by what the held-out item was. A model that only finds the popular items recommends what users "
        "would have found anyway; finding the others is what a personal model is for.",
        "held-out item",
        ranks,
        rows,
        k,
    )


@torch.no_grad()
def _top_items(scores_of: Any, ranking: HeldOutRanking, rows: np.ndarray, k: int = K) -> np.ndarray:
    """``(len(rows), k)`` item codes: each user's top ``k`` among the items they have not touched."""
    from trainwell.collab.implicit import unseen_scores

    tops = [
        torch.topk(scores, min(k, scores.shape[1]), dim=1).indices.cpu().numpy() + 1
        for _, _, scores in unseen_scores(scores_of, ranking, rows)
    ]
    return np.concatenate(tops)


def _coverage_section(scores_of: Any, ranking: HeldOutRanking, rows: np.ndarray, k: int = K) -> str:
    tops = _top_items(scores_of, ranking, rows, k)
    n_real = ranking.n_items - 1
    recommended = np.unique(tops)
    counts = np.bincount(tops.reshape(-1), minlength=ranking.n_items)[1:]
    share_top = float(np.sort(counts)[::-1][: max(1, n_real // 100)].sum() / max(counts.sum(), 1))
    rows_out = [
        (
            "items recommended to at least one user",
            f"{len(recommended)} of {n_real} ({len(recommended) / n_real:.0%})",
        ),
        ("share of all recommendations taken by the top 1% of items", f"{share_top:.0%}"),
        ("for comparison, the popularity ranking", f"recommends the same {k} items to nearly everyone"),
    ]
    return _html.section(
        "coverage",
        "How much of the catalogue it recommends",
        [
            _html.paragraph(
                f"Over each ranked user's top {k}: a model that recommends a small corner of the catalogue to "
                "everyone behaves like a popularity list, whatever its hit rate.",
                note=True,
            ),
            _html.table(["measure", "value"], rows_out),
        ],
    )


def _examples_section(
    predictor: CollabPredictor,
    scores_of: Any,
    ranking: HeldOutRanking,
    places: np.ndarray,
    names: dict[str, str],
    k: int = K,
) -> str:
    from trainwell.collab.ranking import item_id
    from trainwell.report._collab import named_item

    recipe = predictor.recipe
    active = _history_lengths(ranking)
    rows = np.argsort(-active, kind="stable")[:EXAMPLE_USERS]
    tops = _top_items(scores_of, ranking, rows, k)
    table_rows = []
    for row, top in zip(rows.tolist(), tops, strict=True):
        user = recipe.users[int(ranking.users[row]) - 1]
        held = int(ranking.items[row])
        shown = ", ".join(
            f"[{named_item(item_id(recipe.items[code - 1]), names)}]"
            if code == held
            else named_item(item_id(recipe.items[code - 1]), names)
            for code in top.tolist()
        )
        held_item = named_item(item_id(recipe.items[held - 1]), names)
        table_rows.append((item_id(user), int(active[row]), held_item, float(places[row]) + 1, shown))
    return _html.section(
        "examples",
        "Recommendations to look at",
        [
            _html.paragraph(
                f"The {len(table_rows)} ranked users with the longest histories: the held-out item, its place in "
                f"their ranking (1 = first; ties count half), and their top {k} (the held-out item in brackets when "
                "it is there).",
                note=True,
            ),
            _html.table(["user", "history", "held-out item", "its place", f"top {k}"], table_rows),
        ],
    )
