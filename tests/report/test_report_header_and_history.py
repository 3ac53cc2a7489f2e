"""Every report opens with the same header lines (model directory, model, when fitted, data evaluated on, in that
order and those words), its training history says its units (seconds, the learning rate as 3.0e-03), and a text or
image regression places its predictions against the range of the training targets, not the data judged."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

import trainwell
from ratings_support import low_rank_ratings
from tagging_samples import entity_sentences, write_conll_file
from text_samples import stories
from trainwell.data.task import Task
from trainwell.report import build_report
from trainwell.report._html import HEADER_LINES, facts
from trainwell.report.build import (
    _page,
    _regression_sections,
    _training_section,
    fitted_when,
    judged_sections,
)
from trainwell.text import fit_tagger
from trainwell.text.lm_learner import fit_language_model

SCORE = Task("regression", (), ("score",))


def _header(page: str) -> list[tuple[str, str]]:
    block = page.split('<dl class="facts">', 1)[1].split("</dl>", 1)[0]
    return re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", block)


def test_the_history_table_says_seconds_and_writes_every_learning_rate_alike(tmp_path: Path) -> None:
    history = [
        {"fit": 0, "epoch": 0, "train_loss": 0.5, "valid_loss": 0.4, "lr": 0.001574, "time": 4.469},
        {"fit": 0, "epoch": 1, "train_loss": 0.3, "valid_loss": 0.35, "lr": 3.825e-06, "time": 3.574},
    ]
    html = _training_section(tmp_path, {"training": {"history": history}})
    assert re.findall(r"<th>(.*?)</th>", html)[-2:] == ["lr (at epoch end)", "time (s)"]
    assert '<td class="number">1.6e-03</td>' in html and '<td class="number">3.8e-06</td>' in html
    assert "0.001574" not in html and "3.825e-06" not in html
    assert (
        '<td class="number">4.5</td>' in html and '<td class="number">3.6</td>' in html
    )  # seconds, to one decimal
    assert '<td class="number">0.4000</td>' in html  # a loss to 4 decimals, as the command line prints it


def test_the_header_gives_the_same_lines_in_the_same_order(tmp_path: Path) -> None:
    metadata = {"created": "2026-12-06T22:58:01+00:00"}
    page = _page(
        tmp_path / "model", metadata, [facts("binary table classifier", "20 labelled rows from a.csv")], []
    )
    assert _header(page) == list(
        zip(
            HEADER_LINES,
            [
                str(tmp_path / "model"),
                "binary table classifier",
                "2026-12-06 22:58 UTC",
                "20 labelled rows from a.csv",
                f"trainwell {trainwell.__version__}",
            ],
            strict=True,
        )
    )
    assert fitted_when({}) == "not recorded" and fitted_when({"created": "yesterday"}) == "not recorded"


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    """A language model, a tagger and a recommender, each judged: (model directory, report page)."""
    base = tmp_path_factory.mktemp("headers")
    made: dict[str, tuple[Path, str]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the ratings judged overlap training: not the point here
        fit_language_model(stories(120), valid=stories(30, seed=7), out=base / "lm", epochs=1, lr=1e-2, progress=False,
                           batch_size=8, bptt=12, min_freq=1, learner_kwargs={"emb_size": 8, "hidden_size": 8, "n_layers": 1})  # fmt: skip
        (base / "held.txt").write_text("\n".join(stories(20, seed=11)), encoding="utf-8")
        fit_tagger(entity_sentences(60, seed=1), valid=entity_sentences(12, seed=2), out=base / "tagger", epochs=1,
                   progress=False, arch_config={"word_dim": 8, "char_dim": 4, "char_filters": 4, "casing_dim": 2,
                                                "hidden": 8, "dropout": 0.1})  # fmt: skip
        write_conll_file(base / "tags.conll", entity_sentences(10, seed=3))
        ratings = low_rank_ratings(0).frame
        trainwell.fit_ratings(ratings, out=base / "collab", epochs=1, progress=False)
        ratings.tail(50).to_csv(base / "ratings.csv", index=False)
        for name, data in (("lm", "held.txt"), ("tagger", "tags.conll"), ("collab", "ratings.csv")):
            page = build_report(base / name, base / data, base / f"{name}.html").read_text(encoding="utf-8")
            made[name] = (base / name, page)
    return made


@pytest.mark.parametrize("kind", ["lm", "tagger", "collab"])
def test_every_kind_of_model_opens_with_its_directory_model_fit_time_and_data(
    reports: dict[str, tuple[Path, str]], kind: str
) -> None:
    model_dir, page = reports[kind]
    lines = _header(page)
    assert [name for name, _ in lines] == list(HEADER_LINES)
    assert lines[0][1] == str(model_dir)  # the language model's report had no model directory
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", lines[2][1])
    assert page.count(f"trainwell {trainwell.__version__}") == 1  # said once, in the header
    model, evaluated = lines[1][1], lines[3][1]
    expected = {
        "lm": ("language model predicting each next word", "predicted tokens of 20 texts from"),
        "tagger": ("tagger predicting &#x27;tag&#x27; of each word", "10 labelled sentences from"),
        "collab": ("recommender (", "50 rated pairs from"),
    }[kind]
    assert model.startswith(expected[0]) and expected[1] in evaluated


def _scores(n: int = 40, shift: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng(0)
    actual = rng.uniform(10, 20, n)
    return torch.tensor(actual + shift, dtype=torch.float32), torch.tensor(actual * 3, dtype=torch.float32)


def test_a_regression_places_its_predictions_in_the_training_targets_range() -> None:
    predictions, targets = _scores()  # the values judged (30 to 60) lie far from the predictions: no matter
    metadata = {"architecture": {"config": {"target_range": [[5.0], [25.0]]}}}
    within = "".join(
        _regression_sections(
            SCORE, predictions, targets, unit="texts", metadata=metadata, place_in_training=True
        )
    )
    assert re.search(r"The 40 predictions of &#x27;score&#x27; lie from 10\.\d+ to 19\.\d+, within", within)
    assert "within the range the model saw in training: the training targets ranged from 5 to 25." in within
    beyond = "".join(
        _regression_sections(
            SCORE,
            *_scores(shift=8.0),
            unit="texts",
            metadata={"architecture": {"config": {"target_range": [[5.0], [20.0]]}}},
            place_in_training=True,
        )
    )
    assert "the training targets ranged from 5 to 20: " in beyond and "above it (as far as " in beyond
    assert "where the model extrapolates past what it saw" in beyond


def test_a_regression_fitted_before_the_range_was_recorded_says_not_recorded() -> None:
    predictions, targets = _scores()
    sections = judged_sections(
        SCORE, predictions, targets, (40, "40 labelled images in valid"), "image", trained_on=False,
        test_split=False, metadata={"architecture": {"config": {}}},
    )  # fmt: skip
    page = "".join(sections)
    assert "the range of &#x27;score&#x27; in the training data: not recorded" in page
    # A table's model records no range and never did: nothing said.
    plain = "".join(_regression_sections(SCORE, predictions, targets, metadata={}))
    assert "training data: not recorded" not in plain and "range the model saw in training" not in plain


def test_several_targets_are_each_placed_in_their_own_training_range() -> None:
    """A text or image model of two targets records one range per target: each plot says where its own
    predictions lie, against its own range (the first target's range used to stand for both, or none)."""
    first, _ = _scores()  # 10 to 20
    second = first * 10  # 100 to 200
    predictions = torch.stack([first, second], dim=1)
    targets = predictions.clone()
    both = Task("regression", (), ("width", "height"))
    metadata = {"architecture": {"config": {"target_range": [[5.0, 150.0], [25.0, 250.0]]}}}
    page = "".join(
        judged_sections(
            both, predictions, targets, (40, "40 labelled images in valid"), "image", trained_on=False,
            test_split=False, metadata=metadata,
        )
    )  # fmt: skip
    assert re.search(r"predictions of &#x27;width&#x27; lie from 10\.\d+ to 19\.\d+, within the range", page)
    assert "the training targets ranged from 150 to 250: " in page and "below it (as far as 1" in page
    # One range for two targets is not theirs: nothing placed against it, and no false "not recorded".
    metadata = {"architecture": {"config": {"target_range": [[5.0], [25.0]]}}}
    page = "".join(
        judged_sections(
            both, predictions, targets, (40, "40 labelled images in valid"), "image", trained_on=False,
            test_split=False, metadata=metadata,
        )
    )  # fmt: skip
    assert "range the model saw in training" not in page and "ranged from 5 to 25" not in page
