"""Exact resume: a run killed with SIGKILL and resumed from its checkpoint ends bit-for-bit like an uninterrupted one."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file
from torch import nn

from trainwell.callbacks import Checkpoint
from trainwell.core.errors import ArtifactError, ConfigError
from trainwell.core.seeding import seed_everything
from trainwell.data import tensor_data
from trainwell.learner import Callback, Learner, read_checkpoint

# One training run, in a fresh process. argv: folder, mode (full | kill | resume), every_n_batches,
# kill_epoch, kill_batch. 160 training rows in batches of 16: 10 batches an epoch, 30 in the fit.
SCRIPT = """
import json, os, signal, sys
from pathlib import Path
import torch
from torch import nn
from safetensors.torch import save_file
from trainwell.callbacks import Checkpoint
from trainwell.core.seeding import seed_everything
from trainwell.data import tensor_data
from trainwell.learner import Callback, Learner, read_checkpoint

torch.set_num_threads(1)
folder, mode, every, kill_epoch, kill_batch = Path(sys.argv[1]), sys.argv[2], *map(int, sys.argv[3:6])
loader = sys.argv[6]

class Kill(Callback):
    order = 100  # after Checkpoint (85): the checkpoint of this batch is on disk

    def after_batch(self, learn):
        if learn.training and learn.epoch == kill_epoch and learn.batch_index == kill_batch:
            os.kill(os.getpid(), signal.SIGKILL)

seed_everything(0)
x = torch.randn(200, 4)
y = (x @ torch.tensor([1.0, -1.0, 2.0, 0.5]) + 0.3 * torch.randn(200)).numpy()
data = tensor_data(x, y, valid_pct=0.2, batch_size=16, seed=3)
if loader == "torch":  # a plain torch DataLoader, which shuffles from the global random state
    from torch.utils.data import DataLoader, TensorDataset
    from trainwell.data.bundle import DataBundle
    rows = TensorDataset(x[:160], torch.as_tensor(y[:160]))
    data = DataBundle(data.task, DataLoader(rows, batch_size=16, shuffle=True),
                      DataLoader(TensorDataset(x[160:], torch.as_tensor(y[160:])), batch_size=32))
model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 1))
learn = Learner(model, data, progress=False, device="cpu", path=folder)
callbacks = [Checkpoint("checkpoint.pt", every_n_batches=every)]
if mode == "kill":
    callbacks.append(Kill())
