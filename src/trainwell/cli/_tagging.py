"""The command line's sequence-labelling paths: ``trainwell fit train.conll --task tagging`` and
``trainwell predict tagger/ test.conll`` (or ``-`` for raw sentences on standard input)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trainwell.cli._common import emit_table, fold_cells, model_directory_line, out_console

#: File names read as CoNLL / CoNLL-U without ``--task tagging`` (``.gz`` after them too).
TAGGING_SUFFIXES = (".conll", ".conllu", ".bio", ".iob", ".iob2", ".bioes")
#: What a CoNLL file written by ``predict --out`` is called.
CONLL_OUT_SUFFIXES = (".conll", ".conllu", ".txt", ".bio", ".iob")
#: Tables, which a tagger does not read (``.tsv`` is left out: CoNLL files are often so named).
TABLE_SUFFIXES = (".csv", ".parquet", ".pq", ".json", ".jsonl", ".ndjson", ".xlsx", ".xlsm", ".xls", ".ods")
#: Tables when a column of theirs is named (``--text``, ``--keep``), else CoNLL: SST-2's and GoEmotions' TSVs
#: are tables, many CoNLL files are named ``.tsv`` too.
TAB_SUFFIXES = (".tsv", ".tab")


def is_sentence_table(path: Path, text: str | None = None, kept: list[str] | None = None) -> bool:
    """Whether ``predict`` reads ``path`` as a table of sentences: a CSV, Parquet, JSON or workbook file, or a
    TSV given with a column to read (``--text``) or copy (``--keep``)."""
    suffix = _stem_suffix(path)
    return suffix in TABLE_SUFFIXES or (suffix in TAB_SUFFIXES and (text is not None or bool(kept)))


def _stem_suffix(path: Path) -> str:
    name = path.name.lower()
    name = name.removesuffix(".gz")
    return Path(name).suffix


def is_tagging_source(
    data: Path, task: str | None, text: str | None = None, target: str | None = None
) -> bool:
    """Sentences with a tag per word: ``--task tagging``, a CoNLL-type file (by its name, or a ``.txt`` whose
    first lines read as word-per-line columns), or a folder holding one as its training file. A ``.txt`` given
    with a text column (``--text``) is a table: two lines of as many words read as CoNLL columns too. So is one
    whose first line names the ``--target`` column(s) (``a b y``, ``my review,label``): a space-delimited table's
    reading then says to re-save it with commas or tabs, where a tagger refused its ``--target``."""
    if task is not None:
        return task == "tagging"
    if data.is_file():
        return _stem_suffix(data) in TAGGING_SUFFIXES or (
            _stem_suffix(data) == ".txt" and _read_as_conll(data, text, target)
        )
    if data.is_dir():
        files = [p for p in data.iterdir() if p.is_file()]
        if any(_stem_suffix(p) in TAGGING_SUFFIXES for p in files):
            return True
        trains = [p for p in files if p.name.lower().startswith("train") and _stem_suffix(p) == ".txt"]
        return len(trains) == 1 and looks_like_conll(trains[0])  # a folder is never read as a table
    return False


def _read_as_conll(path: Path, text: str | None, target: str | None) -> bool:
    """Whether the ``.txt`` at ``path`` is tagged sentences: CoNLL columns (:func:`looks_like_conll`), in a file
    not given with a table's ``--text``, nor headed by the ``--target`` names (``a b y`` with ``--target y``:
    between spaces, commas, semicolons or bars)."""
    if text is not None or not looks_like_conll(path):
        return False
    if target is None:
        return True
    import re

    names = [name.strip() for name in target.split(",") if name.strip()]
    heading = _first_lines(path, 1)
    fields = re.split(r"[\s,;|]+", heading[0].strip()) if heading else []  # 'a b y', 'my review,label'
    return not (names and all(name in fields for name in names))


def _first_lines(path: Path, n_lines: int) -> list[str]:
    """The first ``n_lines`` lines of ``path`` (gzipped or not), without their line ends; none when unreadable."""
    import gzip

    opener: Any = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace") as stream:
            return [line.rstrip("\r\n") for _, line in zip(range(n_lines), stream, strict=False)]
    except OSError:
        return []


def looks_like_conll(path: Path, n_lines: int = 200) -> bool:
    """Whether the first lines of ``path`` read as one word per line with the same number (2 or more) of
    space- or tab-separated columns, sentences split by blank lines."""
    lines = _first_lines(path, n_lines)
    rows = [line.split() for line in lines if line.strip() and not line.startswith(("-DOCSTART-", "#"))]
    widths = {len(row) for row in rows}
    blank = any(not line.strip() for line in lines)
    return bool(rows) and len(widths) == 1 and min(widths) >= 2 and (blank or len(lines) < n_lines)


def holds_raw_sentences(path: Path) -> bool:
    """Whether ``path`` is a .txt of raw sentences, one a line, rather than a CoNLL file (the sniffing lives
    beside the CoNLL reader, imported only when asked: :func:`trainwell.text.tagging.conll.holds_raw_sentences`)."""
    from trainwell.text.tagging.conll import holds_raw_sentences as sniff

    return sniff(path)


def fit_tagging(data: Path, settings: dict[str, Any]) -> Any:
    """Train and write a tagger, then print its validation (and test) scores beside the baseline."""
    from trainwell.text.tagging.pipeline import fit_tagger

    if data.is_dir():
        _say_split_files(data, settings.get("valid_pct"))
    result = fit_tagger(data, **settings)
    _show_tagging(result)
    return result


def _say_split_files(folder: Path, valid_pct: float | None) -> None:
    """Say which of ``folder``'s files trains, validates and tests a tagger, as a folder of tables or of a corpus
    says its splits (``ud_english_ewt/`` named none). Said by the Parquet reading already for its CoNLL files, and
    left to the reader's own error when the folder holds no training file."""
    import os

    from trainwell.cli._common import err_console
    from trainwell.core.errors import DataError
    from trainwell.data.splits import JOINED
    from trainwell.text.tagging.conll import find_split_files

    if JOINED in folder.parts or os.environ.get("RANK", "0") != "0":  # under torchrun, rank 0 says it for all
        return
    try:
        found = find_split_files(folder)
    except DataError:
        return
    parts = [f"training sentences from {found['train'].name}"]
    if "valid" in found:
        parts.append(f"validation sentences from {found['valid'].name}")
    elif valid_pct:
        parts.append(f"validation on a random {valid_pct:.0%} of them (--valid-pct; no dev or valid file)")
    if "test" in found:
        parts.append(f"test sentences from {found['test'].name} (scored after the fit)")
    line = f"'{folder}': tagged sentences in splits: {'; '.join(parts)}"
    err_console.print(line, soft_wrap=True, markup=False, highlight=False)


