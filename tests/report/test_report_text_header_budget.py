"""The text report opens with the header every report opens with (and so does the report without --data); a
text regression places its predictions against the training targets' range; the words behind the predictions
cost the same whatever the texts' length (a sequence model's variants read the first 60 words), are cut down
and said so past a few seconds, and --no-word-effects leaves them out."""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import trainwell
from process_support import run_trainwell
from text_samples import reviews
from trainwell.core.errors import ConfigError
from trainwell.report import _text, build_report
from trainwell.report._html import HEADER_LINES
from trainwell.text import fit_texts

SECTION = "<h2>Words behind the predictions</h2>"
SMALL_AWD_LSTM = {"emb_size": 16, "hidden_size": 24, "n_layers": 1, "head_hidden": 8}


def _header(page: str) -> list[tuple[str, str]]:
    block = page.split('<dl class="facts">', 1)[1].split("</dl>", 1)[0]
    return [
        (name, html.unescape(value)) for name, value in re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", block)
    ]


@pytest.fixture(scope="module")
def bag_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bag") / "model"
    fit_texts(reviews(200, 0, shuffle=True), text_col="review", target="sentiment", out=out, epochs=4, lr=0.3,
              ngrams=1, progress=False)  # fmt: skip
    return out


@pytest.fixture(scope="module")
def lstm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lstm") / "model"
    fit_texts(reviews(120, 0, shuffle=True), text_col="review", target="sentiment", out=out, epochs=1,
              arch="awd_lstm", arch_config=SMALL_AWD_LSTM, progress=False)  # fmt: skip
    return out


def _long_reviews(tmp_path: Path, n: int = 12) -> Path:
    """Reviews of 200 to 400 words (the sentiment word among filler): IMDb's length, not SST-2's."""
    frame = reviews(n, 5, filler=None, shuffle=True)
    rng = np.random.default_rng(1)
    frame["review"] = [
        " ".join([text, *rng.choice(["the", "plot", "and", "film"], int(rng.integers(200, 400)))])
        for text in frame["review"]
    ]
    path = tmp_path / "long.csv"
    frame.to_csv(path, index=False)
    return path


