"""A clock the test moves by hand, for code that reads the time through an injected ``clock`` (TimeBudget, the
learning-rate finder's time limit): the timing of a fit is then exact."""

from __future__ import annotations


class FakeClock:
    """Returns ``now``, which the test (or a callback of it) advances."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
