"""``trainwell predict``: labels and probabilities for new rows, images or texts, with the training
preprocessing.

Registered on the main command line by ``app.command()(predict)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from trainwell.cli import _options as option
from trainwell.cli._common import ENCODING_HELP, emit_table, guarded, unpacked_data


def predict(
    model: Annotated[
        Path,
        typer.Argument(
            help="Model directory written by `trainwell fit`, or its model.onnx to run the exported graph with "
            "onnxruntime."
        ),
    ],
    data: Annotated[
        list[Path],
        typer.Argument(
            help="Rows to predict (CSV, TSV or Parquet), image files and folders of images, folders of .txt files "
            "(one text a file) or .txt files (one text a line, each answer beside its path and line) for a text "
            "classifier, or '-' to read "
            "standard input: one text per line for text models (as in a .txt file), a CSV table for tables and "
            "recommenders; image models read files only (a CSV of image paths too, when trained from one)."
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            help="File to write, in the format its name says: .csv, .tsv, .parquet, .json, .jsonl or .xlsx (text ones "
            "optionally .gz; a tagger writes .conll, .conllu, .txt, .bio or .iob as CoNLL). Default: CSV on "
            "standard output."
        ),
    ] = None,
    allow_missing_columns: Annotated[
        bool, typer.Option(help="Tables: read absent input columns as missing.")
    ] = False,
    tta: Annotated[
        bool,
        typer.Option(
            help="Images: average over views of each image (test-time augmentation): views augmented as in training, or one-pixel shifts and mirror images for a model trained on pixel shifts."
        ),
    ] = False,
    encoding: Annotated[
        str, typer.Option(help=ENCODING_HELP.removesuffix(".") + "; also texts read from a file or '-'.")
    ] = "utf-8",
    encoding_errors: Annotated[
        str,
        typer.Option(
            help="Tables, texts, CoNLL files and standard input: 'replace' reads bytes the encoding cannot "
            "decode as U+FFFD instead of stopping ('strict')."
        ),
    ] = "strict",
    keep: Annotated[
        str | None,
        typer.Option(
            help="Tables (a CSV of image paths too): comma-separated input columns to copy into the output before "
            "the predictions, e.g. an ID (PassengerId). The training target, when the model names its codes "
            "(--label-names), is copied as those names, as the predictions are."
        ),
    ] = None,
    names: option.Names = None,
    text: Annotated[
        str | None,
        typer.Option(
            help="Text models: the column of the table holding the texts, when not named as in training (e.g. "
            "review for a model trained on text; a pair's two, comma-separated, in the model's order).",
        ),
    ] = None,
    path_col: Annotated[
        str | None,
        typer.Option(
            help="Images: the column of image paths of a table given (relative to its folder), e.g. a "
            "competition's test.csv; default: the one of the CSV the model was trained from. The output names "
            "each row by that column, its cells as written, so it joins back to the table."
        ),
    ] = None,
    label_only: Annotated[
        bool,
        typer.Option(
            help="Classifiers and regressors: write only the predicted label or value, in a column named after the "
            "training target (e.g. Survived; 0/1 columns for labels trained from such columns), after the --keep "
            "columns (without --keep, an image's path, a table of images' column of paths, or a text's line): the "
            "shape of a competition's submission file."
        ),
    ] = False,
    at_least_one: Annotated[
        bool,
        typer.Option(
            help="Multi-label models: give a row with no label over its threshold its likeliest label instead of "
            "an empty prediction. Off by default: such rows stay empty, and a line on standard error counts them."
        ),
    ] = False,
    threshold: Annotated[
        float | None,
        typer.Option(
            help="Binary classifiers: call a row positive where its probability reaches this, e.g. 0.3, in place "
            "of the model's own threshold (0.5, or the one fit --decision-threshold chose; trainwell info shows it)."
        ),
    ] = None,
) -> None:
    """Predict labels and probabilities (values, scores, tags) for new rows, images, texts, ratings or sentences,
    with the training preprocessing.

    A text model reads a table with the training text column, or one text per line of a .txt file or of
    standard input (DATA '-'): blank lines are skipped and counted on standard error, and the column 'line' gives
    each answer's line. A multi-label model's rows with no label over its threshold are counted too
    (--at-least-one gives them their likeliest label). A language model scores texts (one per line of a .txt file
    or of standard input, or a table's 'text' column): how likely it finds each, as its log-probability and
    perplexity.
    """

    def run() -> None:
        from trainwell.cli._common import check_encoding_errors, check_table_out
        from trainwell.cli._early import model_kind, need_data, peek_metadata
        from trainwell.cli._outputs import check_out_file
        from trainwell.core.model_dir import model_directory_of

        # Before the imports of the model's stack: a mistake is said at once.
        check_encoding_errors(encoding_errors)
        nonlocal model  # MODEL/model.onnx (run by onnxruntime) or another file of it: its directory
        model, onnx_graph = model_directory_of(model, str(model))
        nonlocal data  # an address: its file, downloaded; an archive: what it holds, unpacked
        given = data
        data = [unpacked_data(source) or source for source in data]
        metadata = peek_metadata(model)
        if model_kind(metadata) == "tagging":  # a tagger also writes CoNLL files
            from trainwell.cli._tagging import CONLL_OUT_SUFFIXES

            check_table_out(out, CONLL_OUT_SUFFIXES)
        else:
            check_table_out(out)
        check_out_file(out, [*given, *data])  # never over what it reads, nor inside a model directory
        _refuse_unread(
            metadata,
            tta=tta,
            allow_missing_columns=allow_missing_columns,
            encoding=encoding,
            path_col=path_col,
        )
        _refuse_names(metadata, names)
        _refuse_at_least_one(metadata, at_least_one)
        _refuse_threshold(metadata, threshold)
        _refuse_label_only(metadata, label_only, keep)
        images = model_kind(metadata) == "vision"
        for source in data:
            need_data(source, "image files" if images else "rows")
            _refuse_other_kind(source, metadata, model, path_col)
            _refuse_a_folder_of_splits(source, metadata)
        from trainwell.cli._common import header_names

        headerless = header_names(names, metadata, data[0], encoding)  # --names, or those of the fit's file
        from trainwell.core.errors import ConfigError
        from trainwell.export import read_metadata
        from trainwell.export.predictor import load, refuse_generic, refuse_language_model

        refuse_generic(
            read_metadata(model), model, "trainwell predict"
        )  # before load: it needs the user's code
        if onnx_graph and (metadata.get("task") or {}).get("kind") == "language_model":
            raise ConfigError(
                f"trainwell predict scores a language model with PyTorch: its model.onnx (one step of the "
                f"stream, the state carried by the caller) is for other ONNX runtimes; pass the model directory "
                f"'{model}' in place of its model.onnx"
            )
        if onnx_graph:  # the exported graph, checked (parity, digests) as a server checks it
            from trainwell.serve.backends import load_predictor

            # predict has no --backend: the way round an unusable graph is its directory
            instead = f"pass the model directory '{model}' instead of its model.onnx"
            predictor = load_predictor(model, "onnx", instead=instead)[0]
        else:
            predictor = load(model)
        kept = [name.strip() for name in (keep or "").split(",") if name.strip()]
        if threshold is not None:  # every application's predictor (and the ONNX one) decodes with its task
            predictor.task = predictor.task.with_threshold(threshold, option="--threshold")
        task = getattr(predictor, "task", None)
        if label_only and getattr(task, "kind", None) not in (
            "binary",
            "multiclass",
            "multilabel",
            "regression",
        ):
            what = {"language_model": "a language model's scores", "tagging": "a tagger's tags"}.get(
                getattr(task, "kind", None) or str(metadata.get("task", {}).get("kind")),
                "this model's output",
            )
            raise ConfigError(
                f"--label-only is for classifiers and regressors; {what} have no label: drop it"
            )
        if ((getattr(predictor, "metadata", None) or {}).get("task") or {}).get("kind") == "language_model":
            if kept:
                raise ConfigError(
                    "--keep is for table models; a language model's scores keep the line number"
                )
            emit_table(
                _score_texts(predictor, data, encoding, encoding_errors, headerless), out, "scored texts"
            )
            return
        refuse_language_model(getattr(predictor, "metadata", None), model, "trainwell predict")
        application = getattr(predictor, "application", None)
        if tta and application != "vision":
            raise ConfigError("--tta (test-time augmentation) is for image models; drop it")
        if encoding_errors != "strict" and application == "vision":
            raise ConfigError(
                "--encoding-errors is for tables and texts; an image model reads no text: drop it"
            )
        tagger = getattr(getattr(predictor, "task", None), "kind", None) == "tagging"
        if kept and application == "vision" and not _one_table(data):
            raise ConfigError(
                "--keep copies columns of an input table (a CSV of image paths); image files and folders have none"
            )
        from trainwell.text._fasttext import is_fasttext_file

        if (
            kept
            and application == "text"
            and not tagger
            and (data[0].is_dir() or one_text_per_line(data[0], predictor.input_names, encoding))
            and not is_fasttext_file(data[0])  # its labels are the column 'label'
        ):
            where = "in" if data[0].is_dir() else "on"
            raise ConfigError(f"--keep copies columns of an input table; texts {where} '{data[0]}' have none")
        if tagger:
            from trainwell.cli._tagging import predict_tags

            predict_tags(predictor, data, out, encoding, encoding_errors, text=text, kept=kept)
            return
        if text is not None and application != "text":
            raise ConfigError(
                f"--text names the texts of a text model; this is a {application} model: drop it"
            )
        if application == "text":
            renamed = _text_columns(text, predictor.input_names)
            predictions = _as_given(
                _predict_texts(predictor, data, encoding, encoding_errors, kept, headerless, renamed),
                given,
                data,
            )
        elif application == "vision":
            predictions = _as_given(_predict_images(predictor, data, tta, model, kept, path_col), given, data)
            # --label-only names a CSV's rows by its column of paths (written first), as by a column --keep names
            kept = kept or _table_path_column(predictor, data, path_col)
        else:
            if len(data) != 1:
                raise ConfigError(f"a table model predicts one table at a time; got {len(data)} inputs")
            rows = _read_rows(predictor, data[0], encoding, encoding_errors, headerless)
            if application == "collab":  # the recommender's own refusals (rows without a user) name the file
                from trainwell.data.tables import _READ_FROM

                named = "standard input" if str(data[0]) == "-" else str(data[0])
                rows.attrs[_READ_FROM] = named
            if not allow_missing_columns and application == "collab":  # named as a recommender's (user, item)
                predictor.recipe.check_pair_columns(list(rows.columns), named, cli=True)
            if not allow_missing_columns:
                _check_input_columns(getattr(predictor, "input_names", []), rows, data[0])
            else:
                _say_columns_read_as_missing(predictor, rows, data[0])
            import warnings

            with warnings.catch_warnings():  # a recommender's unseen ids: said once, by the note below
                warnings.filterwarnings("ignore", message="users or items the model never saw")
                warnings.filterwarnings(
                    "ignore", message=r"input columns? .* not in the input rows: read as missing"
                )
                answers = predictor.predict(rows, allow_missing_columns=allow_missing_columns)
            if application == "collab" and not kept:  # a score alone does not say whose it is, nor of what
                recipe = predictor.recipe
                kept = [name for name in (recipe.user_col, recipe.item_col) if name in rows.columns]
            predictions = _with_kept(answers, rows, kept, data[0])
            _say_unknown_categories(predictor, rows)
        if getattr(task, "kind", None) == "multilabel":
            predictions = _without_empty(predictions, task, at_least_one)
        predictions = _kept_labels_named(predictions, task, kept)
        if label_only:
            predictions = labels_only(predictions, task, kept)
        emit_table(predictions, out, "predictions")

    guarded(run)


#: Values, and columns, a note on unknown category values names before "and N more".
SHOWN_UNKNOWN = 3


def _say_columns_read_as_missing(predictor: Any, rows: Any, source: Path) -> None:
    """One ``warning:`` line naming the input columns absent from ``source`` under --allow-missing-columns and
    each one's fill (:func:`~trainwell.tabular.predictor.missing_columns_said`), with the file's name; the
    predictor's own warning, which names "the input rows", is then left unsaid."""
    from trainwell.cli._common import say_warning
    from trainwell.tabular.predictor import missing_columns_said

    where = "standard input" if str(source) == "-" else source
    said = missing_columns_said(predictor, list(rows.columns), len(rows), where)
    if said is not None:
        say_warning(said)


def _say_unknown_categories(predictor: Any, rows: Any) -> None:
    """A note on standard error when rows hold category values the model has no code for: they are read as
    missing (or as the column's rare values), which a prediction table alone never shows."""
    recipe: Any = getattr(predictor, "recipe", None)
    found = recipe.unknown_categories(rows) if hasattr(recipe, "unknown_categories") else {}
    if not found:
        return
    from trainwell.cli._common import err_console

    categories = getattr(recipe, "categories", {}) or {}

    def one(name: str, value: str, count: int) -> str:
        # A known value written in another case ('female' for 'Female') is named: the likely slip.
        same = [known for known in categories.get(name, []) if str(known).casefold() == value.casefold()]
        return f"{value!r} ({count}; did you mean {same[0]!r}?)" if same else f"{value!r} ({count})"

    def column(name: str, values: dict[str, int]) -> str:
        shown = ", ".join(one(name, value, count) for value, count in list(values.items())[:SHOWN_UNKNOWN])
        more = f" and {len(values) - SHOWN_UNKNOWN} more" if len(values) > SHOWN_UNKNOWN else ""
        return f"{name}: {shown}{more}"

    cells = sum(sum(values.values()) for values in found.values())
    names = list(found)
    listed = "; ".join(column(name, found[name]) for name in names[:SHOWN_UNKNOWN])
    if len(names) > SHOWN_UNKNOWN:
        listed += f"; and {len(names) - SHOWN_UNKNOWN} more columns"
    rare = [name for name in names if getattr(recipe, "unseen_code", lambda _: 0)(name)]
    if getattr(predictor, "application", None) == "collab":
        read_as = "scored as the average known user or item"
    elif not rare:
        read_as = "read as missing"
    elif len(rare) == len(names):
        read_as = "read as each column's rare values"
    else:
        read_as = f"read as missing, or in {', '.join(rare)} as that column's rare values"
    what = (
        "users or items the model never saw"
        if getattr(predictor, "application", None) == "collab"
        else "values the model has no code for (new, or too rare in training)"
    )
    err_console.print(
        f"note: {cells} cell(s) hold {what}, {read_as}: {listed}",
        soft_wrap=True,
        markup=False,
        highlight=False,
    )


def _as_given(predictions: Any, given: list[Path], read: list[Path]) -> Any:
    """``predictions`` with each image's (or text file's) path written as the user gave its source: the address of
    a downloaded file, ``photos.zip/cat/1.jpg`` for one unpacked from an archive, instead of the cache's paths."""
    from trainwell.core.downloads import address_of, is_address

    if "path" not in predictions.columns:
        return predictions
    from trainwell.core.paths import cache_root

    unpacked = cache_root() / "unpacked"
    shown: dict[Path, str] = {}
    for source, local in zip(given, read, strict=True):
        if Path(local) == Path(source):
            continue
        # An archive's members are named from its top (test1.zip/test1/1.jpg), whichever folder inside is read.
        root = next((folder for folder in Path(local).parents if folder.parent == unpacked), Path(local))
        shown[root] = address_of(source) if is_address(source) else str(source)
    if not shown:
        return predictions

    def written(path: str) -> str:
        for local, source in shown.items():
            if Path(path) == local:
                return source
            if Path(path).is_relative_to(local):
                return f"{source}/{Path(path).relative_to(local).as_posix()}"
        return path

    return predictions.assign(path=predictions["path"].astype(str).map(written))


def _refuse_a_folder_of_splits(source: Path, metadata: dict[str, Any]) -> None:
    """Refuse, naming the split to pass, a table model given a dataset folder (Kaggle's ``titanic/``): ``fit``
    read its training split and left ``test.csv`` for predict, but the reader's refusal of a folder suggested
    ``train.csv``, the rows the model was fitted on."""
    if metadata.get("application") != "tabular" or not source.is_dir():
        return
    from trainwell.core.errors import ConfigError
    from trainwell.data.splits import split_tables

    splits = split_tables(source) or {}
    tables = [*splits.get("test", []), *splits.get("valid", []), *splits.get("other", [])]
    if not tables:
        return  # the reader's own refusal names what the folder holds
    raise ConfigError(
        f"'{source}' is a dataset folder; predict reads one table: pass the rows to predict, e.g. '{tables[0]}' "
        f"(its {'test' if splits.get('test') else 'held-out'} split; fit trained on "
        f"{', '.join(path.name for path in splits.get('train', []))})"
    )


def _refuse_at_least_one(metadata: dict[str, Any], at_least_one: bool) -> None:
    """Refuse --at-least-one, before the model is loaded, for a model that is not multi-label: its every row has
    an answer already."""
    kind = (metadata.get("task") or {}).get("kind") if metadata else None
    if not at_least_one or kind in (None, "multilabel"):
        return
    from types import SimpleNamespace

    from trainwell.core.errors import ConfigError
    from trainwell.data.at_least_one import refusal_for

    task = SimpleNamespace(**{"classes": None, "target_names": None, **(metadata.get("task") or {})})
    raise ConfigError(refusal_for(task, metadata.get("application"), option="--at-least-one"))


def _refuse_threshold(metadata: dict[str, Any], threshold: float | None) -> None:
    """Refuse --threshold, before the model is loaded, for a model that is not a binary classifier or a
    threshold outside (0, 1) (:meth:`~trainwell.data.task.Task.with_threshold` says it again once loaded)."""
    if threshold is None:
        return
    from trainwell.core.errors import ConfigError

    kind = (metadata.get("task") or {}).get("kind") if metadata else None
    if kind not in (None, "binary"):
        per_label = (
            ": a multi-label model decides each label at its own threshold, chosen at fit on the validation rows "
            "(trainwell info lists them)"
            if kind == "multilabel"
            else ""
        )
        raise ConfigError(
            f"--threshold is the decision threshold of a binary classifier; this model is {kind}{per_label}; "
            "drop --threshold"
        )
    if not 0 < threshold < 1:  # NaN fails too
        raise ConfigError(
            f"--threshold {threshold:g}: a threshold must lie strictly between 0 and 1 (a row is called positive "
            "where its probability reaches it), e.g. --threshold 0.3"
        )


def _without_empty(predictions: Any, task: Any, at_least_one: bool) -> Any:
    """A multi-label model's ``predictions`` with the rows that hold no label (none over its threshold) counted
    on standard error, and with ``at_least_one`` given their likeliest label (:meth:`Task.decode`, from the
    table's own probabilities). A row without any prediction (an empty text) is neither."""
    import numpy as np
    import torch

    from trainwell.cli._common import err_console

    answered = predictions["prediction"].notna()
    empty = answered & (predictions["prediction"].astype(str) == "")
    count, total = int(empty.sum()), int(answered.sum())
    share = f"{count:,} of {total:,} predictions ({count / max(total, 1):.1%})"
    if at_least_one:
        said = (
            f"--at-least-one: {share} held no label over its threshold and hold their likeliest label instead"
            if count
            else "--at-least-one: every prediction holds a label over its threshold; none was changed"
        )
    elif count:
        said = (
            f"note: {share} hold no label: no label's probability reached its threshold; --at-least-one gives "
            "each its likeliest label"
        )
    else:
        return predictions
    err_console.print(said, soft_wrap=True, markup=False, highlight=False)
    if not (at_least_one and count):
        return predictions
    rows = np.flatnonzero(empty.to_numpy())
    columns = [predictions.columns.get_loc(f"probability_{label}") for label in task.classes]
    probabilities = torch.from_numpy(
        np.ascontiguousarray(predictions.iloc[rows, columns].to_numpy(np.float32))
    )
    chosen = task.decode(
        probabilities, at_least_one=True
    )  # (rows, classes), as prediction_table decoded them
    predictions = predictions.copy()
    predictions.iloc[rows, predictions.columns.get_loc("prediction")] = [
        (task.label_delim or ";").join(map(str, labels)) for labels in chosen
    ]
    return predictions


def _kept_labels_named(predictions: Any, task: Any, kept: list[str]) -> Any:
    """``predictions`` with the kept columns that hold the training target (``--keep labels``) written in the
    class names the model predicts, where the model was trained with names given to codes (``--label-names``:
    GoEmotions' ``3,17`` as ``annoyance,joy``), said in one line: codes beside names read as two answers that
    disagree. Values that are no known code are left as they are."""
    codes = getattr(task, "label_codes", ())
    targets = [
        name for name in kept if name in getattr(task, "target_names", ()) and name in predictions.columns
    ]
    if not codes or not targets:
        return predictions
    import numpy as np
    import pandas as pd

    multilabel = task.kind == "multilabel"
    joiner = task.label_delim or ";"

    def named(value: Any) -> Any:
        if isinstance(value, list | tuple | np.ndarray):  # a Parquet file's lists of labels
            return joiner.join(str(task.as_class(part)) for part in value)
        if pd.isna(value):
            return value
        if multilabel and task.label_delim and isinstance(value, str):
            parts = [part.strip() for part in value.split(task.label_delim) if part.strip()]
            return joiner.join(str(task.as_class(part)) for part in parts)
        return task.as_class(value)

    from trainwell.cli._common import err_console

    given = predictions
    predictions = predictions.copy()
    for name in targets:
        predictions[name] = predictions[name].map(named)
    if all(predictions[name].astype(str).equals(given[name].astype(str)) for name in targets):
        return given  # written as the names already
    named_codes = list(zip(codes, task.classes, strict=True))
    pairs = ", ".join(f"{code} as {label}" for code, label in named_codes[:3]) + (
        " ..." if len(codes) > 3 else ""
    )
    err_console.print(
        f"note: --keep {', '.join(targets)}: the training target's labels, written as codes, are written as the "
        f"names the model predicts ({pairs})",
        soft_wrap=True,
        markup=False,
        highlight=False,
    )
    return predictions


def _refuse_names(metadata: dict[str, Any], names: str | None) -> None:
    """Refuse --names for a model that reads no table of its own columns: images, taggers."""
    if names is None or not metadata:
        return
    from trainwell.cli._unread import model_words
    from trainwell.core.errors import ConfigError

    what = model_words(metadata)
    if what not in ("a table model", "a text classifier", "a recommender", "a language model"):
        raise ConfigError(
            f"--names is for tables without a header row (table models, text classifiers, language models, "
            f"recommenders), not "
            f"{what}: drop it"
        )


def _refuse_unread(
    metadata: dict[str, Any],
    *,
    tta: bool,
    allow_missing_columns: bool,
    encoding: str,
    path_col: str | None = None,
) -> None:
    """Refuse, before the model is loaded, the options its kind of model never reads (``metadata``: its
    ``trainwell.json`` as plain JSON; ``{}`` when unreadable, left to the loading to say why)."""
    if not metadata:
        return
    from trainwell.cli._early import model_kind
    from trainwell.cli._unread import model_words, names_utf8, refuse_for
    from trainwell.core.errors import ConfigError
    from trainwell.core.text_encoding import check_encoding

    kind, what = model_kind(metadata), model_words(metadata)
    if tta and kind != "vision":
        raise ConfigError("--tta (test-time augmentation) is for image models; drop it")
    if path_col is not None and kind != "vision":
        raise ConfigError(
            f"--path-col names a table's column of image paths, for image models; {what} reads none"
        )
    # Image and text models (classifiers, language models, taggers) read no columns to leave out.
    tables = metadata.get("application") not in ("vision", "text")
    check_encoding(encoding)
    given = {"--allow-missing-columns": allow_missing_columns and not tables}
    given["--encoding"] = kind == "vision" and not names_utf8(encoding)
    refuse_for(
        given,
        {"--allow-missing-columns": "tables and recommenders", "--encoding": "tables and texts"},
        what,
    )


#: What each kind of model that is not an image model reads, as a refusal of an image says it.
_READS = {
    "a table model": "a table (.csv, .tsv, .parquet) of the columns it was trained on",
    "a text classifier": "texts: a table with its text column, a .txt file of one text a line, or '-'",
    "a language model": "texts: a .txt file of one text a line, a table's text column, or '-'",
    "a tagger": "sentences: a CoNLL file, a .txt file of one sentence a line, or '-'",
    "a recommender": "a table of (user, item) pairs",
}


def _refuse_other_kind(
    source: Path, metadata: dict[str, Any], model: Path, path_col: str | None = None
) -> None:
    """Refuse, before the model is loaded, an input its kind of model cannot read: standard input for an image
    model, or a table unless it was trained from a CSV of paths (then the table's column of them is read); an
    image for any other (``metadata``: its ``trainwell.json``; ``{}`` says nothing)."""
    if not metadata:
        return
    from trainwell.cli._early import model_kind
    from trainwell.cli._unread import model_words
    from trainwell.core.errors import DataError
    from trainwell.vision.io import IMAGE_SUFFIXES, NO_STANDARD_INPUT, is_table_file, not_an_image

    if model_kind(metadata) == "vision":
        if str(source) == "-":
            raise DataError(NO_STANDARD_INPUT)
        recipe = metadata.get("recipe")
        extra = (recipe.get("extra") if isinstance(recipe, dict) else None) or {}
        trained_from_csv = bool((extra.get("csv") or {}).get("path_col"))
        if source.is_file() and is_table_file(source) and not trained_from_csv and path_col is None:
            from trainwell.cli._parquet_images import image_column

            if image_column(source) is None:  # a Parquet file of images, as the Hub stores them, is read
                raise DataError(not_an_image(source, f"'{model}'"))
        return
    what = model_words(metadata)
    if source.is_file() and source.suffix.lower() in IMAGE_SUFFIXES and what in _READS:
        raise DataError(
            f"'{source}' is an image, and '{model}' is {what}, not an image model; pass {_READS[what]}"
        )


def _read_rows(
    predictor: Any, source: Path, encoding: str, errors: str, names: list[str] | None = None
) -> Any:
    """The rows to predict: a table file, or a CSV table on standard input (``-``). A recommender's file
    without a header row (MovieLens' ``u.data``) is read as user, item, ... in the model's own column names."""
    import tempfile

    from trainwell.core.errors import UserError

    if str(source) != "-":
        return _read_table_or_ratings(predictor, source, encoding, errors, names)
    import sys

    with tempfile.TemporaryDirectory(prefix="trainwell-stdin-") as scratch:
        table = Path(scratch) / "stdin.csv"
        table.write_bytes(sys.stdin.buffer.read())
        if table.stat().st_size == 0:
            from trainwell.core.errors import DataError

            raise DataError("standard input is empty; pipe a CSV table with a header row into '-'")
        try:
            return _read_table_or_ratings(predictor, table, encoding, errors, names)
        except UserError as error:  # name what the user gave, not the scratch file
            raise type(error)(
                str(error).replace(f"'{table}'", "standard input").replace(str(table), "standard input")
            ) from None


def _read_table_or_ratings(
    predictor: Any, source: Path, encoding: str, errors: str, given: list[str] | None = None
) -> Any:
    from trainwell.data.io import read_table
    from trainwell.data.tables import labels_as_written

    if getattr(predictor, "application", None) != "collab" or given is not None:
        # a multi-label target of ids ('0,1' with --label-delim ,) read as fit read it, not as the number 0.1
        kept = labels_as_written(getattr(predictor, "task", None))
        return read_table(source, names=given, encoding=encoding, encoding_errors=errors, as_written=kept)
    from trainwell.collab.data import read_ratings

    recipe = predictor.recipe
    names = (recipe.user_col, recipe.item_col)
    return read_ratings(source, encoding=encoding, names=names, encoding_errors=errors)


def _one_table(data: list[Path]) -> bool:
    """One table file (a CSV of image paths, for an image model) and nothing else."""
    from trainwell.vision.io import is_table_file

    return len(data) == 1 and data[0].is_file() and is_table_file(data[0])


def _table_path_column(predictor: Any, data: list[Path], path_col: str | None) -> list[str]:
    """The column of image paths of one CSV of them given alone, which names its rows in the predictions (as
    written), else none: image files and folders are named by ``path``, a Parquet file's images by ``index``."""
    from trainwell.cli._parquet_images import image_column

    if not _one_table(data) or image_column(data[0]) is not None:
        return []
    column = path_col or predictor.path_col
    return [column] if column else []


def _predict_images(
    predictor: Any, data: list[Path], tta: bool, model: Path, kept: list[str], path_col: str | None = None
) -> Any:
    """Predictions for image files, folders and (for a model trained from a CSV of paths) tables of paths. Files
    and folders give each image's path in a ``path`` column; one CSV gives its rows with a path, in order, after
    its own column of paths with the cells as written, and the ``kept`` columns of its rows in front, so the
    answers join back to it. An unreadable file found inside a folder or listed in a table is skipped with a
    warning naming it, as ``fit`` skips it, and keeps its row, empty but for the reason in an ``error`` column; so
    does a file named on the command line beside other inputs. A file named alone stops with its name, and so
    does a run where no image could be decoded (exit 2)."""
    from trainwell.core.paths import is_idx_file
    from trainwell.vision.predictor import expand_image_paths, file_predictions, table_predictions

    if any(path.is_file() and is_idx_file(path) for path in data):
        return _predict_idx(predictor, data, tta, kept)
    from trainwell.cli._parquet_images import image_column

    if len(data) == 1 and data[0].is_file() and image_column(data[0]) is not None:
        return _predict_parquet_images(predictor, data[0], tta, kept)
    # --path-col, else the column of the CSV the model was trained from
    column = path_col or predictor.path_col
    if _one_table(data):
        predictions, rows = table_predictions(
            predictor, data[0], column, tta=tta, model=f"'{model}'", given=path_col is not None
        )
        assert column is not None  # table_predictions refuses a table without one
        # --keep image (the column of paths) places it among the kept columns, once; else it follows them
        front = kept if column in kept else [*kept, column]
        predictions = _with_kept(predictions.drop(columns=column), rows, front, data[0])
    else:
        paths = expand_image_paths(data, column, f"'{model}'", given=path_col is not None)
        # One file named alone stops with its name and reason (nothing else to predict); among other inputs a
        # bad one is skipped as one inside a folder is: its row kept with the reason, the others predicted (it
        # stopped the whole run, writing nothing).
        named = {Path(item) for item in data if Path(item).is_file()} if len(paths) == 1 else set()
        from trainwell.vision._actual import folder_classes

        # sorted into the model's class folders: an accuracy follows, so keep what each image's pixels were
        kept_pixels = _Digests(predictor) if folder_classes(predictor.task, data, paths) is not None else None
        predictions = file_predictions(kept_pixels or predictor, paths, tta=tta, named=named)
        predictions.insert(0, "path", [str(p) for p in paths])
        _add_actual(predictions, predictor, data, paths, model, kept_pixels.digests if kept_pixels else None)
    if tta:  # the probabilities differ from a plain predict's: say how, or that they do not
        from trainwell.cli._common import err_console
        from trainwell.vision.transform import describe_tta

        err_console.print(
            f"--tta: {describe_tta(predictor.augmentation, what=_averaged(predictor.task))}",
            soft_wrap=True,
            markup=False,
        )
    return predictions


class _Digests:
    """A predictor that keeps the pixel digests of the images it predicts, in order
    (:func:`~trainwell.data.fingerprint.item_digests`, what the sketch of its training images holds), so that an
    accuracy on them can say how many trained the model without decoding them twice."""

    def __init__(self, predictor: Any) -> None:
        self._predictor = predictor
        self.digests: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._predictor, name)

    def predict_proba(self, pixels: Any, *args: Any, **kwargs: Any) -> Any:
        import numpy as np

        from trainwell.data.fingerprint import item_digests

        self.digests.extend(item_digests(pixels.numpy() if hasattr(pixels, "numpy") else np.asarray(pixels)))
        return self._predictor.predict_proba(pixels, *args, **kwargs)


