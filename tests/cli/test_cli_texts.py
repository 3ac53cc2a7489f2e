"""`trainwell fit reviews.csv --text review --target sentiment`, then predict from a table and from stdin."""

from __future__ import annotations

import shutil
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_support import CliResult, run_cli
from typer.testing import Result

import trainwell
from process_support import run_trainwell
from text_samples import imdb_layout, reviews, stories

pytestmark = pytest.mark.slow


def assert_predicts_new_reviews(model: Path, tmp_path: Path) -> None:
    """``trainwell predict MODEL new.csv`` on 40 reviews the model never saw: 90% of them right or better."""
    new = tmp_path / "new.csv"
    reviews(40, 1, shuffle=True).to_csv(new, index=False)
    predicted = run_cli("predict", model, new)
    assert predicted.returncode == 0, predicted.explain()
    table = pd.read_csv(StringIO(predicted.stdout))
    assert (table["prediction"] == reviews(40, 1, shuffle=True)["sentiment"]).mean() >= 0.9


@pytest.fixture(scope="module")
def review_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CliResult]:
    """``trainwell fit reviews.csv --text review --target sentiment --epochs 8`` on 400 reviews, fitted once for the
    tests that only read the model (predict writes nothing into it): the folder and the fit's run."""
    folder = tmp_path_factory.mktemp("texts")
    data = folder / "reviews.csv"
    reviews(400, 0, shuffle=True).to_csv(data, index=False)
    out = folder / "model"
    fit = run_cli("fit", data, "--text", "review", "--target", "sentiment", "--out", out, "--epochs", "8")
    assert fit.returncode == 0, fit.explain()
    return out, fit


def test_fit_and_predict_texts(review_model: tuple[Path, CliResult], tmp_path: Path) -> None:
    out, fit = review_model
    assert "texts" in fit.stdout  # the metric sentences speak of texts, not rows
    assert_predicts_new_reviews(out, tmp_path)
    piped = run_trainwell(
        "predict",
        str(out),
        "-",
        input="a wonderful film with great acting\n\n  \nawful and boring plot\n",
        timeout=60,
    )
    assert piped.returncode == 0, piped.stderr
    answers = pd.read_csv(StringIO(piped.stdout))
    assert list(answers["prediction"]) == ["pos", "neg"]
    assert list(answers["line"]) == [1, 4]  # blank lines skipped, and the answers say which line they are for
    renamed = tmp_path / "renamed.csv"
    reviews(5, 1, shuffle=True).rename(columns={"review": "body"}).to_csv(renamed, index=False)
    wrong = run_cli("predict", out, renamed)
    assert wrong.returncode == 2 and "name the column holding the texts with --text" in wrong.stderr, (
        wrong.explain()
    )
    assert "--allow-missing-columns" not in wrong.stderr  # it would not help a text model
    # --text names it (a table of reviews in 'body' had to be renamed by hand for a model trained on 'review').
    named = run_cli("predict", out, renamed, "--text", "body")
    assert named.returncode == 0, named.explain()
    expected = trainwell.load(out).predict(pd.read_csv(renamed).rename(columns={"body": "review"}))
    assert pd.read_csv(StringIO(named.stdout))["prediction"].tolist() == expected["prediction"].tolist()
    table = run_cli("predict", out, renamed, "--text", "body,extra")
    assert table.returncode == 2 and "--text names 2 column(s); the model reads 1 text(s)" in table.stderr


def test_a_table_of_texts_and_labels_fitted_without_text_trains_a_text_classifier(tmp_path: Path) -> None:
    # SST-2's train.tsv (label, sentence) fitted with --target alone stopped at "no input columns left ... Add
    # feature columns", one line below the warning that named --text sentence.
    data = tmp_path / "reviews.csv"
    reviews(400, 0, shuffle=True).to_csv(data, index=False)
    out = tmp_path / "model"
    fit = run_cli("fit", data, "--target", "sentiment", "--out", out, "--epochs", "8")
    assert fit.returncode == 0, fit.explain()
    said = "column 'review' is free text and the table's only input: training a text model on it"
    assert f"{said} (as --text review)" in fit.stdout.replace("\n", " ")
    assert "texts get the right class" in fit.stdout.replace("\n", " ")
    assert_predicts_new_reviews(out, tmp_path)
    # A table architecture asked for: no text model in its place, and the error says what would train one.
    mlp = run_cli("fit", data, "--target", "sentiment", "--arch", "mlp", "--out", tmp_path / "mlp")
    assert mlp.returncode == 2, mlp.explain()
    assert mlp.stderr_lines[-1].endswith(
        "Column 'review' is free text, for a text model: pass --text review (Python: text_data(source, "
        "target, text_col='review'))."
    ), mlp.explain()
    assert not (tmp_path / "mlp").exists()
    # evaluate reads such a table the same way: the text classifier's folds against TF-IDF.
    folds = run_cli("evaluate", data, "--target", "sentiment", "--cv", "2", "--epochs", "1")
    assert folds.returncode == 0, folds.explain()
    assert f"{said} (as --text review)" in folds.stdout.replace("\n", " ")
    assert "tf-idf" in folds.stdout


