"""Synthetic 2-D classification data whose Bayes-optimal decision is known, for drawing decision boundaries.

Two generators ship, chosen so the optimal rule can be written down exactly:

- ``gaussian`` (:class:`GaussianClasses`): each class is a Gaussian with its own mean and covariance. With
  the true parameters, the Bayes-optimal rule picks the class with the largest
  ``log prior - log det(cov) / 2 - mahalanobis^2 / 2``; with unequal covariances the boundary between two
  classes is a quadratic curve (QDA with the true parameters).
- ``spirals`` (:class:`NoisySpirals`): points uniform in a disc, labelled by which of two interleaved spiral
  bands they fall in, then each label flipped with probability ``noise`` < 0.5. The flip is symmetric, so
  the generating rule is still Bayes-optimal and its expected accuracy is exactly ``1 - noise``.

Every generator has ``sample(n, seed)``, ``scores(points)`` (one column per class; the argmax is the optimal
label, and the zero level of ``score_k - max_other`` is the optimal boundary) and ``to_dict()`` for the
sidecar file that :func:`write_csv` leaves beside a CSV so a later reader can redraw the optimal boundary.

Only numpy and the standard library are used here (layer 1 of the architecture).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from trainwell.core.atomic import write_text_atomic
from trainwell.core.errors import ConfigError, DataError

#: Suffix of the JSON file written beside a generated CSV: ``data.csv`` -> ``data.generator.json``.
SIDECAR_SUFFIX = ".generator.json"
FEATURE_NAMES = ("x1", "x2")
LABEL_NAME = "label"


class Generator(Protocol):
    """What the boundary plots need from a data generator."""

    @property
    def name(self) -> str: ...

    @property
    def n_classes(self) -> int: ...

    def sample(self, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]: ...

    def scores(self, points: np.ndarray) -> np.ndarray: ...

    def to_dict(self) -> dict[str, Any]: ...


def optimal_decision(generator: Generator, points: np.ndarray) -> np.ndarray:
    """The Bayes-optimal label (``0..n_classes-1``) of each point in ``points`` (shape ``(m, 2)``)."""
    return np.asarray(generator.scores(_as_points(points)).argmax(axis=1), dtype=np.int64)


def optimal_margin(generator: Generator, points: np.ndarray, label: int = 1) -> np.ndarray:
    """``score_label - max(other scores)``: positive where ``label`` is optimal; its zero level is the boundary."""
    scores = generator.scores(_as_points(points))
    others = np.delete(scores, label, axis=1).max(axis=1)
    return np.asarray(scores[:, label] - others)


@dataclass(frozen=True)
class GaussianClasses:
    """Gaussian classes with their own covariances: the optimal boundary is quadratic.

    The defaults make two overlapping classes, one wide and tilted, one narrow, so the optimal boundary is a
    clearly curved conic and a linear model falls visibly short of it. More classes work too: pass one mean,
    covariance and prior per class.
    """

    means: tuple[tuple[float, float], ...] = ((0.0, 0.0), (1.2, 1.0))
    covs: tuple[tuple[tuple[float, float], tuple[float, float]], ...] = (
        ((1.6, 0.6), (0.6, 0.8)),
        ((0.25, 0.0), (0.0, 0.5)),
    )
    priors: tuple[float, ...] = (0.5, 0.5)
    name: str = field(default="gaussian", init=False)

    def __post_init__(self) -> None:
        k = len(self.means)
        if k < 2 or len(self.covs) != k or len(self.priors) != k:
            raise ConfigError(
                f"gaussian classes need one mean, covariance and prior per class (at least 2); got "
                f"{len(self.means)} means, {len(self.covs)} covariances, {len(self.priors)} priors"
            )
        priors = np.asarray(self.priors, dtype=np.float64)
        if (priors <= 0).any() or not math.isclose(float(priors.sum()), 1.0, abs_tol=1e-6):
            raise ConfigError(f"gaussian class priors must be positive and sum to 1, got {list(self.priors)}")
        for index, cov in enumerate(self.covs):
            matrix = np.asarray(cov, dtype=np.float64)
            if matrix.shape != (2, 2) or not np.allclose(matrix, matrix.T):
                raise ConfigError(f"covariance {index} must be a symmetric 2x2 matrix, got {cov}")
            if np.linalg.eigvalsh(matrix).min() <= 0:
                raise ConfigError(f"covariance {index} must be positive definite, got {cov}")

    @property
    def n_classes(self) -> int:
        return len(self.means)

    def sample(self, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """``n`` points: the class drawn from the priors, then the point from that class's Gaussian."""
        _check_n(n)
        rng = np.random.default_rng(seed)
        labels = rng.choice(self.n_classes, size=n, p=np.asarray(self.priors) / np.sum(self.priors))
        noise = rng.standard_normal((n, 2))
        x = np.empty((n, 2))
        for k in range(self.n_classes):
            rows = labels == k
            chol = np.linalg.cholesky(np.asarray(self.covs[k], dtype=np.float64))
            x[rows] = np.asarray(self.means[k]) + noise[rows] @ chol.T
        return x, labels.astype(np.int64)

    def scores(self, points: np.ndarray) -> np.ndarray:
        """Log prior + log density of each class up to a shared constant, shape ``(m, n_classes)``."""
        points = _as_points(points)
        columns = []
        for mean, cov, prior in zip(self.means, self.covs, self.priors, strict=True):
            matrix = np.asarray(cov, dtype=np.float64)
            centred = points - np.asarray(mean)
            mahalanobis = np.einsum("mi,ij,mj->m", centred, np.linalg.inv(matrix), centred)
            columns.append(math.log(prior) - 0.5 * math.log(np.linalg.det(matrix)) - 0.5 * mahalanobis)
        return np.stack(columns, axis=1)

    def to_dict(self) -> dict[str, Any]:
        params = asdict(self)
        params.pop("name")
        return {"generator": self.name, "params": _lists(params)}


