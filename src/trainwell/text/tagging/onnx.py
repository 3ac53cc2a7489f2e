"""A tagger as ``model.onnx``: the scoring network in the graph, the best-path search in numpy.

The graph takes ``words``, ``casing`` (``(batch, time)``) and ``chars`` (``(batch, time, chars)``) of sentences
**of one length** and answers the tag scores ``logits`` ``(batch, time, tags)``: packed sequences do not
export, so sentences are grouped by length instead, which needs no padding at all and gives exactly the
PyTorch model's scores. The groups' scores are then padded together, so sentences of many lengths are decoded
in one pass, as the PyTorch predictor decodes them. The decoding (Viterbi and the tag probabilities over the
CRF's transitions, or over the per-word log-softmax with the scheme's rules) runs the same functions as the
PyTorch predictor (:mod:`~trainwell.text.tagging.crf`) on weights read from ``model.safetensors``;
no model is built.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from trainwell.core.artifact import read_metadata
from trainwell.core.errors import ArtifactError
from trainwell.data.task import Task
from trainwell.export._onnx_runtime import ONNX_FILE, OUTPUT_NAME, import_onnxruntime, open_session
from trainwell.text.tagging.crf import marginals, viterbi
from trainwell.text.tagging.predictor import TaggerPredictor
from trainwell.text.tagging.recipe import EncodedSentences, TaggingRecipe, tagging_batch

__all__ = ["INPUT_NAMES", "OnnxTaggerPredictor", "TaggerScores", "tagging_check"]

INPUT_NAMES = ("words", "casing", "chars")
#: Sentences per group in the export check, groups checked, and sentences per run when predicting.
CHECK_GROUP, CHECK_GROUPS, BATCH_SENTENCES = 8, 24, 256


class TaggerScores(torch.nn.Module):
    """The part of a tagger that ONNX holds: inputs of one sentence length -> tag scores."""

    def __init__(self, tagger: torch.nn.Module) -> None:
        super().__init__()
        self.tagger = tagger

    def forward(self, words: torch.Tensor, casing: torch.Tensor, chars: torch.Tensor) -> torch.Tensor:
        return self.tagger.unpadded_scores(words, casing, chars)  # type: ignore[operator]


def _by_length(sentences: Sequence[Sequence[str]], size: int) -> list[np.ndarray]:
    """Row indices of ``sentences`` in groups of one length, at most ``size`` each."""
    groups: dict[int, list[int]] = defaultdict(list)
    for row, sentence in enumerate(sentences):
        groups[len(sentence)].append(row)
    return [
        np.asarray(rows[start : start + size])
        for _, rows in sorted(groups.items())
        for start in range(0, len(rows), size)
    ]


def _padded(groups: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, torch.Tensor, torch.Tensor]:
    """Groups of rows and their scores ``(b, length, C)``, one length a group, as one batch: the rows, the scores
    ``(B, T, C)`` zero after each sentence's words, and the mask of the words ``(B, T)``."""
    width = max(scores.shape[1] for _, scores in groups)
    total = sum(len(rows) for rows, _ in groups)
    padded = np.zeros((total, width, groups[0][1].shape[2]), dtype=groups[0][1].dtype)
    mask = np.zeros((total, width), dtype=bool)
    start = 0
    for rows, scores in groups:
        padded[start : start + len(rows), : scores.shape[1]] = scores
        mask[start : start + len(rows), : scores.shape[1]] = True
        start += len(rows)
    rows = np.concatenate([rows for rows, _ in groups])
    return rows, torch.from_numpy(padded), torch.from_numpy(mask)


def _synthetic_sentences(recipe: TaggingRecipe, seed: int = 0) -> list[list[str]]:
    """Sentences of 1 to 40 words from the vocabulary (in several casings), plus unseen words and long ones."""
    rng = np.random.default_rng(seed)
    words = [w for w in recipe.words if not w.startswith("xx")] or ["word"]
    pool = np.array([*words, "Qwertyunseen", "ZZZ", "McDonald's", "x" * 60], dtype=object)
    sentences = []
    for group in range(CHECK_GROUPS):
        length = 1 + (group * 7) % 40
        for _ in range(CHECK_GROUP):
            chosen = [str(w) for w in rng.choice(pool, size=length)]
            sentences.append([w.capitalize() if rng.random() < 0.3 else w for w in chosen])
    return sentences


