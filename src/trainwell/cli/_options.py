"""The options several commands share, defined once so that each command says the same.

A command takes them as ``from trainwell.cli import _options as option`` and ``cat_names: option.CatNames =
None``: typer reads the type and its ``typer.Option`` from the annotation.
"""

from __future__ import annotations

from typing import Annotated

import typer

from trainwell.cli._common import ENCODING_HELP
from trainwell.core.label_names import HELP as LABEL_NAMES_HELP

#: The --encoding of a command that reads tables in it and nothing else.
Encoding = Annotated[str, typer.Option(help=ENCODING_HELP)]
#: The --encoding and --encoding-errors of a command that reads whatever data it is given (evaluate, report).
DataEncoding = Annotated[
    str,
    typer.Option(
        help="Text encoding of the data: tables (CSV/TSV/JSON), a CSV of image paths, texts, .txt corpora and "
        "CoNLL files, e.g. cp1252 or latin-1 (default utf-8)."
    ),
]
EncodingErrors = Annotated[
    str,
    typer.Option(
        help="'replace' reads bytes the --encoding cannot decode as U+FFFD instead of stopping ('strict')."
    ),
]
#: The column names of a table without a header row (fit, evaluate, tune, lr-find, predict).
Names = Annotated[
    str | None,
    typer.Option(
        help="A CSV/TSV without a header row (tables, texts, ratings): the names of all its columns, "
        "comma-separated, in order; its first line is then data (a --test file is read alike).",
    ),
]
#: The column roles of the table commands (fit, evaluate, tune).
CatNames = Annotated[str | None, typer.Option(help="Tables: comma-separated categorical columns.")]
ContNames = Annotated[str | None, typer.Option(help="Tables: comma-separated continuous columns.")]
Ignore = Annotated[str | None, typer.Option(help="Tables: comma-separated columns never used as inputs.")]
MinCategoryCount = Annotated[
    int | None,
    typer.Option(
        min=1,
        help="Tables: fewest training rows a category value needs for a code of its own; rarer values share one "
        "code with values never seen in training (default 3; 1 keeps every value).",
    ),
]
PathCol = Annotated[
    str | None,
    typer.Option(
        help="Images from a CSV: its column of image paths, relative to the CSV (report: default as in fit)."
    ),
]
LabelCol = Annotated[
    str | None,
    typer.Option(
        help="Images from a CSV: its column of labels; several comma-separated: 0/1 columns of classes, or "
        "numbers to predict together (x,y: a point in each image, kept in place: squished, not cropped, and never "
        "flipped or turned by the augmentation) (report: default as in fit)."
    ),
]
LabelDelim = Annotated[
    str | None, typer.Option(help="Multi-label: separator between labels in one cell, e.g. ';'.")
]
LabelNames = Annotated[str | None, typer.Option(metavar="FILE|NAMES", help=LABEL_NAMES_HELP)]
MaxLen = Annotated[
    int | None,
    typer.Option(
        "--max-len",
        help="Texts: read at most this many tokens of each text, in training and in every prediction (kept in the "
        "model). Default: every token for the fast model, the first 1440 for ulmfit/awd_lstm, whose time grows "
        "with the text.",
        min=1,
    ),
]
LabelThresholds = Annotated[
    bool,
    typer.Option(
        help="Multi-label: choose each label's decision threshold on the validation rows (--no-label-thresholds: "
        "0.5 for every label)."
    ),
]
DecisionThreshold = Annotated[
    str | None,
    typer.Option(
        metavar="METRIC|NUMBER",
        help="Binary targets: the probability from which a row is called positive. A metric (f1, "
        "balanced_accuracy, mcc, accuracy) chooses it on the validation rows for the best value; a number (e.g. "
        "0.3) sets it. Kept in the model: predict, serve and the test set decide with it (default 0.5).",
    ),
]
DateFormat = Annotated[
    list[str] | None,
    typer.Option(
        "--date-format",
        metavar="COLUMN=FORMAT",
        help="Tables: a date column's format, COLUMN=FORMAT (e.g. sold=DD/MM/YYYY), or a bare FORMAT preferred for "
        "every date column it reads; repeat for several columns.",
    ),
]
ImageSize = Annotated[
    int | None, typer.Option(help="Images: side in pixels (default: their own when <= 64, else 128).")
]
Channels = Annotated[
    int | None,
    typer.Option(
        help="Images: read every image as grayscale (1) or colour (3) instead of as most of them are; kept with "
        "the model, so predict, serve and its ONNX file read images so too."
    ),
]
Augment = Annotated[
    str, typer.Option(help="Images: augmentation preset: auto, default, digits, documents, none.")
]
ImageRecipe = Annotated[
    str | None,
    typer.Option(
        help="Images: a named training recipe: speedrun (small photos: whitened CNN, SGD at batch 1024, 10 epochs)."
    ),
]
TagColumn = Annotated[str | None, typer.Option(help="Tagging: the column of tags (default as in fit).")]
#: fit's class weights and refit of a table's model (tables only).
ClassWeight = Annotated[
    str | None,
    typer.Option(
        metavar="balanced",
        help="Tables with a binary or single-label target: balanced weighs each class by the inverse of its share "
        "of the training rows, in the MLP's loss and the boosted trees' (sample weights); the validation loss is "
        "then the weighted one. It raises the recall and F1 of a rare class (at threshold 0.5) and worsens the "
        "calibration of the probabilities (a higher log loss): leave it out when the probabilities matter.",
    ),
]
RefitFull = Annotated[
    bool,
    typer.Option(
        "--refit-full",
        help="Tables: once the architecture is chosen, train it again on the training and validation rows "
        "together, with the epochs it kept or its boosting rounds, and write that model; the validation figures "
        "stay those of the model that did not train on them, and --test scores the refit one. About as long "
        "again as the first training, beyond --time.",
    ),
]
