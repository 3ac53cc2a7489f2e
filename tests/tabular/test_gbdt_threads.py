"""The trees' walk keeps torch's intra-op threads to the cores other work leaves free, as the fit keeps
scikit-learn's: on a busy machine two threads waiting on each other made scoring Adult's test set 4 to 10 times
slower than one."""

from __future__ import annotations

import pytest
import torch

from trainwell.tabular import gbdt


def test_the_walk_uses_the_free_cores_and_gives_the_threads_back(
    monkeypatch: pytest.MonkeyPatch, two_threads: None
) -> None:
    before = torch.get_num_threads()
    assert before == 2
    monkeypatch.setattr(gbdt, "free_cores", lambda: 1)  # a busy machine
    with gbdt.walk_threads(torch.device("cpu")):
        inside = torch.get_num_threads()
    assert inside == 1 and torch.get_num_threads() == before
    with pytest.raises(RuntimeError, match="kept"), gbdt.walk_threads(torch.device("cpu")):
        raise RuntimeError("kept")  # an error inside gives them back too
    assert torch.get_num_threads() == before
    monkeypatch.setattr(gbdt, "free_cores", lambda: 64)  # never more than torch had
    with gbdt.walk_threads(torch.device("cpu")):
        assert torch.get_num_threads() == before
    with gbdt.walk_threads(torch.device("meta")):  # not the CPU: nothing to limit
        assert torch.get_num_threads() == before


def test_trees_score_the_same_with_fewer_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np
    import pandas as pd

    import trainwell

    rng = np.random.default_rng(0)
    a, b = rng.uniform(0, 10, 400), rng.uniform(0, 10, 400)
    frame = pd.DataFrame({"a": a, "b": b, "c": rng.choice(["x", "y", "z"], 400), "y": (a > 6.5) ^ (b < 2.5)})
    learn = trainwell.fit_table(frame, "y", arch="gbdt", progress=False).learn
    free, _ = learn.get_preds()
    monkeypatch.setattr(gbdt, "free_cores", lambda: 1)
    busy, _ = learn.get_preds()
    assert torch.equal(free, busy)
