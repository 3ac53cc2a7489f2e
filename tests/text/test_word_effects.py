"""Word effects by occlusion: each word replaced by the unknown token, the explained class's probability again."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from classify_tables import NEGATIVE, POSITIVE, TOPICS, sentiment_frame, topic_frame

import trainwell
from trainwell.core.errors import ConfigError
from trainwell.text import fit_texts
from trainwell.text._word_effects import WordEffects, word_effects, word_summary

SENTIMENT_WORDS = {*POSITIVE, *NEGATIVE}
SMALL_AWD_LSTM = {"emb_size": 16, "hidden_size": 24, "n_layers": 1, "head_hidden": 8}


@pytest.fixture(scope="module")
def bag_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bag of words alone (no n-grams, whose hashed pairs of filler words this small a set lets it learn)."""
    out = tmp_path_factory.mktemp("bag") / "model"
    frame = sentiment_frame(300, 0)
    fit_texts(frame, "sentiment", text_col="review", out=out, epochs=6, lr=0.3, ngrams=1, progress=False)
    return out


def deciding_word(words: list[str]) -> int:
    """The position of the one sentiment word, which alone decides the label."""
    [position] = [i for i, word in enumerate(words) if word.lower().strip(".") in SENTIMENT_WORDS]
    return position


def test_the_word_that_decides_the_label_moves_the_probability_most(bag_dir: Path) -> None:
    predictor = trainwell.load(bag_dir)
    frame = sentiment_frame(20, seed=9)
    effects = word_effects(predictor, frame["review"].tolist())
    assert len(effects) == 20
    for text, effect, actual in zip(frame["review"], effects, frame["sentiment"], strict=True):
        assert effect.words == text.split() and effect.effects.shape == effect.flips.shape == (
            len(effect.words),
        )
        assert effect.label == actual and effect.n_words == len(effect.words)
        strongest = int(np.argmax(effect.effects))
        assert strongest == deciding_word(effect.words), (text, effect.effects.round(3))
        others = np.delete(effect.effects, strongest)
        assert effect.effects[strongest] > 0.15 and effect.effects[strongest] > 3 * np.abs(others).max()


def test_an_effect_is_the_probability_lost_with_the_word_unknown(bag_dir: Path) -> None:
    # Against the predictor scoring the occluded text itself, one text at a time.
    predictor = trainwell.load(bag_dir)
    text = "The film was dreadful and the plot too"
    [effect] = word_effects(predictor, [text])
    assert effect.label == "neg"
    words = text.split()
    negative = 1 - predictor.predict_proba([text]).reshape(-1)
    assert effect.probability == pytest.approx(float(negative[0]), abs=1e-6)
    for position in range(len(words)):
        occluded = " ".join([*words[:position], "xxunk", *words[position + 1 :]])
        without = 1 - float(predictor.predict_proba([occluded]).reshape(-1)[0])
        assert effect.effects[position] == pytest.approx(float(negative[0]) - without, abs=1e-6)
        assert bool(effect.flips[position]) == (without < 0.5)


def test_only_the_first_words_are_measured(bag_dir: Path) -> None:
    predictor = trainwell.load(bag_dir)
    long = " ".join(["the movie was"] * 30 + ["awful"])  # 91 words, the deciding one last
    [cut, short] = word_effects(predictor, [long, "a superb film"], max_words=60)
    assert len(cut.words) == 60 and cut.n_words == 91 and cut.effects.shape == (60,)
    assert cut.label == "neg"  # the unmeasured words still count in the prediction
    assert len(short.words) == 3 and short.label == "pos"
    with pytest.raises(ConfigError, match="max_words must be a whole number >= 1; got 0"):
        word_effects(predictor, ["a superb film"], max_words=0)


def test_with_a_window_each_variant_reads_the_first_words_only(bag_dir: Path) -> None:
    # A review's 1,000 words re-read for each of 60 variants was the cost: the window reads 60 of them.
    predictor = trainwell.load(bag_dir)
    long = " ".join(["a superb film"] + ["the movie was"] * 30 + ["awful"])  # the deciding 'awful' is word 94
    whole = predictor.predict_proba([long])
    [effect] = word_effects(predictor, [long], max_words=5, window=8, probabilities=whole)
    words = long.split()
    assert effect.words == words[:5] and effect.n_words == len(words)
    assert effect.label == "neg" and effect.probability == pytest.approx(1 - float(whole[0]), abs=1e-6)
    # The effects are changes from the window's probability: each variant reads words[:8] with one unknown.
    window = 1 - float(predictor.predict_proba([" ".join(words[:8])]).reshape(-1)[0])
    for position in range(5):
        occluded = " ".join([*words[:position], "xxunk", *words[position + 1 : 8]])
        without = 1 - float(predictor.predict_proba([occluded]).reshape(-1)[0])
        assert effect.effects[position] == pytest.approx(window - without, abs=1e-6)
    # 'superb' leads the window towards pos: against the whole text's neg.
    assert effect.effects[1] < 0 and effect.effects[1] == effect.effects.min()
    with pytest.raises(ConfigError, match=r"window must be a whole number >= max_words \(5\) or None; got 4"):
        word_effects(predictor, [long], max_words=5, window=4)
    with pytest.raises(ConfigError, match="probabilities has 1 rows for 2 texts"):
        word_effects(predictor, [long, long], window=60, probabilities=whole)


