"""A search kept across runs: ``storage=`` (``--storage``) and ``study_name=`` (``--study-name``).

Where the study is kept (:func:`resolve_storage`):

- a database URL (anything with ``://``: ``sqlite:///tune.db``, ``postgresql://user@host/db``,
  ``mysql://...``) goes to Optuna as it is (a server's driver, such as ``psycopg2``, must be installed);
- a file path ending ``.db``, ``.sqlite`` or ``.sqlite3`` is a SQLite database (``sqlite:///`` that path);
- any other file path (``tune.log``, ``tune.jsonl``, ``tune.journal``) is an Optuna journal file
  (``JournalFileBackend``: an append-only log behind a lock file, for a filesystem without SQLite's locking,
  such as NFS).

A folder that does not exist yet is made. Without ``study_name`` the study is named :data:`DEFAULT_STUDY_NAME`.

Running the same search again resumes the study (:func:`stored_study`): ``n_trials`` more trials are run, the
sampler and the pruner seeing every stored trial (the sampler seeded with ``seed`` plus the count of stored
trials, so that a run does not draw an earlier run's settings again); the defaults' trials, queued when the study was made, are not
queued again, and their settings (the learning-rate finder's choice among them) are read back from the study
instead of worked out again. The study keeps what makes its trials comparable (:func:`fingerprint`, in its
``user_attrs``): the data (task, row counts, a digest of the fitted recipe and the validation rows), the metric
and its direction, the seed, and every searched setting's range; a run that differs in any of them is refused
in one line naming the difference. Each finished trial keeps its validation predictions (under
:data:`PREDICTIONS_STORED_MAX` numbers), so that the gain's reality check compares every stored trial with the
defaults, as in one run.

The best trial of all the runs is the one kept. Its model exists only in the run that trained it: when it is an
earlier run's, its settings are trained again (the same data and seed, and a trial that ``--time`` cut for the
batches it trained), within the search's time, and checked against the score stored for it; a refit clearly
worse than that, or one that the time left cannot hold, gives way to the best model this run trained
(:mod:`trainwell.automl._refit`). The record says which (``refitted``), as does ``trainwell tune``.

Under ``torchrun`` a search keeps its own journal (:mod:`trainwell.automl._spread`), so ``storage`` is refused
there.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from trainwell.automl.space import ARCH_PARAM, MixedSpace, Space
from trainwell.core.errors import ConfigError
from trainwell.core.warn import warn
from trainwell.data.bundle import DataBundle

if TYPE_CHECKING:
    import torch

    from trainwell.automl.search import SearchSettings, _Trials

__all__ = [
    "DEFAULT_STUDY_NAME",
    "PREDICTIONS_STORED_MAX",
    "StoredStudy",
    "fingerprint",
    "recall_trials",
    "resolve_storage",
    "stored_study",
]

#: The study's name when none is given.
DEFAULT_STUDY_NAME = "trainwell"
SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
#: The study's user_attrs: what made it (:func:`fingerprint`), and the defaults' trials' settings.
MADE_FOR, STARTS = "trainwell", "trainwell_starts"
#: A trial's user_attrs: its seconds, whether the timeout cut it, its validation predictions, and when cut, the
#: training batches it trained and its epoch's batches (what training it again trains: :mod:`trainwell.automl._refit`).
SECONDS, CUT, PREDICTIONS, TRAINED = "seconds", "cut_by_time", "valid_predictions", "trained_batches"
#: ... and its schedule's progress as it trained (:class:`~trainwell.automl._refit.ProgressRecord`).
PROGRESS = "trained_progress"
#: The study's user_attr holding the validation rows' targets (with the predictions).
TARGETS = "valid_targets"
#: Validation predictions of more numbers than this are not stored (the gain's check then compares only the
#: trials of the run in hand).
PREDICTIONS_STORED_MAX = 1_000_000
#: What a study's user_attrs record, in its version.
FORMAT = 1
#: A trial's user_attrs: the run that trains it (:func:`this_run`), recorded as it starts; and, for a trial left
#: running by a run that ended without finishing it (killed), why a later run marked it failed.
RUN, RUN_ENDED = "trainwell_run", "run_ended"


@dataclass(frozen=True)
class StoredStudy:
    """Where a study is kept: ``given`` as the user wrote it, and either a database ``url`` or a ``journal``
    file; ``name`` the study's name."""

    given: str
    name: str
    url: str | None = None
    journal: Path | None = None

    @property
    def shown(self) -> str:
        """The storage as said in messages and records: a URL's password hidden."""
        if self.url is None or "@" not in self.url:
            return self.given
        try:
            from sqlalchemy.engine import make_url

            return make_url(self.url).render_as_string(hide_password=True)
        except Exception:  # not a URL sqlalchemy reads: said without its credentials
            return self.url.split("://", 1)[0] + "://***"


