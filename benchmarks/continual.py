"""Continual learning on MNIST: how much of the earlier tasks EWC and MAS keep, against plain fine-tuning.

Two standard protocols, both with one network and one 10-way head (``trainwell.continual.Consolidation``
as a callback on each later task's fit, consolidated after every task):

- **permuted MNIST**: task t shows the digits with their pixels shuffled by permutation t (task 1 unshuffled).
  Each task is learnable alone; fine-tuning on a new one overwrites the weights the old ones used.
- **split MNIST**: digits 0-4, then 5-9, with one head over all ten classes (class-incremental, the hard
  setting: weight penalties alone are known to do poorly here, since nothing keeps the old classes' outputs
  competitive).

Reported per method after the last task: the mean accuracy over all tasks' test digits, the first task's,
and forgetting (each earlier task's best accuracy minus its final one, averaged). ``replay`` keeps
``--memory`` training digits of each task and adds half a batch of them to every later batch
(``trainwell.continual.Replay``), alone and with EWC at the default strength. ``joint`` trains on every
task's rows together, the upper bound a sequence can reach. Several seeds; the table gives their mean.
Writes ``benchmarks/results/continual.json``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import numpy as np
import torch
from torch import nn

from _common import load_mnist, machine_info, print_table, write_results


def tasks_for(
    protocol: str, arrays: tuple[np.ndarray, ...], n_tasks: int, per_task: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Each task's ``(x_train, y_train, x_test, y_test)`` (784 floats in [0, 1], from :func:`load_mnist`)."""
    flat_train, y_train, flat_test, y_test = arrays
    rng = np.random.default_rng(seed)
    tasks = []
    if protocol == "permuted":
        for task in range(n_tasks):
            order = np.arange(784) if task == 0 else rng.permutation(784)
            rows = rng.choice(len(flat_train), per_task, replace=False)
            tasks.append((flat_train[rows][:, order], y_train[rows], flat_test[:, order], y_test))
        return tasks
    for digits in (range(0, 5), range(5, 10)):
        train_rows = np.flatnonzero(np.isin(y_train, list(digits)))
        train_rows = rng.choice(train_rows, min(per_task, len(train_rows)), replace=False)
        test_rows = np.flatnonzero(np.isin(y_test, list(digits)))
        tasks.append((flat_train[train_rows], y_train[train_rows], flat_test[test_rows], y_test[test_rows]))
    return tasks


def run(
    method: str, strength: float, tasks: list[tuple[np.ndarray, ...]], epochs: int, lr: float, seed: int
) -> dict[str, Any]:
    """Train ``tasks`` in sequence with ``method`` (``finetune``, ``ewc``, ``mas``, ``replay``, ``replay+ewc``
    or ``joint``); accuracy on every task's test digits after each task. For the replays, ``strength`` is the
    memory: digits kept per task."""
    from trainwell.continual import Consolidation, Replay
    from trainwell.core.seeding import seed_everything
    from trainwell.data import tensor_data
    from trainwell.data.task import Task
    from trainwell.learner import Learner

    seed_everything(seed)

    def bundle(x: np.ndarray, y: np.ndarray, x_test: np.ndarray, y_test: np.ndarray) -> Any:
        # The test digits as the validation rows, so learn.validate(bundle.valid) reads them.
        return tensor_data(
            np.concatenate([x, x_test]),
            np.concatenate([y, y_test]),
            splits=(np.arange(len(x)), np.arange(len(x), len(x) + len(x_test))),
            task=Task("multiclass", classes=tuple(range(10))),  # every task keeps the ten-way head
            batch_size=128,
            seed=seed,
        )

    bundles = [bundle(*task) for task in tasks]
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    if method == "joint":
        x = np.concatenate([task[0] for task in tasks])
        y = np.concatenate([task[1] for task in tasks])
        learn = Learner(model, bundle(x, y, tasks[0][2], tasks[0][3]), progress=False)
        learn.fit_one_cycle(epochs * len(tasks), lr)
        final = [float(learn.validate(b.valid)["accuracy"]) for b in bundles]
        return {"after_each": [final], "final": final}
    memories: list[Any] = []
    if method in ("ewc", "mas"):
        memories.append(Consolidation(method, strength=strength))
    if method.startswith("replay"):
        memories.append(Replay(per_task=int(strength), seed=seed))
    if method == "replay+ewc":
        memories.append(Consolidation("ewc"))
    learn = Learner(model, bundles[0], progress=False)
    after_each = []
    for index, data in enumerate(bundles):
        learn.data = data
        learn.fit_one_cycle(epochs, lr, callbacks=memories if index else [])
        after_each.append([float(learn.validate(b.valid)["accuracy"]) for b in bundles])
        for memory in memories:
            memory.remember(learn) if isinstance(memory, Replay) else memory.consolidate(learn)
    return {"after_each": after_each, "final": after_each[-1]}


