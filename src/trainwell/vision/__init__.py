"""Vision: image folders, CSV lists or arrays in; batch augmentation, CNNs, transfer learning; labels out.

Names load on first use (PEP 562): a serving process that only needs ``trainwell.vision.predictor`` never
imports the training code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from trainwell.core.lazy import lazy_attributes

_EXPORTS: dict[str, str] = {
    "AugmentBatch": "trainwell.vision.transform",
    "Augmentation": "trainwell.vision.augment",
    "AugmentationConfig": "trainwell.vision.augment_config",
    "CutMix": "trainwell.vision.mix",
    "ImageClassifier": "trainwell.vision.network",
    "ImageDataBundle": "trainwell.vision.data",
    "ImagePredictor": "trainwell.vision.predictor",
    "ImageRecipe": "trainwell.vision.recipe",
    "ImageRun": "trainwell.vision.pipeline",
    "MixUp": "trainwell.vision.mix",
    "VisionLearner": "trainwell.vision.learner",
    "fit_images": "trainwell.vision.pipeline",
    "image_data": "trainwell.vision.data",
    "center_crop_resize": "trainwell.vision.ops",
    "read_idx": "trainwell.vision.io",
    "tta_views": "trainwell.vision.ops",
    "vision_learner": "trainwell.vision.learner",
    "evaluate_images": "trainwell.vision.evaluation",
    "measure_tta": "trainwell.vision.tta_effect",
}

__all__ = [
    "AugmentBatch",
    "Augmentation",
    "AugmentationConfig",
    "CutMix",
    "ImageClassifier",
    "ImageDataBundle",
    "ImagePredictor",
    "ImageRecipe",
    "ImageRun",
    "MixUp",
    "VisionLearner",
    "center_crop_resize",
    "evaluate_images",
    "fit_images",
    "image_data",
    "measure_tta",
    "read_idx",
    "tta_views",
    "vision_learner",
]


__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS, __all__)


if TYPE_CHECKING:
    from trainwell.vision.augment import Augmentation
    from trainwell.vision.augment_config import AugmentationConfig
    from trainwell.vision.data import ImageDataBundle, image_data
    from trainwell.vision.evaluation import evaluate_images
    from trainwell.vision.io import read_idx
    from trainwell.vision.learner import VisionLearner, vision_learner
    from trainwell.vision.mix import CutMix, MixUp
    from trainwell.vision.network import ImageClassifier
    from trainwell.vision.ops import center_crop_resize, tta_views
    from trainwell.vision.pipeline import ImageRun, fit_images
    from trainwell.vision.predictor import ImagePredictor
    from trainwell.vision.recipe import ImageRecipe
    from trainwell.vision.transform import AugmentBatch
    from trainwell.vision.tta_effect import measure_tta
