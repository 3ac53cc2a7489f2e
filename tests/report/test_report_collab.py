"""The HTML report on a recommender: metrics, error by what the model knew, top losses, item biases and
nearest items, rendered by a real browser."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from report_browser import dump_dom

import trainwell
from ratings_support import low_rank_ratings
from trainwell.core.errors import ConfigError, DataError
from trainwell.report import build_report


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("collab") / "model"
    trainwell.fit_ratings(low_rank_ratings(0).frame, out=out, epochs=5, progress=False)
    return out


def held_out() -> pd.DataFrame:
    """Ratings of the same generating model, plus two rows of a user the model never saw."""
    frame = low_rank_ratings(0).frame.sample(200, random_state=1).reset_index(drop=True)
    new_user = pd.DataFrame({"user": [999, 999], "item": [1, 2], "rating": [4.0, 2.0]})
    return pd.concat([frame, new_user], ignore_index=True)


def test_report_breaks_the_error_down_by_what_the_model_knew(model_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "ratings.csv"
    held_out().to_csv(path, index=False)
    html = build_report(model_dir, path, tmp_path / "report.html").read_text(encoding="utf-8")
    for heading in (
        "Training curves",
        "Validation metrics",
        "Predicted against actual",
        "Error by what the model knew",
        "Top losses",
        "Items liked or disliked whatever the user",
        "Nearest items",
    ):
        assert f"<h2>{heading}</h2>" in html
    assert re.search(r"<td>user and item seen in training</td><td[^>]*>200</td>", html)
    assert re.search(r"<td>new user \(scored as the average user\)</td><td[^>]*>2</td>", html)
    assert "60 users and 40 items known from training; evaluated on 202 rated pairs" in html


def test_missing_ratings_and_implicit_models_are_clear_errors(model_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="rating column 'rating' not found"):
        build_report(model_dir, held_out().drop(columns="rating"), tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()
    clicks = low_rank_ratings(1).frame.drop(columns="rating")
    implicit_dir = tmp_path / "implicit"
    trainwell.fit_ratings(clicks, out=implicit_dir, epochs=1, progress=False)
    with pytest.raises(ConfigError, match="covers rating models"):
        build_report(implicit_dir, clicks, tmp_path / "r.html")


def test_collab_report_renders_in_headless_chromium(model_dir: Path, tmp_path: Path) -> None:
    dom = dump_dom(build_report(model_dir, held_out(), tmp_path / "report.html"), tmp_path / "profile")
    for heading in ("Error by what the model knew", "Nearest items", "Top losses"):
        assert heading in dom
