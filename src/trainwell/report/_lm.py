"""The report's sections for a language model judged on held-out text: perplexity with intervals (with and
without the cache pointer), next-token accuracy, where the loss comes from, calibration of the first guess, the
hardest texts with their costliest tokens marked, and continuations sampled from the texts' openings.

Every sentence names what the model predicts one of (:func:`~trainwell.text.lm_recipe.predicted_unit`): a word,
a subword or, for a ``--tokenizer char`` model, a character."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from trainwell.core.errors import DataError
from trainwell.core.numbers import figure
from trainwell.core.paths import is_table_file
from trainwell.report import _html
from trainwell.text.lm_recipe import predicted_unit

if TYPE_CHECKING:
    from trainwell.text.lm_eval import HeldOutText, TokenScores, UnknownWords
    from trainwell.text.lm_predictor import LMPredictor

#: Tokens shown of each hard text (the costliest window of a longer one).
SHOWN_TOKENS = 80
#: Texts shorter than this are not listed among the hardest (one rare word makes a 2-token text "hard").
MIN_HARD_TOKENS = 5
#: A token is marked in the hardest texts when the model gave it less than this probability.
MARK_BELOW = 0.001
#: The mark of a word's first subword piece (SentencePiece's convention, which the subword tokenizer keeps).
WORD_START = "\u2581"
#: Openings continued in the samples section, the prompt's length and the tokens sampled.
N_SAMPLES, PROMPT_TOKENS, SAMPLED_TOKENS = 3, 10, 20


def lm_report_sections(
    predictor: LMPredictor,
    data: Path,
    *,
    top_k: int,
    encoding: str = "utf-8",
    encoding_errors: Literal["strict", "replace"] = "strict",
    seed: int = 0,
    names: Sequence[str] | None = None,
) -> tuple[list[str], list[str]]:
    """Intro paragraphs and sections for the language model of ``predictor`` judged on the texts of ``data``
    (a folder of ``.txt`` files, a text file with one text per line, or a table with a ``text`` column: its
    ``names`` when it has no header row). A
    folder of train, valid and test files (PTB's layout, :func:`~trainwell.text.corpus.corpus_splits`) is
    judged on its test file, else its valid file: never on the text a fit of that folder trained on."""
    import pandas as pd

    from trainwell.report.build import _training_overlap
    from trainwell.text.corpus import corpus_splits
    from trainwell.text.lm_eval import encode_held_out, score_model, unknown_words
    from trainwell.text.lm_stream import SKETCH_COLUMN, read_corpus

    splits, folder = corpus_splits(data), data
    if splits is not None:
        which = "test" if "test" in splits else "valid"
        data = splits[which]
    table = is_table_file(data)
    # The column the model was trained on (--text), else 'text'.
    text_col = (predictor.recipe.text_col or SKETCH_COLUMN) if table else None
    try:
        texts = read_corpus(
            data,
            text_col=text_col,
            encoding=encoding,
            encoding_errors=encoding_errors,
            whole_files=predictor.recipe.documents,
            names=names,
        )
    except DataError as error:
        if text_col is None or f"text column {text_col!r} not found" not in str(error):
            raise
        raise DataError(
            f"{error}; the report reads a table's '{text_col}' column: rename yours to it"
        ) from None
    held_out = encode_held_out(predictor.recipe, texts)
    scores = score_model(predictor.model, held_out, cache=predictor.recipe.cache)
    model = scores[0]
    intro: list[str] = [
        _html.facts(
            f"language model predicting each next {predicted_unit(predictor.recipe.tokenizer_name)} "
            f"({_vocabulary_words(predictor.recipe)})",
            f"{held_out.n_tokens:,} predicted tokens of {held_out.n_texts:,} "
            f"text{'' if held_out.n_texts == 1 else 's'} from {data}, read as one stream as in training"
            + (
                " (a text file whole, as the model's training texts were whole files)"
                if predictor.recipe.documents and data.is_file() and text_col is None
                else ""
            ),
        )
    ]
    if splits is not None:
        intro.append(
            _html.paragraph(
                f"{folder} holds {', '.join(f'a {name} file' for name in splits)}: the report judges its {which} "
                f"file, {data.name}"
                + (
                    ", which a fit of the folder kept out of every choice."
                    if which == "test"
                    else " (no test file), which a fit of the folder validated on: its figures are a little "
                    "optimistic."
                )
            )
        )
    overlap = _training_overlap(predictor.metadata, pd.DataFrame({SKETCH_COLUMN: texts}), unit="texts")
    if overlap:
        intro.append(_html.paragraph(overlap))
    # PTB's <unk> named as the model and the corpus write it, never as "words outside the vocabulary" (xxunk).
    unknown = unknown_words(predictor.recipe, texts, held_out)
    sections = [_perplexity_section(scores, predictor, seed, unknown)]
    if predictor.recipe.tokenizer_name != "subword":
        sections.append(_bands_section(model, predictor, unknown))
    sections.append(_calibration_section(model))
    sections.append(_hardest_section(model, predictor, top_k, unknown))
    sections.append(_samples_section(predictor, held_out, seed))
    return intro, sections


def _perplexity_section(
    scores: list[TokenScores], predictor: LMPredictor, seed: int, unknown: UnknownWords
) -> str:
    from trainwell.text.lm_eval import compare

    model = scores[0]
    held = model.held_out
    unit = predicted_unit(predictor.recipe.tokenizer_name)
    rows: list[tuple[object, ...]] = []
    for score in scores:
        perplexity, low, high = score.perplexity_interval(seed=seed)
        rows.append(
            (
                score.name,
                perplexity,
                _html.interval(low, high),
                score.bits_per_char,
                # To 4 decimals as the other reports' shares: 0.006149 read as a figure more precise than it is.
                round(score.accuracy(1), 4) if score.rank is not None else "",
                round(score.accuracy(5), 4) if score.rank is not None else "",
            )
        )
    perplexity, low, high = model.perplexity_interval(seed=seed)
    accuracy, acc_low, acc_high = model.accuracy_interval(1, seed=seed)
    body = [
        _html.paragraph(
            f"The 95% intervals are percentile bootstraps over {held.grouped_by} (the {unit}s of one text are "
            "not independent, so they are resampled together). Perplexity counts tokens of this model's tokenizer; "
            "bits per character compare models whose tokens differ.",
            note=True,
        ),
        _html.table(
            [
                "model",
                "perplexity",
                "95% interval",
                "bits per character",
                f"next-{unit} accuracy",
                "top-5 accuracy",
            ],
            rows,
        ),
        _html.paragraph(
            f"Perplexity {perplexity:,.1f} [{low:,.1f}, {high:,.1f}]: "
            + perplexity_meaning(perplexity, len(predictor.recipe.vocab), unit=unit)
            + f" Its first guess of the next {unit} is right {accuracy:.1%} [{acc_low:.1%}, {acc_high:.1%}] of "
            f"the time, and the right {unit} is among its first five guesses {model.accuracy(5):.1%} of the time."
        ),
    ]
    if unknown.sentence():
        body.append(_html.paragraph(unknown.sentence(), note=True))
    cache = predictor.recipe.cache
    if len(scores) > 1 and cache is not None:
        ratio = compare(scores[1], model, seed=seed)
        body.append(
            _html.paragraph(
                f"The cache pointer (the last {cache.window} hidden states and the {unit}s that followed them, "
                f"theta {cache.theta}, lambda {cache.lambda_}, chosen on the validation text at the end of "
                f"training): {ratio.sentence()}."
            )
        )
    else:
        body.append(
            _html.paragraph(
                "No cache pointer: this model's recipe holds no cache settings (it was trained without validation "
                "text, before they were kept, or the cache did not help on its validation text).",
                note=True,
            )
        )
    history = (predictor.metadata.get("training") or {}).get("history") or []
    last = history[-1] if history else {}
    trigram = last.get("perplexity_baseline")
    if (
        isinstance(last.get("perplexity"), float)
        and isinstance(trigram, float)
        and last["perplexity"] >= trigram
    ):
        # As the fit warned on the terminal: a grey note under the table was easy to pass over.
        body.append(
            _html.paragraph(
                f"Warning: at the end of training its validation perplexity, {last['perplexity']:,.1f}, was "
                f"{last['perplexity'] / trigram:.1f} times the {trigram:,.1f} of a Kneser-Ney trigram counted on "
                f"the training text: it has not yet learned more than {unit} counts; train longer (a longer "
                "--time) or on more text."
            )
        )
    if isinstance(last.get("perplexity"), float):
        body.append(
            _html.paragraph(
                f"At the end of training its validation perplexity was {last['perplexity']:,.1f}"
                + (
                    f", against {last['perplexity_baseline']:,.1f} for a Kneser-Ney trigram counted on the "
                    "training text"
                    if isinstance(last.get("perplexity_baseline"), float)
                    else ""
                )
                + ". trainwell evaluate CORPUS --task language_model --test TEXT compares it with n-gram "
                "baselines on this text.",
                note=True,
            )
        )
    return _html.section("metrics", "Perplexity", body)


def perplexity_meaning(perplexity: float, vocab_size: int, *, unit: str = "word") -> str:
    """What a perplexity means, in a sentence: as unsure as a choice among that many equally likely words (or
    characters for a character model: ``unit``), which past the vocabulary's size is no choice the model has:
    it then does worse than a uniform guess over its vocabulary (a Tiny Shakespeare model trained for a minute:
    9,582 "equally likely words" of 6,584).

    Example:
        >>> perplexity_meaning(120.4, 10_000)
        'at each step the model is on average as unsure as a choice among 120 equally likely words (of 10,000 in its vocabulary).'
        >>> perplexity_meaning(4.2, 65, unit="character")
        'at each step the model is on average as unsure as a choice among 4 equally likely characters (of 65 in its vocabulary).'
    """
    if perplexity <= vocab_size:
        return (
            f"at each step the model is on average as unsure as a choice among {perplexity:,.0f} equally likely "
            f"{unit}s (of {vocab_size:,} in its vocabulary)."
        )
    return (
        f"more than the {vocab_size:,} {unit}s of its vocabulary, so the model does worse than a uniform guess "
        f"over its vocabulary (whose perplexity is {vocab_size:,}): on average it gives the {unit} that comes next "
        f"less than the 1/{vocab_size:,} a uniform guess gives every {unit}. It has not learned this text; train "
        "longer, or on text like it."
    )


def _bands_section(model: TokenScores, predictor: LMPredictor, unknown: UnknownWords | None = None) -> str:
    from trainwell.text.lm_eval import loss_by_band

    unit = predicted_unit(predictor.recipe.tokenizer_name)
    named = {"unknown_name": unknown.band_name()} if unknown is not None else {}
    bands = loss_by_band(model, predictor.recipe.vocab, unit=unit, **named)
    # The markers the text holds, by name: a character model writes capitals as characters, so "markers
    # (xxmaj, xxeos...)" named one it never predicts.
    from trainwell.text.specials import SPECIAL_TOKENS

    held = getattr(model, "held_out", None)
    vocab = predictor.recipe.vocab
    targets = np.asarray(held.ids[1:]) if held is not None and vocab is not None else np.array([], dtype=int)
    found = sorted(
        {vocab.itos[int(index)] for index in np.unique(targets[targets < len(SPECIAL_TOKENS)])}
        - ({vocab.itos[vocab.unk_id]} if vocab is not None else set())
    )
    if found:
        bands = [
            dataclasses.replace(band, name=f"markers ({', '.join(found)})")
            if band.name.startswith("markers (")
            else band
            for band in bands
        ]
    rows = [
        (
            band.name,
            band.tokens,
            f"{band.share:.1%}",
            f"{band.loss_share:.1%}",
            band.perplexity,
            # A share like the two before it, to 3 figures: 0.03% of the commonest words is not 0.0%.
            f"{100 * band.accuracy:.3g}%",
        )
        for band in bands
    ]
    body = [
        _html.paragraph(
            f"{unit.capitalize()}s are ranked by how often they occurred in training (rank 1: the most "
            "frequent). Perplexity within a band is exp of its tokens' mean loss.",
            note=True,
        ),
        _html.table(
            [
                "tokens",
                "count",
                "share of tokens",
                "share of the loss",
                "perplexity",
                f"next-{unit} accuracy",
            ],
            rows,
        ),
    ]
    costly = concentrated_band(bands)
    if costly is not None:
        body.append(
            _html.paragraph(
                f"{costly.name.capitalize()} are {costly.share:.0%} of the tokens but {costly.loss_share:.0%} of "
                "the loss: the model's uncertainty is concentrated there."
            )
        )
    return _html.section("bands", "Where the loss comes from", body)


#: Tokens a band must hold for the report to say the loss concentrates in it: one token of perplexity 2,784,425
#: made "0% of the tokens but 0% of the loss" a finding.
MIN_BAND_TOKENS = 50


def concentrated_band(bands: Sequence[Any]) -> Any | None:
    """The band whose share of the loss most exceeds its share of the tokens, when the two differ as the
    sentence writes them (whole percentages: "0% of the tokens but 0% of the loss" said nothing) and it holds
    at least :data:`MIN_BAND_TOKENS` tokens; ``None`` otherwise."""
    said = [
        band
        for band in bands
        if band.tokens >= MIN_BAND_TOKENS and round(100 * band.loss_share) > round(100 * band.share)
    ]
    return max(said, key=lambda band: band.loss_share - band.share, default=None)


#: Bins of the calibration figure (tenths of probability) that must hold :data:`CALIBRATION_BIN_TOKENS` tokens
#: or more for calibration to be judged: with its first guesses all in one or two tenths (a model that never gets
#: confident), the figure is one dot and the gap between two means says nothing about calibration.
CALIBRATION_BINS = 3
CALIBRATION_BIN_TOKENS = 20


def _calibration_section(model: TokenScores) -> str:
    from trainwell.interpret.classification import reliability_bins
    from trainwell.report._outputs import calibration_png

    assert model.rank is not None and model.p_top is not None  # a neural model's scores carry both
    right = (model.rank == 0).astype(np.float64)
    counts = reliability_bins(model.p_top, right)[2]
    if int((counts >= CALIBRATION_BIN_TOKENS).sum()) < CALIBRATION_BINS:
        low, high = float(np.min(model.p_top)), float(np.max(model.p_top))
        # Never above a third: the model is never confident; else its guesses sit in a band too narrow to judge.
        spread = (
            f"the probability of the model's first guess is never above {high:.1%} over all {len(right):,} "
            "tokens, so the model is never confident and there is no range of confidence"
            if high < 1 / 3
            else f"the probability of the model's first guess stays between {low:.1%} and {high:.1%} over all "
            f"{len(right):,} tokens, too narrow a range of confidence"
        )
        return _html.section(
            "calibration",
            "Calibration",
            [
                _html.paragraph(
                    f"Calibration cannot be judged yet: {spread} to compare with how often it is right "
                    f"({right.mean():.1%} of its first guesses are; fewer than {CALIBRATION_BINS} of the ten "
                    f"tenths of probability hold {CALIBRATION_BIN_TOKENS} tokens, so a figure would be one or two "
                    "dots)."
                )
            ],
        )
    png = calibration_png(
        model.p_top,
        right,
        axis_labels=("probability of the model's first guess", "how often the first guess was right"),
        title="Calibration of the first guess (tokens per bin annotated)",
    )
    gap = float(model.p_top.mean() - right.mean())
    if abs(gap) < 0.02:
        verdict = "its stated confidence matches how often it is right"
    elif gap > 0:
        # Percentage points: right 11.2% of the time against 8.4% said is 2.8 points, not 2.8% more often.
        verdict = (
            f"it is overconfident: its first guesses are right {100 * gap:.1f} percentage points less often "
            "than it says"
        )
    else:
        verdict = (
            f"it is underconfident: its first guesses are right {-100 * gap:.1f} percentage points more often "
            "than it says"
        )
    return _html.section(
        "calibration",
        "Calibration",
        [
            _html.image(png, "calibration of the first guess"),
            _html.paragraph(
                f"Mean probability of the first guess {model.p_top.mean():.1%}, right {right.mean():.1%} of the "
                f"time: {verdict}."
            ),
        ],
    )


#: A character model's hardest passages: its held-out text cut into passages of this many characters, ranked by
#: perplexity (a file read as one stream is one "text": the whole file was the one hardest text).
CHAR_PASSAGE = 200


def _passages(text_of_token: np.ndarray, length: int) -> list[tuple[int, int, int]]:
    """The predicted tokens cut into passages of ``length`` within each text: ``(text, start, stop)``, positions
    into the scores; a text's last passage shorter than half ``length`` joins the one before it."""
    found: list[tuple[int, int, int]] = []
    bounds = np.flatnonzero(np.diff(text_of_token)) + 1
    for first, last in zip([0, *bounds.tolist()], [*bounds.tolist(), len(text_of_token)], strict=True):
        cuts = list(range(first, last, length))
        if len(cuts) > 1 and last - cuts[-1] < length // 2:
            cuts.pop()
        for index, begin in enumerate(cuts):
            found.append(
                (int(text_of_token[first]), begin, cuts[index + 1] if index + 1 < len(cuts) else last)
            )
    return found


def _hardest_section(
    model: TokenScores, predictor: LMPredictor, top_k: int, unknown: UnknownWords | None = None
) -> str:
    from trainwell.text.specials import UNK

    held = model.held_out
    itos = predictor.recipe.vocab.itos
    subword = predictor.recipe.tokenizer_name == "subword"
    unit = predicted_unit(predictor.recipe.tokenizer_name)
    # A capital is its own marker token (xxmaj) before a word or piece: a character model predicts the capital.
    capital = ", their capital letter included" if unit != "character" else ""
    shown_unknown = unknown.token if unknown is not None else UNK
    characters = unit == "character"
    rows: list[str] = []
    if characters:
        # Characters joined as they are written, ranked by passages of CHAR_PASSAGE characters.
        passages = [
            passage
            for passage in _passages(held.text_of_token, CHAR_PASSAGE)
            if passage[2] - passage[1] >= MIN_HARD_TOKENS
        ]
        losses = np.array([float(np.mean(model.nll[begin:stop])) for _, begin, stop in passages])
        order = np.argsort(-losses, kind="stable")[:top_k]
        for index in order.tolist():
            text, begin, stop = passages[index]
            positions = np.arange(begin, stop)
            tokens = [itos[int(held.ids[position + 1])] for position in positions]
            tokens = [shown_unknown if token == UNK else token for token in tokens]
            words = readable_tokens(tokens, np.exp(-model.nll[positions]), characters=True)
            first = begin - int(np.searchsorted(held.text_of_token, text)) + 1
            rows.append(
                f'<tr><td class="number">{text + 1}</td><td class="number">'
                f"{first:,}–{first + len(positions) - 1:,}</td>"
                f'<td class="number">{figure(math.exp(losses[index]))}</td>'
                f'<td class="prose">{"".join(words)}</td></tr>'
            )
        names = ["text", "characters", "perplexity", "the passage as the model reads it"]
        opening, style = _html.stacked_table(names)
        head = "".join(f"<th>{name}</th>" for name in names)
        table = (
            f'<div class="scroll">{style}{opening}<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody>'
            "</table></div>"
        )
        note = (
            f"The {len(rows)} passages of {CHAR_PASSAGE} characters (a text's last one up to half as long again) with "
            "the highest perplexity, by their text, numbered as in the file, and where they sit in it; marked: "
            f"characters the model gave less than {MARK_BELOW:g} probability (hover for it; ␣ a marked space, ↵ a "
            f"line break); ¶ ends a text, {_unknown_is(unknown, unit)}."
        )
        return _html.section("hardest", "Hardest passages", [_html.paragraph(note, note=True), table])
    losses = model.text_losses()
    counts = np.bincount(held.text_of_token, minlength=held.n_texts)
    eligible = np.flatnonzero((counts >= MIN_HARD_TOKENS) & ~np.isnan(losses))
    if not len(eligible):
        eligible = np.flatnonzero(~np.isnan(losses))
    order = eligible[np.argsort(-losses[eligible], kind="stable")][:top_k]
    for text in order:
        positions = np.flatnonzero(held.text_of_token == text)
        before = after = ""
        if len(positions) > SHOWN_TOKENS:  # the costliest window of a long text, its cuts marked
            window = np.convolve(model.nll[positions], np.ones(SHOWN_TOKENS), mode="valid")
            start = int(np.argmax(window))
            before = "… " if start > 0 else ""
            after = " …" if start + SHOWN_TOKENS < len(positions) else ""
            positions = positions[start : start + SHOWN_TOKENS]
        tokens = [itos[int(held.ids[position + 1])] for position in positions]
        tokens = [shown_unknown if token == UNK else token for token in tokens]
        words = readable_tokens(tokens, np.exp(-model.nll[positions]), subword=subword)
        shown = before + ("" if subword else " ").join(words).strip() + after
        rows.append(
            f'<tr><td class="number">{int(text) + 1}</td><td class="number">'
            f"{figure(math.exp(losses[text]))}</td>"
            f'<td class="number">{int(counts[text])}</td><td class="prose">'
            f"{shown}</td></tr>"
        )
    names = ["text", "perplexity", "tokens", "the text as the model reads it"]
    opening, style = _html.stacked_table(names)
    head = "".join(f"<th>{name}</th>" for name in names)
    table = (
        f'<div class="scroll">{style}{opening}<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody>'
        "</table></div>"
    )
    return _html.section(
        "hardest",
        "Hardest texts",
        [
            _html.paragraph(
                f"{_the_texts(len(order))} with the highest perplexity (of those with at least {MIN_HARD_TOKENS} "
                f"tokens), numbered as in the file; of a text longer than {SHOWN_TOKENS} tokens, its costliest "
                f"{SHOWN_TOKENS} (… marks the cuts); marked: {unit}s the model gave less than {MARK_BELOW:g} "
                f"probability (hover for it){capital}; ¶ ends a text, {_unknown_is(unknown, unit)}.",
                note=True,
            ),
            table,
        ],
    )


def _unknown_is(unknown: UnknownWords | None, unit: str = "word") -> str:
    """What the unknown token stands for in the hardest texts: a word the corpus replaced (PTB's <unk> written in
    the text), a word (a character, of a character model: ``unit``) outside the vocabulary, or either."""
    if unknown is None or not unknown.marked:
        return f"{unknown.token if unknown is not None else 'xxunk'} is a {unit} outside the vocabulary"
    if not unknown.unseen:
        return f"{unknown.token} is the corpus's own token for the {unit}s it replaced"
    return f"{unknown.token} is a {unit} the corpus replaced or one outside the vocabulary"


def _the_texts(count: int) -> str:
    return "The text" if count == 1 else f"The {count} texts"


def readable_tokens(
    tokens: list[str], probability: np.ndarray, *, subword: bool = False, characters: bool = False
) -> list[str]:
    """The tokens as HTML words: a case mark (xxmaj, xxup) applied to the word after it rather than shown, the
    start of a text left out and its end shown as ¶; a word is marked (its probability on hover) when the model
    gave it, or the case mark before it, less than :data:`MARK_BELOW`. With ``subword``, pieces: a word-start
    piece ("▁the") gets a leading space instead of its mark, so the pieces join with "" into words. With
    ``characters``, a character model's tokens, which join with "" as written: a line break shown as ↵ and a
    space, a marked space as ␣ (a marked blank is invisible)."""
    from trainwell.text.tokenize import BOS, EOS, MAJ, UP

    words: list[str] = []
    case, case_p = "", 1.0
    for token, p in zip(tokens, probability.tolist(), strict=True):
        if token in (MAJ, UP):
            case, case_p = token, p
            continue
        if token == BOS:
            continue
        shown = (
            "¶"
            if token == EOS
            else token.capitalize()
            if case == MAJ
            else token.upper()
            if case == UP
            else token
        )
        space = ""
        if subword and shown.startswith(WORD_START):
            space, shown = " ", shown.removeprefix(WORD_START)
        elif subword and shown == "¶":
            space = " "
        least = min(p, case_p)
        if characters and shown == "\n":
            shown = "↵ "
        elif characters and shown == " " and least < MARK_BELOW:
            shown = "␣"
        elif characters and shown == "¶":
            shown = "¶ "
        text = _html.escape(shown)
        words.append(space + (f'<mark title="p={least:.2g}">{text}</mark>' if least < MARK_BELOW else text))
        case, case_p = "", 1.0
    return words


#: Private-use characters around a word the vocabulary lacks while the continuation is decoded, made a <mark>
#: once the text is escaped.
_OPEN, _CLOSE = "\ue000", "\ue001"


def _own_words(predictor: LMPredictor, held_out: HeldOutText, start: int, stop: int) -> str | _html.Markup:
    """The held-out text's tokens ``start:stop`` as its own words: those the vocabulary lacks, which the model
    reads as its unknown token (xxunk), are shown as the file wrote them and marked, not as that token."""
    from trainwell.text.specials import UNK
    from trainwell.text.subword import SubwordTokenizer

    recipe = predictor.recipe
    ids = held_out.ids[start:stop].tolist()
    tokenizer = recipe.tokenizer
    if held_out.tokens is None or isinstance(tokenizer, SubwordTokenizer) or recipe.vocab.unk_id not in ids:
        return recipe.decode(ids)
    vocab_tokens = recipe.vocab.decode(ids)
    shown = [
        f"{_OPEN}{word}{_CLOSE}" if index == recipe.vocab.unk_id and word != UNK else token
        for index, word, token in zip(ids, held_out.tokens[start:stop], vocab_tokens, strict=True)
    ]
    text = _html.escape(tokenizer.detokenize(shown))
    marked = text.replace(_OPEN, '<mark title="not in the model\'s vocabulary">').replace(_CLOSE, "</mark>")
    return _html.Markup(marked)


def _samples_section(predictor: LMPredictor, held_out: HeldOutText, seed: int) -> str:
    """A few texts' openings, spread over the held-out text, continued by the model beside what the text said."""
    ids = held_out.ids
    # The first id of every text: text_of_token[j] is the text of ids[j + 1].
    starts = np.array([0, *(np.flatnonzero(np.diff(held_out.text_of_token)) + 2).tolist()])
    starts = starts[starts + PROMPT_TOKENS + SAMPLED_TOKENS <= len(ids)]
    # Spread out (neighbouring openings would overlap), with spares for prompts that cannot be continued.
    picked = np.unique(np.linspace(0, len(starts) - 1, min(len(starts), 3 * N_SAMPLES)).round().astype(int))
    order = [*picked[:: max(1, len(picked) // N_SAMPLES)], *picked]
    rows: list[tuple[str, str, str]] = []
    tried: set[int] = set()
    for index in order:
        if len(rows) == N_SAMPLES or index in tried:
            continue
        tried.add(int(index))
        start = int(starts[index])
        stop = start + PROMPT_TOKENS + SAMPLED_TOKENS
        prompt = predictor.recipe.decode(ids[start : start + PROMPT_TOKENS].tolist())
        real = _own_words(predictor, held_out, start + PROMPT_TOKENS, stop)
        try:
            sampled = predictor.generate(
                prompt, SAMPLED_TOKENS, temperature=0.8, top_k=40, seed=seed + len(rows)
            )
        except DataError:  # a prompt of markers only
            continue
        shown_prompt = _own_words(predictor, held_out, start, start + PROMPT_TOKENS)
        rows.append((shown_prompt, sampled[len(prompt) :].strip(), real))
    if not rows:
        body = [_html.paragraph("The held-out texts are too short to continue.", note=True)]
    else:
        unit = predicted_unit(predictor.recipe.tokenizer_name)
        # Subword pieces spell every word: nothing of the text is marked.
        marked = (
            ""
            if unit == "subword"
            else f" Marked {unit}s of the text are not in the model's vocabulary: it read each as its "
            f"unknown-{unit} token."
        )
        body = [
            _html.paragraph(
                f"The first {PROMPT_TOKENS} tokens of texts spread over the held-out text, continued by "
                f"{SAMPLED_TOKENS} sampled tokens (temperature 0.8, top 40), beside the text's own continuation."
                + marked,
                note=True,
            ),
            _html.table(["opening", "the model's continuation", "the text's continuation"], rows),
        ]
    return _html.section("samples", "Continuations", body)


def _vocabulary_words(recipe: Any) -> str:
    """``72 tokens in its vocabulary: 62 characters and 10 markers (xxbos, xxeos...)``: the size, split as the
    loss bands count it (:func:`~trainwell.text.lm_eval.loss_by_band`), so a band of "all 62 characters of the
    vocabulary" does not read against a header of 72; filler rows rounding the table up are named too."""
    from trainwell.text.specials import FAKE_PREFIX, SPECIAL_TOKENS

    itos = list(recipe.vocab.itos)
    markers = sum(1 for token in itos[: len(SPECIAL_TOKENS)])
    fillers = sum(1 for token in itos[len(SPECIAL_TOKENS) :] if token.startswith(FAKE_PREFIX))
    own = len(itos) - markers - fillers
    unit = predicted_unit(recipe.tokenizer_name)
    words = f"{len(itos):,} tokens in its vocabulary: {own:,} {unit}{'' if own == 1 else 's'} and {markers} markers (xxbos, xxeos...)"
    if fillers:
        words += f", and {fillers} unused rows rounding the table up to a multiple of 8"
    return words
