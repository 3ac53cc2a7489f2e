"""The HTTP API's request and response shapes, generated from the model's recipe and task.

The request schema has one field per input column of the recipe, so ``/openapi.json`` (and the ``/docs`` page)
tells a client exactly what to send:

- a **categorical** input accepts text, a number, a boolean or ``null``. Values are matched by their text form
  (``1`` and ``"1"`` are the same category); ``null``, ``""``, text of only spaces and a missing marker
  (:data:`MISSING_TEXTS`: ``"NaN"``, ``"NA"``, ``"?"``) are read as missing, text without the spaces around it,
  and where the known values are numbers, ``"3.0"`` as the number 3 (as a CSV's cells are by ``trainwell
  predict``: :func:`_cells_as_read`), and a value not seen in training as
  the column's rare values (those seen in fewer than ``min_category_count`` training rows), or as missing where
  the column had none. The description lists the known values.
- a **date** input accepts text in the training format (its description names it) or ``null`` (missing).
- a **continuous** input accepts a finite number or ``null`` (missing: filled with the training median), and
  a number written as text (``"22"``, ``" 34.5 "``, ``"-1e3"``: :data:`NUMBER_TEXT`), as a CSV's cells are read:
  many HTTP clients send form values as strings. Blank text and a missing marker (``""``, ``"NaN"``, ``"?"``, the
  column's missing words) are missing, as in a CSV; other text (``"22 years"``, ``"inf"``) is refused. A value more
  than :data:`MAX_STANDARD_DEVIATIONS` training standard deviations from the training mean is refused as a data
  error (a sentinel such as ``-1e9`` or ``1e300``; the predictor itself refuses only what its 32-bit numbers
  cannot hold). That accepted range, ``GET /metadata``'s ``accepted_minimum`` and ``accepted_maximum``, is a
  guard and no range the model knows: an Adult age from -13 million to 13 million. The range it learned from is
  ``minimum`` and ``maximum`` where the model directory records it (``trainwell.json``'s
  ``training.input_ranges``; older ones do not); a value outside it is accepted and extrapolated.
- **every input is required** (it may be ``null``): a misspelt or forgotten field is reported instead of being
  read silently as missing. Unknown fields are refused too unless the server ignores them
  (``forbid_extra_fields=False``); the training table's columns the model does not use (the target, columns
  left out as IDs or by ``--ignore``) are accepted and ignored, as ``trainwell predict`` takes them.

Rows are validated as ``TypedDict`` s, so a validated row is already the plain dict the predictor reads.

A vision model takes images instead (:func:`images_request_body`): ``{"images": ["<base64>", ...]}`` as JSON,
or files in the field ``images`` of a ``multipart/form-data`` form; both are described in the OpenAPI schema.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, cast

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    SerializerFunctionWrapHandler,
    WithJsonSchema,
    create_model,
    model_serializer,
)
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError
from typing_extensions import NotRequired, TypedDict

from trainwell.core.missing_texts import PANDAS_MISSING_TEXTS
from trainwell.data.dates import date_is_valid, describe_date_format
from trainwell.data.task import Task
from trainwell.serve.tta import tta_doc
from trainwell.tabular.recipe import TabularRecipe, word_input

__all__ = [
    "MAX_STANDARD_DEVIATIONS",
    "ErrorResponse",
    "InputSpec",
    "MetadataResponse",
    "VisionMetadataResponse",
    "images_request_body",
    "input_specs",
    "request_model",
    "response_model",
    "with_at_least_one",
]

#: Continuous inputs further than this from the training mean, in training standard deviations, are refused.
MAX_STANDARD_DEVIATIONS = 1e6
#: A number written as text that a continuous input accepts: digits with an optional sign, decimal point and
#: exponent (``"22"``, ``"22.5"``, ``"-1e3"``, ``".5"``), nothing around them. ASCII digits only, and no
#: ``"nan"``, ``"inf"`` or ``"1_000"``, which Python's ``float`` would read. Also the OpenAPI ``pattern``.
NUMBER_TEXT = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_NUMBER_TEXT = re.compile(NUMBER_TEXT)
#: Text read as a missing value, as ``trainwell predict`` reads a CSV's cell holding it (spaces around it aside):
#: pandas' default missing markers (:data:`~trainwell.core.missing_texts.PANDAS_MISSING_TEXTS`) and ``"?"``
#: (:data:`~trainwell.data.io.DEFAULT_NA_VALUES`), ``""`` among them. A categorical input whose known values
#: hold one keeps it as that value.
MISSING_TEXTS = PANDAS_MISSING_TEXTS | {"?"}
#: The length of the longest of :data:`MISSING_TEXTS` (``"#N/A N/A"``): a longer text without spaces around it
#: is no missing marker.
_LONGEST_MARKER = 8
#: Known values of a categorical input listed in its OpenAPI description (GET /metadata lists them all).
VALUES_IN_DESCRIPTION = 30

Scalar = str | int | float | bool


@dataclass(frozen=True)
class InputSpec:
    """One input column as the API sees it.

    Attributes:
        name: The column name (the JSON field name).
        kind: ``"categorical"``, ``"continuous"``, ``"date"`` or ``"text"`` (read as the words in ``values``).
        values: Known values of a categorical input, as text, in the model's order; the words a text input is
            read as.
        mean, std, median: Training statistics of a continuous input (median = the fill for missing values).
        accepted_minimum, accepted_maximum: The range a continuous input accepts (:data:`MAX_STANDARD_DEVIATIONS`
            from the mean): a guard against data errors, far wider than the training range.
        training_minimum, training_maximum: The smallest and largest value of a continuous input in the
            training rows, where the model directory records them (``None`` in an older one).
        date_format: The format of a date input's text (``""`` or ``"ISO8601"``: ISO 8601).
        timed: Whether the model reads a date input's hour (its training dates had times of day).
        required_value: A categorical input that may not be null: a recommender's user and item (a row without
            one was scored as the average one).
        typical: The example request's value: a categorical input's most frequent training value (``None``
            where the model directory does not record it: its first known value is shown); a text input's
            typical text.
        missing_words: The words a continuous input's training cells held among its numbers (``unknown``,
            ``n.a.``), read as missing (the recipe's ``missing_words``), besides :data:`MISSING_TEXTS`.
    """

    name: str
    kind: Literal["categorical", "continuous", "date", "text"]
    values: tuple[str, ...] = ()
    mean: float | None = None
    std: float | None = None
    median: float | None = None
    accepted_minimum: float | None = None
    accepted_maximum: float | None = None
    training_minimum: float | None = None
    training_maximum: float | None = None
    date_format: str = ""
    timed: bool = False
    rare: int = 0
    required_value: bool = False
    typical: str | None = None
    missing_words: tuple[str, ...] = ()


def input_specs(
    recipe: TabularRecipe, ranges: Mapping[str, Sequence[float]] | None = None
) -> list[InputSpec]:
    """The API inputs of ``recipe``: its categorical columns, its continuous ones, its dates, then its text
    columns. ``ranges``: each continuous input's training range (:func:`training_ranges`), where known."""
    ids = {getattr(recipe, "user_col", None), getattr(recipe, "item_col", None)} - {None}  # a recommender's
    specs = [
        InputSpec(
            name,
            "categorical",
            tuple(recipe.categories[name]),
            rare=getattr(recipe, "rare", {}).get(name, 0),
            required_value=name in ids,
            typical=getattr(recipe, "most_frequent", {}).get(name),
        )
        for name in recipe.cat_names
    ]
    for name in recipe.cont_names:
        mean, std = recipe.means[name], recipe.stds[name]
        reach = MAX_STANDARD_DEVIATIONS * std
        low, high = (ranges or {}).get(name) or (None, None)
        specs.append(
            InputSpec(
                name,
                "continuous",
                (),
                mean,
                std,
                recipe.fill_values[name],
                accepted_minimum=mean - reach,
                accepted_maximum=mean + reach,
                training_minimum=low,
                training_maximum=high,
                missing_words=tuple(getattr(recipe, "missing_words", {}).get(name, ())),
            )
        )
    parts = getattr(recipe, "date_parts", {})
    specs += [
        InputSpec(name, "date", date_format=fmt, timed="hour" in parts.get(name, ()))
        for name, fmt in getattr(recipe, "dates", {}).items()
    ]
    specs += [
        InputSpec(name, "text", tuple(words), typical=_typical_text(recipe, name, words))
        for name, words in getattr(recipe, "words", {}).items()
    ]
    return specs


def _typical_text(recipe: TabularRecipe, name: str, words: Sequence[str]) -> str | None:
    """A text a typical training row holds, for the example request: the words at least half the rows hold (each
    word's input's median), else the commonest word (its mean); ``None`` when the recipe kept neither. The first
    known words ("mr miss mrs" for titanic's Name) read as generated, not as data."""
    inputs = {word: word_input(name, word) for word in words}
    medians, means = getattr(recipe, "fill_values", {}), getattr(recipe, "means", {})
    usual = [word for word, column in inputs.items() if medians.get(column, 0.0) >= 0.5]
    if usual:
        return " ".join(usual)
    shares = {word: means[column] for word, column in inputs.items() if column in means}
    return max(shares, key=lambda word: shares[word]) if shares else None


def readable(value: float) -> str:
    """A number for a description: at least four significant digits, never in exponent form, whole digits
    grouped (``12,749,943``, ``28.97``, ``0.5821``); ``.6g`` wrote ``-1.27499e+07`` beside ``1.275e+07``."""
    if not math.isfinite(value) or value == 0:
        return f"{value:g}"
    decimals = min(max(3 - math.floor(math.log10(abs(value))), 0), 8)
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def training_ranges(metadata: Mapping[str, Any] | None) -> dict[str, tuple[float, float]]:
    """Each continuous input's smallest and largest training value, as ``trainwell.json`` records them
    (``training.input_ranges``, ``{"age": [17.0, 90.0]}``); ``{}`` for a model directory written before they
    were kept, and an entry that is not two finite numbers is left out."""
    stored = ((metadata or {}).get("training") or {}).get("input_ranges")
    if not isinstance(stored, Mapping):
        return {}
    ranges = {}
    for name, pair in stored.items():
        if (
            isinstance(pair, Sequence)
            and len(pair) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in pair)
        ):
            ranges[str(name)] = (float(pair[0]), float(pair[1]))
    return ranges


