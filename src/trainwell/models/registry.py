"""The model registry: every architecture is created by name from a JSON-serialisable config.

That is what lets an artifact rebuild its model from ``trainwell.json`` without pickling code.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import importlib
import inspect
import sys
import weakref
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import torch
from torch import nn

from trainwell.core.artifact import metadata_entry, to_jsonable
from trainwell.core.errors import ArtifactError
from trainwell.core.registry import Entry, Registry
from trainwell.core.warn import _inside, warn

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
    """Decorator registering an architecture; metadata might be ``application="tabular"``.

    It decorates a function that builds the module, or the ``nn.Module`` class itself. A class registered so
    remembers the keywords of each instance built directly (``MyNet(width=32)``, positional arguments by their
    names), as :func:`create_model` does: a Learner given it exports it with no ``model_spec`` to set by hand.
    """
    register = models.register(name, **metadata)

    def decorator(factory: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        registered = register(factory)
        if isinstance(factory, type) and issubclass(factory, nn.Module):
            _record_construction(factory, name)
        return registered

    return decorator


#: The attribute where :func:`create_model` leaves the name and keywords a module was built with, which a
#: :class:`~trainwell.learner.Learner` takes as its ``model_spec`` (what ``export`` records to rebuild it).
SPEC_ATTRIBUTE = "trainwell_model_spec"


class NotExportable(UserWarning):
    """A model built with a keyword that ``trainwell.json`` cannot hold (a class, a function, a module, a
    tensor): it trains and predicts in this process, but ``learn.export`` will refuse it. Said when the model is
    built (:func:`create_model`, or a registered class built directly), not after its training."""


#: Set while :func:`create_model` builds: it says what the config cannot hold itself, once, at the user's line.
_BUILDING: contextvars.ContextVar[bool] = contextvars.ContextVar("trainwell_building_model", default=False)


def create_model(name: str, **config: Any) -> nn.Module:
    """Build a registered architecture: ``create_model("tabular_mlp", cardinalities=[3], n_cont=2, n_out=1)``.

    The module remembers how it was built (``{"name": name, "config": config}``): a Learner given it can
    ``export`` it without setting ``learn.model_spec`` by hand. A keyword that ``trainwell.json`` cannot hold
    (``act=nn.GELU``) is built as given, with a :class:`NotExportable` warning saying that export will refuse it.
    """
    factory = models.get(name)
    token = _BUILDING.set(True)
    try:
        module = factory(**config)
    finally:
        _BUILDING.reset(token)
    if not _inside(sys._getframe(1).f_code.co_filename):  # trainwell's own calls: their configs are its own
        _warn_unexportable(f"create_model({name!r}, ...)", config)
    with contextlib.suppress(AttributeError, TypeError):  # a builder's object without attributes of its own
        object.__setattr__(module, SPEC_ATTRIBUTE, {"name": name, "config": dict(config)})
    return module


#: Each class registered by :func:`register_model`, with the names it is registered under (first first).
_CLASS_NAMES: weakref.WeakKeyDictionary[type, list[str]] = weakref.WeakKeyDictionary()


def _record_construction(cls: type[nn.Module], name: str) -> None:
    """Wrap ``cls.__init__`` so that an instance of ``cls`` itself (not of a subclass: its keywords may build
    another model) remembers the name and keywords it was built with, as :func:`create_model` records them."""
    names = _CLASS_NAMES.get(cls)
    if names is not None:  # registered again (another name): the wrapper is already in place
        names.append(name)
        return
    original = cls.__init__
    try:
        signature = inspect.signature(original)
    except (TypeError, ValueError):  # an __init__ without a readable signature: nothing to record by name
        return
    _CLASS_NAMES[cls] = [name]

    @functools.wraps(original)
    def __init__(self: nn.Module, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if type(self) is cls:
            _remember_construction(self, cls, signature, args, kwargs)

    cls.__init__ = __init__  # type: ignore[method-assign]


def _remember_construction(
    module: nn.Module, cls: type, signature: inspect.Signature, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    # the first name still registering this very class: a registration removed or replaced (a class defined
    # again in a notebook) no longer names it
    name = registered_name(cls)
    if name is None:
        return
    try:
        bound = signature.bind(module, *args, **kwargs)
    except TypeError:
        return
    config: dict[str, Any] = {}
    for position, (key, value) in enumerate(bound.arguments.items()):
        kind = signature.parameters[key].kind
        if position == 0:  # self
            continue
        if kind is inspect.Parameter.VAR_POSITIONAL:
            if value:  # MyNet(*layers): no keyword rebuilds it
                return
        elif kind is inspect.Parameter.VAR_KEYWORD:
            config.update(value)
        else:
            config[key] = value
    if _BUILDING.get():  # create_model records (and says) it itself
        return
    if unexportable_config(config) is not None:
        # not recorded: a Learner's in-memory predictor would write it through JSON (learn.predict); said now
        _warn_unexportable(f"{cls.__name__}(...) (registered as {name!r})", config)
        return
    with contextlib.suppress(AttributeError, TypeError):
        object.__setattr__(module, SPEC_ATTRIBUTE, {"name": name, "config": config})


def registered_name(cls: type) -> str | None:
    """The name a class decorated with :func:`register_model` is registered under now, if any: what an export
    of an instance built without its keywords recorded can tell to build it with ``create_model``."""
    return next((n for n in _CLASS_NAMES.get(cls, ()) if _registered_factory(n) is cls), None)


def _registered_factory(name: str) -> object:
    entry = models._entries.get(name)  # the table as it is: no module of trainwell's imported for a lookup
    return entry.factory if entry is not None else None


def unexportable_config(config: Mapping[str, Any]) -> str | None:
    """What in an architecture's ``config`` ``trainwell.json`` cannot hold and how to change it, in one clause
    (``"act is the class GELU, which trainwell.json cannot hold; ..."``); ``None`` when it can hold it all."""
    found = _unstorable(dict(config), "")
    if found is None:
        return None
    path, value = found
    key = path.split("[", 1)[0]
    if isinstance(value, type) or (callable(value) and hasattr(value, "__name__")):
        kind = "class" if isinstance(value, type) else "function"
        what = f"the {kind} {value.__name__}"
        fix = f"take a name ({key}={value.__name__.lower()!r}) and map it to the {kind} in the model's code"
    else:
        what = f"a {type(value).__name__}"
        fix = "take a str, number, bool, None, list or dict instead, and build the object in the model's code"
    return f"{path} is {what}, which trainwell.json cannot hold; to export the model, {fix}"


def _warn_unexportable(built: str, config: Mapping[str, Any]) -> None:
    """A :class:`NotExportable` warning naming the first keyword of ``config`` that JSON cannot hold, if any."""
    problem = unexportable_config(config)
    if problem is not None:
        warn(
            NotExportable(
                f"{built}: the model trains and predicts in this process, but learn.export will refuse it: {problem}"
            )
        )


def _unstorable(value: Any, path: str) -> tuple[str, Any] | None:
    """Where in ``value`` (a config) the first value JSON cannot hold is, and that value; ``None`` if none."""
    try:
        to_jsonable(value, path or "config")
        return None
    except ArtifactError:
        pass
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                return (f"{path}[{key!r}]" if path else repr(key)), key
            found = _unstorable(item, f"{path}[{key!r}]" if path else key)
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = _unstorable(item, f"{path}[{index}]")
            if found is not None:
                return found
    return path, value


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