def resolve_storage(storage: str | Path | None, study_name: str | None) -> StoredStudy | None:
    """Where ``storage`` keeps the study named ``study_name`` (see the module docstring), refused in one line
    before any data is read; ``None`` without a storage (a study in memory)."""
    if storage is None:
        if study_name is not None:
            raise ConfigError(
                f"--study-name (study_name=) {study_name!r} names a study kept in a --storage (storage=); pass "
                "--storage FILE too, e.g. --storage tune.db"
            )
        return None
    text = str(storage).strip()
    if not text:
        raise ConfigError(
            "--storage (storage=) is empty; pass a file such as tune.db, or a URL such as sqlite:///tune.db"
        )
    name = DEFAULT_STUDY_NAME if study_name is None else str(study_name).strip()
    if not name:
        raise ConfigError("--study-name (study_name=) is empty; pass a name such as --study-name adult")
    if "://" in text:
        if text.startswith("sqlite:///") and text != "sqlite:///:memory:":
            _need_folder(text, Path(text.removeprefix("sqlite:///")).expanduser())
        return StoredStudy(text, name, url=text)
    path = Path(text).expanduser()
    if path.is_dir():
        raise ConfigError(
            f"--storage {text} is a folder; name a file in it: {path / 'tune.db'} (SQLite) or {path / 'tune.log'} "
            "(an Optuna journal)"
        )
    _need_folder(text, path)
    path = path.resolve()
    if path.suffix.lower() in SQLITE_SUFFIXES:
        return StoredStudy(text, name, url=f"sqlite:///{path}")
    return StoredStudy(text, name, journal=path)


def _need_folder(text: str, path: Path) -> None:
    """Refuse a storage file whose folder is missing: ``--storage /nonexist/dir/t.db`` made the folders without a
    word, and a mistyped path went unnoticed."""
    folder = path.parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise ConfigError(
            f"--storage {text}: its folder {folder} {what}; make it first (mkdir -p {folder}) or name a file in "
            "an existing folder"
        )


@contextmanager
def storage_errors(where: StoredStudy, opening: bool = True) -> Iterator[None]:
    """Optuna's and the database's errors on opening (``opening``) or writing the storage, as one-line
    :class:`~trainwell.core.errors.ConfigError` naming it and the fix (the original kept as the cause). While
    trials run (not ``opening``) only the database's own errors are said so: any other error is a trial's,
    and keeps its traceback."""
    try:
        yield
    except (ImportError, OSError, json.JSONDecodeError) as error:
        if not opening:
            raise
        _opening_error(where, error)
    except Exception as error:
        said = _database_error(error)
        if said is None:
            raise
        raise ConfigError(f"--storage {where.shown}: {said}") from error


def _opening_error(where: StoredStudy, error: Exception) -> NoReturn:
    """Raise the one line for a storage that could not be opened: a driver missing, a file that cannot be read
    or written, a file that is not a journal."""
    if isinstance(error, ImportError):  # a server's driver (psycopg2, pymysql) missing
        scheme = where.shown.split("://", 1)[0]
        raise ConfigError(
            f"--storage {where.shown}: the database driver for {scheme!r} is not installed ({error}); install it "
            "(postgresql: pip install psycopg2-binary; mysql: pip install pymysql), or pass a file such as tune.db"
        ) from error
    if isinstance(error, OSError):  # the journal file or its lock, a folder that cannot be made
        raise ConfigError(
            f"--storage {where.shown}: cannot open it ({error.strerror or error}); check the file and its folder "
            "can be written, or pass another file"
        ) from error
    assert isinstance(error, json.JSONDecodeError)
    raise ConfigError(
        f"--storage {where.shown} is not an Optuna journal file (line {error.lineno} is not one of its "
        "records); pass another file (a path ending .db is a SQLite database)"
    ) from error


