"""One search spread over ``torchrun``'s processes: ``torchrun --nproc_per_node N -m trainwell tune ...``.

Every process reads the data and trains whole trials, each alone (no ``DistributedDataParallel``: the trials
are small and independent), N at a time, in one Optuna study kept in a journal file (Optuna's
``JournalFileBackend``, an append-only log behind a lock: one machine, or a filesystem the machines share)
beside the model directory, so that the sampler and the median pruner see every process's trials:

1. Rank 0 works out the defaults (the MLP's learning-rate finder), creates the study, queues the defaults'
   trials (0, 1...) and publishes the journal's path through ``torchrun``'s store
   (:func:`~trainwell.distributed.spread.job_store`, under keys of this search's own, so that a job may run
   several); the others wait for it, then load the study.
2. Each process asks the study for a trial whenever it has none: a counter in the store hands out exactly
   ``n_trials`` of them over all processes, and each process stops early when the shared time budget is short
   (the budget is each process's own, started when it began, as in one process). Each trial trains with the
   search's seed, as it would in one process given its settings; the samplers are seeded ``seed + rank``, so
   that two processes asking at once do not draw the same settings.
3. The processes gather what only they know (:func:`~trainwell.distributed.spread.gather_over_store`): each
   trial's kind of model, seconds and cut, their best finished trial, their defaults' trials' scores, and every
   finished trial's score and validation predictions (a few floats a row each: the reality check compares
   every trial with the defaults on the same resamples of the rows, as in one process). The process holding
   the best trial's learner checks its gain over the better defaults' and chooses the trial kept
   (:func:`~trainwell.automl._gain.check_gain`: the best, or the defaults' when the gain is within the noise,
   the choice of the best among every process's trials counted), and tells every process. The process that
   trained the kept trial writes the model directory with ``tuning.json`` (every trial's record, as in one
   process); rank 0 receives its result, prints it, and removes the journal. Rank 0 removes it too when the
   search stops early: on an error, on Ctrl-C, and on the SIGTERM with which torchrun stops a job (or its other
   processes when one failed; :func:`~trainwell.distributed.spread.termination_unwinds`). Nothing resumes a
   search from it. A study kept across runs (``storage=``, ``--storage``) is refused under torchrun
   (:func:`~trainwell.automl.search.check_search_settings`): this journal is the run's own.

Rank 0 says in one line, as the trials begin, that the processes share the trials out rather than train each
together (:func:`~trainwell.automl.search.spread_line`), then each of its own trials as it ends; the table at
the end lists every process's.

No process group is formed: a process in one would be no longer "rank zero" and could not write the model.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from trainwell.automl._gain import check_gain, default_scores
from trainwell.automl.search import (
    _TRIAL_REPORT,
    SearchSettings,
    TuneResult,
    _defaults_first_study,
    _refuse_a_spent_budget,
    _trial_reporter,
    _Trials,
    finish_search,
    import_optuna,
    raise_none_finished,
    sampler_and_pruner,
    spread_line,
)
from trainwell.automl.space import MixedSpace, Space
from trainwell.data.bundle import DataBundle
from trainwell.distributed.spread import gather_over_store, job_store, spread_position, termination_unwinds
from trainwell.evaluate.compare import higher_is_better

__all__ = ["run_spread_search"]

STUDY_NAME = "trainwell-tune"


def run_spread_search(
    data: DataBundle, space: Space | MixedSpace, chosen: str, settings: SearchSettings
) -> TuneResult:
    """:func:`~trainwell.automl.search.run_search` with its trials spread over this ``torchrun`` job's
    processes (see the module docstring); every process calls it, and every process returns the search's
    result (its ``run`` is ``None`` except in the process that trained the kept trial)."""
    optuna = import_optuna()
    rank, processes = spread_position()
    seed, budget = settings.seed, settings.budget
    store = _search_store()
    direction = "maximize" if higher_is_better(chosen) else "minimize"
    # Rank 0 owns the journal, and removes it however the search ends (see _study_journal).
    with _study_journal(settings.out) if rank == 0 else contextlib.nullcontext() as journal:
        if rank == 0:
            assert journal is not None
            starts = [kind.start(kind.defaults(data, seed)) for kind in space.kinds]
            storage = _journal_storage(optuna, journal)
            _defaults_first_study(optuna, space, starts, direction, seed, settings.pruner, storage=storage,
                                  study_name=STUDY_NAME)  # fmt: skip
            store.set("starts", pickle.dumps(starts))
            store.set("study", str(journal))  # announced once the study holds the defaults' trials
        path = store.get("study").decode()  # waits for rank 0
        starts = pickle.loads(store.get("starts"))
        study = optuna.load_study(study_name=STUDY_NAME, storage=_journal_storage(optuna, Path(path)),
                                  **sampler_and_pruner(optuna, seed + rank, settings.pruner))  # fmt: skip
        trials = _Trials(space, data, chosen, direction, seed, budget, settings.progress)
        trials.decision = settings.decision_threshold
        started_at = settings.started_at if settings.started_at is not None else trials.clock()()
        _refuse_a_spent_budget(budget)
        # Rank 0 alone speaks (the command line quiets the others): what the processes do, and its own trials.
        report = _TRIAL_REPORT.get() if rank == 0 else None
        if report is not None:
            import torch

            timeout = budget.seconds if budget is not None else None
            gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
            report(spread_line(processes, settings.n_trials, timeout, gpus))
        trials.start_up(started_at, report)
        _take_turns(optuna, study, trials, store, settings.n_trials, report)
        # Rank 0 leaves the block (removing the journal) only once every process has finished with the study:
        # the processes gather after their last trial.
        result = _kept_written_once(study, trials, starts, store, settings)
    return result


#: The spread searches this process has run: each search's keys in the job's store are numbered by it.
_searches = 0


def _search_store() -> Any:
    """This search's keys in the job's store (:func:`~trainwell.distributed.spread.job_store`), apart from
    every other search's in the same job: numbered per process, the same number in every process, since every
    process runs the same searches in the same order (as :func:`~trainwell.distributed.spread.gather_results`
    numbers its calls). Under one fixed key a second search in the job found the first's study (its journal
    removed) and its trials all handed out."""
    import torch.distributed as dist

    global _searches
    _searches += 1
    return dist.PrefixStore(f"search_{_searches}/", job_store("tune"))


@contextlib.contextmanager
def _study_journal(out: str | Path | None) -> Iterator[Path]:
    """A new journal for the study (:func:`_new_journal`), removed on leaving however the search ends: done,
    an error, Ctrl-C, or the SIGTERM with which torchrun stops a job (and its other processes when one failed),
    which unwinds here as Ctrl-C does (:func:`~trainwell.distributed.spread.termination_unwinds`). Nothing
    resumes a search from its journal (a search run again starts one of its own), so none is kept."""
    with termination_unwinds():
        journal = _new_journal(out)
        try:
            yield journal
        finally:
            _remove_journal(journal)


def _new_journal(out: str | Path | None) -> Path:
    """A new, empty journal file beside the model directory (in the temporary folder without one), named after
    it, so that the machines of a job that share the model's filesystem share the study."""
    folder = Path(out).resolve().parent if out is not None else Path(tempfile.gettempdir())
    folder.mkdir(parents=True, exist_ok=True)
    name = Path(out).name if out is not None else "search"
    handle, path = tempfile.mkstemp(prefix=f".{name}.tune-", suffix=".journal", dir=folder)
    os.close(handle)
    return Path(path)


