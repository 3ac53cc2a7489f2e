"""``trainwell fit --resume``: a fit stopped by Ctrl-C or killed outright, then resumed, writes the same model
directory as a fit never stopped; ``--resume`` that cannot continue the same fit is a one-line error.

The stopped runs go through a small launcher that adds one callback to the fits the command checkpoints: it
sends the process SIGINT at a chosen training batch (what Ctrl-C does), or SIGKILL once a checkpoint has been
written (what a crash or an OOM killer does: nothing more is saved).
"""

from __future__ import annotations

import json
import shlex
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from cli_support import CliResult, binary_table, cli_env, run_cli, run_cli_many

from image_files import make_image_folder
from process_support import run_python
from ratings_support import low_rank_ratings
from tagging_samples import pos_sentences, write_conll_file
from text_samples import reviews, stories

pytestmark = pytest.mark.slow

CHECKPOINT = "fit-checkpoint.pt"

LAUNCHER = """
import os, signal, sys
from trainwell.callbacks import Checkpoint
from trainwell.cli.app import main
from trainwell.learner import Callback, Learner

kind, stop_fit, stop_epoch, stop_batch = sys.argv[1], *map(int, sys.argv[2:5])


class Stop(Callback):
    # SIGINT (Ctrl-C) or SIGTERM before the checkpoint sees the batch; SIGKILL after it (nothing written after).
    order = 50 if kind in ("INT", "TERM") else 100

    def __init__(self, fit, checkpoint):
        self.fit, self.checkpoint = fit, checkpoint

    def after_batch(self, learn):
        if not learn.training or self.fit != stop_fit or (learn.epoch, learn.batch_index) < (stop_epoch, stop_batch):
            return
        if kind in ("INT", "TERM") and (learn.epoch, learn.batch_index) == (stop_epoch, stop_batch):
            os.kill(os.getpid(), signal.SIGINT if kind == "INT" else signal.SIGTERM)
        elif kind == "KILL" and self.checkpoint.writes > 0:
            os.kill(os.getpid(), signal.SIGKILL)


fits = []
plain_fit = Learner._fit


def fit_with_stop(self, n_epochs, callbacks, resume_from):
    checkpoint = next((cb for cb in callbacks if isinstance(cb, Checkpoint)), None)
    if checkpoint is not None:  # a fit the command checkpoints (not the learning-rate finder's, nor trees')
        callbacks = [*callbacks, Stop(len(fits), checkpoint)]
        fits.append(n_epochs)
    return plain_fit(self, n_epochs, callbacks, resume_from)


Learner._fit = fit_with_stop
sys.argv = [sys.argv[0], *sys.argv[5:]]
main()
"""


def run_stopped(
    folder: Path, args: list[str], kind: str = "INT", fit: int = 0, epoch: int = 1, batch: int = 0
) -> CliResult:
    """``trainwell ARGS`` stopped by ``kind`` (INT, TERM or KILL) at a training batch of the ``fit``-th checkpointed
    fit (KILL: at the first batch from there on after a checkpoint was written)."""
    launcher = folder / "launch_and_stop.py"
    launcher.write_text(LAUNCHER)
    command = [str(launcher), kind, str(fit), str(epoch), str(batch), *args]
    done = run_python(command, env=cli_env(), cwd=folder, timeout=300)
    return CliResult(tuple(args), done.returncode, done.stdout, done.stderr)


def side_by_side(
    folder: Path, full: list[str], stopped: list[str], **stop: Any
) -> tuple[CliResult, CliResult]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        reference = pool.submit(run_cli, *full, cwd=folder)
        interrupted = pool.submit(run_stopped, folder, stopped, **stop)
        return reference.result(), interrupted.result()


def history(model_dir: Path) -> pd.DataFrame:
    return pd.read_csv(model_dir / "history.csv").drop(columns=["time"])


def training(model_dir: Path) -> dict[str, Any]:
    """What ``trainwell.json`` says of the training, without the epochs' times (which two runs never share)."""
    record = json.loads((model_dir / "trainwell.json").read_text())["training"]

    def timeless(row: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in row.items() if key != "time"}

    compared = {name: timeless(row) for name, row in (record.get("compared") or {}).items()}
    return {"final": timeless(record["final"]), "compared": compared, "epochs": record["epochs"]}