def _add_actual(
    predictions: Any,
    predictor: Any,
    data: list[Path],
    paths: list[Path],
    model: Path,
    digests: list[str] | None = None,
) -> None:
    """An ``actual`` column after the prediction when the folders given are sorted into the model's class folders
    (:mod:`trainwell.vision._actual`), and the accuracy on them in one line on standard error (over the images
    decoded: a skipped one's row has no prediction). ``digests``: the decoded images' pixel digests; when many of
    them trained the model, a warning after the accuracy says so, as ``report`` does (a tour: "accuracy 0.6000 on
    these 150 images" said nothing of the 120 that had trained it)."""
    from trainwell.vision._actual import accuracy_line, folder_classes

    task = predictor.task
    actual = folder_classes(task, data, paths)
    if actual is None:
        return
    predictions.insert(predictions.columns.get_loc("prediction") + 1, "actual", actual)
    from trainwell.cli._common import err_console

    decoded = predictions["error"] == "" if "error" in predictions.columns else [True] * len(predictions)
    scored = predictions[decoded]
    folders = str(data[0]) if len(data) == 1 else f"{data[0]} (one folder at a time)"
    err_console.print(
        accuracy_line(list(scored["prediction"]), list(scored["actual"]), str(model), folders),
        soft_wrap=True,
        markup=False,
        highlight=False,
    )
    if digests:
        _warn_training_images(getattr(predictor, "metadata", None) or {}, digests)


