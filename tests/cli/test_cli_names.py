"""--names: tables, texts and ratings in files without a header row (UCI's adult.data, GoEmotions' TSVs), named
on the command line: fit, evaluate, tune, lr-find and predict read them, and a --test file alike."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from cli_support import EPOCHS, binary_table, run_cli, run_cli_many

import trainwell
from text_samples import reviews
from trainwell.core.errors import ConfigError, DataError
from trainwell.data.io import read_table
from trainwell.tabular import tabular_data

NAMES = "x1,x2,color,size,y"
#: The fits that are to succeed: a learning rate given, so no learning-rate finder runs and no lr_find.png is drawn
#: (the sweep and its plot were about half of a two-epoch fit's time); no test here reads either.
QUICK = [*EPOCHS, "--lr", "0.01"]


def _headerless(frame: pd.DataFrame, path: Path, *, preamble: str = "") -> Path:
    """``frame`` written without its header row (and with a ``preamble`` line first, as UCI's adult.test has)."""
    path.write_text(preamble + frame.to_csv(index=False, header=False), encoding="utf-8")
    return path


def test_a_headerless_table_is_fitted_tested_and_predicted_with_names(tmp_path: Path) -> None:
    # `trainwell fit adult.data.gz` listed a row of data as the columns; a shell line adding a header was the way.
    train = _headerless(binary_table(0), tmp_path / "train.data")
    test = _headerless(binary_table(1, 100), tmp_path / "test.data", preamble="|1x3 Cross validator\n")
    rows = _headerless(binary_table(2, 100).head(20).drop(columns="y"), tmp_path / "rows.data")
    out = tmp_path / "m"
    told = run_cli("fit", train, "--out", out)
    assert told.returncode == 2, told.explain()
    assert "name its columns with --names, e.g. --names col1,col2,col3,col4,col5, and pass --target NAME" in (
        told.stderr
    )
    fitted = run_cli("fit", train, "--names", NAMES, "--target", "y", "--test", test, "--out", out, *QUICK)
    assert fitted.returncode == 0, fitted.explain()
    assert "test set (100 rows)" in fitted.stdout
    assert (
        f"'{test}': 1 line(s) before its first row of data left out, as they hold no ',' between columns (the "
        "first: '|1x3 Cross validator')" in fitted.stderr
    )
    assert trainwell.load(out).metadata["training"]["test"]["accuracy"] > 0.6

    headed = tmp_path / "headed.csv"  # a model fitted on a file with a header row knows no names to read with
    binary_table(0).to_csv(headed, index=False)
    predicted, unnamed, evaluated, reported, exported, fitted_headed, tuned = run_cli_many(
        [
            ("predict", out, rows, "--names", "x1,x2,color,size"),
            ("predict", out, rows),  # the fit's names kept in the model: the inputs' without the target
            ("evaluate", train, "--names", NAMES, "--target", "y", "--cv", "2", "--arch", "gbdt"),
            ("report", out, "--data", test, "--out", tmp_path / "report.html"),  # all the fit's names
            ("export", out, "--data", test, "--names", NAMES),
            ("fit", headed, "--target", "y", "--out", tmp_path / "headed", "--arch", "gbdt"),
            ("tune", train, "--names", NAMES, "--target", "y", "--trials", "2", "--arch", "gbdt", "--out",
             tmp_path / "tuned"),
        ]
    )  # fmt: skip
    assert tuned.returncode == 0, tuned.explain()
    assert trainwell.load(tmp_path / "tuned").metadata["training"]["header_names"] == NAMES.split(",")
    assert trainwell.load(out).metadata["training"]["header_names"] == NAMES.split(",")
    shown = run_cli("info", out)
    assert f"--names {NAMES} (predict, report and export read files like it so)" in " ".join(
        shown.stdout.split()
    )
    assert reported.returncode == 0 and (tmp_path / "report.html").exists(), reported.explain()
    assert f"'{test}' has no header row: its columns read as the training file's were (--names {NAMES})" in (
        reported.stderr
    )
    assert exported.returncode == 0 and "onnxruntime matches PyTorch on 100 rows" in exported.stdout, (
        exported.explain()
    )
    assert predicted.returncode == 0, predicted.explain()
    assert (
        predicted.stdout.splitlines()[0] == "prediction,probability_yes"
        and len(predicted.stdout.splitlines()) == 21
    )
    assert unnamed.returncode == 0 and unnamed.stdout == predicted.stdout, unnamed.explain()
    assert "its columns read as the training file's were (--names x1,x2,color,size)" in unnamed.stderr
    assert evaluated.returncode == 0, evaluated.explain()
    assert "2-fold cross-validation" in evaluated.stdout
    assert fitted_headed.returncode == 0, fitted_headed.explain()
    told_names = run_cli("predict", tmp_path / "headed", rows)
    assert told_names.returncode == 2 and len(told_names.stderr_lines) == 1, told_names.explain()
    assert (
        "Add the columns, or, as its first row looks like data, not column names: if the file has no header row, "
        "name its columns with --names, in order" in told_names.stderr
    )


def test_headerless_texts_are_named_and_mistaken_names_refused(tmp_path: Path) -> None:
    # GoEmotions' train.tsv: text, labels, id, no header.
    frame = reviews(200)[["review", "sentiment"]].assign(id=[f"e{i}" for i in range(200)])
    texts = tmp_path / "train.tsv"
    texts.write_text(frame.to_csv(sep="\t", index=False, header=False), encoding="utf-8")
    fitted, counted, swept, images = run_cli_many(
        [
            ("fit", texts, "--names", "text,labels,id", "--text", "text", "--target", "labels", "--out",
             tmp_path / "m", *QUICK),
            ("fit", texts, "--names", "text,labels", "--text", "text", "--target", "labels", "--out", tmp_path / "x"),
            ("lr-find", texts, "--names", "text,labels,id", "--text", "text", "--target", "labels", "--out",
             tmp_path / "lr.png"),
            ("fit", tmp_path / "photos", "--names", "a,b", "--out", tmp_path / "y"),
        ]
    )  # fmt: skip
    assert fitted.returncode == 0, fitted.explain()
    assert trainwell.load(tmp_path / "m").task.classes == ("neg", "pos")
    lines = tmp_path / "new.txt"  # one text a line, commas and all: not a table of the fit's names
    lines.write_text(
        "the story was long, and the acting was wonderful in every scene\nawful\n", encoding="utf-8"
    )
    held = tmp_path / "held.tsv"  # a file like the fit's: read with its names, no --names needed
    held.write_text(frame.head(5).to_csv(sep="\t", index=False, header=False), encoding="utf-8")
    as_lines, as_table = run_cli_many([("predict", tmp_path / "m", lines), ("predict", tmp_path / "m", held)])
    assert as_lines.returncode == 0 and as_lines.stdout.splitlines()[0].startswith("line,prediction"), (
        as_lines.explain()
    )
    assert len(as_lines.stdout.splitlines()) == 3 and "no header row" not in as_lines.stderr
    assert as_table.returncode == 0 and len(as_table.stdout.splitlines()) == 6, as_table.explain()
    assert "its columns read as the training file's were (--names text,labels,id)" in as_table.stderr
    assert counted.returncode == 2 and len(counted.stderr_lines) == 1, counted.explain()
    assert f"'{texts}' has 3 columns a row (its line " in counted.stderr
    assert "--names (Python: names=) gives 2: name every column, in order" in counted.stderr
    assert swept.returncode == 0 and "suggested learning rate" in swept.stdout, swept.explain()
    assert images.returncode != 0  # no such folder: said by the data check, before --names is looked at


def test_read_table_and_the_python_api_take_names(tmp_path: Path) -> None:
    headed = tmp_path / "headed.csv"
    headed.write_text("a,b\n1,2\n3,4\n", encoding="utf-8")
    with pytest.raises(
        DataError, match=r"starts with a header row naming these very columns; --names .* drop it"
    ):
        read_table(headed, names=["a", "b"])
    with pytest.raises(ConfigError, match=r"--names \(Python: names=\) repeats 'a'"):
        read_table(headed, names=["a", "a"])
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"a": 1}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"is JSON, whose rows name their own fields"):
        read_table(rows, names=["a"])

    gaps = tmp_path / "gaps.tsv"  # a first row with an empty first field still has 3 fields
    gaps.write_text("\tb\t1\nx\ty\t2\n", encoding="utf-8")
    read = read_table(gaps, names=["p", "q", "r"])
    assert read["p"].isna().tolist() == [True, False] and read["r"].tolist() == [1, 2]
    from trainwell.text.table import read_text_table

    noted = tmp_path / "noted.tsv"  # texts read as written, a preamble line left out as for tables
    noted.write_text("# reviews\na fine film\tpos\n", encoding="utf-8")
    with pytest.warns(UserWarning, match=r"1 line\(s\) before its first row of data left out"):
        texts = read_text_table(noted, names=["text", "label"])
    assert texts.to_dict("list") == {"text": ["a fine film"], "label": ["pos"]}

    train = _headerless(binary_table(0), tmp_path / "train.data")
    data = tabular_data(train, "y", names=NAMES.split(","), valid_pct=0.25)
    assert data.task.classes == ("no", "yes")
    assert sorted(data.recipe.columns) == ["color", "size", "x1", "x2"]  # type: ignore[union-attr]


