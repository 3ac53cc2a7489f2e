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
#: a factor model of a sparse matrix from memorising it.
DEFAULT_LR = 5e-3
DEFAULT_WD = 0.1


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
    lr: float = DEFAULT_LR,
    wd: float = DEFAULT_WD,
    **learner_kwargs: Any,
) -> Learner:
    """A Learner with a collaborative-filtering model sized from ``data``.

    Args:
        data: A bundle from :func:`~trainwell.collab.ratings_data`.
        arch: ``"dot_bias"`` (matrix factorisation with biases, the default) or ``"collab_nn"`` (embeddings +
            MLP), or another registered collab architecture.
        n_factors: Width of the factors (``dot_bias``).
        layers, dropout: The MLP (``collab_nn``).
        lr: Default peak learning rate for ``fit_one_cycle``.
        wd: Decoupled weight decay (AdamW's), applied to factors and biases alike.
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
    learn = Learner(model, data, lr=lr, wd=wd, callbacks=callbacks, **learner_kwargs)
    learn.model_spec = {"name": arch, "config": config}
    return learn
