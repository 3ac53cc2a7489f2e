"""Date columns: finding the one format a text column's dates are written in, parsing it the same way later,
and splitting dates into the parts a model or a baseline reads.

Text is a date when every present value reads in one format of :data:`DATE_FORMATS` (tried in order, so
``03/04/2020`` is month-first unless some value, ``13/04/2020``, rules that out). Zoned times are read in UTC.
A missing or blank value is a missing date; during later parsing a present value that does not read in the
stored format is an error naming its row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from trainwell.core.errors import ConfigError, DataError

__all__ = [
    "DATE_CAT_PARTS",
    "DATE_CONT_PARTS",
    "DATE_FORMATS",
    "data_row",
    "date_format_option",
    "date_is_valid",
    "date_part_values",
    "date_parts",
    "describe_date_format",
    "find_date_format",
    "has_time_of_day",
    "parse_dates",
]

#: Text date formats tried, in order, on a text column (``ISO8601`` covers ``2020-01-31``, with or without a
#: time and a zone). Month-first comes before day-first: ``03/04/2020`` is read as 4 March only when some
#: value (``13/04/2020``) rules month-first out.
DATE_FORMATS = (
    "ISO8601",
    "%Y/%m/%d",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%m/%d/%Y %H:%M",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%y",
    "%d/%m/%y",
    "%d.%m.%Y",
    "%d.%m.%Y %H:%M",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%d %b %Y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%b %d %Y",
)
#: The parts a date column is split into: categorical, then continuous. ``hour`` only when dates have times.
DATE_CAT_PARTS = ("month", "day", "day_of_week", "hour")
DATE_CONT_PARTS = ("year", "day_of_year", "elapsed_days")
# A cheap look before trying formats: a text column is a date candidate only when its values start like one.
_DATE_LIKE = re.compile(
    r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|^\d{1,2}[ -][A-Za-z]{3,9}[ -]\d{2,4}|^[A-Za-z]{3,9} \d{1,2},? \d{4}"
    r"|^\d{4}-\d{1,2}$"
)
_DATE_SAMPLE = 200
#: Share of a text column's distinct values that may fail to read as dates ("unknown", a typo) for it to be
#: a date column all the same: in training, those values are read as missing, with a warning.
MAX_BAD_SHARE = 0.05


def _distinct_text(values: pd.Series) -> pd.Series:
    """The distinct present values of a column as stripped text (blank values are missing)."""
    present = values.dropna()
    present = present[present.astype(str).str.strip() != ""]
    return pd.Series(present.astype(str).str.strip().unique(), dtype=object)


def find_date_format(values: pd.Series, preferred: str | None = None) -> str | None:
    """The format of :data:`DATE_FORMATS` that reads the most distinct present values of a text column (the
    first in order on a tie), or ``None`` when even the best fails on more than :data:`MAX_BAD_SHARE` of them
    (all of them must read when there are fewer than 20). A ``preferred`` format (the user's) wins whenever it
    reads the column that well: ``03/04/2020`` is then 3 April if the user said DD/MM/YYYY."""
    distinct = _distinct_text(values)
    if len(distinct) == 0:
        return None
    sample = distinct.iloc[:_DATE_SAMPLE]
    sample_allowed = int(MAX_BAD_SHARE * len(sample))
    if int((~sample.str.match(_DATE_LIKE)).sum()) > sample_allowed:
        return None
    allowed = int(MAX_BAD_SHARE * len(distinct))
    if preferred is not None and int(_to_datetimes(distinct, preferred).isna().sum()) <= allowed:
        return preferred
    best: tuple[int, str] | None = None
    for fmt in DATE_FORMATS:
        if int(_to_datetimes(sample, fmt).isna().sum()) > sample_allowed:
            continue
        failures = int(_to_datetimes(distinct, fmt).isna().sum())
        if failures <= allowed and (best is None or failures < best[0]):
            best = (failures, fmt)
            if failures == 0:
                break
    return None if best is None else best[1]


#: strptime codes and how people write them, read both ways (longest written form first: "Month" before
#: "Mon", "YYYY" before "YY"). ``hh`` is ``%H``, or ``%I`` beside ``AM/PM``.
_WRITTEN_CODES = (
    ("%Y", "YYYY"),
    ("%y", "YY"),
    ("%m", "MM"),
    ("%d", "DD"),
    ("%H", "hh"),
    ("%I", "hh"),
    ("%p", "AM/PM"),
    ("%M", "mm"),
    ("%S", "ss"),
    ("%B", "Month"),
    ("%b", "Mon"),
)


def date_format_option(text: str) -> str:
    """A date format as a user writes it, as the format a recipe stores.

    Accepts a strptime format (``%d/%m/%Y``), the written form trainwell prints (``DD/MM/YYYY``,
    ``DD.MM.YYYY hh:mm``, ``Mon DD, YYYY``) or ``ISO8601``.

    Raises:
        ConfigError: the text names no day, month or year, or is not a format strptime can read back.
    """
    from datetime import datetime

    cleaned = str(text).strip()
    if cleaned.upper().replace(" ", "") in ("ISO8601", "ISO"):
        return "ISO8601"
    fmt = cleaned
    if "%" not in fmt:
        for code, written in _WRITTEN_CODES:
            fmt = fmt.replace(written, code)  # "hh" became %H before the %I entry is reached
        if "%p" in fmt:
            fmt = fmt.replace("%H", "%I")  # hh with AM/PM is the 12-hour clock
    example = datetime(2021, 6, 29, 13, 45, 30)
    # A date names its month (or the day of the year): "YY" or "DD" alone is not a date column's form.
    unreadable = not any(code in fmt for code in ("%m", "%b", "%B", "%j"))
    if not unreadable:
        try:
            written = example.strftime(fmt)
            unreadable = bool(_to_datetimes(pd.Series([written], dtype=object), fmt).isna().all())
        except (ValueError, re.error):  # re.error: a part named twice ("MM/MM/YYYY")
            unreadable = True
    if unreadable:
        several = "," in cleaned and "=" in cleaned.split(",", 1)[1]
        if several:
            raise ConfigError(
                f"date format {text!r} looks like several columns; give one --date-format per column "
                "(--date-format sold=DD/MM/YYYY --date-format listed=YYYY-MM-DD)"
            )
        raise ConfigError(
            f"date format {text!r} is not one trainwell can read (each of day, month and year at most once); "
            "write it like DD/MM/YYYY, MM/DD/YYYY hh:mm, Mon DD, YYYY or ISO8601 (or a strptime format such as "
            "%d/%m/%Y)"
        )
    return fmt


def day_month_twin(values: pd.Series, fmt: str) -> str | None:
    """The format with day and month swapped when it reads the column as well (no day above 12 tells
    ``03/04/2020`` apart), else ``None``."""
    twin = fmt.replace("%m", "\0").replace("%d", "%m").replace("\0", "%d")
    if twin == fmt or pd.api.types.is_datetime64_any_dtype(values.dtype):
        return None
    distinct = _distinct_text(values)
    return (
        twin
        if int(_to_datetimes(distinct, twin).isna().sum()) <= int(MAX_BAD_SHARE * len(distinct))
        else None
    )


def check_date_format(values: pd.Series, fmt: str, name: str) -> None:
    """Refuse a date format the user gave for a column when it fails on more than :data:`MAX_BAD_SHARE` of the
    column's distinct values (as the found formats must); a datetime column needs none."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return
    distinct = _distinct_text(values)
    unread = distinct[_to_datetimes(distinct, fmt).isna().to_numpy()]
    if len(unread) > int(MAX_BAD_SHARE * len(distinct)):
        found = find_date_format(values)
        advice = "fix the format or the values"
        if found is not None:
            advice = f"its values read as {describe_date_format(found)}"
            twin = day_month_twin(values, found)
            if twin is not None:
                advice += f" or {describe_date_format(twin)} (no day above 12 tells them apart)"
        raise DataError(
            f"--date-format {name}={describe_date_format(fmt)} does not read {len(unread)} of the column's "
            f"{len(distinct)} distinct values, e.g. {str(unread.iloc[0])!r}; {advice}"
        )


def date_is_valid(text: str, fmt: str) -> bool:
    """Whether ``text`` is a date in the format a recipe stored for a date column (``""``: ISO 8601)."""
    return bool(_to_datetimes(pd.Series([text], dtype=object), fmt).notna().all())


def describe_date_format(fmt: str) -> str:
    """A stored date format as people read it: ``DD/MM/YYYY``, ``ISO 8601 (2020-01-31)``."""
    return "ISO 8601 (2020-01-31)" if fmt in ("", "ISO8601") else _readable(fmt)


def _to_datetimes(text: pd.Series, fmt: str) -> pd.Series:
    """Parse text with one format, as naive times (a zoned time is converted to UTC); NaT where it fails."""
    parsed = pd.to_datetime(text, format=fmt or "ISO8601", errors="coerce", utc=True)
    return parsed.dt.tz_localize(None)


def parse_dates(
    values: pd.Series,
    fmt: str,
    name: str,
    *,
    check: bool = False,
    read_rows: Sequence[int] | np.ndarray | None = None,
) -> pd.Series:
    """A date column as naive datetimes, NaT for missing values.

    With ``check``, a present value that is not a date in ``fmt`` raises a DataError naming the row (its data
    row in the table as read where ``read_rows`` places ``values`` in it: :func:`data_row`); without it, such a
    value is missing (the training rows, where the fit warned about them). Spaces around a value are ignored.
    """
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        parsed = values.dt.tz_convert("UTC").dt.tz_localize(None) if values.dt.tz is not None else values
        return parsed.astype("datetime64[ns]")
    present = values.notna().to_numpy()
    text = (
        values.astype(object)
        .where(present, None)
        .map(lambda value: value if value is None else str(value).strip())
    )
    blank = (text.str.strip() == "").fillna(False).to_numpy(dtype=bool)
    text = text.where(~blank, None)
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    keep = present & ~blank
    if keep.any():
        parsed[keep] = _to_datetimes(text[keep], fmt).astype("datetime64[ns]")
    if check:
        bad = keep & parsed.isna().to_numpy()
        if bad.any():
            position = int(np.flatnonzero(bad)[0])
            example = f"in the form {describe_date_format(fmt)}"
            raise DataError(
                f"date column '{name}' holds {str(values.iloc[position])!r} ({data_row(values, position, read_rows)}), which is not "
                f"a date {example} as in training; fix the value or leave it empty to mark it missing"
            )
    return parsed


def _readable(fmt: str) -> str:
    """A strptime format as people write it: ``%d/%m/%Y`` is ``DD/MM/YYYY``."""
    for code, shown in _WRITTEN_CODES:
        fmt = fmt.replace(code, shown)
    return fmt


def has_time_of_day(parsed: pd.Series) -> bool:
    """Whether any parsed date carries a time of day (then the ``hour`` part is worth reading)."""
    times = parsed.dropna()
    return bool(((times.dt.hour != 0) | (times.dt.minute != 0) | (times.dt.second != 0)).any())


def date_parts(parsed: pd.Series) -> list[str]:
    """The parts worth reading from a column of parsed dates, categorical then continuous: ``hour`` only when
    some date has a time of day; ``day`` and ``day_of_week`` only when some date is not the first of its
    month. A column of months (``2020-05``) reads as the first of each month: its day is constant and its
    weekday follows from the month, so both would only add noise (a model can fit anything to a weekday)."""
    present = parsed.dropna()
    by_day = bool((present.dt.day != 1).any())
    timed = has_time_of_day(parsed)
    return [
        part
        for part in (*DATE_CAT_PARTS, *DATE_CONT_PARTS)
        if (part != "hour" or timed) and (part not in ("day", "day_of_week") or by_day)
    ]


def date_part_values(parsed: pd.Series, parts: Sequence[str]) -> dict[str, np.ndarray]:
    """Each part of parsed dates as float64, NaN where the date is missing."""
    found: dict[str, pd.Series] = {
        "month": parsed.dt.month,
        "day": parsed.dt.day,
        "day_of_week": parsed.dt.day_of_week,
        "hour": parsed.dt.hour,
        "year": parsed.dt.year,
        "day_of_year": parsed.dt.day_of_year,
        "elapsed_days": (parsed - pd.Timestamp(0)).dt.total_seconds() / 86400.0,
    }
    return {part: found[part].to_numpy(dtype=np.float64, na_value=np.nan) for part in parts}


def data_row(values: pd.Series, position: int, read_rows: Sequence[int] | np.ndarray | None = None) -> str:
    """Where a bad value sits, unambiguously: ``"data row 1"`` is the first row under a CSV header; a frame
    whose index is not 0, 1, 2... also gets the index label (``"data row 3, index 17"``).

    ``read_rows``: where ``values`` holds only some rows of the table the user gave (the training rows of a
    split), the position of each in that table (from 0). The row is then named by its place in the user's file
    or DataFrame, as every other warning names it: the 70th data row of a file was "data row 58" among the
    training rows, and only its index label led back to it.
    """
    label = values.index[position]
    at = position if read_rows is None else int(read_rows[position])
    return f"data row {at + 1}" if label == at else f"data row {at + 1}, index {label}"