def _cells_as_read(specs: Sequence[InputSpec]) -> Callable[[Any], Any]:
    """Before a row is validated: its cells sent as text read as ``trainwell predict`` reads the same text in a
    CSV's cell, so that a row gets the same answer over HTTP and in batch (:func:`~trainwell.read_table` strips
    the spaces around a value, reads its missing markers as missing and a column of numbers as numbers):

    - a continuous input's text is stripped; blank, one of :data:`MISSING_TEXTS` (``"NaN"``, ``"NA"``, ``"?"``)
      or one of the column's missing words is missing (``None``); a number (:data:`NUMBER_TEXT`: ``"22"``,
      ``" 34.5 "``, ``"-1e3"``) is that number. Other text stays as it came, for the strict number check of its
      field to refuse, naming the field (``"22 years"``; ``"1e999"`` becomes infinity, refused as too large).
    - a categorical input's text that is no known value as sent is stripped; then blank or a missing marker is
      missing, and where the known values are numbers, a number written as text is that number (``" 3 "`` and
      ``"3.0"`` are the category 3, as a CSV column of numbers reads them). A recommender's user or item is
      stripped and read as a number alike, never as missing (its refusal of a blank one says why).
    - a date's or a word input's text that is blank or a missing marker is missing; a date is stripped.

    Once per row rather than once per value: a Python call per value doubled the validation time of a 1,000-row
    request of Adult's 6 continuous inputs (11 to 22 ms); a value that is no text, or a category sent as it is
    known, costs one type check and one lookup.
    """
    # name -> (kind, known values, read as a number, missing words); kind: 0 number, 1 category, 2 id, 3 date,
    # 4 words; "read as a number": a continuous input, or a categorical one whose known values are numbers
    rules: dict[str, tuple[int, frozenset[str], bool, frozenset[str]]] = {}
    for spec in specs:
        if spec.kind == "continuous":
            rules[spec.name] = (0, frozenset(), True, frozenset(spec.missing_words))
        elif spec.kind == "categorical":
            numbers = bool(spec.values) and all(_is_number(value) for value in spec.values)
            rules[spec.name] = (2 if spec.required_value else 1, frozenset(spec.values), numbers, frozenset())
        else:
            rules[spec.name] = (3 if spec.kind == "date" else 4, frozenset(), False, frozenset())
    missing, number_text = MISSING_TEXTS, _NUMBER_TEXT

    def convert(row: Any) -> Any:
        if not isinstance(row, dict):
            return row  # not an object: the row's own validation says so
        read: dict[str, Any] = {}
        for name, value in row.items():
            if value.__class__ is not str:
                continue
            rule = rules.get(name)
            if rule is None:
                continue
            kind, known, numbers, words = rule
            if value in known or (
                # no spaces around it and longer than any missing marker: read as it is (a name, a review)
                len(value) > _LONGEST_MARKER
                and not numbers
                and not words
                and not value[0].isspace()
                and not value[-1].isspace()
            ):
                continue
            text = value.strip()
            if kind == 0:
                if text in missing or text in words:
                    read[name] = None
                elif number_text.match(text):
                    read[name] = float(text)
            elif kind in (1, 2):
                if kind == 1 and text in missing and text not in known:
                    read[name] = None
                elif kind == 2 and not text:
                    continue  # refused as a missing id, as sent
                elif numbers and text not in known and number_text.match(text) and math.isfinite(float(text)):
                    read[name] = float(text)
                elif len(text) != len(value):
                    read[name] = text
            elif text in missing:
                read[name] = None
            elif kind == 3 and len(text) != len(value):
                read[name] = text
        return {**row, **read} if read else row

    return convert


