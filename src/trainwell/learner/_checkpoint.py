"""Checkpoints that resume exactly: weights, optimizer, position in the loop, RNG states, history.

The file is written with ``torch.save`` but only holds tensors and plain values, and it is read back with
``torch.load(weights_only=True)``, which refuses to unpickle arbitrary objects.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from trainwell.core.atomic import write_bytes_atomic
from trainwell.core.errors import ArtifactError, ConfigError
from trainwell.core.seeding import get_rng_states, set_rng_states

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner

CHECKPOINT_FORMAT = 1


def save(learn: Learner, path: str | Path) -> Path:
    """Write the learner's state at the current point (call it from ``after_batch`` or ``after_epoch``)."""
    path = Path(path)
    assert learn.opt is not None, "a checkpoint is only meaningful once training has started"
    # Position = the next batch to run. After validation (or at the end of a training epoch with no
    # validation set) the next thing to run is the following epoch.
    if learn.training:
        epoch, next_batch = learn.epoch, learn.batch_index + 1
    else:
        epoch, next_batch = learn.epoch + 1, 0
    state: dict[str, Any] = {
        "format": CHECKPOINT_FORMAT,
        "model": learn.model.state_dict(),
        "optimizer": learn.opt.state_dict(),
        "epoch": epoch,
        "next_batch": next_batch,
        "iteration": learn.iteration,
        "n_epochs": learn.n_epochs,
        "n_iterations": learn.n_iterations,
        "rng": get_rng_states(),
        "recorder": learn.recorder.state_dict(),
        "callbacks": callback_states(learn),
    }
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return write_bytes_atomic(path, buffer.getvalue())


def load_state(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise ArtifactError(
            f"checkpoint '{path}' does not exist; pass the file written by the Checkpoint callback"
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise ArtifactError(
            f"checkpoint '{path}' is corrupted or not a trainwell checkpoint ({error})"
        ) from error
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise ArtifactError(
            f"checkpoint '{path}' is not a trainwell checkpoint of format {CHECKPOINT_FORMAT}"
        )
    return state


def restore(learn: Learner, path: str | Path) -> None:
    """Put ``learn`` back where the checkpoint was taken; the fit then continues from there."""
    state = load_state(path)
    if state["n_iterations"] != learn.n_iterations or state["n_epochs"] != learn.n_epochs:
        raise ConfigError(
            f"checkpoint '{path}' comes from a fit of {state['n_epochs']} epochs ({state['n_iterations']} batches) "
            f"but this fit has {learn.n_epochs} epochs ({learn.n_iterations} batches); resume with the same call"
        )
    learn.model.load_state_dict(state["model"])
    opt = learn.opt or learn.create_opt()
    opt.load_state_dict(state["optimizer"])
    learn.epoch = state["epoch"]
    learn._start_batch = state["next_batch"]
    learn.iteration = state["iteration"]
    learn.recorder.load_state_dict(state["recorder"], learn.device)
    set_rng_states(state["rng"])
    learn._pending_callback_states = dict(state.get("callbacks") or {})


def _keys(learn: Learner) -> list[tuple[str, Any]]:
    """Each active callback with a stable key: its name, ``#2``, ``#3``... for repeats of a class."""
    seen: dict[str, int] = {}
    keyed = []
    for callback in learn._active:
        seen[callback.name] = seen.get(callback.name, 0) + 1
        count = seen[callback.name]
        keyed.append((callback.name if count == 1 else f"{callback.name}#{count}", callback))
    return keyed


def callback_states(learn: Learner) -> dict[str, Any]:
    """The state of every callback that has one (see :meth:`Callback.checkpoint_state`)."""
    states = {}
    for key, callback in _keys(learn):
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
