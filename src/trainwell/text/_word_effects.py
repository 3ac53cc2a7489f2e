"""Which words drove a text classifier's prediction, measured by occlusion.

Each of a text's first ``max_words`` words (split on white space, as a reader sees them) is replaced in turn by the
unknown token ``xxunk``, and the text is scored again; a word's effect is how much the probability of the
explained class falls without it: ``p(text) - p(text with the word unknown)``. Positive: the word pushed the
prediction towards that class; negative: against it. The variants are scored together, in the predictor's batches
(a sequence model's, texts of like length together), so a text of 60 words costs 61 rows of a forward pass, not
61 calls.

Why occlusion and not gradients: it needs nothing of the model but its predictions, so it reads an n-gram bag and
an AWD-LSTM alike, and its number is a change in probability a user can check by editing the text. Its limits: a
word is judged alone (two words that each suffice show little effect apiece), and a replaced word also changes the
n-grams and the context around it.

Written here rather than taken from a library (Captum's ``FeatureAblation``, LIME): those work on tensors of
token ids, and a word seen by a reader may be several tokens (``xxmaj great``, subword pieces, a bag's n-grams),
so the occlusion has to happen on the text itself, before the recipe tokenises it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from trainwell.core.errors import ConfigError
from trainwell.text.specials import UNK

if TYPE_CHECKING:
    from trainwell.text.predictor import TextPredictor

__all__ = ["WordEffects", "explained_class", "word_effects", "word_summary"]

#: Words of a text measured by default (those after it stay in the text, unmeasured).
MAX_WORDS = 60

#: Rows a call of a sequence model's predictor scores at most (of texts of like length; a longer text's variants
#: are one call).
BATCH_ROWS = 512

#: Stripped from a word's ends before words are counted together ("great," is "great").
PUNCTUATION = "\"'.,;:!?()[]{}<>*_-`‘’“”…"
#: Apostrophes read as the plain one before words are counted together, as the word tokenizer reads the curly
#: one: "i’m" and "i'm" were two rows of GoEmotions' word-effects table, though the model read one word.
APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'"})


@dataclass(frozen=True)
class WordEffects:
    """The occlusion effects of one text's first words on the probability of one class.

    Attributes:
        words: the text's first words, split on white space, as written.
        effects: one a word: the explained class's probability on the words read (the whole text, or its first
            ``window`` words) minus that with the word replaced by the unknown token (positive: the word pushed
            towards the class).
        label: the explained class: the predicted one (multi-label: the likeliest label).
        probability: that class's probability on the whole text.
        flips: one a word: whether replacing it changes the decision for that class (the predicted class changes;
            multi-label: the label crosses its threshold).
        n_words: the words of the whole text (more than ``len(words)`` when it was cut).
    """

    words: list[str]
    effects: np.ndarray
    label: Any
    probability: float
    flips: np.ndarray
    n_words: int


def explained_class(task: Any, probabilities: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """For each row of activated outputs, the index of the class to explain (the predicted one; multi-label: the
    likeliest label; binary: 1 for the positive class, 0 for the other) and its probability."""
    if task.kind == "binary":
        positive = probabilities.reshape(-1).double().numpy()
        chosen = (positive >= task.threshold).astype(np.int64)
        return chosen, np.where(chosen == 1, positive, 1.0 - positive)
    if task.kind in ("multiclass", "multilabel"):
        values = probabilities.double().numpy()
        chosen = values.argmax(axis=1)
        return chosen, values[np.arange(len(values)), chosen]
    raise ConfigError(
        f"word effects explain a binary, multiclass or multi-label text classifier's class; this model is {task.kind}"
    )


def _class_probability(task: Any, probabilities: torch.Tensor, classes: np.ndarray) -> np.ndarray:
    """The probability of class ``classes[i]`` in row ``i`` (binary: 1 the positive class, 0 the other)."""
    if task.kind == "binary":
        positive = probabilities.reshape(-1).double().numpy()
        return np.where(classes == 1, positive, 1.0 - positive)
    values = probabilities.double().numpy()
    return values[np.arange(len(values)), classes]


def _still_decided(task: Any, probabilities: torch.Tensor, classes: np.ndarray) -> np.ndarray:
    """Whether row ``i`` is still decided as class ``classes[i]``."""
    if task.kind == "binary":
        return (probabilities.reshape(-1).double().numpy() >= task.threshold).astype(np.int64) == classes
    values = probabilities.double().numpy()
    if task.kind == "multiclass":
        return values.argmax(axis=1) == classes
    limits = np.broadcast_to(np.asarray(task.decision_threshold, dtype=np.float64), (values.shape[1],))
    return values[np.arange(len(values)), classes] >= limits[classes]


def _scored(
    predictor: TextPredictor, texts: list[str], variants: list[str], owners: np.ndarray
) -> tuple[torch.Tensor, torch.Tensor]:
    """The activated outputs of the texts and of their variants (``owners``: the text of each, in order). A bag
    scores them all in one call; a sequence model, texts of like length together: a batch is padded to its
    longest text, so a short sentence's variants padded to a long review's length cost as much as the review's."""
    if predictor.recipe.batch_format == "bag":
        scored = predictor.predict_proba([*texts, *variants])
        return scored[: len(texts)], scored[len(texts) :]
    starts = np.searchsorted(owners, np.arange(len(texts) + 1))  # text i's variants: starts[i]:starts[i + 1]
    whole: list[torch.Tensor | None] = [None] * len(texts)
    occluded: list[torch.Tensor | None] = [None] * len(texts)
    chunk: list[int] = []
    by_length = np.argsort([len(text) for text in texts], kind="stable").tolist()
    for position, index in enumerate(by_length):
        chunk.append(index)
        rows = sum(1 + starts[i + 1] - starts[i] for i in chunk)
        following = by_length[position + 1] if position + 1 < len(by_length) else None
        if following is not None and rows + 1 + starts[following + 1] - starts[following] <= BATCH_ROWS:
            continue
        scored = predictor.predict_proba(
            [text for i in chunk for text in (texts[i], *variants[starts[i] : starts[i + 1]])]
        )
        offset = 0
        for i in chunk:
            size = int(starts[i + 1] - starts[i])
            whole[i], occluded[i] = scored[offset : offset + 1], scored[offset + 1 : offset + 1 + size]
            offset += 1 + size
        chunk = []
    return torch.cat([part for part in whole if part is not None]), torch.cat(
        [part for part in occluded if part is not None]
    )


