"""The losses of a language model: the mean cross-entropy per token, and a sampled softmax for training.

The full softmax over a 10k vocabulary costs more than the LSTM itself on a CPU. The sampled softmax (Jean et al.
2015) scores each batch's true next word against ``n_samples`` words drawn from the smoothed unigram
distribution, importance-weighted by ``1 / expected count`` so the loss estimates the full cross-entropy, and the
decoder stays tied to the embedding. Validation, perplexity, the cache and generation always use the full,
exactly normalised softmax.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["LMLoss", "lm_cross_entropy", "sampled_softmax_loss", "unigram_proposal"]


def lm_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy per token: ``logits (B, T, V)``, ``targets (B, T)``."""
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(), targets.reshape(-1))


def sampled_softmax_loss(
    features: torch.Tensor,
    targets: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    proposal: torch.Tensor,
    n_samples: int,
) -> torch.Tensor:
    """Sampled-softmax cross-entropy: the true word against ``n_samples`` words drawn from ``proposal``.

    Args:
        features: ``(N, E)`` decoder inputs.
        targets: ``(N,)`` true next words.
        weight, bias: The decoder, ``(V, E)`` and ``(V,)``.
        proposal: ``(V,)`` sampling probabilities (sum 1).
        n_samples: Words drawn (with replacement) per batch, shared by every position.

    Each sampled logit is corrected by ``-log(n_samples · q(w))`` and a sampled word equal to a position's
    true word is masked out for that position ("accidental hits"), so the sampled terms estimate the softmax
    normaliser over the other words without bias and the loss tends to the full cross-entropy as
    ``n_samples`` grows.
    """
    sampled = torch.multinomial(proposal, n_samples, replacement=True)  # (S,)
    log_expected = torch.log(proposal * n_samples)
    true_logits = (features * weight[targets]).sum(-1)  # (N,)
    sampled_logits = features @ weight[sampled].t() - log_expected[sampled]  # (N, S)
    if bias is not None:
        true_logits = true_logits + bias[targets]
        sampled_logits = sampled_logits + bias[sampled]
    sampled_logits = sampled_logits.masked_fill(sampled[None, :] == targets[:, None], float("-inf"))
    logits = torch.cat([true_logits[:, None], sampled_logits], dim=1).float()
    return F.cross_entropy(logits, torch.zeros_like(targets))


class LMLoss(nn.Module):
    """Full softmax cross-entropy, or a sampled softmax in training when the model outputs features.

    With ``n_samples`` set, the model is switched to return its last layer's features in training (its
    ``decode_in_training`` flag) and this loss applies the decoder on the sampled words only.
    """

    def __init__(self, model: nn.Module, *, n_samples: int = 0, proposal: torch.Tensor | None = None) -> None:
        super().__init__()
        self.model = [model]  # a list: the model's parameters must not become this module's
        self.n_samples = int(n_samples)
        self.proposal: torch.Tensor = proposal if proposal is not None else torch.empty(0)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        model = self.model[0]
        if self.n_samples and model.training:
            decoder: nn.Linear = model.decoder  # type: ignore[assignment]
            proposal = self.proposal.to(pred.device)
            return sampled_softmax_loss(
                pred.reshape(-1, pred.size(-1)),
                target.reshape(-1),
                decoder.weight,
                decoder.bias,
                proposal,
                self.n_samples,
            )
        return lm_cross_entropy(pred, target)


def unigram_proposal(ids: torch.Tensor, vocab_size: int, power: float = 0.75) -> torch.Tensor:
    """Training-word frequencies to the power 0.75 (word2vec's smoothing), with every word possible."""
    counts = torch.bincount(ids.cpu(), minlength=vocab_size).double()
    weights = (counts + 1.0).pow(power)
    return (weights / weights.sum()).float()
