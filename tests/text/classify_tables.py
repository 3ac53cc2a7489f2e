"""Small real text sets for the text classification tests: sentences with a clear signal, written to CSV."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

POSITIVE = ["great", "wonderful", "loved", "excellent", "superb", "brilliant"]
NEGATIVE = ["awful", "terrible", "hated", "boring", "dreadful", "poor"]
FILLER = [
    "the",
    "movie",
    "was",
    "and",
    "i",
    "it",
    "a",
    "plot",
    "acting",
    "story",
    "this",
    "film",
    "with",
    "some",
    "scenes",
]
TOPICS = {
    "sport": ["match", "goal", "team", "league"],
    "music": ["song", "album", "band", "concert"],
    "food": ["recipe", "dinner", "taste", "chef"],
}


def sentence(rng: np.random.Generator, words: list[str], n_filler: int = 7) -> str:
    tokens = [*rng.choice(FILLER, n_filler).tolist(), *words]
    rng.shuffle(tokens)
    return " ".join(tokens).capitalize() + "."


def sentiment_frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """Reviews whose one sentiment word decides the label ("pos" / "neg")."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        positive = i % 2 == 0
        word = rng.choice(POSITIVE if positive else NEGATIVE)
        rows.append((sentence(rng, [str(word)], int(rng.integers(4, 12))), "pos" if positive else "neg"))
    return pd.DataFrame(rows, columns=["review", "sentiment"])


def topic_frame(n: int = 300, seed: int = 0, multilabel: bool = False) -> pd.DataFrame:
    """Texts about one topic (multiclass) or one or two topics joined by '|' (multi-label)."""
    rng = np.random.default_rng(seed)
    names = list(TOPICS)
    rows = []
    for i in range(n):
        chosen = [names[i % 3]]
        if multilabel and rng.random() < 0.5:
            chosen.append(names[(i + 1) % 3])
        words = [str(rng.choice(TOPICS[name])) for name in chosen]
        rows.append((sentence(rng, words), "|".join(chosen)))
    return pd.DataFrame(rows, columns=["text", "topic"])


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path