def _database_error(error: Exception) -> str | None:
    """The one line for a database's error (sqlalchemy's), or ``None`` for any other exception."""
    try:
        from sqlalchemy import exc
    except ModuleNotFoundError:
        return None
    if isinstance(error, exc.ArgumentError):  # a URL sqlalchemy cannot read, or an unknown scheme
        return (
            f"not a database URL Optuna can open ({error}); pass sqlite:///FILE.db, postgresql://USER@HOST/DB, "
            "mysql://..., or a file: FILE.db (SQLite) or FILE.log (an Optuna journal)"
        )
    if not isinstance(error, exc.DBAPIError):
        return None
    first = str(getattr(error, "orig", None) or error).splitlines()[0]
    if "locked" in first:
        return (
            f"the database is locked ({first}): another process is writing to it; wait for it to finish, or pass "
            "another file (trials finished before are kept in it: run again to resume)"
        )
    if "not a database" in first:
        return (
            f"is not a SQLite database ({first}); pass another file, or one ending .log for an Optuna journal"
        )
    return f"the database could not be used ({first}); check the file or server, or pass another --storage"


def open_study(
    optuna: Any, where: StoredStudy, direction: str, sampling: dict[str, Any]
) -> tuple[Any, list[str]]:
    """The study ``where`` names, made when missing (``sampling``: its sampler and pruner), and the names of
    the other studies its storage holds."""
    with storage_errors(where):
        if where.journal is not None:
            from optuna.storages.journal import JournalFileBackend

            storage: Any = optuna.storages.JournalStorage(JournalFileBackend(str(where.journal)))
        else:
            assert where.url is not None
            storage = where.url
        names = optuna.get_all_study_names(storage)
        study = optuna.create_study(
            storage=storage, study_name=where.name, direction=direction, load_if_exists=True, **sampling
        )
    return study, [name for name in names if name != where.name]


def stored_study(
    optuna: Any,
    space: Space | MixedSpace,
    data: DataBundle,
    chosen: str,
    direction: str,
    settings: SearchSettings,
) -> tuple[Any, list[dict[str, Any]], int]:
    """The stored study of ``settings.study`` (see the module docstring): made, with the defaults' trials
    queued, when new; else checked against this search (:func:`refuse_a_mismatch`). Returns the study, the
    defaults' trials' settings, and how many trials it held before this run (those waiting to run not
    counted)."""
    from optuna.trial import TrialState

    from trainwell.automl.search import enqueue_defaults, sampler_and_pruner

    where = settings.study
    assert where is not None
    study, others = open_study(
        optuna, where, direction, sampler_and_pruner(optuna, settings.seed, settings.pruner)
    )
    made = fingerprint(data, space, chosen, direction, settings.seed)
    held = study.get_trials(deepcopy=False)
    stored = study.user_attrs.get(MADE_FOR)
    if stored is None and held:
        raise ConfigError(
            f"the study {where.name!r} in --storage {where.shown} was not made by trainwell tune (it holds "
            f"{len(held)} trials of its own); pass another --study-name"
        )
    if stored is None:
        if others:  # a mistyped name would start afresh without a word
            warn(
                f"the study {where.name!r} is new in {where.shown}, which holds: {', '.join(sorted(others))}; "
                "this search starts afresh (pass --study-name NAME to resume one of those)"
            )
        starts = [kind.start(kind.defaults(data, settings.seed)) for kind in space.kinds]
        starts = json.loads(json.dumps(starts, default=_plain))  # as the storage will give them back
        with storage_errors(where):
            study.set_user_attr(MADE_FOR, made)
            study.set_user_attr(STARTS, starts)
            enqueue_defaults(study, space, starts)
        return study, starts, 0
    refuse_a_mismatch(stored, made, where)
    with storage_errors(where):
        fail_trials_of_ended_runs(study, where)
    held = study.get_trials(deepcopy=False)
    before = sum(trial.state != TrialState.WAITING for trial in held)
    # Seeded as in the first run, the sampler would draw that run's settings again, trial for trial.
    study.sampler = sampler_and_pruner(optuna, settings.seed + before, settings.pruner)["sampler"]
    return study, list(study.user_attrs[STARTS]), before