def _warn_training_images(metadata: dict[str, Any], digests: list[str]) -> None:
    """The warning ``report`` gives when the images scored are largely training images
    (:func:`~trainwell.report.build.training_overlap_words`), worded for predict's accuracy line."""
    import pandas as pd

    from trainwell.cli._common import say_warning
    from trainwell.report.build import training_overlap_words
    from trainwell.vision.io import PIXELS_COLUMN

    found = training_overlap_words(metadata, pd.DataFrame({PIXELS_COLUMN: digests}), unit="images")
    if found:
        say_warning(
            f"{found}: the accuracy above measures how well it fitted them, not how it does on new images; score "
            "images it has not seen (a test/ folder, or images set aside before fitting)"
        )


def _averaged(task: Any) -> str:
    """What test-time augmentation averages for ``task``, in words."""
    return "predicted numbers" if task.kind == "regression" else "probabilities"


def _predict_parquet_images(predictor: Any, source: Path, tta: bool, kept: list[str]) -> Any:
    """Predictions for the images of a Parquet file as the Hub stores them (encoded bytes in a struct column),
    beside each row's 0-based position in it and the ``kept`` columns of its rows."""
    import tempfile

    import pandas as pd

    from trainwell.cli._parquet_images import image_column, write_images
    from trainwell.core.columnar import is_arrow, read_columnar, schema_of
    from trainwell.core.errors import DataError
    from trainwell.vision.predictor import file_predictions

    column = str(image_column(source))
    others = [name for name in schema_of(source).names if name != column]
    absent = [name for name in kept if name not in others]
    if absent:
        raise DataError(
            f"--keep {absent[0]}: '{source}' has no such column; its columns: {', '.join(others)}"
        )
    with tempfile.TemporaryDirectory(prefix="trainwell-images-") as scratch:
        written = write_images(source, column, Path(scratch))
        if not written:
            raise DataError(f"'{source}': no image in column '{column}'")
        # an image that cannot be decoded keeps its row, empty but for the reason in an error column
        predictions = file_predictions(predictor, [file for _, file in written], tta=tta, named=set())
        rows = [row for row, _ in written]
    predictions.insert(0, "index", rows)
    if kept:
        from trainwell.data.io import hub_class_names

        frame = read_columnar(source)[kept] if is_arrow(source) else pd.read_parquet(source, columns=kept)
        table = hub_class_names(frame, source)  # label numbers as their names
        table = table.iloc[rows].reset_index(drop=True)
        predictions = pd.concat([table, predictions], axis=1)
    return predictions


