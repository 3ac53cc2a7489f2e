"""Decision boundaries of classifiers on 2-D data, beside the optimal boundary when the generator is known.

Each model is fitted on a stratified share of the points and scored on the rest; its class probabilities are
evaluated on a square grid over the data and drawn as colour (the class colours mixed by probability), with
the boundary as a solid line and the optimal one, when known, dashed. Classical models come from scikit-learn;
``mlp`` is a small trainwell MLP trained by the :class:`~trainwell.learner.Learner` with one-cycle, and a
callback records its grid predictions during training so the boundary can be shown evolving as a GIF.

numpy, torch and trainwell's own layers are imported at module level; pandas, scikit-learn and matplotlib
inside the functions that need them.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from trainwell.core.errors import ConfigError, DataError
from trainwell.core.ticks import compact_ticks
from trainwell.learner.events import Callback

if TYPE_CHECKING:
    from trainwell.datasets.generators import Generator
    from trainwell.learner.learner import Learner

MODEL_NAMES = ("logistic", "qda", "knn", "svm", "tree", "forest", "gbm", "mlp")
#: Target column names recognised without ``--target`` (case-insensitive), before falling back to the last column.
TARGET_NAMES = ("label", "target", "y", "class")
MAX_CLASSES = 10
CLASS_COLORS = np.array(
    [
        [0.12, 0.47, 0.71],
        [0.84, 0.15, 0.16],
        [0.17, 0.63, 0.17],
        [1.00, 0.50, 0.05],
        [0.58, 0.40, 0.74],
        [0.55, 0.34, 0.29],
        [0.89, 0.47, 0.76],
        [0.50, 0.50, 0.50],
        [0.74, 0.74, 0.13],
        [0.09, 0.75, 0.81],
    ]
)

Proba = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Points2D:
    """Two numeric features and a class label per row, as read from a table."""

    x: np.ndarray  # (n, 2) float
    codes: np.ndarray  # (n,) int, index into classes
    classes: tuple[Any, ...]
    feature_names: tuple[str, str] = ("x1", "x2")
    target_name: str = "label"

    @classmethod
    def from_arrays(
        cls, x: np.ndarray, y: Sequence[Any] | np.ndarray, feature_names: tuple[str, str] = ("x1", "x2")
    ) -> Points2D:
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != 2:
            raise DataError(f"decision boundaries need exactly 2 features, got inputs of shape {x.shape}")
        classes, codes = np.unique(np.asarray(y), return_inverse=True)
        if len(classes) < 2:
            raise DataError(
                f"the label has a single class ({classes.tolist()}); a decision boundary needs at least 2"
            )
        if len(classes) > MAX_CLASSES:
            raise DataError(
                f"the label has {len(classes)} distinct values; boundaries are drawn for at most "
                f"{MAX_CLASSES} classes (is it a number to predict rather than a class?)"
            )
        # In trainwell's order of the labels (a fit's report and confusion matrix, --positive aside): numbers as
        # numbers ("2" before "10"), a binary target's positive class second ("churn" of "no churn"/"churn"), so
        # that class i has the same colour, legend place and shaded P(...) as the report's row i.
        order = class_order(classes.tolist())
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        return cls(x, rank[codes], tuple(classes[order].tolist()), feature_names)


def class_order(labels: Sequence[Any]) -> list[int]:
    """The positions of distinct ``labels`` in the order trainwell's task gives its classes
    (:func:`~trainwell.data.task.infer_task`): sorted with numbers as numbers, and of two, the positive one last
    (:func:`~trainwell.data.task.positive_last`)."""
    from trainwell.data.task import _sort_key, positive_last

    order = sorted(range(len(labels)), key=lambda index: _sort_key(labels[index]))
    if len(order) == 2 and positive_last(tuple(labels[i] for i in order)) != tuple(labels[i] for i in order):
        order.reverse()
    return order


def read_points(path: str | Path, target: str | None = None, *, encoding: str = "utf-8") -> Points2D:
    """Read a CSV with exactly two numeric feature columns and one label column.

    ``target`` names the label column; without it a column called label/target/y/class is used, else the last.
    ``encoding`` is the file's text encoding (see :func:`~trainwell.data.io.read_table`).
    """
    import pandas as pd

    from trainwell.data.io import read_table

    path = Path(path)
    if not path.is_file():
        raise DataError(f"data file {path} not found; pass the path of a CSV with two features and a label")
    frame = read_table(path, encoding=encoding)
    columns = [str(c) for c in frame.columns]
    frame.columns = columns
    if target is None:
        lowered = {c.lower(): c for c in columns}
        target = next((lowered[n] for n in TARGET_NAMES if n in lowered), columns[-1] if columns else None)
    if target not in columns:
        raise DataError(f"target column {target!r} not found in {path}; columns are: {', '.join(columns)}")
    features = [c for c in columns if c != target]
    if len(features) != 2:
        raise DataError(
            f"{path} has {len(features)} feature columns besides target '{target}' ({', '.join(features)}); "
            "decision boundaries need exactly 2 numeric features"
        )
    for name in features:
        if not pd.api.types.is_numeric_dtype(frame[name]) or pd.api.types.is_bool_dtype(frame[name]):
            raise DataError(
                f"feature column '{name}' of {path} is not numeric; both features must be numbers"
            )
        if frame[name].isna().any():
            raise DataError(f"feature column '{name}' of {path} has missing values; fill or drop those rows")
    if frame[target].isna().any():
        raise DataError(f"target column '{target}' of {path} has missing values; fill or drop those rows")
    try:
        points = Points2D.from_arrays(frame[features].to_numpy(np.float64), frame[target].to_numpy())
    except DataError as error:
        raise DataError(f"target '{target}' of {path}: {error}") from None
    return Points2D(points.x, points.codes, points.classes, (features[0], features[1]), target)


def check_models(models: Sequence[str]) -> list[str]:
    """The model names, checked against :data:`MODEL_NAMES` (duplicates dropped, order kept)."""
    unknown = [m for m in models if m not in MODEL_NAMES]
    if unknown:
        raise ConfigError(f"unknown model(s) {', '.join(unknown)}; known models: {', '.join(MODEL_NAMES)}")
    if not models:
        raise ConfigError(f"no models given; pass some of: {', '.join(MODEL_NAMES)}")
    return list(dict.fromkeys(models))


#: A model of one's own in ``fit_boundaries(models=...)``: how it is spelled in errors.
OWN_MODEL = (
    "a function proba(points (m, 2)) -> probabilities (m, K), an estimator with predict_proba, or a Learner "
    "on tensor_data of the two features"
)


def named_models(models: Sequence[str | tuple[str, Any]] | Mapping[str, Any] | str) -> list[tuple[str, Any]]:
    """``(name, None)`` for each built-in model name and ``(name, model)`` for each model of one's own (a
    ``(name, model)`` pair, a dict's item, or a named function alone), in the order given; a dict's value may
    also be a built-in name under its own (``{"logistic": "logistic"}``).
    Built-in names given twice count once; two models of one's own, or one and a built-in, under one name are
    refused (their panels would carry the same title)."""
    if isinstance(models, str):
        models = [models]
    items: list[Any] = list(models.items()) if isinstance(models, Mapping) else list(models)
    entries: list[tuple[str, Any]] = []
    for item in items:
        if isinstance(item, str):
            entries.append((item, None))
        elif isinstance(item, tuple | list) and len(item) == 2 and isinstance(item[0], str):
            name, model = item
            if isinstance(model, str) and model != name:
                raise ConfigError(
                    f"fit_boundaries: a built-in model is drawn under its own name: pass {model!r} alone, not "
                    f"{name!r}: {model!r}"
                )
            entries.append((name, None) if isinstance(model, str) else (name, model))
        elif callable(item) and getattr(item, "__name__", "<lambda>").isidentifier():
            entries.append((item.__name__, item))
        else:
            raise ConfigError(
                f"fit_boundaries models= takes built-in names ({', '.join(MODEL_NAMES)}), and models of one's own "
                f"as (name, model) pairs or a dict {{name: model}}, where a model is {OWN_MODEL}; got {item!r}"
            )
    built_in = [name for name, own in entries if own is None]
    if built_in or not entries:
        check_models(built_in)
    seen: dict[str, int] = {}
    kept: list[tuple[str, Any]] = []
    for name, own in entries:
        if name in seen:
            if own is None and kept[seen[name]][1] is None:
                continue  # a built-in name twice: drawn once, as before
            raise ConfigError(f"fit_boundaries: two models are named {name!r}; give each panel its own name")
        seen[name] = len(kept)
        kept.append((name, own))
    return kept


def _fitted_here(model: Any, x: np.ndarray, codes: np.ndarray, n_classes: int) -> Any:
    """``model`` itself, or, for a scikit-learn estimator not fitted yet, a copy fitted on the training share
    ``x`` and class codes (its held-out score is then fair, as the built-in models' are), returning one column
    per class (a class absent from the share: probability 0)."""
    if not (hasattr(model, "fit") and hasattr(model, "predict_proba") and hasattr(model, "get_params")):
        return model
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(model)
        return model
    except NotFittedError:
        fitted = clone(model).fit(x, codes)
    columns = [int(c) for c in fitted.classes_]

    def predict_proba(points: np.ndarray) -> np.ndarray:
        probs = np.zeros((len(points), n_classes))
        probs[:, columns] = fitted.predict_proba(points)
        return probs

    return predict_proba


def _own_proba(name: str, model: Any, classes: Sequence[Any]) -> Proba:
    """``points -> probabilities (m, K)`` of a fitted model of one's own, checked on each call: one column per
    class of ``classes`` (two classes: also the probability of the second alone)."""
    learner_proba = _learner_proba(name, model, classes)
    function = learner_proba or getattr(model, "predict_proba", None) or model
    if not callable(function):
        raise ConfigError(f"fit_boundaries: model {name!r} is a {type(model).__name__}; pass {OWN_MODEL}")
    n_classes = len(classes)
    columns = None if learner_proba else _label_columns(getattr(model, "classes_", None), classes)

    def proba(points: np.ndarray) -> np.ndarray:
        values = np.asarray(function(np.asarray(points, dtype=np.float64)), dtype=np.float64)
        if n_classes == 2 and (values.ndim == 1 or values.shape[1:] == (1,)):
            values = values.reshape(-1)
            values = np.stack([1 - values, values], axis=1)
        elif columns is not None and values.shape == (len(points), n_classes):
            values = values[
                :, columns
            ]  # an estimator fitted on the labels: its columns in its classes_ order
        if values.shape != (len(points), n_classes):
            raise ConfigError(
                f"fit_boundaries: model {name!r} gave probabilities of shape {values.shape} for {len(points)} "
                f"points; it must give one column per class ({n_classes}: "
                f"{', '.join(map(str, classes))}, in that order)"
            )
        if not np.isfinite(values).all():
            raise ConfigError(
                f"fit_boundaries: model {name!r} gave probabilities that are not finite numbers"
            )
        return values

    return proba


def _label_columns(fitted: Any, classes: Sequence[Any]) -> list[int] | None:
    """For an estimator fitted on the labels themselves (its ``classes_`` those of ``classes``, in its own sorted
    order): the column of its ``predict_proba`` for each of ``classes`` in turn. ``None`` where the columns are
    already in ``classes`` order, or the estimator was fitted on the class codes (``points.codes``)."""
    if fitted is None:
        return None
    own = [str(label) for label in np.asarray(fitted).tolist()]
    wanted = [str(label) for label in classes]
    if own == wanted or sorted(own) != sorted(wanted) or len(set(own)) != len(own):
        return None
    return [own.index(label) for label in wanted]


def _learner_proba(name: str, learn: Any, classes: Sequence[Any]) -> Proba | None:
    """The probabilities of a Learner's model on points, columns in ``classes`` order; ``None`` for no Learner."""
    from trainwell.learner.learner import Learner
    from trainwell.learner.run_files import FitRun

    if isinstance(learn, FitRun):
        learn = learn.learn
    if not isinstance(learn, Learner):
        return None
    task = learn.task
    if learn.data.application != "generic" or task.kind not in ("binary", "multiclass"):
        raise ConfigError(
            f"fit_boundaries: model {name!r} is a Learner of {learn.data.application} {task.kind} data; a Learner "
            f"of a classifier on tensor_data of the two features is drawn, else pass {OWN_MODEL}"
        )
    own = {str(c): i for i, c in enumerate(task.classes)}
    missing = [c for c in classes if str(c) not in own]
    if missing or len(own) != len(classes):
        raise ConfigError(
            f"fit_boundaries: model {name!r} predicts the classes {', '.join(map(str, task.classes))}, the "
            f"points hold {', '.join(map(str, classes))}; train it on these points' labels"
        )
    columns = [own[str(c)] for c in classes]
    model = learn.model

    def proba(points: np.ndarray) -> np.ndarray:
        tensor = next(iter([*model.parameters(), *model.buffers()]), None)
        inputs = torch.as_tensor(
            points, dtype=torch.float32, device=None if tensor is None else tensor.device
        )
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                values = task.activate(model(inputs)).float().cpu().numpy().astype(np.float64)
        finally:
            model.train(was_training)
        if values.ndim == 1:
            values = np.stack([1 - values, values], axis=1)
        return values[:, columns]

    return proba


# ------------------------------------------------------------------------------------------- models
def _sklearn_model(name: str, n_train: int, seed: int) -> Any:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.discriminant_analysis import QuadraticDiscriminantAnalysis
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC
    from sklearn.tree import DecisionTreeClassifier

    builders: dict[str, Callable[[], Any]] = {
        "logistic": lambda: make_pipeline(StandardScaler(), LogisticRegression()),
        "qda": lambda: QuadraticDiscriminantAnalysis(reg_param=1e-3),
        "knn": lambda: make_pipeline(StandardScaler(), KNeighborsClassifier(max(1, min(15, n_train // 10)))),
        # Platt-scaled RBF SVM: calibrated probabilities for the colours, one model for the boundary.
        "svm": lambda: CalibratedClassifierCV(make_pipeline(StandardScaler(), SVC()), ensemble=False),
        "tree": lambda: DecisionTreeClassifier(min_samples_leaf=5, random_state=seed),
        "forest": lambda: RandomForestClassifier(100, min_samples_leaf=2, random_state=seed),
        "gbm": lambda: HistGradientBoostingClassifier(random_state=seed),
    }
    return builders[name]()


def fit_classifier(
    name: str,
    x: np.ndarray,
    codes: np.ndarray,
    n_classes: int,
    *,
    seed: int = 0,
    epochs: int = 60,
    recorder: BoundaryFrames | None = None,
) -> Proba:
    """Fit model ``name`` on ``x`` (n, 2) and class codes; return ``points -> probabilities (m, n_classes)``.

    ``recorder`` (only for ``mlp``) is run as a callback during training to record grid predictions.
    """
    check_models([name])
    if name == "mlp":
        return fit_mlp(x, codes, n_classes, seed=seed, epochs=epochs, recorder=recorder)
    model = _sklearn_model(name, len(x), seed)
    model.fit(x, codes)
    fitted = [int(c) for c in model.classes_]

    def predict_proba(points: np.ndarray) -> np.ndarray:
        # A class absent from the training share still needs its column (probability 0).
        probs = np.zeros((len(points), n_classes))
        probs[:, fitted] = model.predict_proba(np.asarray(points, dtype=np.float64))
        return probs

    return predict_proba


def mlp_model(n_classes: int, width: int = 64, depth: int = 3) -> nn.Sequential:
    """A small MLP for 2-D inputs: ``depth`` hidden layers of ``width`` SiLU units, one logit per output."""
    layers: list[nn.Module] = []
    inputs = 2
    for _ in range(depth):
        layers += [nn.Linear(inputs, width), nn.SiLU()]
        inputs = width
    layers.append(nn.Linear(inputs, 1 if n_classes == 2 else n_classes))
    return nn.Sequential(*layers)


def fit_mlp(
    x: np.ndarray,
    codes: np.ndarray,
    n_classes: int,
    *,
    seed: int = 0,
    epochs: int = 60,
    lr: float = 1e-2,
    recorder: BoundaryFrames | None = None,
) -> Proba:
    """Train :func:`mlp_model` on standardised inputs with the Learner (one-cycle, no progress display)."""
    from trainwell.core.seeding import seed_everything
    from trainwell.data import Task, tensor_data
    from trainwell.learner import Learner

    if int(epochs) != epochs or epochs < 1:
        raise ConfigError(f"--epochs must be a positive whole number, got {epochs}")
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-12
    task = Task("binary" if n_classes == 2 else "multiclass", classes=tuple(range(n_classes)))
    batch_size = int(np.clip(len(x) // 16, 16, 128))
    data = tensor_data((x - mean) / std, codes, task=task, valid_pct=0, batch_size=batch_size, seed=seed)
    seed_everything(seed)
    model = mlp_model(n_classes)
    learn = Learner(model, data, metrics=[], device="cpu", progress=False)

    def predict_proba(points: np.ndarray) -> np.ndarray:
        inputs = torch.as_tensor((np.asarray(points, dtype=np.float64) - mean) / std, dtype=torch.float32)
        was_training = model.training
        model.eval()
        with torch.no_grad():
            probs = task.activate(model(inputs)).numpy().astype(np.float64)
        model.train(was_training)
        return np.stack([1 - probs, probs], axis=1) if n_classes == 2 else probs

    callbacks: list[Callback] = []
    if recorder is not None:
        recorder.predict_proba = predict_proba
        callbacks.append(recorder)
    # Batches of a few dozen 2-D rows: extra intra-op threads only add synchronisation (several times slower
    # on a busy machine), so training runs on one thread and the caller's setting is restored afterwards.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        learn.fit_one_cycle(int(epochs), lr, callbacks=callbacks)
    finally:
        torch.set_num_threads(threads)
    return predict_proba


@dataclass
class Frame:
    """The MLP's grid probabilities at one point of training."""

    epoch: float  # fractional: 2.5 = half way through the third epoch
    probs: np.ndarray  # (G, G, K)
    accuracy: float | None  # on the held-out points, when given


class BoundaryFrames(Callback):
    """Records the model's probabilities on a grid about ``n_frames`` times over training (for a GIF).

    Frames are taken before the first batch and after evenly spaced batches, so a short fit still shows the
    boundary moving. ``predict_proba`` is set by :func:`fit_mlp` before training starts.
    """

    order = 50

    def __init__(
        self,
        grid_points: np.ndarray,
        grid_shape: tuple[int, int],
        n_frames: int = 30,
        valid: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        self.grid_points = grid_points
        self.grid_shape = grid_shape
        self.n_frames = max(2, int(n_frames))
        self.valid = valid
        self.frames: list[Frame] = []
        self.predict_proba: Proba | None = None
        self._capture_at: set[int] = set()

    def before_fit(self, learn: Learner) -> None:
        total = max(1, learn.n_iterations)
        self._capture_at = set(np.rint(np.linspace(1, total, self.n_frames - 1)).astype(int).tolist())
        self._capture(0.0)

    def after_batch(self, learn: Learner) -> None:
        if learn.training and learn.iteration in self._capture_at:
            self._capture(learn.n_epochs * learn.pct_train)

    def _capture(self, epoch: float) -> None:
        assert self.predict_proba is not None, "fit_mlp sets predict_proba before training"
        probs = self.predict_proba(self.grid_points)
        accuracy = None
        if self.valid is not None and len(self.valid[0]):
            accuracy = float((self.predict_proba(self.valid[0]).argmax(axis=1) == self.valid[1]).mean())
        self.frames.append(Frame(epoch, probs.reshape(*self.grid_shape, -1), accuracy))


# ------------------------------------------------------------------------------------------ result
@dataclass
class Panel:
    """One model's fitted boundary: grid probabilities ``(G, G, K)`` and held-out accuracy."""

    name: str
    probs: np.ndarray
    accuracy: float


@dataclass
class BoundaryResult:
    """Everything the plots need: points, split, grid, one panel per model, the optimal rule, MLP frames."""

    points: Points2D
    train_index: np.ndarray
    valid_index: np.ndarray
    grid_x: np.ndarray  # (G,)
    grid_y: np.ndarray  # (G,)
    panels: list[Panel]
    optimal_name: str | None = None
    optimal_scores: np.ndarray | None = None  # (G, G, K) optimal scores, columns in points.classes order
    optimal_accuracy: float | None = None
    frames: list[Frame] = field(default_factory=list)
    #: The training share's most common class, and the held-out accuracy of always answering it: the score any
    #: model has to beat to have learned something from the two features.
    majority_class: Any = None
    majority_accuracy: float | None = None

    def accuracies(self) -> dict[str, float]:
        """Held-out accuracy of each model, plus ``optimal (NAME)`` when the optimal rule is known."""
        found = {panel.name: panel.accuracy for panel in self.panels}
        if self.optimal_accuracy is not None:
            found[f"optimal ({self.optimal_name})"] = self.optimal_accuracy
        return found


#: Percentiles of each feature that a skewed axis is clipped to, and how far (in widths of that middle range)
#: the extreme must lie past them to count as skewed: one Titanic fare of 512 squeezed 95% of the points into
#: the bottom fifth of every panel.
VIEW_PERCENTILES, SKEWED = (1.0, 99.0), 0.5


def robust_view(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per feature, the range the panels show: the points' full range, except that an end lying far past the
    feature's 99th (or 1st) percentile (more than :data:`SKEWED` of the 1st-99th percentile width) is cut there;
    the points beyond are left out of the view (the plot counts them), never out of the fits or the scores."""
    low, high = x.min(axis=0), x.max(axis=0)
    q_low, q_high = np.percentile(x, VIEW_PERCENTILES, axis=0)
    width = q_high - q_low
    low = np.where(q_low - low > SKEWED * width, q_low, low)
    high = np.where(high - q_high > SKEWED * width, q_high, high)
    return low, high


def make_grid(x: np.ndarray, size: int, margin: float = 0.08) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``size`` x ``size`` grid over the points' :func:`robust_view` widened by ``margin``: axes and the
    ``(G*G, 2)`` points."""
    if size < 10:
        raise ConfigError(f"--grid must be at least 10 points per side, got {size}")
    low, high = robust_view(x)
    pad = np.maximum((high - low) * margin, 1e-6)
    grid_x = np.linspace(low[0] - pad[0], high[0] + pad[0], size)
    grid_y = np.linspace(low[1] - pad[1], high[1] + pad[1], size)
    mesh_x, mesh_y = np.meshgrid(grid_x, grid_y)  # rows follow y, columns follow x
    return grid_x, grid_y, np.stack([mesh_x.ravel(), mesh_y.ravel()], axis=1)


def optimal_columns(generator: Generator, classes: Sequence[Any]) -> list[int]:
    """Which of the generator's score columns belongs to each data class (the generator labels 0..K-1)."""
    known = list(range(generator.n_classes))
    try:
        columns = [int(c) for c in classes]
    except (TypeError, ValueError):
        columns = []
    if sorted(columns) != known:
        raise DataError(
            f"the optimal rule of generator '{generator.name}' has labels {known} but the data's labels are "
            f"{list(classes)}; pass --optimal none for data it did not generate"
        )
    return columns


def fit_boundaries(
    points: Points2D,
    models: Sequence[str | tuple[str, Any]] | Mapping[str, Any] = MODEL_NAMES,
    *,
    optimal: Generator | None = None,
    seed: int = 0,
    valid_pct: float = 0.25,
    grid_size: int = 200,
    epochs: int = 60,
    n_frames: int = 30,
) -> BoundaryResult:
    """Fit every model in ``models`` on a stratified training share and evaluate it on a grid.

    Args:
        points: the data (see :func:`read_points`).
        models: names from :data:`MODEL_NAMES`, fitted here on the training share; and models of one's own,
            fitted already and drawn as they are, each under a name given: ``("mine", model)`` pairs among the
            names, or a dict ``{"mine": model, "logistic": "logistic"}`` (see :func:`named_models`). A model of
            one's own is a function ``proba(points) -> probabilities`` (points ``(m, 2)``, probabilities
            ``(m, K)`` with columns in ``points.classes`` order, or ``(m,)`` of ``classes[1]`` for two
            classes), an estimator with ``predict_proba`` (scikit-learn's), or a Learner on
            :func:`~trainwell.data.tensor_data` of the two features. Each is scored on the held-out share as it
            is: fitted on every point, its score flatters it; a scikit-learn estimator not fitted yet is fitted
            here on the training share (as the built-in models are), with the class codes 0..K-1 as labels.
        optimal: the generator of the data, to draw and score its Bayes-optimal rule; ``None`` if unknown.
        seed: seeds the split and every model.
        valid_pct: share of points held out to measure accuracy.
        grid_size: grid points per side.
        epochs: training epochs of the MLP.
        n_frames: grid snapshots recorded while the MLP trains (GIF frames).
    """
    from sklearn.model_selection import train_test_split

    entries = named_models(models)
    if any(name == "mlp" and own is None for name, own in entries) and (
        int(epochs) != epochs or epochs < 1
    ):  # checked before minutes of fitting
        raise ConfigError(f"--epochs must be a positive whole number, got {epochs}")
    if not 0.0 < valid_pct < 1.0:
        raise ConfigError(f"--valid-pct must be between 0 and 1 (exclusive), got {valid_pct}")
    counts = np.bincount(points.codes, minlength=len(points.classes))
    if counts.min() < 2:
        rare = points.classes[int(counts.argmin())]
        raise DataError(
            f"class {rare!r} has {counts.min()} row(s); each class needs at least 2 to hold some out"
        )
    try:
        train_index, valid_index = train_test_split(
            np.arange(len(points.codes)), test_size=valid_pct, stratify=points.codes, random_state=seed
        )
    except ValueError as error:
        raise DataError(
            f"cannot hold out {valid_pct:.0%} of {len(points.codes)} rows by class: {error}"
        ) from None
    train_index, valid_index = np.sort(train_index), np.sort(valid_index)
    x_train, y_train = points.x[train_index], points.codes[train_index]
    x_valid, y_valid = points.x[valid_index], points.codes[valid_index]
    grid_x, grid_y, grid_points = make_grid(points.x, grid_size)
    shape = (grid_size, grid_size)
    n_classes = len(points.classes)
    panels, frames = [], []
    for name, own in entries:
        if own is not None:  # fitted already: drawn and scored as it is
            own = _fitted_here(own, x_train, y_train, n_classes)
            proba = _own_proba(name, own, points.classes)
            recorder = None
        else:
            recorder = (
                BoundaryFrames(grid_points, shape, n_frames, (x_valid, y_valid)) if name == "mlp" else None
            )
            proba = fit_classifier(
                name, x_train, y_train, n_classes, seed=seed, epochs=epochs, recorder=recorder
            )
        accuracy = float((proba(x_valid).argmax(axis=1) == y_valid).mean())
        panels.append(Panel(name, proba(grid_points).reshape(*shape, n_classes), accuracy))
        if recorder is not None:
            frames = recorder.frames
    result = BoundaryResult(points, train_index, valid_index, grid_x, grid_y, panels, frames=frames)
    majority = int(np.bincount(y_train, minlength=n_classes).argmax())
    result.majority_class = points.classes[majority]
    result.majority_accuracy = float((y_valid == majority).mean())
    if optimal is not None:
        columns = optimal_columns(optimal, points.classes)
        result.optimal_name = optimal.name
        result.optimal_scores = optimal.scores(grid_points)[:, columns].reshape(*shape, n_classes)
        chosen = optimal.scores(x_valid)[:, columns].argmax(axis=1)
        result.optimal_accuracy = float((chosen == y_valid).mean())
    return result


# ------------------------------------------------------------------------------------------ drawing
def _margins(values: np.ndarray) -> list[np.ndarray]:
    """Per-class ``value_k - max(other values)`` grids; their zero levels are the class boundaries.

    With two classes one margin draws the whole boundary; with more, each class's region is outlined.
    """
    n_classes = values.shape[-1]
    chosen = [1] if n_classes == 2 else range(n_classes)
    return [values[..., k] - np.delete(values, k, axis=-1).max(axis=-1) for k in chosen]


#: How much of a class colour the shading keeps; the rest is white, so that points and lines stay visible.
SHADE = 0.55


def _shade(colors: np.ndarray) -> np.ndarray:
    """Class colours (or their mix) washed towards white as the panels shade their regions."""
    return SHADE * colors + (1 - SHADE)


#: Inches of one panel of the PNG (3.2 drew 7-point ticks that were hard to read at 100%), and its font sizes.
PANEL_INCHES = 4.0
TICK_POINTS, LABEL_POINTS, TITLE_POINTS = 9, 10, 11


def _draw_panel(
    axis: Any,
    result: BoundaryResult,
    probs: np.ndarray,
    title: str,
    *,
    xlabel: bool = True,
    ylabel: bool = True,
) -> None:
    colors = CLASS_COLORS[: probs.shape[-1]]
    # Mix the class colours by probability, then wash towards white so points and lines stay visible.
    image = _shade(probs @ colors)
    extent = (result.grid_x[0], result.grid_x[-1], result.grid_y[0], result.grid_y[-1])
    axis.imshow(np.clip(image, 0, 1), origin="lower", extent=extent, aspect="auto", interpolation="bilinear")
    for margin in _margins(probs):
        if margin.min() < 0 < margin.max():
            axis.contour(result.grid_x, result.grid_y, margin, levels=[0.0], colors="black", linewidths=1.4)
    if result.optimal_scores is not None:
        for margin in _margins(result.optimal_scores):
            if margin.min() < 0 < margin.max():
                axis.contour(
                    result.grid_x,
                    result.grid_y,
                    margin,
                    levels=[0.0],
                    colors="black",
                    linewidths=1.2,
                    linestyles="dashed",
                    alpha=0.8,
                )
    points = result.points
    # Training points as dots, held-out points (those the accuracy is measured on) as triangles edged black.
    for index, style in (
        (result.train_index, {"marker": "o", "s": 9, "edgecolors": "white", "linewidths": 0.3}),
        (result.valid_index, {"marker": "^", "s": 16, "edgecolors": "black", "linewidths": 0.4}),
    ):
        axis.scatter(points.x[index, 0], points.x[index, 1], c=colors[points.codes[index]], **style)
    axis.set_xlim(extent[0], extent[1])
    axis.set_ylim(extent[2], extent[3])
    axis.set_title(title, fontsize=TITLE_POINTS)
    compact_ticks(axis)  # where a boundary sits: at what age, at what fare
    axis.tick_params(labelsize=TICK_POINTS, length=3, pad=2)
    # The columns' names on the axes (they were only in the title: "duration across, euribor3m up").
    across, up = axis_labels(result)
    if xlabel:
        axis.set_xlabel(across, fontsize=LABEL_POINTS)
    if ylabel:
        axis.set_ylabel(up, fontsize=LABEL_POINTS)


def axis_labels(result: BoundaryResult) -> tuple[str, str]:
    """The labels of the x and y axes: each column's name, with "(1st-99th percentile shown)" where its skew
    clipped the view (the title says how many points lie beyond)."""
    x = result.points.x
    labels = []
    for column, grid in ((0, result.grid_x), (1, result.grid_y)):
        name = str(result.points.feature_names[column])
        clipped = bool((x[:, column] > grid[-1]).any() or (x[:, column] < grid[0]).any())
        labels.append(f"{name} (1st-99th percentile shown)" if clipped else name)
    return labels[0], labels[1]


def shading_caption(result: BoundaryResult) -> str:
    """One line under the figure saying what the shading and its blends mean."""
    classes = result.points.classes
    if len(classes) == 2:
        return (
            f"Shading: the predicted P({result.points.target_name} = {classes[1]}), on the colour bar; "
            "solid line: where the model's answer changes."
        )
    return (
        "Shading: each class's colour mixed by its predicted probability, so a blend of two colours (e.g. "
        "brown, olive) is where the model is unsure between those classes; solid lines: where its answer changes."
    )


def plot_boundaries(result: BoundaryResult, path: str | Path) -> Path:
    """A grid of panels, one per model, titled with its held-out accuracy, the columns' names on the outer
    panels' axes, a key of the shading at the right and the classes under the grid; written atomically as
    PNG."""
    from trainwell.learner.plots import _pyplot, _save

    plt = _pyplot()
    n = len(result.panels)
    columns = min(4, n)
    rows = -(-n // columns)
    binary = len(result.points.classes) == 2
    # Many classes: a column at the right for the shading's key (two: a colour bar beside the panels).
    key_ratio = 0.0 if binary else 0.3
    figure = plt.figure(
        figsize=(PANEL_INCHES * (columns + key_ratio) + 1.2, (PANEL_INCHES + 0.1) * rows + 1.9),
        layout="constrained",
    )
    outer = figure.add_gridspec(
        rows, columns + (0 if binary else 1), width_ratios=[1.0] * columns + ([] if binary else [key_ratio])
    )
    axes = [figure.add_subplot(outer[row, column]) for row in range(rows) for column in range(columns)]
    for index, (axis, panel) in enumerate(zip(axes, result.panels, strict=False)):
        _draw_panel(
            axis,
            result,
            panel.probs,
            f"{panel.name}: held-out acc {panel.accuracy:.3f}",
            xlabel=index + columns >= n,  # the lowest panel of its column
            ylabel=index % columns == 0,
        )
    for axis in axes[n:]:
        axis.axis("off")
    names = result.points.feature_names
    title = (
        f"Decision boundaries ({names[0]} across, {names[1]} up; all {len(result.points.x)} points drawn, "
        f"accuracy on the {len(result.valid_index)} held out)"
    )
    if result.majority_accuracy is not None:
        title += (
            f"\nto beat: always answering the most common class ({result.points.target_name} = "
            f"{result.majority_class}) scores {result.majority_accuracy:.3f} on the held-out points"
        )
    if result.optimal_accuracy is not None:
        title += (
            f"\ndashed: optimal rule of '{result.optimal_name}', held-out acc {result.optimal_accuracy:.3f}"
        )
    hidden = _outside_view(result)
    if hidden:
        title += f"\n{hidden}"
    # One to three panels leave a narrow figure: its title, legend and caption are fitted to its width, not cut.
    from matplotlib.backends.backend_agg import RendererAgg

    width_px = 0.96 * figure.get_figwidth() * figure.dpi
    renderer = RendererAgg(
        int(figure.get_figwidth() * figure.dpi), int(figure.get_figheight() * figure.dpi), figure.dpi
    )
    figure.suptitle(_wrapped(title, width_px, 12, renderer), fontsize=12)
    if binary:
        _shading_key(figure, None, result, beside=axes)
    else:
        _shading_key(figure, figure.add_subplot(outer[:, -1].subgridspec(3, 1)[1]), result)
    # Which colour is which class (its region's shade and its points), with no title: the target's name sat
    # centred under the grid, where an x axis's label goes; each entry names it instead ("cls = high").
    handles, labels = _class_legend_entries(plt, result.points.classes, result.points.target_name)
    handles, labels = [*handles, *_split_entries(plt)[0]], [*labels, *_split_entries(plt)[1]]
    # The legend, then the caption's line, under the grid, in room kept free of the panels (inches).
    height = figure.get_figheight()
    caption = _wrapped(shading_caption(result), width_px, 9, renderer)
    caption_in = 0.3 + 0.16 * caption.count("\n")
    columns_of_legend = min(len(labels), 8)
    while True:  # as many entries a row as the width holds
        legend = figure.legend(
            handles,
            labels,
            loc="lower center",
            bbox_to_anchor=(0.5, caption_in / height),
            ncol=columns_of_legend,
            frameon=False,
            fontsize=LABEL_POINTS,
        )
        if columns_of_legend == 1 or legend.get_window_extent(renderer).width <= width_px:
            break
        legend.remove()
        columns_of_legend -= 1
    legend_in = 0.45 + 0.27 * (-(-len(labels) // columns_of_legend) - 1)
    figure.text(0.5, 0.08 / height, caption, ha="center", va="bottom", fontsize=9, color="0.25")
    # rect is (left, bottom, width, height) of the figure the panels and titles are laid out in.
    bottom = (legend_in + caption_in) / height
    figure.get_layout_engine().set(rect=(0, bottom, 1, 1 - bottom))
    return _save(figure, Path(path))


def _wrapped(text: str, width_px: float, fontsize: float, renderer: Any) -> str:
    """``text`` with each of its lines broken between words where it would be wider than ``width_px`` at
    ``fontsize`` points (measured by ``renderer``); lines that fit are left as they are."""
    from matplotlib.font_manager import FontProperties

    font = FontProperties(size=fontsize)

    def fits(line: str) -> bool:
        return bool(renderer.get_text_width_height_descent(line, font, ismath=False)[0] <= width_px)

    lines: list[str] = []
    for given in text.split("\n"):
        line = ""
        for word in given.split(" "):
            candidate = f"{line} {word}" if line else word
            if line and not fits(candidate):
                lines.append(line)
                candidate = word
            line = candidate
        lines.append(line)
    return "\n".join(lines)


def _split_entries(plt: Any) -> tuple[list[Any], list[str]]:
    """Legend entries telling training points (dots) from held-out points (triangles edged black)."""
    grey = CLASS_COLORS[7]
    return [
        plt.Line2D([], [], marker="o", linestyle="", markersize=5, color=grey, markeredgecolor="white"),
        plt.Line2D([], [], marker="^", linestyle="", markersize=6, color=grey, markeredgecolor="black"),
    ], ["training point", "held-out point"]


#: Steps of probability a row of the many-class shading key shows.
KEY_STEPS = 64


def _shading_key(figure: Any, axis: Any, result: BoundaryResult, *, beside: Sequence[Any] = ()) -> None:
    """What the shading means: for two classes a colour bar ``beside`` the panels of the predicted probability
    of the second, in the washed colours the panels mix (exactly: the mix is linear in it); for more, drawn in
    ``axis``, a colour bar a class: its row runs from the even mix (each class 1/K) to that class alone (probability 1), the other
    classes sharing the rest evenly, so a region's depth of colour reads as a probability."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import LinearSegmentedColormap, Normalize

    classes = result.points.classes
    target = result.points.target_name
    if len(classes) == 2:
        washed = _shade(CLASS_COLORS[:2])
        scale = LinearSegmentedColormap.from_list("boundary", [tuple(washed[0]), tuple(washed[1])])
        bar = figure.colorbar(
            ScalarMappable(Normalize(0.0, 1.0), scale),
            ax=list(beside),
            ticks=[0, 0.25, 0.5, 0.75, 1],
            shrink=0.7,
            aspect=25,
        )
        bar.set_label(f"shading: predicted P({target} = {classes[1]})", fontsize=LABEL_POINTS)
        bar.ax.tick_params(labelsize=TICK_POINTS)
        return
    k = len(classes)
    colors = CLASS_COLORS[:k]
    even = 1.0 / k
    steps = np.linspace(even, 1.0, KEY_STEPS)
    key = np.empty((k, KEY_STEPS, 3))
    for row in range(k):
        others = (colors.sum(axis=0) - colors[row]) / (k - 1)
        key[row] = _shade(steps[:, None] * colors[row] + (1 - steps[:, None]) * others)
    for row in range(k):  # a bar a class, apart (drawn as one image, neighbouring rows blurred together)
        axis.imshow(
            key[row : row + 1],
            aspect="auto",
            interpolation="nearest",
            extent=(even, 1.0, row + 0.35, row - 0.35),
        )
    axis.set_xlim(even, 1.0)
    axis.set_ylim(k - 0.5, -0.5)
    for spine in axis.spines.values():
        spine.set_visible(False)
    axis.set_yticks(range(k), [str(name) for name in classes], fontsize=TICK_POINTS)
    axis.yaxis.tick_right()
    axis.set_xticks([even, 1.0], [f"{even:.2g}", "1"], fontsize=TICK_POINTS)
    axis.set_xlabel(f"shading: P({target} = row)\n(the others share the rest)", fontsize=TICK_POINTS)


def _outside_view(result: BoundaryResult) -> str:
    """The sentence saying which axis was clipped to its skewed points' percentiles and how many points lie
    beyond the view; empty when every point is in view."""
    x = result.points.x
    clipped = []
    for column, grid in ((0, result.grid_x), (1, result.grid_y)):
        above = int((x[:, column] > grid[-1]).sum())
        below = int((x[:, column] < grid[0]).sum())
        if above or below:
            name = result.points.feature_names[column]
            beyond = " and ".join(
                part
                for part in (
                    f"{below} below (down to {x[:, column].min():.4g})" if below else "",
                    f"{above} above (up to {x[:, column].max():.4g})" if above else "",
                )
                if part
            )
            clipped.append(f"{name} is skewed: shown to its 1st-99th percentile, {beyond} out of view")
    return "; ".join(clipped) + ("; they are still fitted and scored" if clipped else "")


def _class_legend_entries(
    plt: Any, classes: Sequence[Any], target_name: str | None = None
) -> tuple[list[Any], list[str]]:
    """An entry per class, its region's washed shade with its points' dot over it, named ``target = class``
    (the class alone without ``target_name``): the legend says which colour is which class, as a region and
    as a point."""
    from matplotlib.patches import Patch

    handles = [
        (
            Patch(facecolor=tuple(_shade(color)), edgecolor="0.6", linewidth=0.5),
            plt.Line2D([], [], marker="o", linestyle="", markersize=7, color=color, markeredgecolor="white"),
        )
        for color in CLASS_COLORS[: len(classes)]
    ]
    return handles, [f"{target_name} = {name}" if target_name else str(name) for name in classes]


#: Colours in the GIF's shared palette.
GIF_COLORS = 64


def _gif_palette(image: Any, class_colors: np.ndarray) -> Any:
    """A ``GIF_COLORS`` palette fitted to ``image`` that also holds each class colour, black and white exactly.

    Fitted alone, the palette spends itself on the washed region colours, and the small saturated class dots
    (in the panel and the legend) came out as some other class's shade."""
    from PIL import Image

    exact = [tuple(int(255 * c + 0.5) for c in color) for color in class_colors] + [
        (0, 0, 0),
        (255, 255, 255),
    ]
    fitted = image.quantize(colors=GIF_COLORS - len(exact), method=Image.Quantize.MEDIANCUT)
    colors = (fitted.getpalette() or [])[: 3 * (GIF_COLORS - len(exact))]
    colors += [value for color in exact for value in color]
    palette = Image.new("P", (1, 1))
    palette.putpalette(colors)
    return palette


#: Legend entries that fit one row under the GIF's panel, and the pixels each legend row takes.
GIF_LEGEND_COLUMNS, GIF_LEGEND_ROW_PX = 4, 20
#: Pixels of the GIF's panel side by default: at 320, with 7-point text at 80 dpi, it was not readable at 100%.
GIF_SIZE_PX = 520


def write_training_gif(
    result: BoundaryResult, path: str | Path, *, duration_ms: int = 150, size_px: int = GIF_SIZE_PX
) -> Path:
    """The MLP's boundary over training as an animated GIF (Pillow), written atomically: the panel with its
    axes named, the shading's key at its right, and under it the legend and one line saying what the shading
    means (the GIF is often shown alone, without the PNG).

    Each frame is rendered once with matplotlib into memory and quantised to a shared 64-colour palette (the
    class colours in it exactly), which keeps a 30-frame GIF to a few hundred kilobytes. ``size_px``: about the
    panel's side in pixels (the key and the legend are added to it).
    """
    from PIL import Image

    from trainwell.core.atomic import write_bytes_atomic
    from trainwell.learner.plots import _pyplot

    if len(result.frames) < 2:
        raise ConfigError("no MLP training frames were recorded; include 'mlp' in --models to write a GIF")
    plt = _pyplot()
    dpi = 100
    # The legend under the panel: which colour is which class, and what the lines are.
    handles, labels = _class_legend_entries(plt, result.points.classes, result.points.target_name)
    handles.append(_split_entries(plt)[0][1])
    labels.append("held out")
    handles.append(plt.Line2D([], [], color="black", linewidth=1.4))
    labels.append("mlp boundary")
    if result.optimal_scores is not None:
        handles.append(plt.Line2D([], [], color="black", linewidth=1.2, linestyle="dashed"))
        labels.append(f"optimal ({result.optimal_name})" if result.optimal_name else "optimal")
    # One row when it fits, else rows of equal length (a legend fills column by column).
    columns = len(labels) if len(labels) <= GIF_LEGEND_COLUMNS else -(-len(labels) // 2)
    binary = len(result.points.classes) == 2
    key_px = 120 if binary else 190
    width_px = size_px + key_px
    # Under the panel (pixels): the legend's rows, then the caption's lines.
    caption = textwrap.fill(shading_caption(result), int(width_px / 6.0))
    caption_px = 13 * (caption.count("\n") + 1) + 6
    legend_px = GIF_LEGEND_ROW_PX * (-(-len(labels) // columns)) + 6
    height_px = size_px + legend_px + caption_px
    figure = plt.figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi, layout="constrained")
    if binary:
        axis = figure.add_subplot()
        _shading_key(figure, None, result, beside=[axis])
    else:
        outer = figure.add_gridspec(1, 2, width_ratios=[size_px, key_px])
        axis = figure.add_subplot(outer[0])
        _shading_key(figure, figure.add_subplot(outer[1].subgridspec(3, 1)[1]), result)
    figure.legend(
        handles,
        labels,
        loc="lower center",
        bbox_to_anchor=(0.5, caption_px / height_px),
        ncol=columns,
        frameon=False,
        fontsize=TICK_POINTS,
        handlelength=1.6,
        handletextpad=0.4,
        columnspacing=0.9,
        borderaxespad=0.1,
    )
    figure.text(0.5, 3 / height_px, caption, ha="center", va="bottom", fontsize=8, color="0.25")
    bottom = (legend_px + caption_px) / height_px
    figure.get_layout_engine().set(rect=(0, bottom, 1, 1 - bottom))  # left, bottom, width, height
    images = []
    try:
        for number, frame in enumerate(result.frames):
            axis.clear()
            accuracy = "" if frame.accuracy is None else f", held-out acc {frame.accuracy:.3f}"
            _draw_panel(axis, result, frame.probs, f"mlp, epoch {_epoch_text(frame.epoch)}{accuracy}")
            figure.canvas.draw()
            if number == 0:  # laid out once: a layout per frame would shift the panel as its title changes
                figure.set_layout_engine("none")
            rgba = np.asarray(figure.canvas.buffer_rgba())
            images.append(Image.fromarray(rgba[..., :3].copy()))
    finally:
        plt.close(figure)
    palette = _gif_palette(images[-1], CLASS_COLORS[: len(result.points.classes)])
    frames = [image.quantize(palette=palette, dither=Image.Dither.NONE) for image in images]
    buffer = io.BytesIO()
    durations = [duration_ms] * (len(frames) - 1) + [duration_ms * 10]  # linger on the trained boundary
    frames[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        duration=durations,
        loop=0,
        optimize=True,
    )
    return write_bytes_atomic(Path(path), buffer.getvalue())


def _epoch_text(epoch: float) -> str:
    """``40`` at the end of an epoch, ``2.5`` half way through one: never ``40.0``."""
    return f"{epoch:.0f}" if abs(epoch - round(epoch)) < 1e-6 else f"{epoch:.1f}"
