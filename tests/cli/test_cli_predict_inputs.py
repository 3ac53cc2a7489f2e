"""``trainwell predict`` on the inputs people have: standard input for every kind of model, text that is not
UTF-8 (an error that says how to read it, and the options that do), a recommender's file without a header row,
and an ``--out`` that is a folder. In process (CliRunner), on tiny models."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from cli_support import binary_table
from typer.testing import CliRunner

import trainwell
from ratings_support import low_rank_ratings
from tagging_samples import pos_sentences, write_conll_file
from text_samples import reviews, stories
from trainwell.cli.app import app
from trainwell.data.io import read_table

LATIN1_TEXT = "the movie was great \xe9t\xe9\n".encode("latin-1")


def _run(*args: str | Path, stdin: bytes | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(arg) for arg in args], input=stdin, env={"COLUMNS": "200"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("predict_inputs")
    made = {name: root / name for name in ("table", "texts", "tagger", "lm", "ratings")}
    trainwell.fit_table(binary_table(n_rows=300), "y", out=made["table"], epochs=1, lr=0.01, progress=False)
    trainwell.fit_texts(reviews(200), text_col="review", target="sentiment", out=made["texts"], epochs=1,
                        progress=False)  # fmt: skip
    conll = write_conll_file(root / "tags.txt", pos_sentences(120))
    trainwell.fit_tagger(conll, out=made["tagger"], epochs=1, progress=False)
    trainwell.fit_language_model(stories(120), out=made["lm"], epochs=1, progress=False, batch_size=8, bptt=12,
                                 learner_kwargs={"emb_size": 16, "hidden_size": 24, "n_layers": 1})  # fmt: skip
    ratings = low_rank_ratings(n_ratings=600).frame
    ratings.to_csv(root / "ratings.csv", index=False)
    trainwell.fit_ratings(ratings, out=made["ratings"], epochs=1, progress=False)
    made["ratings_frame"] = root / "ratings.csv"
    return made


@pytest.mark.parametrize("model", ["texts", "tagger", "lm"])
def test_text_on_standard_input_that_is_not_utf8_is_a_clear_error_and_can_be_read(
    models: dict[str, Path], model: str
) -> None:
    code, _, err = _run("predict", models[model], "-", stdin=LATIN1_TEXT)
    assert code == 2 and "standard input is not utf-8 text (byte 0xe9 on line 1)" in err
    assert "--encoding latin-1" in err and "Traceback" not in err
    code, out, err = _run("predict", models[model], "-", "--encoding", "latin-1", stdin=LATIN1_TEXT)
    assert code == 0, err
    assert "\xe9t\xe9" in out or model != "tagger"  # the tagger's table names the words it read
    code, out, err = _run("predict", models[model], "-", "--encoding-errors", "replace", stdin=LATIN1_TEXT)
    assert code == 0, err


def test_a_text_read_as_latin1_scores_as_the_same_text_in_utf8(models: dict[str, Path]) -> None:
    _, as_latin1, _ = _run("predict", models["texts"], "-", "--encoding", "latin-1", stdin=LATIN1_TEXT)
    _, as_utf8, _ = _run("predict", models["texts"], "-", stdin=LATIN1_TEXT.decode("latin-1").encode("utf-8"))
    assert as_latin1 == as_utf8


def test_a_conll_file_takes_its_encoding_and_its_bad_bytes_can_be_replaced(
    models: dict[str, Path], tmp_path: Path
) -> None:
    path = tmp_path / "latin1.conll"
    path.write_bytes("The DT\ncaf\xe9 NN\n\n".encode("latin-1"))
    code, _, err = _run("predict", models["tagger"], path)
    assert code == 2 and "--encoding-errors replace" in err
    code, out, err = _run("predict", models["tagger"], path, "--encoding", "latin-1")  # read in its encoding
    assert code == 0 and "café" in out, err
    code, out, err = _run("predict", models["tagger"], path, "--encoding-errors", "replace")
    assert code == 0, err
    assert "caf\ufffd" in out


def test_a_language_models_text_file_takes_encoding_errors(models: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "texts.txt"
    path.write_bytes(LATIN1_TEXT)
    code, _, err = _run("predict", models["lm"], path)
    assert code == 2 and "--encoding-errors replace" in err
    code, out, err = _run("predict", models["lm"], path, "--encoding-errors", "replace")
    assert code == 0 and len(pd.read_csv(io.StringIO(out))) == 1, err


def test_a_text_per_line_is_cut_at_line_ends_only(models: dict[str, Path], tmp_path: Path) -> None:
    # U+0085 and U+2028 inside a review cut it in two: 5 predictions for 3 lines, numbered past the file's end.
    text = "first review\x85 continues here\nsecond\u2028 review\nthird\n"
    path = tmp_path / "texts.txt"
    path.write_text(text, encoding="utf-8")
    for source, stdin in ((path, None), ("-", text.encode())):
        code, out, err = _run("predict", models["texts"], source, stdin=stdin)
        assert code == 0, err
        assert pd.read_csv(io.StringIO(out))["line"].tolist() == [1, 2, 3]


def test_a_table_can_come_on_standard_input(models: dict[str, Path]) -> None:
    frame = binary_table(n_rows=300).head(20)
    code, out, err = _run("predict", models["table"], "-", stdin=frame.to_csv(index=False).encode())
    assert code == 0, err
    expected = trainwell.load(models["table"]).predict(frame)
    assert pd.read_csv(io.StringIO(out))["prediction"].tolist() == expected["prediction"].tolist()
    code, _, err = _run("predict", models["table"], "-", stdin=b"")
    assert code == 2 and "standard input is empty" in err
    code, _, err = _run("predict", models["table"], "-", stdin=b"a,b\n\xe9,1\n")
    assert code == 2 and "standard input is not utf-8 text" in err and "stdin.csv" not in err


@pytest.mark.parametrize(
    ("model", "said"),
    [
        ("texts", "error: standard input holds no text to predict; pass one text per line"),
        ("tagger", "error: standard input holds no sentence to tag; pass one per line"),
        ("lm", "error: standard input holds no text to score; pass one text per line"),
    ],
)
def test_empty_standard_input_is_said_for_every_model_of_lines(
    models: dict[str, Path], model: str, said: str
) -> None:
    # The text classifier said "texts is empty" (the Python argument), the tagger printed a lone header.
    code, out, err = _run("predict", models[model], "-", stdin=b"\n  \n")
    assert (code, out, err.strip()) == (2, "", said)


def test_a_ratings_file_without_a_header_row_is_read_as_user_and_item(
    models: dict[str, Path], tmp_path: Path
) -> None:
    frame = pd.read_csv(models["ratings_frame"]).head(8)
    headerless = tmp_path / "pairs.tsv"
    frame[["user", "item"]].to_csv(
        headerless, sep="\t", header=False, index=False
    )  # as MovieLens writes them
    code, out, err = _run("predict", models["ratings"], headerless)
    assert code == 0, err
    expected = trainwell.load(models["ratings"]).predict(frame[["user", "item"]])["prediction"]
    assert pd.read_csv(io.StringIO(out))["prediction"].tolist() == pytest.approx(expected.tolist(), abs=1e-5)


def test_out_that_is_a_folder_is_a_one_line_error(models: dict[str, Path], tmp_path: Path) -> None:
    rows = tmp_path / "rows.csv"
    binary_table(n_rows=300).head(5).to_csv(rows, index=False)
    code, _, err = _run("predict", models["table"], rows, "--out", tmp_path)
    assert code == 2 and f"--out '{tmp_path}' is a directory" in err and "Traceback" not in err


def test_out_writes_the_format_its_name_says(models: dict[str, Path], tmp_path: Path) -> None:
    rows = tmp_path / "rows.csv"
    binary_table(n_rows=300).head(5).to_csv(rows, index=False)
    _, printed, _ = _run("predict", models["table"], rows)
    expected = pd.read_csv(io.StringIO(printed))
    for name in ("p.parquet", "p.json", "p.jsonl.gz", "p.tsv"):
        code, _, err = _run("predict", models["table"], rows, "--out", tmp_path / name)
        assert code == 0 and f"wrote 5 predictions to {tmp_path / name}" in err, err
        written = read_table(tmp_path / name)
        assert written["prediction"].tolist() == expected["prediction"].tolist(), name
        assert written.iloc[:, 1].tolist() == pytest.approx(expected.iloc[:, 1].tolist(), abs=1e-6), name
    assert (tmp_path / "p.parquet").read_bytes()[:4] == b"PAR1"
    assert (tmp_path / "p.json").read_text(encoding="utf-8").startswith('[{"prediction":')


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--arch", "xresnet18"),
            "--arch xresnet18 is not an architecture for tables: use auto (the default), mlp or gbdt",
        ),
        (("--size", "32", "--augment", "none"), "--size, --augment are for images, not tables: drop them"),
    ],
)
def test_image_options_on_a_table_are_refused_not_ignored(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    table = tmp_path / "table.csv"
    binary_table(n_rows=300).to_csv(table, index=False)
    code, _, err = _run("fit", table, "--target", "y", *args, "--out", tmp_path / "m")
    assert code == 2 and message in err and not (tmp_path / "m").exists()


def test_tta_on_a_table_model_is_refused(models: dict[str, Path], tmp_path: Path) -> None:
    rows = tmp_path / "rows.csv"
    binary_table(n_rows=300).head(5).to_csv(rows, index=False)
    code, _, err = _run("predict", models["table"], rows, "--tta")
    assert code == 2 and "--tta (test-time augmentation) is for image models" in err


def test_keep_copies_input_columns_in_front_of_the_predictions(
    models: dict[str, Path], tmp_path: Path
) -> None:
    frame = binary_table(n_rows=300).head(6).assign(passenger=[f"p{i}" for i in range(6)])
    rows = tmp_path / "rows.csv"
    frame.to_csv(rows, index=False)
    code, out, err = _run("predict", models["table"], rows, "--keep", "passenger, color")
    assert code == 0, err
    table = pd.read_csv(io.StringIO(out))
    assert list(table.columns[:3]) == ["passenger", "color", "prediction"]
    assert table["passenger"].tolist() == frame["passenger"].tolist()
    code, _, err = _run("predict", models["table"], rows, "--keep", "id")
    assert code == 2 and "--keep names 'id', not a column of" in err and "passenger" in err
    code, _, err = _run("predict", models["table"], rows, "--keep", "Passenger")
    assert code == 2 and "(did you mean 'passenger'?)" in err, err
    numbered = tmp_path / "numbered.csv"  # a Kaggle test file's ids: written back as they came, zeros and all
    frame.assign(passenger=[f"{i:04d}" for i in range(6)]).to_csv(numbered, index=False)
    code, out, err = _run("predict", models["table"], numbered, "--keep", "passenger", "--label-only")
    assert code == 0, err
    written = pd.read_csv(io.StringIO(out), dtype=str)
    assert list(written.columns) == ["passenger", "y"]
    assert written["passenger"].tolist() == [f"{i:04d}" for i in range(6)]
    texts = tmp_path / "texts.csv"
    reviews(4).assign(review_id=[10, 11, 12, 13]).to_csv(texts, index=False)
    code, out, err = _run("predict", models["texts"], texts, "--keep", "review_id")
    assert code == 0 and pd.read_csv(io.StringIO(out))["review_id"].tolist() == [10, 11, 12, 13], err
    code, _, err = _run("predict", models["texts"], "-", "--keep", "review_id", stdin=b"great film\n")
    assert code == 2 and "texts on '-' have none" in err


def test_label_only_writes_a_submission_file_the_label_under_the_target_name(
    models: dict[str, Path], tmp_path: Path
) -> None:
    frame = binary_table(n_rows=300).head(6).assign(passenger=[f"p{i}" for i in range(6)])
    rows = tmp_path / "rows.csv"
    frame.drop(columns=["y"]).to_csv(rows, index=False)
    code, full, err = _run("predict", models["table"], rows, "--keep", "passenger")
    assert code == 0, err
    code, out, err = _run("predict", models["table"], rows, "--keep", "passenger", "--label-only")
    assert code == 0, err
    table, whole = pd.read_csv(io.StringIO(out)), pd.read_csv(io.StringIO(full))
    assert list(table.columns) == ["passenger", "y"]  # as Kaggle's Titanic wants: PassengerId,Survived
    assert table["y"].tolist() == whole["prediction"].tolist()
    frame.to_csv(rows, index=False)  # the target among the columns kept: the output cannot hold both
    code, _, err = _run("predict", models["table"], rows, "--keep", "y", "--label-only")
    assert code == 2 and "--label-only writes the predictions as column 'y', the training target" in err
    code, out, err = _run("predict", models["texts"], "-", "--label-only", stdin=b"great film\nawful\n")
    assert code == 0 and list(pd.read_csv(io.StringIO(out)).columns) == ["line", "sentiment"], err
    code, out, err = _run("predict", models["ratings"], models["ratings_frame"], "--label-only")
    ratings = pd.read_csv(io.StringIO(out))
    assert (
        code == 0 and list(ratings.columns) == ["user", "item", "rating"] and ratings["rating"].notna().all()
    ), err
    for kind, said in (("lm", "a language model's scores"), ("tagger", "a tagger's tags")):
        code, _, err = _run("predict", models[kind], "-", "--label-only", stdin=b"the cat sat\n")
        assert code == 2 and f"--label-only is for classifiers and regressors; {said} have no label" in err


def test_an_export_on_synthetic_rows_says_what_it_replaced(models: dict[str, Path], tmp_path: Path) -> None:
    rows = tmp_path / "rows.csv"
    binary_table(n_rows=300).to_csv(rows, index=False)
    code, out, err = _run("export", models["table"], "--data", rows)
    assert code == 0 and "note:" not in out, err
    code, out, err = _run("export", models["table"])
    assert code == 0, err
    assert "note: the model.onnx this replaced had been checked on 300 given rows; pass --data" in out
    code, out, _ = _run("export", models["table"])  # replacing one checked on synthetic rows: nothing to say
    assert code == 0 and "note:" not in out