def number_or_missing_text(words: Sequence[str] = ()) -> str:
    """The pattern of the text a continuous input accepts (its OpenAPI ``pattern``): :data:`NUMBER_TEXT`, one of
    :data:`MISSING_TEXTS` or of the column's missing ``words``, or nothing, with spaces around (``\\s`` is what
    Python's ``str.strip`` removes)."""
    special = set(".^$*+?()[]{}|\\/")
    markers = sorted({*MISSING_TEXTS, *words} - {""})
    escaped = ["".join(f"\\{char}" if char in special else char for char in marker) for marker in markers]
    return rf"^\s*(?:{NUMBER_TEXT[1:-1]}|{'|'.join(escaped)})?\s*$"


def _categorical_value(value: Any) -> Scalar | None:
    """Accept exactly the JSON scalars (a list or an object as a category is a client bug)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise PydanticCustomError("finite_number", "Input should be a finite number")
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise PydanticCustomError("categorical_type", "Input should be text, a number, a boolean or null")


_CATEGORICAL_SCHEMA = {
    "anyOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}, {"type": "null"}]
}
CategoricalValue = Annotated[Any, PlainValidator(_categorical_value), WithJsonSchema(_CATEGORICAL_SCHEMA)]


def _blank_as_missing(value: Any) -> Any:
    """A table's category value ``""`` or only spaces is missing (``None``), as a CSV's empty cell is read by
    ``trainwell predict`` and in training: it was scored as an unseen category, so the same row got another
    answer over HTTP than in batch (0.261 against 0.451 on an Adult row)."""
    return None if isinstance(value, str) and not value.strip() else value


def _category_value(spec: InputSpec) -> Any:
    """:data:`CategoricalValue` for ``spec``, reading ``""`` (or only spaces) as missing (:func:`_blank_as_missing`);
    where its known values are not booleans, a JSON boolean is refused (``"Pclass": true``, a client's bug, was
    scored and only flagged as unseen) and left out of the schema."""
    if {"True", "False"} & set(spec.values):  # trained on true/false: a boolean is a known value
        return Annotated[
            Any,
            PlainValidator(lambda value: _categorical_value(_blank_as_missing(value))),
            WithJsonSchema(_CATEGORICAL_SCHEMA),
        ]
    numbers = bool(spec.values) and all(_is_number(value) for value in spec.values)
    listed = ", ".join(value if numbers else repr(value) for value in spec.values[:5])
    context = {
        "name": spec.name,
        "kind": "numbers" if numbers else "text",
        "listed": listed + (", ..." if len(spec.values) > 5 else ""),
    }

    def check(value: Any) -> Scalar | None:
        if isinstance(value, bool):
            raise PydanticCustomError(
                "category_boolean",
                "got {sent}, a JSON boolean, but the known values of {name} are {kind} ({listed}): send one of "
                "them, or null for a missing value (GET /metadata lists them)",
                {**context, "sent": str(value).lower()},
            )
        return _categorical_value(_blank_as_missing(value))

    no_boolean = {"anyOf": [{"type": "string"}, {"type": "number"}, {"type": "null"}]}
    return Annotated[Any, PlainValidator(check), WithJsonSchema(no_boolean)]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


#: A recommender's refusal of a row whose user or item is null, empty or left out (one advice for all three:
#: a missing one was told to send null, then null was refused).
ID_MISSING = "a recommender scores a user and an item: send both, not null"


def _id_value(value: Any) -> Scalar:
    """A recommender's user or item: a JSON scalar, never null (a row without one scores nothing)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise PydanticCustomError("id_missing", ID_MISSING)
    return cast(Scalar, _categorical_value(value))


