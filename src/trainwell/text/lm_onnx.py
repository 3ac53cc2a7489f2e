"""A language model as ``model.onnx``: one step of the stream, with the LSTM state passed in and out.

``trainwell export LM --onnx`` writes a graph that reads a window of token ids and each layer's state, and
answers the next-token log-probabilities, the last layer's output (what the cache pointer keys on) and the new
state, so a program in any ONNX runtime can score text or generate it by carrying the state from window to
window, as trainwell reads a stream:

================  ===========================  ========================================================
name              shape (float32 unless said)  what
================  ===========================  ========================================================
``tokens``        ``(batch, time)`` int64      ids from the model's tokenizer and vocabulary
``h0``, ``c0``..  ``(batch, width of layer)``  each layer's state; zeros to start a text
``log_probs``     ``(batch, time, vocab)``     log-probability of every next token after each position
``features``      ``(batch, time, emb_size)``  the last layer's output
``h0_out``...     ``(batch, width of layer)``  the state after the window, for the next one
================  ===========================  ========================================================

Token ids come from trainwell's tokenizer (``LMRecipe.encode_texts``: rule-based words with case markers, or
the subword model), which the graph does not hold. The export is kept only when onnxruntime, reading texts
window by window with the state carried, gives PyTorch's log-probabilities and states.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from trainwell.text.awd_lstm import AWDLSTMLanguageModel

__all__ = ["LMGraph", "language_model_check", "state_names"]

#: Windows of the check: tokens per window, windows per stream, streams read side by side.
CHECK_WINDOW, CHECK_WINDOWS, CHECK_STREAMS = 24, 6, 3


def state_names(n_layers: int, suffix: str = "") -> list[str]:
    """``h0, c0, h1, c1, ...`` (with ``suffix``: ``h0_out``...)."""
    return [f"{part}{layer}{suffix}" for layer in range(n_layers) for part in ("h", "c")]


class LMGraph(nn.Module):
    """What ONNX holds of an AWD-LSTM language model in evaluation: ``(tokens, h0, c0, ...)`` ->
    ``(log_probs, features, h0_out, c0_out, ...)``; dropout is off, as in evaluation, and nothing is carried
    between calls (the caller carries the state)."""

    def __init__(self, model: AWDLSTMLanguageModel) -> None:
        super().__init__()
        self.model: AWDLSTMLanguageModel = model.eval()

    def forward(self, tokens: torch.Tensor, *states: torch.Tensor) -> tuple[torch.Tensor, ...]:
        encoder = self.model.encoder
        x = encoder.embedding(tokens)
        new_states: list[torch.Tensor] = []
        for layer, rnn in enumerate(encoder.rnns):
            h, c = states[2 * layer].unsqueeze(0), states[2 * layer + 1].unsqueeze(0)
            x, (h, c) = rnn(x, (h, c))
            new_states += [h.squeeze(0), c.squeeze(0)]
        log_probs = torch.log_softmax(self.model.decoder(x), dim=-1)
        return (log_probs, x, *new_states)

    def zero_states(self, batch: int) -> list[torch.Tensor]:
        return [torch.zeros(batch, size) for size in self.model.encoder.layer_sizes for _ in range(2)]


def language_model_check(predictor: Any, inputs: Sequence[str] | None) -> Any:
    """The export check of a language model (see :func:`trainwell.export.onnx.export_onnx`): the tokens of the
    given texts (else ids drawn uniformly from the vocabulary) as ``CHECK_STREAMS`` streams read side by side,
    in windows with the state carried, by PyTorch and by onnxruntime; ``n_items`` counts the tokens."""
    from trainwell.core.errors import DataError
    from trainwell.export.onnx import _Check

    graph = LMGraph(predictor.model)
    n_layers = len(graph.model.encoder.rnns)
    length = CHECK_WINDOW * CHECK_WINDOWS
    if inputs is None:  # every id equally likely: each row of the embedding and the decoder is exercised
        vocab_size = int(graph.model.decoder.out_features)
        drawn = np.random.default_rng(0).integers(0, vocab_size, CHECK_STREAMS * length)
        stream = torch.from_numpy(drawn).long()
    else:
        texts = list(inputs)
        if not texts:
            raise DataError("no texts to check the export on; pass a text file with at least one line")
        stream = predictor.recipe.encode_texts(texts)[0].long()
    if len(stream) < CHECK_STREAMS * length:  # short texts: read round again
        stream = stream.repeat(CHECK_STREAMS * length // max(1, len(stream)) + 1)
    rows = stream[: CHECK_STREAMS * length].reshape(CHECK_STREAMS, length)
    names = ("tokens", *state_names(n_layers))
    outputs = ("log_probs", "features", *state_names(n_layers, "_out"))
    axes: dict[str, dict[int, str]] = {
        "tokens": {0: "batch", 1: "time"},
        "log_probs": {0: "batch", 1: "time"},
        "features": {0: "batch", 1: "time"},
        **{name: {0: "batch"} for name in (*state_names(n_layers), *state_names(n_layers, "_out"))},
    }
    example = (rows[:2, :CHECK_WINDOW], *graph.zero_states(2))

    @torch.no_grad()
    def compare(model: nn.Module, session: Any) -> tuple[float, float]:
        torch_states = onnx_states = graph.zero_states(CHECK_STREAMS)
        abs_diff = scaled_diff = 0.0
        for start in range(0, length, CHECK_WINDOW):
            window = rows[:, start : start + CHECK_WINDOW]
            expected = model(window, *torch_states)
            feed = {"tokens": window.numpy()}
            feed.update({name: state.numpy() for name, state in zip(names[1:], onnx_states, strict=True)})
            actual = session.run(list(outputs), feed)
            for want, got in zip(expected, actual, strict=True):
                difference = np.abs(got.astype(np.float64) - want.numpy().astype(np.float64))
                difference = np.nan_to_num(difference, nan=np.inf)
                scale = np.maximum(1.0, np.abs(want.numpy().astype(np.float64)))
                abs_diff = max(abs_diff, float(difference.max()))
                scaled_diff = max(scaled_diff, float((difference / scale).max()))
            torch_states = list(expected[2:])
            onnx_states = [torch.from_numpy(state) for state in actual[2:]]  # each engine carries its own
        return abs_diff, scaled_diff

    return _Check(
        example,
        names,
        run=lambda session, *x: session.run(None, dict(zip(names, (t.numpy() for t in x), strict=True))),
        batch=CHECK_STREAMS,
        n_items=CHECK_STREAMS * length,
        axes=axes,
        model=graph,
        output_names=outputs,
        compare=compare,
    )
