"""The report's sections for a tagger judged on a labelled CoNLL / CoNLL-U file: scores with intervals over
sentences, a score per entity type, the kinds of entity errors, the tags most confused, and the sentences with
the most mistakes, each mistake marked."""

from __future__ import annotations

import math
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from trainwell.core.errors import DataError
from trainwell.report import _html

#: Tag pairs listed among the most confused, and characters of each sentence shown among the worst.
MOST_CONFUSED, SENTENCE_CHARS = 15, 400


def tagging_report_sections(
    predictor: Any,
    path: Path,
    *,
    top_k: int,
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
    seed: int = 0,
) -> tuple[list[str], list[str]]:
    """Intro paragraphs and sections for a tagger judged on the labelled file ``path`` (read in ``encoding``)."""
    from trainwell.evaluate.tagging import counts_from_tags, explain_tagging, per_type_scores
    from trainwell.text.tagging.conll import gold_column, holds_raw_sentences, read_conll
    from trainwell.text.tagging.scheme import detect_scheme, to_iob2

    if holds_raw_sentences(path):
        raise DataError(
            f"'{path}' holds raw sentences, one a line, and the report scores the tagger against gold tags: pass a "
            "CoNLL file of the same sentences, one word per line with its tag"
        )
    corpus = read_conll(path, encoding=encoding, encoding_errors=encoding_errors)
    tag_col = predictor.recipe.tag_col
    gold_col = gold_column(corpus, tag_col, predictor.classes)
    if gold_col is None:
        raise DataError(
            f"'{path}' has no '{tag_col}' column (it has: {', '.join(corpus.column_names)}); the report needs the "
            f"gold tags the model was trained on"
        )
    words, gold = corpus.tokens(), corpus.column(gold_col)
    scheme = detect_scheme(gold)
    if scheme in ("iob1", "iobes"):
        gold = [to_iob2(tags, scheme) for tags in gold]
    classes = [str(c) for c in predictor.task.classes]
    unknown = sorted({tag for tags in gold for tag in tags} - set(classes))
    if unknown:
        raise DataError(
            f"'{path}' holds tags the model never learned: {', '.join(unknown[:10])}; it knows: {', '.join(classes)}"
        )
    predicted = predictor.tag_words(words)
    counts = counts_from_tags(gold, predicted, classes)
    lines = explain_tagging(counts, list(predictor.task.metric_names), seed=seed)
    metric_rows = [
        (line.name, line.value, _html.interval(line.low, line.high), line.sentence) for line in lines
    ]
    sections = [
        _html.section(
            "metrics",
            "Metrics",
            [
                _html.paragraph(
                    f"On {len(words):,} sentences ({counts.words.sum():,} words) from {path}; the interval is a 95% "
                    "percentile bootstrap over sentences (words of one sentence are not independent).",
                    note=True,
                ),
                _html.table(["metric", "value", "95% interval", "what it means here"], metric_rows),
                *_baseline_note(predictor),
            ],
        )
    ]
    if counts.types:
        per_type = per_type_scores(counts)
        bounds = type_intervals(counts, seed=seed)
        type_rows = [
            (
                kind,
                *(
                    cell
                    for name in ("precision", "recall", "f1")
                    for cell in (
                        figures[name],
                        _html.interval(*bounds[kind][name]) if math.isfinite(figures[name]) else "",
                    )
                ),
                figures["support"],
            )
            for kind, figures in per_type.items()
        ]
        header = ["type"]
        for name in ("precision", "recall", "F1"):
            header += [name, "95% interval"]
        sections.append(
            _html.section(
                "entity-types",
                "Entities by type",
                [
                    _html.paragraph(
                        "Each entity type's precision, recall and F1 (exact spans, as seqeval counts them), each "
                        'with its 95% percentile bootstrap interval over sentences; "not estimable" where no '
                        "resample defines it, a blank where there is nothing to divide by.",
                        note=True,
                    ),
                    _html.table([*header, "entities"], type_rows),
                    _entity_errors(gold, predicted),
                ],
            )
        )
    sections.append(_confusion_section(gold, predicted, classes))
    sections.append(_worst_sentences(words, gold, predicted, top_k))
    kind = "entities" if counts.types else "tags"
    intro: list[str] = [
        _html.facts(
            f"tagger predicting '{tag_col}' of each word ({len(classes)} tags, {kind})",
            f"{len(words):,} labelled sentences from {path}",
        )
    ]
    return intro, sections


