"""What a hyper-parameter search found (:class:`TuneResult`): the best trial, the defaults' scores, the gain and
its noise, the trial kept and its model, every trial's record; and what of it the model directory keeps
(``tuning.json``, and ``training.tuning`` in ``trainwell.json``). The search itself is
:func:`trainwell.automl.search.run_search`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainwell.automl._gain import SelectionCheck
from trainwell.learner.label_thresholds import ThresholdSummary
from trainwell.learner.run_files import FitRun

__all__ = ["TUNING_FILE", "TuneResult"]

TUNING_FILE = "tuning.json"


@dataclass
class TuneResult:
    """What a search (:func:`~trainwell.automl.tune_table`, ``tune_ratings``, ``tune_tagger``, ``tune_texts``) found.

    Attributes:
        metric, direction: What was optimised (``"maximize"`` or ``"minimize"``).
        best_params: The best trial's settings (those held by ``search=`` with those searched); ``best_value``
            its validation score, ``best_trial`` its number, ``arch`` its kind of model where the search names
            one (tables: ``"tabular_mlp"`` or ``"gbdt"``).
        default_value: The score of the library's defaults: trial 0, or when several kinds of model were
            searched, the better of their defaults' trials (``None`` if none finished).
        default_values: Each kind's defaults trial's score, by ``arch`` (``None``: it did not finish); empty
            when the search names no kind.
        trials: Per trial: ``number``, ``state``, ``value``, ``arch`` (where named), ``params``, ``seconds``,
            ``defaults`` (a kind's defaults trial) and ``cut_by_time`` (the timeout shortened its schedule; then
            ``epochs_trained``, what its score is of, where known: ``6.3`` of ``params["epochs"]`` 14); a pruned
            trial's ``pruned_at_epoch`` of ``epochs_planned`` (or, a stored trial's of an earlier version,
            ``pruned_at_percent`` of its schedule); under
            ``torchrun``, ``process``: the rank of the process that trained it; in a study kept across runs,
            ``earlier_run``: an earlier run trained it, and ``run_ended`` for a trial its run left running when
            it was killed, which a later run marked failed (state ``"fail"``), saying why.
        run: The kept trial's learner (:attr:`kept_trial`: the best trial's, or the better defaults' when the
            best's gain is within the noise; not trained again), written to ``model_dir``; ``None`` in the
            processes of a ``torchrun`` job that did not train it (the one that did wrote ``model_dir``).
        thresholds: A multi-label model's per-label decision thresholds, as ``run.thresholds`` (``None``
            otherwise).
        timeout: The seconds the whole search was given, or ``None``.
        improvement_interval: ``(low, high)``, a 90% paired bootstrap interval of :attr:`improvement` over the
            validation rows (the best trial's and the better defaults' predictions resampled together), when the
            metric is one of rows (:mod:`trainwell.metrics.functional`) and the best is not a defaults' trial.
            It is that one trial's interval: it ignores that the trial was chosen as the best of many on the
            same rows, which flatters its gain.
        selection: The check that counts that choice (with :attr:`improvement_interval`, else ``None``): a
            reality check over the same resamples of every finished trial against the better defaults'
            (:class:`~trainwell.automl._gain.SelectionCheck`: ``p_value``, ``low``, ``trials``); the gain is
            clear of the rows' noise when ``p_value`` is below 0.05.
        keep: The rule that chose the model kept: ``"clear"`` (the best trial only when its gain is clear, by
            :attr:`selection`, else the better defaults' trial) or ``"best"`` (the best trial always).
        kept_trial: The number of the trial whose model :attr:`run` is; ``kept_reason`` says why, in one line;
            :attr:`kept` says whether it is the best trial's, the defaults' in its place, or this run's best in
            place of an earlier run's trial (``"fallback"``, see :attr:`refitted`).
        study_name, storage: The study kept across runs (``storage=``, ``--storage``; a URL's password hidden),
            else ``None``; :attr:`trials` then lists every stored trial, ``trials_before`` of them stored by
            earlier runs.
        refitted: When the trial chosen is an earlier run's (its model is not in hand), what was done for
            :attr:`run` (:mod:`trainwell.automl._refit`): its settings trained again, with the same seed and data
            and, for a trial the timeout cut, for the batches it trained (``epochs_trained``); ``stored_value``
            the score stored then, ``refit_value`` the refit's (``None``: not trained again, the time left being
            less than the trial took), ``seconds`` the refit's, ``clearly_worse`` why the refit is clearly worse
            than the stored score (absent when it is not), ``kept_trial`` the trial whose model was written (the
            best this run trained, ``kept_value``, when the refit was clearly worse or not run) and ``said``, the
            line ``trainwell tune`` prints; else ``None``.
        not_started: Under a timeout, when fewer trials started than asked: ``asked``, ``started`` and why the
            rest did not (``left``: the seconds left; ``needs``: the seconds a trial takes, which it may not
            start without, ``estimate`` what they are of: the ``"shortest"`` finished trial's, the ``"median"``
            one's for a kind fitted in one step, or the longest ``"pruned"`` one's; ``cut``: whether the budget
            cuts that kind's trials; ``arch``: that kind; ``reserve``: seconds kept for a refit); else ``None``.
        startup_seconds: The seconds from the search's start to its first trial (reading the data, choosing the
            defaults, loading the training code), counted in no trial's ``seconds``; ``None`` where not timed.
        fit_settings: The best trial's settings as the keywords of the one-call fit that trains them (tables:
            :func:`~trainwell.fit_table`), or ``None`` where not offered: :meth:`best_fit_kwargs`.
        kept_fit_settings: The same of the kept trial, when it is not the best (the defaults' kept in its place):
            :meth:`fit_kwargs`; ``None`` when the best was kept (then :attr:`fit_settings` are the kept trial's).
        stopped_after: What Ctrl-C stopped after the last trial had ended, and was skipped for it (``"the check
            of the best trial's gain over the defaults"``: the best trial was then kept unchecked); ``None`` when
            nothing was (Ctrl-C in a trial marks that trial ``"interrupted"`` in :attr:`trials`). In
            ``tuning.json`` as ``interrupted_after``.
    """

    metric: str
    direction: str
    best_params: dict[str, Any]
    best_value: float
    default_value: float | None
    trials: list[dict[str, Any]]
    run: FitRun | None
    model_dir: Path | None = None
    study: Any = field(default=None, repr=False)
    timeout: float | None = None
    arch: str | None = None
    default_values: dict[str, float | None] = field(default_factory=dict)
    best_trial: int | None = None
    improvement_interval: tuple[float, float] | None = None
    selection: SelectionCheck | None = None
    thresholds: ThresholdSummary | None = None
    keep: str = "clear"
    kept_trial: int | None = None
    kept_reason: str | None = None
    study_name: str | None = None
    storage: str | None = None
    trials_before: int = 0
    refitted: dict[str, Any] | None = None
    fit_settings: dict[str, Any] | None = None
    not_started: dict[str, Any] | None = None
    startup_seconds: float | None = None
    kept_fit_settings: dict[str, Any] | None = None
    #: ``decision_threshold=`` (binary targets): the setting every trial decided by, and the threshold the kept
    #: model decides at (in its directory, as after ``fit --decision-threshold``); ``None`` without it.
    decision_threshold: str | float | None = None
    decided_at: float | None = None
    stopped_after: str | None = None

    def fit_kwargs(self) -> dict[str, Any]:
        """The kept trial's settings (:attr:`kept_trial`: the model written) as keywords of the one-call fit, to
        train them again on these or other rows: ``fit_table(source, target, **result.fit_kwargs())``. When the
        defaults' trial was kept in place of the best (its gain within the noise), these are the defaults'
        settings; the best trial's are :meth:`best_fit_kwargs`. (They were the best trial's always: a user
        following the verdict "kept the defaults' model" retrained the settings it had just rejected.)

        The MLP's: ``arch="mlp"``, ``lr``, ``epochs`` (for a trial that the timeout cut, the whole epochs nearest
        those it trained, which its score is of) and ``learner_kwargs`` (``wd``, ``layers`` as a list,
        ``dropout``, ``numeric_embedding``); boosted trees': ``arch="gbdt"`` and ``gbdt_settings``. Also in
        ``tuning.json`` as ``fit_kwargs`` (the best trial's as ``best_fit_kwargs``).

        Raises:
            ConfigError: The search is not of a table (its settings are in :attr:`best_params`).

        Example::

            result = tune_table("adult.csv", "income", n_trials=20)
            run = trainwell.fit_table("adult.csv", "income", out="model", **result.fit_kwargs())
        """
        if self.kept_differs and self.kept_fit_settings is None and self.fit_settings is not None:
            from trainwell.core.errors import ConfigError

            raise ConfigError(
                f"the kept trial {self.kept_trial}'s settings were not recorded as fit_table's keywords; "
                f"best_fit_kwargs() gives the best trial {self.best_trial}'s"
            )
        kept = self.kept_fit_settings if self.kept_differs else self.fit_settings
        return self._settings(
            kept, "fit_kwargs() gives a table search's best settings (or the defaults' kept in their place)"
        )

    def best_fit_kwargs(self) -> dict[str, Any]:
        """The best trial's settings (:attr:`best_trial`) as keywords of the one-call fit, as :meth:`fit_kwargs`
        gives the kept trial's; the same when the best was kept. Also in ``tuning.json`` as ``best_fit_kwargs``.

        Raises:
            ConfigError: The search is not of a table (its settings are in :attr:`best_params`).
        """
        return self._settings(self.fit_settings, "best_fit_kwargs() gives a table search's best settings")

    @property
    def kept_differs(self) -> bool:
        """Whether the model kept is another trial's than the best's (the defaults', or a fallback)."""
        return self.kept_trial is not None and self.kept_trial != self.best_trial

    def _settings(self, settings: dict[str, Any] | None, what: str) -> dict[str, Any]:
        if settings is None:
            from trainwell.core.errors import ConfigError

            raise ConfigError(
                f"{what} as fit_table's keywords; this search's are in best_params: {self.best_params}"
            )
        return copy.deepcopy(settings)

    def _fit_records(self) -> dict[str, Any]:
        """``tuning.json``'s ``fit_kwargs`` (the kept trial's, the model written) and ``best_fit_kwargs`` (the
        best trial's), each with the trial it is of; empty where not offered."""
        if self.fit_settings is None:
            return {}
        best = {"best_fit_kwargs": self.fit_settings, "best_fit_kwargs_trial": self.best_trial}
        if not self.kept_differs:
            return {"fit_kwargs": self.fit_settings, "fit_kwargs_trial": self.best_trial, **best}
        if self.kept_fit_settings is None:  # the kept trial's are not known: never the best's in their place
            return best
        return {"fit_kwargs": self.kept_fit_settings, "fit_kwargs_trial": self.kept_trial, **best}

    def no_search_line(self) -> str | None:
        """Under a timeout, when this run trained the defaults' trials alone (they used the whole budget, or
        the rest was too short for another trial): that no search ran, and the ``--time`` a search needs (the
        start-up and the defaults' trials, each for all its epochs, about three times over: the defaults and two
        more trials of each kind); ``None`` otherwise. An image search under ``--time 50s`` of one cut run of the
        defaults said "no trial beat the defaults' 0.9350: keep them", as if it had searched."""
        own = [t for t in self.trials if not t.get("earlier_run")]
        if self.timeout is None or self.not_started is None or not own or not all(t["defaults"] for t in own):
            return None
        from trainwell.callbacks.budget import format_duration
        from trainwell.core.numbers import format_epochs

        whole, cut = 0.0, ""
        for trial in own:
            seconds, planned = float(trial.get("seconds") or 0.0), trial["params"].get("epochs")
            trained = trial.get("epochs_trained")
            if trial.get("cut_by_time") and isinstance(trained, (int, float)) and trained > 0 and planned:
                seconds *= float(planned) / float(trained)  # all its epochs, at the pace of those it trained
                cut = f" ({'cut' if len(own) == 1 else 'one cut'} at {format_epochs(trained)} of its {planned} epochs)"
            whole += seconds
        needs = (self.startup_seconds or 0.0) + 3 * whole
        step = 60.0 if needs >= 60 else 10.0
        needs = step * -(-needs // step)  # rounded up: a round figure to pass
        trials = "trial" if len(own) == 1 else "trials"
        fewer = " or fewer epochs (--search epochs=LOW:HIGH)" if cut else ""
        return (
            f"the defaults' {trials}{cut} used the whole --time of {format_duration(self.timeout)}: no search ran; "
            f"pass --time {format_duration(needs)} or more{fewer}"
        )

    def stored(self) -> dict[str, Any]:
        """The study kept across runs, as the records say it (empty in memory)."""
        if self.storage is None:
            return {}
        return {"study": {"storage": self.storage, "name": self.study_name, "trials": len(self.trials),
                          "trials_before": self.trials_before}}  # fmt: skip

    @property
    def kept(self) -> str:
        """``"defaults"`` when the better defaults' trial was kept in place of the best (its gain within the
        noise); ``"fallback"`` when an earlier run's trial was chosen but the model written is one this run
        trained (the refit clearly worse, or no time left for it: :attr:`refitted`); else ``"best"`` (a best trial
        that is a defaults' trial included)."""
        if self.kept_trial is None or self.kept_trial == self.best_trial:
            return "best"
        refit = self.refitted
        if refit is not None and refit.get("kept_trial") == self.kept_trial != refit.get("trial"):
            return "fallback"
        return "defaults"

    @property
    def kept_arch(self) -> str | None:
        """The kind of model of the kept trial (:attr:`arch` unless the defaults' trial of another kind was
        kept)."""
        if self.kept_trial is None or self.kept_trial == self.best_trial:
            return self.arch
        record = next((t for t in self.trials if t["number"] == self.kept_trial), {})
        return record.get("arch", self.arch)  # type: ignore[no-any-return]

    @property
    def improvement(self) -> float | None:
        """How much better than the defaults (:attr:`default_value`, the better kind's under several) the best
        trial scored (positive = better), or ``None``."""
        if self.default_value is None:
            return None
        sign = 1.0 if self.direction == "maximize" else -1.0
        return sign * (self.best_value - self.default_value)

    def to_dict(self) -> dict[str, Any]:
        named = {"arch": self.arch, "default_values": self.default_values} if self.arch is not None else {}
        return {
            "metric": self.metric,
            "direction": self.direction,
            **named,
            "best_trial": self.best_trial,
            "best_params": self.best_params,
            "best_value": self.best_value,
            "default_value": self.default_value,
            "timeout": self.timeout,
            "improvement": self.improvement,
            "improvement_interval": None
            if self.improvement_interval is None
            else list(self.improvement_interval),
            "selection": None if self.selection is None else self.selection.to_dict(),
            "keep": self.keep,
            "kept": self.kept,
            "kept_trial": self.kept_trial,
            "kept_reason": self.kept_reason,
            **self.stored(),
            **({"refitted": self.refitted} if self.refitted is not None else {}),
            **self._fit_records(),
            **({"not_started": self.not_started} if self.not_started is not None else {}),
            **({"startup_seconds": self.startup_seconds} if self.startup_seconds is not None else {}),
            **({"interrupted_after": self.stopped_after} if self.stopped_after is not None else {}),
            **(
                {"decision_threshold": {"setting": self.decision_threshold, "kept_model": self.decided_at}}
                if self.decision_threshold is not None
                else {}
            ),
            "trials": self.trials,
            "note": "best of the trials on the same validation rows: confirm on held-out data",
        }

    def summary(self) -> dict[str, Any]:
        """What the model directory's ``trainwell.json`` keeps of the search (``trainwell info`` shows it):
        the metric, the best trial, the trial kept (and ``kept: "defaults"`` when the defaults' trial was kept
        in place of the best), the reality check's p-value of the best's gain and the trials it compared
        (``gain_p_value``, ``trials_compared``, when checked), and per kind of model its trials, best score and
        defaults' score, ``arch`` the kind kept; every trial is in ``tuning.json`` beside it."""
        finished = [t for t in self.trials if t["state"] == "complete" and t["value"] == t["value"]]
        kinds: dict[str, dict[str, Any]] = {}
        for name, value in self.default_values.items():
            own = [t for t in self.trials if t.get("arch") == name]
            scores = [t["value"] for t in finished if t.get("arch") == name]
            choose = max if self.direction == "maximize" else min
            kinds[name] = {"trials": len(own), "best": choose(scores) if scores else None, "defaults": value}
        return {
            "metric": self.metric,
            "direction": self.direction,
            "trials": len(self.trials),
            "best_trial": self.best_trial,
            "best_value": self.best_value,
            "default_value": self.default_value,
            "kept_trial": self.kept_trial,
            **({"kept": self.kept} if self.kept != "best" else {}),
            **(
                {"gain_p_value": self.selection.p_value, "trials_compared": self.selection.trials}
                if self.selection is not None
                else {}
            ),
            **({"arch": self.kept_arch, "kinds": kinds} if self.arch is not None else {}),
            **self.stored(),
            **({"refitted": self.refitted} if self.refitted is not None else {}),
            "record": TUNING_FILE,
        }
