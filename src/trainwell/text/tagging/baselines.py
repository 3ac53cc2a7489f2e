"""The bars a tagger must clear, computed on the same sentences:

- :class:`MostFrequentTag`: each word gets the tag it wears most often in training (unseen words: the most
  frequent tag), the classic floor of both CoNLL shared tasks;
- :class:`WindowLogistic`: each word classified alone, by a logistic regression (scikit-learn, SGD) on hashed
  features of itself and its two neighbours on each side: word, lower-cased word, prefixes and suffixes up to
  three letters, shape (``Xxxx``, ``X.X.``, ``d``). A strong classical tagger without any sequence model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["MostFrequentTag", "WindowLogistic", "shape", "window_features"]

Sentences = Sequence[Sequence[str]]


class MostFrequentTag:
    """The tag each training word wears most often; the most frequent tag for words never seen."""

    def __init__(self) -> None:
        self.lookup: dict[str, str] = {}
        self.fallback = "O"

    def fit(self, words: Sentences, tags: Sentences) -> MostFrequentTag:
        by_word: dict[str, Counter[str]] = {}
        overall: Counter[str] = Counter()
        for sentence, sentence_tags in zip(words, tags, strict=True):
            for word, tag in zip(sentence, sentence_tags, strict=True):
                by_word.setdefault(word, Counter())[tag] += 1
                overall[tag] += 1
        self.lookup = {word: counts.most_common(1)[0][0] for word, counts in by_word.items()}
        self.fallback = overall.most_common(1)[0][0]
        return self

    def predict(self, words: Sentences) -> list[list[str]]:
        return [[self.lookup.get(word, self.fallback) for word in sentence] for sentence in words]


def shape(word: str) -> str:
    """``Paris`` -> ``Xx``, ``U.S.`` -> ``X.X.``, ``1996`` -> ``d``: runs of one character class collapsed."""
    classes = ["X" if c.isupper() else "x" if c.islower() else "d" if c.isdigit() else c for c in word]
    return "".join(c for i, c in enumerate(classes) if i == 0 or c != classes[i - 1])


def window_features(sentence: Sequence[str], i: int) -> list[str]:
    """Hashed-feature names of word ``i`` of ``sentence`` for :class:`WindowLogistic`."""
    word = sentence[i]
    lower = word.lower()
    features = [f"w={word}", f"l={lower}", f"s={shape(word)}", "bias"]
    features += [f"p{k}={lower[:k]}" for k in (1, 2, 3)] + [f"x{k}={lower[-k:]}" for k in (1, 2, 3)]
    for offset in (-2, -1, 1, 2):
        j = i + offset
        other = sentence[j] if 0 <= j < len(sentence) else ("<s>" if j < 0 else "</s>")
        features += [f"{offset}l={other.lower()}", f"{offset}s={shape(other)}"]
    features.append(f"-1l+l={sentence[i - 1].lower() if i else '<s>'}|{lower}")
    return features


class WindowLogistic:
    """Logistic regression per word on a window of hashed features (see the module docstring)."""

    def __init__(self, n_features: int = 2**20, alpha: float = 1e-6, epochs: int = 15, seed: int = 0) -> None:
        self.n_features, self.alpha, self.epochs, self.seed = n_features, alpha, epochs, seed
        self.model: Any = None

    def _matrix(self, words: Sentences) -> Any:
        from sklearn.feature_extraction import FeatureHasher

        hasher = FeatureHasher(n_features=self.n_features, input_type="string", alternate_sign=False)
        return hasher.transform(window_features(s, i) for s in words for i in range(len(s)))

    def fit(self, words: Sentences, tags: Sentences) -> WindowLogistic:
        from sklearn.linear_model import SGDClassifier

        labels = np.array([tag for sentence in tags for tag in sentence], dtype=object)
        self.model = SGDClassifier(
            loss="log_loss", alpha=self.alpha, max_iter=self.epochs, tol=None, random_state=self.seed
        )
        self.model.fit(self._matrix(words), labels)
        return self

    def predict(self, words: Sentences) -> list[list[str]]:
        flat = self.model.predict(self._matrix(words)).tolist()
        out, position = [], 0
        for sentence in words:
            out.append([str(tag) for tag in flat[position : position + len(sentence)]])
            position += len(sentence)
        return out
