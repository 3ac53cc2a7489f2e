"""The fold loop of ``trainwell evaluate``, written once for every kind of data, and spread over ``torchrun``'s
processes when it launched several.

Under ``torchrun --nproc_per_node N -m trainwell evaluate ...``, process ``r`` trains folds ``r``, ``r + N``...
(:func:`~trainwell.distributed.spread.my_share`), each alone (no ``DistributedDataParallel``: see
:func:`~trainwell.distributed.spread.each_process_alone`) and with the rows and seed it has in one process, then
runs the baselines on those same folds. The results then meet in every process
(:func:`~trainwell.distributed.spread.gather_results`) and are put back in fold order, so the evaluation is the
one a single process computes, number for number. ``evaluate`` lets rank 0 alone print it.

A fold function keeps what it learns of each fold besides its scores (learning rates, predictions, fitted
recipes) in list fields it appends to, named by its ``per_fold`` class attribute (a field may also be a dict
of such lists). Each call's new entries travel with the fold's scores and are laid back in fold order, so
``fold.lrs`` and the rest read in every process as they would after a one-process loop. Everything there must
pickle (plain Python, numpy arrays, tensors, dataclasses of them).

With more processes than folds, the processes left without a fold only wait for the others' results.

No process group is formed (the results travel through torchrun's store), so a script may evaluate several
times; a process that has joined a group already (a distributed fit ran in it) is refused in one line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from trainwell.evaluate import CVResult
    from trainwell.evaluate.cv import FoldFn

Splits = Sequence[tuple["np.ndarray", "np.ndarray"]]
#: ``baselines(splits) -> {name: CVResult}`` with one fold per split, in order: run on a process's share.
BaselinesFn = Callable[[Splits], "dict[str, CVResult]"]


def cross_validate_spread(
    fold: FoldFn,
    splits: Splits,
    *,
    seed: int = 0,
    stratified: bool = False,
    baselines: BaselinesFn | None = None,
) -> tuple[CVResult, dict[str, CVResult]]:
    """Run ``fold`` on every split, and ``baselines`` on the same splits, over torchrun's processes if several.

    Args:
        fold: ``fold(train_index, valid_index, fold_number) -> {metric: value}`` (see
            :func:`trainwell.evaluate.cross_validate`); its ``per_fold`` fields are gathered too (module
            docstring).
        splits: the folds, ``(train_index, valid_index)``.
        seed, stratified: how the folds were drawn (kept in the model's :class:`~trainwell.evaluate.CVResult`).
        baselines: runs the baselines on some of the splits; ``None``: none here.

    Returns:
        The model's per-fold scores and each baseline's, in fold order, in every process.
    """
    from trainwell.distributed.spread import each_process_alone, gather_results, my_share, spread_position
    from trainwell.evaluate import CVResult

    rank, size = spread_position()
    if size > 1:
        _check_no_group()
    share = my_share(len(splits))
    if size > 1 and rank == 0:
        _say_spread(len(splits), size)
    runs = []
    with each_process_alone():
        for number in share:
            marks = _marks(fold)
            train, valid = splits[number]
            scores = dict(fold(train, valid, number))
            runs.append((scores, _added(fold, marks)))
    others = baselines([splits[number] for number in share]) if baselines is not None and share else {}
    from trainwell.cli._common import held_warnings, say_warning

    mine = (
        share,
        runs,
        {name: (result.folds, result.seed, result.stratified) for name, result in others.items()},
        held_warnings(),
    )
    by_fold: dict[int, tuple[dict[str, float], dict[str, Any]]] = {}
    baseline_folds: dict[str, dict[int, dict[str, float]]] = {}
    baseline_seeds: dict[str, tuple[int, bool]] = {}
    for numbers, their_runs, their_baselines, their_warnings in gather_results(mine):  # rank 0 holds fold 0
        if rank == 0:  # what only another process's folds met (a column empty in its folds' training rows)
            for text in their_warnings:
                say_warning(text)
        by_fold.update(zip(numbers, their_runs, strict=True))
        for name, (folds, baseline_seed, baseline_stratified) in their_baselines.items():
            baseline_folds.setdefault(name, {}).update(zip(numbers, folds, strict=True))
            baseline_seeds[name] = (baseline_seed, baseline_stratified)
    order = range(len(splits))
    assert sorted(by_fold) == list(order), f"folds {sorted(by_fold)} came back of {len(splits)}"
    _lay_back(fold, [by_fold[number][1] for number in order])
    model = CVResult([by_fold[number][0] for number in order], list(splits), seed, stratified)
    results = {
        name: CVResult([folds[number] for number in order], list(splits), *baseline_seeds[name])
        for name, folds in baseline_folds.items()
    }
    return model, results


def _check_no_group() -> None:
    """Refuse to share folds out in a process that has joined torchrun's process group already (a distributed
    fit ran in it): every fold would then see the group, and train or draw its random numbers as one part of a
    distributed fit instead of alone."""
    import torch.distributed as dist

    from trainwell.core.errors import ConfigError

    if dist.is_available() and dist.is_initialized():
        raise ConfigError(
            "under torchrun, evaluate shares its folds out to processes that each train alone, and this process "
            "has joined the job's process group already (a distributed fit ran in it): evaluate in a torchrun "
            "job of its own, or before the fit"
        )


def _say_spread(n_folds: int, size: int) -> None:
    """Rank 0's line on how the folds are shared out (on standard error, beside the warnings: the report on
    standard output stays that of one process)."""
    from trainwell.cli._common import err_console

    busiest = -(-n_folds // size)
    idle = max(size - n_folds, 0)
    if idle:
        who = (
            "1 process has no fold and only waits"
            if idle == 1
            else f"{idle} processes have no fold and only wait"
        )
        out_of = f"; {who} for the results"
    else:
        out_of = f"; at most {busiest} folds each"
    err_console.print(
        f"cross-validating {n_folds} folds over {size} processes, each fold trained in one process alone{out_of}",
        soft_wrap=True,
        markup=False,
    )


def _records(fold: Any) -> dict[str, Any]:
    return {name: getattr(fold, name) for name in getattr(fold, "per_fold", ())}


def _marks(fold: Any) -> dict[str, Any]:
    """How long each ``per_fold`` record is before a call."""
    return {
        name: {key: len(items) for key, items in value.items()} if isinstance(value, dict) else len(value)
        for name, value in _records(fold).items()
    }


def _added(fold: Any, marks: dict[str, Any]) -> dict[str, Any]:
    """What one call appended to each ``per_fold`` record."""
    added: dict[str, Any] = {}
    for name, value in _records(fold).items():
        if isinstance(value, dict):
            added[name] = {key: list(items[marks[name].get(key, 0) :]) for key, items in value.items()}
        else:
            added[name] = list(value[marks[name] :])
    return added


def _lay_back(fold: Any, added_by_fold: list[dict[str, Any]]) -> None:
    """Every fold's additions, in fold order, as the ``per_fold`` records (what one loop over all folds
    leaves in them)."""
    for name, value in _records(fold).items():
        if isinstance(value, dict):
            value.clear()
            for added in added_by_fold:
                for key, items in added[name].items():
                    if items:  # a key appears with its first entry, as in one loop
                        value.setdefault(key, []).extend(items)
        else:
            value[:] = [item for added in added_by_fold for item in added[name]]
