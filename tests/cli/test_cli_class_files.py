"""The command line on texts laid out as one file per class, one text a line (rt-polarity's ``rt-polarity.pos``
and ``.neg``): fit and evaluate read them, predict reads one such file a line at a time."""

from __future__ import annotations

from pathlib import Path

from cli_support import run_cli

from text_samples import class_files_layout, reviews


def test_fit_evaluate_and_predict_read_a_folder_of_one_file_per_class(tmp_path: Path) -> None:
    folder = tmp_path / "rt_polarity"
    class_files_layout(folder, reviews(200))
    (folder / "SOURCE.md").write_text("# provenance\n")
    out = tmp_path / "m"
    fitted = run_cli("fit", folder, "--out", out, "--epochs", "2")
    assert fitted.returncode == 0, fitted.explain()
    assert (
        f"{folder}: one file of texts per class, a text a line, labelled by file: neg (rt-polarity.neg.gz), pos "
        "(rt-polarity.pos.gz)" in fitted.stdout
    )
    predicted = run_cli("predict", out, folder / "rt-polarity.neg.gz")  # named as no table: a text a line
    assert predicted.returncode == 0, predicted.explain()
    lines = predicted.stdout.splitlines()
    assert lines[0] == "line,prediction,probability_pos" and len(lines) == 1 + 100
    assert sum(line.split(",")[1] == "neg" for line in lines[1:]) > 90
    table = tmp_path / "reviews"  # no suffix either, but its first line names the model's column: a table
    table.write_text("id,text\n7,a wonderful film\n")
    as_table = run_cli("predict", out, table)
    assert as_table.returncode == 0 and as_table.stdout.splitlines()[0] == "prediction,probability_pos"
    refused = run_cli("predict", out, folder)
    assert refused.returncode == 2 and len(refused.stderr_lines) == 1, refused.explain()
    assert (
        f"'{folder}' holds files of one text a line (rt-polarity.neg.gz, rt-polarity.pos.gz), not .txt files of "
        f"one text each: pass one such file at a time, e.g. trainwell predict MODEL_DIR {folder}/rt-polarity.neg.gz"
        in refused.stderr
    )
    exported = run_cli("export", out, "--data", folder / "rt-polarity.pos.gz")  # a text a line, as predict
    assert exported.returncode == 0 and "onnxruntime matches PyTorch on 100 texts" in exported.stdout, (
        exported.explain()
    )
    evaluated = run_cli("evaluate", folder, "--cv", "2", "--epochs", "1")
    assert evaluated.returncode == 0, evaluated.explain()
    assert "2-fold cross-validation (binary, 200 texts)" in evaluated.stdout

    corpus = tmp_path / "books"  # .txt files: read as classes, with the way to a language model said
    corpus.mkdir()
    for name in ("austen.txt", "dickens.txt"):
        (corpus / name).write_text("".join(f"{name} line {i} of the book\n" for i in range(30)))
    books = run_cli("fit", corpus, "--out", tmp_path / "b", "--epochs", "1")
    assert books.returncode == 0, books.explain()
    assert (
        "labelled by file: austen (austen.txt), dickens (dickens.txt); for a language model" in books.stdout
    )


def test_files_of_one_class_per_split_train_validate_and_test(tmp_path: Path) -> None:
    # The Yelp set of style transfer: sentiment.train.0, sentiment.train.1, sentiment.dev.0... was refused as
    # "not classes", its splits' names taken for a corpus's.
    folder = tmp_path / "yelp"
    frame = reviews(160)
    for split, part in (
        ("train", frame.iloc[:100]),
        ("dev", frame.iloc[100:130]),
        ("test", frame.iloc[130:]),
    ):
        class_files_layout(folder, part, f"sentiment.{split}.{{label}}")
    out = tmp_path / "m"
    fitted = run_cli("fit", folder, "--out", out, "--epochs", "2")
    assert fitted.returncode == 0, fitted.explain()
    assert (
        f"{folder}: one file of texts per class and split, a text a line, labelled by file: train: neg "
        "(sentiment.train.neg), pos (sentiment.train.pos); valid: neg (sentiment.dev.neg), pos (sentiment.dev.pos); "
        "test: neg (sentiment.test.neg), pos (sentiment.test.pos)" in fitted.stdout
    )
    assert "test set (30 texts): accuracy" in fitted.stdout
    evaluated = run_cli("evaluate", folder, "--cv", "2", "--epochs", "1")
    assert evaluated.returncode == 0, evaluated.explain()
    assert (
        "sentiment.test.neg, sentiment.test.pos left out: the folds are drawn from sentiment.train.neg, "
        "sentiment.train.pos, sentiment.dev.neg, sentiment.dev.pos" in evaluated.stdout
    )
    assert "2-fold cross-validation (binary, 130 texts)" in evaluated.stdout
    reported = run_cli("report", out, "--data", folder)
    assert reported.returncode == 0, reported.explain()
    page = (out / "report.html").read_text()
    assert "its test files: sentiment.test.neg, sentiment.test.pos" in page
    refused = run_cli("predict", out, folder)
    assert refused.returncode == 2 and len(refused.stderr_lines) == 1, refused.explain()
    assert f"e.g. trainwell predict MODEL_DIR {folder}/sentiment.test.neg" in refused.stderr
