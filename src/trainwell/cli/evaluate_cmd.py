"""``trainwell evaluate data.csv --target y --cv 5``: k-fold cross-validation with intervals and baselines.

Registered on the main command line by ``app.command("evaluate")(evaluate)``. A thin layer: it picks the kind
of data and calls the application's evaluation (:func:`trainwell.evaluate_table`, :func:`trainwell.evaluate_texts`,
:func:`trainwell.evaluate_images`, :func:`trainwell.evaluate_ratings`, :func:`trainwell.evaluate_tagger`,
:func:`trainwell.evaluate_language_model`), then prints the :class:`~trainwell.evaluate.Evaluation` it returns.
Their errors reach the user worded for the command line (``--cv 5``, not Python's ``cv=5``:
:meth:`trainwell.UserError.worded`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from trainwell.cli import _options as option
from trainwell.cli._common import (
    MAX_SEED,
    described_target,
    err_console,
    guarded,
    out_console,
    refuse_encoding,
    unpacked_data,
)
from trainwell.cli.fit_cmd import LMSize

if TYPE_CHECKING:
    from trainwell.evaluate.evaluation import Evaluation


#: The options of evaluate that a language model never reads (--text is its column; --target said apart).
UNREAD_BY_LM = (
    "--tta",
    "--cv", "--label-delim", "--path-col", "--label-col", "--size", "--user", "--item", "--implicit", "--tag-col",
    "--arch", "--lr", "--time-col", "--decision-threshold", "--k",
)  # fmt: skip
#: The options of evaluate that a tagger never reads (--tag-col is its column of tags).
UNREAD_BY_TAGGER = (
    "--tta",
    "--target", "--label-delim", "--path-col", "--label-col", "--size", "--text", "--user", "--item", "--implicit",
    "--arch", "--tokenizer", "--lr", "--time-col", "--decision-threshold", "--k",
)  # fmt: skip
#: The options of evaluate that a recommender never reads (--target is its rating; --path-col is read as images;
#: --arch and --lr are its own, as fit_ratings reads them).
UNREAD_BY_RECOMMENDER = (
    "--tta",
    "--label-delim",
    "--label-col",
    "--size",
    "--text",
    "--tag-col",
    "--tokenizer",
    "--decision-threshold",
)
#: What each option of evaluate that images never read is for, as the refusal names it.
NOT_FOR_IMAGES = {
    "--text": "texts",
    "--user": "ratings",
    "--item": "ratings",
    "--implicit": "ratings",
    "--time-col": "ratings (with --user and --item, or --implicit)",
    "--tag-col": "tagged sentences (CoNLL files)",
    "--tokenizer": "language models (--task language_model)",
    "--k": "recommenders' top-N lists (with --user and --item, or --implicit)",
}
#: The options of evaluate that tables and texts never read: what each is for, as the refusal names it (--arch and
#: --lr are a text model's too, as fit_texts reads them; --groups is a table's, a text table's and an image CSV's).
NOT_FOR_TABLES = {
    "--tta": "images",
    "--label-col": "images (a CSV of image paths, with --path-col)",
    "--size": "images",
    "--time-col": "ratings (with --user and --item, or --implicit)",
    "--tag-col": "tagged sentences (CoNLL files)",
    "--tokenizer": "language models (--task language_model)",
    "--k": "recommenders' top-N lists (with --user and --item, or --implicit)",
}


#: Why ``--groups`` is refused for the kinds of data whose evaluation cannot draw grouped folds: each is said in its
#: refusal, so that the option is not taken for one that was merely forgotten.
GROUPS_REFUSED = {
    "ratings": "grouping the ratings by a column would score users (or items) never trained on, and a collaborative "
    "filter has learnt nothing of a user it never saw; its folds hold out ratings, each user's others trained on",
    "tagging": "CoNLL files hold no column to group sentences by (each sentence is kept whole in one fold already)",
    "language_model": "it is judged on one held-out text (--test, or the corpus's last 10% of texts), with no folds "
    "to group; keep a source's texts out of training by putting them in --test",
}


def refuse_groups(groups: str | None, kind: str, what: str) -> None:
    """Refuse ``--groups`` for ``what`` (a recommender, a tagger, a language model), saying why
    (:data:`GROUPS_REFUSED` [``kind``])."""
    if groups is not None:
        from trainwell.core.errors import ConfigError

        raise ConfigError(f"--groups is not for {what}: {GROUPS_REFUSED[kind]}; drop it")


def render(evaluation: Evaluation, console: Any = None) -> None:
    """Print the comparison table, then a warning line for each baseline the model does not clearly beat."""
    from trainwell.evaluate.evaluation import render as render_evaluation

    render_evaluation(evaluation, console or out_console)


def evaluate(
    data: Annotated[
        Path,
        typer.Argument(
            help="A CSV, TSV or Parquet file with one row per example (texts with --text, ratings with --user "
            "and --item); a folder of <label>/ images or texts; a corpus (--task language_model); or tagged "
            "sentences (CoNLL files)."
        ),
    ],
    target: Annotated[
        str | None,
        typer.Option(
            help="Column to predict; several comma-separated: a,b (numbers: one regression; 0/1 flags: multi-label)."
        ),
    ] = None,
    cv: Annotated[
        int,
        typer.Option("--cv", "--folds", help="Number of cross-validation folds (stratified for classes)."),
    ] = 5,
    seed: Annotated[
        int, typer.Option(help="Seed for the folds, initialisation and shuffling.", min=0, max=MAX_SEED)
    ] = 0,
    epochs: Annotated[
        int | None, typer.Option(help="Passes over each fold (default: chosen from the fold size).")
    ] = None,
    lr: Annotated[
        float | None,
        typer.Option(
            help="Peak learning rate of each fold's network (default: found by the learning-rate finder in each "
            "fold for tables and images; a text model's and a recommender's own, as fit takes them).",
        ),
    ] = None,
    metric: Annotated[
        list[str] | None,
        typer.Option(
            help="A metric to score the model and the baselines by, e.g. log_loss, mcc, average_precision or brier "
            "(repeat for several; default: "
            "accuracy, roc_auc, f1, or rmse, mae, r2). Tables, texts, images and ratings; taggers, language models "
            "and interactions are judged by their own."
        ),
    ] = None,
    time_budget: Annotated[
        str | None,
        typer.Option(
            "--time",
            help="Time of the whole evaluation, e.g. 10m: reading the data and the baselines (scored first) come out "
            "of it, and each of the --cv folds trains within its share of what is left, at least half an equal "
            "share (a language model: its one fit within all of it, the baselines on top), the epochs cut and the "
            "schedule fitted to them; the line on time says where the budget went, and the command's time if it "
            "ran past.",
        ),
    ] = None,
    task: Annotated[
        str | None,
        typer.Option(
            help="Override the inferred task: binary, multiclass, multilabel, regression; language_model judges a "
            "language model trained on the corpus DATA (a folder of .txt files, a text file, or --text column)."
        ),
    ] = None,
    label_delim: option.LabelDelim = None,
    path_col: option.PathCol = None,
    label_col: option.LabelCol = None,
    baselines: Annotated[bool, typer.Option(help="Also cross-validate the scikit-learn baselines.")] = True,
    size: Annotated[int | None, typer.Option(help="Images: side in pixels (default as in fit).")] = None,
    cat_names: option.CatNames = None,
    cont_names: option.ContNames = None,
    ignore: option.Ignore = None,
    date_format: option.DateFormat = None,
    min_category_count: option.MinCategoryCount = None,
    names: option.Names = None,
    text: Annotated[
        str | None,
        typer.Option(help="Texts: the column holding the text (cross-validates a text model)."),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(help="Ratings: the user column (with --item: cross-validates a recommender)."),
    ] = None,
    item: Annotated[str | None, typer.Option(help="Ratings: the item column.")] = None,
    implicit: Annotated[
        bool,
        typer.Option(
            help="Ratings: read each row as an interaction (plays, clicks) and cross-validate the ranking over "
            "users; automatic for a table of only users, items and times."
        ),
    ] = False,
    time_col: Annotated[
        str | None,
        typer.Option(
            help="Ratings: the column saying when each rating was made (numbers or dates): the folds hold out each "
            "user's latest 20% of their ratings, the users dealt into the --cv folds, instead of random folds of "
            "all ratings. Interactions (--implicit): the column ordering each user's interactions, the latest held "
            "out. Not --time, the evaluation's budget."
        ),
    ] = None,
    tag_col: option.TagColumn = None,
    encoding: option.DataEncoding = "utf-8",
    encoding_errors: option.EncodingErrors = "strict",
    test: Annotated[
        Path | None,
        typer.Option(
            help="Language models: the test text (same forms as the corpus); default: the corpus's last 10% of "
            "texts."
        ),
    ] = None,
    tokenizer: Annotated[
        str | None,
        typer.Option(
            help="Language models: word (the default), subword, whitespace (the text's own tokens, as in PTB) or "
            "char (every character a token: a character-level model), as fit takes it."
        ),
    ] = None,
    pretrained: Annotated[
        Path | None,
        typer.Option(
            help="Language models: a language-model directory to fine-tune on the corpus (ULMFiT's second step) "
            "instead of training from scratch; its vocabulary is extended with the corpus's words."
        ),
    ] = None,
    lm_size: LMSize = None,
    oof: Annotated[
        Path | None,
        typer.Option(
            help="Also write each row's out-of-fold prediction, made by the fold's model that held it out, to "
            "this table (CSV, TSV, Parquet...): row, fold, actual, prediction and each class's probability "
            "(tables, and texts in a table).",
        ),
    ] = None,
    json_out: Annotated[
        Path | None,
        typer.Option(
            "--json",
            help="Also write the evaluation (each fold's values, intervals, verdicts) to this JSON file.",
        ),
    ] = None,
    arch: Annotated[
        str,
        typer.Option(
            help="Tables: the model cross-validated: auto (default: in each fold, boosted trees or the MLP, "
            "chosen as fit chooses, on a fifth of the fold's training rows), mlp, or gbdt. Images: the "
            "architecture, as fit takes it (auto: chosen from the images' size). Texts: fast (default: a bag of "
            "n-grams) or ulmfit (an AWD-LSTM, trained from scratch in each fold). Ratings: dot_bias (default) or "
            "collab_nn; interactions (--implicit) also ease."
        ),
    ] = "auto",
    groups: Annotated[
        str | None,
        typer.Option(
            help="A column whose rows are validated together, never split across folds (a patient's visits, an "
            "author's reviews, a patient's images): the scores are then on groups never trained on. Tables (the "
            "column is left out of the inputs unless --cat-names or --cont-names names it), texts (--text) and "
            "CSVs of images (--path-col).",
        ),
    ] = None,
    decision_threshold: Annotated[
        str | None,
        typer.Option(
            metavar="METRIC|NUMBER",
            help="Binary targets (tables, texts, images), as fit takes it: a metric (f1, balanced_accuracy, mcc, "
            "accuracy) for which each fold chooses its model's threshold on a fifth of its own training rows held "
            "out from a fit on the rest (whole groups with --groups), never on the rows it is scored on; or a "
            "number (e.g. 0.3) for every fold. "
            "The metrics of decisions (accuracy, f1...) are then at it; the baselines stay at 0.5, and a line says "
            "each fold's threshold and their mean.",
        ),
    ] = None,
    k: Annotated[
        int | None,
        typer.Option(
            "--k",
            help="Ratings: places in each fold's top-N lists, the lists' table named at it (ndcg@5, hit@5), "
            "precision@k, recall@k and MRR@k under it; interactions (--implicit): the places each held-out "
            "interaction is ranked at (hit@k, ndcg@k); default 10.",
            min=1,
            show_default=False,
        ),
    ] = None,
    tta: Annotated[
        bool,
        typer.Option(
            "--tta",
            help="Images: score each fold's held-out images with test-time augmentation, as predict --tta answers "
            "them; a line under the table gives the headline metric plain and with TTA, and whether to use it.",
        ),
    ] = False,
) -> None:
    """Cross-validate a model against baselines on the same folds, with confidence intervals and verdicts.

    Tables, folders of images, texts, ratings and tagged sentences (CoNLL files) are cross-validated; a language
    model (--task language_model) is judged on held-out text against n-gram baselines."""
    from time import monotonic

    started = monotonic()  # --time bounds the evaluation: the whole command's time is said beside it

    def run() -> None:
        # What the command line can check alone comes first, the training stack's imports after (ready).
        nonlocal text, target  # a file in fastText's format sets them
        nonlocal data, test  # an archive: what it holds, unpacked
        nonlocal user, item  # MovieLens' folder: its ratings file's columns
        data, test = unpacked_data(data), unpacked_data(test)  # type: ignore[assignment]
        from trainwell.cli._early import (
            check_text_options,
            duration_option,
            need_data,
            refuse_model_directory,
        )
        from trainwell.core.errors import ConfigError

        refuse_model_directory(data, "evaluate")
        check_text_options(encoding, encoding_errors)
        from trainwell.cli._common import check_json_out, check_table_out

        check_table_out(oof, option="--oof", example="oof.csv")
        check_json_out(json_out, "evaluation.json")
        from trainwell.cli._outputs import check_out_file

        for written, flag in ((oof, "--oof"), (json_out, "--json")):  # never over the data it reads
            check_out_file(written, [data, *([test] if test else [])], flag)
        from trainwell.cli._splits import command_splits

        nonlocal names  # a folder of splits: the training split's rows, joined
        data, _, _, names, target, _ = command_splits(
            data, "evaluate", target=target, test=test, names=names, encoding=encoding,
            encoding_errors=encoding_errors, label_delim=label_delim, text=text,
        )  # fmt: skip
        if task != "language_model":  # __label__pos a great film: the columns text and label
            from trainwell.cli._fit_data import fasttext_columns, ratings_folder

            text, target = fasttext_columns(data, text, target)
            data, user, item, target = ratings_folder(
                data, user, item, target, "evaluate", implicit, names
            )  # MovieLens' ml-100k/
        read_as: dict[str, Any] = {"encoding": encoding, "encoding_errors": encoding_errors}
        # The whole evaluation's training time: the Python call shares it among the folds, and says what it did.
        seconds = duration_option(time_budget, "--time")
        from trainwell.core.metric_names import check_metric_names

        check_metric_names(metric)  # a misspelt name said at once, not after the folds are drawn

        def ready(kind: str) -> None:
            """Past the checks of the options: the data must be there (read as ``kind``, a key of
            ``_early.MISSING``)."""
            need_data(data, kind)
            from trainwell.distributed.spread import spread_position

            if spread_position()[0] != 0:
                out_console.quiet = True  # under torchrun the folds are shared out; rank 0 alone reports them

        from trainwell.cli._fit_data import (
            TABLE_ONLY,
            holds_text_classes,
            read_text_classes,
            recommender_words,
            refuse_unread,
            say_test_left_out,
            table_options_given,
        )
        from trainwell.cli._unread import refuse_for

        # Every option that some kind of data never reads, so that each kind refuses those instead of ignoring them.
        given = {
            "--target": target is not None,
            "--cv": cv != 5,
            "--label-delim": label_delim is not None,
            "--path-col": path_col is not None,
            "--label-col": label_col is not None,
            "--size": size is not None,
            "--text": text is not None,
            "--user": user is not None,
            "--item": item is not None,
            "--implicit": implicit,
            "--time-col": time_col is not None,
            "--tag-col": tag_col is not None,
            "--arch": arch != "auto",
            "--lr": lr is not None,
            "--groups": groups is not None,
            "--tokenizer": tokenizer is not None,
            **table_options_given(cat_names, cont_names, ignore, date_format, min_category_count),
            "--names": names is not None,
            "--metric": bool(metric),
            "--oof": oof is not None,
            "--tta": tta,
            "--decision-threshold": decision_threshold is not None,
            "--k": k is not None,
        }

        def finish(evaluation: Evaluation) -> None:
            """Print the evaluation, then write what --json and --oof ask for."""
            if evaluation.groups is not None:
                from trainwell.cli._common import column_names

                # A table's group column is left out of the inputs (evaluate_table says so in a line of its own)
                # unless --cat-names or --cont-names keeps it: an ID whose every value, in each validation fold,
                # is one its model never trained on.
                declared = [*(column_names(cat_names) or []), *(column_names(cont_names) or [])]
                still_input = evaluation.unit == "rows" and groups in declared
                out_console.print(
                    f"folds grouped by '{groups}': each group's {evaluation.unit} are validated in one fold, so "
                    "every score is on groups its model never trained on"
                    + (
                        f"; '{groups}' is still an input of every model here (its values in a validation fold are "
                        f"ones never trained on), as --cat-names or --cont-names asked"
                        if still_input
                        else ""
                    ),
                    markup=False,
                    highlight=False,
                    soft_wrap=True,
                )
            render(evaluation)
            if json_out is not None:
                evaluation.save(json_out)
                err_console.print(
                    f"wrote the evaluation to {json_out}", soft_wrap=True, markup=False, highlight=False
                )
            if oof is not None:
                from trainwell.cli._common import emit_table

                emit_table(evaluation.out_of_fold(), oof, noun="out-of-fold predictions")
            from trainwell.evaluate.evaluation import command_time_line

            took = command_time_line(evaluation.spent, started)
            if took is not None:  # the table's line on time says what the evaluation did with its budget
                out_console.print(took, markup=False, highlight=False, soft_wrap=True)

        def not_a_table(what: str, *read: str) -> None:
            """Refuse the options only a table's model reads (and --names and --metric, which texts and ratings read
            too), given with data read as ``what``, except those in ``read``."""
            refuse_unread(
                given, tuple(o for o in (*TABLE_ONLY, "--names", "--metric") if o not in read), what
            )

        if task == "language_model":  # --names it reads: a table of texts may have no header row
            refuse_groups(groups, "language_model", "a language model (--task language_model)")
            refuse_unread(given, (*TABLE_ONLY, "--metric"), "a language model (--task language_model)")
            if target is not None:
                raise ConfigError(
                    "--target is not used by a language model: it predicts the next word of --text"
                )
            refuse_unread(given, (*UNREAD_BY_LM, "--oof"), "a language model (--task language_model)")
            from trainwell.cli._fit_data import tokenizer_setting

            chosen_tokenizer = tokenizer_setting(tokenizer, data, task, text, pretrained, image_source=False)
            from trainwell.cli.fit_cmd import lm_size_setting

            sized = lm_size_setting(lm_size, pretrained)  # as fit takes it: the same names, the same refusals
            ready("corpus")
            from trainwell.cli._common import column_names
            from trainwell.cli._evaluate_lm import refuse_spread
            from trainwell.text.lm_evaluation import evaluate_language_model

            refuse_spread()
            finish(
                evaluate_language_model(
                    data,
                    test=test,
                    text_col=text,
                    epochs=epochs,
                    seed=seed,
                    baselines=baselines,
                    pretrained=pretrained,
                    time_budget=seconds,
                    names=None if names is None else column_names(names),
                    **chosen_tokenizer,
                    **sized,
                    **read_as,
                )
            )
            return
        if lm_size is not None:
            raise ConfigError("--lm-size is for language models (--task language_model): drop it")
        if test is not None or pretrained is not None:
            option = "--test" if test is not None else "--pretrained"
            raise ConfigError(
                f"{option} is for language models (--task language_model); other models are judged by --cv folds"
            )
        from trainwell.cli._tagging import is_tagging_source

        if is_tagging_source(data, task, text, target):
            refuse_groups(groups, "tagging", "a tagger (tagged sentences, CoNLL files)")
            not_a_table("a tagger (tagged sentences, CoNLL files)")
            refuse_unread(given, (*UNREAD_BY_TAGGER, "--oof"), "a tagger (tagged sentences, CoNLL files)")
            ready("conll")
            from trainwell.text.tagging.evaluation import evaluate_tagger

            finish(
                evaluate_tagger(
                    data,
                    cv=cv,
                    seed=seed,
                    epochs=epochs,
                    tag_col=tag_col,
                    baselines=baselines,
                    time_budget=seconds,
                    **read_as,
                )
            )
            return
        common: dict[str, Any] = {
            "cv": cv,
            "seed": seed,
            "epochs": epochs,
            "task": task,
            "baselines": baselines,
            "time_budget": seconds,
        }
        from trainwell.cli._common import column_names
        from trainwell.cli.fit_cmd import table_roles, target_columns

        # A text model's and a recommender's architecture and peak learning rate, as fit reads them; "auto" (the
        # default) leaves each its own (the n-gram bag; dot_bias).
        model_settings: dict[str, Any] = {"lr": lr, **({"arch": arch} if arch != "auto" else {})}

        headerless: dict[str, Any] = (
            {"names": column_names(names)} if names is not None else {}
        )  # tables, texts, ratings
        if path_col is None and holds_text_classes(data):  # <label>/*.txt, IMDB's layout
            folder = f"a folder of class folders of texts ('{data}')"
            not_a_table(folder, "--metric")
            refuse_for(given, NOT_FOR_TABLES, folder)
            refuse_unread(given, ("--oof",), f"{folder}, whose texts have no row numbers")
            read_text_classes(data, given, cross_validated=True)
            ready("corpus")  # a folder: it exists
            from trainwell.text.evaluation import evaluate_texts

            finish(
                evaluate_texts(
                    data,
                    label_delim=label_delim,
                    groups=groups,  # refused in one line: a folder has no column to group by
                    metrics=metric or None,
                    decision_threshold=decision_threshold,
                    **model_settings,
                    **read_as,
                    **common,
                )
            )
            return
        if data.is_dir() or path_col is not None:
            not_a_table("images", "--metric")
            if path_col is None:  # a folder of images has no text to read
                refuse_encoding(encoding, "image folders", text=False)
                if encoding_errors != "strict":
                    raise ConfigError(
                        "--encoding-errors is for tables, a CSV of image paths, texts, corpora and CoNLL files; "
                        f"'{data}' is a folder of images: drop it"
                    )
            if target is not None:
                raise ConfigError(
                    "--target is for tables; image labels come from class folders or --label-col"
                )
            read_as_images = (
                "a folder of class folders of images"
                if path_col is None
                else "a CSV of image paths (--path-col)"
            )
            if data.is_dir():  # its labels are its class folders
                columns = {"--path-col": "a CSV of image paths", "--label-col": "a CSV of image paths"}
                refuse_for(given, columns, f"a folder of class folders of images ('{data}')")
            refuse_for(given, NOT_FOR_IMAGES, f"images ('{data}' was read as {read_as_images})")
            refuse_unread(given, ("--oof",), "images, whose evaluation keeps no row numbers")
            if (
                path_col is None
            ):  # a folder of nothing evaluate reads (tables, ratings) is said, as fit says it
                from trainwell.cli._fit_data import is_image_source

                is_image_source(data, None, "evaluate")
            ready("images")
            if data.is_dir():
                say_test_left_out(data, images=True)
            from trainwell.vision.evaluation import evaluate_images

            finish(
                evaluate_images(
                    data,
                    path_col=path_col,
                    label_col=label_col,
                    label_delim=label_delim,
                    cv=cv,
                    seed=seed,
                    epochs=epochs,
                    lr=lr,
                    task=task,
                    baselines=baselines,
                    size=size,
                    arch=arch,
                    groups=groups,  # a folder's refused in one line: it has no column to group by
                    time_budget=seconds,
                    metrics=metric or None,
                    tta=tta,
                    decision_threshold=decision_threshold,
                    **read_as,
                )
            )
            return
        if user is not None or item is not None or implicit:  # as fit: --implicit alone finds the columns
            recommender = recommender_words(user, item, implicit)
            refuse_groups(groups, "ratings", recommender)
            refuse_unread(given, TABLE_ONLY, recommender)
            refuse_unread(given, (*UNREAD_BY_RECOMMENDER, "--oof"), recommender)
            ready("table")
            from trainwell.collab.evaluation import evaluate_ratings

            finish(
                evaluate_ratings(
                    data,
                    user=user,
                    item=item,
                    rating=target,
                    implicit=implicit,
                    time=time_col,
                    metrics=metric or None,
                    k=10 if k is None else k,
                    **model_settings,
                    **read_as,
                    **common,
                    **headerless,
                )
            )
            return
        if target is None and (target := described_target(data, encoding, names)) is None:
            from trainwell.cli._common import missing_target

            raise missing_target(data, encoding, encoding_errors, names=column_names(names))

        if text is not None:
            refuse_unread(given, TABLE_ONLY, "a text classifier (--text)")
            refuse_for(given, NOT_FOR_TABLES, "texts (--text)")
        refuse_for(given, NOT_FOR_TABLES, "tables")
        ready("table")

        def evaluate_text_column(column: str) -> None:
            from trainwell.text.evaluation import evaluate_texts

            finish(
                evaluate_texts(
                    data,
                    text_col=column,
                    target=target_columns(target),
                    label_delim=label_delim,
                    groups=groups,
                    metrics=metric or None,
                    decision_threshold=decision_threshold,
                    **model_settings,
                    **read_as,
                    **common,
                    **headerless,
                )
            )

        if text is not None:
            evaluate_text_column(text)
            return
        from trainwell.cli._fit_data import table_else_text
        from trainwell.tabular.evaluation import evaluate_table

        roles = table_roles(cat_names, cont_names, ignore, date_format, min_category_count)

        def evaluate_rows() -> Evaluation:
            return evaluate_table(
                data,
                target_columns(target),
                **common,
                **roles,
                label_delim=label_delim,
                arch=arch,
                lr=lr,
                groups=groups,
                **read_as,
                **headerless,
                metrics=metric or None,
                decision_threshold=decision_threshold,
            )

        # Grouped folds too: a table of free text alone is read as texts, grouped by the same column.
        evaluation = table_else_text(evaluate_rows, evaluate_text_column, data, arch=arch, given=given)
        if evaluation is not None:
            finish(evaluation)

    guarded(lambda: said_if_interrupted(run, {"--json": json_out, "--oof": oof}))


def said_if_interrupted(run: Any, outputs: dict[str, Path | None]) -> None:
    """``run()``; on Ctrl-C during the folds, the folds that had finished with their scores, marked partial
    (:class:`~trainwell.evaluate.spread.FoldsInterrupted`), and that ``outputs`` asked for were not written (they
    hold a whole evaluation: a file of two folds of five, named as asked, would pass for it), then exit 130 as
    any Ctrl-C does. Any other Ctrl-C reaches :func:`~trainwell.cli._common.guarded`, which says it."""
    import os

    try:
        run()
    except KeyboardInterrupt as error:
        line = getattr(error, "line", None)  # FoldsInterrupted, told apart without importing the fold loop
        if line is None:
            raise
        if os.environ.get("RANK", "0") == "0":  # Ctrl-C under torchrun reaches every process: rank 0 says it
            asked = [f"{flag} {path}" for flag, path in outputs.items() if path is not None]
            unwritten = f"; {' and '.join(asked)} not written (a partial evaluation)" if asked else ""
            err_console.print(line() + unwritten, soft_wrap=True, markup=False, highlight=False)
        raise typer.Exit(130) from None