def _predict_idx(predictor: Any, data: list[Path], tta: bool, kept: list[str]) -> Any:
    """Predictions for the images of one IDX file (MNIST's ``t10k-images-idx3-ubyte.gz``), beside each image's
    0-based position in it, read a chunk at a time."""
    from trainwell.core.errors import ConfigError, DataError
    from trainwell.data.tables import prediction_table
    from trainwell.vision.io import read_idx

    source = data[0]
    if len(data) != 1 or kept:
        raise ConfigError(
            f"an IDX file of images ('{source}') is predicted alone and has no columns to --keep; pass it on its "
            "own"
        )
    if "-labels-" in source.name:
        images = source.with_name(source.name.replace("-labels-idx1-", "-images-idx3-"))
        raise DataError(f"'{source}' holds labels, not images: pass the images file beside it, {images}")
    array = read_idx(source)
    chunks = [
        predictor.predict_proba(array[start : start + 4096], tta=tta) for start in range(0, len(array), 4096)
    ]
    import torch

    # torch.as_tensor: MODEL/model.onnx runs on onnxruntime, whose chunks are numpy arrays.
    probabilities = torch.cat([torch.as_tensor(chunk) for chunk in chunks])
    predictions = prediction_table(predictor.task, probabilities, range(len(array)))
    predictions.insert(0, "index", range(len(array)))
    return predictions