def _plain(value: Any) -> Any:
    """A numpy number as a plain one, for JSON."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not a setting a study can keep")


def fingerprint(
    data: DataBundle, space: Space | MixedSpace, chosen: str, direction: str, seed: int
) -> dict[str, Any]:
    """What makes a study's trials comparable with this search's: the data (its task, row counts, and a digest
    of its fitted recipe and validation rows), the metric and direction, the seed, and each kind of model's
    searched settings."""
    rows = [getattr(loader, "n_rows", None) for loader in (data.train, data.valid)]
    digest = hashlib.sha256()
    recipe = data.recipe.to_dict() if data.recipe is not None else None
    digest.update(
        json.dumps([data.application, data.task.kind, rows, recipe], sort_keys=True, default=str).encode()
    )
    valid_rows = data.rows.get("valid")
    if valid_rows is not None:
        import numpy as np
        import pandas as pd

        # The rows as a set: their order is a seeded one (classes interleaved, data.fair_order), so the same rows
        # marked by valid_col under --seed 1 would read as other data, and the seed would go unnamed.
        hashes = pd.util.hash_pandas_object(valid_rows, index=False).to_numpy()
        digest.update(np.sort(hashes).tobytes())
    return {
        "format": FORMAT,
        "task": data.task.kind,
        "application": data.application,
        "rows": rows,
        "data": digest.hexdigest(),
        "metric": chosen,
        "direction": direction,
        "seed": seed,
        "space": {
            kind.arch or "model": {name: _said(bound) for name, bound in kind.ranges.items()}
            for kind in space.kinds
        },
    }


def _said(bound: Any) -> str:
    return bound.describe() + (
        ", whole numbers" if bound.whole and bound.fixed is None and not bound.choices else ""
    )


def refuse_a_mismatch(stored: dict[str, Any], made: dict[str, Any], where: StoredStudy) -> None:
    """Refuse, in one line, a stored study made for another search than this one: the first difference named,
    with the fix."""
    study = f"the study {where.name!r} in --storage {where.shown}"
    fresh = "or pass another --study-name for a new study"
    if stored.get("format") != FORMAT:
        raise ConfigError(f"{study} was made by another version of trainwell tune; {fresh}")
    if [stored[key] for key in ("task", "application", "rows", "data")] != [
        made[key] for key in ("task", "application", "rows", "data")
    ]:
        raise ConfigError(
            f"{study} was made for other data ({_data_said(stored)}; this run: {_data_said(made)}"
            f"{', other values' if stored['rows'] == made['rows'] else ''}); tune the same data, target, "
            f"validation rows (--valid-pct, --valid-col) and --seed to resume it, {fresh}"
        )
    if stored["metric"] != made["metric"] or stored["direction"] != made["direction"]:
        raise ConfigError(
            f"{study} was made to {stored['direction']} {stored['metric']}, this run to {made['direction']} "
            f"{made['metric']}; pass --metric {stored['metric']} to resume it, {fresh}"
        )
    if stored["seed"] != made["seed"]:
        raise ConfigError(
            f"{study} was made with --seed {stored['seed']}, this run has {made['seed']}; pass --seed {stored['seed']} to resume it, {fresh}"
        )
    if stored["space"] != made["space"]:
        raise ConfigError(
            f"{study} searched other settings ({_space_difference(stored['space'], made['space'])}); pass the same --arch and --search to resume it, {fresh}"
        )


def _data_said(made: dict[str, Any]) -> str:
    train, valid = made["rows"]
    return f"a {made['task']} task, {train:,} training and {valid:,} validation rows"


def _space_difference(stored: dict[str, Any], made: dict[str, Any]) -> str:
    """The first searched setting that differs, as ``lr 0.0001 to 0.03 (log scale) then, 0.001 to 0.01 now``."""
    if list(stored) != list(made):
        return f"models {', '.join(stored)} then, {', '.join(made)} now"
    for kind, ranges in made.items():
        for name in dict.fromkeys([*stored[kind], *ranges]):
            then, now = stored[kind].get(name, "not searched"), ranges.get(name, "not searched")
            if then != now:
                return f"{name} {then} then, {now} now"
    return "their ranges differ"


def kept_predictions(trial: Any, study: Any, preds: torch.Tensor, targets: torch.Tensor | None) -> None:
    """Store a finished trial's validation predictions (and once, the rows' targets) in the study, for the
    gain's check of a later run; none over :data:`PREDICTIONS_STORED_MAX` numbers."""
    if preds.numel() > PREDICTIONS_STORED_MAX:
        return
    trial.set_user_attr(PREDICTIONS, _packed(preds))
    if targets is not None and TARGETS not in study.user_attrs:
        study.set_user_attr(TARGETS, _packed(targets))


