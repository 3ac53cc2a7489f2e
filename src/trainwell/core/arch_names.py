"""The names of the built-in architectures, readable without torch: ``trainwell info`` tells a model directory
whose ``trainwell.json`` names an architecture this version does not have (saved by a newer version, or edited by
hand) at once, where loading it would import the training stack first. :mod:`trainwell.models.registry` registers
exactly these (a test keeps the two equal)."""

from __future__ import annotations

from typing import Any

__all__ = ["BUILTIN_ARCHITECTURES", "unknown_architecture"]

#: Every architecture trainwell registers, by name.
BUILTIN_ARCHITECTURES: tuple[str, ...] = (
    "awd_lstm", "awd_lstm_lm", "bilstm_crf", "collab_nn", "dot_bias", "ease", "gbdt", "image_classifier",
    "ngram_bag", "simple_cnn", "tabular_mlp", "timm_model", "torchvision_model", "whitened_cnn", "xresnet18",
    "xresnet18_small", "xresnet34", "xresnet50",
)  # fmt: skip


def unknown_architecture(metadata: dict[str, Any]) -> str | None:
    """The architecture that ``trainwell.json``'s ``metadata`` names when it is none of the built-in ones and not
    recorded as the user's own (``architecture.built_by``, which ``trainwell.load`` asks the user to import);
    ``None`` otherwise, a malformed entry included (loading says what is wrong with it)."""
    spec = metadata.get("architecture")
    if not isinstance(spec, dict):
        return None
    name = spec.get("name")
    if not isinstance(name, str) or name in BUILTIN_ARCHITECTURES or spec.get("built_by"):
        return None
    return name