def test_a_language_model_reads_the_text_column_of_a_headerless_gzipped_table(tmp_path: Path) -> None:
    # GoEmotions' train.tsv.gz as the corpus: the .gz table was read as lines, the label and id columns and all;
    # and --names was refused for a language model.
    import gzip

    frame = reviews(120)[["review", "sentiment"]].assign(id=[f"e{i}" for i in range(120)])
    corpus = tmp_path / "train.tsv.gz"
    corpus.write_bytes(gzip.compress(frame.to_csv(sep="\t", index=False, header=False).encode()))
    held = tmp_path / "held.tsv"  # like the fit's file: read with its names, no --names needed
    held.write_text(frame.head(4).to_csv(sep="\t", index=False, header=False), encoding="utf-8")
    model = tmp_path / "lm"
    lm = ("--task", "language_model", "--text", "review", "--epochs", "1")
    fitted = run_cli("fit", corpus, *lm, "--names", "review,sentiment,id", "--out", model)
    assert fitted.returncode == 0, fitted.explain()
    assert "--names review,sentiment,id" in run_cli("info", model).stdout
    vocab = set(trainwell.load(model).recipe.vocab.itos)  # type: ignore[attr-defined]
    assert "e7" not in vocab and "\t" not in "".join(vocab)  # the id column was not read as text
    fasttext = tmp_path / "labelled.txt"  # fastText's format: the texts are scored, not their labels
    fasttext.write_text("__label__pos a wonderful film\n__label__neg a dull film\n", encoding="utf-8")
    plain = tmp_path / "plain.txt"
    plain.write_text("a wonderful film\na dull film\n", encoding="utf-8")
    scored, exported, reported, evaluated, lines, labelled, unlabelled = run_cli_many(
        [
            ("predict", model, held),
            ("export", model, "--data", held),
            ("report", model, "--data", held),
            ("evaluate", corpus, *lm, "--names", "review,sentiment,id", "--no-baselines"),
            ("predict", model, "-", "--names", "a,b"),
            ("predict", model, fasttext),
            ("predict", model, plain),
        ]
    )
    assert scored.returncode == 0 and scored.stdout.splitlines()[0].startswith("row,tokens"), scored.explain()
    assert len(scored.stdout.splitlines()) == 5 and "(--names review,sentiment,id)" in scored.stderr
    assert exported.returncode == 0 and "onnxruntime matches PyTorch" in exported.stdout, exported.explain()
    assert reported.returncode == 0, reported.explain()
    assert evaluated.returncode == 0 and "of the last 12 texts of 120 in" in " ".join(
        evaluated.stdout.split()
    ), evaluated.explain()
    assert lines.returncode == 2 and "standard input is read one text a line: drop it" in lines.stderr
    # Each text by the line it is on, as a text file's: the same lines, the same scores as the texts alone
    assert labelled.returncode == 0 and labelled.stdout.splitlines()[0].startswith("line,tokens"), (
        labelled.explain()
    )
    assert labelled.stdout.splitlines() == unlabelled.stdout.splitlines()


