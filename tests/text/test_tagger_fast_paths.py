"""The tagger's fast paths compute what the plain ones did: character features read once per distinct spelling,
Viterbi with its back-pointers masked in one pass, entity spans found for a whole batch with numpy. Each is
checked against the plain code it replaced (kept here as the reference), on generated batches and, where the
shared datasets are present, on CoNLL-2003's own validation batches."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from tagging_samples import CONLL_CLASSES, entity_sentences, random_crf
from trainwell.core.errors import ConfigError
from trainwell.metrics._spans import batch_entity_spans, entity_spans_from_ids, span_table
from trainwell.metrics.tagging import entity_counts
from trainwell.text import tagging_data
from trainwell.text.tagging.crf import viterbi
from trainwell.text.tagging.models import BiLSTMTagger, distinct_rows

SMALL = {"word_dim": 16, "char_dim": 8, "char_filters": 8, "casing_dim": 4, "hidden": 16, "dropout": 0.1}


# ------------------------------------------------------------------------------------------------ references
def reference_features(model: BiLSTMTagger, words, casing, chars) -> torch.Tensor:
    """The character CNN over every position of the batch, as the model computed it before."""
    batch, length, n_chars = chars.shape
    flat = chars.reshape(batch * length, n_chars)
    convolved = model.char_cnn(model.char_embedding(flat).transpose(1, 2))
    real = (flat != model.pad_id).unsqueeze(1)
    pooled = convolved.masked_fill(~real, float("-inf")).max(dim=2).values
    char_features = torch.where(real.any(dim=2), pooled, 0.0).reshape(batch, length, -1)
    return torch.cat([model.word_embedding(words), model.casing_embedding(casing), char_features], dim=-1)


def reference_forward(model: BiLSTMTagger, words, casing, chars) -> torch.Tensor:
    """Scores with the LSTM run over packed sentences, as the model always did before."""
    lengths = (words != model.pad_id).sum(dim=1).clamp(min=1).cpu()
    inputs = model.dropout(model.features(words, casing, chars))
    packed = pack_padded_sequence(inputs, lengths, batch_first=True, enforce_sorted=False)
    outputs, _ = pad_packed_sequence(model.lstm(packed)[0], batch_first=True, total_length=words.shape[1])
    return model.head(model.dropout(outputs))


def reference_viterbi(scores, mask, transitions, start, end, pad=-100) -> torch.Tensor:
    """Viterbi as it was: back-pointers masked step by step, read back with one gather per step."""
    batch, length, n_tags = scores.shape
    mask = mask.bool()
    best = start + scores[:, 0]
    back = []
    for t in range(1, length):
        top, index = (best.unsqueeze(2) + transitions).max(dim=1)
        step = mask[:, t].unsqueeze(1)
        top = top + scores[:, t]
        best = torch.where(step, top - top.max(dim=1, keepdim=True).values, best)
        back.append(torch.where(step, index, torch.arange(n_tags).expand(batch, -1)))
    best = best + end
    path = torch.empty(batch, length, dtype=torch.long)
    last = best.argmax(dim=1)
    path[:, length - 1] = last
    for t in range(length - 2, -1, -1):
        last = back[t].gather(1, last.unsqueeze(1)).squeeze(1)
        path[:, t] = last
    return path.masked_fill(~mask, pad)


def reference_counts(preds: torch.Tensor, targets: torch.Tensor, classes: list[str]) -> dict[str, list[int]]:
    """Entity counts sentence by sentence with the one-sentence span reader."""
    prefix, type_index, types = span_table(classes)
    counts = {key: [0] * len(types) for key in ("correct", "predicted", "actual")}
    for pred_row, target_row in zip(preds.tolist(), targets.tolist(), strict=True):
        length = sum(1 for tag in target_row if tag >= 0)
        true_spans = entity_spans_from_ids(target_row[:length], prefix, type_index)
        pred_spans = entity_spans_from_ids(pred_row[:length], prefix, type_index)
        for name, spans in (("actual", true_spans), ("predicted", pred_spans)):
            for kind, _, _ in spans:
                counts[name][kind] += 1
        for kind, _, _ in set(true_spans) & set(pred_spans):
            counts["correct"][kind] += 1
    return counts


# ------------------------------------------------------------------------------------------------ helpers
def _random_tagger(data, seed: int = 0, **config) -> BiLSTMTagger:
    """A tagger of ``data`` with every weight random (the CRF's too, so decoding is not all ``O``), in eval mode."""
    torch.manual_seed(seed)
    model = BiLSTMTagger(
        data.model_hints["n_words"],
        data.model_hints["n_chars"],
        data.task.n_outputs,
        [str(c) for c in data.task.classes],
        **config,
    )
    with torch.no_grad():
        model.crf.transitions.normal_()
        model.crf.start.normal_()
        model.crf.end.normal_()
    return model.eval()


def _check_batches_compute_as_before(model: BiLSTMTagger, loader, classes: list[str], n_batches: int) -> None:
    prefix, type_index, types = span_table(classes)
    for rows in loader.batches()[:n_batches]:
        words, casing, chars, tags = loader.batch(rows)
        with torch.no_grad():
            fast = model.features(words, casing, chars)
            plain = reference_features(model, words, casing, chars)
            torch.testing.assert_close(fast, plain, rtol=1e-5, atol=1e-5)
            scores = model(words, casing, chars)
            torch.testing.assert_close(
                scores, reference_forward(model, words, casing, chars), rtol=1e-5, atol=1e-5
            )
            mask = words != model.pad_id
            decoded = model.decode(scores, mask)
            transitions, start, end = model.crf.rules()
            assert torch.equal(decoded, reference_viterbi(scores, mask, transitions, start, end))
        # With gradients on (training), the LSTM runs unpacked: the same scores and loss.
        unpacked = model(words, casing, chars)
        torch.testing.assert_close(unpacked.detach(), scores, rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(model.loss(unpacked, tags), model.loss(scores, tags), rtol=1e-5, atol=1e-6)
        counts = entity_counts(decoded, tags, prefix, type_index, len(types))
        assert {key: value.tolist() for key, value in counts.items()} == reference_counts(
            decoded, tags, classes
        )
        # The gold tags against themselves: every entity found.
        gold = entity_counts(tags.clamp(min=0), tags, prefix, type_index, len(types))
        assert (
            gold["correct"].tolist()
            == gold["actual"].tolist()
            == reference_counts(tags, tags, classes)["actual"]
        )


# ------------------------------------------------------------------------------------------------ distinct rows
@pytest.mark.parametrize("high", [2, 60, 10**6, 2**40])
def test_distinct_rows_rebuild_every_row_exactly(high: int) -> None:
    generator = torch.Generator().manual_seed(high % 1000)
    rows = torch.randint(-3, high, (200, 13), generator=generator)
    rows = torch.cat([rows, rows[:90], rows[5:6].expand(40, -1)])  # repeats, as a batch repeats its words
    distinct, index = distinct_rows(rows)
    assert torch.equal(distinct[index], rows)
    assert len(distinct) == len(torch.unique(rows, dim=0)) == 200


def test_distinct_rows_of_empty_and_single_column_batches() -> None:
    empty = torch.zeros(0, 5, dtype=torch.long)
    distinct, index = distinct_rows(empty)
    assert distinct.shape == (0, 5) and index.shape == (0,)
    column = torch.tensor([[3], [1], [3], [0]])
    distinct, index = distinct_rows(column)
    assert torch.equal(distinct[index], column) and len(distinct) == 3


# ------------------------------------------------------------------------------------------------ the model
def test_features_loss_and_gradients_match_the_plain_character_cnn() -> None:
    data = tagging_data(entity_sentences(120, seed=1), valid=entity_sentences(40, seed=2), batch_size=16)
    model = _random_tagger(data, **SMALL)
    words, casing, chars, _ = data.train.batch(data.train.batches()[0])
    fast = model.features(words, casing, chars)
    plain = reference_features(model, words, casing, chars)
    torch.testing.assert_close(fast, plain, rtol=1e-6, atol=1e-6)
    weights = torch.randn_like(fast)
    fast_grads = torch.autograd.grad(
        (fast * weights).sum(), [model.char_cnn.weight, model.char_embedding.weight]
    )
    plain_grads = torch.autograd.grad(
        (plain * weights).sum(), [model.char_cnn.weight, model.char_embedding.weight]
    )
    for fast_grad, plain_grad in zip(fast_grads, plain_grads, strict=True):
        torch.testing.assert_close(fast_grad, plain_grad, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("training", [True, False])
def test_the_lstm_unpacked_for_training_scores_and_learns_as_packed(training: bool) -> None:
    data = tagging_data(entity_sentences(120, seed=1), valid=entity_sentences(40, seed=2), batch_size=16)
    model = _random_tagger(data, **{**SMALL, "dropout": 0.3}).train(training)
    parameters = [parameter for parameter in model.parameters() if parameter.requires_grad]
    for rows in data.train.batches()[:3]:
        words, casing, chars, tags = data.train.batch(rows)
        torch.manual_seed(1)  # the same dropout masks: the unpacked LSTM draws no random numbers
        fast = model(words, casing, chars)
        fast_grads = torch.autograd.grad(model.loss(fast, tags), parameters)
        torch.manual_seed(1)
        plain = reference_forward(model, words, casing, chars)
        plain_grads = torch.autograd.grad(model.loss(plain, tags), parameters)
        torch.testing.assert_close(fast, plain, rtol=1e-5, atol=1e-5)
        for fast_grad, plain_grad in zip(fast_grads, plain_grads, strict=True):
            torch.testing.assert_close(fast_grad, plain_grad, rtol=1e-4, atol=1e-5)


def test_a_word_reads_the_same_whatever_else_is_in_its_batch() -> None:
    data = tagging_data(entity_sentences(60, seed=1), valid=entity_sentences(40, seed=2), batch_size=16)
    model = _random_tagger(data, **SMALL)
    words, casing, chars, _ = data.valid.batch(data.valid.batches()[0])
    with torch.no_grad():
        together = model.features(words, casing, chars)
        alone = model.features(words[:1], casing[:1], chars[:1])
    torch.testing.assert_close(together[:1], alone, rtol=1e-6, atol=1e-6)


def test_generated_batches_decode_and_count_as_before() -> None:
    data = tagging_data(entity_sentences(120, seed=1), valid=entity_sentences(80, seed=2), batch_size=16)
    model = _random_tagger(data, **SMALL)
    _check_batches_compute_as_before(model, data.valid, [str(c) for c in data.task.classes], n_batches=3)


def test_conll2003_validation_batches_compute_as_before(shared_data: Path) -> None:
    data = tagging_data(shared_data / "conll2003")
    model = _random_tagger(data)  # the default sizes, as `trainwell fit` builds it
    _check_batches_compute_as_before(model, data.valid, [str(c) for c in data.task.classes], n_batches=4)


# ------------------------------------------------------------------------------------------------ viterbi
@pytest.mark.parametrize("seed", range(6))
def test_viterbi_returns_the_paths_it_did(seed: int) -> None:
    scores, mask, transitions, start, end = random_crf(seed, 7, [1, 2, 9, 30, 5, 17][seed], scale=3)
    assert torch.equal(
        viterbi(scores, mask, transitions, start, end),
        reference_viterbi(scores, mask, transitions, start, end),
    )


# ------------------------------------------------------------------------------------------------ spans
def test_batch_spans_match_the_sentence_reader_on_every_scheme() -> None:
    classes = ["O", "B-PER", "I-PER", "E-PER", "S-PER", "B-LOC", "I-LOC", "E-LOC", "S-LOC", "NOUN"]
    prefix, type_index, _ = span_table(classes)
    rng = np.random.default_rng(0)
    for _ in range(300):
        batch, width = int(rng.integers(1, 8)), int(rng.integers(1, 12))
        ids = rng.integers(0, len(classes), (batch, width))
        lengths = rng.integers(0, width + 1, batch)
        ids[np.arange(width) >= lengths[:, None]] = -100  # padding is never read
        row, kind, start, end = batch_entity_spans(ids, lengths, prefix, type_index)
        found = list(zip(row.tolist(), kind.tolist(), start.tolist(), end.tolist(), strict=True))
        expected = [
            (sentence, *span)
            for sentence in range(batch)
            for span in entity_spans_from_ids(ids[sentence, : lengths[sentence]].tolist(), prefix, type_index)
        ]
        assert found == expected


def test_batch_spans_refuse_an_id_outside_the_classes_within_a_sentence() -> None:
    prefix, type_index, _ = span_table(["O", "B-PER", "I-PER"])
    with pytest.raises(ConfigError, match=r"class ids must lie in 0\.\.2.*Remove padding ids"):
        batch_entity_spans(np.array([[1, 3, 0]]), np.array([3]), prefix, type_index)
    row, *_ = batch_entity_spans(np.array([[1, 2, -100]]), np.array([2]), prefix, type_index)
    assert row.tolist() == [0]


def test_entity_counts_match_counting_sentence_by_sentence() -> None:
    generator = torch.Generator().manual_seed(0)
    targets = torch.randint(0, len(CONLL_CLASSES), (40, 12), generator=generator)
    preds = torch.where(
        torch.rand(40, 12, generator=generator) < 0.7,
        targets,
        torch.randint(0, 9, (40, 12), generator=generator),
    )
    lengths = torch.randint(1, 13, (40,), generator=generator)
    targets = targets.masked_fill(torch.arange(12)[None] >= lengths[:, None], -100)
    prefix, type_index, types = span_table(CONLL_CLASSES)
    counts = entity_counts(preds, targets, prefix, type_index, len(types))
    assert {key: value.tolist() for key, value in counts.items()} == reference_counts(
        preds, targets, CONLL_CLASSES
    )
