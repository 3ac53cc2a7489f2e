"""``fit --out`` and ``fold-in --out`` over a model of another application or target are refused before any
training (bad-input tour 55, #4): a tabular binary model of 'y' had been replaced by a model of 'k', or by a
recommender, with a warning only after the work was done. The same model fitted again into its folder is silent."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from cli_support import EPOCHS, binary_table, count_table, run_cli, run_cli_many

from ratings_support import low_rank_ratings

pytestmark = pytest.mark.slow  # every test starts the real command (seconds each on 2 shared cores)


# The learning rate given: the table's sweep (and its plot) is no part of what these tests ask.
LR = ["--lr", "1e-2"]


def folder_digest(folder: Path) -> dict[str, str]:
    return {entry.name: hashlib.sha256(entry.read_bytes()).hexdigest() for entry in sorted(folder.iterdir())}


def test_fit_and_fold_in_refuse_an_out_holding_another_model_before_training(tmp_path: Path) -> None:
    binary_table(n_rows=120).to_csv(tmp_path / "yes_no.csv", index=False)
    count_table(n_rows=120).to_csv(tmp_path / "counts.csv", index=False)
    frame = low_rank_ratings(seed=0).frame
    frame.iloc[:800].to_csv(tmp_path / "ratings.csv", index=False)
    newer = frame.iloc[800:].copy()
    newer["user"] += 1000  # users the model has not seen: a fold-in with work to do
    newer.to_csv(tmp_path / "newer.csv", index=False)
    table, recommender = run_cli_many(
        [
            ["fit", "yes_no.csv", "--target", "y", "--out", "m", *EPOCHS, *LR],
            [
                "fit",
                "ratings.csv",
                "--user",
                "user",
                "--item",
                "item",
                "--target",
                "rating",
                "--out",
                "r",
                *EPOCHS,
            ],
        ],
        cwd=tmp_path,
    )
    assert table.returncode == 0 and recommender.returncode == 0, table.explain() + recommender.explain()
    before = folder_digest(tmp_path / "m")
    # One after the other: side by side, the fits that are not refused would hold 'm' for one another.
    other_target = run_cli("fit", "counts.csv", "--target", "k", "--out", "m", *EPOCHS, cwd=tmp_path)
    ratings_over = run_cli(
        "fit", "ratings.csv", "--user", "user", "--item", "item", "--target", "rating", "--out", "m", *EPOCHS,
        cwd=tmp_path,
    )  # fmt: skip
    fold_in_over = run_cli("fold-in", "r", "newer.csv", "--out", "m", cwd=tmp_path)
    for result, replacing in (
        (other_target, "this fit would replace it with a model of 'k'"),
        (ratings_over, "this fit would replace it with a collab model"),
        (fold_in_over, "this fold-in would replace it with a collab model"),
    ):
        assert result.returncode == 2, result.explain()
        assert len(result.stderr_lines) == 1, result.explain()
        assert "error: --out 'm' holds a tabular binary model of 'y' (fitted " in result.stderr, (
            result.explain()
        )
        assert replacing in result.stderr and "pass another --out, or delete 'm' first" in result.stderr
        assert "epoch" not in result.stdout, result.explain()  # refused before training
    assert folder_digest(tmp_path / "m") == before
    again = run_cli("fit", "yes_no.csv", "--target", "y", "--out", "m", *EPOCHS, *LR, cwd=tmp_path)
    assert again.returncode == 0 and "replaced" not in again.stderr, again.explain()  # the usual re-fit