def _rate(value: float, undefined: str) -> str:
    """A score to 4 places, or why it is undefined (a type never predicted has no precision)."""
    return undefined if value != value else f"{value:.4f}"  # NaN is the only value unequal to itself


def entities_by_type(scores: dict[str, dict[str, float]]) -> Any:
    """The validation entities by type (:func:`~trainwell.evaluate.tagging.per_type_scores`) as a table; one
    line instead when the tagger marked no entity at all (barely trained: every row would say "none predicted",
    0 recall), or when the validation sentences hold no entity to score."""
    from rich.table import Table

    entities = sum(int(row["support"]) for row in scores.values())
    if not entities:
        return "no entities in the validation sentences: there is nothing to score by type"
    if all(row["precision"] != row["precision"] for row in scores.values()):  # NaN: none predicted
        return (
            f"no entities predicted on the validation sentences yet ({entities:,} in them, of "
            f"{len(scores)} type{'' if len(scores) == 1 else 's'}): train longer"
        )
    table = Table(title="Validation entities by type")
    for column in ("type", "precision", "recall", "F1", "entities"):
        table.add_column(column, justify="left" if column == "type" else "right")
    for kind, row in scores.items():
        table.add_row(
            kind,
            _rate(row["precision"], "none predicted"),
            _rate(row["recall"], "none in the data"),
            _rate(row["f1"], "-"),
            str(row["support"]),
        )
    return table