IdValue = Annotated[
    Any,
    PlainValidator(_id_value),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}]}),
]


def _date_value(fmt: str) -> Any:
    """A validator accepting ``null`` or text that is a date in ``fmt``."""

    def check(value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise PydanticCustomError("date_type", "Input should be a date as text, or null")
        if value.strip() and not date_is_valid(value.strip(), fmt):
            raise PydanticCustomError(
                "date_format",
                "Input should be a date in the form {form}",
                {"form": describe_date_format(fmt)},
            )
        return value if value.strip() else None

    return check


def _describe(spec: InputSpec) -> str:
    if spec.kind == "text":
        return (
            f"Text input, read as the words it holds (case and punctuation aside) among: {', '.join(spec.values)}; "
            "other words are not read. null means no words."
        )
    if spec.kind == "date":
        return (
            f"Date input, as text in the form {describe_date_format(spec.date_format)}"
            f"{' with the time of day (the model reads the hour)' if spec.timed else ''}; null means missing. It "
            "is split into the parts the model reads (year, month, day, day of the week...)."
        )
    if spec.kind == "categorical":
        shown = ", ".join(repr(value) for value in spec.values[:VALUES_IN_DESCRIPTION])
        more = len(spec.values) - VALUES_IN_DESCRIPTION
        listed = f"{shown}, ... ({more} more: GET /metadata lists them all)" if more > 0 else shown
        unseen = (
            "null is refused (a recommender scores a user and an item), and an id training never saw is scored as "
            "the average one (known_user, known_item say which)"
            if spec.required_value
            else f"null is read as missing, and a value not listed as the column's {spec.rare} rare training values "
            "(each seen in too few rows to keep a code of its own)"
            if spec.rare > 1
            else "null is read as missing, and a value not listed as the column's 1 rare training value (seen in too "
            "few rows to keep a code of its own)"
            if spec.rare
            else "an unseen value, like null, is read as missing"
        )
        blank = ""
        if not spec.required_value:
            unseen += " (the answer's unseen names an unseen value)"
            blank = (
                ' "" (or only spaces) is missing, like null, and so is a missing marker ("NaN", "NA", "?"...) not '
                "listed, as a CSV's cell holding it is in trainwell predict; spaces around a value are not read."
            )
        return (
            f'Categorical input. Known values: {listed}. Values are matched by their text form (1 and "1" '
            f"are the same); {unseen}.{blank}"
        )
    seen = (
        f"training values from {readable(spec.training_minimum)} to {readable(spec.training_maximum)}, mean "
        if spec.training_minimum is not None and spec.training_maximum is not None
        else "training mean "
    )
    return (
        f"Continuous input ({seen}{readable(spec.mean or 0.0)}, standard deviation {readable(spec.std or 0.0)}): a "
        f'number, or a number written as text ("22.5", " 22.5 ", "-1e3"); other text is refused. null means missing '
        f"and is filled with the training median {readable(spec.median or 0.0)}; so is blank text or a missing "
        f'marker ("NaN", "NA", "?"...{"".join(f", {word!r}" for word in spec.missing_words)}), as a CSV\'s cell '
        f"holding it is in trainwell predict. Values outside "
        f"[{readable(spec.accepted_minimum or 0.0)}, {readable(spec.accepted_maximum or 0.0)}] "
        f"({readable(MAX_STANDARD_DEVIATIONS)} standard deviations from the mean) are refused as data errors; a value within "
        "it but outside the training range is accepted, and the model extrapolates."
    )


def _row_field(spec: InputSpec) -> Any:
    if spec.kind == "text":
        return Annotated[
            str | None,
            Field(
                title=spec.name,
                description=_describe(spec),
                examples=[spec.typical if spec.typical is not None else " ".join(spec.values[:3])],
            ),
        ]
    if spec.kind == "date":
        iso = spec.date_format in ("", "ISO8601")
        moment = datetime.datetime(2020, 1, 31, 8, 30) if spec.timed else datetime.datetime(2020, 1, 31)
        day = (
            moment.isoformat()
            if iso and spec.timed
            else "2020-01-31"
            if iso
            else moment.strftime(spec.date_format)
        )
        return Annotated[
            Any,
            PlainValidator(_date_value(spec.date_format)),
            WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "null"}]}),
            Field(title=spec.name, description=_describe(spec), examples=[day]),
        ]
    if spec.kind == "categorical":
        # A typical row's value (the median is a continuous input's), not the first in the model's order
        example: Any = spec.typical if spec.typical is not None else spec.values[0] if spec.values else None
        kind = IdValue if spec.required_value else _category_value(spec)
        return Annotated[kind, Field(title=spec.name, description=_describe(spec), examples=[example])]
    bounds = {"minimum": spec.accepted_minimum, "maximum": spec.accepted_maximum}
    number = Annotated[
        float, Field(strict=True, allow_inf_nan=False, ge=spec.accepted_minimum, le=spec.accepted_maximum)
    ]
    # The text form is declared beside the number (a client generated from the schema may send either), and read
    # by the row's own validator (_cells_as_read).
    as_text = {
        "type": "string",
        "pattern": number_or_missing_text(spec.missing_words),
        "description": "A number written as text, read as that number (same range), spaces around it aside; "
        'blank text or a missing marker ("NaN", "NA", "?"...) is missing, as a CSV\'s cell in trainwell predict.',
    }
    return Annotated[
        number | None,
        WithJsonSchema({"anyOf": [{"type": "number", **bounds}, as_text, {"type": "null"}]}),
        Field(title=spec.name, description=_describe(spec), examples=[round(spec.median or 0.0, 6)]),
    ]


