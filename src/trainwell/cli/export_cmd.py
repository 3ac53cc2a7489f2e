"""``trainwell export MODEL --onnx``: write ``model.onnx`` beside the weights, checked against PyTorch.

Registered on the main command line by ``app.command("export")(export)``. Heavy imports (torch, pandas,
onnxruntime) happen inside the command so that ``trainwell --help`` stays instant.
"""

from __future__ import annotations

import errno
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from trainwell.cli import _options as option
from trainwell.cli._common import guarded, out_console

if TYPE_CHECKING:
    from trainwell.core.errors import ConfigError


def export(
    model: Annotated[Path, typer.Argument(help="Model directory written by `trainwell fit`.")],
    onnx: Annotated[
        bool,
        # One flag, no --no-onnx: ONNX is the only format so far, and a --no-onnx offered in --help could only fail.
        typer.Option(
            "--onnx",
            help="Write model.onnx beside the weights (the only format so far; the default).",
            show_default=False,
        ),
    ] = True,
    opset: Annotated[
        int,
        typer.Option(
            help="ONNX opset version, 9 to 20; some models need a later one (boosted trees, an MLP on numeric "
            "columns and the ULMFiT classifier 12, the n-gram bag 13) and refuse a lower one.",
        ),
    ] = 17,
    data: Annotated[
        list[Path] | None,
        typer.Option(
            help="What to check the export on, ideally validation data: rows for a tabular model (CSV, TSV or "
            "Parquet); image files or folders of images for a vision model (repeat --data for several; a CSV of "
            "image paths for one trained from such a CSV); text (a .txt file, one text per line) for a language "
            "model or a text classifier (or its table; for a classifier also a folder of .txt files, one text a file); "
            "a CoNLL file, or a .txt of sentences one a line, for a "
            "tagger. Default: rows, images or token ids synthesised from the recipe."
        ),
    ] = None,
    tolerance: Annotated[
        float,
        typer.Option(help="Largest accepted difference between onnxruntime and PyTorch outputs."),
    ] = 1e-4,
    encoding: option.Encoding = "utf-8",
    names: option.Names = None,
) -> None:
    """Export a model to ONNX and check onnxruntime against PyTorch; report the largest difference."""

    def run() -> None:
        from trainwell.cli._early import model_kind, need_data, need_model_directory, peek_metadata
        from trainwell.core.errors import ConfigError

        # Before the imports of torch and onnxruntime: a mistake is said at once.
        need_model_directory(model)
        metadata = peek_metadata(model)
        _refuse_encoding(encoding, metadata, bool(data))
        if names is not None and (not data or model_kind(metadata) not in ("rows", "language_model")):
            raise ConfigError(  # images, taggers
                "--names is for --data tables without a header row, checking a model of tables, texts or ratings, "
                "or a language model; drop it"
            )
        kinds = {"vision": "image files", "language_model": "corpus", "tagging": "conll"}
        for source in data or []:
            text_folder = metadata.get("application") == "text" and source.is_dir()  # one text a file
            need_data(source, "corpus" if text_folder else kinds.get(model_kind(metadata), "table"))
        from trainwell.export import read_metadata
        from trainwell.export.onnx import check_onnx_exportable, export_onnx

        inputs: Any = None
        sources = list(data or [])
        previous = _previous_check(model) if not sources else None
        if sources:
            metadata = read_metadata(model)  # a bad model directory is reported before the data is read
            check_onnx_exportable(metadata, model)
            from trainwell.cli._common import header_names

            headerless = header_names(names, metadata, sources[0], encoding)  # --names, or the fit's file's
            inputs = _check_inputs(model, metadata, sources, encoding, headerless)
        try:
            report = export_onnx(model, opset=opset, inputs=inputs, tolerance=tolerance)
        except OSError as error:
            refusal = _unwritable_model(error)
            if refusal is None:
                raise
            raise refusal from error
        shown = ", ".join(str(source) for source in sources)
        tagger = (read_metadata(model).get("task") or {}).get("kind") == "tagging"
        if report.unit == "tokens":  # a language model: streams read in windows, the state carried
            checked_on = (
                f"{report.n_rows_checked:,} tokens of "
                + (
                    shown
                    if sources
                    else "ids drawn from the vocabulary (pass --data TEXT to check on real text)"
                )
                + ", read as 3 streams in windows with the state carried"
            )
        elif sources:
            checked_on = f"{report.n_rows_checked} {'sentences' if tagger else report.unit} from {shown}"
        elif tagger:
            checked_on = (
                f"{report.n_rows_checked:,} sentences synthesised from the vocabulary, in groups of one length "
                "(pass --data FILE to check on real sentences)"
            )
        elif report.unit == "images":
            size = f"{report_size(model)}"
            checked_on = (
                f"{report.n_rows_checked:,} images synthesised at the recipe's size {size} (random pixels, one "
                "black, one white; pass --data FOLDER to check on real validation images)"
            )
        else:
            checked_on = (
                f"{report.n_rows_checked:,} rows synthesised from the recipe (pass --data FILE to check on "
                "real validation rows)"
            )
        out_console.print(
            f"wrote {report.path} (opset {report.opset}; inputs {', '.join(report.input_names)} -> "
            f"{', '.join(report.output_names)}; dynamic batch size"
            + (" and length; token ids from trainwell's tokenizer)" if report.unit == "tokens" else ")"),
            soft_wrap=True,
        )
        out_console.print(
            "the file names its task, classes and how to read its outputs in its metadata (onnxruntime: "
            "InferenceSession(path).get_modelmeta().custom_metadata_map)",
            soft_wrap=True,
            markup=False,
        )
        # Regression values above 1 are held to the tolerance relative to their size: say so when it matters.
        relative = (
            f"{report.max_scaled_diff:.2e} relative to the outputs' size, "
            if report.max_scaled_diff != report.max_abs_diff
            else ""
        )
        out_console.print(
            f"onnxruntime matches PyTorch on {checked_on}: max difference {report.max_abs_diff:.2e} "
            f"({relative}tolerance {tolerance:.0e}), in {report.seconds:.1f} s",
            soft_wrap=True,
        )
        if previous is not None:
            out_console.print(
                f"note: the model.onnx this replaced had been checked on {previous}; pass --data to check this "
                "one on real data too",
                soft_wrap=True,
            )

    guarded(run)


