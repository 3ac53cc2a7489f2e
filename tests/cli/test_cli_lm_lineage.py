"""``trainwell fit reviews.csv --text review --task language_model --pretrained lm``: a language model fine-tuned
on another says what it loaded and what is new, records its parent (``training.pretrained``) and ``trainwell
info`` shows it, as image models and text classifiers started from another model do."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from cli_support import run_cli

from trainwell.core.artifact import read_metadata


def test_a_language_model_fine_tuned_on_another_records_it(tmp_path: Path) -> None:
    from text_samples import reviews, stories

    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "a.txt").write_text(" ".join(stories(120, 0)), encoding="utf-8")
    reviews(60).to_csv(tmp_path / "reviews.csv", index=False)
    lm = run_cli("fit", "corpus", "--task", "language_model", "--epochs", "1", "--out", "lm", cwd=tmp_path)
    assert lm.returncode == 0, lm.explain()
    assert "fine-tuning from" not in lm.stderr  # trained from scratch: nothing to say
    assert "pretrained" not in read_metadata(tmp_path / "lm").get("training", {})
    args = ("fit", "reviews.csv", "--text", "review", "--task", "language_model", "--pretrained", "lm")
    child = run_cli(*args, "--epochs", "1", "--out", "reviews-lm", cwd=tmp_path, timeout=300)
    assert child.returncode == 0, child.explain()

    record = read_metadata(tmp_path / "reviews-lm")["training"]["pretrained"]
    old = set(read_metadata(tmp_path / "lm")["recipe"]["vocab"]["itos"])
    new = [
        t
        for t in read_metadata(tmp_path / "reviews-lm")["recipe"]["vocab"]["itos"]
        if not t.startswith("xxfake")
    ]
    known = sum(token in old for token in new)
    assert (record["known_words"], record["new_words"]) == (known, len(new) - known)
    assert record["new_words"] > 0 and record["known_words"] > 0  # the reviews' words are partly new
    assert record["path"] == "lm" and record["architecture"] == "awd_lstm_lm"
    assert record["task"] == "language_model" and record["lstm_layers"] == 2 and record["tied"] is True
    expected = hashlib.sha256((tmp_path / "lm" / "model.safetensors").read_bytes()).hexdigest()
    assert record["weights_sha256"] == expected

    said = (
        f"fine-tuning from lm (awd_lstm_lm, a language model): its weights loaded (the embedding rows of "
        f"{known:,} known words, 2 LSTM layers, the decoder tied to the embedding), {len(new) - known:,} new "
        "words' rows set to the mean; one cycle with discriminative rates, each of the 3 layer groups' 2.6 times "
        "the one below it"
    )
    assert said in " ".join(child.stderr.split())
    info = run_cli("info", "reviews-lm", cwd=tmp_path)
    assert info.returncode == 0, info.explain()
    shown = " ".join(re.sub(r"[│┃|]", " ", info.stdout).split())
    assert "fine-tuned from" in shown and "lm (awd_lstm_lm, a language model): its weights loaded" in shown
    assert (
        json.loads((tmp_path / "reviews-lm" / "trainwell.json").read_text())["training"]["pretrained"]
        == record
    )
