"""The learner an interpretation runs: a :class:`~trainwell.learner.learner.Learner`, or the run a one-call
pipeline returns (``fit_table``, ``fit_texts``, ``fit_images``, ``fit_ratings``...), whose learner is its
``.learn``. ``RegressionInterpretation.from_learner(trainwell.fit_table(...))`` stopped on "'TableRun' object
has no attribute 'task'": the run is what those functions hand back, so it is taken as its learner.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trainwell.core.errors import ConfigError

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner


def learner_of(learn: Any, where: str) -> Learner:
    """``learn`` itself when it is a Learner, the learner of a pipeline's run, else a ConfigError naming
    ``where`` (``"ClassificationInterpretation.from_learner"``), what was given and what to pass."""
    from trainwell.learner.learner import Learner
    from trainwell.learner.run_files import FitRun

    if isinstance(learn, Learner):
        return learn
    if isinstance(learn, FitRun):
        return learn.learn
    loaded = hasattr(learn, "predict") and hasattr(learn, "metadata")
    advice = (
        "a loaded model keeps no data to run over; interpret the run fit_* returned when it trained (or its "
        ".learn), or judge it on labelled rows with trainwell.report.build_report(model_dir, data)"
        if loaded
        else "pass the learner (trainwell.Learner, a *_learner factory's) or the run a fit_* function returns"
    )
    raise ConfigError(f"{where} takes a Learner, got {type(learn).__name__}: {advice}")