def _score_texts(
    predictor: Any, data: list[Path], encoding: str, errors: str, names: list[str] | None = None
) -> Any:
    """A language model's score of each text: numbered lines of a text file or standard input, or the rows of
    a table's ``text`` column (read with ``names`` when it has no header row)."""
    from trainwell.core.errors import ConfigError, DataError

    if len(data) != 1:
        raise ConfigError(
            f"a language model scores one text file, table or '-' (standard input) at a time; got {len(data)}"
        )
    source = data[0]
    column = "line"
    from trainwell.core.paths import is_table_file

    if is_table_file(source):
        from trainwell.data.io import list_columns, read_table

        rows = read_table(source, names=names, encoding=encoding, encoding_errors=errors)
        name = getattr(predictor.recipe, "text_col", None) or "text"  # the column trained on (--text)
        if name not in rows.columns:
            raise DataError(
                f"{source} has no '{name}' column for the language model to score; columns are: "
                f"{list_columns(list(rows.columns))}. Rename the text column to '{name}'"
            )
        column = "row"  # the data row, 1-based
        kept = rows[name].notna() & rows[name].astype(str).str.strip().astype(bool)
        numbers, texts = [int(i) + 1 for i in rows.index[kept]], rows[name][kept].astype(str).tolist()
    else:  # standard input ('-') or a text file: one text a line
        if names is not None:
            raise ConfigError(
                f"--names is for a table without a header row; {'standard input' if str(source) == '-' else source} "
                "is read one text a line: drop it"
            )

        from trainwell.text._fasttext import fasttext_lines, is_fasttext_file, read_fasttext

        if is_fasttext_file(source):  # __label__pos a great film: the texts scored, not their labels
            texts = read_fasttext(source, encoding=encoding, encoding_errors=errors)["text"].tolist()  # type: ignore[arg-type]
            # each text by its line, blank lines counted, as a text classifier's answers go
            column, numbers = "line", fasttext_lines(source, encoding=encoding, encoding_errors=errors) or []
        else:
            numbers, texts, blank = numbered_texts(source, encoding, errors)
            if texts:
                say_blank_lines({source: blank})
    if not texts:
        raise DataError(
            f"{'standard input' if str(source) == '-' else source} holds no text to score; pass one text per line"
        )
    scores = predictor.score_texts(texts)
    scores.insert(0, column, numbers)
    _say_unknown_words(predictor.recipe, texts)
    _say_worse_than_uniform(scores, len(predictor.recipe.vocab))
    return scores


