"""``trainwell evaluate corpus/ --task language_model [--test test.txt]``: a language model judged on test text
it never saw, beside n-gram baselines on the same tokens (:func:`trainwell.evaluate_language_model`, which
prints itself); this module holds what only the command line needs.
"""

from __future__ import annotations


def refuse_spread() -> None:
    """Under ``torchrun`` with several processes, stop: a language model is judged by one fit, not by folds to
    share out. Rank 0 says so in one line; the others leave quietly and successfully (one failing first would
    have torchrun stop rank 0 before it says why)."""
    import typer

    from trainwell.core.errors import ConfigError
    from trainwell.distributed.spread import spread_position

    rank, size = spread_position()
    if size == 1:
        return
    if rank != 0:
        raise typer.Exit(0)
    raise ConfigError(
        "evaluate --task language_model judges one model on held-out text, with no folds to share out over "
        f"torchrun's {size} processes: start it without torchrun (torchrun -m trainwell fit --task "
        "language_model trains one on several processes)"
    )
