"""A language model fine-tuned from another records its parent (``learn.pretrained_record``, written to
``trainwell.json`` as ``training.pretrained``); one trained from scratch records nothing."""

from __future__ import annotations

from pathlib import Path

from classify_tables import topic_frame

from trainwell.core.artifact import read_metadata
from trainwell.text import language_model_learner, lm_data


def test_the_python_api_records_the_parent_and_export_writes_it(lm_dir: Path, tmp_path: Path) -> None:
    texts = topic_frame(200, seed=1)["text"].tolist()  # sport / music / food words the model never saw
    data = lm_data(texts, pretrained=lm_dir, batch_size=8, bptt=12, min_freq=2)
    learn = language_model_learner(data, pretrained=lm_dir, progress=False)
    record = learn.pretrained_record
    assert record is not None and record["path"] == str(lm_dir) and record["kind"] == "model directory"
    old = set(read_metadata(lm_dir)["recipe"]["vocab"]["itos"])
    words = [token for token in data.recipe.vocab.itos if not token.startswith("xxfake")]  # type: ignore[union-attr]
    assert record["new_words"] == sum(token not in old for token in words) > 0
    assert record["known_words"] + record["new_words"] == len(words)
    assert "training" not in record  # how it is trained is the caller's (fit_language_model says it)
    learn.export(tmp_path / "tuned")
    assert read_metadata(tmp_path / "tuned")["training"]["pretrained"] == record
    scratch = language_model_learner(lm_data(texts, batch_size=8, bptt=12, min_freq=2), progress=False)
    assert scratch.pretrained_record is None
    scratch.export(tmp_path / "scratch")
    assert "pretrained" not in read_metadata(tmp_path / "scratch").get("training", {})
