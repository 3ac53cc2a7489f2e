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

The full softmax over a 10k vocabulary costs more than the LSTM itself on a CPU. ``train_softmax="sampled"``
trains with a sampled softmax instead (Jean et al. 2015): each batch scores the true next word against
``n_samples`` words drawn from the smoothed unigram distribution, importance-weighted by ``1 / expected
count`` so the loss estimates the full cross-entropy, and the decoder stays tied to the embedding. Validation,
perplexity, the cache and generation always use the full, exactly normalised softmax.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import torch
import torch.nn.functional as F
from torch import nn

from trainwell.callbacks.budget import TimeBudget, start_budget
from trainwell.callbacks.clip import GradientClip
from trainwell.core.errors import ConfigError
from trainwell.core.warn import warn
from trainwell.data.bundle import DataBundle
from trainwell.learner.events import Callback
from trainwell.learner.learner import VALIDATION_SET, Learner, LossLike
from trainwell.learner.run_files import FitRun
from trainwell.metrics.function import MetricLike
from trainwell.models.registry import create_model
from trainwell.text.lm_callbacks import ActivationRegularization, HiddenStateReset, NgramBaseline, Perplexity
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


# ------------------------------------------------------------------------------------------ losses
def lm_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy per token: ``logits (B, T, V)``, ``targets (B, T)``."""
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(), targets.reshape(-1))


def sampled_softmax_loss(
    features: torch.Tensor,
    targets: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    proposal: torch.Tensor,
    n_samples: int,
) -> torch.Tensor:
    """Sampled-softmax cross-entropy: the true word against ``n_samples`` words drawn from ``proposal``.

    Args:
        features: ``(N, E)`` decoder inputs.
        targets: ``(N,)`` true next words.
        weight, bias: The decoder, ``(V, E)`` and ``(V,)``.
        proposal: ``(V,)`` sampling probabilities (sum 1).
        n_samples: Words drawn (with replacement) per batch, shared by every position.

    Each sampled logit is corrected by ``-log(n_samples · q(w))`` and a sampled word equal to a position's
    true word is masked out for that position ("accidental hits"), so the sampled terms estimate the softmax
    normaliser over the other words without bias and the loss tends to the full cross-entropy as
    ``n_samples`` grows.
    """
    sampled = torch.multinomial(proposal, n_samples, replacement=True)  # (S,)
    log_expected = torch.log(proposal * n_samples)
    true_logits = (features * weight[targets]).sum(-1)  # (N,)
    sampled_logits = features @ weight[sampled].t() - log_expected[sampled]  # (N, S)
    if bias is not None:
        true_logits = true_logits + bias[targets]
        sampled_logits = sampled_logits + bias[sampled]
    sampled_logits = sampled_logits.masked_fill(sampled[None, :] == targets[:, None], float("-inf"))
    logits = torch.cat([true_logits[:, None], sampled_logits], dim=1).float()
    return F.cross_entropy(logits, torch.zeros_like(targets))


class LMLoss(nn.Module):
    """Full softmax cross-entropy, or a sampled softmax in training when the model outputs features.

    With ``n_samples`` set, the model is switched to return its last layer's features in training (its
    ``decode_in_training`` flag) and this loss applies the decoder on the sampled words only.
    """

    def __init__(self, model: nn.Module, *, n_samples: int = 0, proposal: torch.Tensor | None = None) -> None:
        super().__init__()
        self.model = [model]  # a list: the model's parameters must not become this module's
        self.n_samples = int(n_samples)
        self.proposal: torch.Tensor = proposal if proposal is not None else torch.empty(0)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        model = self.model[0]
        if self.n_samples and model.training:
            decoder: nn.Linear = model.decoder  # type: ignore[assignment]
            proposal = self.proposal.to(pred.device)
            return sampled_softmax_loss(
                pred.reshape(-1, pred.size(-1)),
                target.reshape(-1),
                decoder.weight,
                decoder.bias,
                proposal,
                self.n_samples,
            )
        return lm_cross_entropy(pred, target)


# ------------------------------------------------------------------------------------------ learner
class LanguageModelLearner(Generates, Learner):
    """A :class:`Learner` with exact perplexity evaluation, the cache pointer and text generation."""

    recipe: LMRecipe
    #: The cache pointer's tuning at the end of :func:`fit_language_model` (``None`` before, or untuned).
    cache_report: CacheReport | None = None

    def check_new_data(self, data: DataBundle) -> None:
        """Refuse language-model data of another vocabulary (or tokenizer): the embedding's and the decoder's rows
        would mean other words. The same vocabulary read otherwise (another ``batch_size`` or ``bptt``) is taken.

        Raises:
            ConfigError: How the vocabularies differ, and the way to train this model on other text.
        """
        from trainwell.text.vocab import vocab_difference

        old, new = self.data.recipe, data.recipe
        if not isinstance(old, LMRecipe) or not isinstance(new, LMRecipe):
            return
        if new.tokenizer_name != old.tokenizer_name:
            difference: str | None = (
                f"tokenizer is {new.tokenizer_name!r}, the Learner's {old.tokenizer_name!r}"
            )
        else:
            found = vocab_difference(new.vocab.itos, old.vocab.itos)
            difference = None if found is None else f"vocabulary is not the Learner's ({found})"
        if difference is not None:
            raise ConfigError(
                f"learn.data: the new data's {difference}, so the model's embedding and decoder rows would mean "
                "other words; to train this model on other text, export it and fine-tune from it: learn.export(dir), "
                "then language_model_learner(lm_data(texts, pretrained=dir), pretrained=dir) carries its weights "
                "over to the new vocabulary"
            )

    @torch.no_grad()
    def validate(self, loader: Iterable[Any] | None = VALIDATION_SET) -> dict[str, float]:
        """Exact mean loss per token and perplexity over ``loader`` (default: validation), from a fresh state,
        and the learner's metrics (``metrics=`` of :func:`language_model_learner`) over the same tokens.

        The loader is read as training reads its stream: cut into ``batch_size`` rows read side by side, every row
        starting from a zeroed hidden state, and the last ``(n_tokens - 1) % batch_size`` tokens left out. So
        ``validate(data.test)`` is not the figure of :meth:`evaluate_cache` (``test_perplexity``), ``score`` or
        ``trainwell report``, which read the text as one row from one state: each row but the first starts
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

        The text is read as one row from one hidden state (see :func:`~trainwell.text.cache.evaluate_cache`), so
        its perplexities without the cache are those of ``validate(loader.new(batch_size=1))``, not of
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
    _check_lm_arch(arch)
    vocab_size = int(data.model_hints["vocab_size"])
    asked = {
        "emb_size": emb_size,
        "hidden_size": hidden_size,
        "n_layers": n_layers,
        "tie_weights": tie_weights,
    }
    from trainwell.core.device import resolve_device

    on_cpu = resolve_device(device).type == "cpu"
    arch, model, config = _build_model(data, arch, asked, drop_mult, pretrained, on_cpu=on_cpu)
    sampled = train_softmax == "sampled" and n_samples < vocab_size
    proposal = _unigram_proposal(data.train.ids, vocab_size) if sampled else None
    if sampled:
        model.decode_in_training = False  # type: ignore[assignment]
    loss_func = (
        loss if loss is not None else LMLoss(model, n_samples=n_samples if sampled else 0, proposal=proposal)
    )
    extra: list[Callback] = [HiddenStateReset(), Perplexity(from_loss=loss is None), NgramBaseline()]
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
    return learn


