"""A user error under ``torchrun`` on two processes, said through the command line's guard.

Usage: ``torchrun --nproc_per_node 2 errors_job.py MODE``. Rank 1 fails at once with a missing column. Rank 0,
a second later: ``same``, with the same error; ``other``, with an error of its own; ``alone``, not at all (it
finishes after a few seconds, successfully).
"""

from __future__ import annotations

import os
import sys
import time

import typer

from trainwell.cli._common import guarded
from trainwell.core.errors import ConfigError

MISSING = "target column 'zz' not found in t.csv; pass --target NAME"


def run() -> None:
    mode = sys.argv[1]
    if os.environ["RANK"] == "0":
        time.sleep(1 if mode != "alone" else 4)  # rank 1 meets its error first, then waits 3 s for rank 0's
        if mode == "alone":
            return
        raise ConfigError(MISSING if mode == "same" else "rank zero's own trouble; fix it")
    raise ConfigError(MISSING)


if __name__ == "__main__":
    try:
        guarded(run)
    except typer.Exit as stop:
        sys.exit(stop.exit_code)
