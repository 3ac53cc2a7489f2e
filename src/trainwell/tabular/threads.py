"""A table's network trains and is evaluated on one CPU thread: :mod:`trainwell.callbacks.threads`, where the
ratings models' learner takes it from too (applications do not import each other). Kept under this name, which
the README and tabular_learner's users import."""

from __future__ import annotations

from trainwell.callbacks.threads import OneThread, one_thread, pass_threads

__all__ = ["OneThread", "one_thread", "pass_threads"]