def _say_unknown_words(recipe: Any, texts: list[str]) -> None:
    """A note on standard error naming the texts' words the model does not know, read as its unknown-word token
    (PTB's <unk>) and counted in the column 'unknown', told from the corpus's own <unk> a text writes (not
    counted), as generate's warning and the report tell them."""
    from trainwell.text.lm_predictor import unknown_texts_note

    said = unknown_texts_note(recipe, texts)
    if said:
        from trainwell.cli._common import err_console

        err_console.print(f"note: {said}", soft_wrap=True, markup=False, highlight=False)


def _say_worse_than_uniform(scores: Any, vocab_size: int) -> None:
    """A note when texts score a perplexity above the vocabulary's size: the model does worse on them than a
    uniform guess over its words, which a perplexity of 178,241 alone does not say (the report says it of a whole
    text)."""
    if "perplexity" not in scores.columns or vocab_size <= 0:
        return
    worse = scores["perplexity"].astype(float) > vocab_size
    if not worse.any():
        return
    from trainwell.cli._common import say_warning

    count, total = int(worse.sum()), len(scores)
    which = "every text" if count == total else f"{count:,} of the {total:,} texts"
    say_warning(
        f"{which} scored a perplexity above the {vocab_size:,} words of the model's vocabulary: the model does "
        "worse there than a uniform guess over its words (it has not learned text like this; train longer, or on "
        "text like it)"
    )


def label_columns(target_names: Any, classes: Any) -> list[str]:
    """The columns ``--label-only`` writes the predictions in: the training target's names (an image folder's
    classes name no column: ``label``), or an image CSV's 0/1 columns, one per class (--label-col
    healthy,rust,scab), written back so."""
    names = [str(name) for name in target_names or []] or ["label"]
    flags = [part.strip() for part in names[0].split(",")]
    if len(names) == 1 and len(flags) > 1 and set(flags) == {str(label) for label in classes or []}:
        return flags
    return names


def _refuse_label_only(metadata: dict[str, Any], label_only: bool, keep: str | None) -> None:
    """Refuse, before the model is loaded and its rows predicted, --label-only for a model with no label (a
    language model, a tagger) and --keep of a column that --label-only writes too (the training
    target): said after predicting every row, the refusal had cost the whole prediction."""
    task = (metadata.get("task") or {}) if metadata else {}
    kind = task.get("kind")
    if not label_only or kind is None:
        return
    from trainwell.core.errors import ConfigError

    if kind not in ("binary", "multiclass", "multilabel", "regression"):
        what = {"language_model": "a language model's scores", "tagging": "a tagger's tags"}.get(
            kind, "this model's output"
        )
        raise ConfigError(f"--label-only is for classifiers and regressors; {what} have no label: drop it")
    kept = [name.strip() for name in (keep or "").split(",") if name.strip()]
    clashes = [name for name in label_columns(task.get("target_names"), task.get("classes")) if name in kept]
    if clashes:
        raise ConfigError(
            f"--label-only writes the predictions as column {clashes[0]!r}, the training target, and --keep copies "
            "a column of that name too: keep another column"
        )


def labels_only(predictions: Any, task: Any, kept: list[str]) -> Any:
    """``predictions`` as a submission file holds them (``--label-only``): the columns in front (``kept``; without
    it an image's path, a text's line), then the predicted label or value under the training target's name, the
    probabilities left out. Labels learnt from several 0/1 columns come back as those columns, 0 or 1."""
    from trainwell.core.errors import ConfigError

    names = label_columns(task.target_names, task.classes)
    # --keep id names the rows as the submission does: the image's path would be a column it does not hold.
    front = [column for column in predictions.columns if column in kept] or [
        column for column in predictions.columns if column in ("path", "line", "index")
    ]
    if task.kind == "multilabel" and len(names) > 1:
        chosen = predictions["prediction"].fillna("").astype(str).str.split(task.label_delim or ";")
        answers = {name: chosen.map(lambda labels, name=name: int(name in labels)) for name in names}
    elif task.kind in ("binary", "multiclass") and len(names) > 1:  # one class an image: 1 in its column
        answers = {name: (predictions["prediction"].astype(str) == name).astype(int) for name in names}
    elif task.kind == "regression" and len(names) > 1:
        answers = {name: predictions[f"{name}_predicted"] for name in names}
    else:
        answers = {names[0]: predictions["prediction"]}
    clashes = [name for name in answers if name in front]
    if clashes:
        raise ConfigError(
            f"--label-only writes the predictions as column {clashes[0]!r}, the training target, and --keep copies "
            "a column of that name too: keep another column"
        )
    import pandas as pd

    return pd.concat([predictions[front], pd.DataFrame(answers, index=predictions.index)], axis=1)


