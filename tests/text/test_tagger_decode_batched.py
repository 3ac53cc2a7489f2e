"""The ONNX tagger decodes sentences of many lengths together: its graph still runs once per length, but the
groups' scores are padded into one batch and decoded in one pass (each length's group decoded alone made a
request of 25 CoNLL sentences cost 19 s against 0.6 s for 25 copies of one). The tags and confidences are each
sentence's own, whatever it is batched with, and the PyTorch predictor's; the numpy decoding gives the paths and
probabilities the PyTorch operators gave."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from tagging_samples import entity_sentences, random_crf
from trainwell.export import load
from trainwell.text import tagging_data, tagging_learner
from trainwell.text.tagging.crf import marginals, viterbi

pytest.importorskip("onnxruntime", reason="ONNX export is an optional extra: pip install 'trainwell[onnx]'")

from trainwell.export.onnx import export_onnx
from trainwell.text.tagging.onnx import OnnxTaggerPredictor

SMALL = {"word_dim": 16, "char_dim": 8, "char_filters": 8, "casing_dim": 4, "hidden": 16, "dropout": 0.1}


class CountingOnnxTagger(OnnxTaggerPredictor):
    """The ONNX predictor, counting its decoding passes."""

    passes = 0

    def _decode(self, scores: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        self.passes += 1
        return super()._decode(scores, mask)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tagging_data(entity_sentences(150, seed=1), valid_pct=0.2, batch_size=16)
    learn = tagging_learner(data, arch_config=SMALL, progress=False, lr=2e-2)
    learn.fit_one_cycle(2)
    out = learn.export(tmp_path_factory.mktemp("tagger") / "model")
    export_onnx(out)
    return out


def _mixed_lengths() -> list[list[str]]:
    """Sentences of 1 to 41 words, lengths shuffled, some repeated."""
    words = [w for sentence, _ in entity_sentences(40, seed=5) for w in sentence]
    lengths = [7, 1, 41, 3, 12, 7, 25, 2, 33, 12, 5, 19, 1, 28, 9]
    return [[words[(i * 7 + j) % len(words)] for j in range(n)] for i, n in enumerate(lengths)]


def test_sentences_of_many_lengths_are_decoded_in_one_pass(model_dir: Path) -> None:
    sentences = _mixed_lengths()
    tagger = CountingOnnxTagger(model_dir)
    together = tagger.tag_words_with_confidence(sentences)
    assert tagger.passes == 1  # 12 distinct lengths, one decoding
    alone = [tagger.tag_words_with_confidence([sentence])[0] for sentence in sentences]
    for (tags, confidences), (tags_alone, confidences_alone) in zip(together, alone, strict=True):
        assert tags == tags_alone
        assert confidences == pytest.approx(confidences_alone, abs=1e-6)
    assert [tags for tags, _ in together] == load(model_dir).tag_words(sentences)


def test_empty_sentences_keep_their_places(model_dir: Path) -> None:
    sentences = _mixed_lengths()[:4]
    tagged = OnnxTaggerPredictor(model_dir).tag_words([[], *sentences[:2], [], sentences[2]])
    expected = OnnxTaggerPredictor(model_dir).tag_words(sentences[:3])
    assert tagged == [[], expected[0], expected[1], [], expected[2]]


def _torch_reference(scores: Any, mask: Any, transitions: Any, start: Any, end: Any) -> tuple[Any, Any]:
    """Viterbi and forward-backward with PyTorch's operators, as the predictor ran them before."""
    batch, length, n_tags = scores.shape
    best, back = start + scores[:, 0], []
    for t in range(1, length):
        top, index = (best.unsqueeze(2) + transitions).max(dim=1)
        top = top + scores[:, t]
        best = torch.where(mask[:, t : t + 1], top - top.max(dim=1, keepdim=True).values, best)
        back.append(torch.where(mask[:, t : t + 1], index, torch.arange(n_tags)))
    last = (best + end).argmax(dim=1, keepdim=True)
    path = [last]
    for index in reversed(back):
        last = index.gather(1, last)
        path.append(last)
    paths = torch.cat(path[::-1], dim=1).masked_fill(~mask, -100)

    def centred(values: Any) -> Any:
        return values - torch.logsumexp(values, dim=1, keepdim=True)

    alphas = [centred(start + scores[:, 0])]
    for t in range(1, length):
        step = centred(torch.logsumexp(alphas[-1].unsqueeze(2) + transitions, dim=1) + scores[:, t])
        alphas.append(torch.where(mask[:, t : t + 1], step, alphas[-1]))
    betas = [centred(end.expand(batch, n_tags))]
    for t in range(length - 2, -1, -1):
        ahead = (betas[-1] + scores[:, t + 1]).unsqueeze(1)
        step = centred(torch.logsumexp(transitions.unsqueeze(0) + ahead, dim=2))
        betas.append(torch.where(mask[:, t + 1 : t + 2], step, betas[0]))
    both = torch.stack(alphas, dim=1) + torch.stack(betas[::-1], dim=1)
    return paths, torch.softmax(both, dim=2) * mask.unsqueeze(2)


@pytest.mark.parametrize("seed", range(4))
def test_numpy_decoding_gives_what_the_torch_operators_gave(seed: int) -> None:
    scores, mask, transitions, start, end = random_crf(seed, 9, [1, 4, 23, 60][seed], scale=4)
    paths, probabilities = _torch_reference(scores, mask, transitions, start, end)
    assert torch.equal(viterbi(scores, mask, transitions, start, end), paths)
    found = marginals(scores, mask, transitions, start, end)
    assert found.dtype == torch.float32
    torch.testing.assert_close(found, probabilities, atol=1e-6, rtol=1e-5)
