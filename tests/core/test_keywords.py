"""A keyword a one-call function passes on and neither function takes is refused naming the function called."""

from __future__ import annotations

import pandas as pd
import pytest

import trainwell
from trainwell.core.errors import ConfigError


def test_a_misspelt_keyword_names_the_function_called_and_the_one_meant() -> None:
    # Python blamed tabular_data, which the user never called: "tabular_data() got an unexpected keyword
    # argument 'epoch'".
    frame = pd.DataFrame({"x": range(40), "y": [0, 1] * 20})
    with pytest.raises(
        ConfigError, match=r"^fit_table\(\) has no keyword 'epoch' \(did you mean 'epochs'\?\); it"
    ):
        trainwell.fit_table(frame, "y", epoch=3)
    with pytest.raises(
        ConfigError, match=r"^fit_table\(\) has no keyword 'valid_pc' \(did you mean 'valid_pct'"
    ):
        trainwell.fit_table(frame, "y", valid_pc=0.3)
    from trainwell.automl import tune_table

    with pytest.raises(
        ConfigError, match=r"^tune_table\(\) has no keyword 'trials' \(did you mean 'n_trials'\?\)"
    ):
        tune_table(frame, "y", trials=4)
    with pytest.raises(
        ConfigError, match=r"^fit_ratings\(\) has no keyword 'epoch' \(did you mean 'epochs'\?\)"
    ):
        trainwell.fit_ratings(pd.DataFrame({"user": [1], "item": [2], "rating": [3.0]}), epoch=2)
