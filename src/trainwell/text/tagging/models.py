"""Sequence-labelling architectures, registered by name: a bidirectional LSTM over word, casing and character
features, with a CRF on top (Lample et al. 2016; Ma and Hovy 2016) or a softmax per word.

Inputs are what :func:`~trainwell.text.tagging.recipe.tagging_batch` builds: ``words (B, T)``,
``casing (B, T)`` and ``chars (B, T, L)``; the output is one score per tag and word, ``(B, T, C)``. The model
also knows its loss (:meth:`BiLSTMTagger.loss`) and how to read a best tag path out of its scores
(:meth:`BiLSTMTagger.decode`), which the tagging learner and the predictor call.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from trainwell.core.errors import ConfigError
from trainwell.losses import IGNORE_INDEX
from trainwell.models.registry import register_model
from trainwell.text.tagging.crf import CRF, FORBIDDEN, allowed_transitions, marginals, viterbi
from trainwell.text.tagging.recipe import CASING_CLASSES
from trainwell.text.vocab import Vocab

__all__ = ["BiLSTMTagger"]


@register_model("bilstm_crf", application="tagging")
class BiLSTMTagger(nn.Module):
    """Word embedding + casing embedding + character CNN -> bidirectional LSTM -> tag scores (+ CRF).

    Args:
        n_words: rows of the word embedding (the recipe's vocabulary).
        n_chars: rows of the character embedding.
        n_out: number of tags.
        classes: the tag names; with IOB2 names decoding never returns an ill-formed entity.
        word_dim: word embedding size.
        char_dim: character embedding size.
        char_filters: filters of the character CNN (its output size per word).
        char_kernel: width of the character CNN's filters.
        casing_dim: casing-class embedding size.
        hidden: LSTM units per direction.
        n_layers: stacked LSTM layers.
        dropout: dropout on the word features and on the LSTM's outputs.
        crf: score whole tag paths with a CRF (else a softmax per word, decoded with the scheme's rules).
    """

    follow_penalty: torch.Tensor
    start_penalty: torch.Tensor

    def __init__(
        self,
        n_words: int,
        n_chars: int,
        n_out: int,
        classes: Sequence[str] = (),
        *,
        word_dim: int = 100,
        char_dim: int = 30,
        char_filters: int = 50,
        char_kernel: int = 3,
        casing_dim: int = 10,
        hidden: int = 200,
        n_layers: int = 1,
        dropout: float = 0.5,
        crf: bool = True,
    ) -> None:
        super().__init__()
        if n_out < 2:
            raise ConfigError(f"a tagger needs at least 2 tags, got n_out={n_out}")
        if not 0.0 <= dropout < 1.0:
            raise ConfigError(f"dropout must be in [0, 1), got {dropout}")
        pad = Vocab.pad_id
        self.pad_id = pad
        self.word_embedding = nn.Embedding(n_words, word_dim, padding_idx=pad)
        self.casing_embedding = nn.Embedding(len(CASING_CLASSES), casing_dim, padding_idx=0)
        self.char_embedding = nn.Embedding(n_chars, char_dim, padding_idx=pad)
        self.char_cnn = nn.Conv1d(char_dim, char_filters, char_kernel, padding=char_kernel // 2)
        self.dropout = nn.Dropout(dropout)
        self.lstm = nn.LSTM(
            word_dim + casing_dim + char_filters,
            hidden,
            num_layers=n_layers,
            batch_first=True,
            bidirectional=True,
            dropout=dropout if n_layers > 1 else 0.0,
        )
        self.head = nn.Linear(2 * hidden, n_out)
        self.crf = CRF(n_out, classes) if crf else None
        if crf:
            return
        follows, starts = allowed_transitions(classes) if classes else (None, None)
        self.register_buffer(
            "follow_penalty",
            torch.zeros(n_out, n_out) if follows is None else (~follows).float() * FORBIDDEN,
        )
        self.register_buffer(
            "start_penalty", torch.zeros(n_out) if starts is None else (~starts).float() * FORBIDDEN
        )

    def features(self, words: torch.Tensor, casing: torch.Tensor, chars: torch.Tensor) -> torch.Tensor:
        """Each word's input to the LSTM: ``(B, T, word_dim + casing_dim + char_filters)``."""
        batch, length, n_chars = chars.shape
        flat = chars.reshape(batch * length, n_chars)
        convolved = self.char_cnn(self.char_embedding(flat).transpose(1, 2))  # (B * T, filters, L)
        # Max over the word's own characters only: the padding after them (as wide as the batch's longest
        # word) must not change a word's features, or a prediction would depend on the words batched with it.
        real = (flat != self.pad_id).unsqueeze(1)
        pooled = convolved.masked_fill(~real, float("-inf")).max(dim=2).values
        char_features = torch.where(real.any(dim=2), pooled, 0.0).reshape(batch, length, -1)
        return torch.cat([self.word_embedding(words), self.casing_embedding(casing), char_features], dim=-1)

    def forward(self, words: torch.Tensor, casing: torch.Tensor, chars: torch.Tensor) -> torch.Tensor:
        lengths = (words != self.pad_id).sum(dim=1).clamp(min=1).cpu()
        inputs = self.dropout(self.features(words, casing, chars))
        packed = pack_padded_sequence(inputs, lengths, batch_first=True, enforce_sorted=False)
        outputs, _ = self.lstm(packed)
        outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=words.shape[1])
        scores = self.head(self.dropout(outputs))  # (B, T, C)
        if self.crf is not None and self.training:
            # Adds zero, but puts the CRF's parameters in the forward graph: DistributedDataParallel finds the
            # parameters a step uses from the forward's output, and would take these (used by the loss only)
            # for unused ones, then fail when their gradients arrive.
            crf = self.crf
            scores = scores + 0.0 * (crf.transitions.sum() + crf.start.sum() + crf.end.sum())
        return scores

    def unpadded_scores(self, words: torch.Tensor, casing: torch.Tensor, chars: torch.Tensor) -> torch.Tensor:
        """:meth:`forward` for sentences of one length (no padding, so nothing to pack): the graph ONNX export
        traces, since packed sequences do not export."""
        outputs, _ = self.lstm(self.dropout(self.features(words, casing, chars)))
        return self.head(self.dropout(outputs))

    def loss(self, scores: torch.Tensor, tags: torch.Tensor) -> torch.Tensor:
        """Mean loss per tagged word: the CRF's negative log-likelihood, or cross-entropy per word."""
        if self.crf is not None:
            return self.crf.nll(scores, tags, tags != IGNORE_INDEX)
        return F.cross_entropy(scores.float().flatten(0, 1), tags.flatten(), ignore_index=IGNORE_INDEX)

    def decode(self, scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The best tag path of each sentence, ``(B, T)``, :data:`IGNORE_INDEX` after its last word."""
        decoded, transitions, start, end = self._decoding(scores)
        return viterbi(decoded, mask, transitions, start, end, IGNORE_INDEX)

    def marginals(self, scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Each word's probability of each tag ``(B, T, C)``, under the rules :meth:`decode` follows."""
        decoded, transitions, start, end = self._decoding(scores)
        return marginals(decoded, mask, transitions, start, end)

    def _decoding(
        self, scores: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(scores, transitions, start, end)`` to decode: the CRF's, or per-word log-probabilities under the
        scheme's rules alone."""
        if self.crf is not None:
            return (scores.float(), *self.crf.rules())
        end = torch.zeros_like(self.start_penalty)
        return torch.log_softmax(scores.float(), dim=-1), self.follow_penalty, self.start_penalty, end

    def layer_groups(self) -> list[nn.Module]:
        """Inputs (embeddings and character CNN), the LSTM, and the head (with the CRF)."""
        inputs = nn.ModuleList(
            [self.word_embedding, self.casing_embedding, self.char_embedding, self.char_cnn]
        )
        head = nn.ModuleList([self.head, *([self.crf] if self.crf is not None else [])])
        return [inputs, self.lstm, head]
