"""Four loose ends of the language-model commands, each through the real command on small files:

* a character-level model's fit said its cache pointer read "each word after those before it", and its evaluate
  table and generate's warning spoke of words: they now say characters, as the model predicts;
* ``evaluate --task language_model`` refused ``--lm-size`` ("No such option") where fit takes it;
* ``fit --resume`` of a fit started with ``--lm-size small`` was refused unless ``--lm-size small`` was repeated;
  now the checkpoint's size is kept, and another size given is refused in one line;
* ``fit ... --model ulmfit --pretrained <a character-level LM>`` was refused only once the fit had set up its
  checkpoint and trackers (``--track tensorboard`` had started a run folder); now before them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_support import CliResult, cli_env, run_cli, run_cli_many
from typer.testing import CliRunner

from process_support import run_python
from resume_support import STOPPING
from text_samples import reviews, stories
from trainwell.text.lm_pipeline import LM_SIZES

pytestmark = pytest.mark.slow

CHECKPOINT = "fit-checkpoint.pt"
TINY = ["--epochs", "1", "--batch-size", "8"]


def one_line(result: CliResult) -> str:
    return " ".join(result.stdout.split())


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder laid out as PTB's: train, valid and test files of short stories."""
    folder = tmp_path_factory.mktemp("lm_loose_ends") / "tales"
    folder.mkdir()
    for split, (n, seed) in {"train": (60, 0), "valid": (12, 1), "test": (12, 2)}.items():
        (folder / f"tales.{split}.txt").write_text("\n".join(stories(n, seed=seed)) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def char_fit(corpus: Path) -> tuple[Path, CliResult]:
    out = corpus.parent / "char_lm"
    done = run_cli("fit", corpus, "--task", "language_model", "--tokenizer", "char", "--lm-size", "small", *TINY,
                   "--out", out)  # fmt: skip
    assert done.returncode == 0, done.explain()
    return out, done


def test_a_char_models_fit_and_generate_say_characters_not_words(char_fit: tuple[Path, CliResult]) -> None:
    out, done = char_fit
    said = one_line(done)
    assert "cache pointer: on " in said, done.explain()
    assert "read as one stream (each character after those before it" in said, done.explain()
    assert "each word" not in said
    generated = run_cli("generate", out, "the ç", "--n-tokens", "5", "--seed", "0")
    assert generated.returncode == 0, generated.explain()
    assert (
        "warning: the prompt's character 'ç' is not in the model's vocabulary: it reads it as the "
        "unknown-character token xxunk, so the continuation cannot follow it"
    ) in " ".join(generated.stderr.split()), generated.explain()


def test_evaluate_takes_lm_size_as_fit_does(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in this process so that the sizes the learner is built with can be read: the real learner, spied on."""
    import trainwell.text.lm_learner as lm_learner
    from trainwell.cli.app import app

    built: list[dict[str, Any]] = []
    real = lm_learner.language_model_learner

    def spied(*args: Any, **kwargs: Any) -> Any:
        built.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(lm_learner, "language_model_learner", spied)
    done = CliRunner().invoke(
        app,
        ["evaluate", str(corpus), "--task", "language_model", "--tokenizer", "char", "--lm-size", "small",
         "--no-baselines", "--epochs", "1"],
        env={"COLUMNS": "300"},
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert len(built) == 1 and {key: built[0][key] for key in LM_SIZES["small"]} == LM_SIZES["small"]
    assert "next-character accuracy" in done.output  # a character model's accuracy is of characters


def test_evaluate_refuses_lm_size_as_fit_does(corpus: Path, char_fit: tuple[Path, CliResult]) -> None:
    out, _ = char_fit
    table = corpus.parent / "reviews.csv"
    reviews(40).to_csv(table, index=False)
    lm = ["--task", "language_model"]
    commands: dict[str, list[str | Path]] = {
        "unknown size": ["evaluate", corpus, *lm, "--lm-size", "tiny"],
        "with --pretrained": ["evaluate", corpus, *lm, "--lm-size", "small", "--pretrained", out],
        "not a language model": ["evaluate", table, "--text", "review", "--target", "sentiment", "--lm-size",
                                 "small"],
    }  # fmt: skip
    expected = {
        "unknown size": "error: --lm-size 'tiny' is not a language-model size: use small or medium or large",
        "with --pretrained": (
            "error: --lm-size with --pretrained: the pretrained model's size is kept (its weights are that size); "
            "drop --lm-size"
        ),
        "not a language model": "error: --lm-size is for language models (--task language_model): drop it",
    }
    for name, done in zip(commands, run_cli_many(list(commands.values())), strict=True):
        assert done.returncode == 2, f"{name}: {done.explain()}"
        assert done.stderr_lines == [expected[name]], f"{name}: {done.explain()}"
    # fit says the same of the same mistake
    fit = run_cli("fit", corpus, *lm, "--lm-size", "tiny")
    assert fit.returncode == 2 and fit.stderr_lines == [expected["unknown size"]], fit.explain()


def test_resume_keeps_the_checkpoints_lm_size_and_refuses_another(tmp_path: Path) -> None:
    (tmp_path / "corpus.txt").write_text("\n".join(stories(80)) + "\n", encoding="utf-8")
    args = [
        "fit",
        "corpus.txt",
        "--task",
        "language_model",
        "--epochs",
        "2",
        "--batch-size",
        "8",
        "--out",
        "run",
    ]
    launcher = tmp_path / "stop.py"
    launcher.write_text(STOPPING)
    stopped = run_python([launcher, *args, "--lm-size", "small"], env=cli_env(), cwd=tmp_path, timeout=300)
    assert stopped.returncode == 130, stopped.stdout + stopped.stderr
    checkpoint = tmp_path / "run" / CHECKPOINT
    written = checkpoint.read_bytes()

    other = run_cli(*args, "--lm-size", "medium", "--resume", cwd=tmp_path)
    assert other.returncode == 2, other.explain()
    assert other.stderr_lines == [
        "error: --resume: the checkpoint in 'run' was written by a fit with --lm-size small, which its weights are "
        "fixed by, not medium: resume without --lm-size (the checkpoint's small is kept), or delete "
        f"'run/{CHECKPOINT}' to start afresh"
    ], other.explain()
    assert checkpoint.read_bytes() == written  # the refusal touched nothing

    resumed = run_cli(*args, "--resume", cwd=tmp_path)  # --lm-size not repeated
    assert resumed.returncode == 0, resumed.explain()
    assert "resuming the fit stopped in epoch 2 of 2" in resumed.stdout, resumed.explain()
    config = json.loads((tmp_path / "run" / "trainwell.json").read_text())["architecture"]["config"]
    assert {key: config[key] for key in LM_SIZES["small"]} == LM_SIZES["small"]
    assert not checkpoint.exists()


def test_a_classifier_from_a_character_model_is_refused_before_anything_starts(
    char_fit: tuple[Path, CliResult], tmp_path: Path
) -> None:
    out, _ = char_fit
    reviews(40).to_csv(tmp_path / "reviews.csv", index=False)
    runs = tmp_path / "runs"
    done = run_cli("fit", "reviews.csv", "--text", "review", "--target", "sentiment", "--model", "ulmfit",
                   "--pretrained", out, "--out", "clf", "--track", f"tensorboard={runs}", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2, done.explain()
    assert done.stderr_lines == [
        f"error: the language model in '{out}' (--pretrained) reads characters (a character-level model), which a "
        "text classifier's data cannot read; start the classifier from a word, whitespace or subword language "
        "model (trainwell fit CORPUS --task language_model trains one: word by default, --tokenizer subword for "
        "pieces)"
    ], done.explain()
    assert done.stdout == ""  # no "logging to TensorBoard in ..." before the refusal
    assert not runs.exists() and not (tmp_path / "clf").exists()
