"""Text: tokenisation (word rules with ULMFiT's special tokens, BPE / unigram subwords), vocabularies, and
text classification (``text_data`` -> ``text_classifier_learner`` -> ``TextPredictor``; ``fit_texts`` in one call).

Names load on first use (PEP 562), so importing ``trainwell.text`` pulls in neither torch-heavy code nor
``tokenizers`` until they are needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from trainwell.core.lazy import lazy_attributes

_EXPORTS: dict[str, str] = {
    "AWDLSTMClassifier": "trainwell.text.ulmfit",
    "AWDLSTMEncoder": "trainwell.text.awd_lstm",
    "AWDLSTMLanguageModel": "trainwell.text.awd_lstm",
    "LMPredictor": "trainwell.text.lm_predictor",
    "LazyAdamW": "trainwell.text.optim",
    "NgramBag": "trainwell.text.models",
    "SPECIAL_TOKENS": "trainwell.text.tokenize",
    "SubwordTokenizer": "trainwell.text.subword",
    "TextClassifierLearner": "trainwell.text.learner",
    "TextDataBundle": "trainwell.text.data",
    "TextLoader": "trainwell.text.data",
    "TextPredictor": "trainwell.text.predictor",
    "TextRecipe": "trainwell.text.recipe",
    "TextRun": "trainwell.text.pipeline",
    "Vocab": "trainwell.text.vocab",
    "WordTokenizer": "trainwell.text.tokenize",
    "bucketed_order": "trainwell.text.data",
    "detokenize": "trainwell.text.tokenize",
    "evaluate_cache": "trainwell.text.cache",
    "fit_language_model": "trainwell.text.lm_learner",
    "fit_texts": "trainwell.text.pipeline",
    "gradual_unfreezing": "trainwell.text.ulmfit",
    "language_model_learner": "trainwell.text.lm_learner",
    "lm_data": "trainwell.text.lm_stream",
    "lm_vocab": "trainwell.text.ulmfit",
    "load_lm": "trainwell.text.lm_predictor",
    "read_text_files": "trainwell.text.tokenize",
    "text_classifier_learner": "trainwell.text.learner",
    "text_data": "trainwell.text.data",
    "validate_texts": "trainwell.text.tokenize",
}

__all__ = [
    "SPECIAL_TOKENS",
    "AWDLSTMClassifier",
    "AWDLSTMEncoder",
    "AWDLSTMLanguageModel",
    "LMPredictor",
    "LazyAdamW",
    "NgramBag",
    "SubwordTokenizer",
    "TextClassifierLearner",
    "TextDataBundle",
    "TextLoader",
    "TextPredictor",
    "TextRecipe",
    "TextRun",
    "Vocab",
    "WordTokenizer",
    "bucketed_order",
    "detokenize",
    "evaluate_cache",
    "fit_language_model",
    "fit_texts",
    "gradual_unfreezing",
    "language_model_learner",
    "lm_data",
    "lm_vocab",
    "load_lm",
    "read_text_files",
    "text_classifier_learner",
    "text_data",
    "validate_texts",
]


__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS, __all__)


if TYPE_CHECKING:
    from trainwell.text.awd_lstm import AWDLSTMEncoder, AWDLSTMLanguageModel
    from trainwell.text.cache import evaluate_cache
    from trainwell.text.data import TextDataBundle, TextLoader, bucketed_order, text_data
    from trainwell.text.learner import TextClassifierLearner, text_classifier_learner
    from trainwell.text.lm_learner import fit_language_model, language_model_learner
    from trainwell.text.lm_predictor import LMPredictor, load_lm
    from trainwell.text.lm_stream import lm_data
    from trainwell.text.models import NgramBag
    from trainwell.text.optim import LazyAdamW
    from trainwell.text.pipeline import TextRun, fit_texts
    from trainwell.text.predictor import TextPredictor
    from trainwell.text.recipe import TextRecipe
    from trainwell.text.subword import SubwordTokenizer
    from trainwell.text.tokenize import (
        SPECIAL_TOKENS,
        WordTokenizer,
        detokenize,
        read_text_files,
        validate_texts,
    )
    from trainwell.text.ulmfit import AWDLSTMClassifier, gradual_unfreezing, lm_vocab
    from trainwell.text.vocab import Vocab
