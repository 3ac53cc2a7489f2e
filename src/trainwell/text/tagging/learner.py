"""The sequence-labelling Learner: a tagger sized from the data, its loss, best-path decoding for the metrics,
and the bar every tagger must clear, written beside its own score (:class:`MostFrequentTagScore`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from trainwell.callbacks import GradientClip
from trainwell.core.errors import ConfigError
from trainwell.learner.events import Callback
from trainwell.learner.learner import Learner
from trainwell.metrics.label_baselines import BaselineNotBeaten, train_longer_warning
from trainwell.models.registry import create_model, list_models, models
from trainwell.text._new_data import check_same_reading
from trainwell.text.tagging.models import IGNORE_INDEX
from trainwell.text.tagging.recipe import TaggingRecipe
from trainwell.text.vocab import vocab_difference

if TYPE_CHECKING:
    import pandas as pd

    from trainwell.data.bundle import DataBundle

__all__ = [
    "MostFrequentTagScore",
    "TaggerLearner",
    "TaggingLoss",
    "baseline_scores",
    "start_from_vectors",
    "tagger_archs",
    "tagging_baseline_warning",
    "tagging_learner",
]

#: Default peak learning rate and weight decay (AdamW, one-cycle); chosen on CoNLL-2003's validation set.
TAGGER_LR = 5e-3
TAGGER_WD = 0.01
#: Gradient norm clipping: LSTMs occasionally take a step that would undo an epoch.
CLIP_NORM = 5.0


class TaggingLoss:
    """The model's own loss (a CRF's negative log-likelihood, or cross-entropy per word), per tagged word."""

    def __init__(self, model: torch.nn.Module) -> None:
        self.model = model

    def __call__(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self.model.loss(output, target)  # type: ignore[operator]


class TaggerLearner(Learner):
    """A Learner whose metrics see each sentence's best tag path, and whose losses are averaged over words.

    ``learn.data = ...`` takes data that reads sentences as the Learner's does (:meth:`check_new_data`).
    """

    def check_new_data(self, data: DataBundle) -> None:
        """Refuse data that reads sentences otherwise than :attr:`data` did (another word or character vocabulary,
        other word keys): the model's embedding rows would mean other words. The same training sentences, read in
        other batches, are taken.

        Raises:
            ConfigError: The first difference (:func:`reading_difference`), and what to do instead.
        """
        check_same_reading(data.recipe, self.data.recipe, TaggingRecipe, reading_difference, _reading_fix)

    def show_results(self, n: int = 8) -> pd.DataFrame:
        """The first ``n`` validation sentences, one a row: their ``words`` as read, the ``actual`` and the
        ``predicted`` tags (one per word, joined by spaces, the best path as the metrics see it), and how many
        words are tagged ``wrong``.

        Raises:
            ConfigError: ``n`` is a path (save the table with ``.to_csv``), or the data has no validation set
                (``tagging_data(..., valid_pct=0.1)`` or ``valid=`` gives one).
        """
        from trainwell.learner.show_results import show_results

        return show_results(self, n, shown_inputs=_shown_sentences)

    def activate(self, output: torch.Tensor, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        words = inputs[0]
        return self.model.decode(output, words != self.model.pad_id)  # type: ignore[operator]

    def batch_weight(self, target: torch.Tensor) -> int:
        return int((target != IGNORE_INDEX).sum())


_BASELINE_METRICS = ("entity_f1", "tag_accuracy")


class MostFrequentTagScore(Callback):
    """Adds the score of tagging each word with its most frequent training tag (unseen words: the most frequent
    tag) to each epoch's row: ``entity_f1_baseline`` for entity tags, ``tag_accuracy_baseline`` always. It is
    the classic baseline of both shared tasks; a tagger that does not clear it has learned no context, and a fit
    that ends so warns :class:`BaselineNotBeaten` (:func:`tagging_baseline_warning`), in Python as on the command
    line, with the option to try next."""

    order = -19  # after the Recorder wrote the row

    def __init__(self) -> None:
        self.values: dict[str, float] = {}

    def before_fit(self, learn: Learner) -> None:
        sentences, tags = getattr(learn.data, "sentences", None), getattr(learn.data, "tags", None)
        if not sentences or not tags or "valid" not in sentences:
            return
        self.values = baseline_scores(
            sentences["train"],
            tags["train"],
            sentences["valid"],
            tags["valid"],
            learn.task.classes,
            kept=[name for name in _BASELINE_METRICS if name in learn.task.metric_names],
        )

    def after_epoch(self, learn: Learner) -> None:
        if self.values and learn.history and "valid_loss" in learn.history[-1]:
            learn.history[-1].update(self.values)

    def after_fit(self, learn: Learner) -> None:
        """Warn (:class:`BaselineNotBeaten`, :func:`tagging_baseline_warning`) when the fit ends not above the
        baseline, in Python as on the command line."""
        from trainwell.callbacks.budget import find_budget
        from trainwell.core.device import is_rank_zero
        from trainwell.core.warn import warn

        active = getattr(learn, "_active", ())
        if not self.values or not learn.history or not is_rank_zero():
            return
        # A learning-rate sweep trains no model to judge; a search's trial (OptunaPruning) is one candidate the
        # search compares, not a model handed back.
        if any(type(callback).__name__ in ("LRFinder", "OptunaPruning") for callback in active):
            return
        warning = tagging_baseline_warning(learn.history[-1], budgeted=find_budget(active) is not None)
        if warning is not None:
            warn(warning)


def tagging_baseline_warning(
    row: Mapping[str, Any], *, budgeted: bool, searched: bool = False
) -> BaselineNotBeaten | None:
    """The warning a tagger whose last validation ``row`` is not above its most-frequent-tag baseline gives
    (entity F1 first, then tag accuracy: the first of them not above ``<metric>_baseline``), worded for Python
    and for the command line (``budgeted``: the fit had a time budget, so the fix is a longer one; ``searched``:
    the tagger is a search's kept model, ``tune``'s, whose fix is a search of more epochs); ``None`` when the
    tagger clears it or the row has no baseline.

    Example:
        >>> row = {"entity_f1": 0.41, "entity_f1_baseline": 0.62, "tag_accuracy": 0.9, "tag_accuracy_baseline": 0.8}
        >>> str(tagging_baseline_warning(row, budgeted=False))[:69]
        "entity_f1 0.4100 is not above the most-frequent-tag baseline's 0.6200"
        >>> tagging_baseline_warning({**row, "entity_f1": 0.7}, budgeted=False) is None
        True
    """
    for name in _BASELINE_METRICS:
        score, bar = row.get(name), row.get(f"{name}_baseline")
        if isinstance(score, float) and isinstance(bar, float) and score <= bar:

            def words(longer: str, score: float = score, bar: float = bar, name: str = name) -> str:
                return (
                    f"{name} {score:.4f} is not above the most-frequent-tag baseline's {bar:.4f}: the model has "
                    f"not learned to read context yet; train longer ({longer}) or check the tags"
                )

            return train_longer_warning(words, budgeted, searched=searched)
    return None


def baseline_scores(
    train_words: Sequence[Sequence[str]],
    train_tags: Sequence[Sequence[str]],
    words: Sequence[Sequence[str]],
    tags: Sequence[Sequence[str]],
    classes: Sequence[Any],
    *,
    kept: Sequence[str] = ("entity_f1", "tag_accuracy"),
) -> dict[str, float]:
    """Tag accuracy (and entity F1 for entity tags) of :class:`~trainwell.text.tagging.baselines.MostFrequentTag`
    fitted on ``train_words`` and scored on ``words``/``tags``, named ``<metric>_baseline``: those of ``kept``,
    the metrics the tagger itself is scored on (no entity F1 beside tag accuracy for tags read as plain)."""
    from trainwell.evaluate.tagging import counts_from_tags, tagging_scores
    from trainwell.text.tagging.baselines import MostFrequentTag

    guessed = MostFrequentTag().fit(train_words, train_tags).predict(words)
    scores = tagging_scores(counts_from_tags(tags, guessed, classes))
    return {f"{name}_baseline": scores[name] for name in kept if name in scores}


def tagging_learner(
    data: DataBundle,
    arch: str = "bilstm_crf",
    *,
    arch_config: Mapping[str, Any] | None = None,
    lr: float | None = None,
    wd: float | None = None,
    baseline: bool = True,
    **learner_kwargs: Any,
) -> TaggerLearner:
    """A Learner for a tagger built from ``data`` (a bundle from :func:`~trainwell.text.tagging.data`).

    Args:
        data: the bundle; its recipe sizes the embeddings, its task names the tags.
        arch: a registered tagging architecture (``"bilstm_crf"``).
        arch_config: architecture settings, e.g. ``{"hidden": 100, "crf": False}`` (see
            :class:`~trainwell.text.tagging.models.BiLSTMTagger`).
        lr: peak learning rate (default :data:`TAGGER_LR`).
        wd: decoupled weight decay (default :data:`TAGGER_WD`).
        baseline: add the most-frequent-tag baseline's score to every epoch's row.
        **learner_kwargs: passed to :class:`~trainwell.learner.Learner` (``metrics``, ``device``, ``callbacks``...).
    """
    if data.task.kind != "tagging" or data.recipe is None:
        raise ConfigError(f"tagging_learner needs data from tagging_data, got a {data.task.kind} bundle")
    if arch not in tagger_archs():
        raise ConfigError(
            f"unknown tagging architecture {arch!r}; choose one of: {', '.join(tagger_archs())}"
        )
    config: dict[str, Any] = {
        "n_words": data.model_hints["n_words"],
        "n_chars": data.model_hints["n_chars"],
        "n_out": data.task.n_outputs,
        "classes": [str(c) for c in data.task.classes] if data.task.extra.get("scheme") == "iob2" else [],
    }
    vectors = getattr(data, "word_vectors", None)
    if vectors is not None:
        dim = vectors[0].shape[1]
        if (arch_config or {}).get("word_dim", dim) != dim:
            raise ConfigError(
                f"arch_config word_dim={arch_config['word_dim']} but the pretrained vectors have {dim} numbers each; "  # type: ignore[index]
                "drop word_dim, or use vectors of that size"
            )
        config["word_dim"] = dim
    config.update(arch_config or {})
    model = create_model(arch, **config)
    if vectors is not None:
        start_from_vectors(model, *vectors)
    callbacks = list(learner_kwargs.pop("callbacks", ()))
    if not any(isinstance(cb, GradientClip) for cb in callbacks):
        callbacks.append(GradientClip(CLIP_NORM))
    if baseline:
        callbacks.append(MostFrequentTagScore())
    learn = TaggerLearner(
        model,
        data,
        loss=TaggingLoss(model),
        lr=lr or TAGGER_LR,
        wd=TAGGER_WD if wd is None else wd,
        callbacks=callbacks,
        **learner_kwargs,
    )
    learn.model_spec = {"name": arch, "config": config}
    return learn


def start_from_vectors(model: torch.nn.Module, matrix: np.ndarray, found: np.ndarray) -> None:
    """Copy pretrained vectors into the rows of the word embedding they cover; the other rows (words only
    in training, the special tokens) keep their random start, rescaled to the vectors' spread."""
    layer: torch.nn.Embedding = model.word_embedding  # type: ignore[assignment]
    embedding = layer.weight
    with torch.no_grad():
        rows = torch.from_numpy(found)
        spread = float(torch.from_numpy(matrix[found]).std()) if found.any() else 1.0
        embedding[~rows] *= spread / max(float(embedding[~rows].std()), 1e-8)
        embedding[rows] = torch.from_numpy(matrix[found]).to(embedding.dtype)
        padding = layer.padding_idx
        if padding is not None:
            embedding[padding] = 0.0


