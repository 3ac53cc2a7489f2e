"""Shared layers and the architecture registry."""

from trainwell.models.layers import LinearBlock, PeriodicEmbedding, embedding_size
from trainwell.models.registry import create_model, list_models, models, register_model

__all__ = [
    "LinearBlock",
    "PeriodicEmbedding",
    "create_model",
    "embedding_size",
    "list_models",
    "models",
    "register_model",
]
