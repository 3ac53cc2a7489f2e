"""Learning tasks one after another without forgetting the earlier ones: EWC and Memory Aware Synapses.

Both anchor each weight to the value it had after the earlier tasks, with a quadratic penalty weighted by how
much the weight mattered to them, ``strength / 2 * sum_i importance_i * (w_i - anchor_i)^2``, added to the
training loss of the next task (the reported loss is untouched). They differ in how importance is measured:

- ``"ewc"`` (Kirkpatrick et al. 2017, Elastic Weight Consolidation): the diagonal of the empirical Fisher
  information, the mean squared gradient of the task loss, one example at a time, over the task's examples.
- ``"mas"`` (Aljundi et al. 2018, Memory Aware Synapses): the mean absolute gradient of the squared L2 norm of
  the model's output, one example at a time: how much the function the model computes moves with the weight.
  It needs no labels, so unlabelled inputs of the old task suffice.

The two measures have scales that share nothing: on the same two tasks (four classes, a 20-32-4 network),
the mean EWC importance was 3e-5 and the mean MAS importance 3.0. The Fisher shrinks as the task's loss does
(the longer the first task trained, the weaker EWC holds); MAS grows with the size of the outputs. So by
default (``normalize=True``) each task's importance is divided by its mean over all the weights before it is
added: importance then only says which weights matter, relative to the others, and ``strength`` is how hard
an average weight is held, ``strength / 2 * ||w - anchor||^2`` for a network whose weights all matter alike,
the same for both methods and any network. The default, ``strength=1``, is the lambda of the MAS paper and
of EWC's Bayesian derivation for two tasks of equal size (both on raw importance, where it is far too weak
for EWC here); on normalised importance it measured best for both (validation accuracy on the first task A /
the second task B after training on B, ``tests/continual``):

==================================  ===================  ======================  ======================
two tasks                           fine-tuning          EWC, default strength   MAS, default strength
==================================  ===================  ======================  ======================
4 classes, B permutes A's inputs    0.79 / 1.00          0.99 / 0.97             1.00 / 0.95
binary, B's answer opposes A's      0.02 / 0.99          0.62 / 0.95             0.87 / 0.94
==================================  ===================  ======================  ======================

Before the normalisation the default (100 on raw importance) held A little with EWC (0.80 and 0.37) and
froze MAS (B 0.38 and 0.44: chance). ``strength=3`` holds A better where the tasks conflict (0.91 with EWC,
0.94 with MAS) and costs some of B (0.94 and 0.82; 0.95 and 0.80 on the permuted tasks); 10 keeps MAS from
learning the opposite B at all (0.45). A fit whose training loss on the new task stays high while plain
fine-tuning's falls calls for a smaller strength: the penalty itself then stays small (the weights cannot
leave their anchors), so it is the loss, not the penalty, that shows it. ``normalize=False`` keeps the raw
importance of the papers (trainwell's before it normalised), where EWC wants a strength in the thousands
and MAS about 1.

Weight penalties keep the weights an old task needs, not its outputs: when a task brings new classes into one
head (MNIST digits 0-4, then 5-9), the network can learn never to answer the old classes, and how much of them
a penalty keeps depends on the setup. In ``benchmarks/continual.py`` (an MLP 784-256-256-10, 6,000 digits a
task, ``fit_one_cycle`` of 2 epochs at 3e-3 a task, strength 1, the mean of 2 seeds, scored on the test digits)
EWC and MAS kept as little of digits 0-4 as fine-tuning (0.000); a user's run of a smaller MLP (784-256-10,
3,000 digits a task, otherwise alike) kept 0.477 with EWC and 0.827 with MAS, against 0.000 for fine-tuning and
0.835 for replaying 200 digits, at some cost on digits 5-9 (0.883 and 0.730, against 0.900). Do not count on a
penalty alone there: score the old task while training the new one (:class:`~trainwell.continual.AlsoValidate`)
and rehearse a few old examples if it falls (:class:`~trainwell.continual.Replay`, alone or with a penalty;
0.83 of digits 0-4 in both setups).

After each task, :meth:`Consolidation.consolidate` adds that task's importance to what earlier tasks left and
moves the anchors to the current weights; pass the same object as a callback when fitting the next task.

    >>> memory = Consolidation("ewc")                                        # doctest: +SKIP
    >>> learn.fit_one_cycle(5, 1e-3); memory.consolidate(learn)               # doctest: +SKIP
    >>> learn.data = task_b; learn.fit_one_cycle(5, 1e-3, callbacks=[memory])  # same classes  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import torch

from trainwell.core.errors import ConfigError
from trainwell.learner.events import Callback

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner

__all__ = ["METHODS", "Consolidation", "importance"]

METHODS = ("ewc", "mas")
#: Examples an importance estimate reads by default (one gradient each).
DEFAULT_SAMPLES = 512


class Consolidation(Callback):
    """The penalty that keeps the weights important to earlier tasks near their values (EWC or MAS).

    Args:
        method: ``"ewc"`` or ``"mas"`` (see the module docstring).
        strength: How strongly to hold the important weights: with ``normalize``, the pull on an average
            weight, for either method (1 suits most problems; more keeps the old tasks better and learns the
            new one less); without it, the lambda of the papers on their raw importance.
        samples: Examples read to estimate importance after each task. Each costs its own gradient, taken
            many at a time (:func:`importance`): 512 took about two thirds of one training epoch of 3,000 rows
            (3 s against 4.6 s, a 200k-weight MLP); fewer cost proportionally less and give a noisier estimate.
        normalize: Divide each task's importance by its mean over the weights (see the module docstring), so
            ``strength`` means the same for EWC and MAS; ``False`` keeps the raw importance.

    Attributes:
        importance: Per parameter name, the summed importance of the consolidated tasks.
        anchors: Per parameter name, the weights after the last consolidated task.
        tasks: How many tasks were consolidated.
    """

    order = 5  # with the other loss terms (after_loss)

    def __init__(
        self,
        method: str = "ewc",
        strength: float = 1.0,
        samples: int = DEFAULT_SAMPLES,
        normalize: bool = True,
    ) -> None:
        if method not in METHODS:
            raise ConfigError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
        if isinstance(strength, bool) or not isinstance(strength, (int, float)) or not strength >= 0:
            raise ConfigError(f"strength must be a number >= 0, got {strength!r}")
        if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
            raise ConfigError(f"samples must be a whole number of at least 1, got {samples!r}")
        if not isinstance(normalize, bool):
            raise ConfigError(f"normalize must be True or False, got {normalize!r}")
        self.method, self.strength, self.samples, self.normalize = method, float(strength), samples, normalize
        self.importance: dict[str, torch.Tensor] = {}
        self.anchors: dict[str, torch.Tensor] = {}
        self.tasks = 0

    def consolidate(self, learn: Learner, loader: Iterable[Any] | None = None) -> Consolidation:
        """Measure how much each weight matters to the task ``learn`` was just trained on (its training data,
        or ``loader``: batches, or a ``DataBundle`` whose training rows are read), add it to the earlier tasks'
        (divided by its mean first, with ``normalize``: each task then counts alike) and anchor the weights
        where they are now. With ``"mas"`` the batches may hold the inputs alone (a tensor, or one element
        fewer than the training batches): no labels are needed."""
        measured = importance(learn, self.method, loader, self.samples)
        if self.normalize:
            measured = _divided_by_mean(measured)
        for name, value in measured.items():
            self.importance[name] = self.importance[name] + value if name in self.importance else value
        self.anchors = {
            name: param.detach().clone() for name, param in learn.model.named_parameters() if name in measured
        }
        self.tasks += 1
        return self

    def penalty(self, model: torch.nn.Module) -> torch.Tensor:
        """``strength / 2 * sum importance * (w - anchor)^2`` for ``model``'s current weights."""
        total: torch.Tensor | None = None
        for name, param in model.named_parameters():
            if name not in self.importance:
                continue
            weight = self.importance[name].to(param.device)
            term = (weight * (param - self.anchors[name].to(param.device)).pow(2)).sum()
            total = term if total is None else total + term
        if total is None:
            return torch.zeros((), device=next(model.parameters()).device)
        return 0.5 * self.strength * total

    def before_fit(self, learn: Learner) -> None:
        # Anchors taken on another model would be compared with the wrong weights (or silently with none).
        if not self.tasks:
            return
        params = dict(learn.model.named_parameters())
        missing = [name for name in self.anchors if name not in params]
        mismatched = [
            f"'{name}' is {tuple(anchor.shape)} there and {tuple(params[name].shape)} here"
            for name, anchor in self.anchors.items()
            if name in params and anchor.shape != params[name].shape
        ]
        if mismatched or len(missing) == len(self.anchors):
            what = (
                mismatched[0] if mismatched else f"none of its weights ({missing[0]!r}...) is in this model"
            )
            raise ConfigError(
                f"this Consolidation was consolidated on another model ({what}): call consolidate(learn) on "
                "the learner you go on training, whose model keeps its weights from task to task"
            )

    def after_loss(self, learn: Learner) -> None:
        if learn.training and self.tasks and self.strength:
            learn.loss_grad = learn.loss_grad + self.penalty(learn.model)

    # ------------------------------------------------------------------ exact resume
    def checkpoint_state(self) -> dict[str, Any]:
        return {
            "importance": {k: v.cpu() for k, v in self.importance.items()},
            "anchors": {k: v.cpu() for k, v in self.anchors.items()},
            "tasks": self.tasks,
            "normalize": self.normalize,
        }

    def load_checkpoint_state(self, state: dict[str, Any]) -> None:
        # A state without the key was written before importance was normalised: it holds raw importance.
        normalized = bool(state.get("normalize", False))
        if normalized != self.normalize and state["tasks"]:
            written = "normalised" if normalized else "raw (as every trainwell did before normalising)"
            raise ConfigError(
                f"this checkpoint's Consolidation holds {written} importance, but this one has "
                f"normalize={self.normalize}: build it with Consolidation({self.method!r}, strength=<the "
                f"strength the checkpoint was trained with>, normalize={normalized}) to resume it"
            )
        self.importance = dict(state["importance"])
        self.anchors = dict(state["anchors"])
        self.tasks = int(state["tasks"])


