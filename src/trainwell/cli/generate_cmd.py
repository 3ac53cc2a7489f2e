"""``trainwell generate MODEL PROMPT``: continue a prompt with a trained language model.

Registered on the main command line by ``app.command("generate")(generate)``. Loads only the artifact and the
text recipe (no training code); torch is imported inside the command so ``trainwell --help`` stays instant.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import typer

from trainwell.cli._common import MAX_SEED, guarded, out_console


def generate(
    model: Annotated[
        Path,
        typer.Argument(help="Model directory of a language model (trainwell fit --task language_model)."),
    ],
    prompt: Annotated[str, typer.Argument(help="Text to continue.")],
    n_words: Annotated[
        int,
        typer.Option(
            "--n-tokens",
            "--n-words",
            help="Tokens to generate after the prompt: words for a word model, characters for a character "
            "model (--tokenizer char), pieces for a subword one. --n-words is the same option.",
            min=1,
        ),
    ] = 50,
    temperature: Annotated[
        float,
        typer.Option(
            help="Sampling temperature: below 1 is safer, above 1 more varied, 0 = greedy.", min=0.0
        ),
    ] = 1.0,
    top_k: Annotated[
        int | None,
        typer.Option("--top-k", help="Sample only among the k likeliest tokens (default: all).", min=1),
    ] = None,
    top_p: Annotated[
        float | None,
        typer.Option(
            "--top-p",
            help="Sample only among the likeliest tokens that hold this share of the probability, e.g. 0.9 "
            "(nucleus sampling; default: all).",
            min=0.0,
            max=1.0,
        ),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Seed for repeatable sampling.", min=0, max=MAX_SEED)
    ] = None,
) -> None:
    """Generate text: the prompt followed by sampled tokens."""

    def run() -> None:
        from trainwell.cli._early import need_model_directory
        from trainwell.core.errors import ConfigError

        if top_p == 0:
            raise ConfigError("--top-p 0 keeps no token; give a share above 0, e.g. --top-p 0.9")
        if temperature == 0:  # greedy: the likeliest token, always; nothing sampled
            from trainwell.cli._fit_data import refuse_unread

            given = {"--top-k": top_k is not None, "--top-p": top_p is not None, "--seed": seed is not None}
            refuse_unread(given, ("--top-k", "--top-p", "--seed"), "greedy decoding (--temperature 0)")
        need_model_directory(model)  # before the imports of torch: a mistake is said at once
        from trainwell.cli._early import peek_metadata

        caution = below_baseline(peek_metadata(model))
        if caution is not None:
            from trainwell.cli._common import say_warning

            say_warning(caution)
        from trainwell.text.lm_predictor import load_lm

        predictor = load_lm(model)
        pieces = predictor.stream(
            prompt, n_words, temperature=temperature, top_k=top_k, top_p=top_p, seed=seed
        )
        write_as_they_come(pieces)

    guarded(run)


def write_as_they_come(pieces: Iterable[str]) -> None:
    """Write each piece of text to standard output as it comes, then a line end: the words of a long generation
    appear as they are sampled (it printed nothing until the last of them), and piped output still reads whole."""
    stream = out_console.file  # standard output, as the console's other lines
    for piece in pieces:
        stream.write(piece)
        stream.flush()
    stream.write("\n")
    stream.flush()


def below_baseline(metadata: dict[str, Any]) -> str | None:
    """The caution a language model that fit scored not below its n-gram baseline deserves before it writes: its
    validation perplexity against the Kneser-Ney trigram's on the same text, as trainwell.json keeps them (the
    row of the weights kept: ``training.final``); ``None`` when it beat the trigram or none was recorded. fit
    warned once; generate had then written such a model's text without a word, as if it were worth reading.

    The way out it names follows how the model was trained (:func:`train_longer`): a longer time budget for one
    trained under one, more epochs otherwise."""
    training = metadata.get("training") if isinstance(metadata, dict) else None
    if not isinstance(training, dict):
        return None
    row = training.get("final")
    if not isinstance(row, dict):
        return None
    perplexity, baseline = row.get("perplexity"), row.get("perplexity_baseline")
    if not isinstance(perplexity, int | float) or not isinstance(baseline, int | float):
        return None
    if not float(perplexity) >= float(baseline):  # below it, or NaN: nothing to say
        return None
    recipe = metadata.get("recipe")
    unit = "character" if isinstance(recipe, dict) and recipe.get("tokenizer_name") == "char" else "word"
    return (
        f"this model's validation perplexity {perplexity:.1f} is not below the {baseline:.1f} of a Kneser-Ney "
        f"trigram on the same validation text, as fit measured them: it has learned no more than {unit} counts, so "
        f"what it writes is closer to {unit}s drawn by frequency than to text like its training text; "
        f"{train_longer(training)} or on more text"
    )


def train_longer(training: dict[str, Any]) -> str:
    """How to train the model of ``training`` (trainwell.json's) longer: a model trained under a time budget
    (``fit --time``, Python's ``time_budget=``: ``training.time_budget`` keeps its seconds) gets a longer one, as
    fit's own warning says, another more epochs than those it trained. trainwell.json does not record whether
    the CLI or Python trained it, so both spellings are given.

    Example:
        >>> train_longer({"time_budget": {"seconds": 120.0}, "epochs": 1})
        'train with a longer time budget than its 2m (trainwell fit --time; Python: time_budget=)'
        >>> train_longer({"epochs": 2})
        'train for more than its 2 epochs (trainwell fit --epochs; Python: epochs=)'
    """
    budget = training.get("time_budget")
    seconds = budget.get("seconds") if isinstance(budget, dict) else None
    if isinstance(seconds, int | float) and seconds > 0:
        from trainwell.callbacks.budget import format_duration

        return (
            f"train with a longer time budget than its {format_duration(float(seconds))} (trainwell fit --time; "
            "Python: time_budget=)"
        )
    epochs = training.get("epochs")
    if isinstance(epochs, int) and not isinstance(epochs, bool) and epochs > 0:
        return (
            f"train for more than its {epochs} epoch{'' if epochs == 1 else 's'} (trainwell fit --epochs; "
            "Python: epochs=)"
        )
    return "train for more epochs (trainwell fit --epochs; Python: epochs=)"