resume = folder / "checkpoint.pt" if mode == "resume" else None
learn.fit_one_cycle(3, 1e-2, callbacks=callbacks, resume_from=resume)
save_file({k: v.contiguous() for k, v in model.state_dict().items()}, folder / "final.safetensors")
record = {"history": learn.history, "losses": learn.recorder.losses, "lrs": learn.recorder.lrs}
(folder / "record.json").write_text(json.dumps(record))
"""


def run_script(
    folder: Path, mode: str, every: int = 4, kill_epoch: int = 1, kill_batch: int = 5, loader: str = "tensor"
) -> int:
    """The training run in a process of its own (forked from the preloaded interpreter of
    :mod:`process_support`: its own pid, so SIGKILL ends it alone); its exit code, 0 or -SIGKILL."""
    from process_support import run_python

    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "train_script.py"
    script.write_text(SCRIPT)
    done = run_python(
        [script, folder, mode, str(every), str(kill_epoch), str(kill_batch), loader], cwd=folder, timeout=300
    )
    assert done.returncode in (0, -signal.SIGKILL), done.stderr
    return done.returncode


def load_record(folder: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    return load_file(folder / "final.safetensors"), json.loads((folder / "record.json").read_text())


def without_time(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: value for key, value in row.items() if key != "time"} for row in history]


@pytest.mark.parametrize("loader", ["tensor", "torch"])
def test_resume_after_sigkill_mid_epoch_is_exact(tmp_path: Path, loader: str) -> None:
    """trainwell's loaders start mid-epoch themselves; a torch DataLoader (shuffle=True) is reshuffled from the
    random state its epoch started with, which the checkpoint keeps, and the batches already run are skipped."""
    folder = tmp_path / "run"
    assert run_script(tmp_path / "full", "full", loader=loader) == 0
    assert run_script(folder, "kill", every=4, kill_epoch=1, kill_batch=5, loader=loader) == -signal.SIGKILL
    state = torch.load(folder / "checkpoint.pt", weights_only=True)
    assert (state["epoch"], state["next_batch"], state["iteration"]) == (1, 6, 16)
    assert not (folder / "final.safetensors").exists()

    assert run_script(folder, "resume", every=4, loader=loader) == 0
    weights, record = load_record(folder)
    reference_weights, reference = load_record(tmp_path / "full")
    assert weights.keys() == reference_weights.keys()
    for key, value in weights.items():
        assert torch.equal(value, reference_weights[key]), key
    assert without_time(record["history"]) == without_time(reference["history"])
    assert record["losses"] == reference["losses"] and record["lrs"] == reference["lrs"]
    assert len(record["losses"]) == 30 and len(record["history"]) == 3


class Interrupt(Callback):
    """Stands for a crash: raised after Checkpoint (order 60) at a given training batch."""

    order = 100

    def __init__(self, epoch: int, batch: int) -> None:
        self.epoch, self.batch = epoch, batch

    def after_batch(self, learn: Learner) -> None:
        if learn.training and (learn.epoch, learn.batch_index) == (self.epoch, self.batch):
            raise KeyboardInterrupt


def dropout_learner(folder: Path, valid_pct: float) -> Learner:
    seed_everything(0)
    x = torch.randn(96, 4)
    y = (x @ torch.tensor([1.0, -1.0, 2.0, 0.5])).numpy()
    data = tensor_data(x, y, valid_pct=valid_pct, batch_size=16, seed=5)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.3), nn.Linear(8, 1))
    return Learner(model, data, progress=False, device="cpu", path=folder)


@pytest.mark.parametrize("valid_pct", [0.25, 0.0])
def test_resume_from_an_epoch_boundary_is_exact(tmp_path: Path, valid_pct: float) -> None:
    reference = dropout_learner(tmp_path / "full", valid_pct)
    reference.fit_one_cycle(3, 1e-2)

    interrupted = dropout_learner(tmp_path / "run", valid_pct)
    with pytest.raises(KeyboardInterrupt):  # the epoch-0 checkpoint is the last one written
        interrupted.fit_one_cycle(3, 1e-2, callbacks=[Checkpoint(), Interrupt(epoch=1, batch=2)])
    state = torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)
    assert (state["epoch"], state["next_batch"]) == (1, 0)

    resumed = dropout_learner(tmp_path / "run", valid_pct)
    resumed.fit_one_cycle(3, 1e-2, resume_from=tmp_path / "run" / "checkpoint.pt")
    for (key, value), expected in zip(
        resumed.model.state_dict().items(), reference.model.state_dict().values(), strict=True
    ):
        assert torch.equal(value, expected), key
    assert without_time(resumed.history) == without_time(reference.history)
    assert [row["epoch"] for row in resumed.history] == [1, 2, 3]


def test_a_corrupted_checkpoint_is_an_artifact_error(tmp_path: Path) -> None:
    learn = dropout_learner(tmp_path, 0.25)
    learn.fit(1, callbacks=[Checkpoint()])
    path = tmp_path / "checkpoint.pt"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(
        ArtifactError,
        match=r"checkpoint '.*checkpoint\.pt' is corrupted or not a trainwell checkpoint \([^\n]{1,140}\); delete "
        r"it to start afresh$",  # torch's reason cut to its first sentence, then the fix
    ):
        dropout_learner(tmp_path, 0.25).fit(1, resume_from=path)
    with pytest.raises(
        ArtifactError, match=r"does not exist; pass the file written by the Checkpoint callback"
    ):
        dropout_learner(tmp_path, 0.25).fit(1, resume_from=tmp_path / "missing.pt")


def test_resuming_a_different_fit_is_a_config_error(tmp_path: Path) -> None:
    learn = dropout_learner(tmp_path, 0.25)
    learn.fit_one_cycle(2, callbacks=[Checkpoint()])
    message = (
        r"checkpoint '.*checkpoint\.pt' comes from a fit of 2 epochs \(10 batches\) but this fit has 3 epochs "
        r"\(15 batches\); resume with the same call"
    )
    with pytest.raises(ConfigError, match=message):
        dropout_learner(tmp_path, 0.25).fit_one_cycle(3, resume_from=tmp_path / "checkpoint.pt")


def test_resuming_with_another_rate_or_schedule_is_a_config_error(tmp_path: Path) -> None:
    # Both were accepted and went on with the checkpoint's rates: fit_one_cycle(2, 1e-2) from a checkpoint of
    # fit_one_cycle(2, 3e-3) kept 3e-3, and a plain fit held the rate the schedule was at, neither the call's.
    learn = dropout_learner(tmp_path, 0.25)
    learn.fit_one_cycle(2, 3e-3, callbacks=[Checkpoint()])
    checkpoint = tmp_path / "checkpoint.pt"
    with pytest.raises(
        ConfigError,
        match=r"comes from a fit at peak learning rate 0\.003 and this call asks for 0\.01; resume with the same "
        r"call \(lr 0\.003\), or start afresh without resume_from$",
    ):
        dropout_learner(tmp_path, 0.25).fit_one_cycle(2, 1e-2, resume_from=checkpoint)
    with pytest.raises(
        ConfigError, match=r"comes from a fit with a schedule \(fit_one_cycle's, or a ParamSch"
    ):
        dropout_learner(tmp_path, 0.25).fit(2, 3e-3, resume_from=checkpoint)
    with pytest.raises(
        ConfigError, match=r"comes from a fit with other schedules \(ParamScheduler\) than this"
    ):
        dropout_learner(tmp_path, 0.25).fit_one_cycle(2, 3e-3, pct_start=0.5, resume_from=checkpoint)
    assert set(read_checkpoint(checkpoint).peak_lrs) == {3e-3}  # what --resume reads to ask for the same rate
    dropout_learner(tmp_path, 0.25).fit_one_cycle(2, 3e-3, resume_from=checkpoint)  # the same call resumes


def test_resuming_with_another_model_or_optimizer_is_a_config_error(tmp_path: Path) -> None:
    learn = dropout_learner(tmp_path, 0.25)
    learn.fit_one_cycle(2, callbacks=[Checkpoint()])
    checkpoint = tmp_path / "checkpoint.pt"
    wider = Learner(
        nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1)), learn.data, progress=False, device="cpu"
    )
    with pytest.raises(ConfigError, match=r"holds the weights of another model than Sequential \(Error"):
        wider.fit_one_cycle(2, resume_from=checkpoint)
    other_opt = dropout_learner(tmp_path, 0.25)
    other_opt.opt_name = "sgd"
    with pytest.raises(ConfigError, match="written by a fit with the AdamW optimizer and this one uses SGD"):
        other_opt.fit_one_cycle(2, resume_from=checkpoint)


class BodyAndHead(nn.Module):
    """Two layer groups, with batch norm and dropout: what fine_tune freezes and unfreezes."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.2))
        self.head = nn.Linear(8, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))

    def layer_groups(self) -> list[nn.Module]:
        return [self.body, self.head]


