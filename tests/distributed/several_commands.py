"""Several ``trainwell`` commands run one after another in the same ``torchrun`` processes, each as
``torchrun -m trainwell ARGS`` would run it: a launch costs seconds of imports in every process, a small fit a
fraction of that.

Usage: ``torchrun --nproc_per_node 2 several_commands.py ARGS... [+ ARGS...]``. A command that fails ends the
launch with its exit code, as it would end its own. After each command, rank 0 prints ``several_commands: done
N`` on stdout and stderr, so that a test can tell one command's output from the next's.
"""

from __future__ import annotations

import os
import sys

from trainwell.cli.app import main as trainwell


def main() -> None:
    commands: list[list[str]] = [[]]
    for arg in sys.argv[1:]:
        if arg == "+":
            commands.append([])
        else:
            commands[-1].append(arg)
    for number, args in enumerate(commands):
        sys.argv = ["trainwell", *args]
        try:
            trainwell()
        except SystemExit as done:
            if done.code not in (0, None):
                raise
        if os.environ.get("RANK") == "0":
            for stream in (sys.stdout, sys.stderr):
                print(f"several_commands: done {number}", file=stream, flush=True)


if __name__ == "__main__":
    main()
