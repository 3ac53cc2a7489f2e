"""Sequence-labelling architectures, registered by name: a bidirectional LSTM over word, casing and character
features, with a CRF on top (Lample et al. 2016; Ma and Hovy 2016) or a softmax per word.

Inputs are what :func:`~trainwell.text.tagging.recipe.tagging_batch` builds: ``words (B, T)``,
``casing (B, T)`` and ``chars (B, T, L)``; the output is one score per tag and word, ``(B, T, C)``. The model
also knows its loss (:meth:`BiLSTMTagger.loss`) and how to read a best tag path out of its scores
(:meth:`BiLSTMTagger.decode`), which the tagging learner and the predictor call.
"""

from __future__ import annotations

import sys
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
        if flat.device.type != "cpu" or _exporting():
            # On a GPU the CNN over every row is cheap and finding the distinct ones would wait for it twice a
            # batch (not measured there, so left as it was); a graph to export or compile has no data-dependent
            # shapes.
            char_features = self._char_features(flat)
        else:
            # A word's character features depend on its characters alone, and a batch repeats its words ("the",
            # ",", the padding rows): the CNN reads each distinct spelling once (CoNLL-2003's validation
            # batches: 20,897 distinct of 175,434 rows), then every position takes its spelling's row.
            distinct, position_row = distinct_rows(flat)
            char_features = self._char_features(distinct).index_select(0, position_row)
        char_features = char_features.reshape(batch, length, -1)
        return torch.cat([self.word_embedding(words), self.casing_embedding(casing), char_features], dim=-1)

    def _char_features(self, chars: torch.Tensor) -> torch.Tensor:
        """The character CNN's max-pooled filters ``(N, char_filters)`` of words ``chars`` ``(N, L)``; zeros for a
        word without characters (padding)."""
        convolved = self.char_cnn(self.char_embedding(chars).transpose(1, 2))  # (N, filters, L)
        # Max over the word's own characters only: the padding after them (as wide as the batch's longest
        # word) must not change a word's features, or a prediction would depend on the words batched with it.
        real = (chars != self.pad_id).unsqueeze(1)
        pooled = convolved.masked_fill_(~real, float("-inf")).max(dim=2).values
        return torch.where(real.any(dim=2), pooled, 0.0)

    def forward(self, words: torch.Tensor, casing: torch.Tensor, chars: torch.Tensor) -> torch.Tensor:
        lengths = (words != self.pad_id).sum(dim=1).clamp(min=1)
        inputs = self.dropout(self.features(words, casing, chars))
        if (
            inputs.device.type == "cpu"
            and torch.is_grad_enabled()
            and self.lstm.num_layers == 1
            and not _exporting()
        ):
            outputs = self._lstm_unpacked(inputs, lengths)
        else:
            packed = pack_padded_sequence(inputs, lengths.cpu(), batch_first=True, enforce_sorted=False)
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

    def _lstm_unpacked(self, inputs: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """The one-layer bidirectional LSTM over padded sentences ``(B, T, D)`` without packing them, as packing
        computes it: ``(B, T, 2 * hidden)``, zero after each sentence's last word.

        On CPU PyTorch runs a packed LSTM step by step in its own code, and a padded one with oneDNN, whose
        forward and backward took 97 ms where packing took 131 ms (a training batch of CoNLL-2003, one thread);
        without gradients the two are even and packing skips the padding, so evaluation keeps it. Padding after
        a sentence never reaches its words going forwards; going backwards each sentence is read back to front
        (its padding left in place after it), then its outputs put back in order.
        """
        batch, length, _ = inputs.shape
        lstm = self.lstm
        positions = torch.arange(length, device=inputs.device)
        real = positions < lengths.unsqueeze(1)  # (B, T)
        back_to_front = torch.where(real, lengths.unsqueeze(1) - 1 - positions, positions).unsqueeze(2)
        state = inputs.new_zeros(1, batch, lstm.hidden_size)

        def one_way(sequence: torch.Tensor, suffix: str) -> torch.Tensor:
            weights = [
                getattr(lstm, f"{name}_l0{suffix}")
                for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
            ]
            # (input, (h0, c0), weights, has_biases, num_layers, dropout, train, bidirectional, batch_first)
            return torch.lstm(sequence, (state, state), weights, True, 1, 0.0, self.training, False, True)[0]

        forwards = one_way(inputs, "")
        backwards = one_way(inputs.gather(1, back_to_front.expand_as(inputs)), "_reverse")
        backwards = backwards.gather(1, back_to_front.expand_as(backwards))
        return torch.cat([forwards, backwards], dim=2) * real.unsqueeze(2)

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


def _exporting() -> bool:
    """Whether the model runs to be traced, exported or compiled (never to import ``torch.onnx`` for the answer:
    it takes 60 ms, and nothing exports without importing it first)."""
    onnx = sys.modules.get("torch.onnx")
    exporting = onnx is not None and onnx.is_in_onnx_export()
    return torch.jit.is_tracing() or torch.compiler.is_compiling() or exporting


def distinct_rows(rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The distinct rows of integer ``rows`` ``(N, L)``, and for each row the index of its distinct row:
    ``distinct[index]`` equals ``rows`` exactly.

    ``torch.unique(rows, dim=0)`` does this too, but took 20 ms for a batch of 5,760 rows (a quarter of the
    character CNN it saves). Here each pass numbers the distinct prefixes of the rows with a 1-d unique over
    ``prefix number * base ** k + the next k values``, ``k`` columns at a time, as many as fit in int64.
    """
    count, width = rows.shape
    if count == 0 or width == 0:
        return rows[:1], torch.zeros(count, dtype=torch.long, device=rows.device)
    values = rows.long()
    low, high = int(values.min()), int(values.max())
    base = max(high - low + 1, 2)
    room = 62 - max(count, 2).bit_length()  # number * base ** k + (k values) stays below 2 ** 62
    if base.bit_length() > room:  # ids too far apart to pack even one column
        distinct, index = torch.unique(rows, dim=0, return_inverse=True)
        return distinct, index
    step = room // base.bit_length()
    values = values - low
    number = torch.zeros(count, dtype=torch.long, device=rows.device)
    for first in range(0, width, step):
        for column in range(first, min(first + step, width)):
            number = number * base + values[:, column]
        _, number = torch.unique(number, return_inverse=True)
    n_distinct = int(number.max()) + 1
    # Each number's first row stands for it (any would: they are equal).
    first_row = torch.full((n_distinct,), count, dtype=torch.long, device=rows.device)
    first_row.scatter_reduce_(0, number, torch.arange(count, device=rows.device), reduce="amin")
    return rows.index_select(0, first_row), number
