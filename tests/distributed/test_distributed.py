"""Distributed training on two CPU processes launched by the real ``torchrun`` (Gloo), against one process.

Two processes with batch 20 each read, step for step, the same 40 rows as one process with batch 40
(``TensorLoader`` shards one shared permutation), and ``DistributedDataParallel`` averages their gradients:
the weights must end the same, and the validation numbers, combined across the processes, must be those of
the single process over the whole validation set.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import trainwell
from process_support import run_python
from trainwell.core.errors import ConfigError
from trainwell.data import TensorLoader

JOB = Path(__file__).with_name("ddp_job.py")
LM_JOB = Path(__file__).with_name("ddp_lm_job.py")
RESUME_JOB = Path(__file__).with_name("ddp_resume_job.py")
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "200"}
for variable in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
    ENV.pop(variable, None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def torchrun(*args: str | Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
        "--master_port", str(free_port()), *map(str, args),
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=ENV, cwd=JOB.parent)


def test_two_processes_train_the_weights_one_process_trains(tmp_path: Path) -> None:
    single = run_python([JOB, tmp_path / "single", "40"], env=ENV)
    assert single.returncode == 0, single.stderr
    double = torchrun(JOB, tmp_path / "double", "20")
    assert double.returncode == 0, double.stderr[-3000:]
    assert (
        "find_unused_parameters=True was specified" not in double.stderr
    )  # no wasted search for unused ones
    one = json.loads((tmp_path / "single" / "history.json").read_text())
    two = json.loads((tmp_path / "double" / "history.json").read_text())
    assert (one["world_size"], two["world_size"]) == (1, 2)
    assert one["steps"] == two["steps"] == 18  # 3 epochs of 240 rows: 40 per step in both runs
    for key, value in torch.load(tmp_path / "single" / "weights.pt").items():
        torch.testing.assert_close(
            torch.load(tmp_path / "double" / "weights.pt")[key], value, rtol=1e-5, atol=1e-6
        )
    for mine, theirs in zip(one["history"], two["history"], strict=True):
        for name in ("train_loss", "valid_loss", "accuracy", "roc_auc", "f1", "median_score"):
            assert theirs[name] == pytest.approx(mine[name], rel=1e-5, abs=1e-6), name


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


def test_the_command_line_trains_under_torchrun_and_writes_once(tmp_path: Path) -> None:
    frame = trainwell.datasets.adult_sample().head(1200)
    frame.insert(0, "row_id", range(len(frame)))  # left out with a warning, said once (by rank 0)
    frame.to_csv(tmp_path / "adult.csv", index=False)
    done = torchrun(
        "-m", "trainwell", "fit", tmp_path / "adult.csv", "--target", "income", "--epochs", "2",
        "--out", tmp_path / "model",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("Validation results") == 1  # rank 0 reports; rank 1 trains silently
    assert done.stderr.count("column 'row_id' left out") == 1, done.stderr
    predictions = trainwell.load(tmp_path / "model").predict(frame.head(20))
    assert len(predictions) == 20 and isinstance(predictions, pd.DataFrame)


def test_processes_under_a_time_budget_stop_together(tmp_path: Path) -> None:
    # Each process plans from its own clock; all follow the shortest plan, so none waits forever in DDP's
    # all-reduce for a batch another process will never run.
    frame = trainwell.datasets.adult_sample().head(1200)
    frame.to_csv(tmp_path / "adult.csv", index=False)
    done = torchrun(
        "-m", "trainwell", "fit", tmp_path / "adult.csv", "--target", "income", "--epochs", "500",
        "--time", "8s", "--lr", "0.01", "--out", tmp_path / "model",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("--time: the 8.0s budget trained ") == 1, done.stdout
    history = pd.read_csv(tmp_path / "model" / "history.csv")
    assert 1 <= len(history) < 500


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


def test_a_text_classifier_trains_under_torchrun(tmp_path: Path) -> None:
    from text_samples import reviews

    reviews(240, 0).to_csv(tmp_path / "reviews.csv", index=False)
    done = torchrun(
        "-m", "trainwell", "fit", tmp_path / "reviews.csv", "--text", "review", "--target", "sentiment",
        "--epochs", "2", "--out", tmp_path / "model",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("Validation results") == 1
    assert trainwell.load(tmp_path / "model").predict(["a wonderful film", "dull and boring"]).shape[0] == 2


def test_a_tagger_trains_under_torchrun(tmp_path: Path) -> None:
    # The CRF's transitions get their gradients from the loss, not the forward pass: DDP must still average them.
    from tagging_samples import entity_sentences, write_conll_file

    data = write_conll_file(tmp_path / "train.conll", entity_sentences(160, seed=1))
    done = torchrun(
        "-m", "trainwell", "fit", data, "--epochs", "2", "--batch-size", "16", "--out", tmp_path / "model",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert (
        done.stdout.count("Validation results") == 1 and done.stdout.count("Validation entities by type") == 1
    )
    assert trainwell.load(tmp_path / "model").tag(["Tom lives in Oslo."])[0].words == [
        "Tom",
        "lives",
        "in",
        "Oslo",
        ".",
    ]


def test_two_processes_train_the_language_model_one_process_trains(tmp_path: Path) -> None:
    # Two processes of batch 2 read the rows one process of batch 4 reads (the stream laid out in 4 rows, each
    # process taking 2), the windows have the same lengths everywhere, and the validation perplexity is
    # combined over both shares: with dropout off, weights and history must match the single process's.
    single = run_python([LM_JOB, tmp_path / "single", "4", "full"], env=ENV)
    assert single.returncode == 0, single.stderr[-3000:]
    double = torchrun(LM_JOB, tmp_path / "double", "2", "full")
    assert double.returncode == 0, double.stderr[-3000:]
    one = json.loads((tmp_path / "single" / "history.json").read_text())
    two = json.loads((tmp_path / "double" / "history.json").read_text())
    assert (one["world_size"], two["world_size"]) == (1, 2)
    assert one["steps"] == two["steps"] > 0
    for key, value in torch.load(tmp_path / "single" / "weights-0.pt").items():
        torch.testing.assert_close(
            torch.load(tmp_path / "double" / "weights-0.pt")[key], value, rtol=1e-4, atol=1e-5
        )
    for mine, theirs in zip(one["history"], two["history"], strict=True):
        for name in ("train_loss", "valid_loss", "perplexity"):
            assert theirs[name] == pytest.approx(mine[name], rel=1e-4), name
    assert two["after"]["perplexity"] == pytest.approx(one["after"]["perplexity"], rel=1e-4)
    assert two["after"]["perplexity"] == pytest.approx(two["history"][-1]["perplexity"], rel=1e-6)
    assert trainwell.load(tmp_path / "double" / "model").generate("the cat", 5, seed=0)


def test_a_sampled_softmax_language_model_trains_under_torchrun(tmp_path: Path) -> None:
    # The sampled softmax applies the decoder in the loss, outside the forward pass: DDP must still average its
    # gradients, so both processes end with the same weights.
    done = torchrun(LM_JOB, tmp_path, "2", "sampled")
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = [torch.load(tmp_path / f"weights-{rank}.pt") for rank in (0, 1)]
    for key, value in ranks[0].items():
        torch.testing.assert_close(ranks[1][key], value, rtol=0, atol=0)
    assert json.loads((tmp_path / "history.json").read_text())["history"][-1]["perplexity"] > 1


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


@pytest.mark.parametrize("model", ["table", "lm"])
def test_a_distributed_fit_resumed_from_its_checkpoint_ends_like_an_uninterrupted_one(
    tmp_path: Path, model: str
) -> None:
    # Each process draws its own dropout masks and (language model) carries the hidden state of its own rows:
    # the checkpoint keeps every process's, and each takes its own back.
    extra = ["lm"] if model == "lm" else []
    whole = torchrun(RESUME_JOB, tmp_path / "whole", "whole", *extra)
    assert whole.returncode == 0, whole.stderr[-3000:]
    interrupted = torchrun(RESUME_JOB, tmp_path / "resumed", "interrupt", *extra)
    assert interrupted.returncode == 0, interrupted.stderr[-3000:]
    saved = torch.load(tmp_path / "resumed" / "checkpoint.pt", weights_only=True)
    assert len(saved["ranks"]) == 2 and not torch.equal(
        saved["ranks"][0]["rng"]["torch"], saved["ranks"][1]["rng"]["torch"]
    )
    if model == "lm":
        assert saved["next_batch"] > 0 and "HiddenStateReset" in saved["ranks"][1]["callbacks"]  # mid-epoch
    assert not (tmp_path / "resumed" / "weights.pt").exists()  # it did stop
    resumed = torchrun(RESUME_JOB, tmp_path / "resumed", "resume", *extra)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    one = json.loads((tmp_path / "whole" / "history.json").read_text())
    two = json.loads((tmp_path / "resumed" / "history.json").read_text())
    assert one["steps"] == two["steps"] and len(two["history"]) == 4
    assert [row["valid_loss"] for row in two["history"]] == [row["valid_loss"] for row in one["history"]]
    for key, value in torch.load(tmp_path / "whole" / "weights.pt").items():
        assert torch.equal(torch.load(tmp_path / "resumed" / "weights.pt")[key], value), key


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


def test_a_model_with_unused_parameters_is_told_how_to_train(tmp_path: Path) -> None:
    job = Path(__file__).with_name("ddp_unused_job.py")
    refused = torchrun(job, tmp_path / "refused")
    assert refused.returncode != 0
    assert "distribute(learn, find_unused_parameters=True)" in refused.stderr
    asked = torchrun(job, tmp_path / "asked", "find")
    assert asked.returncode == 0, asked.stderr[-3000:]
    assert json.loads((tmp_path / "asked" / "done.json").read_text()) == {"epochs": 2}


def test_torch_dataloaders_are_sharded_by_their_sampler(tmp_path: Path) -> None:
    # A plain DataLoader over a map-style Dataset: each process reads its own half of a shuffle both agree on,
    # another each epoch, and the validation rows once each across the processes.
    from safetensors.torch import load_file
    from torch import nn

    done = torchrun(Path(__file__).with_name("ddp_torch_loader_job.py"), tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rows-{rank}.json").read_text()) for rank in (0, 1)]
    for epoch in (0, 1):
        first, second = ranks[0][epoch], ranks[1][epoch]
        assert len(first) == len(second) == 40 and sorted(first + second) == list(range(80))
    assert ranks[0][0] != ranks[0][1]  # reshuffled each epoch
    assert ranks[0][0] != sorted(ranks[0][0])  # shuffled, as the loader asked
    # The combined validation loss is the whole validation set's, under the weights the processes share
    model = nn.Linear(4, 1)
    model.load_state_dict(load_file(tmp_path / "weights.safetensors"))
    x = torch.randn(100, 4, generator=torch.Generator().manual_seed(0))
    y = x @ torch.tensor([1.0, -1.0, 2.0, 0.5])
    with torch.no_grad():
        expected = float(torch.nn.functional.mse_loss(model(x[80:]).squeeze(-1), y[80:]))
    history = json.loads((tmp_path / "history.json").read_text())
    assert history[-1]["valid_loss"] == pytest.approx(expected, rel=1e-5)


def test_the_learning_rate_finder_stops_every_process_on_the_same_batch(tmp_path: Path) -> None:
    # Each process's own loss stopped its sweep on another batch: the one still sweeping waited forever in
    # DDP's all-reduce (on Titanic under `torchrun -m trainwell fit`, Gloo aborted with a collective mismatch).
    done = torchrun(Path(__file__).with_name("ddp_lr_find_job.py"), tmp_path, timeout=90)
    assert done.returncode == 0, done.stderr[-3000:]
    (points, suggestion), other = json.loads((tmp_path / "sweeps.json").read_text())
    assert other == [points, suggestion]  # the same sweep, read from the mean loss, in both processes
    assert 5 < points <= 60


def test_a_command_that_does_not_train_is_refused_under_torchrun(tmp_path: Path) -> None:
    # `torchrun -m trainwell serve` started a server per process on one port (the second failed with "address
    # already in use"); predict, report and export wrote their files once per process.
    done = torchrun("-m", "trainwell", "serve", tmp_path / "model", "--port", "0", timeout=90)
    assert done.returncode != 0
    line = "error: trainwell serve does not train, so it runs in one process: start it without torchrun"
    assert done.stderr.count(line) == 1, done.stderr[-3000:]
    assert not (tmp_path / "model").exists()
