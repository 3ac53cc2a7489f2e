"""The tabular Learner factory."""

from __future__ import annotations

import numbers
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import torch

from trainwell.core.errors import ConfigError, DataError
from trainwell.data.bundle import DataBundle
from trainwell.learner.learner import Learner
from trainwell.learner.one_thread import OneThreadPasses
from trainwell.losses import several_targets_loss
from trainwell.models.registry import create_model
from trainwell.tabular.class_weights import balanced_loss, check_class_weight
from trainwell.tabular.threads import OneThread

if TYPE_CHECKING:
    import pandas as pd

    from trainwell.data.loader import TensorLoader


def tabular_learner(
    data: DataBundle,
    *,
    arch: str = "tabular_mlp",
    layers: Sequence[int] | str = (256, 128),
    dropout: float = 0.1,
    numeric_embedding: str = "periodic",
    lr: float = 3e-3,
    wd: float = 0.01,
    class_weight: str | None = None,
    **learner_kwargs: Any,
) -> Learner:
    """A Learner with an embeddings + MLP model sized from ``data``.

    Args:
        data: a bundle from :func:`tabular_data`.
        arch: ``"tabular_mlp"`` (or ``"mlp"``: embeddings + MLP, trained by gradient), ``"gbdt"`` (boosted
            trees, fitted here and now by scikit-learn and held as tensors: see :mod:`trainwell.tabular.gbdt`;
            ``learner_kwargs["gbdt_settings"]`` overrides its boosting settings; they early-stop on ``data``'s
            validation rows, or with ``learner_kwargs["stop_on_validation"] = False`` on an inner tenth of the
            training rows) or another registered tabular architecture.
        layers, dropout, numeric_embedding: model settings (see :class:`TabularMLP`). ``layers`` is the hidden
            layers' widths, ``[256, 128]``, or the same as text, ``"256-128"``, as a search's ``best_params`` and
            ``--search layers=`` write them.
        lr: default peak learning rate when none is given to ``fit_one_cycle`` (``lr_find`` can choose one).
        wd: decoupled weight decay.
        class_weight: ``"balanced"`` weighs each training row by the inverse of its class's share (a binary or
            single-label target only: :mod:`trainwell.tabular.class_weights`): the MLP's loss becomes
            :class:`~trainwell.tabular.class_weights.BalancedCrossEntropy`, boosted trees get scikit-learn's
            ``class_weight="balanced"``, and both are validated with the weighted loss. Rare classes gain recall
            and F1; the probabilities lose their calibration.
        **learner_kwargs: passed to :class:`Learner` (``loss``, ``opt``, ``metrics``, ``callbacks``, ``device``...).
            The default loss of several regression targets is the MSE of each target's error divided by its
            training standard deviation, so a target in large units does not drown the others.

    The network trains and is evaluated on one CPU thread (:class:`~trainwell.tabular.threads.OneThread`, in
    ``learn.callbacks``): its batches are many small operators, whose parallel regions cost more than they save,
    ten times more on busy cores; ``learn.remove_callback(OneThread)`` gives it every thread torch takes.
    """
    if data.application != "tabular":
        raise ConfigError(f"tabular_learner needs data from tabular_data, got a {data.application!r} bundle")
    _refuse_tree_settings(learner_kwargs)
    if check_class_weight(class_weight) is not None:
        if learner_kwargs.get("loss") is not None:
            raise ConfigError(
                "class_weight='balanced' sets the loss (a cross-entropy weighted by class): pass it or loss=, not both"
            )
        learner_kwargs["loss"] = balanced_loss(data)
        if arch in GBDT_NAMES:
            settings = learner_kwargs.get("gbdt_settings") or {}
            learner_kwargs["gbdt_settings"] = {**settings, "class_weight": "balanced"}
    if arch in GBDT_NAMES:
        trees = _trees_learner(data, learner_kwargs)
        trees.class_weight = class_weight  # type: ignore[attr-defined]
        return trees
    arch = MLP_NAMES.get(arch, arch)
    config: dict[str, Any] = dict(data.model_hints)
    if "loss" not in learner_kwargs:  # several targets: each one's error in its own standard deviations
        learner_kwargs["loss"] = several_targets_loss(data.task, config)
    config.update(layers=hidden_layers(layers), dropout=dropout, numeric_embedding=numeric_embedding)
    model = create_model(arch, **config)
    given = list(learner_kwargs.pop("callbacks", ()))
    threads = [] if any(isinstance(callback, OneThread) for callback in given) else [OneThread()]
    learn = TabularLearner(model, data, lr=lr, wd=wd, callbacks=[*given, *threads], **learner_kwargs)
    learn.model_spec = {"name": arch, "config": config}
    learn.class_weight = class_weight  # type: ignore[attr-defined]  # what trainwell.json records of it
    return learn


class TabularLearner(OneThreadPasses):
    """A Learner of a table's network: data set in place of :attr:`data` (the next task of continual learning)
    must read the columns as the first did. ``validate``, ``get_preds`` and ``loader_for`` take new rows as well as
    loaders (a DataFrame or a table file, read with the fitted recipe: :func:`new_examples_loader`), as every
    Learner of tabular data does, boosted trees' too."""

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


