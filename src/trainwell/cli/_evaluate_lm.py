"""``trainwell evaluate corpus/ --task language_model [--test test.txt]``: a language model judged on test text
it never saw, beside n-gram baselines on the same tokens (:func:`trainwell.text.lm_eval.evaluate_language_model`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trainwell.text.lm_eval import LMEvaluation


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


def render_lm(evaluation: LMEvaluation, console: Any, seed: int = 0) -> None:
    """The models' perplexities on the test text with intervals, then a sentence per baseline."""
    from rich.table import Table
    from rich.text import Text

    from trainwell.cli._common import fold_cells

    held = evaluation.held_out
    level = round(evaluation.level * 100)
    table = Table(
        title=f"language model on held-out text ({held.n_tokens:,} tokens of {evaluation.test_source})",
        caption=f"\\[low, high]: {level}% bootstrap interval over the test {held.grouped_by}",
    )
    for name, justify in (
        ("model", "left"),
        ("perplexity", "right"),
        (f"{level}% CI", "right"),
        ("bits per char", "right"),
        ("next-word accuracy", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for score in evaluation.scores:
        perplexity, low, high = score.perplexity_interval(evaluation.level, seed)
        accuracy = score.accuracy(1)
        table.add_row(
            Text(score.name),
            f"{perplexity:,.1f}",
            f"[{low:,.1f}, {high:,.1f}]",
            f"{score.bits_per_char:.3f}",
            "" if accuracy != accuracy else f"{accuracy:.3f}",  # nan: the n-grams and the cache mixture
        )
    console.print(fold_cells(table))
    console.print(
        f"trained on {evaluation.n_train_texts:,} texts in {evaluation.seconds:.0f} s; every model reads the test "
        "text with the same vocabulary, so the perplexities compare",
        soft_wrap=True,
    )
    for ratio in evaluation.comparisons(seed):
        line = Text(ratio.sentence())
        if ratio.outcome != "beats":
            line = Text.assemble(("warning:", "yellow"), " ", ratio.sentence())
        console.print(line, soft_wrap=True)
