"""Shared layers and the architecture registry."""

from trainwell.models.layers import LinearBlock, PeriodicEmbedding, embedding_size
from trainwell.models.registry import NotExportable, create_model, list_models, models, register_model

__all__ = [
    "LinearBlock",
    "NotExportable",
    "PeriodicEmbedding",
    "create_model",
    "embedding_size",
    "list_models",
    "models",
    "register_model",
]