def _check_lm_arch(arch: str) -> None:
    """Refuse a text classifier's (or an unknown) architecture by name, before building anything."""
    from trainwell.models.registry import list_models, models

    if arch in list_models() and models.entry(arch).metadata.get("task") == "language_model":
        return
    names = [n for n in list_models() if models.entry(n).metadata.get("task") == "language_model"]
    kind = (
        "a text classifier, not a language model"
        if arch in list_models() and models.entry(arch).metadata.get("application") == "text"
        else "not a registered language model"
    )
    raise ConfigError(
        f"architecture {arch!r} is {kind}; choose one of: {', '.join(names)} (register your own with "
        "@register_model(name, application='text', task='language_model'))"
    )


#: The paper's PTB sizes: what a language model trained on a GPU gets when neither the call nor a starting
#: model sets them.
DEFAULT_SIZES: dict[str, Any] = {"emb_size": 400, "hidden_size": 1150, "n_layers": 3, "tie_weights": True}
#: The sizes for a CPU. At equal training time they fit far more epochs: on Tiny Shakespeare (held-out last
#: 10%, benchmarks/lm_heldout.py) 256/512x2 reached perplexity 32.1 after 12 epochs in 526 s, the paper's sizes
#: 44.6 after 3 epochs in 669 s, behind a Kneser-Ney trigram's 39.6. The PTB and ULMFiT benchmarks use them too.
CPU_SIZES: dict[str, Any] = {"emb_size": 256, "hidden_size": 512, "n_layers": 2, "tie_weights": True}


