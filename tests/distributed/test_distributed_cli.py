"""``torchrun --nproc_per_node 2 -m trainwell ...``: the command line under the real launcher (Gloo, CPU). Each
application trains in both processes and rank 0 alone reports and writes; a command that does not train is
refused in one line. (``-m trainwell`` itself under torchrun: the refusals here, and test_distributed_evaluate.py.)
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from torchrun_support import torchrun

import trainwell

HERE = Path(__file__).parent
# Said once by rank 0 before training (test_distributed_global_batch.py): each step averages the gradients of
# every process's batch, so --batch-size 32 on 2 processes steps on 64 rows at the learning rate given.
GLOBAL_BATCH = "2 processes (DDP, gloo): global batch 64 = 2 x 32; learning rate as given, not scaled"


def test_a_table_a_text_classifier_and_a_tagger_train_under_torchrun_and_rank_0_alone_reports(
    tmp_path: Path,
) -> None:
    # The three fits run one after another in the same two processes (several_commands.py, as torchrun -m
    # trainwell runs each): a launch costs seconds of imports in each process, any of these fits a fraction.
    from tagging_samples import entity_sentences, write_conll_file
    from text_samples import reviews

    # 400 rows: what is checked is who says and writes what, not how well it learns (1200 rows cost 40 more
    # batches in each process, and no assertion read them).
    frame = trainwell.datasets.adult_sample().head(400)
    frame.insert(0, "row_id", range(len(frame)))  # left out with a warning, said once (by rank 0)
    frame.to_csv(tmp_path / "adult.csv", index=False)
    reviews(240, 0).to_csv(tmp_path / "reviews.csv", index=False)
    data = write_conll_file(tmp_path / "train.conll", entity_sentences(160, seed=1))
    done = torchrun(
        HERE / "several_commands.py",
        "fit", tmp_path / "adult.csv", "--target", "income", "--epochs", "2", "--batch-size", "32",
        "--time", "10m", "--out", tmp_path / "model",
        "+", "fit", tmp_path / "reviews.csv", "--text", "review", "--target", "sentiment", "--epochs", "2",
        "--out", tmp_path / "text",
        "+", "fit", data, "--epochs", "2", "--batch-size", "16", "--out", tmp_path / "tagger",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    table, text, tagger, rest = done.stdout.split("several_commands: done")  # each command's, by rank 0
    table_err = done.stderr.split("several_commands: done")[0]
    assert rest.strip() == "2"
    assert table.count("Validation results") == 1  # rank 0 reports; rank 1 trains silently
    # Both processes plan under the budget (never reached here; test_distributed.py stops a fit on one), and
    # rank 0 alone says what it allowed.
    assert done.stdout.count("--time: the 10m budget was not reached: all ") == 1, done.stdout
    assert done.stderr.count("column 'row_id' left out") == 1, done.stderr
    assert table_err.count(GLOBAL_BATCH) == 1, done.stderr[-3000:]
    predictions = trainwell.load(tmp_path / "model").predict(frame.head(20))
    assert len(predictions) == 20 and isinstance(predictions, pd.DataFrame)
    assert (
        trainwell.load(tmp_path / "model").metadata["training"]["processes"] == 2
    )  # trainwell info shows it
    assert text.count("Validation results") == 1
    assert trainwell.load(tmp_path / "text").predict(["a wonderful film", "dull and boring"]).shape[0] == 2
    # The CRF's transitions get their gradients from the loss, not the forward pass: DDP must still average them.
    assert tagger.count("Validation results") == 1 and tagger.count("Validation entities by type") == 1
    assert trainwell.load(tmp_path / "tagger").tag(["Tom lives in Oslo."])[0].words == [
        "Tom",
        "lives",
        "in",
        "Oslo",
        ".",
    ]


def test_a_command_that_does_not_train_is_refused_under_torchrun(tmp_path: Path) -> None:
    # `torchrun -m trainwell serve` started a server per process on one port (the second failed with "address
    # already in use"); predict, report and export wrote their files once per process.
    done = torchrun("-m", "trainwell", "serve", tmp_path / "model", "--port", "0", timeout=90)
    assert done.returncode != 0
    line = "error: trainwell serve does not train, so it runs in one process: start it without torchrun"
    assert done.stderr.count(line) == 1, done.stderr[-3000:]
    assert not (tmp_path / "model").exists()


def test_a_usage_mistake_under_torchrun_is_said_once(tmp_path: Path) -> None:
    # Every process printed "error: No such option: --epoch", one line per process.
    done = torchrun("-m", "trainwell", "fit", tmp_path / "t.csv", "--epoch", "2", timeout=90)
    assert done.returncode != 0
    assert done.stderr.count("error: No such option: --epoch") == 1, done.stderr[-3000:]