def word_effects(
    predictor: TextPredictor,
    texts: Sequence[str],
    *,
    max_words: int = MAX_WORDS,
    window: int | None = None,
    probabilities: torch.Tensor | None = None,
) -> list[WordEffects]:
    """How much each of the first ``max_words`` words of each text moved the predicted class's probability, by
    occlusion: the word is replaced by the unknown token and the text scored again (all variants batched).

    A variant reads the whole text by default, so a text's cost grows with its length times the words measured
    (60 variants of a 1,000-word review read 60,000 words: minutes for an AWD-LSTM on a CPU). With ``window``,
    each variant reads the text's first ``window`` words only (at least ``max_words``), and a word's effect is
    the change from the probability of those words unchanged: a cost that no longer grows with the text. The
    explained class and its probability stay those of the whole text.

    Binary and multiclass models explain the predicted class; multi-label models the likeliest label. A model
    of a pair of texts (two text columns) and a regression are refused.

    Args:
        predictor: a text classifier (``trainwell.load(model_dir)``).
        texts: the texts, one string each.
        max_words: words measured a text, from its start; the rest stay in the text and are not measured.
        window: words each variant reads, from the text's start (``None``: the whole text).
        probabilities: the texts' activated outputs (``predictor.predict_proba(texts)``), when already scored:
            with a ``window``, not scored again.

    Returns:
        One :class:`WordEffects` a text, in order.

    Example:
        >>> [effect] = word_effects(trainwell.load("reviews-model"), ["a truly awful film"])  # doctest: +SKIP
        >>> effect.label, effect.words[int(effect.effects.argmax())]  # doctest: +SKIP
        ('neg', 'awful')
    """
    task = predictor.task
    if len(predictor.recipe.input_columns) > 1:
        raise ConfigError(
            "word effects read one text an example; this model reads a pair "
            f"({', '.join(predictor.recipe.input_columns)}): explain each text's model apart"
        )
    if isinstance(max_words, bool) or not isinstance(max_words, int) or max_words < 1:
        raise ConfigError(f"max_words must be a whole number >= 1; got {max_words!r}")
    if window is not None and (isinstance(window, bool) or not isinstance(window, int) or window < max_words):
        raise ConfigError(f"window must be a whole number >= max_words ({max_words}) or None; got {window!r}")
    if probabilities is not None and len(probabilities) != len(texts):
        raise ConfigError(
            f"probabilities has {len(probabilities)} rows for {len(texts)} texts; pass one a text"
        )
    if not len(texts):
        return []
    texts = predictor.texts(list(texts))  # checked: a blank text or a non-text is named
    split = [text.split() for text in texts]
    read = split if window is None else [words[:window] for words in split]
    variants: list[str] = []
    owners: list[int] = []  # the text each variant comes from
    for index, words in enumerate(read):
        for position in range(min(len(words), max_words)):
            variants.append(" ".join([*words[:position], UNK, *words[position + 1 :]]))
            owners.append(index)
    # The variants' baseline: the words they read unchanged (the whole text, or its window).
    base_texts = texts if window is None else [" ".join(words) for words in read]
    base, occluded = _scored(predictor, base_texts, variants, np.asarray(owners, dtype=np.int64))
    if window is None:
        whole = base if probabilities is None else probabilities
    else:
        whole = predictor.predict_proba(texts) if probabilities is None else probabilities
    classes, probability = explained_class(task, whole)
    baseline = probability if window is None else _class_probability(task, base, classes)
    owner = np.asarray(owners, dtype=np.int64)
    without = _class_probability(task, occluded, classes[owner])
    # A change of decision: multi-label's likeliest label may fall short of its threshold on the whole text.
    decided = _still_decided(task, base, classes)
    kept = _still_decided(task, occluded, classes[owner]) == decided[owner]
    results = []
    start = 0
    for index, words in enumerate(split):
        end = start + min(len(words), max_words)
        label = (
            task.classes[int(classes[index])] if task.classes else int(classes[index])
        )  # binary: classes are (negative, positive)
        results.append(
            WordEffects(
                words=words[:max_words],
                effects=baseline[index] - without[start:end],
                label=label,
                probability=float(probability[index]),
                flips=~kept[start:end],
                n_words=len(words),
            )
        )
        start = end
    return results


