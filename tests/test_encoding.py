"""Tables that are not UTF-8: the one-line error that says where and how to fix it, and ``--encoding`` /
``encoding=`` end to end (fit and predict on a cp1252 table, a cp1252 text-classification CSV, the Python API).

The files are written here as Excel on Windows writes them: cp1252 bytes, 'é' as the single byte 0xe9, with
accents in a category, a label and a column name. The commands run in-process through typer's runner.
"""

from __future__ import annotations

import gzip
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import trainwell
from trainwell.cli.app import app
from trainwell.collab.data import read_ratings
from trainwell.core.errors import ConfigError, DataError
from trainwell.data.io import READ_ANYWAY, read_table
from trainwell.tabular.data import tabular_data
from trainwell.tabular.recipe import TabularRecipe
from trainwell.text.data import read_text_table
from trainwell.text.lm_stream import read_corpus

FIX = (
    f'pass --encoding cp1252 (Windows/Excel) or --encoding latin-1 (Python: encoding="cp1252"); {READ_ANYWAY}'
)
CITIES = ["Zürich", "Genève", "Besançon", "Paris"]


def cp1252_table(n_rows: int = 80, seed: int = 0) -> pd.DataFrame:
    """A learnable rule over an accented category ('région') and a number ('âge'); labels 'élevé' / 'bas'."""
    rng = np.random.default_rng(seed)
    region = rng.choice(CITIES, size=n_rows)
    age = rng.uniform(18, 80, size=n_rows).round(1)
    score = (region == "Genève") * 2.0 + (age - 50) / 15
    return pd.DataFrame({"région": region, "âge": age, "niveau": np.where(score > 0, "élevé", "bas")})


def write_cp1252(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False, encoding="cp1252")
    assert b"\xe9" in path.read_bytes()  # really cp1252: 'é' is one byte, not UTF-8's two
    return path


