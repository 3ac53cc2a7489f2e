"""AWD-LSTM (Merity, Keskar and Socher 2017): an LSTM language model regularised at every level.

- **Embedding dropout** drops whole words: rows of the embedding matrix are zeroed (and the rest scaled) for
  a batch, so every occurrence of a dropped word in that batch loses its vector.
- **Locked (variational) dropout** uses one mask per sequence, repeated at every time step, on the embedded
  inputs, between layers and on the last layer's output (Gal and Ghahramani 2016).
- **Weight drop (DropConnect)** on the hidden-to-hidden matrices: one mask per batch, the same at every time
  step, so the recurrence itself is regularised without breaking the fast fused LSTM kernel.
- **Weight tying**: the decoder reuses the embedding matrix (the last layer's size is the embedding size).
- The hidden state is carried from batch to batch (the rows of a stream continue each other) and detached,
  which truncates back-propagation at the window edge. It lives in plain attributes, never in the state dict;
  :meth:`AWDLSTMEncoder.reset` clears it (a callback does at the start of each epoch and of validation).

Why our own LSTM layer: ``nn.LSTM`` keeps its weights as parameters that cuDNN flattens, so swapping in a
dropped copy each batch fights the module. Here each layer owns its four tensors and calls the same fused op
``nn.LSTM`` calls (``torch.lstm``) with the dropped hidden-to-hidden matrix: speed is that of ``nn.LSTM``.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from trainwell.core.errors import ConfigError
from trainwell.models.registry import register_model

__all__ = [
    "AWDLSTMEncoder",
    "AWDLSTMLanguageModel",
    "LockedDropout",
    "WeightDropLSTM",
    "embedding_dropout",
    "quiet_cudnn_weights_warning",
]

State = tuple[torch.Tensor, torch.Tensor]


def quiet_cudnn_weights_warning() -> None:
    """Silence cuDNN's "not part of single contiguous chunk of memory" warning for this module's LSTM calls.

    cuDNN says it at every call on a GPU: the weights are new tensors each batch by design (DropConnect on the
    hidden-to-hidden matrix), so there is nothing to flatten. Other modules' RNNs still get the warning.
    """
    warnings.filterwarnings(
        "ignore", message="RNN module weights are not part of single contiguous chunk", module=__name__
    )


quiet_cudnn_weights_warning()


def embedding_dropout(
    embedding: nn.Embedding, ids: torch.Tensor, p: float, training: bool = True
) -> torch.Tensor:
    """Embed ``ids`` with whole rows of the table dropped with probability ``p`` (the rest scaled up).

    Returns the embedded ids, ``(*ids.shape, emb_size)``.
    """
    weight = embedding.weight
    if training and p > 0:
        keep = weight.new_empty((weight.size(0), 1)).bernoulli_(1 - p) / (1 - p)
        weight = weight * keep  # (V, E) * (V, 1): one decision per word, shared by all its occurrences
    return F.embedding(ids, weight, embedding.padding_idx)


class LockedDropout(nn.Module):
    """Dropout with one mask per sequence, repeated along time: input ``(B, T, C)``, mask ``(B, 1, C)``."""

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = float(p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        mask = x.new_empty((x.size(0), 1, x.size(2))).bernoulli_(1 - self.p) / (1 - self.p)
        return x * mask

    def extra_repr(self) -> str:
        return f"p={self.p}"


class WeightDropLSTM(nn.Module):
    """One LSTM layer (batch first) whose hidden-to-hidden matrix gets DropConnect: one mask per call.

    Attributes:
        last_weight_hh: The hidden-to-hidden matrix used by the last call (dropped in training), detached;
            kept so tests and diagnostics can see the mask.
    """

    def __init__(self, input_size: int, hidden_size: int, weight_p: float = 0.0) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.weight_p = input_size, hidden_size, float(weight_p)
        gates = 4 * hidden_size
        self.weight_ih = nn.Parameter(torch.empty(gates, input_size))
        self.weight_hh = nn.Parameter(torch.empty(gates, hidden_size))
        self.bias_ih = nn.Parameter(torch.empty(gates))
        self.bias_hh = nn.Parameter(torch.empty(gates))
        bound = 1.0 / math.sqrt(hidden_size)
        for weight in self.parameters():
            nn.init.uniform_(weight, -bound, bound)
        self.last_weight_hh: torch.Tensor | None = None

    def forward(self, x: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        """``x (B, T, input_size)``, ``state`` = ``(h, c)`` each ``(1, B, hidden)`` -> ``(B, T, hidden)``, state."""
        weight_hh: torch.Tensor = self.weight_hh
        if self.training and self.weight_p > 0:
            weight_hh = F.dropout(weight_hh, self.weight_p, training=True)
        self.last_weight_hh = weight_hh.detach()
        weights: list[torch.Tensor] = [self.weight_ih, weight_hh, self.bias_ih, self.bias_hh]
        output, h, c = torch.lstm(x, state, weights, True, 1, 0.0, self.training, False, True)
        return output, (h, c)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, weight_p={self.weight_p}"


class AWDLSTMEncoder(nn.Module):
    """Embedding + stacked weight-dropped LSTMs; the body shared by the language model and the classifier.

    Args:
        vocab_size: Rows of the embedding.
        emb_size: Embedding width, also the last layer's width (so a decoder can tie to the embedding).
        hidden_size: Width of the inner layers.
        n_layers: LSTM layers.
        pad_id: Padding id (its embedding row stays zero and gets no gradient).
        embed_p: Embedding dropout (whole words).
        input_p: Locked dropout on the embedded inputs.
        hidden_p: Locked dropout between layers.
        weight_p: DropConnect on hidden-to-hidden matrices.
        output_p: Locked dropout on the last layer's output.

    ``forward(ids (B, T))`` returns ``(raw_outputs, dropped_outputs)``, one ``(B, T, width)`` tensor per layer:
    the LSTM outputs before and after the dropout that follows each layer.
    """

    def __init__(
        self,
        vocab_size: int,
        emb_size: int = 400,
        hidden_size: int = 1150,
        n_layers: int = 3,
        pad_id: int = 1,
        embed_p: float = 0.1,
        input_p: float = 0.4,
        hidden_p: float = 0.25,
        weight_p: float = 0.5,
        output_p: float = 0.4,
    ) -> None:
        super().__init__()
        for name, value in (("vocab_size", vocab_size), ("emb_size", emb_size), ("hidden_size", hidden_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be a whole number >= 1; got {value!r}")
        if isinstance(n_layers, bool) or not isinstance(n_layers, int) or n_layers < 1:
            raise ConfigError(f"n_layers must be a whole number >= 1; got {n_layers!r}")
        dropouts: tuple[tuple[str, float], ...] = (
            ("embed_p", embed_p),
            ("input_p", input_p),
            ("hidden_p", hidden_p),
            ("weight_p", weight_p),
            ("output_p", output_p),
        )
        for name, dropout in dropouts:
            if not 0.0 <= dropout < 1.0:
                raise ConfigError(f"{name} must be in [0, 1); got {dropout!r}")
        self.vocab_size, self.emb_size, self.hidden_size, self.n_layers = (
            vocab_size,
            emb_size,
            hidden_size,
            n_layers,
        )
        self.embed_p = float(embed_p)
        self.embedding = nn.Embedding(vocab_size, emb_size, padding_idx=pad_id)
        nn.init.uniform_(self.embedding.weight, -0.1, 0.1)
        with torch.no_grad():
            self.embedding.weight[pad_id].zero_()
        sizes = [emb_size] + [hidden_size] * (n_layers - 1) + [emb_size]
        self.rnns = nn.ModuleList(WeightDropLSTM(sizes[i], sizes[i + 1], weight_p) for i in range(n_layers))
        self.layer_sizes: list[int] = sizes[1:]
        self.input_dropout = LockedDropout(input_p)
        self.layer_dropouts = nn.ModuleList(
            LockedDropout(hidden_p if i < n_layers - 1 else output_p) for i in range(n_layers)
        )
        self.hidden: list[State] | None = None

    def reset(self) -> None:
        """Forget the carried hidden state (the next batch starts from zeros)."""
        self.hidden = None

    def _initial_state(self, batch_size: int, like: torch.Tensor) -> list[State]:
        hidden = self.hidden
        if hidden is not None and hidden[0][0].size(1) == batch_size and hidden[0][0].device == like.device:
            return hidden
        return [
            (like.new_zeros((1, batch_size, size)), like.new_zeros((1, batch_size, size)))
            for size in self.layer_sizes
        ]

    def forward(self, ids: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        if ids.ndim != 2:
            raise ConfigError(
                f"AWDLSTMEncoder takes ids of shape (batch, time); got shape {tuple(ids.shape)}"
            )
        x = embedding_dropout(self.embedding, ids, self.embed_p, self.training)  # (B, T, E)
        x = self.input_dropout(x)
        state = self._initial_state(ids.size(0), x)
        raw_outputs: list[torch.Tensor] = []
        dropped_outputs: list[torch.Tensor] = []
        new_state: list[State] = []
        for rnn, dropout, layer_state in zip(self.rnns, self.layer_dropouts, state, strict=True):
            raw, (h, c) = rnn(x, layer_state)
            new_state.append((h.detach(), c.detach()))  # carried to the next batch, outside this graph
            x = dropout(raw)
            raw_outputs.append(raw)
            dropped_outputs.append(x)
        self.hidden = new_state
        return raw_outputs, dropped_outputs


@register_model("awd_lstm_lm", application="text", task="language_model")
class AWDLSTMLanguageModel(nn.Module):
    """:class:`AWDLSTMEncoder` + a linear decoder tied to the embedding: ``ids (B, T)`` -> logits ``(B, T, V)``.

    Defaults are the paper's PTB settings (400 / 1150 / 3 layers). The last layer's raw and dropped outputs
    are kept in :attr:`last_raw_output` and :attr:`last_dropped_output` for AR/TAR (see ``lm_learner``).

    Example:
        >>> model = AWDLSTMLanguageModel(100, emb_size=8, hidden_size=16, n_layers=2)
        >>> model(torch.randint(0, 100, (2, 5))).shape
        torch.Size([2, 5, 100])
    """

    def __init__(
        self,
        vocab_size: int,
        emb_size: int = 400,
        hidden_size: int = 1150,
        n_layers: int = 3,
        pad_id: int = 1,
        embed_p: float = 0.1,
        input_p: float = 0.4,
        hidden_p: float = 0.25,
        weight_p: float = 0.5,
        output_p: float = 0.4,
        tie_weights: bool = True,
    ) -> None:
        super().__init__()
        self.config: dict[str, Any] = {
            "vocab_size": vocab_size, "emb_size": emb_size, "hidden_size": hidden_size, "n_layers": n_layers,
            "pad_id": pad_id, "embed_p": embed_p, "input_p": input_p, "hidden_p": hidden_p,
            "weight_p": weight_p, "output_p": output_p, "tie_weights": tie_weights,
        }  # fmt: skip
        self.encoder = AWDLSTMEncoder(
            vocab_size,
            emb_size,
            hidden_size,
            n_layers,
            pad_id,
            embed_p,
            input_p,
            hidden_p,
            weight_p,
            output_p,
        )
        self.decoder = nn.Linear(emb_size, vocab_size)
        nn.init.zeros_(self.decoder.bias)
        if tie_weights:
            self.decoder.weight = self.encoder.embedding.weight
        else:
            nn.init.uniform_(self.decoder.weight, -0.1, 0.1)
        self.last_raw_output: torch.Tensor | None = None
        self.last_dropped_output: torch.Tensor | None = None
        # False while training with a sampled softmax: the loss then applies the decoder to a few words only.
        self.decode_in_training = True

    def reset(self) -> None:
        """Forget the carried hidden state."""
        self.encoder.reset()

    def features(self, ids: torch.Tensor) -> torch.Tensor:
        """The last layer's (dropped) output ``(B, T, emb_size)``: what the decoder reads."""
        raw_outputs, dropped_outputs = self.encoder(ids)
        self.last_raw_output, self.last_dropped_output = raw_outputs[-1], dropped_outputs[-1]
        return dropped_outputs[-1]

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        features = self.features(ids)
        if self.training and not self.decode_in_training:
            # (B, T, E): the loss decodes (see lm_learner.LMLoss). Adding zero puts the decoder in the forward
            # graph: DistributedDataParallel finds the parameters a step uses from the forward's output, and
            # would take the decoder's (used by the loss only) for unused ones, then fail when their gradients
            # arrive.
            tie = self.decoder.weight.sum() + (
                self.decoder.bias.sum() if self.decoder.bias is not None else 0.0
            )
            return features + 0.0 * tie
        return self.decoder(features)

    def layer_groups(self) -> list[nn.Module]:
        """One group per LSTM layer, then embedding + decoder (tied, so together)."""
        return [*self.encoder.rnns, nn.ModuleList([self.encoder.embedding, self.decoder])]
