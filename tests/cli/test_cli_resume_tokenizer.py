"""``trainwell fit --resume`` of a ``--tokenizer char`` language model was refused unless ``--tokenizer char``
was repeated ("--tokenizer 'char' there, not given here"): the checkpoint's tokenizer is now kept, as its
``--lm-size`` is, since its vocabulary and weights are fixed by it, and another tokenizer is refused in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import cli_env, run_cli

from process_support import run_python
from resume_support import STOPPING
from text_samples import stories

pytestmark = pytest.mark.slow

CHECKPOINT = "fit-checkpoint.pt"


def test_resume_keeps_the_checkpoints_tokenizer_and_refuses_another(tmp_path: Path) -> None:
    (tmp_path / "corpus.txt").write_text("\n".join(stories(40)) + "\n", encoding="utf-8")
    args = ["fit", "corpus.txt", "--task", "language_model", "--lm-size", "small", "--epochs", "2",
            "--batch-size", "8", "--out", "run"]  # fmt: skip
    launcher = tmp_path / "stop.py"
    launcher.write_text(STOPPING)
    stopped = run_python([launcher, *args, "--tokenizer", "char"], env=cli_env(), cwd=tmp_path, timeout=300)
    assert stopped.returncode == 130, stopped.stdout + stopped.stderr
    checkpoint = tmp_path / "run" / CHECKPOINT
    written = checkpoint.read_bytes()

    other = run_cli(*args, "--tokenizer", "word", "--resume", cwd=tmp_path)
    assert other.returncode == 2, other.explain()
    assert other.stderr_lines == [
        "error: --resume: the checkpoint in 'run' was written by a fit with --tokenizer char, which its "
        "vocabulary and so its weights are fixed by, not word: resume without --tokenizer (the checkpoint's "
        f"char is kept), or delete 'run/{CHECKPOINT}' to start afresh"
    ], other.explain()
    assert checkpoint.read_bytes() == written  # the refusal touched nothing

    resumed = run_cli(*args, "--resume", cwd=tmp_path)  # --tokenizer not repeated
    assert resumed.returncode == 0, resumed.explain()
    assert "resuming the fit stopped in epoch 2 of 2" in resumed.stdout, resumed.explain()
    assert "per character" in resumed.stdout, resumed.explain()
    saved = json.loads((tmp_path / "run" / "trainwell.json").read_text())
    assert saved["recipe"]["tokenizer_name"] == "char"
    assert not checkpoint.exists()