def _packed(tensor: torch.Tensor) -> dict[str, Any]:
    array = tensor.detach().cpu().contiguous().numpy()
    return {
        "dtype": str(array.dtype),
        "shape": list(array.shape),
        "data": base64.b64encode(array.tobytes()).decode(),
    }


def _unpacked(packed: dict[str, Any]) -> torch.Tensor:
    import numpy as np
    import torch

    array = np.frombuffer(base64.b64decode(packed["data"]), dtype=packed["dtype"]).reshape(packed["shape"])
    return torch.from_numpy(array.copy())


def recall_trials(trials: _Trials, study: Any) -> None:
    """What ``trials`` records of each trial, for the stored trials of earlier runs: its kind of model, its
    seconds, whether the timeout cut it (and the batches it trained), its validation predictions (with the rows'
    targets), and that it is an earlier run's."""
    from optuna.trial import TrialState

    kinds = trials.space.kinds
    for trial in study.get_trials(deepcopy=False):
        if not trial.state.is_finished():
            continue
        if trial.number < len(kinds):
            trials.kinds[trial.number] = kinds[trial.number]
        else:
            arch = trial.params.get(ARCH_PARAM)
            trials.kinds[trial.number] = next((kind for kind in kinds if kind.arch == arch), kinds[0])
        seconds = trial.user_attrs.get(SECONDS)
        if seconds is None and trial.duration is not None:
            seconds = trial.duration.total_seconds()
        trials.times[trial.number] = float(seconds or 0.0)
        trials.earlier.add(trial.number)
        if trial.user_attrs.get(CUT):
            trials.cut.add(trial.number)
            trained = trial.user_attrs.get(TRAINED)
            if isinstance(trained, list) and len(trained) == 2:
                trials.trained[trial.number] = (int(trained[0]), int(trained[1]))
                curve = trial.user_attrs.get(PROGRESS)
                if isinstance(curve, list) and curve:
                    trials.curves[trial.number] = [float(value) for value in curve]
        packed = trial.user_attrs.get(PREDICTIONS)
        if trial.state == TrialState.COMPLETE and packed is not None:
            trials.predictions[trial.number] = (float(trial.value), _unpacked(packed))
    if TARGETS in study.user_attrs and trials.targets is None:
        trials.targets = _unpacked(study.user_attrs[TARGETS])


def this_run() -> dict[str, Any]:
    """What names this process, as a trial it trains records it (:data:`RUN`): the host, the process id and
    what tells that process from a later one given the same id on that host (its start, in clock ticks since
    boot; the boot; the process-id namespace: another container's processes share none of this one's ids)."""
    import os
    import socket

    pid = os.getpid()
    return {"host": socket.gethostname(), "pid": pid, "started": _process_start(pid), "boot": _boot_id(),
            "pid_namespace": _pid_namespace()}  # fmt: skip


def claim(trial: Any) -> None:
    """Record in a stored study's ``trial``, as it starts, which run trains it (:func:`this_run`), so that a
    later run can tell a trial left running by a run that was killed (:func:`fail_trials_of_ended_runs`)."""
    trial.set_user_attr(RUN, this_run())


