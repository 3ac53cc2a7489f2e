"""Reading and writing CoNLL / CoNLL-U files: layouts, edge cases of blank lines, every error message, and the
published counts of CoNLL-2003 and UD English EWT."""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import pytest

from trainwell.core.errors import ConfigError, DataError
from trainwell.text.tagging.conll import (
    CONLL2003_COLUMNS,
    CONLLU_COLUMNS,
    TaggedCorpus,
    default_tag_column,
    find_split_files,
    read_conll,
    write_conll,
    write_conllu,
)
from trainwell.text.tagging.scheme import detect_scheme, entity_spans

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"

CONLL_TEXT = "EU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\nPeter NNP B-NP B-PER\nBlackburn NNP I-NP I-PER\n"
CONLL_SENTENCES = [
    [("EU", "NNP", "B-NP", "B-ORG"), ("rejects", "VBZ", "B-VP", "O")],
    [("Peter", "NNP", "B-NP", "B-PER"), ("Blackburn", "NNP", "I-NP", "I-PER")],
]

CONLLU_TEXT = (
    "# sent_id = 1\n"
    "# text = I don't know.\n"
    "1\tI\tI\tPRON\tPRP\t_\t4\tnsubj\t4:nsubj\t_\n"
    "2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_\n"
    "2\tdo\tdo\tAUX\tVBP\t_\t4\taux\t4:aux\t_\n"
    "3\tn't\tnot\tPART\tRB\t_\t4\tadvmod\t4:advmod\t_\n"
    "4\tknow\tknow\tVERB\tVB\t_\t0\troot\t0:root\tSpaceAfter=No\n"
    "4.1\tit\t_\tPRON\t_\t_\t_\t_\t4:obj\t_\n"
    "5\t.\t.\tPUNCT\t.\t_\t4\tpunct\t4:punct\t_\n"
    "\n"
    "# sent_id = 2\n"
    "1\tYes\tyes\tINTJ\tUH\t_\t0\troot\t0:root\t_\n"
)


def write(path: Path, text: str) -> Path:
    """Write ``text`` byte for byte (no newline translation), gzipped when the name ends in .gz."""
    data = text.encode("utf-8")
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


# ------------------------------------------------------------------------------------------------ CoNLL
def test_reads_the_conll2003_layout(tmp_path: Path) -> None:
    corpus = read_conll(write(tmp_path / "train.txt", CONLL_TEXT))
    assert corpus.sentences == CONLL_SENTENCES
    assert corpus.column_names == CONLL2003_COLUMNS == ("token", "pos", "chunk", "ner")
    assert corpus.format == "conll" and corpus.source == str(tmp_path / "train.txt")
    assert corpus.tokens() == [["EU", "rejects"], ["Peter", "Blackburn"]]
    assert corpus.column("ner") == [["B-ORG", "O"], ["B-PER", "I-PER"]]
    assert corpus.column(1) == corpus.column("1") == corpus.column("pos") == [["NNP", "VBZ"], ["NNP", "NNP"]]
    assert len(corpus) == 2 and corpus.n_tokens == 4
    assert default_tag_column(corpus) == "ner"


def test_tabs_spaces_crlf_and_gzip_read_the_same(tmp_path: Path) -> None:
    variants = {
        "spaces.txt": CONLL_TEXT,
        "tabs.txt": CONLL_TEXT.replace(" ", "\t"),
        "mixed.txt": CONLL_TEXT.replace(" ", " \t  ").replace("\n", "  \n"),
        "crlf.txt": CONLL_TEXT.replace("\n", "\r\n"),
        "gzipped.txt.gz": CONLL_TEXT,
    }
    for name, text in variants.items():
        assert read_conll(write(tmp_path / name, text)).sentences == CONLL_SENTENCES, name


def test_blank_lines_never_make_empty_sentences(tmp_path: Path) -> None:
    text = "\n\n" + CONLL_TEXT.replace("\n\n", "\n\n \n\t\n\n") + "\n\n\n"
    assert read_conll(write(tmp_path / "a.txt", text)).sentences == CONLL_SENTENCES
    no_final_newline = CONLL_TEXT.rstrip("\n")
    assert read_conll(write(tmp_path / "b.txt", no_final_newline)).sentences == CONLL_SENTENCES


