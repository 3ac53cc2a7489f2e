"""Tagged sentences stored in Parquet, as the Hugging Face Hub stores CoNLL-2003, read as CoNLL files.

The Hub keeps a sequence-labelling dataset as Parquet rows of a sentence's ``tokens`` (a list of words) beside
one list of tags per layer (``pos_tags``, ``chunk_tags``, ``ner_tags``: numbers the file's features name).
:func:`tagged_columns` finds such a file's columns, and :func:`conll_tree` writes each split once as a CoNLL file
(``train.txt``, ``valid.txt``, ``test.txt``: a word and its tags a line, a blank line between sentences) under
``$TRAINWELL_CACHE/joined``: the folder the tagger reads, its last column (``ner_tags``) tagged by default.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["conll_tree", "tagged_columns"]

#: Names the Hub gives a sentence's words.
_WORD_COLUMNS = ("tokens", "words")


def tagged_columns(path: Path) -> tuple[str, list[str], dict[str, list[str]]] | None:
    """``(words column, tag columns, tag names by column)`` of a Parquet file of tagged sentences, else ``None``:
    a list-of-text column named ``tokens`` or ``words`` beside list columns of tags (numbers or text)."""
    from trainwell.core.columnar import columnar_schema, hub_features

    schema = columnar_schema(path)
    if schema is None:
        return None
    import pyarrow as pa

    lists = {
        str(field.name): field.type.value_type
        for field in schema
        if pa.types.is_list(field.type) or pa.types.is_large_list(field.type)
    }
    words = next((name for name in _WORD_COLUMNS if name in lists and pa.types.is_string(lists[name])), None)
    tags = [
        name
        for name, kind in lists.items()
        if name != words and (pa.types.is_integer(kind) or pa.types.is_string(kind))
    ]
    if words is None or not tags:
        return None
    features = hub_features(schema)
    names: dict[str, list[str]] = {}
    for name in tags:
        feature = features.get(name, {}) if isinstance(features, dict) else {}
        inner = feature.get("feature", {}) if isinstance(feature, dict) else {}
        if isinstance(inner, dict) and isinstance(inner.get("names"), list):
            names[name] = [str(tag) for tag in inner["names"]]
    return words, tags, names


def conll_tree(folder: Path, splits: dict[str, list[Path]], say: Callable[[str], None]) -> Path | None:
    """The splits' tagged sentences written once as CoNLL files (``train.txt``...) in a folder under the cache;
    said with ``say``. ``None`` when the training split holds no tagged sentences."""
    from trainwell.cli._splits import made_once

    found = tagged_columns(next(iter(splits.values()))[0])
    if found is None:
        return None
    words, tags, names = found

    def write(partial: Path) -> dict[str, int]:
        return {
            split: _write_conll(splits[split], partial / f"{split}.txt", words, tags, names)
            for split in ("train", "valid", "test")
            if split in splits
        }

    paths = [path for split in sorted(splits) for path in splits[split]]
    root, counts = made_once(folder, "conll", paths, f"{words}|{tags}|{sorted(splits)}", write)
    from trainwell.data.splits import _listed

    shown = "; ".join(f"{split} {count:,}" for split, count in counts.items())
    roles = {"train": "training", "valid": "validation", "test": "test (scored after the fit)"}
    sources = "; ".join(
        f"{roles[split]} from {_listed(splits[split])}" for split in counts
    )  # which file is which
    say(
        f"'{folder}': tagged sentences in Parquet (words '{words}', tags {', '.join(tags)}; the last is tagged "
        f"unless --tag-col names another), written once as CoNLL files ({shown} sentences) in '{root}': {sources}"
    )
    return root


def _write_conll(
    paths: list[Path], out: Path, words: str, tags: list[str], names: dict[str, list[str]]
) -> int:
    """Write the sentences of ``paths`` as one CoNLL file; how many were written (empty ones are left out)."""
    from trainwell.core.columnar import batches_of

    sentences = 0
    with out.open("w", encoding="utf-8") as stream:
        for path in paths:
            for batch in batches_of(path, [words, *tags]):
                columns = [batch.column(i).to_pylist() for i in range(1 + len(tags))]
                for row in zip(*columns, strict=True):
                    tokens, layers = (
                        row[0] or [],
                        [_named(layer, names.get(tag)) for tag, layer in zip(tags, row[1:], strict=True)],
                    )
                    if not tokens or any(len(layer) != len(tokens) for layer in layers):
                        continue
                    for position, token in enumerate(tokens):
                        fields = ["_".join(str(token).split()) or "_", *(layer[position] for layer in layers)]
                        stream.write(" ".join(fields) + "\n")
                    stream.write("\n")
                    sentences += 1
    return sentences


def _named(layer: Any, names: list[str] | None) -> list[str]:
    """A sentence's tags as text: numbers through their names."""
    values = layer or []
    if names:
        return [
            names[value] if isinstance(value, int) and 0 <= value < len(names) else str(value)
            for value in values
        ]
    return ["_".join(str(value).split()) or "_" for value in values]
