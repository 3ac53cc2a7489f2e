"""Continual learning: tasks in sequence without forgetting (Elastic Weight Consolidation, Memory Aware Synapses)."""

from trainwell.continual.consolidation import METHODS, Consolidation, importance

__all__ = ["METHODS", "Consolidation", "importance"]
