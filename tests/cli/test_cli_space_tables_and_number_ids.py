"""Leftovers of a tour of bad files:

- predict on a TSV holding a multi-label target of number ids (``0,1`` with ``--label-delim ,``) warned that the
  target column "writes numbers with a decimal comma": it is read as fit read it, as written, in the command
  line and in Python (``predictor.predict("new.tsv")``); evaluate had read it as numbers and refused it;
- ``predictor.predict("new.csv")`` on a space-delimited file said "the input rows was read as one column": it
  names the file, and rows given as a DataFrame are told how to split their one column;
- ``fit train.txt --target y`` on a space-delimited table (``a b y``) was taken for CoNLL sentences ("--target
  is not used by a tagger"); evaluate, tune and lr-find too: a .txt headed by the --target name is a table,
  refused as read as one column. A real CoNLL .txt given --target is refused in one wording by all three.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_support import run_cli

import trainwell
from trainwell.cli._tagging import is_tagging_source
from trainwell.core.errors import DataError

# The models' fits and the evaluation give a learning rate: the table's sweep (and its plot) is no part of what
# these tests read.


def number_id_tags(n_rows: int = 200, seed: int = 0) -> pd.DataFrame:
    """Label '0' when x1 > 0, '1' when x2 > 0, '2' when neither, joined with commas ('0,1')."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n_rows), rng.normal(size=n_rows)
    tags = [",".join(["0"] * bool(a > 0) + ["1"] * bool(b > 0)) or "2" for a, b in zip(x1, x2, strict=True)]
    return pd.DataFrame({"x1": x1, "x2": x2, "tags": tags})


def table_rows(n_rows: int = 50, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n_rows), rng.normal(size=n_rows)
    return pd.DataFrame({"a": a.round(3), "b": b.round(2), "y": np.where(a + b > 0, "yes", "no")})


@pytest.fixture(scope="module")
def tags_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("number_ids") / "model"
    trainwell.fit_table(number_id_tags(), "tags", label_delim=",", out=out, epochs=1, lr=1e-2, progress=False)
    return out


@pytest.fixture(scope="module")
def table_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("space_table") / "model"
    trainwell.fit_table(table_rows(200), "y", out=out, epochs=1, lr=1e-2, progress=False)
    return out


def test_predict_reads_a_kept_number_id_target_as_written(tags_model: Path, tmp_path: Path) -> None:
    new = tmp_path / "new.tsv"
    number_id_tags(seed=1).head(8).to_csv(new, sep="\t", index=False)
    done = run_cli("predict", tags_model, new, "--keep", "tags")
    assert done.returncode == 0, done.explain()
    assert "decimal comma" not in done.stderr, done.explain()
    kept = pd.read_csv(pd.io.common.StringIO(done.stdout), dtype=str)["tags"].tolist()
    assert kept == number_id_tags(seed=1).head(8)["tags"].tolist()  # '0,1', not 0.1
    assert "0,1" in kept


def test_the_python_predictor_reads_a_number_id_target_as_written(tags_model: Path, tmp_path: Path) -> None:
    new = tmp_path / "new.tsv"
    number_id_tags(seed=1).head(8).to_csv(new, sep="\t", index=False)
    predictor = trainwell.load(tags_model)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "writes numbers with a decimal comma" for the target column
        from_file = predictor.predict(new)
    from_frame = predictor.predict(number_id_tags(seed=1).head(8))
    pd.testing.assert_frame_equal(from_file, from_frame)


def test_the_python_predictor_names_a_space_delimited_file(table_model: Path, tmp_path: Path) -> None:
    path = tmp_path / "new.csv"
    table_rows(5, seed=1).drop(columns="y").to_csv(path, sep=" ", index=False)
    predictor = trainwell.load(table_model)
    with pytest.raises(DataError) as read_from_file:
        predictor.predict(path)
    assert str(read_from_file.value) == (
        f"{path} was read as one column ('a b'): its delimiter (spaces) is not one of , ; tab | ::; re-save it "
        "with commas or tabs"
    )
    with pytest.raises(DataError) as given_in_memory:  # the caller read it on commas: told how to split it
        predictor.predict(pd.read_csv(path))
    assert str(given_in_memory.value) == (
        "the input rows hold one column ('a b'), the column names between spaces: split it into columns "
        "(pandas.read_csv(path, sep=r'\\s+') reads such a file), or pass the path of the file re-saved with commas "
        "or tabs"
    )


@pytest.mark.parametrize(
    "command",
    [("fit",), ("evaluate",), ("tune", "--trials", "1"), ("lr-find",)],
    ids=["fit", "evaluate", "tune", "lr-find"],
)
def test_a_space_delimited_txt_table_with_target_is_no_tagging_file(
    command: tuple[str, ...], tmp_path: Path
) -> None:
    path = tmp_path / "train.txt"
    table_rows().to_csv(path, sep=" ", index=False)  # 51 lines of three words: CoNLL columns by their shape
    out = () if command[0] == "evaluate" else ("--out", tmp_path / "out")  # evaluate writes no model
    done = run_cli(command[0], path, "--target", "y", *command[1:], *out)
    assert done.returncode == 2, done.explain()
    assert done.stderr_lines == [
        f"error: {path} was read as one column ('a b y'): its delimiter (spaces) is not one of , ; tab | ::; "
        "re-save it with commas or tabs"
    ], done.explain()


@pytest.mark.parametrize("command", ["fit", "evaluate", "tune"])
def test_a_conll_txt_given_target_is_refused_in_one_wording(command: str, tmp_path: Path) -> None:
    path = tmp_path / "tagged.txt"
    path.write_text(
        "EU B-ORG\nrejects O\nGerman B-MISC\n\nPeter B-PER\nBlackburn I-PER\n\n", encoding="utf-8"
    )
    out = () if command == "evaluate" else ("--out", tmp_path / "out")
    done = run_cli(command, path, "--target", "y", *out)
    assert done.returncode == 2, done.explain()
    assert done.stderr_lines == [
        "error: --target is not used by a tagger (tagged sentences, CoNLL files): drop it"
    ], done.explain()


def test_evaluate_reads_number_id_labels_of_a_tsv_as_labels(tmp_path: Path) -> None:
    path = tmp_path / "tags.tsv"
    number_id_tags().to_csv(path, sep="\t", index=False)
    done = run_cli(
        "evaluate", path, "--target", "tags", "--label-delim", ",", "--epochs", "1", "--lr", "1e-2", "--cv", "2",
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.explain()
    assert "decimal comma" not in done.stderr and "holds numbers" not in done.stderr, done.explain()


def test_a_txt_headed_by_the_target_is_a_table_and_a_conll_file_stays_one(tmp_path: Path) -> None:
    spaced, commas, tagged = tmp_path / "spaced.txt", tmp_path / "two.txt", tmp_path / "tagged.txt"
    table_rows().to_csv(spaced, sep=" ", index=False)
    commas.write_text(
        "my review,label\ngreat film,1\n", encoding="utf-8"
    )  # two columns of words by its shape
    tagged.write_text("EU B-ORG\nrejects O\n\nPeter B-PER\n\n", encoding="utf-8")
    for table, target in ((spaced, "y"), (spaced, "a,y"), (commas, "label")):
        assert is_tagging_source(table, None) and not is_tagging_source(table, None, target=target), table
    assert is_tagging_source(spaced, None, target="y,price")  # a name the first line lacks: no table's header
    assert is_tagging_source(tagged, None, target="y") and is_tagging_source(tagged, None, target="O")
