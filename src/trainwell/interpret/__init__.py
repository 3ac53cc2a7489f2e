"""Interpretation of trained models: where a classifier is confused, its worst rows, its calibration."""

from trainwell.interpret.classification import ClassificationInterpretation, TopLoss

__all__ = ["ClassificationInterpretation", "TopLoss"]
