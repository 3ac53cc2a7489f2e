"""``trainwell report MODEL --data labelled.csv``: one self-contained HTML report on a trained model.

Registered on the main command line by ``app.command("report")(report)``. Heavy imports (torch, pandas,
matplotlib) happen inside the command so that ``trainwell --help`` stays instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from trainwell.cli import _options as option
from trainwell.cli._common import MAX_SEED, guarded, out_console, unpacked_data


def report(
    model: Annotated[Path, typer.Argument(help="Model directory written by `trainwell fit`.")],
    data: Annotated[
        Path | None,
        typer.Option(
            help="Labelled rows to judge the model on, target column included, ideally rows it has not trained on "
            "(without --data: a report of what the model directory recorded, its figures without intervals) "
            "(CSV, TSV or Parquet); for an image model, a folder of class folders, of IDX files (its t10k-* set) "
            "or a CSV of paths and labels; "
            "for a text classifier, also a folder of class folders of .txt files (its test/ beside train/); "
            "for a language model, held-out text (a text file with one text per line, a folder of .txt files, "
            "or a CSV with a 'text' column)."
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="The HTML file to write (default: report.html inside MODEL, or MODEL-report.html here when "
            "MODEL is read-only)."
        ),
    ] = None,
    seed: Annotated[
        int,
        typer.Option(help="Seed for the bootstrap intervals and the column shuffles.", min=0, max=MAX_SEED),
    ] = 0,
    encoding: option.DataEncoding = "utf-8",
    encoding_errors: option.EncodingErrors = "strict",
    path_col: option.PathCol = None,
    label_col: option.LabelCol = None,
    names: option.Names = None,
    item_names: Annotated[
        Path | None,
        typer.Option(
            help="A recommender: a table of its items' names, shown beside their ids (MovieLens' u.item, read "
            "in --encoding: pass latin-1 for it; or a table with the model's item column and a name or title "
            "column)."
        ),
    ] = None,
    k: Annotated[
        int | None,
        typer.Option(
            "--k",
            help="A recommender: places in each top-N list it is judged by (precision@k, recall@k, hit@k, ndcg@k, "
            "MRR@k, MAP@k; an implicit model's hit@k and ndcg@k; default 10).",
            min=1,
            show_default=False,
        ),
    ] = None,
    word_effects: Annotated[
        bool,
        typer.Option(
            "--word-effects/--no-word-effects",
            help="A text classifier: the section of the words behind a few predictions, by occlusion (a few "
            "seconds; --no-word-effects leaves it out).",
        ),
    ] = True,
    tta: Annotated[
        bool | None,
        typer.Option(
            "--tta/--no-tta",
            help="An image model: also score the images with test-time augmentation (what predict --tta and "
            "serve's \"tta\" do) and say whether it helps or hurts. By default measured when the model's "
            "augmentation allows it and the images are at most 2,000 on the CPU; --no-tta skips it.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Write a self-contained HTML report of a model: curves, metrics with intervals, errors, importance.

    Training curves, metrics with intervals, the confusion and top losses, feature importance; for a language
    model: perplexity with intervals, where the loss comes from, the hardest texts, continuations."""

    def refuse_unread_options(metadata: dict[str, Any]) -> None:
        """Refuse the options the model's kind never reads (``metadata``: its ``trainwell.json``, ``{}`` when
        unreadable: the model's own reading says why), and those a folder of images never reads."""
        from trainwell.cli._common import refuse_encoding
        from trainwell.cli._unread import model_words, refuse_for
        from trainwell.core.errors import ConfigError

        given = {
            "--path-col": path_col is not None,
            "--label-col": label_col is not None,
        }
        if not metadata:
            return
        if k is not None and metadata.get("application") != "collab":
            raise ConfigError(
                f"--k is the length of a recommender's top-N lists; '{model}' holds {model_words(metadata)}: drop it"
            )
        if metadata.get("application") in ("tabular", "text", "collab"):
            columns = "image models judged on a CSV of paths and labels"
            refuse_for(given, {"--path-col": columns, "--label-col": columns}, model_words(metadata))
        elif (
            metadata.get("application") == "vision" and data is not None and data.is_dir()
        ):  # its labels are its class folders; no text is read
            columns = "a CSV of paths and labels"
            refuse_for(
                given,
                {"--path-col": columns, "--label-col": columns},
                f"a folder of class folders ('{data}')",
            )
            refuse_encoding(encoding, "image folders", text=False)
            if encoding_errors != "strict":
                raise ConfigError(
                    "--encoding-errors is for tables, a CSV of image paths, texts, corpora and CoNLL files; "
                    f"'{data}' is a folder of images: drop it"
                )

    def check_html_out(path: Path | None) -> None:
        """Refuse an ``--out`` a browser would not open as the report: a folder, or a name not ending .html."""
        if path is None:
            return
        from trainwell.core.errors import ConfigError

        if path.is_dir():
            raise ConfigError(
                f"--out '{path}' is a directory; pass the HTML file to write, e.g. {path / 'report.html'}"
            )
        if path.suffix.lower() not in (".html", ".htm"):
            named = path.with_name(path.name + ".html") if not path.suffix else path.with_suffix(".html")
            raise ConfigError(
                f"--out '{path}': the report is an HTML page, and a browser opens it by its name; pass {named}"
            )

    def run() -> None:
        from trainwell.cli._early import (
            check_text_options,
            model_kind,
            need_data,
            need_model_directory,
            peek_metadata,
        )

        # Before the imports of the model's stack and the report's: a mistake is said at once.
        check_text_options(encoding, encoding_errors)
        need_model_directory(model)
        check_html_out(out)
        nonlocal data  # an archive: what it holds, unpacked; a folder of splits: its test split
        if data is None:
            _recorded_report()
            return
        data = unpacked_data(data)
        assert data is not None  # a path in, a path out
        from trainwell.cli._splits import held_out_split

        metadata = peek_metadata(model)
        targets = [str(name) for name in (metadata.get("task") or {}).get("target_names") or []]
        given = data
        # a model fitted on files without a header row (UCI's adult.data) reads the test split with their names
        stored = (metadata.get("training") or {}).get("header_names")
        listed = names if names is not None or not stored else ",".join(map(str, stored))
        data, split = held_out_split(data, listed, encoding, encoding_errors, targets=targets)
        # a folder's test split, held out of every choice: its metrics are test metrics, named so
        data_name = f"{data} (the test split of {given})" if split == "test" else None
        refuse_unread_options(metadata)
        kind = {"rows": "table", "language_model": "corpus", "tagging": "conll"}.get(model_kind(metadata))
        if kind == "table" and metadata.get("application") == "text" and data.is_dir():
            kind = "corpus"  # a folder of class folders of texts, its files the texts
        if kind is not None:  # an image model's data is a folder or a CSV: its reader says what is wrong
            need_data(data, kind)
        if item_names is not None:
            if metadata and metadata.get("application") != "collab":
                from trainwell.cli._unread import model_words
                from trainwell.core.errors import ConfigError

                raise ConfigError(
                    f"--item-names names a recommender's items, not those of {model_words(metadata)}: drop it"
                )
            need_data(item_names, "table")
        from trainwell.cli._common import header_names
        from trainwell.report import build_report

        written = build_report(
            model,
            data,
            out,
            seed=seed,
            encoding=encoding,
            encoding_errors=encoding_errors,  # type: ignore[arg-type]  # checked above: strict or replace
            path_col=path_col,
            label_col=label_col,
            names=header_names(names, metadata, data, encoding),  # --names, or those of the fit's file
            item_names=item_names,
            data_name=data_name,
            word_effects=word_effects,
            tta=tta,
            k=10 if k is None else k,
        )
        out_console.print(f"wrote {written} (self-contained HTML; open it in any browser)", soft_wrap=True)

    def _recorded_report() -> None:
        """``report MODEL`` without --data: the options that read the data are refused, the rest written."""
        from trainwell.core.errors import ConfigError

        reading = {
            "--names": names is not None,
            "--path-col": path_col is not None,
            "--label-col": label_col is not None,
            "--item-names": item_names is not None,
            "--encoding": encoding != "utf-8",
            "--encoding-errors": encoding_errors != "strict",
            "--no-word-effects": not word_effects,
            "--tta": tta is True,
            "--k": k is not None,
        }
        given = [name for name, was in reading.items() if was]
        if given:
            raise ConfigError(
                f"{', '.join(given)} {'reads' if len(given) == 1 else 'read'} the labelled rows of --data, and none "
                f"was given: pass --data FILE, or drop {'it' if len(given) == 1 else 'them'}"
            )
        from trainwell.report import build_report

        written = build_report(model, None, out, seed=seed)
        out_console.print(
            f"wrote {written} (what the model directory recorded, without --data: no intervals, errors nor "
            "importance; self-contained HTML)",
            soft_wrap=True,
        )

    guarded(run)
