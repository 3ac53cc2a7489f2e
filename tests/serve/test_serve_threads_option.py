"""``trainwell serve --threads N`` sets the threads a table model answers on: the table, ratings and bag-of-words
predictors answer on one thread after ``trainwell.load`` (``predictor.threads == 1``), which would silently cancel
an explicit ``--threads`` inside every predict call."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import torch

from trainwell.serve import create_app


def _threads_seen(predictor: Any, rows: list[dict[str, Any]]) -> set[int]:
    seen: list[int] = []
    handle = predictor.model.register_forward_hook(lambda *_: seen.append(torch.get_num_threads()))
    try:
        predictor.predict(pd.DataFrame(rows))
    finally:
        handle.remove()
    return set(seen)


def test_an_explicit_threads_option_wins_over_the_predictors_one_thread(
    model_dir: Path, new_rows: list[dict[str, Any]]
) -> None:
    default = create_app(model_dir, backend="torch").state.predictor
    assert default.threads == 1 and _threads_seen(default, new_rows[:3]) == {1}
    chosen = create_app(model_dir, threads=2, backend="torch").state.predictor
    assert chosen.threads == 2 and _threads_seen(chosen, new_rows[:3]) == {2}