#: UCI's description of a headerless table in C4.5's format: comments after '|', the class values, one
#: ``name: type.`` a column (a long list of values wrapped after its commas).
C45_NAMES = """| Made-up data, described as UCI describes adult.data.
| The class is whether y holds.

yes, no.        | the classes

x1: continuous.
x2: continuous.
color: red, green,
       blue.
size: S, M, L.
"""


def test_a_c45_names_file_beside_a_headerless_table_names_its_columns_and_the_class(tmp_path: Path) -> None:
    # `trainwell fit adult.data --test adult.test` needed every column named by hand (--names age,workclass,...)
    # and --target, though adult.names beside it declares them; then the test file's '>50K.' labels stopped it.
    uci = tmp_path / "uci"
    uci.mkdir()
    (uci / "made.names").write_text(C45_NAMES, encoding="utf-8")
    train = _headerless(binary_table(0), uci / "made.data")
    labelled = binary_table(1, 100)
    test = _headerless(
        labelled.assign(y=labelled["y"] + "."), uci / "made.test", preamble="|1x3 Cross validator\n"
    )
    rows = _headerless(binary_table(2, 100).head(20).drop(columns="y"), tmp_path / "rows.data")
    out = tmp_path / "m"
    fitted = run_cli("fit", train, "--test", test, "--out", out, *QUICK)
    assert fitted.returncode == 0, fitted.explain()
    said = " ".join(fitted.stderr.split())
    assert f"--target class: the class '{uci / 'made.names'}' declares for '{train}'" in said
    assert (
        f"'{train}' has no header row: its columns are named from '{uci / 'made.names'}' (C4.5 format), the class "
        "'class': yes, no; pass --names (Python: names=) to name them otherwise" in said
    )
    assert "were read as them: 'no.' as 'no', 'yes.' as 'yes'" in said
    assert "test set (100 rows)" in fitted.stdout
    model = trainwell.load(out)
    assert model.metadata["training"]["header_names"] == ["x1", "x2", "color", "size", "class"]
    assert model.metadata["training"]["test"]["accuracy"] > 0.6
    predicted, evaluated, folder, reported = run_cli_many(
        [
            ("predict", out, rows),
            ("evaluate", train, "--folds", "2", "--arch", "gbdt", "--no-baselines"),
            (
                "fit",
                uci,
                "--out",
                tmp_path / "mf",
                *QUICK,
            ),  # the folder alone: made.data, made.test, made.names
            # its test split read with the model's names (it had been refused as lacking the column 'class')
            ("report", out, "--data", uci, "--out", tmp_path / "report.html"),
        ]
    )
    assert reported.returncode == 0, reported.explain()
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Test metrics" in html and f"(the test split of {uci})" in html
    assert folder.returncode == 0 and "test set (100 rows)" in folder.stdout, folder.explain()
    assert (
        f"'{uci}': a dataset in splits: training rows from made.data; test rows from made.test"
        in folder.stderr
    )
    assert predicted.returncode == 0 and len(predicted.stdout.splitlines()) == 21, predicted.explain()
    assert evaluated.returncode == 0 and "2-fold cross-validation" in evaluated.stdout, evaluated.explain()
    with pytest.warns(UserWarning, match="has no header row: its columns are named from"):
        frame = read_table(train)  # Python reads it named too, and tabular_data keeps the names for predict
        data = tabular_data(train, "class")
    assert list(frame.columns) == ["x1", "x2", "color", "size", "class"]
    assert data.train.header_names == list(frame.columns)


