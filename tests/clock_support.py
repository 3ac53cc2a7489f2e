"""A clock the test moves by hand, for code that reads the time through an injected ``clock`` (TimeBudget, the
learning-rate finder's time limit): the timing of a fit is then exact. With it, what the search tests time on
it: :class:`Ticks` moving the clock a fixed time a batch, a small regression whose epoch costs a known time, and
a search space whose trials train on both."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from trainwell.data.bundle import DataBundle, tensor_data
from trainwell.learner import Callback, Learner

if TYPE_CHECKING:
    from trainwell.automl.search import Space

#: Training batches in an epoch of :func:`ticked_regression` (one validation batch follows them).
BATCHES_PER_EPOCH = 4


class FakeClock:
    """Returns ``now``, which the test (or a callback of it) advances."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class SteppingClock:
    """A clock that moves one second each time it is read: a fit's batches then take a second or a few each."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


class Ticks(Callback):
    """Moves ``clock`` by ``train`` seconds per training batch and ``valid`` per validation batch (a second and
    half a second unless told); notes each training batch's learning rate in ``lrs``."""

    order = 100

    def __init__(self, clock: FakeClock, train: float = 1.0, valid: float = 0.5) -> None:
        self.clock, self.train, self.valid = clock, train, valid
        self.lrs: list[float] = []

    def after_batch(self, learn: Learner) -> None:
        if learn.training:
            self.lrs.append(learn.opt.param_groups[0]["lr"])  # type: ignore[union-attr]
        self.clock.now += self.train if learn.training else self.valid


def ticked_regression() -> DataBundle:
    """80 rows of a linear rule with a little noise, in :data:`BATCHES_PER_EPOCH` training batches of 15 and one
    validation batch: an epoch takes 4.5 s of :class:`Ticks`' clock."""
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(80, 3, generator=generator)
    y = x @ torch.tensor([1.0, -2.0, 0.5]) + 0.1 * torch.randn(80, generator=generator)
    data = tensor_data(x, y.numpy(), valid_pct=0.25, batch_size=15, seed=0)
    assert len(data.train) == BATCHES_PER_EPOCH and len(data.valid) == 1  # type: ignore[arg-type]
    return data


def ticked_space(clock: FakeClock, trained: list[Learner]) -> Space:
    """A search space of a linear model's ``lr`` and ``epochs`` whose trials train with :class:`Ticks` on
    ``clock`` (each learner appended to ``trained``); choosing the defaults (a learning-rate finder) takes 2 s of
    the budget too."""
    from trainwell.automl.search import Range, Space
    from trainwell.learner.run_files import FitRun

    def defaults(data: DataBundle, seed: int) -> dict[str, Any]:
        clock.now += 2.0
        return {"lr": 0.05, "epochs": 5}

    def train(
        data: DataBundle, params: dict[str, Any], seed: int, callbacks: list, progress: bool
    ) -> Learner:
        torch.manual_seed(seed)
        learn = Learner(nn.Linear(3, 1), data, progress=False, device="cpu")
        learn.fit_one_cycle(int(params["epochs"]), float(params["lr"]), callbacks=[*callbacks, Ticks(clock)])
        trained.append(learn)
        return learn

    ranges = {"lr": Range(1e-3, 0.1, log=True), "epochs": Range(4, 6, whole=True)}
    return Space(defaults, ranges, train, FitRun)


#: The ``monotonic`` of each module that times ``evaluate --time``'s steps and folds (their own names for it).
EVALUATE_CLOCKS = ("trainwell.evaluate.evaluation.monotonic", "trainwell.evaluate.spread.monotonic")


def on_a_clock_of_its_own(monkeypatch: Any, clock: Callable[[], float]) -> None:
    """``evaluate``'s timing reads ``clock`` (a test's hand-moved time) for the rest of the test. Only its own
    modules' names for ``monotonic`` are replaced, never ``time.monotonic`` itself: asyncio's event loops read
    that, and a test server's loop in another thread then slept until the real clock caught the fake one."""
    for name in EVALUATE_CLOCKS:
        monkeypatch.setattr(name, clock)