#: Resamples of the sentences behind each entity type's intervals.
TYPE_RESAMPLES = 300


def type_intervals(
    counts: Any, seed: int = 0, n_boot: int = TYPE_RESAMPLES
) -> dict[str, dict[str, tuple[float, float]]]:
    """Each entity type's 95% percentile bootstrap interval of precision, recall and F1 over sentences (the
    entities of one sentence are resampled together, as the metrics' intervals are); ``nan`` bounds where fewer
    than half the resamples define the figure (a type no resample predicts has no precision)."""
    n = len(counts.words)
    types = list(counts.types)
    if not n or not types:
        return {kind: {name: (float("nan"),) * 2 for name in ("precision", "recall", "f1")} for kind in types}
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(np.float64)  # (B, n)
    correct, guessed, actual = (
        weights @ np.asarray(m, dtype=np.float64) for m in (counts.correct, counts.predicted, counts.actual)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(guessed > 0, correct / np.maximum(guessed, 1), np.nan)
        recall = np.where(actual > 0, correct / np.maximum(actual, 1), np.nan)
        f1 = np.where(guessed + actual > 0, 2 * correct / np.maximum(guessed + actual, 1), np.nan)
    found: dict[str, dict[str, tuple[float, float]]] = {}
    for column, kind in enumerate(types):
        found[kind] = {}
        for name, values in (("precision", precision), ("recall", recall), ("f1", f1)):
            defined = values[:, column][~np.isnan(values[:, column])]
            if 2 * len(defined) < n_boot:
                found[kind][name] = (float("nan"), float("nan"))
            else:
                low, high = np.percentile(defined, [2.5, 97.5])
                found[kind][name] = (float(low), float(high))
    return found


def _baseline_note(predictor: Any) -> list[str]:
    """The most-frequent-tag baseline fit scored beside the tagger (entity_f1_baseline, tag_accuracy_baseline),
    as a note under the metrics: fit showed it, and the metrics table had nothing to compare with."""
    from trainwell.report._recorded import fit_baselines_note

    note = fit_baselines_note(
        getattr(predictor, "metadata", None) or {},
        {"entity_f1": "entity_f1_baseline", "tag_accuracy": "tag_accuracy_baseline"},
        "tagging each word with its most frequent training tag",
        "sentences",
    )
    return [] if note is None else [_html.paragraph(f"Baseline. {note}", note=True)]


def entity_error_kinds(gold: list[list[str]], predicted: list[list[str]]) -> Counter[str]:
    """Every true or predicted entity that is not exactly right, by what went wrong: ``missed`` (no predicted
    entity overlaps it), ``spurious`` (overlaps no true entity), ``wrong type`` (same words, another type) and
    ``wrong boundaries`` (overlaps one, not the same words)."""
    from trainwell.text.tagging.scheme import entity_spans

    kinds: Counter[str] = Counter()
    for gold_tags, predicted_tags in zip(gold, predicted, strict=True):
        true_spans, guessed = set(entity_spans(gold_tags)), set(entity_spans(predicted_tags))
        for _, start, end in true_spans - guessed:
            overlapping = [g for g in guessed if g[1] < end and start < g[2]]
            if not overlapping:
                kinds["missed"] += 1
            elif any((g[1], g[2]) == (start, end) for g in overlapping):
                kinds["wrong type"] += 1
            else:
                kinds["wrong boundaries"] += 1
        for _, start, end in guessed - true_spans:
            if not any(t[1] < end and start < t[2] for t in true_spans):
                kinds["spurious"] += 1
    return kinds


def _entity_errors(gold: list[list[str]], predicted: list[list[str]]) -> str:
    kinds = entity_error_kinds(gold, predicted)
    rows = [(kind, kinds.get(kind, 0)) for kind in ("missed", "spurious", "wrong type", "wrong boundaries")]
    note = (
        "What went wrong with each entity that is not exactly right: missed (no predicted entity overlaps it), "
        "spurious (predicted where no entity is), wrong type (right words, wrong type), wrong boundaries."
    )
    return _html.paragraph(note, note=True) + _html.table(["error", "entities"], rows)


def _confusion_section(gold: list[list[str]], predicted: list[list[str]], classes: list[str]) -> str:
    from trainwell.interpret._plots import plot_confusion_matrix

    index = {tag: i for i, tag in enumerate(classes)}
    matrix = np.zeros((len(classes), len(classes)), dtype=np.int64)
    for gold_tags, predicted_tags in zip(gold, predicted, strict=True):
        for actual, guess in zip(gold_tags, predicted_tags, strict=True):
            matrix[index[actual], index[guess]] += 1
    pairs = [
        (classes[i], classes[j], int(matrix[i, j]))
        for i, j in zip(*np.nonzero(matrix), strict=True)
        if i != j
    ]
    pairs.sort(key=lambda pair: -pair[2])
    body = []
    if len(classes) <= 30:
        with tempfile.TemporaryDirectory(prefix="trainwell-report-") as scratch:
            png = plot_confusion_matrix(
                matrix, classes, Path(scratch) / "confusion.png", normalize=True, unit="words"
            )
            body.append(_html.image(png.read_bytes(), "tag confusion matrix"))
    absent = [tag for tag, total in zip(classes, matrix.sum(axis=1), strict=True) if total == 0]
    if absent:
        body.append(_html.paragraph(_absent_tags(absent, len(classes) <= 30), note=True))
    shown = min(len(pairs), MOST_CONFUSED)
    body.append(_html.paragraph(f"The {shown} commonest mistakes, word by word.", note=True))
    body.append(_html.table(["actual tag", "predicted tag", "words"], pairs[:MOST_CONFUSED]))
    return _html.section("confusion", "Tags confused", body)


def _absent_tags(absent: list[str], drawn: bool) -> str:
    """The note naming the tags no word of the file has: the matrix leaves their rows blank, as a row of shares
    of nothing would read as "never right"."""
    shown = absent[:10] if len(absent) <= 10 else [*absent[:9], f"{len(absent) - 9} more"]
    named = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"
    rows = "its row is" if len(absent) == 1 else "their rows are"
    blank = f": {rows} left blank in the matrix" if drawn else ""
    return f"No word of this file is tagged {named}{blank} (there is nothing to score)."


def _marked(words: list[str], gold: list[str], predicted: list[str]) -> _html.Markup:
    """The sentence with each mistaken word highlighted and its tags after it in small type (``England``
    then ``O→I-LOC``, both on hover too), cut after about :data:`SENTENCE_CHARS` characters. Brackets around a
    mistake ("[( O→B-ORG]") collided with the sentence's own punctuation; a mistake is never broken across lines
    (a browser broke 'B-MISC' after its hyphen)."""
    parts, length = [], 0
    for word, g, p in zip(words, gold, predicted, strict=True):
        text = f"{word} {g}→{p}" if g != p else word
        if length + len(text) > SENTENCE_CHARS:
            parts.append("…")
            break
        if g != p:
            tags = _html.escape(f"{g}→{p}")
            parts.append(
                f'<span class="nowrap" title="actual {_html.escape(g)}, predicted {_html.escape(p)}">'
                f'<mark class="miss">{_html.escape(word)}</mark><sub class="tags">{tags}</sub></span>'
            )
        else:
            parts.append(_html.escape(text))
        length += len(text) + 1
    return _html.Markup(" ".join(parts))


def _worst_sentences(
    words: list[list[str]], gold: list[list[str]], predicted: list[list[str]], k: int
) -> str:
    mistakes = [sum(a != b for a, b in zip(g, p, strict=True)) for g, p in zip(gold, predicted, strict=True)]
    order = sorted(range(len(words)), key=lambda i: (-mistakes[i], i))[:k]
    rows = []
    for i in order:
        if mistakes[i] == 0:
            break
        rows.append((i + 1, mistakes[i], _marked(words[i], gold[i], predicted[i])))
    note = (
        "Sentences with the most mistaken words; each mistaken word is highlighted, its actual→predicted tags "
        "after it in small type (and on hover). sentence: its "
        "number in the file, counted from 1, as trainwell predict numbers them."
    )
    return _html.section(
        "worst-sentences",
        "Sentences with the most mistakes",
        [_html.paragraph(note, note=True), _html.table(["sentence", "mistakes", "words"], rows)],
    )
