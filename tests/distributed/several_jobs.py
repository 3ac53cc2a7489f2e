"""Several job scripts run one after another in the same ``torchrun`` processes, each as ``python JOB ARGS``
would run it: a launch costs seconds of imports in every process, a small job a fraction of that.

Usage: ``torchrun --nproc_per_node 2 several_jobs.py JOB ARGS... [+ JOB ARGS...]``. The jobs share the
process group (:func:`trainwell.distributed.init_distributed` joins it once); each seeds its own randomness
and writes to its own folder. An exception in a job ends the launch with it, as it would end the job's own.
Each process says on stderr when a job is done and when all are, so that a process that dies tells where.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path


def main() -> None:
    jobs: list[list[str]] = [[]]
    for arg in sys.argv[1:]:
        if arg == "+":
            jobs.append([])
        else:
            jobs[-1].append(arg)
    for script, *args in jobs:
        sys.argv = [script, *args]
        runpy.run_path(script, run_name="__main__")
        print(f"several_jobs: done {Path(script).name} {' '.join(args)}", file=sys.stderr, flush=True)
    print(f"several_jobs: all {len(jobs)} jobs done, leaving", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
