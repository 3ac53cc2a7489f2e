"""``trainwell tune data.csv --target y --trials 20``: search a model's settings with Optuna (tables, texts with
``--text``, recommenders with ``--user``/``--item``, taggers).

Registered on the main command line by ``app.command("tune")(tune)``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import nullcontext
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any

import typer

from trainwell.cli import _options as option
from trainwell.cli._common import MAX_SEED, described_target, guarded, out_console, unpacked_data

SHOWN_TRIALS = 8
#: What every trial's fit also runs besides pruning and the budget, set by :func:`tune` for :func:`_reported`:
#: the keeper of the search's budget (the closing "the command took" line), and --track's loggers.
_TRIAL_EXTRAS: ContextVar[list[Callable[[int, dict[str, Any]], list[Any]]] | None] = ContextVar(
    "trainwell_tune_trial_extras", default=None
)
#: Table headings for settings whose name is long.
COLUMN_NAMES = {
    "numeric_embedding": "numbers",
    "n_factors": "factors",
    "learning_rate": "rate",
    "max_leaf_nodes": "leaves",
    "min_samples_leaf": "leaf size",
    "l2_regularization": "l2",
}


def _setting(name: str, value: Any) -> str:
    if value is None:
        return "-"
    if name in ("lr", "wd", "l2_regularization", "learning_rate"):
        return f"{value:.2e}"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _check_image_arch(arch: str) -> None:
    """Refuse an ``--arch`` that names no image network, before any image is read."""
    from trainwell.core.errors import ConfigError
    from trainwell.vision.learner import _vision_archs

    if arch != "auto" and not arch.startswith(("timm:", "torchvision:")) and arch not in _vision_archs():
        raise ConfigError(
            f"--arch {arch} is not an image architecture; use auto (fit's choice) or one of the registered image "
            f"networks: {', '.join(_vision_archs())}"
        )


def tune(
    data: Annotated[
        Path,
        typer.Argument(
            help="A CSV, TSV or Parquet table (texts with --text, ratings with --user and --item); a folder of "
            "class folders of texts (<label>/*.txt) or of images (<label>/*.jpg, or train/ + valid/); or tagged "
            "sentences (a CoNLL/CoNLL-U file, or a folder with train/dev files)."
        ),
    ],
    target: Annotated[
        str | None, typer.Option(help="Column to predict (for a recommender: the rating column).")
    ] = None,
    text: Annotated[
        str | None,
        typer.Option(help="Texts: the column holding the text (searches the fast text classifier)."),
    ] = None,
    user: Annotated[str | None, typer.Option(help="Recommenders: the column naming the user.")] = None,
    item: Annotated[str | None, typer.Option(help="Recommenders: the column naming the item.")] = None,
    implicit: Annotated[
        bool, typer.Option("--implicit", help="Recommenders: rows are interactions, with no rating.")
    ] = False,
    time_col: Annotated[
        str | None,
        typer.Option(
            help="Recommenders: the column saying when each rating was made (numbers or dates): every trial is "
            "scored on each user's latest --valid-pct of their ratings, as fit --time-col validates, instead of a "
            "random --valid-pct of all. Interactions (--implicit): the column ordering each user's interactions. "
            "Not --time, the search's budget."
        ),
    ] = None,
    trials: Annotated[
        int,
        typer.Option(
            help="Trials to run now, the library's defaults first (under torchrun: over all processes); with "
            "--storage, trials added to those stored: the same command again runs that many more."
        ),
    ] = 20,
    timeout: Annotated[
        str | None,
        typer.Option(
            "--time",
            "--timeout",
            help="Time for the whole search, e.g. 600 (seconds), 10m or 1h30m: the trial running when it runs "
            "short is fitted to what is left, and no trial starts with less left than a trial takes (the shortest "
            "so far; a line says so when the search stops early) (default: no limit). --timeout is the same "
            "option.",
        ),
    ] = None,
    metric: Annotated[
        str | None,
        typer.Option(help="Validation metric to optimise (default: roc_auc, accuracy or rmse by task)."),
    ] = None,
    out: Annotated[
        Path, typer.Option(help="Model directory for the best settings (with tuning.json).")
    ] = Path("model"),
    valid_pct: Annotated[float, typer.Option(help="Share of rows held out to score the trials.")] = 0.2,
    valid_col: Annotated[str | None, typer.Option(help="Column marking validation rows.")] = None,
    test: Annotated[
        Path | None,
        typer.Option(
            help="Labelled held-out data no trial sees (a table for tables and texts, a folder of class folders for "
            "texts and images; a recommender's: ratings or interactions, as fit --test reads them): the kept model "
            "is scored on it once, after the search, and the score kept for trainwell info (a recommender's "
            "top-10 lists too, against the most popular items; --k for another length). A folder's own test/ is "
            "read without it."
        ),
    ] = None,
    k: Annotated[
        int | None,
        typer.Option(
            "--k",
            help="Ratings and interactions with --test: places in each top-N list the kept model's test set is "
            "judged by after the search (precision@k, recall@k, hit@k, ndcg@k, MRR@k, MAP@k), as fit, report and "
            "evaluate take it [default: 10]. The trials are scored on --metric as before.",
            min=1,
            show_default=False,
        ),
    ] = None,
    task: Annotated[str | None, typer.Option(help="Override the inferred task.")] = None,
    seed: Annotated[
        int, typer.Option(help="Seed for the split, every trial and the sampler.", min=0, max=MAX_SEED)
    ] = 0,
    cat_names: option.CatNames = None,
    cont_names: option.ContNames = None,
    ignore: option.Ignore = None,
    date_format: option.DateFormat = None,
    min_category_count: option.MinCategoryCount = None,
    names: option.Names = None,
    label_delim: option.LabelDelim = None,
    label_names: option.LabelNames = None,
    label_thresholds: option.LabelThresholds = True,
    decision_threshold: Annotated[
        str | None,
        typer.Option(
            metavar="METRIC|NUMBER",
            help="Binary targets (tables, texts, images), as fit takes it: a metric (f1, balanced_accuracy, mcc, "
            "accuracy) for which each trial's model chooses its threshold on the validation rows, or a number "
            "(e.g. 0.3) for every trial. A --metric of decisions (f1, accuracy...) scores each trial at its "
            "threshold; tuning.json keeps each trial's, and the kept model decides at its own (predict, serve).",
        ),
    ] = None,
    path_col: option.PathCol = None,
    label_col: option.LabelCol = None,
    tag_col: option.TagColumn = None,
    encoding: option.Encoding = "utf-8",
    arch: Annotated[
        str,
        typer.Option(
            help="Tables: the models searched: auto (default, as fit: boosted trees and the MLP, each one's "
            "defaults first, then each trial picks one), mlp, or gbdt (boosted trees: learning rate, leaves, "
            "leaf size, L2 penalty). Recommenders: dot_bias, the only one searched (auto means it); taggers: "
            "bilstm_crf (auto means it); texts: fast, the bag of n-grams (auto means it); images: the network of "
            "every trial (auto: fit's choice, simple_cnn, xresnet18...)."
        ),
    ] = "auto",
    search: Annotated[
        list[str] | None,
        typer.Option(
            help="A range of your own for one setting (repeatable): NAME=LOW:HIGH searches between them, "
            "NAME=A,B,C tries those values, NAME=VALUE holds it there; e.g. --search epochs=2:6 "
            "--search layers=128,256-128. Settings not named keep the library's ranges; under --arch auto a "
            "setting narrows the model that has it (epochs the MLP, max_leaf_nodes the trees)."
        ),
    ] = None,
    keep: Annotated[
        str,
        typer.Option(
            help="Which trial's model to write: clear (default) the best trial only when its gain over the "
            "better defaults' trial is clear of the validation rows' noise, counting that it was chosen as the "
            "best of all the trials on those rows (a reality check over resamples of them, p below 0.05), else "
            "that defaults' trial, which may do as well on new rows; best: the best trial always. A metric not "
            "of rows (ndcg@10, entity_f1) cannot be checked: the best is kept."
        ),
    ] = "clear",
    storage: Annotated[
        str | None,
        typer.Option(
            help="Keep the study across runs: a file (NAME.db, .sqlite or .sqlite3: SQLite; any other name, e.g. "
            "tune.log: an Optuna journal file, for a shared filesystem) or a database URL (sqlite:///tune.db, "
            "postgresql://USER@HOST/DB). The same command again resumes it: --trials more trials, the sampler "
            "seeing the stored ones, the defaults not tried again, and the best of all the runs written (an "
            "earlier run's trained again from its settings, for the epochs --time cut it to, within --time; this "
            "run's best in its place when that falls clearly short of its stored score or does not fit). Refused for a study of other data, target, "
            "validation rows, --metric, --seed, --arch or --search, and under torchrun."
        ),
    ] = None,
    study_name: Annotated[
        str | None,
        typer.Option(
            help="The study's name in --storage (default: trainwell): one file can keep several searches."
        ),
    ] = None,
    size: option.ImageSize = None,
    augment: option.Augment = "auto",
    track: Annotated[
        list[str] | None,
        typer.Option(
            help="Also log every trial to tensorboard (a folder per trial under runs/<model>-tune-<time>; "
            "tensorboard=DIR) and/or mlflow (a run for the search, each trial a child run; mlflow=URI), e.g. "
            "--track tensorboard,mlflow."
        ),
    ] = None,
) -> None:
    """Search a model's settings with Optuna (pruned), the defaults first, and write the best trial's model.

    Tables (--target): boosted trees
    (learning rate, leaves, leaf size, L2 penalty) and the MLP (learning rate, weight decay, epochs, layers,
    dropout, number embedding), each trial picking one, the defaults of both tried first (--arch mlp or gbdt:
    one). Texts (--text, or a folder of <label>/*.txt): the fast classifier's learning rate, weight decay,
    epochs, width and dropouts. Images (a folder of <label>/*.jpg, or train/ + valid/, or a CSV with --path-col
    and --label-col): the network's (--arch)
    learning rate, weight decay, epochs and label smoothing. Recommenders (--user, --item): learning rate, weight decay, epochs, factors.
    Taggers (CoNLL files): learning rate, weight decay, epochs, width, dropout. The best trial's model is written, or the defaults'
    when its gain over them is within the validation rows' noise, the choice of the best counted (--keep).
    With --storage tune.db the study is kept: the same command again runs --trials more trials and writes the
    best of all the runs. Under torchrun --nproc_per_node N, N trials run at a time, each trained by one process
    alone (no DDP), in one study; rank 0 says so as they begin."""

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

        refuse_model_directory(data)
        check_text_options(encoding)
        from trainwell.core.metric_names import check_metric_names

        check_metric_names([metric] if metric is not None else None)
        from trainwell.core.label_names import label_names_given

        class_names = label_names_given(label_names)
        named: dict[str, Any] = {"label_names": class_names} if class_names is not None else {}
        from trainwell.cli._splits import command_splits

        nonlocal names, valid_col  # a folder of splits: the joined rows, the validation split marked
        data, test, valid_col, names, target, _ = command_splits(
            data,
            "tune",
            target=target,
            test=test,
            valid_col=valid_col,
            names=names,
            encoding=encoding,
            label_delim=label_delim,
            text=text,
        )
        from trainwell.cli._fit_data import fasttext_columns, ratings_folder

        text, target = fasttext_columns(data, text, target)  # __label__pos a great film: text and label
        data, user, item, target = ratings_folder(
            data, user, item, target, "tune", implicit, names
        )  # MovieLens' ml-100k/
        _refuse_k(k, user is not None or item is not None or implicit, test is not None)

        def ready(kind: str) -> None:
            """Past the checks of the options: the data must be there (read as ``kind``, a key of
            ``_early.MISSING``)."""
            need_data(data, kind)
            from trainwell.cli._outputs import check_fit_out

            # A model of another application or target in --out is refused now, not replaced after the search.
            ratings = user is not None or item is not None or implicit
            check_fit_out(out, kind, target, ratings=ratings, command="this search")
            from trainwell.distributed import launched_by_torchrun

            if os.environ.get("RANK", "0") == "0":  # one search (or fit) writing --out at a time
                from trainwell.core.out_lock import hold_out_dir

                hold_out_dir(out, "tune")
            if launched_by_torchrun() and os.environ.get("RANK") != "0":
                out_console.quiet = (
                    True  # under torchrun the processes share the trials; rank 0 alone reports
                )

        common: dict[str, Any] = {
            "n_trials": trials,
            "timeout": duration_option(timeout, "--time"),
            "metric": metric,
            "out": out,
            "seed": seed,
            "valid_pct": valid_pct,
            "valid_col": valid_col,
            "task": task,
            "encoding": encoding,
            "search": parse_search(search or []),
            "keep": keep,
            "storage": storage,
            "study_name": study_name,
        }
        if names is not None:  # a table, texts or ratings without a header row: refused by the others below
            from trainwell.cli._common import column_names

            common["names"] = column_names(names)
        from trainwell.cli._fit_data import (
            TABLE_ONLY,
            holds_text_classes,
            read_text_classes,
            recommender_words,
            refuse_unread,
            table_options_given,
        )
        from trainwell.cli._tagging import is_tagging_source

        table_options = table_options_given(cat_names, cont_names, ignore, date_format, min_category_count)
        # The options that some kinds of model never read, so that each kind refuses those instead of ignoring them.
        given = {
            "--implicit": implicit,
            "--time-col": time_col is not None,
            "--valid-col": valid_col is not None,
            "--label-delim": label_delim is not None,
            "--label-names": label_names is not None,
            "--no-label-thresholds": not label_thresholds,
            "--tag-col": tag_col is not None,
            "--test": test is not None,
            "--names": names is not None,
            "--decision-threshold": decision_threshold is not None,
        }
        if test is not None:
            need_data(test, "image files" if test.is_dir() else "table")
        # fit's image settings, which every trial of an image search trains with; refused by the other kinds.
        image_only = {"--size": size is not None, "--augment": augment != "auto"}

        def refuse_image_settings(what: str) -> None:
            refuse_unread(image_only, tuple(image_only), what)

        if path_col is None and label_col is not None:
            raise ConfigError("--label-col names the labels of a CSV of images: pass its --path-col too")
        if path_col is not None:  # a CSV of image paths and labels (a Kaggle competition's train.csv)
            what = "a CSV of images (--path-col)"
            refuse_unread(table_options, TABLE_ONLY, what)
            refuse_unread(
                {**given, "--target": target is not None, "--text": text is not None, "--user": user is not None,
                 "--item": item is not None},
                ("--target", "--text", "--user", "--item", "--implicit", "--time-col", "--tag-col", "--valid-col",
                 "--names"),
                what,
            )  # fmt: skip
            _check_image_arch(arch)
            common.pop("valid_col")
            ready("image csv")
            from trainwell.automl.images import tune_images

            result = _reported(
                lambda: tune_images(
                    data,
                    arch=arch,
                    **common,
                    path_col=path_col,
                    label_col=label_col,
                    label_delim=label_delim,
                    size=size,
                    augmentation=augment,
                    test=test,
                    tune_thresholds=label_thresholds,
                    decision_threshold=decision_threshold,
                    **named,
                )
            )
        elif is_tagging_source(data, task, text, target):
            refuse_image_settings("a tagger (tagged sentences, CoNLL files)")
            refuse_unread(table_options, TABLE_ONLY, "a tagger (tagged sentences, CoNLL files)")
            # in fit's and evaluate's words: "--target is not used by a tagger (...): drop it"
            refuse_unread(
                {"--target": target is not None, "--text": text is not None, "--user": user is not None,
                 "--item": item is not None},
                ("--target", "--text", "--user", "--item"),
                "a tagger (tagged sentences, CoNLL files)",
            )  # fmt: skip
            unread_by_tagger = (
                "--implicit",
                "--time-col",
                "--valid-col",
                "--label-delim",
                "--label-names",
                "--no-label-thresholds",
                "--test",
                "--names",
                "--decision-threshold",
            )
            refuse_unread(given, unread_by_tagger, "a tagger (tagged sentences, CoNLL files)")
            if arch not in ("auto", "bilstm_crf"):
                raise ConfigError(
                    f"--arch {arch} does not apply to tagged sentences: trainwell tune searches the bilstm_crf "
                    "tagger, the only one; leave --arch out"
                )
            settings = {
                key: common[key]
                for key in (
                    "n_trials",
                    "timeout",
                    "metric",
                    "out",
                    "seed",
                    "valid_pct",
                    "search",
                    "keep",
                    "storage",
                    "study_name",
                )
            }
            ready("conll")
            from trainwell.automl.tagging import tune_tagger

            result = _reported(lambda: tune_tagger(data, tag_col=tag_col, encoding=encoding, **settings))
        elif text is not None or holds_text_classes(data):
            folder = text is None  # <label>/*.txt, IMDB's layout
            what = f"a folder of class folders of texts ('{data}')" if folder else "texts (--text)"
            refuse_unread(table_options, TABLE_ONLY, what)
            refuse_image_settings(what)
            refuse_unread(
                {**given, "--user": user is not None, "--item": item is not None},
                ("--implicit", "--time-col", "--tag-col", "--user", "--item"),
                what,
            )
            if arch not in ("auto", "fast", "ngram_bag"):
                raise ConfigError(
                    f"--arch {arch} does not apply to texts: trainwell tune searches the fast bag of n-grams; "
                    "leave --arch out"
                )
            columns: dict[str, Any] = {}
            if folder:
                labelled = read_text_classes(data, {**given, "--target": target is not None})
                if labelled is not None:
                    columns["classes"] = labelled
                common.pop("valid_col")
            elif target is None and (target := described_target(data, encoding, common.get("names"))) is None:
                from trainwell.cli._common import missing_target

                raise missing_target(data, encoding, names=common.get("names"))
            else:
                from trainwell.cli.fit_cmd import target_columns

                columns = {"text_col": text, "target": target_columns(target)}
            ready("corpus" if folder else "table")
            from trainwell.automl.texts import tune_texts

            if test is not None:
                columns["test"] = test
            result = _reported(
                lambda: tune_texts(
                    data,
                    **columns,
                    **common,
                    **named,
                    label_delim=label_delim,
                    tune_thresholds=label_thresholds,
                    decision_threshold=decision_threshold,
                )
            )
        elif user is not None or item is not None or implicit:
            recommender = recommender_words(user, item, implicit)
            refuse_unread(table_options, TABLE_ONLY, recommender)
            refuse_image_settings(recommender)
            refuse_unread(
                given,
                (
                    "--label-delim",
                    "--label-names",
                    "--no-label-thresholds",
                    "--tag-col",
                    "--decision-threshold",
                ),
                recommender,
            )
            ready("table")
            from trainwell.automl.ratings import tune_ratings

            # auto: the recommender tune searches (dot_bias); tune_ratings refuses any other by name.
            chosen = "dot_bias" if arch == "auto" else arch
            timed: dict[str, Any] = {"time": time_col} if time_col is not None else {}
            # ratings or interactions no trial sees: the kept model is judged on them, as fit --test judges
            if test is not None:
                timed["test"] = test
            result = _reported(
                lambda: tune_ratings(
                    data,
                    user=user,
                    item=item,
                    rating=target,
                    implicit=implicit,
                    arch=chosen,
                    **common,
                    **timed,
                )
            )
            # How the trials' validation rows were chosen (a random share, each user's latest by --time-col...)
            split = getattr(getattr(getattr(result, "run", None), "data", None), "held_out", None)
            if split:
                out_console.print(f"every trial was scored on {split}", soft_wrap=True, markup=False)
        elif data.is_dir() and user is None and item is None and not implicit:
            what = f"a folder of class folders of images ('{data}')"
            from trainwell.cli._fit_data import is_image_source

            is_image_source(data, None, "tune")  # a folder of nothing tune reads is said so
            refuse_unread(table_options, TABLE_ONLY, what)
            refuse_unread(
                {**given, "--target": target is not None},
                (
                    "--target",
                    "--implicit",
                    "--time-col",
                    "--tag-col",
                    "--valid-col",
                    "--label-delim",
                    "--names",
                ),
                what,
            )
            _check_image_arch(arch)
            from trainwell.cli._common import refuse_encoding

            refuse_encoding(encoding, "image folders", text=False)
            for key in ("valid_col", "encoding"):  # a folder of images has neither
                common.pop(key)
            ready("image files")
            from trainwell.automl.images import tune_images

            result = _reported(
                lambda: tune_images(
                    data,
                    arch=arch,
                    **common,
                    size=size,
                    augmentation=augment,
                    test=test,  # a folder of class folders or a CSV of paths no trial sees (else test/ beside)
                    tune_thresholds=label_thresholds,
                    decision_threshold=decision_threshold,
                    **named,
                )
            )
        elif target is None:
            ready("table")  # a mistyped path is said as such: no --target would help
            raise ConfigError(
                "name what to tune for: --target COLUMN for a table, or --user and --item for a recommender "
                "(texts: --text COLUMN with --target)"
            )
        else:
            from trainwell.cli._unread import refuse_for
            from trainwell.cli.fit_cmd import table_roles, target_columns

            refuse_for(
                given,
                {
                    "--tag-col": "tagged sentences (CoNLL files)",
                    "--time-col": "recommenders (with --user and --item, or --implicit)",
                },
                "tables",
            )
            refuse_image_settings("a table")
            roles = table_roles(cat_names, cont_names, ignore, date_format, min_category_count)
            ready("table")
            from trainwell.automl import tune_table
            from trainwell.cli._fit_data import table_else_text

            searched: dict[str, Any] = {}

            def text_search(column: str) -> None:  # a table of texts and labels alone: the text classifier's
                from trainwell.automl.texts import tune_texts

                extra: dict[str, Any] = {"test": test} if test is not None else {}
                searched["result"] = _reported(
                    lambda: tune_texts(
                        data,
                        text_col=column,
                        target=target_columns(target),
                        **extra,
                        **common,
                        label_delim=label_delim,
                        tune_thresholds=label_thresholds,
                        decision_threshold=decision_threshold,
                        **named,
                    )
                )

            result = table_else_text(
                lambda: _reported(
                    lambda: tune_table(
                        data,
                        target_columns(target),
                        **common,
                        **roles,
                        label_delim=label_delim,
                        tune_thresholds=label_thresholds,
                        decision_threshold=decision_threshold,
                        **named,
                        arch=arch,
                        test=test,
                    )
                ),
                text_search,
                data,
                arch=arch,
                given={**given, **table_options},
            )
            if result is None:
                result = searched["result"]
        show(result, k=10 if k is None else k)
        stopped.append(interrupted_line(result, trials))
        said = command_time_line(command_time)
        if said is not None and os.environ.get("RANK", "0") == "0":
            out_console.print(said, soft_wrap=True, markup=False, highlight=False)

    from trainwell.cli._training import CommandTime

    # --time bounds the search: the whole command's time is said beside it, as fit says its own.
    command_time = CommandTime()

    def run_and_log() -> None:
        from trainwell.cli._loggers import TrialLogs, parse_log

        extras: list[Callable[[int, dict[str, Any]], list[Any]]] = [
            lambda number, params: [command_time.callback()]
        ]
        token = _TRIAL_EXTRAS.set(extras)
        try:
            targets = parse_log(track)
            if not targets:
                run()
                return
            logs = TrialLogs(targets, out)
            extras.append(logs.loggers_for)
            try:
                run()
            except BaseException:
                logs.finish(succeeded=False)
                raise
            logs.finish(succeeded=True)
        finally:
            _TRIAL_EXTRAS.reset(token)

    stopped: list[str | None] = []  # Ctrl-C's line, when it cut the search short (the best trial kept)

    def held_while_running() -> None:
        from trainwell.core.out_lock import release_out_dir

        try:
            run_and_log()
        finally:
            release_out_dir(out)  # at once, not when the process ends: it may go on (a test, a notebook)

    guarded(held_while_running)
    if stopped and stopped[-1] is not None:
        # Exit 130 as fit does: a script (or `tune ... && deploy`) had read 0 for a search cut to a few trials.
        from trainwell.cli._common import err_console

        if os.environ.get("RANK", "0") == "0":  # under torchrun, rank 0 says it for all
            err_console.print(stopped[-1], soft_wrap=True, highlight=False, markup=False)
        raise typer.Exit(130)


def interrupted_line(result: Any, asked: int) -> str | None:
    """The closing line of a search Ctrl-C stopped in this run (an earlier run's stored trials left out): how
    many trials finished of those asked, what was skipped when it came after the last trial, and which trial's
    model was kept and where, as the verdict said it (the best's, or the defaults' in its place: "the best of
    them" followed a verdict that had kept the defaults'); ``None`` when nothing was stopped."""
    own = [record for record in getattr(result, "trials", None) or [] if not record.get("earlier_run")]
    after = getattr(result, "stopped_after", None)
    if after is None and not any(record.get("state") == "interrupted" for record in own):
        return None
    finished = sum(record.get("state") == "complete" for record in own)
    where = f" in '{result.model_dir}'" if getattr(result, "model_dir", None) is not None else ""
    if after is not None:
        stopped = (
            f"interrupted (Ctrl-C) after the last trial, in {after}, which was skipped: {finished} of the {asked} "
            "trials asked finished"
        )
    else:
        stopped = f"interrupted (Ctrl-C): {finished} of the {asked} trials asked finished"
    return f"{stopped}, and the model kept{where} is {_kept_said(result)}; exit code 130"


def _kept_said(result: Any) -> str:
    """Which trial's model a search kept, in the verdict's words: ``the best of them (trial 3)``, ``trial 0's,
    the defaults', in place of the best (trial 3), whose gain was within the noise (--keep best keeps it)`` or
    ``trial 2's, the best this run trained, in place of trial 5's (an earlier run's)``."""
    best, kept = getattr(result, "best_trial", None), getattr(result, "kept_trial", None)
    if kept is None or kept == best:
        return "the best of them" + ("" if best is None else f" (trial {best})")
    if getattr(result, "kept", None) == "defaults":
        return (
            f"trial {kept}'s, the defaults', in place of the best (trial {best}), whose gain over them was within "
            "the validation rows' noise (--keep best keeps the best)"
        )
    return f"trial {kept}'s, the best this run trained, in place of trial {best}'s (an earlier run's)"


def _reported(search: Callable[[], Any]) -> Any:
    """Run ``search`` saying each trial as it ends (a search of image trials can run for minutes a trial), every
    trial's fit also running the callbacks :func:`tune` set (:data:`_TRIAL_EXTRAS`)."""
    from trainwell.automl.search import trial_callbacks, trial_reports

    makers = _TRIAL_EXTRAS.get() or []

    def extras(number: int, params: dict[str, Any]) -> list[Any]:
        return [callback for make in makers for callback in make(number, params)]

    with (
        trial_reports(lambda line: out_console.print(line, soft_wrap=True, highlight=False)),
        trial_callbacks(extras) if makers else nullcontext(),
    ):
        return search()


def command_time_line(command_time: Any) -> str | None:
    """``the command took 1m 22s: 58s of trials (--time), 14s before --time's clock (...), 9.6s after the trials
    (checking the gain, the test set, writing the model)`` when a ``tune --time`` ran clearly past its budget,
    in fit's words (:meth:`~trainwell.cli._training.CommandTime.line`, the search's budget kept from its
    trials' fits); ``None`` otherwise, or when no trial was trained by epochs (trees alone). ``tune --time 60s``
    took 82 s and said nothing of it."""
    said = command_time.line()
    if said is None:
        return None
    return said.replace(" training (--time)", " of trials (--time)").replace(
        "after the training (validation results, plots, thresholds)",
        "after the trials (checking the gain, thresholds, the test set, writing the model)",
    )


def parse_search(items: list[str]) -> dict[str, Any]:
    """``--search`` options as ``search=``: ``NAME=LOW:HIGH`` a (low, high) tuple, ``NAME=A,B`` a list,
    ``NAME=VALUE`` one value; numbers are read as numbers, and each value is checked against what its setting
    takes (:func:`~trainwell.automl._search_values.check_search_values`), in one line naming it."""
    from trainwell.core.errors import ConfigError

    search: dict[str, Any] = {}
    for item in items:
        name, equals, text = item.partition("=")
        if not equals or not name.strip() or not text.strip():
            raise ConfigError(
                f"--search {item!r}: write NAME=LOW:HIGH, NAME=A,B,C or NAME=VALUE (e.g. --search epochs=2:6)"
            )
        if ":" in text:
            low, _, high = text.partition(":")
            bounds = (_number(low), _number(high))
            if not all(isinstance(bound, (int, float)) for bound in bounds):
                raise ConfigError(f"--search {item!r}: a range LOW:HIGH needs two numbers")
            search[name.strip()] = bounds
        elif "," in text:
            search[name.strip()] = [_number(part) for part in text.split(",")]
        else:
            search[name.strip()] = _number(text)
    if not search:
        return search
    from trainwell.automl._search_values import check_search_values

    # Each value against what its setting takes, before any data is read (epochs=abc failed in a trial).
    return check_search_values(search, cli=True)


def _number(text: str) -> Any:
    text = text.strip()
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


#: How the trials table and the verdict name each kind of model.
KIND_NAMES = {"tabular_mlp": "MLP", "gbdt": "trees"}


def decision_line(result: Any) -> str | None:
    """What ``--decision-threshold`` did (``None`` without it): each trial's threshold and what the table's
    scores are at, and the one the kept model decides at."""
    setting = getattr(result, "decision_threshold", None)
    if setting is None:
        return None
    from trainwell.evaluate.evaluation import of_decisions

    kept = result.decided_at
    where = f"the kept model (trial {result.kept_trial}) decides at {kept:g}" if kept is not None else ""
    where += ": predict, serve and a test set decide with it" if kept is not None else ""
    if not isinstance(setting, str):
        scored = f"; the {result.metric} above is at it" if of_decisions(result.metric) else ""
        return f"decision threshold {setting:g} (given) in every trial{scored}; {where}"
    chosen = sorted(t["decision_threshold"] for t in result.trials if "decision_threshold" in t)
    span = (
        ""
        if not chosen
        else f" ({chosen[0]:g})"
        if len(chosen) == 1
        else f" ({chosen[0]:g} to {chosen[-1]:g})"
    )
    scored = (
        f"; the {result.metric} above is each trial's at its threshold, measured on the rows it was chosen on "
        "(flattering every trial alike: judge the kept model on held-out data, trainwell evaluate "
        "--decision-threshold)"
        if of_decisions(result.metric)
        else ""
    )
    return (
        f"decision threshold: each trial's model chose its own for the best {setting} on the validation rows"
        f"{span}{scored}; {where}"
    )


def _refuse_k(k: int | None, recommender: bool, test: bool) -> None:
    """``--k`` refused, as fit refuses it, in one line naming the fix: for data other than a recommender's, and
    without ``--test`` (nothing is judged at it: the trials are scored on ``--metric``)."""
    from trainwell.core.errors import ConfigError

    if k is not None and not recommender:
        raise ConfigError(
            "--k is the length of a recommender's top-N lists (ratings: with --user and --item, or "
            "--implicit): drop it"
        )
    if k is not None and not test:
        raise ConfigError(
            f"--k {k} is the length of the top-N lists that --test's ratings are judged by after the search: "
            "give --test, or drop --k (trainwell report MODEL --data TEST --k N judges them later)"
        )


def show(result: Any, k: int = 10) -> None:
    """The best trials as a table (with each one's kind of model when several were searched), then one
    sentence against the defaults; ``k``: a recommender's ``--k``, the places in the kept model's top-N lists
    judged on its test set."""
    print_trials(result, out_console)
    out_console.print(verdict(result), soft_wrap=True)
    for line in baseline_lines(result):
        out_console.print(line, soft_wrap=True)
    for line in stored_lines(result):
        out_console.print(line, soft_wrap=True, highlight=False)
    if result.thresholds is not None:  # a multi-label model: the best settings' thresholds, as fit says
        from trainwell.learner.label_thresholds import say_threshold_note

        say_threshold_note(result.thresholds)
    decided = decision_line(result)
    if decided is not None:
        out_console.print(decided, soft_wrap=True, markup=False, highlight=False)
    said = time_line(result)
    if said is not None:
        out_console.print(said, soft_wrap=True)
    stopped = stop_line(getattr(result, "not_started", None))
    if stopped is not None:  # why fewer trials ran than --trials asked, in a line of its own
        out_console.print(stopped, soft_wrap=True, highlight=False)
    if result.run is not None and (getattr(result.run.learn, "test_scores", None) or _test_rows(result.run)):
        from trainwell.cli.fit_cmd import say_test_scores

        say_test_scores(result.run, k)
    if result.model_dir is not None:
        kept = {"defaults": f"the defaults' trial {result.kept_trial}; ",
                "fallback": f"trial {result.kept_trial}'s model; "}.get(result.kept, "")  # fmt: skip
        out_console.print(
            f"model directory: {result.model_dir} ({kept}every trial in tuning.json)", soft_wrap=True
        )


def _test_rows(run: Any) -> bool:
    """Whether ``run`` holds a recommender's test rows (``--test``): an implicit one's interactions have no loss
    to score, and its top-N lists judged on them are its test scores (:meth:`RatingsRun.test_lists`)."""
    rows = getattr(getattr(run, "data", None), "rows", None)
    return hasattr(run, "test_lists") and isinstance(rows, dict) and rows.get("test") is not None


def baseline_lines(result: Any) -> list[str]:
    """The kept model against its baseline, as fit says it (ratings: user + item biases alone), so a tune whose
    kept model a bias-only model beats is warned as a fit of it would be; empty where no baseline is recorded."""
    learn = getattr(result.run, "learn", None) if result.run is not None else None
    row = getattr(learn, "final_row", None)
    if learn is None or not isinstance(row, dict) or "rmse_biases" not in row:
        return []
    from trainwell.cli._show import _bias_gap, _bias_verdict

    return _bias_verdict(row, _bias_gap(learn))


def stored_lines(result: Any) -> list[str]:
    """A study kept across runs (--storage): how many trials it holds, how many of them earlier runs', and
    whether the model written is an earlier run's best trial trained again."""
    if result.storage is None:
        return []
    total, before = len(result.trials), result.trials_before
    lines = [
        f"study {result.study_name!r} in {result.storage}: {total} trial{'' if total == 1 else 's'} stored "
        f"({before} before this run, {total - before} in it); the same command again runs --trials more"
    ]
    refit = result.refitted
    if refit is not None and refit.get("said"):  # what training an earlier run's trial again came to
        lines.append(refit["said"])
    elif refit is not None:  # a record of an earlier version, without its line
        from trainwell.core.numbers import figure

        same = refit["refit_value"] == refit["stored_value"]
        lines.append(
            f"the model written is trial {refit['trial']}'s, from an earlier run: its settings were trained again "
            f"(same data and seed), {result.metric} {figure(refit['refit_value'])}"
            + (
                " as stored"
                if same
                else f"; {figure(refit['stored_value'])} stored (not bit-for-bit the same fit)"
            )
        )
    return lines


def _bound(value: float) -> str:
    """An end of the gain's interval: to 4 decimals, or to one significant digit where those round a number
    other than zero to it ("+0.0000" read as no gain at all)."""
    from trainwell.core.numbers import figure

    shown = figure(value, signed=True)
    if value != 0 and shown.lstrip("+-").strip("0.") == "":
        return f"{value:+.1g}"
    return shown


def time_line(result: Any) -> str | None:
    """What ``--time`` did to this run's trials: how many it cut short, and what the trials fitted in one step
    took, which it cannot cut (boosted trees: ``tune --arch gbdt --time 8s`` said "1 trial within it, none cut
    short" of a trial that took 11 s); a resumed study's earlier trials are left out (they ran under another
    run's --time). ``None`` without ``--time``."""
    if result.timeout is None:
        return None
    from trainwell.callbacks.budget import format_duration
    from trainwell.evaluate.evaluation import ONE_STEP_NAMES

    def plural(n: int, what: str = "trial") -> str:
        return f"{n} {what}{'' if n == 1 else 's'}"

    # This run's trials: the --time was this run's (a resumed study lists the earlier runs' trials too).
    ran = [t for t in result.trials if not t.get("earlier_run")]
    one_step = [t for t in ran if t.get("arch", result.arch) in ONE_STEP_NAMES]
    stepped = [t for t in ran if t not in one_step]  # trained by epochs: the budget fits their schedules
    parts = []
    if stepped:
        cut = sum(bool(t.get("cut_by_time")) for t in stepped)
        by_epochs = " trained by epochs" if one_step else ""
        if cut == 0:
            finished = sum(t.get("state") == "complete" for t in stepped)
            pruned = sum(t.get("state") == "pruned" for t in stepped)
            stopped = (
                f" ({pruned} stopped early)" if pruned else ""
            )  # "0 trials within it" said of 2 pruned ones
            parts.append(f"{plural(finished + pruned)}{by_epochs} within it{stopped}, none cut short")
        elif len(stepped) == 1:  # "1 of the 1 trials ... fewer epochs than the others'", of no others
            parts.append(
                f"the one trial{by_epochs} was cut short, its schedule fitted to the time left (its score is of fewer "
                "epochs than it asked)"
            )
        else:
            parts.append(
                f"{cut} of the {len(stepped)} trials{by_epochs} cut short, each one's schedule fitted to the time "
                "left (its score is of fewer epochs than the others')"
            )
    if one_step:
        names = " and ".join(dict.fromkeys(ONE_STEP_NAMES[t.get("arch", result.arch)] for t in one_step))
        took = format_duration(sum(float(t.get("seconds") or 0.0) for t in one_step))
        each = "each fitted" if len(one_step) > 1 else "fitted"
        parts.append(
            f"{plural(len(one_step))} of {names}, {each} in one step that --time does not cut: {took}"
            + (" in all" if len(one_step) > 1 else "")
        )
    return f"--time {format_duration(result.timeout)}: {'; '.join(parts)}" if parts else None


def stop_line(record: dict[str, Any] | None) -> str | None:
    """Why the search stopped before the trials --trials asked
    (:attr:`~trainwell.automl.result.TuneResult.not_started`), in one line: ``stopped after 2 of the 40 trials
    asked: 4.2s of --time left, a trial takes ~20s (the shortest so far)``. (Image and text searches started
    trials with 1 or 2 s left; a search that ran 3 of 4 trials said nothing of the 4th.) ``None`` when every
    trial asked started."""
    if not record:
        return None
    from trainwell.callbacks.budget import format_duration
    from trainwell.evaluate.evaluation import ONE_STEP_NAMES

    started, asked = record["started"], record["asked"]
    head = f"stopped after {started} of the {asked} trials asked"
    left = float(record.get("left", 0.0))
    kept = float(record.get("reserve") or 0.0)
    after = (
        f" after {format_duration(kept)} kept to train an earlier run's best trial again" if kept > 0 else ""
    )
    if left <= 0 or "needs" not in record:
        return f"{head}: no time of --time was left{after}"
    needs = format_duration(float(record["needs"]))
    of = {"shortest": "the shortest so far", "median": "the median so far",
          "pruned": "the longest of those pruned, none having finished"}.get(record.get("estimate", ""), "")  # fmt: skip
    if record.get("cut", True):
        return f"{head}: {format_duration(left)} of --time left{after}, a trial takes ~{needs} ({of})"
    name = ONE_STEP_NAMES.get(record.get("arch") or "", "a kind fitted in one step")
    return (
        f"{head}: {format_duration(left)} of --time left{after}, a trial of {name} takes ~{needs} ({of}), "
        "which --time cannot cut"
    )


def print_trials(result: Any, console: Any) -> None:
    """The trials table (:func:`trials_table`) on ``console``: as it is where it fits the terminal; else a pruned
    trial's state and a cut trial's label on two lines each, where that makes it fit; else each trial's settings
    in one column, broken between settings only (``fitted_to`` the console). At 80 columns rich narrowed every
    column alike: ``roc_auc`` over two lines, ``1.00e-`` over ``02``, ``epochs`` over ``2`` (a setting's name on
    one line and its value on the next, even at 120 columns for the models of ``--arch auto``)."""
    from trainwell.core.fitting_tables import natural_width, print_fitting

    def narrower() -> Any:
        kept = trials_table(result, two_lines=True)  # the columns kept, the long cells on two lines
        if natural_width(kept, console) <= console.width:
            return kept
        return trials_table(result, fitted_to=console)

    print_fitting(console, trials_table(result), narrower)


def _shown_trials(result: Any) -> tuple[list[dict[str, Any]], int]:
    """The trials the table lists, in its order, and how many unfinished ones it leaves out."""
    finished = [t for t in result.trials if t["state"] == "complete"]
    reverse = result.direction == "maximize"
    ranked = sorted(finished, key=lambda t: t["value"], reverse=reverse)[:SHOWN_TRIALS]
    ranked += [t for t in result.trials if t["defaults"] and t not in ranked]
    unfinished = [t for t in result.trials if t["state"] != "complete" and t not in ranked]
    left_out = max(0, len(unfinished) - SHOWN_TRIALS)
    return ranked + unfinished[left_out:], left_out


def trials_table(result: Any, fitted_to: Any = None, two_lines: bool = False) -> Any:
    """The best trials (:data:`SHOWN_TRIALS`) and every defaults' trial, best first, then the trials that did
    not finish (pruned, interrupted, failed: :data:`SHOWN_TRIALS` at most, the latest), each with its state and,
    when pruned, the epoch the pruner stopped it at (a table of 4 finished trials under "8 trials (4 stopped
    early)" once left the other 4 out).

    For a terminal narrower than the table (:func:`print_trials`): ``two_lines``, a pruned trial's state and a
    cut trial's label on two lines, no cell wrapped; ``fitted_to``, a console the table is narrowed to, each
    trial's settings in one column too, as ``name value`` pairs broken onto lines between pairs only."""
    from rich.table import Table

    ranked, left_out = _shown_trials(result)
    several = len(result.default_values) > 1
    narrow = two_lines or fitted_to is not None
    pruned = sum(t["state"] == "pruned" for t in result.trials)
    count = len(result.trials)
    # Several kinds of model: each trial's own settings in one column (the kinds share none of them).
    names = [] if several else list(dict.fromkeys(name for trial in ranked for name in trial["params"]))

    def settings_of(trial: dict[str, Any]) -> list[str]:
        shown = trial["params"] if several else {name: trial["params"].get(name) for name in names}
        return [
            f"{COLUMN_NAMES.get(name, name)} {_trial_setting(trial, name, value)}"
            for name, value in shown.items()
        ]

    def table_of(settings: list[Any]) -> Any:
        table = Table(
            title=f"{count} trial{'' if count == 1 else 's'} ({pruned} stopped early), best {result.metric} first"
        )
        table.add_column("trial", justify="right", no_wrap=narrow)
        table.add_column(result.metric, justify="right", no_wrap=narrow)
        if several:
            table.add_column("model", no_wrap=narrow)
        if several or fitted_to is not None:
            table.add_column("settings")
        else:
            for name in names:
                shown = COLUMN_NAMES.get(name, name)
                table.add_column(shown, justify="left" if shown in ("layers", "numbers") else "right")
        table.add_column("seconds", justify="right", no_wrap=narrow)
        for trial, cells in zip(ranked, settings, strict=True):
            label = f"{trial['number']} (defaults)" if trial["defaults"] else str(trial["number"])
            if trial.get("cut_by_time"):
                label += "\n(cut)" if narrow else " (cut)"
            kind = [_kind(trial.get("arch"))] if several else []
            table.add_row(label, _outcome(trial, narrow), *kind, *cells, f"{trial['seconds']:.1f}")
        if left_out:
            table.add_row(f"+{left_out}", "not finished", *([""] * (len(table.columns) - 2)))
        return table

    if fitted_to is None and several:
        return table_of([[", ".join(settings_of(trial))] for trial in ranked])
    if fitted_to is None:
        return table_of(
            [[_trial_setting(t, name, t["params"].get(name), two_lines) for name in names] for t in ranked]
        )
    from rich.text import Text

    from trainwell.core.fitting_tables import natural_width

    # The width left to the settings beside the other columns at their widest, none of them wrapped.
    heading = len("settings")
    others = natural_width(table_of([[""] for _ in ranked]), fitted_to) - heading
    pairs = [settings_of(trial) for trial in ranked]
    longest = max((len(pair) + 1 for each in pairs for pair in each), default=heading)
    width = max(fitted_to.width - others, longest, heading)
    return table_of([[Text(_packed(each, width))] for each in pairs])


def _packed(pairs: list[str], width: int) -> str:
    """``pairs`` (a trial's ``name value`` settings) joined by commas onto lines of at most ``width``
    characters, each line broken between two pairs, never within one (``epochs`` over ``2``)."""
    lines: list[str] = []
    for at, pair in enumerate(pairs):
        piece = pair + ("," if at < len(pairs) - 1 else "")
        if lines and len(lines[-1]) + 1 + len(piece) <= width:
            lines[-1] += f" {piece}"
        else:
            lines.append(piece)
    return "\n".join(lines)


def _outcome(trial: dict[str, Any], narrow: bool = False) -> str:
    """A trial's cell under the metric: its score, or its state, a pruned trial's with where it was stopped
    (``pruned at epoch 3 of 12``, or ``pruned at 30%`` of its schedule for a record that has no epochs);
    ``narrow``: ``pruned at`` over ``epoch 3 of 12``, for a table fitted to a narrow terminal."""
    from trainwell.core.numbers import figure

    if trial["state"] == "complete":
        return figure(trial["value"])
    at = "\n" if narrow else " "
    if trial["state"] == "pruned" and "pruned_at_epoch" in trial:
        return f"pruned at{at}epoch {trial['pruned_at_epoch']} of {trial['epochs_planned']}"
    if trial["state"] == "pruned" and "pruned_at_percent" in trial:
        return f"pruned at{at}{trial['pruned_at_percent']}%"
    return str(trial["state"])


def _trial_setting(trial: dict[str, Any], name: str, value: Any, two_lines: bool = False) -> str:
    """A trial's setting in the table; a cut trial's epochs with those it trained: ``14 (cut at 6.3)``
    (``two_lines``: ``14`` over ``(cut at 6.3)``)."""
    shown = _setting(name, value)
    trained = trial.get("epochs_trained")
    if name == "epochs" and trial.get("cut_by_time") and isinstance(trained, (int, float)):
        from trainwell.core.numbers import format_epochs

        shown += f"{chr(10) if two_lines else ' '}(cut at {format_epochs(trained)})"
    return shown


def _kind(arch: str | None) -> str:
    return KIND_NAMES.get(arch, arch) if arch is not None else "-"


def _examples(result: Any) -> str:
    """What the validation examples are, for the verdict: images, texts, or rows (tables, ratings)."""
    data = getattr(getattr(result, "run", None), "data", None)
    return {"vision": "images", "text": "texts"}.get(getattr(data, "application", ""), "rows")


def verdict(result: Any) -> str:
    """The best score, with its kind of model when several were searched, against the defaults (the better
    kind's defaults when there were several: what ``fit --arch auto`` would keep is one of them), and which
    trial's model was kept: the best, or the defaults' when the best's gain is within the validation rows'
    noise."""
    from trainwell.core.numbers import figure

    rows = _examples(result)
    several = len(result.default_values) > 1
    best = f"best {result.metric} {figure(result.best_value)}"
    alone = result.no_search_line()
    if alone is not None:  # the defaults alone ran: there was no search to beat them
        return f"{best}, of the defaults; {alone}"
    if several:
        best += f" ({_kind(result.arch)})"
    if result.improvement is None:
        return (
            f"{best}; the defaults' trial{'s' if several else ''} did not finish, so the gain over them could "
            "not be checked: kept the best"
        )
    if result.kept == "fallback":  # an earlier run's trial chosen, this run's best written (said below)
        return (
            f"{best} (trial {result.best_trial}); the model written is trial {result.kept_trial}'s, this run's "
            f"best, in place of trial {result.refitted['trial']}'s, an earlier run's (below)"
        )
    defaults = f"the defaults' {figure(result.default_value)}"
    if several:
        each = ", ".join(
            f"{_kind(name)} {figure(value)}" if value is not None else f"{_kind(name)} did not finish"
            for name, value in result.default_values.items()
        )
        defaults = (
            f"the better defaults' {figure(result.default_value)} ({each}; fit --arch auto keeps one of them)"
        )
    if result.improvement <= 0:
        return f"{best}; no trial beat {defaults}: keep them"
    direction = "higher" if result.direction == "maximize" else "lower"
    gain = f"{best} (trial {result.best_trial}); {figure(result.improvement)} better ({direction}) than {defaults}"
    confirm = "confirm it on held-out data (trainwell evaluate, or a test set)"
    if result.improvement_interval is None and str(getattr(result, "stopped_after", "")).startswith(
        "the check"
    ):
        # Ctrl-C skipped the check: "could not be checked (roc_auc is not resampled by rows)" was not why.
        return (
            f"{gain}, on the {rows} the trials were chosen on; the check of the gain against their noise was "
            f"skipped (Ctrl-C): kept the best, unchecked; {confirm}"
        )
    if result.improvement_interval is None:
        return (
            f"{gain}, on the {rows} the trials were chosen on; the gain could not be checked against their noise "
            f"({result.metric} is not resampled by {rows}): kept the best; {confirm}"
        )
    from trainwell.automl._gain import DECIDE_ON_MORE_ROWS, chance_said

    low, high = result.improvement_interval
    check = result.selection
    clear = check.clear if check is not None else low > 0
    # The interval is the best trial's alone; the reality check counts that it was the best of them all.
    span = f"[{_bound(low)}, {_bound(high)}], 90%"
    if check is not None:
        span += f"{', but' if low > 0 and not clear else ';'} {chance_said(check)}"
    if result.kept == "defaults":
        kind = f", {_kind(result.kept_arch)}" if several else ""
        return (
            f"{gain}, on the {rows} the trials were chosen on; resampling them puts the gain at {span}, within "
            f"their noise: kept the defaults' model (trial {result.kept_trial}{kind}), which may do as well on new "
            f"{rows} (--keep best keeps trial {result.best_trial}); {DECIDE_ON_MORE_ROWS}"
        )
    if not clear:
        refit = getattr(result, "refitted", None)
        kept = "kept the best (--keep best)"
        # The defaults' trial kept was an earlier run's, and training it again fell short: the best is written.
        if refit is not None and refit.get("kept_trial") != refit.get("trial"):
            kept = f"kept the best: the defaults' trial {refit['trial']}, an earlier run's, could not be had (below)"
        return (
            f"{gain}, on the {rows} the trials were chosen on (resampling them puts the gain at {span}: within their "
            f"noise: the defaults may do as well on new {rows}): {kept}; {confirm}"
        )
    return (
        f"{gain}, on the {rows} the trials were chosen on (resampling them puts the gain at {span}: clear of their "
        f"noise): kept the best; {confirm}"
    )
