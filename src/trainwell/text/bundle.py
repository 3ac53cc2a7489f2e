"""The DataBundle of a text classifier: its loaders, with each split's raw texts kept to show them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from trainwell.core.errors import ConfigError
from trainwell.data.bundle import DataBundle
from trainwell.data.task import Task
from trainwell.text.tokenize import WordTokenizer

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["TextDataBundle"]


@dataclass(repr=False)
class TextDataBundle(DataBundle):
    """A DataBundle of texts; ``texts`` keeps each split's raw texts (for inspecting errors)."""

    texts: dict[str, list[str]] | None = None
    #: The positions (0 for the first row) in the table as given of the training and validation rows, in the
    #: loaders' order (``df.iloc[data.valid_index]`` are the validation rows), as a table's bundle keeps them;
    #: ``None`` for texts read from folders.
    train_index: np.ndarray | None = None
    valid_index: np.ndarray | None = None
    #: The table's own index labels of each split's rows, in the loader's order (what top losses are named by).
    row_labels: dict[str, Any] = field(default_factory=dict)

    def show_batch(self, n: int = 8, split: str = "train") -> pd.DataFrame:
        """The first ``n`` texts of ``split`` (``"train"``, ``"valid"`` or ``"test"``) as the model reads them,
        beside their labels: the tokens joined by spaces, with the case and repetition marks (``xxmaj``...),
        the words the vocabulary lacks as ``xxunk`` (or the subword pieces), cut at ``max_len`` (a bag's
        hashed n-grams are left out).
        """
        import pandas as pd

        from trainwell.data.bundle import refuse_a_path

        refuse_a_path(n, "texts as the model reads them, beside their labels")
        loader = {"train": self.train, "valid": self.valid, "test": self.test}.get(split)
        texts = (self.texts or {}).get(split)
        if loader is None or texts is None:
            raise ConfigError(
                f"show_batch: this data has no {split!r} split; it has {', '.join(self.texts or {})}"
            )
        recipe: Any = self.recipe
        tokenizer = recipe.text_tokenizer
        chosen = texts[:n]
        if isinstance(tokenizer, WordTokenizer):
            ids, itos = [recipe.word_vocab.encode(tokenizer.tokenize(text)) for text in chosen], recipe.vocab
        else:
            ids, itos = [tokenizer.encode(text) for text in chosen], tokenizer.itos()
        cut = recipe.max_len or None
        tokens = [" ".join(itos[i] for i in text_ids[:cut]) for text_ids in ids]
        labels = [_label_text(self.task, target) for target in loader.targets[: len(chosen)]]  # type: ignore[attr-defined]
        names = self.task.target_names
        return pd.DataFrame({"tokens": tokens, names[0] if len(names) == 1 else "labels": labels})


def _label_text(task: Task, target: torch.Tensor) -> str:
    """One encoded target as its label: a class, or a multi-label row's labels joined by ``;``."""
    if task.kind == "multilabel":
        return ";".join(str(c) for c, on in zip(task.classes, target.tolist(), strict=True) if on)
    if task.kind == "binary":
        return str(task.classes[int(float(target) >= 0.5)])
    return str(task.classes[int(target)])
