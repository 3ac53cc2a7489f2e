"""The report's sections for a text classifier: metrics, confusion, calibration, the worst texts as snippets, and
the words that drove a few predictions (occlusion: :mod:`trainwell.text._word_effects`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import torch

from trainwell.core.errors import ConfigError, DataError
from trainwell.report import _html, _outputs
from trainwell.text._fasttext import fasttext_lines

if TYPE_CHECKING:
    from trainwell.text.predictor import TextPredictor

#: Characters of each text shown among the top losses.
SNIPPET = 300


@dataclass(frozen=True)
class TextPlaces:
    """Where each text judged sits in the user's own files, which names it among the top losses in place of a row
    number: a folder has no rows (``file``, its path; and ``line`` in a file of a text a line), and a fastText file
    no header row and blank lines skipped (``line``)."""

    #: One row a text, in the order judged: the columns shown (``file``, ``line``).
    columns: pd.DataFrame
    #: How they name a text, in words, for the note below the table.
    note: str


def snippet(text: str, limit: int = SNIPPET) -> str:
    """The text on one line, cut at a word boundary near ``limit`` characters."""
    flat = " ".join(str(text).split())
    if len(flat) <= limit:
        return flat
    cut = flat.rfind(" ", 0, limit)
    return flat[: cut if cut > limit // 2 else limit] + " …"


def text_report_sections(
    predictor: TextPredictor,
    frame: pd.DataFrame,
    source: str,
    *,
    top_k: int,
    seed: int = 0,
    labels: pd.Index | None = None,
    places: TextPlaces | None = None,
    word_effects: bool = True,
) -> tuple[list[str], list[str]]:
    """Intro paragraphs and sections for a text model judged on the labelled rows of ``frame``; ``labels``: the
    index of the DataFrame they came from, which names the top losses (a file's rows go by their number);
    ``places``: where each text sits in a folder or fastText file (:func:`read_judged`), which names them
    instead; ``word_effects``: a classifier's section of the words behind its predictions (``False``: left
    out)."""
    from trainwell.report.build import (
        _training_overlap,
        classes_words,
        judged_sections,
        model_words,
        row_losses,
    )

    task = predictor.task
    names = list(task.target_names)
    if task.kind not in ("binary", "multiclass", "multilabel", "regression") or (
        len(names) != 1 and task.kind not in ("multilabel", "regression")
    ):
        raise ConfigError(
            f"the report supports binary, multiclass, multi-label and regression text models; this is {task.kind}"
        )
    target = names[0]
    columns = predictor.recipe.input_columns
    for name, what in (*((column, "text") for column in columns), *((name, "target") for name in names)):
        if name not in frame.columns:
            raise DataError(
                f"{what} column '{name}' not found in {source}; judging a model needs labelled texts. Columns are: "
                f"{', '.join(map(str, list(frame.columns)[:20]))}"
            )
    for name in names if task.label_delim is None else ():  # delimited labels: an empty cell is no label
        if frame[name].isna().any():
            raise DataError(f"target column '{name}' has missing values in {source}; drop or fill those rows")
    if task.kind == "multilabel" and len(names) == 1:
        from trainwell.data.task import infer_task

        given = infer_task(
            frame[target], name=target, kind="multilabel", label_delim=task.label_delim
        ).classes
        unknown = task.unknown_classes(given)
        if unknown:
            raise DataError(
                f"{source} has labels the model does not know: {unknown[:5]}; its labels are "
                f"{', '.join(map(str, task.classes))}"
            )
    targets = task.encode(frame[target] if len(names) == 1 else frame[names])
    probabilities = predictor.predict_proba(frame)
    overlap = _training_overlap(predictor.metadata, frame, unit="texts")
    sections = judged_sections(
        task,
        probabilities,
        targets,
        (len(frame), f"{len(frame):,} labelled texts from {source}"),
        "text",
        trained_on=bool(overlap),
        test_split="(the test split of " in source,  # a folder's test/, held out of every choice
        seed=seed,
        metadata=predictor.metadata,  # a regression's predictions placed against the training targets' range
    )
    losses = row_losses(task, probabilities, targets)
    # A pair's fields are shown side by side, as the model reads them.
    shown = frame[columns[0]] if len(columns) == 1 else frame[columns].astype(str).agg(" ‖ ".join, axis=1)
    shown_frame = frame.assign(**{" ‖ ".join(columns): shown})
    sections.append(
        _top_texts_section(
            task,
            shown_frame,
            " ‖ ".join(columns),
            target,
            probabilities,
            targets,
            losses,
            top_k,
            labels,
            places=places,
        )
    )
    # A pair's words sit in two texts: not explained.
    if word_effects and task.kind != "regression" and len(columns) == 1:
        sections.append(
            word_effects_section(
                predictor, frame[columns[0]], probabilities, targets, labels, places, seed=seed
            )
        )
    # The header's Model and Evaluated on lines (build's _page), worded as every other kind of model's.
    intro: list[str] = [
        _html.facts(
            f"{model_words(task, 'text')} predicting {', '.join(repr(str(name)) for name in names)} "
            f"from {' and '.join(repr(str(column)) for column in columns)}{classes_words(task)}",
            f"{len(frame):,} labelled texts from {source}",
        )
    ]
    if overlap:
        intro.append(_html.paragraph(overlap))
    return intro, sections


def _top_texts_section(
    task: Any,
    frame: pd.DataFrame,
    column: str,
    target: str,
    probabilities: torch.Tensor,
    targets: torch.Tensor,
    losses: np.ndarray,
    k: int,
    labels: pd.Index | None = None,
    *,
    places: TextPlaces | None = None,
) -> str:
    """The ``k`` texts of highest loss, each named by its row in the file, its label in the DataFrame's index
    (``labels``) or, for a folder or a fastText file (``places``), where it sits: its file (and line), or its
    line: a folder has no rows, and a fastText file no header row and its blank lines skipped, so a row's number
    is not its line."""
    order = np.lexsort((np.arange(len(losses)), -losses))[:k]
    first = ["row"] if places is None else [str(name) for name in places.columns.columns]

    def named(index: int) -> list[Any]:
        if places is None:
            return [_outputs.shown_row(index, labels)]
        return [
            value.item() if isinstance(value, np.generic) else value for value in places.columns.iloc[index]
        ]

    if task.kind == "multilabel" or len(task.target_names) > 1:
        header = [*first, *_outputs.top_losses_header(task), "loss", "text"]
        rows = [
            [
                *named(index),
                *_outputs.top_losses_cells(task, probabilities, targets, index),
                float(losses[index]),
                snippet(frame[column].iloc[index]),
            ]
            for index in order.tolist()
        ]
        what = f"{_outputs.loss_words(task)}), their first {SNIPPET} characters."
    elif task.kind == "regression":
        predicted = probabilities.reshape(-1).tolist()
        header = [*first, "actual", "predicted", "error", "text"]
        rows = [
            [
                *named(index),
                frame[target].iloc[index],
                float(predicted[index]),
                float(predicted[index]) - float(targets.reshape(-1)[index]),
                snippet(frame[column].iloc[index]),
            ]
            for index in order.tolist()
        ]
        what = f"the squared error; error is predicted minus actual), their first {SNIPPET} characters."
    else:
        predicted = task.decode(probabilities)
        if task.kind == "binary":
            confidence = torch.where(probabilities >= task.threshold, probabilities, 1 - probabilities)
        else:
            confidence = probabilities.max(dim=-1).values
        header = [*first, "actual", "predicted", "probability", "loss", "text"]
        rows = [
            [
                *named(index),
                _outputs.actual_class(task, targets, index),
                predicted[index],
                float(confidence[index]),
                float(losses[index]),
                snippet(frame[column].iloc[index]),
            ]
            for index in order.tolist()
        ]
        what = (
            f"-log of the probability given to the true class), their first {SNIPPET} characters; probability "
            "is that of the predicted class."
        )
    numbering = _outputs.row_numbers(labels) if places is None else places.note
    note = f"The {len(rows)} texts with the highest loss ({what} {numbering}."
    return _html.section(
        "top-losses",
        "Top losses",
        [_html.paragraph(note, note=True), _html.table(header, rows)],
    )


def read_judged(
    data: pd.DataFrame | str | Path,
    *,
    columns: Sequence[str] = (),
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
    names: Sequence[str] | None = None,
    texts: Sequence[str] = (),
) -> tuple[pd.DataFrame, str, TextPlaces | None]:
    """:func:`read_labelled`'s rows and name, and where each text sits in a folder of texts or a fastText file
    (``None`` for a table, whose rows go by their number, and a DataFrame, by its index); ``texts``: the text
    columns, read as written (codes such as 00123 are texts)."""
    if isinstance(data, pd.DataFrame) or not Path(data).is_dir():
        frame, source = read_labelled(
            data,
            columns=columns,
            encoding=encoding,
            encoding_errors=encoding_errors,
            names=names,
            texts=texts,
        )
        lines = fasttext_lines(data, encoding=encoding, encoding_errors=encoding_errors)
        places = None if lines is None else TextPlaces(pd.DataFrame({"line": lines}), _outputs.LINE_NUMBERS)
        return frame, source, places
    return _folder_labelled(Path(data), columns, encoding, encoding_errors)


def read_labelled(
    data: pd.DataFrame | str | Path,
    *,
    columns: Sequence[str] = (),
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
    names: Sequence[str] | None = None,
    texts: Sequence[str] = (),
) -> tuple[pd.DataFrame, str]:
    """The labelled rows and how to name them in the report (``encoding``: that of a CSV/TSV/JSON file;
    ``names``: the columns of one without a header row; ``texts``: the text columns, read as written).

    A ``.txt`` file (one text a line, as ``predict`` reads it) has no labels: refused, naming the table
    ``columns`` (the text column and the targets) the report needs, rather than read as a CSV whose first text
    would be a header."""
    if isinstance(data, pd.DataFrame):
        return data.reset_index(drop=True), "the data"
    if Path(data).is_dir():
        return _folder_labelled(Path(data), columns, encoding, encoding_errors)[:2]
    from trainwell.text._fasttext import is_fasttext_file, read_fasttext
    from trainwell.text.table import read_text_table

    if is_fasttext_file(data):  # __label__pos a great film: the model's text column and target
        errors: Any = encoding_errors
        frame = read_fasttext(data, encoding=encoding, encoding_errors=errors)
        return frame.set_axis(list(columns) if len(columns) == 2 else ["text", "label"], axis=1), str(data)
    if Path(data).name.lower().removesuffix(".gz").endswith(".txt"):
        named = [f"'{name}'" for name in columns]
        listed = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
        raise DataError(
            f"{data} holds texts one per line, without their labels; judging a model needs labelled texts: a table "
            f"(CSV, TSV, Parquet or JSON lines) with the column{'s' if len(named) > 1 else ''} {listed}"
        )

    # Read as fit and evaluate read texts: cells as written ("NA" is a word), and a multi-label target of ids
    # '0,7' (--label-delim ,) kept as text, where read_table took it for a number with a decimal comma (0.7).
    errors_as: Any = encoding_errors
    frame = read_text_table(
        data, str(data), encoding=encoding, encoding_errors=errors_as, names=names, as_written=texts
    )
    return frame.reset_index(drop=True), str(data)


def _folder_labelled(
    root: Path, columns: Sequence[str], encoding: str, encoding_errors: str
) -> tuple[pd.DataFrame, str, TextPlaces]:
    """A folder of texts (``<label>/*.txt``; beside ``train/``, its ``test/`` split, else its ``valid/``) as the
    labelled rows, its columns named as the model's (``columns``: the text column, then the target), and the file
    (and line) each text is on."""
    from trainwell.core.text_encoding import check_encoding_errors
    from trainwell.text._folders import PLACE_COLUMNS, judged_texts

    if len(columns) != 2:
        raise DataError(
            f"{root} is a folder of texts, one label each (its folder's name); this model predicts "
            f"{len(columns) - 1} label columns: pass a table with the columns {', '.join(map(repr, columns))}"
        )
    check_encoding_errors(encoding_errors)
    errors: Literal["strict", "replace"] = "replace" if encoding_errors == "replace" else "strict"
    frame, source = judged_texts(root, encoding=encoding, encoding_errors=errors)
    placed = [name for name in PLACE_COLUMNS if name in frame.columns]
    note = f"file: the text's file, relative to '{root}'"
    if "line" in placed:
        note += ", and line: its line there, counted from 1 as an editor counts them (blank lines included)"
    places = TextPlaces(frame[placed].reset_index(drop=True), note)
    # Named apart from the texts: a model's text column may itself be called 'file'.
    texts = frame[["text", "label"]].rename(columns={"text": columns[0], "label": columns[1]})
    return texts, source, places


#: Texts shown with their words shaded: the most confidently wrong, then the most confidently right.
EXPLAINED_TEXTS = 6
#: Words read in all, by batch format: each measured word costs a variant of its text (a sequence model's reads
#: the text's first :data:`MAX_WORDS` words, a bag's the whole text). On 2 busy CPU cores a bag read 780,000 words
#: (50 IMDb reviews) in about 7 s; an AWD-LSTM of the default size (256/512, 2 layers) 20,000 (1,000 variants of
#: SST-2 sentences) in about 20 s.
READING_BUDGET = {"bag": 600_000, "padded": 15_000}
#: Seconds the section's occlusion should take, estimated from the first text's: past it, fewer texts are read.
SECONDS = 5.0
#: A text longer than this many words is shown only when too few shorter ones are wrong or right: its first
#: :data:`MAX_WORDS` words shaded say little of a prediction made on all of it.
MODERATE_WORDS = 200
#: Classes in the table of the words that mattered: those explained in the most texts.
SUMMARISED_CLASSES = 8
#: Words a class in that table: those that pushed towards it and those that pushed against it, by the classes
#: summarised (two: a binary model's; more: a shorter list each, to keep the table readable).
TABLE_WORDS = {"few": (8, 4), "many": (5, 3)}
#: A word in that table is in at least one text in this many of those read (and at least
#: :data:`~trainwell.text._word_effects.MIN_TEXTS`): on SST-2's 872 texts, 5. At 3, words in 3 sentences of 872
#: ('documentary', 'right') ranked above 'best' (in 19).
TEXTS_PER_SEEN = 200
#: Parts the table's texts are read in, each timed (the time left decides whether the next is read).
TABLE_PARTS = 8
#: Share of the texts planned that a cut must drop to be said: a cut of 3% changes no conclusion.
MATERIAL_CUT = 0.1


def cut_words(kept: int, planned: int, what: str) -> str | None:
    """The words saying that ``kept`` of ``planned`` texts were read (``what``: where), or ``None`` when the cut
    dropped no more than :data:`MATERIAL_CUT` of them."""
    if planned <= 0 or planned - kept <= MATERIAL_CUT * planned:
        return None
    return f"{what} {kept:,} of {planned:,} texts"


def word_effects_section(
    predictor: TextPredictor,
    texts: pd.Series,
    probabilities: torch.Tensor,
    targets: torch.Tensor,
    labels: pd.Index | None = None,
    places: TextPlaces | None = None,
    *,
    seed: int = 0,
) -> str:
    """A few judged texts with each word shaded by its occlusion effect on the explained class (the most
    confidently wrong and right), and a table of the words that mattered most across more texts.

    Its cost does not grow with the texts' length: a sequence model's variants read the first
    :data:`MAX_WORDS` words; the texts shown are the moderately long first; the table's texts stop at a budget of
    words read; and if the first text's time says the rest would take over :data:`SECONDS`, fewer are read (said
    in the section)."""
    import time
    from itertools import zip_longest

    from trainwell.text._word_effects import (
        MAX_WORDS,
        MIN_TEXTS,
        explained_class,
        word_effects,
        word_summary,
    )

    task = predictor.task
    sequence = predictor.recipe.batch_format != "bag"
    window = MAX_WORDS if sequence else None
    chosen, confidence = explained_class(task, probabilities)
    wrong = _wrongly_explained(task, chosen, targets)
    lengths = np.array([len(str(text).split()) for text in texts])
    # The moderately long first, each the most confident first.
    order = np.lexsort((np.arange(len(confidence)), -confidence, lengths > MODERATE_WORDS)).tolist()
    wrong_rows = [index for index in order if wrong[index]]
    right_rows = [index for index in order if not wrong[index]]
    n_wrong = max(EXPLAINED_TEXTS // 2, EXPLAINED_TEXTS - len(right_rows))
    shown = wrong_rows[:n_wrong] + right_rows[: EXPLAINED_TEXTS - len(wrong_rows[:n_wrong])]
    rest = np.setdiff1d(np.arange(len(texts)), shown)
    planned_shown = list(shown)  # those cut for time are not read for the table either
    # Words each text costs: a variant a measured word and its baseline, each reading the window or whole text.
    read = lengths if window is None else np.minimum(lengths, window)
    reads = (np.minimum(lengths, MAX_WORDS) + 1) * read

    def measured(rows: list[int]) -> list[Any]:
        return word_effects(
            predictor,
            [str(texts.iloc[index]) for index in rows],
            window=window,
            probabilities=probabilities[rows],
        )

    started = time.perf_counter()
    effects = measured(shown[:1])
    rate = (time.perf_counter() - started) / max(int(reads[shown[:1]].sum()), 1)  # seconds a word read
    cut: list[str] = []
    if shown[1:]:
        fits = int(
            np.searchsorted(np.cumsum(reads[shown[1:]]) * rate, SECONDS - rate * reads[shown[0]], "right")
        )
        keep = max(fits, 1)  # at least one more: a wrong text and a right one
        said = cut_words(keep + 1, len(shown), "it shades")
        if keep < len(shown) - 1 and said is not None:  # of 6 texts, one less is 17%: always said
            cut.append(
                f"{said} ({len(shown)} would have taken about {rate * reads[shown].sum():.0f} s here; the first "
                f"took {rate * reads[shown[0]]:.1f} s)"
            )
            # Wrong and right in turn (the first, measured, stays first), then the wrong ones first again.
            wrong_shown, right_shown = [r for r in shown if wrong[r]], [r for r in shown if not wrong[r]]
            turns = [r for pair in zip_longest(wrong_shown, right_shown) for r in pair if r is not None]
            shown = sorted(turns[: keep + 1], key=lambda r: (not wrong[r], turns.index(r)))
        before = time.perf_counter()
        effects += measured(shown[1:])
        rate = (time.perf_counter() - before) / max(int(reads[shown[1:]].sum()), 1)  # 5 texts: a truer rate
    # More texts, drawn at random, for the table, until the words read reach the budget (and the time's).
    drawn = np.random.default_rng(seed).permutation(rest)
    budget = READING_BUDGET.get(predictor.recipe.batch_format, READING_BUDGET["padded"])
    cumulative = np.cumsum(reads[drawn])
    by_words = int(np.searchsorted(cumulative, budget - reads[shown].sum(), side="right"))
    # The texts read with no time limit: the texts shown before any cut, and the table's within the budget.
    planned = len(planned_shown) + int(
        np.searchsorted(cumulative, budget - reads[planned_shown].sum(), side="right")
    )
    # Read in parts, each timed, while the time lasts: the first text's rate is mostly a call's fixed cost (a
    # 20-word sentence), and read alone it cut a bag's table on SST-2 to 370 of 872 texts where all took 2 s.
    extra = 0
    for part in np.array_split(drawn[:by_words], TABLE_PARTS) if by_words else []:
        room = (SECONDS - (time.perf_counter() - started)) / rate if rate > 0 else float("inf")
        fits = int(np.searchsorted(np.cumsum(reads[part]), room, side="right"))
        if fits:
            before = time.perf_counter()
            effects += measured(sorted(part[:fits].tolist()))
            rate = (time.perf_counter() - before) / max(int(reads[part[:fits]].sum()), 1)
            extra += fits
        if fits < len(part):
            break
    # Said only when it matters: the table read 3% fewer texts is no news.
    said = cut_words(len(shown) + extra, planned, "the word table reads")
    if said is not None and planned > len(planned_shown):  # else: the texts shaded, said above
        cut.append(said)
    multilabel = task.kind == "multilabel"
    what = "the likeliest label" if multilabel else "the predicted class"
    # One scale for all the texts shown, so that their colours compare; the largest effect is full colour.
    scale = max(
        [float(np.abs(effect.effects).max()) for effect in effects[: len(shown)] if len(effect.words)]
        + [1e-9]
    )
    body = [
        _html.paragraph(
            f"Which words drove {what}, measured by occlusion: each word in turn is replaced by the unknown word "
            f"and the text scored again; the word's effect is how much the probability of {what} falls without "
            "it. Red: the word pushed the prediction towards that class; blue: against it; the deeper the colour, "
            f"the larger the change (full colour at the largest change shown, {scale:.3g}, the same scale for every "
            "text); an underlined word changes the "
            "decision when it is replaced. Hover over a word for its effect. "
            f"The {len(shown)} texts below are the most confidently wrong and the most confidently right "
            f"(those of at most {MODERATE_WORDS} words first); only their first {MAX_WORDS} words are shaded"
            + (
                f". The prediction shown is the model's on the whole text; each variant reads the first {MAX_WORDS} "
                f"words only, and a word's effect is the change from the probability of those {MAX_WORDS} words "
                "(so that a long text costs no more than a short one)."
                if window is not None
                else " (the words after them stay in the text, unmeasured)."
            )
        ),
        _html.paragraph(
            "Limits: a word is judged alone, so two words that each suffice show little effect apiece; replacing "
            "a word also changes the word pairs around it that the model reads; these are changes in this "
            "model's probabilities, not gradients and not proof of what the model learned in general.",
            note=True,
        ),
    ]
    if cut:
        body.append(
            _html.paragraph(
                f"Cut to keep this section within about {SECONDS:.0f} s: {'; '.join(cut)}.", note=True
            )
        )
    for index, effect, is_wrong in zip(shown, effects, (wrong[index] for index in shown), strict=False):
        body.append(
            _shaded_text(
                task, targets, index, effect, bool(is_wrong), _text_name(index, labels, places), scale
            )
        )
    n_classes = len({effect.label for effect in effects})
    towards, against = TABLE_WORDS["few" if min(n_classes, SUMMARISED_CLASSES) <= 2 else "many"]
    seen = max(MIN_TEXTS, -(-len(effects) // TEXTS_PER_SEEN))
    summary = word_summary(
        effects, top=towards, against=against, n_classes=SUMMARISED_CLASSES, min_texts=seen
    )
    which = (
        ""
        if n_classes <= SUMMARISED_CLASSES
        else f"; it lists the {SUMMARISED_CLASSES} classes (of {n_classes}) explained in the most texts"
    )
    judged_as = "the texts whose likeliest label it is" if multilabel else "the texts predicted as that class"
    read_words = (
        f"Read in {len(effects):,} of the {len(texts):,} texts (the {len(shown)} above and "
        f"{len(effects) - len(shown):,} more drawn at random); each class on {judged_as}{which}"
    )
    if summary:
        body.append(
            _html.paragraph(
                f"Ranked by mean effect, among words in at least {seen} texts of a class: for each class, "
                f"the {towards} words that raised its probability most on average, then the {against} that "
                "lowered it most.",
            )
        )
        body.append(
            _html.paragraph(
                f"{read_words}. texts: how many held the word; changed: in how many replacing it changed the "
                "decision; mean effect: its mean change in the probability of that class (positive: towards it; "
                "negative: against it). A word of small mean effect ranks low however many texts hold it (the, a, "
                "and).",
                note=True,
            )
        )
        body.append(
            _html.table(
                ["class", "pushes", "word", "texts", "changed", "mean effect"],
                [
                    [str(label), "towards" if mean > 0 else "against", word, count, changed, round(mean, 4)]
                    for label, word, count, changed, mean in summary
                ],
            )
        )
    else:
        body.append(
            _html.paragraph(
                f"{read_words}: no word is in {seen} texts of one class, too few to rank words by their "
                "mean effect; judge more texts for that table.",
                note=True,
            )
        )
    return _html.section("word-effects", "Words behind the predictions", body)


def _wrongly_explained(task: Any, chosen: np.ndarray, targets: torch.Tensor) -> np.ndarray:
    """Whether each row's explained class is wrong: not its true class (multi-label: not among its labels)."""
    if task.kind == "multilabel":
        values = targets.double().numpy()
        return values[np.arange(len(values)), chosen] < 0.5
    return chosen != targets.reshape(-1).double().round().long().numpy()


def _text_name(index: int, labels: pd.Index | None, places: TextPlaces | None) -> str:
    """A judged text's name as the top losses give it: its row, or its file (and line)."""
    if places is None:
        return f"row {_outputs.shown_row(index, labels)}"
    values = places.columns.iloc[index]
    return ", ".join(f"{name} {value}" for name, value in zip(places.columns.columns, values, strict=True))


def _shaded_text(
    task: Any, targets: torch.Tensor, index: int, effect: Any, wrong: bool, name: str, scale: float
) -> str:
    """One text's words, each shaded by its effect, under a line naming the text, the explained class and the
    true one(s)."""
    if task.kind == "multilabel":
        actual = [label for label, on in zip(task.classes, targets[index].tolist(), strict=True) if on >= 0.5]
        truth = f"actual labels: {', '.join(map(str, actual)) or 'none'}"
        said = f"likeliest label {effect.label} ({effect.probability:.3f})"
    else:
        truth = f"actual {_outputs.actual_class(task, targets, index)}"
        said = f"predicted {effect.label} ({effect.probability:.3f})"
    head = f"{name}: {'wrong' if wrong else 'right'}; {said}, {truth}"
    spans = []
    for word, change, flip in zip(effect.words, effect.effects.tolist(), effect.flips.tolist(), strict=True):
        alpha = min(1.0, abs(change) / scale) * 0.75  # at most 0.75: black words stay readable
        colour = "214, 39, 40" if change > 0 else "31, 119, 180"
        line = "text-decoration: underline; text-decoration-thickness: 2px; " if flip else ""
        spans.append(
            f'<span title="{change:+.3f}{" (changes the decision)" if flip else ""}" '
            f'style="background: rgba({colour}, {alpha:.2f}); {line}padding: 0 1px; border-radius: 2px">'
            f"{_html.escape(word)}</span>"
        )
    cut = (
        f' <span style="color: #777">… (the first {len(effect.words)} of its {effect.n_words} words)</span>'
        if effect.n_words > len(effect.words)
        else ""
    )
    return (
        '<div style="border: 1px solid #ddd; border-radius: 4px; padding: 0.4em 0.7em; margin: 0.6em 0">'
        f'<p class="note" style="margin: 0 0 0.3em">{_html.escape(head)}</p>'
        f'<p style="margin: 0; line-height: 1.9">{" ".join(spans)}{cut}</p></div>'
    )