def _unwritable_model(error: OSError) -> ConfigError | None:
    """The error for a model directory ``export`` cannot write in (a read-only volume, a full disk): the one line
    every command gives, with the advice that works here. There is no ``--out`` to write elsewhere:
    ``model.onnx`` and its recorded check belong in the model directory, where ``serve`` and ``predict`` look
    for them. ``None`` for any other OS error."""
    from trainwell.cli._common import unwritable
    from trainwell.core.errors import ConfigError

    said = unwritable(error)
    if said is None:
        return None
    where = said.split("; ", 1)[0]  # "cannot write in '<folder>': <reason>"
    full = error.errno in (errno.ENOSPC, errno.EDQUOT)
    return ConfigError(
        f"{where}; {'free some space, or ' if full else ''}copy the model directory to a writable place and "
        "export the copy (model.onnx is written beside the weights, where serve and predict read it)"
    )


def _refuse_encoding(encoding: str, metadata: dict[str, Any], data: bool) -> None:
    """Refuse an ``--encoding`` nothing would be read in: no ``--data`` (the check's inputs are synthesised), or
    images (``metadata``: the model's ``trainwell.json`` as plain JSON)."""
    from trainwell.cli._early import model_kind
    from trainwell.cli._unread import model_words, names_utf8, refuse_for
    from trainwell.core.text_encoding import check_encoding

    check_encoding(encoding)
    if names_utf8(encoding):
        return
    if not data:
        refuse_for(
            {"--encoding": True}, {"--encoding": "the --data files"}, "inputs synthesised from the recipe"
        )
    if metadata and model_kind(metadata) == "vision":
        refuse_for({"--encoding": True}, {"--encoding": "tables and texts"}, model_words(metadata))


