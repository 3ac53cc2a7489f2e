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
    "Metrics on held-out data",
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
    share = int(re.search(r"Warning: (?:about )?(\d+)% of these rows trained the model", html).group(1))
    assert 65 <= share <= 95 and "<h2>Metrics on rows the model trained on</h2>" in html
    assert "of 800, every one checked against a sketch of its 640 training rows" in html  # a count, exact
    unseen = adult_sample().iloc[1000:1200]  # rows the fit never read
    clean = build_report(model_dir, unseen, tmp_path / "u.html").read_text(encoding="utf-8")
    assert "trained the model" not in clean and "<h2>Metrics on held-out data</h2>" in clean


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
    # ...and a save over the directory removes it, saying so: it described the old model beside the new one
    with pytest.warns(
        UserWarning, match="removed report.html from .*: the report of the model this save replaced"
    ):
        trainwell.fit_table(adult_sample().head(300), "income", out=model, epochs=1, lr=1e-2, progress=False)
    assert not written.exists()
    # A model directory that cannot be written to: the current directory, named after the model
    model.chmod(0o555)
    try:
        if os.access(model, os.W_OK):
            pytest.skip("running as a user who can write to any directory (root)")
        assert default_out(model) == Path("mine-report.html")
    finally:
        model.chmod(0o755)


def _overlap_of(training: pd.DataFrame, frame: pd.DataFrame, k: int | None = None) -> str:
    """The report's training-rows warning for ``frame``, given a model trained on ``training``."""
    from trainwell.data.fingerprint import RowSketch
    from trainwell.report.build import _training_overlap

    sketch = (
        RowSketch.of(training, list(training.columns))
        if k is None
        else RowSketch.of(training, list(training.columns), k)
    )
    return _training_overlap({"training": {"rows_sketch": sketch.to_dict()}}, frame)


def _ratings(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "user": rng.integers(0, 10**6, n),
            "item": rng.integers(0, 10**6, n),
            "rating": rng.integers(1, 6, n),
        }
    )


def test_a_few_rows_checked_give_a_count_and_an_interval_not_about_100_percent() -> None:
    # The walkthrough's case: a sketch that can check only a handful of the report's rows, all of them found.
    table = _ratings(10_000, 0)
    training = table.iloc[:8000]
    frame = pd.concat([table.iloc[:1600], table.iloc[8000:8400]])  # 80% training rows
    with pytest.warns(UserWarning, match="at least"):
        warning = _overlap_of(training, frame, k=64)
    found, checked = map(
        int, re.search(r"can check only (\d+) of them .* and (?:all )?(\d+)", warning).groups()[::-1]
    )
    assert checked < 30 and "about 100%" not in warning and "about" not in warning.split(":")[0]
    assert warning.startswith(f"Warning: at least {found} of these 2000 rows trained the model")
    low, high = map(int, re.search(r"anywhere from (\d+)% to (\d+)% of the 2000", warning).groups())
    assert low <= 80 <= high and high - low >= 20  # honest about how little a few rows say


def test_a_sketch_checks_enough_rows_of_a_small_test_file() -> None:
    # 80,000 training rows, a report on 2,000 rows of which 80% trained the model: a 256-hash sketch checked
    # about 6 of them; the estimate must rest on enough rows for an interval narrower than +-20 points.
    table = _ratings(100_000, 1)
    training = table.iloc[:80_000]
    frame = pd.concat([table.iloc[:1600], table.iloc[80_000:80_400]])
    with pytest.warns(UserWarning, match="of these rows trained the model"):
        warning = _overlap_of(training, frame)
    share = int(re.search(r"Warning: (?:about )?(\d+)% of these rows trained the model", warning).group(1))
    low, high = map(int, re.search(r"95% interval (\d+)% to (\d+)%", warning).groups())
    checked = int(re.search(r"\d+ of (\d+) of them, a random sample", warning).group(1))
    assert checked >= 30 and low <= 80 <= high and high - low <= 40 and 60 <= share <= 95


