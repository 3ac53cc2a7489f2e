"""A plain .txt of running text fit without --task: the refusal names the language model task."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from trainwell.cli.app import app


def test_running_text_without_task_points_to_language_model(tmp_path: Path) -> None:
    corpus = tmp_path / "plays.txt"
    corpus.write_text(
        "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n"
    )
    result = CliRunner().invoke(
        app, ["fit", str(corpus), "--out", str(tmp_path / "m")], env={"COLUMNS": "250"}
    )
    assert result.exit_code == 2
    assert "pass --task language_model" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "m").exists()