def _show_tagging(result: Any) -> None:
    from trainwell.cli._show import say_budget, show_metrics
    from trainwell.evaluate.tagging import per_type_scores, sentence_counts

    learn = result.learn
    show_metrics(learn, out_console)
    from trainwell.cli.fit_cmd import warn_overfitting

    warn_overfitting(learn)
    say_budget(result.budget, out_console)
    if learn.task.extra.get("scheme") == "iob2" and learn.data.valid is not None:
        from trainwell.learner.kept_predictions import validation_predictions

        preds, targets = validation_predictions(learn)  # the fit's last pass's tag paths, as the table above
        shown = entities_by_type(per_type_scores(sentence_counts(preds, targets, learn.task.classes)))
        if isinstance(shown, str):
            out_console.print(shown, soft_wrap=True, markup=False, highlight=False)
        else:
            out_console.print(fold_cells(shown))
    from trainwell.cli.fit_cmd import say_test_scores

    say_test_scores(result)  # the folder's test file, as fit says an image or text test set
    if result.model_dir is not None:
        out_console.print(model_directory_line(result.model_dir), soft_wrap=True)
        out_console.print(predict_hint(result.model_dir), soft_wrap=True, markup=False)


def predict_hint(model_dir: Path) -> str:
    """The line after a fit that shows how to tag new text: a command to paste, the path quoted for a shell."""
    import shlex

    return f'tag new text with: echo "Your sentence." | trainwell predict {shlex.quote(str(model_dir))} -'


