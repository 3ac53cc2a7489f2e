"""The image Learner factory: an architecture sized from the data, augmentation installed, weights to start from."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from trainwell.core.errors import ConfigError, DataError
from trainwell.data.bundle import DataBundle
from trainwell.learner.events import Callback
from trainwell.learner.learner import VALIDATION_SET, Learner
from trainwell.losses import BCEWithLogits, CrossEntropy, check_label_smoothing, several_targets_loss
from trainwell.models.registry import create_model, list_models, models
from trainwell.vision import _choices
from trainwell.vision.transform import AugmentBatch, tta_probabilities

if TYPE_CHECKING:
    from trainwell.data.loader import TensorLoader
    from trainwell.vision.io import LabelledFiles
    from trainwell.vision.models import PretrainedLoad

#: Largest side (pixels) for which "auto" picks the small CNN rather than an xresnet.
SMALL_IMAGE = _choices.SMALL_IMAGE


class VisionLearner(Learner):
    """A Learner for images: adds ``show_results`` and test-time augmentation (``tta``)."""

    #: What the model was fine-tuned from (``pretrained=``), written to ``trainwell.json`` as
    #: ``training.pretrained`` (:mod:`trainwell.core.lineage`); ``None`` for a model trained from scratch.
    pretrained_record: dict[str, Any] | None = None

    def show_results(  # type: ignore[override]
        self, path: str | Path = "results.png", n: int = 16, *, loader: Iterable[Any] | None = VALIDATION_SET
    ) -> Path:
        """Write a PNG grid of images with their true and predicted labels (wrong ones in red): ``n`` spread over
        ``loader`` (default: the validation set; the training set, said in the title, when there is none).

        ``loader=None`` is refused, as by :meth:`get_preds`: it is what ``data.test`` is without a test set.
        """
        from trainwell.vision.plots import show_results

        chosen = self._chosen_loader(loader, "learn.show_results")
        if chosen is None:
            chosen, name = self.data.train, "training (there is no validation set)"
        elif chosen is self.data.valid:
            name = "validation"
        elif chosen is self.data.test:
            name = "test"
        else:
            name = "training" if chosen is self.data.train else "images"
        return show_results(self, Path(path), n=n, loader=chosen, name=name)

    def freeze(self) -> None:
        """Train only the head (the last layer group of the network).

        Raises:
            ConfigError: The network is one layer group (its module has no ``layer_groups()``).
        """
        if len(self.layer_groups()) < 2:
            # Learner.freeze would name ImageClassifier, the wrapper that normalises, not the user's network.
            config = (self.model_spec or {}).get("config") or {}
            arch = config.get("arch", type(self.model).__name__)
            raise ConfigError(
                f"cannot freeze the {arch!r} network: it is one layer group, so nothing would be frozen; give the "
                "module its factory returns a layer_groups() method returning its modules body first, head last "
                "(e.g. [self.body, self.head]), or train it whole with fit_one_cycle"
            )
        super().freeze()

    def check_new_data(self, data: DataBundle) -> None:
        """Refuse images of another channel count set in place of :attr:`data`, and warn of images normalised
        otherwise than the model normalises them (statistics measured on the new images): the model keeps its
        own, and the new recipe, written beside it by export, would say otherwise. Data built with
        ``image_data(..., like=learn.data)`` is taken in silence, at another ``size=`` too (progressive resizing).

        Raises:
            ConfigError: The new images have another number of channels than the model's first layer takes.
        """
        from trainwell.vision._like import differences
        from trainwell.vision.recipe import ImageRecipe

        old, new = self.data.recipe, data.recipe
        if not isinstance(new, ImageRecipe) or old is new:
            return
        old = old if isinstance(old, ImageRecipe) else None
        if old is not None and old.channels != new.channels:
            raise ConfigError(
                f"learn.data: the new images have {new.channels} channel(s), the model reads {old.channels}; "
                "build them with the Learner's settings: image_data(source, like=learn.data)"
            )
        said = differences(self.model, old, new)
        if said:
            from trainwell.core.warn import warn

            warn(
                f"learn.data: the new images are {' and '.join(said)}; the model keeps normalising with its own, "
                "and the new data's recipe, written beside it by export, would say otherwise: build them with the "
                "Learner's, image_data(source, like=learn.data) (size= for larger images)",
                UserWarning,
            )

    @torch.no_grad()
    def tta(
        self,
        loader: Iterable[Any] | None = None,
        *,
        views: str = "auto",
        n_views: int = 4,
        plain_weight: float = 0.5,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Activated predictions blended over test-time views (``views``: ``"auto"``, ``"augmented"`` or
        ``"shifted"``, see :func:`tta_probabilities`), with targets, over ``loader`` (default: the validation set)
        or labelled new images as :meth:`~trainwell.learner.Learner.loader_for` reads them (a folder of class
        folders)."""
        from trainwell.learner._evaluate import _batches

        self.model.eval()
        outputs, targets = [], []
        chosen = self.data.valid if loader is None else self._chosen_loader(loader, "learn.tta")
        for *inputs, target in _batches(self, chosen):
            with self.forward_context():
                probs = tta_probabilities(
                    self.model,
                    self.task.activate,
                    inputs[0],
                    self.data.augmentation,
                    views=views,
                    n_views=n_views,
                    plain_weight=plain_weight,
                )
            outputs.append(probs.cpu())
            targets.append(target.cpu())
        return torch.cat(outputs), torch.cat(targets)