def _with_kept(predictions: Any, rows: Any, kept: list[str], source: Path) -> Any:
    """``predictions`` with the input columns ``kept`` copied in front, row for row."""
    if not kept:
        return predictions
    from trainwell.core.errors import DataError
    from trainwell.data.io import did_you_mean, list_columns

    absent = [name for name in kept if name not in rows.columns]
    if absent:
        columns = [str(c) for c in rows.columns]
        raise DataError(
            f"--keep names {', '.join(repr(n) for n in absent)}, not a column of {source}"
            f"{did_you_mean(absent, columns)}; columns are: {list_columns(columns)}"
        )
    clashes = [name for name in kept if name in predictions.columns]
    if clashes:
        raise DataError(f"--keep {', '.join(clashes)}: the output already has a column of that name")
    import pandas as pd

    return pd.concat([rows[kept].reset_index(drop=True), predictions.reset_index(drop=True)], axis=1)


def _text_columns(given: str | None, trained: list[str]) -> dict[str, str]:
    """``{column of the table: the model's text column}`` for ``--text`` (``{}`` without it)."""
    if given is None:
        return {}
    from trainwell.core.errors import ConfigError

    columns = [name.strip() for name in given.split(",") if name.strip()]
    if len(columns) != len(trained):
        raise ConfigError(
            f"--text names {len(columns)} column(s); the model reads {len(trained)} text(s) an example "
            f"({', '.join(trained)}): name {'one' if len(trained) == 1 else 'them, in that order'}"
        )
    return dict(zip(columns, trained, strict=True))


def _predict_texts(
    predictor: Any,
    data: list[Path],
    encoding: str,
    errors: str,
    kept: list[str],
    names: list[str] | None = None,
    renamed: dict[str, str] | None = None,
) -> Any:
    from trainwell.core.errors import ConfigError

    columns = list(predictor.input_names)
    if len(columns) > 1 and any(
        source.is_dir() or (names is None and one_text_per_line(source, columns, encoding)) for source in data
    ):
        raise ConfigError(
            f"this model reads {len(columns)} texts an example (the columns {', '.join(columns)}): pass a table "
            "holding them (CSV, TSV, Parquet...), not one text a line or a file"
        )
    if any(source.is_dir() for source in data):
        return _predict_text_files(predictor, data, encoding, errors)
    if len(data) != 1:
        if (
            names is None
            and not renamed
            and all(str(source) != "-" and one_text_per_line(source, columns, encoding) for source in data)
        ):
            return _predict_line_files(predictor, data, encoding, errors)
        raise ConfigError(
            f"a text model predicts one table (or '-' for standard input) at a time, or several .txt files of "
            f"one text a line; got {len(data)} inputs: {', '.join(str(source) for source in data[:3])}"
            + (", ..." if len(data) > 3 else "")
        )
    from trainwell.text._fasttext import is_fasttext_file

    if names is None and is_fasttext_file(data[0]):  # __label__pos a great film: the texts, labels kept
        from trainwell.text._fasttext import fasttext_lines, read_fasttext

        rows = read_fasttext(data[0], encoding=encoding, encoding_errors=errors)  # type: ignore[arg-type]
        rows = rows.rename(columns={"text": predictor.input_names[0]})
        answers = _with_kept(predictor.predict(rows), rows, kept, data[0])
        # Its blank lines are skipped, as in a file of one text a line: say which line each answer is for, as the
        # report names the texts of such a file (those after the last text shift no answer).
        lines = fasttext_lines(data[0], encoding=encoding, encoding_errors=errors) or []
        answers.insert(0, "line", lines)
        texted = set(lines)
        say_blank_lines({data[0]: [number for number in range(1, lines[-1]) if number not in texted]})
        return answers
    if names is None and not renamed and one_text_per_line(data[0], predictor.input_names, encoding):
        numbers, texts, blank = numbered_texts(data[0], encoding, errors)
        if not texts:
            from trainwell.core.errors import DataError

            where = "standard input" if str(data[0]) == "-" else data[0]
            raise DataError(f"{where} holds no text to predict; pass one text per line")
        say_blank_lines({data[0]: blank})
        predictions = predictor.predict(texts)
        predictions.insert(0, "line", numbers)  # blank lines are skipped: say which line each answer is for
        return predictions
    from trainwell.text.table import read_text_table

    # Read as fit read it: texts exactly ("NA" is a word), and a kept target '0,1' of labels (--label-delim ,)
    # as written, where read_table took it for a number with a decimal comma (0.1) in a TSV.
    # The text columns as written too: codes such as 00123 are texts, not the number 123.
    texts = [*predictor.input_names, *(renamed or {})]
    errors_as: Any = errors
    rows = read_text_table(
        data[0], str(data[0]), encoding=encoding, encoding_errors=errors_as, names=names, as_written=texts
    )
    if renamed:
        _check_input_columns(list(renamed), rows, data[0], can_allow=False)
        rows = rows.drop(
            columns=[name for name in renamed.values() if name not in renamed], errors="ignore"
        ).rename(columns=renamed)
    _check_input_columns(predictor.input_names, rows, data[0], can_allow=False)
    from trainwell.cli._blank_texts import predicted_but_empty

    answers = predicted_but_empty(predictor.predict, rows, list(predictor.input_names), data[0])
    return _with_kept(answers, rows, kept, data[0])


def _predict_line_files(predictor: Any, data: list[Path], encoding: str, errors: str) -> Any:
    """Predictions for the texts of several files of one text a line (``trainwell predict model/ a.txt b.txt``,
    a shell's ``*.txt``), each beside its file's path and line: one command, as a folder of files is. A file
    without text is left out with a warning; when no file holds one, the error says so."""
    from trainwell.core.errors import DataError
    from trainwell.core.warn import warn

    paths: list[str] = []
    lines: list[int] = []
    texts: list[str] = []
    empty: list[Path] = []
    blanks: dict[Path, list[int]] = {}
    given = list(dict.fromkeys(data))  # a file named twice is predicted once, as a folder named twice is
    for source in given:
        numbers, found, blanks[source] = numbered_texts(source, encoding, errors)
        if not found:
            empty.append(source)
            del blanks[source]  # said as a file left out, not line by line
        paths += [str(source)] * len(found)
        lines += numbers
        texts += found
    if not texts:
        raise DataError(f"none of the {len(given)} files holds a text to predict; pass one text per line")
    if empty:
        warn(f"left out {len(empty)} file(s) without text (the first: '{empty[0]}')", UserWarning)
    say_blank_lines(blanks)
    predictions = predictor.predict(texts)
    predictions.insert(0, "line", lines)
    predictions.insert(0, "path", paths)
    return predictions