def test_comment_lines_before_a_sentence_are_dropped(tmp_path: Path) -> None:
    # "# a comment" on line 1 was read as the first token line: "line 2: found 4 fields ... but expected 3".
    text = "# a comment\n" + CONLL_TEXT.replace("\n\n", "\n\n# source: news wire\n", 1)
    assert read_conll(write(tmp_path / "c.conll", text)).sentences == CONLL_SENTENCES
    hashed = read_conll(write(tmp_path / "h.conll", "a O\n# O\n"))  # a word '#' inside a sentence is a word
    assert hashed.sentences == [[("a", "O"), ("#", "O")]]


def test_docstart_lines_are_dropped(tmp_path: Path) -> None:
    text = (
        "-DOCSTART- -X- -X- O\n\n"
        + CONLL_TEXT.replace("\n\n", "\n\n-DOCSTART- -X- -X- O\n\n")
        + "\n-DOCSTART- -X- O\n"  # a document line with another number of fields is not a token line
    )
    corpus = read_conll(write(tmp_path / "eng.txt", text))
    assert corpus.sentences == CONLL_SENTENCES
    # a -DOCSTART- line right after a sentence, with no blank line in between, still ends that sentence
    glued = read_conll(write(tmp_path / "glued.txt", "a O\n-DOCSTART- O\nb O\n"))
    assert glued.sentences == [[("a", "O")], [("b", "O")]]


@pytest.mark.parametrize(
    ("line", "names", "default"),
    [
        ("EU B-ORG", ("token", "tag"), "tag"),
        ("EU NNP B-ORG", ("token", "col1", "col2"), "col2"),
        ("EU x y z w", ("token", "col1", "col2", "col3", "col4"), "col4"),
    ],
)
def test_column_names_by_number_of_fields(tmp_path: Path, line: str, names: tuple, default: str) -> None:
    corpus = read_conll(write(tmp_path / "data.bio", f"{line}\n{line}\n"))
    assert corpus.column_names == names
    assert default_tag_column(corpus) == default
    assert corpus.column(default) == [[line.split()[-1]] * 2]


# ---------------------------------------------------------------------------------------------- CoNLL-U
def test_reads_conllu_skipping_comments_multiword_tokens_and_empty_nodes(tmp_path: Path) -> None:
    corpus = read_conll(write(tmp_path / "en-ud-dev.conllu", CONLLU_TEXT))
    assert corpus.format == "conllu" and corpus.column_names == CONLLU_COLUMNS
    assert corpus.tokens() == [["I", "do", "n't", "know", "."], ["Yes"]]
    assert corpus.column("upos") == [["PRON", "AUX", "PART", "VERB", "PUNCT"], ["INTJ"]]
    assert corpus.sentences[0][3] == (
        "4",
        "know",
        "know",
        "VERB",
        "VB",
        "_",
        "0",
        "root",
        "0:root",
        "SpaceAfter=No",
    )
    assert default_tag_column(corpus) == "upos"


def test_conllu_written_back_keeps_comments_multiword_tokens_and_empty_nodes(tmp_path: Path) -> None:
    # write_conllu dropped every line reading skipped: the # sent_id and # text comments, 2-3 and 4.1.
    corpus = read_conll(write(tmp_path / "in.conllu", CONLLU_TEXT))
    same = write_conllu(tmp_path / "same.conllu", corpus, "upos", corpus.column("upos"))
    assert same.read_text(encoding="utf-8") == CONLLU_TEXT + "\n"  # + the blank line that ends a sentence
    tagged = write_conllu(tmp_path / "x.conllu", corpus, "upos", [["X"] * len(s) for s in corpus.sentences])
    written, given = tagged.read_text(encoding="utf-8").split("\n"), (CONLLU_TEXT + "\n").split("\n")
    assert len(written) == len(given)
    for out, line in zip(written, given, strict=True):
        fields = line.split("\t")
        if fields[0].isdecimal():  # a word: only its upos is predicted
            assert out.split("\t") == [*fields[:3], "X", *fields[4:]]
        else:
            assert out == line
    # a block of comments with no words, and comments after the last sentence, are kept too
    text = "# newdoc\n\n" + CONLLU_TEXT + "\n# the end\n"
    again = read_conll(write(tmp_path / "doc.conllu", text))
    assert again.sentences == corpus.sentences
    back = write_conllu(tmp_path / "doc-out.conllu", again, "upos", again.column("upos"))
    assert back.read_text(encoding="utf-8") == text + "\n"


