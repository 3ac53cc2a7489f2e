"""The majority-class baseline a text classifier is held to is that of the validation rows its accuracy was
taken on: under a time budget whose passes read only their first batches, those rows'.

A ULMFiT classifier under ``fit --time 45s`` warned that always answering '1' was "right on 0.558 ... on 600
rows" (every validation text) beside a history and a results table scored on the first 256 texts, where that
answer is right on 0.586 (the table said 59%). The clock is moved by hand (a second a batch): no time is
asserted.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from clock_support import FakeClock, Ticks
from trainwell.callbacks import TimeBudget
from trainwell.text import text_classifier_learner, text_data
from trainwell.text.majority import MajorityBaseline, majority_warning


def _texts() -> tuple[pd.DataFrame, list[int], list[int]]:
    """100 training texts (70 'neg'), then 200 validation texts: 'neg' on half the first 100, on 90 of the
    last 100 (0.7 of all 200). Words drawn at random: nothing to learn."""
    rng = np.random.default_rng(0)
    words = [f"w{index}" for index in range(30)]
    labels = ["neg"] * 70 + ["pos"] * 30 + ["neg", "pos"] * 50 + ["neg"] * 90 + ["pos"] * 10
    texts = [" ".join(rng.choice(words, size=6)) for _ in labels]
    frame = pd.DataFrame({"text": texts, "label": labels})
    return frame, list(range(100)), list(range(100, 300))


def test_the_baseline_and_its_warning_are_those_of_the_rows_a_capped_pass_read() -> None:
    frame, train, valid = _texts()
    data = text_data(frame, "label", splits=(train, valid), batch_size=5, min_freq=1)
    batches = len(data.valid)  # type: ignore[arg-type]
    assert data.valid.n_rows == 200 and batches == 10  # type: ignore[union-attr]
    learn = text_classifier_learner(data, "fast", lr=1e-6, progress=False)
    baseline = next(cb for cb in learn.callbacks if isinstance(cb, MajorityBaseline))
    clock = FakeClock()
    # 27 s: a pass may take a fifth, 5.4 s, so it reads its first 5 batches of 20 texts: the first 100.
    budget = TimeBudget(27, clock=clock)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        learn.fit_one_cycle(1, 1e-6, callbacks=[budget, Ticks(clock, train=1.0, valid=1.0)])
    assert budget.valid_batches == (5, batches)
    assert (baseline.rows, baseline.of_all) == (100, 200)
    assert baseline.value == 0.5  # 'neg' on half the first 100 texts, not 0.7 of all 200
    said = [str(w.message) for w in caught if "does not beat always answering" in str(w.message)]
    accuracy = learn.history[-1]["accuracy"]
    if accuracy <= 0.5 + 1e-9:  # the model answers nothing better than 'neg' on those rows: it must warn
        assert said, [str(w.message) for w in caught]
    for line in said:
        assert (
            "right on 0.500 of the 100 of the 200 validation rows each pass read within the time budget"
            in line
        )
        assert "on 100 rows" in line or "by more than chance" not in line


def test_the_warning_words_the_rows_read_of_all() -> None:
    said = str(majority_warning(0.5, 0.5, "neg", rows=256, of_all=600))
    assert "right on 0.500 of the 256 of the 600 validation rows each pass read" in said
    whole = str(majority_warning(0.5, 0.5, "neg", rows=600, of_all=600))
    assert "right on 0.500 of the validation rows)" in whole