def tagging_check(predictor: TaggerPredictor, inputs: Any) -> Any:
    """The export check of a tagger: :class:`TaggerScores` traced and compared on groups of one length."""
    from trainwell.export.onnx import _Check

    sentences = _synthetic_sentences(predictor.recipe) if inputs is None else _sentences(inputs)
    encoded = predictor.recipe.encode(sentences)
    groups = _by_length(sentences, CHECK_GROUP)

    def select(start: int, stop: int) -> tuple[torch.Tensor, ...]:
        return tagging_batch(encoded, groups[start])  # one group per checked batch

    def run(session: Any, *tensors: torch.Tensor) -> np.ndarray:
        return run_tagger(session, *(tensor.numpy() for tensor in tensors))

    axes = {
        "words": {0: "batch", 1: "time"},
        "casing": {0: "batch", 1: "time"},
        "chars": {0: "batch", 1: "time", 2: "characters"},
        OUTPUT_NAME: {0: "batch", 1: "time"},
    }
    model = TaggerScores(predictor.model).eval()
    return _Check(
        select(0, 1), INPUT_NAMES, run, 1, len(groups), select=select, axes=axes, model=model,
        n_reported=len(sentences),
    )  # fmt: skip


def _sentences(inputs: Any) -> list[list[str]]:
    from trainwell.text.tagging.words import split_words

    return [
        [w for w, _, _ in split_words(item)] if isinstance(item, str) else [str(w) for w in item]
        for item in inputs
    ]


def run_tagger(session: Any, words: np.ndarray, casing: np.ndarray, chars: np.ndarray) -> np.ndarray:
    """Tag scores ``(batch, time, tags)`` of one group of sentences of one length."""
    feeds = {"words": words, "casing": casing, "chars": chars}
    return np.asarray(
        session.run([OUTPUT_NAME], {k: np.asarray(v, dtype=np.int64) for k, v in feeds.items()})[0]
    )


class OnnxTaggerPredictor(TaggerPredictor):
    """:class:`~trainwell.text.tagging.predictor.TaggerPredictor` on onnxruntime: the same words in, the same
    tags and entities out.

    Args:
        model_dir: A tagger's model directory holding ``model.onnx`` (``trainwell export DIR --onnx``).
        threads: onnxruntime intra-op threads (default: onnxruntime's choice).
    """

    backend = "onnx"

    def __init__(self, model_dir: str | Path, *, threads: int | None = None) -> None:
        from safetensors.torch import load_file

        ort = import_onnxruntime()
        directory = Path(model_dir)
        self.metadata = read_metadata(directory)
        try:
            self.task = Task.from_dict(self.metadata["task"])
            self.recipe = TaggingRecipe.from_dict(self.metadata["recipe"])
            config = self.metadata["architecture"]["config"]
        except (KeyError, TypeError) as error:
            raise ArtifactError(f"trainwell.json is missing or has a malformed entry: {error}") from error
        path = directory / ONNX_FILE
        if not path.is_file():
            raise ArtifactError(
                f"model directory '{directory}' has no {ONNX_FILE}; write it with `trainwell export {directory} --onnx`"
            )
        self.session = open_session(ort, path, threads=threads)
        names = [item.name for item in self.session.get_inputs()]
        if names != list(INPUT_NAMES):
            raise ArtifactError(
                f"{path} has inputs {names}, not a tagger's {list(INPUT_NAMES)}: re-export it"
            )
        state = load_file(str(directory / "model.safetensors"))
        self.crf = bool(config.get("crf", True))
        prefix = "crf." if self.crf else ""
        self.follow, self.start = state[f"{prefix}follow_penalty"], state[f"{prefix}start_penalty"]
        self.end = torch.zeros_like(self.start)
        if self.crf:
            self.follow = self.follow + state["crf.transitions"]
            self.start = self.start + state["crf.start"]
            self.end = state["crf.end"]

    def _scored(
        self, sentences: list[list[str]], encoded: EncodedSentences
    ) -> Iterator[tuple[np.ndarray, torch.Tensor, torch.Tensor]]:
        """The graph reads sentences of one length, so it runs once per length (at most :data:`BATCH_SENTENCES`
        sentences a run); its scores are then padded together, shortest sentences first, into batches of about
        :data:`BATCH_SENTENCES` for the decoding, which takes one step per word of a batch's longest sentence.
        Decoding each length's group alone stepped through every distinct length in turn: a request of 25
        CoNLL sentences took 19 s against 0.6 s for 25 copies of one sentence."""
        pending: list[tuple[np.ndarray, np.ndarray]] = []
        for rows in _by_length(sentences, BATCH_SENTENCES):
            if pending and sum(len(done) for done, _ in pending) + len(rows) > BATCH_SENTENCES:
                yield _padded(pending)
                pending = []
            words, casing, chars = tagging_batch(encoded, rows)
            pending.append((rows, run_tagger(self.session, words.numpy(), casing.numpy(), chars.numpy())))
        if pending:
            yield _padded(pending)

    def _decode(self, scores: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        scores = scores.float() if self.crf else torch.log_softmax(scores.float(), dim=-1)
        rules = (self.follow, self.start, self.end)
        return viterbi(scores, mask, *rules), marginals(scores, mask, *rules)
