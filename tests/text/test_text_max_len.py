"""A sequence classifier (AWD-LSTM, ULMFiT) reads at most 1,440 tokens of a text unless told otherwise, kept in
the model, and a prediction says when it cut a text: a 30,000-word line took a minute, said nowhere, and the
model's /metadata showed max_len null (tour60 #6)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

from classify_tables import sentiment_frame
from typer.testing import CliRunner

import trainwell
from trainwell.cli.app import app
from trainwell.core.warn import Note
from trainwell.text import text_classifier_learner, text_data
from trainwell.text.recipe import SEQUENCE_MAX_LEN
from trainwell.text.ulmfit import lm_vocab


def test_a_sequence_model_reads_at_most_1440_tokens_and_a_bag_every_token() -> None:
    frame = sentiment_frame(120, seed=0)
    padded = text_data(frame, "sentiment", text_col="review", batch_format="padded", min_freq=1)
    assert SEQUENCE_MAX_LEN == 1440 and padded.recipe.max_len == 1440  # type: ignore[attr-defined]
    bag = text_data(frame, "sentiment", text_col="review")
    assert bag.recipe.max_len is None  # type: ignore[attr-defined]
    chosen = text_data(frame, "sentiment", text_col="review", batch_format="padded", max_len=50)
    assert chosen.recipe.max_len == 50  # type: ignore[attr-defined]


def test_a_prediction_says_which_texts_were_cut(lm_dir: Path, tmp_path: Path) -> None:
    frame = sentiment_frame(160, seed=0)
    data = text_data(
        frame, "sentiment", text_col="review", vocab=lm_vocab(lm_dir), batch_format="padded", batch_size=16
    )
    learn = text_classifier_learner(data, "awd_lstm", pretrained=lm_dir, progress=False)
    learn.fit(1)
    learn.export(tmp_path / "clf")
    assert json.loads((tmp_path / "clf" / "trainwell.json").read_text())["recipe"]["max_len"] == 1440
    shown = CliRunner().invoke(app, ["info", str(tmp_path / "clf")], env={"COLUMNS": "250"})
    assert "at most 1,440 tokens a text" in shown.output, shown.output
    predictor = trainwell.load(tmp_path / "clf")
    long_text = " ".join(["the movie was great"] * 600)  # 2,400 words
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        answers = predictor.predict(["a great film", long_text, "an awful film"])
        alone = predictor.predict(["a great film"])
    notes = [str(w.message) for w in caught if issubclass(w.category, Note)]
    assert len(answers) == 3 and len(alone) == 1
    assert len(notes) == 1, notes
    assert notes[0].startswith(
        "1 of 3 texts are longer than the 1,440 tokens the model reads (the longest 2,4"
    )
    # Cut as in training: the long text answers as its first 1,440 tokens do
    first = " ".join(long_text.split()[:1440])
    assert answers.iloc[1].equals(predictor.predict([first]).iloc[0])
