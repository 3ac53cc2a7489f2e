"""The report on a language model judged on held-out text: perplexity with intervals and the cache, where the
loss comes from, calibration, the hardest texts with their surprising words marked, and continuations."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
from lm_scores import token_scores
from report_browser import dump_dom
from typer.testing import CliRunner

from text_samples import stories
from trainwell.core.errors import ConfigError, DataError
from trainwell.report import build_report
from trainwell.text.lm_learner import fit_language_model


@pytest.fixture(scope="module")
def lm_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report_lm") / "model"
    fit_language_model(stories(300), valid=stories(60, seed=7), out=out, epochs=2, lr=1e-2, progress=False,
                       batch_size=8, bptt=12, min_freq=1, learner_kwargs={"emb_size": 16, "hidden_size": 24, "n_layers": 1})  # fmt: skip
    return out


def _held_out(tmp_path: Path) -> Path:
    path = tmp_path / "test.txt"
    one = stories(120, seed=11)
    texts = [f"{a} {b}" for a, b in zip(one[::2], one[1::2], strict=True)]  # no text as in training
    texts[3] = "name3 saw a <zebra> & a unicorn near the river ."  # unknown words, and markup to escape
    path.write_text("\n".join(texts), encoding="utf-8")
    return path


def test_language_model_report_judges_held_out_text(lm_model: Path, tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # held-out text: no training-overlap warning
        page = build_report(lm_model, _held_out(tmp_path), tmp_path / "report.html").read_text()
    assert "predicted tokens of 60 texts" in page
    for anchor in ("training", "metrics", "bands", "calibration", "hardest", "samples"):
        assert f'<section id="{anchor}">' in page
    assert "trainwell + cache" in page and "The cache pointer (the last 500 hidden states" in page
    assert "bootstraps over texts" in page and "bits per character" in page
    assert "unknown words (xxunk)" in page and "words outside the vocabulary" in page
    assert "<zebra>" not in page and "xxunk" in page  # tokens as the model reads them
    assert "<mark title=" in page  # surprising tokens marked in the hardest texts
    assert "the model&#x27;s continuation" in page or "the model's continuation" in page


def test_a_report_on_the_training_texts_says_so(lm_model: Path, tmp_path: Path) -> None:
    path = tmp_path / "train.txt"
    path.write_text("\n".join(stories(300)), encoding="utf-8")
    with pytest.warns(UserWarning, match="of these texts trained the model"):
        page = build_report(lm_model, path, tmp_path / "report.html").read_text()
    assert (
        re.search(r"Warning: (about )?\d+% of these texts trained the model", page)
        and "not how it does on new texts" in page
    )


def test_a_folder_of_train_valid_test_files_is_judged_on_its_test_file(tmp_path: Path) -> None:
    # It was read whole, the training file included: "100% of these texts trained the model".
    folder = tmp_path / "ptb"
    folder.mkdir()
    (folder / "ptb.train.txt").write_text("\n".join(stories(200)), encoding="utf-8")
    for name, count, seed in (("ptb.valid.txt", 30, 5), ("ptb.test.txt", 40, 9)):
        one = stories(2 * count, seed=seed)  # two stories a line: no text as in training
        lines = [f"{a} {b}" for a, b in zip(one[::2], one[1::2], strict=True)]
        (folder / name).write_text("\n".join(lines), encoding="utf-8")
    out = tmp_path / "lm"
    fit_language_model(folder, out=out, epochs=1, lr=1e-2, progress=False, batch_size=8, bptt=12, min_freq=1,
                       learner_kwargs={"emb_size": 16, "hidden_size": 24, "n_layers": 1})  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the test file is held out: no training-overlap warning
        page = build_report(out, folder, tmp_path / "report.html").read_text()
    assert f"of 40 texts from {folder / 'ptb.test.txt'}" in page
    assert "judges its test file, ptb.test.txt, which a fit of the folder kept out of every choice" in page
    (folder / "ptb.test.txt").unlink()
    page = build_report(out, folder, tmp_path / "report.html").read_text()
    assert f"of 30 texts from {folder / 'ptb.valid.txt'}" in page and "a little optimistic" in page


def test_a_language_model_report_needs_text(lm_model: Path, tmp_path: Path) -> None:
    import pandas as pd

    with pytest.raises(ConfigError, match="needs --data: held-out text"):
        build_report(lm_model, pd.DataFrame({"text": ["a b c"]}), tmp_path / "report.html")
    table = tmp_path / "texts.csv"
    pd.DataFrame({"review": ["a b c"]}).to_csv(table, index=False)
    with pytest.raises(DataError, match="the report reads a table's 'text' column: rename yours to it"):
        build_report(lm_model, table, tmp_path / "report.html")


def test_cli_report_on_a_language_model_renders_in_chromium(lm_model: Path, tmp_path: Path) -> None:
    from trainwell.cli.app import app

    out = tmp_path / "report.html"
    result = CliRunner().invoke(
        app, ["report", str(lm_model), "--data", str(_held_out(tmp_path)), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    dom = dump_dom(out, tmp_path / "profile")
    for heading in (
        "Perplexity",
        "Where the loss comes from",
        "Calibration",
        "Hardest texts",
        "Continuations",
    ):
        assert heading in dom


def test_hard_texts_read_as_words_with_the_surprises_marked() -> None:
    import numpy as np

    from trainwell.report._lm import readable_tokens

    tokens = ["xxbos", "xxmaj", "romeo", "saw", "xxup", "you", ".", "xxeos"]
    p = np.array([0.5, 0.0001, 0.5, 0.5, 0.5, 0.00001, 0.5, 0.5])
    words = readable_tokens(tokens, p)
    assert words[0] == '<mark title="p=0.0001">Romeo</mark>'  # the surprising capital marks its word
    assert words[1:3] == ["saw", '<mark title="p=1e-05">YOU</mark>'] and words[-2:] == [".", "¶"]
    assert readable_tokens(["<b>"], np.array([0.5])) == ["&lt;b&gt;"]


def test_subword_pieces_join_into_words() -> None:
    import numpy as np

    from trainwell.report._lm import readable_tokens

    pieces = ["\u2581con", "form", "able", "\u2581as", "xxeos"]
    words = readable_tokens(pieces, np.array([0.5, 0.0001, 0.5, 0.5, 0.5]), subword=True)
    assert "".join(words).strip() == 'con<mark title="p=0.0001">form</mark>able as ¶'


def test_the_training_table_counts_epochs_as_the_curves_do(tmp_path: Path) -> None:
    from trainwell.report.build import _training_section

    history = [{"fit": 1, "epoch": 0, "train_loss": 2.0}, {"fit": 2, "epoch": 0}, {"fit": 2, "epoch": 1}]
    page = _training_section(tmp_path, {"training": {"history": history}})
    cells = [row.split("</td>")[1].rsplit(">", 1)[1] for row in page.split("<tr>")[2:]]
    assert cells == ["1", "2", "3"]  # fine-tuning's second phase goes on from the first, as in curves.png


def test_the_training_section_says_what_a_time_budget_allowed(tmp_path: Path) -> None:
    from trainwell.report.build import _training_section

    summary = "the 10m budget trained 7.3 of the 48 epochs planned (its learning-rate schedule was shortened to end within the budget) in 9m 58s"
    training = {"history": [{"fit": 1, "epoch": 0}], "time_budget": {"seconds": 600.0, "summary": summary}}
    page = _training_section(tmp_path, {"training": training})
    assert "Trained within a time budget: The 10m budget trained 7.3 of the 48 epochs planned" in page
    assert "time budget" not in _training_section(tmp_path, {"training": {"history": training["history"]}})


def test_a_calibration_gap_is_said_in_percentage_points() -> None:
    # Right 11.2% of the time against a stated 8.1% is 3.1 points more, not "3.1% more often".
    import numpy as np

    from trainwell.report._lm import _calibration_section

    scores = token_scores(np.full(1000, 0.084), 0.112)
    scores.p_top = np.repeat([0.04, 0.14, 0.25], [700, 200, 100])  # three tenths of probability: 8.1%
    page = _calibration_section(scores)
    assert "right 3.1 percentage points more often than it says" in page
    assert "3.1% more often" not in page


def test_a_long_hard_text_shows_its_costliest_window_with_the_cuts_marked() -> None:
    # One text of 300 tokens showed 80 of them with no sign of the other 220, under "The 1 texts".
    from types import SimpleNamespace

    import numpy as np

    from trainwell.report._lm import SHOWN_TOKENS, _hardest_section

    itos = ["once", "upon", "a", "time", "the", "cat", "sat"]
    recipe = SimpleNamespace(vocab=SimpleNamespace(itos=itos), tokenizer_name="rule")
    scores = token_scores(np.full(300, 0.5), 0.5, costly_middle=True)
    page = _hardest_section(scores, SimpleNamespace(recipe=recipe), top_k=5)  # type: ignore[arg-type]
    assert "The text with the highest perplexity" in page and "The 1 texts" not in page
    cell = page.split('<td class="prose">')[1].split("</td>")[0]
    assert cell.startswith("… ") and cell.endswith(" …")  # the window sits mid-text: cut at both ends
    assert len(re.sub(r"<[^>]*>", "", cell).split()) == SHOWN_TOKENS + 2


def test_the_bands_write_accuracy_as_a_share_that_keeps_small_values(monkeypatch: pytest.MonkeyPatch) -> None:
    # The column went 0.8183, 0.0003136, 0 between two columns of percentages.
    from types import SimpleNamespace

    import trainwell.text.lm_eval as lm_eval
    from trainwell.report._lm import _bands_section

    bands = [
        lm_eval.Band("markers (xxmaj, xxeos...)", 809, 0.137, 0.081, 20.37, 0.8183),
        lm_eval.Band("the 100 most frequent words", 3189, 0.541, 0.51, 121.2, 0.0003136),
        lm_eval.Band("unknown words (xxunk)", 794, 0.135, 0.118, 86.05, 0.0),
    ]
    monkeypatch.setattr(lm_eval, "loss_by_band", lambda scores, vocab, **named: bands)
    page = _bands_section(None, SimpleNamespace(recipe=SimpleNamespace(vocab=None, tokenizer_name="word")))  # type: ignore[arg-type]
    cells = re.findall(r'<td class="number">([^<]*%)</td></tr>', page)
    assert cells == ["81.8%", "0.0314%", "0%"]
