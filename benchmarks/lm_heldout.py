"""A language model judged on held-out text, as ``trainwell evaluate CORPUS --task language_model`` does it.

Tiny Shakespeare (``../shared/data/tinyshakespeare``, about 200,000 words): the model is trained on the first 90%
of its lines and judged on the last 10% (the end of the collection, never seen in training), beside a unigram
and an interpolated Kneser-Ney trigram counted on the same training tokens. Each perplexity has a 95% bootstrap
interval over the test lines, and each comparison is paired on the same tokens.

    python benchmarks/lm_heldout.py --epochs 12                  # the library's default size (CPU: 256/512x2)
    python benchmarks/lm_heldout.py --sizes 400,1150,3 --epochs 3 --name lm_heldout_paper
    python benchmarks/lm_heldout.py --epochs 0 --name lm_heldout_default   # the default length (~3,000 steps)

Writes ``benchmarks/results/<name>.json`` (default ``lm_heldout``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED_DATA, machine_info, print_table, write_results

CORPUS = SHARED_DATA / "tinyshakespeare" / "input.txt.gz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--epochs", type=int, default=12, help="0: the library's default (about 3,000 optimizer steps)"
    )
    parser.add_argument(
        "--sizes", default=None, help="emb,hidden,layers (default: the library's for the device)"
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", default="lm_heldout")
    args = parser.parse_args()
    if not CORPUS.is_file():
        print(f"skipped: {CORPUS} not found (the shared datasets are not beside this checkout)")
        return
    import torch

    from trainwell.text.lm_evaluation import evaluate_language_model

    torch.set_num_threads(args.threads)
    learner_kwargs: dict[str, Any] = {}
    if args.sizes:
        emb, hidden, layers = (int(part) for part in args.sizes.split(","))
        learner_kwargs = {"emb_size": emb, "hidden_size": hidden, "n_layers": layers}
    start = time.perf_counter()
    evaluation = evaluate_language_model(
        CORPUS, epochs=args.epochs or None, seed=args.seed, progress=False, learner_kwargs=learner_kwargs
    )
    total = time.perf_counter() - start
    rows = []
    for score in evaluation.scores:
        perplexity, low, high = score.perplexity_interval()
        rows.append(
            [
                score.name,
                f"{perplexity:.1f}",
                f"[{low:.1f}, {high:.1f}]",
                f"{score.bits_per_char:.3f}",
                "" if score.rank is None else f"{score.accuracy(1):.3f}",
            ]
        )
    held = evaluation.held_out
    print_table(
        f"Tiny Shakespeare, held-out last 10% ({held.n_tokens:,} tokens of {held.n_texts:,} lines)",
        ["model", "perplexity", "95% CI", "bits per char", "next-word accuracy"],
        rows,
    )
    for ratio in evaluation.comparisons():
        print(ratio.sentence())
    print(f"training {evaluation.seconds:.0f} s, in all {total:.0f} s")
    write_results(
        args.name,
        {
            "machine": machine_info(threads=args.threads),
            "config": vars(args),
            **evaluation.to_dict(),
            "total_seconds": total,
        },
    )


if __name__ == "__main__":
    main()