def request_model(
    recipe: TabularRecipe,
    *,
    max_rows: int,
    forbid_extra_fields: bool,
    ranges: Mapping[str, Sequence[float]] | None = None,
) -> type[BaseModel]:
    """The body of ``POST /predict``: ``{"rows": [{column: value, ...}, ...]}`` with 1 to ``max_rows`` rows.

    Args:
        recipe: The model's recipe; each input column becomes a required, nullable field of a row.
        max_rows: Most rows in one request.
        forbid_extra_fields: Refuse unknown fields in a row and in the body (else ignore them).
        ranges: Each continuous input's training range (:func:`training_ranges`), named in its description.

    Returns:
        A pydantic model class with a ``rows`` attribute: a list of plain dicts keyed by column name.
    """
    extra: Literal["forbid", "ignore"] = "forbid" if forbid_extra_fields else "ignore"
    specs = input_specs(recipe, ranges)
    fields = {spec.name: _row_field(spec) for spec in specs}
    # Columns of the training table the model does not read (the target, columns left out as IDs...): a row
    # sent straight from that table is accepted, as trainwell predict accepts it, and these are ignored.
    unused = [*getattr(recipe, "target_names", []), *getattr(recipe, "dropped", {})]
    for name in unused:
        if name not in fields:
            fields[name] = NotRequired[
                Annotated[
                    Any, Field(description="A column of the training table the model does not use: ignored.")
                ]
            ]
    # The functional TypedDict form takes any text as a key ("education-num", "class", "model_config").
    row = TypedDict("Row", fields)  # type: ignore[misc,operator]
    row.__pydantic_config__ = ConfigDict(extra=extra)  # type: ignore[attr-defined]
    rows_doc = f"1 to {max_rows} rows; every input field is required and may be null (missing). " + (
        (
            "Unknown fields are refused; the training table's columns the model does not use (the target, "
            "columns left out) are accepted and ignored, so a row can be sent as the table holds it."
            if unused
            else "Unknown fields are refused."
        )
        if forbid_extra_fields
        else "Unknown fields are ignored."
    )
    return create_model(
        "PredictRequest",
        __config__=ConfigDict(extra=extra),
        rows=(
            list[Annotated[row, BeforeValidator(_cells_as_read(specs))]],  # type: ignore[valid-type]
            Field(min_length=1, max_length=max_rows, description=rows_doc),
        ),
    )


