"""Token scores of a held-out text made to order, for the language-model report's sections."""

from __future__ import annotations

import numpy as np

from trainwell.text.lm_eval import HeldOutText, TokenScores


def token_scores(p_top: np.ndarray, right_share: float, *, costly_middle: bool = False) -> TokenScores:
    """One text of ``len(p_top)`` tokens whose first guesses state ``p_top`` and are right for the first
    ``right_share`` of the tokens; ``costly_middle`` makes the token mid-text cost 9 nats instead of 1."""
    n_tokens = len(p_top)
    held = HeldOutText(
        ids=np.arange(n_tokens + 1) % 7,
        groups=np.zeros(n_tokens, dtype=np.int64),
        text_of_token=np.zeros(n_tokens, dtype=np.int64),
        n_texts=1,
        n_chars=5 * n_tokens,
    )
    rank = np.where(np.arange(n_tokens) < right_share * n_tokens, 0, 3)
    nll = np.ones(n_tokens)
    if costly_middle:
        nll[n_tokens // 2] = 9.0
    return TokenScores("trainwell", nll, held, rank=rank, p_top=np.asarray(p_top, dtype=float))
