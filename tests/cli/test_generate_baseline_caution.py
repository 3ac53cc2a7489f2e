"""``trainwell generate`` on a language model that fit scored not below its Kneser-Ney trigram says so in one
line before it writes (tour F2): fit had warned once, and generate then wrote such a model's text without a word,
as if it were worth reading. A model that beat the trigram, or one whose trainwell.json records no baseline, is
left alone. The way out it names follows how the model was trained (tour54 F10): it said "--epochs" even for a
model trained under --time, whose fit had said "a longer --time"."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trainwell.callbacks.budget import format_duration
from trainwell.cli.app import app
from trainwell.cli.generate_cmd import below_baseline
from trainwell.text.lm_learner import fit_language_model

CAUTION = "this model's validation perplexity"


def _texts() -> list[str]:
    names = ["anna", "ben", "cleo", "dan", "eve", "finn"]
    places = ["the market", "the river", "the old mill", "the school"]
    return [
        f"{names[i % 6]} walked to {places[i % 4]} and saw {names[(i + 1) % 6]} there ." for i in range(80)
    ]


@pytest.fixture(scope="module")
def lm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generate_caution") / "lm"
    # fit's own warning of the trigram it did not beat: not what is tested here
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit_language_model(_texts(), out=out, epochs=1, progress=False, batch_size=8, bptt=12, min_freq=1,
                           learner_kwargs={"emb_size": 8, "hidden_size": 12, "n_layers": 1})  # fmt: skip
    return out


def _with_final(lm_dir: Path, target: Path, **entries: float | None) -> Path:
    shutil.copytree(lm_dir, target)
    metadata = json.loads((target / "trainwell.json").read_text())
    final = metadata["training"]["final"]
    for name, value in entries.items():
        if value is None:
            final.pop(name, None)
        else:
            final[name] = value
    (target / "trainwell.json").write_text(json.dumps(metadata))
    return target


def _generate(model: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        app, ["generate", str(model), "anna walked", "--n-words", "3", "--seed", "0"], env={"COLUMNS": "300"}
    )
    return result.exit_code, result.stdout, result.stderr


def test_a_model_not_below_its_trigram_is_said_before_it_writes(lm_dir: Path, tmp_path: Path) -> None:
    worse = _with_final(lm_dir, tmp_path / "worse", perplexity=254.94, perplexity_baseline=22.9)
    code, out, err = _generate(worse)
    assert code == 0 and out.startswith("anna walked"), err
    said = [line for line in err.splitlines() if CAUTION in line]
    assert said == [
        "warning: this model's validation perplexity 254.9 is not below the 22.9 of a Kneser-Ney trigram on the "
        "same validation text, as fit measured them: it has learned no more than word counts, so what it writes "
        "is closer to words drawn by frequency than to text like its training text; train for more than its 1 "
        "epoch (trainwell fit --epochs; Python: epochs=) or on more text"
    ]
    assert CAUTION not in out  # the generated text stays alone on standard output


def test_a_model_below_its_trigram_or_without_one_recorded_is_left_alone(
    lm_dir: Path, tmp_path: Path
) -> None:
    better = _with_final(lm_dir, tmp_path / "better", perplexity=12.5, perplexity_baseline=22.9)
    unrecorded = _with_final(lm_dir, tmp_path / "unrecorded", perplexity_baseline=None)
    for model in (better, unrecorded):
        code, out, err = _generate(model)
        assert code == 0 and out.startswith("anna walked"), err
        assert CAUTION not in err


def test_the_fit_itself_records_what_the_caution_reads(lm_dir: Path) -> None:
    final = json.loads((lm_dir / "trainwell.json").read_text())["training"]["final"]
    assert isinstance(final["perplexity"], float) and isinstance(final["perplexity_baseline"], float)
    caution = below_baseline({"training": {"final": final}})
    assert (caution is not None) == (final["perplexity"] >= final["perplexity_baseline"])
    assert below_baseline({}) is None and below_baseline({"training": {"final": {"perplexity": 3.0}}}) is None


def test_a_model_trained_under_a_time_budget_is_told_of_a_longer_one(tmp_path: Path) -> None:
    out = tmp_path / "timed"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit_language_model(_texts(), out=out, time_budget="3s", progress=False, batch_size=8, bptt=12,
                           min_freq=1, learner_kwargs={"emb_size": 8, "hidden_size": 12, "n_layers": 1})  # fmt: skip
    assert json.loads((out / "trainwell.json").read_text())["training"]["time_budget"]["seconds"] == 3.0
    worse = _with_final(out, tmp_path / "worse", perplexity=254.94, perplexity_baseline=22.9)
    code, out_text, err = _generate(worse)
    assert code == 0 and out_text.startswith("anna walked"), err
    said = " ".join(line for line in err.splitlines() if CAUTION in line)
    assert said.endswith(
        f"train with a longer time budget than its {format_duration(3.0)} (trainwell fit --time; Python: "
        "time_budget=) or on more text"
    )
    assert "--epochs" not in said


def test_a_char_model_is_said_to_have_learned_character_counts(lm_dir: Path) -> None:
    metadata = json.loads((lm_dir / "trainwell.json").read_text())
    metadata["training"]["final"].update(perplexity=45.1, perplexity_baseline=9.1)
    metadata["recipe"]["tokenizer_name"] = "char"
    caution = below_baseline(metadata)
    assert caution is not None and "no more than character counts" in caution
    assert "characters drawn by frequency" in caution
