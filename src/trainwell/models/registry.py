"""The model registry: every architecture is created by name from a JSON-serialisable config.

That is what lets an artifact rebuild its model from ``trainwell.json`` without pickling code.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import torch
from torch import nn

from trainwell.core.artifact import metadata_entry
from trainwell.core.errors import ArtifactError
from trainwell.core.registry import Entry, Registry

#: Each of trainwell's own architectures and the module that registers it, imported when the name is first
#: looked up: ``create_model("tabular_mlp")`` works without importing the application first (and without this
#: low layer importing the applications at load time), and loading a table model imports the tabular models
#: alone, not every application's (text, vision, collab, tagging: 12 modules, growing with each application).
#: ``tests/models/test_registry_builtin_map.py`` imports every module below and checks this map against what
#: they register.
BUILTIN_ARCHITECTURES: dict[str, str] = {
    "tabular_mlp": "trainwell.tabular.models",
    "gbdt": "trainwell.tabular.gbdt",
    "collab_nn": "trainwell.collab.models",
    "dot_bias": "trainwell.collab.models",
    "ease": "trainwell.collab.ease",
    "simple_cnn": "trainwell.vision.models",
    "xresnet18": "trainwell.vision.models",
    "xresnet18_small": "trainwell.vision.models",
    "xresnet34": "trainwell.vision.models",
    "xresnet50": "trainwell.vision.models",
    "image_classifier": "trainwell.vision.network",
    "timm_model": "trainwell.vision.external",
    "torchvision_model": "trainwell.vision.external",
    "whitened_cnn": "trainwell.vision.speedrun",
    "awd_lstm_lm": "trainwell.text.awd_lstm",
    "ngram_bag": "trainwell.text.models",
    "awd_lstm": "trainwell.text.ulmfit",
    "bilstm_crf": "trainwell.text.tagging.models",
}

#: The modules that register trainwell's own architectures, each once: all are imported by whatever needs the
#: whole table (:func:`list_models`, iterating :data:`models`, an unknown name's error listing the known ones).
BUILTIN_MODULES = tuple(dict.fromkeys(BUILTIN_ARCHITECTURES.values()))


@functools.cache
def _load_builtins() -> None:
    for module in BUILTIN_MODULES:
        importlib.import_module(module)


class _Architectures(Registry[Callable[..., nn.Module]]):
    """The architecture table, filled on demand: looking up one of trainwell's own names imports the module that
    registers it (:data:`BUILTIN_ARCHITECTURES`); listing the names, iterating, or a name that no module of
    trainwell registers imports them all (a user's own name then gets the full list of known ones)."""

    def _import_for(self, name: object) -> None:
        module = BUILTIN_ARCHITECTURES.get(name) if isinstance(name, str) else None
        if module is not None and name not in self._entries:
            importlib.import_module(module)

    def entry(self, name: str) -> Entry[Callable[..., nn.Module]]:
        self._import_for(name)
        if name not in self._entries:
            _load_builtins()
        return super().entry(name)

    def names(self, pattern: str = "*") -> list[str]:
        _load_builtins()
        return super().names(pattern)

    def __contains__(self, name: object) -> bool:
        self._import_for(name)
        return super().__contains__(name)

    def __iter__(self) -> Iterator[Entry[Callable[..., nn.Module]]]:
        _load_builtins()
        return super().__iter__()

    def __len__(self) -> int:
        _load_builtins()
        return super().__len__()


models: Registry[Callable[..., nn.Module]] = _Architectures("architecture")


def register_model(
    name: str, **metadata: Any
) -> Callable[[Callable[..., nn.Module]], Callable[..., nn.Module]]:
    """Decorator registering an architecture; metadata might be ``application="tabular"``."""
    return models.register(name, **metadata)


#: The attribute where :func:`create_model` leaves the name and keywords a module was built with, which a
#: :class:`~trainwell.learner.Learner` takes as its ``model_spec`` (what ``export`` records to rebuild it).
SPEC_ATTRIBUTE = "trainwell_model_spec"


def create_model(name: str, **config: Any) -> nn.Module:
    """Build a registered architecture: ``create_model("tabular_mlp", cardinalities=[3], n_cont=2, n_out=1)``.

    The module remembers how it was built (``{"name": name, "config": config}``): a Learner given it can
    ``export`` it without setting ``learn.model_spec`` by hand."""
    module = models.get(name)(**config)
    with contextlib.suppress(AttributeError, TypeError):  # a builder's object without attributes of its own
        object.__setattr__(module, SPEC_ATTRIBUTE, {"name": name, "config": dict(config)})
    return module


def accepts_option(name: str, option: str) -> bool:
    """Whether the registered architecture ``name`` takes the keyword ``option`` (read from its signature)."""
    import inspect

    try:
        return option in inspect.signature(models.get(name)).parameters
    except (TypeError, ValueError):  # a builder without a readable signature: build it as it asks
        return False


def list_models(pattern: str = "*") -> list[str]:
    """Registered architecture names matching a shell-style ``pattern``."""
    return models.names(pattern)


def model_from_artifact(metadata: dict[str, Any], state: Mapping[str, torch.Tensor]) -> nn.Module:
    """Rebuild the architecture that ``trainwell.json`` names and load ``model.safetensors`` into it (eval mode).

    Every application's predictor starts here; a missing or malformed entry, or weights that do not fit the
    architecture, raise an :class:`~trainwell.core.errors.ArtifactError` that says which.
    """
    spec = metadata.get("architecture")
    name, config = metadata_entry(metadata, "architecture", lambda entry: (entry["name"], entry["config"]))
    if not isinstance(name, str) or not isinstance(config, dict):
        raise ArtifactError(
            f"trainwell.json has a malformed architecture entry {spec!r}; expected {{'name': str, 'config': {{...}}}}"
        )
    if name not in models:
        # A user's own architecture: registered by their module, which this process has not imported.
        raise ArtifactError(
            f"the model's architecture {name!r} is not registered in this process: import the module that "
            f"registers it (@register_model({name!r})) before loading the model"
        )
    # any error of the builder: the sizes it was given are the entry's (``layers: [-5]`` raises torch's RuntimeError)
    model = metadata_entry(
        metadata, "architecture", lambda _: create_model(name, **config), errors=(Exception,)
    )
    mismatch = _weights_mismatch(model.state_dict(), state)
    if mismatch:
        raise ArtifactError(
            f"model.safetensors does not match the architecture in trainwell.json ({name}): {mismatch}; the "
            "weights come from another model: restore the directory's two files together, or re-export the model"
        )
    model.load_state_dict(dict(state))
    return model.eval()


def _weights_mismatch(expected: Mapping[str, torch.Tensor], found: Mapping[str, torch.Tensor]) -> str:
    """What differs between the weights an architecture holds and those of a file, in one line ("" if none):
    torch's own error spans a line per weight and its first line names none."""
    shapes = [
        f"{key} is {tuple(found[key].shape)} in the file, {tuple(expected[key].shape)} in the architecture"
        for key in expected
        if key in found and found[key].shape != expected[key].shape
    ]
    missing = [key for key in expected if key not in found]
    unknown = [key for key in found if key not in expected]
    parts = []
    for count, what, names in (
        (len(shapes), "of another shape", shapes),
        (len(missing), "missing from the file", missing),
        (len(unknown), "not in the architecture", unknown),
    ):
        if count:
            listed = "; ".join(names[:3]) + (f"; and {count - 3} more" if count > 3 else "")
            parts.append(f"{count} weight{'s' if count > 1 else ''} {what} ({listed})")
    return ", ".join(parts)
