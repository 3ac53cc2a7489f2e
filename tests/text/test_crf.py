"""The CRF layer against brute force: its loss is the exact negative log-likelihood over every tag path, its
decoding the exact best path; forbidden transitions never appear in a decoded path."""

from __future__ import annotations

import itertools

import pytest
import torch

from trainwell.text.tagging.crf import CRF, allowed_transitions, viterbi


def _random_crf(n_tags: int, classes: list[str] | None = None) -> CRF:
    crf = CRF(n_tags, classes or [])
    with torch.no_grad():
        crf.transitions.normal_()
        crf.start.normal_()
        crf.end.normal_()
    return crf


def _path_score(crf: CRF, emissions: torch.Tensor, path: tuple[int, ...], transitions: torch.Tensor) -> float:
    score = crf.start[path[0]] + emissions[0, path[0]]
    for t in range(1, len(path)):
        score = score + transitions[path[t - 1], path[t]] + emissions[t, path[t]]
    return float((score + crf.end[path[-1]]).detach())


def _batch(seed: int, n_tags: int = 3, batch: int = 5, length: int = 5):
    generator = torch.Generator().manual_seed(seed)
    emissions = torch.randn(batch, length, n_tags, generator=generator)
    lengths = torch.randint(1, length + 1, (batch,), generator=generator)
    lengths[0] = length  # one full row, so the batch is as wide as its longest sentence
    mask = torch.arange(length)[None] < lengths[:, None]
    tags = torch.randint(0, n_tags, (batch, length), generator=generator).masked_fill(~mask, -100)
    return emissions, mask, tags, lengths


@pytest.mark.parametrize("seed", range(4))
def test_nll_is_the_exact_negative_log_likelihood_per_word(seed: int) -> None:
    torch.manual_seed(seed)
    crf = _random_crf(3)
    emissions, mask, tags, lengths = _batch(seed)
    total = 0.0
    for row in range(len(lengths)):
        n = int(lengths[row])
        paths = list(itertools.product(range(3), repeat=n))
        scores = torch.tensor([_path_score(crf, emissions[row, :n], p, crf.transitions) for p in paths])
        gold = _path_score(crf, emissions[row, :n], tuple(tags[row, :n].tolist()), crf.transitions)
        total += float(torch.logsumexp(scores, 0)) - gold
    assert float(crf.nll(emissions, tags, mask).detach()) == pytest.approx(
        total / int(lengths.sum()), rel=1e-5
    )


@pytest.mark.parametrize("seed", range(6))
def test_decode_finds_the_best_path_and_pads_after_each_sentence(seed: int) -> None:
    torch.manual_seed(seed)
    crf = _random_crf(3)
    emissions, mask, _, lengths = _batch(seed)
    decoded = crf.decode(emissions, mask)
    for row in range(len(lengths)):
        n = int(lengths[row])
        paths = list(itertools.product(range(3), repeat=n))
        scores = [_path_score(crf, emissions[row, :n], p, crf.transitions.detach()) for p in paths]
        assert tuple(decoded[row, :n].tolist()) == paths[max(range(len(paths)), key=scores.__getitem__)]
        assert decoded[row, n:].eq(-100).all()


@pytest.mark.parametrize("seed", range(3))
def test_marginals_are_each_words_tag_probability_over_all_paths(seed: int) -> None:
    torch.manual_seed(seed)
    crf = _random_crf(3)
    emissions, mask, _, lengths = _batch(seed)
    found = crf.marginals(emissions, mask).detach()
    for row in range(len(lengths)):
        n = int(lengths[row])
        paths = list(itertools.product(range(3), repeat=n))
        weights = torch.softmax(
            torch.tensor([_path_score(crf, emissions[row, :n], p, crf.transitions) for p in paths]), 0
        )
        expected = torch.zeros(n, 3)
        for path, weight in zip(paths, weights, strict=True):
            expected[torch.arange(n), torch.tensor(path)] += weight
        torch.testing.assert_close(found[row, :n], expected, atol=1e-5, rtol=1e-4)
        assert found[row, n:].eq(0).all()