def importance(
    learn: Learner,
    method: str,
    loader: Iterable[Any] | None = None,
    samples: int = DEFAULT_SAMPLES,
    batched: bool = True,
) -> dict[str, torch.Tensor]:
    """Per trainable parameter, how much it matters to the data of ``loader`` (default: ``learn``'s training
    data), by ``method`` (``"ewc"``: mean squared loss gradient; ``"mas"``: mean absolute gradient of the
    squared output norm), from each example's own gradient over up to ``samples`` examples, in eval mode.

    ``loader`` yields batches like the training data's, ``(inputs..., target)``, or is a ``DataBundle`` (its
    training loader is read). MAS reads no target, so its batches may also hold the inputs alone: a tensor,
    or one element fewer than the training batches.

    With ``batched`` (the default) the examples' gradients are taken many at a time (``torch.func``: ``vmap`` of
    ``grad`` over a ``functional_call`` of the model), the same numbers as one backward pass per example, and
    about 4 to 6 times faster: 512 MNIST digits on a 784-256-10 MLP (203,530 weights) took 2.6-3.2 s against
    11-17 s (three runs, EWC and MAS alike, on 2 CPU cores shared with other work). A
    model or loss that ``torch.func`` cannot run (``.item()`` or a branch on the data's values inside forward,
    in-place updates of buffers) is measured one example at a time instead, as with ``batched=False``; the
    cost is then about one training epoch of ``samples`` rows, done one row at a time.
    """
    if method not in METHODS:
        raise ConfigError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if loader is not None and hasattr(loader, "train") and hasattr(loader, "task"):
        loader = loader.train  # a DataBundle: its training rows
    if loader is not None and not isinstance(loader, Iterable):
        raise ConfigError(
            f"loader must yield batches (a DataLoader, a list of batches, bundle.train), got {type(loader).__name__}"
        )
    n_inputs = _inputs_per_batch(learn) if loader is not None else None
    model = learn.model
    params = {name: param for name, param in model.named_parameters() if param.requires_grad}
    sums = {name: torch.zeros_like(param) for name, param in params.items()}
    was_training = model.training
    model.eval()
    seen = 0
    try:
        for batch in loader if loader is not None else learn.data.train:
            inputs, target = _split_batch(batch, n_inputs, method, learn.device)
            take = min(len(inputs[0]), samples - seen)
            inputs = [x[:take] for x in inputs]
            target = None if target is None else target[:take]
            if batched:
                batched = _add_batched(learn, params, inputs, target, method, sums)
            if not batched:  # this batch too, when its batched pass failed (it then added nothing)
                _add_one_by_one(learn, params, inputs, target, method, sums)
            seen += take
            if seen >= samples:
                break
    finally:
        model.zero_grad(set_to_none=True)
        model.train(was_training)
    if seen == 0:
        raise ConfigError("no examples to measure importance on; pass a loader with data")
    return {name: value / seen for name, value in sums.items()}