def vision_learner(
    data: DataBundle,
    arch: str = "auto",
    *,
    pretrained: str | Path | Mapping[str, torch.Tensor] | None = None,
    arch_config: Mapping[str, Any] | None = None,
    label_smoothing: float = 0.1,
    lr: float = 2e-3,
    wd: float = 0.05,
    channels_last: bool | None = None,
    mixed_precision: bool | None = None,
    compile: bool | str = False,
    augment_seed: int = 0,
    callbacks: Iterable[Callback] = (),
    **learner_kwargs: Any,
) -> VisionLearner:
    """A Learner with ``arch`` sized from ``data`` and the data's augmentation applied to training batches.

    Args:
        data: a bundle from :func:`~trainwell.vision.image_data`.
        arch: a registered vision architecture (``list_models()``), ``"auto"`` (a small CNN for images of at
            most 32 px, ``xresnet18`` otherwise), or ``"timm:<name>"`` / ``"torchvision:<name>"`` when those
            optional packages are installed (``pip install 'trainwell[vision]'``). Your own network: a factory
            registered with ``@register_model(name, application="vision")`` taking ``n_out`` and
            ``in_channels`` (its other settings through ``arch_config``); give the module it returns a
            ``layer_groups()`` method (body first, head last) for ``freeze``, ``fine_tune`` and discriminative
            learning rates.
        pretrained: weights to start from: a trainwell model directory, a ``.safetensors`` file or a
            ``state_dict`` saved by ``torch.save`` (read with ``weights_only=True``, never unpickling code),
            or a mapping of tensors. The body must match, but for weights trained on another number of
            channels (grayscale for colour images, or the reverse) the first convolution is adapted, with a
            warning (:func:`~trainwell.vision.models.adapt_input_conv`); the head is kept only when its shape matches.
            ``"hub"`` fetches a timm/torchvision architecture's published weights (needs the internet).
            Inputs are normalised as the weights were trained to, not with these images' statistics: a
            trainwell model's own mean and std, a timm network's ``pretrained_cfg`` ones, ImageNet's for
            torchvision (see :mod:`trainwell.vision.normalisation`); the new model's recipe records them.
        arch_config: extra architecture settings (e.g. ``{"head_dropout": 0.5}``).
        label_smoothing: for single-label classification (Szegedy et al. 2016), in ``[0, 1)``; 0 to turn off.
        lr, wd: default peak learning rate and decoupled weight decay.
        channels_last: channels-last memory order (default: on; convolutions gain from it on GPUs and CPUs).
        mixed_precision: bfloat16 autocast (default: on for CUDA GPUs that support bfloat16).
        compile: wrap the model with ``torch.compile`` (opt-in: compilation takes a while); a string names the
            backend (``"eager"`` checks a model traces without generating code). The default backend needs a
            C++ compiler on the CPU: without one this fails at once, saying so (not at the first batch).
        augment_seed: seed of the per-batch augmentation draws.
        **learner_kwargs: passed to :class:`Learner` (``opt``, ``metrics``, ``device``, ``progress``...).
    """
    if data.application != "vision" or data.recipe is None:
        raise ConfigError(f"vision_learner needs data from image_data, got a {data.application!r} bundle")
    check_label_smoothing(label_smoothing)  # here too: a multi-label task builds no smoothed loss
    recipe: Any = data.recipe
    from_hub = isinstance(pretrained, str) and pretrained == "hub"
    carried = _pretrained_arch_config(pretrained, arch)
    if carried:
        arch = carried.pop("arch")
        arch_config = {**carried, **(arch_config or {})}
    if arch.startswith(("timm:", "torchvision:")):
        from trainwell.vision.external import external_spec

        name, config = external_spec(arch, data.task.n_outputs, recipe.channels, from_hub, recipe.size)
    else:
        if from_hub:
            raise ConfigError(
                "pretrained='hub' fetches weights for timm:/torchvision: architectures; built-in ones start from "
                "a model directory or a weights file"
            )
        name = _resolve_arch(arch, recipe.size)
        config = {"n_out": data.task.n_outputs, "in_channels": recipe.channels}
        config.update(_size_hints(name, recipe.size))
    config.update(arch_config or {})
    if name == "whitened_cnn":
        _refuse_too_small(recipe.size, config)
    from trainwell.core.device import bf16_supported, resolve_device

    on_cuda = resolve_device(learner_kwargs.get("device")).type == "cuda"
    if channels_last is None:
        channels_last = True  # faster convolutions on GPUs and, measured on simple_cnn, 25-50% on CPUs too
    extra: list[Callback] = []
    if mixed_precision or (mixed_precision is None and on_cuda and bf16_supported(torch.device("cuda"))):
        from trainwell.callbacks.mixed_precision import MixedPrecision

        extra.append(MixedPrecision("bfloat16"))
    spec_config = {
        "arch": name,
        "arch_config": config,
        "mean": list(recipe.mean),
        "std": list(recipe.std),
        "channels_last": bool(channels_last),
    }
    if data.task.kind == "regression":  # the model answers in the target's units (models.layers.TargetScale)
        spec_config.update(
            {key: data.model_hints[key] for key in ("target_mean", "target_std", "target_range")}
        )
    model = create_model("image_classifier", **spec_config)
    weights = None if pretrained is None or from_hub else read_weights(pretrained)  # type: ignore[arg-type]
    loaded: PretrainedLoad | None = None
    if from_hub:
        spec_config["arch_config"] = {**config, "pretrained": False}  # the artifact holds the weights
    elif weights is not None:
        keep_head, _why = _parent_outputs(pretrained, data.task)
        loaded = load_weights(model, weights, keep_head=keep_head is not False)
    else:
        _init_from_data(model, data, augment_seed)
    if pretrained is not None:
        data = _keep_pretrained_normalisation(model, data, spec_config, name, weights, pretrained)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    loss = learner_kwargs.pop("loss", None)
    if loss is None:  # several targets: each one's error in its own standard deviations
        loss = several_targets_loss(data.task, data.model_hints)
    if loss is None and label_smoothing:
        loss = (
            CrossEntropy(label_smoothing=label_smoothing)
            if data.task.kind == "multiclass"
            else BCEWithLogits(label_smoothing=label_smoothing)
            if data.task.kind == "binary"
            else None
        )
    augment = AugmentBatch("data", seed=augment_seed)  # the learner's data's, read at each fit
    learn = VisionLearner(
        model, data, loss=loss, lr=lr, wd=wd, callbacks=[augment, *extra, *callbacks], **learner_kwargs
    )
    learn.model_spec = {"name": "image_classifier", "config": spec_config}
    learn.pretrained = pretrained is not None
    if pretrained is not None:
        learn.pretrained_record = _pretrained_record(pretrained, data, name, config, loaded)
    if compile:
        from trainwell.learner._compile import compile_model

        learn.model = compile_model(learn.model, compile, learn.device)
    return learn