def two_group_learner(folder: Path) -> Learner:
    seed_everything(0)
    x = torch.randn(96, 4)
    y = (x @ torch.tensor([1.0, -1.0, 2.0, 0.5])).numpy()
    data = tensor_data(x, y, valid_pct=0.25, batch_size=16, seed=5)  # 72 training rows: 5 batches an epoch
    return Learner(BodyAndHead(), data, progress=False, device="cpu", path=folder)


class CrashInFit(Callback):
    """Stands for a crash at a training batch of the ``fit``-th fit this callback sees (counted from 0)."""

    order = 100

    def __init__(self, fit: int, epoch: int, batch: int) -> None:
        self.fit, self.epoch, self.batch, self.fits_seen = fit, epoch, batch, -1

    def before_fit(self, learn: Learner) -> None:
        self.fits_seen += 1

    def after_batch(self, learn: Learner) -> None:
        at = (self.fits_seen, learn.epoch, learn.batch_index)
        if learn.training and at == (self.fit, self.epoch, self.batch):
            raise KeyboardInterrupt


@pytest.mark.parametrize(("fit", "phase"), [(0, "frozen"), (1, "unfrozen")])
def test_fine_tune_resumes_in_the_phase_its_checkpoint_was_written_in(
    tmp_path: Path, fit: int, phase: str
) -> None:
    reference = two_group_learner(tmp_path / "full")
    reference.fine_tune(2, 1e-2, freeze_epochs=2)

    interrupted = two_group_learner(tmp_path / "run")
    with pytest.raises(KeyboardInterrupt):
        interrupted.fine_tune(
            2, 1e-2, freeze_epochs=2, callbacks=[Checkpoint(every_n_batches=1), CrashInFit(fit, 1, 2)]
        )
    path = tmp_path / "run" / "checkpoint.pt"
    info = read_checkpoint(path)
    assert (info.phase, info.epoch, info.next_batch) == (phase, 1, 3)

    resumed = two_group_learner(tmp_path / "run")
    resumed.fine_tune(2, 1e-2, freeze_epochs=2, resume_from=path)
    for key, value in reference.model.state_dict().items():
        assert torch.equal(resumed.model.state_dict()[key], value), key
    assert without_time(resumed.history) == without_time(reference.history)
    assert resumed.recorder.losses == reference.recorder.losses and len(resumed.history) == 4
    assert all(param.requires_grad for param in resumed.model.parameters())  # unfrozen at the end


