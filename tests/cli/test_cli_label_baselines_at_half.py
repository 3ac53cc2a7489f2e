"""``fit --no-label-thresholds`` on a multi-label table is held to the trivial answers: the table, text and
image pipelines skipped the check whenever the thresholds stayed at 0.5, so a fit that beat neither answering
no label anywhere nor the most frequent label set said nothing (only a fit whose thresholds were chosen was
checked)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from multilabel_samples import TABLE_DELIM, tagged_rows
from trainwell.cli.app import app

TRIVIAL = "the model's decisions do not beat a trivial answer"


def test_fit_at_half_that_learned_nothing_warns_once(tmp_path: Path) -> None:
    table = tmp_path / "tags.csv"
    tagged_rows(400, 0).to_csv(table, index=False)
    args = ["fit", str(table), "--target", "tags", "--label-delim", TABLE_DELIM, "--arch", "mlp",
            "--epochs", "1", "--lr", "1e-5", "--seed", "0", "--out", str(tmp_path / "model")]  # fmt: skip
    done = CliRunner().invoke(app, [*args, "--no-label-thresholds"], env={"COLUMNS": "200"})
    assert done.exit_code == 0, done.output
    said = " ".join(done.output.split())
    assert said.count(TRIVIAL) == 1, said
    assert "it has learned nothing usable yet" in said
