"""What tour T48 saw wrong in reports: a multi-label TSV of ids ('0,7', --label-delim ,) read as numbers with a
decimal comma and refused; top losses of a file without a header row said "the first row after the header";
the recorded figures headed train_loss "validation"; a recommender's top losses without the item titles given;
"1 channel(s)"."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import trainwell
from ratings_support import low_rank_ratings
from trainwell.report import build_report
from trainwell.report._outputs import HEADERLESS_ROWS, ROW_NUMBERS
from trainwell.text import fit_texts

# The small models here learn little (a leak warning, a score below a baseline's): the tests read the page.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _topics(n: int, seed: int) -> pd.DataFrame:
    """Texts about topic 0 (sport), 1 (food) or both, labelled by ids joined by commas as GoEmotions' are."""
    rng = np.random.default_rng(seed)
    words = {"0": ["goal", "match", "team"], "1": ["bread", "soup", "cheese"]}
    filler = ["the", "a", "today", "we", "saw", "very", "and"]
    rows = []
    for _ in range(n):
        labels = [name for name in words if rng.random() < 0.5] or ["0"]
        tokens = [str(rng.choice(filler)) for _ in range(6)] + [
            str(rng.choice(words[name])) for name in labels
        ]
        rng.shuffle(tokens)
        rows.append((" ".join(tokens), ",".join(labels)))
    return pd.DataFrame(rows, columns=["text", "topic"])


@pytest.fixture(scope="module")
def ids_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ids") / "model"
    fit_texts(
        _topics(300, 0), text_col="text", target="topic", label_delim=",", out=out, epochs=3, progress=False
    )
    return out


def _top_note(html: str) -> str:
    return html.split("<h2>Top losses</h2>", 1)[1].split("</section>", 1)[0]


def test_a_tsv_of_comma_joined_label_ids_is_read_as_labels(ids_model: Path, tmp_path: Path) -> None:
    # '0,1' in a TSV was read as the number 0.1 and the report refused "labels the model does not know: ['0.1']".
    valid = _topics(80, 1)
    assert (valid["topic"] == "0,1").any()
    path = tmp_path / "valid.tsv"
    valid.to_csv(path, sep="\t", index=False)
    # word_effects=False: the words behind a few predictions (occlusion, seconds) are not what is read here
    html = build_report(ids_model, path, tmp_path / "report.html", word_effects=False).read_text(
        encoding="utf-8"
    )
    assert "<h2>Per-label quality</h2>" in html
    assert ROW_NUMBERS.replace("'", "&#x27;") in html  # a header row: rows counted after it


def test_a_headerless_file_numbers_its_rows_by_line(ids_model: Path, tmp_path: Path) -> None:
    # Read with the names fit recorded (GoEmotions' train.tsv: text, labels, id), row N is the file's line N.
    path = tmp_path / "valid.tsv"
    _topics(80, 1).to_csv(path, sep="\t", index=False, header=False)
    html = build_report(
        ids_model, path, tmp_path / "r.html", names=["text", "topic"], word_effects=False
    ).read_text(encoding="utf-8")
    note = _top_note(html)
    assert "after the header" not in note
    assert HEADERLESS_ROWS.replace("'", "&#x27;") in note and "<th>row</th>" in note


def test_a_headerless_table_and_ratings_file_say_line_and_titles_show(tmp_path: Path) -> None:
    out = tmp_path / "recs"
    ratings = low_rank_ratings(0).frame
    trainwell.fit_ratings(ratings, out=out, epochs=2, progress=False)
    path = tmp_path / "u.data"  # MovieLens' layout: user, item, rating, no header
    ratings.head(60).to_csv(path, sep="\t", index=False, header=False)
    titles = tmp_path / "items.csv"
    pd.DataFrame({"item": sorted(ratings["item"].unique())}).assign(
        title=lambda frame: "Film " + frame["item"].astype(str) + " (1977)"
    ).to_csv(titles, index=False)
    from trainwell.collab.names import read_item_names

    named = read_item_names(titles, "item")
    assert named
    html = build_report(out, path, tmp_path / "r.html", item_names=titles).read_text(encoding="utf-8")
    note = _top_note(html)
    assert "after the header" not in note and "the file has no header row" in note
    shown = re.findall(r"<td[^>]*>(\d+ Film \d+ \(1977\))</td>", note)
    assert shown, note[:2000]
    # with a header row, the usual wording
    ratings.head(60).to_csv(tmp_path / "r.csv", index=False)
    html = build_report(out, tmp_path / "r.csv", tmp_path / "r2.html").read_text(encoding="utf-8")
    assert "after the header" in _top_note(html)