def _build_model(
    data: DataBundle,
    arch: str,
    asked: dict[str, Any],
    drop_mult: float,
    pretrained: str | Path | None,
    *,
    on_cpu: bool = False,
) -> tuple[str, nn.Module, dict[str, Any]]:
    """The AWD-LSTM for ``data``: sized by ``asked``, else by the starting model, else :data:`CPU_SIZES` on a
    CPU and :data:`DEFAULT_SIZES` elsewhere."""
    vocab_size = int(data.model_hints["vocab_size"])
    sizes = dict(CPU_SIZES if on_cpu else DEFAULT_SIZES)
    if pretrained is not None:
        from trainwell.text.lm_transfer import starting_point, transfer_lm_weights

        name, found, state, old_itos = starting_point(pretrained, asked)
        arch = name or arch
        sizes.update(found)
    sizes.update({key: value for key, value in asked.items() if value is not None})
    config: dict[str, Any] = {
        "vocab_size": vocab_size,
        "emb_size": sizes["emb_size"],
        "hidden_size": sizes["hidden_size"],
        "n_layers": sizes["n_layers"],
        "pad_id": int(data.model_hints.get("pad_id", 1)),
        "embed_p": 0.1 * drop_mult,
        "input_p": 0.4 * drop_mult,
        "hidden_p": 0.25 * drop_mult,
        "weight_p": 0.5 * drop_mult,
        "output_p": 0.4 * drop_mult,
        "tie_weights": sizes["tie_weights"],
    }
    model = create_model(arch, **config)
    ids = data.train.ids  # type: ignore[attr-defined]
    if pretrained is not None:
        is_new = transfer_lm_weights(model, state, old_itos, data.recipe.vocab.itos)  # type: ignore[union-attr]
        _start_unseen_ids_unlikely(model, ids, vocab_size, among=is_new)
    else:
        _start_unseen_ids_unlikely(model, ids, vocab_size)
    return arch, model, config


UNSEEN_LOGIT_BIAS = -10.0


def _start_unseen_ids_unlikely(
    model: nn.Module, ids: torch.Tensor, vocab_size: int, among: torch.Tensor | None = None
) -> None:
    """Start ids that never occur in the training stream (unused special tokens, fillers) very unlikely.

    Maximum likelihood drives them there anyway; a sampled softmax rarely draws them, so without this they
    would keep a share of the probability mass that the exact evaluation charges to every real word.
    """
    decoder = getattr(model, "decoder", None)
    if not isinstance(decoder, nn.Linear) or decoder.bias is None:
        return
    unseen = torch.bincount(ids.cpu(), minlength=vocab_size) == 0
    if among is not None:  # a fine-tuned model keeps what it learnt about words this corpus lacks
        unseen &= among
    with torch.no_grad():
        decoder.bias[unseen.to(decoder.bias.device)] = UNSEEN_LOGIT_BIAS


