"""The text classifier Learner factory: an architecture sized from the data, with the optimizer it needs."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from trainwell.callbacks.threads import with_one_thread
from trainwell.core.errors import ConfigError, DataError
from trainwell.data.bundle import DataBundle
from trainwell.learner.learner import Learner
from trainwell.learner.one_thread import OneThreadPasses
from trainwell.losses import several_targets_loss
from trainwell.models.layers import set_prior_bias
from trainwell.models.registry import create_model, list_models, models
from trainwell.text._new_data import check_same_reading
from trainwell.text.majority import MajorityBaseline
from trainwell.text.optim import LazyAdamW
from trainwell.text.recipe import TextRecipe
from trainwell.text.subword import SubwordTokenizer

if TYPE_CHECKING:
    import pandas as pd

    from trainwell.text.loader import TextLoader

__all__ = ["TextClassifierLearner", "new_examples_loader", "text_archs", "text_classifier_learner"]

#: Short names the command line accepts for registered architectures.
ALIASES = {"fast": "ngram_bag", "bag": "ngram_bag", "ulmfit": "awd_lstm"}
#: Default peak learning rate of bag models (IMDB, 3 seeds: 2e-3 for 4 epochs 91.1%; 3e-3 for 3 epochs 91.05%).
BAG_LR = 2e-3
#: Default decoupled weight decay of bag models (on IMDB: 0 -> 91.0%, 0.05 -> 91.05%, 0.3 -> 91.1%).
BAG_WD = 0.3
#: Multi-label bag models: each label's positives are rare, and IMDB's rate and decay barely move them
#: (GoEmotions, 28 labels, dev macro ROC AUC with the output bias at the priors: 2e-3/0.3 -> 0.803,
#: 2e-2/0.01 -> 0.874, 5e-2/0.01 -> 0.870; a TF-IDF logistic regression 0.888).
MULTILABEL_BAG_LR = 2e-2
MULTILABEL_BAG_WD = 0.01
#: The hidden layer of a regression's bag model: the number a text gets is not a straight line of its words'
#: embeddings (IMDB's ratings, 1-4 and 7-10 stars, 4 epochs, 5,000 test reviews: RMSE 2.07 without one, 1.91
#: with 64 units, 1.88 with 128; 3,000 training reviews: 2.40, 2.24, 2.19; TF-IDF bigrams + ridge 2.02 on all).
REGRESSION_BAG_HIDDEN = 128


class TextClassifierLearner(OneThreadPasses):
    """A Learner for text classifiers: ``fine_tune`` is ULMFiT's gradual unfreezing for sequence encoders;
    ``validate`` and ``get_preds`` keep to one thread while its fits do (a bag model's:
    :class:`~trainwell.learner.one_thread.OneThreadPasses`)."""

    #: What the classifier was started from (a language model, ``pretrained=``), for ``trainwell.json``.
    pretrained_record: dict[str, Any] | None = None

    def check_new_data(self, data: DataBundle) -> None:
        """Refuse data that reads texts otherwise than :attr:`data` did (another vocabulary, tokenizer or n-gram
        hashing): the model's embedding rows would mean other words. Data built on the Learner's recipe is taken
        (the error names the settings: ``text_data(..., vocab=learn.data.recipe.vocab, ...)``).

        Raises:
            ConfigError: The first difference, and how to build the data the Learner can read.
        """
        check_same_reading(data.recipe, self.data.recipe, TextRecipe, _reading_difference, _reading_fix)

    def show_results(self, n: int = 8) -> pd.DataFrame:
        """The first ``n`` validation texts as read (``text``; several text columns joined as the model reads
        them), beside their ``actual`` and ``predicted`` labels and the ``probability`` of the one predicted
        (a regression's numbers; a multi-label text's labels joined by ``;``).

        Raises:
            ConfigError: ``n`` is a path (save the table with ``.to_csv``), or the data has no validation set.
        """
        from trainwell.learner.show_results import show_results

        return show_results(self, n, shown_inputs=_shown_texts)

    def fine_tune(  # type: ignore[override]
        self, epochs: int, base_lr: float | None = None, *, freeze_epochs: int = 1, **kwargs: Any
    ) -> None:
        """ULMFiT for an AWD-LSTM classifier (:func:`~trainwell.text.ulmfit.gradual_unfreezing`: each frozen
        stage trains ``freeze_epochs`` epochs, 0 none, then everything for ``epochs``); the usual
        head-then-everything fine-tuning for other models. ``wd`` and ``resume_from`` are :meth:`Learner.fit`'s
        either way: ``wd`` sets the weight decay from this fine-tuning on, and a relative ``resume_from`` is
        looked for under :attr:`path`, where :class:`~trainwell.callbacks.Checkpoint` writes, then in the
        working directory.

        Raises:
            ConfigError: An option gradual unfreezing has no use for (``lr_mult``: each lower layer group
                gets 2.6 times less than the one above), or ``freeze_epochs`` below 0.
        """
        if hasattr(self.model, "encoder"):
            from trainwell.text.ulmfit import LR_DECAY, gradual_unfreezing

            unused = sorted(set(kwargs) - {"callbacks", "resume_from", "wd"})
            if unused:
                raise ConfigError(
                    f"fine_tune of an AWD-LSTM classifier (ULMFiT's gradual unfreezing) takes no {', '.join(unused)}: "
                    f"it trains the head, then one more layer group per stage, each group at {LR_DECAY} times less "
                    "than the one above; it takes epochs, base_lr, freeze_epochs (each stage's epochs), callbacks, "
                    "resume_from and wd"
                )
            gradual_unfreezing(
                self,
                epochs,
                base_lr or self.lr,
                stage_epochs=freeze_epochs,
                callbacks=kwargs.get("callbacks", ()),
                resume_from=kwargs.get("resume_from"),
                wd=kwargs.get("wd"),
            )
            return
        super().fine_tune(epochs, base_lr, freeze_epochs=freeze_epochs, **kwargs)


def text_classifier_learner(
    data: DataBundle,
    arch: str = "ngram_bag",
    *,
    pretrained: str | Path | Mapping[str, Any] | None = None,
    arch_config: Mapping[str, Any] | None = None,
    lr: float | None = None,
    wd: float | None = None,
    **learner_kwargs: Any,
) -> Learner:
    """A Learner for a text classifier built from ``data`` (a bundle from :func:`~trainwell.text.text_data`).

    Args:
        data: the bundle; its recipe decides the embedding size and the batch format.
        arch: a registered text architecture (``"ngram_bag"``, alias ``"fast"``; ``"awd_lstm"``, alias
            ``"ulmfit"``, reads padded batches).
        pretrained: for ``awd_lstm``: a language-model directory (or state dict) whose encoder starts the
            classifier; build ``data`` to read texts as that model did: its vocabulary
            (``vocab=lm_vocab(lm_dir)``) for a word model, its tokenizer (``tokenizer=lm_tokenizer(lm_dir)``)
            for a subword one (:func:`~trainwell.text.ulmfit.lm_text_settings` gives either).
        arch_config: extra architecture settings (e.g. ``{"dim": 64, "hidden": 128}``); a regression's bag
            model has a hidden layer of :data:`REGRESSION_BAG_HIDDEN` units unless this says otherwise.
        lr: peak learning rate (default: :data:`BAG_LR` for bag models, :data:`MULTILABEL_BAG_LR` for
            multi-label ones, 1e-2 otherwise). The bag's default suits the epochs :func:`fit_texts` gives a data
            set (more for fewer texts: 15 for 8,000 sentences, 3 for SST-2's 67,349, dev accuracy 0.826); for a
            few epochs on a small set it underfits (SST-2, 8,000 sentences, 3 epochs: 2e-3 gave 0.745 dev
            accuracy, 1e-2 0.774): run ``learn.lr_find()`` for such a schedule. A bag's sweep suggests a hundredth
            of the rate at its minimum, not a tenth (the architecture's ``lr_find_divisor``; the same sweep's
            tenth, 3.5e-2, gave 0.764 there, and 0.731 over the 12 epochs fit trains on 8,000, where 2e-3 0.781).
            The suggestion is for a short schedule: over fit's default epochs on a small set the default is the
            safer rate (IMDB's 1,000-review sample, 30 epochs: 2e-3 gave 0.875, the suggestion 3.3e-2 0.780).
        wd: decoupled weight decay (default: :data:`BAG_WD` for bag models, applied lazily to the rows a
            batch touches; :data:`MULTILABEL_BAG_WD` multi-label; 0.01 otherwise). A bag model's output bias
            starts at the training labels' priors (:func:`~trainwell.models.layers.set_prior_bias`).
        **learner_kwargs: passed to :class:`Learner` (``metrics``, ``device``, ``progress``, ``callbacks``...).

    The model's sparse embedding gradients are handled by :class:`~trainwell.text.optim.LazyAdamW` (the default
    ``opt`` here); pass ``opt=`` and ``arch_config={"sparse": False}`` to use another optimizer.

    A bag model trains and is evaluated on one CPU thread (:class:`~trainwell.callbacks.threads.OneThread`, in
    ``learn.callbacks``), as a table's network does: its batches are an embedding bag and a small head, whose
    parallel regions cost more than they save (an SST-2 epoch of 15,000 sentences took 12 to 37 times longer on
    two busy cores' two threads: :mod:`trainwell.callbacks.threads`); ``learn.remove_callback(OneThread)`` gives
    it every thread torch takes. An AWD-LSTM keeps the process's threads (its matrix products are the work
    threads speed up on idle cores).
    """
    if "model" in learner_kwargs:  # the command line's --model; fit_texts' model= until it became arch=
        raise ConfigError(
            f"text_classifier_learner takes the architecture as arch= (e.g. arch={learner_kwargs['model']!r}), as "
            "every trainwell function does"
        )
    if data.application != "text" or data.recipe is None:
        raise ConfigError(
            f"text_classifier_learner needs data from text_data, got a {data.application!r} bundle"
        )
    other = {"language_model": ("language-model", "lm_data", "language_model_learner")}
    other["tagging"] = ("tagging", "tagging_data", "tagging_learner")
    if data.task.kind in other:
        what, builder, factory = other[data.task.kind]
        raise ConfigError(
            f"text_classifier_learner needs data from text_data, got {what} data ({builder}); build its learner "
            f"with {factory}(data)"
        )
    name = resolve_arch(arch)
    recipe: Any = data.recipe
    wanted = models.entry(name).metadata.get("batch_format", "bag")
    if wanted != recipe.batch_format:
        raise ConfigError(
            f"architecture {name!r} reads {wanted!r} batches but the data was built with "
            f"batch_format={recipe.batch_format!r}; rebuild it with text_data(..., batch_format={wanted!r})"
        )
    refuse_bag_pretrained(wanted, pretrained, "arch")
    config: dict[str, Any] = {"n_embeddings": recipe.n_embeddings, "n_out": data.task.n_outputs}
    if data.task.kind == "regression":  # the head answers in the target's units (models.layers.TargetScale)
        config.update({key: data.model_hints[key] for key in ("target_mean", "target_std", "target_range")})
    if getattr(recipe, "pairs", False) and name == "ngram_bag":
        config["pairs"] = True  # a pair's sides pooled apart (the recipe puts them in regions of their own)
    if pretrained is not None and not isinstance(pretrained, Mapping):
        from trainwell.text.ulmfit import check_reads_as_lm

        check_reads_as_lm(recipe, pretrained)
        config.update(_lm_sizes(Path(pretrained)))
    if data.task.kind == "regression" and name == "ngram_bag":
        config["hidden"] = REGRESSION_BAG_HIDDEN
    config.update(arch_config or {})
    model = create_model(name, **config)
    if pretrained is not None:
        if not hasattr(model, "encoder"):
            raise ConfigError(
                f"pretrained= starts an AWD-LSTM classifier from a language model; {name!r} has none"
            )
        from trainwell.text.ulmfit import load_encoder

        load_encoder(model, pretrained)  # type: ignore[arg-type]
    bag = recipe.batch_format == "bag"
    learner_kwargs.setdefault("opt", LazyAdamW if bag else "adamw")
    default_lr, default_wd = (BAG_LR, BAG_WD) if bag else (1e-2, 0.01)
    if bag and data.task.kind == "multilabel":
        default_lr, default_wd = MULTILABEL_BAG_LR, MULTILABEL_BAG_WD
    targets = getattr(data.train, "targets", None)
    head = getattr(model, "head", None)
    last = head[-1] if isinstance(head, nn.Sequential) and len(head) else None
    if bag and pretrained is None and targets is not None and isinstance(last, nn.Linear):
        set_prior_bias(last, data.task.kind, targets)
    if learner_kwargs.get("loss") is None:  # several targets: each one's error in its own standard deviations
        learner_kwargs["loss"] = several_targets_loss(data.task, data.model_hints)
    # Warns at the end of training when the accuracy is no better than answering the most common class.
    learner_kwargs["callbacks"] = [MajorityBaseline(), *learner_kwargs.get("callbacks", ())]
    if bag:  # an embedding bag and a small head, whose parallel regions cost more than they save
        learner_kwargs["callbacks"] = with_one_thread(learner_kwargs["callbacks"])
    learn = TextClassifierLearner(
        model, data, lr=lr or default_lr, wd=default_wd if wd is None else wd, **learner_kwargs
    )
    learn.model_spec = {"name": name, "config": config}
    learn.pretrained = pretrained is not None
    if pretrained is not None:
        from trainwell.text.ulmfit import pretrained_record

        learn.pretrained_record = pretrained_record(pretrained, model, data.task)
    return learn


def _shown_texts(learn: Learner, inputs: Sequence[torch.Tensor], count: int) -> pd.DataFrame:
    """The first ``count`` validation texts as read, for :meth:`TextClassifierLearner.show_results`."""
    import pandas as pd

    texts = (getattr(learn.data, "texts", None) or {}).get("valid")
    if texts is None:
        return pd.DataFrame(index=range(count))
    return pd.DataFrame({"text": texts[:count]})


def _reading_difference(new: TextRecipe, old: TextRecipe) -> str | None:
    """The first way ``new`` turns texts into model inputs otherwise than ``old``, and what it would do to the
    model (``None``: none), worded to follow "the new data's"."""
    from trainwell.text.vocab import vocab_difference

    rows = "so the model's embedding rows would mean other"
    kind = old.tokenizer["kind"]
    if new.tokenizer["kind"] != kind:
        return f"tokenizer is a {new.tokenizer['kind']} one, the Learner's a {kind} one, {rows} tokens"
    new_tokenizer, old_tokenizer = new.text_tokenizer, old.text_tokenizer
    if isinstance(new_tokenizer, SubwordTokenizer) and isinstance(old_tokenizer, SubwordTokenizer):
        difference = vocab_difference(new_tokenizer.itos(), old_tokenizer.itos())
    else:
        difference = vocab_difference(new.vocab, old.vocab)
    if difference is not None:
        return f"vocabulary is not the Learner's ({difference}), {rows} words"
    if new.tokenizer != old.tokenizer:
        return f"tokenizer has other settings than the Learner's, {rows} tokens"
    if new.batch_format != old.batch_format:
        return f"batches are {new.batch_format!r}, and the model reads {old.batch_format!r} ones"
    if old.batch_format == "bag" and new.ngrams != old.ngrams:
        return f"bags hold n-grams of up to {new.ngrams} tokens against the Learner's {old.ngrams}, {rows} n-grams"
    if old.batch_format == "bag" and old.ngrams > 1 and new.n_buckets != old.n_buckets:
        return (
            f"n-gram hash table has {new.n_buckets:,} buckets against the Learner's {old.n_buckets:,}, {rows} "
            "n-grams"
        )
    return None


def _reading_fix(new: TextRecipe, old: TextRecipe) -> str:
    """The ``text_data`` settings that read texts as ``old`` does, where ``new`` reads them otherwise."""
    settings = ["tokenizer=learn.data.recipe.text_tokenizer"]
    if old.tokenizer["kind"] == "word":
        settings.append("vocab=learn.data.recipe.vocab")
    if old.batch_format == "bag" and old.ngrams > 1:
        settings += ["n_buckets=learn.data.recipe.n_buckets"]
        settings += ["ngrams=learn.data.recipe.ngrams"] if new.ngrams != old.ngrams else []
    if new.batch_format != old.batch_format:
        settings.append(f"batch_format={old.batch_format!r}")
    return f"build it to read texts as the Learner's data does: text_data(..., {', '.join(settings)})"


def _lm_sizes(model_dir: Path) -> dict[str, Any]:
    """The encoder sizes a language-model directory was trained with, so the classifier matches them."""
    from trainwell.core.artifact import read_metadata

    config = (read_metadata(model_dir).get("architecture") or {}).get("config") or {}
    return {key: config[key] for key in ("emb_size", "hidden_size", "n_layers") if key in config}


def resolve_arch(arch: str) -> str:
    """A registered text classifier architecture's name from a name or alias; a clear error otherwise."""
    name = ALIASES.get(arch, arch)
    if name in list_models() and _is_language_model(name):
        raise ConfigError(
            f"architecture {arch!r} is a language model, not a text classifier: build it with "
            f"language_model_learner(lm_data(...)); for a classifier choose one of: {', '.join(text_archs())}"
        )
    if name not in list_models() or models.entry(name).metadata.get("application") != "text":
        raise ConfigError.worded(
            lambda say: (
                f"unknown text architecture {arch!r}; choose one of: {', '.join(text_archs())} "
                f"(e.g. {say('arch', 'ulmfit')})"
            )
        )
    return name


def refuse_bag_pretrained(batch_format: str, pretrained: object, arch_keyword: str) -> None:
    """Refuse ``pretrained`` (a language model) for a bag-of-n-grams architecture, which has no encoder to start
    from it, before any text is read; ``arch_keyword`` is the caller's name for the architecture (``model`` in
    :func:`~trainwell.text.fit_texts`, ``arch`` here)."""
    if pretrained is not None and batch_format == "bag":
        raise ConfigError.worded(
            lambda say: (
                f"{say('pretrained')} starts an AWD-LSTM classifier from a language model's encoder; the fast "
                f"model (a bag of n-grams) has none: pass {say(arch_keyword, 'ulmfit')} with it"
            )
        )


def text_archs() -> list[str]:
    """Registered text classifier architectures (and the aliases the command line accepts)."""
    names = [
        name
        for name in list_models()
        if models.entry(name).metadata.get("application") == "text" and not _is_language_model(name)
    ]
    return [*names, *(f"{alias} (= {target})" for alias, target in ALIASES.items())]


def _is_language_model(name: str) -> bool:
    """A registered architecture that predicts the next token (``task="language_model"`` in its metadata)."""
    return models.entry(name).metadata.get("task") == "language_model"


#: Texts per batch of new examples read by :func:`new_examples_loader` (an evaluation pass, no gradients kept).
NEW_TEXTS_BATCH = 256


def new_examples_loader(
    learn: Learner, examples: Any, *, method: str, targets: str
) -> tuple[TextLoader, bool]:
    """New texts of a text classifier (a DataFrame or a table file holding the text column(s), or a folder of
    class folders of ``.txt`` files) as a loader, tokenised by ``learn``'s recipe (its vocabulary, never built
    again), in the order given; and whether it holds their labels.

    ``targets``: ``"required"``, ``"optional"`` (read when the table holds the label column(s)) or ``"none"``.
    Rows without their label are left out with a warning, as from a test table
    (:func:`~trainwell.data.io.labelled_rows`).
    """
    from trainwell.data.io import labelled_examples
    from trainwell.text.fields import model_texts
    from trainwell.text.loader import TextLoader

    task = learn.task
    if task.kind in ("language_model", "tagging") or not isinstance(learn.data.recipe, TextRecipe):
        raise ConfigError(
            f"{method} reads new texts for a text classifier; this Learner's task is {task.kind}: pass a loader of "
            "its batches (data.valid, data.test)"
        )
    recipe = learn.data.recipe
    frame, name = _new_texts(learn, examples, method)
    names = list(task.target_names)
    frame, known = labelled_examples(frame, names, name, method, targets, "texts", task.label_delim)
    texts = model_texts(frame, recipe.input_columns)
    ids, offsets = recipe.encode(texts)
    if known:
        try:
            encoded = task.encode(frame[names[0]] if len(names) == 1 else frame[names])
        except DataError as error:  # a label the model does not know: say which data holds it
            raise DataError(f"{method}: {name}: {error}") from None
    else:  # a stand-in the loop carries along: get_preds gives None for the targets
        encoded = torch.zeros(len(texts), dtype=torch.long)
    loader = TextLoader(
        ids, offsets, encoded, NEW_TEXTS_BATCH, batch_format=recipe.batch_format, pad_id=recipe.pad_id
    )
    return loader, known


def _new_texts(learn: Learner, examples: Any, method: str) -> tuple[pd.DataFrame, str]:
    """The table of ``examples``: a DataFrame, a table file (read as the training file was), or a folder of
    class folders (its column ``label`` named as the Learner's target); and how to name it."""
    import pandas as pd

    from trainwell.text._folders import read_text_folder
    from trainwell.text.table import read_text_table

    if isinstance(examples, pd.DataFrame):
        return read_text_table(examples, f"{method}: the DataFrame"), "the DataFrame"
    if not isinstance(examples, (str, os.PathLike)):
        raise ConfigError(
            f"{method} of a text classifier takes a DataFrame, a table file's path or a folder of class folders "
            f"of texts, or a loader of batches (data.valid, data.test); got a {type(examples).__name__}"
        )
    path, name = Path(examples), f"'{examples}'"
    if not path.is_dir():
        header = getattr(learn.data.train, "header_names", None)
        columns = list(getattr(learn.data.recipe, "input_columns", None) or ())
        return read_text_table(path, f"{method}: {name}", names=header, as_written=columns), name
    frame, test = read_text_folder(path)
    if test is not None or "is_valid" in frame.columns:
        raise DataError(
            f"{method}: {name} holds train/, valid/ or test/ folders; pass the folder of the class folders to read "
            f"(e.g. '{path / 'test'}')"
        )
    names = list(learn.task.target_names)
    if len(names) != 1:
        raise DataError(
            f"{method}: {name} labels each text with one class folder; a model of the {len(names)} target "
            "columns is scored on a table holding them"
        )
    return frame.rename(columns={"label": names[0]}), name