def images_request_body(
    json_model: type[BaseModel], *, max_images: int, formats: list[str], multilabel: bool = False
) -> dict[str, Any]:
    """The OpenAPI ``requestBody`` of ``POST /predict`` for a vision model: the JSON body (``json_model``, from
    :func:`trainwell.serve.images.images_request_model`) or a ``multipart/form-data`` form of files (and, for a
    ``multilabel`` model, the optional form field ``at_least_one``: :func:`with_at_least_one`), and the optional
    form field ``tta`` (:func:`~trainwell.serve.tta.with_tta`).

    The server reads the body itself (FastAPI's form support needs an extra package), so the body is declared
    here rather than derived from a function signature.
    """
    listed = ", ".join(formats)
    files = {
        "type": "array",
        "items": {"type": "string", "format": "binary"},
        "minItems": 1,
        "maxItems": max_images,
        "description": (
            f"1 to {max_images} image files ({listed}), in order; the field may also be named 'image', 'files' "
            "or 'file' (curl: -F file=@cat.png), several files in any of them."
        ),
    }
    form: dict[str, Any] = {"images": files}
    form["tta"] = {"type": "string", "enum": ["true", "false"], "description": tta_doc()}
    if multilabel:
        form["at_least_one"] = {
            "type": "string",
            "enum": ["true", "false"],
            "description": at_least_one_doc("image"),
        }
    media_types = ", ".join(f"image/{name.lower()}" for name in formats)
    return {
        "required": True,
        "description": (
            "The images to predict for: base64 strings in JSON, files in a multipart form, or one image file as "
            "the body, sent with its own type (image/png...), as application/octet-stream or with no type (its "
            "format read from its first bytes)."
        ),
        "content": {
            "application/json": {"schema": json_model.model_json_schema()},
            "multipart/form-data": {
                "schema": {"type": "object", "properties": form, "required": ["images"]},
                "encoding": {"images": {"contentType": media_types or "application/octet-stream"}},
            },
            "image/*": {"schema": {"type": "string", "format": "binary", "description": "One image file."}},
        },
    }


def at_least_one_doc(items: str = "row") -> str:
    """The description of a multi-label model's request field ``at_least_one`` (``items``: what it answers)."""
    return (
        f"Optional. true: a {items} with no label at or above its threshold is answered with its likeliest label "
        f"instead of an empty list (the other {items}s as without it); false: such a {items} gets an empty list. "
        "Left out: the server's default (GET /metadata: task.at_least_one; trainwell serve --at-least-one)."
    )


def with_at_least_one(request_type: type[BaseModel], task: Task, items: str = "row") -> type[BaseModel]:
    """``request_type`` (a JSON body of ``POST /predict``) with the optional boolean field ``at_least_one``.

    A multi-label model's schema documents it (:func:`at_least_one_doc`). For any other model it is left out of
    the schema yet read, so that ``true`` is refused with a 422 that says why
    (:func:`~trainwell.serve.predictions.at_least_one_problem`) rather than as an unknown field, or silently
    ignored where unknown fields are. ``null`` is no boolean: leave the field out for the server's default.
    """
    if task.kind == "multilabel":
        field: Any = (bool, Field(None, strict=True, description=at_least_one_doc(items), examples=[True]))
    else:
        field = (SkipJsonSchema[bool], Field(None, strict=True))
    return create_model(request_type.__name__, __base__=request_type, at_least_one=field)


#: The fields a recommender's answers add (:func:`~trainwell.serve.predictions.predict_rows`).
KNOWN_FIELDS: dict[str, Any] = {
    "known_user": (
        bool,
        Field(
            description="False: the user was not in the training ratings; scored as the average known user."
        ),
    ),
    "known_item": (
        bool,
        Field(
            description="False: the item was not in the training ratings; scored as the average known item."
        ),
    ),
}


#: The field a table model's answers add (:func:`~trainwell.serve.predictions.unseen_categories`).
UNSEEN_FIELD: dict[str, Any] = {
    "unseen": (
        dict[str, Scalar],
        Field(
            description="The row's categorical inputs holding a value the model has no code for (never seen in "
            "training, or in too few rows to get one), each with the value sent. The row is scored all the same, "
            "the value read as the column's rare values or as missing: distrust its prediction where this is not "
            "empty. {} when the model knows every value.",
            examples=[{}, {"workclass": "Space-force"}],
        ),
    ),
}


#: The fields an image's answer adds when the image was not at the training size or mode
#: (:func:`trainwell.serve.images.fitting_note`): left out when it was.
IMAGE_NOTE_FIELDS: dict[str, Any] = {
    "resized_from": (
        list[int] | None,
        Field(
            default=None,
            description="The image's [width, height] where it was not the training size: it was fitted to that "
            "size. Left out when it was the training size.",
            examples=[[4000, 3000]],
        ),
    ),
    "converted_from": (
        str | None,
        Field(
            default=None,
            description="The image's mode (RGB, RGBA, L, P...) where it was not the training one: it was converted "
            "to that mode (L: grayscale). Left out when it was the training mode.",
            examples=["RGB"],
        ),
    ),
}


#: The ``note`` of a text classifier's answer to an empty text (:func:`trainwell.serve.texts.predict_texts`).
BLANK_NOTE_FIELD: dict[str, Any] = {
    "note": (
        str | None,
        Field(
            None,
            description="Sent only for a text that is empty or only spaces: it was not scored (prediction and "
            "probabilities are null); the request's other texts were.",
        ),
    )
}