def _predict_text_files(predictor: Any, data: list[Path], encoding: str, errors: str) -> Any:
    """Predictions for every ``.txt`` file under the folders ``data``, one text a file (as ``fit`` reads a folder
    of class folders: IMDB's ``test/``), beside each file's path; blank files are left out with a warning."""
    from trainwell.core.errors import ConfigError, DataError
    from trainwell.core.paths import natural_key
    from trainwell.core.warn import warn
    from trainwell.text.inputs import read_text_files

    others = [source for source in data if not source.is_dir()]
    if others:
        raise ConfigError(
            f"'{others[0]}' is not a folder: a text model predicts folders of .txt files (one text a file) or "
            "one table or .txt file (one text a line) at a time; pass them in separate commands"
        )
    files: dict[Path, str] = {}
    for folder in data:
        refuse_class_files(folder)
    for folder in data:  # each folder's files in the order people number them (2.txt before 10.txt)
        found = read_text_files(folder, encoding=encoding, encoding_errors=errors)  # type: ignore[arg-type]
        files.update((path, found[path]) for path in sorted(found, key=natural_key))
    blank = [path for path, text in files.items() if not text.strip()]
    if len(blank) == len(files):
        raise DataError(
            f"every .txt file under {', '.join(map(str, data))} is empty; there is no text to predict"
        )
    if blank:
        warn(f"left out {len(blank)} empty text file(s) (the first: '{blank[0]}')", UserWarning)
    paths = [path for path in files if files[path].strip()]
    predictions = predictor.predict([files[path] for path in paths])
    predictions.insert(0, "path", [str(path) for path in paths])
    return predictions


def refuse_class_files(folder: Path, command: str = "trainwell predict MODEL_DIR") -> None:
    """Refuse a folder without ``.txt`` files that holds files of one text a line (rt-polarity's), which a
    folder's predictions (one text a file) do not read, naming the ``command`` that does: one such file at a
    time."""
    from trainwell.core.errors import ConfigError
    from trainwell.text._line_files import class_files, split_class_files
    from trainwell.text.inputs import has_text_files

    if has_text_files(folder):
        return
    sets = {"": files} if (files := class_files(folder)) is not None else split_class_files(folder)
    if sets:  # the example a file to predict: a test file when the files are of splits
        paths = [path for named in sets.values() for path in named.values()]
        first = next(iter(sets.get("test", sets.get("valid", next(iter(sets.values())))).values()))
        raise ConfigError(
            f"'{folder}' holds files of one text a line ({', '.join(path.name for path in paths)}), not "
            f".txt files of one text each: pass one such file at a time, e.g. {command} {first}"
        )


def numbered_texts(source: Path, encoding: str, errors: str) -> tuple[list[int], list[str], list[int]]:
    """The texts of a file of one text a line (or of standard input, ``-``), their 1-based line numbers, and the
    numbers of the blank lines skipped (:func:`~trainwell.cli._common.text_lines`, which does not count those)."""
    from trainwell.cli._common import numbered_lines, stdin_text
    from trainwell.core.text_encoding import file_lines

    if str(source) == "-":
        lines = file_lines(stdin_text(encoding, errors))
    else:
        from trainwell.data.io import read_text_file

        lines = file_lines(read_text_file(source, encoding=encoding, encoding_errors=errors))
    numbers, texts = numbered_lines(lines)
    kept = set(numbers)
    return numbers, texts, [number for number in range(1, len(lines) + 1) if number not in kept]


#: Blank lines a note names by number before "...".
SHOWN_BLANK_LINES = 5


def say_blank_lines(blank: dict[Path, list[int]]) -> None:
    """One line on standard error counting the blank lines skipped in each file of one text a line (``blank``:
    their numbers, by file), when there are any: the output then has fewer rows than the input has lines, and its
    ``line`` column, not its row order, says which line each answer is for. Nothing when there are none."""
    found = {source: numbers for source, numbers in blank.items() if numbers}
    if not found:
        return
    from trainwell.cli._common import err_console

    count = sum(len(numbers) for numbers in found.values())
    lines = "blank line" if count == 1 else "blank lines"
    if len(found) == 1:
        source, numbers = next(iter(found.items()))
        shown = ", ".join(map(str, numbers[:SHOWN_BLANK_LINES])) + (
            ", ..." if len(numbers) > SHOWN_BLANK_LINES else ""
        )
        where = f"of {_named(source)} ({'line' if count == 1 else 'lines'} {shown})"
    else:
        where = (
            "(" + ", ".join(f"{_named(source)}: {len(numbers)}" for source, numbers in found.items()) + ")"
        )
    err_console.print(
        f"note: skipped {count} {lines} {where}; the column 'line' gives each answer's line",
        soft_wrap=True,
        markup=False,
        highlight=False,
    )


def _named(source: Path) -> str:
    return "standard input" if str(source) == "-" else f"'{source}'"


def one_text_per_line(source: Path, columns: list[str], encoding: str = "utf-8") -> bool:
    """Standard input (``-``), a ``.txt`` file (``.txt.gz`` too), or a file named as no table whose first line
    names none of the model's input ``columns`` (rt-polarity's ``rt-polarity.neg.gz``): one text per line, not a
    table."""
    name = source.name.lower().removesuffix(".gz")
    if str(source) == "-" or name.endswith(".txt"):
        return True
    from trainwell.core.paths import TABLE_SUFFIXES

    if Path(name).suffix in TABLE_SUFFIXES or not source.is_file():  # a table whatever its first line
        return False
    import gzip
    import re

    try:
        with gzip.open(source, "rb") if source.name.lower().endswith(".gz") else source.open("rb") as stream:
            first = stream.readline(65536).decode(encoding, errors="replace")
    except (OSError, EOFError):
        return False  # the table reader says what is wrong with it
    fields = {field.strip().strip('"').strip() for field in re.split(r"[,\t;|]", first)}
    return not fields & set(columns)


def _check_input_columns(needed: list[str], rows: Any, source: Path, *, can_allow: bool = True) -> None:
    from trainwell.core.errors import DataError
    from trainwell.data.io import list_columns

    absent = [name for name in needed if name not in rows.columns]
    from trainwell.data.io import one_column_error

    read_as_one = one_column_error([str(column) for column in rows.columns], absent, str(source))
    if absent and read_as_one is not None:  # space-delimited: 'x1 x2 color' read as one column
        raise DataError(read_as_one)
    if absent:
        noun = "column" if len(absent) == 1 else "columns"
        way_out = (
            f", or pass --allow-missing-columns to read {'it' if len(absent) == 1 else 'them'} as missing in every row"
            if can_allow
            else " (a text model has nothing to read without it), or name the column holding the texts with --text"
        )
        from trainwell.data.io import looks_like_data

        if looks_like_data(rows.columns):  # no header row: its first row was read as the columns' names
            way_out = (
                ", or, as its first row looks like data, not column names: if the file has no header row, name "
                "its columns with --names, in order"
            )
        from trainwell.data.io import did_you_mean

        raise DataError(
            f"input {noun} {', '.join(repr(name) for name in absent)} missing from "
            f"{'standard input' if str(source) == '-' else source}"
            f"{did_you_mean(absent, [str(column) for column in rows.columns], needed)}; the model was trained "
            f"on: {list_columns(needed)}. Add the {noun}{way_out}"
        )
