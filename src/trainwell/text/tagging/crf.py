"""A linear-chain conditional random field over tag scores: the training loss and the best-path decoding.

Written here rather than taken from a package: the one small PyTorch CRF package on the registries
(``pytorch-crf``) is unmaintained since 2019, and the layer is short. Shapes: emissions ``(B, T, C)`` from the
encoder, tags ``(B, T)``, masks ``(B, T)`` true on a sentence's words, which come first in each row.

- :meth:`CRF.nll`: negative log-likelihood of the gold paths, by the forward algorithm (log-sum-exp over the
  previous tag at each step), per word.
- :meth:`CRF.decode`: Viterbi's best path. Transitions that break the tag scheme (``O`` -> ``I-PER``,
  ``B-LOC`` -> ``I-PER``) can be forbidden at decoding (:func:`allowed_transitions`), so a prediction is
  always a well-formed set of entities; training leaves them free, so a mislabelled gold sentence costs a
  normal loss rather than an infinite one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

__all__ = ["CRF", "allowed_transitions", "marginals", "viterbi"]

#: Score added to a forbidden transition at decoding: far below any real path's, finite so sums stay finite.
FORBIDDEN = -1e4


def allowed_transitions(classes: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Which tag may follow which in IOB2 (``(C, C)``, row = previous tag) and which may start a sentence.

    ``I-X`` may only follow ``B-X`` or ``I-X``, and may not start a sentence; every other tag may follow any.
    Tags without a ``B-``/``I-`` prefix (parts of speech) are unconstrained.
    """
    n = len(classes)
    follows = torch.ones(n, n, dtype=torch.bool)
    starts = torch.ones(n, dtype=torch.bool)
    parts = [str(tag).partition("-") for tag in classes]
    for current, (prefix, dash, kind) in enumerate(parts):
        if prefix != "I" or not dash:
            continue
        starts[current] = False
        for previous, (previous_prefix, previous_dash, previous_kind) in enumerate(parts):
            fits = previous_dash and previous_prefix in ("B", "I") and previous_kind == kind
            follows[previous, current] = bool(fits)
    return follows, starts


def viterbi(
    scores: torch.Tensor,
    mask: torch.Tensor,
    transitions: torch.Tensor,
    start: torch.Tensor,
    end: torch.Tensor,
    pad: int = -100,
) -> torch.Tensor:
    """The best tag path of each sentence: ``(B, T)`` tag ids, ``pad`` after a sentence's last word.

    Args:
        scores: ``(B, T, C)`` per-word tag scores (emissions, or log-probabilities).
        mask: ``(B, T)`` true on words; each row's words come first.
        transitions: ``(C, C)`` score of tag ``j`` following tag ``i``.
        start, end: ``(C,)`` scores of a sentence starting and ending with each tag.

    The steps run in numpy (see :func:`_arrays`), on the tensors' own dtype, so the sums and the choices are
    those PyTorch made: ties go to the lowest tag id in both.
    """
    batch, length, n_tags = scores.shape
    emitted, steps, moves, begin, finish = _arrays(scores, mask, transitions, start, end)
    words = steps[:, :, None]  # (B, T, 1)
    best = begin + emitted[:, 0]  # (B, C): best score of a path ending in each tag at step 0
    # Steps past a sentence's end point back to the same tag, so the path's tags there all equal the tag of its
    # last word, and the steps before it are read back in place.
    pointers = np.broadcast_to(np.arange(n_tags), (batch, max(length - 1, 0), n_tags)).copy()
    for t in range(1, length):
        candidates = best[:, :, None] + moves  # (B, C_prev, C)
        index = candidates.argmax(axis=1)
        top = candidates.max(axis=1) + emitted[:, t]
        # Kept near 0 (the best path's score subtracted, the same for every tag, so no choice changes): summed
        # over thousands of words, float32 scores lose the precision that tells close paths apart.
        best = np.where(words[:, t], top - top.max(axis=1, keepdims=True), best)
        np.copyto(pointers[:, t - 1], index, where=words[:, t])
    last = (best + finish).argmax(axis=1)  # (B,)
    path = np.empty((batch, length), dtype=np.int64)
    path[:, length - 1] = last
    rows = np.arange(batch)
    for t in range(length - 2, -1, -1):
        last = pointers[rows, t, last]
        path[:, t] = last
    path[~steps] = pad
    return torch.from_numpy(path).to(scores.device)


def marginals(
    scores: torch.Tensor,
    mask: torch.Tensor,
    transitions: torch.Tensor,
    start: torch.Tensor,
    end: torch.Tensor,
) -> torch.Tensor:
    """Each word's probability of each tag over all tag paths, ``(B, T, C)`` (0 after a sentence's last word),
    by the forward-backward algorithm in log space; arguments as in :func:`viterbi`.

    Each step's forward and backward scores are kept relative to their log-sum-exp over the tags (a constant
    per step, which the word's normalisation over tags takes out again): summed over a text of 20,000 words,
    float32 log-scores in the hundreds of thousands had lost the digits a probability is read from, and
    confidences fell to nothing, then to NaN."""
    batch, length, n_tags = scores.shape
    emitted, steps, moves, begin, finish = _arrays(scores, mask, transitions, start, end)

    def centred(values: np.ndarray) -> np.ndarray:
        return values - _logsumexp(values, axis=1, keepdims=True)

    alpha = np.empty_like(emitted, shape=(batch, length, n_tags))
    alpha[:, 0] = centred(begin + emitted[:, 0])
    for t in range(1, length):
        step = centred(_logsumexp(alpha[:, t - 1, :, None] + moves, axis=1) + emitted[:, t])
        alpha[:, t] = np.where(steps[:, t, None], step, alpha[:, t - 1])
    last = centred(np.broadcast_to(finish, (batch, n_tags)))
    beta = np.empty_like(alpha)  # filled from the last step back to the first
    beta[:, length - 1] = last
    for t in range(length - 2, -1, -1):
        ahead = beta[:, t + 1] + emitted[:, t + 1]  # (B, C): from tag j at t + 1 to the end
        step = centred(_logsumexp(moves[None] + ahead[:, None, :], axis=2))
        beta[:, t] = np.where(steps[:, t + 1, None], step, last)
    both = alpha + beta  # alpha + beta - log Z, each word's tags summing to 1
    weights = np.exp(both - both.max(axis=2, keepdims=True))
    probabilities = weights / weights.sum(axis=2, keepdims=True) * steps[:, :, None]
    return torch.from_numpy(probabilities).to(scores.device)


