"""Scores, rankings and neighbours from a ratings artifact.

``predict`` scores given (user, item) pairs; ``recommend`` ranks every known item for a user;
``recommend_from_items`` ranks them for someone known only by items they chose; ``similar_items`` lists an
item's nearest neighbours by the cosine of its learned factors.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import torch

from trainwell.collab.ranking import (
    check_k,
    folded_in_validation,
    id_list,
    item_id,
    neighbour_floor,
    rank_items,
    refuse_missing_id,
    unknown_id_hint,
    users_per_item,
)
from trainwell.collab.recipe import CollabRecipe
from trainwell.core.errors import ConfigError, DataError
from trainwell.core.warn import warn
from trainwell.export.rows_predictor import RowsPredictor

BATCH_ROWS = 65536


def check_min_users(min_users: Any) -> None:
    if min_users is None:
        return
    if isinstance(min_users, bool) or not isinstance(min_users, int) or min_users < 1:
        raise ConfigError(f"min_users must be a whole number of at least 1, got {min_users!r}; pass e.g. 5")


#: How :meth:`CollabPredictor.predict` begins its warning of ids the model never saw (``trainwell predict`` says
#: its own note instead).
UNSEEN_IDS = "users or items the model never saw, scored as the average known user or item"


def nothing_left(user: Any, seen: int, candidates: bool, keep: str) -> str:
    """The line for a user whose list came back empty because every item was one they already chose (``seen`` of
    them in the model's record); ``keep`` is how to rank those too (``include_seen=True``, ``--include-seen``)."""
    among = "candidate " if candidates else ""
    return (
        f"nothing left to recommend for user {user!r}: every {among}item was left out as one they already chose "
        f"({seen:,} in the data the model was fitted on); {keep} ranks them"
    )


class CollabPredictor(RowsPredictor):
    """(user, item) rows in, predicted ratings (or probabilities of "liked") out.

    Ids are matched by their text form (``196`` and ``"196"`` are one user), and an id that is no training id
    matches one that reads as the same number (``"196.0"`` is 196). A user or an item never seen in
    training is scored as the average known user (or item); :meth:`recommend` for a new user gives the average
    user's ranking, the best non-personal answer.
    """

    application = "collab"
    recipe_class = CollabRecipe
    recipe: CollabRecipe
    #: torch's intra-op threads of :meth:`predict`'s answers (:func:`~trainwell.core.threads.predictor_threads`):
    #: one for a model trained by gradient, which trained on one; ``None`` (the process's own setting) for EASE,
    #: whose scoring is one large product, or to give a large batch every thread torch takes.
    threads: int | None

    def __init__(self, model: torch.nn.Module, task: Any, recipe: Any, metadata: dict[str, Any]) -> None:
        super().__init__(model, task, recipe, metadata)
        self.threads = None if getattr(model, "closed_form", False) else 1

    @property
    def input_names(self) -> list[str]:
        return self.recipe.input_names

    @property
    def item_names(self) -> dict[str, str] | None:
        """Each item's name by its id's key, shown in a ``name`` column by :meth:`recommend`,
        :meth:`similar_items`, :meth:`recommend_from_items` and the item tables, as ``trainwell recommend`` and
        ``POST /recommend`` show them: the names ``fit`` kept from the ratings folder (MovieLens' ``u.item``
        titles, ``item_names.csv`` of the model directory ``model_dir``); ``None`` when the model knows none.
        Set it to name them yourself: ``predictor.item_names = trainwell.read_item_names("u.item", "item",
        encoding="latin-1")``, or a dict of id -> name."""
        if "_item_names" not in self.__dict__:
            directory = getattr(self, "model_dir", None)
            if directory is None:
                return None
            from trainwell.collab.names import stored_item_names

            self._item_names = stored_item_names(directory)
        return self._item_names

    @item_names.setter
    def item_names(self, names: Mapping[Any, Any] | None) -> None:
        from trainwell.data.categories import category_key

        if names is not None and not isinstance(names, Mapping):
            raise ConfigError(
                f"item_names takes a dict of item id -> name (or None), got {type(names).__name__}; read a table "
                "of them with trainwell.read_item_names(path, item_col)"
            )
        self._item_names = (
            None if names is None else {category_key(key): str(value) for key, value in names.items()}
        )

    def _named(self, table: pd.DataFrame) -> pd.DataFrame:
        """``table`` with a ``name`` column after its item ids when the model knows names (an empty cell for
        an item without one)."""
        from trainwell.data.categories import category_key

        names = self.item_names
        column = self.recipe.item_col
        if not names or column not in table.columns or "name" in table.columns:
            return table
        table.insert(
            list(table.columns).index(column) + 1,
            "name",
            [names.get(category_key(item), "") for item in table[column]],
        )
        return table

    def evaluate_lists(
        self,
        rows: pd.DataFrame | str | Any,
        k: int = 10,
        *,
        min_rating: float | None = None,
        seed: int = 0,
    ) -> Any:
        """Judge the top-``k`` lists :meth:`recommend` gives on held-out ratings (``rows``: a DataFrame or a
        ratings file, e.g. MovieLens' ``u1.test``), against the ``k`` most rated items each user has not rated
        (popularity), on the same users: precision@k, hit@k and NDCG@k, with 95% intervals over users, and the
        distinct items listed. A held-out rating counts as relevant from ``min_rating`` (default the top
        quarter of the scale: 4 and 5 on 1-5); for an implicit-feedback model (``fit --implicit``, ``ease``)
        ``rows`` are interactions, (user, item[, time]), each one relevant (with ``min_rating``: those whose
        ``rating`` column is at least it, as a ratings model is judged on the same file). Also recall@k, MRR@k and MAP@k
        (:mod:`~trainwell.collab.top_n`). RMSE does not say whether the lists are any good: a model can
        beat the biases on RMSE and still list worse items than popularity.

        Returns:
            A :class:`~trainwell.collab.top_n.TopNEvaluation` (print it; ``.beats_popularity``,
            ``.to_dict()``), or ``None`` when no user of ``rows`` can be judged.

        Example:
            >>> result = trainwell.load("recs").evaluate_lists("ml-100k/u1.test")  # doctest: +SKIP
            >>> result.model.precision, result.popularity.precision, result.beats_popularity  # doctest: +SKIP
        """
        from trainwell.collab.top_n import evaluate_top_n

        if not isinstance(rows, pd.DataFrame):
            from trainwell.collab.data import read_model_ratings

            rows = read_model_ratings(rows, self.recipe)
        implicit = bool(getattr(self.recipe, "implicit", False))
        # an implicit-feedback model's rows are interactions, (user, item[, time]): its target column is its own
        # name for "chosen", which no file of interactions holds ("column 'interaction' not found")
        target = self.task.target_names[0] if self.task.target_names and not implicit else None
        for name in (self.recipe.user_col, self.recipe.item_col, target):
            if name is not None and name not in rows.columns:
                what = "(user, item) interactions" if implicit else "rated (user, item) rows"
                raise DataError(
                    f"column '{name}' not found in the rows to judge; the lists are judged on {what}. "
                    f"Columns are: {', '.join(map(str, list(rows.columns)[:20]))}"
                )
        return evaluate_top_n(self, rows, k=k, min_rating=min_rating, seed=seed)

    # ------------------------------------------------------------------ what the model learned
    def item_embeddings(self, items: Iterable[Any] | None = None) -> pd.DataFrame:
        """Each item's learned factors (fastai's ``weight(items, is_item=True)``): one row per item, indexed by
        its id, one column per factor; ``items`` picks some (default every training item), in their order."""
        return self._table("item", "factors", items)

    def user_embeddings(self, users: Iterable[Any] | None = None) -> pd.DataFrame:
        """Each user's learned factors, one row per user (indexed by id); ``users`` picks some."""
        return self._table("user", "factors", users)

    def item_biases(self, items: Iterable[Any] | None = None) -> pd.DataFrame:
        """Each item's learned bias (fastai's ``bias(items, is_item=True)``): the part of its score that does not
        depend on the user, indexed by id, with ``name`` when the model knows names and ``seen_by`` (how many
        users chose it) when it keeps that record. ``item_biases().sort_values("bias")`` lists the least and
        the most liked whatever the user."""
        return self._table("item", "bias", items)

    def user_biases(self, users: Iterable[Any] | None = None) -> pd.DataFrame:
        """Each user's learned bias (how far above the average they rate), indexed by id."""
        return self._table("user", "bias", users)

    @torch.no_grad()
    def _table(self, role: str, part: str, ids: Iterable[Any] | None) -> pd.DataFrame:
        recipe = self.recipe
        vocabulary = recipe.items if role == "item" else recipe.users
        column = recipe.item_col if role == "item" else recipe.user_col
        layer = getattr(self.model, f"{role}_{part}", None)
        if not isinstance(layer, torch.nn.Embedding):
            has = "biases" if part == "bias" else "factors"
            raise ConfigError(f"the {type(self.model).__name__} model has no {role} {has} to read")
        if ids is None:
            codes = np.arange(1, len(vocabulary) + 1)
        else:
            wanted = id_list(ids)
            codes = recipe.item_codes(wanted) if role == "item" else recipe.user_codes(wanted)
            unknown = [one for one, code in zip(wanted, codes.tolist(), strict=True) if code == 0]
            if unknown:
                raise DataError(
                    f"{role}s {unknown[:5]} were not in the training ratings "
                    f"({unknown_id_hint(unknown[0], vocabulary, role + 's', folded=folded_in_validation(self))}); "
                    "the model learned nothing of them"
                )
        weights = layer.weight.detach().float().cpu().numpy()[codes]
        index = pd.Index([item_id(vocabulary[code - 1]) for code in codes.tolist()], name=column)
        if part == "bias":
            table = pd.DataFrame({"bias": weights[:, 0]}, index=index)
        else:
            table = pd.DataFrame(
                weights, index=index, columns=[f"factor{i}" for i in range(weights.shape[1])]
            )
        if role == "item" and part == "bias":
            names = self.item_names
            if names:
                from trainwell.data.categories import category_key

                table.insert(0, "name", [names.get(category_key(item), "") for item in index])
            counts = users_per_item(self)
            if counts is not None:
                table["seen_by"] = counts[codes]
        return table

    def predict_proba(self, rows: Any, *, allow_missing_columns: bool = False) -> torch.Tensor:
        """As :meth:`RowsPredictor.predict_proba`; ``rows`` may also be ``(user, item)`` pairs (a list of them,
        or one pair)."""
        return super().predict_proba(self._pairs(rows), allow_missing_columns=allow_missing_columns)

    def predict(
        self, rows: Any, *, allow_missing_columns: bool = False, at_least_one: bool = False
    ) -> pd.DataFrame:
        """As :meth:`RowsPredictor.predict`; ``rows`` may also be ``(user, item)`` pairs (a list of them, or one
        pair): ``predictor.predict([(196, 242), (196, 50)])``. Users or items the model never saw are scored as
        the average known user or item, said in a warning. ``at_least_one=True`` is refused (a ConfigError), as
        every predictor refuses it for a model that is not multi-label: a recommender scores every pair."""
        from trainwell.data.at_least_one import refuse_at_least_one
        from trainwell.data.tables import rows_frame

        refuse_at_least_one(self.task, at_least_one, answers=self._answers())
        frame = rows_frame(self._pairs(rows))
        self._refuse_empty_ids(frame)
        answers = super().predict(frame, allow_missing_columns=allow_missing_columns)
        unknown = self.recipe.unknown_categories(frame)
        if unknown:
            listed = "; ".join(
                f"{column} {', '.join(list(values)[:3])}{' ...' if len(values) > 3 else ''}"
                for column, values in unknown.items()
            )
            warn(f"{UNSEEN_IDS}: {listed}", UserWarning)
        return answers

    def _answers(self) -> str:
        """What this recommender predicts of a (user, item) pair, as a refusal of labels says it."""
        if self.task.kind == "binary" and len(self.task.classes) == 2:
            negative, positive = (str(label) for label in self.task.classes)
            return f"this recommender answers every (user, item) pair '{positive}' or '{negative}' already"
        name = self.task.target_names[0] if self.task.target_names else "rating"
        return f"this recommender predicts each (user, item) pair's {name}, not labels"

    def _refuse_empty_ids(self, frame: pd.DataFrame) -> None:
        """Refuse rows without a user or an item: they were scored as the average one, in silence."""
        columns = [name for name in (self.recipe.user_col, self.recipe.item_col) if name in frame.columns]
        empty = {
            name: (
                frame[name].isna()
                | frame[name].map(lambda value: isinstance(value, str) and not value.strip())
            ).to_numpy(dtype=bool)
            for name in columns
        }
        either = np.logical_or.reduce(list(empty.values())) if empty else np.zeros(len(frame), dtype=bool)
        if either.any():
            first = int(np.flatnonzero(either)[0])
            blank = next(name for name in columns if empty[name][first])
            from trainwell.data.io import INPUT_ROWS
            from trainwell.data.tables import rows_source

            source = rows_source(frame)
            of = "" if source == INPUT_ROWS else f" of {source}"
            raise DataError(
                f"{int(either.sum()):,} of {len(frame):,} rows{of} lack a user or an item (the first: data row "
                f"{first + 1}, its '{blank}' is empty); a recommender scores a user and an item: fill or drop those "
                "rows"
            )

    def _pairs(self, rows: Any) -> Any:
        """``(user, item)`` pairs as rows of the user and item columns; any other rows unchanged."""

        def pair(value: Any) -> bool:
            return (
                isinstance(value, tuple | list)
                and len(value) == 2
                and not any(isinstance(part, Mapping | tuple | list) for part in value)
            )

        if pair(rows):  # one pair alone
            rows = [rows]
        if isinstance(rows, list | tuple) and rows and all(pair(row) for row in rows):
            return pd.DataFrame(
                [tuple(row) for row in rows], columns=[self.recipe.user_col, self.recipe.item_col]
            )
        return rows

    def recommend(
        self,
        user: Any,
        k: int = 10,
        *,
        exclude: Iterable[Any] = (),
        candidates: Iterable[Any] | None = None,
        include_seen: bool = False,
    ) -> pd.DataFrame:
        """The ``k`` items with the highest predicted score for ``user``, best first.

        Args:
            user: A user id as in the training table; or several (a list): each one's ranking in turn, under a
                first column of the user (as ``trainwell recommend MODEL 196 42`` prints them).
            k: How many items to return (fewer when fewer are left).
            exclude: Items to leave out besides those the model keeps, e.g. rated since it was fitted.
            candidates: Rank only these items (ids); unknown ones are an error. Default: every training item.
            include_seen: Keep the items the user already chose in the data the model was fitted on (training
                and validation rows), which are left out by default.

        Returns:
            Columns ``rank``, the item column, ``score`` (the predicted rating or probability) and
            ``known_user`` (False: the user is new and the ranking is the average user's);
            ``attrs["seen_left_out"]`` counts the items left out as already chosen.
        """
        if isinstance(user, list | tuple | np.ndarray | pd.Series):
            if not len(user):
                raise ConfigError("recommend got no user; pass a user id, or several in a list")
            rankings = []
            for one in list(user):
                ranking_table = self.recommend(
                    one, k, exclude=exclude, candidates=candidates, include_seen=include_seen
                )
                ranking_table.insert(0, self.recipe.user_col, one)
                rankings.append(ranking_table)
            table = pd.concat(rankings, ignore_index=True)
            table.attrs["seen_left_out"] = sum(part.attrs["seen_left_out"] for part in rankings)
            return table
        ranking = rank_items(self, user, k, exclude=exclude, candidates=candidates, include_seen=include_seen)
        table = pd.DataFrame(
            {
                "rank": np.arange(1, len(ranking.items) + 1),
                self.recipe.item_col: ranking.items,
                "score": np.asarray(ranking.scores, dtype=np.float32),
                "known_user": ranking.known_user,
            }
        )
        table = self._named(table)
        table.attrs["seen_left_out"] = ranking.seen_left_out  # items left out as already chosen
        if (
            not len(table) and ranking.seen_left_out
        ):  # an empty list with no word was all a user of every item got
            warn(
                nothing_left(user, ranking.seen_left_out, candidates is not None, "include_seen=True"),
                UserWarning,
            )
        return table

    @torch.no_grad()
    def similar_items(self, item: Any, k: int = 10, *, min_users: int | None = None) -> pd.DataFrame:
        """The ``k`` items whose factors point the most the same way as ``item``'s (cosine similarity), among
        those at least ``min_users`` users chose (``seen_by`` says how many did); with ``name`` when the model
        knows the items' names.

        Two films liked by the same people end up with similar factors, whatever their genre labels say; a film
        few people rated has factors those few alone shaped, and its cosine says little. By default
        (``min_users=None``) an item must have been chosen as often as the median item (at least 5 users:
        :func:`~trainwell.collab.ranking.neighbour_floor`; 22 on MovieLens 100k's u1.base);
        ``attrs["min_users"]`` says the floor used, ``min_users=1`` keeps every item.
        """
        check_k(k)
        check_min_users(min_users)
        vectors = getattr(self.model, "item_vectors", None)
        if vectors is None:
            raise ConfigError(f"the {type(self.model).__name__} model has no item factors to compare")
        refuse_missing_id(item, "item", "similar_items", list(self.recipe.items))
        code = int(self.recipe.item_codes([item])[0])
        if code == 0:
            raise DataError(
                f"item {item!r} was not in the training ratings "
                f"({unknown_id_hint(item, self.recipe.items, 'items', folded=folded_in_validation(self))})"
                "; it has no learned factors"
            )
        weights = torch.nn.functional.normalize(vectors().float(), dim=1)
        similarity = weights[1:] @ weights[code]
        similarity[code - 1] = -float("inf")  # not itself
        counts = users_per_item(self)
        floor = neighbour_floor(counts) if min_users is None else min_users
        if counts is not None:
            similarity[torch.from_numpy(counts[1:] < floor)] = -float("inf")
        available = int(torch.isfinite(similarity).sum())
        top = torch.topk(similarity, min(k, available))
        found: dict[str, Any] = {
            "rank": np.arange(1, len(top.indices) + 1),
            self.recipe.item_col: [item_id(self.recipe.items[i]) for i in top.indices.tolist()],
            "similarity": top.values.numpy(),
        }
        if counts is not None:
            found["seen_by"] = counts[1:][top.indices.numpy()]
        table = self._named(pd.DataFrame(found))
        table.attrs["min_users"] = floor if counts is not None else None
        return table

    @torch.no_grad()
    def recommend_from_items(
        self,
        items: Iterable[Any],
        k: int = 10,
        *,
        exclude_given: bool = True,
        exclude: Iterable[Any] = (),
        min_users: int | None = None,
    ) -> pd.DataFrame:
        """The ``k`` best items for someone described only by items they chose: a new visitor's basket, a
        session, a user who joined after training.

        An ``ease`` model scores them exactly as it would score a training user with those items (``score``:
        the probability of choosing the item, as in :meth:`recommend`). A factor model has no exact answer
        without retraining; it ranks items by their mean cosine similarity to the given items' factors
        (``similarity``, in [-1, 1], as :meth:`similar_items` names it: the neighbours it lists, pooled; not a
        rating, which ``score`` is in a user's ranking).

        Args:
            items: Item ids as in the training table; ids the model never saw are skipped.
            k: How many items to return (fewer when fewer are left).
            exclude_given: Leave the given items out of the answer.
            exclude: Other items to leave out; unknown ones are ignored.
            min_users: For a factor model, rank only items at least this many users chose (their cosine means
                something; default as the median item, at least 5: see :meth:`similar_items`;
                ``attrs["min_users"]`` says the floor used).

        Returns:
            Columns ``rank``, the item column and ``score`` (``ease``) or ``similarity`` (factors).

        Raises:
            ConfigError: ``k`` is not a whole number of at least 1, or the model has no item factors.
            DataError: No item is given, or none of them was in the training ratings.
        """
        check_k(k)
        check_min_users(min_users)
        given = id_list(items)
        if not given:
            raise DataError("no items given; name at least one item the user chose, e.g. --from-items 50,172")
        for one in given:
            refuse_missing_id(one, "item", "recommend_from_items", list(self.recipe.items))
        codes = torch.from_numpy(self.recipe.item_codes(given))
        known = codes[codes > 0]
        if len(known) == 0:
            raise DataError(
                f"none of the items {given[:5]} was in the training ratings; the model knows nothing about them"
            )
        if len(known) < len(codes):
            unknown = [item for item, code in zip(given, codes.tolist(), strict=True) if code == 0]
            warn(
                f"items {unknown[:5]} were not in the training ratings and are left out of the basket",
                UserWarning,
            )
        from_items = getattr(self.model, "scores_from_items", None)
        measure = "score"
        counts = None
        if from_items is not None:
            scores = self.task.activate(from_items(known)).double()
        else:
            measure = "similarity"
            vectors = getattr(self.model, "item_vectors", None)
            if vectors is None:
                raise ConfigError(f"the {type(self.model).__name__} model has no item factors to compare")
            weights = torch.nn.functional.normalize(vectors().double(), dim=1)
            scores = (weights @ weights[known].T).mean(1)
            counts = users_per_item(self)
            if counts is not None:
                floor = neighbour_floor(counts) if min_users is None else min_users
                scores[torch.from_numpy(counts < floor)] = -float("inf")
        scores[0] = -float("inf")  # the code of unknown items
        if exclude_given:
            scores[known] = -float("inf")
        scores[torch.from_numpy(self.recipe.item_codes(id_list(exclude)))] = -float("inf")
        values = scores.numpy()
        available = int(np.isfinite(values).sum())
        order = np.argsort(-values, kind="stable")[: min(int(k), available)]  # ties keep the training order
        found = {
            "rank": np.arange(1, len(order) + 1),
            self.recipe.item_col: [item_id(self.recipe.items[i - 1]) for i in order.tolist()],
            measure: values[order].astype(np.float32),
        }
        if counts is not None and measure == "similarity":
            found["seen_by"] = counts[order]  # how many users chose each: a neighbour of few says little
        table = self._named(pd.DataFrame(found))
        table.attrs["min_users"] = floor if counts is not None and measure == "similarity" else None
        return table

    def _outputs(self, frame: pd.DataFrame, allow_missing_columns: bool) -> torch.Tensor:
        """Predicted ratings (regression) or probabilities of the positive label."""
        from trainwell.core.threads import predictor_threads
        from trainwell.data.tables import rows_source

        # the file's path, where the rows were read from one (predictor.predict("ratings.csv")); else "the input
        # rows": naming a file it read as "the input rows" left the user to guess which
        x_cat, _ = self.recipe.transform(
            frame, allow_missing_columns=allow_missing_columns, source=rows_source(frame)
        )
        empty = torch.zeros((0, 0), dtype=torch.float32)
        with predictor_threads(self):  # a network's: one, as it trained
            outputs = [
                self.task.activate(self.model(x_cat[start : start + BATCH_ROWS], empty))
                for start in range(0, len(x_cat), BATCH_ROWS)
            ]
        return torch.cat(outputs).reshape(-1) if outputs else torch.zeros(0)


def predictor_from_artifact(metadata: dict[str, Any], state: Mapping[str, torch.Tensor]) -> CollabPredictor:
    return CollabPredictor.from_artifact(metadata, state)
