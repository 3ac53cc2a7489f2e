"""``trainwell info`` of a model trained under ``torchrun`` says so: the number of processes is recorded in
``trainwell.json``'s training entry (a tour's ``info r_ddp2`` said nothing of its 2 processes). The record under
the real launcher is checked in ``tests/distributed/test_distributed_cli.py``."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console

import trainwell
from trainwell.cli._show import show_info
from trainwell.learner._export import learner_metadata


def _info_rows(metadata: dict) -> dict[str, str]:
    out = io.StringIO()
    show_info(metadata, Path("m"), Console(file=out, width=200))
    rows = {}
    for line in out.getvalue().splitlines():
        cells = [cell.strip() for cell in line.strip("│ ").split("│")]
        if len(cells) == 2 and cells[0]:
            rows[cells[0]] = cells[1]
    return rows


def _learner() -> trainwell.Learner:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=120), "y": rng.integers(0, 2, size=120)})
    return trainwell.fit_table(frame, target="y", arch="mlp", epochs=1, lr=1e-2, progress=False).learn


def test_the_processes_a_model_was_trained_by_are_recorded_and_shown() -> None:
    learn = _learner()
    alone = learner_metadata(learn)
    assert "processes" not in alone["training"]  # one process: nothing to say
    assert "processes" not in _info_rows(alone)
    learn.processes = 2  # what trainwell.distribute sets under torchrun
    together = learner_metadata(learn)
    assert together["training"]["processes"] == 2
    assert _info_rows(together)["processes"] == "2 (torchrun)"
