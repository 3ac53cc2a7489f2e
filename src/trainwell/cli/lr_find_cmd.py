"""``trainwell lr-find DATA``: sweep the learning rate of the model ``fit`` would train on DATA (a table, a folder
of images, texts), plot the loss against it and print a suggestion."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from trainwell.cli import _options as option
from trainwell.cli._common import MAX_SEED, described_target, guarded, out_console, unpacked_data
from trainwell.cli.fit_cmd import TASKS, target_columns


def lr_find(
    data: Annotated[
        Path,
        typer.Argument(
            help="A CSV, TSV or Parquet table (--target; texts with --text); a folder of images (<label>/*.jpg, "
            "or train/ + valid/; a CSV of them with --path-col) or of texts (<label>/*.txt)."
        ),
    ],
    target: Annotated[
        str | None, typer.Option(help="Column to predict (a table, or the labels of --text).")
    ] = None,
    text: Annotated[
        str | None,
        typer.Option(help="Texts: the column holding the text (sweeps the text classifier fit trains)."),
    ] = None,
    out: Annotated[
        Path,
        typer.Option(
            help="PNG file for the loss-vs-learning-rate curve (.png added to a name without one; another "
            "suffix is refused)."
        ),
    ] = Path("lr_find.png"),
    valid_pct: Annotated[float, typer.Option(help="Share of rows held out (not used by the sweep).")] = 0.2,
    task: Annotated[str | None, typer.Option(help=f"Override the inferred task: {TASKS}.")] = None,
    seed: Annotated[int, typer.Option(help="Seed.", min=0, max=MAX_SEED)] = 0,
    encoding: option.Encoding = "utf-8",
    names: option.Names = None,
    arch: Annotated[
        str,
        typer.Option(
            help="Images: the architecture fit will train (auto, simple_cnn, xresnet18/34/50, whitened_cnn; "
            "timm:NAME or torchvision:NAME with the vision extra)."
        ),
    ] = "auto",
    size: option.ImageSize = None,
    augment: option.Augment = "auto",
    recipe: option.ImageRecipe = None,
    path_col: option.PathCol = None,
    label_col: option.LabelCol = None,
    label_delim: option.LabelDelim = None,
    pretrained: Annotated[
        Path | None,
        typer.Option(
            help="Images: the model fit will fine-tune (a model directory or .safetensors): swept with its body "
            "frozen, as fine-tuning's first phase trains at the rate given."
        ),
    ] = None,
    batch_size: Annotated[
        int | None,
        typer.Option(min=1, help="Rows, images or texts per batch (default: as fit chooses them)."),
    ] = None,
) -> None:
    """Sweep the learning rate of the model fit would train on a table, images or texts, plot the curve and
    print a suggestion."""

    def run() -> None:
        nonlocal text, target  # a file in fastText's format sets them
        nonlocal data, out  # an archive: what it holds, unpacked; out: .png added
        data = unpacked_data(data)  # type: ignore[assignment]
        from trainwell.cli._common import missing_target, refuse_encoding
        from trainwell.cli._early import check_text_options, need_data, refuse_model_directory
        from trainwell.cli._fit_data import (
            holds_text_classes,
            is_image_source,
            read_text_classes,
            refuse_unread,
        )
        from trainwell.core.errors import ConfigError

        check_text_options(encoding)
        from trainwell.cli._splits import command_splits

        nonlocal names  # a folder of splits: the training split's rows, joined
        data, _, _, names, target, _ = command_splits(
            data, "lr-find", target=target, names=names, encoding=encoding, label_delim=label_delim, text=text
        )
        if task not in ("language_model", "tagging"):  # __label__pos a great film: the columns text and label
            from trainwell.cli._fit_data import fasttext_columns

            text, target = fasttext_columns(data, text, target)
        if out.is_dir():
            raise ConfigError(
                f"--out '{out}' is a directory; pass the path of the PNG file to write, e.g. lr_find.png"
            )
        from trainwell.cli._outputs import image_out_file

        # `--out lrf` wrote a PNG named lrf, which nothing opens as a picture: .png added. The rows it reads as
        # --out are refused, and so is another file that is not a PNG (`--out notes.csv` had become a PNG).
        out = image_out_file(out, ".png", "--out", "the learning-rate curve", [data])
        from trainwell.cli._tagging import is_tagging_source

        sequences = task
        # a CoNLL file without --task (a .txt table headed by --target's name is none)
        if task is None and data.exists() and is_tagging_source(data, None, text, target):
            sequences = "tagging"
        if sequences in ("language_model", "tagging"):
            raise ConfigError(
                f"lr-find sweeps table, image and text classifiers; a "
                f"{'tagger' if sequences == 'tagging' else 'language model'} trains at fit's "
                "default rate: pass fit --lr to choose another"
            )
        # Before the imports of the training stack: a mistake is said at once.
        refuse_model_directory(data)
        given = {"--target": target is not None, "--text": text is not None, "--names": names is not None}
        labelled: list[str] | None = None
        from trainwell.cli._common import column_names

        headerless = column_names(names)
        if path_col is None and (label_col is not None or label_delim is not None):
            raise ConfigError(
                "--label-col and --label-delim read the labels of a CSV of images: pass its --path-col too"
            )
        if path_col is not None:  # a CSV of image paths and labels, as fit reads it
            need_data(data, "image csv")
            kind = "images"
            refuse_unread(given, ("--target", "--text", "--names"), f"a CSV of images ('{data}')")
        elif data.is_dir() and holds_text_classes(data):
            kind = "texts"
            labelled = read_text_classes(data, given)
        elif data.is_dir():
            is_image_source(data, None, "lr-find")  # a folder without images is said so
            kind = "images"
            refuse_unread(
                given, ("--target", "--text", "--names"), f"a folder of class folders of images ('{data}')"
            )
            refuse_encoding(encoding, "image folders", text=False)
        else:
            need_data(data, "table")
            if target is None and (target := described_target(data, encoding, headerless)) is None:
                raise missing_target(data, encoding, names=headerless)
            kind = "texts" if text is not None else "table"
        image_settings = {
            "--arch": arch != "auto",
            "--size": size is not None,
            "--augment": augment != "auto",
            "--recipe": recipe is not None,
            "--pretrained": pretrained is not None,
        }
        if kind != "images":
            what = "a text classifier" if kind == "texts" else "a table's model"
            refuse_unread(image_settings, tuple(image_settings), f"{what} ('{data}'), only by images")
        from trainwell.core.seeding import seed_everything

        seed_everything(seed)
        common: dict[str, Any] = {
            "valid_pct": valid_pct,
            "task": task,
            "seed": seed,
            "batch_size": batch_size,
        }
        if headerless is not None:
            common["names"] = headerless  # a table or texts without a header row
        if kind == "images":
            from trainwell.vision.pipeline import image_learner

            csv: dict[str, Any] = {
                "path_col": path_col,
                "label_col": label_col,
                "label_delim": label_delim,
                "encoding": encoding,
            }
            bundle, learn, _, _ = image_learner(
                data,
                arch=arch,
                pretrained=pretrained,
                recipe=recipe,
                size=size,
                augmentation=augment,
                **(csv if path_col is not None else {}),
                **common,
            )
            if pretrained is not None:
                learn.freeze()  # fine_tune's first phase, the one its learning rate is for
            height, width = bundle.recipe.size  # type: ignore[union-attr]
            batch = bundle.train.batch_size  # type: ignore[attr-defined]
            arch_name = learn.model_spec["config"]["arch"]
            frozen = ", its body frozen" if pretrained is not None else ""
            out_console.print(
                f"sweeping {arch_name} on {height}x{width} images, batch {batch}{frozen}", soft_wrap=True
            )
        elif kind == "table":  # a table of texts and labels alone: the text classifier fit would train
            from trainwell.cli._fit_data import table_else_text

            made: dict[str, Any] = {}

            def text_learner(column: str) -> None:
                made["learn"] = _learner("texts", data, target, column, labelled, encoding, common)

            table_learn = table_else_text(
                lambda: _learner(kind, data, target, text, labelled, encoding, common),
                text_learner,
                data,
                arch=arch,
                given=given,
            )
            learn = made["learn"] if table_learn is None else table_learn
            kind = "texts" if table_learn is None else kind
        else:
            learn = _learner(kind, data, target, text, labelled, encoding, common)
        result = learn.lr_find()
        from trainwell.learner.plots import plot_lr_find

        # The rate fit would train at is drawn beside the suggestion (a table's fit runs this sweep itself).
        plot_lr_find(result, out, fit_default=None if kind == "table" else learn.lr)
        if result.suggestion is None:
            why = "stayed within its batches' noise" if result.flat else "did not decrease"
            out_console.print(f"no suggestion: the loss {why} over the sweep (curve in {out})")
            return
        steepest = f"; steepest descent at {result.steepest:.2e}" if result.steepest else ""
        default = (
            "" if kind == "table" else f"; fit trains this model at {learn.lr:.1e} unless given --lr"
        )  # a table's fit runs this sweep itself
        if kind != "table" and result.suggestion > 10 * learn.lr:
            # A text bag's sweep on IMDB's sample suggested 1.1e-01 while it took a tenth of the minimum; fit at it
            # scored 0.745 where the default 0.855. It now takes a hundredth (the bag's lr_find_divisor): 1.07e-02,
            # 0.840; on a smaller set the sweep's hundredth can still be ten times what fit's epochs bear.
            default += (
                f" ({result.suggestion / learn.lr:.0f}x that: a sweep of a hundred batches favours rates a whole "
                "fit may not bear; try both with --lr and compare on held-out rows before keeping it)"
            )
        # A flat curve's minimum is no lowest point but the highest rate before its loss rose (read_sweep).
        of = (
            f"{result.minimum:.2e}, the highest rate before the loss rose; the curve was flat"
            if result.flat
            else f"the minimum at {result.minimum:.2e}"
        )
        out_console.print(
            f"suggested learning rate: {result.suggestion:.2e} ({_share(result.divisor)} of {of}{steepest}); "
            f"curve written to {out}{default}",
            soft_wrap=True,  # a path broken over lines cannot be copied
        )

    guarded(run)


def _share(divisor: float) -> str:
    """How the suggestion stands to the sweep's minimum, in words: "a tenth", "a hundredth", "1/30"."""
    return {10.0: "a tenth", 100.0: "a hundredth"}.get(divisor, f"1/{divisor:g}")


def _learner(
    kind: str,
    data: Path,
    target: str | None,
    text: str | None,
    labelled: list[str] | None,
    encoding: str,
    common: dict[str, Any],
) -> Any:
    """The Learner fit starts from on ``data``, read as ``kind`` (``table`` or ``texts``); ``common``: the
    data settings every kind takes (valid_pct, task, seed, batch_size)."""
    if kind == "texts":
        from trainwell.text.data import text_data
        from trainwell.text.learner import text_classifier_learner

        columns: dict[str, Any] = (
            {"text_col": text, "target": target_columns(target or "")}
            if text is not None
            else {"classes": labelled}
        )
        return text_classifier_learner(text_data(data, **columns, **common, encoding=encoding))
    from trainwell.tabular.data import tabular_data
    from trainwell.tabular.learner import tabular_learner

    return tabular_learner(tabular_data(data, target_columns(target or ""), **common, encoding=encoding))
