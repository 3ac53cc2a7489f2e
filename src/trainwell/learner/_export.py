"""Turn a trained Learner into a safe artifact directory."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from trainwell.core.artifact import save_artifact
from trainwell.core.device import is_rank_zero
from trainwell.core.errors import ConfigError
from trainwell.models.registry import list_models, models, registered_name, unexportable_config

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner


def learner_metadata(learn: Learner, *, rebuildable: bool = True) -> dict[str, Any]:
    """What ``trainwell.json`` records about a Learner: task, recipe, architecture and training summary.
    ``rebuildable=False`` leaves out the check that the model can be rebuilt by name (a predictor in memory keeps
    the model itself)."""
    if rebuildable:
        _check_model_spec(learn)
    recipe = learn.data.recipe.to_dict() if learn.data.recipe is not None else None
    history = [_clean(row) for row in learn.history]
    sketch = getattr(learn.data.train, "rows_sketch", None)
    extra: dict[str, Any] = {"rows_sketch": sketch.to_dict()} if sketch is not None else {}
    ranges = getattr(learn.data.train, "input_ranges", None)
    if ranges:  # a table's continuous inputs, each one's smallest and largest training value: GET /metadata's
        extra["input_ranges"] = {name: [float(low), float(high)] for name, (low, high) in ranges.items()}
    shares = getattr(learn.data.train, "class_shares", None)
    if shares:  # each class's share of the training rows: what a report on other rows compares the model with
        extra["class_shares"] = [float(value) for value in shares]
    found = getattr(learn.data.train, "images_found", None)
    if found:  # an image model's images per split and class, as fit said them: trainwell info says them again
        extra["images_found"] = found
    header = getattr(learn.data.train, "header_names", None)
    if header:  # the names a file without a header row was read with (--names), for predict to read its like
        extra["header_names"] = list(header)
    budget = getattr(learn, "time_budget", None)
    if budget is not None:  # what --time (a TimeBudget) allowed, for `trainwell info`
        extra["time_budget"] = {"seconds": budget.seconds, "summary": budget.summary()}
        done = budget.epochs_trained()
        if done is not None:  # the last of the history's epochs was cut short: what `info` says of the epochs
            extra["epochs_trained"] = round(done, 4)  # 0.0085 for 7 of 825 batches, not 0.01
    processes = getattr(learn, "processes", None)
    if isinstance(processes, int) and processes > 1:  # trained by torchrun's processes together, for `info`
        extra["processes"] = processes
    test = getattr(learn, "test_scores", None)
    if test:  # scores on a test set the pipeline was given (a tagger's test file), for `trainwell info`
        extra["test"] = _clean(test)
    compared = getattr(learn, "compared", None)
    if compared:  # the architectures a pipeline chose between, each one's final validation row
        extra["compared"] = {name: _clean(row) for name, row in compared.items()}
    class_weight = getattr(learn, "class_weight", None)
    if class_weight:  # a table's class weights ("balanced"): its loss and probabilities are weighted
        extra["class_weight"] = str(class_weight)
    refit = getattr(learn, "refit_record", None)
    # fit_table(refit_full=True): the rows and count it was trained again with, and the validated row
    if refit:
        extra["refit"] = {**refit, "validated": _clean(dict(refit.get("validated", {})))}
    pretrained = getattr(learn, "pretrained_record", None)
    if pretrained:  # what the model was fine-tuned from (trainwell.core.lineage), for `trainwell info`
        extra["pretrained"] = _clean(pretrained)
    folded = getattr(learn.data, "folded_in", None)
    if (
        folded
    ):  # ids fitted after training, a record per fold-in, oldest first (trainwell.collab.fold_in_record)
        extra["folded_in"] = [dict(record) for record in folded]
    tuning = getattr(learn, "tuning", None)
    if tuning:  # the search this model won (trainwell tune): its metric, trials and kinds of model
        extra["tuning"] = _clean(tuning)
    architecture = learn.model_spec
    builder = models.get(architecture["name"]) if isinstance(architecture, dict) else None
    module = str(getattr(builder, "__module__", None) or "trainwell.")
    if isinstance(architecture, dict) and not module.startswith("trainwell."):
        # the user's own class (or function) that builds it: named, so that loading without it says which
        architecture = {**architecture, "built_by": f"{module}:{getattr(builder, '__qualname__', '?')}"}
    return {
        "application": learn.data.application,
        "task": learn.task.to_dict(),
        "recipe": recipe,
        "architecture": architecture,
        "training": {
            "loss": _loss_name(learn.loss_func),
            "optimizer": learn.opt_name
            if isinstance(learn.opt_name, str)
            else getattr(learn.opt_name, "__name__", "custom"),
            "weight_decay": float(learn.wd) if isinstance(learn.wd, int | float) else None,
            "metrics": [metric.name for metric in learn.metrics],
            "epochs": _epochs_recorded(learn, len(history)),
            "final": _clean(learn.final_row) if history else {},
            **_weights_epoch(learn),
            **_steering(learn),
            "history": history,
            **extra,
        },
    }


def _check_model_spec(learn: Learner) -> None:
    """Refuse, before anything is written, an export that ``trainwell.load`` could not rebuild: no
    ``model_spec``, a malformed one, or one naming an architecture that is not registered."""
    spec = learn.model_spec
    model = getattr(learn.model, "_orig_mod", learn.model)
    if spec is None:
        cls = type(model).__name__
        registered = registered_name(type(model))
        if registered is not None:  # @register_model on the class, built with keywords it could not record
            raise ConfigError(
                f"export needs to know how to rebuild the model ({cls}), which is registered as {registered!r} "
                f"but was built with arguments it cannot record: build it with trainwell.create_model("
                f"{registered!r}, ...its keyword arguments), or set learn.model_spec = {{'name': {registered!r}, "
                "'config': {...its keyword arguments}}"
            )
        if type(model).__module__.startswith("torch.nn"):
            # nn.Sequential(**config) cannot rebuild a Sequential: the layers are what a function must build
            suggested, builds = (
                "my_net",
                f"def my_net(width=64): return nn.{cls}(...its layers, sized by width)",
            )
        else:
            suggested = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", cls).lower()  # MyNet -> my_net
            builds = f"def {suggested}(**config): return {cls}(**config)"
        raise ConfigError(
            f"export needs to know how to rebuild the model ({cls}): build the Learner with a factory such as "
            "tabular_learner, or register a function that builds your module, e.g. "
            f"@register_model({suggested!r}) (from trainwell.models) on {builds}, then set "
            f"learn.model_spec = {{'name': {suggested!r}, 'config': {{...its keyword arguments}}}}; "
            "trainwell.load needs that module imported as well (learn.save('name') keeps the weights alone, "
            "for learn.load in a Learner you build yourself)"
        )
    name = spec.get("name") if isinstance(spec, dict) else None
    if not isinstance(name, str) or not isinstance(spec.get("config"), dict):
        raise ConfigError(
            f"learn.model_spec must be {{'name': <registered architecture>, 'config': {{keyword arguments}}}}, "
            f"got {spec!r}"
        )
    if name not in list_models():
        raise ConfigError(
            f"learn.model_spec names the architecture {name!r}, which is not registered: decorate the function "
            f"that builds your module with @register_model({name!r}) (from trainwell.models), or fix the name"
        )
    problem = unexportable_config(spec["config"])
    if problem is not None:  # said before anything is written, and in words the user's call used
        raise ConfigError(f"export cannot record how to rebuild the model ({name!r}): {problem}")
    if not type(model).__module__.startswith("trainwell."):  # a model of the user's own: its spec is theirs
        _check_rebuilt(model, name, spec["config"])


def _check_rebuilt(model: Any, name: str, config: dict[str, Any]) -> None:
    """Refuse a ``model_spec`` whose config builds another model than ``model`` (other layers or sizes): the
    export was written, and ``trainwell.load`` refused it ("9 weights of another shape"). Built on the meta
    device: shapes only, no memory."""
    import torch

    from trainwell.models import create_model

    try:
        with torch.device("meta"):
            rebuilt = create_model(name, **config)
    except Exception as error:  # the user's builder, given the spec's config
        raise ConfigError(
            f"learn.model_spec's config does not build {name!r} ({type(error).__name__}: {error}); "
            "give the keyword arguments the model was built with"
        ) from error
    ours, theirs = model.state_dict(), rebuilt.state_dict()
    differ = [key for key in ours if key not in theirs or tuple(theirs[key].shape) != tuple(ours[key].shape)]
    differ += [key for key in theirs if key not in ours]
    if differ:
        key = differ[0]
        shapes = (
            f"{tuple(ours[key].shape)} in the model, {tuple(theirs[key].shape)} as the spec builds it"
            if key in ours and key in theirs
            else ("only in the model" if key in ours else "only in what the spec builds")
        )
        raise ConfigError(
            f"learn.model_spec {{'name': {name!r}, 'config': {config!r}}} builds another model than the one "
            f"trained: {len(differ)} weight(s) differ, e.g. {key!r} ({shapes}); give the keyword arguments the "
            "model was built with (trainwell.create_model records them in learn.model_spec)"
        )


#: What ``trainwell.json`` records as a model's epochs when it trained with its Recorder removed: the Learner's own
#: counters hold the last fit's epochs alone (an ``lr_find`` sweep's too), so no count would be honest.
EPOCHS_NOT_RECORDED = "not recorded (the Recorder was removed)"


def _epochs_recorded(learn: Learner, rows: int) -> int | str:
    """The history's epochs, or where the model trained with its Recorder removed (``learn.remove_callback``),
    :data:`EPOCHS_NOT_RECORDED` (with the epochs the history does hold): ``trainwell info`` said "epochs 0" of a
    trained model."""
    recorder = getattr(learn, "recorder", None)
    unrecorded = getattr(recorder, "unrecorded_training", None)
    if not callable(unrecorded) or not unrecorded(learn):
        return rows
    if not rows:
        return EPOCHS_NOT_RECORDED
    return f"{rows} recorded, the rest {EPOCHS_NOT_RECORDED}"


def kept_epoch(learn: Learner) -> int | None:
    """The epoch (counted from 1 over every fit, as the history's rows) whose weights the model holds when it is
    an earlier one than the last (:class:`~trainwell.callbacks.SaveBest`, a table's ``KeepBestEpoch``, loaded
    them back); ``None`` when the model holds the last epoch's. What ``trainwell.json`` records as
    ``weights_from_epoch`` and ``curves.png`` marks."""
    row = getattr(learn, "weights_row", None)
    if row is None or not 0 <= row < len(learn.history) - 1:
        return None
    return int(row) + 1


def _weights_epoch(learn: Learner) -> dict[str, int]:
    """``{"weights_from_epoch": n}`` (:func:`kept_epoch`) when the weights are an earlier epoch's than the last;
    else nothing."""
    kept = kept_epoch(learn)
    return {} if kept is None else {"weights_from_epoch": kept}


def _steering(learn: Learner) -> dict[str, Any]:
    """How the last fit's callbacks steered the training: ``gradient_clip`` (the largest norm kept),
    ``precision`` (the forward pass's float type: ``float32`` unless a MixedPrecision ran in 16 bits) and
    ``early_stopping`` (its monitor, patience and the epoch it stopped after, counted from 1, or ``None``)."""
    from trainwell.callbacks import EarlyStopping, GradientClip, MixedPrecision

    found: dict[str, Any] = {"precision": "float32"}
    for callback in getattr(learn, "_active", ()):
        if isinstance(callback, GradientClip):
            found["gradient_clip"] = float(callback.max_norm)
        elif isinstance(callback, MixedPrecision) and callback.active_dtype is not None:
            found["precision"] = str(callback.active_dtype).removeprefix("torch.")
        elif isinstance(callback, EarlyStopping):
            stopped = callback.stopped_epoch
            found["early_stopping"] = {
                "monitor": callback.monitor,
                "patience": callback.patience,
                "stopped_after_epoch": None if stopped is None else learn.recorder.shown_epoch(stopped),
            }
    return found


def export_learner(learn: Learner, path: str | Path, *, extra_files: dict[str, bytes] | None = None) -> Path:
    """Write ``path`` (only on rank 0 of a distributed job) and return it."""
    path = Path(path)
    metadata = learner_metadata(learn)
    if not is_rank_zero():
        return path
    # A torch.compile'd model wraps the original (keys gain an "_orig_mod." prefix): save the original's weights.
    model = getattr(learn.model, "_orig_mod", learn.model)
    state = {key: value.detach().cpu() for key, value in model.state_dict().items()}
    return save_artifact(path, state, metadata, extra_files=extra_files)


def learner_predictor(learn: Learner) -> Any:
    """The predictor ``trainwell.load`` would return for this Learner's export, built in memory: the same
    metadata (through JSON, as the file holds it) and a copy of the weights, so training on changes nothing in
    it. The application's predictor is found by name (``trainwell.export.predictor``, a layer above)."""
    import copy
    import importlib
    import json

    model = getattr(learn.model, "_orig_mod", learn.model)
    spec = learn.model_spec
    # a config JSON cannot hold (create_model("net", act=nn.GELU)): the model trains, and predicts in memory
    unstorable = isinstance(spec, dict) and unexportable_config(spec.get("config") or {}) is not None
    if (spec is None or unstorable) and learn.data.application == "generic":
        # A model of your own on tensors: its predictor reads tensors as the model does and needs no recipe, so
        # in memory it holds a copy of the model itself; only export (and trainwell.load) must rebuild it by name.
        raw = learner_metadata(learn, rebuildable=False)
        if unstorable:
            raw["architecture"] = {"name": spec["name"]}  # type: ignore[index]
        metadata = json.loads(json.dumps(raw))
        if not metadata.get("architecture"):
            # Not registered, so no name to rebuild it by: its class names it in the predictor's messages (they
            # said "predicting with '?'").
            metadata["architecture"] = {"name": type(model).__name__}
        generic = importlib.import_module("trainwell.export.generic")
        own = copy.deepcopy(model).to("cpu")
        return generic.GenericPredictor(own, learn.task, metadata.get("recipe"), metadata)
    metadata = json.loads(json.dumps(learner_metadata(learn)))
    state = {key: value.detach().cpu().clone() for key, value in model.state_dict().items()}
    predictors = importlib.import_module("trainwell.export.predictor")
    return predictors.predictor_from_parts(metadata, state, "this Learner")


def _loss_name(loss: Any) -> str:
    """A loss module's class (``CrossEntropyLoss``), or a function's own name (``focal``; ``"lambda"`` for a
    lambda), where ``type(...)`` said ``"function"`` for every one."""
    if isinstance(loss, torch.nn.Module):
        return type(loss).__name__
    name = getattr(loss, "__name__", None) or type(loss).__name__
    return "lambda" if name == "<lambda>" else str(name)


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    # JSON has no NaN: a metric that could not be computed is recorded as null.
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}
