"""text_data and its pieces: n-gram hashing, batch cutting, bucketed order, loaders, recipes, bad input."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from classify_tables import sentiment_frame, topic_frame, write_csv

from trainwell.core.errors import ConfigError, DataError
from trainwell.text.data import TextLoader, bucketed_order, default_buckets, text_data
from trainwell.text.recipe import TextRecipe, add_ngrams, bag_batch, padded_batch, rows_of, truncate


def _flat(texts: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    ids = np.array([i for text in texts for i in text], dtype=np.int64)
    offsets = np.cumsum([0, *map(len, texts)]).astype(np.int64)
    return ids, offsets


def _texts(ids: np.ndarray, offsets: np.ndarray) -> list[list[int]]:
    return [ids[offsets[i] : offsets[i + 1]].tolist() for i in range(len(offsets) - 1)]


# ------------------------------------------------------------------------------------------ n-grams
def test_add_ngrams_adds_one_bucket_id_per_ngram_and_hashes_consistently() -> None:
    texts = [[10, 11, 12], [11, 12], [10]]
    ids, offsets = _flat(texts)
    out_ids, out_offsets = add_ngrams(ids, offsets, 2, n_tokens=20, n_buckets=1000, binary=False)
    bags = _texts(out_ids, out_offsets)
    # tokens kept; one bigram per adjacent pair inside a text (none across texts)
    assert [sorted(i for i in bag if i < 20) for bag in bags] == [[10, 11, 12], [11, 12], [10]]
    bigrams = [sorted(i for i in bag if i >= 20) for bag in bags]
    assert [len(b) for b in bigrams] == [2, 1, 0]
    assert all(20 <= i < 1020 for b in bigrams for i in b)
    # the bigram (11, 12) gets one id wherever it occurs
    assert set(bigrams[1]) <= set(bigrams[0])


def test_add_ngrams_trigrams_and_binary_deduplication() -> None:
    ids, offsets = _flat([[5, 6, 5, 6, 5], [7, 8, 9]])
    plain = _texts(*add_ngrams(ids, offsets, 3, n_tokens=10, n_buckets=97, binary=False))
    binary = _texts(*add_ngrams(ids, offsets, 3, n_tokens=10, n_buckets=97, binary=True))
    assert len(plain[0]) == 5 + 4 + 3 and len(plain[1]) == 3 + 2 + 1
    assert sorted(binary[0]) == sorted(set(plain[0])) and len(binary[0]) < len(plain[0])
    assert sorted(binary[1]) == sorted(plain[1])


def test_add_ngrams_keeps_empty_texts() -> None:
    ids, offsets = _flat([[1, 2], [], [3]])
    _, out_offsets = add_ngrams(ids, offsets, 2, n_tokens=5, n_buckets=8)
    assert len(out_offsets) == 4 and out_offsets[2] == out_offsets[1]


def test_truncate_and_rows_of_match_slicing() -> None:
    texts = [[1, 2, 3, 4], [5], [6, 7, 8]]
    ids, offsets = _flat(texts)
    assert _texts(*truncate(ids, offsets, 2)) == [[1, 2], [5], [6, 7]]
    rows = np.array([2, 0])
    assert _texts(*rows_of(ids, offsets, rows)) == [texts[2], texts[0]]


def test_bag_and_padded_batches() -> None:
    texts = [[1, 2, 3], [4], [5, 6]]
    ids, offsets = _flat(texts)
    flat, starts = bag_batch(ids, offsets, np.array([1, 2]))
    assert flat.tolist() == [4, 5, 6] and starts.tolist() == [0, 1]
    padded = padded_batch(ids, offsets, np.array([0, 1]), pad_id=9)
    assert padded.tolist() == [[1, 2, 3], [4, 9, 9]]


# ------------------------------------------------------------------------------------------ order
def test_bucketed_order_covers_rows_once_is_reproducible_and_cuts_padding() -> None:
    lengths = np.random.default_rng(0).integers(1, 400, 1000)
    batches = bucketed_order(lengths, 16, seed=3, epoch=0)
    assert sorted(np.concatenate(batches).tolist()) == list(range(1000))
    again = bucketed_order(lengths, 16, seed=3, epoch=0)
    assert all(np.array_equal(a, b) for a, b in zip(batches, again, strict=True))
    other = bucketed_order(lengths, 16, seed=3, epoch=1)
    assert not all(np.array_equal(a, b) for a, b in zip(batches, other, strict=True))
    padded_cells = sum(len(b) * lengths[b].max() for b in batches)
    random = np.random.default_rng(0).permutation(1000)
    random_cells = sum(16 * lengths[random[i : i + 16]].max() for i in range(0, 1000, 16))
    assert padded_cells < 0.7 * random_cells


def test_loader_resume_order_and_ordered_pass() -> None:
    ids, offsets = _flat([[i, i + 1] for i in range(50)])
    loader = TextLoader(ids, offsets, torch.arange(50), 8, shuffle=True, drop_last=True, seed=1)
    assert len(loader) == 6
    loader.set_epoch(2)
    full = [batch[-1].tolist() for batch in loader]
    resumed = [batch[-1].tolist() for batch in loader.iter_from(4)]
    assert resumed == full[4:]
    loader.set_epoch(3)
    assert [batch[-1].tolist() for batch in loader] != full
    ordered = loader.new(shuffle=False, drop_last=False)
    assert torch.cat([batch[-1] for batch in ordered]).tolist() == list(range(50))
    padded = TextLoader(ids, offsets, torch.arange(50), 8, batch_format="padded", shuffle=True)
    tokens, target = next(iter(padded))
    assert tokens.shape == (8, 2) and torch.equal(tokens[:, 0], target)


# ------------------------------------------------------------------------------------------ text_data
def test_text_data_from_csv_binary(tmp_path: Path) -> None:
    frame = sentiment_frame(200)
    frame.loc[0, "review"] = "Zyzzyva appears only here."
    path = write_csv(frame, tmp_path / "reviews.csv")
    data = text_data(path, "sentiment", text_col="review", splits=(list(range(1, 200)), [0]), seed=0)
    assert data.application == "text" and data.task.kind == "binary"
    assert data.task.classes == ("neg", "pos")
    recipe = data.recipe
    assert isinstance(recipe, TextRecipe)
    assert "zyzzyva" not in recipe.vocab  # the vocabulary sees training rows only
    assert "great" in recipe.vocab
    assert recipe.n_buckets == default_buckets(0) == 2**12
    ids, offsets, target = next(iter(data.train))
    assert ids.dtype == torch.int64 and len(offsets) == len(target) == data.train.batch_size  # type: ignore[attr-defined]
    assert int(ids.max()) < recipe.n_embeddings
    restored = TextRecipe.from_dict(json.loads(json.dumps(recipe.to_dict())))
    assert restored == recipe
    assert [a.tolist() for a in restored.encode(["I loved it."])] == [
        a.tolist() for a in recipe.encode(["I loved it."])
    ]


def test_text_data_multiclass_multilabel_and_tsv(tmp_path: Path) -> None:
    frame = topic_frame(90)
    path = tmp_path / "topics.tsv"
    frame.to_csv(path, sep="\t", index=False)
    assert text_data(path, "topic", text_col="text").task.kind == "multiclass"
    labelled = topic_frame(90, multilabel=True)
    data = text_data(labelled, "topic", text_col="text", label_delim="|")
    assert data.task.kind == "multilabel" and data.task.classes == ("food", "music", "sport")
    assert next(iter(data.train))[-1].shape[1] == 3


def test_labels_only_in_the_validation_rows_are_named_in_a_warning(tmp_path: Path) -> None:
    # A label that appears only among the validation rows cannot be learned; it was dropped from the targets
    # without a word (and `trainwell report` on the same file then refused it as unknown).
    labelled = topic_frame(60, multilabel=True)
    labelled["is_valid"] = [i >= 48 for i in range(60)]
    labelled.loc[50, "topic"] = "food|weather"
    labelled.loc[55, "topic"] = "weather"
    path = write_csv(labelled, tmp_path / "topics.csv")
    with pytest.warns(
        UserWarning, match=r"valid texts: label\(s\) the training rows lack .*: weather \(2 rows\)"
    ):
        data = text_data(path, "topic", text_col="text", label_delim="|", valid_col="is_valid")
    assert data.task.classes == ("food", "music", "sport")


def test_a_validation_mark_left_unused_gets_a_hint(tmp_path: Path) -> None:
    # fastai's IMDB sample marks its validation rows in is_valid; a random split passes over them.
    frame = sentiment_frame(60)
    frame["is_valid"] = [i >= 48 for i in range(60)]
    path = write_csv(frame, tmp_path / "reviews.csv")
    with pytest.warns(
        UserWarning, match=r"column 'is_valid' looks like a mark of validation rows.*--valid-col is_valid"
    ):
        text_data(path, "sentiment", text_col="review")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = text_data(path, "sentiment", text_col="review", valid_col="is_valid")
    assert len(data.texts["valid"]) == 12  # type: ignore[attr-defined]


def test_a_rare_class_drawn_whole_into_validation_is_kept_for_training() -> None:
    # With one text of a class, text_data failed with "valid texts: target values ['weather'] were not seen"
    # whenever the random split drew it into validation, and worked with another seed; tabular_data, which
    # takes its classes from every row, never failed.
    from trainwell.data.bundle import random_split

    frame = topic_frame(40)
    frame.loc[40] = ["rain and wind all week", "weather"]
    seed = next(seed for seed in range(100) if 40 in random_split(41, 0.2, seed)[1])
    with pytest.warns(
        UserWarning, match=r"drew every text of class\(es\) 'weather'; one text of each was moved"
    ):
        data = text_data(frame, "topic", text_col="text", seed=seed)
    assert data.task.classes == ("food", "music", "sport", "weather")
    assert "rain and wind all week" in data.texts["train"]  # type: ignore[attr-defined]
    assert len(data.texts["train"]) + len(data.texts["valid"]) == 41  # type: ignore[attr-defined]
    with pytest.raises(DataError, match=r"valid texts: target values \['weather'\] were not seen"):
        text_data(
            frame, "topic", text_col="text", splits=(range(36), range(36, 41))
        )  # a split of one's own is kept


def _write_texts(root: Path, frame: pd.DataFrame) -> None:
    for index, (text, label) in enumerate(zip(frame["review"], frame["sentiment"], strict=True)):
        (root / label).mkdir(parents=True, exist_ok=True)
        (root / label / f"{index:03d}.txt").write_text(text, encoding="utf-8")


def test_a_folder_of_class_folders_of_text_files(tmp_path: Path) -> None:
    # A folder laid out as IMDB's (train/pos/*.txt, train/neg/*.txt, test/...; fastai's from_folder) was
    # refused with "data file 'imdb' not found; check the path", about a folder that exists.
    frame, held = sentiment_frame(60, seed=0), sentiment_frame(20, seed=1)
    _write_texts(tmp_path / "imdb" / "train", frame)
    _write_texts(tmp_path / "imdb" / "test", held)
    data = text_data(tmp_path / "imdb")
    assert data.task.classes == ("neg", "pos") and data.task.target_names == ("label",)
    texts = data.texts  # type: ignore[attr-defined]
    assert len(texts["train"]) + len(texts["valid"]) == 60 and len(texts["test"]) == 20
    assert sorted(texts["train"] + texts["valid"]) == sorted(frame["review"])
    _write_texts(tmp_path / "imdb" / "valid", held.head(8))
    split = text_data(tmp_path / "imdb")  # valid/ is the validation set, as given
    assert len(split.texts["train"]) == 60 and len(split.texts["valid"]) == 8  # type: ignore[attr-defined]
    flat = text_data(tmp_path / "imdb" / "train", valid_pct=0.25)  # <label>/*.txt: split at random
    assert len(flat.texts["valid"]) == 15  # type: ignore[attr-defined]
    with pytest.raises(
        DataError,
        match=r"'.*loose' has no class folders of .txt files; arrange texts as .*/<label>/<text>.txt",
    ):
        (tmp_path / "loose").mkdir()
        (tmp_path / "loose" / "a.txt").write_text("a text")
        text_data(tmp_path / "loose")
    with pytest.raises(ConfigError, match="a folder of texts has one label per text, its folder's name"):
        text_data(tmp_path / "imdb", target="sentiment")


def test_classes_keeps_the_named_class_folders_and_unlabelled_ones_are_warned_about(tmp_path: Path) -> None:
    # IMDB's train/ holds pos/, neg/ and unsup/ (50,000 unlabelled reviews): unsup became a third class.
    import warnings

    frame, held = sentiment_frame(40, seed=0), sentiment_frame(10, seed=1)
    _write_texts(tmp_path / "imdb" / "train", frame)
    _write_texts(tmp_path / "imdb" / "test", held)
    (tmp_path / "imdb" / "train" / "unsup").mkdir()
    for index in range(7):
        (tmp_path / "imdb" / "train" / "unsup" / f"{index}.txt").write_text(f"an unlabelled review {index}")
    with pytest.warns(UserWarning) as caught:
        as_class = text_data(tmp_path / "imdb")
    said = [str(w.message) for w in caught if "unsup" in str(w.message)]
    assert said == [
        f"class folder '{tmp_path / 'imdb' / 'train' / 'unsup'}' (7 texts) looks like unlabelled texts, read here "
        "as the class 'unsup'; pass classes=['neg', 'pos'] to keep only the labelled class folders"
    ]
    assert as_class.task.classes == ("neg", "pos", "unsup")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = text_data(tmp_path / "imdb", classes=["neg", "pos"])
    assert data.task.classes == ("neg", "pos")
    texts = data.texts  # type: ignore[attr-defined]
    assert len(texts["train"]) + len(texts["valid"]) == 40 and len(texts["test"]) == 10
    wrong = (
        r"classes= names 'positive', not a class folder of '.*train'; its class folders are: neg, pos, unsup"
    )
    with pytest.raises(DataError, match=wrong):
        text_data(tmp_path / "imdb", classes=["neg", "positive"])
    with pytest.raises(
        ConfigError, match=r"classes= takes the names of class folders, e\.g\. classes=\['neg', 'pos'\]"
    ):
        text_data(tmp_path / "imdb", classes="pos")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"classes= picks class folders of a folder of texts"):
        text_data(frame, "sentiment", text_col="review", classes=["neg", "pos"])


def test_show_batch_lists_texts_as_the_model_reads_them_beside_their_labels() -> None:
    # Images had data.show_batch(); text data had nothing to look at what the tokenizer and the vocabulary make
    # of the texts (fastai's dls.show_batch()).
    frame = pd.DataFrame(
        {"text": ["The film was GREAT, great fun!", "Dull. Zzyzx."] * 10, "label": ["pos", "neg"] * 10}
    )
    data = text_data(frame, "label", text_col="text", valid_pct=0, max_len=6)
    table = data.show_batch(n=2)  # type: ignore[attr-defined]
    assert table.columns.tolist() == ["tokens", "label"] and table["label"].tolist() == ["pos", "neg"]
    assert table["tokens"][0] == "xxbos xxmaj the film was xxup"  # cut at max_len=6, as the model reads it
    assert table["tokens"][1] == "xxbos xxmaj dull . xxmaj zzyzx"
    subword = text_data(frame, "label", text_col="text", tokenizer="subword", valid_pct=0.2, seed=0)
    shown = subword.show_batch(n=3, split="valid")  # type: ignore[attr-defined]
    assert len(shown) == 3 and all(isinstance(tokens, str) and tokens for tokens in shown["tokens"])
    with pytest.raises(ConfigError, match="show_batch: this data has no 'test' split; it has train, valid"):
        subword.show_batch(split="test")  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match=r"^show_batch\('x.png'\): this data shows its texts as the model"):
        subword.show_batch("x.png")  # type: ignore[attr-defined]


def test_text_data_subword_and_padded(tmp_path: Path) -> None:
    data = text_data(
        sentiment_frame(120), "sentiment", text_col="review", tokenizer="subword", batch_format="padded"
    )
    tokens, target = next(iter(data.train))
    assert tokens.ndim == 2 and len(tokens) == len(target)
    assert data.recipe.to_dict()["tokenizer"]["kind"] == "subword"  # type: ignore[union-attr]


# ------------------------------------------------------------------------------------------ bad input
def test_missing_text_column_lists_the_columns() -> None:
    with pytest.raises(
        DataError, match=r"text column 'body' not found in the DataFrame; columns are: review, sentiment"
    ):
        text_data(sentiment_frame(20), "sentiment", text_col="body")


def test_empty_text_names_the_row_and_can_be_dropped(tmp_path: Path) -> None:
    frame = sentiment_frame(40)
    frame.loc[7, "review"] = "   "
    with pytest.raises(DataError, match=r"is empty in the row at index 7 \(1 row in all\)"):
        text_data(frame, "sentiment", text_col="review")
    frame.loc[9, "review"] = None
    path = write_csv(frame, tmp_path / "holes.csv")
    # A file's rows are counted as its reader counts them, from 1 below the header; a blank cell (read as
    # missing) and one of spaces are the same problem, counted together, whichever comes first.
    with pytest.raises(
        DataError, match=r"'review' in '.*holes\.csv' is empty in data row 8 \(2 rows in all\)"
    ):
        text_data(path, "sentiment", text_col="review")
    with pytest.warns(
        UserWarning, match=r"dropped 2 of 40 rows of .*holes\.csv.* empty \(the first: data row 8\)"
    ):
        data = text_data(path, "sentiment", text_col="review", drop_empty=True, valid_pct=0.0)
    assert data.train.n_rows == 38  # type: ignore[attr-defined]


def test_non_string_texts_and_one_class_target_are_errors() -> None:
    # Numbers are codes read as their text (test_text_data_numeric_codes.py); other values are refused.
    others = pd.DataFrame({"text": ["a b", ["a", "b"], "c", "d"], "label": ["a", "b", "a", "b"]})
    with pytest.raises(DataError, match=r"holds \['a', 'b'\] \(list\), not text, in the row at index 1"):
        text_data(others, "label", text_col="text")
    one_class = sentiment_frame(20).assign(sentiment="pos")
    with pytest.raises(DataError, match=r"target 'sentiment' has a single class \('pos'\)"):
        text_data(one_class, "sentiment", text_col="review")


def test_bad_settings_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="batch_format"):
        text_data(sentiment_frame(20), "sentiment", text_col="review", batch_format="ragged")
    with pytest.raises(
        ConfigError, match=r"^valid_pct must be at least 0 and less than 1, got 1.5; pass e.g. valid_pct=0.2$"
    ):
        text_data(sentiment_frame(20), "sentiment", text_col="review", valid_pct=1.5)
    with pytest.raises(DataError, match=r"data file .nope\.csv. not found"):
        text_data("nope.csv", "sentiment", text_col="review")


# Names of text/data.py, lm_learner.py, lm_stream.py and tokenize.py before each was split by concept, by new
# home (tokenize.py's private padding helpers too: other modules imported them from there).
MOVED = {
    "trainwell.text.data": {
        "trainwell.text.loader": [
            "POOL_BATCHES",
            "EpochBatches",
            "TextLoader",
            "bucketed_order",
            "epoch_batches",
        ],
        "trainwell.text.bundle": ["TextDataBundle"],
        "trainwell.text.table": ["read_text_table"],
        "trainwell.text.fitting": [
            "DEFAULT_NGRAMS",
            "MULTILABEL_NGRAMS",
            "default_buckets",
            "default_ngrams",
            "fit_recipe",
        ],
    },
    "trainwell.text.lm_learner": {
        "trainwell.text.lm_loss": ["LMLoss", "lm_cross_entropy", "sampled_softmax_loss"],
        "trainwell.text._lm_model": ["CPU_SIZES", "DEFAULT_SIZES", "UNSEEN_LOGIT_BIAS"],
        "trainwell.text.lm_pipeline": [
            "CACHE_PROBE_TOKENS",
            "CACHE_TUNE_SHARE",
            "CACHE_TUNE_TOKENS",
            "LMRun",
            "MAX_EPOCHS",
            "MIN_EPOCHS",
            "TARGET_STEPS",
            "fit_language_model",
        ],
    },
    "trainwell.text.lm_stream": {
        "trainwell.text.lm_recipe": ["CacheSettings", "LMRecipe", "TokenizerName", "WhitespaceTokenizer"],
        "trainwell.text.corpus": ["Source", "read_corpus"],
    },
    "trainwell.text.tokenize": {
        "trainwell.text.specials": [
            "BOS",
            "EOS",
            "FAKE_PREFIX",
            "FLD",
            "MAJ",
            "PAD",
            "REP",
            "SPECIAL_TOKENS",
            "UNK",
            "UP",
            "WREP",
            "_check_multiple",
            "_round_up",
        ],
        "trainwell.text._detokenize": ["detokenize"],
        "trainwell.text.inputs": ["read_text_files", "validate_texts"],
    },
}


@pytest.mark.parametrize("old", sorted(MOVED))
def test_names_moved_out_of_a_split_module_still_import_from_it(old: str) -> None:
    import importlib

    module = importlib.import_module(old)
    for home, names in MOVED[old].items():
        new = importlib.import_module(home)
        for name in names:
            assert getattr(module, name) is getattr(new, name), f"{old}.{name}"
    assert all(hasattr(module, name) for name in module.__all__)


def test_validation_phrases_cut_from_training_sentences_are_warned_of() -> None:
    # SST-2's training rows are phrases of the same sentences: a random fifth held out lies 83% inside other
    # rows, so the validation score flattered the model and a search picked what memorised best.
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(400)]
    sentences = [" ".join(rng.choice(words, size=12)) for _ in range(60)]
    phrases = [
        " ".join(s.split()[start : start + length])
        for s in sentences
        for start, length in ((0, 12), (2, 6), (5, 4))
    ]
    frame = pd.DataFrame({"text": phrases, "label": rng.choice(["a", "b"], size=len(phrases))})
    with pytest.warns(
        UserWarning,
        match=r"of the validation texts drawn from the DataFrame appear word for word inside a training text",
    ):
        text_data(frame, "label", text_col="text", seed=0)
    whole = frame.assign(is_valid=[i % 3 == 0 and i >= 90 for i in range(len(frame))])  # chosen: not drawn
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        text_data(
            frame.iloc[::3], "label", text_col="text", seed=0
        )  # whole sentences alone: nothing inside another
        text_data(whole, "label", text_col="text", valid_col="is_valid", seed=0)


def test_a_workbook_of_texts_is_read_with_its_texts_as_written(tmp_path: Path) -> None:
    pytest.importorskip("openpyxl", reason="openpyxl (trainwell[excel]) reads .xlsx")
    from trainwell.text.table import read_text_table

    book = tmp_path / "reviews.xlsx"
    pd.DataFrame({"review": ["  NA  ", "a fine film"], "sentiment": ["neg", "pos"]}).to_excel(
        book, index=False
    )
    assert read_text_table(book).to_dict("list") == {
        "review": ["  NA  ", "a fine film"],
        "sentiment": ["neg", "pos"],
    }


def test_a_misspelt_text_or_target_column_is_answered_with_the_column_meant() -> None:
    # A table model's --target said "did you mean 'label'?"; with --text, the same slip listed the columns only.
    from trainwell.core.errors import DataError

    frame = pd.DataFrame({"text": ["good film", "bad film"] * 10, "label": ["pos", "neg"] * 10})
    with pytest.raises(DataError, match=r"text column 'Text' not found in .* \(did you mean 'text'\?\)"):
        text_data(frame, "label", text_col="Text")
    with pytest.raises(DataError, match=r"target column 'lable' not found in .* \(did you mean 'label'\?\)"):
        text_data(frame, "lable", text_col="text")


def test_the_same_column_as_texts_and_target_is_refused_first() -> None:
    # It warned with five whole reviews quoted as classes ("and 195 more") before the target's own error.
    frame = pd.DataFrame({"text": [f"review number {i}" for i in range(40)], "label": ["pos", "neg"] * 20})
    with pytest.raises(ConfigError, match=r"^text_col and target both name the column 'text': the texts are"):
        text_data(frame, "text", text_col="text")