@pytest.mark.slow
def test_an_awd_lstm_classifier_is_explained_too(tmp_path: Path) -> None:
    out = tmp_path / "lstm"
    fit_texts(
        sentiment_frame(300, 0),
        "sentiment",
        text_col="review",
        out=out,
        arch="awd_lstm",
        epochs=6,
        lr=0.02,
        arch_config=SMALL_AWD_LSTM,
        progress=False,
    )
    predictor = trainwell.load(out)
    frame = sentiment_frame(20, seed=9)
    effects = word_effects(predictor, frame["review"].tolist())
    right = [
        effect for effect, actual in zip(effects, frame["sentiment"], strict=True) if effect.label == actual
    ]
    assert len(right) >= 15
    found = [int(np.argmax(effect.effects)) == deciding_word(effect.words) for effect in right]
    assert np.mean(found) >= 0.8, found


def test_a_multilabel_model_explains_its_likeliest_label(tmp_path: Path) -> None:
    out = tmp_path / "topics"
    fit_texts(topic_frame(300, multilabel=True), "topic", out=out, label_delim="|", epochs=8, progress=False)
    predictor = trainwell.load(out)
    # One topic word a text: with two ('match' and 'team'), either alone keeps the label near 1 (the limit of
    # occlusion the report states), and neither shows an effect.
    texts = ["The match was long and the plot was dull", "I made dinner with this film"]
    effects = word_effects(predictor, texts)
    assert [effect.label for effect in effects] == ["sport", "food"]
    for effect in effects:
        strongest = effect.words[int(np.argmax(effect.effects))]
        assert strongest in TOPICS[effect.label] and effect.effects.max() > 0.3, (
            effect.words,
            effect.effects,
        )
        probabilities = predictor.predict_proba([" ".join(effect.words)])[0]
        assert effect.probability == pytest.approx(float(probabilities.max()), abs=1e-6)


def made(label: str, words: str, effects: list[float], flips: list[bool] | None = None) -> WordEffects:
    split = words.split()
    return WordEffects(
        split, np.array(effects), label, 0.9, np.array(flips or [False] * len(split)), len(split)
    )


def test_the_summary_ranks_words_by_their_mean_effect_per_class() -> None:
    effects = [
        made("pos", "Great, great film", [0.5, 0.1, 0.01], [True, False, False]),
        made("pos", "great plot!", [0.3, 0.4], [False, True]),
        made("neg", "dull film", [0.6, -0.2], [True, False]),
        made("pos", "the film", [-0.1, -0.3], [False, False]),
    ]
    rows = word_summary(effects, min_texts=1)
    # 'great': its larger effect in the first text (0.5) and 0.3; 'plot' 0.4 in one text ranks with it, by mean.
    # 'film' (0.01, -0.3) and 'the' pushed away from pos: listed only when asked for words against.
    assert rows == [
        ("pos", "great", 2, 1, pytest.approx(0.4)),
        ("pos", "plot", 1, 1, pytest.approx(0.4)),
        ("neg", "dull", 1, 1, pytest.approx(0.6)),
    ]
    assert word_summary(effects, top=1, n_classes=1, min_texts=1) == [
        ("pos", "great", 2, 1, pytest.approx(0.4))
    ]
    # Against: the most negative mean first.
    assert word_summary(effects, top=0, against=2, n_classes=1, min_texts=1) == [
        ("pos", "film", 2, 0, pytest.approx(-0.145)),
        ("pos", "the", 1, 0, pytest.approx(-0.1)),
    ]
    # The default minimum of 3 texts: 'great' is in two, so no word is ranked.
    assert word_summary(effects) == []
    with pytest.raises(ConfigError, match="min_texts must be a whole number >= 1; got 0"):
        word_summary(effects, min_texts=0)


def test_a_stop_word_in_every_text_ranks_below_a_rarer_word_of_larger_effect() -> None:
    # 'the' in 40 texts at 0.03 sums to 1.2; 'superb' in 4 texts at 0.25 to 1.0: ranked by total, 'the' was first.
    effects = [made("pos", "the film", [0.03, 0.0]) for _ in range(36)] + [
        made("pos", "the superb film", [0.03, 0.25, 0.0]) for _ in range(4)
    ]
    rows = word_summary(effects)
    assert [word for _, word, *_ in rows] == ["superb", "the"]
    assert rows[0] == ("pos", "superb", 4, 0, pytest.approx(0.25))
    assert rows[1][2] == 40  # the count is shown beside the mean