def _pretrained_record(
    pretrained: object, data: DataBundle, name: str, config: Mapping[str, Any], loaded: PretrainedLoad | None
) -> dict[str, Any]:
    """What the model was fine-tuned from, for ``trainwell.json`` (:mod:`trainwell.core.lineage`): the
    parent's path as given, architecture, task and classes, the weights' hash, what loaded and what is new.
    :func:`~trainwell.vision.pipeline.fit_images` adds how the body was trained (``training``)."""
    from trainwell.core.lineage import loaded_words, parent_record

    network = config.get("arch") if name in ("timm_model", "torchvision_model") else None
    if isinstance(pretrained, str) and pretrained == "hub":
        return {"path": "hub", "kind": "published weights", "architecture": network or name}
    metadata = None
    if isinstance(pretrained, str | Path) and Path(pretrained).is_dir():
        from trainwell.core.artifact import read_metadata

        metadata = read_metadata(pretrained)
        parent_config = (metadata.get("architecture") or {}).get("config") or {}
        network = parent_config.get("arch") or (metadata.get("architecture") or {}).get("name")
    record = parent_record(pretrained, metadata, network or config.get("arch") or name)
    task = data.task
    head_kept = bool(loaded is not None and loaded.head_loaded)
    classes = [str(name) for name in task.classes] if task.kind != "regression" else None
    same, why = _parent_outputs(pretrained, task)
    if (
        same is True and not head_kept
    ):  # the same classes, but the head's shape did not fit (another arch_config)
        why = ""
    record["loaded"], record["new"] = loaded_words(head_kept, task.n_outputs, classes, task.kind, why=why)
    if loaded is not None:
        record["tensors_loaded"] = loaded.n_loaded
    return record


