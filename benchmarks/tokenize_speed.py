"""How fast is text preparation? Word tokenizer, vocabulary and BPE subwords on the 25,000 IMDB training reviews.

The cases, each timed ``--repeat`` times (median counts), every one from the raw review strings:

* ``word, 1 process`` - :class:`trainwell.text.WordTokenizer` in this process;
* ``word, N workers`` - the same with ``n_workers=N`` (forked workers; ``--workers``, default 2);
* ``vocab build + encode`` - :meth:`Vocab.build` (min_freq 3, max 60,000) and :meth:`Vocab.encode_many` on
  the word tokens from the first case (numericalisation only, tokenizing not included);
* ``<kind> train`` - :meth:`SubwordTokenizer.train` (word rules + ``tokenizers`` training, ``--vocab-size``);
* ``<kind> encode`` - :meth:`SubwordTokenizer.encode_many` of all reviews with the trained model.

Tokens per second count the tokens produced (word tokens, or subword pieces for the encode case). The
machine may be shared: compare runs by their ``load_average_1min`` before trusting a difference.

Run: ``python benchmarks/tokenize_speed.py [--repeat 3] [--workers 2] [--kinds bpe unigram] [--limit N]``.
Writes ``benchmarks/results/tokenize_speed.json`` (``tokenize_speed_quick.json`` with ``--limit``).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import sys
import time
from collections.abc import Callable
from typing import Any

from _common import SHARED_DATA, machine_info, median, print_table, write_results

IMDB_TRAIN = SHARED_DATA / "imdb" / "train.csv.gz"


def load_reviews(limit: int | None) -> list[str]:
    with gzip.open(IMDB_TRAIN, "rb") as raw:
        rows = csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
        texts = [row["text"] for row in rows]
    return texts[:limit] if limit else texts


def timed(function: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    """Seconds of each of ``repeat`` calls, and the last result."""
    samples: list[float] = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        samples.append(time.perf_counter() - start)
    return samples, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per case (median taken)")
    parser.add_argument("--workers", type=int, default=2, help="processes for the multi-process case")
    parser.add_argument("--kinds", nargs="+", default=["bpe"], choices=["bpe", "unigram"])
    parser.add_argument("--vocab-size", type=int, default=8000, help="subword vocabulary size")
    parser.add_argument(
        "--limit", type=int, default=None, help="use only the first N reviews (a quick check)"
    )
    args = parser.parse_args(argv)
    if not IMDB_TRAIN.is_file():
        print(f"skipped: {IMDB_TRAIN} not found (the IMDB files live in ../shared/data/imdb)")
        return 0

    import torch

    from trainwell.text import SubwordTokenizer, Vocab, WordTokenizer

    reviews = load_reviews(args.limit)
    n_chars = sum(map(len, reviews))
    tokenizer = WordTokenizer()
    cases: dict[str, dict[str, Any]] = {}

    def record(name: str, samples: list[float], n_tokens: int, **extra: Any) -> None:
        seconds = median(samples)
        cases[name] = {"median_s": seconds, "samples_s": samples, "tokens": n_tokens, **extra}
        cases[name]["tokens_per_s"] = n_tokens / seconds if seconds > 0 else float("nan")
        print(f"  {name}: {seconds:.2f} s", flush=True)

    print(f"{len(reviews)} IMDB training reviews, {n_chars / 1e6:.1f} M characters", flush=True)
    samples, token_lists = timed(lambda: tokenizer.tokenize_many(reviews), args.repeat)
    n_word_tokens = sum(map(len, token_lists))
    record("word, 1 process", samples, n_word_tokens)

    samples, parallel_lists = timed(
        lambda: tokenizer.tokenize_many(reviews, n_workers=args.workers), args.repeat
    )
    if parallel_lists != token_lists:
        raise AssertionError("tokens from the workers differ from the single-process tokens")
    record(f"word, {args.workers} workers", samples, n_word_tokens)

    def build_and_encode() -> tuple[Vocab, torch.Tensor]:
        vocab = Vocab.build(token_lists, min_freq=3, max_size=60_000)
        ids, _ = vocab.encode_many(token_lists)
        return vocab, ids

    samples, (vocab, _) = timed(build_and_encode, args.repeat)
    record("vocab build + encode", samples, n_word_tokens, vocab_size=len(vocab))

    for kind in args.kinds:
        samples, subwords = timed(
            lambda kind=kind: SubwordTokenizer.train(reviews, kind=kind, vocab_size=args.vocab_size),
            args.repeat,
        )
        record(f"{kind} train", samples, n_word_tokens, vocab_size=len(subwords), pieces=subwords.n_pieces)
        samples, (ids, _) = timed(lambda subwords=subwords: subwords.encode_many(reviews), args.repeat)
        record(f"{kind} encode", samples, len(ids), pieces_per_word=len(ids) / n_word_tokens)

    print_table(
        f"Text preparation on {len(reviews)} IMDB reviews (median of {args.repeat}; tokens = word tokens, "
        "or subword pieces for encode)",
        ["case", "seconds", "tokens", "tokens/s", "note"],
        [
            [
                name,
                case["median_s"],
                case["tokens"],
                f"{case['tokens_per_s']:,.0f}",
                f"vocab {case['vocab_size']}"
                if "vocab_size" in case
                else f"{case['pieces_per_word']:.2f} pieces/word"
                if "pieces_per_word" in case
                else "",
            ]
            for name, case in cases.items()
        ],
    )
    payload = {
        "benchmark": "tokenize_speed",
        "machine": machine_info(repeat=args.repeat, workers=args.workers, vocab_size=args.vocab_size),
        "data": {"file": str(IMDB_TRAIN), "reviews": len(reviews), "characters": n_chars},
        "cases": cases,
    }
    name = "tokenize_speed_quick" if args.limit else "tokenize_speed"  # a quick check keeps the full result
    print(f"wrote {write_results(name, payload)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