def predict_tags(
    predictor: Any,
    data: list[Path],
    out: Path | None,
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
    *,
    text: str | None = None,
    kept: list[str] | None = None,
) -> None:
    """Tag raw sentences (one per line of standard input, ``-``, or of a ``.txt`` file that does not read as
    CoNLL columns: :func:`holds_raw_sentences`; or a table's column of them, ``text`` or the one it holds, each
    answer beside the ``kept`` columns) or a CoNLL file's words.

    A CoNLL file's predictions are one row per word (sentence, word, gold tag when the file has one,
    predicted tag); with ``--out x.conll`` they are written as ``word gold predicted`` lines, the format CoNLL's
    ``conlleval`` script scores; with ``--out x.conllu`` a CoNLL-U input is written back, its gold tags kept and
    each prediction in MISC (``UPOS_pred=NOUN``), or in the tag column when that was empty (``_``).
    """
    import pandas as pd

    from trainwell.core.errors import ConfigError

    if len(data) != 1:
        raise ConfigError(f"a tagger tags one file (or '-' for standard input) at a time; got {len(data)}")
    if str(data[0]) != "-" and is_sentence_table(data[0], text, kept):
        _tag_table(predictor, data[0], out, encoding, encoding_errors, text, kept or [])
        return
    if text is not None:
        raise ConfigError(f"--text names a table's column of sentences; '{data[0]}' is no table: drop it")
    if kept:
        raise ConfigError("--keep copies columns of an input table; tagged sentences have none")
    if str(data[0]) == "-" or holds_raw_sentences(data[0]):
        _tag_raw_sentences(predictor, data[0], out, encoding, encoding_errors)
        return
    from trainwell.core.errors import DataError
    from trainwell.text.tagging.conll import gold_column, read_conll
    from trainwell.text.tagging.scheme import from_iob2

    try:
        corpus = read_conll(data[0], encoding=encoding, encoding_errors=encoding_errors)
    except DataError as error:
        hint = _table_hint(data[0])
        if hint is None:
            raise
        raise DataError(f"{str(error).rstrip('.')}; {hint}") from error
    words = corpus.tokens()
    if (
        len(corpus.column_names) == 1
    ):  # one word a line and nothing else: raw sentences of one word each read alike
        from trainwell.cli._common import err_console

        err_console.print(
            f"'{data[0]}' holds one word a line: read as CoNLL, a blank line ending each sentence (raw sentences "
            "go one a line, their words separated by spaces)",
            soft_wrap=True,
            markup=False,
        )
    predicted = predictor.tag_words(words)
    scheme = predictor.task.extra.get("source_scheme", "iob2")
    if scheme in ("iob1", "iobes"):
        predicted = [from_iob2(tags, scheme) for tags in predicted]  # written back in the file's own scheme
    tag_col = predictor.recipe.tag_col
    gold_col = gold_column(corpus, tag_col, predictor.classes)
    gold = corpus.column(gold_col) if gold_col is not None else None
    if out is not None and _stem_suffix(out) == ".conllu":
        from trainwell.text.tagging.conll import holds_gold_tags, prediction_key, write_conllu

        if corpus.format != "conllu" or tag_col not in corpus.column_names:
            why = "is not CoNLL-U" if corpus.format != "conllu" else f"has no {tag_col} column to hold them"
            raise ConfigError(
                f"--out {out.name}: a .conllu output is the CoNLL-U input with a predicted {tag_col} for each word, and "
                f"'{data[0]}' {why}; name the output .conll for 'word gold predicted' lines"
            )
        keep_gold = holds_gold_tags(corpus, tag_col)
        write_conllu(out, corpus, tag_col, predicted, keep_gold=keep_gold)
        where = (
            f"their gold {tag_col} kept and the predictions in MISC as {prediction_key(tag_col)}=TAG"
            if keep_gold
            else f"their {tag_col} predicted (the column was empty)"
        )
        out_console.print(f"wrote {sum(map(len, words)):,} words to {out}, {where}", soft_wrap=True)
        return
    if out is not None and _stem_suffix(out) in CONLL_OUT_SUFFIXES:
        from trainwell.text.tagging.conll import write_conll

        columns = [gold, predicted] if gold is not None else [predicted]
        write_conll(out, words, columns)
        out_console.print(f"wrote {sum(map(len, words)):,} tagged words to {out}")
        return
    rows: dict[str, list[Any]] = {
        # numbered from 1, as the lines of raw sentences and the epochs are
        "sentence": [i for i, sentence in enumerate(words, start=1) for _ in sentence],
        "word": [word for sentence in words for word in sentence],
    }
    if gold is not None:
        rows[tag_col] = [tag for sentence in gold for tag in sentence]
    rows["prediction"] = [tag for sentence in predicted for tag in sentence]
    emit_table(pd.DataFrame(rows), out, "predictions")


def _table_hint(path: Path) -> str | None:
    """How to tag ``path`` as a table, when its first lines read as one (a header of names, then a row of as many
    TAB-separated fields holding more words: ``id sentence`` above ``1 EU rejects German call``), for the error
    of its reading as CoNLL; ``None`` when they do not."""
    import re

    lines = [line for line in _first_lines(path, 2) if line.strip()]
    if len(lines) < 2:
        return None
    header, row = lines[0].split("\t"), lines[1].split("\t")
    named = all(re.fullmatch(r"[A-Za-z_][\w.-]{0,63}", field.strip()) for field in header)
    if len(header) < 2 or not named or len(row) != len(header) or len(lines[1].split()) <= len(row):
        return None
    from trainwell.core.errors import ConfigError
    from trainwell.text.tagging.predictor import sentence_column

    names = [field.strip() for field in header]
    try:
        column = sentence_column(names, None)
    except ConfigError:  # none named text or sentence: the user names it
        column = "COLUMN"
    return (
        f"its first line reads as a table's header ({', '.join(names[:6])}): to tag a column of sentences, "
        f"pass --text {column}"
    )