def test_the_recorded_figures_say_which_rows_each_was_measured_on(ids_model: Path, tmp_path: Path) -> None:
    html = build_report(ids_model, None, tmp_path / "r.html").read_text(encoding="utf-8")
    section = html.split("<h2>Recorded figures</h2>", 1)[1].split("</section>", 1)[0]
    assert "validation (last epoch)" not in section
    rows = {
        cells[0]: cells
        for cells in (re.findall(r"<td[^>]*>(.*?)</td>", row) for row in section.split("</tr>"))
        if cells
    }
    assert rows["train_loss"][1] == "the training batches"
    assert rows["valid_loss"][1] == "the validation texts"
    assert (
        json.loads((ids_model / "trainwell.json").read_text())["training"]["final"]["train_loss"] is not None
    )


def test_an_image_report_counts_its_channels_in_words(tmp_path: Path) -> None:
    # The header said "3 channel(s)"; one channel is "1 channel".
    from image_files import make_image_folder
    from trainwell.vision import image_data, vision_learner

    make_image_folder(tmp_path / "train", ("horizontal", "vertical"), per_class=8, seed=0)
    valid = make_image_folder(tmp_path / "valid", ("horizontal", "vertical"), per_class=3, seed=1)
    learn = vision_learner(image_data(tmp_path / "train"), progress=False)
    learn.fit_one_cycle(1, 3e-3)
    learn.export(tmp_path / "model")
    # top_k=1: the top losses' occlusion maps (most of an image report's time) are not what is read here
    html = build_report(tmp_path / "model", valid, tmp_path / "r.html", top_k=1).read_text(encoding="utf-8")
    assert "channel(s)" not in html and re.search(r"\d+x\d+, 3 channels\.", html)


def test_the_baselines_fit_showed_stay_beside_the_report_metrics(tmp_path: Path) -> None:
    # fit printed entity_f1_baseline / tag_accuracy_baseline and rmse_biases; the report's metrics showed neither.
    from tagging_samples import entity_sentences, write_conll_file
    from trainwell.text import fit_tagger

    small = {"word_dim": 16, "char_dim": 8, "char_filters": 8, "casing_dim": 4, "hidden": 16, "dropout": 0.1}
    tagger = tmp_path / "tagger"
    fit_tagger(entity_sentences(120, seed=1), valid=entity_sentences(30, seed=2), out=tagger, epochs=1,
               lr=2e-2, progress=False, arch_config=small)  # fmt: skip
    final = json.loads((tagger / "trainwell.json").read_text())["training"]["final"]
    test = write_conll_file(tmp_path / "test.conll", entity_sentences(20, seed=7))
    html = build_report(tagger, test, tmp_path / "t.html").read_text(encoding="utf-8")
    metrics = html.split(">Metrics<", 1)[1].split("</section>", 1)[0]
    assert "most frequent training tag" in metrics
    assert f"tag_accuracy {final['tag_accuracy_baseline']:.4f}" in metrics
    assert f"where the model scored {final['tag_accuracy']:.4f}" in metrics

    recs = tmp_path / "recs"
    ratings = low_rank_ratings(0).frame
    trainwell.fit_ratings(ratings, out=recs, epochs=1, progress=False)
    biases = json.loads((recs / "trainwell.json").read_text())["training"]["final"]["rmse_biases"]
    html = build_report(recs, ratings.head(80), tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<h2>Baseline</h2>" in html and f"user + item biases alone scored rmse {biases:.4f}" in html


def test_a_table_models_delimited_label_ids_in_a_tsv_stay_labels(tmp_path: Path) -> None:
    # A multi-label table model fitted on ids '0,1' (label_delim=','): the report read a TSV's '0,1' as the number
    # 0.1 (a decimal comma) and stopped on "TypeError: 'float' object is not iterable".
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2))
    labels = [",".join(name for name, on in (("0", a > 0), ("1", b > 0)) if on) or "0" for a, b in x]
    rows = pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "labels": labels})
    assert (rows["labels"] == "0,1").any()
    trainwell.fit_table(rows, "labels", label_delim=",", out=tmp_path / "m", epochs=1, progress=False)
    rows.tail(60).to_csv(tmp_path / "valid.tsv", sep="\t", index=False)
    html = build_report(tmp_path / "m", tmp_path / "valid.tsv", tmp_path / "r.html").read_text(
        encoding="utf-8"
    )
    assert "<h2>Per-label quality</h2>" in html
