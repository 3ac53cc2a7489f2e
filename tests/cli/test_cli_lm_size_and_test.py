"""``trainwell fit --task language_model``: ``--lm-size`` picks the AWD-LSTM's size (the 256/512x2 default took
27 s a batch of PTB on a busy CPU, with no option to shrink it), written in the model directory so ``predict`` and
``generate`` rebuild it; and a folder with a test file (PTB's train/valid/test) has its test file scored at the
end, as a tagger's and a classifier's fit do, where it was kept out and only the validation perplexity shown."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from text_samples import stories
from trainwell.cli.app import app
from trainwell.text.lm_eval import encode_held_out, score_model
from trainwell.text.lm_pipeline import LM_SIZES
from trainwell.text.lm_predictor import load_lm


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    folder = tmp_path_factory.mktemp("lm_size") / "ptb"
    folder.mkdir()
    for split, (n, seed) in {"train": (200, 0), "valid": (30, 1), "test": (25, 2)}.items():
        (folder / f"ptb.{split}.txt").write_text("\n".join(stories(n, seed=seed)) + "\n", encoding="utf-8")
    out = folder.parent / "lm"
    result = CliRunner().invoke(
        app,
        ["fit", str(folder), "--task", "language_model", "--lm-size", "small", "--epochs", "1",
         "--batch-size", "8", "--out", str(out)],
        env={"COLUMNS": "300"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return folder, out, " ".join(result.output.split())


def test_small_builds_the_small_model_and_loads_back(fitted: tuple[Path, Path, str]) -> None:
    _, out, _ = fitted
    config = json.loads((out / "trainwell.json").read_text())["architecture"]["config"]
    assert {key: config[key] for key in ("emb_size", "hidden_size", "n_layers")} == LM_SIZES["small"]
    model = load_lm(out).model
    assert model.encoder.embedding.weight.shape[1] == 64  # type: ignore[union-attr,index]
    assert len(model.encoder.rnns) == 2  # type: ignore[union-attr,arg-type]
    generated = CliRunner().invoke(app, ["generate", str(out), "the cat", "--n-words", "3", "--seed", "0"])
    assert generated.exit_code == 0, generated.output


def test_the_test_file_is_scored_at_the_end(fitted: tuple[Path, Path, str]) -> None:
    folder, out, printed = fitted
    assert "ptb.test.txt is kept out, scored at the end" in printed
    said = re.search(
        r"test perplexity ([\d.]+) \[([\d.]+), ([\d.]+)\] on ([\d,]+) tokens of ptb.test.txt "
        r"\(Kneser-Ney trigram ([\d.]+)",
        printed,
    )
    assert said is not None, printed
    perplexity, low, high = (float(said.group(i)) for i in (1, 2, 3))
    assert low <= perplexity <= high
    predictor = load_lm(out)
    texts = (folder / "ptb.test.txt").read_text(encoding="utf-8").splitlines()
    held_out = encode_held_out(predictor.recipe, texts)
    assert int(said.group(4).replace(",", "")) == held_out.n_tokens
    expected = score_model(predictor.model, held_out)[0].perplexity  # the saved model, read as report reads
    assert perplexity == pytest.approx(expected, abs=0.051)
    assert float(said.group(5)) > 1


def test_lm_size_is_refused_where_it_means_nothing(tmp_path: Path, fitted: tuple[Path, Path, str]) -> None:
    folder, out, _ = fitted
    runner = CliRunner()
    bad = runner.invoke(app, ["fit", str(folder), "--task", "language_model", "--lm-size", "tiny"])
    assert (
        bad.exit_code == 2
        and "--lm-size 'tiny' is not a language-model size: use small or medium or large"
        in (" ".join(bad.output.split()))
    )
    with_lm = runner.invoke(
        app, ["fit", str(folder), "--task", "language_model", "--lm-size", "small", "--pretrained", str(out)]
    )
    assert with_lm.exit_code == 2 and "--lm-size with --pretrained" in with_lm.output
    table = tmp_path / "t.csv"
    table.write_text("a,b\n" + "".join(f"{i},{i % 2}\n" for i in range(40)), encoding="utf-8")
    tabular = runner.invoke(app, ["fit", str(table), "--target", "b", "--lm-size", "small"])
    assert tabular.exit_code == 2 and "--lm-size is for language models" in tabular.output
