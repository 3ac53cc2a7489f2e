"""Interpretation of trained models: where a classifier is confused, its worst rows, its calibration, where a
regression model errs (predicted against actual, residuals, error by range), and which parts of an image a
prediction rests on."""

from trainwell.interpret.classification import ClassificationInterpretation
from trainwell.interpret.importance import PermutationImportances
from trainwell.interpret.multilabel import MultiLabelInterpretation
from trainwell.interpret.occlusion import OcclusionMap, occlusion_map, occlusion_maps, plot_occlusion
from trainwell.interpret.regression import RegressionInterpretation

__all__ = [
    "ClassificationInterpretation",
    "MultiLabelInterpretation",
    "OcclusionMap",
    "PermutationImportances",
    "RegressionInterpretation",
    "occlusion_map",
    "occlusion_maps",
    "plot_occlusion",
]