def response_model(
    task: Task,
    *,
    recommender: bool = False,
    unseen: bool = False,
    image_notes: bool = False,
    blank_notes: bool = False,
) -> type[BaseModel]:
    """The body of a successful ``POST /predict``: ``{"predictions": [...]}``, one entry per row, in order.

    Classification entries are ``{"prediction": label, "probabilities": {label: p, ...}}`` (multilabel: the
    prediction is the list of labels at or above the threshold); regression entries are
    ``{"prediction": value}``, or ``{"prediction": {target: value, ...}}`` for several targets; a
    ``recommender``'s add ``known_user`` and ``known_item``; with ``unseen`` (a table model's), each adds
    ``unseen``: the categorical values the model has no code for, by column; with ``image_notes`` (an image
    model's), each may add ``resized_from`` and ``converted_from`` (:data:`IMAGE_NOTE_FIELDS`); with
    ``blank_notes`` (a text classifier's), a blank text's entry has a ``note``, and null ``prediction`` and
    ``probabilities``.
    """
    flags = {
        **(KNOWN_FIELDS if recommender else {}),
        **(UNSEEN_FIELD if unseen else {}),
        **(IMAGE_NOTE_FIELDS if image_notes else {}),
    }
    if task.kind == "regression":
        names = list(task.target_names)
        if len(names) > 1:
            targets: dict[str, Any] = {f"t{i}": (float, Field(alias=name)) for i, name in enumerate(names)}
            values = create_model("PredictedValues", **targets)
            prediction: Any = (values, Field(description="The predicted value of each target."))
        else:
            prediction = (float, Field(description=f"The predicted {names[0] if names else 'value'}."))
        item = create_model("Prediction", prediction=prediction, **flags)
    else:
        classes: dict[str, Any] = {
            f"c{i}": (float, Field(alias=str(label), ge=0.0, le=1.0)) for i, label in enumerate(task.classes)
        }
        probabilities = create_model("Probabilities", **classes)
        # null too where a blank text's answer has no prediction (the enum sits beside the anyOf of types)
        enum: Any = {"enum": [*task.classes, *([None] if blank_notes else [])]}
        if task.kind == "multilabel":
            label_field: Any = (
                list[Scalar],
                Field(
                    description="The labels whose probability is at or above their threshold; with at_least_one, "
                    "the likeliest label where none is."
                ),
            )
        else:
            label_field = (Scalar, Field(description="The most likely class.", json_schema_extra=enum))
        probabilities_field: Any = (probabilities, Field(description="The probability of each class."))
        if blank_notes:  # null for a blank text, which is answered with a note instead
            label_field = (label_field[0] | None, label_field[1])
            label_field[1].description += " Null for an empty text (see note)."
            probabilities_field = (probabilities | None, probabilities_field[1])
            flags = {**flags, **BLANK_NOTE_FIELD}
        item = create_model("Prediction", prediction=label_field, probabilities=probabilities_field, **flags)
    answers = Field(description="One answer per item sent (row, image or text), in the order sent.")
    return create_model("PredictResponse", predictions=(list[item], answers))  # type: ignore[valid-type]


# The docstrings of the models below are their descriptions in the OpenAPI document (GET /openapi.json, shown
# by /docs as markdown): written in markdown (`code`), never reST roles (:mod:) or double backticks, which /docs
# showed as they are.
class ErrorItem(BaseModel):
    """One problem with a request: where (`loc` and the dotted `field`), what and its kind."""

    loc: list[str | int]
    field: str
    msg: str
    type: str


class ErrorResponse(BaseModel):
    """The body of every 4xx answer: a one-line `message` naming the field(s), and the problems one by one."""

    message: str
    detail: list[ErrorItem] = []


