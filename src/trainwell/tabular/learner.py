"""The tabular Learner factory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trainwell.core.errors import ConfigError
from trainwell.data.bundle import DataBundle
from trainwell.learner.learner import Learner
from trainwell.losses import several_targets_loss
from trainwell.models.registry import create_model


def tabular_learner(
    data: DataBundle,
    *,
    arch: str = "tabular_mlp",
    layers: Sequence[int] = (256, 128),
    dropout: float = 0.1,
    numeric_embedding: str = "periodic",
    lr: float = 3e-3,
    wd: float = 0.01,
    **learner_kwargs: Any,
) -> Learner:
    """A Learner with an embeddings + MLP model sized from ``data``.

    Args:
        data: a bundle from :func:`tabular_data`.
        arch: ``"tabular_mlp"`` (or ``"mlp"``: embeddings + MLP, trained by gradient), ``"gbdt"`` (boosted
            trees, fitted here and now by scikit-learn and held as tensors: see :mod:`trainwell.tabular.gbdt`;
            ``learner_kwargs["gbdt_settings"]`` overrides its boosting settings) or another registered tabular
            architecture.
        layers, dropout, numeric_embedding: model settings (see :class:`TabularMLP`).
        lr: default peak learning rate when none is given to ``fit_one_cycle`` (``lr_find`` can choose one).
        wd: decoupled weight decay.
        **learner_kwargs: passed to :class:`Learner` (``loss``, ``opt``, ``metrics``, ``callbacks``, ``device``...).
            The default loss of several regression targets is the MSE of each target's error divided by its
            training standard deviation, so a target in large units does not drown the others.
    """
    if data.application != "tabular":
        raise ConfigError(f"tabular_learner needs data from tabular_data, got a {data.application!r} bundle")
    if arch in GBDT_NAMES:
        return _trees_learner(data, learner_kwargs)
    arch = MLP_NAMES.get(arch, arch)
    config: dict[str, Any] = dict(data.model_hints)
    if "loss" not in learner_kwargs:  # several targets: each one's error in its own standard deviations
        learner_kwargs["loss"] = several_targets_loss(data.task, config)
    config.update(layers=list(layers), dropout=dropout, numeric_embedding=numeric_embedding)
    model = create_model(arch, **config)
    learn = TabularLearner(model, data, lr=lr, wd=wd, **learner_kwargs)
    learn.model_spec = {"name": arch, "config": config}
    return learn


class TabularLearner(Learner):
    """A Learner of a table's network: data set in place of :attr:`data` (the next task of continual learning)
    must read the columns as the first did."""

    def check_new_data(self, data: DataBundle) -> None:
        """Refuse data prepared with another recipe (its categories coded otherwise, its numbers scaled by other
        means): the model's embedding rows and weights would read other values, in silence. Data built with
        ``tabular_data(..., like=learn.data)`` is taken.

        Raises:
            ConfigError: The first difference, and how to build the data the Learner can read.
        """
        old, new = self.data.recipe, data.recipe
        if old is None or new is None or old is new or old.to_dict() == new.to_dict():  # type: ignore[attr-defined]
            return
        mine, theirs = old.to_dict(), new.to_dict()  # type: ignore[attr-defined]
        differs = next((key for key in mine if mine.get(key) != theirs.get(key)), "columns")
        raise ConfigError(
            f"learn.data: the new data was prepared with another recipe (its {differs} differ: categories coded "
            "otherwise, numbers scaled by other means), which the model would read as the old data's in silence; "
            "build it with the Learner's: tabular_data(rows, target, like=learn.data)"
        )


#: Names of the architectures a table takes by name on the command line.
MLP_NAMES = {"mlp": "tabular_mlp", "tabular_mlp": "tabular_mlp"}
GBDT_NAMES = ("gbdt",)


def _trees_learner(data: DataBundle, learner_kwargs: dict[str, Any]) -> Learner:
    """A Learner around boosted trees fitted on ``data`` now; its fits only validate (:class:`ClosedForm`)."""
    from trainwell.callbacks.closed_form import ClosedForm
    from trainwell.tabular.gbdt import fit_trees

    settings = learner_kwargs.pop("gbdt_settings", None)
    seed = int(learner_kwargs.pop("seed", 0))
    model, config = fit_trees(data, settings, seed=seed)
    callbacks = [*learner_kwargs.pop("callbacks", ()), ClosedForm()]
    learn = Learner(model, data, callbacks=callbacks, **learner_kwargs)
    learn.model_spec = {"name": "gbdt", "config": config}
    return learn
