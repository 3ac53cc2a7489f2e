"""Checkpoints that resume exactly: weights, optimizer, position in the loop, RNG states, history, and the
gradients held across batches when the checkpoint falls between two steps.

The file is written with ``torch.save`` but only holds tensors and plain values, and it is read back with
``torch.load(weights_only=True)``, which refuses to unpickle arbitrary objects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from trainwell.core.atomic import write_atomic
from trainwell.core.errors import ArtifactError, ConfigError
from trainwell.core.seeding import get_rng_states, set_rng_states

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner

CHECKPOINT_FORMAT = 1
COMPILED_PREFIX = "_orig_mod."  # what torch.compile's wrapper puts before its module's state dict keys


def plain_model(model: torch.nn.Module) -> torch.nn.Module:
    """The module a ``torch.compile`` wrapper holds, or ``model`` itself: whose state dict keys :meth:`Learner.save`,
    :meth:`Learner.load`, checkpoints and ``export`` read and write, so that each reads the others' files
    whether the model was compiled or not (the wrapper's keys start with ``_orig_mod.``)."""
    inner = getattr(model, "_orig_mod", model)
    return inner if isinstance(inner, torch.nn.Module) else model


def plain_keys(state: Mapping[str, Any]) -> dict[str, Any]:
    """``state`` with the leading ``_orig_mod.`` of a compiled model's keys removed (files written from the
    wrapper before :func:`plain_model`)."""
    return {key.removeprefix(COMPILED_PREFIX): value for key, value in state.items()}


def compile_hint(*keys: Sequence[str]) -> str:
    """A clause naming torch.compile when keys on either side still hold its prefix (a compiled submodule),
    ``""`` otherwise."""
    if any("_orig_mod" in key for group in keys for key in group):
        return (
            " (some keys hold '_orig_mod.', a torch.compile'd part: compile the model the same way on both sides, "
            "or save and load before compiling)"
        )
    return ""


def save(learn: Learner, path: str | Path, settings: Mapping[str, Any] | None = None) -> Path:
    """Write the learner's state at the current point (call it from ``after_batch`` or ``after_epoch``), with
    ``settings`` (plain values describing the run, e.g. the command line's options) kept beside it."""
    path = Path(path)
    # A model fitted in closed form (boosted trees, EASE) takes no step: its fit builds no optimizer, and keeps none
    closed_form = bool(getattr(learn.model, "closed_form", False))
    assert learn.opt is not None or closed_form, "a checkpoint is only meaningful once training has started"
    # Position = the next batch to run. After validation (or at the end of a training epoch with no
    # validation set) the next thing to run is the following epoch.
    if learn.training:
        epoch, next_batch = learn.epoch, learn.batch_index + 1
    else:
        epoch, next_batch = learn.epoch + 1, 0
    own: dict[str, Any] = {
        "rng": get_rng_states(),
        # A loader that cannot start mid-epoch (a torch DataLoader) is reshuffled from this on resume.
        "epoch_rng": learn._epoch_rng if learn.training else None,
        "recorder": learn.recorder.state_dict(),
        "callbacks": callback_states(learn, per_process=True),
    }
    ranks = _gathered(own)  # every process's own part, in rank order, on rank 0 of a distributed fit
    if _distributed() and ranks is None:
        return path  # rank 0 writes the file
    state: dict[str, Any] = {
        "format": CHECKPOINT_FORMAT,
        "model": plain_model(learn.model).state_dict(),
        "optimizer": None if learn.opt is None else learn.opt.state_dict(),
        "optimizer_class": None if learn.opt is None else type(learn.opt).__name__,
        "epoch": epoch,
        "next_batch": next_batch,
        "iteration": learn.iteration,
        "n_epochs": learn.n_epochs,
        "n_iterations": learn.n_iterations,
        "planned_iterations": learn.planned_iterations,
        "phase": learn.fit_phase,
        # The callback that stopped the fit (EarlyStopping's CancelFit), None while it runs on: a resume of a
        # stopped fit trains no more, as one of a fit that ran all its epochs does.
        "stopped": getattr(learn, "stopped_by", None),
        "call": getattr(learn, "_asked", None) or describe_call(learn),
        "settings": dict(settings or {}),
        "rng": own["rng"],
        "epoch_rng": own["epoch_rng"],
        "recorder": own["recorder"],
        "callbacks": {**callback_states(learn), **own["callbacks"]},
        # How many processes trained: a resume in another number is refused naming it (its batches an epoch
        # differ too, and that refusal blamed the batch size or the data).
        "world_size": len(ranks) if ranks is not None else 1,
    }
    if ranks is not None:
        state["ranks"] = ranks
    grads = held_grads(learn)
    if grads:  # only between two steps: a step (and a cancelled batch) sets every gradient to None
        state["grads"] = grads
    # Streamed to the file: the tensors are written from the model's and optimizer's own storage, with no
    # second copy of the state in memory (a buffer of the whole file first doubled a large model's footprint).
    return write_atomic(path, lambda stream: torch.save(state, stream))


def held_grads(learn: Learner) -> dict[str, torch.Tensor]:
    """The gradients the model holds from batches whose step has not come yet, by parameter name: those a
    :class:`~trainwell.learner.events.CancelStep` kept ("gradients accumulate"), of a user's callback or of
    :class:`~trainwell.callbacks.GradientAccumulation` in the middle of a group. Empty on a step boundary.

    A checkpoint written there holds them and a resume puts them back (:func:`restore`): without them the next
    step would miss the batches before the checkpoint, and the resumed fit would end away from the one never
    stopped. They are written from the gradients' own storage, as the weights are (no copy in memory). In a
    distributed fit every process holds the same ones (the wrapper averages them in each backward pass)."""
    return {
        name: parameter.grad.detach()
        for name, parameter in plain_model(learn.model).named_parameters()
        if parameter.grad is not None
    }


def _restore_optimizer(learn: Learner, state: Mapping[str, Any], path: str | Path) -> None:
    """Load the checkpoint's optimizer state into :attr:`~Learner.opt` (built when the learner has none)."""
    opt = learn.opt or learn.create_opt()
    written_by = state.get("optimizer_class")  # checkpoints before it hold none
    if written_by is not None and written_by != type(opt).__name__:
        raise ConfigError(
            f"checkpoint '{path}' was written by a fit with the {written_by} optimizer and this one uses "
            f"{type(opt).__name__}; resume with the same opt="
        )
    if state.get("optimizer") is None:
        raise ConfigError(
            f"checkpoint '{path}' holds no optimizer state (it comes from a model fitted in closed form); resume "
            "with the model the checkpoint was written from"
        )
    try:
        opt.load_state_dict(state["optimizer"])
    except (ValueError, KeyError) as error:
        raise ConfigError(
            f"checkpoint '{path}' holds an optimizer of other parameter groups ({error}); resume with the same "
            "model, layer groups and opt="
        ) from error


def _restore_grads(learn: Learner, grads: Mapping[str, torch.Tensor], path: str | Path) -> None:
    """Give every parameter the gradient ``grads`` holds for it (:func:`held_grads`), and ``None`` to the others,
    on the parameter's device and in its dtype."""
    parameters = dict(plain_model(learn.model).named_parameters())
    grads = plain_keys(grads)
    unknown = sorted(set(grads) - set(parameters))
    if unknown:
        raise ConfigError(
            f"checkpoint '{path}' holds the gradients of parameters this model lacks ({', '.join(unknown)}); "
            "resume with the model the checkpoint was written from"
        )
    for name, parameter in parameters.items():
        grad = grads.get(name)
        parameter.grad = None if grad is None else grad.to(device=parameter.device, dtype=parameter.dtype)


def under(base: Path, path: str | Path) -> Path:
    """Where a checkpoint named ``path`` is written: under ``base`` (the learner's :attr:`~Learner.path`, where
    ``Checkpoint`` and ``learn.save`` write) when relative, unless it already starts with ``base``
    (``learn.path / "ck.pt"``, what the ``Checkpoint`` callback passes)."""
    given = Path(path)
    if given.is_absolute() or base.is_absolute() or not base.parts:
        return base / given  # an absolute path given stays as it is (base / absolute is the absolute one)
    return given if given.parts[: len(base.parts)] == base.parts else base / given


def resolve(base: Path, path: str | Path) -> Path:
    """The checkpoint file ``resume_from=path`` names: ``path`` under ``base`` (:func:`under`: where
    ``Checkpoint`` writes it), or else, as before, relative to the working directory.

    Raises:
        ArtifactError: Neither exists; the message names each absolute path looked at.
    """
    given = Path(path)
    candidates = list(dict.fromkeys([under(base, given), given]))
    found = [candidate for candidate in candidates if candidate.is_file()]
    if found:
        if len(found) > 1 and not found[0].samefile(found[1]):
            from trainwell.core.warn import warn

            warn(
                f"resume_from='{path}' names two checkpoints, {found[0].resolve()} (under learn.path, where "
                f"Checkpoint writes) and {found[1].resolve()} (in the working directory): resuming from the first; "
                "pass an absolute path to choose",
                UserWarning,
            )
        return found[0]
    tried = " nor ".join(str(candidate.resolve()) for candidate in candidates)
    near = _near_names(candidates)
    if near:
        name = near[0].name if not Path(path).parent.parts else str(Path(path).with_name(near[0].name))
        raise ArtifactError(
            f"checkpoint '{path}' (there is no {tried}) does not exist, but {near[0].resolve()} does: pass "
            f"resume_from='{name}' (the name as the Checkpoint callback wrote it, its suffix included)"
        )
    where = (
        " (a relative name is looked for under learn.path, where Checkpoint writes, then in the working "
        + ("directory)" if len(candidates) > 1 else "directory, here the same)")
    )
    raise ArtifactError(
        f"checkpoint '{path}' (there is no {tried}) does not exist; pass the file written by the Checkpoint "
        f"callback{where if not given.is_absolute() else ''}"
    )


#: The suffixes a checkpoint's name is given with (``Checkpoint``'s default is ``checkpoint.pt``).
_CHECKPOINT_SUFFIXES = (".pt", ".pth", ".ckpt")


def _near_names(candidates: Sequence[Path]) -> list[Path]:
    """The files that the paths looked for name but for a checkpoint suffix (``checkpoint`` for
    ``checkpoint.pt``), in the order looked for."""
    return [
        candidate.with_name(candidate.name + suffix)
        for candidate in candidates
        for suffix in _CHECKPOINT_SUFFIXES
        if not candidate.suffix and candidate.name and candidate.with_name(candidate.name + suffix).is_file()
    ]


def load_state(path: str | Path, mmap: bool = False) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise ArtifactError(
            f"checkpoint '{path}' does not exist; pass the file written by the Checkpoint callback"
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
    except Exception as error:
        # torch's reason runs to several lines of advice on its own serialisation: its first sentence says enough.
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        reason = reason.split(". ")[0][:120]
        if (
            "_use_new_zipfile_serialization" in reason
        ):  # torch's advice to re-save: not bytes torch.save writes
            reason = "not what torch.save writes"
        raise ArtifactError(
            f"checkpoint '{path}' is corrupted or not a trainwell checkpoint ({reason}); delete it to start afresh"
        ) from error
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise ArtifactError(
            f"checkpoint '{path}' is not a trainwell checkpoint of format {CHECKPOINT_FORMAT}"
        )
    return state


def restore(learn: Learner, path: str | Path) -> None:
    """Put ``learn`` back where the checkpoint was taken; the fit then continues from there."""
    state = load_state(path)
    phase = state.get("phase", "")  # checkpoints before phases hold none: a plain fit
    if phase != learn.fit_phase:
        raise ConfigError(
            f"checkpoint '{path}' was written in {_phase_name(phase)} and this is {_phase_name(learn.fit_phase)}; "
            "resume with the same call (fine_tune(..., resume_from=...) picks the phase itself)"
        )
    _check_same_processes(state, path)
    # The batches the call asked for (a TimeBudget may have planned fewer, which the fit then continues with).
    planned = state.get("planned_iterations", state["n_iterations"])
    if state["n_epochs"] == learn.n_epochs and planned != learn.planned_iterations:
        # The same epochs in other numbers of batches: each epoch's batches changed, not the call's length.
        per_epoch, now = (
            planned // max(1, state["n_epochs"]),
            learn.planned_iterations // max(1, learn.n_epochs),
        )
        raise ConfigError(
            f"checkpoint '{path}' comes from a fit of {per_epoch} batches an epoch and this one has {now} "
            f"({state['n_epochs']} epochs each): the batch size or the training data changed since; resume with "
            "the data and batch size the checkpoint's fit had"
        )
    if planned != learn.planned_iterations or state["n_epochs"] != learn.n_epochs:
        raise ConfigError(
            f"checkpoint '{path}' comes from a fit of {state['n_epochs']} epochs ({planned} batches) "
            f"but this fit has {learn.n_epochs} epochs ({learn.planned_iterations} batches); resume with the "
            "same call"
        )
    if state["n_iterations"] != planned:
        # A time budget had shortened the plan: only a budget resumed with it stops the fit there.
        budgeted = any(type(callback).__name__ == "TimeBudget" for callback in learn._active)
        if not budgeted:
            raise ConfigError(
                f"checkpoint '{path}' comes from a fit whose time budget planned {state['n_iterations']} of its "
                f"{planned} batches; resume with a time budget too (callbacks=[TimeBudget(...)], fit --time), "
                "which continues with the time that was left"
            )
    _check_same_call(state.get("call"), describe_call(learn), path)  # checkpoints before it hold none
    learn.n_iterations = state["n_iterations"]
    model = plain_model(learn.model)
    weights = plain_keys(state["model"])
    try:
        model.load_state_dict(weights)
    except RuntimeError as error:
        first = str(error).strip().splitlines()[0].rstrip(":. ")
        hint = compile_hint(list(weights), list(model.state_dict()))
        raise ConfigError(
            f"checkpoint '{path}' holds the weights of another model than {type(model).__name__} ({first}){hint}; "
            "resume with the model the checkpoint was written from"
        ) from error
    if not getattr(learn.model, "closed_form", False):  # one fitted in closed form took no step to resume
        _restore_optimizer(learn, state, path)
    _restore_grads(learn, state.get("grads") or {}, path)
    learn.epoch = state["epoch"]
    learn._start_batch = state["next_batch"]
    learn.iteration = state["iteration"]
    own = _own_part(state, path)
    learn.recorder.load_state_dict(own["recorder"], learn.device)
    set_rng_states(own["rng"])
    learn._epoch_rng = own.get("epoch_rng")
    learn._pending_callback_states = {**(state.get("callbacks") or {}), **(own.get("callbacks") or {})}
    learn.stopped_by = state.get("stopped")  # checkpoints before it hold none


def written_processes(state: Mapping[str, Any]) -> int | None:
    """How many processes wrote the checkpoint ``state``: its ``world_size``, else the number of per-process
    parts of a distributed fit's checkpoint; ``None`` for a single process's checkpoint from before the count
    was kept (it cannot be told from a distributed one that lost its parts)."""
    if "world_size" in state:
        return int(state["world_size"])
    ranks = state.get("ranks")
    return len(ranks) if ranks else None


def processes_mismatch(written: int | None, running: int, path: str | Path) -> str | None:
    """The refusal of a resume by ``running`` processes of a checkpoint ``written`` by another number (what
    to run instead), or ``None`` when they agree or the checkpoint does not say."""
    if written is None or written == running:
        return None
    if written > 1:
        here = f"this fit runs in {running}" if running > 1 else "this fit runs in one process"
        return (
            f"checkpoint '{path}' was written by {written} processes (torchrun) and {here}: each process's "
            f"share of the batches and its random streams are in it; resume under "
            f"`torchrun --nproc_per_node {written}`"
        )
    return (
        f"checkpoint '{path}' was written by one process and this fit runs in {running} (torchrun); resume "
        "without torchrun"
    )


def _check_same_processes(state: Mapping[str, Any], path: str | Path) -> None:
    import torch.distributed as dist

    running = dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1
    message = processes_mismatch(written_processes(state), running, path)
    if message is not None:
        raise ConfigError(message)


#: Where a call's schedules are sampled to tell one schedule from another (both ends, the warm-up's usual ends).
_SAMPLED_PCTS = (0.0, 0.1, 0.25, 0.3, 0.5, 0.75, 0.9, 1.0)


def describe_call(learn: Learner) -> dict[str, Any]:
    """What a fit's call asked for that a checkpoint cannot carry over by itself: each parameter group's peak
    learning rate when the fit began, and the values of its schedules (:class:`ParamScheduler` callbacks) at a
    few points of training. A resume with another (``fit_one_cycle(3, 1e-2)`` from a checkpoint of
    ``fit_one_cycle(3, 3e-3)``, or a plain ``fit`` from a one-cycle one) was accepted and went on with the
    checkpoint's rates, neither the call's nor the schedule's."""
    from trainwell.callbacks.schedule import ParamScheduler

    groups = learn.opt.param_groups if learn.opt is not None else []
    schedules = []
    for callback in getattr(learn, "_active", ()):
        if isinstance(callback, ParamScheduler):
            named = {"lr": callback.lr, "momentum": callback.momentum, **callback.others}
            schedules.append(
                {
                    name: [round(float(schedule(pct)), 12) for pct in _SAMPLED_PCTS]
                    for name, schedule in sorted(named.items())
                    if schedule is not None
                }
            )
    return {
        "lrs": [float(group.get("max_lr", group["lr"])) for group in groups],
        "schedules": schedules,
        # A ParamScheduler(weight_decay=...) of an earlier fit left its last value: the decay asked is its base.
        "wds": [float(group.get("initial_weight_decay", group.get("weight_decay", 0.0))) for group in groups],
    }


def _check_same_call(written: Any, asked: dict[str, Any], path: str | Path) -> None:
    """Refuse a resume whose call asks for other peak learning rates or schedules than the one that wrote the
    checkpoint (``written``: its :func:`describe_call`, ``None`` in older checkpoints)."""
    import math

    if not isinstance(written, dict):
        return
    lrs, asked_lrs = list(written.get("lrs") or []), asked["lrs"]
    if len(lrs) == len(asked_lrs) and not all(
        math.isclose(a, b, rel_tol=1e-6) for a, b in zip(lrs, asked_lrs, strict=True)
    ):
        raise ConfigError(
            f"checkpoint '{path}' comes from a fit at peak learning rate {_rates(lrs)} and this call asks for "
            f"{_rates(asked_lrs)}; resume with the same call (lr {_rates(lrs)}), or start afresh without "
            "resume_from"
        )
    wds, asked_wds = written.get("wds"), asked["wds"]  # checkpoints before it hold none
    if (
        wds is not None
        and len(wds) == len(asked_wds)
        and not all(
            math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-12) for a, b in zip(wds, asked_wds, strict=True)
        )
    ):
        raise ConfigError(
            f"checkpoint '{path}' comes from a fit at weight decay {_rates(wds)} and this call asks for "
            f"{_rates(asked_wds)}; resume with the same wd (wd={max(wds):g}), or start afresh without resume_from"
        )
    schedules, asked_schedules = written.get("schedules"), asked["schedules"]
    if schedules is not None and schedules != asked_schedules:
        if schedules and asked_schedules:
            differ = "with other schedules (ParamScheduler) than this call's"
        else:
            differ = (
                "with a schedule (fit_one_cycle's, or a ParamScheduler) and this call has none"
                if schedules
                else "without a schedule and this call has one"
            )
        raise ConfigError(
            f"checkpoint '{path}' comes from a fit {differ}; resume with the same call and settings "
            "(fit_one_cycle for a one-cycle fit, with the same div, pct_start...), or start afresh without "
            "resume_from"
        )


def _rates(lrs: Sequence[float]) -> str:
    distinct = list(dict.fromkeys(lrs))
    return f"{distinct[0]:.6g}" if len(distinct) == 1 else "[" + ", ".join(f"{lr:.6g}" for lr in lrs) + "]"


def _phase_name(phase: str) -> str:
    return f"the {phase} phase of a fit schedule" if phase else "a plain fit (no phase)"


@dataclass(frozen=True)
class CheckpointInfo:
    """Where a checkpoint was written and what it was written for, read without building a Learner.

    Attributes:
        path: the file.
        epoch: the epoch the fit continues at (0-based); ``next_batch`` is the training batch it continues at
            (0: the epoch's start).
        n_epochs: the epochs of the fit the checkpoint belongs to.
        iteration: training batches done in that fit; ``planned_iterations`` is what the call asked for.
        phase: the phase of a fit schedule it was written in (``"frozen"``, ``"unfrozen"`` of
            :meth:`Learner.fine_tune`...), ``""`` for a plain fit.
        settings: what the run recorded about itself (``Checkpoint(settings=...)``; ``trainwell fit`` keeps
            its options there).
        peak_lrs: each parameter group's peak learning rate (``max_lr``) when the checkpoint was written.
        processes: how many processes wrote it (:func:`written_processes`).
    """

    path: Path
    epoch: int
    next_batch: int
    n_epochs: int
    iteration: int
    planned_iterations: int
    phase: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    peak_lrs: tuple[float, ...] = ()
    #: The processes that trained (torchrun's world size), ``None`` in a checkpoint from before it was kept.
    processes: int | None = None

    def phase_index(self, phases: Sequence[str], call: str) -> int:
        """The position of this checkpoint's phase in ``phases``, the phases of the schedule ``call`` runs.

        Raises:
            ConfigError: The checkpoint was written in a phase the schedule does not have.
        """
        if self.phase not in phases:
            raise ConfigError(
                f"checkpoint '{self.path}' was written in {_phase_name(self.phase)}, which {call} does not run "
                f"(its phases: {', '.join(phases)}); resume with the call that wrote it"
            )
        return list(phases).index(self.phase)


def read_checkpoint(path: str | Path) -> CheckpointInfo:
    """What a checkpoint file holds about its fit (see :class:`CheckpointInfo`); the weights are not read.

    Raises:
        ArtifactError: The file is missing, damaged, or not a trainwell checkpoint.
    """
    state = load_state(path, mmap=True)  # the tensors stay on disk
    groups = state["optimizer"].get("param_groups", []) if isinstance(state.get("optimizer"), dict) else []
    return CheckpointInfo(
        path=Path(path),
        epoch=int(state["epoch"]),
        next_batch=int(state["next_batch"]),
        n_epochs=int(state["n_epochs"]),
        iteration=int(state["iteration"]),
        planned_iterations=int(state.get("planned_iterations", state["n_iterations"])),
        phase=str(state.get("phase", "")),
        settings=dict(state.get("settings") or {}),
        peak_lrs=tuple(_call_lrs(state) or (float(group["max_lr"]) for group in groups if "max_lr" in group)),
        processes=written_processes(state),
    )


def _call_lrs(state: Mapping[str, Any]) -> list[float]:
    """The peak learning rates the fit's call asked for (before any callback changed them), if recorded."""
    call = state.get("call")
    return [float(lr) for lr in call.get("lrs") or []] if isinstance(call, dict) else []


def _distributed() -> bool:
    import torch.distributed as dist

    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def _gathered(own: dict[str, Any]) -> list[dict[str, Any]] | None:
    """In a distributed fit, every process's ``own`` part on rank 0 (``None`` elsewhere, and in one process).

    Each process draws its own random numbers and, mid-epoch, holds its own partial sums and carried state (a
    language model's hidden state over its rows): a resume that gave every process rank 0's would not continue
    the uninterrupted run. Every process must call this together (the Checkpoint callback does)."""
    import torch.distributed as dist

    if not _distributed():
        return None
    parts: list[Any] | None = [None] * dist.get_world_size() if dist.get_rank() == 0 else None
    dist.gather_object(own, parts, dst=0)
    return parts


def _own_part(state: dict[str, Any], path: str | Path) -> dict[str, Any]:
    """This process's RNG states, recorder and per-process callback states from ``state``."""
    ranks = state.get("ranks")
    if not ranks or not _distributed():
        return {
            "rng": state["rng"],
            "epoch_rng": state.get("epoch_rng"),
            "recorder": state["recorder"],
            "callbacks": {},
        }
    import torch.distributed as dist

    if len(ranks) != dist.get_world_size():
        raise ConfigError(
            f"checkpoint '{path}' was written by {len(ranks)} processes and this job has {dist.get_world_size()}; "
            f"resume with torchrun --nproc_per_node {len(ranks)}"
        )
    return dict(ranks[dist.get_rank()])


def _keys(learn: Learner) -> list[tuple[str, Any]]:
    """Each active callback with a stable key: its name, ``#2``, ``#3``... for repeats of a class."""
    seen: dict[str, int] = {}
    keyed = []
    for callback in learn._active:
        seen[callback.name] = seen.get(callback.name, 0) + 1
        count = seen[callback.name]
        keyed.append((callback.name if count == 1 else f"{callback.name}#{count}", callback))
    return keyed


def callback_states(learn: Learner, per_process: bool = False) -> dict[str, Any]:
    """The state of every callback that has one (see :meth:`Callback.checkpoint_state`); with ``per_process``,
    only those of callbacks whose state differs between the processes of a distributed fit."""
    states = {}
    for key, callback in _keys(learn):
        if per_process and not callback.per_process_state:
            continue
        state = callback.checkpoint_state()
        if state is not None:
            states[key] = state
    return states


def load_callback_states(learn: Learner) -> None:
    """Hand the restored callback states back (the loop calls this after ``before_fit``)."""
    pending, learn._pending_callback_states = learn._pending_callback_states, {}
    for key, callback in _keys(learn):
        if key in pending:
            callback.load_checkpoint_state(pending[key])