def _keep_pretrained_normalisation(
    model: torch.nn.Module,
    data: DataBundle,
    spec_config: dict[str, Any],
    name: str,
    weights: Mapping[str, torch.Tensor] | None,
    pretrained: object,
) -> DataBundle:
    """Normalise as the pretrained weights were trained to (see :mod:`trainwell.vision.normalisation`).

    The model's buffers, its recorded config and the recipe of the returned bundle (a copy: the caller's is
    left as it is) all get the pretrained statistics, so the artifact, the predictor, serve and ONNX apply them.
    Weights with no record of theirs (a bare state dict of a built-in architecture) keep the data's.
    """
    from trainwell.vision import normalisation

    source = "(a mapping of tensors)" if isinstance(pretrained, Mapping) else f"'{pretrained}'"
    chosen = normalisation.from_weights(weights, source) if weights is not None else None
    if chosen is None and name in ("timm_model", "torchvision_model"):
        chosen = normalisation.from_library(name.removesuffix("_model"), getattr(model.net, "net", None))
    if chosen is None:
        return data
    recipe: Any = data.recipe
    chosen = chosen.for_channels(recipe.channels)
    normalisation.apply(model, chosen)
    spec_config["mean"], spec_config["std"] = list(chosen.mean), list(chosen.std)
    extra = {**recipe.extra, "normalisation": f"from {chosen.source}, not measured on these images"}
    kept = dataclasses.replace(recipe, mean=chosen.mean, std=chosen.std, extra=extra)
    return dataclasses.replace(data, recipe=kept)


