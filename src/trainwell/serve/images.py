"""From a ``POST /predict`` body to decoded images: JSON with base64 strings, or ``multipart/form-data`` files.

Each image is decoded and fitted to the training size by the vision recipe
(:func:`trainwell.vision.io.image_array`, as the Python predictor does) into ``uint8`` ``(C, H, W)``, once per
request; the micro-batcher then stacks the images of concurrent requests into one model call.

Every problem is reported with the item it concerns, as a 4xx (see :class:`ImageRequestError`): the field
``images.3`` (its index in the request) and, for an uploaded file, its file name.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from trainwell.serve._content_type import content_type_problem, is_image, media_type
from trainwell.serve._errors import body_shape_message, unreadable_json_problem
from trainwell.serve._multipart import MultipartError, boundary_of, parse_multipart
from trainwell.serve._surrogates import lone_surrogate_problems, may_hold_lone_surrogates
from trainwell.serve.config import IMAGE_PIXELS
from trainwell.vision.io import DECODE_ERRORS as PILLOW_ERRORS
from trainwell.vision.io import image_array
from trainwell.vision.recipe import ImageRecipe

__all__ = [
    "FILE_FIELDS",
    "MAX_IMAGE_PIXELS",
    "Asked",
    "EncodedImage",
    "ImageRequestError",
    "accepted_formats",
    "decode_image",
    "decode_images",
    "decode_noted_images",
    "encoded_images",
    "fitting_note",
    "image_request",
    "images_request_model",
    "pixel_count",
    "read_images",
]

#: Multipart field names holding image files: "images" as documented, and the names clients commonly send
#: (curl users write ``-F file=@cat.jpg``). Every file in any of them is an image, answered in form order.
FILE_FIELDS = ("images", "image", "files", "file")
#: The form fields of a multipart request that ask ``at_least_one`` and ``tta`` (``true`` or ``false``), as the
#: JSON body's fields of those names do.
AT_LEAST_ONE_FIELD = "at_least_one"
TTA_FIELD = "tta"
FLAG_FIELDS = (AT_LEAST_ONE_FIELD, TTA_FIELD)
_FIELD_WORDS = "'images' (or 'image', 'files', 'file')"
#: Largest image accepted by default, in pixels (width x height), checked from the header before decoding: a small
#: compressed file can expand to gigabytes. A server's own is ``trainwell serve --max-image-pixels``
#: (:attr:`~trainwell.serve.config.ServeConfig.max_image_pixels`).
MAX_IMAGE_PIXELS = IMAGE_PIXELS
#: Content types a body may be sent with that say nothing of what it holds (``requests.post(url, data=...)``
#: sends none, curl's ``--data-binary`` without ``-H`` sends ``application/x-www-form-urlencoded``): such a body
#: whose first bytes are an image file's (:func:`sniffed_image`) is read as one image, as ``image/*`` is.
UNTYPED_BODIES = ("", "application/octet-stream", "application/x-www-form-urlencoded")
#: The JSON body's key for one image, beside ``images`` (a list): ``{"image": "<base64>"}``, as the multipart
#: form takes the field ``image``.
ONE_IMAGE_KEY = "image"
#: The keys of the JSON body, as the 422 for an unknown one lists them.
_JSON_KEYS_WORDS = '"images": ["<base64>", ...], or one image as "image": "<base64>"'
#: Formats listed in GET /metadata, when this Pillow can read them.
COMMON_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP")
#: What Pillow raises for truncated, corrupt or hostile files (UnidentifiedImageError is an OSError; some
#: format plugins let struct and index errors out on garbage). Anything else is a bug and propagates.
DECODE_ERRORS: tuple[type[Exception], ...] = (*PILLOW_ERRORS, struct.error, IndexError)
_DATA_URL = re.compile(r"^data:[\w/+.-]*(;[\w=.-]+)*;base64,", re.IGNORECASE)


class ImageRequestError(Exception):
    """A request the server refuses: ``status`` (400, 415 or 422) and the problems, each naming its item as
    ``{"loc": ["images", 3], "msg": ..., "type": ...}`` (the shape :func:`~trainwell.serve._errors.error_body`
    reads)."""

    def __init__(self, status: int, problems: list[dict[str, Any]]) -> None:
        super().__init__(problems[0]["msg"] if problems else "bad request")
        self.status = status
        self.problems = problems


@dataclass(frozen=True)
class Asked:
    """What a request asks of its answers beside its images: ``at_least_one`` and ``tta`` as it sent them
    (``None``: it said nothing, and the server's default holds)."""

    at_least_one: bool | None = None
    tta: bool | None = None


@dataclass(frozen=True)
class EncodedImage:
    """One image as received: where it is in the request, how a message names it (``"file 'cat.png' "`` or
    ``"the image "``) and its encoded bytes."""

    loc: list[str | int]
    shown: str
    data: bytes


def images_request_model(*, max_images: int, forbid_extra_fields: bool) -> type[BaseModel]:
    """The JSON body of ``POST /predict`` for a vision model: ``{"images": ["<base64>", ...]}``."""
    extra: Any = "forbid" if forbid_extra_fields else "ignore"
    return create_model(
        "ImagesRequest",
        __config__=ConfigDict(extra=extra),
        images=(
            list[str],
            Field(
                min_length=1,
                max_length=max_images,
                description=(
                    f"1 to {max_images} images, each an encoded image file (PNG, JPEG, ...) in standard base64; "
                    "a data URL prefix (data:image/png;base64,) and line breaks are accepted. One image may be "
                    'sent as {"image": "<base64>"} instead.'
                ),
                json_schema_extra={"items": {"type": "string", "contentEncoding": "base64"}},
            ),
        ),
    )


def read_images(
    body: bytes,
    content_type: str,
    recipe: ImageRecipe,
    request_model: type[BaseModel],
    *,
    max_images: int,
    forbid_extra_fields: bool,
) -> list[np.ndarray]:
    """The request's images, decoded to ``uint8`` ``(C, H, W)`` at the recipe's size, in order:
    :func:`encoded_images` then :func:`decode_images`.

    Raises:
        ImageRequestError: 400 for a body that is not JSON or not well-formed multipart, 415 for another (or no)
            content type, 422 naming the item for invalid base64, an undecodable or oversized image, no
            images, too many images or an unknown field.
    """
    items = encoded_images(
        body, content_type, request_model, max_images=max_images, forbid_extra_fields=forbid_extra_fields
    )
    return decode_images(items, recipe)


def encoded_images(
    body: bytes,
    content_type: str,
    request_model: type[BaseModel],
    *,
    max_images: int,
    forbid_extra_fields: bool,
) -> list[EncodedImage]:
    """The request's images, still encoded (the cheap part: parsing JSON or multipart, base64).

    Raises:
        ImageRequestError: As :func:`read_images`, except for problems found only by decoding.
    """
    items, _ = image_request(
        body, content_type, request_model, max_images=max_images, forbid_extra_fields=forbid_extra_fields
    )
    return items


def image_request(
    body: bytes,
    content_type: str,
    request_model: type[BaseModel],
    *,
    max_images: int,
    forbid_extra_fields: bool,
) -> tuple[list[EncodedImage], Asked]:
    """The request's images, still encoded (:func:`encoded_images`), and what it asks of ``at_least_one`` and
    ``tta`` (:class:`Asked`): the JSON body's fields or the multipart form's fields of those names (``true`` or
    ``false``), ``None`` where it says nothing (an image sent as the whole body never does).

    Raises:
        ImageRequestError: As :func:`encoded_images`; 422 for an ``at_least_one`` or ``tta`` form field that
            is neither ``true`` nor ``false``.
    """
    received = media_type(content_type)
    untyped_image = received in UNTYPED_BODIES and sniffed_image(body) is not None
    if received == "application/octet-stream" and not untyped_image:
        raise ImageRequestError(*_not_an_image(body))
    problem = None if untyped_image else content_type_problem(content_type, multipart=True)
    if problem is not None:
        raise ImageRequestError(415, [problem])
    asked = Asked()
    if untyped_image:  # requests.post(url, data=jpeg_bytes), curl --data-binary @cat.jpg without -H
        items = [EncodedImage(["body"], "the image ", body)]
    elif received == "multipart/form-data":
        items, asked = _multipart_items(body, content_type, max_images=max_images, forbid=forbid_extra_fields)
    elif is_image(received):  # curl --data-binary @cat.png -H 'Content-Type: image/png'
        if not body:
            raise ImageRequestError(
                422,
                [
                    {
                        "loc": ["body"],
                        "msg": "the body holds no image; send an image file",
                        "type": "empty_body",
                    }
                ],
            )
        items = [EncodedImage(["body"], "the image ", body)]
    else:
        items, asked = _json_items(body, request_model)
    return items, asked


def _json_items(body: bytes, request_model: type[BaseModel]) -> tuple[list[EncodedImage], Asked]:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        problem = unreadable_json_problem(error)
        if problem is None:
            raise
        raise ImageRequestError(400, [problem]) from error
    if may_hold_lone_surrogates(body):  # as every JSON endpoint refuses it (require_json)
        lone = lone_surrogate_problems(document)
        if lone:
            raise ImageRequestError(422, lone)
    # {"image": "<base64>"}: one image, as the multipart field "image" takes it (it was "Extra inputs are not
    # permitted" and "images: Field required"); read as {"images": [...]}, its problems named "image".
    alias = isinstance(document, dict) and ONE_IMAGE_KEY in document and "images" not in document
    if alias:
        one = document.pop(ONE_IMAGE_KEY)
        document["images"] = [one] if isinstance(one, str) else one
    try:
        parsed = request_model.model_validate(document)
    except ValidationError as error:
        raise ImageRequestError(422, _json_problems(error, request_model, alias)) from error
    items, problems = [], []
    for index, text in enumerate(parsed.images):  # type: ignore[attr-defined]
        loc: list[str | int] = [ONE_IMAGE_KEY] if alias and len(parsed.images) == 1 else ["images", index]  # type: ignore[attr-defined]
        try:
            items.append(EncodedImage(loc, "the image ", _b64decode(text)))
        except (binascii.Error, ValueError) as error:
            problems.append(
                {
                    "loc": loc,
                    "msg": f"invalid base64 ({error}); send each image file encoded in standard base64",
                    "type": "base64_invalid",
                }
            )
    if problems:
        raise ImageRequestError(422, problems)
    return items, Asked(getattr(parsed, "at_least_one", None), getattr(parsed, "tta", None))


def _json_problems(
    error: ValidationError, request_model: type[BaseModel], alias: bool
) -> list[dict[str, Any]]:
    """The 422's problems of a JSON body the request model refused: the shape of the body in a client's words
    (:func:`~trainwell.serve._errors.body_shape_message`), an unknown key with the keys the body takes (the
    images' key then not also said missing, where none was sent), and ``image`` where the body sent its one image under that key."""
    fields = tuple(request_model.model_fields)
    found = error.errors(include_url=False)
    unknown = any(problem["type"] == "extra_forbidden" and len(problem["loc"]) == 1 for problem in found)
    # An unknown key where no images were sent stands for them ("img", "files"): its message says the keys.
    misnamed = unknown and any(
        problem["type"] == "missing" and problem["loc"] == ("images",) for problem in found
    )
    others = ", ".join(f'"{name}"' for name in fields if name != "images")
    problems = []
    for problem in found:
        loc, kind = list(problem["loc"]), problem["type"]
        if misnamed and kind == "missing" and loc == ["images"]:
            continue  # said by the unknown key's message
        if misnamed and kind == "extra_forbidden" and len(loc) == 1:
            words = f"; other keys: {others}" if others else ""
            message = f"unknown key; send the images as {_JSON_KEYS_WORDS}{words}"
        else:
            message = (
                body_shape_message(kind, loc, problem.get("input"), problem.get("ctx"), fields)
                or problem["msg"]
            )
        if alias and loc[:1] == ["images"]:
            loc = [ONE_IMAGE_KEY, *loc[1:]]
        problems.append({"loc": loc, "msg": message, "type": kind})
    return problems


def sniffed_image(data: bytes) -> str | None:
    """The image format whose signature ``data`` starts with (JPEG, PNG, GIF, WebP, BMP, TIFF), else ``None``:
    how a body sent without an image type (``application/octet-stream``, or none) is told to be an image."""
    head = data[:12]
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "WEBP"
    if head.startswith(b"BM") and len(data) >= 26:
        return "BMP"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "TIFF"
    return None


def _not_an_image(body: bytes) -> tuple[int, list[dict[str, Any]]]:
    """The answer to an ``application/octet-stream`` body that is not an image file: 422 when empty, else 415
    saying what such a body must hold."""
    if not body:
        return 422, [
            {"loc": ["body"], "msg": "the body holds no image; send an image file", "type": "empty_body"}
        ]
    return 415, [
        {
            "loc": ["body"],
            "msg": "the application/octet-stream body is not an image file (its first bytes are not those of a "
            "JPEG, PNG, GIF, WebP, BMP or TIFF file); send an image file as the body, or JSON "
            '{"images": ["<base64>", ...]}',
            "type": "unsupported_media_type",
        }
    ]


def _b64decode(text: str) -> bytes:
    text = _DATA_URL.sub("", text, count=1)
    return base64.b64decode("".join(text.split()), validate=True)


def _multipart_items(
    body: bytes, content_type: str, *, max_images: int, forbid: bool
) -> tuple[list[EncodedImage], Asked]:
    try:
        parts = parse_multipart(body, boundary_of(content_type))
    except MultipartError as error:
        raise ImageRequestError(
            400,
            [
                {
                    "loc": ["body"],
                    "msg": f"malformed multipart/form-data: {error}",
                    "type": "multipart_invalid",
                }
            ],
        ) from error
    asked = Asked(*(_form_flag(name, [part for part in parts if part.name == name]) for name in FLAG_FIELDS))
    parts = [part for part in parts if part.name not in FLAG_FIELDS]
    unknown = sorted({part.name for part in parts if part.name not in FILE_FIELDS})
    if unknown and forbid:
        raise ImageRequestError(
            422,
            [
                {
                    "loc": [name],
                    "msg": f"unknown form field {name!r}; send image files in the field {_FIELD_WORDS}",
                    "type": "unknown_field",
                }
                for name in unknown
            ],
        )
    files = [part for part in parts if part.name in FILE_FIELDS]
    if not files:
        raise ImageRequestError(
            422,
            [
                {
                    "loc": ["images"],
                    "msg": f"no images in the request; send one or more files in the form field {_FIELD_WORDS}",
                    "type": "too_short",
                }
            ],
        )
    if len(files) > max_images:
        raise ImageRequestError(
            422,
            [
                {
                    "loc": ["images"],
                    "msg": f"{len(files)} images in one request, over the limit of {max_images}; send fewer "
                    "images per request",
                    "type": "too_long",
                }
            ],
        )
    items = [
        EncodedImage(
            ["images", index],
            f"file {part.filename!r} " if part.filename else "the image ",
            part.content,
        )
        for index, part in enumerate(files)
    ]
    return items, asked


def _form_flag(name: str, parts: list[Any]) -> bool | None:
    """The value of the form's fields ``name`` (``at_least_one`` or ``tta``; ``None``: none sent); a value other
    than ``true`` or ``false``, or two that disagree, is a 422."""
    values = {part.content.decode("utf-8", errors="replace").strip().lower() for part in parts}
    if not values:
        return None
    if len(values) > 1 or not values <= {"true", "false"}:
        shown = ", ".join(sorted(repr(value) for value in values))
        raise ImageRequestError(
            422,
            [
                {
                    "loc": [name],
                    "msg": f"the form field {name} holds {shown}; send true or false (once)",
                    "type": "bool_parsing",
                }
            ],
        )
    return values == {"true"}


def pixel_count(items: list[EncodedImage]) -> int:
    """Pixels of the images as their headers declare them (an unreadable header counts 0: decoding will
    report it), to tell cheap decoding from expensive decoding before doing it."""
    from PIL import Image

    unreadable: tuple[type[Exception], ...] = (*DECODE_ERRORS, Image.DecompressionBombError)
    total = 0
    for item in items:
        try:
            with Image.open(io.BytesIO(item.data)) as image:
                width, height = image.size
        except unreadable:  # decode_images reports it properly
            continue
        total += width * height
    return total


def decode_images(
    items: list[EncodedImage], recipe: ImageRecipe, max_pixels: int | None = None
) -> list[np.ndarray]:
    """Each image decoded and fitted to the recipe's size, ``uint8`` ``(C, H, W)``.

    Raises:
        ImageRequestError: 422 naming every image that is empty, undecodable or over ``max_pixels``
            (:data:`MAX_IMAGE_PIXELS` when ``None``).
    """
    return decode_noted_images(items, recipe, max_pixels)[0]


def decode_noted_images(
    items: list[EncodedImage], recipe: ImageRecipe, max_pixels: int | None = None
) -> tuple[list[np.ndarray], list[dict[str, Any]]]:
    """:func:`decode_images`, with each image's :func:`fitting_note` (what its answer adds)."""
    arrays, notes, problems = [], [], []
    for item in items:
        try:
            array, note = _decode(item.data, recipe, max_pixels)
        except ValueError as error:
            kind = "image_too_large" if isinstance(error, ImageTooLarge) else "image_invalid"
            problems.append({"loc": item.loc, "msg": f"{item.shown}{error}", "type": kind})
            continue
        arrays.append(array)
        notes.append(note)
    if problems:
        raise ImageRequestError(422, problems)
    return arrays, notes


def decode_image(data: bytes, recipe: ImageRecipe, max_pixels: int | None = None) -> np.ndarray:
    """One encoded image -> ``uint8`` ``(C, H, W)`` at the recipe's size.

    Raises:
        ValueError: Empty, not an image Pillow can decode, or larger than ``max_pixels`` (:data:`MAX_IMAGE_PIXELS`
            when ``None``); the message says which.
    """
    return _decode(data, recipe, max_pixels)[0]


def fitting_note(size: tuple[int, int], mode: str, recipe: ImageRecipe) -> dict[str, Any]:
    """What an image's answer adds when the image was not at the training size or mode, so a client can
    distrust an answer for an image far from the training ones: ``resized_from`` (its ``[width, height]``
    where it was not the training size; ``size`` is the image upright, its EXIF orientation applied, as it is
    fitted) and ``converted_from`` (its Pillow mode, e.g. ``"RGB"`` sent to a
    grayscale model, where it was not the training one); ``{}`` when it was both."""
    note: dict[str, Any] = {}
    width, height = size
    if (height, width) != tuple(recipe.size):
        note["resized_from"] = [width, height]
    if mode != ("L" if recipe.channels == 1 else "RGB"):
        note["converted_from"] = mode
    return note


class ImageTooLarge(ValueError):
    """An image over the pixel limit (or Pillow's decompression-bomb limit): type ``image_too_large`` in the 422,
    where an image that cannot be decoded is ``image_invalid``."""


def _decode(
    data: bytes, recipe: ImageRecipe, max_pixels: int | None = None
) -> tuple[np.ndarray, dict[str, Any]]:
    from PIL import Image

    limit = MAX_IMAGE_PIXELS if max_pixels is None else max_pixels

    if not data:
        raise ValueError("is empty (0 bytes); send a JPEG or PNG file")
    try:
        image = Image.open(io.BytesIO(data))  # reads the header only
    except DECODE_ERRORS as error:
        raise _undecodable(error) from error
    except Image.DecompressionBombError as error:
        raise ImageTooLarge(f"was refused as a decompression bomb ({_first_line(error)})") from error
    with image:
        width, height = image.size
        if width * height > limit:
            raise ImageTooLarge(
                f"is {width}x{height} pixels, over the limit of {limit:,} pixels (trainwell serve "
                "--max-image-pixels); send a smaller image"
            )
        # A phone's photo held sideways is stored 4032x3024 with an orientation to turn it by: it is decoded
        # and fitted upright (3024x4032), as resized_from says it (it said the stored 4032x3024).
        upright = (height, width) if _turned_sideways(image) else (width, height)
        note = fitting_note(upright, image.mode, recipe)
        try:
            # From the bytes, as a file is read (a JPEG several times the model's size decoded scaled down by
            # libjpeg): the decoded image would give other pixels than `trainwell predict` of the same file.
            return image_array(data, recipe.size, recipe.channels, recipe.resize), note
        except DECODE_ERRORS as error:
            raise _undecodable(error) from error


def _turned_sideways(image: Any) -> bool:
    """Whether the image's EXIF orientation turns it by a quarter (5 to 8: width and height swap once decoded,
    as ``ImageOps.exif_transpose`` does), read without decoding its pixels: a PNG's EXIF is looked at only when
    its header held it (Pillow would decode the whole image to look further)."""
    if image.format == "PNG" and "exif" not in image.info:
        return False
    try:
        orientation = image.getexif().get(0x0112)  # ExifTags.Base.Orientation
    except DECODE_ERRORS:  # a damaged EXIF block: decoding decides what the image is
        return False
    return orientation in (5, 6, 7, 8)


def _undecodable(error: BaseException) -> ValueError:
    from PIL import UnidentifiedImageError

    # Pillow's own message for an unknown format names a BytesIO object: no help to a client.
    reason = "not a known image format" if isinstance(error, UnidentifiedImageError) else _first_line(error)
    return ValueError(f"could not be decoded ({reason}); send a JPEG or PNG file")


def _first_line(error: BaseException) -> str:
    lines = str(error).splitlines()
    return lines[0][:160] if lines else "no details"


def accepted_formats() -> list[str]:
    """The common image formats this installation of Pillow decodes (e.g. ``["PNG", "JPEG", ...]``)."""
    from PIL import Image

    Image.init()
    return [name for name in COMMON_FORMATS if name in Image.OPEN]