def _arrays(
    scores: torch.Tensor, mask: torch.Tensor, *rules: torch.Tensor
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Scores, mask and ``(transitions, start, end)`` as numpy arrays, in the dtype PyTorch would compute in.

    Decoding takes one small step per word (a few ``(B, C, C)`` sums and maxima): in PyTorch each is an operator
    call that may wake its worker threads, and on a busy 2-core machine ``max(dim=1)`` alone took 1 to 14 ms a
    step where numpy takes microseconds (a served tagger spent 7 of its 9 s on 25 sentences there)."""
    dtype = torch.promote_types(scores.dtype, rules[0].dtype)
    arrays = [tensor.detach().to("cpu", dtype).numpy() for tensor in (scores, *rules)]
    return arrays[0], mask.detach().cpu().bool().numpy(), arrays[1], arrays[2], arrays[3]


def _logsumexp(values: np.ndarray, *, axis: int, keepdims: bool = False) -> np.ndarray:
    """``log(sum(exp(values)))`` along ``axis``, from the largest value (an axis of only ``-inf`` gives
    ``-inf``), as :func:`torch.logsumexp` computes it."""
    top = values.max(axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0).astype(values.dtype, copy=False)
    total = np.log(np.exp(values - top).sum(axis=axis, keepdims=True)) + top
    return total if keepdims else total.squeeze(axis)


class CRF(nn.Module):
    """Transition scores between tags, plus start and end scores, learned with the encoder.

    Args:
        n_tags: number of tags.
        classes: the tag names; with IOB2 names, decoding forbids ill-formed entities.
    """

    follow_penalty: torch.Tensor
    start_penalty: torch.Tensor

    def __init__(self, n_tags: int, classes: Sequence[str] = ()) -> None:
        super().__init__()
        self.transitions = nn.Parameter(torch.zeros(n_tags, n_tags))
        self.start = nn.Parameter(torch.zeros(n_tags))
        self.end = nn.Parameter(torch.zeros(n_tags))
        if classes and len(classes) != n_tags:
            raise ValueError(f"CRF got {len(classes)} tag names for {n_tags} tags")
        follows, starts = allowed_transitions(classes) if classes else (None, None)
        follow_penalty = torch.zeros(n_tags, n_tags) if follows is None else (~follows).float() * FORBIDDEN
        start_penalty = torch.zeros(n_tags) if starts is None else (~starts).float() * FORBIDDEN
        # Buffers, not parameters: part of the state dict (a loaded model decodes the same way), never trained.
        self.register_buffer("follow_penalty", follow_penalty)
        self.register_buffer("start_penalty", start_penalty)

    def nll(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Mean negative log-likelihood per word of the gold paths ``tags`` (padding may hold any value)."""
        emissions = emissions.float()
        mask = mask.bool()
        tags = tags.masked_fill(~mask, 0)
        return (
            self._log_partition(emissions, mask) - self._path_score(emissions, tags, mask)
        ).sum() / mask.sum()

    def rules(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(transitions, start, end)`` as decoding uses them: the learned scores plus the forbidden moves."""
        return self.transitions + self.follow_penalty, self.start + self.start_penalty, self.end

    def decode(self, emissions: torch.Tensor, mask: torch.Tensor, pad: int = -100) -> torch.Tensor:
        """The best well-formed path of each sentence, ``(B, T)``, ``pad`` after its last word."""
        return viterbi(emissions.float(), mask, *self.rules(), pad)

    def marginals(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Each word's probability of each tag, under the same rules as :meth:`decode`."""
        return marginals(emissions.float(), mask, *self.rules())

    def _path_score(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        step_mask = mask.float()
        emitted = emissions.gather(2, tags.unsqueeze(2)).squeeze(2)  # (B, T)
        score = self.start[tags[:, 0]] + (emitted * step_mask).sum(dim=1)
        moves = self.transitions[tags[:, :-1], tags[:, 1:]]  # (B, T - 1)
        score = score + (moves * step_mask[:, 1:]).sum(dim=1)
        last_index = mask.sum(dim=1) - 1
        last_tags = tags.gather(1, last_index.unsqueeze(1)).squeeze(1)
        return score + self.end[last_tags]

    def _log_partition(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        steps = mask.unsqueeze(2)  # (B, T, 1)
        alpha = self.start + emissions[:, 0]  # (B, C)
        for t in range(1, emissions.shape[1]):
            step = torch.logsumexp(alpha.unsqueeze(2) + self.transitions, dim=1) + emissions[:, t]
            alpha = torch.where(steps[:, t], step, alpha)
        return torch.logsumexp(alpha + self.end, dim=1)