class TaskInfo(BaseModel):
    kind: str
    classes: list[Scalar]
    target_names: list[str]
    threshold: float | None = Field(
        None,
        description="Binary and multi-label: the probability at or above which a label is predicted. Absent "
        "for other tasks (a regression or the most likely of several classes has no threshold).",
    )
    label_thresholds: dict[str, float] | None = Field(
        None,
        description="Multi-label: each label's decision threshold, chosen on the validation rows (else the "
        "threshold for every label).",
    )
    at_least_one: bool | None = Field(
        None,
        description="Multi-label: whether a row with no label at or above its threshold is answered with its "
        "likeliest label when the request leaves at_least_one out (trainwell serve --at-least-one). Absent for "
        "other tasks.",
    )

    # No return annotation: pydantic would document the answer as that type instead of this model.
    @model_serializer(mode="wrap")
    def _leave_out_no_threshold(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        """``threshold`` and ``at_least_one`` are left out, not null, where the task has none."""
        data = handler(self)
        if isinstance(data, dict):
            for name in ("threshold", "at_least_one"):
                if data.get(name) is None:
                    data.pop(name, None)
        return data


class InputInfo(BaseModel):
    name: str
    kind: Literal["categorical", "continuous", "date", "text"]
    format: str | None = Field(None, description="A date input's text format.")
    values: list[str] | None = Field(
        None, description="A categorical input's values; the words a text input is read as."
    )
    count: int | None = Field(
        None,
        description="A recommender's number of known users or items; its GET /metadata lists them (values) only "
        "with ?ids=true.",
    )
    mean: float | None = None
    std: float | None = None
    median: float | None = None
    minimum: float | None = Field(
        None,
        description="A continuous input's smallest training value; null for a model directory that does not "
        "record it (written by an older trainwell: accepted_minimum and accepted_maximum are still given).",
    )
    maximum: float | None = Field(
        None, description="A continuous input's largest training value; as minimum."
    )
    accepted_minimum: float | None = Field(
        None,
        description=f"The smallest value a continuous input accepts: the training mean less "
        f"{readable(MAX_STANDARD_DEVIATIONS)} standard deviations. A guard against data errors (a sentinel such as -1e9), "
        "not a range the model knows: minimum and maximum are the range it learned from, and a value outside "
        "them, though accepted, is extrapolated.",
    )
    accepted_maximum: float | None = Field(
        None,
        description=f"The largest value a continuous input accepts: the training mean plus "
        f"{readable(MAX_STANDARD_DEVIATIONS)} standard deviations; as accepted_minimum, a guard against data errors only.",
    )


class Versions(BaseModel):
    trainwell: str | None = Field(None, description="The trainwell version that wrote the model.")
    torch: str | None = Field(None, description="The torch version that trained the model.")
    format_version: int | None = None
    created: str | None = Field(None, description="When the model directory was written (trainwell.json's).")
    server_trainwell: str = Field(description="The trainwell version serving it.")
    model_version: str | None = Field(
        None,
        description="Which model answers: the first 12 hex digits of the SHA-256 of model.safetensors, as every "
        "answer's X-Model-Version header gives it (null without that file). With created, it tells two models "
        "apart during a rolling deploy.",
    )
    model_sha256: str | None = Field(None, description="The whole SHA-256 of model.safetensors.")
    environment: dict[str, str] | None = Field(
        None,
        description="Where the model was written: the versions of python, numpy, pandas, torch and onnxruntime "
        "(where installed) and the platform, as trainwell.json keeps them; null for a model written before "
        "trainwell kept them.",
    )


class Limits(BaseModel):
    max_rows: int
    max_body_bytes: int
    max_batch: int
    batch_wait_ms: float
    forbid_extra_fields: bool


#: The description of ``GET /metadata``'s ``metrics`` (:func:`~trainwell.serve.predictions.metadata_document`).
METRICS_DOC = (
    "The model's validation figures at the end of training (its last epoch): the losses and metrics, and epoch, "
    "the epochs trained counted from 1. A figure the fit did not record (a boosted-trees model has no training "
    "loss) is left out."
)


class MetadataResponse(BaseModel):
    """What `GET /metadata` returns: the task, the inputs a row needs, metrics, versions and limits."""

    application: str
    backend: Literal["torch", "onnx"] = Field(
        description="What runs the model: PyTorch, or onnxruntime on the exported model.onnx."
    )
    task: TaskInfo
    inputs: list[InputInfo]
    request_format: str = Field(description="The body POST /predict reads.")
    dropped_columns: dict[str, str] = Field(description="Training columns the model does not use, with why.")
    metrics: dict[str, Scalar] = Field(description=METRICS_DOC)
    versions: Versions
    limits: Limits


class ImageInfo(BaseModel):
    """The images a vision model expects; any size is accepted and fitted to `height` x `width`, upright as its
    EXIF orientation says."""

    height: int
    width: int
    channels: int = Field(description="1: images are read as grayscale; 3: as RGB.")
    resize: str = Field(description="How another size is fitted: crop (centre), squish or pad.")
    mean: list[float] = Field(description="Per-channel training mean (0..1); the model normalises itself.")
    std: list[float]


class TtaInfo(BaseModel):
    """Test-time augmentation on this server: a request's `"tta": true` (a form field `tta=true`) averages each
    image's probabilities over views of it, as `trainwell predict --tta` does."""

    default: bool = Field(
        description="Whether a request that leaves tta out is answered with it (trainwell serve --tta)."
    )
    available: bool = Field(
        description="Whether this model can answer with it: not a model predicting several numbers an image, "
        'which refuses "tta": true.'
    )
    views: str | None = Field(
        description="What tta averages, in the words trainwell predict --tta prints; null when not available."
    )


class ImageLimits(BaseModel):
    max_images: int
    max_image_pixels: int = Field(
        description="The largest image decoded, in pixels (width x height); larger: 422, type image_too_large "
        "(trainwell serve --max-image-pixels)."
    )
    max_body_bytes: int
    max_batch: int
    batch_wait_ms: float
    forbid_extra_fields: bool


class VisionMetadataResponse(BaseModel):
    """What `GET /metadata` returns for a vision model: task, image size, formats, metrics, versions, limits."""

    application: Literal["vision"]
    backend: Literal["torch", "onnx"] = Field(
        description="What runs the model: PyTorch, or onnxruntime on the exported model.onnx."
    )
    task: TaskInfo
    tta: TtaInfo
    image: ImageInfo
    formats: list[str] = Field(description="Image file formats the server decodes.")
    request_formats: dict[str, str] = Field(description="The accepted request bodies, by content type.")
    metrics: dict[str, Scalar] = Field(description=METRICS_DOC)
    versions: Versions
    limits: ImageLimits