def _unigram_proposal(ids: torch.Tensor, vocab_size: int, power: float = 0.75) -> torch.Tensor:
    """Training-word frequencies to the power 0.75 (word2vec's smoothing), with every word possible."""
    counts = torch.bincount(ids.cpu(), minlength=vocab_size).double()
    weights = (counts + 1.0).pow(power)
    return (weights / weights.sum()).float()


# ------------------------------------------------------------------------------------------ one call
#: Optimizer steps the default schedule aims for, and the bounds on epochs it may choose.
TARGET_STEPS, MIN_EPOCHS, MAX_EPOCHS = 3000, 2, 50


@dataclass
class LMRun(FitRun):
    """What :func:`fit_language_model` produced, like every pipeline's run (``learn``, ``data``, ``lr``,
    ``model_dir``, ``budget``, ``metrics``), plus ``cache``: how the cache pointer's settings were chosen on the
    validation text (``None`` without validation text or ``tune_cache``).

    It returned the learner itself before; reading a learner's attribute from the run still works for now, with
    a warning (``run.learn.recipe`` instead of ``run.recipe``).
    """

    learn: LanguageModelLearner  # the same field, of the language model's learner class
    cache: CacheReport | None = None

    def __getattr__(self, name: str) -> Any:
        # Only reached for names the run lacks: the learner's, as scripts written against the old return read.
        if name.startswith("__") or name == "learn":
            raise AttributeError(name)
        learn = self.__dict__.get("learn")
        if learn is None or not hasattr(learn, name):
            raise AttributeError(f"'LMRun' object has no attribute '{name}'")
        warn(
            f"fit_language_model now returns an LMRun, not the learner: read run.learn.{name} "
            f"(run.{name} will stop working in a later release)",
            FutureWarning,
        )
        return getattr(learn, name)


