"""Usage mistakes (caught by the argument parser, before trainwell code runs) are one line and exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import run_cli

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("fit", "data.csv"), "error: data file 'data.csv' not found; check the path"),  # before --target
        (
            ("fit", "data.csv", "--target", "y", "--epochs", "abc"),
            "error: --epochs 'abc' is not a number; write e.g. 10",
        ),
        (("frobnicate",), "error: No such command 'frobnicate'."),
        (("evaluate", "data.csv", "--target", "y", "--seed", "-1"), "error: Invalid value for '--seed'"),
        (("recommend", "model", "3", "--top", "0"), "error: Invalid value for '--top'"),
        (  # a glob that caught train.csv and test.csv: where each of them goes
            ("fit", "test.csv", "train.csv", "--target", "y"),
            "error: Got unexpected extra argument(s) (train.csv): trainwell fit reads one data source (a file or a "
            "folder); a labelled test set goes in --test FILE, and rows to answer go to trainwell predict",
        ),
        (  # a Keras user's evaluate(model, data)
            ("evaluate", "model", "test.csv"),
            "error: Got unexpected extra argument(s) (test.csv): trainwell evaluate reads one data source, on which "
            "it cross-validates a new model; to score a fitted model on labelled data: trainwell report MODEL_DIR",
        ),
        (
            ("fit", "data.csv", "--target", "y", "--target", "z"),
            "error: --target was given twice ('y' and 'z') but takes a single value: give --target once (see '",
        ),
    ],
)
def test_usage_errors_are_one_line(args: tuple[str, ...], expected: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2, result.explain()
    assert len(result.stderr_lines) == 1, result.explain()
    assert result.stderr_lines[0].startswith(expected)
    assert "Traceback" not in result.stderr


def test_command_summaries_flow_in_the_command_list() -> None:
    # typer's rich help keeps a docstring's line breaks: 'trainwell --help' cut fit's summary mid-sentence.
    from trainwell.cli.app import app

    for command in app.registered_commands:
        paragraphs = (command.help or "").split("\n\n")
        assert paragraphs[0] and not any("\n" in paragraph for paragraph in paragraphs), command.name


def test_a_text_table_without_a_header_row_is_told_to_name_its_columns(tmp_path: Path) -> None:
    # GoEmotions' TSVs have no header: its first review, a label and an ID were listed as the columns.
    from trainwell.cli._common import missing_target

    rows = [
        ("My favourite food is anything I didn't have to cook myself.", "27", "eebbqej"),
        ("Ok then", "4", "x"),
    ]
    headerless = tmp_path / "train.tsv"
    headerless.write_text("".join("\t".join(row) + "\n" for row in rows), encoding="utf-8")
    said = str(missing_target(headerless, "utf-8"))
    assert "a number or a sentence where a column name goes says the file may have none" in said
    assert said.endswith(
        "if so, name its columns with --names, e.g. --names col1,col2,col3, and pass --target NAME"
    )
    named = str(missing_target(headerless, "utf-8", names=["text", "labels", "id"]))
    assert named.endswith("e.g. --target label; columns are: text, labels, id")
    with_header = tmp_path / "named.tsv"
    with_header.write_text(
        "text\tlabel\tid\n" + "".join("\t".join(row) + "\n" for row in rows), encoding="utf-8"
    )
    assert str(missing_target(with_header, "utf-8")).endswith(
        "e.g. --target label; columns are: text, label, id"
    )


def test_archives_workbooks_and_idx_arrays_say_how_to_get_at_the_data(tmp_path: Path) -> None:
    # MovieLens' ml-100k.tgz read as a CSV: "it holds NUL bytes ... pass --encoding utf-16".
    import gzip
    import tarfile
    import zipfile

    import pytest

    from trainwell.cli._common import missing_target
    from trainwell.cli._fit_data import is_image_source
    from trainwell.core.errors import DataError
    from trainwell.data.io import read_table

    table = tmp_path / "u.csv"
    table.write_text("user,item,rating\n1,2,3\n", encoding="utf-8")
    tgz = tmp_path / "ml-100k.tgz"
    with tarfile.open(tgz, "w:gz") as archive:
        archive.add(table, arcname="ml-100k/u.csv")
    with pytest.raises(  # a folder inside: which file to read, unpacked where
        DataError,
        match=r"'.*ml-100k.tgz' is an archive of u.csv, unpacked into '.*ml-100k': pass the file to read, "
        r"e.g. '.*ml-100k/u.csv'$",
    ):
        read_table(tgz, encoding="utf-8")
    zipped = tmp_path / "data.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.write(table, arcname="u.csv")
    assert read_table(zipped).to_dict("list") == {"user": [1], "item": [2], "rating": [3]}  # its one table
    (tmp_path / "book.xlsx").write_bytes(
        zipped.read_bytes()
    )  # a zip, not a workbook: openpyxl's error, one line
    with pytest.raises(
        DataError, match=r"could not read '.*book.xlsx' as an Excel workbook: .*; check the file"
    ):
        read_table(tmp_path / "book.xlsx")
    (tmp_path / "book.ods").write_bytes(zipped.read_bytes())  # a zip, not a spreadsheet: the reader's error
    with pytest.raises(
        DataError, match=r"could not read '.*book.ods' as an Excel workbook: .*; check the file"
    ):
        read_table(tmp_path / "book.ods")
    not_a_tar = tmp_path / "rows.tar.gz"  # named like an archive, not one: the reader's own error, one line
    not_a_tar.write_bytes(gzip.compress(table.read_bytes()))
    with pytest.raises(DataError, match=r"could not read '.*rows.tar.gz' as CSV: "):
        read_table(not_a_tar)
    mnist = tmp_path / "mnist"
    mnist.mkdir()
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        (mnist / name).write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x00"))
    assert is_image_source(mnist, None)  # read as images (tests/vision/test_vision_idx.py)
    assert f"pass the folder holding it with its labels file, trainwell fit {mnist}" in str(
        missing_target(mnist / "train-images-idx3-ubyte.gz", "utf-8")
    )


def test_gzipped_text_files_count_as_text_files(tmp_path: Path) -> None:
    # Tiny Shakespeare's folder (input.txt.gz) was "a folder without images" with no word of texts.
    import gzip

    import pytest

    from trainwell.cli._fit_data import holds_text_classes, is_image_source
    from trainwell.core.errors import DataError

    corpus = tmp_path / "shakespeare"
    corpus.mkdir()
    (corpus / "input.txt.gz").write_bytes(gzip.compress(b"First Citizen: Before we proceed any further\n"))
    with pytest.raises(DataError, match=r"it holds \.txt files: for a language model on them pass --task"):
        is_image_source(corpus, None)
    reviews = tmp_path / "reviews"
    for label in ("pos", "neg"):
        (reviews / label).mkdir(parents=True)
        (reviews / label / "1.txt.gz").write_bytes(gzip.compress(f"a {label} review".encode()))
    assert holds_text_classes(reviews)


def test_a_folder_of_neither_images_nor_texts_lists_what_it_holds(tmp_path: Path) -> None:
    # The error named no file of the folder, so the reader could not see why it was not data (rt-polarity's one
    # file of sentences per class was such a folder: now read as texts, tests/cli/test_cli_class_files.py).
    import pytest

    from trainwell.cli._fit_data import is_image_source
    from trainwell.core.errors import DataError

    folder = tmp_path / "arrays"
    folder.mkdir()
    for name in ("features.npy", "labels.npy"):
        (folder / name).write_bytes(b"\x93NUMPY\x01\x00")
    with pytest.raises(DataError) as refused:
        is_image_source(folder, None)
    assert str(refused.value) == (
        f"'{folder}' is a folder without images (it holds features.npy, labels.npy); pass a table "
        "file (for texts, one with a text and a label column: --text, --target), or a folder of <label>/*.jpg "
        "images or <label>/*.txt texts"
    )


def test_a_folder_of_tables_names_the_table_to_pass(tmp_path: Path) -> None:
    # `trainwell fit ../shared/data/goemotions` (train/dev/test TSVs and an emotions.txt) said the folder holds .txt
    # files and pointed to a language model.
    import pytest

    from trainwell.cli._fit_data import is_image_source
    from trainwell.core.errors import DataError

    folder = tmp_path / "goemotions"
    folder.mkdir()
    for name in ("train.tsv.gz", "dev.tsv.gz", "emotions.txt"):
        (folder / name).write_bytes(b"")
    with pytest.raises(DataError) as refused:
        is_image_source(folder, None)
    assert str(refused.value) == (
        f"'{folder}' is a folder of tables (dev.tsv.gz, train.tsv.gz), not of images: pass one table file, e.g. "
        f"trainwell fit {folder / 'train.tsv.gz'} --target COLUMN (a labelled test table goes in --test)"
    )
    sst2 = tmp_path / "sst2"  # a header row: its columns are named; a test table: its --test is written out
    sst2.mkdir()
    for name in ("train.tsv", "test.tsv"):
        (sst2 / name).write_text("sentence\tlabel\na fine film\t1\n")
    with pytest.raises(
        DataError, match=r"--target COLUMN \(its columns: sentence, label; --test .*test.tsv scores"
    ):
        is_image_source(sst2, None)
    (sst2 / "train.tsv").write_text("a fine film\t1\n")  # no header row: --names
    with pytest.raises(DataError, match=r"\(it has no header row: name its 2 columns with --names; --test "):
        is_image_source(sst2, None)
    with pytest.raises(
        DataError,
        match=r"trainwell evaluate .*train.tsv --target COLUMN \(it has no header row: name its 2 columns with --names\)$",
    ):
        is_image_source(sst2, None, "evaluate")  # evaluate takes no --test for tables
    hub = (
        tmp_path / "plain_text"
    )  # a Hugging Face dataset's shards: one of them is a part of the training rows
    hub.mkdir()
    import pandas as pd

    for name in (
        "train-00000-of-00002.parquet",
        "train-00001-of-00002.parquet",
        "test-00000-of-00001.parquet",
    ):
        pd.DataFrame({"text": ["a fine film"], "label": [1]}).to_parquet(hub / name)
    with pytest.raises(DataError) as refused:
        is_image_source(hub, None)
    said = str(refused.value)
    assert (
        "(it is one of the 2 shards of the training rows (train-00000-of-00002.parquet to train-00001-of-00002.parquet) "
        'and trainwell reads one table: join them first, e.g. python -c "import glob, pandas as pd; pd.concat('
        f"pd.read_parquet(f) for f in sorted(glob.glob('{hub}/train-*.parquet'))).to_parquet('train.parquet')\"; "
        f"its columns: text, label; --test {hub / 'test-00000-of-00001.parquet'} scores a labelled test table)"
    ) in said
    # UCI's adult.data and adult.test beside adult.names: "a folder without images"
    adult = tmp_path / "adult"
    adult.mkdir()
    for name in ("adult.data", "adult.test"):
        (adult / name).write_text("39, State-gov, 77516, <=50K\n")
    (adult / "adult.names").write_text("age: continuous.\n")
    with pytest.raises(DataError) as refused:
        is_image_source(adult, None)
    assert str(refused.value) == (
        f"'{adult}' is a folder of tables (adult.data, adult.test), not of images: pass one table file, e.g. "
        f"trainwell fit {adult / 'adult.data'} --target COLUMN (it has no header row: name its 4 columns with "
        f"--names; --test {adult / 'adult.test'} scores a labelled test table)"
    )


def test_a_folder_holding_headerless_ratings_names_the_file_and_the_options(tmp_path: Path) -> None:
    # MovieLens' ml-100k/ (u.data beside u.item, u.user, README): "a folder without images (it holds README...)".
    folder = tmp_path / "ml-100k"
    folder.mkdir()
    (folder / "README").write_text("SUMMARY & USAGE LICENSE\n")
    (folder / "u.item").write_text("1|Toy Story (1995)|01-Jan-1995\n")
    (folder / "u.data").write_text(
        "".join(f"{u}\t{i}\t{1 + (u * i) % 5}\t88125094{u}\n" for u in range(1, 31) for i in range(1, 11))
    )
    # With a target the file lacks: the file and the options that read it.
    fitted = run_cli("fit", folder, "--target", "stars")
    assert fitted.returncode == 2 and len(fitted.stderr_lines) == 1, fitted.explain()
    assert fitted.stderr_lines[0] == (
        f"error: '{folder}' is a folder without images; its u.data looks like ratings without a header row (user, "
        f"item, rating[, timestamp]): trainwell fit {folder / 'u.data'} --user user --item item --target rating"
    )
    # With none: read so, and said.
    fitted = run_cli("fit", folder, "--epochs", "2", "--out", tmp_path / "model")
    assert fitted.returncode == 0, fitted.explain()
    assert (
        f"'{folder}': u.data holds ratings without a header row (user, item, rating[, timestamp]): fit reads it as "
        f"trainwell fit {folder / 'u.data'} --user user --item item --target rating"
    ) in " ".join(fitted.stderr.split())
    evaluated = run_cli("evaluate", folder, "--cv", "2", "--epochs", "1")  # it went to the image reader once
    assert evaluated.returncode == 0, evaluated.explain()
    assert f"evaluate reads it as trainwell evaluate {folder / 'u.data'} --user user" in " ".join(
        evaluated.stderr.split()
    )
    # --implicit: the rows as interactions (refused as "drop --target rating", a target the route itself added).
    implicit = run_cli("fit", folder, "--implicit", "--epochs", "1", "--out", tmp_path / "interactions")
    assert implicit.returncode == 0, implicit.explain()
    assert (
        f"fit reads it as trainwell fit {folder / 'u.data'} --user user --item item --implicit"
        in " ".join(implicit.stderr.split())
    )
