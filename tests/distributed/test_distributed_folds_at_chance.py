"""Under torchrun, the verdicts of the folds each process trained (a text classifier at chance) meet in rank 0,
which says them in one line for every fold, as one process does (tests/evaluate/test_folds_at_chance_said_once.py):
rank 1's folds' warnings were each said again by rank 0."""

from __future__ import annotations

from pathlib import Path

from torchrun_support import launch, one_process

from text_samples import reviews

AT_CHANCE = ("--epochs", "1", "--lr", "1e-6")  # one epoch at a tiny rate: no fold learns anything


def test_under_torchrun_rank_0_says_every_process_folds_in_one_line(tmp_path: Path) -> None:
    reviews(200, positive_every=2).to_csv(tmp_path / "reviews.csv", index=False)
    args = ("evaluate", "reviews.csv", "--text", "review", "--target", "sentiment", "--cv", "3", *AT_CHANCE)
    single = one_process(tmp_path, *args, "--no-baselines")
    code, [(out, err), (_, err_1)] = launch(tmp_path, "-m", "trainwell", *args, "--no-baselines")
    assert code == 0, err[-3000:] + err_1[-3000:]
    said = [line for line in err.splitlines() if "did not beat always answering" in line]
    assert len(said) == 1 and said[0].startswith("warning: 3 of 3 folds did not beat"), err
    assert said == [line for line in single.stderr.splitlines() if "did not beat always answering" in line]
    assert "does not beat always answering" not in err + single.stderr
    assert err_1 == "" and out == single.stdout