def fit_language_model(
    source: Any,
    *,
    out: str | Path | None = None,
    epochs: int | None = None,
    lr: float | None = None,
    seed: int = 0,
    progress: bool = True,
    pretrained: str | Path | None = None,
    learner_kwargs: dict[str, Any] | None = None,
    tune_cache: bool = True,
    time_budget: float | str | TimeBudget | None = None,
    callbacks: Sequence[Callback] = (),
    resume_from: str | Path | None = None,
    **data_kwargs: Any,
) -> LMRun:
    """The whole language-model job: :func:`lm_data`, :func:`language_model_learner`, one-cycle, model directory.

    What ``trainwell fit corpus/ --task language_model`` runs. ``data_kwargs`` go to ``lm_data`` (``valid``,
    ``tokenizer``, ``batch_size``, ``bptt``...), ``learner_kwargs`` to ``language_model_learner`` (sizes,
    ``drop_mult``, ``train_softmax``...). Without ``epochs``, about 3,000 optimizer steps (2 to 50 epochs).
    With ``pretrained`` (a language-model directory) that model is fine-tuned on ``source`` (its tokenizer, its
    vocabulary extended with the new words, its weights), with discriminative rates: each layer group's rate is
    2.6 times the one below it, the embedding and decoder at ``lr``.

    With ``tune_cache`` and validation text, the cache pointer's ``theta`` and ``lambda`` are then chosen on (up
    to :data:`CACHE_TUNE_TOKENS` of) the validation text and kept in the recipe (``recipe.cache``), so judging
    the model on other text applies them; they are left out when the cache does not lower the perplexity there.
    Under ``time_budget`` the tuning reads only as much validation text as fits in a tenth of the budget
    (:data:`CACHE_TUNE_SHARE`). The tuning's figures are in ``run.cache`` (and ``run.learn.cache_report``).

    With ``time_budget`` (seconds, or ``"10m"``...: :class:`~trainwell.callbacks.TimeBudget`), training ends
    within that time of the call, the epochs cut and the schedule fitted to what fits; the budget is in
    ``run.budget``. Tuning the cache (a tenth of the budget at most) and writing the model come after it. ``callbacks`` run in the training
    fit only, e.g. a :class:`~trainwell.callbacks.Checkpoint`; ``resume_from`` names a checkpoint one wrote in
    the same call, which training continues from exactly.

    Returns:
        An :class:`LMRun`: the learner (``run.learn``), its data, the peak rate, the model directory, and
        ``run.metrics``, the final validation row (``perplexity``, ``perplexity_baseline``...).
    """
    from trainwell.core.seeding import seed_everything
    from trainwell.distributed import maybe_distribute
    from trainwell.learner.run_files import check_fit_settings, write_run
    from trainwell.text.lm_stream import lm_data

    check_fit_settings(epochs, lr, out)
    budget = start_budget(time_budget)
    seed_everything(seed)
    data = lm_data(source, seed=seed, pretrained=pretrained, **data_kwargs)
    learn = language_model_learner(data, progress=progress, pretrained=pretrained, **(learner_kwargs or {}))
    maybe_distribute(learn)
    n_batches = max(1, len(data.train))  # type: ignore[arg-type]
    n_epochs = epochs or int(min(MAX_EPOCHS, max(MIN_EPOCHS, math.ceil(TARGET_STEPS / n_batches))))
    from trainwell.text.ulmfit import LR_DECAY

    peak = lr or learn.lr
    n_groups = len(learn.layer_groups())
    rates: float | slice = slice(peak / LR_DECAY ** (n_groups - 1), peak) if pretrained is not None else peak
    fit_callbacks = [*([budget] if budget else []), *callbacks]
    learn.fit_one_cycle(n_epochs, rates, moms=(0.8, 0.7), callbacks=fit_callbacks, resume_from=resume_from)
    if tune_cache:
        _tune_cache(learn, budget)
    model_dir = write_run(learn, Path(out), None) if out is not None else None
    return LMRun(learn, data, peak, model_dir, budget=budget, cache=learn.cache_report)


#: Validation tokens the cache pointer is tuned on at the end of a fit (a read with batch size 1).
CACHE_TUNE_TOKENS = 50_000
#: Under a time budget, the share of it the cache pointer's tuning may take once training is done.
CACHE_TUNE_SHARE = 0.1
#: Tokens read first under a time budget, to time the read and size the rest to the share.
CACHE_PROBE_TOKENS = 1_000


def _tune_cache(learn: LanguageModelLearner, budget: TimeBudget | None = None) -> None:
    """Choose the cache pointer's settings on the validation text and keep them in the recipe when they help;
    under ``budget``, on as much of it as fits in :data:`CACHE_TUNE_SHARE` of the budget's time."""
    import time

    from trainwell.text.cache import evaluate_cache
    from trainwell.text.lm_stream import CacheSettings

    valid = learn.data.valid
    learn.cache_report = None
    if not isinstance(valid, LMStreamLoader) or len(valid.ids) < 3:
        return
    ids, report = valid.ids[:CACHE_TUNE_TOKENS], None
    if budget is not None and len(ids) > CACHE_PROBE_TOKENS:
        started = time.perf_counter()
        report = evaluate_cache(learn.model, ids[:CACHE_PROBE_TOKENS])
        per_token = (time.perf_counter() - started) / CACHE_PROBE_TOKENS
        ids = ids[: max(CACHE_PROBE_TOKENS, int(CACHE_TUNE_SHARE * budget.seconds / per_token))]
    if report is None or len(ids) > CACHE_PROBE_TOKENS:
        report = evaluate_cache(learn.model, ids)
    learn.cache_report = report
    if report.lambda_ > 0 and report.valid_perplexity_cache < report.valid_perplexity:
        learn.recipe.cache = CacheSettings(report.window, report.theta, report.lambda_)