def run_ended(run: Any) -> bool | None:
    """Whether the run that ``run`` (a trial's :data:`RUN` record) names has ended: ``True`` only when this
    process can tell for sure, being on the same host, boot and process-id namespace, and that process id is
    not running, or runs another process (started at another time, or a zombie); ``None`` when it cannot tell
    (another machine or container, a boot since, a record of an earlier version), and ``False`` while it runs."""
    import os

    if not isinstance(run, dict) or not isinstance(run.get("pid"), int):
        return None
    here = this_run()
    if any(run.get(key) != here[key] for key in ("host", "boot", "pid_namespace")):
        return None  # not a process this one can see: it may well be running
    pid = run["pid"]
    if pid == here["pid"]:  # this process, or an ended one whose id it was given
        return run.get("started") is not None and run.get("started") != here["started"]
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # another user's process of that id: running, unless it is another process (below)
    except OSError:
        return None
    started = _process_start(pid)
    if started is None or run.get("started") is None:
        return False  # no /proc to tell it from a later process of the same id: running, as far as known
    return started != run["started"] or _zombie(pid)


def fail_trials_of_ended_runs(study: Any, where: StoredStudy) -> list[int]:
    """Mark failed each trial of ``study`` still ``RUNNING`` whose run has ended for sure (:func:`run_ended`:
    killed, or its machine stopped, while it trained), and say so in one line; a trial of a run that may still
    be going (another process searching the same study now, on this machine or another) is left running, and a
    line says so. Returns the numbers of the trials marked failed. Without this, a run killed mid-trial left that
    trial "running" in the study for good, counted among its trials with no score, and said by no line."""
    from optuna.trial import TrialState

    ended: list[tuple[int, str]] = []
    unknown: list[tuple[int, str]] = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        run = trial.user_attrs.get(RUN)
        state = run_ended(run)
        who = (
            f"process {run.get('pid')} on {run.get('host')}"
            if isinstance(run, dict)
            else "a run of an earlier version"
        )
        if state is True:
            ended.append((trial.number, who))
            reason = f"its run ({who}) ended while it trained (killed); marked failed by a later run"
            storage = getattr(study, "_storage", None)
            trial_id = getattr(trial, "_trial_id", None)
            if storage is not None and trial_id is not None:
                storage.set_trial_user_attr(trial_id, RUN_ENDED, reason)
            study.tell(trial.number, state=TrialState.FAIL, skip_if_finished=True)
        elif state is None:
            unknown.append((trial.number, who))
    if ended:
        numbers = ", ".join(str(number) for number, _ in ended)
        runs = list(dict.fromkeys(who for _, who in ended))
        many = len(ended) > 1
        warn(
            f"trial{'s' if many else ''} {numbers} of the study {where.name!r} in {where.shown} "
            f"{'were' if many else 'was'} left running by {' and '.join(runs)}, which ended without finishing "
            f"{'them' if many else 'it'} (killed): marked failed, with no score"
        )
    if unknown:
        numbers = ", ".join(str(number) for number, _ in unknown)
        whose = "; ".join(f"trial {number}: {who}" for number, who in unknown)
        warn(
            f"trial{'s' if len(unknown) > 1 else ''} {numbers} of the study {where.name!r} in {where.shown} "
            f"{'are' if len(unknown) > 1 else 'is'} still marked running by a run this one cannot check ({whose}: "
            "another machine or container, or one restarted since); left as it is, with no score"
        )
    return [number for number, _ in ended]


def _process_start(pid: int) -> str | None:
    """When process ``pid`` started, in clock ticks since boot (``/proc``; ``None`` without it)."""
    stat = _stat(pid)
    return None if stat is None else stat[19]


def _zombie(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] == "Z"


def _stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/PID/stat`` after the command's name (its state first), ``None`` without them."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rpartition(")")[2].split()
    return fields if len(fields) > 19 else None


def _boot_id() -> str | None:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip() or None
    except OSError:
        return None


def _pid_namespace() -> str | None:
    import os

    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return None