def test_whole_numbers_match_whether_read_as_integers_or_floats() -> None:
    # Training rows whose column had a gap elsewhere were read as floats ("7.0"); a test file without the gap
    # reads the same rows as integers ("7"): they are the same rows.
    from trainwell.data.fingerprint import RowSketch

    rng = np.random.default_rng(2)
    training = pd.DataFrame(
        {"age": rng.integers(1, 90, 500).astype(float), "city": rng.choice(["a", "b"], 500)}
    )
    training.loc[0, "age"] = np.nan
    again = training.iloc[1:].astype({"age": "int64"})
    assert RowSketch.of(training, ["age", "city"]).training_share(again)[0] == 1.0
    # A sketch written before (hex hashes, values as pandas printed them) is still read, and hashed its way.
    old = {
        "columns": ["age", "city"],
        "n_rows": 500,
        "hashes": [f"{h:016x}" for h in np.unique(row_hashes_v1(training))],
    }
    assert RowSketch.from_dict(old).training_share(training.iloc[1:])[0] == 1.0


def row_hashes_v1(frame: pd.DataFrame) -> np.ndarray:
    return pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy(dtype=np.uint64)


def test_wilson_interval_against_reference_values() -> None:
    from trainwell.data.fingerprint import wilson_interval

    # Newcombe (1998), "Two-sided confidence intervals for the single proportion", Table I, method 3.
    for (found, sampled), expected in {
        (81, 263): (0.2553, 0.3662),
        (15, 148): (0.0624, 0.1605),
        (0, 20): (0.0, 0.1611),
        (1, 29): (0.0061, 0.1718),
    }.items():
        assert np.allclose(wilson_interval(found, sampled), expected, atol=5e-5), (found, sampled)
    assert wilson_interval(5, 5) == (wilson_interval(5, 5)[0], 1.0) and wilson_interval(5, 5)[0] > 0.5


def test_a_model_worse_than_the_mean_is_said_plainly_on_the_page_and_the_terminal() -> None:
    from trainwell.data.task import Task
    from trainwell.report.build import _metrics_section

    targets = torch.linspace(0, 100, 300)
    predictions = 100 - targets  # anti-correlated: R² far below 0
    with pytest.warns(UserWarning, match=r"worse than always answering the mean"):
        section = _metrics_section(Task("regression", (), ("price",)), predictions, targets, 300, "t.csv")
    assert (
        "Warning: on these rows the model predicts &#x27;price&#x27; worse than always answering" in section
    )
    assert (
        "worse than always answering these rows&#x27; own average" in section and "explains -" not in section
    )
    good = _metrics_section(Task("regression", (), ("price",)), targets + 1, targets, 300, "t.csv")
    assert "Warning" not in good and "the model explains" in good


def test_predicted_against_actual_labels_large_values_compactly() -> None:
    from matplotlib.figure import Figure

    from trainwell.report._plots import compact_labels, compact_ticks

    assert compact_labels([0, 50_000, 100_000, 150_000]) == ["0", "50k", "100k", "150k"]
    assert compact_labels([100_000, 100_500, 101_000]) == ["100.0k", "100.5k", "101.0k"]  # told apart
    assert compact_labels([1e6, 2.5e6]) == ["1.0M", "2.5M"] and compact_labels([0, 0.5, 1]) == [
        "0.0",
        "0.5",
        "1.0",
    ]
    figure = Figure(figsize=(5, 5))
    axis = figure.add_subplot()
    axis.scatter([15_000, 500_000], [20_000, 400_000])
    compact_ticks(axis)
    figure.canvas.draw()
    labels = [label.get_text() for label in axis.get_xticklabels()]
    assert 2 <= len(labels) <= 8 and all(len(label) <= 5 for label in labels) and "100k" in labels, labels


