"""The texts a CSV cell reads as a missing value: pandas' default missing markers, which ``trainwell predict``
reads as missing (``pandas._libs.parsers.STR_NA_VALUES``, spelled out here so that importing this costs nothing
and no private pandas name is relied on). A padded one (``' NaN '``) is missing too once its spaces are dropped,
in a file as in a served row.
"""

from __future__ import annotations

__all__ = ["PANDAS_MISSING_TEXTS"]

PANDAS_MISSING_TEXTS = frozenset(
    {
        "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A",
        "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
    }
)  # fmt: skip
