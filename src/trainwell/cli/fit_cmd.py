"""``trainwell fit``: train a model on a table, a folder of images, texts, ratings or tagged sentences.

Registered on the main command line by ``app.command()(fit)``. The data decides the application; each branch
is a thin layer over that application's pipeline function.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from trainwell.cli import _options as option
from trainwell.cli._common import (
    ENCODING_HELP,
    MAX_SEED,
    column_names,
    described_target,
    err_console,
    guarded,
    missing_target,
    model_directory_line,
    out_console,
    refuse_encoding,
    unpacked_data,
)
from trainwell.cli._fit_data import (
    TABLE_ONLY,
    UNREAD_BY_LM,
    UNREAD_BY_TAGGER,
    fasttext_columns,
    holds_only_images,
    holds_text_classes,
    is_corpus_folder,
    is_image_source,
    not_for_images,
    ratings_folder,
    read_text_classes,
    recommender_words,
    refuse_for_images,
    refuse_for_tables_and_texts,
    refuse_unread,
    table_else_text,
    table_options_given,
    tokenizer_setting,
)
from trainwell.cli._loggers import LOG_HELP
from trainwell.cli._outputs import check_fit_out
from trainwell.cli._resume import RESUME_HELP, FitCheckpoint
from trainwell.cli._training import (
    Clip,
    CommandTime,
    Patience,
    Precision,
    TrainedModel,
    refuse_for_closed_form,
    training_options,
)

TASKS = "binary, multiclass, multilabel, regression, language_model, tagging"
#: fit's options that only a table's own models (the MLP, boosted trees) read: every other kind of data refuses them.
TABLE_MODEL_ONLY = ("--class-weight", "--refit-full")

#: ``--lm-size`` of fit and evaluate (``--task language_model``): the same names, meaning and checks
#: (:func:`lm_size_setting`).
LMSize = Annotated[
    str | None,
    typer.Option(
        "--lm-size",
        help="--task language_model: the AWD-LSTM's size: small (64 / 128 / 2 layers: embedding / inner "
        "width / layers, for a CPU), medium (256 / 512 / 2) or large (400 / 1150 / 3, the paper's). Default: "
        "medium on a CPU, large on a GPU; with --pretrained, that model's.",
    ),
]


def table_roles(
    cat_names: str | None,
    cont_names: str | None,
    ignore: str | None,
    date_format: list[str] | None = None,
    min_category_count: int | None = None,
) -> dict[str, Any]:
    """The --cat-names, --cont-names, --ignore, --date-format and --min-category-count of fit, evaluate and tune,
    as the table builder takes them (the last left out when not given: the builder's default holds)."""
    roles: dict[str, Any] = {
        "cat_names": column_names(cat_names),
        "cont_names": column_names(cont_names),
        "ignore": column_names(ignore) or [],
        "date_formats": date_formats(date_format),
    }
    if min_category_count is not None:
        roles["min_category_count"] = min_category_count
    return roles


def date_formats(options: list[str] | None) -> dict[str, str] | None:
    """``--date-format sold=DD/MM/YYYY`` as ``{"sold": "DD/MM/YYYY"}``; a bare format is preferred for all (``"*"``)."""
    from trainwell.core.errors import ConfigError

    if not options:
        return None
    found: dict[str, str] = {}
    for given in options:
        column, equals, fmt = given.partition("=")
        name, fmt = (column.strip(), fmt.strip()) if equals else ("*", given.strip())
        if not name or not fmt:
            raise ConfigError(
                f"--date-format {given!r} needs COLUMN=FORMAT (e.g. sold=DD/MM/YYYY) or a FORMAT"
            )
        if name in found:
            raise ConfigError(
                f"--date-format names {'a preferred format' if name == '*' else repr(name)} twice"
            )
        found[name] = fmt
    return found


def target_columns(text: str) -> str | list[str]:
    """One target column, or several when comma-separated (multi-output)."""
    names = column_names(text) or [text]
    return names if len(names) > 1 else names[0]


def fit(
    ctx: typer.Context,
    data: Annotated[
        Path,
        typer.Argument(
            help="A CSV, TSV or Parquet table (--target; texts with --text, ratings with --user and --item); a "
            "folder of images (<label>/*.jpg, or train/ + valid/) or of texts (<label>/*.txt); a CSV of image paths "
            "(--path-col, --label-col); a folder or .txt of text (--task language_model); or tagged sentences "
            "(CoNLL files)."
        ),
    ],
    target: Annotated[
        str | None,
        typer.Option(help="Column to predict (comma-separate several for multi-output); tables only."),
    ] = None,
    out: Annotated[
        Path,
        typer.Option(
            help="Model directory to write (artifact, history.csv, and PNG curves of a model trained in epochs, "
            "not of boosted trees); it holds fit-checkpoint.pt while training (see --resume)."
        ),
    ] = Path("model"),
    epochs: Annotated[
        int | None, typer.Option(help="Passes over the data (default: chosen from the data size).")
    ] = None,
    time_budget: Annotated[
        str | None,
        typer.Option(
            "--time",
            help="Finish training within this time of the command's start (reading the data included), e.g. 90s, "
            "10m, 1h30m or 1:30:00: the epochs are cut to what fits and the learning-rate schedule fitted to them "
            "(it still ends annealed). It bounds the training and, with a test set, keeps out of it the time its "
            "scoring is estimated to take (measured in the fit, at most half of it; said under the results); the "
            "writing comes after it (the command's whole time is said when it ran past by more than a tenth), and "
            "a language model's cache tuning, within a tenth of the time. With --epochs, whichever ends first. A time that trains less than "
            "one epoch is warned of, with about the time one needs.",
        ),
    ] = None,
    lr: Annotated[
        float | None,
        typer.Option(help="Peak learning rate (default: LR finder for tables, 2e-3 for images)."),
    ] = None,
    wd: Annotated[
        float | None,
        typer.Option(
            help="Decoupled weight decay of the network (tables, images, texts, ratings; default: each model's, "
            "e.g. 0.01 for a table's MLP, 0.05 for images). Biases and norm layers never decay."
        ),
    ] = None,
    opt: Annotated[
        str | None,
        typer.Option(
            help="Optimizer of the network: adamw (the default), adabelief, adam or sgd (tables and images)."
        ),
    ] = None,
    clip: Clip = None,
    precision: Precision = None,
    patience: Patience = None,
    batch_size: Annotated[
        int | None, typer.Option(help="Rows or images per batch (default: chosen from the data size).")
    ] = None,
    valid_pct: Annotated[float, typer.Option(help="Share of rows held out for validation.")] = 0.2,
    valid_col: Annotated[
        str | None, typer.Option(help="Column marking validation rows (true/false).")
    ] = None,
    test: Annotated[
        Path | None,
        typer.Option(
            help="Labelled held-out data, scored once after training and kept for trainwell info: a table (tables, "
            "texts), a folder of class folders (texts: <label>/*.txt; images) or a CSV of paths (images). A "
            "folder's own test/ beside train/ is read without it."
        ),
    ] = None,
    task: Annotated[str | None, typer.Option(help=f"Override the inferred task: {TASKS}.")] = None,
    metric: Annotated[list[str] | None, typer.Option(help="Metric to report (repeat for several).")] = None,
    cat_names: option.CatNames = None,
    cont_names: option.ContNames = None,
    ignore: option.Ignore = None,
    date_format: option.DateFormat = None,
    min_category_count: option.MinCategoryCount = None,
    names: option.Names = None,
    text: Annotated[
        str | None,
        typer.Option(
            help="Texts: the column holding the text (trains a text classifier, or a regression of a number)."
        ),
    ] = None,
    tokenizer: Annotated[
        str | None,
        typer.Option(
            help="Texts and language models: word (rules with special tokens for case, repeats and unknown "
            "words; the default), subword (BPE pieces learnt on the training text) or, for a language model, "
            "whitespace (the text's own tokens, as in PTB; the default for a corpus with its own <unk>, all of "
            "its words kept) or char (every character a token, line breaks included: a character-level model, "
            "perplexity per character)."
        ),
    ] = None,
    model: Annotated[
        str,
        typer.Option(
            help="Texts: the model (fast: bag of n-grams; ulmfit: AWD-LSTM, with --pretrained LM); --arch says the "
            "same, as for every other model."
        ),
    ] = "fast",
    drop_empty: Annotated[
        bool, typer.Option(help="Texts: drop rows whose text is empty instead of stopping.")
    ] = False,
    user: Annotated[
        str | None,
        typer.Option(
            help="Ratings: the user column (with --item: trains a recommender; --target: the rating)."
        ),
    ] = None,
    item: Annotated[str | None, typer.Option(help="Ratings: the item column (movie, product...).")] = None,
    implicit: Annotated[
        bool,
        typer.Option(
            help="Ratings: read each row as an interaction (plays, clicks), no rating; automatic for a table of "
            "only users, items and times."
        ),
    ] = False,
    time_col: Annotated[
        str | None,
        typer.Option(
            help="Ratings: the column saying when each rating was made (numbers or dates): validation holds out "
            "each user's latest --valid-pct of their ratings instead of a random --valid-pct of all. Interactions "
            "(--implicit): the column ordering each user's interactions, the latest held out (default: one named "
            "timestamp, time, date...). Not --time, the training budget."
        ),
    ] = None,
    k: Annotated[
        int | None,
        typer.Option(
            "--k",
            help="Ratings and interactions with --test: places in each top-N list the test set is judged by "
            "after training (precision@k, recall@k, hit@k, ndcg@k, MRR@k, MAP@k), as report and evaluate take "
            "it (default: 10).",
            min=1,
            show_default=False,
        ),
    ] = None,
    path_col: option.PathCol = None,
    label_col: option.LabelCol = None,
    label_delim: option.LabelDelim = None,
    max_len: option.MaxLen = None,
    label_names: option.LabelNames = None,
    positive: Annotated[
        str | None,
        typer.Option(
            metavar="LABEL",
            help="Tables with a binary target: the class its probability, F1, precision and recall are of "
            "(default: the later in sorted order, or the one the other negates: churn of churn / no churn).",
        ),
    ] = None,
    label_thresholds: option.LabelThresholds = True,
    decision_threshold: option.DecisionThreshold = None,
    class_weight: option.ClassWeight = None,
    refit_full: option.RefitFull = False,
    arch: Annotated[
        str,
        typer.Option(
            help="Images: architecture (auto, simple_cnn, xresnet18/34/50, whitened_cnn; timm:NAME or "
            "torchvision:NAME with the vision extra). Ratings: dot_bias (default) or collab_nn; "
            "interactions (--implicit) also ease, a closed-form item-to-item model. Tables: auto (default: boosted "
            "trees and the MLP, the one with the lower validation loss kept), mlp, or gbdt (gradient-boosted "
            "trees, scikit-learn's, kept as tensors: served and exported like the MLP). Texts: fast (default) or "
            "ulmfit, as --model."
        ),
    ] = "auto",
    size: option.ImageSize = None,
    augment: option.Augment = "auto",
    channels: option.Channels = None,
    recipe: option.ImageRecipe = None,
    pretrained: Annotated[
        Path | None,
        typer.Option(
            help="Start from this model and fine-tune: images: a model directory or .safetensors; texts (--model "
            "ulmfit) and --task language_model: a language-model directory."
        ),
    ] = None,
    lm_size: LMSize = None,
    tag_col: Annotated[
        str | None,
        typer.Option(
            help="Tagging: the column of tags (default: ner for CoNLL-2003's 4 columns, upos for CoNLL-U, else "
            "the last)."
        ),
    ] = None,
    embeddings: Annotated[
        Path | None,
        typer.Option(
            help="Tagging: pretrained word vectors (GloVe / word2vec / fastText text format) to start from."
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option(help="Seed for the split, initialisation and shuffling.", min=0, max=MAX_SEED)
    ] = 0,
    encoding: Annotated[
        str,
        typer.Option(
            help=ENCODING_HELP.removesuffix(".")
            + "; also the .txt files of a folder of texts or a language-model corpus, and CoNLL files."
        ),
    ] = "utf-8",
    encoding_errors: Annotated[
        str,
        typer.Option(
            help="Tables (in their --encoding; a CSV of image paths too), texts, CoNLL files and .txt corpora: "
            "'replace' reads bytes that cannot be decoded as U+FFFD instead of stopping ('strict')."
        ),
    ] = "strict",
    resume: Annotated[bool, typer.Option("--resume", help=RESUME_HELP)] = False,
    track: Annotated[list[str] | None, typer.Option(help=LOG_HELP)] = None,
) -> None:
    """Train a model on a table, images, texts, ratings or tagged sentences (CoNLL files), and write the model
    directory."""
    command_time = CommandTime()  # --time bounds the training: the whole command's time is said beside it
    trained = (
        TrainedModel()
    )  # the learner once trained: written by the command when Ctrl-C stops what follows

    def run() -> None:
        # What the command line can check alone comes first, and the training stack's imports after it
        # (ready): a mistake is said at once, not after seconds of imports.
        nonlocal text, target  # a folder of class folders of texts sets them
        nonlocal data, test  # an archive: what it holds, unpacked
        nonlocal user, item, task  # MovieLens' folder: its ratings file's columns; a corpus: a language model
        nonlocal model, arch  # texts: --arch names the text model, as --model does
        folder_names: dict[str, str] | None = None  # MovieLens' folder: its items' names (u.item)
        data, test = unpacked_data(data), unpacked_data(test)  # type: ignore[assignment]
        from trainwell.cli._early import (
            check_text_options,
            duration_option,
            need_data,
            refuse_model_directory,
        )
        from trainwell.core.errors import ConfigError

        refuse_model_directory(data)
        check_text_options(encoding, encoding_errors)
        from trainwell.cli._loggers import parse_log

        log_targets = parse_log(track)
        from trainwell.core.metric_names import check_metric_names

        check_metric_names(metric)  # a misspelt name said at once, not after the data is read
        from trainwell.core.label_names import label_names_given

        class_names = label_names_given(label_names)
        named: dict[str, Any] = {"label_names": class_names} if class_names is not None else {}
        if wd is not None and not (wd >= 0 and wd == wd and wd != float("inf")):
            raise ConfigError(f"--wd must be a finite number of at least 0, got {wd}; pass e.g. --wd 0.01")
        if opt is not None:
            from trainwell.optim.factory import optimizers

            optimizers.entry(opt)  # a misspelt name said at once, with the names known
        training = training_options(clip, precision, patience)
        # A misspelt --class-weight is said at once, not after the data is read.
        if class_weight is not None and class_weight != "balanced":
            raise ConfigError(
                f"--class-weight {class_weight} is not known: --class-weight balanced weighs each class by the "
                "inverse of its share of the training rows (or leave it out)"
            )
        chosen_learner = {name: value for name, value in (("wd", wd), ("opt", opt)) if value is not None}
        if chosen_learner:
            named["learner_kwargs"] = chosen_learner
        if task is not None and task not in TASKS.split(", "):  # said at once, not after the data is read
            raise ConfigError(
                f"--task {task} is not known; use one of: {TASKS} (the first four for a table, texts or images; "
                "language_model for a corpus; tagging for CoNLL files)"
            )
        from trainwell.cli._splits import command_splits

        nonlocal names, valid_col  # a folder of splits: the joined rows, the validation split marked
        data, test, valid_col, names, target, valid_text = command_splits(
            data, "fit", target=target, test=test, valid_col=valid_col, names=names, encoding=encoding,
            encoding_errors=encoding_errors, task=task, label_delim=label_delim, text=text,
        )  # fmt: skip
        seconds = duration_option(time_budget, "--time")
        budget: Any = None  # --time's TimeBudget, made by ready() and counting from the command's start
        capped: Any = None  # --time: the KeepCappedValidation of the fit, made with the training stack
        if path_col is None and label_col is not None and not data.is_dir():
            # Read as a table, the CSV of images trained an MLP on its path strings, --label-col unread.
            raise ConfigError("--label-col names the labels of a CSV of images: pass its --path-col too")
        if task != "language_model":  # __label__pos a great film: the columns text and label
            text, target = fasttext_columns(data, text, target)
            folder = data
            data, user, item, target = ratings_folder(
                data, user, item, target, "fit", implicit, names
            )  # MovieLens' ml-100k/ (and a bare u.data, unless --names names its columns)
            if data != folder:  # its u.item names the films: kept in the model, for recommend and report
                from trainwell.collab.names import folder_item_names

                folder_names = folder_item_names(folder, "item")
        if time_col is not None and user is None and item is None and not implicit:
            raise ConfigError(
                "--time-col is for ratings (with --user and --item, or --implicit): it orders each user's ratings "
                "to hold out the latest; drop it (--time is the training budget)"
            )
        if k is not None and user is None and item is None and not implicit:
            raise ConfigError(
                "--k is the length of a recommender's top-N lists (ratings: with --user and --item, or "
                "--implicit): drop it"
            )
        if k is not None and test is None:
            raise ConfigError(
                f"--k {k} is the length of the top-N lists that --test's ratings are judged by after training: "
                "give --test, or drop --k (trainwell report MODEL --data TEST --k N judges them later)"
            )

        def ready(kind: str) -> FitCheckpoint:
            """Past the checks of the options: the data must be there (read as ``kind``, a key of
            ``_early.MISSING``); then the checkpoint of the fit, with the imports of the training stack, and
            with --time its budget (:data:`budget`), counting from the command's start: the imports and the
            trackers' set-up left out."""
            nonlocal budget, capped
            need_data(data, kind)
            check_fit_out(
                out, kind, target, ratings=user is not None or item is not None or implicit, data=data
            )
            with command_time.setting_up():
                keeping = set_up(kind)
            if seconds is not None:
                from trainwell.learner.kept_predictions import KeepCappedValidation

                capped = KeepCappedValidation()  # the results scored on the rows a capped pass read
                keeping.callbacks.append(capped)
                from trainwell.cli._resume import closed_form_model

                # A model fitted in closed form builds no optimizer: no training code to load for it.
                budget = command_time.budget_of(seconds, imports=closed_form_model(arch) is None)
                if (
                    command_time.test_reserve is not None
                ):  # time kept for scoring a test set after the training
                    keeping.callbacks.append(command_time.test_reserve.callback())
            return keeping

        def set_up(kind: str) -> FitCheckpoint:
            """:func:`ready`'s work but the budget: the training stack, its callbacks, the checkpoint's plan."""
            from trainwell.cli._resume import closed_form_model, plan_checkpoint

            closed_form = closed_form_model(arch)
            if seconds is not None and closed_form is None:  # trees build no optimizer: none of its imports
                from trainwell.callbacks.budget import load_training_imports

                load_training_imports()  # seconds, once a process: set aside, as the budget's own start does
            from trainwell.distributed import launched_by_torchrun

            if launched_by_torchrun() and os.environ.get("RANK") != "0":
                out_console.quiet = True  # under torchrun every process trains; rank 0 alone reports
            refuse_for_closed_form(training, closed_form)
            if os.environ.get("RANK", "0") == "0":  # rank 0 writes --out, for all
                from trainwell.core.out_lock import hold_out_dir, refuse_if_held

                refuse_if_held(out)  # said at once, not after the data is read
                if closed_form is not None:
                    hold_out_dir(out)  # fitted in seconds, without callbacks: held before the data is read
            keeping = plan_checkpoint(ctx, out, resume, closed_form, seconds)
            if os.environ.get("RANK", "0") == "0" and closed_form is None:
                from trainwell.cli._fit_callbacks import HoldOutDir

                keeping.callbacks.append(HoldOutDir(out))  # held as training begins, the data checked
            keeping.callbacks.extend(training.callbacks())
            if closed_form is None:
                keeping.callbacks.append(trained.callback())
            if seconds is not None:
                keeping.callbacks.append(command_time.callback())
            if log_targets:
                from trainwell.cli._loggers import make_loggers

                loggers.extend(make_loggers(log_targets, out, closed_form, resume=resume))
                keeping.callbacks.extend(loggers)
            return keeping

        from trainwell.cli._tagging import fit_tagging, is_tagging_source

        if task in ("language_model", "tagging") and holds_only_images(data):
            raise not_for_images([f"--task {task}"], data)
        # Every option given, so that each kind of data can refuse those it never reads instead of ignoring them.
        given = {
            "--target": target is not None,
            "--text": text is not None,
            "--tokenizer": tokenizer is not None,
            "--model": model != "fast",
            "--drop-empty": drop_empty,
            "--user": user is not None,
            "--item": item is not None,
            "--implicit": implicit,
            "--valid-col": valid_col is not None,
            **table_options_given(cat_names, cont_names, ignore, date_format, min_category_count),
            "--path-col": path_col is not None,
            "--label-col": label_col is not None,
            "--label-delim": label_delim is not None,
            "--max-len": max_len is not None,
            "--label-names": label_names is not None,
            "--positive": positive is not None,
            "--no-label-thresholds": not label_thresholds,
            "--decision-threshold": decision_threshold is not None,
            "--arch": arch != "auto",
            "--size": size is not None,
            "--augment": augment != "auto",
            "--channels": channels is not None,
            "--recipe": recipe is not None,
            "--metric": bool(metric),
            "--pretrained": pretrained is not None,
            "--encoding-errors": encoding_errors != "strict",
            "--test": test is not None,
            "--names": names is not None,
            "--wd": wd is not None,
            "--opt": opt is not None,
            "--class-weight": class_weight is not None,
            "--refit-full": refit_full,
            **training.given,
        }
        headerless: dict[str, Any] = (
            {"names": column_names(names)} if names is not None else {}
        )  # else the default
        if test is not None:
            need_data(test, "image files" if test.is_dir() else "table")
        if task == "language_model":
            refuse_unread(
                given,
                (*UNREAD_BY_LM, *TABLE_MODEL_ONLY, "--decision-threshold"),
                "a language model (--task language_model)",
            )
        if lm_size is not None and task not in (None, "language_model"):
            raise ConfigError("--lm-size is for language models (--task language_model): drop it")
        if is_tagging_source(data, task, text, target):
            if lm_size is not None:
                raise ConfigError("--lm-size is for language models (--task language_model): drop it")
            refuse_unread(
                given,
                (*UNREAD_BY_TAGGER, *TABLE_MODEL_ONLY, "--decision-threshold"),
                "a tagger (tagged sentences, CoNLL files)",
            )
            settings: dict[str, Any] = {
                "out": out,
                "epochs": epochs,
                "lr": lr,
                "seed": seed,
                "valid_pct": valid_pct,
            }
            settings.update(tag_col=tag_col, batch_size=batch_size, metrics=metric, embeddings=embeddings)
            settings.update(encoding=encoding, encoding_errors=encoding_errors)
            settings.update(ready("conll").pipeline_kwargs)
            settings["time_budget"] = budget
            tagged = fit_tagging(data, settings)
            say_time_limits(getattr(tagged, "budget", budget), capped, "sentences", command_time.test_reserve)
            return
        if tag_col is not None or embeddings is not None:
            flag = "--tag-col" if tag_col is not None else "--embeddings"
            raise ConfigError(f"{flag} is for tagged sentences (CoNLL files with --task tagging); drop it")
        # <label>/*.txt, IMDB's layout: the texts are the files, the labels their folders' names.
        text_folder = task != "language_model" and path_col is None and holds_text_classes(data)
        labelled: list[str] | None = None
        folder_classes: dict[str, Any] = {}  # fit_texts' classes=, without the unlabelled texts' folder
        if text_folder:
            text, target = "text", "label"
            labelled = read_text_classes(data, given)
            if labelled is not None:
                folder_classes["classes"] = labelled
        if text is not None and task != "language_model" and arch != "auto":
            # A text model's architecture is --arch as every other model's (fit_texts' arch=); --model stays.
            if model not in ("fast", arch):
                raise ConfigError(
                    f"--arch {arch} and --model {model} both name the text model's architecture: give one (--arch)"
                )
            model, arch = arch, "auto"
            given.update({"--arch": False, "--model": model != "fast"})
        if task is None and target is None and text is None and path_col is None and is_corpus_folder(data):
            task = "language_model"  # Tiny Shakespeare's, PTB's folder: text files alone are a corpus
            err_console.print(
                f"'{data}' holds text files alone: training a language model on them (as --task language_model)",
                soft_wrap=True,
                markup=False,
                highlight=False,
            )
            refuse_unread(
                given,
                (*UNREAD_BY_LM, *TABLE_MODEL_ONLY, "--decision-threshold"),
                "a language model (--task language_model)",
            )
        image_source = not text_folder and task != "language_model" and is_image_source(data, path_col)
        if image_source:  # a CSV of image paths (--path-col) is read as a table: it takes --encoding-errors
            refuse_unread(given, TABLE_MODEL_ONLY, f"images ('{data}')")
            refuse_for_images(
                data, {**given, "--encoding-errors": given["--encoding-errors"] and path_col is None}
            )
        if channels is not None and not image_source:
            raise ConfigError("--channels is for images (a folder of class folders or --path-col); drop it")
        if recipe is not None and not image_source:
            raise ConfigError(
                f"--recipe {recipe} is for images (a folder of class folders or --path-col); drop it"
            )
        text_flags = [flag for flag in ("--tokenizer", "--max-len") if given[flag]]
        if text_flags and text is None and task != "language_model" and not image_source:
            # A text model's options without --text: a table of free text alone is one (SST-2's sentence)
            from trainwell.cli._fit_data import free_text_input

            text = free_text_input(
                data,
                target_columns(target) if target is not None else None,
                text_flags,
                given=given,
                arch=arch,
                table_settings={
                    "valid_col": valid_col,
                    "encoding": encoding,
                    "encoding_errors": encoding_errors,
                    "ignore": column_names(ignore) or [],
                    **headerless,
                },
            )
        if max_len is not None and (image_source or task == "language_model"):
            raise ConfigError("--max-len is for text classifiers (--text, a folder of texts): drop it")
        chosen_tokenizer = tokenizer_setting(tokenizer, data, task, text, pretrained, image_source)
        if pretrained is not None and text is not None and model != "fast" and task != "language_model":
            from trainwell.text.ulmfit import lm_text_settings

            # What the classifier's data will read the language model with (as fit_texts asks it): a model
            # it cannot read (a character-level one) is refused here, before the checkpoint, the trackers and
            # the data's reading, not after them.
            lm_text_settings(pretrained)
        if opt is not None and (text is not None or text_folder) and not image_source:
            raise ConfigError(
                "--opt is for tables and images; a text model trains with the optimizer its embeddings need (the "
                "rows of the words in a batch updated alone): drop it"
            )
        ratings = user is not None or item is not None or implicit
        if (ratings or text is not None) and task != "language_model" and not image_source:
            what = recommender_words(user, item, implicit) if ratings else "a text classifier (--text)"
            # A text classifier weighs its classes (--class-weight, fit_texts' class_weight=); it refits nothing.
            refuse_unread(given, (*TABLE_ONLY, *(TABLE_MODEL_ONLY if ratings else ("--refit-full",))), what)
        if ratings:
            # a held-out table is scored once: ratings by their error and top-10 lists, interactions by the lists
            refuse_unread(
                given,
                ("--label-names", "--opt", "--decision-threshold"),
                recommender_words(user, item, implicit),
            )
            recommender = recommender_arch(arch)
            keeping = ready("table")
            _fit_ratings(
                data,
                user=user,
                item=item,
                rating=target,
                out=out,
                epochs=epochs,
                lr=lr,
                batch_size=batch_size,
                valid_pct=valid_pct,
                valid_col=valid_col,
                task=task,
                metrics=metric,
                arch=recommender,
                seed=seed,
                implicit=implicit,
                encoding=encoding,
                encoding_errors=encoding_errors,
                time_budget=budget,
                item_names=folder_names,
                capped=capped,
                time_col=time_col,
                k=10 if k is None else k,
                reserve=command_time.test_reserve,
                **({"test": test} if test is not None else {}),
                **({"wd": wd} if wd is not None else {}),
                **headerless,
                **keeping.pipeline_kwargs,
            )
            return
        if task == "language_model":
            lm_size_setting(lm_size, pretrained)  # a wrong --lm-size said before the checkpoint is read
            keeping = ready("corpus")
            # --resume without --lm-size or --tokenizer: the checkpoint's, which its weights are fixed by
            sized = lm_size_setting(keeping.kept.get("lm_size", lm_size), pretrained)
            chosen_tokenizer = kept_tokenizer(keeping, chosen_tokenizer)
            _fit_language_model(
                data, text, out, epochs, lr, seed, valid_pct, pretrained, encoding, encoding_errors, budget,
                batch_size, {**keeping.pipeline_kwargs, **chosen_tokenizer, **headerless,
                             **({"valid": valid_text} if valid_text is not None else {}), **sized},
            )  # fmt: skip
            return
        if lm_size is not None:
            raise ConfigError("--lm-size is for language models (--task language_model): drop it")
        if image_source:
            if path_col is None:  # a CSV of paths (--path-col) is a table: it takes --encoding
                refuse_encoding(encoding, "image folders", text=False)
            if target is not None:
                raise ConfigError(
                    "--target is for tables; image labels come from class folders or --label-col"
                )
            keeping = ready("image csv")
            from trainwell.vision.pipeline import fit_images

            result: Any = fit_images(
                data,
                out=out,
                arch=arch,
                epochs=epochs,
                lr=lr,
                pretrained=pretrained,
                metrics=metric,
                seed=seed,
                valid_pct=valid_pct,
                path_col=path_col,
                label_col=label_col,
                label_delim=label_delim,
                tune_thresholds=label_thresholds,
                decision_threshold=decision_threshold,
                size=size,
                task=task,
                augmentation=augment,
                channels=channels,
                batch_size=batch_size,
                encoding=encoding,
                encoding_errors=encoding_errors,
                recipe=recipe,
                time_budget=budget,
                test=test,
                **named,
                **keeping.pipeline_kwargs,
            )
            report_fit(result, capped, reserve=command_time.test_reserve)
            return
        if target is None and (target := described_target(data, encoding, names)) is None:
            raise missing_target(data, encoding, encoding_errors, names=column_names(names))
        refuse_for_tables_and_texts(text, arch, size=size, augment=augment, pretrained=pretrained)
        keeping = ready("corpus" if text_folder else "table")
        chosen_tokenizer = kept_tokenizer(keeping, chosen_tokenizer)

        text_sized: dict[str, Any] = {"max_len": max_len} if max_len is not None else {}

        def fit_text_column(column: str) -> None:
            from trainwell.text.pipeline import fit_texts

            refuse_unread(given, ("--positive", "--refit-full"), "a text classifier")

            result = fit_texts(
                data,
                text_col=column,
                target=target_columns(target),
                out=out,
                model=model,
                epochs=epochs,
                lr=lr,
                seed=seed,
                valid_pct=valid_pct,
                valid_col=valid_col,
                task=task,
                batch_size=batch_size,
                metrics=metric,
                label_delim=label_delim,
                tune_thresholds=label_thresholds,
                decision_threshold=decision_threshold,
                class_weight=class_weight,
                drop_empty=drop_empty,
                pretrained=pretrained,
                encoding=encoding,
                encoding_errors=encoding_errors,
                time_budget=budget,
                test=test,
                **headerless,
                **chosen_tokenizer,
                **text_sized,
                **folder_classes,
                **named,
                **keeping.pipeline_kwargs,
            )
            report_fit(result, capped, reserve=command_time.test_reserve)

        if text is not None:
            fit_text_column(text)
            return
        from trainwell.cli._fit_data import warn_ratings_as_table
        from trainwell.tabular.pipeline import fit_table

        warn_ratings_as_table(data, target_columns(target), encoding, headerless.get("names"))
        chosen_positive: dict[str, Any] = {"positive": positive} if positive is not None else {}
        # A table of texts and their labels, fitted without --text: its one free-text column is the input.
        from trainwell.tabular.refit import refit_said_by_caller

        # --refit-full's line is said by report_fit, under the validation table, not by fit_table on stderr
        with refit_said_by_caller():
            result = table_else_text(
                lambda: fit_table(
                    data,
                    target_columns(target),
                    out=out,
                    epochs=epochs,
                    lr=lr,
                    metrics=metric,
                    seed=seed,
                    batch_size=batch_size,
                    valid_pct=valid_pct,
                    valid_col=valid_col,
                    task=task,
                    label_delim=label_delim,
                    tune_thresholds=label_thresholds,
                    decision_threshold=decision_threshold,
                    **table_roles(cat_names, cont_names, ignore, date_format, min_category_count),
                    encoding=encoding,
                    encoding_errors=encoding_errors,
                    time_budget=budget,
                    arch=arch,
                    test=test,
                    **headerless,
                    **named,
                    **chosen_positive,
                    **keeping.pipeline_kwargs,
                    class_weight=class_weight,
                    refit_full=refit_full,
                ),
                fit_text_column,
                data,
                arch=arch,
                given=given,
            )
        if result is None:
            return
        command_time.keep_trees(result)  # boosted trees' budget, which no fit's callback saw
        report_fit(result, capped, reserve=command_time.test_reserve)

    loggers: list[Any] = []  # --track's callbacks, made once the options are checked

    def run_and_log() -> None:
        try:
            run()
        except BaseException as error:
            for logger in loggers:  # an MLflow run started before the data was read: deleted, or FAILED
                getattr(logger, "abandon", lambda: None)()
            if isinstance(error, KeyboardInterrupt):
                # Ctrl-C after the training: the trained model written without the steps left (exit 130)
                write_interrupted(trained, error, out, test, label_thresholds, decision_threshold, refit_full)
            raise
        if loggers:
            from trainwell.cli._loggers import finish_loggers

            finish_loggers(loggers, out)
        say_command_time(command_time)

    from trainwell.cli._resume import tell_how_to_resume

    def held_while_running() -> None:
        from trainwell.core.out_lock import release_out_dir

        try:
            tell_how_to_resume(run_and_log, out)
        finally:
            release_out_dir(out)  # at once, not when the process ends: it may go on (a test, a notebook)

    guarded(held_while_running)


def _fit_ratings(
    data: Path,
    *,
    user: str | None,
    item: str | None,
    rating: str | None,
    out: Path,
    epochs: int | None,
    lr: float | None,
    batch_size: int | None,
    valid_pct: float,
    valid_col: str | None,
    task: str | None,
    metrics: list[str] | None,
    arch: str,
    seed: int,
    implicit: bool,
    encoding: str,
    encoding_errors: str,
    time_budget: Any,
    item_names: dict[str, str] | None = None,
    capped: Any = None,
    time_col: str | None = None,
    k: int = 10,
    reserve: Any = None,
    **resume: Any,
) -> None:
    """``trainwell fit ratings.csv --user U --item I [--target rating | --implicit]``: a recommender (``resume``:
    the pipeline's ``callbacks`` and ``resume_from``; ``item_names``: the folder's names of the items, kept;
    ``time_col``: ``--time-col``, the pipeline's ``time``; ``k``: ``--k``, the places in the test set's top-N
    lists; ``reserve``: ``--time``'s :class:`~trainwell.cli._training.ReserveForTestSet`)."""
    from trainwell.collab.pipeline import fit_ratings

    if time_col is not None:
        resume["time"] = time_col

    result = fit_ratings(
        data,
        user=user,
        item=item,
        rating=rating,
        out=out,
        arch=arch,
        epochs=epochs,
        lr=lr,
        metrics=metrics,
        seed=seed,
        valid_pct=valid_pct,
        valid_col=valid_col,
        task=task,
        batch_size=batch_size,
        implicit=implicit,
        encoding=encoding,
        encoding_errors=encoding_errors,
        time_budget=time_budget,
        item_names=item_names,
        **resume,
    )
    recipe: Any = result.data.recipe
    model: Any = result.learn.model
    if getattr(model, "closed_form", False):
        out_console.print(
            f"{arch}: fitted in closed form on {len(model.history_items)} training "
            f"interactions (λ = {model.lam:g}, chosen on an inner hold-out of them); no training epochs",
            soft_wrap=True,
        )
    if getattr(recipe, "implicit", False):
        # "each user's latest" was said of a table without times too, whose held-out interaction is a random one
        held = getattr(result.data, "held_out", None) or "each user's latest interaction"
        held = held if "held out" in held else f"{held} held out"
        out_console.print(
            f"implicit feedback: {len(recipe.users):,} users, {len(recipe.items):,} items; {held} and "
            "ranked among the items the user has not touched in training (hit@10: in the top 10; ndcg@10: higher "
            "when nearer the top)",
            soft_wrap=True,
            markup=False,
        )
    else:
        out_console.print(held_out_line(result.data), soft_wrap=True, markup=False, highlight=False)
    report_fit(result, capped, k=k, reserve=reserve)
    fitted_task = result.data.task
    if fitted_task.kind == "binary" and not getattr(recipe, "implicit", False):
        disliked, liked = (str(label) for label in fitted_task.classes)
        out_console.print(
            f"scores are the chance of {liked!r} (not {disliked!r}): recommend ranks items by it; if {liked!r} "
            "is the one users did not like, write the ratings as 1 (liked) and 0",
            soft_wrap=True,
            markup=False,
        )
    # The model keeps what each user chose in this table: nothing more to pass.
    # Quoted as a shell needs it, so a directory with a space in its name can be pasted as printed.
    out_console.print(
        f"recommend with: trainwell recommend {shlex.quote(str(out))} USER_ID", soft_wrap=True, markup=False
    )


def kept_tokenizer(keeping: FitCheckpoint, chosen: dict[str, Any]) -> dict[str, Any]:
    """The pipeline's ``{"tokenizer": name}``: a resume's checkpoint's when ``--tokenizer`` was not given again
    (checked by :func:`~trainwell.cli._resume.plan_checkpoint` when it was), else ``chosen``."""
    if "tokenizer" in keeping.kept:
        return {"tokenizer": keeping.kept["tokenizer"]}
    return chosen


def lm_size_setting(lm_size: str | None, pretrained: Path | None) -> dict[str, Any]:
    """``{"learner_kwargs": sizes}`` for ``--lm-size`` (:data:`~trainwell.text.lm_pipeline.LM_SIZES`), ``{}``
    without it; refused in one line for a name it does not know, or with ``--pretrained`` (whose size is kept)."""
    if lm_size is None:
        return {}
    from trainwell.core.errors import ConfigError
    from trainwell.text.lm_pipeline import LM_SIZES

    if lm_size not in LM_SIZES:
        raise ConfigError(f"--lm-size {lm_size!r} is not a language-model size: use {' or '.join(LM_SIZES)}")
    if pretrained is not None:
        raise ConfigError(
            "--lm-size with --pretrained: the pretrained model's size is kept (its weights are that size); drop "
            "--lm-size"
        )
    return {"learner_kwargs": dict(LM_SIZES[lm_size])}


def _fit_language_model(
    data: Path,
    text: str | None,
    out: Path,
    epochs: int | None,
    lr: float | None,
    seed: int,
    valid_pct: float,
    pretrained: Path | None,
    encoding: str,
    encoding_errors: str,
    time_budget: Any,
    batch_size: int | None,
    resume: dict[str, Any],
) -> None:
    """``trainwell fit corpus/ --task language_model [--pretrained lm/]``: a folder of .txt files, a text file
    or a --text column; with ``--pretrained``, that language model fine-tuned on this corpus (``resume``: the
    pipeline's ``callbacks`` and ``resume_from``)."""
    from trainwell.cli._show import say_budget
    from trainwell.text.corpus import corpus_splits
    from trainwell.text.lm_learner import fit_language_model

    splits = corpus_splits(data) or {}
    if splits:
        kept = f"; {splits['test'].name} is kept out, scored at the end" if "test" in splits else ""
        held = (
            f"validates on {splits['valid'].name}"
            if "valid" in splits
            else f"holds out {valid_pct:.0%} of it"
        )
        out_console.print(f"{data}: trains on {splits['train'].name}, {held}{kept}", soft_wrap=True)
    sized: dict[str, Any] = {} if batch_size is None else {"batch_size": batch_size}  # else lm_data's default
    run = fit_language_model(
        data,
        out=out,
        epochs=epochs,
        lr=lr,
        seed=seed,
        text_col=text,
        valid_pct=valid_pct,
        pretrained=pretrained,
        encoding=encoding,
        encoding_errors=encoding_errors,
        time_budget=time_budget,
        **sized,
        **resume,
    )
    learn = run.learn
    say_budget(learn.time_budget, out_console)
    warn_overfitting(learn)
    row = run.metrics
    perplexity, bar = row.get("perplexity"), row.get("perplexity_baseline")
    shown = f"validation perplexity {perplexity:.1f}" if isinstance(perplexity, float) else "trained"
    tokenizer = getattr(getattr(learn.data, "recipe", None), "tokenizer_name", None)
    if isinstance(perplexity, float) and tokenizer == "char":  # one token a character
        from math import log2

        shown += f" per character ({log2(perplexity):.2f} bits per character)"
    read, whole = row.get("valid_tokens"), row.get("valid_tokens_total")
    same = "text"
    if isinstance(perplexity, float) and isinstance(read, int) and isinstance(whole, int):
        # BudgetedValidation: a pass over all of it would have taken more of the --time budget than its share
        shown += f" on {read:,} of the {whole:,} validation tokens, as many as the --time budget allowed"
        same = "tokens"
    if isinstance(bar, float):
        shown += f" (a Kneser-Ney trigram on the same {same}: {bar:.1f})"
    budget = getattr(learn, "time_budget", None)
    # "0.03 epochs (40 of 1,327 batches)" when the budget cut an epoch short: the history's one row is no epoch.
    done = budget.trained() if budget is not None else None
    rows = len(learn.history)
    counted = done if done is not None else f"{rows} epoch{'' if rows == 1 else 's'}"
    out_console.print(f"language model: {shown} after {counted}; model directory: {out}", soft_wrap=True)
    say_time_limits(budget)  # a model trained less than one epoch: warned, with the budget one needs
    # A model not below the trigram: the fit warned already (NgramBaseline, worded for the command line).
    cache = run.cache
    if cache is not None and learn.recipe.cache is not None:
        from trainwell.text.lm_recipe import predicted_unit

        unit = predicted_unit(tokenizer)  # a character model reads each character after those before it
        out_console.print(cache_line(cache, learn.data.valid, perplexity, unit), soft_wrap=True)
    elif cache is not None:
        out_console.print("cache pointer: no gain on the validation text, so none is kept", soft_wrap=True)
    if "test" in splits:  # as a tagger's and a classifier's fit score their test split, outside --time
        from trainwell.text.corpus import read_corpus
        from trainwell.text.lm_evaluation import score_test_texts

        test_texts = read_corpus(
            splits["test"],
            encoding=encoding,
            encoding_errors=encoding_errors,  # type: ignore[arg-type]
            whole_files=learn.recipe.documents,
        )
        scored = score_test_texts(learn, test_texts)
        out_console.print(scored.line(f" of {splits['test'].name}"), soft_wrap=True, markup=False)
    quoted, test = shlex.quote(str(out)), shlex.quote(str(splits.get("test", "TEST.txt")))
    out_console.print(
        f'sample it with: trainwell generate {quoted} "your prompt"', soft_wrap=True, markup=False
    )
    out_console.print(
        f"judge it on held-out text with: trainwell report {quoted} --data {test}",
        soft_wrap=True,
        markup=False,
    )


def cache_line(cache: Any, valid: Any, perplexity: Any, unit: str = "word") -> str:
    """The cache pointer's line under a language model's fit, its uncached figure told apart from the fit's
    validation perplexity a line above: the fit reads the validation text in rows side by side, each starting
    with no text before it, while the cache is tuned on one stream, every token read after those before it, so
    the same model scores two figures (317.3 against 293.4 in tour T48). ``unit``: what the model predicts
    (:func:`~trainwell.text.lm_recipe.predicted_unit`: word, subword or character)."""
    tokens, whole = getattr(cache, "tokens", None), len(getattr(valid, "ids", ()))
    read = f"{tokens:,} validation tokens" if isinstance(tokens, int) else "the validation text"
    if isinstance(tokens, int) and 0 < tokens < whole:  # a --time budget's share, or the tuning's own cap
        read = f"the first {tokens:,} of the {whole:,} validation tokens"
        held = getattr(cache, "budget_seconds", None)
        if isinstance(held, float):  # what --time had left for it, once training was done
            from trainwell.callbacks.budget import format_duration

            read += f" (as many as fit in the {format_duration(held)} of --time left for the tuning)"
    rows = getattr(valid, "batch_size", None)
    why = ""
    if isinstance(perplexity, float) and isinstance(rows, int) and rows > 1:
        why = (
            f"; the {perplexity:.1f} above reads it in {rows} rows side by side, each starting with no text "
            "before it, hence the different figure without the cache"
        )
    return (
        f"cache pointer: on {read} read as one stream (each {unit} after those before it{why}), perplexity "
        f"{cache.valid_perplexity:.1f} without the cache -> {cache.valid_perplexity_cache:.1f} with it (theta "
        f"{cache.theta}, lambda {cache.lambda_}, chosen there: an optimistic figure); kept for scoring held-out "
        "text"
    )


def recommender_arch(arch: str) -> str:
    """The recommender ``--arch`` names (``auto``: dot_bias); any other is refused."""
    from trainwell.core.errors import ConfigError

    if arch not in ("auto", "dot_bias", "collab_nn", "ease"):
        raise ConfigError(
            f"--arch {arch} is not a recommender; use dot_bias (the default), collab_nn, or ease (--implicit)"
        )
    return "dot_bias" if arch == "auto" else arch


def held_out_line(data: Any) -> str:
    """How a ratings fit chose its validation rows, in one line: a random share (and the time column it left
    unused, with the option that uses it), each user's latest by ``--time-col``, a ``--valid-col``'s rows."""
    valid = getattr(data, "valid", None)
    count = int(valid.n_rows) if valid is not None and hasattr(valid, "n_rows") else 0
    held_out = getattr(data, "held_out", None) or "a share of the ratings"
    if valid is None or count == 0:
        line = "validation: none; every rating trains the model"
        if held_out.startswith("each user's latest"):
            line += " (no user has enough ratings to hold out their latest)"
    else:
        line = f"validation: {count:,} rating{'' if count == 1 else 's'}, {held_out}"
    time_col = getattr(data, "time_col", None)
    if held_out.startswith("a random") and time_col is not None:
        line += (
            f"; the '{time_col}' column was not used: --time-col {shlex.quote(time_col)} holds out each user's "
            "latest ratings instead"
        )
    return line


def say_test_scores(result: Any, k: int = 10) -> None:
    """One line of the test set's scores (a folder's test/, or --test), when the run scored one; for a model of
    ratings, the RMSE of the training mean and of user + item biases on the same rows beside it, and its top-``k``
    lists (``--k``) judged against the most popular items' on the test users (:meth:`RatingsRun.test_lists`).
    Before, a ratings fit judged them at 10 and took no ``--k``, which report and evaluate take."""
    import math

    from trainwell.core.numbers import figure

    test = getattr(result.learn, "test_scores", None)
    if test:
        shown = ", ".join(  # a price's RMSE whole with separators (46,197), as the tables write it
            f"{key} {figure(value)}" if not math.isnan(value) else f"{key} undefined on these rows"
            for key, value in test.items()
            if key != "loss"
        )
        chosen = getattr(result.learn, "decision_threshold", None)  # fit --decision-threshold
        if chosen is not None:
            shown += f" (deciding at threshold {chosen.threshold:g})"
        baselines = result.test_baselines() if hasattr(result, "test_baselines") else {}
        if baselines:
            mean = getattr(result.data.recipe, "rating_mean", None)
            shown += (
                f"; on the same rows, the training mean ({mean:.3f}) alone: rmse {baselines['mean']:.4f}, user + "
                f"item biases: rmse {baselines['biases']:.4f}"
            )
        # markup off: a target's score is keyed "rmse[price]", which rich would read as a style and drop
        out_console.print(f"test set{_test_count(result)}: {shown}", soft_wrap=True, markup=False)
    # an implicit recommender's test interactions have no loss to score: its lists are its test scores
    lists = result.test_lists(k=k) if hasattr(result, "test_lists") else None
    if lists is not None:
        out_console.print(f"test set {lists}", soft_wrap=True, markup=False, highlight=False)


def _test_count(result: Any) -> str:
    """`` (200 texts)``: how many examples the test set holds, when its loader can say."""
    return _test_count_of(getattr(result, "data", None))


def _test_count_of(data: Any) -> str:
    """:func:`_test_count` of a DataBundle."""
    import contextlib

    with contextlib.suppress(AttributeError, TypeError):
        loader = data.test
        count = int(loader.n_rows) if hasattr(loader, "n_rows") else len(loader.dataset)
        unit = {"vision": "image", "text": "text"}.get(getattr(data, "application", ""), "row")
        if data.task.kind == "tagging":
            unit = "sentence"
        return f" ({count:,} {unit}{'' if count == 1 else 's'})"
    return ""


def say_time_limits(budget: Any, capped: Any = None, unit: str = "rows", reserve: Any = None) -> None:
    """Under ``--time``, below the results: the line saying they were scored on the validation rows each pass
    read within the budget (``capped``: :class:`~trainwell.learner.kept_predictions.KeepCappedValidation`, ``unit``:
    what the rows are), and the warning of a model the budget let train less than one epoch
    (:meth:`~trainwell.callbacks.TimeBudget.barely_trained`: how many batches, and the budget one epoch needs).

    Before, a results table after a pass capped by the budget scored the whole validation set again (CoNLL-2003:
    2m 18s past a --time of 1m), and a language model trained 2 batches of 12 under --time 10s was reported as
    any other."""
    import warnings

    kept = reserve.line(unit) if reserve is not None else None
    if kept is not None:  # what --time kept for the test set's scoring (ReserveForTestSet)
        out_console.print(kept, soft_wrap=True, markup=False)
    scored = getattr(capped, "scored", None)
    if scored is not None:
        read, total = scored
        out_console.print(
            f"validation results: scored on the first {read:,} of the {total:,} validation {unit}, those each "
            "pass read within --time (give more --time to score them all)",
            soft_wrap=True,
            markup=False,
        )
    barely = getattr(budget, "barely_trained", None)
    warning = barely() if callable(barely) else None
    if warning is not None:
        warnings.warn(warning, stacklevel=1)


def _unit_of(data: Any) -> str:
    """What a validation row of ``data`` is, plural: ``images``, ``texts``, ``sentences``, ``rows``."""
    if getattr(getattr(data, "task", None), "kind", None) == "tagging":
        return "sentences"
    return {"vision": "images", "text": "texts"}.get(getattr(data, "application", ""), "rows")


def say_command_time(command_time: CommandTime) -> None:
    """The closing line of a ``fit --time`` that ran clearly past its budget, once the model is written: the
    command's whole time and where it went beside the training (the test set's scoring, the writing)."""
    learn = command_time.learn
    said = command_time.line(_test_count_of(getattr(learn, "data", None)))
    if said is not None:
        out_console.print(said, soft_wrap=True, markup=False)


def report_fit(result: Any, capped: Any = None, k: int = 10, reserve: Any = None) -> None:
    """The results of a fit: the validation table, the budget's line, the test set's scores, the model directory
    (``capped``: ``fit --time``'s :class:`~trainwell.learner.kept_predictions.KeepCappedValidation`; ``k``: a
    recommender's ``--k``, the places in its test set's top-N lists; ``reserve``: what ``--time`` kept for
    scoring the test set, :class:`~trainwell.cli._training.ReserveForTestSet`)."""
    import warnings

    from trainwell.cli._show import date_summary, say_budget, show_metrics, show_table_choice

    show_metrics(result.learn, out_console, getattr(result, "thresholds", None))
    warn_overfitting(result.learn)
    say_budget(getattr(result, "budget", None), out_console)
    say_time_limits(getattr(result, "budget", None), capped, _unit_of(getattr(result, "data", None)), reserve)
    refit = getattr(result, "refit", None)
    if refit is not None:  # a table's --refit-full: the model written is not the one validated above
        out_console.print(refit.line(), soft_wrap=True, markup=False, highlight=False)
    say_test_scores(result, k)
    recipe = getattr(getattr(result, "data", None), "recipe", None)
    if getattr(recipe, "dates", None):
        out_console.print(f"dates split into parts: {date_summary(recipe)}", soft_wrap=True)
    if result.model_dir is not None:
        out_console.print(model_directory_line(result.model_dir), soft_wrap=True)
    if hasattr(result, "compared"):  # a table's: what --arch auto compared, how the trees were grown
        show_table_choice(result, out_console)
    leaks = getattr(getattr(result, "data", None), "leaks", ())
    if leaks:  # said again under the scores they flatter: the warnings are a screen above by now
        warnings.warn(leak_reminder(leaks), UserWarning, stacklevel=1)


def warn_overfitting(learn: Any) -> None:
    """Every application's fit (tables, texts, images, ratings, taggers, language models) warns when its
    validation loss rose and stayed above its lowest while the training loss fell (``overfitting_note``), as
    the report says under its curves; not when the best epoch's weights were loaded back (--patience): the
    model kept is not the one that overfitted. Its inverse, a validation loss still falling at the end, is said
    in one line naming --time or --epochs (:func:`~trainwell.cli._fit_advice.fit_undertrained_note`)."""
    import warnings

    from trainwell.cli._fit_advice import fit_undertrained_note
    from trainwell.learner.run_files import overfitting_note

    undertrained = fit_undertrained_note(learn)
    if undertrained is not None:
        out_console.print(undertrained, soft_wrap=True, markup=False, highlight=False)
    if getattr(learn, "weights_row", None) is not None:
        return
    note = overfitting_note(learn.history)
    if note is not None:
        warnings.warn(note, UserWarning, stacklevel=1)


def leak_reminder(leaks: Sequence[str]) -> str:
    """The line under a fit's scores when inputs were warned of as leaking the answer."""
    named = " and ".join(f"'{column}'" for column in leaks)
    plural = len(leaks) > 1
    return (
        f"these scores rest on {'columns' if plural else 'column'} {named}, warned of above as leaking the answer: "
        f"if {'they are' if plural else 'it is'} not known when predicting, the scores flatter the model; refit "
        f"with --ignore {','.join(leaks)}"
    )


def write_interrupted(
    trained: TrainedModel,
    error: KeyboardInterrupt,
    out: Path,
    test: Path | None,
    label_thresholds: bool,
    decision_threshold: str | None,
    refit_full: bool,
) -> None:
    """Ctrl-C after the training ended, in a step that follows it: write the trained model without that step and
    those after it, say what was left out and how to get it, and exit with 130 (:class:`typer.Exit`).

    Ctrl-C in the choice of thresholds or in the scoring of the test set: the model is written with the
    thresholds as the training left them (0.5) and no test scores. Ctrl-C again during that write stops at
    once: the write is all-or-nothing, nothing is written, and the fit's checkpoint stays for ``--resume``. So
    does Ctrl-C in the command's own write of the model. Ctrl-C once the model is written (its results' table
    being shown) says so. Returns, for the interrupt to go on as before (the checkpoint's line, or "nothing was
    written"), in every other case: Ctrl-C in the training, a model fitted in closed form other than a table's
    boosted trees, a refit on every row, SIGTERM, or a process other than torchrun's rank 0. Boosted trees
    (``--arch gbdt``, or kept by ``--arch auto`` in the MLP's place) are written as the MLP is, with the files of
    the MLP they beat; Ctrl-C in their own write stops with nothing written (they keep no checkpoint).
    """
    from trainwell.core.model_dir import FIT_CHECKPOINT_FILE, METADATA_FILE

    step = trained.interrupted_step(error)
    if step is None or str(error) == "SIGTERM" or os.environ.get("RANK", "0") != "0":
        return
    checkpoint = out / FIT_CHECKPOINT_FILE
    # Boosted trees keep no checkpoint: only the results' step says that their model was written (a model
    # directory there before may be the one this fit was replacing).
    done_steps = ("report",) if trained.one_step else ("report", "write")
    if step in done_steps and not checkpoint.is_file() and (out / METADATA_FILE).is_file():
        _say_interrupted(
            f"interrupted (Ctrl-C) after the model was written: '{out}' holds it whole; its figures are kept "
            f"in it (trainwell info {shlex.quote(str(out))}); exit code 130"
        )
        raise typer.Exit(130)
    if step == "write":
        _say_interrupted(
            "interrupted (Ctrl-C) while the model was being written: the write is all-or-nothing, and nothing "
            "of it was written"
            + (
                "; boosted trees keep no checkpoint: fit again to write them; exit code 130"
                if trained.one_step
                else ""
            )
        )
        if trained.one_step:
            raise typer.Exit(130)
        return  # the checkpoint's line follows: --resume writes the model without training again
    learn = trained.learn
    left_out = []
    if step == "thresholds":
        trained.put_back_decisions()
        multilabel = getattr(learn.task, "kind", None) == "multilabel"
        if decision_threshold is not None:
            left_out.append(
                "the decision threshold was not chosen (--decision-threshold): it decides at 0.5, the default; "
                "fit again to choose it"
            )
        elif label_thresholds and multilabel:
            left_out.append(
                "the label thresholds were not chosen: each label decides at 0.5, the default; fit again to "
                "choose them"
            )
    elif step == "test":
        vars(learn).pop("test_scores", None)
    said = {"thresholds": "in the choice of its thresholds", "test": "in the scoring of the test set"}[step]
    _say_interrupted(
        f"interrupted (Ctrl-C) after the training, {said}: writing the trained model without what was left "
        "(Ctrl-C again stops at once, writing nothing)"
    )
    from trainwell.learner.run_files import write_run

    finder = getattr(trained.sweep, "result", None)
    try:
        written = write_run(learn, out, finder, trained.extra_files)
    except KeyboardInterrupt:
        _say_interrupted(
            "stopped at once (Ctrl-C again): the write is all-or-nothing, and nothing was written"
        )
        return  # the checkpoint's line follows
    data = getattr(learn, "data", None)
    if getattr(data, "test", None) is not None:
        named = shlex.quote(str(test)) if test is not None else "TEST"
        left_out.append(
            f"the test set was not scored: score it with trainwell report {shlex.quote(str(written))} "
            f"--data {named}"
        )
    if refit_full:
        left_out.append("it was not refitted on every row (--refit-full): fit again for that")
    skipped = "; ".join(left_out) if left_out else "nothing the model needs was left out"
    _say_interrupted(f"wrote the trained model to '{written}': {skipped}; exit code 130")
    raise typer.Exit(130)


def _say_interrupted(line: str) -> None:
    err_console.print(line, soft_wrap=True, markup=False, highlight=False)
