"""Text: tokenisation (word rules with ULMFiT's special tokens, BPE / unigram subwords), vocabularies, text
classification (``text_data`` -> ``text_classifier_learner`` -> ``TextPredictor``; ``fit_texts`` in one call),
language models, and sequence labelling (``tagging_data`` -> ``tagging_learner`` -> ``TaggerPredictor``;
``fit_tagger`` in one call; CoNLL / CoNLL-U files via ``read_conll``).

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
    "BiLSTMTagger": "trainwell.text.tagging.models",
    "CRF": "trainwell.text.tagging.crf",
    "LMPredictor": "trainwell.text.lm_predictor",
    "LazyAdamW": "trainwell.text.optim",
    "NgramBag": "trainwell.text.models",
    "SPECIAL_TOKENS": "trainwell.text.tokenize",
    "SubwordTokenizer": "trainwell.text.subword",
    "TaggedCorpus": "trainwell.text.tagging.conll",
    "TaggerLearner": "trainwell.text.tagging.learner",
    "TaggerPredictor": "trainwell.text.tagging.predictor",
    "TaggerRun": "trainwell.text.tagging.pipeline",
    "TaggingDataBundle": "trainwell.text.tagging.data",
    "TaggingLoader": "trainwell.text.tagging.data",
    "TaggingRecipe": "trainwell.text.tagging.recipe",
    "TextClassifierLearner": "trainwell.text.learner",
    "TextDataBundle": "trainwell.text.bundle",
    "TextLoader": "trainwell.text.loader",
    "TextPredictor": "trainwell.text.predictor",
    "TextRecipe": "trainwell.text.recipe",
    "TextRun": "trainwell.text.pipeline",
    "TokenScores": "trainwell.text.lm_eval",
    "Vocab": "trainwell.text.vocab",
    "WordTokenizer": "trainwell.text.tokenize",
    "bucketed_order": "trainwell.text.loader",
    "detect_scheme": "trainwell.text.tagging.scheme",
    "detokenize": "trainwell.text.tokenize",
    "entity_spans": "trainwell.text.tagging.scheme",
    "evaluate_cache": "trainwell.text.cache",
    "evaluate_language_model": "trainwell.text.lm_evaluation",
    "LMEvaluation": "trainwell.text.lm_evaluation",
    "fit_language_model": "trainwell.text.lm_pipeline",
    "fit_tagger": "trainwell.text.tagging.pipeline",
    "fit_texts": "trainwell.text.pipeline",
    "gradual_unfreezing": "trainwell.text.ulmfit",
    "language_model_learner": "trainwell.text.lm_learner",
    "lm_data": "trainwell.text.lm_stream",
    "lm_text_settings": "trainwell.text.ulmfit",
    "lm_tokenizer": "trainwell.text.ulmfit",
    "lm_vocab": "trainwell.text.ulmfit",
    "load_lm": "trainwell.text.lm_predictor",
    "read_conll": "trainwell.text.tagging.conll",
    "read_text_files": "trainwell.text.tokenize",
    "split_words": "trainwell.text.tagging.words",
    "tagging_data": "trainwell.text.tagging.data",
    "tagging_learner": "trainwell.text.tagging.learner",
    "text_classifier_learner": "trainwell.text.learner",
    "text_data": "trainwell.text.data",
    "validate_texts": "trainwell.text.tokenize",
    "write_conll": "trainwell.text.tagging.conll",
    "evaluate_texts": "trainwell.text.evaluation",
    "evaluate_tagger": "trainwell.text.tagging.evaluation",
    "WordEffects": "trainwell.text._word_effects",
    "word_effects": "trainwell.text._word_effects",
    "word_summary": "trainwell.text._word_effects",
}

__all__ = [
    "CRF",
    "SPECIAL_TOKENS",
    "AWDLSTMClassifier",
    "AWDLSTMEncoder",
    "AWDLSTMLanguageModel",
    "BiLSTMTagger",
    "LMEvaluation",
    "LMPredictor",
    "LazyAdamW",
    "NgramBag",
    "SubwordTokenizer",
    "TaggedCorpus",
    "TaggerLearner",
    "TaggerPredictor",
    "TaggerRun",
    "TaggingDataBundle",
    "TaggingLoader",
    "TaggingRecipe",
    "TextClassifierLearner",
    "TextDataBundle",
    "TextLoader",
    "TextPredictor",
    "TextRecipe",
    "TextRun",
    "TokenScores",
    "Vocab",
    "WordEffects",
    "WordTokenizer",
    "bucketed_order",
    "detect_scheme",
    "detokenize",
    "entity_spans",
    "evaluate_cache",
    "evaluate_language_model",
    "evaluate_tagger",
    "evaluate_texts",
    "fit_language_model",
    "fit_tagger",
    "fit_texts",
    "gradual_unfreezing",
    "language_model_learner",
    "lm_data",
    "lm_text_settings",
    "lm_tokenizer",
    "lm_vocab",
    "load_lm",
    "read_conll",
    "read_text_files",
    "split_words",
    "tagging_data",
    "tagging_learner",
    "text_classifier_learner",
    "text_data",
    "validate_texts",
    "word_effects",
    "word_summary",
    "write_conll",
]


__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS, __all__)


if TYPE_CHECKING:
    from trainwell.text._word_effects import WordEffects, word_effects, word_summary
    from trainwell.text.awd_lstm import AWDLSTMEncoder, AWDLSTMLanguageModel
    from trainwell.text.bundle import TextDataBundle
    from trainwell.text.cache import evaluate_cache
    from trainwell.text.data import text_data
    from trainwell.text.evaluation import evaluate_texts
    from trainwell.text.learner import TextClassifierLearner, text_classifier_learner
    from trainwell.text.lm_eval import TokenScores
    from trainwell.text.lm_evaluation import LMEvaluation, evaluate_language_model
    from trainwell.text.lm_learner import language_model_learner
    from trainwell.text.lm_pipeline import fit_language_model
    from trainwell.text.lm_predictor import LMPredictor, load_lm
    from trainwell.text.lm_stream import lm_data
    from trainwell.text.loader import TextLoader, bucketed_order
    from trainwell.text.models import NgramBag
    from trainwell.text.optim import LazyAdamW
    from trainwell.text.pipeline import TextRun, fit_texts
    from trainwell.text.predictor import TextPredictor
    from trainwell.text.recipe import TextRecipe
    from trainwell.text.subword import SubwordTokenizer
    from trainwell.text.tagging.conll import TaggedCorpus, read_conll, write_conll
    from trainwell.text.tagging.crf import CRF
    from trainwell.text.tagging.data import TaggingDataBundle, TaggingLoader, tagging_data
    from trainwell.text.tagging.evaluation import evaluate_tagger
    from trainwell.text.tagging.learner import TaggerLearner, tagging_learner
    from trainwell.text.tagging.models import BiLSTMTagger
    from trainwell.text.tagging.pipeline import TaggerRun, fit_tagger
    from trainwell.text.tagging.predictor import TaggerPredictor
    from trainwell.text.tagging.recipe import TaggingRecipe
    from trainwell.text.tagging.scheme import detect_scheme, entity_spans
    from trainwell.text.tagging.words import split_words
    from trainwell.text.tokenize import (
        SPECIAL_TOKENS,
        WordTokenizer,
        detokenize,
        read_text_files,
        validate_texts,
    )
    from trainwell.text.ulmfit import (
        AWDLSTMClassifier,
        gradual_unfreezing,
        lm_text_settings,
        lm_tokenizer,
        lm_vocab,
    )
    from trainwell.text.vocab import Vocab