#: The most per-example gradient values one batched pass holds at once (floats): 128 MB.
_BATCHED_VALUES = 2**25


def _add_batched(
    learn: Learner,
    params: Mapping[str, torch.nn.Parameter],
    inputs: list[torch.Tensor],
    target: torch.Tensor | None,
    method: str,
    sums: dict[str, torch.Tensor],
) -> bool:
    """Add the examples' squared (EWC) or absolute (MAS) gradients to ``sums``, many examples per pass; ``False``
    (and nothing added) when ``torch.func`` cannot run the model or its loss."""
    from torch.func import functional_call, grad, vmap

    model = learn.model
    trainable = {name: param.detach() for name, param in params.items()}
    rest = {name: param.detach() for name, param in model.named_parameters() if name not in trainable}
    rest.update({name: buffer for name, buffer in model.named_buffers()})
    n_inputs = len(inputs)

    def row_loss(weights: dict[str, torch.Tensor], *row: torch.Tensor) -> torch.Tensor:
        one = tuple(x.unsqueeze(0) for x in row[:n_inputs])  # a batch of one row, as the model expects
        output = functional_call(model, (weights, rest), one)
        if target is not None:  # EWC
            return learn.compute_loss(output, row[n_inputs].unsqueeze(0))
        return output.float().pow(2).sum()

    per_row = vmap(grad(row_loss), in_dims=(None, *([0] * (n_inputs + (target is not None)))))
    values_per_row = max(1, sum(param.numel() for param in trainable.values()))
    chunk = max(1, _BATCHED_VALUES // values_per_row)
    added = {name: torch.zeros_like(value) for name, value in sums.items()}
    try:
        for start in range(0, len(inputs[0]), chunk):
            rows = [x[start : start + chunk] for x in inputs]
            if target is not None:
                rows.append(target[start : start + chunk])
            with learn.forward_context():
                grads = per_row(trainable, *rows)  # name -> (rows, *parameter shape)
            for name, value in grads.items():
                value = value.detach()
                added[name] += (value.pow(2) if method == "ewc" else value.abs()).sum(0).to(added[name].dtype)
    except Exception:  # what torch.func cannot trace: the loop below measures the same, one row at a time
        return False
    for name, value in added.items():
        sums[name] += value
    return True


def _add_one_by_one(
    learn: Learner,
    params: Mapping[str, torch.nn.Parameter],
    inputs: list[torch.Tensor],
    target: torch.Tensor | None,
    method: str,
    sums: dict[str, torch.Tensor],
) -> None:
    """Add the examples' squared (EWC) or absolute (MAS) gradients to ``sums``, one backward pass each."""
    model = learn.model
    for row in range(len(inputs[0])):
        one = [x[row : row + 1] for x in inputs]
        model.zero_grad(set_to_none=True)
        with learn.forward_context():
            output = model(*one)
        if target is not None:  # EWC
            loss = learn.compute_loss(output, target[row : row + 1])
        else:
            loss = output.float().pow(2).sum()
        loss.backward()
        for name, param in params.items():
            if param.grad is not None:
                grad = param.grad.detach()
                sums[name] += grad.pow(2) if method == "ewc" else grad.abs()


def _inputs_per_batch(learn: Learner) -> int | None:
    """How many inputs the model takes: the last batch it saw, else a training batch less its target."""
    if learn.xb:
        return len(learn.xb)
    try:
        first = next(iter(learn.data.train))
    except (StopIteration, TypeError, AttributeError):
        return None
    return len(first) - 1 if isinstance(first, (tuple, list)) else None


def _split_batch(
    batch: Any, n_inputs: int | None, method: str, device: torch.device
) -> tuple[list[torch.Tensor], torch.Tensor | None]:
    """``(inputs, target)`` of a batch; the target is ``None`` for MAS, which reads none (and may get none)."""
    parts = list(batch) if isinstance(batch, (tuple, list)) else [batch]
    unlabelled = len(parts) == 1 or len(parts) == n_inputs
    if unlabelled and method == "ewc":
        raise ConfigError(
            "EWC measures importance with the task's loss, so its batches need targets, (inputs..., target); "
            f"got a batch of {len(parts)} without one. Pass labelled batches, or use Consolidation('mas'), "
            "which needs no labels"
        )
    inputs = parts if unlabelled else parts[:-1]
    return [t.to(device) for t in inputs], (None if method == "mas" else parts[-1].to(device))


def _divided_by_mean(measured: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``measured`` divided by its mean over every weight of every parameter (left as it is when that is 0:
    nothing was measured to matter, and the penalty stays 0)."""
    total = sum(float(value.double().sum()) for value in measured.values())
    count = sum(value.numel() for value in measured.values())
    if not total > 0:
        return measured
    mean = total / count
    return {name: value / mean for name, value in measured.items()}
