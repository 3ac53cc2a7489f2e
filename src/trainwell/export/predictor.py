"""``trainwell.load``: rebuild a predictor from an artifact directory, never unpickling anything.

The artifact names its application; the application's ``predictor`` module is imported by that name from a
fixed allow-list (a directory cannot make trainwell import arbitrary code). A model on your own architecture
(application ``"generic"``) gets :class:`~trainwell.export.generic.GenericPredictor`: tensors in, and its
architecture must have been registered by your code before loading.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from trainwell.core.artifact import metadata_entry, read_artifact
from trainwell.core.errors import ArtifactError, ConfigError
from trainwell.core.model_dir import METADATA_FILE
from trainwell.data.task import Task

if TYPE_CHECKING:
    import torch

# torch (and the model registry, which imports it) is imported where a model is built, not here: the refusals
# below are read by the ONNX server (serve.backends), which never imports torch.

# application -> the module whose ``predictor_from_artifact`` serves it
_PREDICTOR_MODULES = {
    "tabular": "trainwell.tabular.predictor",
    "vision": "trainwell.vision.predictor",
    "text": "trainwell.text.predictor",
    "collab": "trainwell.collab.predictor",
    "generic": "trainwell.export.generic",
}
APPLICATIONS = tuple(_PREDICTOR_MODULES)


def load(path: str | Path, *, model: Callable[..., torch.nn.Module] | torch.nn.Module | None = None) -> Any:
    """The predictor for the model directory ``path`` (e.g. :class:`~trainwell.tabular.TabularPredictor`).

    ``trainwell.json`` records how to build the model (an architecture's name and its keyword arguments), never
    code. A model on your own ``nn.Module`` is built by your class: register it before loading (import the
    module where ``@register_model("my_net")`` decorates it), or pass it here as ``model``: the class (or a
    function) that builds it from the recorded keywords, or a module already built, which the weights are
    loaded into. ``model`` is used for this load only; nothing stays registered. A model whose inputs are
    tensors (application ``"generic"``) loads as a :class:`~trainwell.export.generic.GenericPredictor`.

    Example:
        >>> predictor = trainwell.load("model/")            # doctest: +SKIP
        >>> predictor.predict(new_rows)                      # doctest: +SKIP
        >>> trainwell.load("mine/", model=MyNet)             # your own nn.Module, not registered  # doctest: +SKIP
    """
    from trainwell.models.registry import models

    _refuse_onnx_file(path)
    metadata, state = read_artifact(path)
    source = f"model directory '{path}'"
    spec = metadata.get("architecture")
    name = spec.get("name") if isinstance(spec, dict) else None
    try:
        if model is None:
            _need_registered(metadata, path)
            predictor = predictor_from_parts(metadata, state, source)
        else:
            with models.lent(str(name), _builder(model, name, path)):
                predictor = predictor_from_parts(metadata, state, source)
    except ArtifactError as error:  # a damaged entry or weights: say which directory
        if str(error).startswith(source):
            raise
        raise ArtifactError(f"{source}: {error}") from error
    if getattr(predictor, "application", None) == "collab":  # its item titles (item_names.csv) live beside it
        predictor.model_dir = Path(path)
    return predictor


def _refuse_onnx_file(path: str | Path) -> None:
    """Refuse an ONNX file in one line that names both ways to use it: ``trainwell.load`` said only "is a file,
    not a model directory", while ``trainwell predict m/model.onnx`` runs it (tour71 #11).

    Raises:
        ArtifactError: ``path`` is a ``.onnx`` file.
    """
    file = Path(path)
    if file.suffix.lower() != ".onnx" or not file.is_file():
        return
    folder = file.parent
    if (folder / METADATA_FILE).is_file():
        raise ArtifactError(
            f"'{path}' is the ONNX graph of a model directory, not the directory: trainwell.load('{folder}') loads "
            f"the model with PyTorch, and trainwell.export.OnnxPredictor('{folder}') runs its {file.name} with "
            f"onnxruntime (`trainwell predict {path} DATA` too)"
        )
    raise ArtifactError(
        f"'{path}' is an ONNX file, not a model directory: trainwell.load and trainwell.export.OnnxPredictor take "
        f"the folder written by `trainwell fit --out` and `trainwell export --onnx`, which holds {METADATA_FILE} "
        "beside the graph (an ONNX file of your own runs with onnxruntime.InferenceSession)"
    )


def _need_registered(metadata: dict[str, Any], path: str | Path) -> None:
    """Refuse, in one line that names the class and both fixes, a directory whose architecture is one of the
    user's own that this process has not registered (``architecture.built_by``: ``module:QualifiedName`` of the
    class or function registered for it, recorded by ``export``; older directories name only the architecture).
    """
    from trainwell.models.registry import models

    spec = metadata.get("architecture")
    name = spec.get("name") if isinstance(spec, dict) else None
    # ``in models`` imports the one module that registers a name of trainwell's; list_models() imported them all
    if not isinstance(name, str) or name in models:
        return  # registered, or a malformed entry that the loading says as such
    origin = spec.get("built_by") if isinstance(spec, dict) else None
    if isinstance(origin, str) and ":" in origin:  # module:qualified name, as entry points write them
        module, qualified = origin.split(":", 1)
        cls = qualified.rsplit(".", 1)[-1]
        if module == "__main__":  # defined in the script that trained it: nothing to import
            where = f" (built by {cls}, of the script that trained it)"
            imported = f"define {cls} and register it with @register_model({name!r})"
        else:
            where = f" (built by {cls} of module {module})"
            imported = f"import {module} (where @register_model({name!r}) decorates {cls})"
    else:
        cls, where = "MyNet", ""
        imported = f"import the module whose @register_model({name!r}) registers it"
    raise ArtifactError(
        f"model directory '{path}' holds your own architecture {name!r}{where}, which trainwell.json records by "
        f"name, not as code, and this process has not registered: {imported} before loading, or pass the class: "
        f"trainwell.load({str(path)!r}, model={cls})"
    )


def _builder(
    model: Callable[..., torch.nn.Module] | torch.nn.Module, name: str | None, path: str | Path
) -> Callable[..., torch.nn.Module]:
    """What builds the model of ``load(path, model=...)``: the class or function itself, or for a module already
    built, that module (its keywords are its own). Refuses ``model=`` for one of trainwell's own architectures,
    which it would replace."""
    import torch

    from trainwell.models.registry import models

    if name is not None and name in models and _origin(models.get(name)).startswith("trainwell."):
        raise ConfigError(
            f"model= builds an architecture of your own; '{path}' holds trainwell's {name!r}, which trainwell "
            "builds itself: drop model="
        )
    if isinstance(model, torch.nn.Module):
        built = model
        return lambda **config: built
    if not callable(model):
        raise ConfigError(
            f"model= takes the class (or function) that builds the model, or a module already built; got "
            f"{type(model).__name__}"
        )
    return model


def _origin(factory: Any) -> str:
    return str(getattr(factory, "__module__", "") or "")


def predictor_from_parts(metadata: dict[str, Any], state: Mapping[str, torch.Tensor], source: str) -> Any:
    """The predictor for ``trainwell.json``'s contents and the weights: what :func:`load` returns for a
    directory, and ``learn.predictor()`` for a Learner in memory (``source`` names it in errors)."""
    application = metadata.get("application")
    if application not in APPLICATIONS:
        raise ArtifactError(
            f"{source} is for application {application!r}, which this trainwell cannot serve; "
            f"known: {', '.join(APPLICATIONS)}"
        )
    module = importlib.import_module(_PREDICTOR_MODULES[application])
    return module.predictor_from_artifact(metadata, state)


def refuse_language_model(metadata: dict[str, Any] | None, path: str | Path, what: str) -> None:
    """Raise a one-line :class:`ConfigError` when ``metadata`` (``trainwell.json``) is a language model's,
    which writes text and predicts nothing ``what`` (``"trainwell predict"``, ``"serving"``...) could use."""
    kind = ((metadata or {}).get("task") or {}).get("kind")
    if kind == "language_model":
        raise ConfigError(
            f"'{path}' is a language model: it continues text rather than predicting labels, so {what} does not "
            f'apply to it; sample it with: trainwell generate {path} "a prompt" (or fine-tune a classifier '
            f"on it: trainwell fit texts.csv --text TEXT --target LABEL --pretrained {path})"
        )


def refuse_generic(metadata: dict[str, Any] | None, path: str | Path, what: str, instead: str = "") -> None:
    """Raise a one-line :class:`ConfigError` when ``metadata`` (``trainwell.json``) is a model on the user's own
    architecture (application ``"generic"``): it takes tensors, so ``what`` (``"trainwell predict"``,
    ``"serving over HTTP"``...) has no input format to read for it, and only the user's code registers its
    architecture. ``instead`` replaces the default advice (predict from Python)."""
    if (metadata or {}).get("application") != "generic":
        return
    name = ((metadata or {}).get("architecture") or {}).get("name", "?")
    advice = instead or (
        f"use it from Python: import the module that registers {name!r}, then "
        f"trainwell.load({str(path)!r}).predict(inputs) with tensors shaped as in training"
    )
    raise ConfigError(
        f"'{path}' is a model on your own architecture {name!r} (application 'generic'): it takes tensors, which "
        f"{what} has no way to read; {advice}"
    )


class Predictor:
    """What every application's predictor shares: a model in eval mode, the task, the recipe, the metadata.

    Subclasses name their ``application`` and their ``recipe_class`` (with a ``from_dict``), and add how raw
    inputs become model inputs.
    """

    application: ClassVar[str] = "generic"
    recipe_class: ClassVar[Any] = None

    def __init__(self, model: torch.nn.Module, task: Task, recipe: Any, metadata: dict[str, Any]) -> None:
        self.model = model.eval()
        self.task = task
        self.recipe = recipe
        self.metadata = metadata

    @classmethod
    def from_artifact(cls, metadata: dict[str, Any], state: Mapping[str, torch.Tensor]) -> Any:
        """Rebuild from ``trainwell.json`` and the weights; a malformed entry is an :class:`ArtifactError`
        naming it."""
        from trainwell.export._checks import checked_recipe, checked_task
        from trainwell.models.registry import model_from_artifact

        task = metadata_entry(metadata, "task", lambda entry: checked_task(Task.from_dict(entry)))
        recipe = metadata_entry(
            metadata, "recipe", lambda entry: checked_recipe(cls.recipe_class.from_dict(entry))
        )
        return cls(model_from_artifact(metadata, state), task, recipe, metadata)
