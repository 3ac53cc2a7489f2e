"""Language-model training: the Learner factory, AR/TAR, hidden-state resets, exact perplexity, generation.

``language_model_learner(data)`` builds an AWD-LSTM sized to the vocabulary and a Learner with the paper's
regularisers switched on as callbacks (:mod:`trainwell.text.lm_callbacks`):

- :class:`HiddenStateReset` clears the carried hidden state at the start of every training and validation
  pass (a pass starts at the top of the stream again);
- :class:`ActivationRegularization` adds AR (``α`` · mean square of the last layer's dropped output: keeps
  activations small) and TAR (``β`` · mean square of the change between consecutive raw outputs: keeps
  them slow-moving) to the loss that is back-propagated, never to the reported loss;
- :class:`Perplexity` records the exact validation loss per token and its exponential, ``perplexity``;
- :class:`~trainwell.callbacks.clip.GradientClip` caps the gradient norm (exploding gradients are the classic
  failure of RNN training).

``train_softmax="sampled"`` trains with a sampled softmax instead of the full one (:mod:`~trainwell.text.lm_loss`);
the model is built by ``_lm_model``, and :func:`fit_language_model`, the whole job in one call, lives in
:mod:`~trainwell.text.lm_pipeline` (importable from here as well).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import torch

from trainwell.callbacks.clip import GradientClip
from trainwell.core.errors import ConfigError
from trainwell.data.bundle import DataBundle
from trainwell.learner.events import Callback
from trainwell.learner.learner import VALIDATION_SET, Learner, LossLike
from trainwell.metrics.function import MetricLike

# Imported "as" themselves: names that lived here before the split, kept importable from this module.
from trainwell.text._lm_model import CPU_SIZES as CPU_SIZES
from trainwell.text._lm_model import DEFAULT_SIZES as DEFAULT_SIZES
from trainwell.text._lm_model import UNSEEN_LOGIT_BIAS as UNSEEN_LOGIT_BIAS
from trainwell.text._lm_model import build_model, check_lm_arch
from trainwell.text._new_data import check_same_reading
from trainwell.text.lm_callbacks import (
    ActivationRegularization,
    BudgetedValidation,
    HiddenStateReset,
    NgramBaseline,
    Perplexity,
)
from trainwell.text.lm_loss import LMLoss, lm_cross_entropy, sampled_softmax_loss, unigram_proposal
from trainwell.text.lm_pipeline import CACHE_PROBE_TOKENS as CACHE_PROBE_TOKENS
from trainwell.text.lm_pipeline import CACHE_TUNE_SHARE as CACHE_TUNE_SHARE
from trainwell.text.lm_pipeline import CACHE_TUNE_TOKENS as CACHE_TUNE_TOKENS
from trainwell.text.lm_pipeline import MAX_EPOCHS as MAX_EPOCHS
from trainwell.text.lm_pipeline import MIN_EPOCHS as MIN_EPOCHS
from trainwell.text.lm_pipeline import TARGET_STEPS as TARGET_STEPS
from trainwell.text.lm_pipeline import LMRun, fit_language_model
from trainwell.text.lm_predictor import Generates
from trainwell.text.lm_stream import LMRecipe, LMStreamLoader

if TYPE_CHECKING:
    from trainwell.text.cache import CacheReport

__all__ = [
    "LMLoss",
    "LMRun",
    "LanguageModelLearner",
    "fit_language_model",
    "language_model_learner",
    "lm_cross_entropy",
    "sampled_softmax_loss",
]


class LanguageModelLearner(Generates, Learner):
    """A :class:`Learner` with exact perplexity evaluation, the cache pointer and text generation."""

    recipe: LMRecipe
    #: The cache pointer's tuning at the end of :func:`fit_language_model` (``None`` before, or untuned).
    cache_report: CacheReport | None = None
    #: What the model was fine-tuned from (``pretrained=``, :func:`~trainwell.text.lm_transfer.pretrained_record`),
    #: written to ``trainwell.json`` as ``training.pretrained``; ``None`` for a model trained from scratch.
    pretrained_record: dict[str, Any] | None = None

    def check_new_data(self, data: DataBundle) -> None:
        """Refuse language-model data of another vocabulary (or tokenizer): the embedding's and the decoder's rows
        would mean other words. The same vocabulary read otherwise (another ``batch_size`` or ``bptt``) is taken.

        Raises:
            ConfigError: How the vocabularies differ, and the way to train this model on other text.
        """
        check_same_reading(data.recipe, self.data.recipe, LMRecipe, _reading_difference, _reading_fix)

    @torch.no_grad()
    def validate(self, loader: Iterable[Any] | None = VALIDATION_SET) -> dict[str, float]:
        """Exact mean loss per token and perplexity over ``loader`` (default: validation), from a fresh state,
        and the learner's metrics (``metrics=`` of :func:`language_model_learner`) over the same tokens.

        The loader is read as training reads its stream: cut into ``batch_size`` rows read side by side, every row
        starting from a zeroed hidden state, and the last ``(n_tokens - 1) % batch_size`` tokens left out. So
        ``validate(data.test)`` is not the figure of :meth:`evaluate_cache` (``test_perplexity``), ``score`` or
        ``trainwell report``, which read the text as one stream (in rows side by side, each first reading the
        text before it, so their figures are a one-row read's to about 1e-8): here each row but the first starts
        mid-text with no context, which costs its first tokens some loss (the gap grows with the number of rows
        and shrinks with their length), and the tokens counted differ by up to ``batch_size - 1``.
        ``validate(data.test.new(batch_size=1))`` reads the text as they do and gives their figure (slower: one
        row). The history's ``perplexity`` is ``validate(data.valid)``'s.

        ``loader=None`` is refused, as by :meth:`Learner.validate`: ``learn.validate(data.test)`` without a test
        stream would otherwise answer with the validation text."""
        loader = self._chosen_loader(loader, "learn.validate")
        if loader is None:
            raise ConfigError("no data to evaluate: this DataBundle has no validation set; pass a loader")
        if isinstance(loader, LMStreamLoader) and loader.world_size > 1:
            # Outside a fit every process reads the whole stream, like the other learners, laid out in the rows
            # the processes shared (so the figure is the one the fit's last row reported).
            loader = loader.new(batch_size=loader.batch_size * loader.world_size)
        self.model.eval()
        reset = getattr(self.model, "reset", None)
        if callable(reset):
            reset()
        for metric in self.metrics:
            metric.reset()
        total, tokens = 0.0, 0
        for x, y in self._on_device(loader):
            with self.forward_context():
                logits = self.model(x)
            total += float(lm_cross_entropy(logits, y)) * y.numel()
            tokens += y.numel()
            if self.metrics:
                activated = self.activate(logits, (x,))
                for metric in self.metrics:
                    metric.update(activated, y)
        if callable(reset):
            reset()
        loss = total / max(tokens, 1)
        scores = {"loss": loss, "perplexity": math.exp(min(loss, 700.0))}
        return scores | {metric.name: metric.compute() for metric in self.metrics}

    def evaluate_cache(
        self,
        *,
        window: int = 500,
        thetas: Sequence[float] | None = None,
        lambdas: Sequence[float] | None = None,
    ) -> CacheReport:
        """Tune the cache pointer on validation text, report perplexities with and without it (and on test).

        The text is read as one stream (see :func:`~trainwell.text.cache.evaluate_cache`: in rows, each warmed up
        on the text before it), so its perplexities without the cache are, to about 1e-8, those of
        ``validate(loader.new(batch_size=1))``, not of
        ``validate(data.test)``, which reads ``batch_size`` rows each from a zeroed state (see :meth:`validate`)."""
        from trainwell.text.cache import DEFAULT_LAMBDAS, DEFAULT_THETAS, evaluate_cache

        valid, test = self.data.valid, self.data.test
        if not isinstance(valid, LMStreamLoader):
            raise ConfigError(
                "the cache pointer needs validation text to tune on; build the data with valid="
            )
        return evaluate_cache(
            self.model,
            valid.ids,
            test.ids if isinstance(test, LMStreamLoader) else None,
            window=window,
            thetas=thetas or DEFAULT_THETAS,
            lambdas=lambdas or DEFAULT_LAMBDAS,
        )


def language_model_learner(
    data: DataBundle,
    arch: str = "awd_lstm_lm",
    *,
    emb_size: int | None = None,
    hidden_size: int | None = None,
    n_layers: int | None = None,
    drop_mult: float = 1.0,
    tie_weights: bool | None = None,
    pretrained: str | Path | None = None,
    alpha: float = 2.0,
    beta: float = 1.0,
    clip: float | None = 0.25,
    train_softmax: Literal["full", "sampled"] = "full",
    n_samples: int = 1024,
    loss: LossLike | None = None,
    metrics: Sequence[MetricLike] | None = None,
    opt: str = "adamw",
    lr: float = 3e-3,
    wd: float = 0.1,
    callbacks: Iterable[Callback] = (),
    device: str | torch.device | None = None,
    progress: bool = True,
    path: str = ".",
) -> LanguageModelLearner:
    """A Learner for an AWD-LSTM language model on ``data`` (from :func:`~trainwell.text.lm_stream.lm_data`).

    Args:
        arch: A registered language-model architecture.
        emb_size, hidden_size, n_layers: Model size (default: the paper's 400 / 1150 / 3 on a GPU, 256 / 512 / 2
            on a CPU, where they reach a better model in the same time; with ``pretrained``, that model's).
        drop_mult: Scales every dropout of the paper's PTB settings (0.1 / 0.4 / 0.25 / 0.5 / 0.4 for
            embedding / input / hidden / weight / output).
        tie_weights: Share the decoder with the embedding (default: yes).
        pretrained: A language-model directory to start from (build ``data`` with ``lm_data(...,
            pretrained=...)``, the same directory): its weights are carried over, rows of words new to it
            start at the mean embedding (:mod:`trainwell.text.lm_transfer`). Fine-tune with discriminative
            rates, e.g. ``learn.fit_one_cycle(2, slice(lr / 2.6**2, lr))``.
        alpha, beta: AR and TAR strengths (0 turns them off).
        clip: Gradient-norm cap (``None`` for none).
        train_softmax: ``"full"`` or ``"sampled"`` (see the module docstring); evaluation is always full.
            With ``"sampled"`` the history's ``train_loss`` is the sampled estimate, not the exact loss.
        n_samples: Words drawn per batch by the sampled softmax.
        loss: The training loss, as for :class:`Learner`: a module or function ``loss(logits (B, T, V), next
            tokens (B, T)) -> scalar`` (default ``None``: the mean cross-entropy per token, :class:`LMLoss`, with
            the sampled softmax when asked). Validation still reports the exact cross-entropy per token as
            ``valid_loss`` and its exponential as ``perplexity``, whatever loss trains.
        metrics: As for :class:`Learner` and the other learner factories: names (``"accuracy"``: the share of
            next tokens the model ranks first), functions or multiclass ``Metric`` objects, each scoring every
            predicted token as a prediction over the vocabulary (:class:`~trainwell.text.lm_metrics.TokenMetric`);
            ``None`` (the default) or ``[]``: none. ``perplexity`` (and ``perplexity_baseline``) are recorded
            either way.
        opt, lr, wd, callbacks, device, progress, path: As for :class:`Learner`.

    Example:
        >>> learn = language_model_learner(data, emb_size=200, hidden_size=400, n_layers=2)  # doctest: +SKIP
        >>> learn.fit_one_cycle(5, 3e-3)                                                       # doctest: +SKIP
    """
    if not isinstance(data.recipe, LMRecipe) or not isinstance(data.train, LMStreamLoader):
        raise ConfigError("language_model_learner needs language-model data; build it with lm_data(...)")
    if drop_mult < 0 or drop_mult * 0.5 >= 1:
        raise ConfigError(f"drop_mult must be >= 0 and below 2 (dropouts stay below 1); got {drop_mult}")
    if train_softmax not in ("full", "sampled"):
        raise ConfigError(f"train_softmax must be 'full' or 'sampled'; got {train_softmax!r}")
    if loss is not None and train_softmax == "sampled":
        raise ConfigError(
            "train_softmax='sampled' is a loss of its own (LMLoss with n_samples); pass loss= or "
            "train_softmax='sampled', not both"
        )
    from trainwell.text.lm_metrics import token_metrics

    built_metrics = token_metrics(metrics)
    check_lm_arch(arch)
    vocab_size = int(data.model_hints["vocab_size"])
    asked = {
        "emb_size": emb_size,
        "hidden_size": hidden_size,
        "n_layers": n_layers,
        "tie_weights": tie_weights,
    }
    from trainwell.core.device import resolve_device

    on_cpu = resolve_device(device).type == "cpu"
    arch, model, config = build_model(data, arch, asked, drop_mult, pretrained, on_cpu=on_cpu)
    sampled = train_softmax == "sampled" and n_samples < vocab_size
    proposal = unigram_proposal(data.train.ids, vocab_size) if sampled else None
    if sampled:
        model.decode_in_training = False  # type: ignore[assignment]
    loss_func = (
        loss if loss is not None else LMLoss(model, n_samples=n_samples if sampled else 0, proposal=proposal)
    )
    extra: list[Callback] = [
        HiddenStateReset(),
        Perplexity(from_loss=loss is None),
        NgramBaseline(),
        BudgetedValidation(),  # under a time budget, a validation pass keeps to a share of it
    ]
    if alpha or beta:
        extra.append(ActivationRegularization(alpha, beta))
    if clip is not None:
        extra.append(GradientClip(clip))
    learn = LanguageModelLearner(
        model,
        data,
        loss=loss_func,
        opt=opt,
        metrics=built_metrics,
        callbacks=[*extra, *callbacks],
        lr=lr,
        wd=wd,
        device=device,
        progress=progress,
        path=path,
    )
    learn.recipe = data.recipe
    learn.model_spec = {"name": arch, "config": config}
    if pretrained is not None:
        from trainwell.text.lm_transfer import pretrained_record

        learn.pretrained_record = pretrained_record(pretrained, config, data.recipe.vocab.itos)
    return learn


def _reading_difference(new: LMRecipe, old: LMRecipe) -> str | None:
    """The first way ``new`` turns text into ids otherwise than ``old`` (another tokenizer or vocabulary), and
    what it would do to the model; ``None`` when they read alike (another ``batch_size`` or ``bptt`` is alike)."""
    from trainwell.text.vocab import vocab_difference

    if new.tokenizer_name != old.tokenizer_name:
        difference = f"tokenizer is {new.tokenizer_name!r}, the Learner's {old.tokenizer_name!r}"
    else:
        found = vocab_difference(new.vocab.itos, old.vocab.itos)
        if found is None:
            return None
        difference = f"vocabulary is not the Learner's ({found})"
    return f"{difference}, so the model's embedding and decoder rows would mean other words"


def _reading_fix(new: LMRecipe, old: LMRecipe) -> str:
    return (
        "to train this model on other text, export it and fine-tune from it: learn.export(dir), "
        "then language_model_learner(lm_data(texts, pretrained=dir), pretrained=dir) carries its weights "
        "over to the new vocabulary"
    )
