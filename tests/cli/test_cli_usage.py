"""Usage mistakes (caught by the argument parser, before trainwell code runs) are one line and exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import run_cli

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("fit", "data.csv"), "error: --target is required for the table 'data.csv'"),
        (("fit", "data.csv", "--target", "y", "--epochs", "abc"), "error: Invalid value for '--epochs'"),
        (("frobnicate",), "error: No such command 'frobnicate'."),
        (("evaluate", "data.csv", "--target", "y", "--seed", "-1"), "error: Invalid value for '--seed'"),
        (("recommend", "model", "3", "--top", "0"), "error: Invalid value for '--top'"),
        (  # a glob that caught train.csv and test.csv: where each of them goes
            ("fit", "test.csv", "train.csv", "--target", "y"),
            "error: Got unexpected extra argument(s) (train.csv): trainwell fit reads one data source (a file or a "
            "folder); a labelled test set goes in --test FILE, and rows to answer go to trainwell predict",
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


def test_a_text_table_without_a_header_row_is_told_to_get_one(tmp_path: Path) -> None:
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
    assert "add a header row naming the columns, then pass --target NAME" in said
    named = tmp_path / "named.tsv"
    named.write_text("text\tlabel\tid\n" + "".join("\t".join(row) + "\n" for row in rows), encoding="utf-8")
    assert str(missing_target(named, "utf-8")).endswith("e.g. --target label; columns are: text, label, id")