def _tag_table(
    predictor: Any,
    source: Path,
    out: Path | None,
    encoding: str,
    encoding_errors: str,
    text: str | None,
    kept: list[str],
) -> None:
    """One row per row of a table of raw sentences: its ``text`` column (or the one column, or the one named
    text or sentence) tagged, beside the ``kept`` columns; a row without a sentence is left untagged."""
    from trainwell.core.errors import ConfigError, DataError
    from trainwell.data.io import did_you_mean, list_columns, read_table

    if out is not None and _stem_suffix(out) in (*CONLL_OUT_SUFFIXES, ".conllu"):
        raise ConfigError(
            f"--out {out.name}: a table's sentences are answered as a table: name the output .csv"
        )
    rows = read_table(source, encoding=encoding, encoding_errors=encoding_errors)
    columns = [str(column) for column in rows.columns]
    if text is not None and text not in columns:
        raise DataError(
            f"--text names '{text}', not a column of {source}{did_you_mean([text], columns)}; columns are: "
            f"{list_columns(columns)}"
        )
    absent = [name for name in kept if name not in columns]
    if absent:
        raise DataError(f"--keep names {', '.join(map(repr, absent))}, not a column of {source}")
    from trainwell.text.tagging.predictor import sentence_column

    try:
        column = sentence_column(columns, text)
    except ConfigError as error:  # which column: said with the option that names it
        raise ConfigError(
            f"{source} is a table of {len(columns)} columns ({list_columns(columns)}): name its column of "
            "sentences with --text"
        ) from error
    import pandas as pd

    from trainwell.cli._blank_texts import predicted_but_empty

    # Each cell as the tagger reads it (a number written as its digits, a missing cell empty), so that only the
    # rows without a sentence are left untagged, and said, as the text classifier's are.
    sentences = pd.DataFrame(
        {column: ["" if value != value else str(value) for value in rows[column]]}, index=rows.index
    )
    predictions = predicted_but_empty(
        lambda chosen: predictor.predict(chosen, text_col=column), sentences, [column], source
    )
    emit_table(
        pd.concat([rows[kept].reset_index(drop=True), predictions.reset_index(drop=True)], axis=1),
        out,
        "predictions",
    )


def _tag_raw_sentences(
    predictor: Any, source: Path, out: Path | None, encoding: str, encoding_errors: str
) -> None:
    """One row per sentence (its line number, words, tags, entities), or with ``--out x.conll`` the words split
    and tagged as ``word predicted`` lines, a blank line after each sentence."""
    from trainwell.cli._common import text_lines
    from trainwell.core.errors import ConfigError

    if out is not None and _stem_suffix(out) == ".conllu":
        raise ConfigError(
            f"--out {out.name}: a .conllu output is the CoNLL-U input with a predicted {predictor.recipe.tag_col} "
            "for each word, and raw sentences have none; name the output .conll for 'word predicted' lines"
        )
    numbers, lines = text_lines(
        source, encoding, encoding_errors, empty="no sentence to tag; pass one per line"
    )
    # Named by line, as the answers are: "line 3 has 11,066 words: ..." (a document pasted on one line).
    all_tagged = predictor.tag_named(lines, [f"line {number}" for number in numbers])
    if out is not None and _stem_suffix(out) in CONLL_OUT_SUFFIXES:
        from trainwell.text.tagging.conll import write_conll

        tagged = [sentence for sentence in all_tagged if sentence.words]
        words = [sentence.words for sentence in tagged]
        write_conll(out, words, [[sentence.tags for sentence in tagged]])
        out_console.print(f"wrote {sum(map(len, words)):,} tagged words to {out}")
        return
    if out is not None and _stem_suffix(out) in (".json", ".jsonl"):
        import pandas as pd

        # JSON holds lists: each sentence's words, tags, confidences and entities (with their characters), as the
        # server answers, not the table's space-joined strings.
        tagged = [
            {"line": number, **sentence.to_dict()}
            for number, sentence in zip(numbers, all_tagged, strict=True)
        ]
        emit_table(pd.DataFrame(tagged), out, "predictions")
        return
    # blank lines are skipped: say which line each answer is for
    predictions = predictor.table(all_tagged, lines=numbers)
    emit_table(predictions, out, "predictions")