@dataclass(frozen=True)
class NoisySpirals:
    """Two interleaved spiral bands in the unit disc, with symmetric label noise.

    A point at polar ``(r, theta)`` (r uniform over the disc's area) gets label 1 when
    ``sin(theta - 2 pi turns r / radius) > 0``, then the label is flipped with probability ``noise``. Because
    the flip does not depend on the point and ``noise < 0.5``, the generating rule is the Bayes-optimal one.
    """

    turns: float = 1.0
    noise: float = 0.05
    radius: float = 1.0
    name: str = field(default="spirals", init=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.noise < 0.5:
            raise ConfigError(f"spirals noise must be in [0, 0.5), got {self.noise}")
        if self.radius <= 0 or self.turns < 0:
            raise ConfigError(
                f"spirals need radius > 0 and turns >= 0, got radius={self.radius}, turns={self.turns}"
            )

    @property
    def n_classes(self) -> int:
        return 2

    def sample(self, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        _check_n(n)
        rng = np.random.default_rng(seed)
        r = self.radius * np.sqrt(rng.uniform(size=n))  # sqrt: uniform over the area, not the radius
        theta = rng.uniform(0.0, 2 * math.pi, size=n)
        x = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)
        labels = optimal_decision(self, x)
        flipped = rng.uniform(size=n) < self.noise
        return x, np.where(flipped, 1 - labels, labels).astype(np.int64)

    def scores(self, points: np.ndarray) -> np.ndarray:
        """``[-s, s]`` with ``s = sin(theta - 2 pi turns r / radius)``: zero exactly on the spiral boundary."""
        points = _as_points(points)
        r = np.hypot(points[:, 0], points[:, 1])
        theta = np.arctan2(points[:, 1], points[:, 0])
        s = np.sin(theta - 2 * math.pi * self.turns * r / self.radius)
        return np.stack([-s, s], axis=1)

    def to_dict(self) -> dict[str, Any]:
        return {
            "generator": self.name,
            "params": {"turns": self.turns, "noise": self.noise, "radius": self.radius},
        }


#: Generators by name; each value builds a generator from keyword parameters (all have defaults).
GENERATORS: dict[str, type[GaussianClasses] | type[NoisySpirals]] = {
    "gaussian": GaussianClasses,
    "spirals": NoisySpirals,
}


@dataclass(frozen=True)
class Dataset2D:
    """Points, integer labels and the generator that made them (its ``scores`` give the optimal rule)."""

    x: np.ndarray
    y: np.ndarray
    generator: Generator
    seed: int = 0

    def optimal_decision(self, points: np.ndarray | None = None) -> np.ndarray:
        """Optimal labels of ``points`` (default: the dataset's own points)."""
        return optimal_decision(self.generator, self.x if points is None else points)


def make_generator(name: str, params: dict[str, Any] | None = None) -> Generator:
    """The generator registered as ``name``, built with ``params`` (defaults where absent)."""
    if name not in GENERATORS:
        raise ConfigError(f"unknown data generator {name!r}; known generators: {', '.join(GENERATORS)}")
    try:
        return GENERATORS[name](**_tuples(params or {}))
    except TypeError as error:
        raise ConfigError(f"bad parameters for generator {name!r}: {error}") from None


def generate(name: str, n: int, seed: int = 0, params: dict[str, Any] | None = None) -> Dataset2D:
    """``n`` points from the generator ``name``; the same ``(name, n, seed, params)`` gives the same points."""
    generator = make_generator(name, params)
    x, y = generator.sample(n, seed)
    return Dataset2D(x, y, generator, seed)


def gaussian_classes(n: int, seed: int = 0, **params: Any) -> Dataset2D:
    """Gaussian classes with different covariances (quadratic optimal boundary); see :class:`GaussianClasses`.

    >>> data = gaussian_classes(100, seed=1)
    >>> data.x.shape, sorted(set(data.y.tolist()))
    ((100, 2), [0, 1])
    """
    return generate("gaussian", n, seed, params)


def two_spirals(n: int, seed: int = 0, **params: Any) -> Dataset2D:
    """Noisy interleaved spirals (the generating rule is optimal); see :class:`NoisySpirals`."""
    return generate("spirals", n, seed, params)


def sidecar_path(csv_path: str | Path) -> Path:
    """Where the generator description of ``csv_path`` lives: ``data.csv`` -> ``data.generator.json``."""
    path = Path(csv_path)
    return path.with_name(path.stem + SIDECAR_SUFFIX)


def write_csv(dataset: Dataset2D, path: str | Path) -> Path:
    """Write ``x1,x2,label`` rows to ``path`` and the generator's name and parameters beside it (JSON).

    Both files are written atomically. The sidecar lets ``trainwell boundary`` draw the optimal boundary of a
    generated file without being told which generator made it.
    """
    path = Path(path)
    lines = [",".join((*FEATURE_NAMES, LABEL_NAME))]
    lines += [
        f"{a!r},{b!r},{int(label)}" for (a, b), label in zip(dataset.x.tolist(), dataset.y, strict=True)
    ]
    write_text_atomic(path, "\n".join(lines) + "\n")
    description = {**dataset.generator.to_dict(), "n": len(dataset.x), "seed": dataset.seed}
    write_text_atomic(sidecar_path(path), json.dumps(description, indent=2) + "\n")
    return path


def read_sidecar(csv_path: str | Path) -> Generator | None:
    """The generator recorded beside ``csv_path`` by :func:`write_csv`, or ``None`` when there is no sidecar."""
    sidecar = sidecar_path(csv_path)
    if not sidecar.is_file():
        return None
    try:
        description = json.loads(sidecar.read_text(encoding="utf-8"))
        name, params = description["generator"], description.get("params", {})
    except (ValueError, KeyError, TypeError) as error:
        raise DataError(
            f"generator sidecar {sidecar} is unreadable ({error}); delete it or pass --optimal none"
        ) from None
    return make_generator(str(name), dict(params))


def _check_n(n: int) -> None:
    if int(n) != n or n < 1:
        raise ConfigError(f"number of points must be a positive whole number, got {n}")


def _as_points(points: np.ndarray) -> np.ndarray:
    array = np.asarray(points, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != 2:
        raise DataError(f"points must have shape (m, 2), got {array.shape}")
    return array


def _lists(value: Any) -> Any:
    """Tuples -> lists, recursively, for JSON."""
    if isinstance(value, dict):
        return {key: _lists(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return [_lists(item) for item in value]
    return value


def _tuples(value: Any) -> Any:
    """Lists -> tuples, recursively, so parameters read from JSON build a frozen (hashable) generator."""
    if isinstance(value, dict):
        return {key: _tuples(item) for key, item in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return tuple(_tuples(item) for item in value)
    return value
