"""Starting a language model from another one: ULMFiT's second step, target-corpus fine-tuning.

A language model trained on a large or general corpus is read on the target task's text before the classifier
is built on it. The target text has words the model never saw, so the vocabulary is the old one *extended*
(:meth:`~trainwell.text.vocab.Vocab.extend`: every old id kept, the target's frequent new words appended),
and the weights are carried over row by row: a word the model knows keeps its embedding and output bias, a new
word starts at the mean of them (a neutral guess the fine-tuning then moves), as in Howard and Ruder (2018).

``lm_data(texts, pretrained=lm_dir)`` builds the data with the model's tokenizer and the extended vocabulary;
``language_model_learner(data, pretrained=lm_dir)`` builds the model with the old one's sizes and weights.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from trainwell.core.errors import ConfigError

__all__ = [
    "SIZE_KEYS",
    "lm_recipe",
    "pretrained_record",
    "read_language_model",
    "starting_point",
    "transfer_lm_weights",
]

#: Architecture settings a fine-tuned model must share with the one it starts from.
SIZE_KEYS = ("emb_size", "hidden_size", "n_layers", "tie_weights")


def read_language_model(source: str | Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """A language-model directory's metadata and weights, with a clear error for anything else."""
    from trainwell.core.artifact import read_artifact

    metadata, state = read_artifact(Path(source))
    _check_language_model(metadata, source)
    return metadata, state


def _check_language_model(metadata: dict[str, Any], source: str | Path) -> dict[str, Any]:
    """The recipe of a language model's metadata; a clear error for any other model."""
    recipe = metadata.get("recipe") or {}
    if recipe.get("kind") != "language_model":
        raise ConfigError(
            f"'{source}' holds {_model_words(metadata)}, not a language model; pass a directory written by "
            "trainwell fit --task language_model or fit_language_model(out=...)"
        )
    return recipe


#: What a model directory of each application holds, as the refusal above names it.
_APPLICATIONS = {"tabular": "a table model", "vision": "an image model", "collab": "a recommender"}


def _model_words(metadata: dict[str, Any]) -> str:
    """What a model directory holds, from its metadata: ``a binary text classifier``, ``a tagger``..."""
    task = metadata.get("task")
    kind = task.get("kind") if isinstance(task, dict) else None
    if metadata.get("application") == "text":
        return "a tagger" if kind == "tagging" else f"a {kind} text classifier" if kind else "a text model"
    return _APPLICATIONS.get(str(metadata.get("application")), "another kind of model")


def starting_point(
    source: str | Path, asked: dict[str, Any]
) -> tuple[str | None, dict[str, Any], dict[str, torch.Tensor], list[str]]:
    """A language model to fine-tune: its architecture name, sizes, weights and vocabulary.

    ``asked`` holds the sizes the caller set (``None`` where unset); one that differs from the model's is a
    :class:`ConfigError`, since the weights would not fit.
    """
    metadata, state = read_language_model(source)
    architecture = metadata.get("architecture") or {}
    old = architecture.get("config") or {}
    sizes = {key: old[key] for key in SIZE_KEYS if key in old}
    for key, value in asked.items():
        if value is not None and key in sizes and value != sizes[key]:
            raise ConfigError(
                f"{key}={value} differs from the language model's {sizes[key]} in '{source}'; leave it unset to "
                "fine-tune that model"
            )
    itos = list(((metadata.get("recipe") or {}).get("vocab") or {}).get("itos") or [])
    return architecture.get("name"), sizes, state, itos


def lm_recipe(source: str | Path) -> Any:
    """The :class:`~trainwell.text.lm_recipe.LMRecipe` (tokenizer and vocabulary) of a language-model directory."""
    from trainwell.core.artifact import read_metadata
    from trainwell.text.lm_recipe import LMRecipe

    return LMRecipe.from_dict(_check_language_model(read_metadata(Path(source)), source))


def extended_recipe(
    base: Any, token_lists: Sequence[Sequence[str]], min_freq: int, max_vocab: int | None
) -> Any:
    """``base`` with its vocabulary extended by the frequent new tokens of ``token_lists`` (subwords: unchanged)."""
    from trainwell.text.lm_recipe import LMRecipe

    if base.tokenizer_name == "subword":
        return base  # the pieces cover any text: nothing to add
    counts: Counter[str] = Counter()
    for tokens in token_lists:
        counts.update(tokens)
    limit = None if max_vocab is None else max(max_vocab, len(base.vocab))
    return LMRecipe(
        base.tokenizer_name, base.tokenizer, base.vocab.extend(counts, min_freq=min_freq, max_size=limit)
    )