def test_leaks_are_named_again_under_the_scores_and_ignoring_them_leaves_a_text_model(tmp_path: Path) -> None:
    # IMDB's table as shipped (file, label, rating, text): the rating and the file path decide the label, and
    # fit's scores of 1.0 rested on them a screen below the warnings; left out, the text alone trains.
    frame = reviews(300, 0, shuffle=True)
    rng = np.random.default_rng(0)
    rating = np.where(
        frame["sentiment"] == "pos", rng.integers(7, 11, len(frame)), rng.integers(1, 5, len(frame))
    )
    frame = frame.assign(
        rating=rating,
        file=[
            f"train/{label}/{i}_{r}.txt"
            for i, (label, r) in enumerate(zip(frame["sentiment"], rating, strict=True))
        ],
    )
    data = tmp_path / "imdb.csv"
    frame.to_csv(data, index=False)
    leaky = run_cli(
        "fit",
        data,
        "--target",
        "sentiment",
        "--arch",
        "mlp",
        "--epochs",
        "2",
        "--lr",
        "0.01",
        "--out",
        tmp_path / "m",
    )
    assert leaky.returncode == 0, leaky.explain()
    assert leaky.stderr_lines[-1] == (
        "warning: these scores rest on columns 'rating' and 'file', warned of above as leaking the answer: if they "
        "are not known when predicting, the scores flatter the model; refit with --ignore rating,file"
    ), leaky.explain()
    clean = run_cli(
        "fit",
        data,
        "--target",
        "sentiment",
        "--ignore",
        "rating,file",
        "--epochs",
        "1",
        "--out",
        tmp_path / "t",
    )
    assert clean.returncode == 0, clean.explain()
    said = "column 'review' is free text and the table's only input: training a text model on it (as --text review)"
    assert said in clean.stdout.replace("\n", " ")
    assert "leaking" not in clean.stderr
    assert trainwell.load(tmp_path / "t").metadata["application"] == "text"


def test_a_missing_text_column_is_one_line(tmp_path: Path) -> None:
    data = tmp_path / "reviews.csv"
    reviews(20, 0, shuffle=True).to_csv(data, index=False)
    result = run_cli("fit", data, "--text", "body", "--target", "sentiment", "--out", tmp_path / "m")
    assert result.returncode == 2 and len(result.stderr_lines) == 1, result.explain()
    assert "body" in result.stderr and "review" in result.stderr


def test_a_folder_of_text_files_alone_trains_a_language_model(tmp_path: Path) -> None:
    # `trainwell fit corpus/` (the README's language-model command without --task) said only that the folder
    # holds no images; then that it needed --task language_model, the only model text files alone make.
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("the cat sat on the mat .\n", encoding="utf-8")
    result = run_cli("fit", corpus, "--target", "label", "--out", tmp_path / "m")  # a target: not a corpus
    assert result.returncode == 2 and len(result.stderr_lines) == 1, result.explain()
    assert "it holds .txt files: for a language model on them pass --task language_model" in result.stderr
    assert not (tmp_path / "m").exists()
    (corpus / "a.txt").write_text(" ".join(stories(150, 0)), encoding="utf-8")
    result = run_cli("fit", corpus, "--epochs", "1", "--out", tmp_path / "m", timeout=300)
    assert result.returncode == 0, result.explain()
    assert (
        f"'{corpus}' holds text files alone: training a language model on them (as --task language_model)"
        in (" ".join(result.stderr.split()))
    )
    assert type(trainwell.load(tmp_path / "m")).__name__ == "LMPredictor"
    refused = run_cli("fit", corpus, "--arch", "xresnet18", "--out", tmp_path / "m2")
    assert refused.returncode == 2 and "--arch" in refused.stderr, refused.explain()


