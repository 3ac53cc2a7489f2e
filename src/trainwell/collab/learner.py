"""The collaborative-filtering Learner factory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trainwell.core.errors import ConfigError
from trainwell.data.bundle import DataBundle
from trainwell.learner.events import Callback
from trainwell.learner.learner import Learner
from trainwell.models.registry import create_model

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

    def before_validate(self, learn: Learner) -> None:
        self._refresh(learn)

    def after_fit(self, learn: Learner) -> None:
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
    **learner_kwargs: Any,
) -> Learner:
    """A Learner with a collaborative-filtering model sized from ``data``.

    Args:
        data: A bundle from :func:`~trainwell.collab.ratings_data`.
        arch: ``"dot_bias"`` (matrix factorisation with biases, the default) or ``"collab_nn"`` (embeddings +
            MLP), or another registered collab architecture.
        n_factors: Width of the factors (``dot_bias``).
        layers, dropout: The MLP (``collab_nn``).
        lr: Default peak learning rate for ``fit_one_cycle`` (ratings 5e-3, implicit feedback 1e-2).
        wd: Decoupled weight decay (AdamW's), applied to factors and biases alike (ratings 0.1, implicit 0.01).
        **learner_kwargs: Passed to :class:`~trainwell.Learner` (``loss``, ``opt``, ``metrics``, ``callbacks``...).
    """
    if data.application != "collab":
        raise ConfigError(f"collab_learner needs data from ratings_data, got a {data.application!r} bundle")
    config: dict[str, Any] = dict(data.model_hints)
    if arch == "dot_bias":
        config["n_factors"] = int(n_factors)
    elif arch == "collab_nn":
        config.update(layers=list(layers), dropout=float(dropout))
    model = create_model(arch, **config)
    callbacks = [*learner_kwargs.pop("callbacks", ()), UnknownAsAverage()]
    if data.task.kind == "regression" and data.valid is not None:
        from trainwell.collab.baselines import BiasBaselineScore

        callbacks.append(BiasBaselineScore())
    ranking = getattr(data.valid, "ranking", None)
    if ranking is not None:  # implicit feedback: rank each held-out interaction among all items
        from trainwell.collab.implicit import RankingMetrics

        callbacks.append(RankingMetrics(ranking))
        if learner_kwargs.get("metrics") is None:
            learner_kwargs["metrics"] = ["roc_auc"]  # accuracy and F1 mean nothing against drawn negatives
    default_lr, default_wd = default_settings(data)
    learn = Learner(
        model,
        data,
        lr=default_lr if lr is None else lr,
        wd=default_wd if wd is None else wd,
        callbacks=callbacks,
        **learner_kwargs,
    )
    learn.model_spec = {"name": arch, "config": config}
    return learn
