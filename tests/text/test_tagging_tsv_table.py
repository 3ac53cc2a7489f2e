"""A TSV table of sentences (SST-2's, GoEmotions' layout) is a table to a tagger as it is to the rest of trainwell:
``predict ner dev.tsv --text sentence`` was refused ("'dev.tsv' is no table: drop it"), and without ``--text`` the
CoNLL reading's "line 2: found 7 fields" gave no hint of the option (tour60 #2)."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tagging_samples import export_small_tagger
from trainwell.cli.app import app


@pytest.fixture(scope="module")
def tagger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_small_tagger(tmp_path_factory.mktemp("tagger"))


def _predict(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["predict", *args], env={"COLUMNS": "250"})
    return result.exit_code, result.output


ROWS = "id\tsentence\n7\tMary works here .\n8\tTom sleeps in Paris .\n"


@pytest.mark.parametrize("name", ["dev.tsv", "dev.tsv.gz"])
def test_a_tsv_named_with_text_is_tagged_row_by_row(tagger: Path, tmp_path: Path, name: str) -> None:
    table = tmp_path / name
    if name.endswith(".gz"):
        table.write_bytes(gzip.compress(ROWS.encode()))
    else:
        table.write_text(ROWS, encoding="utf-8")
    code, output = _predict(str(tagger), str(table), "--text", "sentence", "--keep", "id")
    assert code == 0, output
    answers = pd.read_csv(io.StringIO(output))
    assert answers["id"].tolist() == [7, 8]
    assert answers["words"].tolist() == ["Mary works here .", "Tom sleeps in Paris ."]


def test_a_tsv_table_read_as_conll_says_to_name_its_column(tagger: Path, tmp_path: Path) -> None:
    table = tmp_path / "dev.tsv"
    table.write_text(ROWS, encoding="utf-8")
    code, output = _predict(str(tagger), str(table))
    assert code == 2, output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert "found 5 fields" in lines[0] and lines[0].endswith("pass --text sentence"), output
    # A CoNLL file named .tsv stays CoNLL: its words tagged one a row
    conll = tmp_path / "words.tsv"
    conll.write_text("Tom\tB-PER\nlives\tO\n\n", encoding="utf-8")
    code, output = _predict(str(tagger), str(conll))
    assert code == 0 and output.splitlines()[0] == "sentence,word,tag,prediction", output
