"""``learn.summary()``: the model's layers as the learner trains them (layer groups, each layer's output shape on
one batch of the data, its parameters and whether they train), then the data, the loss and the optimizer."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner

#: Rows of the first loader batch run through the model to read each layer's output shape.
SHAPE_ROWS = 2


def summary(learn: Learner) -> str:
    """The text :meth:`Learner.summary` prints."""
    model = learn.model
    names = {id(module): name for name, module in model.named_modules()}
    groups = learn.layer_groups()
    layers = [
        (index, layer) for index, group in enumerate(groups) for layer in _named_layers(group, model, names)
    ]
    shapes = _output_shapes(learn, [module for _, module in layers])
    rows = [("group", "layer", "type", "output", "parameters", "trains")]
    for index, module in layers:
        count, training = _parameters(module)
        rows.append(
            (
                str(index),
                names.get(id(module), "") or type(module).__name__,
                type(module).__name__,
                shapes.get(id(module), "-"),
                f"{count:,}",
                training,
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = [
        f"{type(model).__name__}: {learn.task.kind} ({_task_words(learn)}), on {learn.device}",
        "",
        *(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            for row in rows
        ),
        "",
    ]
    total = sum(param.numel() for param in model.parameters())
    trainable = sum(param.numel() for param in model.parameters() if param.requires_grad)
    size = sum(param.numel() * param.element_size() for param in model.parameters()) / 2**20
    lines.append(
        f"parameters: {total:,} ({trainable:,} trainable, {total - trainable:,} frozen), {size:.1f} MiB; "
        f"{len(groups)} layer group{'s' if len(groups) != 1 else ''}"
        + (" (the last one, the head, alone trains while frozen)" if len(groups) > 1 else "")
    )
    lines.append(f"data: {_data_words(learn)}")
    metrics = ", ".join(metric.name for metric in learn.metrics) or "none"
    if getattr(model, "closed_form", False):
        lines.append(
            f"loss: {type(learn.loss_func).__name__}; fitted in closed form when the learner was built (no optimizer, "
            f"no learning rate; a fit only validates it); metrics: {metrics}"
        )
    else:
        optimizer = (
            learn.opt_name if isinstance(learn.opt_name, str) else getattr(learn.opt_name, "__name__", "")
        )
        lines.append(
            f"loss: {type(learn.loss_func).__name__}; optimizer: {optimizer} ({_rates_words(learn)}); "
            f"metrics: {metrics}"
        )
    return "\n".join(lines)


def _rates_words(learn: Learner) -> str:
    """The learning rate and weight decay: the last fit's (its peak, for a schedule; each layer group's, for
    rates spread over them), with the default the next fit takes when it differs; the defaults before any fit.
    After ``fit_one_cycle(3, 3e-3)`` the learner's default of 1e-3 was shown as if it had trained at it."""
    last = getattr(learn, "_last_fit", None)
    if not last:
        return f"lr {learn.lr:g}, weight decay {learn.wd:g}"
    rates = list(dict.fromkeys(last["lrs"]))
    if len(rates) == 1:
        shown = f"{rates[0]:g}"
    else:
        shown = f"{min(rates):g} to {max(rates):g}"
    words = f"last fit: {'peak lr' if last['scheduled'] else 'lr'} {shown}"
    if learn.lr not in rates:
        words += f" (the next fit's default: {learn.lr:g})"
    return f"{words}, weight decay {last['wd']:g}"


def _named_layers(group: nn.Module, model: nn.Module, names: dict[int, str]) -> list[nn.Module]:
    """The layers a group is shown as: itself when it is one of the model's named layers, else (the model, or a
    container made to group some of its layers) its children, looked into alike."""
    if group is not model and names.get(id(group)):
        return [group]
    children = list(group.children())
    if not children:
        return [group]
    return [layer for child in children for layer in _named_layers(child, model, names)]


def _task_words(learn: Learner) -> str:
    task = learn.task
    if task.classes:
        shown = ", ".join(map(str, task.classes[:5])) + (", ..." if len(task.classes) > 5 else "")
        return f"{len(task.classes)} classes: {shown}"
    if task.target_names:
        return "target " + ", ".join(task.target_names)
    return "no named target"


def _data_words(learn: Learner) -> str:
    parts = []
    for name, loader in learn.data.loaders().items():
        tensors = getattr(loader, "tensors", None)
        rows = getattr(loader, "n_rows", None) or (len(tensors[0]) if tensors else None)
        try:
            batches: int | None = len(loader)  # type: ignore[arg-type]
        except TypeError:
            batches = None
        words = f"{name} {rows:,} rows" if rows is not None else name
        if batches is not None:
            words += f" in {batches:,} batch{'es' if batches != 1 else ''}"
        parts.append(words)
    return "; ".join(parts) or "none"


def _parameters(module: nn.Module) -> tuple[int, str]:
    params = list(module.parameters())
    count = sum(param.numel() for param in params)
    if not params:
        return 0, "-"
    training = [param.requires_grad for param in params]
    return count, "yes" if all(training) else "no" if not any(training) else "partly"


def _output_shapes(learn: Learner, modules: list[nn.Module]) -> dict[int, str]:
    """Each module's output shape on the first rows of the data (``B`` for the batch), ``{}`` when no batch can be
    run (a loader of one's own that is not in the learner's data)."""
    shapes: dict[int, str] = {}
    batch = _first_batch(learn)
    if batch is None:
        return shapes

    def record(module: nn.Module, _inputs: Any, output: Any) -> None:
        shapes[id(module)] = _shape(output)

    handles = [module.register_forward_hook(record) for module in modules]
    try:
        with _evaluating(learn.model), torch.no_grad():
            *inputs, _target = batch
            learn.model(*inputs)
    except Exception:  # a model that cannot run on these rows alone: the table shows no shapes
        return {}
    finally:
        for handle in handles:
            handle.remove()
    return shapes


def _first_batch(learn: Learner) -> tuple[Any, ...] | None:
    loader = learn.data.valid if learn.data.valid is not None else learn.data.train
    new = getattr(loader, "new", None)
    if callable(new):
        loader = new(batch_size=SHAPE_ROWS, shuffle=False, drop_last=False)
    for batch in learn._on_device(loader):
        return tuple(batch)
    return None


def _shape(output: Any) -> str:
    if isinstance(output, tuple | list) and output:
        output = output[0]
    if not isinstance(output, torch.Tensor):
        return "-"
    return " x ".join(["B", *map(str, output.shape[1:])]) if output.dim() else "scalar"


@contextmanager
def _evaluating(model: nn.Module) -> Iterator[None]:
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)