def test_the_text_report_opens_with_the_header_every_report_opens_with(bag_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "judged.csv"
    reviews(30, 2).to_csv(path, index=False)
    page = build_report(bag_dir, path, tmp_path / "report.html").read_text(encoding="utf-8")
    lines = _header(page)
    assert [name for name, _ in lines] == list(HEADER_LINES)
    assert lines[1][1] == "binary text classifier predicting 'sentiment' from 'review' (neg, pos)"
    assert lines[3][1] == f"30 labelled texts from {path}"
    assert page.count(f"trainwell {trainwell.__version__}") == 1  # in the header alone
    assert ", evaluated on 30 labelled texts" not in page  # the old one-sentence opening


def test_the_report_without_data_opens_with_the_same_header(bag_dir: Path, tmp_path: Path) -> None:
    page = build_report(bag_dir, None, tmp_path / "recorded.html").read_text(encoding="utf-8")
    lines = _header(page)
    assert [name for name, _ in lines] == list(HEADER_LINES)
    assert lines[0][1] == str(bag_dir)
    assert lines[1][1] == "binary text classifier predicting 'sentiment' (neg, pos)"
    assert lines[3][1] == "no data given: the figures fit recorded on its own validation texts"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", lines[2][1])
    assert page.count(f"trainwell {trainwell.__version__}") == 1 and "Model directory: " not in page
    assert "No data was given: this page shows what the model directory recorded" in page


def test_a_text_regression_places_its_predictions_in_the_training_range(tmp_path: Path) -> None:
    frame = reviews(160, 0)
    frame["score"] = np.where(frame["sentiment"] == "pos", 4.0, 1.0) + np.random.default_rng(0).normal(
        0, 0.2, 160
    )
    fit_texts(frame.drop(columns="sentiment"), text_col="review", target="score", out=tmp_path / "m", epochs=3,
              ngrams=1, progress=False)  # fmt: skip
    judged = tmp_path / "judged.csv"
    held = reviews(40, 9)  # texts it has not trained on
    held["score"] = np.where(held["sentiment"] == "pos", 4.0, 1.0)
    held.drop(columns="sentiment").to_csv(judged, index=False)
    page = html.unescape(
        build_report(tmp_path / "m", judged, tmp_path / "r.html").read_text(encoding="utf-8")
    )
    low, high = frame["score"].min(), frame["score"].max()
    assert f"the training targets ranged from {low:.4g} to {high:.4g}" in page, re.findall(
        r"training [^<]*", page
    )
    assert _header(page)[1][1] == "text regression predicting 'score' from 'review'"


def test_a_sequence_model_reads_a_window_and_long_texts_cost_no_more(lstm_dir: Path, tmp_path: Path) -> None:
    page = build_report(lstm_dir, _long_reviews(tmp_path), tmp_path / "r.html").read_text(encoding="utf-8")
    section = html.unescape(page.split(SECTION, 1)[1].split("</section>", 1)[0])
    assert (
        "The prediction shown is the model's on the whole text; each variant reads the first 60 words"
        in section
    )
    # The prediction shown is the whole text's: the same probability the top losses give.
    predictor = trainwell.load(lstm_dir)
    frame = pd.read_csv(tmp_path / "long.csv")
    whole = predictor.predict_proba(frame).reshape(-1).double().numpy()
    shown = [float(p) for p in re.findall(r"predicted (?:pos|neg) \((0\.\d+)\)", section)]
    assert shown and all(np.isclose(np.maximum(whole, 1 - whole), p, atol=6e-4).any() for p in shown)
    assert re.search(r"\(the first 60 of its \d{3} words\)", section)


def test_past_its_seconds_the_section_is_cut_and_says_so(
    lstm_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_text, "SECONDS", 0.0)  # any machine is too slow: the cut is certain
    page = build_report(lstm_dir, _long_reviews(tmp_path), tmp_path / "r.html").read_text(encoding="utf-8")
    section = html.unescape(page.split(SECTION, 1)[1].split("</section>", 1)[0])
    assert re.search(r"Cut to keep this section within about 0 s: it shades 2 of 6 texts \(6 would have taken "
                     r"about \d+ s here; the first took [\d.]+ s\)\.", section)  # fmt: skip
    assert section.count('<div style="border') == 2


def test_no_word_effects_leaves_the_section_out(bag_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "judged.csv"
    reviews(30, 2).to_csv(path, index=False)
    page = build_report(bag_dir, path, tmp_path / "r.html", word_effects=False).read_text(encoding="utf-8")
    assert SECTION not in page and "Top losses" in page
    done = run_trainwell(
        "report", bag_dir, "--data", path, "--out", tmp_path / "cli.html", "--no-word-effects"
    )
    assert done.returncode == 0, done.stderr
    assert SECTION not in (tmp_path / "cli.html").read_text(encoding="utf-8")
    refused = run_trainwell("report", bag_dir, "--out", tmp_path / "none.html", "--no-word-effects")
    assert refused.returncode == 2 and "--no-word-effects reads the labelled rows of --data" in refused.stderr
    with pytest.raises(ConfigError, match="no data was given: drop it"):
        build_report(bag_dir, None, tmp_path / "none.html", word_effects=False)


def test_the_implicit_report_says_its_model_and_version_once(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)  # users of group g click items of group g, at increasing times
    clicks = pd.DataFrame(
        [
            (f"u{group}-{member}", group * 100 + int(item), time)
            for group in range(3)
            for member in range(20)
            for time, item in enumerate(rng.choice(12, 8, replace=False))
        ],
        columns=["user", "item", "timestamp"],
    )
    trainwell.fit_ratings(clicks, out=tmp_path / "m", epochs=1, progress=False)
    page = build_report(tmp_path / "m", clicks, tmp_path / "r.html").read_text(encoding="utf-8")
    assert page.count(f"trainwell {trainwell.__version__}") == 1  # the header's Report by
    assert page.count("users and 36 items known from training") == 1  # the header's Model line
    assert "From the data, each user&#x27;s latest interaction is held out and ranked" in page
