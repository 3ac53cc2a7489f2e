"""Text fits keep their last validation pass's predictions for what follows the fit: the thresholds, the results'
table, the entities by type of a tagger, a cross-validation fold's scores.

``trainwell fit sst2/train.tsv.gz --text sentence --target label --time 30s`` scored its 13,470 validation texts a
second time after the fit, for the table's intervals, with the weights the last epoch's pass had scored them with.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import torch
from classify_tables import sentiment_frame, write_csv
from rich.console import Console

from forward_counts import CountsForwardsAfterTheFit, counting_forwards
from tagging_samples import entity_sentences
from trainwell.cli._show import show_metrics
from trainwell.learner.kept_predictions import kept_validation_predictions
from trainwell.text.pipeline import fit_texts
from trainwell.text.tagging.pipeline import fit_tagger

SMALL_TAGGER = {
    "word_dim": 16,
    "char_dim": 8,
    "char_filters": 8,
    "casing_dim": 4,
    "hidden": 16,
    "dropout": 0.1,
}


def test_a_text_fit_shows_its_table_without_scoring_the_validation_texts_again(tmp_path: Path) -> None:
    path = write_csv(sentiment_frame(200), tmp_path / "reviews.csv")
    counter = CountsForwardsAfterTheFit()
    run = fit_texts(
        path, text_col="review", target="sentiment", epochs=6, progress=False, callbacks=[counter]
    )
    show_metrics(run.learn, console := Console(file=io.StringIO(), width=200))
    assert counter.calls == []  # before: a forward per validation batch, for the table's intervals
    assert "95% CI" in console.file.getvalue() and "accuracy" in console.file.getvalue()
    kept = kept_validation_predictions(run.learn)
    assert kept is not None
    fresh, fresh_targets = run.learn.get_preds()
    assert fresh_targets is not None and torch.equal(kept[1], fresh_targets)
    assert kept[0].shape == fresh.shape == (40,)  # 20% of 200 texts, one probability each
    torch.testing.assert_close(kept[0], fresh)


def test_a_multilabel_text_fit_chooses_its_thresholds_on_the_kept_predictions(tmp_path: Path) -> None:
    frame = sentiment_frame(200)
    frame["tags"] = [
        f"{label};long" if index % 3 else label for index, label in enumerate(frame["sentiment"])
    ]
    counter = CountsForwardsAfterTheFit()
    run = fit_texts(
        frame,
        text_col="review",
        target="tags",
        label_delim=";",
        epochs=2,
        progress=False,
        callbacks=[counter],
    )
    assert run.thresholds is not None and len(run.thresholds.thresholds) == 3
    assert counter.calls == []  # before: the thresholds' own pass over the validation texts


def test_a_tagger_shows_its_table_and_entities_by_type_without_tagging_again(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from trainwell.cli._tagging import _show_tagging

    counter = CountsForwardsAfterTheFit()
    run = fit_tagger(
        entity_sentences(80, seed=1),
        valid=entity_sentences(20, seed=2),
        epochs=2,
        progress=False,
        arch_config=SMALL_TAGGER,
        callbacks=[counter],
    )
    kept = kept_validation_predictions(run.learn)
    assert kept is not None
    fresh, fresh_targets = run.learn.get_preds()
    assert fresh_targets is not None and torch.equal(kept[0], fresh) and torch.equal(kept[1], fresh_targets)
    counter.calls = counting_forwards(run.learn.model)
    _show_tagging(run)  # what `trainwell fit train.conll` prints after the fit
    assert counter.calls == []  # before: two passes, the table's and the entities by type's
    assert "Validation entities by type" in capsys.readouterr().out