def _previous_check(model: Path) -> str | None:
    """What the model directory's current ``model.onnx`` was checked on, when that was real data (``"512 given
    rows"``); ``None`` otherwise, or when there is none."""
    from trainwell.core.errors import UserError
    from trainwell.export import read_metadata

    try:
        entry = read_metadata(model).get("onnx") or {}
    except UserError:
        return None
    checked_on = str(entry.get("checked_on", ""))
    if not checked_on.startswith("given") or not (model / "model.onnx").is_file():
        return None
    count = entry.get("n_rows_checked") or entry.get("n_tokens_checked")
    return f"{count} {checked_on}" if count else checked_on


def _check_inputs(
    model: Path, metadata: dict[str, Any], sources: list[Path], encoding: str, names: list[str] | None = None
) -> Any:
    """The rows (tabular: one table file) or images (vision: files and folders, decoded) to check on.

    An unreadable image found in a folder is skipped with a warning naming it, as ``fit`` and ``predict`` skip
    it; an image named on the command line stops with its name."""
    from trainwell.core.errors import ConfigError

    if metadata.get("application") == "vision":
        import torch

        from trainwell.export import load
        from trainwell.vision.predictor import expand_image_paths, readable_pixels

        predictor = load(model)
        paths = expand_image_paths(sources, predictor.path_col, f"'{model}'")  # type: ignore[attr-defined]
        named = {source for source in sources if source.is_file()}
        return torch.cat([pixels for pixels, _paths in readable_pixels(predictor, paths, named=named)])
    if (metadata.get("task") or {}).get("kind") == "language_model":
        from trainwell.text.lm_stream import read_corpus

        # Text files (one text per line), folders of .txt files, tables with the column trained on (--text).
        text_col = (metadata.get("recipe") or {}).get("text_col") or "text"
        texts: list[str] = []
        for source in sources:
            texts += read_corpus(source, text_col=text_col, encoding=encoding, names=names)
        return texts
    if (metadata.get("task") or {}).get("kind") == "tagging":
        if len(sources) > 1:
            raise ConfigError(f"--data was given {len(sources)} times; a tagger is checked on one CoNLL file")
        from trainwell.cli._tagging import holds_raw_sentences

        if holds_raw_sentences(sources[0]):  # one sentence a line, split into words as predict splits them
            from trainwell.cli._common import text_lines

            return text_lines(sources[0], encoding)[1]
        from trainwell.text.tagging.conll import read_conll

        return read_conll(sources[0], encoding=encoding).tokens()
    if len(sources) > 1:
        raise ConfigError(
            f"--data was given {len(sources)} times; a tabular model is checked on one table of rows: pass "
            "--data FILE once"
        )
    if metadata.get("application") == "text" and sources[0].is_dir():
        # Every .txt file under it, one text a file, as predict reads a folder (IMDB's test/).
        from trainwell.cli.predict_cmd import refuse_class_files
        from trainwell.core.errors import DataError
        from trainwell.text.inputs import read_text_files

        refuse_class_files(sources[0], f"trainwell export {model} --data")

        texts = [text for text in read_text_files(sources[0], encoding=encoding).values() if text.strip()]
        if not texts:
            raise DataError(
                f"every .txt file under {sources[0]} is empty; there is no text to check the export on"
            )
        return texts
    from trainwell.cli.predict_cmd import one_text_per_line
    from trainwell.text._fasttext import is_fasttext_file, read_fasttext

    text_col = str((metadata.get("recipe") or {}).get("text_col") or "text")
    if metadata.get("application") == "text" and names is None and is_fasttext_file(sources[0]):
        return read_fasttext(sources[0], encoding=encoding)[
            "text"
        ].tolist()  # the texts, without their labels
    if (
        metadata.get("application") == "text"
        and names is None
        and one_text_per_line(sources[0], [text_col], encoding)
    ):
        # One text a line, as predict reads a .txt (not a CSV whose first text would be its header).
        from trainwell.cli._common import text_lines
        from trainwell.core.errors import DataError

        _, texts = text_lines(sources[0], encoding)
        if not texts:
            raise DataError(f"{sources[0]} holds no text to check the export on; pass one text per line")
        return texts
    from trainwell.data.io import read_table

    if metadata.get("application") == "collab":  # a header-less file has the model's columns, as in predict
        from trainwell.collab.data import read_model_ratings
        from trainwell.collab.recipe import CollabRecipe

        recipe = CollabRecipe.from_dict(metadata.get("recipe") or {})
        rows = (
            read_model_ratings(sources[0], recipe, encoding=encoding)
            if names is None
            else read_table(sources[0], names=names, encoding=encoding)
        )
    else:
        rows = read_table(sources[0], names=names, encoding=encoding)
    _check_columns(metadata, rows, sources[0])
    if metadata.get("application") == "text":
        fields = list((metadata.get("recipe") or {}).get("fields") or [])
        rows = _without_blank_texts(rows, fields or [text_col], sources[0])
    return rows


