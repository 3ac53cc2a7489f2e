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

``--predict MODEL_DIR`` (a tagger directory with ``model.onnx``) times prediction instead: the first
``--sentences`` CoNLL-2003 validation sentences tagged by the ONNX predictor, as it decoded before (each group of
one sentence length decoded alone, with PyTorch's operators, step by step) and now (the groups' scores padded
together and decoded in one pass, in numpy), interleaved; the tags must be equal. Writes
``benchmarks/results/tagger_predict_speed.json``.

    python benchmarks/tagger_speed.py --predict MODEL_DIR --sentences 25 --repeats 5
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
    parser.add_argument("--predict", type=Path, help="a tagger's model directory (with model.onnx)")
    parser.add_argument("--sentences", type=int, default=25, help="validation sentences to tag (--predict)")
    args = parser.parse_args()
    folder = SHARED_DATA / "conll2003"
    if not folder.is_dir():
        print(
            f"skipped: needs CoNLL-2003 at {folder} (the shared datasets are not shipped with the repository)"
        )
        return
    if args.predict is not None:
        predict_speed(args.predict, folder, args.sentences, args.repeats)
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


def _torch_steps_decode(scores: Any, mask: Any, transitions: Any, start: Any, end: Any) -> tuple[Any, Any]:
    """Viterbi and forward-backward as the predictor ran them before: PyTorch operators, one step per word."""
    import torch

    batch, length, n_tags = scores.shape
    best, back = start + scores[:, 0], []
    for t in range(1, length):
        top, index = (best.unsqueeze(2) + transitions).max(dim=1)
        top = top + scores[:, t]
        best = torch.where(mask[:, t : t + 1], top - top.max(dim=1, keepdim=True).values, best)
        back.append(torch.where(mask[:, t : t + 1], index, torch.arange(n_tags)))
    last, path = (best + end).argmax(dim=1, keepdim=True), []
    path.append(last)
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
        step = centred(
            torch.logsumexp(transitions.unsqueeze(0) + (betas[-1] + scores[:, t + 1]).unsqueeze(1), dim=2)
        )
        betas.append(torch.where(mask[:, t + 1 : t + 2], step, betas[0]))
    both = torch.stack(alphas, dim=1) + torch.stack(betas[::-1], dim=1)
    return paths, torch.softmax(both, dim=2) * mask.unsqueeze(2)


def predict_speed(model_dir: Path, folder: Path, n_sentences: int, repeats: int) -> None:
    """Tag ``n_sentences`` validation sentences with the ONNX predictor, decoding as before and as now."""
    import torch

    from trainwell.text.tagging.conll import read_conll
    from trainwell.text.tagging.onnx import BATCH_SENTENCES, OnnxTaggerPredictor, _by_length, run_tagger
    from trainwell.text.tagging.recipe import tagging_batch

    class Before(OnnxTaggerPredictor):
        def _scored(self, sentences: Any, encoded: Any) -> Any:
            for rows in _by_length(sentences, BATCH_SENTENCES):  # each length's group decoded alone
                words, casing, chars = tagging_batch(encoded, rows)
                scores = run_tagger(self.session, words.numpy(), casing.numpy(), chars.numpy())
                yield rows, torch.from_numpy(scores), words != self.recipe.pad_id

        def _decode(self, scores: Any, mask: Any) -> Any:
            return _torch_steps_decode(scores.float(), mask, self.follow, self.start, self.end)

    sentences = read_conll(folder / "valid.txt.gz").tokens()[:n_sentences]
    variants = {"before": Before(model_dir), "now": OnnxTaggerPredictor(model_dir)}
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    tags: dict[str, list[list[str]]] = {}
    for repeat in range(repeats):
        for name in variants if repeat % 2 == 0 else list(variants)[::-1]:
            began = time.perf_counter()
            tagged = variants[name].tag(sentences)
            seconds[name].append(time.perf_counter() - began)
            tags[name] = [sentence.tags for sentence in tagged]
    equal = tags["before"] == tags["now"]
    before, now = median(seconds["before"]), median(seconds["now"])
    lengths = sorted({len(sentence) for sentence in sentences})
    print_table(
        f"ONNX tagger, {len(sentences)} CoNLL-2003 validation sentences ({len(lengths)} lengths, up to "
        f"{lengths[-1]} words), median of {repeats} (seconds)",
        ["pass", "before", "now", "speed-up"],
        [["tag", before, now, before / now]],
    )
    print(f"tags equal: {equal}")
    path = write_results(
        "tagger_predict_speed",
        {
            "machine": machine_info(),
            "model": str(model_dir),
            "sentences": len(sentences),
            "distinct_lengths": len(lengths),
            "repeats": repeats,
            "seconds": seconds,
            "tags_equal": equal,
        },
    )
    print(f"wrote {path}")
    if not equal:
        raise SystemExit("the tags differ between the two decodings")


if __name__ == "__main__":
    main()