def invoke(*args: str | Path) -> tuple[int, str, str]:
    """``trainwell ARGS`` in this process: exit code, stdout, stderr."""
    result = CliRunner().invoke(app, [str(arg) for arg in args], env={"COLUMNS": "200"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


# ------------------------------------------------------------------------------------------ reading
def test_default_read_names_the_file_the_line_the_byte_and_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "ventes.csv"
    path.write_bytes("ville,n\nParis,1\nLyon,2\nCaf\xe9 Zürich,3\n".encode("cp1252"))
    with pytest.raises(DataError) as caught:
        read_table(path)
    assert str(caught.value) == f"'{path}' is not utf-8 text (byte 0xe9 on line 4); {FIX}"
    assert read_table(path, encoding="cp1252")["ville"].tolist() == ["Paris", "Lyon", "Café Zürich"]


def test_the_line_is_found_past_the_readers_buffer_and_inside_gzip(tmp_path: Path) -> None:
    # pandas decodes in chunks and reports a position inside one; the message counts lines in the file.
    raw = ("ville,n\n" + "Genève,1\n" * 200_000).encode(
        "utf-8"
    ) + b"Besan\xe7on,2\n"  # UTF-8, then one cp1252 line
    plain, packed = tmp_path / "big.csv", tmp_path / "big.csv.gz"
    plain.write_bytes(raw)
    packed.write_bytes(gzip.compress(raw))
    for path in (plain, packed):
        with pytest.raises(DataError, match=re.escape(f"(byte 0xe7 on line 200002); {FIX}")):
            read_table(path)


def test_a_cp1252_file_that_is_not_cp1252_points_to_latin_1(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"a,b\nx,1\n\x81,2\n")  # 0x81 is undefined in cp1252, a control character in Latin-1
    with pytest.raises(DataError) as caught:
        read_table(path, encoding="cp1252")
    assert str(caught.value) == (
        f"'{path}' is not cp1252 text (byte 0x81 on line 3); pass --encoding latin-1 (Python: encoding=\"latin-1\"); "
        f"{READ_ANYWAY}"
    )
    assert read_table(path, encoding="latin-1")["a"].tolist() == ["x", "\x81"]


@pytest.mark.parametrize("name", ["cp1525", "utf-9", "rot13"])
def test_an_unknown_encoding_is_a_config_error_naming_it(tmp_path: Path, name: str) -> None:
    path = write_cp1252(cp1252_table(5), tmp_path / "t.csv")
    with pytest.raises(
        ConfigError, match=rf"'{name}'; pass a text encoding Python knows, e\.g\. --encoding cp1252"
    ):
        read_table(path, encoding=name)
    with pytest.raises(ConfigError, match=f"'{name}'"):
        read_text_table(path, encoding=name)


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl"])
def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path, suffix: str) -> None:
    frame = pd.DataFrame({"région": ["Genève", "Zürich"], "n": [1, 2]})
    text = {
        ".csv": frame.to_csv(index=False),
        ".tsv": frame.to_csv(index=False, sep="\t"),
        ".jsonl": frame.to_json(orient="records", lines=True, force_ascii=False),
    }[suffix]
    path = tmp_path / f"bom{suffix}"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    for read in (read_table, read_text_table):
        table = read(path)
        assert list(table.columns) == ["région", "n"], read
        assert table["région"].tolist() == ["Genève", "Zürich"]


def test_text_ratings_and_corpus_readers_take_the_encoding(tmp_path: Path) -> None:
    texts = write_cp1252(
        pd.DataFrame({"avis": ["très bon café", "pas mal"], "note": [1, 0]}), tmp_path / "avis.csv"
    )
    with pytest.raises(
        DataError, match=re.escape(f"'{texts}' is not utf-8 text (byte 0xe8 on line 2); {FIX}")
    ):
        read_text_table(texts)
    assert read_text_table(texts, encoding="cp1252")["avis"].tolist() == ["très bon café", "pas mal"]
    with pytest.raises(DataError, match=re.escape("(byte 0xe8 on line 2)")):
        read_corpus(texts, text_col="avis")
    assert read_corpus(texts, text_col="avis", encoding="cp1252") == ["très bon café", "pas mal"]
    ratings = write_cp1252(
        pd.DataFrame(
            {"utilisateur": ["Zoé", "Léa", "Zoé"], "film": ["Amélie", "Léon", "Léon"], "rating": [5, 4, 3]}
        ),
        tmp_path / "notes.csv",
    )
    with pytest.raises(DataError, match="is not utf-8 text"):
        read_ratings(ratings)
    assert read_ratings(ratings, encoding="cp1252")["film"].tolist() == ["Amélie", "Léon", "Léon"]


# ------------------------------------------------------------------------------------------ Python API
def test_the_text_readers_take_one_pair_of_encoding_arguments(tmp_path: Path) -> None:
    # text_data took encoding= only, lm_data errors=, tagging_data encoding_errors= only: one pair now, named
    # as the command line's --encoding and --encoding-errors (and pandas' read_csv) name them.
    import inspect

    from trainwell.text import (
        LMPredictor,
        evaluate_language_model,
        evaluate_texts,
        lm_data,
        read_conll,
        read_text_files,
        tagging_data,
        text_data,
    )

    readers = [text_data, lm_data, tagging_data, read_corpus, read_text_files, read_conll, LMPredictor.score]
    for reader in [*readers, evaluate_language_model, evaluate_texts]:
        parameters = inspect.signature(reader).parameters
        assert {"encoding", "encoding_errors"} <= set(parameters) and "errors" not in parameters, reader
    folder = tmp_path / "reviews"
    for label, words in (("neg", "mauvais caf\xe9"), ("pos", "tr\xe8s bon caf\xe9")):
        (folder / label).mkdir(parents=True)
        for i in range(6):
            (folder / label / f"{i}.txt").write_bytes(f"{words} {i}".encode("cp1252"))
    with pytest.raises(DataError, match="is not utf-8 text"):
        text_data(folder)
    assert "café" in text_data(folder, encoding="cp1252", min_freq=1).recipe.vocab  # type: ignore[union-attr]
    replaced = text_data(folder, encoding_errors="replace", min_freq=1).recipe
    assert any("\ufffd" in token for token in replaced.vocab)  # type: ignore[union-attr]
    corpus = tmp_path / "corpus.txt"
    corpus.write_bytes("le caf\xe9 est chaud .\n".encode("cp1252") * 40)
    assert "café" in lm_data(corpus, encoding="cp1252", min_freq=1, batch_size=2).recipe.vocab.itos  # type: ignore[union-attr]
    replaced_lm = lm_data(corpus, encoding_errors="replace", min_freq=1, batch_size=2).recipe
    assert any("\ufffd" in token for token in replaced_lm.vocab.itos)  # type: ignore[union-attr]
    conll = tmp_path / "tagged.conll"
    conll.write_bytes("Le DT\ncaf\xe9 NN\n\nUn DT\nth\xe9 NN\n\n".encode("cp1252") * 5)
    with pytest.raises(DataError, match="is not utf-8 text"):
        tagging_data(conll)
    tagged = tagging_data(conll, encoding="cp1252", valid_pct=0)
    assert ["Le", "café"] in tagged.sentences["train"]  # type: ignore[index]
    replaced_words = tagging_data(conll, encoding_errors="replace", valid_pct=0).sentences["train"]  # type: ignore[index]
    assert ["Le", "caf\ufffd"] in replaced_words


def test_tabular_data_reads_a_cp1252_table_with_encoding(tmp_path: Path) -> None:
    path = write_cp1252(cp1252_table(), tmp_path / "clients.csv")
    with pytest.raises(DataError, match=re.escape(f"(byte 0xe9 on line 1); {FIX}")):
        tabular_data(path, "niveau")  # 'région' in the header row
    data = tabular_data(path, "niveau", encoding="cp1252")
    recipe = data.recipe
    assert isinstance(recipe, TabularRecipe)
    assert recipe.cat_names == ["région"] and recipe.cont_names == ["âge"]
    assert set(CITIES) <= set(recipe.categories["région"])
    assert set(data.task.classes) == {"bas", "élevé"}


# ------------------------------------------------------------------------------------------ command line
def test_fit_and_predict_a_cp1252_table_from_the_command_line(tmp_path: Path) -> None:
    train = write_cp1252(cp1252_table(), tmp_path / "clients.csv")
    model = tmp_path / "model"
    fit: list[str | Path] = [
        "fit",
        train,
        "--target",
        "niveau",
        "--out",
        model,
        "--epochs",
        "1",
        "--lr",
        "0.01",
    ]

    code, _, stderr = invoke(*fit)
    assert code == 2
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines == [f"error: '{train}' is not utf-8 text (byte 0xe9 on line 1); {FIX}"]
    assert not model.exists()

    code, stdout, stderr = invoke(*fit, "--encoding", "cp1252")
    assert code == 0, stdout + stderr
    assert (model / "trainwell.json").is_file()

    new_rows = write_cp1252(cp1252_table(12, seed=1).drop(columns="niveau"), tmp_path / "nouveaux.csv")
    code, _, stderr = invoke("predict", model, new_rows)
    assert code == 2 and "is not utf-8 text (byte 0xe9 on line 1)" in stderr
    code, stdout, stderr = invoke("predict", model, new_rows, "--encoding", "cp1252")
    assert code == 0, stdout + stderr
    predictions = pd.read_csv(io.StringIO(stdout))
    assert len(predictions) == 12
    assert set(predictions["prediction"]) <= {"bas", "élevé"}  # the accented labels come back decoded
    assert predictions["probability_élevé"].between(0, 1).all()
    # Past the bytes: read as 'r\ufffdgion' and '\ufffdge', the accented columns are not the model's
    code, _, stderr = invoke("predict", model, new_rows, "--encoding-errors", "replace")
    assert code == 2 and "input columns 'région', 'âge' missing from" in stderr, stderr


def test_fit_a_cp1252_text_classification_csv_from_the_command_line(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    good, bad = ["délicieux", "très", "réussi", "génial"], ["raté", "fade", "décevant", "sans intérêt"]
    rows = [
        (" ".join(rng.choice(good if i % 2 else bad, 3)) + " le café", "positif" if i % 2 else "négatif")
        for i in range(60)
    ]
    path = write_cp1252(pd.DataFrame(rows, columns=["avis", "opinion"]), tmp_path / "avis.csv")
    model = tmp_path / "textes"
    args: list[str | Path] = [
        "fit",
        path,
        "--text",
        "avis",
        "--target",
        "opinion",
        "--out",
        model,
        "--epochs",
        "1",
    ]

    code, _, stderr = invoke(*args)
    assert code == 2 and re.search(
        r"is not utf-8 text \(byte 0x\w\w on line 2\); pass --encoding cp1252", stderr
    )
    code, stdout, stderr = invoke(*args, "--encoding", "cp1252")
    assert code == 0, stdout + stderr
    code, stdout, stderr = invoke("predict", model, path, "--encoding", "cp1252")
    assert code == 0, stdout + stderr
    assert set(pd.read_csv(io.StringIO(stdout))["prediction"]) <= {"positif", "négatif"}


def test_an_unknown_encoding_on_the_command_line_is_one_error_line(tmp_path: Path) -> None:
    path = write_cp1252(cp1252_table(20), tmp_path / "t.csv")
    code, _, stderr = invoke(
        "fit", path, "--target", "niveau", "--out", tmp_path / "m", "--encoding", "cp1525"
    )
    assert code == 2
    assert [line for line in stderr.splitlines() if line.strip()] == [
        "error: unknown encoding 'cp1525'; pass a text encoding Python knows, e.g. --encoding cp1252 "
        '(Windows/Excel), latin-1 or utf-8 (Python: encoding="cp1252")'
    ]


def test_every_table_reading_command_offers_encoding() -> None:
    for command in ("fit", "predict", "evaluate", "report", "export", "tune", "lr-find"):
        code, stdout, _ = invoke(command, "--help")
        assert code == 0
        assert "--encoding" in stdout and "cp1252" in stdout, command


def test_encoding_errors_replace_reads_a_latin1_corpus_the_strict_default_refuses(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.txt"
    corpus.write_bytes("le café est chaud .\n".encode("latin-1") * 200)
    lm = ["fit", corpus, "--task", "language_model", "--epochs", "1", "--out", tmp_path / "lm"]
    code, _, err = invoke(*lm)
    assert (
        code == 2 and "is not utf-8 text (byte 0xe9 on line 1)" in err and "--encoding-errors replace" in err
    )
    assert "--encoding cp1252" in err
    code, _, err = invoke(*lm, "--encoding-errors", "replace")
    assert code == 0, err
    # Read in its own encoding, the accents survive: "café" is a word of the vocabulary, not "caf\ufffd".
    code, _, err = invoke(*lm[:-1], tmp_path / "lm_latin", "--encoding", "latin-1")
    assert code == 0, err
    assert "café" in trainwell.load(tmp_path / "lm_latin").recipe.vocab.itos
    assert (tmp_path / "lm" / "trainwell.json").exists()


def test_encoding_errors_replace_reads_tables_the_strict_default_refuses(tmp_path: Path) -> None:
    path = write_cp1252(cp1252_table(40), tmp_path / "clients.csv")
    assert read_table(path, encoding_errors="replace").columns.tolist() == [
        "r\ufffdgion",
        "\ufffdge",
        "niveau",
    ]
    data = tabular_data(path, "niveau", encoding_errors="replace")
    assert "Gen\ufffdve" in data.recipe.categories["r\ufffdgion"]  # type: ignore[attr-defined]
    ratings = tmp_path / "notes.csv"
    ratings.write_bytes("utilisateur,film,note\n1,Am\xe9lie,5\n2,Am\xe9lie,4\n".encode("latin-1"))
    assert read_ratings(ratings, encoding_errors="replace")["film"].tolist() == ["Am\ufffdlie"] * 2
    # The command line's tables and ratings read it: past the bytes, the next mistake (a column) is the one told
    code, _, err = invoke(
        "fit", path, "--target", "nope", "--out", tmp_path / "m", "--encoding-errors", "replace"
    )
    assert code == 2 and "target column 'nope' not found" in err and "r\ufffdgion" in err, err
    code, _, err = invoke(
        "fit",
        ratings,
        "--user",
        "nope",
        "--item",
        "film",
        "--out",
        tmp_path / "m",
        "--encoding-errors",
        "replace",
    )
    assert code == 2 and "'nope' not found" in err and "is not utf-8" not in err, err


def test_encoding_errors_reaches_a_table_of_texts(tmp_path: Path) -> None:
    # The text reader reads the table with the replacement: the accented header is then 'r\ufffdgion', so the
    # column asked for is named as missing beside the columns read (it was refused before the text reader took
    # encoding_errors).
    path = write_cp1252(cp1252_table(20), tmp_path / "avis.csv")
    code, _, err = invoke(
        "fit", path, "--text", "r\u00e9gion", "--target", "niveau", "--out", tmp_path / "m", "--encoding-errors",
        "replace",
    )  # fmt: skip
    assert code == 2 and "r\ufffdgion" in err and "is not utf-8" not in err, err
    assert not (tmp_path / "m").exists()


def test_the_advice_follows_the_bytes(tmp_path: Path) -> None:
    utf8 = tmp_path / "u8.csv"
    utf8.write_bytes("city,n\nCafé\x9d,1\n".encode())  # 'Café' then U+009D: UTF-8 that cp1252 cannot read
    with pytest.raises(DataError, match="the file is UTF-8 text: drop --encoding"):
        read_table(utf8, encoding="cp1252")
    quotes = tmp_path / "quotes.csv"
    quotes.write_bytes("city,n\n“Café”,1\n".encode("cp1252"))  # 0x93/0x94: Latin-1 would misread them
    with pytest.raises(DataError) as caught:
        read_table(quotes)
    assert str(caught.value).endswith(
        f'pass --encoding cp1252 (Windows/Excel; Python: encoding="cp1252"); {READ_ANYWAY}'
    )
    accents = tmp_path / "accents.csv"
    accents.write_bytes("city,n\nCafé,1\n".encode("latin-1"))  # no 0x80-0x9F byte: both read it alike
    with pytest.raises(DataError, match="cp1252 \\(Windows/Excel\\) or --encoding latin-1"):
        read_table(accents)


def test_utf8_read_as_cp1252_warns_that_accents_come_out_wrong(tmp_path: Path) -> None:
    utf8 = tmp_path / "u8.csv"
    utf8.write_text("city,n\nCafé,1\n", encoding="utf-8")
    with pytest.warns(UserWarning, match="is UTF-8 text with accents or symbols, read here as cp1252"):
        assert read_table(utf8, encoding="cp1252")["city"].tolist() == ["CafÃ©"]


def test_utf16_reads_with_its_encoding_and_bad_error_handlers_are_one_line(tmp_path: Path) -> None:
    table = tmp_path / "u16.csv"
    table.write_text("city,n\nZürich,1\n", encoding="utf-16-le")  # no byte-order mark: one is read as it says
    with pytest.raises(DataError, match="UTF-16 text \\(then pass --encoding utf-16\\)"):
        read_table(table)
    assert read_table(table, encoding="utf-16-le")["city"].tolist() == ["Zürich"]
    code, _, err = invoke("fit", table, "--target", "n", "--encoding-errors", "bogus")
    assert code == 2 and "--encoding-errors must be 'strict' or 'replace', got 'bogus'" in err
