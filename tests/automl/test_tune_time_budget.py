"""tune_* take time_budget=, the name fit_* and evaluate_* give the same setting, as well as timeout=."""

from __future__ import annotations

import inspect

import pytest

from trainwell.automl import tune_images, tune_ratings, tune_table, tune_tagger, tune_texts
from trainwell.core.errors import ConfigError
from trainwell.datasets import adult_sample


def test_time_budget_is_the_searchs_time_and_timeout_its_other_name() -> None:
    # fit_table(time_budget=) and evaluate_table(time_budget=), but tune_table(timeout=): a TypeError to guess.
    for tune in (tune_table, tune_texts, tune_images, tune_ratings, tune_tagger):
        assert "time_budget" in inspect.signature(tune).parameters, tune.__name__
    rows = adult_sample().head(300)
    result = tune_table(rows, "income", n_trials=1, arch="gbdt", time_budget="10m")
    assert result.timeout == 600.0
    with pytest.raises(ConfigError, match=r"^time_budget= and timeout= are one setting, given twice"):
        tune_table(rows, "income", n_trials=1, arch="gbdt", time_budget=60, timeout=60)
