"""What tour 64 found on nine rendered reports: one number format across the tables, importance worded as the
evidence allows, the trivial-baseline warning at the top, "not estimable" per-class intervals, the kept epoch,
the language model's bands and passages, the tagger's mistakes and per-type intervals, and narrow windows."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from report_browser import chromium_flags

from trainwell.data.task import Task
from trainwell.report import _html
from trainwell.report._html import interval, table
from trainwell.report._lm import _passages, concentrated_band, readable_tokens
from trainwell.report._outputs import class_section
from trainwell.report._tagging import _marked, type_intervals
from trainwell.report.build import _page, _training_section, baseline_not_beaten
from trainwell.report.importance import FeatureImportance


def _cells(html_table: str) -> list[list[str]]:
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", html_table)[1:]]


def test_every_table_writes_figures_to_four_decimals_and_data_as_it_is() -> None:
    # The history read 0.902 beside 0.9143, top losses 0.887 beside 0.9591, a recommender's 5, 4.61, 4.527.
    cells = _cells(table(["epoch", "valid_loss", "accuracy"], [(1, 0.902, 0.9143), (2, 0.464, 5.0)]))
    assert cells == [["1", "0.9020", "0.9143"], ["2", "0.4640", "5.0000"]]
    # A value read from the data keeps its own digits (4.857, 1.1), not padded to a figure.
    assert _cells(
        table(["euribor3m", "age"], [(_html.datum(4.857), _html.datum(56)), (_html.datum(1.1), 3)])
    ) == [
        ["4.857", "56"],
        ["1.1", "3"],
    ]


def test_an_interval_takes_the_size_of_the_figures_it_stands_among() -> None:
    # Importance: 6.835e-05 beside 0.138, and 51,690 beside [5.001e+04, 5.337e+04].
    assert interval(-0.00083961, 0.004178, like=0.138) == "[-0.0008, 0.0042]"
    assert interval(50012.3, 53370.9) == "[50,012, 53,371]"
    assert interval(-1.4, 12.2, like=51690.0) == "[-1, 12]"  # as the command line writes it beside 51,690
    row = _cells(table(["c", "v", "i"], [("x", 6.835e-05, interval(-0.0008, 0.0042, like=0.138))]))[0]
    assert row == ["x", "0.0001", "[-0.0008, 0.0042]"]
    assert interval(float("nan"), float("nan")) == "not estimable"


def test_a_column_that_scored_better_shuffled_reads_no_help_not_hurts() -> None:
    # Five shuffles of the same rows measure shuffle noise: "hurts" read as "drop this column".
    item = FeatureImportance("housing", -0.0009, 0.0002, low=-0.0012, high=-0.0006, n=5)
    assert item.reading == "hurts"  # the command line's filter keeps its value
    assert item.said == "no help (scored better shuffled)"
    helps = FeatureImportance("duration", 0.16, 0.01, low=0.15, high=0.17, n=5)
    assert helps.said == "helps"


def test_a_classifier_answering_one_class_opens_the_page_with_a_warning() -> None:
    task = Task("binary", (0, 1), threshold=0.5)
    targets = torch.tensor([0.0] * 428 + [1.0] * 444)
    always = torch.full((872,), 0.8)
    said = baseline_not_beaten(task, always, targets, [], [0.43, 0.57], unit="text")
    assert "does not beat always answering '1'" in said and "It answers '1' for every text" in said
    # A model right on nine in ten is not warned about.
    good = torch.where(targets > 0.5, 0.9, 0.1)
    good[:87] = 1 - good[:87]
    assert baseline_not_beaten(task, good, targets, [], [0.43, 0.57]) == ""
    # Above the constant by less than chance allows: still warned, with the margin.
    near = torch.where(targets > 0.5, 0.8, 0.8)
    near[:10] = 0.2
    assert "less than chance allows" in baseline_not_beaten(task, near, targets, [], [0.43, 0.57])
    section = _html.section("metrics", "Metrics", [_html.banner(f"Warning: {said}."), "<p>table</p>"])
    page = _page(Path("m"), {}, [], ["<section>curves</section>", section])
    assert page.index('class="banner"') < page.index("<section>curves</section>")
    assert page.count('class="banner"') == 1


def test_multilabel_decisions_no_better_than_no_label_anywhere_are_warned() -> None:
    task = Task("multilabel", ("a", "b", "c"))
    targets = torch.zeros(100, 3)
    targets[:4, 0] = 1
    line = SimpleNamespace(name="accuracy", value=0.9289)
    said = baseline_not_beaten(task, torch.zeros(100, 3), targets, [line], None)  # type: ignore[list-item]
    assert "answering no to every label" in said and "0.9289 against 0.9867" in said


def test_a_per_class_interval_no_resample_defines_says_not_estimable() -> None:
    # Classes 2 and 5 of MNIST at F1 1.0000 on 20 images had an empty interval cell: it read as certain.
    actual = np.array([0] * 30 + [1] * 30 + [2] * 10)
    predicted = actual.copy()
    predicted[:5] = 1
    html = class_section(["a", "b", "c"], actual, predicted, unit="image")
    row = next(cells for cells in _cells(html) if cells[0] == "c")
    assert row[3:] and "" not in row[3:9], row
    assert "not estimable" in row or all(cell.startswith("[") for cell in row[4:9:2])


def test_the_history_marks_the_epoch_whose_weights_the_report_judges(tmp_path: Path) -> None:
    history = [{"fit": 1, "epoch": epoch, "valid_loss": 0.5 - epoch / 100} for epoch in range(1, 6)]
    html = _training_section(tmp_path, {"training": {"history": history, "weights_from_epoch": 4}})
    rows = _cells(html)
    assert [row[-1] for row in rows] == ["", "", "", "kept", ""]
    assert "holds epoch 4&#x27;s weights" in html and "the 1 later epoch was trained but not kept" in html
    plain = _training_section(tmp_path, {"training": {"history": history}})
    assert "kept" not in plain and "weights" not in plain


def test_a_band_of_one_token_makes_no_claim_and_rounded_equal_shares_none() -> None:
    band = SimpleNamespace
    markers = band(name="markers", tokens=1, share=0.00003, loss_share=0.004)
    rare = band(name="rare words", tokens=900, share=0.05, loss_share=0.2)
    same = band(name="the rest", tokens=9000, share=0.952, loss_share=0.9549)
    assert concentrated_band([markers, same]) is None  # "0% of the tokens but 0% of the loss"
    assert concentrated_band([markers, rare, same]) is rare


def test_a_character_model_reads_its_text_in_passages_joined_as_written() -> None:
    shown = "".join(readable_tokens(list("To be,\nor"), np.full(9, 0.5), characters=True))
    assert shown == "To be,↵ or"
    marked = readable_tokens([" "], np.array([1e-5]), characters=True)
    assert marked == ['<mark title="p=1e-05">␣</mark>']
    # One stream of 1,000 characters: five passages, the last short one joined to the one before.
    assert _passages(np.zeros(1000, dtype=int), 200) == [
        (0, 0, 200),
        (0, 200, 400),
        (0, 400, 600),
        (0, 600, 800),
        (0, 800, 1000),
    ]
    assert _passages(np.zeros(450, dtype=int), 200) == [(0, 0, 200), (0, 200, 450)]
    assert _passages(np.array([0] * 250 + [1] * 120), 200) == [(0, 0, 250), (1, 250, 370)]


def test_a_tagging_mistake_is_highlighted_without_brackets_beside_punctuation() -> None:
    html = _marked(["(", "England", ")", ","], ["O", "B-LOC", "O", "O"], ["B-ORG", "B-LOC", "I-LOC", "O"])
    assert "[" not in html and "]" not in html
    assert '<mark class="miss">(</mark><sub class="tags">O→B-ORG</sub>' in html
    assert 'title="actual O, predicted I-LOC"' in html and html.endswith(" ,")


def test_entity_types_get_bootstrap_intervals_over_sentences() -> None:
    counts = SimpleNamespace(
        words=np.ones(40),
        types=["LOC", "MISC"],
        correct=np.array([[1, 0]] * 30 + [[0, 0]] * 10),
        predicted=np.array([[1, 0]] * 35 + [[1, 0]] * 5),
        actual=np.array([[1, 1]] * 40),
    )
    found = type_intervals(counts, seed=0)
    low, high = found["LOC"]["precision"]
    assert 0.5 < low < 0.75 < high < 0.95  # 30 of 40 right
    assert all(np.isnan(bound) for bound in found["MISC"]["precision"])  # never predicted: not estimable
    assert found["MISC"]["recall"] == (0.0, 0.0)


def test_at_600_px_the_plain_words_are_not_cut_off_behind_a_scroll(tmp_path: Path) -> None:
    # bank_mlp at 600 px: "92% of rows get the right class at thre…" and the rest behind a sideways scroll.
    words = "92% of rows get the right class at threshold 0.5; always answering 'no' would score 89%, " * 2
    rows = [(name, 0.9206, interval(0.9012, 0.9371), words) for name in ("accuracy", "roc_auc", "f1", "mcc")]
    html_file = tmp_path / "r.html"
    script = (
        "var c = document.querySelectorAll('td.prose'); var r = c[0].getBoundingClientRect();"
        "document.title = [innerWidth, Math.round(r.right), Math.round(r.left), c[0].scrollWidth <= c[0].clientWidth + 1].join(' ')"
    )
    body = [table(["metric", "value", "95% interval", "what it means here"], rows)]
    html_file.write_text(
        _html.page("narrow", [], body).replace("</body>", f"<script>{script}</script></body>")
    )
    dom = subprocess.run(
        [*chromium_flags(tmp_path / "profile"), "--window-size=600,1000", "--dump-dom", html_file.as_uri()],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    found = re.search(r"<title>(\d+) (-?\d+) (-?\d+) (true|false)</title>", dom)
    assert found is not None, dom[-500:]
    window, right, left = (int(value) for value in found.groups()[:3])
    assert window <= 620 and 0 <= left < right <= window and found.group(4) == "true"


def test_roc_and_precision_recall_curves_match_scikit_learn_and_the_threshold_table() -> None:
    from sklearn.metrics import precision_recall_curve, roc_curve

    from trainwell.report._outputs import threshold_section
    from trainwell.report._plots import threshold_curves

    rng = np.random.default_rng(0)
    truth = rng.random(300) < 0.1
    score = np.clip(rng.normal(0.25 + 0.4 * truth, 0.15), 0, 1).round(2)  # ties, as probabilities have
    curves = threshold_curves(score, truth)
    fpr, tpr, _ = roc_curve(truth, score, drop_intermediate=False)
    assert np.allclose(curves["fpr"], fpr) and np.allclose(curves["tpr"], tpr)
    precision, recall, _ = precision_recall_curve(truth, score, drop_intermediate=False)
    assert np.allclose(curves["precision"][1:][::-1], precision[:-1]) and np.allclose(
        curves["tpr"][1:][::-1], recall[:-1]
    )
    html = threshold_section(Task("binary", ("no", "yes"), threshold=0.35), score, truth)
    rows = {cells[0]: cells for cells in _cells(html)}
    assert "<img" in html and set(rows) >= {"0.1", "0.3", "0.35", "0.5", "0.9"}
    assert rows["0.35"][-1] == "the model&#x27;s" and rows["0.3"][-1] == ""
    called = score >= 0.3
    assert rows["0.3"][2] == f"{(called & truth).sum() / truth.sum():.4f}"  # recall at 0.3


def test_the_curves_panels_are_cut_apart_and_stacked_in_a_narrow_window(tmp_path: Path) -> None:
    # At 600 px the three panels of curves.png shrank whole to about 5-pt text.
    from matplotlib.figure import Figure
    from PIL import Image

    from trainwell.report._plots import figure_png, side_by_side_panels

    figure = Figure(figsize=(15, 4))
    for index, axis in enumerate(figure.subplots(1, 3)):
        axis.plot([0, 1, 2], [index, 1, 0.5], label=f"a legend line named at length {index}")
        axis.set_title(["Loss", "Validation metrics", "Learning rate"][index])
        axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12))
    png = figure_png(figure)
    panels = side_by_side_panels(png)
    width = Image.open(io.BytesIO(png)).size[0]
    sizes = [Image.open(io.BytesIO(panel)).size[0] for panel in panels]
    assert len(panels) == 3 and all(width / 4 < size < width / 2 for size in sizes), (width, sizes)
    assert side_by_side_panels(b"\x89PNG old") == []
    html_file = tmp_path / "c.html"
    script = (
        "var shown = Array.from(document.images).filter(i => i.offsetParent !== null);"
        "document.title = [innerWidth, shown.length, Math.min(...shown.map(i => i.naturalWidth / i.width))].join(' ')"
    )
    body = [_html.panels_image(png, panels, "training curves")]
    html_file.write_text(_html.page("c", [], body).replace("</body>", f"<script>{script}</script></body>"))
    for window, count in ((600, 3), (1200, 1)):
        dom = subprocess.run(
            [
                *chromium_flags(tmp_path / f"p{window}"),
                f"--window-size={window},1000",
                "--dump-dom",
                html_file.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        found = re.search(r"<title>(\d+) (\d+) ([\d.]+)</title>", dom)
        assert found is not None, dom[-300:]
        assert int(found.group(2)) == count
        if count == 3:
            assert (
                float(found.group(3)) < 1.1
            )  # each panel near its own size: text as drawn, not shrunk threefold


def test_a_character_models_marker_band_names_the_markers_its_text_holds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # "markers (xxmaj, xxeos...)" on a character model, which writes capitals as characters.
    import trainwell.text.lm_eval as lm_eval
    from trainwell.report._lm import _bands_section
    from trainwell.text.specials import EOS, SPECIAL_TOKENS

    itos = [*SPECIAL_TOKENS, " ", "e", "t"]
    vocab = SimpleNamespace(itos=itos, unk_id=0)
    held = SimpleNamespace(ids=np.array([2, 10, 11, 12, itos.index(EOS), 10, 0]))
    bands = [lm_eval.Band("markers (xxmaj, xxeos...)", 60, 0.01, 0.02, 3.0, 0.5)]
    monkeypatch.setattr(lm_eval, "loss_by_band", lambda scores, vocab, **named: bands)
    predictor = SimpleNamespace(recipe=SimpleNamespace(vocab=vocab, tokenizer_name="char"))
    page = _bands_section(SimpleNamespace(held_out=held), predictor)  # type: ignore[arg-type]
    assert "<td>markers (xxeos)</td>" in page and "xxmaj" not in page


def test_the_ranking_sentences_write_the_figures_as_the_tables_beside_them() -> None:
    # "precision@10 is 0.166 [0.147, 0.185]" above a table reading 0.1658 [0.1467, 0.1846].
    import inspect

    from trainwell.report import _ratings_ranking

    source = inspect.getsource(_ratings_ranking)
    assert ":.3f}" not in source and ":+.3f}" not in source
