"""A model directory that holds only the checkpoint of a fit that was stopped says how far the fit got (read
from the checkpoint without torch) when predict, export, report or info is pointed at it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cli_support import binary_table, run_cli_many

from resume_support import CrashAfter
from trainwell.callbacks import Checkpoint
from trainwell.core.model_dir import FIT_CHECKPOINT_FILE, fit_checkpoint_position
from trainwell.learner import read_checkpoint
from trainwell.tabular import tabular_data, tabular_learner

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stopped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding only the checkpoint of a 10-epoch fit stopped after the third epoch's training batches."""
    folder = tmp_path_factory.mktemp("stopped") / "run"
    folder.mkdir()
    data = tabular_data(binary_table(), "y", batch_size=64, valid_pct=0.2)
    learn = tabular_learner(data, progress=False)
    checkpoint = Checkpoint(folder / FIT_CHECKPOINT_FILE, every_n_batches=1)
    with pytest.raises(KeyboardInterrupt):
        learn.fit_one_cycle(10, 1e-2, callbacks=[checkpoint, CrashAfter(3 * len(data.train) + 2)])
    assert [path.name for path in folder.iterdir()] == [FIT_CHECKPOINT_FILE]
    return folder


def test_the_position_is_read_without_torch_as_torch_reads_it(stopped: Path) -> None:
    path = stopped / FIT_CHECKPOINT_FILE
    info = read_checkpoint(path)
    assert (info.epoch, info.next_batch, info.n_epochs) == (3, 2, 10)
    assert fit_checkpoint_position(path) == "in epoch 4 of 10, after 2 of its batches"
    script = (
        "import sys; from pathlib import Path; from trainwell.core.model_dir import fit_checkpoint_position; "
        f"print(fit_checkpoint_position(Path({str(path)!r}))); print(sorted({{'torch', 'numpy'}} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == ["in epoch 4 of 10, after 2 of its batches", "[]"]


def test_a_file_that_is_no_checkpoint_gives_no_position(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a zip")
    assert fit_checkpoint_position(garbage) is None
    assert fit_checkpoint_position(tmp_path / "missing.pt") is None


def test_predict_export_report_and_info_say_how_far_the_fit_got(stopped: Path, tmp_path: Path) -> None:
    rows = tmp_path / "rows.csv"
    binary_table().drop(columns="y").head(5).to_csv(rows, index=False)
    results = run_cli_many(
        [
            ["predict", stopped, rows],
            ["export", stopped],
            ["report", stopped, "--data", rows, "--out", tmp_path / "report.html"],
            ["info", stopped],
        ]
    )
    expected = (
        f"error: '{stopped}' holds the checkpoint of a fit that did not finish (in epoch 4 of 10, after 2 of its "
        "batches), not a model yet (no trainwell.json); continue it with the same `trainwell fit` arguments and "
        f"--resume (its model is written there when it ends), or delete '{stopped / FIT_CHECKPOINT_FILE}' to start "
        "afresh"
    )
    for result in results:
        assert result.returncode == 2, result.explain()
        assert " ".join(result.stderr.split()) == expected, result.explain()
