"""Continual learning: tasks in sequence without forgetting (Elastic Weight Consolidation, Memory Aware Synapses,
and rehearsal of a small memory of earlier examples)."""

from trainwell.continual.also_validate import AlsoValidate
from trainwell.continual.consolidation import METHODS, Consolidation, importance
from trainwell.continual.replay import Replay

__all__ = ["METHODS", "AlsoValidate", "Consolidation", "Replay", "importance"]