def reading_difference(new: TaggingRecipe, old: TaggingRecipe) -> str | None:
    """The first way ``new`` turns sentences into model inputs otherwise than ``old`` (``None``: none), worded to
    follow "the new data's"."""
    for name, new_vocab, old_vocab in (("word", new.words, old.words), ("character", new.chars, old.chars)):
        difference = vocab_difference(new_vocab, old_vocab, unit=f"{name}s")
        if difference is not None:
            return (
                f"{name} vocabulary is not the Learner's ({difference}), so the model's {name} embedding rows "
                f"would mean other {name}s"
            )
    if (new.lowercase, new.max_word_chars) != (old.lowercase, old.max_word_chars):
        return (
            f"words are read with lowercase={new.lowercase}, max_word_chars={new.max_word_chars}, the Learner's "
            f"with lowercase={old.lowercase}, max_word_chars={old.max_word_chars}"
        )
    return None


def _reading_fix(new: TaggingRecipe, old: TaggingRecipe) -> str:
    return (
        "tagging_data builds its vocabularies from its own training sentences, so train a tagger on it: "
        "tagging_learner(new_data)"
    )


def _shown_sentences(learn: Learner, inputs: Sequence[torch.Tensor], count: int) -> pd.DataFrame:
    """The words of the first ``count`` validation sentences as read, one sentence a row, for
    :meth:`TaggerLearner.show_results`."""
    import pandas as pd

    sentences = (getattr(learn.data, "sentences", None) or {}).get("valid")
    if sentences is None:  # data built otherwise than by tagging_data: the tags alone
        return pd.DataFrame(index=range(count))
    return pd.DataFrame({"words": [" ".join(words) for words in sentences[:count]]})


def tagger_archs() -> list[str]:
    """Registered sequence-labelling architectures."""
    return [name for name in list_models() if models.entry(name).metadata.get("application") == "tagging"]