def test_a_text_of_twenty_thousand_words_keeps_its_confidences() -> None:
    """A served tagger given one text of 150,000 words answered 500 (NaN confidences), and at 20,000 words its
    smallest confidence had fallen from 0.30 to 0.005: float32 forward-backward scores summed to hundreds of
    thousands and lost their digits. Each step's scores now stay relative: float32 gives float64's answer."""
    torch.manual_seed(0)
    crf = _random_crf(9, ["O", "B-LOC", "I-LOC", "B-MISC", "I-MISC", "B-ORG", "I-ORG", "B-PER", "I-PER"])
    sentence = torch.randn(1, 5, 9) * 8  # a trained encoder's scores are of this size
    emissions = sentence.repeat(1, 4000, 1)  # the same sentence, 20,000 words on one line
    mask = torch.ones(1, 20_000, dtype=torch.bool)
    found = crf.marginals(emissions, mask).detach()
    rules = [part.detach().double() for part in crf.rules()]
    with torch.no_grad():
        from trainwell.text.tagging.crf import marginals

        reference = marginals(emissions.double(), mask, *rules)
    assert torch.isfinite(found).all()
    torch.testing.assert_close(found.double(), reference, atol=1e-4, rtol=0)
    # Far from its ends, every copy of the sentence is read alike, as the first copies are.
    torch.testing.assert_close(found[0, 10_000:10_005], found[0, 10:15], atol=1e-4, rtol=0)
    decoded = crf.decode(emissions, mask)
    assert decoded[0].tolist() == viterbi(emissions.double(), mask, *rules)[0].tolist()


def test_decoding_never_breaks_the_iob2_rules() -> None:
    classes = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    crf = _random_crf(5, classes)
    with torch.no_grad():
        crf.transitions.zero_()
        crf.start.zero_()
    emissions = torch.zeros(2, 4, 5)
    emissions[:, :, 2] = 5.0  # I-PER everywhere is the likeliest tag of every word taken alone
    emissions[1, 1, 3] = 20.0  # and B-LOC, strongly, in the middle of row 1
    decoded = crf.decode(emissions, torch.ones(2, 4, dtype=torch.bool))
    follows, starts = allowed_transitions(classes)
    for row in decoded.tolist():
        assert starts[row[0]]
        assert all(follows[a, b] for a, b in itertools.pairwise(row))
    assert decoded[0].tolist() == [1, 2, 2, 2]  # the sentence opens with B-PER, then stays inside
    assert decoded[1, 1].item() == 3 and decoded[1, 2].item() == 1  # after B-LOC a person must begin anew


def test_allowed_transitions_of_iob2_and_plain_tags() -> None:
    follows, starts = allowed_transitions(["O", "B-PER", "I-PER", "B-LOC"])
    assert starts.tolist() == [True, True, False, True]
    assert follows[:, 2].tolist() == [False, True, True, False]  # I-PER only after B-PER or I-PER
    plain_follows, plain_starts = allowed_transitions(["NOUN", "VERB", "I"])  # "I" (no dash) is a plain tag
    assert plain_follows.all() and plain_starts.all()


def test_viterbi_matches_argmax_without_transitions() -> None:
    emissions = torch.randn(3, 6, 4)
    mask = torch.ones(3, 6, dtype=torch.bool)
    zeros = torch.zeros(4)
    path = viterbi(emissions, mask, torch.zeros(4, 4), zeros, zeros)
    assert torch.equal(path, emissions.argmax(-1))


def test_crf_learns_a_transition_the_words_do_not_show() -> None:
    # Tag 1 always follows tag 0 and the emissions say nothing: only the transitions can learn it.
    torch.manual_seed(0)
    crf = CRF(2)
    emissions = torch.zeros(8, 4, 2)
    tags = torch.tensor([[0, 1, 0, 1]] * 8)
    mask = torch.ones(8, 4, dtype=torch.bool)
    optimizer = torch.optim.Adam(crf.parameters(), lr=0.1)
    for _ in range(100):
        optimizer.zero_grad()
        crf.nll(emissions, tags, mask).backward()
        optimizer.step()
    assert crf.decode(emissions, mask)[0].tolist() == [0, 1, 0, 1]
