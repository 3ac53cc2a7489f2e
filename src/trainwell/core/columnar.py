"""Columnar files read alike: Parquet, and the Arrow files a Hugging Face ``Dataset.save_to_disk`` writes.

``save_to_disk`` leaves a folder per split (``train/data-00000-of-00001.arrow`` beside ``dataset_info.json``),
each ``.arrow`` file an Arrow IPC stream (or, from other writers, an IPC file). :func:`schema_of` and
:func:`batches_of` read either format's schema and rows a batch at a time, :func:`read_columnar` the whole table.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "COLUMNAR_SUFFIXES",
    "batches_of",
    "columnar_schema",
    "hub_features",
    "is_arrow",
    "read_columnar",
    "schema_of",
]

COLUMNAR_SUFFIXES = (".parquet", ".pq", ".arrow")


def is_arrow(path: Path) -> bool:
    return path.name.lower().endswith(".arrow")


def schema_of(path: Path) -> Any:
    """The Arrow schema of a Parquet or Arrow file (its metadata holds the Hub's features)."""
    import pyarrow.parquet as parquet

    if not is_arrow(path):
        return parquet.read_schema(path)
    with _open_arrow(path) as reader:
        return reader.schema


def columnar_schema(path: Path) -> Any:
    """The schema of a Parquet or Arrow file, else ``None`` (another file, or one that does not read as either):
    by the name first, so a CSV costs no import."""
    if not path.name.lower().endswith(COLUMNAR_SUFFIXES):
        return None
    try:
        return schema_of(path)
    except (ImportError, OSError, ValueError):  # pyarrow's ArrowInvalid is a ValueError
        return None


def hub_features(schema: Any) -> dict[str, Any]:
    """The Hugging Face Hub's features a schema's metadata holds (``{"label": {"names": [...], "_type":
    "ClassLabel"}, ...}``), else ``{}``."""
    import json

    try:
        features = (
            json.loads((schema.metadata or {}).get(b"huggingface", b"{}")).get("info", {}).get("features", {})
        )
    except (ValueError, AttributeError):
        return {}
    return features if isinstance(features, dict) else {}


def class_feature(feature: Any) -> tuple[list[str], bool] | None:
    """The class names of a Hub feature that is a ``ClassLabel`` (one class a row), or a sequence of them (several
    a row: GoEmotions' ``labels``, written ``{"feature": {...ClassLabel}, "_type": "Sequence"}``, ``"List"`` by
    newer ``datasets``, or ``[{...ClassLabel}]``), with whether it is the latter; else ``None``."""
    several = False
    if isinstance(feature, list) and len(feature) == 1:
        feature, several = feature[0], True
    elif isinstance(feature, dict) and feature.get("_type") in ("Sequence", "List", "LargeList"):
        feature, several = feature.get("feature"), True
    if not isinstance(feature, dict) or feature.get("_type") != "ClassLabel":
        return None
    names = feature.get("names")
    if not isinstance(names, list) or not names:
        return None
    return [str(name) for name in names], several


def batches_of(path: Path, columns: Sequence[str], batch_size: int = 1024) -> Iterator[Any]:
    """The rows of ``columns`` of a Parquet or Arrow file, a record batch at a time."""
    import pyarrow.parquet as parquet

    if not is_arrow(path):
        yield from parquet.ParquetFile(path).iter_batches(columns=list(columns), batch_size=batch_size)
        return
    with _open_arrow(path) as reader:
        for batch in _arrow_batches(reader):
            yield batch.select(list(columns))


def read_columnar(path: Path) -> Any:
    """The whole table of an Arrow file as a DataFrame (Parquet: ``pandas.read_parquet``)."""
    import pyarrow as pa

    with _open_arrow(path) as reader:
        table = pa.Table.from_batches(list(_arrow_batches(reader)), schema=reader.schema)
    return table.to_pandas()


def _open_arrow(path: Path) -> Any:
    """An Arrow IPC stream reader, else an IPC file reader, of ``path``."""
    import pyarrow as pa

    try:
        return pa.ipc.open_stream(pa.memory_map(str(path)))
    except pa.ArrowInvalid:
        return pa.ipc.open_file(pa.memory_map(str(path)))


def _arrow_batches(reader: Any) -> Iterator[Any]:
    if hasattr(reader, "num_record_batches"):  # an IPC file
        for index in range(reader.num_record_batches):
            yield reader.get_batch(index)
    else:
        yield from reader
