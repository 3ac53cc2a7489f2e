"""``trainwell predict``: the predictions table, and that it applies exactly the training preprocessing."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_support import CliResult, run_cli_many

import trainwell
from trainwell.data.bundle import random_split
from trainwell.data.io import read_table
from trainwell.tabular.pipeline import fit_table

pytestmark = pytest.mark.slow

UNSEEN = {"color": "purple", "size": "XXL"}
N_UNSEEN = 3
N_WITHOUT_SIZE = 50


@pytest.fixture(scope="module")
def predicted(
    model_dir: Path, binary_csv: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path, CliResult, CliResult]:
    """Two runs side by side: all rows plus rows with unseen categories to stdout, and rows without the
    'size' column with --allow-missing-columns into a file in a folder that does not exist yet."""
    folder = tmp_path_factory.mktemp("predict")
    frame = pd.read_csv(binary_csv)
    unseen = frame.head(N_UNSEEN).assign(**UNSEEN)
    with_unseen = folder / "with_unseen.csv"
    pd.concat([frame, unseen], ignore_index=True).to_csv(with_unseen, index=False)
    without_size = folder / "without_size.csv"
    frame.head(N_WITHOUT_SIZE).drop(columns=["size", "y"]).to_csv(without_size, index=False)
    out = folder / "out" / "predictions.csv"
    to_stdout, to_file = run_cli_many(
        [
            ["predict", model_dir, with_unseen],
            ["predict", model_dir, without_size, "--allow-missing-columns", "--out", out],
        ]
    )
    return with_unseen, without_size, to_stdout, to_file


def test_predictions_go_to_stdout_and_equal_the_python_predictor(
    model_dir: Path, predicted: tuple[Path, Path, CliResult, CliResult]
) -> None:
    with_unseen, _, result, _ = predicted
    assert result.returncode == 0, result.explain()
    # The unseen categories are said, once, beside predictions that cannot show them.
    assert result.stderr_lines == [
        f"note: {2 * N_UNSEEN} cell(s) hold values the model has no code for (new, or too rare in training), read "
        f"as missing: color: 'purple' ({N_UNSEEN}); size: 'XXL' ({N_UNSEEN})"
    ]
    table = pd.read_csv(io.StringIO(result.stdout))
    assert list(table.columns) == ["prediction", "probability_yes"]
    assert len(table) == 400 + N_UNSEEN
    expected = trainwell.load(model_dir).predict(read_table(with_unseen))
    np.testing.assert_allclose(table["probability_yes"], expected["probability_yes"], rtol=0, atol=1e-6)
    assert table["prediction"].tolist() == expected["prediction"].tolist()
    assert table["prediction"].tolist() == np.where(table["probability_yes"] >= 0.5, "yes", "no").tolist()


def test_unseen_categories_are_read_as_missing(
    model_dir: Path, predicted: tuple[Path, Path, CliResult, CliResult]
) -> None:
    with_unseen, _, result, _ = predicted
    table = pd.read_csv(io.StringIO(result.stdout))
    unseen_rows = read_table(with_unseen).tail(N_UNSEEN)
    as_missing = unseen_rows.assign(color=np.nan, size=np.nan)
    expected = trainwell.load(model_dir).predict(as_missing)["probability_yes"].to_numpy()
    got = table["probability_yes"].tail(N_UNSEEN).to_numpy()
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
    # The same rows with their seen categories score differently: the categories did matter.
    assert not np.allclose(got, table["probability_yes"].head(N_UNSEEN).to_numpy(), atol=1e-4)


def test_allow_missing_columns_reads_the_column_as_missing_and_writes_the_file(
    model_dir: Path, predicted: tuple[Path, Path, CliResult, CliResult]
) -> None:
    _, without_size, _, result = predicted
    assert result.returncode == 0, result.explain()
    out = without_size.parent / "out" / "predictions.csv"
    assert result.stdout == ""
    # Said, as the file alone never shows it (the tour's predictions without Sex said only "wrote 418 predictions").
    assert result.stderr_lines == [
        f"warning: input column 'size' not in {without_size}: read as missing in all {N_WITHOUT_SIZE} rows (size: "
        "the category for a missing value), so the predictions lean on the training's fill value where the model "
        "reads each row's own; add the column for predictions that use it",
        f"wrote {N_WITHOUT_SIZE} predictions to {out} (made the folder '{out.parent}' for it)",
    ]
    table = pd.read_csv(out)
    expected = trainwell.load(model_dir).predict(read_table(without_size).assign(size=np.nan))
    np.testing.assert_allclose(table["probability_yes"], expected["probability_yes"], rtol=0, atol=1e-6)
    assert [entry.name for entry in out.parent.iterdir()] == ["predictions.csv"]


def test_allow_missing_columns_names_a_numeric_columns_training_median(
    model_dir: Path, predicted: tuple[Path, Path, CliResult, CliResult]
) -> None:
    _, without_size, _, _ = predicted
    without_both = without_size.parent / "without_size_x2.csv"
    read_table(without_size).drop(columns=["x2"]).to_csv(without_both, index=False)
    (result,) = run_cli_many([["predict", model_dir, without_both, "--allow-missing-columns"]])
    assert result.returncode == 0, result.explain()
    median = trainwell.load(model_dir).recipe.fill_values["x2"]
    assert result.stderr_lines == [
        f"warning: input columns 'size', 'x2' not in {without_both}: read as missing in all {N_WITHOUT_SIZE} rows "
        f"(size: the category for a missing value; x2: the training median {median:.6g}), so the predictions lean "
        "on the training's fill value where the model reads each row's own; add the columns for predictions that "
        "use them"
    ]
    assert len(pd.read_csv(io.StringIO(result.stdout))) == N_WITHOUT_SIZE


def test_python_predictions_with_missing_columns_say_so_too(
    model_dir: Path, predicted: tuple[Path, Path, CliResult, CliResult]
) -> None:
    _, without_size, _, _ = predicted
    rows = read_table(without_size)
    with pytest.warns(
        UserWarning, match=r"^input column 'size' not in the input rows: read as missing in all "
    ):
        answered = trainwell.load(model_dir).predict(rows, allow_missing_columns=True)
    assert len(answered) == len(rows)


def test_cli_predictions_on_validation_rows_equal_the_learners(
    predicted: tuple[Path, Path, CliResult, CliResult], binary_csv: Path
) -> None:
    """The command's model (seed 0) and preprocessing give what the Python API's Learner gives."""
    _, _, result, _ = predicted
    run = fit_table(binary_csv, "y", epochs=2, seed=0, progress=False)
    probabilities, targets = run.learn.get_preds()
    frame = pd.read_csv(binary_csv)
    # The drawn rows, kept in a fair order (each class in proportion in every prefix): data.valid_index names them.
    _, drawn = random_split(len(frame), 0.2, seed=0)
    valid_index = run.learn.data.valid_index
    assert sorted(valid_index.tolist()) == drawn.tolist()
    assert targets is not None
    assert targets.tolist() == (frame["y"].iloc[valid_index] == "yes").astype(float).tolist()
    cli_probabilities = pd.read_csv(io.StringIO(result.stdout))["probability_yes"].to_numpy()[valid_index]
    np.testing.assert_allclose(cli_probabilities, probabilities.numpy(), rtol=0, atol=1e-5)


def test_an_out_of_no_table_format_or_a_folder_is_refused_before_predicting(
    model_dir: Path, binary_csv: Path, tmp_path: Path
) -> None:
    odd, folder = run_cli_many(
        [
            ["predict", model_dir, binary_csv, "--out", tmp_path / "preds.foo"],
            ["predict", model_dir, binary_csv, "--out", tmp_path],
        ]
    )
    assert odd.returncode == 2 and odd.stderr_lines == [
        f"error: --out '{tmp_path / 'preds.foo'}': '.foo' is not a format the table is written in; name the file "
        ".csv, .tsv, .parquet, .json, .jsonl or .xlsx (.csv.gz and the like compress a text format)"
    ]
    assert folder.returncode == 2 and "is a directory; pass the path of the file to write" in folder.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_known_value_in_another_case_is_named(model_dir: Path, binary_csv: Path, tmp_path: Path) -> None:
    rows = pd.read_csv(binary_csv).head(2).assign(color="RED")
    path = tmp_path / "shouted.csv"
    rows.to_csv(path, index=False)
    (result,) = run_cli_many([["predict", model_dir, path]])
    assert result.returncode == 0, result.explain()
    assert "color: 'RED' (2; did you mean 'red'?)" in " ".join(result.stderr.split())


def test_an_input_column_written_otherwise_is_answered_with_the_column_meant(tmp_path: Path) -> None:
    # --target and --keep said "did you mean 'Age'?"; a predict table with 'age' for 'Age' listed the columns only.
    from typer.testing import CliRunner

    from trainwell.cli.app import app

    frame = pd.DataFrame({"Age": [float(i % 9) for i in range(60)], "y": ["a", "b"] * 30})
    trainwell.fit_table(frame, "y", out=tmp_path / "model", arch="gbdt", progress=False)
    frame.rename(columns={"Age": "age"}).head(3).to_csv(tmp_path / "new.csv", index=False)
    done = CliRunner().invoke(app, ["predict", str(tmp_path / "model"), str(tmp_path / "new.csv")])
    assert done.exit_code == 2 and "input column 'Age' missing from" in done.output
    assert "(did you mean 'age'?)" in done.output