def _journal_storage(optuna: Any, path: Path) -> Any:
    from optuna.storages.journal import JournalFileBackend

    return optuna.storages.JournalStorage(JournalFileBackend(str(path)))


def _remove_journal(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".lock")):
        leftover.unlink(missing_ok=True)


def _take_turns(
    optuna: Any, study: Any, trials: _Trials, store: Any, n_trials: int, report: Any = None
) -> None:
    """Run trials until the store's counter has handed out ``n_trials`` over all processes, or the time is
    short; each trial is told to the study as ``Study.optimize`` tells it (pruned, failed, or its score), and
    said to ``report`` (a line per trial, as in one process) when given."""
    from optuna.trial import TrialState

    budget = trials.budget
    say = _trial_reporter(report, trials.chosen, n_trials) if report is not None else None
    while not (budget is not None and budget.remaining <= 0) and not trials.time_is_short():
        ticket = store.add("trials", 1)  # atomic: exactly n_trials tickets over every process
        if ticket > n_trials:
            break
        trial = study.ask()
        try:
            value = trials.train_trial(trial)  # Ctrl-C under torchrun ends every process
        except optuna.TrialPruned:
            told = study.tell(trial, state=TrialState.PRUNED)
        except BaseException:
            study.tell(trial, state=TrialState.FAIL)
            raise
        else:
            told = study.tell(trial, value)
        if say is not None:
            say(study, told, ticket)


