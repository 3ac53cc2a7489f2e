"""``trainwell export --help`` gives the --opset default (17), as the README does (tour56 #10)."""

from __future__ import annotations

from typer.testing import CliRunner

from trainwell.cli.app import app


def test_export_help_shows_the_opset_default() -> None:
    done = CliRunner().invoke(app, ["export", "--help"], env={"COLUMNS": "100"})
    assert done.exit_code == 0, done.output
    said = " ".join(done.output.replace("│", " ").split())
    opset = said[said.index("--opset") : said.index("--data")]
    assert "[default: 17]" in opset, opset