def test_most_confused_pairs_list_the_top_ones_and_count_the_rest() -> None:
    # Ten classes can be confused in 90 ways: the table listed every pair seen once, a page of ones.
    from trainwell.data.task import Task
    from trainwell.interpret import ClassificationInterpretation
    from trainwell.report.build import CONFUSED_PAIRS, _classification_sections

    classes = tuple(str(digit) for digit in range(10))
    actual = np.repeat(np.arange(10), 10)
    predicted = np.tile(np.arange(10), 10)  # every pair once, the diagonal included
    predicted[:3] = 1  # actual 0 taken for 1 three times: the commonest pair
    interpretation = ClassificationInterpretation(
        Task("multiclass", classes, ("digit",)), np.ones(100), actual, predicted, np.full(100, 0.5)
    )
    confusion = _classification_sections(interpretation)[0]
    listed = re.findall(r"<tr><td>(\d)</td><td>(\d)</td><td class=\"number\">(\d+)</td></tr>", confusion)
    assert len(listed) == CONFUSED_PAIRS == 10 and listed[0] == ("0", "1", "3")
    # 89 pairs (actual 0 is no longer taken for 2), each seen once but the first: 79 left, of 79 rows.
    assert "79 more pairs (79 rows, at most 1 each) are not listed" in confusion


def test_star_ratings_get_a_box_per_star_not_a_blot_of_points() -> None:
    # 20,000 ratings drew 20,000 overlapping dots, with ticks at 0.8, 1.6, 2.4 for ratings of whole stars.
    from matplotlib.collections import PathCollection

    from trainwell.report._plots import predicted_vs_actual_figure

    rng = np.random.default_rng(0)
    actual = rng.choice([1.0, 2.0, 3.0, 4.0, 5.0], size=20_000)
    predicted = 3.5 + 0.4 * (actual - 3.5) + rng.normal(0.0, 0.8, size=20_000)
    figure = predicted_vs_actual_figure(predicted, actual, unit="ratings")
    figure.canvas.draw()
    axis = figure.axes[0]
    assert list(axis.get_xticks()) == [1.0, 2.0, 3.0, 4.0, 5.0]
    counts = [int((actual == star).sum()) for star in range(1, 6)]
    labels = [label.get_text() for label in axis.get_xticklabels()]
    assert labels == [f"{star}\n{count:,}" for star, count in zip(range(1, 6), counts, strict=True)]
    assert not [c for c in axis.collections if isinstance(c, PathCollection) and len(c.get_offsets()) > 100]
    assert "ratings with that value" in axis.get_xlabel()
    legend = axis.get_legend()
    assert legend.get_window_extent().y1 < axis.get_window_extent().y0  # under the plot, hiding nothing


def test_many_continuous_points_are_drawn_as_a_density_with_its_scale_named() -> None:
    from matplotlib.collections import PathCollection, PolyCollection

    from trainwell.report._plots import DENSE_POINTS, predicted_vs_actual_figure

    rng = np.random.default_rng(0)
    actual = rng.lognormal(12.0, 0.5, size=DENSE_POINTS + 1)
    figure = predicted_vs_actual_figure(actual * rng.lognormal(0.0, 0.2, size=len(actual)), actual)
    plot, bar = figure.axes
    assert any(isinstance(c, PolyCollection) for c in plot.collections)  # hexagons
    assert not any(isinstance(c, PathCollection) for c in plot.collections)
    assert bar.get_ylabel() == "rows per hexagon (log scale)"
    few = predicted_vs_actual_figure(actual[:300] * 1.1, actual[:300])
    assert len(few.axes) == 1 and len(few.axes[0].collections[0].get_offsets()) == 300  # a scatter


def test_top_losses_number_rows_as_the_file_does_and_align_numbers(tmp_path: Path) -> None:
    from trainwell.data.io import read_table
    from trainwell.data.task import Task
    from trainwell.report.build import _top_losses_section

    path = tmp_path / "rows.csv"
    pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": np.array([1, 5, 3], dtype=np.int64)}).to_csv(path, index=False)
    frame = read_table(path)
    task = Task("regression", (), ("y",))
    section = _top_losses_section(
        task, torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 5.0, 3.0]), frame, ["x"], 3
    )
    # The worst row (y 5, predicted 2) is the file's second data row, its third line: row 2, as predict counts.
    assert '<tr><td class="number">2</td><td class="number">5</td><td class="number">2.0000</td>' in section
    assert path.read_text().splitlines()[2] == "2.0,5"
    assert "counted from 1 (the first row after the header)" in section


