"""Rehearsal: a small memory of earlier tasks' examples, trained on again with every batch of the next task.

Weight penalties (:class:`~trainwell.continual.Consolidation`) keep the weights an old task needs, but when
the tasks bring new classes into one head (digits 0-4, then 5-9), nothing keeps the old classes' outputs
competitive: trained on 5-9 alone, the network can learn never to answer 0-4, whatever its weights remember
(``benchmarks/continual.py``, an MLP 784-256-256-10 with 6,000 digits a task and 2 epochs at 3e-3 each: EWC and
MAS kept none of digits 0-4 there, as plain fine-tuning; a smaller MLP on 3,000 digits a task kept 0.48 and
0.83 of them, so measure it: :class:`~trainwell.continual.AlsoValidate`).
Replaying a few stored examples of the old classes is the simple remedy that works (experience replay; Chaudhry
et al. 2019, "On Tiny Episodic Memories in Continual Learning").

After a task, :meth:`Replay.remember` keeps ``per_task`` of its training examples, a uniform sample drawn by
reservoir sampling over one pass of the training batches (as the loader yields them, before batch
augmentation, which then applies to the replayed rows too). As a callback on the next task's fit, it adds
``share`` times the batch size of remembered rows to each training batch (validation batches are untouched),
drawn anew each batch from every earlier task alike. The training loss shown includes those rows.

    >>> memory = Replay(per_task=200)                                          # doctest: +SKIP
    >>> learn.fit_one_cycle(5, 1e-3); memory.remember(learn)                    # doctest: +SKIP
    >>> learn.data = task_b; learn.fit_one_cycle(5, 1e-3, callbacks=[memory])   # doctest: +SKIP

It combines with a :class:`~trainwell.continual.Consolidation` (pass both as callbacks). Inputs must keep one
shape from batch to batch (tables, images of one size, fixed-length sequences); a language model, whose hidden
state runs from batch to batch, cannot replay.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import torch

from trainwell.core.errors import ConfigError
from trainwell.learner.events import Callback

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner

__all__ = ["Replay"]


class Replay(Callback):
    """Train on a few remembered examples of the earlier tasks with every batch of the next one.

    Args:
        per_task: Training examples kept from each task by :meth:`remember`.
        share: Remembered rows added to each training batch, as a share of its size (``0.5``: a batch of 64
            trains on 32 more); at least one.
        seed: Seeds the sampling of the memory and of each batch's draw.

    Attributes:
        memory: Per remembered task, its examples as ``(inputs..., target)`` tensors on the CPU.
    """

    order = -7  # before resizing (-6) and batch augmentation (-5): replayed images are augmented too

    def __init__(self, per_task: int = 200, share: float = 0.5, seed: int = 0) -> None:
        if isinstance(per_task, bool) or not isinstance(per_task, int) or per_task < 1:
            raise ConfigError(f"per_task must be a whole number of at least 1, got {per_task!r}")
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 4:
            raise ConfigError(f"share must be a number in (0, 4], got {share!r}; e.g. 0.5 adds half a batch")
        self.per_task, self.share, self.seed = per_task, float(share), seed
        self.memory: list[tuple[torch.Tensor, ...]] = []
        self.generator = torch.Generator().manual_seed(seed)

    @property
    def tasks(self) -> int:
        """How many tasks were remembered."""
        return len(self.memory)

    def remember(self, learn: Learner, loader: Iterable[Any] | None = None) -> Replay:
        """Keep ``per_task`` examples of the task ``learn`` was just trained on: a uniform sample of its
        training batches (or of ``loader``'s: batches, or a ``DataBundle`` whose training rows are read)."""
        _refuse_language_models(learn)
        if loader is not None and hasattr(loader, "train") and hasattr(loader, "task"):
            loader = loader.train
        source = loader if loader is not None else learn.data.train
        if not isinstance(source, Iterable):
            raise ConfigError(
                f"loader must yield batches (a DataLoader, a list of batches, bundle.train), got {type(source).__name__}"
            )
        kept: list[tuple[torch.Tensor, ...]] = []
        seen = 0
        for batch in source:
            parts = tuple(batch) if isinstance(batch, (tuple, list)) else (batch,)
            if len(parts) < 2 or not all(isinstance(part, torch.Tensor) for part in parts):
                raise ConfigError(
                    "Replay keeps (inputs..., target) batches of tensors to train on again; got a batch of "
                    f"{len(parts)} {type(parts[0]).__name__}: pass labelled batches"
                )
            for row in range(len(parts[-1])):
                # Reservoir sampling: every example of the pass ends up kept with the same chance.
                slot = (
                    seen
                    if seen < self.per_task
                    else int(torch.randint(seen + 1, (), generator=self.generator))
                )
                if slot < self.per_task:
                    example = tuple(part[row].detach().cpu() for part in parts)
                    if slot == len(kept):
                        kept.append(example)
                    else:
                        kept[slot] = example
                seen += 1
        if not kept:
            raise ConfigError("no training examples to remember; pass a loader with data")
        self.memory.append(tuple(torch.stack(column) for column in zip(*kept, strict=True)))
        return self

    def before_fit(self, learn: Learner) -> None:
        if self.memory:
            _refuse_language_models(learn)

    def before_batch(self, learn: Learner) -> None:
        if not learn.training or not self.memory or not len(learn.yb):
            return
        n = max(1, round(self.share * len(learn.yb)))
        # Each draw picks a task, then an example of it: every earlier task counts alike, however many rows.
        tasks = torch.randint(len(self.memory), (n,), generator=self.generator)
        drawn = []
        for task, remembered in enumerate(self.memory):
            count = int((tasks == task).sum())
            if count:
                picks = torch.randint(len(remembered[-1]), (count,), generator=self.generator)
                drawn.append(tuple(column[picks] for column in remembered))
        columns = [torch.cat(parts) for parts in zip(*drawn, strict=True)]
        batch = (*learn.xb, learn.yb)
        if len(columns) != len(batch):
            raise ConfigError(
                f"Replay remembered batches of {len(columns)} tensors, and this task's hold {len(batch)}: the "
                "tasks must feed the model alike"
            )
        merged = []
        for name, ours, theirs in zip(_names(len(batch)), batch, columns, strict=True):
            if ours.shape[1:] != theirs.shape[1:]:
                raise ConfigError(
                    f"Replay adds remembered rows to each batch, and their {name} is {tuple(theirs.shape[1:])} "
                    f"per row where this batch's is {tuple(ours.shape[1:])}: the inputs must keep one shape "
                    "(resize images to one size, pad texts to one length)"
                )
            merged.append(torch.cat([ours, theirs.to(device=ours.device, dtype=ours.dtype)]))
        learn.xb, learn.yb = tuple(merged[:-1]), merged[-1]

    # ------------------------------------------------------------------ exact resume
    def checkpoint_state(self) -> dict[str, Any]:
        return {
            "memory": [list(task) for task in self.memory],
            "generator": self.generator.get_state(),
        }

    def load_checkpoint_state(self, state: dict[str, Any]) -> None:
        self.memory = [tuple(task) for task in state["memory"]]
        self.generator.set_state(state["generator"])

    def __repr__(self) -> str:
        return f"Replay(per_task={self.per_task}, share={self.share}, tasks={self.tasks})"


def _names(n: int) -> list[str]:
    return [*(f"input {i + 1}" if n > 2 else "input" for i in range(n - 1)), "target"]


def _refuse_language_models(learn: Learner) -> None:
    task = getattr(getattr(learn, "data", None), "task", None)
    if getattr(task, "kind", None) == "language_model":
        raise ConfigError(
            "Replay adds rows to each batch, and a language model carries its hidden state from batch to batch "
            "in rows of one stream; consolidate it with Consolidation('ewc' or 'mas') instead"
        )
