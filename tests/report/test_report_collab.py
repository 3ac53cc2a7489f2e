"""The HTML report on a recommender: metrics, error by what the model knew, top losses, item biases and
nearest items, rendered by a real browser."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from report_browser import dump_dom

import trainwell
from ratings_support import low_rank_ratings
from trainwell.core.errors import DataError
from trainwell.core.numbers import figure
from trainwell.report import build_report


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("collab") / "model"
    trainwell.fit_ratings(low_rank_ratings(0).frame, out=out, epochs=5, progress=False)
    return out


def held_out() -> pd.DataFrame:
    """200 ratings by the same generating model of pairs it was not trained on, plus two rows of a user the
    model never saw."""
    truth = low_rank_ratings(0)
    taken = set(zip(truth.frame["user"] - 1, truth.frame["item"] - 1, strict=True))
    rng = np.random.default_rng(1)
    pairs: list[tuple[int, int]] = []
    while len(pairs) < 200:
        pair = (
            int(rng.integers(truth.user_factors.shape[0])),
            int(rng.integers(truth.item_factors.shape[0])),
        )
        if pair not in taken:
            taken.add(pair)
            pairs.append(pair)
    users, items = np.array(pairs).T
    raw = (truth.user_factors[users] * truth.item_factors[items]).sum(1) + truth.user_bias[users]
    rating = np.clip(3.0 + raw + truth.item_bias[items], 1.0, 5.0).round(2)
    frame = pd.DataFrame({"user": users + 1, "item": items + 1, "rating": rating})
    new_user = pd.DataFrame({"user": [999, 999], "item": [1, 2], "rating": [4.0, 2.0]})
    return pd.concat([frame, new_user], ignore_index=True)


def test_a_report_on_the_training_ratings_says_so(model_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "ratings.csv"
    low_rank_ratings(0).frame.to_csv(path, index=False)
    html = build_report(model_dir, path, tmp_path / "report.html").read_text(encoding="utf-8")
    share = int(re.search(r"Warning: (?:about )?(\d+)% of these rows trained the model", html).group(1))
    assert 65 <= share <= 95 and "<h2>Metrics on ratings the model trained on</h2>" in html


def test_report_breaks_the_error_down_by_what_the_model_knew(model_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "ratings.csv"
    held_out().to_csv(path, index=False)
    html = build_report(model_dir, path, tmp_path / "report.html").read_text(encoding="utf-8")
    for heading in (
        "Training curves",
        "Metrics on held-out data",
        "Predicted against actual",
        "Error by what the model knew",
        "How the model ranks items for each user",
        "Top losses",
        "Items liked or disliked whatever the user",
        "Nearest items",
    ):
        assert f"<h2>{heading}</h2>" in html
    assert re.search(r"<td>user and item seen in training</td><td[^>]*>200</td>", html)
    assert re.search(r"<td>new user \(scored as the average user\)</td><td[^>]*>2</td>", html)
    assert "60 users and 40 items known from training</dd>" in html
    assert "<dt>Evaluated on</dt><dd>202 rated pairs" in html
    assert "trained the model" not in html


def test_missing_ratings_are_a_clear_error(model_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="rating column 'rating' not found"):
        build_report(model_dir, held_out().drop(columns="rating"), tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()


def grouped_clicks() -> pd.DataFrame:
    """Users of group g click only items of group g (ids ``g*100 + j``), at increasing times."""
    rng = np.random.default_rng(0)
    rows = []
    for group in range(3):
        for member in range(20):
            chosen = rng.choice(12, 8, replace=False)
            rows += [(f"u{group}-{member}", group * 100 + int(j), t) for t, j in enumerate(chosen)]
    return pd.DataFrame(rows, columns=["user", "item", "timestamp"])


def test_an_implicit_model_is_reported_on_its_own_validation_with_both_baselines(tmp_path: Path) -> None:
    clicks = grouped_clicks()
    run = trainwell.fit_ratings(
        clicks, out=tmp_path / "m", epochs=10, lr=3e-2, n_factors=16, batch_size=64, progress=False
    )
    html = build_report(tmp_path / "m", clicks, tmp_path / "report.html").read_text(encoding="utf-8")
    for heading in (
        "Ranking quality",
        "The model against each baseline",
        "Who it works for",
        "Popular items and the long tail",
        "How much of the catalogue it recommends",
        "Recommendations to look at",
    ):
        assert f"<h2>{heading}</h2>" in html or f"<h3>{heading}</h3>" in html
    # The same table as the fit's: the same held-out interactions, so the fit's own numbers.
    row = run.learn.history[-1]
    for name in ("hit@10", "ndcg@10", "hit@10_popularity", "hit@10_ease"):
        assert re.search(rf"<td>{re.escape(name)}</td><td[^>]*>{figure(row[name])}</td>", html), name
    assert "60 users ranked" in html
    # Knowing the group is everything here: the model and EASE tie, both far above popularity.
    assert re.search(r"<td>popularity</td><td[^>]*>0\.\d+</td><td>[^<]*</td><td>better</td>", html)
    assert re.search(r"<td>ease</td><td[^>]*>[^<]*</td><td>[^<]*</td><td>no clear difference</td>", html)
    # Every user's top 10 is within their own group: the held-out item is there, in brackets.
    assert html.count("[") >= 5
    names = tmp_path / "items.csv"  # each item's name beside its id, in the examples as in a ratings report
    items = sorted(set(clicks["item"]))
    pd.DataFrame({"item": items, "title": [f"Title {item}" for item in items]}).to_csv(names, index=False)
    named = build_report(tmp_path / "m", clicks, tmp_path / "named.html", item_names=names).read_text(
        encoding="utf-8"
    )
    examples = named[named.index("Recommendations to look at") :]
    assert len(re.findall(r"\[\d+ Title \d+\]", examples)) >= 5  # the held-out item, named, in brackets
    assert sum(f"{item} Title {item}" in examples for item in items) >= 10


def test_an_implicit_report_needs_users_the_model_knows(tmp_path: Path) -> None:
    clicks = grouped_clicks()
    trainwell.fit_ratings(clicks, out=tmp_path / "m", epochs=1, progress=False)
    strangers = clicks.assign(user=clicks["user"] + "-new")
    with pytest.raises(DataError, match="none of the 60 held-out interactions"):
        build_report(tmp_path / "m", strangers, tmp_path / "r.html")
    with pytest.raises(DataError, match="item column 'item' not found"):
        build_report(tmp_path / "m", clicks.drop(columns="item"), tmp_path / "r.html")
    dom = dump_dom(build_report(tmp_path / "m", clicks, tmp_path / "r.html"), tmp_path / "profile")
    assert "Who it works for" in dom and "Recommendations to look at" in dom


def test_collab_report_renders_in_headless_chromium(model_dir: Path, tmp_path: Path) -> None:
    dom = dump_dom(build_report(model_dir, held_out(), tmp_path / "report.html"), tmp_path / "profile")
    for heading in (
        "Error by what the model knew",
        "How the model ranks items for each user",
        "Nearest items",
    ):
        assert heading in dom


def test_an_ease_model_is_reported_without_itself_as_a_bar(tmp_path: Path) -> None:
    clicks = grouped_clicks()
    run = trainwell.fit_ratings(clicks, out=tmp_path / "m", arch="ease", batch_size=64, progress=False)
    html = build_report(tmp_path / "m", clicks, tmp_path / "report.html").read_text(encoding="utf-8")
    row = run.learn.history[-1]
    for name in ("hit@10", "ndcg@10", "hit@10_popularity"):
        assert re.search(rf"<td>{re.escape(name)}</td><td[^>]*>{figure(row[name])}</td>", html), name
    assert "The model is EASE itself" in html and "<td>ease</td>" not in html
    assert "None" not in html
    # Fitted in closed form: one sentence on how, instead of curves of nothing (one validation dot).
    lam = trainwell.load(tmp_path / "m").model.lam
    section = html.split('<section id="training">')[1].split("</section>")[0]
    assert (
        "<h2>How the model was fitted</h2>" in section and "<img" not in section and "<table" not in section
    )
    assert "Fitted in closed form, not by gradient descent" in section and f"λ = {lam:g}" in section
    # A directory written before kept a curves.png of that one dot: it is not shown either.
    assert not (tmp_path / "m" / "curves.png").exists()
    (tmp_path / "m" / "curves.png").write_bytes(b"\x89PNG old")
    again = build_report(tmp_path / "m", clicks, tmp_path / "again.html").read_text(encoding="utf-8")
    section = again.split('<section id="training">')[1].split("</section>")[0]
    assert "<h2>Training curves</h2>" not in again and "<img" not in section


def test_the_seed_draws_the_metrics_intervals(model_dir: Path, tmp_path: Path) -> None:
    def metrics(seed: int) -> str:
        html = build_report(model_dir, held_out(), tmp_path / f"{seed}.html", seed=seed).read_text()
        start = html.index("the 95% interval is a percentile bootstrap")
        return html[start : html.index("</table>", start)]

    assert metrics(0) == metrics(0)
    assert metrics(0) != metrics(1)  # --seed used to be ignored here: every report drew seed 0


def test_an_ease_models_recorded_report_shows_its_lambda_not_an_optimizer(tmp_path: Path) -> None:
    # Without --data, the settings listed the optimizer, weight decay and epochs every trainwell.json records,
    # of a model solved in one step.
    import html as html_text
    import json

    clicks = grouped_clicks()
    trainwell.fit_ratings(clicks, out=tmp_path / "m", arch="ease", batch_size=64, progress=False)
    page = build_report(tmp_path / "m", None, tmp_path / "recorded.html").read_text(encoding="utf-8")
    settings = page.split('<section id="settings">', 1)[1].split("</section>", 1)[0]
    cells = [html_text.unescape(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", settings)]
    rows = dict(zip(cells[::2], cells[1::2], strict=True))
    config = json.loads((tmp_path / "m" / "trainwell.json").read_text())["architecture"]["config"]
    assert rows["architecture"] == "ease"
    assert float(rows["λ (L2 regularisation of the item weights)"]) == pytest.approx(config["lam"], rel=1e-3)
    assert rows["training interactions"].replace(",", "") == str(config["n_interactions"])
    assert not {"optimizer", "weight decay", "epochs recorded", "loss"} & set(rows), rows
