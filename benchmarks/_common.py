"""Helpers shared by the benchmark scripts: machine facts, JSON results, a printed table, MNIST from IDX files.

Benchmarks are scripts, not tests: each prints a table and writes ``benchmarks/results/<name>.json``.
This module imports only the standard library and numpy at the top, so ``import_time.py`` can use it
without paying for torch in the measuring process.
"""

from __future__ import annotations

import gzip
import json
import os
import platform
import statistics
import struct
import sys
import tempfile
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

BENCHMARKS_DIR = Path(__file__).resolve().parent
RESULTS_DIR = (
    Path(os.environ["TRAINWELL_RESULTS_DIR"])
    if os.environ.get("TRAINWELL_RESULTS_DIR")
    else BENCHMARKS_DIR / "results"
)
REPO_ROOT = BENCHMARKS_DIR.parent
SHARED_DATA = Path(os.environ.get("TRAINWELL_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
MNIST_DIR = SHARED_DATA / "mnist"

_IDX_DTYPES = {
    0x08: np.uint8,
    0x09: np.int8,
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def machine_info(**extra: Any) -> dict[str, Any]:
    """Facts that make a timing comparable: CPU count, Python, platform and library versions, and ``extra``."""
    info: dict[str, Any] = {
        "cpu_count": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "load_average_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "numpy": np.__version__,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    torch = sys.modules.get("torch")  # only report torch when the caller already paid for importing it
    if torch is not None:
        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    trainwell = sys.modules.get("trainwell")
    if trainwell is not None:
        info["trainwell"] = trainwell.__version__
    info.update(extra)
    return info


def write_results(name: str, payload: dict[str, Any]) -> Path:
    """Write ``payload`` as ``results/<name>.json`` atomically (a crash never leaves half a file)."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=RESULTS_DIR)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(payload, stream, indent=2, sort_keys=False)
            stream.write("\n")
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return path


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print ``rows`` under ``columns``: a rich table when rich is installed, aligned plain text otherwise."""
    cells = [[_format_cell(value) for value in row] for row in rows]
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        widths = [max(len(str(c)), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
        print(title)
        print("  ".join(f"{c:>{w}}" for c, w in zip(columns, widths, strict=True)))
        for row in cells:
            print("  ".join(f"{v:>{w}}" for v, w in zip(row, widths, strict=True)))
        return
    table = Table(title=title)
    for index, column in enumerate(columns):
        table.add_column(column, justify="left" if index == 0 else "right")
    for row in cells:
        table.add_row(*row)
    # Piped output (a log file) gets a wide console rather than rich's default 80 columns, so names stay whole.
    Console(width=None if sys.stdout.isatty() else 160).print(table)


def _format_cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 100 else f"{value:.1f}"
    return str(value)


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (optionally gzipped), the format of LeCun's MNIST files, into an array.

    Header: two zero bytes, a type code, the number of dimensions, then each dimension as a big-endian
    uint32; the data follows in row-major order.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as stream:
        raw = stream.read()
    zero, type_code, n_dims = struct.unpack(">HBB", raw[:4])
    if zero != 0 or type_code not in _IDX_DTYPES:
        raise ValueError(f"{path} is not an IDX file: header bytes {raw[:4]!r}; expected 00 00 <type> <ndim>")
    shape = struct.unpack(f">{n_dims}I", raw[4 : 4 + 4 * n_dims])
    data = np.frombuffer(raw, dtype=_IDX_DTYPES[type_code], offset=4 + 4 * n_dims)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path} holds {data.size} values but its header says shape {shape}")
    return data.reshape(shape)


def load_mnist(folder: Path = MNIST_DIR) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """MNIST's official split as ``(x_train, y_train, x_test, y_test)``, or ``None`` when the files are absent.

    Images are flattened to 784 float32 values scaled to [0, 1]; labels are int64.
    """
    names = (
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    )
    if not all((folder / name).is_file() for name in names):
        return None
    train_images, train_labels, test_images, test_labels = (read_idx(folder / name) for name in names)

    def images(array: np.ndarray) -> np.ndarray:
        return (array.reshape(len(array), -1).astype(np.float32) / 255.0).copy()

    return (
        images(train_images),
        train_labels.astype(np.int64),
        images(test_images),
        test_labels.astype(np.int64),
    )


def time_budget(seconds: float) -> Any:
    """A callback running one-cycle over wall-clock time: progress = elapsed / budget; stops when it is spent.

    After five batches the run's length in iterations is re-estimated from the measured speed after every
    batch, so the schedule's warm-up and annealing fit the budget whatever the machine. ``.tokens`` counts
    the training targets seen and ``.start`` is when the fit began.
    """
    import time

    from trainwell.learner.events import Callback, CancelFit

    class TimeBudget(Callback):
        order = -30  # before the schedule reads learn.pct_train

        def __init__(self) -> None:
            self.start = 0.0
            self.tokens = 0

        def before_fit(self, learn: Any) -> None:
            self.start = time.perf_counter()

        def before_batch(self, learn: Any) -> None:
            if not learn.training:
                return
            elapsed = time.perf_counter() - self.start
            if elapsed >= seconds:
                raise CancelFit
            if learn.iteration >= 5:
                learn.n_iterations = max(learn.iteration + 1, round(learn.iteration * seconds / elapsed))

        def after_batch(self, learn: Any) -> None:
            if learn.training:
                self.tokens += learn.yb.numel()

    return TimeBudget()


def text_frames(dataset: str) -> tuple[Any, Any, str, str, str]:
    """IMDB (train, test) or SST-2 (train, dev) from the shared data: frames, text column, label, held-out name."""
    import pandas as pd

    if dataset == "imdb":
        folder = SHARED_DATA / "imdb"
        train = pd.read_csv(folder / "train.csv.gz", keep_default_na=False)
        held = pd.read_csv(folder / "test.csv.gz", keep_default_na=False)
        return train, held, "text", "label", "test"
    folder = SHARED_DATA / "sst2"
    train = pd.read_csv(folder / "train.tsv.gz", sep="\t", quoting=3, keep_default_na=False)
    held = pd.read_csv(folder / "dev.tsv.gz", sep="\t", quoting=3, keep_default_na=False)
    return train, held, "sentence", "label", "dev"


def search_record(result: Any, search_seconds: float, fit_seconds: float) -> dict[str, Any]:
    """What a tune benchmark records of a search (a ``TuneResult``): its trials, time, best settings and the
    best trial's gain over the defaults with its noise checks."""
    states = [trial["state"] for trial in result.trials]
    return {
        "trials": len(result.trials),
        "pruned": states.count("pruned"),
        "search_seconds": search_seconds,
        "fit_seconds": fit_seconds,
        "best_params": result.best_params,
        "default_value": result.default_value,
        "improvement": result.improvement,
        "improvement_interval": result.improvement_interval,
        "selection_p_value": getattr(result.selection, "p_value", None),
        "trial_values": [trial["value"] for trial in result.trials],
        "median_trial_seconds": float(np.median([trial["seconds"] for trial in result.trials])),
    }


def held_out_result(run: Any, train: Any, held: Any, held_name: str, wall: float) -> dict[str, Any]:
    """The figures every text benchmark reports for a fitted run: held-out accuracy and loss, sizes, times."""
    scores = run.learn.validate(run.data.test)
    history = run.learn.history
    return {
        "train_rows": len(train),
        f"{held_name}_rows": len(held),
        f"{held_name}_accuracy": scores["accuracy"],
        f"{held_name}_loss": scores["loss"],
        "wall_s": wall,
        "train_s": sum(row.get("time", 0.0) for row in history),
    }