#: Texts (of one explained class) a word must be seen in to be ranked: a word's mean over one or two texts is
#: mostly that sentence's, not the word's.
MIN_TEXTS = 3


def word_summary(
    effects: Sequence[WordEffects],
    *,
    top: int = 5,
    n_classes: int | None = None,
    min_texts: int = MIN_TEXTS,
    against: int = 0,
) -> list[tuple[Any, str, int, int, float]]:
    """The words that mattered most across texts, per explained class: ``(class, word, texts, changed, mean)``
    rows, where ``texts`` counts the texts explained as that class holding the word (lower-cased, curly apostrophes
    read as plain ones, stripped of the punctuation around it), ``changed`` those where replacing it changed the decision, and ``mean`` is its mean
    effect there (a word twice in a text counts its effect of the larger size).

    Ranked by mean effect, among the words seen in at least ``min_texts`` of the class's texts: per class, the
    ``top`` words of the largest positive mean (they pushed towards the class), then the ``against`` words of the
    most negative mean (they pushed away from it), most negative first. Not by total effect or by count: a stop
    word held by most texts ('the', 'a') sums many small effects into a large total, and would rank first.
    The classes explained in the most texts come first (ties: in order of first appearance), the first
    ``n_classes`` of them (``None``: all).

    Example:
        >>> rows = word_summary(word_effects(predictor, texts), against=3)  # doctest: +SKIP
        >>> [(label, word) for label, word, _, _, mean in rows if mean > 0][:2]  # doctest: +SKIP
        [('pos', 'best'), ('pos', 'great')]
    """
    for name, given, least in (("top", top, 0), ("min_texts", min_texts, 1), ("against", against, 0)):
        if isinstance(given, bool) or not isinstance(given, int) or given < least:
            raise ConfigError(f"{name} must be a whole number >= {least}; got {given!r}")
    seen: dict[Any, dict[str, list[tuple[bool, float]]]] = {}
    for text in effects:
        strongest: dict[str, tuple[bool, float]] = {}
        for word, effect, flip in zip(text.words, text.effects.tolist(), text.flips.tolist(), strict=True):
            key = word.lower().translate(APOSTROPHES).strip(PUNCTUATION)
            if not key:
                continue
            flipped, before = strongest.get(key, (False, 0.0))
            larger = float(effect) if key not in strongest or abs(effect) > abs(before) else before
            strongest[key] = (bool(flip) or flipped, larger)
        words = seen.setdefault(text.label, {})
        for key, value in strongest.items():
            words.setdefault(key, []).append(value)
    explained = Counter(text.label for text in effects)
    classes = sorted(seen, key=lambda label: -explained[label])[
        :n_classes
    ]  # sorted is stable: ties keep order
    rows: list[tuple[Any, str, int, int, float]] = []
    for label in classes:
        means = sorted(
            (
                (float(np.mean([effect for _, effect in values])), key, values)
                for key, values in seen[label].items()
                if len(values) >= min_texts
            ),
            key=lambda row: (-row[0], row[1]),
        )
        towards = [row for row in means if row[0] > 0][:top]
        away = sorted((row for row in means if row[0] < 0), key=lambda row: (row[0], row[1]))[:against]
        rows.extend(
            (label, key, len(values), sum(flip for flip, _ in values), mean)
            for mean, key, values in [*towards, *away]
        )
    return rows