def assert_same_model(resumed: Path, reference: Path) -> None:
    # The same files (lr_find.png too: the checkpoint keeps the sweep the stopped fit chose its rate by).
    assert sorted(p.name for p in resumed.iterdir()) == sorted(p.name for p in reference.iterdir())
    assert (resumed / "model.safetensors").read_bytes() == (reference / "model.safetensors").read_bytes()
    pd.testing.assert_frame_equal(history(resumed), history(reference))
    assert training(resumed) == training(reference)
    assert not (resumed / CHECKPOINT).exists()  # the model's save removed it
    assert not [entry.name for entry in resumed.iterdir() if entry.name.startswith(".")]


def write_source(folder: Path, data: str) -> None:
    """Write the data named ``data`` (the first argument after ``fit``) into ``folder``."""
    if data == "table.csv":
        binary_table().to_csv(folder / data, index=False)
    elif data == "reviews.csv":
        reviews(300).to_csv(folder / data, index=False)
    elif data == "ratings.csv":
        low_rank_ratings().frame.to_csv(folder / data, index=False)
    elif data == "tags.txt":
        write_conll_file(folder / data, pos_sentences(100))
    elif data == "corpus.txt":
        (folder / data).write_text("\n".join(stories(150)) + "\n", encoding="utf-8")
    else:
        make_image_folder(folder / data, per_class=30)


APPLICATIONS = {
    "table, --arch auto": ["table.csv", "--target", "y"],
    # A rate given: the sweep the checkpoint keeps is the other applications' to show (the table's with auto).
    "table, MLP, --time": ["table.csv", "--target", "y", "--arch", "mlp", "--lr", "0.01", "--time", "10m"],
    "images": ["images", "--arch", "simple_cnn"],
    "texts": ["reviews.csv", "--text", "review", "--target", "sentiment"],
    "ratings": ["ratings.csv", "--user", "user", "--item", "item", "--target", "rating"],
    "tagging": ["tags.txt", "--task", "tagging"],
    "language model": ["corpus.txt", "--task", "language_model"],
}