def _without_blank_texts(rows: Any, columns: list[str], source: Path) -> Any:
    """The rows of a text model's ``--data`` table whose text is not empty, those left out said in a warning, as
    ``trainwell predict`` leaves them without a prediction and the server answers them with a note: the check
    refused the file ("fill or drop those rows") where predict and serve take it.

    Raises:
        DataError: every text is empty.
    """
    import warnings

    import numpy as np

    from trainwell.core.errors import DataError
    from trainwell.text.fields import blank_mask

    if any(column not in rows.columns for column in columns):
        return rows  # the check names the missing column
    empty = np.zeros(len(rows), dtype=bool)
    for column in columns:
        empty |= blank_mask(rows[column])
    if not empty.any():
        return rows
    if empty.all():
        raise DataError(
            f"{source}: every text is empty ({len(rows):,} row{'s' if len(rows) > 1 else ''}); there is nothing to "
            "check the export on"
        )
    positions = np.flatnonzero(empty)
    shown = ", ".join(str(position + 1) for position in positions[:5]) + (
        ", ..." if len(positions) > 5 else ""
    )
    plural = "s" if len(positions) > 1 else ""
    warnings.warn(
        f"{source}: {len(positions)} row{plural} with an empty text (data row{plural} {shown}) left out of the check",
        UserWarning,
        stacklevel=1,
    )
    return rows.iloc[np.flatnonzero(~empty)].reset_index(drop=True)


def report_size(model: Path) -> str:
    """``HxW`` (and the channel count) of a vision model's recipe, as the message shows it."""
    from trainwell.export import read_metadata

    recipe = read_metadata(model).get("recipe") or {}
    height, width = recipe.get("size", ["?", "?"])
    return f"{height}x{width}x{recipe.get('channels', '?')}"


def _check_columns(metadata: dict[str, Any], rows: Any, source: Path) -> None:
    """Name every input column the check rows lack, instead of failing on the first inside the recipe."""
    from trainwell.core.errors import DataError
    from trainwell.data.io import list_columns

    recipe = metadata.get("recipe") or {}
    needed = [*recipe.get("cat_names", []), *recipe.get("cont_names", [])]
    if metadata.get("application") == "collab":  # a ratings recipe names its two inputs user_col and item_col
        needed = [recipe.get("user_col"), recipe.get("item_col")]
    absent = [name for name in needed if name not in rows.columns]
    if absent:
        noun = "column" if len(absent) == 1 else "columns"
        from trainwell.data.io import did_you_mean

        raise DataError(
            f"input {noun} {', '.join(repr(name) for name in absent)} missing from {source}"
            f"{did_you_mean(absent, [str(column) for column in rows.columns])}; the model was "
            f"trained on: {list_columns(needed)}. Pass rows with the training columns (the validation rows) "
            "to --data"
        )