def test_predict_reads_a_txt_file_as_one_text_per_line(
    review_model: tuple[Path, CliResult], tmp_path: Path
) -> None:
    # A .txt file used to be read as a CSV table: its first text taken for a header, a comma splitting a text
    # into columns, and the run stopped on a missing 'review' column.
    out, _ = review_model
    data = tmp_path / "reviews.csv"  # a table among the .txt files
    reviews(20, 0, shuffle=True).to_csv(data, index=False)
    texts = tmp_path / "new.txt"
    texts.write_text("a wonderful film, great acting\n\nawful and boring plot\n", encoding="utf-8")
    predicted = run_cli("predict", out, texts)
    assert predicted.returncode == 0, predicted.explain()
    answers = pd.read_csv(StringIO(predicted.stdout))
    assert list(answers["line"]) == [1, 3] and list(answers["prediction"]) == ["pos", "neg"]
    kept = run_cli("predict", out, texts, "--keep", "id")
    assert kept.returncode == 2 and "new.txt" in kept.stderr, kept.explain()
    # Several such files in one command (a shell's *.txt): it said "predicts one table at a time".
    more = tmp_path / "more.txt"
    more.write_text("boring plot\n", encoding="utf-8")
    (tmp_path / "blank.txt").write_text("\n \n", encoding="utf-8")
    both = run_cli("predict", out, texts, more, tmp_path / "blank.txt", texts)
    assert both.returncode == 0, both.explain()
    answers = pd.read_csv(StringIO(both.stdout))
    assert list(answers["path"]) == [str(texts), str(texts), str(more)] and list(answers["line"]) == [1, 3, 1]
    assert list(answers["prediction"]) == ["pos", "neg", "neg"]
    assert "left out 1 file(s) without text (the first: '" in both.stderr and "blank.txt" in both.stderr
    mixed = run_cli("predict", out, texts, data)
    assert mixed.returncode == 2 and "several .txt files of one text a line" in mixed.stderr, mixed.explain()


@pytest.fixture(scope="module")
def imdb_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Result]:
    """``trainwell fit reviews/ --epochs 2`` on IMDB's layout (:func:`imdb_layout`), fitted once: the folder of
    reviews, the model's folder and the fit's run. A test that writes into either copies it first."""
    from typer.testing import CliRunner

    from trainwell.cli.app import app

    folder = tmp_path_factory.mktemp("imdb")
    root = imdb_layout(folder / "reviews")
    fitted = CliRunner().invoke(app, ["fit", str(root), "--epochs", "2", "--out", str(folder / "m")])
    assert fitted.exit_code == 0, fitted.output
    return root, folder / "m", fitted


def test_fit_reads_a_folder_of_class_folders_of_texts(
    imdb_model: tuple[Path, Path, Result], tmp_path: Path
) -> None:
    # IMDB's own layout, train/<label>/*.txt beside test/: Python's text_data read it; fit said "a folder without
    # images".
    from typer.testing import CliRunner

    from trainwell.cli.app import app

    root, model, fitted = imdb_model
    runner = CliRunner()
    assert "Validation results (binary" in fitted.output
    assert f"{root}: the class folders neg, pos; unlabelled texts left out" in fitted.output
    assert "one file of texts per class" not in fitted.output  # train/urls_pos.txt is no class of texts
    assert "test set (20 texts): accuracy " in fitted.output  # test/ scored once, after training
    assert trainwell.load(model).metadata["training"]["test"]["accuracy"] >= 0.0
    predicted = runner.invoke(app, ["predict", str(model), "-"], input="a truly great film\n")
    assert predicted.exit_code == 0, predicted.output
    assert list(pd.read_csv(StringIO(predicted.stdout)).columns) == ["line", "prediction", "probability_pos"]
    refused = runner.invoke(app, ["fit", str(root), "--text", "review", "--out", str(tmp_path / "m2")])
    assert refused.exit_code == 2
    assert f"--text is not used by a folder of class folders of texts ('{root}'): drop it" in refused.stderr


