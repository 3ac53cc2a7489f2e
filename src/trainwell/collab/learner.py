"""The collaborative-filtering Learner factory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from trainwell.callbacks.closed_form import ClosedForm
from trainwell.callbacks.threads import with_one_thread
from trainwell.collab.data import chosen_items
from trainwell.collab.models import fill_seen, register_seen
from trainwell.core.errors import ConfigError
from trainwell.data.bundle import DataBundle
from trainwell.learner.events import Callback
from trainwell.learner.kept_predictions import weights_state
from trainwell.learner.learner import Learner
from trainwell.learner.one_thread import OneThreadPasses
from trainwell.models.registry import accepts_option, create_model

if TYPE_CHECKING:
    import pandas as pd
    import torch

#: Settings measured on MovieLens 100k (benchmarks/movielens.py): strong decoupled weight decay is what keeps
#: a factor model of a sparse ratings matrix from memorising it.
DEFAULT_LR = 5e-3
DEFAULT_WD = 0.1
#: Implicit feedback (every row an interaction, negatives drawn each epoch) ranks best with a higher rate and a
#: tenth of the decay: the drawn negatives already regularise (measured on MovieLens 100k, leave-one-out).
IMPLICIT_LR = 1e-2
IMPLICIT_WD = 0.01


def default_settings(data: DataBundle) -> tuple[float, float]:
    """``(lr, wd)`` for ``data``: the ratings defaults, or the implicit-feedback ones."""
    implicit = bool(getattr(data.recipe, "implicit", False))
    return (IMPLICIT_LR, IMPLICIT_WD) if implicit else (DEFAULT_LR, DEFAULT_WD)


class UnknownAsAverage(Callback):
    """Keeps the unseen-id rows of a collab model at the mean of the known rows (see ``refresh_unknown``):
    refreshed before each validation (cold-start validation rows are scored by it) and at the end of the fit."""

    order = -30  # before the validation batches and before anything that saves the model at the end

    def __init__(self) -> None:
        # The weights just after the last refresh (weights_state): while they are unchanged, the rows hold it.
        self._refreshed: tuple[tuple[int, int, int], ...] | None = None

    def before_validate(self, learn: Learner) -> None:
        self._refresh(learn)
        self._refreshed = weights_state(learn.model)

    def after_fit(self, learn: Learner) -> None:
        # Nothing trained since the last validation's refresh: writing the same rows again would mark the weights
        # changed, and the predictions that pass kept (KeepValidationPredictions) would be scored again.
        if self._refreshed is None or weights_state(learn.model) != self._refreshed:
            self._refresh(learn)

    @staticmethod
    def _refresh(learn: Learner) -> None:
        refresh = getattr(learn.model, "refresh_unknown", None)
        if callable(refresh):
            refresh()


def collab_learner(
    data: DataBundle,
    *,
    arch: str = "dot_bias",
    n_factors: int = 50,
    layers: Sequence[int] = (256, 128),
    dropout: float = 0.1,
    lr: float | None = None,
    wd: float | None = None,
    ease_lambda: float | None = None,
    **learner_kwargs: Any,
) -> Learner:
    """A Learner with a collaborative-filtering model sized from ``data``.

    Args:
        data: A bundle from :func:`~trainwell.collab.ratings_data`.
        arch: ``"dot_bias"`` (matrix factorisation with biases, the default) or ``"collab_nn"`` (embeddings +
            MLP), or ``"ease"`` for implicit feedback (EASE, fitted in closed form here and now; see
            :class:`~trainwell.collab.ease.EASEModel`), or another registered collab architecture.
        n_factors: Width of the factors (``dot_bias``).
        layers, dropout: The MLP (``collab_nn``).
        lr: Default peak learning rate for ``fit_one_cycle`` (ratings 5e-3, implicit feedback 1e-2).
        wd: Decoupled weight decay (AdamW's), applied to factors and biases alike (ratings 0.1, implicit 0.01).
        ease_lambda: EASE's regularisation; ``None`` chooses it on an inner hold-out of the training
            interactions (``ease`` only).
        **learner_kwargs: Passed to :class:`~trainwell.Learner` (``loss``, ``opt``, ``metrics``, ``callbacks``...).

    A model trained by gradient trains and is evaluated on one CPU thread
    (:class:`~trainwell.callbacks.threads.OneThread`, in ``learn.callbacks``): its batches are a few small
    embedding operators, whose parallel regions cost more than they save, several times more on busy cores;
    ``learn.remove_callback(OneThread)`` gives it every thread torch takes.
    """
    if data.application != "collab":
        raise ConfigError(f"collab_learner needs data from ratings_data, got a {data.application!r} bundle")
    config: dict[str, Any] = dict(data.model_hints)
    if arch == "dot_bias":
        config["n_factors"] = int(n_factors)
    elif arch == "collab_nn":
        config.update(layers=list(layers), dropout=float(dropout))
    offsets, seen = chosen_items(data)
    if arch == "ease":
        model, config = _fit_ease(data, ease_lambda)
        config["n_seen"] = len(seen)
        register_seen(model, config["n_users"], len(seen))
    else:
        if accepts_option(arch, "n_seen"):  # the built-in ones do; a user's own may
            config["n_seen"] = len(seen)
        model = create_model(arch, **config)
    if hasattr(model, "seen_items"):
        fill_seen(model, offsets, seen)
    callbacks = [*learner_kwargs.pop("callbacks", ()), UnknownAsAverage()]
    if getattr(model, "closed_form", False):
        callbacks.append(ClosedForm())
    else:  # EASE's scoring is one large product, which threads do speed
        callbacks = with_one_thread(callbacks)
    if data.task.kind == "regression" and data.valid is not None:
        from trainwell.collab.baselines import BiasBaselineScore

        callbacks.append(BiasBaselineScore())
    ranking = getattr(data.valid, "ranking", None)
    if ranking is not None:  # implicit feedback: rank each held-out interaction among all items
        from trainwell.collab.implicit import RankingMetrics

        callbacks.append(RankingMetrics(ranking, ease=arch != "ease"))  # no bar against itself
        if learner_kwargs.get("metrics") is None:
            learner_kwargs["metrics"] = ["roc_auc"]  # accuracy and F1 mean nothing against drawn negatives
    default_lr, default_wd = default_settings(data)
    learn = CollabLearner(
        model,
        data,
        lr=default_lr if lr is None else lr,
        wd=default_wd if wd is None else wd,
        callbacks=callbacks,
        **learner_kwargs,
    )
    learn.model_spec = {"name": arch, "config": config}
    return learn


class CollabLearner(OneThreadPasses):
    """A Learner of a ratings or implicit-feedback model whose evaluation passes keep to one thread while its fits
    do (:class:`~trainwell.learner.one_thread.OneThreadPasses`)."""


def _fit_ease(data: DataBundle, lam: float | None) -> tuple[Any, dict[str, Any]]:
    """EASE fitted on the training interactions of ``data``, and the config that rebuilds it."""
    from trainwell.collab.baselines import MAX_EASE_ITEMS
    from trainwell.collab.ease import EASEModel

    train: Any = data.train
    if not getattr(data.recipe, "implicit", False) or not hasattr(train, "users"):
        raise ConfigError(
            "--arch ease ranks items from interactions (implicit feedback) and cannot predict ratings; pass "
            "--implicit (ratings_data(..., implicit=True)), or choose dot_bias for ratings"
        )
    n_users, n_items = int(data.model_hints["n_users"]), int(data.model_hints["n_items"])
    if n_items - 1 > MAX_EASE_ITEMS:
        raise ConfigError(
            f"--arch ease inverts an items x items matrix and stops at {MAX_EASE_ITEMS:,} items; this data has "
            f"{n_items - 1:,}. Choose dot_bias, or keep the most frequent items"
        )
    model = EASEModel.fit(
        train.users, train.items, n_users, n_items, lam=lam, seed=int(getattr(train, "seed", 0))
    )
    config = {
        "n_users": n_users,
        "n_items": n_items,
        "n_interactions": len(model.history_items),
        "lam": model.lam,
        "n_out": 1,
    }
    return model, config


def shown_inputs(learn: Learner, inputs: Sequence[torch.Tensor], count: int) -> pd.DataFrame:
    """The user and item of the first ``count`` validation rows, as the ratings named them, for
    ``learn.show_results()`` (:mod:`trainwell.learner.show_results` finds it by name); ``inputs[0]`` holds their
    codes ``(N, 2)``, ``0`` for a user or an item training never saw, shown as ``(unseen)``."""
    import pandas as pd

    recipe: Any = learn.data.recipe
    codes = inputs[0][:count].tolist()
    columns: dict[str, list[str]] = {}
    for position, (name, known) in enumerate(
        ((recipe.user_col, recipe.users), (recipe.item_col, recipe.items))
    ):
        columns[name] = [known[row[position] - 1] if row[position] > 0 else "(unseen)" for row in codes]
    return pd.DataFrame(columns)
