"""The HTML pieces of a report: page shell with inline CSS, escaped tables, PNGs as data URIs.

Everything that came from data (column names, cell values, class labels) goes through :func:`html.escape`, and
nothing refers to anything outside the file: the page must open the same way offline, years later.
"""

from __future__ import annotations

import base64
import hashlib
import html
import math
import numbers
from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any

# One rule for a number in a table, the command line's alike (trainwell.cli._show): kept in core.
from trainwell.core.numbers import amount, figure, format_value, grouped_columns, reaches_ten_thousand

CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em auto;
       max-width: 1100px; padding: 0 1em; color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 2em; }
section { margin-bottom: 1.5em; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.6em 0; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top;
         overflow-wrap: break-word; }
th { background: #f3f3f3; }
td.number { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.prose { min-width: min(24em, 60vw); max-width: 48em; }
.scroll tr > :first-child { position: sticky; left: 0; z-index: 1; background: #fff;
                            box-shadow: inset -1px 0 #ccc; }
.scroll tr > th:first-child { background: #f3f3f3; }
p.banner { background: #fde8e8; border: 1px solid #d33; border-left: 6px solid #d33; padding: 0.6em 0.9em;
           color: #7a1010; font-weight: 600; }
mark.miss { background: #ffd9a8; padding: 0 0.1em; border-radius: 2px; }
sub.tags { font-size: 0.7em; color: #8a4b00; margin-left: 0.15em; }
.narrow-only { display: none; }
@media (max-width: 700px) {
  body { padding: 0 0.5em; }
  /* Panels drawn side by side (the training curves) are stacked, each at a readable size. */
  .wide-only { display: none; }
  .narrow-only { display: block; }
  /* A narrow window: a table's text wraps to the window, its plain words no longer cut off behind a scroll. */
  td.prose { min-width: 0; }
  th, td { padding: 0.2em 0.35em; }
  table { font-size: 0.85em; }
  /* Tables with a column of plain words stack: one block a row, each cell under its column's name. */
  table.stacks thead { display: none; }
  table.stacks, table.stacks tbody, table.stacks tr, table.stacks td { display: block; width: auto; }
  table.stacks tr { border: 1px solid #ccc; margin: 0 0 0.6em; }
  table.stacks td { border: none; border-bottom: 1px solid #eee; text-align: left; white-space: normal; }
  table.stacks td::before { font-weight: 600; color: #555; }
  .scroll table.stacks tr > :first-child { position: static; box-shadow: none; }
}
.nowrap { white-space: nowrap; }
img { max-width: 100%; height: auto; display: block; margin: 0.6em 0; }
p.note { color: #555; font-size: 0.9em; }
dl.facts { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 0.15em 1em; margin: 0.6em 0 1em; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
"""


#: Characters from which a text cell keeps a reading width (``td.prose``) when its table is squeezed: every text
#: cell wraps where its table is wider than the window, only numbers stay on one line.
PROSE = 60


class Markup(str):
    """Text already written as HTML (its data parts escaped by whoever built it): :func:`table` puts it in a
    cell as it is."""


def escape(value: Any) -> str:
    """Any value as HTML text, quotes included."""
    return html.escape(str(value), quote=True)


class Written(str):
    """A number already written as it should read (a learning rate in scientific notation, ``3.0e-03``):
    :func:`table` puts it in as it is, aligned right as the numbers are."""


def scientific(value: Any) -> Any:
    """A learning rate's cell: ``3.0e-03``, one format down a column whose rates span powers of ten (``0.001574``
    beside ``3.825e-06`` read as two kinds of number); anything not a number is left as it is."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        return value
    return Written(f"{float(value):.1e}")


class Interval(str):
    """A confidence interval's cell (:func:`interval`): :func:`table` writes the numbers of its row as it, to 4
    decimals (whole from 10,000 up: :attr:`size` is its larger bound), and keeps it on one line."""

    size: float = 0.0


def interval(low: float, high: float, like: float | None = None) -> Interval:
    """A confidence interval as a cell: ``[0.8123, 1.0000]``, 4 decimals as the command line writes it (large
    bounds whole, ``[9,812, 10,240]``); trimmed, ``0.85 [0.7, 1]`` stood beside ``0.822 [0.7696, 0.8691]``.
    ``like``: the size of the figures the interval stands among (a column's largest), which sets its decimals
    as :func:`~trainwell.core.numbers.figure` does: ``[0, 1]`` beside a figure of ``51,690`` is whole too.
    A bound that is not a number (every resample scored alike, or nothing to resample) writes "not
    estimable", never a blank cell that reads as certain."""
    if not (math.isfinite(float(low)) and math.isfinite(float(high))):
        cell = Interval("not estimable")  # every resample scored alike: no interval, not a zero-width one
        cell.size = 0.0 if like is None or not math.isfinite(like) else abs(like)
        return cell
    size = max(
        abs(float(low)), abs(float(high)), *([abs(like)] if like is not None and math.isfinite(like) else [])
    )
    cell = Interval(f"[{figure(float(low), like=size)}, {figure(float(high), like=size)}]")
    cell.size = size
    return cell


def datum(value: Any) -> Any:
    """A value read from the data (an input column's cell among the top losses): a fractional number as the
    data has it, to 4 significant digits (``4.857``, ``1.1``), not padded to a figure's 4 decimals; anything
    else as it is."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or isinstance(value, numbers.Integral):
        return value
    if not math.isfinite(float(value)) or reaches_ten_thousand(value):
        return value
    return Written(amount(float(value)))


def table(header: Sequence[Any], rows: Iterable[Sequence[Any]], stack: bool | None = None) -> str:
    """An HTML table; numeric cells are right-aligned, every cell is escaped. Numbers are written as the command
    line's tables write them (:func:`~trainwell.core.numbers.figure`): 4 decimals (``0.9020``, not ``0.902``
    beside ``0.9143``), whole with thousands separators from 10,000 up; a column holding a number from 10,000 up
    writes all its numbers from 1,000 up so (support 12,435 above 3,846). A figure in a row with an
    :class:`Interval` takes the interval's decimals. ``stack``: in a narrow window (under 700 px) each row is
    shown as a block of its cells, each under its column's name, so that no cell hides behind a scroll;
    ``None``: when the table has a cell of plain words or an interval (a top-losses table of many data columns
    scrolls instead, its first column kept in view)."""
    names = [str(name) for name in header]
    head = "".join(f"<th>{escape(name)}</th>" for name in names)
    rows = [list(row) for row in rows]
    grouped = grouped_columns(rows)
    lines = []
    stacks = False
    for row in rows:
        cells = []
        # A figure beside its interval (a metric's row) is written as the interval is: 4 decimals.
        beside = [value for value in row if isinstance(value, Interval)]
        real = partial(figure, like=beside[0].size) if beside else figure
        for column, value in enumerate(row):
            text = format_value(value, grouped=column in grouped, real=real)
            # A share written as "13.7%" lines up with the numbers, right-aligned, not with the words.
            numeric = (
                (isinstance(value, numbers.Real) and not isinstance(value, bool))
                or _is_percent(text)
                or isinstance(value, Interval | Written)
            )
            # Texts wrap where the table is too wide (a long one at a reading width); numbers stay on one line.
            prose = not numeric and len(text) > PROSE
            stacks = stacks or prose or isinstance(value, Interval)
            css = ' class="number"' if numeric else (' class="prose"' if prose else "")
            cells.append(f"<td{css}>{text if isinstance(value, Markup) else escape(text)}</td>")
        lines.append(f"<tr>{''.join(cells)}</tr>")
    opening, style = stacked_table(names) if (stacks if stack is None else stack) else ("<table>", "")
    return (
        f'<div class="scroll">{style}{opening}<thead><tr>{head}</tr></thead><tbody>{"".join(lines)}</tbody>'
        "</table></div>"
    )


def stacked_table(names: Sequence[str]) -> tuple[str, str]:
    """The opening tag of a table that stacks in a narrow window (CSS ``table.stacks``) and the style naming
    each of its cells there by its column (``metric: accuracy``), keyed by the table's columns: the cells stay
    plain ``<td>``."""
    key = "t" + hashlib.sha1("\x00".join(names).encode("utf-8")).hexdigest()[:10]
    rules = "".join(
        f'table.{key} td:nth-child({index})::before {{ content: "{_css_text(name)}: "; }}'
        for index, name in enumerate(names, start=1)
        if name
    )
    return f'<table class="stacks {key}">', f"<style>@media (max-width: 700px) {{ {rules} }}</style>"


def _css_text(text: str) -> str:
    """``text`` inside a CSS string: its quotes, backslashes and any ``<`` (which could close the style) escaped."""
    return "".join(f"\\{ord(char):x} " if char in '"\\<>&' or ord(char) < 32 else char for char in str(text))


def _is_percent(text: str) -> bool:
    try:
        float(text.removesuffix("%"))
    except ValueError:
        return False
    return text.endswith("%")


def image(png: bytes, alt: str) -> str:
    """A PNG embedded in the page as a base64 data URI, shrunk to the window where it is wider (CSS ``img``): on a
    phone the whole picture shows and zooms, where a minimum width cropped it to one panel of a scrolling box."""
    encoded = base64.b64encode(png).decode("ascii")
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{encoded}">'


def banner(text: str) -> str:
    """A warning the page opens with (:func:`page` puts it under the header): in red, in plain words."""
    return f'<p class="banner">{escape(text)}</p>'


def panels_image(png: bytes, panels: Sequence[bytes], alt: str) -> str:
    """A picture of panels side by side (``curves.png``) that a narrow window (under 700 px) shows as its
    ``panels`` stacked, each at a readable size, where the whole picture shrunk to the window had text of
    about 5 pt; the whole picture elsewhere. No panels: the picture alone, as :func:`image`."""
    if len(panels) < 2:
        return image(png, alt)
    stacked = "".join(image(panel, f"{alt}, panel {index}") for index, panel in enumerate(panels, start=1))
    return f'<div class="wide-only">{image(png, alt)}</div><div class="narrow-only">{stacked}</div>'


def paragraph(text: str, note: bool = False) -> str:
    css = ' class="note"' if note else ""
    return f"<p{css}>{escape(text)}</p>"


class Facts(str):
    """What a kind of model says in the report's header (:func:`header`): the model (its kind, task and what it
    predicts) and the data it is evaluated on; as text, a paragraph saying both."""

    model: str
    evaluated: str


def facts(model: str, evaluated: str) -> Facts:
    """The header's facts of one kind of model: ``model``, e.g. "binary text classifier predicting 'sentiment'
    from 'review' (neg, pos)"; ``evaluated``, e.g. "60 labelled texts from valid.csv"."""
    made = Facts(paragraph(f"{model}, evaluated on {evaluated}."))
    made.model, made.evaluated = model, evaluated
    return made


#: The header's lines, in this order and these words for every kind of model.
HEADER_LINES = ("Model directory", "Model", "Fitted", "Evaluated on", "Report by")


def header(model_dir: Any, model: str, fitted: str, evaluated: str, version: str) -> str:
    """The report's opening facts, the same lines in the same words and order for every kind of model
    (:data:`HEADER_LINES`): its directory, what it is, when it was fitted, the data it is evaluated on, and the
    trainwell that wrote the report."""
    values = (str(model_dir), model, fitted, evaluated, f"trainwell {version}")
    lines = "".join(
        f"<dt>{escape(name)}</dt><dd>{escape(value)}</dd>"
        for name, value in zip(HEADER_LINES, values, strict=True)
    )
    return f'<dl class="facts">{lines}</dl>'


def section(anchor: str, title: str, body: Sequence[str]) -> str:
    """One titled section; ``body`` parts are already HTML."""
    return f'<section id="{escape(anchor)}">\n<h2>{escape(title)}</h2>\n' + "\n".join(body) + "\n</section>"


def page(title: str, intro: Sequence[str], sections: Sequence[str]) -> str:
    """The whole document: inline CSS, no script, no external resource."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f"<h1>{escape(title)}</h1>\n" + "\n".join(intro) + "\n" + "\n".join(sections) + "\n</body>\n</html>\n"
    )
