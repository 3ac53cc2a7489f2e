"""The HTML pieces of a report: page shell with inline CSS, escaped tables, PNGs as data URIs.

Everything that came from data (column names, cell values, class labels) goes through :func:`html.escape`, and
nothing refers to anything outside the file: the page must open the same way offline, years later.
"""

from __future__ import annotations

import base64
import html
import math
import numbers
from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any

# One rule for a number in a table, the command line's alike (trainwell.cli._show): kept in core.
from trainwell.core.numbers import figure, format_value, grouped_columns

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


def interval(low: float, high: float) -> Interval:
    """A confidence interval as a cell: ``[0.8123, 1.0000]``, 4 decimals as the command line writes it (large
    bounds whole, ``[9,812, 10,240]``); trimmed, ``0.85 [0.7, 1]`` stood beside ``0.822 [0.7696, 0.8691]``."""
    if not (math.isfinite(float(low)) and math.isfinite(float(high))):
        cell = Interval("not estimable")  # every resample scored alike: no interval, not a zero-width one
        cell.size = 0.0
        return cell
    size = max(abs(float(low)), abs(float(high)))
    cell = Interval(f"[{figure(float(low), like=size)}, {figure(float(high), like=size)}]")
    cell.size = size
    return cell


def table(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    """An HTML table; numeric cells are right-aligned, every cell is escaped. A column holding a number from
    10,000 up writes all its numbers from 1,000 up with thousands separators (support 12,435 above 3,846)."""
    head = "".join(f"<th>{escape(name)}</th>" for name in header)
    rows = [list(row) for row in rows]
    grouped = grouped_columns(rows)
    lines = []
    for row in rows:
        cells = []
        # A figure beside its interval (a metric's row) is written as the interval is: 4 decimals.
        beside = [value for value in row if isinstance(value, Interval)]
        real = partial(figure, like=beside[0].size) if beside else None
        for column, value in enumerate(row):
            text = format_value(value, grouped=column in grouped, real=real)
            # A share written as "13.7%" lines up with the numbers, right-aligned, not with the words.
            numeric = (
                (isinstance(value, numbers.Real) and not isinstance(value, bool))
                or _is_percent(text)
                or isinstance(value, Interval | Written)
            )
            # Texts wrap where the table is too wide (a long one at a reading width); numbers stay on one line.
            css = ' class="number"' if numeric else (' class="prose"' if len(text) > PROSE else "")
            cells.append(f"<td{css}>{text if isinstance(value, Markup) else escape(text)}</td>")
        lines.append(f"<tr>{''.join(cells)}</tr>")
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{"".join(lines)}</tbody></table></div>'


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
