"""Speed of the BiLSTM-CRF tagger on CPU, one thread: a training epoch over CoNLL-2003's first 2,000 training
sentences and a validation pass (``learn.validate()``, loss and entity metrics) over its 3,250 validation
sentences.

Each repeat runs two variants from the same weights, interleaved so that a busy machine slows both alike:

- **fast paths** (the model as it runs on CPU): the character CNN reads each distinct spelling of a batch once,
  and with gradients on the LSTM runs over padded sentences (each reversed in place for its backward direction);
- **plain paths**: the CNN reads every position of the batch and the LSTM packed sentences, as the model did
  before (the paths it still takes when traced for export).

Both decode and count entities with the current Viterbi and span code. Their losses and metrics must agree (to
float tolerance: sums group otherwise); the table gives the median seconds and their ratio. Skips with the reason when ``../shared/data/conll2003`` is absent.
Writes ``benchmarks/results/tagger_speed.json``.

    python benchmarks/tagger_speed.py --repeats 3
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED_DATA, machine_info, median, print_table, write_results

VARIANTS = ("fast paths", "plain paths")


def _epoch(model: Any, loader: Any, optimizer: Any) -> float:
    """One training epoch over ``loader``; the mean loss per batch."""
    model.train()
    total, batches = 0.0, 0
    for rows in loader.batches():
        *inputs, tags = loader.batch(rows)
        loss = model.loss(model(*inputs), tags)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total, batches = total + loss.item(), batches + 1
    return total / max(batches, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--train-sentences", type=int, default=2000)
    args = parser.parse_args()
    folder = SHARED_DATA / "conll2003"
    if not folder.is_dir():
        print(
            f"skipped: needs CoNLL-2003 at {folder} (the shared datasets are not shipped with the repository)"
        )
        return

    import torch

    from trainwell.text import tagging_data
    from trainwell.text.tagging import models
    from trainwell.text.tagging.data import TaggingLoader
    from trainwell.text.tagging.learner import tagging_learner
    from trainwell.text.tagging.recipe import EncodedSentences

    torch.set_num_threads(1)
    data = tagging_data(folder)
    train, n = data.train, args.train_sentences
    words_end = int(train.encoded.offsets[n])
    first = EncodedSentences(
        train.encoded.words[:words_end],
        train.encoded.casing[:words_end],
        train.encoded.chars[:words_end],
        train.encoded.offsets[: n + 1],
    )
    loader = TaggingLoader(
        first,
        train.tags[:words_end],
        train.batch_size,
        shuffle=True,
        seed=0,
        rare=train.rare,
        rare_word_dropout=0.5,
    )
    torch.manual_seed(0)
    learn = tagging_learner(data, baseline=False, progress=False)
    model = learn.model
    exporting = models._exporting
    seconds: dict[str, dict[str, list[float]]] = {name: {"train": [], "valid": []} for name in VARIANTS}
    results: dict[str, list[dict[str, float]]] = {name: [] for name in VARIANTS}
    for repeat in range(args.repeats):
        start_state = {key: value.clone() for key, value in model.state_dict().items()}
        for name in VARIANTS if repeat % 2 == 0 else VARIANTS[::-1]:
            model.load_state_dict(start_state)
            models._exporting = (lambda: True) if name == "plain paths" else exporting  # type: ignore[assignment]
            torch.manual_seed(repeat)  # the same dropout masks for both variants
            optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
            began = time.perf_counter()
            train_loss = _epoch(model, loader, optimizer)
            seconds[name]["train"].append(time.perf_counter() - began)
            began = time.perf_counter()
            scores = learn.validate()
            seconds[name]["valid"].append(time.perf_counter() - began)
            results[name].append({"train_loss": train_loss, **scores})
        models._exporting = exporting  # type: ignore[assignment]
    disagreement = max(
        abs(fast[key] - plain[key])
        for fast, plain in zip(results[VARIANTS[0]], results[VARIANTS[1]], strict=True)
        for key in fast
    )
    rows = []
    for phase in ("train", "valid"):
        fast, plain = median(seconds[VARIANTS[0]][phase]), median(seconds[VARIANTS[1]][phase])
        label = (
            f"train epoch ({n:,} sentences)"
            if phase == "train"
            else f"validate ({data.valid.n_rows:,} sentences)"
        )
        rows.append([label, plain, fast, plain / fast])
    print_table(
        f"BiLSTM-CRF on CoNLL-2003, 1 thread, median of {args.repeats} (seconds)",
        ["pass", "plain paths", "fast paths", "speed-up"],
        rows,
    )
    print(f"largest difference in a loss or metric between the variants: {disagreement:.2e}")
    path = write_results(
        "tagger_speed",
        {
            "machine": machine_info(),
            "train_sentences": n,
            "valid_sentences": data.valid.n_rows,
            "repeats": args.repeats,
            "seconds": seconds,
            "results": results,
            "largest_difference": disagreement,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
