"""``build_report``: one self-contained HTML page about a trained model, judged on labelled rows.

Sections: training curves (from the model directory), validation metrics with 95% bootstrap intervals and a
sentence each, for classifiers the confusion matrix, the most confused pairs, each class's precision, recall
and F1, and a reliability diagram, the rows with the highest loss, and permutation feature importance. Images
are embedded as data URIs and the CSS is inline, so the file can be mailed, archived or opened offline; it
needs no JavaScript.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import torch

import trainwell
from trainwell.core.artifact import read_metadata
from trainwell.core.atomic import write_text_atomic
from trainwell.core.errors import ConfigError
from trainwell.core.model_dir import REPORT_TITLE
from trainwell.core.numbers import figure
from trainwell.core.warn import warn
from trainwell.data.io import read_table
from trainwell.data.task import Task
from trainwell.evaluate.explain import MetricLine, explain_validation, share, small_sample_caution
from trainwell.export.predictor import load, refuse_generic
from trainwell.interpret.classification import ClassificationInterpretation
from trainwell.interpret.regression import RegressionInterpretation
from trainwell.learner.run_files import epochs_from_one, overfitting_note
from trainwell.metrics.targets import split_target_key
from trainwell.report import _html, _outputs
from trainwell.report._class_intervals import RESAMPLES
from trainwell.report._outputs import has_several_outputs, trained_range, training_range_sentence
from trainwell.report._plots import importance_png, predicted_vs_actual_png, side_by_side_panels
from trainwell.report.importance import labelled_targets, main_metric, permutation_importance
from trainwell.tabular.predictor import TabularPredictor

DEFAULT_OUT = "report.html"
TOP_LOSSES = 10
#: Pairs of classes listed under "Most confused pairs"; the rest are counted in a sentence below the table.
CONFUSED_PAIRS = 10
#: Probabilities are clipped here before the log, so a confidently wrong row has a large, finite loss.
EPS = 1e-7
SUPPORTED = ("binary", "multiclass", "multilabel", "regression")


def build_report(
    model_dir: str | Path,
    data: pd.DataFrame | str | Path | None,
    out: str | Path | None = None,
    *,
    seed: int = 0,
    top_k: int = TOP_LOSSES,
    encoding: str = "utf-8",
    encoding_errors: Literal["strict", "replace"] = "strict",
    path_col: str | None = None,
    label_col: str | None = None,
    names: Sequence[str] | None = None,
    item_names: str | Path | None = None,
    data_name: str | None = None,
    word_effects: bool = True,
    tta: bool | None = None,
    k: int = 10,
) -> Path:
    """Write an HTML report on the model in ``model_dir``, evaluated on the labelled rows ``data`` (``None``: a
    report of what the model directory recorded: the training curves and history, the validation and test
    figures fit measured, without intervals, and how it was trained).

    Args:
        model_dir: a model directory written by ``trainwell fit``: a classifier or regression of tables, texts
            or images, a tagger, a ratings model, or a language model.
        data: labelled rows (target column included): a DataFrame or a CSV, TSV or Parquet file; for an image
            model, a folder of class folders (``<label>/*.jpg``) or a CSV of paths and labels; for a language
            model, held-out text (a text file with one text per line, a folder of ``.txt`` files, or a CSV
            with a ``text`` column).
        out: the HTML file to write (atomically); ``None`` means ``report.html`` inside ``model_dir``, beside the
            model it judges (a save over the directory keeps it), or ``<model name>-report.html`` in the current
            directory when ``model_dir`` cannot be written to.
        seed: seeds the bootstrap intervals and the column shuffles.
        top_k: rows listed in the top-losses table.
        encoding: text encoding of the ``data`` file: a CSV, TSV or JSON table (a CSV of image paths too), a
            text corpus or a CoNLL file, e.g. ``"cp1252"`` (Excel on Windows).
        encoding_errors: ``"replace"`` reads a byte ``encoding`` cannot decode as U+FFFD instead of stopping.
        path_col, label_col: for an image model judged on a CSV of paths and labels, its columns (default:
            those of the CSV the model was trained from).
        names: the names of every column, in order, of a CSV/TSV ``data`` without a header row (a model of
            tables, texts or ratings).
        item_names: for a ratings model, a table of its items' names (MovieLens' ``u.item``:
            :func:`~trainwell.collab.names.read_item_names`, read in ``encoding``), shown beside the item ids.
        data_name: how the report names a table ``data`` of a table or text model (default: its path); a name
            saying ``(the test split of FOLDER)`` (``trainwell report --data`` on a folder of splits) titles its
            metrics test metrics.
        word_effects: for a text classifier, the section of the words behind a few predictions (occlusion,
            :mod:`trainwell.text._word_effects`; a few seconds); ``False`` leaves it out. Refused for other models.
        tta: for an image model, also score the images with test-time augmentation and say whether it helps
            (``--tta``): ``None`` does so when the model's augmentation allows it and the images are cheap to
            view (at most 2,000 on the CPU), ``False`` never. ``True`` is refused for other models.
        k: for a recommender, the places in each top-N list judged (``--k``: precision@k, hit@k, ndcg@k...).

    Returns:
        The path of the written file.

    Example:
        >>> build_report("model/", "valid.csv", "report.html")  # doctest: +SKIP
    """
    from trainwell.data.io import check_encoding, check_encoding_errors

    check_encoding(encoding)
    check_encoding_errors(encoding_errors)
    read_as: dict[str, Any] = {"encoding": encoding, "encoding_errors": encoding_errors}
    destination = _check_out(Path(out) if out is not None else default_out(Path(model_dir)))
    metadata = read_metadata(model_dir)
    if data is None:
        from trainwell.report._recorded import recorded_sections

        if not word_effects:
            raise ConfigError(
                "word_effects=False (--no-word-effects) leaves out a section of a report on labelled texts; no "
                "data was given: drop it"
            )
        if tta:
            raise ConfigError(
                "tta=True (--tta) scores labelled images with test-time augmentation; no data was given: pass "
                "--data, or drop it"
            )
        intro, sections = recorded_sections(Path(model_dir), metadata)
        return write_text_atomic(destination, _page(Path(model_dir), metadata, intro, sections))
    refuse_generic(metadata, model_dir, "a report")
    predictor = load(model_dir)
    kind = getattr(getattr(predictor, "task", None), "kind", None)
    if names is not None and (getattr(predictor, "application", None) == "vision" or kind == "tagging"):
        raise ConfigError(
            "--names (Python: names=) is for a table without a header row, judging a model of tables, texts or "
            f"ratings, or a language model; '{model_dir}' is not one: drop it"
        )
    text_classifier = getattr(predictor, "application", None) == "text" and kind in (
        "binary",
        "multiclass",
        "multilabel",
    )
    if tta and getattr(predictor, "application", None) != "vision":
        from trainwell.data.tta import tta_refusal

        raise ConfigError(
            tta_refusal(
                getattr(predictor, "task", None),
                getattr(predictor, "application", None),
                option="--tta (tta=True)",
                fix="drop it",
            )
            or f"--tta (tta=True) is for an image model; '{model_dir}' is not one: drop it"
        )
    if not word_effects and not text_classifier:
        raise ConfigError(
            "word_effects=False (--no-word-effects) leaves out a text classifier's section of the words behind its "
            f"predictions; '{model_dir}' is not a text classifier: drop it"
        )
    if item_names is not None and getattr(predictor, "application", None) != "collab":
        raise ConfigError(
            f"item_names= (--item-names) names a recommender's items; '{model_dir}' is not a recommender: drop it"
        )
    if names is not None and not isinstance(data, pd.DataFrame) and Path(data).is_dir():
        raise ConfigError(
            f"--names (Python: names=) is for a table file without a header row; '{data}' is a folder: drop it"
        )
    if getattr(predictor, "application", None) == "vision":
        from trainwell.report._vision import vision_report_sections

        if isinstance(data, pd.DataFrame):
            raise ConfigError(
                "an image model's report needs --data: a folder of class folders of labelled images, or a CSV "
                "of paths and labels"
            )
        intro, sections = vision_report_sections(
            predictor,
            Path(data),
            top_k=top_k,
            path_col=path_col,
            label_col=label_col,
            seed=seed,
            tta=tta,
            **read_as,
        )
        sections.insert(0, _training_section(Path(model_dir), predictor.metadata))
        text = _page(Path(model_dir), predictor.metadata, intro, sections)
        return write_text_atomic(destination, text)
    if getattr(predictor, "application", None) == "text":
        from trainwell.report._text import read_judged, text_report_sections

        if getattr(predictor, "task", None) is None or predictor.task.kind == "language_model":
            from trainwell.report._lm import lm_report_sections
            from trainwell.text.lm_predictor import LMPredictor, load_lm

            if isinstance(data, pd.DataFrame):
                raise ConfigError(
                    "a language model's report needs --data: held-out text (a folder of .txt files, a text "
                    "file with one text per line, or a CSV with a 'text' column)"
                )
            lm = predictor if isinstance(predictor, LMPredictor) else load_lm(model_dir)
            intro, sections = lm_report_sections(
                lm, Path(data), top_k=top_k, seed=seed, names=names, **read_as
            )
            sections.insert(0, _training_section(Path(model_dir), lm.metadata))
            text = _page(Path(model_dir), lm.metadata, intro, sections)
            return write_text_atomic(destination, text)
        if predictor.task.kind == "tagging":
            from trainwell.report._tagging import tagging_report_sections

            if isinstance(data, pd.DataFrame):
                raise ConfigError("a tagger's report needs --data: a labelled CoNLL or CoNLL-U file")
            intro, sections = tagging_report_sections(
                predictor, Path(data), top_k=top_k, seed=seed, **read_as
            )
            sections.insert(0, _training_section(Path(model_dir), predictor.metadata))
            text = _page(Path(model_dir), predictor.metadata, intro, sections)
            return write_text_atomic(destination, text)
        needed = [*predictor.recipe.input_columns, *predictor.task.target_names]
        frame, source, places = read_judged(
            data, columns=needed, names=names, texts=predictor.recipe.input_columns, **read_as
        )
        if (
            places is None
            and not isinstance(data, pd.DataFrame)
            and not has_header_row(data, frame, encoding)
        ):
            from trainwell.report._text import TextPlaces

            rows = pd.DataFrame({"row": np.arange(1, len(frame) + 1)})  # row N is the file's line N
            places = TextPlaces(rows, _outputs.row_numbers(None, header=False))
        intro, sections = text_report_sections(
            predictor,
            frame,
            data_name or source,
            top_k=top_k,
            seed=seed,
            labels=data.index if isinstance(data, pd.DataFrame) else None,
            places=places,  # a folder's texts go by their file, a fastText file's by their line
            word_effects=word_effects,
        )
        sections.insert(0, _training_section(Path(model_dir), predictor.metadata))
        text = _page(Path(model_dir), predictor.metadata, intro, sections)
        return write_text_atomic(destination, text)
    if getattr(predictor, "application", None) == "collab":
        from trainwell.report._collab import collab_report_sections, read_ratings_frame

        if isinstance(data, pd.DataFrame):
            frame, source = read_ratings_frame(data)
        else:  # read here, in the given encoding; read_ratings_frame reads UTF-8
            from trainwell.collab.data import read_model_ratings

            frame = (  # header-less without names: the model's columns
                read_model_ratings(data, predictor.recipe, **read_as)
                if names is None
                else read_table(data, names=names, **read_as)
            )
            frame, source = frame.reset_index(drop=True), str(data)
        from trainwell.collab.names import stored_item_names

        named = stored_item_names(model_dir)  # kept by fit from the ratings folder (u.item), if it had them
        if item_names is not None:
            from trainwell.collab.names import read_item_names

            named = read_item_names(item_names, predictor.recipe.item_col, **read_as)
        intro, sections = collab_report_sections(
            predictor,
            frame,
            source,
            top_k=top_k,
            seed=seed,
            item_names=named,
            header=isinstance(data, pd.DataFrame) or has_header_row(data, frame, encoding),
            k=k,
        )
        sections.insert(0, _training_section(Path(model_dir), predictor.metadata))
        text = _page(Path(model_dir), predictor.metadata, intro, sections)
        return write_text_atomic(destination, text)
    if not isinstance(predictor, TabularPredictor):
        raise ConfigError(
            f"trainwell report supports tabular, image, text and ratings models; '{model_dir}' holds another kind"
        )
    task = predictor.task
    if task.kind not in SUPPORTED:
        raise ConfigError(
            f"trainwell report supports binary, multiclass, multi-label and regression models; '{model_dir}' "
            f"is {task.kind}"
        )
    source = data_name or (str(data) if not isinstance(data, pd.DataFrame) else "the data")
    frame = (
        _read_rows(data, task, names, encoding, encoding_errors)
        if not isinstance(data, pd.DataFrame)
        else data
    )
    # A DataFrame's rows are named by its own index labels among the top losses (df.loc finds them); a file's by
    # their data rows. The frame is read by position below, so its index is reset once its labels are kept.
    labels = frame.index if isinstance(data, pd.DataFrame) else None
    given, frame = frame, frame.reset_index(drop=True)
    unknown = ""
    if task.kind == "multilabel" and all(name in frame.columns for name in task.target_names):
        from trainwell.tabular.data import say_unknown_labels

        # Labels these rows hold that no training row did: the model has no output for them (said, on the
        # terminal and the page, not dropped in silence as the encoding drops them).
        unknown = say_unknown_labels(task, frame, source, "the report's figures")
    targets = labelled_targets(predictor, frame, source, "the report")
    probabilities = predictor.predict_proba(given)  # a bad value is named by its label too
    overlap = _training_overlap(predictor.metadata, frame)
    sections = [
        _training_section(Path(model_dir), predictor.metadata),
        _metrics_section(
            task,
            probabilities,
            targets,
            len(frame),
            source,
            title="Metrics on rows the model trained on"
            if overlap
            else "Test metrics"
            if "(the test split of " in source  # a folder's test split, held out of every choice
            else "Metrics on held-out data",
            seed=seed,
            metadata=predictor.metadata,
        ),
    ]
    if task.kind == "multilabel":
        sections.extend(_outputs.label_sections(task, probabilities, targets, seed=seed))
    elif has_several_outputs(task):
        sections.append(_outputs.targets_section(task, probabilities, targets))
    elif task.kind == "regression":
        sections.extend(
            _regression_sections(task, probabilities, targets, k=top_k, metadata=predictor.metadata)
        )
    else:
        sections.extend(_classification_sections(_interpretation(task, probabilities, targets), seed=seed))
    sections.append(
        _top_losses_section(
            task,
            probabilities,
            targets,
            frame,
            predictor.input_names,
            top_k,
            labels,
            header_row=labels is not None or has_header_row(data, frame, encoding),
        )
    )
    sections.append(_importance_section(predictor, frame, targets, seed))
    intro = [
        _html.facts(
            f"{model_words(task, 'table')} predicting {_quoted(task.target_names)}{classes_words(task)}",
            f"{len(frame):,} labelled rows from {source}",
        )
    ]
    if overlap:
        intro.append(_html.paragraph(overlap))
    if unknown:
        intro.append(_html.paragraph(f"Warning: {unknown}."))
    text = _page(Path(model_dir), predictor.metadata, intro, sections)
    return write_text_atomic(destination, text)


def model_words(task: Any, application: str) -> str:
    """What the model is, as the header's Model line opens for every kind of model: "binary table classifier",
    "multi-label image classifier", "text regression (2 targets)"."""
    if task.kind == "regression":
        several = len(task.target_names) > 1
        return f"{application} regression" + (f" ({len(task.target_names)} targets)" if several else "")
    kind = "multi-label" if task.kind == "multilabel" else task.kind
    return f"{kind} {application} classifier"


#: Classes a header's Model line names; more are counted.
NAMED_CLASSES = 12


def classes_words(task: Any) -> str:
    """A classifier's classes as the header's Model line ends: `` (neg, pos)``, or `` (40 classes)``; "" for a
    regression."""
    classes = list(getattr(task, "classes", None) or ()) if task.kind != "regression" else []
    if not classes:
        return ""
    if len(classes) > NAMED_CLASSES:
        return f" ({len(classes)} {'labels' if task.kind == 'multilabel' else 'classes'})"
    return f" ({', '.join(map(str, classes))})"


def fitted_when(metadata: dict[str, Any]) -> str:
    """When the model was fitted, as the header says it: ``2026-12-06 22:58 UTC`` from the ``created`` time its
    directory records (ISO 8601, UTC); "not recorded" when it has none."""
    from datetime import datetime, timezone

    created = metadata.get("created")
    try:
        moment = datetime.fromisoformat(str(created))
    except ValueError:
        return "not recorded"
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def _page(model_dir: Path, metadata: dict[str, Any], intro: list[str], sections: list[str]) -> str:
    """The report's page, opened by the same header for every kind of model (:func:`_html.header`): the
    model's :class:`~trainwell.report._html.Facts`, the first of ``intro``, said as its lines, with the model
    directory and when it was fitted."""
    first = intro[0] if intro else None
    if isinstance(first, _html.Facts):
        given: _html.Facts | None = first
        rest = intro[1:]
    else:
        given, rest = None, intro
    head = _html.header(
        model_dir,
        given.model if given is not None else "described below",
        fitted_when(metadata),
        given.evaluated if given is not None else "described below",
        trainwell.__version__,
    )
    # A banner (the model does not beat its trivial answer) opens the page, under the header, before the
    # sections it puts in doubt; it is moved out of the section that found it.
    banners: list[str] = []
    kept = []
    for part in sections:
        found = _BANNER.findall(part)
        banners.extend(found)
        kept.append(_BANNER.sub("", part) if found else part)
    return _html.page(f"{REPORT_TITLE}: {model_dir.name}", [head, *banners, *rest], kept)


_BANNER = re.compile(r'<p class="banner">.*?</p>\n?', re.DOTALL)


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)


def default_out(model_dir: Path) -> Path:
    """Where a report goes without ``out``: into the model directory, so that reports on two models never
    overwrite each other; beside it in the current directory when the model directory is read-only."""
    if model_dir.is_dir() and os.access(model_dir, os.W_OK | os.X_OK):
        return model_dir / DEFAULT_OUT
    return Path(f"{model_dir.resolve().name or 'model'}-{DEFAULT_OUT}")


def _check_out(path: Path) -> Path:
    if path.is_dir():
        raise ConfigError(f"--out '{path}' is a directory; pass a file name such as {path / DEFAULT_OUT}")
    blocking = next((parent for parent in path.parents if parent.exists() and not parent.is_dir()), None)
    if blocking is not None:
        raise ConfigError(f"--out '{path}' cannot be created: '{blocking}' is a file; choose another --out")
    return path


def row_losses(task: Task, probabilities: torch.Tensor, targets: torch.Tensor) -> np.ndarray:
    """Per-row loss from activated outputs: ``-log p(true class)`` for classifiers, squared error otherwise.

    Args:
        task: the model's task.
        probabilities: binary ``(N,)`` P(classes[1]); multiclass ``(N, C)``; regression ``(N,)`` values.
        targets: encoded targets ``(N,)``.

    Multi-label and several regression targets: see :func:`trainwell.report._outputs.output_row_losses`.
    """
    if has_several_outputs(task):
        return _outputs.output_row_losses(task, probabilities, targets)
    if task.kind == "regression":
        return ((probabilities.reshape(-1) - targets.reshape(-1).float()) ** 2).numpy()
    if task.kind == "binary":
        positive = probabilities.reshape(-1)
        true_probability = torch.where(targets.reshape(-1) >= 0.5, positive, 1.0 - positive)
    else:
        true_probability = probabilities.gather(1, targets.long().reshape(-1, 1)).reshape(-1)
    return (-torch.log(true_probability.clamp_min(EPS))).numpy()


def _interpretation(
    task: Task, probabilities: torch.Tensor, targets: torch.Tensor
) -> ClassificationInterpretation:
    if task.kind == "binary":
        predicted = (probabilities >= task.threshold).long()
        confidence = torch.where(predicted == 1, probabilities, 1.0 - probabilities)
    else:
        confidence, predicted = probabilities.max(dim=-1)
    return ClassificationInterpretation(
        task,
        row_losses(task, probabilities, targets),
        targets.long().numpy(),
        predicted.numpy(),
        confidence.numpy(),
    )


def fitted_without_batches(metadata: dict[str, Any]) -> bool:
    """Whether the model was fitted in one step, not trained by batches (boosted trees, EASE): its history has
    a training loss column with no number in it. Its gradient settings (optimizer, weight decay, epochs), which
    ``trainwell.json`` records for every fit, were never used."""
    history = (metadata.get("training") or {}).get("history") or []
    losses = [row["train_loss"] for row in history if "train_loss" in row]
    return bool(losses) and not any(_is_number(loss) for loss in losses)


def _training_section(model_dir: Path, metadata: dict[str, Any]) -> str:
    history = (metadata.get("training") or {}).get("history") or []
    if fitted_without_batches(metadata):
        # Nothing was trained by gradient (EASE is fitted in closed form): a curves.png written before shows
        # one validation dot on an empty batch axis, and the history a blank train_loss. Say how it was fitted.
        body = [_html.paragraph(_fitted_without_batches(metadata))]
        beaten = model_dir / "mlp_curves.png"
        if beaten.is_file():  # fit --arch auto kept the trees: the MLP they beat trained as these curves show
            png = beaten.read_bytes()
            body.append(
                _html.paragraph("The MLP the trees were compared with trained as follows (mlp_curves.png):")
            )
            body.append(
                _html.panels_image(png, side_by_side_panels(png), "training curves of the MLP compared")
            )
        return _html.section("training", "How the model was fitted", body)
    body = []
    for name, alt in (("curves.png", "training curves"), ("lr_find.png", "learning-rate finder")):
        if (model_dir / name).is_file():
            png = (model_dir / name).read_bytes()
            # The curves' panels side by side, stacked in a narrow window.
            body.append(
                _html.panels_image(png, side_by_side_panels(png) if name == "curves.png" else [], alt)
            )
        if name == "curves.png" and not (metadata.get("training") or {}).get("weights_from_epoch"):
            # Under the curves, as fit said it (a report is what gets shared); not when the best epoch was kept.
            overfits = overfitting_note(history)
            if overfits is not None:
                body.append(_html.paragraph(f"Warning: {overfits[0].upper()}{overfits[1:]}."))
    if history:
        columns = list(dict.fromkeys(key for row in history for key in row))
        # Epochs counted from 1 over every fit, as curves.png and the fit's own table count them, by the rows'
        # place: a directory written before kept each fit's 0-based epoch in its rows.
        shown = epochs_from_one(history)
        weights = (metadata.get("training") or {}).get("weights_from_epoch")
        kept = (
            weights
            if isinstance(weights, int) and any(row.get("epoch") == weights for row in shown)
            else None
        )
        body.append(
            _html.table(
                [HISTORY_HEADERS.get(key, key) for key in columns]
                + (["weights"] if kept is not None else []),
                (
                    [_history_cell(key, row.get(key, "")) for key in columns]
                    + (["kept" if row.get("epoch") == kept else ""] if kept is not None else [])
                    for row in shown
                ),
                stack=False,
            )
        )
        if kept is not None:
            body.append(_html.paragraph(kept_epoch_words(kept, len(shown))))
    budget = (metadata.get("training") or {}).get("time_budget")
    if isinstance(budget, dict) and budget.get("summary"):
        summary = str(budget["summary"])
        body.append(_html.paragraph(f"Trained within a time budget: {summary[0].upper()}{summary[1:]}."))
    if not body:
        body.append(_html.paragraph("This model directory holds no training curves nor history.", note=True))
    return _html.section("training", "Training curves", body)


def kept_epoch_words(epoch: int, epochs: int) -> str:
    """Which epoch's weights the model holds, and so the report judges, as fit said it ("kept epoch 4's
    weights") and the report without data heads its column: the best epoch by validation loss, loaded back."""
    after = epochs - epoch
    later = (
        f"; the {after} later epoch{' was' if after == 1 else 's were'} trained but not kept"
        if after > 0
        else ""
    )
    return (
        f"The model holds epoch {epoch}'s weights, the best by validation loss, loaded back at the end of fit: "
        f"every figure in this report judges them{later}."
    )


#: The history's columns that need a unit or what they measure said in the report's table: seconds an epoch took,
#: the learning rate of its last batch (a one-cycle schedule's rate changes every batch).
HISTORY_HEADERS = {"time": "time (s)", "lr": "lr (at epoch end)"}


def _history_cell(key: str, value: Any) -> Any:
    """A cell of the training history: the learning rate in scientific notation (``3.0e-03``) in every row, an
    epoch's seconds to one decimal (``4.5``: its milliseconds are noise), the figures to 4 decimals."""
    if (
        key == "time"
        and isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    ):
        # Under a tenth of a second (a tiny table's epoch), its first digits: "0.04", not "0.0".
        return _html.Written(
            f"{float(value):.1f}" if abs(value) >= 0.095 or value == 0 else f"{float(value):.1g}"
        )
    return _html.scientific(value) if key == "lr" else value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _fitted_without_batches(metadata: dict[str, Any]) -> str:
    """One sentence on how a model whose history has no training loss was fitted."""
    architecture = metadata.get("architecture") or {}
    config = architecture.get("config") or {}
    if architecture.get("name") == "ease" and "lam" in config:
        interactions = config.get("n_interactions")
        on = (
            f"the {interactions:,} training interactions"
            if isinstance(interactions, int)
            else "the training interactions"
        )
        return (
            f"Fitted in closed form, not by gradient descent: EASE solves for its item-to-item weights on {on} in "
            f"one step, with λ = {float(config['lam']):g} (chosen on an inner hold-out of those interactions "
            "unless ease_lambda was given), so there are no training curves."
        )
    if architecture.get("name") == "gbdt":
        settings = config.get("settings") or {}
        chosen = (metadata.get("training") or {}).get("compared")
        against = ""
        if isinstance(chosen, dict) and isinstance(
            (chosen.get("tabular_mlp") or {}).get("valid_loss"), float
        ):
            gbdt, mlp = chosen["gbdt"]["valid_loss"], chosen["tabular_mlp"]["valid_loss"]
            # As the command line writes them (3,036,493,906, not 3.036e+09); a squared error's root beside it.
            against = (
                f" Chosen over the MLP (fit --arch auto) by validation loss: {figure(gbdt, like=mlp)} against "
                f"{figure(mlp, like=gbdt)} on the same rows"
                + (
                    f" (RMSE {figure(math.sqrt(gbdt), like=math.sqrt(mlp))} against "
                    f"{figure(math.sqrt(mlp), like=math.sqrt(gbdt))})."
                    if (metadata.get("training") or {}).get("loss") == "MSE" and min(gbdt, mlp) >= 0
                    else "."
                )
            )
        refit = (metadata.get("training") or {}).get("refit")
        if isinstance(refit, dict) and isinstance(refit.get("rows"), int):  # fit --refit-full
            stopping = (
                f", the number early stopping chose on the validation rows, then refit on all {refit['rows']:,} "
                f"training and validation rows (validation losses here are the model's before the refit, trained on "
                f"{refit.get('validated_rows', 0):,})"
            )
        else:
            stopping = _early_stopping(settings.get("early_stopping"), settings.get("stopped_on"))
        return (
            f"Gradient-boosted trees (scikit-learn's HistGradientBoosting, held as tensors): "
            f"{settings.get('n_iter')} boosting rounds at learning rate {settings.get('learning_rate')}, up to "
            f"{settings.get('max_leaf_nodes')} leaves a tree{stopping}. Trees "
            f"are grown, not trained by gradient steps, so there are no training curves.{against}"
        )
    return "No training batches were run (the history has no training loss), so there are no training curves."


def _early_stopping(setting: object, stopped_on: object = None) -> str:
    """How the rounds were chosen, in words: scikit-learn's ``early_stopping`` is True, False or "auto";
    ``stopped_on`` ``"validation"``: on the validation rows (trees fitted with them), else an inner tenth."""
    if setting is True and stopped_on == "validation":
        return ", stopped at the round of lowest loss on the validation rows"
    if setting is True:
        return ", stopped early on an inner tenth of the training rows"
    if setting is False:
        return ", every round kept (no early stopping)"
    return f", with early stopping {setting!r} (scikit-learn's: on when there are over 10,000 rows)"


#: Share of a report's rows found among the training rows from which the report warns.
TRAINING_OVERLAP_WARNING = 0.05
#: Fewer rows checked than this, and the warning gives the count found and an interval, not "about N%".
FEW_CHECKED = 30


def training_overlap_words(metadata: dict[str, Any], frame: pd.DataFrame, unit: str = "rows") -> str:
    """How many of the ``unit`` (rows, texts, images) of ``frame`` trained the model, in words ("80% of these
    images trained the model (110 of 137, every one checked against a sketch of its 412 training images)"), when
    they are at least :data:`TRAINING_OVERLAP_WARNING` of them; "" otherwise, or when the model kept no sketch
    of its training rows. ``report`` warns with it, and ``predict`` beside the accuracy it prints."""
    from trainwell.data.fingerprint import RowSketch, wilson_interval

    stored = (metadata.get("training") or {}).get("rows_sketch")
    if not stored:
        return ""
    sketch = RowSketch.from_dict(stored)
    found, sampled = sketch.training_count(frame)
    if not sampled or found / sampled < TRAINING_OVERLAP_WARNING:
        return ""
    low, high = wilson_interval(found, sampled)
    # Rounded outwards: the interval never claims more than it knows (5 of 5 is not "100%").
    low_percent, high_percent = math.floor(100 * low), math.ceil(100 * high)
    against = f"against a sketch of its {sketch.n_rows} training {unit}"
    if sampled == len(frame):  # the sketch could check every row: a count, not an estimate
        found_words = (
            f"{share(found / sampled)} of these {unit} trained the model ({found} of {sampled}, every one checked "
            f"{against})"
        )
    elif sampled < FEW_CHECKED:
        were = f"all {sampled}" if found == sampled else f"{found} of those {sampled}"
        found_words = (
            f"at least {found} of these {len(frame)} {unit} trained the model: a sketch of its {sketch.n_rows} "
            f"training {unit} can check only {sampled} of them (a random few) and {were} were training {unit}, "
            f"so anywhere from {low_percent}% to {high_percent}% of the {len(frame)} may have (95% interval)"
        )
    else:
        found_words = (
            f"about {share(found / sampled)} of these {unit} trained the model (95% interval {low_percent}% to "
            f"{high_percent}%: {found} of {sampled} of them, a random sample, checked {against})"
        )
    return found_words


def _training_overlap(metadata: dict[str, Any], frame: pd.DataFrame, unit: str = "rows") -> str:
    """A warning when the ``unit`` (rows, texts) to report on are largely those the model trained on ("" if
    not)."""
    found_words = training_overlap_words(metadata, frame, unit)
    if not found_words:
        return ""
    advice = (
        f"report on {unit} it has not seen: a test file, or validation {unit} you split off before fitting "
        f"(fit keeps no copy of the {unit} it held out)"
    )
    # Said on the terminal too: the page's warning is easy to miss behind "wrote report.html".
    warn(
        f"{found_words}: the report's metrics measure the fit, not new {unit}; {advice}",
        UserWarning,
    )
    return (
        f"Warning: {found_words}. Metrics on them measure how well it fitted, not how it does on new {unit}: "
        f"{advice}."
    )


#: The metrics whose interval is a Wilson interval: proportions, successes of trials.
_PROPORTIONS = frozenset({"accuracy", "error_rate", "precision", "recall", "top10_precision"})


def _metrics_section(
    task: Task,
    probabilities: torch.Tensor,
    targets: torch.Tensor,
    n_rows: int,
    source: str,
    unit: str = "row",
    title: str = "Metrics on held-out data",
    seed: int = 0,
    metadata: dict[str, Any] | None = None,
) -> str:
    """The metrics table of a report on ``n_rows`` judged rows, with the small-sample caution under it when they are
    few; ``metadata`` (the model directory's): its training rows' class shares, when it keeps them, are the
    constant answer the accuracy is compared with (an older model directory: the judged rows' own commoner class,
    said as such)."""
    shares = ((metadata or {}).get("training") or {}).get("class_shares")
    lines = explain_validation(
        task,
        probabilities,
        targets,
        task.metric_names,
        unit=unit,
        seed=seed,
        n_boot=RESAMPLES,
        train_shares=shares if isinstance(shares, list) else None,
    )
    rows = [(line.name, line.value, _html.interval(line.low, line.high), line.sentence) for line in lines]
    # the metrics of the table that are proportions, named: a regression's table has none to name
    proportions = [line.name for line in lines if line.name in _PROPORTIONS]
    how = (
        f"a Wilson interval for proportions ({', '.join(proportions)}: successes of trials), a percentile "
        f"bootstrap over {unit}s otherwise"
        if proportions
        else f"a percentile bootstrap over {unit}s"
    )
    body = [
        _html.paragraph(
            f"On {source if unit != 'row' else f'{n_rows:,} rows from {source}'}; the 95% interval is {how}; "
            '"not estimable" where every resample scored the same.',
            note=True,
        ),
        _html.table(["metric", "value", "95% interval", "what it means here"], rows),
    ]
    caution = small_sample_caution(len(targets), unit) if lines else ""
    if caution:  # a line of its own under the table, as the fit's table says it
        body.append(_html.paragraph(caution))
    worse = _worse_than_the_mean(lines, task.target_names, unit)
    if worse:
        body.insert(0, _html.paragraph(f"Warning: {worse}."))
    trivial = baseline_not_beaten(
        task, probabilities, targets, lines, shares if isinstance(shares, list) else None, unit
    )
    if trivial:  # at the top of the page (_page puts a banner under the header), before anything it explains
        body.insert(0, _html.banner(f"Warning: {trivial}."))
    return _html.section("metrics", title, body)


#: The confidence of the interval an accuracy above the trivial answer's share must clear it by, as fit's warning
#: (trainwell.text.majority.MARGIN_LEVEL): the 90% Wilson interval's lower bound, a one-sided test at 5%.
BASELINE_MARGIN_LEVEL = 0.90


def baseline_not_beaten(
    task: Task,
    probabilities: torch.Tensor,
    targets: torch.Tensor,
    lines: Sequence[MetricLine],
    train_shares: Sequence[float] | None,
    unit: str = "row",
) -> str:
    """A warning when the model's decisions on these ``unit``s do not beat the trivial answer, as fit warns on
    its validation rows (:class:`~trainwell.metrics.label_baselines.BaselineNotBeaten`): a classifier's accuracy
    not above always answering the training rows' commonest class (these rows' own, for a model directory that
    does not keep its training shares), or above it by less than chance allows (the lower end of its 90% Wilson
    interval is not); a multi-label model's accuracy over label decisions not above answering no to every
    label. "" when it does beat it, or for another kind of model."""
    from trainwell.evaluate.intervals import wilson_interval

    count = len(targets)
    if not count or task.kind not in ("binary", "multiclass", "multilabel"):
        return ""
    if task.kind == "multilabel":
        found = [line for line in lines if line.name == "accuracy"]
        if not found or not math.isfinite(found[0].value):
            return ""
        accuracy, all_no = found[0].value, 1.0 - float(targets.float().mean())
        if accuracy > all_no + 1e-9:
            return ""
        return (
            f"the model's label decisions on these {count:,} {unit}s do not beat answering no to every label: "
            f"accuracy {figure(accuracy)} against {figure(all_no)}. The sections below explain a model no "
            "better than that trivial answer (fit warns so when its validation rows show it): train longer or "
            "check the labels before relying on it"
        )
    scores = probabilities.reshape(count, -1)
    if task.kind == "binary":
        decided = (scores[:, -1] >= task.threshold).long().numpy()
        truth = (targets.reshape(-1) > 0.5).long().numpy()
    else:
        decided = scores.argmax(dim=-1).numpy()
        truth = targets.reshape(-1).long().numpy()
    n_classes = len(task.classes)
    if train_shares is not None and len(train_shares) == n_classes:
        chosen = int(max(range(n_classes), key=lambda index: float(train_shares[index])))
        whose = "the training rows' commonest class"
    else:
        chosen = int(np.bincount(truth, minlength=n_classes).argmax())
        whose = f"the commonest class of these {unit}s"
    baseline = float((truth == chosen).mean())
    hits = int((decided == truth).sum())
    accuracy = hits / count
    margin = ""
    if accuracy > baseline + 1e-9:
        low = wilson_interval(hits, count, BASELINE_MARGIN_LEVEL)[0]
        if low > baseline:
            return ""
        margin = (
            f", above it by less than chance allows on {count:,} {unit}s (its {BASELINE_MARGIN_LEVEL:.0%} "
            f"interval starts at {figure(low)})"
        )
    answers = np.unique(decided)
    one = (
        f" It answers '{task.classes[int(answers[0])]}' for every {unit}, so the sections below explain a model "
        "that answers one class."
        if len(answers) == 1
        else " The sections below explain a model no better than that constant answer."
    )
    return (
        f"the model does not beat always answering '{task.classes[chosen]}' ({whose}) on these {count:,} "
        f"{unit}s: accuracy {figure(accuracy)} against {figure(baseline)}{margin}.{one} It has learned nothing "
        "usable yet (fit warns so when its validation rows show it): train longer (a longer --time or more "
        "epochs) before relying on it"
    )


def _worse_than_the_mean(lines: Sequence[MetricLine], target_names: Sequence[str], unit: str) -> str:
    """A warning when R² is below 0 (the model errs more than always predicting the mean), "" if not; said on
    the terminal too."""
    found = []
    for line in lines:
        metric, target = split_target_key(line.name)
        if metric != "r2" or not line.value < 0:
            continue
        if target is None and len(target_names) > 1:
            continue  # the average over targets: each target's own line says which
        name = target if target is not None else target_names[0] if target_names else "the target"
        found.append((name, f"R² {line.value:.3g}, 95% interval {line.low:.3g} to {line.high:.3g}"))
    if not found:
        return ""
    names = " and ".join(f"'{name}'" for name, _ in found)
    details = "; ".join(f"{name}: {detail}" if len(found) > 1 else detail for name, detail in found)
    warning = (
        f"on these {unit}s the model predicts {names} worse than always answering the mean would ({details}): "
        "a constant guess beats it. Check that they come from the same population as the training data, and "
        "how the model did on its own validation rows"
    )
    warn(warning, UserWarning)
    return warning


def judged_sections(
    task: Task,
    probabilities: torch.Tensor,
    targets: torch.Tensor,
    judged: tuple[int, str],
    unit: str,
    *,
    trained_on: bool,
    test_split: bool,
    seed: int = 0,
    metadata: dict[str, Any] | None = None,
) -> list[str]:
    """The metrics of a model of texts or images (``unit``) on the ``judged`` examples (their count and how to
    name them), titled by what they are (the training examples, a folder's test split held out of every choice,
    or validation examples), then its confusion and calibration, each label's quality when multi-label, or its
    predictions against the true values when a regression, placed against the range of the training targets
    that the model's ``metadata`` records (``None``: not placed)."""
    title = (
        f"Metrics on {unit}s the model trained on"
        if trained_on
        else "Test metrics"
        if test_split
        else "Metrics on held-out data"
    )
    count, where = judged
    sections = [
        _metrics_section(
            task, probabilities, targets, count, where, unit=unit, title=title, seed=seed, metadata=metadata
        )
    ]
    if task.kind == "multilabel":
        sections.extend(_outputs.label_sections(task, probabilities, targets, unit=unit, seed=seed))
    elif has_several_outputs(task):
        sections.append(
            _outputs.targets_section(
                task,
                probabilities,
                targets,
                unit=unit,
                metadata=metadata,
                place_in_training=metadata is not None,
            )
        )
    elif task.kind == "regression":
        sections.extend(
            _regression_sections(
                task,
                probabilities,
                targets,
                unit=f"{unit}s",
                metadata=metadata,
                place_in_training=metadata is not None,
            )
        )
    else:
        sections.extend(
            _classification_sections(_interpretation(task, probabilities, targets), unit=unit, seed=seed)
        )
    return sections


def _classification_sections(
    interpretation: ClassificationInterpretation, unit: str = "row", seed: int = 0
) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="trainwell-report-") as scratch:
        confusion = interpretation.plot_confusion_matrix(Path(scratch) / "confusion.png").read_bytes()
        calibration = interpretation.plot_calibration(Path(scratch) / "calibration.png").read_bytes()
    pairs = interpretation.most_confused()
    # Counted in what was judged (rows, images, texts), as every other table of the report counts them.
    confused = [
        _html.table(["actual", "predicted", f"{unit}s"], pairs[:CONFUSED_PAIRS])
        if pairs
        else _html.paragraph(f"No {unit} was misclassified.", note=True)
    ]
    if len(pairs) > CONFUSED_PAIRS:
        # Ten classes can be confused in 90 ways: the long tail of pairs seen once or twice is in the matrix.
        rest = pairs[CONFUSED_PAIRS:]
        n_examples = sum(count for _, _, count in rest)
        confused.append(
            _html.paragraph(
                f"{len(rest)} more pairs ({_outputs.counted(n_examples, unit)}, at most "
                f"{max(count for _, _, count in rest)} each) are not listed; the confusion matrix above counts "
                "them all.",
                note=True,
            )
        )
    return [
        _html.section(
            "confusion",
            "Confusion matrix",
            [_html.image(confusion, "confusion matrix"), "<h3>Most confused pairs</h3>", *confused],
        ),
        _outputs.class_section(
            interpretation.task.classes, interpretation.actual, interpretation.predicted, unit=unit, seed=seed
        ),
        *(
            # The probability of the positive class, read back from the decisions and their confidence.
            [
                _outputs.threshold_section(
                    interpretation.task,
                    np.where(
                        interpretation.predicted == 1,
                        interpretation.confidence,
                        1.0 - interpretation.confidence,
                    ),
                    interpretation.actual,
                    unit=unit,
                )
            ]
            if interpretation.task.kind == "binary"
            else []
        ),
        _html.section(
            "calibration",
            "Calibration",
            [
                _html.paragraph(
                    # The words of the figure's axes, which differ for two classes and for more.
                    (
                        "The mean predicted probability of the positive class against how often it is the actual "
                        "class, per bin"
                        if interpretation.task.kind == "binary"
                        else "The mean confidence of the predicted class (its probability) against how often the "
                        "prediction is right (accuracy), per bin"
                    )
                    + "; a calibrated model follows the diagonal.",
                    note=True,
                ),
                _html.image(calibration, "calibration diagram"),
            ],
        ),
    ]


def _regression_section(
    predictions: torch.Tensor, targets: torch.Tensor, unit: str = "rows", placed: str = ""
) -> str:
    """Predictions against the true values (a recommender's ratings are judged by it alone), under ``placed``:
    where the predictions lie against the training targets' range (:func:`training_range_sentence`)."""
    png = predicted_vs_actual_png(
        predictions.reshape(-1).numpy(), targets.reshape(-1).float().numpy(), unit=unit
    )
    return _html.section(
        "predictions",
        "Predicted against actual",
        [*([_html.paragraph(placed)] if placed else []), _html.image(png, "predicted against actual")],
    )


def _regression_sections(
    task: Task,
    predictions: torch.Tensor,
    targets: torch.Tensor,
    unit: str = "rows",
    k: int = TOP_LOSSES,
    metadata: dict[str, Any] | None = None,
    place_in_training: bool = False,
) -> list[str]:
    """Predicted against actual, then where the errors lie: the plain-words summary of
    :meth:`RegressionInterpretation.describe` with its caveats (a capped target, predictions past every known
    value), the residuals and the error by range of the actual value, drawn by the interpretation's own plots.
    ``place_in_training``: say where the predictions lie against the training targets' range (a text or image
    model records it; "not recorded" for one fitted before)."""
    predicted, actual = predictions.reshape(-1).numpy(), targets.reshape(-1).float().numpy()
    interpretation = RegressionInterpretation(task, actual, predicted)
    # A text or image model keeps its training targets' range (its head's hint); a table's model does not.
    known = trained_range(metadata)
    caveats = interpretation.caveats(k=k, trained_range=known)
    name = task.target_names[0] if task.target_names else "the target"
    placed = (
        training_range_sentence(name, predicted, (known[0][0], known[1][0]) if known else None)
        if place_in_training
        else ""
    )
    with tempfile.TemporaryDirectory(prefix="trainwell-report-") as scratch:
        residuals = interpretation.plot_residuals(Path(scratch) / "residuals.png").read_bytes()
        by_range = interpretation.plot_error_by_range(Path(scratch) / "error_by_range.png").read_bytes()
    return [
        _regression_section(predictions, targets, unit, placed),
        _html.section(
            "errors",
            "Where the errors lie",
            [
                _html.paragraph(interpretation.describe()),
                *(_html.paragraph(caveat) for caveat in caveats),
                _html.paragraph(
                    "Residual is actual - predicted: above the dashed zero line the model predicted too low.",
                    note=True,
                ),
                _html.image(residuals, "residuals against predicted"),
                _html.image(by_range, "mean absolute error by range of the actual value"),
            ],
        ),
    ]


def _top_losses_section(
    task: Task,
    probabilities: torch.Tensor,
    targets: torch.Tensor,
    frame: pd.DataFrame,
    input_names: list[str],
    k: int,
    labels: pd.Index | None = None,
    *,
    header_row: bool = True,
) -> str:
    """The ``k`` rows of highest loss, each named by its data row in the file or, where ``labels`` gives a
    DataFrame's index, by its own label (:func:`~trainwell.report._outputs.shown_row`); ``header_row``: whether the
    file's first line names its columns (else the note says row N is its line N)."""
    losses = row_losses(task, probabilities, targets)
    order = np.lexsort((np.arange(len(losses)), -losses))[:k]  # highest loss first, ties by row
    several = has_several_outputs(task)
    if several:
        header = ["row", *_outputs.top_losses_header(task), "loss"]
    else:
        predicted = task.decode(probabilities)
        # A regression's loss is a squared error (dollars², billions for a house price): the rows are ordered by
        # it, and the column shows the absolute error, in the target's units.
        header = [
            "row",
            "actual",
            "predicted",
            *(["probability"] if task.is_classification else []),
            "loss" if task.is_classification else "|error|",
        ]
    if task.kind in ("binary", "multiclass"):
        chosen = (
            probabilities if task.kind == "multiclass" else torch.stack([1 - probabilities, probabilities], 1)
        )
        confidence = chosen.max(dim=-1).values.numpy()
    rows = []
    for index in order.tolist():
        row: list[Any] = [_outputs.shown_row(index, labels)]
        if several:
            row.extend(_outputs.top_losses_cells(task, probabilities, targets, index))
        else:
            actual = (
                _outputs.actual_class(task, targets, index)
                if task.is_classification
                else frame[task.target_names[0]].iloc[index]
            )
            row.extend([_cell(actual), _cell(predicted[index])])
            if task.is_classification:
                row.append(float(confidence[index]))
        row.append(float(losses[index]) if several or task.is_classification else math.sqrt(losses[index]))
        row.extend(_html.datum(_cell(frame[name].iloc[index])) for name in input_names)
        rows.append(row)
    if several:
        what = _outputs.loss_words(task)
    else:
        what = (
            "-log of the probability given to the true class"
            if task.is_classification
            else "squared error; |error| is |actual - predicted|, in the target's units"
        )
    note = (
        f"The {len(rows)} rows with the highest loss ({what})"
        + ("; probability is that of the predicted class" if task.kind in ("binary", "multiclass") else "")
        + f". {_outputs.row_numbers(labels, header_row)}."
    )
    return _html.section(
        "top-losses",
        "Top losses",
        [_html.paragraph(note, note=True), _html.table([*header, *input_names], rows)],
    )


def _read_rows(
    data: str | Path, task: Task, names: Sequence[str] | None, encoding: str, encoding_errors: str
) -> pd.DataFrame:
    """The table ``data`` read as :func:`~trainwell.data.io.read_table` reads it, but for a multi-label target of
    delimited labels (``--label-delim ,``), kept as written, as fit reads it: ids '0,1' in a TSV were read as the
    number 0.1 (a decimal comma) and the report stopped on a TypeError."""
    delim = task.label_delim if task.kind == "multilabel" and len(task.target_names) == 1 else None
    kept = [task.target_names[0]] if delim is not None else []
    return read_table(data, names=names, encoding=encoding, encoding_errors=encoding_errors, as_written=kept)


def has_header_row(data: Any, frame: pd.DataFrame, encoding: str) -> bool:
    """Whether the CSV or TSV file ``data`` opens with a header row, read from it as ``frame``: a file read with
    ``--names`` (given, or those fit recorded) or a recommender's own columns (MovieLens' u.data) has none, so its
    row N is its line N, which the top losses say. Its first line is a header when more than half of its fields
    are column names; a Parquet or JSON file names its columns."""
    from trainwell.data.io import WORKBOOK_SUFFIXES, first_row

    path = Path(data)
    named = (".parquet", ".pq", ".arrow", ".jsonl", ".jsonl.gz", ".ndjson", *WORKBOOK_SUFFIXES)
    if not path.is_file() or path.name.lower().endswith(named):
        return True
    try:
        first = first_row(path, encoding)
    except (OSError, ValueError, UnicodeError):
        return True
    if first is None:
        return True
    names = {str(column).strip() for column in frame.columns}
    return 2 * sum(field in names for field in first.fields) > len(first.fields)


def _cell(value: Any) -> Any:
    # numpy scalars become Python ones so that numbers are formatted and aligned as numbers.
    return value.item() if isinstance(value, np.generic) else value


#: The report's permutation importance: shuffles per column, and the rows it scores at most (a seeded sample
#: beyond that; the time goes on the model's predictions, one pass of the rows per shuffle).
IMPORTANCE_REPEATS = 5
IMPORTANCE_ROWS = 5000


def _importance_section(
    predictor: TabularPredictor, frame: pd.DataFrame, targets: torch.Tensor, seed: int
) -> str:
    metric = main_metric(predictor.task)
    sampled = len(frame) > IMPORTANCE_ROWS
    importances = permutation_importance(
        predictor,
        frame,
        targets,
        n_repeats=IMPORTANCE_REPEATS,
        subsample=IMPORTANCE_ROWS if sampled else None,
        seed=seed,
        warn_training_rows=False,  # the report warns of its rows once, for every section
    )
    on_rows = f" on a seeded sample of {IMPORTANCE_ROWS:,} of the {len(frame):,} rows" if sampled else ""
    note = (
        f"Each input column is shuffled {IMPORTANCE_REPEATS} times (seed {seed}){on_rows} and {metric.name} "
        f"recomputed; importance is the average loss of quality, the {metric.loss_of_quality}, with a 95% "
        f"interval over the {IMPORTANCE_REPEATS} shuffles of these same rows. It says how steady each figure is "
        "under shuffling, not what other rows would give: an interval that includes zero, the model does not "
        'measurably rely on the column here; one below zero ("no help"), it scored better with the column '
        "shuffled and gains nothing from it on these rows, which is not evidence that the column harms it "
        "elsewhere."
    )
    # One size for the column's figures and intervals, as the command line writes them: 0.0001 beside 0.1380,
    # not 6.835e-05; [50,010, 53,370] beside 51,690, not [5.001e+04, 5.337e+04].
    largest = max(
        (
            abs(value)
            for item in importances
            for value in (item.importance, item.low, item.high)
            if math.isfinite(value)
        ),
        default=0.0,
    )
    return _html.section(
        "importance",
        "Permutation feature importance",
        [
            _html.paragraph(note, note=True),
            _html.image(
                importance_png(importances, metric.loss_of_quality), "permutation feature importance"
            ),
            _html.table(
                ["column", metric.loss_of_quality, "95% interval", "reading"],
                [
                    (
                        item.column,
                        item.importance,
                        _html.interval(item.low, item.high, like=largest),
                        item.said,
                    )
                    for item in importances
                ],
            ),
        ],
    )
