"""How long do imports take? ``import torch`` against what trainwell adds on top of it.

Each case runs in a fresh interpreter, which times its own statement with ``perf_counter`` (so interpreter
start-up is left out); cases take turns, ``--repeat`` times each, and the median counts. The cases:

* ``import torch`` - the floor every PyTorch program pays;
* ``import torch; import trainwell`` - the package itself (public names load lazily, PEP 562);
* ``import trainwell; trainwell.Learner`` - what a user touching the training API pays;
* ``import trainwell.cli.app`` - what the command line pays before it parses its arguments.

Then ``python -X importtime`` on the Learner case attributes the time after torch: each third-party package
by its cumulative time where a trainwell module first imports it, each trainwell module by its own time, so
nothing is counted twice. The ten largest are printed.

Run: ``python benchmarks/import_time.py [--repeat 7]``. Writes ``benchmarks/results/import_time.json``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from dataclasses import dataclass

from _common import REPO_ROOT, machine_info, median, print_table, write_results

TARGET_EXTRA_SECONDS = 0.3
CASES = {
    "torch": "import torch",
    "torch + trainwell": "import torch; import trainwell",
    "trainwell.Learner": "import trainwell; trainwell.Learner",
    "trainwell.cli.app": "import trainwell.cli.app",
}
ATTRIBUTION_CASE = "import torch; import trainwell; trainwell.Learner"


@dataclass
class ImportEntry:
    name: str
    self_us: int
    cumulative_us: int
    depth: int
    parent: ImportEntry | None = None


def time_statement(statement: str) -> tuple[float, bool]:
    """Seconds ``statement`` takes in a fresh interpreter (timed inside it), and whether it loaded torch."""
    code = (
        f"import sys, time\n_start = time.perf_counter()\n{statement}\n"
        "print(time.perf_counter() - _start, 'torch' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO_ROOT
    )
    seconds, loaded_torch = done.stdout.split()[-2:]
    return float(seconds), loaded_torch == "True"


def measure_cases(repeat: int) -> tuple[dict[str, list[float]], dict[str, bool]]:
    """Samples of every case; the cases take turns so a busy spell on the machine hits each of them."""
    for statement in CASES.values():  # warm the disk cache and __pycache__ before anything is timed
        time_statement(statement)
    samples: dict[str, list[float]] = {name: [] for name in CASES}
    loads_torch: dict[str, bool] = {}
    for _ in range(repeat):
        for name, statement in CASES.items():
            seconds, loads_torch[name] = time_statement(statement)
            samples[name].append(seconds)
    return samples, loads_torch


def parse_importtime(stderr: str) -> list[ImportEntry]:
    """Entries of ``-X importtime`` output with their parents (the output lists children before parents)."""
    entries: list[ImportEntry] = []
    waiting: list[ImportEntry] = []  # entries whose parent has not been printed yet
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        self_part, cumulative_part, name_part = line[len("import time:") :].split("|")
        name = name_part.rstrip()
        depth = (len(name) - len(name.lstrip(" "))) // 2
        entry = ImportEntry(name.strip(), int(self_part), int(cumulative_part), depth)
        while waiting and waiting[-1].depth > depth:
            child = waiting.pop()
            if child.depth == depth + 1:
                child.parent = entry
        waiting.append(entry)
        entries.append(entry)
    return entries


def attribute_after_torch(entries: list[ImportEntry]) -> list[dict[str, object]]:
    """Costs of imports made after torch (so triggered by trainwell), without double counting."""
    torch_index = next(i for i, entry in enumerate(entries) if entry.name == "torch" and entry.depth == 0)
    rows = []
    for entry in entries[torch_index + 1 :]:
        own = _is_trainwell(entry.name)
        parent = entry.parent.name if entry.parent is not None else "(top level)"
        if own:
            rows.append(
                {
                    "module": entry.name,
                    "ms": entry.self_us / 1000,
                    "kind": "trainwell (self)",
                    "imported_by": parent,
                }
            )
        elif entry.parent is None or _is_trainwell(entry.parent.name):
            rows.append(
                {
                    "module": entry.name,
                    "ms": entry.cumulative_us / 1000,
                    "kind": "dependency (cumulative)",
                    "imported_by": parent,
                }
            )
    return sorted(rows, key=lambda row: -float(row["ms"]))  # type: ignore[arg-type]


def _is_trainwell(name: str) -> bool:
    return name == "trainwell" or name.startswith("trainwell.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="fresh interpreters per case (median taken)")
    args = parser.parse_args(argv)

    samples, loads_torch = measure_cases(args.repeat)
    medians = {name: median(values) for name, values in samples.items()}
    # "Extra over torch" only means something for a case that loads torch (the CLI defers it).
    extras = {
        name: medians[name] - medians["torch"] if loads_torch[name] and name != "torch" else None
        for name in CASES
    }
    print_table(
        f"Import time in a fresh interpreter, seconds (median of {args.repeat})",
        ["case", "median", "min", "max", "extra over torch", "loads torch"],
        [
            [
                name,
                medians[name],
                min(samples[name]),
                max(samples[name]),
                "-" if extras[name] is None else extras[name],
                "yes" if loads_torch[name] else "no",
            ]
            for name in CASES
        ],
    )
    for name, statement in CASES.items():
        print(f"  {name}: `{statement}`")
    extra = extras["torch + trainwell"] or 0.0
    verdict = "meets" if extra < TARGET_EXTRA_SECONDS else "misses"
    print(
        f"import trainwell adds {extra:.3f} s over torch ({verdict} the < {TARGET_EXTRA_SECONDS} s target); "
        f"touching trainwell.Learner adds {extras['trainwell.Learner'] or float('nan'):.3f} s"
    )

    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", ATTRIBUTION_CASE],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
    )
    slowest = attribute_after_torch(parse_importtime(done.stderr))
    print_table(
        f"Slowest imports triggered by trainwell.Learner after torch: `{ATTRIBUTION_CASE}`",
        ["module", "ms", "counted as", "imported by"],
        [[row["module"], f"{row['ms']:.1f}", row["kind"], row["imported_by"]] for row in slowest[:10]],
    )
    payload = {
        "benchmark": "import_time",
        "machine": machine_info(repeat=args.repeat, executable=sys.executable),
        "cases": {
            name: {
                "statement": CASES[name],
                "median_s": medians[name],
                "samples_s": samples[name],
                "loads_torch": loads_torch[name],
                "extra_over_torch_s": extras[name],
            }
            for name in CASES
        },
        "target_extra_s": TARGET_EXTRA_SECONDS,
        "import_trainwell_meets_target": extra < TARGET_EXTRA_SECONDS,
        "learner_slowest_imports": slowest[:25],
        "learner_after_torch_total_ms": sum(float(row["ms"]) for row in slowest),  # type: ignore[arg-type]
    }
    print(f"wrote {write_results('import_time', payload)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
