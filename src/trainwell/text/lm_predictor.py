"""Text generation and scoring from a language-model artifact, without the training code.

Imports only torch, the registry (to rebuild the model from ``trainwell.json``) and the text recipe, so a
serving process or ``trainwell generate`` never loads the Learner.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import torch
from torch import nn

from trainwell.core.artifact import read_artifact
from trainwell.core.errors import ArtifactError, DataError
from trainwell.models.registry import create_model
from trainwell.text.lm_recipe import LMRecipe, WhitespaceTokenizer
from trainwell.text.lm_sampling import generate_ids, sample_ids, stream_text
from trainwell.text.lm_sampling import nucleus as nucleus  # where it was first written
from trainwell.text.specials import BOS, FAKE_PREFIX, MAJ, PAD, SPECIAL_TOKENS, UNK, UP
from trainwell.text.tokenize import WordTokenizer

if TYPE_CHECKING:
    import pandas as pd

    from trainwell.text.lm_eval import TokenScores

__all__ = [
    "LMPredictor",
    "UnknownByText",
    "corpus_marker_sentence",
    "generate_ids",
    "generate_text",
    "load_lm",
    "predictor_from_artifact",
    "read_as_unknown",
    "unknown_by_text",
    "unknown_prompt_words",
    "unknown_texts_note",
]

#: Seconds a generation may be foreseen to take before a warning says how long (:func:`pace_warning`).
LONG_GENERATION_SECONDS = 60.0
#: Unknown prompt words a warning names before it counts the rest.
NAMED_UNKNOWN = 5
#: Tokens read per model call when texts are scored one by one (rows x window).
SCORE_TOKENS = 4096


def banned_ids(itos: list[str]) -> list[int]:
    """Ids a sampler must never produce: padding, start-of-text, unknown word and the vocabulary fillers."""
    banned = {PAD, BOS, UNK}
    return [i for i, token in enumerate(itos) if token in banned or token.startswith(FAKE_PREFIX)]


def generate_text(
    model: nn.Module,
    recipe: LMRecipe,
    prompt: str,
    n_words: int = 50,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    seed: int | None = None,
) -> str:
    """The prompt as written, followed by ``n_words`` sampled tokens as readable text.

    The prompt is echoed verbatim: its encoding may lower-case it or read a rare word as unknown, which is
    what the model conditions on, not what the user should read back.
    """
    # The stream's pieces, joined: one sampling path for generate and stream (tested equal piece for piece).
    return "".join(
        stream_generated_text(
            model, recipe, prompt, n_words, temperature=temperature, top_k=top_k, top_p=top_p, seed=seed
        )
    )


def stream_generated_text(
    model: nn.Module,
    recipe: LMRecipe,
    prompt: str,
    n_words: int = 50,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    seed: int | None = None,
    on_pace: Callable[[int, float], None] | None = None,
) -> Iterator[str]:
    """:func:`generate_text`'s text in pieces, each yielded as its tokens are sampled (the first after a second,
    then a few a second: :func:`~trainwell.text.lm_sampling.stream_text`); joined, they are the text
    :func:`generate_text` returns for the same settings and seed. The settings are checked at the call.
    ``on_pace(tokens drawn, seconds)`` hears the pace before the first piece."""
    prompt_ids = _prompt_ids(recipe, prompt)
    itos = recipe.vocab.itos
    new_ids = sample_ids(
        model,
        prompt_ids,
        n_words,
        temperature=temperature,
        top_k=top_k,
        top_p=top_p,
        seed=seed,
        banned=banned_ids(itos),
        marks=[i for i, token in enumerate(itos) if token in (MAJ, UP)],
    )
    decoded_prompt = recipe.decode(prompt_ids)
    return stream_text(
        new_ids,
        prompt_ids,
        n_words,
        lambda ids: continue_prompt(prompt, decoded_prompt, recipe.decode(ids)),
        lambda token_id: itos[token_id] not in SPECIAL_TOKENS,
        on_pace=on_pace,
    )


def pace_warning(n_words: int, drawn: int, seconds: float, unit: str) -> Warning | None:
    """The warning a long generation deserves before its text: ``n_words`` tokens at the pace of the first
    ``drawn`` in ``seconds``, when that comes to more than a minute (``--n-words 100000`` of a PTB model: 45
    minutes, said nowhere); ``None`` below it.

    Example:
        >>> str(pace_warning(100_000, 36, 1.0, "word"))
        'generating 100,000 words at about 36 a second here takes about 46m 18s; the text is written as it comes (Ctrl-C stops it; n_words asks for fewer)'
        >>> pace_warning(500, 36, 1.0, "word") is None
        True
    """
    if drawn < 1 or seconds <= 0:
        return None
    rate = drawn / seconds
    expected = n_words / rate
    if expected <= LONG_GENERATION_SECONDS:
        return None
    from trainwell.callbacks.budget import format_duration
    from trainwell.core.errors import Spelling

    def words(say: Spelling) -> str:
        return (
            f"generating {n_words:,} {unit}s at about {rate:,.0f} a second here takes about "
            f"{format_duration(expected)}; the text is written as it comes (Ctrl-C stops it; {say('n_words')} asks "
            "for fewer)"
        )

    warning = UserWarning(words(Spelling(command_line=False)))
    warning.command_line = words(Spelling(command_line=True))  # type: ignore[attr-defined]
    return warning


def continue_prompt(prompt: str, decoded_prompt: str, decoded_all: str) -> str:
    """``prompt`` verbatim, then what decoding added after the decoded prompt (its spacing kept)."""
    if decoded_all.startswith(decoded_prompt):
        return prompt.rstrip() + decoded_all[len(decoded_prompt) :]
    return decoded_all  # the continuation glued into the prompt's last word: show the decoded whole


def _prompt_ids(recipe: LMRecipe, prompt: str) -> list[int]:
    if not isinstance(prompt, str) or not prompt.strip():
        raise DataError('the prompt is empty; pass some text to continue, e.g. "the market"')
    ids = recipe.encode(prompt)
    # A whitespace tokenizer ends every text with xxeos; a prompt is continued, not ended.
    eos_id = recipe.vocab.eos_id
    while len(ids) > 1 and ids[-1] == eos_id:
        ids.pop()
    return ids


def unknown_prompt_words(recipe: LMRecipe, prompt: str) -> tuple[list[str], int]:
    """The words of ``prompt`` outside the vocabulary of ``recipe``, each once in the order met (as the tokenizer
    writes them: lower-cased by the word tokenizer), and how many different words the prompt holds. The model reads each
    as the unknown-word token, so a continuation cannot follow them. A subword vocabulary spells every word from
    its pieces: none.

    Example:
        >>> from trainwell.text.lm_recipe import WhitespaceTokenizer
        >>> from trainwell.text.vocab import Vocab
        >>> recipe = LMRecipe("whitespace", WhitespaceTokenizer(), Vocab.build([["the", "market"]], min_freq=1))
        >>> unknown_prompt_words(recipe, "the quantum market xyzzy quantum")
        (['quantum', 'xyzzy'], 4)
    """
    if recipe.tokenizer_name == "subword" or not isinstance(prompt, str):
        return [], 0
    words = [token for token in recipe.tokenizer.tokenize(prompt) if token not in SPECIAL_TOKENS]
    unknown = [word for word in words if word not in recipe.vocab]
    return list(dict.fromkeys(unknown)), len(dict.fromkeys(words))


def unknown_words_warning(unknown: Sequence[str], n_words: int, token: str = UNK, unit: str = "word") -> str:
    """One line naming the prompt's ``unknown`` words (the first :data:`NAMED_UNKNOWN`, then how many more) and
    the model's unknown-word ``token`` they read as (:attr:`LMRecipe.unknown_token`: a PTB model's ``<unk>``);
    ``unit``: what the model reads them as (:attr:`LMRecipe.unit`: a character model's are characters).

    Example:
        >>> unknown_words_warning(["xyzzy", "quantum", "blockchain"], 3)
        "the prompt's words 'xyzzy', 'quantum', 'blockchain' (all 3 of its words) are not in the model's vocabulary: it reads them as the unknown-word token xxunk, so the continuation cannot follow them"
        >>> unknown_words_warning(["é"], 5, unit="character")
        "the prompt's character 'é' is not in the model's vocabulary: it reads it as the unknown-character token xxunk, so the continuation cannot follow it"
    """
    named = ", ".join(repr(word) for word in unknown[:NAMED_UNKNOWN])
    if len(unknown) > NAMED_UNKNOWN:
        named += f" and {len(unknown) - NAMED_UNKNOWN:,} more"
    share = (
        f"all {n_words:,} of its {unit}s"
        if len(unknown) >= n_words
        else f"{len(unknown):,} of its {n_words:,}"
    )
    if len(unknown) == 1:
        said = read_as_unknown(token, unit=unit)
        return f"the prompt's {unit} {named} is {said}, so the continuation cannot follow it"
    return (
        f"the prompt's {unit}s {named} ({share}) are {read_as_unknown(token, plural=True, unit=unit)}, so the "
        "continuation cannot follow them"
    )


def read_as_unknown(token: str, *, plural: bool = False, unit: str = "word") -> str:
    """What every message of a language model says of words the model does not know (generate's warning,
    ``trainwell predict``'s note, the server's schema): not in its vocabulary, read as its unknown-word ``token``
    (:attr:`LMRecipe.unknown_token`: a PTB model's ``<unk>``, else ``xxunk``); ``unit``: a character model's
    unknown token is of characters.

    Example:
        >>> read_as_unknown("<unk>", plural=True)
        "not in the model's vocabulary: it reads them as the unknown-word token <unk>"
    """
    them = "them" if plural else "it"
    return f"not in the model's vocabulary: it reads {them} as the unknown-{unit} token {token}"


def corpus_marker_sentence(recipe: LMRecipe, where: str, then: str = "not an unknown word") -> str:
    """The sentence that tells the corpus's own marker written in ``where`` (PTB's ``<unk>``:
    :attr:`LMRecipe.unknown_marker`) from the words the model does not know, ending with ``then``: the corpus
    replaced those words itself, the model trained on the marker, and no answer counts it as unknown. '' for a
    model without one.

    Example:
        >>> from trainwell.text.lm_recipe import WhitespaceTokenizer
        >>> from trainwell.text.vocab import Vocab
        >>> recipe = LMRecipe("whitespace", WhitespaceTokenizer(), Vocab.build([["the", "<unk>"]], min_freq=1))
        >>> corpus_marker_sentence(recipe, "a text")
        "The corpus's own <unk> written in a text (its token for the words it replaced) is a token of the model's vocabulary, not an unknown word."
    """
    marker = recipe.unknown_marker
    if marker is None:
        return ""
    read_as = f", read as {recipe.unknown_token}" if recipe.unknown_token != marker else ""
    return (
        f"The corpus's own {marker} written in {where} (its token for the words it replaced{read_as}) is a token "
        f"of the model's vocabulary, {then}."
    )


@dataclass(frozen=True)
class UnknownByText:
    """Per text, its predicted tokens (every token :meth:`LMPredictor.score_texts` scores: :func:`scored_from`)
    that the model reads as its unknown-word token, by where they come from.

    Attributes:
        unknown: Words the text wrote that are not in the vocabulary (for a subword model: pieces it cannot
            spell, such as characters training never met).
        marked: The corpus's own marker the text wrote (PTB's ``<unk>``): a token the model trained on, never
            counted as unknown.
        words: The unknown words, each once, in the order met (none for a subword model).
    """

    unknown: list[int]
    marked: list[int]
    words: list[str]


def start_context(recipe: LMRecipe) -> int | None:
    """The id a text is read after when its own first token is a word, so that this word is scored too: the
    end-of-text marker for a whitespace model (PTB's lines: in training every line followed the previous line's
    ``xxeos``, as in ``trainwell report``'s stream), ``None`` when texts start with their own marker (the word and
    subword tokenizers' ``xxbos``) or the model never saw one (``add_eos=False``: the first token is only read).

    Example:
        >>> from trainwell.text.lm_recipe import WhitespaceTokenizer
        >>> from trainwell.text.vocab import Vocab
        >>> start_context(LMRecipe("whitespace", WhitespaceTokenizer(), Vocab.build([["the"]], min_freq=1)))
        3
    """
    tokenizer = recipe.tokenizer
    if isinstance(tokenizer, WhitespaceTokenizer) and tokenizer.add_eos:
        return recipe.vocab.eos_id
    return None


def scored_from(recipe: LMRecipe) -> int:
    """Index of a text's first scored token: 0 when :func:`start_context` gives one (every word is predicted), 1
    when the text's first token is its start marker, only read."""
    return 0 if start_context(recipe) is not None else 1


def unknown_by_text(recipe: LMRecipe, texts: Sequence[str]) -> UnknownByText:
    """What each of ``texts`` holds that the model reads as its unknown-word token: words outside its vocabulary
    (the rule of :func:`unknown_prompt_words`) apart from the corpus's own marker (PTB's ``<unk>``), which the
    tokenizer maps to the unknown-word token and the model trained on: a PTB sentence holds no unknown word.

    Example:
        >>> from trainwell.text.lm_recipe import WhitespaceTokenizer
        >>> from trainwell.text.vocab import Vocab
        >>> recipe = LMRecipe("whitespace", WhitespaceTokenizer(), Vocab.build([["the", "<unk>", "cat"]], min_freq=1))
        >>> unknown_by_text(recipe, ["the <unk> cat", "zzqx <unk> zzqx"])
        UnknownByText(unknown=[0, 2], marked=[1, 1], words=['zzqx'])
    """
    tokenizer = recipe.tokenizer
    first = scored_from(recipe)  # a whitespace model scores a text's first word too
    # Subword pieces spell every word: only a character training never met is unknown.
    if not isinstance(tokenizer, (WordTokenizer, WhitespaceTokenizer)):
        ids, offsets = recipe.encode_texts(list(texts))
        unk = recipe.vocab.unk_id
        counts = [int((ids[offsets[i] + first : offsets[i + 1]] == unk).sum()) for i in range(len(texts))]
        return UnknownByText(counts, [0] * len(counts), [])
    vocab = recipe.vocab
    unknown: list[int] = []
    marked: list[int] = []
    words: dict[str, None] = {}
    for tokens in tokenizer.tokenize_many(list(texts)):
        predicted = tokens[first:]  # a start marker (xxbos) is read, never predicted
        outside = [token for token in predicted if token not in vocab]
        unknown.append(len(outside))
        marked.append(predicted.count(UNK))  # the tokenizer wrote the marker as the unknown-word token
        words.update(dict.fromkeys(outside))
    return UnknownByText(unknown, marked, list(words))


def unknown_texts_note(recipe: LMRecipe, texts: Sequence[str], column: str = "unknown") -> str:
    """One line for ``trainwell predict`` on a language model: the texts' words the model does not know (the
    first :data:`NAMED_UNKNOWN`), read as its unknown-word token and counted in ``column``, told from the corpus's
    own marker the texts write (PTB's ``<unk>``: not counted). '' when no text holds an unknown word.

    Example:
        >>> from trainwell.text.lm_recipe import WhitespaceTokenizer
        >>> from trainwell.text.vocab import Vocab
        >>> recipe = LMRecipe("whitespace", WhitespaceTokenizer(), Vocab.build([["the", "<unk>", "cat"]], min_freq=1))
        >>> unknown_texts_note(recipe, ["the <unk> cat", "the zzqx <unk>"])
        "the word 'zzqx' (in 1 of the 2 texts) is not in the model's vocabulary: it reads it as the unknown-word token <unk>, counted in the column unknown; the 2 <unk> the texts write are the corpus's own token for the words it replaced, not counted there"
    """
    found = unknown_by_text(recipe, texts)
    holding = sum(1 for count in found.unknown if count)
    if not holding:
        return ""
    where = (
        "in the text"
        if len(texts) == 1
        else f"in all {len(texts):,} texts"
        if holding == len(texts)
        else f"in {holding:,} of the {len(texts):,} texts"
    )
    token = recipe.unknown_token
    if not found.words:  # a subword model: no word is unknown, a piece it cannot spell is
        total = sum(found.unknown)
        said = (
            f"{total:,} piece{'' if total == 1 else 's'} {where} (characters training never met) "
            f"{'is' if total == 1 else 'are'} {read_as_unknown(token, plural=total != 1)}"
        )
    else:
        named = ", ".join(repr(word) for word in found.words[:NAMED_UNKNOWN])
        if len(found.words) > NAMED_UNKNOWN:
            named += f" and {len(found.words) - NAMED_UNKNOWN:,} more"
        one = len(found.words) == 1
        said = (
            f"the word{'' if one else 's'} {named} ({where}) {'is' if one else 'are'} "
            f"{read_as_unknown(token, plural=not one)}"
        )
    said += f", counted in the column {column}"
    marked, marker = sum(found.marked), recipe.unknown_marker
    if marked and marker is not None:
        read_as = f", read as {token} too" if token != marker else ""
        said += (
            f"; the {marked:,} {marker} the texts write {'is' if marked == 1 else 'are'} the corpus's own token "
            f"for the words it replaced{read_as}, not counted there"
        )
    return said


class Generates:
    """``generate(prompt)`` for anything holding a language ``model`` and its ``recipe`` (a predictor, a
    learner)."""

    model: nn.Module
    recipe: LMRecipe

    def generate(
        self,
        prompt: str,
        n_words: int = 50,
        *,
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        seed: int | None = None,
    ) -> str:
        """``prompt`` continued by ``n_words`` sampled tokens (see :func:`generate_ids`).

        Warns, naming them, when words of the prompt are outside the vocabulary: the model reads them as the
        unknown-word token, and a continuation of "xyzzy quantum blockchain" follows none of them."""
        self._warn_unknown(prompt)
        return generate_text(
            self.model,
            self.recipe,
            prompt,
            n_words,
            temperature=temperature,
            top_k=top_k,
            top_p=top_p,
            seed=seed,
        )

    def stream(
        self,
        prompt: str,
        n_words: int = 50,
        *,
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        seed: int | None = None,
    ) -> Iterator[str]:
        """:meth:`generate`'s text in pieces as the tokens are sampled, to print as they come; joined, they are
        what :meth:`generate` returns for the same settings and seed. A run foreseen, at the pace of its first
        second, to take more than a minute is said in a warning before the first piece.

        Example:
            >>> for piece in predictor.stream("the market", n_words=200, seed=0):  # doctest: +SKIP
            ...     print(piece, end="", flush=True)
        """
        self._warn_unknown(prompt)
        unit = self.recipe.unit

        def on_pace(drawn: int, seconds: float) -> None:
            warning = pace_warning(n_words, drawn, seconds, unit)
            if warning is not None:
                from trainwell.core.warn import warn

                warn(warning)

        return stream_generated_text(
            self.model,
            self.recipe,
            prompt,
            n_words,
            temperature=temperature,
            top_k=top_k,
            top_p=top_p,
            seed=seed,
            on_pace=on_pace,
        )

    def _warn_unknown(self, prompt: str) -> None:
        """Warn, naming them, of the prompt's words outside the vocabulary (read as the unknown-word token)."""
        unknown, n_prompt_words = unknown_prompt_words(self.recipe, prompt)
        if unknown:
            from trainwell.core.warn import warn

            warn(unknown_words_warning(unknown, n_prompt_words, self.recipe.unknown_token, self.recipe.unit))


class LMPredictor(Generates):
    """A trained language model and its recipe: ``generate(prompt)``, ``score(held_out_text)``.

    Example:
        >>> predictor = load_lm("model/")                       # doctest: +SKIP
        >>> predictor.generate("the market", n_words=20, seed=0)  # doctest: +SKIP
    """

    application = "text"

    def __init__(self, model: nn.Module, recipe: LMRecipe, metadata: dict[str, Any]) -> None:
        self.model = model.eval()
        self.recipe = recipe
        self.metadata = metadata

    def __repr__(self) -> str:
        """``LMPredictor(arch='awd_lstm', tokenizer='word', vocab=12,004)``: short, as the other predictors'."""
        arch = (self.metadata.get("architecture") or {}).get("name", "?")
        return (
            f"LMPredictor(arch={arch!r}, tokenizer={self.recipe.tokenizer_name!r}, "
            f"vocab={len(self.recipe.vocab):,})"
        )

    @classmethod
    def from_artifact(cls, metadata: dict[str, Any], state: Mapping[str, torch.Tensor]) -> LMPredictor:
        try:
            if metadata["task"]["kind"] != "language_model":
                raise ArtifactError(
                    f"this model directory holds a {metadata['task']['kind']} model, not a language model; "
                    "generate needs one trained with --task language_model"
                )
            recipe = LMRecipe.from_dict(metadata["recipe"])
            arch = metadata["architecture"]
            model = create_model(arch["name"], **arch["config"])
        except (KeyError, TypeError) as error:
            raise ArtifactError(f"trainwell.json is missing or has a malformed entry: {error}") from error
        try:
            model.load_state_dict(dict(state))
        except RuntimeError as error:
            first_line = str(error).splitlines()[0]
            raise ArtifactError(
                f"model.safetensors does not match the architecture in trainwell.json ({first_line})"
            ) from error
        return cls(model, recipe, metadata)

    def score(
        self,
        source: Any,
        *,
        text_col: str | None = None,
        encoding: str = "utf-8",
        encoding_errors: Literal["strict", "replace"] = "strict",
        cache: bool = True,
        name: str = "trainwell",
    ) -> list[TokenScores]:
        """The model's loss on every token of held-out text: a folder of ``.txt`` files, a text file (one text per
        line), a CSV/TSV with ``text_col``, or a list of texts.

        Returns:
            The model's :class:`~trainwell.text.lm_eval.TokenScores`, then (with ``cache`` and cache settings in
            the recipe) its scores with the cache pointer.

        Example:
            >>> scores = load_lm("model/").score("test.txt")   # doctest: +SKIP
            >>> scores[0].perplexity_interval()                 # doctest: +SKIP
            (118.2, 112.9, 123.8)
        """
        from trainwell.text.corpus import read_corpus
        from trainwell.text.lm_eval import encode_held_out, score_model

        texts = read_corpus(
            source,
            text_col=text_col,
            encoding=encoding,
            encoding_errors=encoding_errors,
            whole_files=self.recipe.documents,
        )
        held_out = encode_held_out(self.recipe, texts)
        return score_model(self.model, held_out, name=name, cache=self.recipe.cache if cache else None)

    @torch.no_grad()
    def predict(self, texts: str | Sequence[str], *, at_least_one: bool = False) -> pd.DataFrame:
        """What ``predict`` means for a language model, as ``trainwell predict`` reads it: how likely it finds
        each text (:meth:`score_texts`; a string alone is one text). ``at_least_one=True`` is refused (a
        ConfigError), as every predictor refuses it for a model that is not multi-label: there are no labels."""
        from trainwell.data.at_least_one import refuse_at_least_one

        refuse_at_least_one(
            None,
            at_least_one,
            answers="a language model scores how likely it finds each text (log_prob, perplexity), not labels",
        )
        return self.score_texts(texts)

    @torch.no_grad()
    def score_texts(self, texts: str | Sequence[str], *, max_tokens: int = SCORE_TOKENS) -> pd.DataFrame:
        """Each text scored on its own, from a fresh hidden state: how likely the model finds it (a string alone
        is one text: one row).

        Texts are batched by length (right padding does not change what a left-to-right model reads) and read
        in windows of at most ``max_tokens`` tokens per call, so a long document costs no more memory than a
        short batch.

        Returns:
            One row per text, in order: ``tokens`` (predicted tokens: all but a start marker, ``xxbos``; a
            whitespace model, whose texts have none, reads each after ``xxeos`` and scores them all), ``unknown`` (of
            those, words not in the vocabulary, scored as its unknown-word token; the corpus's own marker a text
            writes, PTB's ``<unk>``, is a token the model knows and is not counted: :func:`unknown_by_text`),
            ``log_prob`` (their total natural log-probability) and ``perplexity`` (``exp(-log_prob / tokens)``;
            empty for a text of one token).

        Raises:
            DataError: No texts, or a text that is not a string or holds nothing but spaces (named by index).
        """
        import pandas as pd

        from trainwell.text.tokenize import validate_texts

        texts, _ = validate_texts([texts] if isinstance(texts, str) else texts, name="texts", droppable=False)
        ids, offsets = self.recipe.encode_texts(texts)
        context = start_context(self.recipe)
        if context is not None:
            # Each text read after the marker that ended every line in training: its first word is scored too
            # (it was only read, so a line holding one unknown word showed none).
            shifted = offsets + torch.arange(len(offsets), dtype=offsets.dtype)
            marked = torch.full((len(ids) + len(texts),), context, dtype=ids.dtype)
            keep = torch.ones(len(marked), dtype=torch.bool)
            keep[shifted[:-1]] = False  # each text's first slot holds the marker, its own ids follow
            marked[keep] = ids
            ids, offsets = marked, shifted
        lengths = (offsets[1:] - offsets[:-1]).tolist()
        device = next(self.model.parameters()).device
        log_prob = [0.0] * len(texts)
        order = sorted(range(len(texts)), key=lambda i: lengths[i])
        start = 0
        while start < len(order):
            rows = 1  # the texts are sorted by length: add the next while the padded batch stays in budget
            while start + rows < len(order) and (rows + 1) * lengths[order[start + rows]] <= max_tokens:
                rows += 1
            chosen = order[start : start + rows]
            longest = max(lengths[i] for i in chosen)
            batch = torch.full((rows, longest), self.recipe.vocab.pad_id, dtype=torch.long)
            for row, i in enumerate(chosen):
                batch[row, : lengths[i]] = ids[offsets[i] : offsets[i + 1]]
            batch = batch.to(device)
            window = max(1, max_tokens // rows)
            limit = torch.tensor([lengths[i] for i in chosen], device=device)
            totals = torch.zeros(rows, dtype=torch.float64, device=device)
            self.model.reset()  # type: ignore[operator]
            for t in range(0, longest - 1, window):
                x = batch[:, t : min(t + window, longest - 1)]
                y = batch[:, t + 1 : t + 1 + x.size(1)]
                logits = self.model(x).float()
                true = logits.gather(-1, y[..., None])[..., 0] - torch.logsumexp(logits, -1)
                position = torch.arange(t + 1, t + 1 + x.size(1), device=device)
                totals += torch.where(position[None] < limit[:, None], true, 0.0).double().sum(1)
            self.model.reset()  # type: ignore[operator]
            for row, i in enumerate(chosen):
                log_prob[i] = float(totals[row])
            start += rows
        scored = [max(length - 1, 0) for length in lengths]
        unknown = unknown_by_text(self.recipe, texts).unknown  # PTB's own <unk> is no unknown word
        perplexity = [math.exp(-lp / n) if n else math.nan for lp, n in zip(log_prob, scored, strict=True)]
        return pd.DataFrame(
            {"tokens": scored, "unknown": unknown, "log_prob": log_prob, "perplexity": perplexity}
        )


def predictor_from_artifact(metadata: dict[str, Any], state: Mapping[str, torch.Tensor]) -> LMPredictor:
    """Hook for ``trainwell.load``: the text application's predictor module can dispatch language models here."""
    return LMPredictor.from_artifact(metadata, state)


def load_lm(path: str | Path) -> LMPredictor:
    """The :class:`LMPredictor` of the model directory ``path``."""
    metadata, state = read_artifact(path)
    return LMPredictor.from_artifact(metadata, state)