def _kept_written_once(
    study: Any,
    trials: _Trials,
    starts: list[dict[str, Any]],
    store: Any,
    settings: SearchSettings,
) -> TuneResult:
    """Gather every process's record of its trials; the process that holds the best trial's learner chooses
    the trial kept (the best, or the defaults' in its place); the process that holds the kept trial's learner
    writes it, and hands its result to every process."""
    rank, _ = spread_position()
    kinds = trials.space.kinds
    mine = {
        "kinds": {number: kinds.index(kind) for number, kind in trials.kinds.items()},
        "times": trials.times,
        "cut": trials.cut,
        "kept": (trials.kept["number"], trials.kept["value"]) if trials.kept else None,
        "predictions": trials.predictions,
        "default_scores": default_scores(trials),  # also for a metric not of rows, which has no predictions
    }
    parts = gather_over_store(store, "records", mine)
    predictions: dict[int, tuple[float, Any]] = {}
    scores: dict[int, float] = {}
    for process, part in enumerate(parts):
        trials.processes.update(dict.fromkeys(part["kinds"], process))
        trials.kinds.update({number: kinds[index] for number, index in part["kinds"].items()})
        trials.times.update(part["times"])
        trials.cut |= part["cut"]
        predictions.update(part["predictions"])
        scores.update(part["default_scores"])
    held = [(part["kept"], holder) for holder, part in enumerate(parts) if part["kept"] is not None]
    if not held:
        raise_none_finished()
    sign = -1.0 if trials.direction == "maximize" else 1.0
    # The best score, and among equal scores the earliest trial: the study's own best_trial.
    (number, value), holder = min(held, key=lambda pair: (sign * pair[0][1], pair[0][0]))
    checked = None
    if rank == holder:  # the best trial's learner is here: check its gain, choose the trial kept
        assert trials.kept["number"] == number, (trials.kept["number"], number)
        checked = check_gain(trials, number, value, settings.keep, dict(sorted(scores.items())),
                             dict(sorted(predictions.items())))  # fmt: skip
    interval, selection, kept = gather_over_store(store, "kept", checked)[holder]
    writer = holder if not kept.defaults else trials.processes[kept.number]
    result: TuneResult | None = None
    if rank == writer:  # the kept trial's learner is here: the best's, or a defaults' one
        learn = trials.kept["learn"] if not kept.defaults else trials.defaults[kept.number]
        best = study.get_trials(deepcopy=False)[number]
        result = finish_search(study, best, trials, starts, learn, settings, interval=interval,
                               selection=selection, kept=kept)  # fmt: skip
    shared = gather_over_store(
        store, "result", None if result is None else replace(result, run=None, study=None)
    )
    return result if result is not None else shared[writer]