def transfer_lm_weights(
    model: nn.Module, state: dict[str, torch.Tensor], old_itos: Sequence[str], new_itos: Sequence[str]
) -> torch.Tensor:
    """Load ``state`` (a language model over ``old_itos``) into ``model`` (the same sizes over ``new_itos``).

    Rows of the embedding and of the decoder (weight when untied, bias) are matched by token; new tokens start
    at the mean row. Every other weight must have the same shape. Returns a bool mask of the new ids.
    """
    position = {token: index for index, token in enumerate(old_itos)}
    source = torch.tensor([position.get(token, -1) for token in new_itos], dtype=torch.long)
    is_new = source < 0
    own = model.state_dict()
    loaded: dict[str, torch.Tensor] = {}
    for key, target in own.items():
        if key not in state:
            raise ConfigError(
                f"the language model lacks weight '{key}'; was it trained with the same architecture?"
            )
        value = state[key]
        if (
            value.shape[:1] == (len(old_itos),)
            and target.shape[:1] == (len(new_itos),)
            and key.endswith(("embedding.weight", "decoder.weight", "decoder.bias"))
        ):
            rows = value[source.clamp(min=0)].clone()
            rows[is_new] = value.mean(0).to(rows.dtype)
            value = rows
        if value.shape != target.shape:
            raise ConfigError(
                f"weight '{key}' is {tuple(value.shape)} in the language model but {tuple(target.shape)} here; "
                "fine-tune with the language model's sizes (leave emb_size, hidden_size and n_layers unset)"
            )
        loaded[key] = value
    model.load_state_dict(loaded)
    return is_new


#: How :func:`~trainwell.text.vocab.Vocab.build` names the filler tokens that round a vocabulary's size up: no
#: words, so a record's counts of known and new words leave them out.
_FILLER_PREFIX = "xxfake"


def pretrained_record(source: str | Path, config: dict[str, Any], new_itos: Sequence[str]) -> dict[str, Any]:
    """What a language model fine-tuned from ``source`` was started from, for ``trainwell.json``'s
    ``training.pretrained`` (:mod:`trainwell.core.lineage`): the parent's path as given, architecture and
    weights' hash, what :func:`transfer_lm_weights` carried over (the known words' rows, the LSTM layers, the
    decoder) and what is new (the new words' rows, started at the mean). ``config`` is the new model's.

    :func:`~trainwell.text.lm_pipeline.fit_language_model` adds how it was trained (``training``)."""
    from trainwell.core.artifact import read_metadata
    from trainwell.core.lineage import parent_record

    metadata = read_metadata(Path(source))
    network = (metadata.get("architecture") or {}).get("name")
    record = parent_record(source, metadata, network)
    from trainwell.text.lm_recipe import predicted_unit

    old = set(((metadata.get("recipe") or {}).get("vocab") or {}).get("itos") or [])
    unit = predicted_unit(
        (metadata.get("recipe") or {}).get("tokenizer_name")
    )  # a character model's: characters
    words = [token for token in new_itos if not token.startswith(_FILLER_PREFIX)]
    known = sum(token in old for token in words)
    new = len(words) - known
    n_layers = int(config.get("n_layers", 0))
    tied = bool(config.get("tie_weights", True))
    decoder = "the decoder tied to the embedding" if tied else f"the decoder's rows of the known {unit}s"
    layers = f"{n_layers} LSTM layer{'' if n_layers == 1 else 's'}"
    record["loaded"] = (
        f"its weights loaded (the embedding rows of {known:,} known {unit}{'' if known == 1 else 's'}, {layers}, "
        f"{decoder})"
    )
    record["new"] = (
        f"{new:,} new {unit}{'' if new == 1 else 's'}' rows set to the mean"
        if new
        else f"no new {unit}s (the vocabulary is the language model's)"
    )
    record.update(known_words=known, new_words=new, lstm_layers=n_layers, tied=tied)
    return record