def test_a_wide_picture_shrinks_to_a_narrow_window_whole() -> None:
    # A minimum width of 0.6 times the picture's kept its labels readable at 400 px but cropped it to one panel
    # of a scrolling box (the colour bar, two occlusion pairs of three out of sight): it now shrinks (CSS img).
    from matplotlib.figure import Figure

    from trainwell.report._html import CSS, image
    from trainwell.report._plots import figure_png

    wide = Figure(figsize=(16, 4))
    wide.add_subplot().plot([0, 1])
    tag = image(figure_png(wide), "curves")
    assert tag.startswith("<img ") and "min-width" not in tag and "scroll" not in tag
    assert "img { max-width: 100%; height: auto;" in CSS


def test_counts_in_sentences_have_thousands_separators() -> None:
    # "On 20000 rows" and "ratings in 20000 rows" beside tables that write 20,000.
    from trainwell.data.task import Task
    from trainwell.report.build import _metrics_section

    targets = torch.linspace(0, 100, 20_000)
    section = _metrics_section(Task("regression", (), ("price",)), targets + 1, targets, 20_000, "t.csv")
    assert "On 20,000 rows from t.csv" in section


def test_a_share_written_as_a_percent_is_aligned_as_a_number() -> None:
    # "Where the loss comes from": counts right-aligned, the shares beside them left-aligned as words.
    from trainwell.report._html import table

    cells = table(["share"], [("13.7%",), ("0.0%",), ("of 12%",), ("%",)])
    assert cells.count('<td class="number">') == 2 and "<td>of 12%</td>" in cells and "<td>%</td>" in cells


def test_without_data_the_report_shows_what_the_model_directory_recorded(
    model_dir: Path, tmp_path: Path
) -> None:
    # report had to be given --data: a look at a saved model's curves and figures needed its data at hand.
    import json

    import typer
    from typer.testing import CliRunner

    from trainwell.cli.report_cmd import report

    app = typer.Typer()
    app.command("report")(report)
    app.command("unused")(lambda: None)
    out = tmp_path / "recorded.html"
    done = CliRunner().invoke(app, ["report", str(model_dir), "--out", str(out)], env={"COLUMNS": "200"})
    assert done.exit_code == 0, done.output
    page = out.read_text(encoding="utf-8")
    final = json.loads((model_dir / "trainwell.json").read_text())["training"]["final"]
    assert (
        "No data was given" in page
        and "<h2>Recorded figures</h2>" in page
        and "<h2>Training curves</h2>" in page
    )
    # The header every report opens with (no longer a sentence of its own).
    assert "<dt>Model</dt><dd>binary table classifier predicting &#x27;income&#x27;" in page
    assert (
        "<dt>Evaluated on</dt><dd>no data given: the figures fit recorded on its own validation rows" in page
    )
    # each figure says which rows it was measured on (train_loss: the training batches)
    assert (
        f'<td>accuracy</td><td>the validation rows</td><td class="number">{final["accuracy"]:.4f}</td>'
        in page
    ), page
    assert "<h2>Top losses</h2>" not in page and "data:image/png;base64," in page  # curves.png embedded
    refused = CliRunner().invoke(
        app,
        ["report", str(model_dir), "--names", "a,b", "--out", str(tmp_path / "x.html")],
        env={"COLUMNS": "200"},
    )
    assert (
        refused.exit_code == 2
        and "--names reads the labelled rows of --data, and none was given" in refused.output
    )
    assert not (tmp_path / "x.html").exists()


def test_report_importance_has_intervals_and_readings(report_html: Path) -> None:
    text = report_html.read_text(encoding="utf-8")
    section = text[text.index("<h2>Permutation feature importance</h2>") :]
    assert "shuffled 5 times" in section and "95% interval" in section
    assert re.search(r"\[-?\d[\d.e-]*, -?\d[\d.e-]*\]", section)
    assert "helps" in section or "no measurable effect" in section