def test_conllu_is_recognised_by_content_and_gzip_and_crlf(tmp_path: Path) -> None:
    expected = read_conll(write(tmp_path / "a.conllu", CONLLU_TEXT)).sentences
    for name, text in [
        ("ud.txt", CONLLU_TEXT),
        ("ud.conllu.gz", CONLLU_TEXT),
        ("crlf.txt", CONLLU_TEXT.replace("\n", "\r\n")),
        ("no-comments.txt", "\n".join(line for line in CONLLU_TEXT.split("\n") if not line.startswith("#"))),
    ]:
        corpus = read_conll(write(tmp_path / name, text))
        assert corpus.format == "conllu" and corpus.sentences == expected, name


def test_conllu_form_may_hold_a_space(tmp_path: Path) -> None:
    line = "1\tNew York\tNew York\tPROPN\tNNP\t_\t0\troot\t0:root\t_\n"
    assert read_conll(write(tmp_path / "x.conllu", line)).tokens() == [["New York"]]


# ----------------------------------------------------------------------------------------------- errors
def test_inconsistent_fields_name_file_line_found_and_expected(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.txt", "EU NNP B-NP B-ORG\n\nrejects VBZ O\n")
    with pytest.raises(DataError) as caught:
        read_conll(path)
    message = str(caught.value)
    assert str(path) in message and "line 3" in message
    assert "found 3 fields ('rejects VBZ O')" in message and "expected 4" in message and "(line 1)" in message


def test_conllu_line_with_wrong_field_count(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.conllu", "1\tI\tI\tPRON\n")
    with pytest.raises(DataError, match=r"bad\.conllu, line 1: found 4 TAB-separated fields .* has 10"):
        read_conll(path)
    path = write(tmp_path / "id.conllu", "x\tI\tI\tPRON\tPRP\t_\t0\troot\t_\t_\n")
    with pytest.raises(DataError, match=r"line 1: the id 'x' is not a number"):
        read_conll(path)


@pytest.mark.parametrize("text", ["", "\n\n \n", "-DOCSTART- -X- -X- O\n\n"])
def test_file_without_sentences(tmp_path: Path, text: str) -> None:
    path = write(tmp_path / "empty.txt", text)
    with pytest.raises(DataError, match=rf"{path} holds no sentences"):
        read_conll(path)


def test_missing_file_folder_and_broken_gzip(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nowhere\.txt does not exist; pass the path of a CoNLL"):
        read_conll(tmp_path / "nowhere.txt")
    with pytest.raises(DataError, match=r"is a folder"):
        read_conll(tmp_path)
    (tmp_path / "plain.txt.gz").write_text(CONLL_TEXT)
    with pytest.raises(DataError, match=r"plain\.txt\.gz is not a complete gzip file"):
        read_conll(tmp_path / "plain.txt.gz")


def test_non_utf8_says_where_and_how_to_read_it_anyway(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("EU B-ORG\nM\xfcnchen B-LOC\n".encode("latin-1"))
    with pytest.raises(DataError) as caught:
        read_conll(path)
    message = str(caught.value)
    assert message.startswith(f"'{path}' is not utf-8 text (byte 0xfc on line 2); pass --encoding cp1252")
    assert 'encoding_errors="replace"' in message and "--encoding-errors replace" in message
    corpus = read_conll(path, encoding_errors="replace")
    assert corpus.tokens() == [["EU", "M\ufffdnchen"]]
    with pytest.raises(ConfigError, match=r"encoding_errors='loose' is not an error handler; pass 'strict'"):
        read_conll(path, encoding_errors="loose")


def test_unknown_column_lists_the_columns_and_the_option(tmp_path: Path) -> None:
    corpus = read_conll(write(tmp_path / "train.txt", CONLL_TEXT))
    with pytest.raises(ConfigError) as caught:
        corpus.column("upos")
    assert caught.value.command_line == (
        f"tag column 'upos' not found in {tmp_path / 'train.txt'}; columns are: token, pos, chunk, ner. "
        "Pass --tag-col NAME (or a 0-based column number)."
    )
    for bad in (4, "7", -1):
        with pytest.raises(ConfigError, match=r"out of range .* has 4 columns \(token, pos, chunk, ner\)"):
            corpus.column(bad)


# -------------------------------------------------------------------------------------------- split files
def test_find_split_files_for_ud_and_conll_names(tmp_path: Path) -> None:
    layouts = {
        "ud": [
            "en_ewt-ud-train.conllu.gz",
            "en_ewt-ud-dev.conllu.gz",
            "en_ewt-ud-test.conllu.gz",
            "LICENSE.txt.md",
        ],
        "conll": ["train.txt.gz", "valid.txt.gz", "test.txt.gz", "README.md", "SOURCE.md"],
        "testab": ["train.iob", "testa.iob", "testb.iob"],
        "dev": ["train.bio", "dev.bio", "test.bio"],
        "tsv": ["ner_train.tsv", "ner_dev.tsv", "ner_test.tsv", "notes.txt"],
        "only_train": ["train.conll", "train.py"],
    }
    expected = {
        "ud": ("en_ewt-ud-train.conllu.gz", "en_ewt-ud-dev.conllu.gz", "en_ewt-ud-test.conllu.gz"),
        "conll": ("train.txt.gz", "valid.txt.gz", "test.txt.gz"),
        "testab": ("train.iob", "testa.iob", "testb.iob"),
        "dev": ("train.bio", "dev.bio", "test.bio"),
        "tsv": ("ner_train.tsv", "ner_dev.tsv", "ner_test.tsv"),
        "only_train": ("train.conll", None, None),
    }
    for layout, names in layouts.items():
        folder = tmp_path / layout
        folder.mkdir()
        for name in names:
            (folder / name).write_text("x O\n")
        (folder / "train_subfolder.txt").mkdir()  # folders are not files, whatever their name
        found = find_split_files(folder)
        train, valid, test = expected[layout]
        wanted = {"train": train, "valid": valid, "test": test}
        assert found == {split: folder / name for split, name in wanted.items() if name}, layout


def test_find_split_files_errors(tmp_path: Path) -> None:
    (tmp_path / "dev.txt").write_text("x O\n")
    (tmp_path / "README.md").write_text("hello\n")
    with pytest.raises(DataError) as caught:
        find_split_files(tmp_path)
    assert str(caught.value).startswith(f"no train file in {tmp_path} (found: README.md, dev.txt); name it")
    (tmp_path / "train.txt").write_text("x O\n")
    (tmp_path / "train.txt.gz").write_bytes(gzip.compress(b"x O\n"))
    with pytest.raises(
        DataError, match=rf"{tmp_path} holds 2 train files: train\.txt, train\.txt\.gz; keep one"
    ):
        find_split_files(tmp_path)
    with pytest.raises(DataError, match=r"missing is not a folder"):
        find_split_files(tmp_path / "missing")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match=r"\(found: no files\)"):
        find_split_files(empty)


# ------------------------------------------------------------------------------------------------ writing
def test_write_then_read_round_trip(tmp_path: Path) -> None:
    tokens = [["EU", "rejects", "German"], ["Peter"]]
    gold = [["B-ORG", "O", "B-MISC"], ["B-PER"]]
    predicted = [["B-ORG", "O", "O"], ["B-LOC"]]
    for name in ("pred.txt", "pred.txt.gz"):
        path = write_conll(tmp_path / "out" / name, tokens, [gold, predicted])
        assert path == tmp_path / "out" / name
        corpus = read_conll(path)
        assert corpus.column_names == ("token", "col1", "col2")
        assert corpus.tokens() == tokens and corpus.column(1) == gold and corpus.column(2) == predicted
    assert (tmp_path / "out" / "pred.txt").read_text() == (
        "EU B-ORG B-ORG\nrejects O O\nGerman B-MISC O\n\nPeter B-PER B-LOC\n\n"
    )
    assert sorted(entry.name for entry in (tmp_path / "out").iterdir()) == ["pred.txt", "pred.txt.gz"]


def test_write_conll_rewrites_a_read_corpus_exactly(tmp_path: Path) -> None:
    corpus = read_conll(write(tmp_path / "in.txt", CONLL_TEXT))
    columns = [corpus.column(name) for name in corpus.column_names[1:]]
    path = write_conll(tmp_path / "out.txt", corpus.tokens(), columns)
    assert path.read_text() == CONLL_TEXT + "\n"
    assert read_conll(path) == TaggedCorpus(corpus.sentences, corpus.column_names, "conll", str(path))


def test_write_conll_errors(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    with pytest.raises(ConfigError, match=r"tag column 0 has 1 sentences but tokens has 2"):
        write_conll(path, [["a"], ["b"]], [[["O"]]])
    with pytest.raises(ConfigError, match=r"sentence 1 has 1 tokens but 2 tags in tag column 1"):
        write_conll(path, [["a"], ["b"]], [[["O"], ["O"]], [["O"], ["O", "O"]]])
    with pytest.raises(DataError, match=r"sentence 0: the field 'New York' is empty or holds whitespace"):
        write_conll(path, [["New York"]], [[["B-LOC"]]])
    with pytest.raises(DataError, match=r"sentence 0: the field '' is empty"):
        write_conll(path, [["a"]], [[[""]]])
    with pytest.raises(DataError, match=r"sentence 1 is empty; a CoNLL file cannot hold an empty sentence"):
        write_conll(path, [["a"], []], [[["O"], []]])
    assert not path.exists() and list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------------ real corpora
CONLL2003_COUNTS = {  # published CoNLL-2003 English statistics: sentences, tokens, PER / LOC / ORG / MISC
    "train": (14_041, 203_621, {"PER": 6600, "LOC": 7140, "ORG": 6321, "MISC": 3438}),
    "valid": (3_250, 51_362, {"PER": 1842, "LOC": 1837, "ORG": 1341, "MISC": 922}),
    "test": (3_453, 46_435, {"PER": 1617, "LOC": 1668, "ORG": 1661, "MISC": 702}),
}
UD_EWT_COUNTS = {"train": (12_544, 204_577), "dev": (2_001, 25_147), "test": (2_077, 25_094)}
UPOS_TAGS = {
    *("ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM"),
    *("PART", "PRON", "PROPN", "PUNCT", "SCONJ", "SYM", "VERB", "X"),
}


def data_folder(name: str) -> Path:
    folder = DATA / name
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent (the shared data folder of the repository's parent)")
    return folder


@pytest.mark.data
@pytest.mark.parametrize("split", ["train", "valid", "test"])
def test_conll2003_matches_the_published_counts(split: str) -> None:
    files = find_split_files(data_folder("conll2003"))
    corpus = read_conll(files[split])
    sentences, tokens, entities = CONLL2003_COUNTS[split]
    assert (len(corpus), corpus.n_tokens) == (sentences, tokens)
    assert corpus.column_names == CONLL2003_COLUMNS and default_tag_column(corpus) == "ner"
    tags = corpus.column("ner")
    assert Counter(kind for sentence in tags for kind, _, _ in entity_spans(sentence)) == entities
    assert detect_scheme(tags) == "iob2"


@pytest.mark.data
@pytest.mark.parametrize("split", ["train", "dev", "test"])
def test_ud_english_ewt_matches_the_published_counts(split: str) -> None:
    folder = data_folder("ud_english_ewt")
    files = find_split_files(folder)
    path = files["valid" if split == "dev" else split]
    assert path == folder / f"en_ewt-ud-{split}.conllu.gz"
    corpus = read_conll(path)
    assert (len(corpus), corpus.n_tokens) == UD_EWT_COUNTS[split]
    assert corpus.format == "conllu" and default_tag_column(corpus) == "upos"
    upos = corpus.column("upos")
    assert {tag for sentence in upos for tag in sentence} == UPOS_TAGS
    assert detect_scheme(upos) == "none"
    assert all(token[0].isdecimal() for sentence in corpus.sentences for token in sentence)


@pytest.mark.data
def test_ud_english_ewt_written_back_line_for_line(shared_data: Path, tmp_path: Path) -> None:
    # Every comment, multiword token (29-30 didn't) and empty node (8.1) of the UD dev file comes back byte for
    # byte in its place; written with its own upos the whole file is the same bytes.
    path = shared_data / "ud_english_ewt" / "en_ewt-ud-dev.conllu.gz"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    original = gzip.decompress(path.read_bytes())
    corpus = read_conll(path)
    same = write_conllu(tmp_path / "same.conllu.gz", corpus, "upos", corpus.column("upos"))
    assert gzip.decompress(same.read_bytes()) == original
    tags = [["X"] * len(sentence) for sentence in corpus.sentences]
    written = write_conllu(tmp_path / "x.conllu", corpus, "upos", tags).read_bytes().split(b"\n")
    given = original.split(b"\n")
    assert len(written) == len(given)
    kinds = Counter()
    for out, line in zip(written, given, strict=True):
        fields = line.split(b"\t")
        if fields[0].isdigit():
            assert out.split(b"\t") == [*fields[:3], b"X", *fields[4:]]
            kinds["word"] += 1
        else:
            assert out == line
            kinds[
                "comment"
                if line.startswith(b"#")
                else "range"
                if b"-" in fields[0]
                else "node"
                if fields[0]
                else "blank"
            ] += 1
    assert kinds["word"] == corpus.n_tokens and kinds["blank"] >= len(corpus)
    assert kinds["comment"] > 2 * len(corpus) and kinds["range"] > 0 and kinds["node"] > 0


def test_the_column_errors_name_tag_col_to_python_and_the_option_to_the_command_line(tmp_path: Path) -> None:
    # tagging_data(tag_col="upos") said "Pass --tag-col NAME" to a Python caller.
    from trainwell.text import tagging_data

    path = write(tmp_path / "train.txt", CONLL_TEXT)
    with pytest.raises(ConfigError) as caught:
        tagging_data(path, tag_col="upos")
    assert str(caught.value).endswith("Pass tag_col='NAME' (or a 0-based column number).")
    assert caught.value.command_line is not None
    assert caught.value.command_line.endswith("Pass --tag-col NAME (or a 0-based column number).")
    with pytest.raises(ConfigError) as caught:
        tagging_data(path, tag_col=9)
    assert str(caught.value).endswith("pass tag_col='NAME' or a number from 0 to 3.")


@pytest.mark.parametrize(
    ("layout", "column"), [("conll", 0), ("conll", "token"), ("conllu", "form"), ("conllu", 1)]
)
def test_the_words_column_is_refused_as_the_tags(tmp_path: Path, layout: str, column: str | int) -> None:
    # --tag-col 0 trained a "tagger" whose tags were the words themselves, one class per word.
    from trainwell.text import tagging_data

    path = (
        write(tmp_path / "train.txt", CONLL_TEXT)
        if layout == "conll"
        else write(tmp_path / "t.conllu", CONLLU_TEXT)
    )
    with pytest.raises(ConfigError) as caught:
        tagging_data(path, tag_col=column)
    name = "token" if layout == "conll" else "form"
    assert str(caught.value).startswith(
        f"tag column {column!r} holds the words ({name}), not their tags; pass tag_col="
    )
    assert caught.value.command_line is not None and "; pass --tag-col " in caught.value.command_line


@pytest.mark.parametrize("column", [3, "3", "ner"])
def test_a_tag_column_given_by_number_is_recorded_by_its_name(tmp_path: Path, column: str | int) -> None:
    # --tag-col 3 (a string from the command line) was recorded as the column '3': predict found no gold
    # tags, said a CoNLL-U file "is not CoNLL-U", and report refused the file the model was trained on.
    from trainwell.text import tagging_data

    data = tagging_data(write(tmp_path / "train.txt", CONLL_TEXT * 3), tag_col=column, valid_pct=0.3)
    assert data.recipe.tag_col == "ner" and data.task.target_names == ("ner",)
    conllu = tagging_data(write(tmp_path / "t.conllu", CONLLU_TEXT * 3), tag_col="3", valid_pct=0.3)
    assert conllu.recipe.tag_col == "upos"


def test_a_folders_test_file_of_words_alone_is_refused_by_name(tmp_path: Path) -> None:
    # A test.txt of words only (no gold) in the folder made every test word a tag class: the model learned
    # hundreds of "tags", lost its entity scores, and scored 0.0 on the test set.
    from trainwell.core.errors import UserError
    from trainwell.text import tagging_data

    write(tmp_path / "train.txt", CONLL_TEXT * 3)
    write(tmp_path / "test.txt", "EU\nrejects\n\nPeter\n")
    with pytest.raises(UserError) as caught:
        tagging_data(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path / 'test.txt'} (the test file) holds words alone, one column, with no tags to score; add its "
        "gold tags as a column, or move it out of the folder (predict tags such a file)"
    )
