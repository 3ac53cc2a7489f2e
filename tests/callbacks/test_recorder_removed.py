"""A Learner whose Recorder was removed says so: at the removal (one warning naming what goes empty and the way
back) and when the empty history is plotted. Its history had stayed empty without a word, and the plot had blamed
a fit that had run ("no training batch has run (call fit first...)")."""

from __future__ import annotations

import re

import pytest
from callbacks_helpers import linear_learner

from trainwell.callbacks import NanGuard, Recorder
from trainwell.callbacks.recorder import NO_HISTORY, RECORDER_REMOVED
from trainwell.core.errors import ConfigError


@pytest.mark.parametrize("how", ["class", "object"])
def test_removing_the_recorder_warns_and_its_plot_says_why_it_is_empty(how: str, tmp_path) -> None:
    learn = linear_learner()
    with pytest.warns(UserWarning, match=re.escape(RECORDER_REMOVED)) as caught:
        learn.remove_callback(Recorder if how == "class" else learn.recorder)
    assert len(caught) == 1
    assert (
        caught[0]
        .message.args[0]
        .startswith("the Recorder callback was removed: the epochs fitted from now on")
    )
    learn.fit(1)
    assert learn.history == []
    with pytest.raises(ConfigError, match=re.escape(f"nothing to plot: {NO_HISTORY} before fitting")):
        learn.recorder.plot(tmp_path / "curves.png")
    assert NO_HISTORY.startswith("no history: the Recorder callback was removed")


def test_put_back_it_records_and_other_removals_say_nothing(
    tmp_path, recwarn: pytest.WarningsRecorder
) -> None:
    learn = linear_learner()
    learn.remove_callback(NanGuard)
    assert not [w for w in recwarn if "Recorder" in str(w.message)]
    with pytest.warns(UserWarning, match="the Recorder callback was removed"):
        learn.remove_callback(Recorder)
    learn.add_callbacks(learn.recorder)
    learn.fit(1)
    assert len(learn.history) == 1
    assert learn.recorder.plot(tmp_path / "curves.png").is_file()


def test_a_learner_that_never_fitted_is_still_told_to_fit(tmp_path) -> None:
    with pytest.raises(
        ConfigError, match=re.escape("nothing to plot: no training batch has run (call fit first")
    ):
        linear_learner().recorder.plot(tmp_path / "curves.png")
