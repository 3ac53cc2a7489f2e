"""The language model :func:`~trainwell.text.lm_learner.language_model_learner` builds: its architecture
checked by name, its sizes (the call's, a starting model's, or the defaults for the device), the weights carried
over from a starting model, and the decoder's bias for ids the training text never holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from trainwell.core.errors import ConfigError
from trainwell.data.bundle import DataBundle
from trainwell.models.registry import create_model


def check_lm_arch(arch: str) -> None:
    """Refuse a text classifier's (or an unknown) architecture by name, before building anything."""
    from trainwell.models.registry import list_models, models

    if arch in list_models() and models.entry(arch).metadata.get("task") == "language_model":
        return
    names = [n for n in list_models() if models.entry(n).metadata.get("task") == "language_model"]
    kind = (
        "a text classifier, not a language model"
        if arch in list_models() and models.entry(arch).metadata.get("application") == "text"
        else "not a registered language model"
    )
    raise ConfigError(
        f"architecture {arch!r} is {kind}; choose one of: {', '.join(names)} (register your own with "
        "@register_model(name, application='text', task='language_model'))"
    )


#: The paper's PTB sizes: what a language model trained on a GPU gets when neither the call nor a starting
#: model sets them.
DEFAULT_SIZES: dict[str, Any] = {"emb_size": 400, "hidden_size": 1150, "n_layers": 3, "tie_weights": True}
#: The sizes for a CPU. At equal training time they fit far more epochs: on Tiny Shakespeare (held-out last
#: 10%, benchmarks/lm_heldout.py) 256/512x2 reached perplexity 32.1 after 12 epochs in 526 s, the paper's sizes
#: 44.6 after 3 epochs in 669 s, behind a Kneser-Ney trigram's 39.6. The PTB and ULMFiT benchmarks use them too.
CPU_SIZES: dict[str, Any] = {"emb_size": 256, "hidden_size": 512, "n_layers": 2, "tie_weights": True}


def build_model(
    data: DataBundle,
    arch: str,
    asked: dict[str, Any],
    drop_mult: float,
    pretrained: str | Path | None,
    *,
    on_cpu: bool = False,
) -> tuple[str, nn.Module, dict[str, Any]]:
    """The AWD-LSTM for ``data``: sized by ``asked``, else by the starting model, else :data:`CPU_SIZES` on a
    CPU and :data:`DEFAULT_SIZES` elsewhere."""
    vocab_size = int(data.model_hints["vocab_size"])
    sizes = dict(CPU_SIZES if on_cpu else DEFAULT_SIZES)
    if pretrained is not None:
        from trainwell.text.lm_transfer import starting_point, transfer_lm_weights

        name, found, state, old_itos = starting_point(pretrained, asked)
        arch = name or arch
        sizes.update(found)
    sizes.update({key: value for key, value in asked.items() if value is not None})
    config: dict[str, Any] = {
        "vocab_size": vocab_size,
        "emb_size": sizes["emb_size"],
        "hidden_size": sizes["hidden_size"],
        "n_layers": sizes["n_layers"],
        "pad_id": int(data.model_hints.get("pad_id", 1)),
        "embed_p": 0.1 * drop_mult,
        "input_p": 0.4 * drop_mult,
        "hidden_p": 0.25 * drop_mult,
        "weight_p": 0.5 * drop_mult,
        "output_p": 0.4 * drop_mult,
        "tie_weights": sizes["tie_weights"],
    }
    model = create_model(arch, **config)
    ids = data.train.ids  # type: ignore[attr-defined]
    if pretrained is not None:
        is_new = transfer_lm_weights(model, state, old_itos, data.recipe.vocab.itos)  # type: ignore[union-attr]
        start_unseen_ids_unlikely(model, ids, vocab_size, among=is_new)
    else:
        start_unseen_ids_unlikely(model, ids, vocab_size)
    return arch, model, config


UNSEEN_LOGIT_BIAS = -10.0


def start_unseen_ids_unlikely(
    model: nn.Module, ids: torch.Tensor, vocab_size: int, among: torch.Tensor | None = None
) -> None:
    """Start ids that never occur in the training stream (unused special tokens, fillers) very unlikely.

    Maximum likelihood drives them there anyway; a sampled softmax rarely draws them, so without this they
    would keep a share of the probability mass that the exact evaluation charges to every real word.
    """
    decoder = getattr(model, "decoder", None)
    if not isinstance(decoder, nn.Linear) or decoder.bias is None:
        return
    unseen = torch.bincount(ids.cpu(), minlength=vocab_size) == 0
    if among is not None:  # a fine-tuned model keeps what it learnt about words this corpus lacks
        unseen &= among
    with torch.no_grad():
        decoder.bias[unseen.to(decoder.bias.device)] = UNSEEN_LOGIT_BIAS