def test_a_headerless_row_holding_a_columns_name_as_a_value_is_still_data(tmp_path: Path) -> None:
    # A column of x and y beside a target named y: predict read the first row '0.84<TAB>y' as a header (it named
    # a column) and refused the file for lacking the inputs, instead of reading it with the training file's names.
    rows = [(round(i / 100, 2), "xy"[i % 2], int(i > 50)) for i in range(100)]
    (tmp_path / "train.tsv").write_text("".join(f"{a}\t{b}\t{y}\n" for a, b, y in rows))
    (tmp_path / "new.tsv").write_text("".join(f"{a}\t{b}\n" for a, b, _ in rows[:5]))
    (tmp_path / "named.tsv").write_text("a\tb\n0.5\ty\n")
    fitted = run_cli("fit", tmp_path / "train.tsv", "--names", "a,b,y", "--target", "y", "--arch", "gbdt",
                     "--out", tmp_path / "m")  # fmt: skip
    assert fitted.returncode == 0, fitted.explain()
    headerless, headed = run_cli_many(
        [
            ("predict", tmp_path / "m", tmp_path / "new.tsv"),
            ("predict", tmp_path / "m", tmp_path / "named.tsv"),
        ]
    )
    assert headerless.returncode == 0, headerless.explain()
    assert (
        "has no header row: its columns read as the training file's were (--names a,b)" in headerless.stderr
    )
    assert len(headerless.stdout.splitlines()) == 6
    assert headed.returncode == 0 and len(headed.stdout.splitlines()) == 2, headed.explain()
