"""Images stored in Parquet, as the Hugging Face Hub stores them, read as a folder tree of images.

The Hub keeps an image dataset (MNIST, CIFAR-10, beans...) as Parquet files: each row an image's encoded bytes
(a struct of ``bytes`` and ``path``) and its label (a ``ClassLabel``: numbers with names in the file's
features). :func:`image_column` finds such a column, and :func:`images_tree` writes the images once, as they are
encoded, into ``train/<label>/``, ``valid/<label>/`` and ``test/<label>/`` under ``$TRAINWELL_CACHE/joined``:
the folder tree every image command reads.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["image_column", "images_tree", "write_images"]

#: Leading bytes of the encodings an image's bytes may be in, and the file ending for each.
_MAGIC = (
    (b"\x89PNG", ".png"),
    (b"\xff\xd8", ".jpg"),
    (b"GIF8", ".gif"),
    (b"BM", ".bmp"),
    (b"II*\x00", ".tif"),
    (b"MM\x00*", ".tif"),
)
_UNSAFE = re.compile(r"[\\/:*?\"<>|\x00-\x1f]")


def image_column(path: Path) -> str | None:
    """The column of the Parquet file ``path`` holding encoded images (a struct with ``bytes``), else ``None``."""
    from trainwell.core.columnar import columnar_schema

    schema = columnar_schema(path)
    if schema is None:
        return None
    import pyarrow as pa

    for field in schema:
        if pa.types.is_struct(field.type) and "bytes" in [child.name for child in field.type]:
            return str(field.name)
    return None


def images_tree(
    folder: Path,
    splits: dict[str, list[Path]],
    column: str,
    *,
    label: str | None,
    say: Callable[[str], None],
) -> Path:
    """The images of ``splits`` (``"train"``, ``"valid"``, ``"test"``: Parquet files) written as a folder tree
    ``<split>/<label>/`` under the cache, once per state of the files; said with ``say``. ``label`` names the
    label column (else the file's one ``ClassLabel``, or a column named ``label``). Rows without a label (the
    Hub's -1) are left out; a test split without labels is not written."""
    from trainwell.cli._splits import made_once
    from trainwell.core.errors import DataError

    first = next(iter(splits.values()))[0]  # the training split's, or a report's test split alone
    chosen, names = _label_column(first, column, label)

    def write(partial: Path) -> dict[str, int]:
        counts: dict[str, int] = {
            split: sum(_write_split(p, partial / split, split, column, chosen, names) for p in splits[split])
            for split in ("train", "valid", "test")
            if split in splits
        }
        if not any(counts.values()):
            raise DataError(f"'{first}': no labelled image in column '{column}' (labels in '{chosen}')")
        return counts

    paths = [path for split in sorted(splits) for path in splits[split]]
    root, counts = made_once(folder, "images", paths, f"{column}|{chosen}|{sorted(splits)}", write)
    shown = "; ".join(f"{split} {count:,}" for split, count in counts.items() if count)
    left = [split for split, count in counts.items() if not count]
    say(
        f"'{folder}': images in Parquet (column '{column}', labels '{chosen}'{f': {len(names)} classes' if names else ''})"
        f", written once as folders of images per split and label ({shown}"
        f"{'; ' + ', '.join(left) + ' without labels, left out' if left else ''}) in '{root}'"
    )
    return root


def _label_column(path: Path, column: str, label: str | None) -> tuple[str, list[str]]:
    """The label column of ``path`` and its class names (the Hub's ClassLabel), or the reason it has none."""
    from trainwell.core.columnar import hub_features, schema_of
    from trainwell.core.errors import DataError

    schema = schema_of(path)
    features = hub_features(schema)
    columns = [str(name) for name in schema.names if name != column]
    classed = [name for name, f in features.items() if isinstance(f, dict) and f.get("_type") == "ClassLabel"]
    chosen = label or (
        classed[0] if len(classed) == 1 else next((c for c in columns if c in ("label", "labels")), None)
    )
    if chosen is None or chosen not in columns:
        fix = f"no column '{chosen}'" if chosen else "which column holds the labels is not clear"
        raise DataError(
            f"'{path}' holds images in column '{column}'; {fix}: name the label column with --target (columns: "
            f"{', '.join(columns)})"
        )
    feature = features.get(chosen, {})
    if isinstance(feature, dict) and feature.get("_type") in ("Sequence", "List"):
        raise DataError(
            f"'{path}': column '{chosen}' holds several labels an image; images in Parquet are read with one "
            "label each: write them out as a CSV of paths and labels (--path-col, --label-col, --label-delim)"
        )
    names = feature.get("names") if isinstance(feature, dict) else None
    return chosen, [str(name) for name in names] if isinstance(names, list) else []


def _write_split(path: Path, out: Path, split: str, column: str, label: str, names: Sequence[str]) -> int:
    """Write the labelled images of one Parquet file into ``out/<label>/``; how many were written."""
    from trainwell.core.columnar import batches_of
    from trainwell.core.errors import DataError

    written = 0
    made: set[Path] = set()
    start = sum(1 for _ in out.glob("*/*")) if out.exists() else 0
    for batch in batches_of(path, [column, label]):
        images, labels = batch.column(0).to_pylist(), batch.column(1).to_pylist()
        for image, value in zip(images, labels, strict=True):
            name = _label_name(value, names)
            data = image.get("bytes") if isinstance(image, dict) else None
            if name is None or not data:
                continue
            target = out / name
            if target not in made:
                target.mkdir(parents=True, exist_ok=True)
                made.add(target)
            suffix = _suffix(data, image.get("path"))
            (target / f"{split}-{start + written:07d}{suffix}").write_bytes(data)
            written += 1
    if written == 0 and split == "train":
        raise DataError(f"'{path}': no labelled image in column '{column}' (labels in '{label}')")
    return written


def _label_name(value: Any, names: Sequence[str]) -> str | None:
    """A label as a folder name: a class number through its name, text made safe; ``None`` for no label."""
    if value is None or value == -1:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and names and 0 <= value < len(names):
        value = names[value]
    text = _UNSAFE.sub("_", str(value)).strip() or "_"
    return "_" + text if text.startswith(".") else text


def _suffix(data: bytes, path: object) -> str:
    """The file ending of encoded image bytes: from their leading bytes, else from the path the Hub kept."""
    for magic, suffix in _MAGIC:
        if data.startswith(magic):
            return suffix
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    given = Path(str(path)).suffix.lower() if path else ""
    return given or ".png"


def write_images(path: Path, column: str, out: Path) -> list[tuple[int, Path]]:
    """Every image of column ``column`` of the Parquet file ``path`` written into ``out`` as it is encoded, with
    its row's 0-based position; rows without bytes are left out."""
    from trainwell.core.columnar import batches_of

    written: list[tuple[int, Path]] = []
    out.mkdir(parents=True, exist_ok=True)
    position = 0
    for batch in batches_of(path, [column]):
        for image in batch.column(0).to_pylist():
            data = image.get("bytes") if isinstance(image, dict) else None
            if data:
                file = out / f"{position:07d}{_suffix(data, image.get('path'))}"
                file.write_bytes(data)
                written.append((position, file))
            position += 1
    return written