def summarise(result: dict[str, Any]) -> dict[str, float]:
    final, after_each = result["final"], result["after_each"]
    earlier = range(len(final) - 1)
    forgetting = (
        [max(row[task] for row in after_each[task:]) - final[task] for task in earlier]
        if len(after_each) > 1
        else [0.0]
    )
    return {
        "mean_accuracy": float(np.mean(final)),
        "first_task": float(final[0]),
        "last_task": float(final[-1]),
        "forgetting": float(np.mean(forgetting)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocol", choices=["permuted", "split", "both"], default="both")
    parser.add_argument("--tasks", type=int, default=3, help="permuted MNIST: number of tasks")
    parser.add_argument("--per-task", type=int, default=6000, help="training digits per task")
    parser.add_argument("--epochs", type=int, default=2, help="epochs per task")
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument(
        "--strengths", default="1,10,100", help="comma-separated strengths tried for EWC and MAS"
    )
    parser.add_argument("--memory", type=int, default=200, help="replay: training digits kept per task")
    parser.add_argument("--methods", default="finetune,ewc,mas,replay,replay+ewc,joint")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    arrays = load_mnist()
    if arrays is None:
        print("skipped: ../shared/data/mnist not found (MNIST's IDX files)")
        return 0
    torch.set_num_threads(args.threads)
    strengths = [float(value) for value in args.strengths.split(",")]
    chosen = args.methods.split(",")
    methods = [
        (method, value)
        for method in chosen
        for value in (strengths if method in ("ewc", "mas") else
                      [float(args.memory)] if method.startswith("replay") else [0.0])
    ]  # fmt: skip
    protocols = ["permuted", "split"] if args.protocol == "both" else [args.protocol]
    cases, rows = [], []
    for protocol in protocols:
        for method, strength in methods:
            runs, seconds = [], []
            for seed in range(args.seeds):
                tasks = tasks_for(protocol, arrays, args.tasks, args.per_task, seed)
                start = time.perf_counter()
                runs.append(run(method, strength, tasks, args.epochs, args.lr, seed))
                seconds.append(time.perf_counter() - start)
            summaries = [summarise(result) for result in runs]
            mean = {key: statistics.fmean(s[key] for s in summaries) for key in summaries[0]}
            label = (
                method if method in ("finetune", "joint")
                else f"{method} ({strength:g} a task)" if method.startswith("replay")
                else f"{method} (strength {strength:g})"
            )  # fmt: skip
            cases.append(
                {"protocol": protocol, "method": method, "strength": strength, "seconds": seconds,
                 "runs": runs, "per_seed": summaries, **mean}
            )  # fmt: skip
            rows.append(
                [protocol, label, f"{mean['mean_accuracy']:.4f}", f"{mean['first_task']:.4f}",
                 f"{mean['last_task']:.4f}", f"{mean['forgetting']:.4f}", f"{statistics.fmean(seconds):.1f}"]
            )  # fmt: skip
            print(f"  {protocol:8s} {label:22s} mean accuracy {mean['mean_accuracy']:.4f}", flush=True)
    print_table(
        f"Continual learning on MNIST (MLP 784-256-256-10, {args.per_task} digits a task, {args.epochs} epochs "
        f"a task, mean of {args.seeds} seeds)",
        ["protocol", "method", "mean acc.", "first task", "last task", "forgetting", "s per run"],
        rows,
    )
    write_results(
        "continual",
        {"machine": machine_info(threads=args.threads), "settings": vars(args), "cases": cases},
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