@pytest.mark.parametrize("application", APPLICATIONS)
def test_ctrl_c_then_resume_writes_the_model_of_a_fit_never_stopped(tmp_path: Path, application: str) -> None:
    write_source(tmp_path, APPLICATIONS[application][0])
    args = ["fit", *APPLICATIONS[application], "--epochs", "3"]
    reference, stopped = side_by_side(tmp_path, [*args, "--out", "full"], [*args, "--out", "run"])
    assert reference.returncode == 0, reference.explain()
    assert stopped.returncode == 130, stopped.explain()
    command = "trainwell " + shlex.join([*args, "--out", "run", "--resume"])
    assert stopped.stderr_lines[-1] == (
        f"interrupted: the fit's checkpoint (in epoch 2 of 3, after 1 of its batches) is in "
        f"'run/{CHECKPOINT}'; continue it with: {command}"
    ), stopped.explain()
    assert sorted(entry.name for entry in (tmp_path / "run").iterdir()) == [CHECKPOINT]

    resumed = run_cli(*args, "--out", "run", "--resume", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.explain()
    assert f"resuming the fit stopped in epoch 2 of 3, after 1 of its batches from 'run/{CHECKPOINT}'" in (
        resumed.stdout
    )
    assert_same_model(tmp_path / "run", tmp_path / "full")
    if "--time" in args:  # the budget went on from the time it had left, and says so
        assert "--time: the 10m budget was not reached: all " in resumed.stdout, resumed.explain()


# A rate given: no learning-rate finder's sweep and plot in any of the five runs (the Ctrl-C tests show the sweep kept)
MLP_FIT = ["fit", "table.csv", "--target", "y", "--arch", "mlp", "--epochs", "3", "--lr", "0.01"]


@pytest.fixture(scope="module")
def mlp_reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The model ``MLP_FIT`` writes never stopped: what the SIGTERM and SIGKILL tests' resumed fits must
    write (each reads a table of the same contents in a folder of its own)."""
    folder = tmp_path_factory.mktemp("mlp-reference")
    binary_table().to_csv(folder / "table.csv", index=False)
    reference = run_cli(*MLP_FIT, "--out", "full", cwd=folder)
    assert reference.returncode == 0, reference.explain()
    return folder / "full"


def test_sigterm_writes_the_checkpoint_as_ctrl_c_does_then_resumes(
    tmp_path: Path, mlp_reference: Path
) -> None:
    """kill, docker stop or a job scheduler's SIGTERM ended the fit at once (exit 143, nothing said): the batch
    under way ends, the checkpoint is written and the command to continue printed, as for Ctrl-C."""
    binary_table().to_csv(tmp_path / "table.csv", index=False)
    args = MLP_FIT
    stopped = run_stopped(tmp_path, [*args, "--out", "run"], kind="TERM")
    assert stopped.returncode == 143, stopped.explain()  # as a shell reports a process SIGTERM ended
    assert stopped.stderr_lines[-1].startswith(
        "stopped by SIGTERM: the fit's checkpoint (in epoch 2 of 3, after 1 of its batches) is in 'run/"
    ), stopped.explain()
    resumed = run_cli(*args, "--out", "run", "--resume", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.explain()
    assert_same_model(tmp_path / "run", mlp_reference)


def test_a_process_killed_outright_resumes_from_its_last_checkpoint(
    tmp_path: Path, mlp_reference: Path
) -> None:
    """SIGKILL leaves no chance to write: the fit goes on from the last checkpoint, wherever the time-based
    policy put it, and still ends as one never stopped. The kill comes at the first batch of the second epoch
    after a write (the end of the first epoch, or a time-based write before it): 3 epochs leave 2 to resume."""
    binary_table().to_csv(tmp_path / "table.csv", index=False)
    args = MLP_FIT
    killed = run_stopped(tmp_path, [*args, "--out", "run"], kind="KILL", epoch=1)
    assert killed.returncode == -signal.SIGKILL, killed.explain()
    assert (tmp_path / "run" / CHECKPOINT).is_file() and not (tmp_path / "run" / "model.safetensors").exists()
    resumed = run_cli(*args, "--out", "run", "--resume", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.explain()
    assert_same_model(tmp_path / "run", mlp_reference)


def test_fine_tuning_resumes_in_its_unfrozen_phase(tmp_path: Path) -> None:
    make_image_folder(tmp_path / "shapes", ("horizontal", "vertical", "square"), per_class=12)
    make_image_folder(tmp_path / "images", per_class=30, seed=5)
    pretrained = run_cli(
        "fit",
        "shapes",
        "--arch",
        "simple_cnn",
        "--epochs",
        "1",
        "--lr",
        "0.002",
        "--out",
        "pre",
        cwd=tmp_path,
    )
    assert pretrained.returncode == 0, pretrained.explain()
    args = ["fit", "images", "--pretrained", "pre", "--epochs", "2"]
    reference, stopped = side_by_side(tmp_path, [*args, "--out", "full"], [*args, "--out", "run"], fit=1)
    assert reference.returncode == 0, reference.explain()
    assert stopped.returncode == 130, stopped.explain()
    assert "checkpoint (in the unfrozen phase, in epoch 2 of 2, after 1 of its batches)" in stopped.stderr
    resumed = run_cli(*args, "--out", "run", "--resume", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.explain()
    assert_same_model(tmp_path / "run", tmp_path / "full")
    assert len(history(tmp_path / "run")) == 3  # the frozen phase's epoch, then the unfrozen phase's two


def test_what_cannot_resume_the_same_fit_is_refused_in_one_line(tmp_path: Path) -> None:
    binary_table().to_csv(tmp_path / "table.csv", index=False)
    args = ["fit", "table.csv", "--target", "y", "--epochs", "3", "--lr", "0.01", "--out", "run"]
    stopped = run_stopped(tmp_path, args)
    assert stopped.returncode == 130, stopped.explain()
    checkpoint = tmp_path / "run" / CHECKPOINT
    written = checkpoint.read_bytes()
    binary_table(seed=1).to_csv(tmp_path / "other.csv", index=False)
    commands = {
        "not resumed": args,
        "other options": [
            *args[:4],
            "--epochs",
            "4",
            "--lr",
            "0.01",
            "--seed",
            "1",
            "--out",
            "run",
            "--resume",
        ],
        "other data": ["fit", "other.csv", *args[2:], "--resume"],
        "nothing to resume": [*args[:-1], "elsewhere", "--resume"],
        "closed form": ["fit", "table.csv", "--target", "y", "--arch", "gbdt", "--out", "trees", "--resume"],
    }
    results = dict(zip(commands, run_cli_many(list(commands.values()), cwd=tmp_path), strict=True))
    expected = {
        "not resumed": (
            "error: 'run' holds the checkpoint of a fit that did not finish (in epoch 2 of 3, after 1 of its "
            f"batches); continue it with the same arguments and --resume, or delete 'run/{CHECKPOINT}' to start "
            "afresh"
        ),
        "other options": (
            "error: --resume: this fit's options differ from those of the checkpoint in 'run': --epochs 3 there, "
            f"4 here; --seed 0 there, 1 here. Resume with the same arguments, or delete 'run/{CHECKPOINT}' to "
            "start afresh"
        ),
        "other data": (
            f"error: --resume: this fit's options differ from those of the checkpoint in 'run': DATA "
            f"{tmp_path / 'table.csv'} there, {tmp_path / 'other.csv'} here. Resume with the same arguments, or "
            f"delete 'run/{CHECKPOINT}' to start afresh"
        ),
        "nothing to resume": (
            "error: --resume: there is no checkpoint in 'elsewhere': a fit keeps one there only until its model "
            "is written; start afresh without --resume"
        ),
        "closed form": (
            "error: --resume: boosted trees (--arch gbdt) fit in seconds and keep no checkpoint, so there is "
            "nothing to resume; fit again without --resume"
        ),
    }
    for name, done in results.items():
        assert done.returncode == 2, f"{name}: {done.explain()}"
        assert done.stderr_lines == [expected[name]], f"{name}: {done.explain()}"
    assert checkpoint.read_bytes() == written  # nothing refused touched it

    # The same file with other contents is not the data the checkpoint was trained on.
    binary_table(seed=2).to_csv(tmp_path / "table.csv", index=False)
    changed = run_cli(*args, "--resume", cwd=tmp_path)
    assert changed.returncode == 2, changed.explain()
    assert changed.stderr_lines == [
        f"error: --resume: the data '{tmp_path / 'table.csv'}' has changed since the checkpoint in 'run' was "
        "written (its files, sizes or contents differ); resume with the data it was trained on, or delete "
        f"'run/{CHECKPOINT}' to start afresh"
    ]


def test_the_resume_command_repeats_the_arguments_after_fit() -> None:
    from trainwell.cli._resume import resume_command

    assert resume_command(["/venv/bin/trainwell", "fit", "my data.csv", "--target", "y"]) == (
        "trainwell fit 'my data.csv' --target y --resume"
    )
    # Run as a module, and already resumed once: --resume is not repeated.
    assert resume_command(["/src/trainwell/__main__.py", "fit", "d.csv", "--resume", "--out", "m"]) == (
        "trainwell fit d.csv --out m --resume"
    )


def test_the_data_fingerprint_follows_contents_and_file_lists(tmp_path: Path) -> None:
    from trainwell.cli._resume import data_fingerprint

    table = tmp_path / "t.csv"
    table.write_text("a,b\n1,2\n")
    first = data_fingerprint(table)
    table.write_text("a,b\n1,3\n")  # same size, other contents
    assert data_fingerprint(table) != first and len(first) == 32
    folder = make_image_folder(tmp_path / "images", per_class=2)
    listed = data_fingerprint(folder)
    (folder / "vertical" / "000.png").unlink()
    assert data_fingerprint(folder) != listed
    assert data_fingerprint(tmp_path / "missing") == ""