def test_a_checkpoint_of_another_phase_is_refused(tmp_path: Path) -> None:
    plain = two_group_learner(tmp_path)
    plain.fit_one_cycle(2, 1e-2, callbacks=[Checkpoint()])
    with pytest.raises(
        ConfigError, match=r"written in a plain fit \(no phase\), which fine_tune does not run "
    ):
        two_group_learner(tmp_path).fine_tune(2, resume_from=tmp_path / "checkpoint.pt")

    tuned = two_group_learner(tmp_path)
    tuned.fine_tune(1, 1e-2, freeze_epochs=2, callbacks=[Checkpoint(every_n_batches=3, every_epoch=False)])
    assert read_checkpoint(tmp_path / "checkpoint.pt").phase == "unfrozen"
    message = r"written in the unfrozen phase of a fit schedule and this is a plain fit \(no phase\)"
    with pytest.raises(ConfigError, match=message):
        two_group_learner(tmp_path).fit_one_cycle(1, resume_from=tmp_path / "checkpoint.pt")


def test_a_time_budget_resumed_in_the_unfrozen_phase_counts_the_frozen_one(tmp_path: Path) -> None:
    from trainwell.callbacks import TimeBudget

    interrupted = two_group_learner(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        interrupted.fine_tune(
            2,
            1e-2,
            freeze_epochs=2,
            callbacks=[TimeBudget("1h"), Checkpoint(every_n_batches=1), CrashInFit(1, 1, 2)],
        )
    budget = TimeBudget("1h")
    two_group_learner(tmp_path).fine_tune(
        2, 1e-2, freeze_epochs=2, callbacks=[budget], resume_from=tmp_path / "checkpoint.pt"
    )
    assert [fit["trained_batches"] for fit in budget.fits] == [10, 10]  # the frozen phase's, then this one's
    assert budget.summary().startswith("the 1h budget was not reached: all 20 batches in ")


def test_one_learner_interrupted_and_resumed_many_times_keeps_one_loss_per_batch(tmp_path: Path) -> None:
    # The batch interrupted after its checkpoint left its loss pending in the recorder; a resume of the same
    # learner used to flush it after the checkpoint's losses, one more at every save/resume cycle.
    reference = dropout_learner(tmp_path / "full", 0.25)
    reference.fit_one_cycle(6, 1e-2)
    learn, path = dropout_learner(tmp_path / "run", 0.25), tmp_path / "run" / "checkpoint.pt"
    for cycle, (epoch, batch) in enumerate([(1, 2), (2, 1), (3, 4), (4, 0), (5, 3)]):
        with pytest.raises(KeyboardInterrupt):
            learn.fit_one_cycle(6, 1e-2, callbacks=[Checkpoint(every_n_batches=2), Interrupt(epoch, batch)],
                                resume_from=path if cycle else None)  # fmt: skip
        state = torch.load(path, weights_only=True)
        saved = state["recorder"]
        assert len(saved["losses"]) == len(saved["lrs"]) == state["iteration"], cycle  # one per batch done
        assert len(saved["history"]) == len(saved["epoch_ends"]) == state["epoch"]
    learn.fit_one_cycle(6, 1e-2, resume_from=path)
    recorder, expected = learn.recorder, reference.recorder
    assert len(recorder.losses) == len(recorder.lrs) == len(expected.losses) == 30
    assert recorder.epoch_ends == expected.epoch_ends and len(recorder.history) == 6
    assert recorder.losses == expected.losses and without_time(learn.history) == without_time(
        reference.history
    )


# A model of 32 MiB of weights and its AdamW state (a 96 MiB checkpoint), saved in a fresh process that reads
# its own peak resident size around the save (Linux: /proc/self/clear_refs resets it).
MEMORY_SCRIPT = """
import sys
from pathlib import Path
import torch
from torch import nn
from trainwell.data import tensor_data
from trainwell.learner import Learner

torch.set_num_threads(1)
model = nn.Sequential(nn.Linear(2048, 4096, bias=False), nn.Linear(4096, 1))
data = tensor_data(torch.randn(8, 2048), torch.randn(8).numpy(), valid_pct=0.0, batch_size=8, seed=0)
learn = Learner(model, data, progress=False, device="cpu", path=Path(sys.argv[1]))
learn.fit(1, 1e-3)

def status(key):
    line = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith(key))
    return int(line.split()[1]) * 1024

Path("/proc/self/clear_refs").write_text("5")
before = status("VmRSS:")
path = learn.save_checkpoint(Path(sys.argv[1]) / "checkpoint.pt")
print(status("VmHWM:") - before, path.stat().st_size)
"""


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="reads Linux's peak resident size")
def test_a_checkpoint_is_streamed_to_disk_not_built_in_memory_first(tmp_path: Path) -> None:
    from process_support import run_python

    script = tmp_path / "memory_script.py"
    script.write_text(MEMORY_SCRIPT)
    result = run_python([script, tmp_path], cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr
    extra, size = map(int, result.stdout.split())
    assert size > 96 * 2**20
    assert extra < size / 4, (
        f"the save needed {extra / 2**20:.0f} MiB beyond the state for a {size >> 20} MiB file"
    )
