"""ULMFiT (Howard and Ruder 2018): a text classifier on the encoder of a fine-tuned AWD-LSTM language model.

The three steps, each available on its own:

1. a language model trained on a large corpus (:func:`~trainwell.text.lm_learner.language_model_learner`);
2. the same language model fine-tuned on the target texts (``fit_language_model(..., pretrained=...)``);
3. :class:`AWDLSTMClassifier` built on that encoder (``text_classifier_learner(data, "awd_lstm",
   pretrained=lm_dir)``), trained with :func:`gradual_unfreezing`: the head first, then one more LSTM layer per
   stage, with discriminative learning rates (each lower group gets the rate divided by 2.6) and one-cycle
   (slanted triangular) schedules.

The classifier reads the whole text (right-padded, length-bucketed batches), then pools the last layer's
outputs three ways (the last real token, the maximum and the mean over real tokens) before a small head.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from trainwell.core.errors import ArtifactError, ConfigError
from trainwell.models.layers import target_scale
from trainwell.models.registry import register_model
from trainwell.text.awd_lstm import AWDLSTMEncoder
from trainwell.text.subword import SubwordTokenizer
from trainwell.text.tokenize import WordTokenizer

if TYPE_CHECKING:
    from trainwell.learner.events import Callback
    from trainwell.learner.learner import Learner
    from trainwell.text.lm_recipe import WhitespaceTokenizer

#: Each lower layer group's learning rate is the next one's divided by this (the ULMFiT paper's factor).
LR_DECAY = 2.6
#: The most of a TimeBudget's remaining time each one-epoch stage of gradual unfreezing may use.
STAGE_SHARE = 0.15


class ConcatPoolingHead(nn.Module):
    """``[last, max, mean]`` of the encoder outputs over the real tokens -> BN, dropout, linear, ReLU -> linear."""

    def __init__(
        self, width: int, n_out: int, hidden: int = 50, dropout: float = 0.1, scale: Sequence[nn.Module] = ()
    ) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.BatchNorm1d(3 * width),
            nn.Dropout(dropout * 2),
            nn.Linear(3 * width, hidden),
            nn.ReLU(inplace=True),
            nn.BatchNorm1d(hidden),
            nn.Dropout(dropout),
            nn.Linear(hidden, n_out),
            *scale,  # a regression's TargetScale
        )

    def forward(self, outputs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        # outputs (B, T, E); mask (B, T) True at real tokens (right padding: real tokens come first)
        lengths = mask.sum(1).clamp_min(1)
        # The output at each text's last real token, by gather (no Python sizes: the graph exports to ONNX).
        index = (lengths - 1).view(-1, 1, 1).expand(-1, 1, outputs.size(2))
        last = outputs.gather(1, index).squeeze(1)  # (B, E)
        masked = outputs.masked_fill(~mask[..., None], float("-inf"))
        largest = masked.max(1).values.nan_to_num(0.0, neginf=0.0)
        mean = (outputs * mask[..., None]).sum(1) / lengths[:, None]
        return self.layers(torch.cat([last, largest, mean], dim=1))


@register_model("awd_lstm", application="text", batch_format="padded")
class AWDLSTMClassifier(nn.Module):
    """An AWD-LSTM encoder over padded token ids ``(B, T)`` with a concat-pooling head; logits ``(B, n_out)``.

    Args:
        n_embeddings: vocabulary size (must equal the language model's to start from its encoder).
        n_out: outputs.
        emb_size, hidden_size, n_layers: encoder sizes (match the language model to reuse it).
        pad_id: the padding id.
        drop_mult: scales every dropout of the encoder (the paper's 0.5 for classification).
        head_hidden, head_dropout: the head's hidden width and dropout.
        target_mean, target_std, target_range: a regression's training targets' statistics (the head ends in
            :class:`~trainwell.models.layers.TargetScale`).
    """

    #: The ONNX opset an export needs at least: the head's max pooling over real tokens uses nan_to_num (opset
    #: 10), and its token counts are integers that opsets 10 and 11 cannot sum (onnxruntime rejects the graph).
    min_opset = 12

    def __init__(
        self,
        n_embeddings: int,
        n_out: int,
        emb_size: int = 256,
        hidden_size: int = 512,
        n_layers: int = 2,
        pad_id: int = 1,
        drop_mult: float = 0.5,
        head_hidden: int = 50,
        head_dropout: float = 0.1,
        target_mean: Sequence[float] | None = None,
        target_std: Sequence[float] | None = None,
        target_range: Sequence[Sequence[float]] | None = None,
    ) -> None:
        super().__init__()
        self.pad_id = pad_id
        self.encoder = AWDLSTMEncoder(
            n_embeddings,
            emb_size,
            hidden_size,
            n_layers,
            pad_id,
            embed_p=0.1 * drop_mult,
            input_p=0.6 * drop_mult,
            hidden_p=0.4 * drop_mult,
            weight_p=0.5 * drop_mult,
            output_p=0.4 * drop_mult,
        )
        scale = target_scale(target_mean, target_std, target_range)
        self.head = ConcatPoolingHead(emb_size, n_out, head_hidden, head_dropout, scale)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        self.encoder.reset()  # every text starts from a zero state: batches are independent texts
        _raw, dropped = self.encoder(tokens)
        return self.head(dropped[-1], tokens != self.pad_id)

    def layer_groups(self) -> list[nn.Module]:
        """Embedding, each LSTM layer, head: the stages of gradual unfreezing."""
        return [self.encoder.embedding, *self.encoder.rnns, self.head]


def encoder_state(source: str | Path | Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The ``encoder.*`` weights of a language model (a model directory or a state dict), keys without prefix."""
    if isinstance(source, Mapping):
        state = dict(source)
    else:
        from trainwell.core.artifact import read_artifact

        _metadata, state = read_artifact(Path(source))
    found = {key[len("encoder.") :]: value for key, value in state.items() if key.startswith("encoder.")}
    if not found:
        raise ConfigError(
            f"'{source}' holds no AWD-LSTM encoder weights (keys 'encoder.*'); pass a language model"
        )
    return found


def lm_vocab(model_dir: str | Path) -> list[str]:
    """The vocabulary of a word-level language-model directory, to build classification data the encoder
    understands (``text_data(..., vocab=lm_vocab(lm_dir))``).

    Raises:
        ConfigError: The directory holds no vocabulary, or a subword model, whose pieces are not words: build
            its classifier's data with :func:`lm_tokenizer` instead.
    """
    from trainwell.core.artifact import read_metadata

    recipe = read_metadata(Path(model_dir)).get("recipe") or {}
    if recipe.get("tokenizer_name") == "subword":
        raise ConfigError(
            f"the language model in '{model_dir}' reads subword pieces, not words; its pieces read as a word "
            "vocabulary make most words unknown. Build the classifier's data with its tokenizer: "
            "text_data(..., tokenizer=lm_tokenizer(lm_dir), batch_format='padded')"
        )
    vocab = recipe.get("vocab")
    if isinstance(vocab, dict):
        vocab = vocab.get("itos")
    if not vocab:
        raise ConfigError(f"'{model_dir}' records no vocabulary; pass a language model directory")
    return list(vocab)


def lm_tokenizer(model_dir: str | Path) -> WordTokenizer | SubwordTokenizer:
    """The tokenizer of a language-model directory, for ``text_data(..., tokenizer=...)``.

    A subword model's classifier must read texts with it (its ids are the model's pieces); a word model's
    classifier also needs its vocabulary (``vocab=lm_vocab(lm_dir)``). :func:`lm_text_settings` gives both.

    A whitespace model (PTB's tokens) gets the word rules closest to it (:func:`whitespace_reader`): no
    ``xxbos``, ``xxmaj`` or ``xxup`` it never saw, its case, its ``xxeos`` at each text's end.
    """
    from trainwell.core.artifact import read_metadata
    from trainwell.text.lm_recipe import LMRecipe, WhitespaceTokenizer

    metadata = read_metadata(Path(model_dir))
    if (metadata.get("task") or {}).get("kind") != "language_model":
        raise ConfigError(f"'{model_dir}' holds no language model; pass a language-model directory")
    tokenizer = LMRecipe.from_dict(metadata.get("recipe") or {}).tokenizer
    if isinstance(tokenizer, WhitespaceTokenizer):
        return whitespace_reader(tokenizer)
    if not isinstance(tokenizer, WordTokenizer | SubwordTokenizer):
        raise ConfigError.worded(
            lambda say: (
                f"the language model in '{model_dir}' ({say('pretrained')}) reads characters (a character-level "
                "model), which a text classifier's data cannot read; start the classifier from a word, whitespace "
                "or subword language model"
                + say.either(
                    "",
                    " (trainwell fit CORPUS --task language_model trains one: word by default, --tokenizer "
                    "subword for pieces)",
                )
            )
        )
    return tokenizer


def whitespace_reader(tokenizer: WhitespaceTokenizer) -> WordTokenizer:
    """The word tokenizer that reads a classifier's texts as closely as ``text_data`` can to a language model
    trained on whitespace tokens (PTB): its case (kept, or lower-cased), none of the markers the model never saw
    (``xxbos``, ``xxmaj``, ``xxup``, ``xxrep``, ``xxwrep``), its ``xxeos`` at each text's end, and the corpus's
    ``<unk>`` read as its unknown-word token. Punctuation is split off by the word rules (PTB's own convention:
    ``did n't``, ``cat .``), where raw text split on spaces would glue it to the words.

    Example:
        >>> from trainwell.text.lm_recipe import WhitespaceTokenizer
        >>> whitespace_reader(WhitespaceTokenizer())("the company's SHARES fell <unk> .")
        ['the', 'company', "'s", 'SHARES', 'fell', 'xxunk', '.', 'xxeos']
    """
    return WordTokenizer(
        case="lower" if tokenizer.lower else "keep",
        min_char_repeat=None,
        min_word_repeat=None,
        fix_html=True,
        keep_newlines=False,
        add_bos=False,
        add_eos=tokenizer.add_eos,
    )


def lm_text_settings(model_dir: str | Path) -> dict[str, Any]:
    """The :func:`~trainwell.text.text_data` settings that read texts as the language model in ``model_dir``
    did: ``{"vocab": ...}`` for a word model (the word rules' defaults), ``{"vocab": ..., "tokenizer": ...}`` for
    a whitespace one (PTB's tokens: :func:`whitespace_reader`, with no ``xxbos``/``xxmaj`` it never saw; the
    default word rules would feed them to its encoder), ``{"tokenizer": ...}`` for a subword model.

    Example:
        ``text_data(reviews, "label", text_col="text", batch_format="padded", **lm_text_settings(lm_dir))``
    """
    from trainwell.core.artifact import read_metadata

    recipe = read_metadata(Path(model_dir)).get("recipe") or {}
    if recipe.get("tokenizer_name") == "subword":
        return {"tokenizer": lm_tokenizer(model_dir)}
    if recipe.get("tokenizer_name") in ("whitespace", "char"):  # a character model's is refused there
        return {"vocab": lm_vocab(model_dir), "tokenizer": lm_tokenizer(model_dir)}
    return {"vocab": lm_vocab(model_dir)}  # the word rules' defaults read as the model did


def _reads_as_lm_warning(recipe: Any, lm: Mapping[str, Any], model_dir: str | Path) -> str:
    """One line when a word classifier's tokenizer is not the one :func:`lm_tokenizer` gives for the language
    model in ``model_dir`` (its encoder then reads markers or cases it never saw), else ''."""
    from trainwell.text.lm_recipe import LMRecipe, WhitespaceTokenizer

    if recipe.tokenizer.get("kind") != "word" or lm.get("tokenizer_name") not in ("word", "whitespace"):
        return ""
    try:
        lm_reader = LMRecipe.from_dict(dict(lm)).tokenizer
    except (ArtifactError, ConfigError):  # an unreadable recipe is refused elsewhere: nothing to compare
        return ""
    if isinstance(lm_reader, WhitespaceTokenizer):
        expected = whitespace_reader(lm_reader)
    elif isinstance(lm_reader, WordTokenizer):
        expected = lm_reader
    else:
        return ""
    given = WordTokenizer.from_dict(recipe.tokenizer.get("config") or {})
    # Only what puts tokens before the encoder it never saw: markers (xxbos, xxmaj, xxrep...), another case.
    # A missing end marker, or markup cleaned, feeds it nothing new.
    unseen = {
        "case": given.case != expected.case,
        "add_bos": given.add_bos and not expected.add_bos,
        "min_char_repeat": given.min_char_repeat is not None and expected.min_char_repeat is None,
        "min_word_repeat": given.min_word_repeat is not None and expected.min_word_repeat is None,
        "keep_newlines": given.keep_newlines and not expected.keep_newlines,
    }
    differing = [
        f"{name}={getattr(given, name)!r} (the model's {getattr(expected, name)!r})"
        for name, differs in unseen.items()
        if differs
    ]
    if not differing:
        return ""
    return (
        f"the classifier's word tokenizer differs from the one the language model in '{model_dir}' read its "
        f"{lm.get('tokenizer_name')} tokens with ({', '.join(differing)}), so its encoder reads tokens it never "
        "saw; build the data with text_data(..., **lm_text_settings(lm_dir))"
    )


def check_reads_as_lm(recipe: Any, model_dir: str | Path) -> None:
    """Refuse classification data (``recipe``, a :class:`~trainwell.text.recipe.TextRecipe`) that does not read
    texts as the language model in ``model_dir`` did, whose encoder would then read the wrong tokens."""
    from trainwell.core.artifact import read_metadata

    lm = read_metadata(Path(model_dir)).get("recipe") or {}
    subword_lm, subword_data = (
        lm.get("tokenizer_name") == "subword",
        recipe.tokenizer.get("kind") == "subword",
    )
    if subword_lm and (not subword_data or recipe.tokenizer.get("config") != lm.get("tokenizer")):
        raise ConfigError(
            f"the language model in '{model_dir}' reads subword pieces and the data does not read them as it "
            "does, so its encoder would read the wrong tokens; build the data with its tokenizer: "
            "text_data(..., tokenizer=lm_tokenizer(lm_dir), batch_format='padded')"
        )
    if not subword_lm and subword_data:
        raise ConfigError(
            f"the language model in '{model_dir}' reads words, not subword pieces; build the data with its "
            "vocabulary and the word tokenizer: text_data(..., vocab=lm_vocab(lm_dir), batch_format='padded')"
        )
    if not subword_lm and lm_vocab(model_dir) != list(recipe.vocab):
        raise ConfigError(
            f"the data's vocabulary differs from the language model's in '{model_dir}', so its encoder would "
            "read the wrong words; build the data with text_data(..., vocab=lm_vocab(lm_dir))"
        )
    said = _reads_as_lm_warning(recipe, lm, model_dir)
    if said:
        from trainwell.core.warn import warn

        warn(said)


def load_encoder(model: AWDLSTMClassifier, source: str | Path | Mapping[str, torch.Tensor]) -> None:
    """Copy a language model's encoder into ``model`` (same vocabulary and sizes), with a clear error if not."""
    state = encoder_state(source)
    own = model.encoder.state_dict()
    for key, value in own.items():
        if key not in state:
            raise ConfigError(f"the language model lacks encoder weight '{key}'; was it an AWD-LSTM?")
        if state[key].shape != value.shape:
            raise ConfigError(
                f"encoder weight '{key}' is {tuple(state[key].shape)} in the language model but {tuple(value.shape)} "
                "here: build the classifier with the language model's sizes (emb_size, hidden_size, n_layers) and "
                "its vocabulary (text_data(..., vocab=lm_vocab(lm_dir)))"
            )
    model.encoder.load_state_dict({key: state[key] for key in own})


def gradual_unfreezing(
    learn: Learner,
    epochs: int = 2,
    lr: float = 1e-2,
    *,
    stage_epochs: int = 1,
    moms: tuple[float, float] = (0.8, 0.7),
    callbacks: Iterable[Callback] = (),
    resume_from: str | Path | None = None,
    wd: float | None = None,
) -> None:
    """The ULMFiT schedule: head only, then one more layer group per stage of ``stage_epochs`` epochs (the
    paper's 1; 0 skips the stages and trains everything at ``lr``), then everything for ``epochs``.

    Each stage is a one-cycle fit; stage ``k`` (from 0) trains the last ``k + 1`` groups, the highest at
    ``lr / 2**k`` and each one below it at :data:`LR_DECAY` times less than the one above (discriminative
    learning rates), as in every stage of the paper. The stages are the phases ``"stage 1"``,
    ``"stage 2"``... and ``"unfrozen"``: a checkpoint written in one (``resume_from``, the same call) resumes
    at that stage, the stages before it skipped. ``wd`` and ``resume_from`` are :meth:`Learner.fit`'s: ``wd``
    sets the weight decay from the first stage on, and a relative ``resume_from`` is looked for under
    ``learn.path``, where :class:`~trainwell.callbacks.Checkpoint` writes, then in the working directory.
    """
    if isinstance(stage_epochs, bool) or not isinstance(stage_epochs, int) or stage_epochs < 0:
        raise ConfigError(
            f"stage_epochs (fine_tune's freeze_epochs) must be a whole number >= 0, got {stage_epochs!r}"
        )
    n_groups = len(learn.layer_groups())
    extra = list(callbacks)
    rate = lr
    from trainwell.callbacks.budget import find_budget  # training code: not imported when a model is loaded
    from trainwell.learner import read_checkpoint
    from trainwell.learner._checkpoint import resolve

    resume_from = None if resume_from is None else resolve(learn.path, resume_from)
    n_stages = n_groups if stage_epochs else 1  # stages 1 .. n_stages - 1, then the unfrozen fit
    phases = [*(f"stage {stage}" for stage in range(1, n_stages)), "unfrozen"]
    start = (
        0 if resume_from is None else read_checkpoint(resume_from).phase_index(phases, "gradual unfreezing")
    )
    budget = find_budget(extra, learn.callbacks)
    for stage in range(1, n_stages):
        if stage - 1 >= start:
            learn.freeze_to(n_groups - stage)
            # Spread over all the groups, frozen ones included, as fastai's slice(lr / 2.6**4, lr) is: each
            # trained group then gets 2.6 times less than the one above it at every stage (a slice over the
            # trained groups alone would need its own low end per stage).
            spread = slice(rate / LR_DECAY ** (n_groups - 1), rate)
            if budget is not None:
                budget.share_next_fit(STAGE_SHARE)  # the last stage, everything unfrozen, keeps the most
            with learn.in_phase(f"stage {stage}"):
                learn.fit_one_cycle(
                    stage_epochs, spread, moms=moms, callbacks=extra, resume_from=resume_from, wd=wd
                )
            resume_from = None
        rate /= 2
    learn.unfreeze()
    with learn.in_phase("unfrozen"):
        learn.fit_one_cycle(
            max(1, epochs),
            slice(rate / LR_DECAY ** (n_groups - 1), rate),
            moms=moms,
            callbacks=extra,
            resume_from=resume_from,
            wd=wd,
        )


def pretrained_record(
    source: str | Path | Mapping[str, torch.Tensor], model: nn.Module, task: Any
) -> dict[str, Any]:
    """What an AWD-LSTM classifier was started from, for ``trainwell.json``'s ``training.pretrained``
    (:mod:`trainwell.core.lineage`): the language model as given, its architecture and the weights' hash, the
    encoder loaded (its layers), the head new for ``task``'s classes."""
    from trainwell.core.lineage import loaded_words, parent_record

    metadata = None
    if not isinstance(source, Mapping) and Path(source).is_dir():
        from trainwell.core.artifact import read_metadata

        metadata = read_metadata(source)
    network = ((metadata or {}).get("architecture") or {}).get("name")
    record = parent_record(source, metadata, network)
    encoder: Any = getattr(model, "encoder", None)
    n_layers = len(getattr(encoder, "rnns", ()))
    classes = [str(name) for name in task.classes] if task.kind != "regression" else None
    _body, record["new"] = loaded_words(False, task.n_outputs, classes, task.kind)
    record["loaded"] = f"its encoder loaded (the embedding and {n_layers} LSTM layers)"
    return record


def say_pretrained(learn: Any, stage_epochs: int, epochs: int, progress: bool) -> None:
    """Complete ``learn``'s ``pretrained`` record with how :func:`gradual_unfreezing` trains it, and say it in one
    line before training (on standard error, with the progress display): what came from the language model,
    what is new."""
    from trainwell.core.device import is_rank_zero
    from trainwell.core.lineage import fine_tuned_from

    record = getattr(learn, "pretrained_record", None)
    if record is None:
        return
    every = "every epoch" if stage_epochs == 1 else f"every {stage_epochs} epochs"
    last = "1 epoch" if max(1, epochs) == 1 else f"{epochs} epochs"
    record["training"] = (
        f"gradual unfreezing: the head first, then one more layer group {every}, then everything for {last}"
        if stage_epochs
        else f"everything trained from the start for {last} (no frozen stages)"
    )
    record["freeze_epochs"] = int(stage_epochs)
    if progress and is_rank_zero():
        from rich.console import Console

        Console(stderr=True).print(
            f"fine-tuning from {fine_tuned_from(record)}", markup=False, highlight=False, soft_wrap=True
        )