def test_every_command_reads_a_folder_of_class_folders_of_texts_as_fit_does(
    imdb_model: tuple[Path, Path, Result], tmp_path: Path
) -> None:
    # fit read IMDB's layout; evaluate, predict, report and export --data said "is a directory, not a file".
    from typer.testing import CliRunner

    from trainwell.cli.app import app

    root, model = (
        Path(shutil.copytree(path, tmp_path / path.name)) for path in imdb_model[:2]
    )  # written into
    runner = CliRunner()
    (root / "test" / "pos" / "blank.txt").write_text(
        "  \n", encoding="utf-8"
    )  # fit refuses it; predict skips

    predicted = runner.invoke(app, ["predict", str(model), str(root / "test")])
    assert predicted.exit_code == 0, predicted.output
    answers = pd.read_csv(StringIO(predicted.stdout))
    assert list(answers.columns) == ["path", "prediction", "probability_pos"]
    assert len(answers) == 20 and str(root / "test" / "pos" / "blank.txt") not in set(answers["path"])
    assert "left out 1 empty text file(s)" in predicted.stderr
    numbered = tmp_path / "numbered"
    numbered.mkdir()
    for number in (10, 2, 1):
        (numbered / f"{number}.txt").write_text("a wonderful film", encoding="utf-8")
    in_order = runner.invoke(app, ["predict", str(model), str(numbered)])
    assert in_order.exit_code == 0, in_order.output
    paths = list(pd.read_csv(StringIO(in_order.stdout))["path"])
    assert paths == [str(numbered / f"{number}.txt") for number in (1, 2, 10)]  # not 1, 10, 2
    mixed = runner.invoke(
        app, ["predict", str(model), str(root / "test"), str(tmp_path / "m" / "trainwell.json")]
    )
    assert (
        mixed.exit_code == 2
        and "is not a folder: a text model predicts folders of .txt files" in mixed.stderr
    )

    report = runner.invoke(
        app, ["report", str(model), "--data", str(root), "--out", str(tmp_path / "r.html")]
    )
    assert report.exit_code == 0, report.output
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Test metrics" in html and "20 labelled texts from" in html and "(the test split of" in html
    on_train = runner.invoke(
        app, ["report", str(model), "--data", str(root / "train"), "--out", str(tmp_path / "t.html")]
    )
    assert on_train.exit_code == 0, on_train.output
    assert "Metrics on texts the model trained on" in (tmp_path / "t.html").read_text(encoding="utf-8")

    exported = runner.invoke(app, ["export", str(model), "--data", str(root / "test")])
    assert exported.exit_code == 0, exported.output
    assert "20 texts from" in " ".join(exported.output.split())

    evaluated = runner.invoke(app, ["evaluate", str(root), "--cv", "2", "--epochs", "1", "--no-baselines"])
    assert evaluated.exit_code == 0, evaluated.output
    flat = " ".join(evaluated.output.split())
    assert "2-fold cross-validation (binary, 80 texts)" in flat  # train/ alone: unsup/ and test/ left out
    assert f"{root / 'test'} left out: the folds are drawn from {root / 'train'}" in flat
    refused = runner.invoke(app, ["evaluate", str(root), "--target", "label"])
    assert (
        refused.exit_code == 2
        and "--target is not used by a folder of class folders of texts" in refused.stderr
    )


def test_arch_names_a_text_models_architecture_as_model_does(tmp_path: Path) -> None:
    # --arch was refused for texts ("for images, ratings and tables"), though fit_texts takes arch= and every other
    # model's architecture is --arch on the command line.
    data = tmp_path / "reviews.csv"
    reviews(60, 0, shuffle=True).to_csv(data, index=False)
    common = ("fit", data, "--text", "review", "--target", "sentiment", "--epochs", "1")
    by_arch = run_cli(*common, "--arch", "ulmfit", "--out", tmp_path / "a")
    by_model = run_cli(*common, "--model", "ulmfit", "--out", tmp_path / "b")
    assert by_arch.returncode == 0, by_arch.explain()
    assert by_model.returncode == 0, by_model.explain()
    built = [trainwell.load(tmp_path / name).metadata["architecture"]["name"] for name in ("a", "b")]
    assert built[0] == built[1] and "awd" in built[0]  # the AWD-LSTM classifier, not the bag
    both = run_cli(*common, "--arch", "fast", "--model", "ulmfit", "--out", tmp_path / "c")
    assert both.returncode == 2
    assert (
        "--arch fast and --model ulmfit both name the text model's architecture: give one (--arch)"
        in both.stderr
    )
