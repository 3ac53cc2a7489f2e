"""Distributed training on two CPU processes launched by the real ``torchrun`` (Gloo), against one process.

Two processes with batch 20 each read, step for step, the same 40 rows as one process with batch 40
(``TensorLoader`` shards one shared permutation), and ``DistributedDataParallel`` averages their gradients:
the weights must end the same, and the validation numbers, combined across the processes, must be those of
the single process over the whole validation set.

The job scripts run in shared launches (``several_jobs.py``): a launch costs seconds of imports in each process,
most jobs a fraction of that. A module fixture launches once; each test reads its own job's folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
from torchrun_support import ENV, torchrun

import trainwell
from process_support import run_python
from trainwell.core.errors import ConfigError
from trainwell.data import TensorLoader

HERE = Path(__file__).parent
SEVERAL = HERE / "several_jobs.py"
JOB = HERE / "ddp_job.py"
LM_JOB = HERE / "ddp_lm_job.py"
RESUME_JOB = HERE / "ddp_resume_job.py"


@dataclass(frozen=True)
class Launched:
    out: Path  # each job's folder is out / its name
    stderr: str  # every process's, every job's


@pytest.fixture(scope="module")
def jobs(tmp_path_factory: pytest.TempPathFactory) -> Launched:
    """The jobs below, one after another in the same two processes, each writing to ``out / NAME``. None asks
    DDP to find unused parameters (``test_two_processes_train_the_weights_one_process_trains`` checks so)."""
    out = tmp_path_factory.mktemp("jobs")
    done = torchrun(
        SEVERAL, JOB, out / "ddp", "20",
        "+", LM_JOB, out / "lm", "2", "full",
        "+", LM_JOB, out / "lm-sampled", "2", "sampled",
        "+", HERE / "ddp_torch_loader_job.py", out / "torch-loader",
        "+", HERE / "ddp_lr_find_job.py", out / "lr-find",
        "+", HERE / "ddp_budget_job.py", out / "budget",
        "+", HERE / "ddp_batchnorm_job.py", out / "batchnorm",
        "+", RESUME_JOB, out / "whole-table", "whole",
        "+", RESUME_JOB, out / "resumed-table", "interrupt",
        "+", RESUME_JOB, out / "whole-lm", "whole", "lm",
        "+", RESUME_JOB, out / "resumed-lm", "interrupt", "lm",
    )  # fmt: skip
    done_lines = "\n".join(line for line in done.stderr.splitlines() if line.startswith("several_jobs:"))
    assert done.returncode == 0, f"{done_lines}\n...\n{done.stderr[-5000:]}"
    return Launched(out, done.stderr)


def test_two_processes_train_the_weights_one_process_trains(tmp_path: Path, jobs: Launched) -> None:
    single = run_python([JOB, tmp_path / "single", "40"], env=ENV)
    assert single.returncode == 0, single.stderr
    assert "find_unused_parameters=True was specified" not in jobs.stderr  # no wasted search for unused ones
    one = json.loads((tmp_path / "single" / "history.json").read_text())
    two = json.loads((jobs.out / "ddp" / "history.json").read_text())
    assert (one["world_size"], two["world_size"]) == (1, 2)
    assert one["steps"] == two["steps"] == 18  # 3 epochs of 240 rows: 40 per step in both runs
    for key, value in torch.load(tmp_path / "single" / "weights.pt").items():
        torch.testing.assert_close(
            torch.load(jobs.out / "ddp" / "weights.pt")[key], value, rtol=1e-5, atol=1e-6
        )
    for mine, theirs in zip(one["history"], two["history"], strict=True):
        for name in ("train_loss", "valid_loss", "accuracy", "roc_auc", "f1", "median_score"):
            assert theirs[name] == pytest.approx(mine[name], rel=1e-5, abs=1e-6), name


def test_the_recorded_validation_scores_are_the_kept_models(jobs: Launched) -> None:
    # Each process kept the batch-norm statistics of its own last batches, so an epoch's validation mixed two
    # models while rank 0's was saved: Titanic's history said ROC AUC 0.8876, the saved model scored 0.8873.
    scores = json.loads((jobs.out / "batchnorm" / "scores.json").read_text())
    assert scores["recorded"] == pytest.approx(scores["kept"], rel=1e-5, abs=1e-6)


def test_processes_under_a_time_budget_stop_together(jobs: Launched) -> None:
    # Each process plans from its own clock; all follow the shortest plan, so none waits forever in DDP's
    # all-reduce for a batch another process will never run (the launch would not have ended).
    said = json.loads((jobs.out / "budget" / "budget.json").read_text())
    (batches, epochs), other = said["processes"]
    assert other == [batches, epochs]  # the same batches and epochs in both processes
    assert 1 <= epochs < 1000
    assert said["summary"].startswith("the 2.0s budget trained "), said["summary"]
    # A budget spent before its fit: every process says the longest preparation, so the command line's
    # processes say the same and rank 0 alone prints it.
    first, second = said["refusals"]
    assert first == second and "was spent before training began (9.0s went" in first, said["refusals"]


def test_sharded_loaders_read_every_row_once_or_evenly() -> None:
    x = torch.arange(10)
    even = [TensorLoader((x, x), 3, rank=r, world_size=3) for r in range(3)]
    exact = [TensorLoader((x, x), 3, rank=r, world_size=3, even=False) for r in range(3)]
    assert [loader.n_rows for loader in even] == [4, 4, 4]  # padded by wrapping: same steps everywhere
    assert [loader.n_rows for loader in exact] == [4, 3, 3]
    rows = sorted(int(v) for loader in exact for batch in loader for v in batch[0])
    assert rows == list(range(10))
    whole = exact[1].new(whole=True)
    assert (whole.rank, whole.world_size, whole.n_rows) == (0, 1, 10)


def test_a_metric_keeping_its_own_state_is_refused_before_a_distributed_fit() -> None:
    from trainwell.distributed.training import DistributedTraining, _check_metrics_combine
    from trainwell.metrics import Metric

    class Counted(Metric):
        name = "counted"

        def reset(self) -> None:
            self.rows = 0

        def update(self, preds: torch.Tensor, targets: torch.Tensor) -> None:
            self.rows += len(targets)

        def compute(self) -> float:
            return float(self.rows)

    def rows(preds: torch.Tensor, targets: torch.Tensor) -> float:
        return float(len(targets))

    data = trainwell.tensor_data(torch.randn(20, 2), [0, 1] * 10)
    learn = trainwell.Learner(torch.nn.Linear(2, 1), data, metrics=[rows, Counted("binary")], progress=False)
    with pytest.raises(ConfigError) as caught:
        DistributedTraining().before_fit(learn)
    assert str(caught.value) == (
        "metric 'counted' keeps its state in attributes of its own, which a distributed fit cannot combine across "
        "processes; pass it as a function fn(preds, targets) -> float instead (its inputs are gathered from every "
        "process), or declare its states (see trainwell.metrics.Metric)"
    )
    _check_metrics_combine(learn.metrics[:1])  # a function's inputs are gathered: accepted


def test_distribute_outside_torchrun_says_how_to_launch() -> None:
    from trainwell.distributed import distribute

    data = trainwell.tensor_data(torch.randn(20, 2), [0, 1] * 10)
    learn = trainwell.Learner(torch.nn.Linear(2, 1), data, progress=False)
    with pytest.raises(ConfigError, match="torchrun --nproc_per_node N"):
        distribute(learn)


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads thread states from Linux's /proc")
def test_a_leaving_process_waits_for_its_busy_threads() -> None:
    # At exit, a backend thread still busy with a finished collective must get to drop it before the
    # interpreter shuts down (else: SIGABRT). A thread hashing 64 MB in C (the GIL released, as Gloo's workers
    # run) stands in for it: when the wait returns, the thread has finished.
    import hashlib
    import threading

    from trainwell.distributed.setup import let_threads_settle

    data = bytes(64 * 2**20)
    started, finished = threading.Event(), threading.Event()

    def busy() -> None:
        started.set()
        for _ in range(4):
            hashlib.sha256(data).digest()
        finished.set()

    thread = threading.Thread(target=busy)
    thread.start()
    started.wait()
    let_threads_settle(timeout=60)
    assert finished.is_set()
    thread.join()


def test_text_batches_are_shared_out_whole_and_evenly() -> None:
    from trainwell.text.data import TextLoader

    offsets = np.arange(0, 2 * 11, 2)  # 10 texts of 2 tokens each
    loaders = [
        TextLoader(np.arange(20), offsets, torch.arange(10), 3, shuffle=True, seed=4) for _ in range(3)
    ]
    reference = [batch.tolist() for batch in loaders[0].batches()]  # 4 batches: 3, 3, 3, 1 texts (shuffled)
    for rank, loader in enumerate(loaders):
        loader.rank, loader.world_size = rank, 3
    shares = [[batch.tolist() for batch in loader.batches()] for loader in loaders]
    assert [len(share) for share in shares] == [2, 2, 2]  # 4 batches padded to 6 by wrapping
    assert [shares[r][i] for i in range(2) for r in range(3)][:4] == reference
    exact = loaders[1].new(shuffle=False)
    exact.even = False
    assert [batch.tolist() for batch in exact.batches()] == [[3, 4, 5]]
    assert len(loaders[1].new(whole=True).batches()) == 4


def test_language_model_streams_are_shared_out_by_rows() -> None:
    from trainwell.text.lm_stream import LMStreamLoader

    ids = torch.arange(41)
    whole = LMStreamLoader(ids, 4, 3, variable=True, seed=2)
    shares = [LMStreamLoader(ids, 2, 3, variable=True, seed=2) for _ in range(2)]
    for rank, share in enumerate(shares):
        share.rank, share.world_size = rank, 2
    assert [len(share) for share in shares] == [len(whole)] * 2
    for step, (x, y) in enumerate(whole):
        parts = [list(share)[step] for share in shares]
        assert torch.equal(torch.cat([part[0] for part in parts]), x)
        assert torch.equal(torch.cat([part[1] for part in parts]), y)
    assert shares[1].to("cpu").rank == 1 and "rank 1 of 2" in repr(shares[1].with_ids(ids))
    with pytest.raises(ConfigError, match="rank must be in"):
        LMStreamLoader(ids, 2, 3, rank=2, world_size=2)
    from trainwell.core.errors import DataError

    with pytest.raises(DataError, match=r"2 per process × 12 processes"):
        LMStreamLoader(ids, 2, 3, world_size=12)


def test_every_process_gets_a_validation_batch() -> None:
    # A process with no validation batch would hold empty (0-dim) metric states beside the others' per-class
    # counts, and the all-reduce of the two shapes would never return: batches shrink so each gets one.
    from trainwell.distributed.training import _one_batch_each

    loader = TensorLoader((torch.zeros(10, 2), torch.zeros(10)), 64)
    _one_batch_each(loader, 2)
    assert loader.batch_size == 5
    loader.rank, loader.world_size = 1, 2
    assert len(list(loader)) == 1
    roomy = TensorLoader((torch.zeros(10, 2), torch.zeros(10)), 4)
    _one_batch_each(roomy, 2)
    assert roomy.batch_size == 4
    with pytest.raises(ConfigError, match="the validation set has 1 rows for 2 processes"):
        _one_batch_each(TensorLoader((torch.zeros(1, 2), torch.zeros(1)), 8), 2)


def test_two_processes_train_the_language_model_one_process_trains(tmp_path: Path, jobs: Launched) -> None:
    # Two processes of batch 2 read the rows one process of batch 4 reads (the stream laid out in 4 rows, each
    # process taking 2), the windows have the same lengths everywhere, and the validation perplexity is
    # combined over both shares: with dropout off, weights and history must match the single process's.
    single = run_python([LM_JOB, tmp_path / "single", "4", "full"], env=ENV)
    assert single.returncode == 0, single.stderr[-3000:]
    double = jobs.out / "lm"
    one = json.loads((tmp_path / "single" / "history.json").read_text())
    two = json.loads((double / "history.json").read_text())
    assert (one["world_size"], two["world_size"]) == (1, 2)
    assert one["steps"] == two["steps"] > 0
    for key, value in torch.load(tmp_path / "single" / "weights-0.pt").items():
        torch.testing.assert_close(torch.load(double / "weights-0.pt")[key], value, rtol=1e-4, atol=1e-5)
    for mine, theirs in zip(one["history"], two["history"], strict=True):
        for name in ("train_loss", "valid_loss", "perplexity"):
            assert theirs[name] == pytest.approx(mine[name], rel=1e-4), name
    assert two["after"]["perplexity"] == pytest.approx(one["after"]["perplexity"], rel=1e-4)
    assert two["after"]["perplexity"] == pytest.approx(two["history"][-1]["perplexity"], rel=1e-6)
    assert trainwell.load(double / "model").generate("the cat", 5, seed=0)


def test_a_sampled_softmax_language_model_trains_under_torchrun(jobs: Launched) -> None:
    # The sampled softmax applies the decoder in the loss, outside the forward pass: DDP must still average its
    # gradients, so both processes end with the same weights.
    folder = jobs.out / "lm-sampled"
    ranks = [torch.load(folder / f"weights-{rank}.pt") for rank in (0, 1)]
    for key, value in ranks[0].items():
        torch.testing.assert_close(ranks[1][key], value, rtol=0, atol=0)
    assert json.loads((folder / "history.json").read_text())["history"][-1]["perplexity"] > 1


UNUSED_JOB = HERE / "ddp_unused_job.py"


@pytest.fixture(scope="module")
def second_launch(jobs: Launched) -> tuple[dict[str, dict], Launched, int]:
    """The launch after ``jobs``: the resumes of its interrupted fits, then the two fits of a model with an unused
    layer (the one that asks DDP to find it ends, then the one that does not is refused, which ends the launch).

    For each model resumed: the checkpoint the interrupted fit left (read before the resume replaces it),
    whether that fit wrote its final weights, and the folders of the whole fit and of the resumed one. The
    resumed fits run in a launch of their own: fresh processes, as after a real stop. Also the launch (its
    folder for the unused-layer jobs, its stderr) and its exit code."""
    models = {}
    for model in ("table", "lm"):
        folder = jobs.out / f"resumed-{model}"
        saved = torch.load(folder / "checkpoint.pt", weights_only=True)
        models[model] = {"saved": saved, "finished": (folder / "weights.pt").exists(), "resumed": folder}
        models[model]["whole"] = jobs.out / f"whole-{model}"
    out = jobs.out / "unused"
    done = torchrun(
        SEVERAL, RESUME_JOB, models["table"]["resumed"], "resume",
        "+", RESUME_JOB, models["lm"]["resumed"], "resume", "lm",
        "+", UNUSED_JOB, out / "asked", "find",
        "+", UNUSED_JOB, out / "refused",
    )  # fmt: skip
    return models, Launched(out, done.stderr), done.returncode


@pytest.fixture(scope="module")
def resumed(second_launch: tuple[dict[str, dict], Launched, int]) -> dict[str, dict]:
    models, launched, _ = second_launch
    for model, extra in (("table", ""), ("lm", " lm")):  # both resumes ended before the unused-layer jobs
        finished = f"several_jobs: done {RESUME_JOB.name} {models[model]['resumed']} resume{extra}"
        assert launched.stderr.count(finished) == 2, launched.stderr[-3000:]  # in both processes
    return models


@pytest.mark.parametrize("model", ["table", "lm"])
def test_a_distributed_fit_resumed_from_its_checkpoint_ends_like_an_uninterrupted_one(
    resumed: dict[str, dict], model: str
) -> None:
    # Each process draws its own dropout masks and (language model) carries the hidden state of its own rows:
    # the checkpoint keeps every process's, and each takes its own back.
    saved, whole, folder = resumed[model]["saved"], resumed[model]["whole"], resumed[model]["resumed"]
    assert len(saved["ranks"]) == 2 and not torch.equal(
        saved["ranks"][0]["rng"]["torch"], saved["ranks"][1]["rng"]["torch"]
    )
    if model == "lm":
        assert saved["next_batch"] > 0 and "HiddenStateReset" in saved["ranks"][1]["callbacks"]  # mid-epoch
    assert not resumed[model]["finished"]  # it did stop
    one = json.loads((whole / "history.json").read_text())
    two = json.loads((folder / "history.json").read_text())
    assert one["steps"] == two["steps"] and len(two["history"]) == 4
    assert [row["valid_loss"] for row in two["history"]] == [row["valid_loss"] for row in one["history"]]
    for key, value in torch.load(whole / "weights.pt").items():
        assert torch.equal(torch.load(folder / "weights.pt")[key], value), key


def test_a_model_with_unused_parameters_is_told_how_to_train(
    second_launch: tuple[dict[str, dict], Launched, int],
) -> None:
    # One launch (after the resumes): the fit that asks DDP to find them ends, then the one that does not is
    # refused (and ends it).
    _, launched, returncode = second_launch
    asked = launched.out / "asked" / "done.json"
    assert asked.exists(), launched.stderr[-3000:]
    assert json.loads(asked.read_text()) == {"epochs": 2}
    assert returncode != 0
    assert "distribute(learn, find_unused_parameters=True)" in launched.stderr
    assert not (launched.out / "refused").exists()


def test_torch_dataloaders_are_sharded_by_their_sampler(jobs: Launched) -> None:
    # A plain DataLoader over a map-style Dataset: each process reads its own half of a shuffle both agree on,
    # another each epoch, and the validation rows once each across the processes.
    from safetensors.torch import load_file
    from torch import nn

    folder = jobs.out / "torch-loader"
    ranks = [json.loads((folder / f"rows-{rank}.json").read_text()) for rank in (0, 1)]
    for epoch in (0, 1):
        first, second = ranks[0][epoch], ranks[1][epoch]
        assert len(first) == len(second) == 40 and sorted(first + second) == list(range(80))
    assert ranks[0][0] != ranks[0][1]  # reshuffled each epoch
    assert ranks[0][0] != sorted(ranks[0][0])  # shuffled, as the loader asked
    # The combined validation loss is the whole validation set's, under the weights the processes share
    model = nn.Linear(4, 1)
    model.load_state_dict(load_file(folder / "weights.safetensors"))
    x = torch.randn(100, 4, generator=torch.Generator().manual_seed(0))
    y = x @ torch.tensor([1.0, -1.0, 2.0, 0.5])
    with torch.no_grad():
        expected = float(torch.nn.functional.mse_loss(model(x[80:]).squeeze(-1), y[80:]))
    history = json.loads((folder / "history.json").read_text())
    assert history[-1]["valid_loss"] == pytest.approx(expected, rel=1e-5)


def test_the_learning_rate_finder_stops_every_process_on_the_same_batch(jobs: Launched) -> None:
    # Each process's own loss stopped its sweep on another batch: the one still sweeping waited forever in
    # DDP's all-reduce (on Titanic under `torchrun -m trainwell fit`, Gloo aborted with a collective mismatch).
    (points, suggestion), other = json.loads((jobs.out / "lr-find" / "sweeps.json").read_text())
    assert other == [points, suggestion]  # the same sweep, read from the mean loss, in both processes
    assert 5 < points <= 60
