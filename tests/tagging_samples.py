"""Small tagged corpora for the sequence-labelling tests: entity sentences from templates (IOB2 tags) and
part-of-speech sentences, deterministic for a seed, written as CoNLL files when asked."""

from __future__ import annotations

import random
from pathlib import Path

# Jordan and Washington are people and places: only the context tells which, so the most-frequent-tag
# baseline must miss some of them.
PEOPLE = [
    "John Smith",
    "Mary",
    "Ahmed Khan",
    "Li Wei",
    "Anna Karenina",
    "Peter",
    "Tom",
    "Jordan",
    "Washington",
]
PLACES = ["Paris", "New York", "Berlin", "Lagos", "Tokyo", "Buenos Aires", "Oslo", "Jordan", "Washington"]
GROUPS = ["Acme Corp", "the United Nations", "Siemens", "Reuters", "Toyota Motor", "FIFA"]
TEMPLATES = [
    "{PER} lives in {LOC} .",
    "{PER} works for {ORG} in {LOC} .",
    "{ORG} hired {PER} last year .",
    "In {LOC} , {PER} met {PER} .",
    "{ORG} opened an office in {LOC} .",
    "the weather was fine .",
    "{PER} said {ORG} would grow .",
]


def entity_sentences(n: int, seed: int = 0) -> list[tuple[list[str], list[str]]]:
    """``n`` (words, IOB2 tags) pairs."""
    rng = random.Random(seed)
    names = {"PER": PEOPLE, "LOC": PLACES, "ORG": GROUPS}
    sentences = []
    for _ in range(n):
        words: list[str] = []
        tags: list[str] = []
        for piece in rng.choice(TEMPLATES).split():
            if piece.startswith("{"):
                kind = piece[1:4]
                name = rng.choice(names[kind]).split()
                if name[0] == "the":  # "the United Nations": the article is outside the entity
                    words.append("the")
                    tags.append("O")
                    name = name[1:]
                words.extend(name)
                tags.extend([f"B-{kind}"] + [f"I-{kind}"] * (len(name) - 1))
            else:
                words.append(piece)
                tags.append("O")
        sentences.append((words, tags))
    return sentences


POS_LEXICON = {
    "DET": ["the", "a", "every"],
    "NOUN": ["dog", "cat", "bird", "house", "tree"],
    "VERB": ["sees", "likes", "chases", "finds"],
    "ADJ": ["big", "small", "red", "old"],
    "PUNCT": ["."],
}


def pos_sentences(n: int, seed: int = 0) -> list[tuple[list[str], list[str]]]:
    """``n`` (words, UPOS tags) pairs: DET (ADJ) NOUN VERB DET (ADJ) NOUN PUNCT."""
    rng = random.Random(seed)
    pattern = ["DET", "ADJ?", "NOUN", "VERB", "DET", "ADJ?", "NOUN", "PUNCT"]
    sentences = []
    for _ in range(n):
        words, tags = [], []
        for slot in pattern:
            tag = slot.rstrip("?")
            if slot.endswith("?") and rng.random() < 0.5:
                continue
            words.append(rng.choice(POS_LEXICON[tag]))
            tags.append(tag)
        sentences.append((words, tags))
    return sentences


def write_conll_file(
    path: Path, sentences: list[tuple[list[str], list[str]]], *, docstart: bool = False
) -> Path:
    """``word tag`` lines with a blank line between sentences (``-DOCSTART-`` first when asked)."""
    lines = ["-DOCSTART- O", ""] if docstart else []
    for words, tags in sentences:
        lines.extend(f"{w} {t}" for w, t in zip(words, tags, strict=True))
        lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


#: A tagger small enough to train an epoch in a moment: what the tests of predicting and serving need.
SMALL_TAGGER = {"word_dim": 8, "char_dim": 4, "char_filters": 4, "casing_dim": 2, "hidden": 8, "dropout": 0.1}


def export_small_tagger(folder: Path) -> Path:
    """A :data:`SMALL_TAGGER` entity tagger trained one epoch on 30 sentences (10 to validate), exported under
    ``folder``: the model folder, for tests of what loads, predicts and serves it (not of how well it tags)."""
    from trainwell.text import tagging_data, tagging_learner

    data = tagging_data(entity_sentences(30, seed=1), valid=entity_sentences(10, seed=2), batch_size=16)
    learn = tagging_learner(data, arch_config=SMALL_TAGGER, progress=False)
    learn.fit_one_cycle(1)
    return learn.export(folder / "m")


CONLL_CLASSES = ["O", "B-LOC", "I-LOC", "B-MISC", "I-MISC", "B-ORG", "I-ORG", "B-PER", "I-PER"]


def random_crf(seed: int, batch: int, length: int, scale: float):  # type: ignore[no-untyped-def]
    """Random CRF inputs over CoNLL's nine IOB2 tags, for a seed: ``(scores, mask, transitions, start, end)``,
    emission scores of ``scale`` standard deviations, ragged lengths (the first sentence the longest) and the
    transitions IOB2 forbids made very costly (-1e4)."""
    import torch

    from trainwell.text.tagging.crf import allowed_transitions

    generator = torch.Generator().manual_seed(seed)
    n_tags = len(CONLL_CLASSES)
    scores = torch.randn(batch, length, n_tags, generator=generator) * scale
    lengths = torch.randint(1, length + 1, (batch,), generator=generator)
    lengths[0] = length
    mask = torch.arange(length)[None] < lengths[:, None]
    follows, starts = allowed_transitions(CONLL_CLASSES)
    transitions = torch.randn(n_tags, n_tags, generator=generator) + (~follows) * -1e4
    start = torch.randn(n_tags, generator=generator) + (~starts) * -1e4
    end = torch.randn(n_tags, generator=generator)
    return scores, mask, transitions, start, end
