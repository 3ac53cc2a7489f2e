"""The HTML report on a small Adult model: sections, embedded images, escaping, and a real browser render."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from report_browser import chromium_flags, dump_dom

import trainwell
from trainwell.core.errors import DataError
from trainwell.datasets import adult_sample
from trainwell.report import build_report, row_losses

HEADINGS = (
    "Training curves",
    "Validation metrics",
    "Confusion matrix",
    "Calibration",
    "Top losses",
    "Permutation feature importance",
)


@pytest.fixture(scope="module")
def adult() -> pd.DataFrame:
    return adult_sample().head(800)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory, adult: pd.DataFrame) -> Path:
    out = tmp_path_factory.mktemp("report") / "model"
    trainwell.fit_table(adult, "income", out=out, epochs=1, lr=1e-2, progress=False)
    return out


@pytest.fixture(scope="module")
def report_html(tmp_path_factory: pytest.TempPathFactory, model_dir: Path, adult: pd.DataFrame) -> Path:
    rows = adult.tail(200).reset_index(drop=True).copy()
    rows["occupation"] = "<script>alert(1)</script>"  # every row: the top losses list it
    data = tmp_path_factory.mktemp("data") / "labelled.csv"
    rows.to_csv(data, index=False)
    return build_report(model_dir, data, tmp_path_factory.mktemp("out") / "report.html")


def test_report_has_every_section_and_no_external_url(report_html: Path) -> None:
    text = report_html.read_text(encoding="utf-8")
    for heading in HEADINGS:
        assert f"<h2>{heading}</h2>" in text
    assert "http://" not in text and "https://" not in text
    assert "<script" not in text.lower()
    sources = re.findall(r'<img [^>]*src="([^"]*)"', text)
    assert len(sources) >= 4  # curves, confusion, calibration, importance
    assert all(source.startswith("data:image/png;base64,") for source in sources)


def test_data_values_are_escaped(report_html: Path) -> None:
    text = report_html.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_row_losses_match_hand_computation() -> None:
    from trainwell.data.task import Task

    binary = Task("binary", ("a", "b"))
    probabilities = torch.tensor([0.9, 0.2])
    expected = [-np.log(0.1), -np.log(0.2)]  # row 0 is 'a' (p=0.1), row 1 is 'b' (p=0.2)
    np.testing.assert_allclose(
        row_losses(binary, probabilities, torch.tensor([0.0, 1.0])), expected, rtol=1e-6
    )
    multi = Task("multiclass", ("a", "b", "c"))
    probs = torch.tensor([[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]])
    np.testing.assert_allclose(
        row_losses(multi, probs, torch.tensor([2, 0])), [-np.log(0.3), -np.log(0.6)], rtol=1e-6
    )


def test_missing_target_column_is_one_clear_error(
    model_dir: Path, adult: pd.DataFrame, tmp_path: Path
) -> None:
    with pytest.raises(DataError, match="target column 'income' not found in the data"):
        build_report(model_dir, adult.drop(columns=["income"]).head(50), tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()


def test_report_renders_in_headless_chromium(report_html: Path, tmp_path: Path) -> None:
    flags = chromium_flags(tmp_path / "profile")
    url = report_html.resolve().as_uri()
    dom = dump_dom(report_html, tmp_path / "profile")
    for heading in HEADINGS:
        assert heading in dom
    shot = tmp_path / "shot.png"
    subprocess.run(
        [*flags, f"--screenshot={shot}", "--window-size=1200,3000", url],
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000


def test_cli_command_writes_the_report_and_refuses_a_directory(model_dir: Path, tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from trainwell.cli.report_cmd import report

    app = typer.Typer()
    app.command("report")(report)
    app.command("unused")(lambda: None)  # two commands: typer keeps `report` as a subcommand
    data = tmp_path / "labelled.csv"
    adult_sample().tail(100).to_csv(data, index=False)
    out = tmp_path / "r.html"
    done = CliRunner().invoke(app, ["report", str(model_dir), "--data", str(data), "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert "<h2>Top losses</h2>" in out.read_text(encoding="utf-8")
    refused = CliRunner().invoke(app, ["report", str(model_dir), "--data", str(data), "--out", str(tmp_path)])
    assert refused.exit_code == 2
    assert "is a directory" in refused.output


def test_a_report_on_the_training_rows_says_so(model_dir: Path, adult: pd.DataFrame, tmp_path: Path) -> None:
    # The model trained on 80% of these 800 rows: the report must not call their metrics validation.
    html = build_report(model_dir, adult, tmp_path / "r.html").read_text(encoding="utf-8")
    share = int(re.search(r"Warning: about (\d+)% of these rows trained the model", html).group(1))
    assert 65 <= share <= 95 and "<h2>Metrics on rows the model trained on</h2>" in html
    unseen = adult_sample().iloc[1000:1400]  # rows the fit never read
    clean = build_report(model_dir, unseen, tmp_path / "u.html").read_text(encoding="utf-8")
    assert "trained the model" not in clean and "<h2>Validation metrics</h2>" in clean


def test_the_row_sketch_estimates_the_share_of_training_rows() -> None:
    from trainwell.data.fingerprint import RowSketch

    rng = np.random.default_rng(0)
    table = pd.DataFrame({"a": rng.normal(size=4000), "b": rng.integers(0, 5, 4000).astype(str)})
    sketch = RowSketch.from_dict(RowSketch.of(table.iloc[:3000], ["a", "b"]).to_dict())  # as stored in JSON
    share, sampled = sketch.training_share(table)
    assert abs(share - 0.75) < 0.1 and sampled > 200
    assert sketch.training_share(table.iloc[3000:])[0] == 0.0
    assert (
        sketch.training_share(table.iloc[:3000].sample(frac=1, random_state=1))[0] == 1.0
    )  # order is irrelevant
    assert sketch.training_share(table.iloc[:0])[1] == 0  # nothing to say about no rows


def test_cells_show_small_numbers_to_four_digits_and_large_ones_in_full() -> None:
    from trainwell.report._html import format_value

    assert format_value(0.123456) == "0.1235" and format_value(1234.56) == "1235"
    assert format_value(500001.0) == "500,001" and format_value(-29612.4) == "-29,612"
    assert format_value(float("nan")) == "" and format_value(None) == "" and format_value(3) == "3"


def test_without_out_the_report_goes_into_the_model_directory(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import shutil

    from trainwell.report.build import default_out

    model = shutil.copytree(model_dir, tmp_path / "mine")
    data = tmp_path / "labelled.csv"
    adult_sample().tail(100).to_csv(data, index=False)
    monkeypatch.chdir(tmp_path)
    written = build_report(model, data)
    # Beside the model it judges: reports on two models never overwrite each other's ./report.html
    assert written == model / "report.html" and not (tmp_path / "report.html").exists()
    # ...and a save over the directory keeps it (a file no save wrote)
    with pytest.warns(UserWarning, match="report.html"):
        trainwell.fit_table(adult_sample().head(300), "income", out=model, epochs=1, progress=False)
    assert written.is_file()
    # A model directory that cannot be written to: the current directory, named after the model
    model.chmod(0o555)
    try:
        if os.access(model, os.W_OK):
            pytest.skip("running as a user who can write to any directory (root)")
        assert default_out(model) == Path("mine-report.html")
    finally:
        model.chmod(0o755)