def _init_from_data(model: torch.nn.Module, data: DataBundle, seed: int) -> None:
    """Architectures initialised from the training images (``init_whitening``) get a random sample of them."""
    net = getattr(model, "net", model)
    init = getattr(net, "init_whitening", None)
    images = getattr(data.train, "tensors", (None,))[0]
    if not callable(init) or images is None:
        return
    from trainwell.vision.speedrun import WHITENING_IMAGES, WHITENING_PIXELS

    # 5,000 images of 32x32; fewer when they are larger, so the patch matrix stays ~ 100 MB.
    n_images = max(1, min(WHITENING_IMAGES, WHITENING_PIXELS // (images.shape[-1] * images.shape[-2])))
    generator = torch.Generator().manual_seed(seed)
    chosen = torch.randperm(len(images), generator=generator)[:n_images]
    with torch.no_grad():
        init(model.normalise(images[chosen]))  # type: ignore[operator]


#: Settings of a network that follow from the data, not from the weights: never carried over from a model.
_DATA_SETTINGS = ("n_out", "in_channels", "small_input", "pretrained")


def _pretrained_arch_config(pretrained: object, arch: str) -> dict[str, Any]:
    """The architecture of a trainwell image model directory given as ``pretrained``, to build the same one.

    ``arch="auto"`` chooses from the image size, which need not be the size the weights were trained at: a
    model trained on 48-pixel images (an xresnet18) then fine-tuned at 32 pixels (auto: the small CNN) failed
    on a body tensor's shape. With ``"auto"`` the directory's own architecture and its shape settings are used
    (``"arch"`` in the result); another explicit ``arch`` is refused here, naming both. Anything else (weights
    files, mappings, timm/torchvision models) returns ``{}`` and is checked as the weights load.
    """
    if not isinstance(pretrained, str | Path) or pretrained == "hub" or not Path(pretrained).is_dir():
        return {}
    from trainwell.core.artifact import read_metadata

    metadata = read_metadata(pretrained)
    application = metadata.get("application")
    if application != "vision":
        raise ConfigError(
            f"--pretrained '{pretrained}' holds a {application} model, not an image model; start from an image "
            "model directory or a weights file (.safetensors)"
        )
    spec = metadata.get("architecture") or {}
    config = spec.get("config") or {}
    stored = config.get("arch")
    if spec.get("name") != "image_classifier" or stored not in _vision_archs():
        return {}  # a timm/torchvision network: its weights are checked as they load
    if arch not in ("auto", stored):
        raise ConfigError(
            f"--pretrained '{pretrained}' is a {stored} model and --arch (arch=) asks for {arch}: its weights fit "
            f"only its own architecture; leave --arch out (or pass --arch {stored}) to fine-tune it"
        )
    settings = {k: v for k, v in (config.get("arch_config") or {}).items() if k not in _DATA_SETTINGS}
    return {"arch": stored, **settings}


def _resolve_arch(arch: str, size: tuple[int, int]) -> str:
    known = list_models()  # also loads the built-in architectures
    if arch == "auto":
        return "simple_cnn" if max(size) <= SMALL_IMAGE else "xresnet18"
    if arch.startswith(("timm:", "torchvision:")):
        raise ConfigError(
            f"arch {arch!r}: timm and torchvision models are an optional extra (pip install 'trainwell[vision]'); "
            "they are not wired into artifacts yet, use a registered architecture: "
            + ", ".join(_vision_archs())
        )
    if arch not in known:
        raise ConfigError(f"unknown architecture {arch!r}; choose one of: {', '.join(_vision_archs())}")
    if arch not in _vision_archs():
        application = models.entry(arch).metadata.get("application")
        kind = f"a {application}" if application not in (None, "vision") else "not an image"
        raise ConfigError(
            f"arch {arch!r} is {kind} architecture; choose one of: {', '.join(_vision_archs())}, or register "
            f"your own network with @register_model(name, application='vision') ({_VISION_CONTRACT})"
        )
    missing = [option for option in ("n_out", "in_channels") if not _takes(arch, option)]
    if missing:
        raise ConfigError(
            f"arch {arch!r} does not take {' and '.join(missing)}: vision_learner sizes the network from the "
            f"data, so {_VISION_CONTRACT}"
        )
    return arch


def _takes(name: str, option: str) -> bool:
    """Whether the registered factory ``name`` takes the keyword ``option`` (or any keyword: ``**config``)."""
    import inspect

    try:
        parameters = inspect.signature(models.get(name)).parameters.values()
    except (TypeError, ValueError):  # no readable signature: let the call say
        return True
    return any(p.name == option or p.kind is p.VAR_KEYWORD for p in parameters)


#: What vision_learner asks of a registered image architecture.
_VISION_CONTRACT = (
    "its factory must take n_out (outputs) and in_channels (1 for grey, 3 for colour) as keyword arguments"
)


def _vision_archs() -> list[str]:
    return [
        name
        for name in list_models()
        if models.entry(name).metadata.get("application") == "vision"
        and name not in ("image_classifier", "timm_model", "torchvision_model")  # wrappers, not networks
    ]


def _refuse_too_small(size: tuple[int, int], config: Mapping[str, Any]) -> None:
    """Refuse images too small for ``whitened_cnn`` (its pooling halves them to nothing), in one line naming the
    size that fits, before training: it failed on the first batch with torch's "Output size is too small"."""
    from trainwell.vision.speedrun import smallest_side

    keys = ("widths", "whitening_kernel")
    smallest = smallest_side(**{key: config[key] for key in keys if key in config})
    if min(size) < smallest:
        raise ConfigError(
            f"images of {size[0]}x{size[1]} pixels are too small for whitened_cnn: its whitening and pooling "
            f"shrink a side below one pixel; pass size={smallest} or more (--size {smallest}), or arch='simple_cnn'"
        )


def _size_hints(name: str, size: tuple[int, int]) -> dict[str, Any]:
    """Small inputs keep their resolution in the stem (no stride-2 stem, no max-pool)."""
    import inspect

    parameters = inspect.signature(models.get(name)).parameters
    if "small_input" in parameters:
        return {"small_input": max(size) <= 64}
    return {}


# -------------------------------------------------------------------------------------------- weights
def read_weights(source: str | Path | Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Tensors from a model directory, a ``.safetensors`` file, a ``torch.save``d state dict, or a mapping."""
    if isinstance(source, Mapping):
        return dict(source)
    path = Path(source)
    if path.is_dir():
        from trainwell.core.artifact import read_artifact

        _metadata, state = read_artifact(path)
        return dict(state)
    if not path.is_file():
        raise ConfigError(
            f"pretrained weights '{path}' do not exist; pass a model directory or a weights file"
        )
    if (
        path.suffix != ".safetensors" and (path.parent / "trainwell.json").is_file()
    ):  # model.onnx, its JSON...
        raise ConfigError.worded(
            lambda say: (
                f"{say('pretrained')} '{path}' is a file of the model directory '{path.parent}'; pass the "
                "directory itself (or its model.safetensors)"
            )
        )
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path))
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise ConfigError(
            f"cannot read '{path}' as weights safely ({type(error).__name__}); save a state_dict "
            "(torch.save(model.state_dict(), ...)) or a .safetensors file"
        ) from error
    if isinstance(loaded, Mapping) and "state_dict" in loaded:
        loaded = loaded["state_dict"]
    if not isinstance(loaded, Mapping) or not all(isinstance(v, torch.Tensor) for v in loaded.values()):
        raise ConfigError(f"'{path}' does not hold a state_dict (a mapping of names to tensors)")
    return dict(loaded)


def _parent_outputs(pretrained: object, task: Any) -> tuple[bool | None, str]:
    """Whether a parent model directory's head answers ``task``'s very outputs (the same classes in the same
    order, or the same regression targets) and why, in words (:func:`~trainwell.core.lineage.same_outputs`);
    ``(None, "")`` for weights that name no classes (a weights file, tensors given in Python, the hub): their
    head is kept when its shape fits, as before."""
    if not isinstance(pretrained, str | Path) or not Path(pretrained).is_dir():
        return None, ""
    from trainwell.core.artifact import read_metadata
    from trainwell.core.lineage import same_outputs

    try:
        parent = read_metadata(pretrained).get("task")
    except Exception:  # read_weights says what is wrong with the directory
        return None, ""
    return same_outputs(parent, task.kind, task.classes, task.target_names)


def load_weights(
    model: torch.nn.Module, source: str | Path | Mapping[str, torch.Tensor], *, keep_head: bool = True
) -> PretrainedLoad:
    """Load pretrained weights into an :class:`ImageClassifier`'s network (body strictly, head when it fits and
    ``keep_head``: ``False`` starts a new head even when the shapes fit, for a parent of other classes).

    Keys may be the classifier's own (``net.…``, from a trainwell artifact) or the bare network's (for a timm or
    torchvision architecture: the file its library writes, e.g. a hub's ``model.safetensors``).
    """
    from trainwell.vision.models import _weight_parts, load_pretrained_weights

    state = read_weights(source)
    if any(key.startswith("net.") for key in state):
        state = {key[4:]: value for key, value in state.items() if key.startswith("net.")}
    network: Any = model.net
    if callable(getattr(network, "head_prefixes", None)) and not any(key.startswith("net.") for key in state):
        # A timm/torchvision network's own weights (as its library saves them): the wrapper holds it as ``net``.
        state = {f"net.{key}": value for key, value in state.items()}
    if not keep_head:
        in_head = _weight_parts(network)[1]
        state = {key: value for key, value in state.items() if not in_head(key)}
    return load_pretrained_weights(network, state)


#: Images per batch of new images read by :func:`new_examples_loader` (an evaluation pass, no gradients kept).
NEW_IMAGES_BATCH = 256


def new_examples_loader(
    learn: Learner, examples: Any, *, method: str, targets: str
) -> tuple[TensorLoader, bool]:
    """New images as a loader, decoded and fitted to ``learn``'s recipe (its size, channels and resizing), in the
    order given; and whether it holds their labels. ``examples``: a folder of class folders (labelled), a list of
    image paths (no labels: ``targets`` must not be ``"required"``), or a CSV / DataFrame of paths and labels in
    the columns the training CSV had. An image that cannot be decoded is left out with a warning naming it."""
    from trainwell.data.loader import TensorLoader
    from trainwell.vision.io import decode_images
    from trainwell.vision.recipe import ImageRecipe

    recipe = learn.data.recipe
    assert isinstance(recipe, ImageRecipe), "a vision bundle holds an ImageRecipe"
    files, name = _new_images(learn, examples, method, recipe, targets)
    known = files.labels is not None and targets != "none"
    images, kept = decode_images(files.paths, recipe.size, recipe.channels, recipe.resize)
    if known:
        labels = [files.labels[i] for i in kept]
        if learn.task.kind == "regression":
            from trainwell.vision.data import numeric_labels

            labels = numeric_labels(labels, name, judged=True)
        try:
            encoded = learn.task.encode(labels)
        except DataError as error:  # a label the model does not know: say which images hold it
            raise DataError(f"{method}: {name}: {error}") from None
    else:  # a stand-in the loop carries along: get_preds gives None for the targets
        encoded = torch.zeros(len(images))
    return TensorLoader((torch.from_numpy(images), encoded), NEW_IMAGES_BATCH), known


def _new_images(
    learn: Learner, examples: Any, method: str, recipe: Any, targets: str
) -> tuple[LabelledFiles, str]:
    """The files (and labels, or ``None``) of ``examples``, and how to name them."""
    from trainwell.vision._sources import is_path_list, is_table
    from trainwell.vision.io import LabelledFiles, csv_files, folder_splits, table_files

    if is_path_list(examples):
        if targets == "required":
            raise DataError(
                f"{method}: a list of image paths holds no labels; pass a folder of class folders, or a CSV / "
                "DataFrame of paths and labels, to score; learn.get_preds(paths) predicts them"
            )
        paths = [Path(path) for path in examples]
        missing = [str(path) for path in paths if not path.is_file()]
        if missing:
            raise DataError(f"{method}: {len(missing)} of the image paths do not exist, e.g. '{missing[0]}'")
        return LabelledFiles(paths, None), "the image paths"  # type: ignore[arg-type]
    csv = recipe.extra.get("csv") or {}
    is_file = isinstance(examples, (str, os.PathLike)) and Path(examples).is_file()
    if is_table(examples) or is_file:
        if not csv:
            raise ConfigError(
                f"{method}: the model was trained on a folder or a list of images, not a CSV of paths and labels; "
                "pass a folder of class folders, or a list of image paths"
            )
        delim = learn.task.label_delim
        if is_file:
            files = csv_files(Path(examples), csv["path_col"], csv["label_col"], label_delim=delim)[0]
            return files, f"'{examples}'"
        return table_files(examples, csv["path_col"], csv["label_col"], label_delim=delim), "the DataFrame"
    if not isinstance(examples, (str, os.PathLike)):
        raise ConfigError(
            f"{method} of an image Learner takes a folder of class folders, a list of image paths or a CSV / "
            f"DataFrame of paths and labels, or a loader of batches (data.valid, data.test); got a "
            f"{type(examples).__name__}"
        )
    splits = folder_splits(Path(examples), known={str(label) for label in learn.task.classes or ()})
    if "all" not in splits:
        raise DataError(
            f"{method}: '{examples}' holds train/ (and valid/, test/) folders; pass the folder of the class "
            f"folders to read (e.g. '{Path(examples) / 'test'}')"
        )
    return splits["all"], f"'{examples}'"