def hidden_layers(layers: Any) -> list[int]:
    """The MLP's hidden layers' widths from ``layers``: whole numbers above 0, as a sequence (``[256, 128]``; empty:
    no hidden layer), as text joined by ``-`` (``"256-128"``, as ``tune``'s ``best_params`` and ``--search
    layers=`` write them), or one number (one layer).

    Raises:
        ConfigError: Anything else, named with what was received (torch's own error was a TypeError about
            ``empty()``'s size).

    Example:
        >>> hidden_layers("256-128"), hidden_layers((512, 256))
        ([256, 128], [512, 256])
    """
    if isinstance(layers, str):
        widths: list[Any] = layers.strip().split("-")
    else:
        try:
            widths = list(layers)
        except TypeError:  # one value: one layer's width (refused below unless it is one)
            widths = [layers]
    read = [_width(width) for width in widths]
    if None in read or (isinstance(layers, str) and not read):
        raise ConfigError(
            f"layers {layers!r}: the hidden layers' widths are whole numbers above 0, as a list such as [256, 128] "
            "or as text such as '256-128'"
        )
    return [width for width in read if width is not None]


def _width(width: Any) -> int | None:
    """One layer's width (``256``, ``"256"``, ``256.0``), or ``None`` when it is not a whole number above 0."""
    if isinstance(width, str):
        text = width.strip()
        return int(text) if text.isdigit() and int(text) > 0 else None
    if isinstance(width, bool) or not isinstance(width, (numbers.Integral, float)):
        return None
    if isinstance(width, float) and not width.is_integer():
        return None
    return int(width) if int(width) > 0 else None


def _refuse_tree_settings(learner_kwargs: dict[str, Any]) -> None:
    """Boosted trees' settings passed as a Learner's keywords (a trees search's ``best_params`` in
    ``learner_kwargs=``): refused naming ``gbdt_settings=``, where Python said ``Learner.__init__() got an
    unexpected keyword argument 'learning_rate'``."""
    from trainwell.tabular.gbdt import DEFAULT_SETTINGS

    trees = [name for name in learner_kwargs if name in DEFAULT_SETTINGS]
    if trees:
        raise ConfigError(
            f"learner_kwargs holds {', '.join(map(repr, trees))}, boosted trees' settings, which the Learner does "
            "not take; pass them as gbdt_settings= (e.g. fit_table(..., arch='gbdt', gbdt_settings=result."
            "best_params), or fit_table(..., **result.fit_kwargs()) for a search's best)"
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
    # False where the validation rows are the ones scored (evaluate's folds): the trees stop on an inner tenth
    stop_on_validation = bool(learner_kwargs.pop("stop_on_validation", True))
    model, config = fit_trees(data, settings, seed=seed, stop_on_validation=stop_on_validation)
    callbacks = [*learner_kwargs.pop("callbacks", ()), ClosedForm()]
    learn = Learner(model, data, callbacks=callbacks, **learner_kwargs)
    learn.model_spec = {"name": "gbdt", "config": config}
    return learn


def new_examples_loader(
    learn: Learner, examples: Any, *, method: str, targets: str
) -> tuple[TensorLoader, bool]:
    """New rows of a table (a DataFrame or a table file's path) as a loader, encoded by ``learn``'s recipe as
    fitted (never again), in the order given; and whether it holds the rows' targets.

    ``targets``: ``"required"`` (scores), ``"optional"`` (read when the table holds the target columns) or
    ``"none"``. Rows whose target is missing are left out with a warning, as from a test table
    (:func:`~trainwell.data.io.labelled_rows`); a table holding no target at all is read whole, without targets,
    unless they are required.
    """
    from trainwell.data.io import labelled_examples
    from trainwell.data.loader import TensorLoader
    from trainwell.tabular.recipe import TabularRecipe

    frame, name = _new_rows(learn, examples, method)
    recipe = cast(TabularRecipe, learn.data.recipe)
    task = learn.task
    names = list(task.target_names)
    frame, known = labelled_examples(frame, names, name, method, targets, "rows", task.label_delim)
    x_cat, x_cont = recipe.transform(frame, source=name)
    if known:
        values: Any = frame[names[0]] if len(names) == 1 else frame[names]
        try:
            y = task.encode(values)
        except DataError as error:  # a label the model does not know: say which table holds it
            raise DataError(f"{method}: {name}: {error}") from None
    else:  # a stand-in the loop carries along: get_preds gives None for the targets
        y = torch.zeros(len(frame))
    batch_size = max(len(frame), 1) if len(frame) <= NEW_ROWS_BATCH else NEW_ROWS_BATCH
    return TensorLoader((x_cat, x_cont, y), batch_size), known


#: Rows per batch of new rows read by :func:`new_examples_loader` (an evaluation pass: no gradients are kept).
NEW_ROWS_BATCH = 4096


def _new_rows(learn: Learner, examples: Any, method: str) -> tuple[pd.DataFrame, str]:
    """The rows of ``examples`` (a DataFrame, or a table file read as the training file was) and their name."""
    import pandas as pd

    from trainwell.data.io import read_table

    if isinstance(examples, pd.DataFrame):
        frame, name = examples, "the DataFrame"
    elif isinstance(examples, (str, os.PathLike)):
        path = Path(examples)
        if not path.is_file():
            raise DataError(
                f"{method}: '{examples}' is no file; pass a table file's path (CSV, TSV, Parquet, JSON) or a DataFrame"
            )
        frame, name = read_table(path, names=getattr(learn.data.train, "header_names", None)), f"'{examples}'"
    else:
        raise ConfigError(
            f"{method} of a table's Learner takes a DataFrame or a table file's path of rows, or a loader of "
            f"batches (data.valid, data.test); got a {type(examples).__name__}"
        )
    if len(frame) == 0:
        raise DataError(f"{method}: {name} has no rows")
    repeated = frame.columns[frame.columns.duplicated()]
    if len(repeated):
        raise DataError(f"{method}: {name} names the column {str(repeated[0])!r} twice")
    return frame, name
