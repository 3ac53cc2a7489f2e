"""``trainwell evaluate`` on ratings: the top-10 lists against popularity beside the rating error, --time-col's folds,
and a bare header-less u.data-like file read as user, item, rating, timestamp."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from cli_support import run_cli

from ratings_support import low_rank_ratings


def timed_csv(folder: Path) -> Path:
    frame = low_rank_ratings(0).frame
    frame["timestamp"] = np.random.default_rng(1).integers(0, 10**6, len(frame))
    path = folder / "ratings.csv"
    frame.to_csv(path, index=False)
    return path


def test_evaluate_by_time_prints_the_lists_against_popularity(tmp_path: Path) -> None:
    path = timed_csv(tmp_path)
    done = run_cli(
        "evaluate", path, "--user", "user", "--item", "item", "--target", "rating", "--cv", "2", "--epochs", "2",
        "--time-col", "timestamp", "--json", tmp_path / "e.json",
    )  # fmt: skip
    assert done.returncode == 0, done.explain()
    said = " ".join(done.stdout.split())
    assert "folds by time ('timestamp'): each user's latest 20% of their ratings held out" in said
    assert "top-10 lists" in said and "popularity" in said and "ndcg@10" in said
    saved = json.loads((tmp_path / "e.json").read_text())
    assert saved["split"].startswith("folds by time") and set(saved["top_n"]["baselines"]) == {"popularity"}
    assert len(saved["top_n"]["trainwell"]["folds"]) == 2


def test_a_missing_time_column_is_one_line_naming_the_columns(tmp_path: Path) -> None:
    done = run_cli(
        "evaluate", timed_csv(tmp_path), "--user", "user", "--item", "item", "--target", "rating", "--cv", "2",
        "--epochs", "1", "--time-col", "when",
    )  # fmt: skip
    assert done.returncode == 2, done.explain()
    assert "time column 'when' not found" in done.stderr and "timestamp" in done.stderr
    assert "Traceback" not in done.stderr


def test_time_col_is_refused_for_a_table(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    pd.DataFrame({"x": range(20), "y": [0, 1] * 10, "when": range(20)}).to_csv(path, index=False)
    done = run_cli("evaluate", path, "--target", "y", "--time-col", "when", "--cv", "2")
    assert done.returncode == 2, done.explain()
    assert "--time-col" in done.stderr and "ratings" in done.stderr


def test_a_bare_headerless_ratings_file_is_read_as_user_item_rating_time(tmp_path: Path) -> None:
    frame = low_rank_ratings(0).frame
    frame["timestamp"] = np.arange(len(frame)) + 880_000_000
    path = tmp_path / "u.data"
    frame["rating"] = frame["rating"].round().astype(int)  # MovieLens' whole stars
    frame.to_csv(path, sep="\t", header=False, index=False)
    done = run_cli("evaluate", path, "--cv", "2", "--epochs", "1")
    assert done.returncode == 0, done.explain()
    said = " ".join(done.stderr.split())
    assert "reads its columns as user, item, rating, timestamp" in said, said
    assert "rmse" in done.stdout
