"""Gradient-boosted trees for tables, fitted by scikit-learn and kept as tensors: ``--arch gbdt``.

On many tables boosted trees beat any MLP (on Adult's official split, scikit-learn's HistGradientBoosting on
the same encoded columns reaches test ROC AUC 0.927 in 0.3 s against the default MLP's 0.920), so trainwell
offers them as an architecture like the others. :func:`fit_trees` fits a ``HistGradientBoostingClassifier`` or
``...Regressor`` on the training rows as the recipe encodes them (categories by their codes, a code of 0 --
missing or unseen -- read as missing; numbers normalised), and :class:`GradientBoostedTrees` holds every tree
as arrays: the split feature, threshold and children of each node, its leaf value, where a missing value goes,
and for a split on categories the set of codes sent left. Its ``forward(x_cat, x_cont)`` walks all trees at
once with tensor gathers, the same depth for every row, so it runs on any device, exports to ONNX and serves
like the MLP. Nothing is pickled: the arrays are the model's buffers in ``model.safetensors``.

The walk reproduces scikit-learn's own prediction exactly: thresholds are stored as the largest float32 not
above scikit-learn's float64 threshold, so a float32 input goes the same way; a missing value (NaN) follows
``missing_go_to_left``; a category code not seen in training (or out of range) is treated as missing, as
scikit-learn treats unknown categories.

The model is fitted in closed form (``closed_form = True``): the training loop skips its training batches and
only validates, so the history, metrics and model directory come out as for any model.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import torch
from torch import nn

from trainwell.core.errors import ConfigError
from trainwell.core.threads import free_cores, sklearn_threads
from trainwell.models.registry import register_model

if TYPE_CHECKING:
    from trainwell.data.bundle import DataBundle

__all__ = ["GradientBoostedTrees", "fit_trees"]

#: scikit-learn splits at most this many categories of one input. An input with more keeps its
#: ``MAX_CATEGORIES - 1`` most frequent categories in the training rows, the others read as one category, "other"
#: (:func:`frequency_codes`), where before it was split as a number: an arbitrary order of its codes.
MAX_CATEGORIES = 255
#: Cells (rows x trees) each tensor of the walk holds at most: memory stays near 100 MB however many trees.
WALK_CELLS = 1 << 20
#: The walk leaves behind the (row, tree) pairs at a leaf once fewer than this share of them still walk.
COMPACT_SHARE = 0.7
#: Rounds when early stopping is off because a class has a single training row (scikit-learn's default).
FIXED_ROUNDS = 100
#: The logit of a class the training rows lack: the trees never predict it.
ABSENT_LOGIT = -30.0
#: What the settings record of trees that early-stopped on the validation rows (``settings["stopped_on"]``); trees
#: that stopped on an inner split of their training rows (no validation rows) record nothing, as before.
STOPPED_ON_VALIDATION = "validation"
#: Settings trainwell records beside scikit-learn's, never passed to it: the rounds kept, where they were chosen.
RECORDED_ONLY = ("n_iter", "stopped_on")
#: Boosting settings: scikit-learn's defaults, with early stopping always on (its default turns it on only above
#: 10,000 rows, and 100 rounds overfit a small table): on the validation rows where there are some (see
#: :func:`fit_trees`), else on an inner 10% of the training rows.
DEFAULT_SETTINGS: dict[str, Any] = {
    "learning_rate": 0.1,
    "max_iter": 500,
    "max_leaf_nodes": 31,
    "min_samples_leaf": 20,
    "l2_regularization": 0.0,
    "early_stopping": True,
    "validation_fraction": 0.1,
    "n_iter_no_change": 10,
}


@register_model("gbdt", application="tabular")
class GradientBoostedTrees(nn.Module):
    """Boosted trees as tensors (see the module docstring); built empty, filled by :func:`fit_trees` or by
    loading a model directory.

    Args:
        cardinalities, n_cont, n_out: the inputs and outputs, as for the tabular MLP.
        n_trees, n_nodes: trees held and the most nodes of one tree.
        max_depth: the deepest leaf: how many steps the walk takes.
        n_codes: one more than the largest category code a categorical split reads.
        categorical: which inputs (categories first, then numbers) are split as categories.
        settings: the boosting settings the trees were fitted with (kept in the recipe of the model).
        target_mean, target_std: accepted for a regression bundle's hints and unused (trees predict the
            target in its own units).
        remapped: the categorical inputs of more than :data:`MAX_CATEGORIES` categories, whose codes the
            ``code_map`` buffer (one row each, ``map_width`` wide) maps to frequency-ranked codes before the
            walk (:func:`frequency_codes`); none for a model without them.
        encoded: those read instead as a number, their target encoding: the ``code_value`` buffer (one row
            each, ``map_width`` wide) holds each code's value (:func:`target_encoding`).
    """

    closed_form = True  # fitted by fit_trees, never by gradient: the training loop skips its batches
    # The ONNX opset declared when the walk compared with LessOrEqual; its operators now need 11 (Greater)
    min_opset = 12
    feature: torch.Tensor
    threshold: torch.Tensor
    left: torch.Tensor
    right: torch.Tensor
    is_leaf: torch.Tensor
    missing_left: torch.Tensor
    is_categorical: torch.Tensor
    left_codes: torch.Tensor
    known_codes: torch.Tensor
    output: torch.Tensor
    baseline: torch.Tensor
    code_map: torch.Tensor  # only with remapped inputs
    code_value: torch.Tensor  # only with target-encoded inputs

    def __init__(
        self,
        cardinalities: Sequence[int],
        n_cont: int,
        n_out: int,
        n_trees: int = 1,
        n_nodes: int = 1,
        max_depth: int = 1,
        n_codes: int = 1,
        categorical: Sequence[bool] | None = None,
        settings: dict[str, Any] | None = None,
        target_mean: Sequence[float] | None = None,
        target_std: Sequence[float] | None = None,
        remapped: Sequence[int] | None = None,
        map_width: int = 1,
        encoded: Sequence[int] | None = None,
    ) -> None:
        super().__init__()
        self.cardinalities, self.n_cont, self.n_out = list(cardinalities), int(n_cont), int(n_out)
        n_inputs = len(self.cardinalities) + self.n_cont
        self.max_depth = int(max_depth)
        self.settings = dict(settings or {})
        self.categorical = list(categorical) if categorical is not None else [False] * n_inputs
        if len(self.categorical) != n_inputs:
            raise ConfigError(f"categorical has {len(self.categorical)} entries for {n_inputs} inputs")
        shape = (int(n_trees), int(n_nodes))
        self.register_buffer("feature", torch.zeros(shape, dtype=torch.int64))
        self.register_buffer("threshold", torch.zeros(shape))
        self.register_buffer("left", torch.zeros(shape, dtype=torch.int64))
        self.register_buffer("right", torch.zeros(shape, dtype=torch.int64))
        self.register_buffer("is_leaf", torch.ones(shape, dtype=torch.bool))
        self.register_buffer("missing_left", torch.zeros(shape, dtype=torch.bool))
        self.register_buffer("is_categorical", torch.zeros(shape, dtype=torch.bool))
        self.register_buffer("left_codes", torch.zeros((*shape, int(n_codes)), dtype=torch.bool))
        self.register_buffer("known_codes", torch.zeros((n_inputs, int(n_codes)), dtype=torch.bool))
        self.register_buffer(
            "output", torch.zeros(int(n_trees), dtype=torch.int64)
        )  # the output each tree adds to
        self.register_buffer("baseline", torch.zeros(self.n_out))
        self.remapped = [int(j) for j in remapped or []]
        if self.remapped:  # registered only when used: models saved before it load as they were
            self.register_buffer(
                "code_map", torch.zeros((len(self.remapped), int(map_width)), dtype=torch.int64)
            )
        self.encoded = [int(j) for j in encoded or []]
        if self.encoded:
            self.register_buffer("code_value", torch.zeros((len(self.encoded), int(map_width))))
        # The leaf values: a parameter that never trains, so the Learner has something to build an optimizer on.
        self.value = nn.Parameter(torch.zeros(shape), requires_grad=False)
        self._walk_tables: _WalkTables | None = None
        self._walk_tables_key: tuple[Any, ...] = ()

    def forward(self, x_cat: torch.Tensor, x_cont: torch.Tensor) -> torch.Tensor:
        if self.remapped:
            x_cat = remap_codes(x_cat, self.remapped, self.code_map)
        codes = x_cat.to(self.threshold.dtype).masked_fill(x_cat == 0, math.nan)
        if self.encoded:
            codes = encode_codes(x_cat, codes, self.encoded, self.code_value)
        inputs = torch.cat([codes, x_cont.to(self.threshold.dtype)], dim=1)
        tables = self._tables(inputs.device)
        if torch.jit.is_tracing():  # an export traces one walk of fixed depth over the whole batch
            node = self._walk(inputs, tables, leave_leaves=False)
        else:  # a bounded number of (row, tree) pairs at a time
            step = max(1, WALK_CELLS // max(self.feature.shape[0], 1))
            with walk_threads(inputs.device):
                node = torch.cat(
                    [self._walk(inputs[i : i + step], tables) for i in range(0, len(inputs), step)]
                )
        leaves = _at(tables.value, node)  # (rows, trees)
        # Each tree's value goes to its output (a class's trees to that class): a product with a one-hot map,
        # which exports to ONNX where index_add's repeated indices do not.
        # Summed in float64: a float32 product's rounding followed the batch's shape (BLAS blocks by it), so one
        # row got 86436.336 among 3 rows and 86436.344 among 20; the float32 answer is now the row's own.
        to_output = (self.output[:, None] == torch.arange(self.n_out, device=leaves.device)).to(torch.float64)
        return (leaves.to(torch.float64) @ to_output + self.baseline.to(torch.float64)).to(leaves.dtype)

    def _walk(self, inputs: torch.Tensor, tables: _WalkTables, leave_leaves: bool = True) -> torch.Tensor:
        """The leaf each row reaches in each tree, as an index into the tables' flattened nodes:
        ``(rows, trees)``.

        Each step moves every (row, tree) pair one node down; a leaf is its own child, so ``max_depth`` steps
        reach every leaf. With ``leave_leaves`` the pairs at a leaf are dropped from later steps once there are
        enough of them (most paths end long before the deepest does); without, every step does the same
        operations whatever the data, as an export needs."""
        n_rows = inputs.shape[0]
        n_trees = tables.root.shape[1]
        index = tables.root.dtype
        numbers = _split_inputs(inputs, tables)  # (rows, 2 or 3 x inputs): what the nodes read
        width = numbers.shape[1]
        numbers = numbers.reshape(-1)
        categories, category_start = tables.categories, tables.category_start
        last_code = float(categories.shape[1] - 1) if categories is not None else 0.0
        if categories is not None:
            categories = categories.reshape(-1)
        node = tables.root.expand(n_rows, n_trees).reshape(-1)
        row = torch.arange(n_rows, dtype=index, device=inputs.device) * width
        offset = row[:, None].expand(n_rows, n_trees).reshape(-1)  # each pair's row in ``numbers``
        reached = node.clone()  # each pair's node when last left behind
        cell = torch.arange(node.numel(), device=inputs.device)  # the pairs still walking
        for _ in range(self.max_depth):
            # One gather per field (gathering a node's fields as one row, then reading its columns, costs more)
            value = _at(numbers, offset + _at(tables.column, node))
            go_right = value > _at(tables.threshold, node)  # never past a leaf's +inf: a pair there stays
            if categories is not None and category_start is not None:
                # A split on categories reads a code (its threshold -inf is below every code) and its row of
                # ``categories``; any other node reads row 0, all True. Logical operators, not torch.where on
                # booleans, which onnxruntime does not implement.
                code = value.clamp(0.0, last_code).to(index)
                go_right = go_right & _at(categories, _at(category_start, node) + code)
            moved = _at(tables.left, node) + go_right  # a right child follows its left sibling
            if not leave_leaves:
                node = moved
                continue
            walking, node = moved != node, moved  # a pair that did not move is at its leaf
            n_walking = int(torch.count_nonzero(walking))
            if n_walking < COMPACT_SHARE * node.numel():  # enough pairs at their leaf to leave them behind
                # Each pair's latest node: those at a leaf are final
                reached.index_copy_(0, cell, node)
                if n_walking == 0:
                    return reached.reshape(n_rows, n_trees)
                keep = torch.nonzero(walking).reshape(-1)
                node, cell, offset = _at(node, keep), _at(cell, keep), _at(offset, keep)
        if leave_leaves:
            node = reached.index_copy_(0, cell, node)
        return node.reshape(n_rows, n_trees)

    def _tables(self, device: torch.device) -> _WalkTables:
        """The nodes of all trees as flat arrays the walk indexes directly, built from the buffers (which keep the
        saved layout) and rebuilt when a buffer changes (fitting, loading) or the model moves."""
        versions = [_version(buffer) for buffer in [*self.buffers(), self.value]]
        key = (device, self.threshold.dtype, *versions)
        if self._walk_tables is None or self._walk_tables_key != key:
            self._walk_tables = _WalkTables.build(self)
            self._walk_tables_key = key
        return self._walk_tables

    def layer_groups(self) -> list[nn.Module]:
        return [self]

    def extra_repr(self) -> str:
        return f"trees={self.feature.shape[0]}, max_depth={self.max_depth}, outputs={self.n_out}"


@contextlib.contextmanager
def walk_threads(device: torch.device) -> Iterator[None]:
    """Inside, on the CPU, torch's intra-op threads are limited to the cores other work leaves free
    (:func:`~trainwell.core.threads.free_cores`), as scikit-learn's are for the fit.

    The walk is some twenty short gathers and comparisons a step, each a parallel region whose threads wait on one
    another for the scheduler when the cores are busy: scoring Adult's 16,281 test rows with 81 trees took 4 to 10
    s with two threads beside a load of 9 on 2 cores (3 s of CPU, the waiting threads spinning), 0.5 s with one
    (0.2 s of CPU). On an idle machine every core is kept."""
    if device.type != "cpu":
        yield
        return
    threads = torch.get_num_threads()
    wanted = min(threads, free_cores())
    if wanted == threads:
        yield
        return
    torch.set_num_threads(wanted)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _version(tensor: torch.Tensor) -> int:
    """How many times ``tensor`` was changed in place (``-1`` for a tensor made under ``torch.inference_mode``,
    which keeps no count: its tables are built once)."""
    return -1 if tensor.is_inference() else int(tensor._version)


def _at(table: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``table[index]`` along the table's first dimension: ``index_select`` (twice as fast as indexing on CPU)."""
    return table.index_select(0, index.reshape(-1)).reshape(*index.shape, *table.shape[1:])


def _split_inputs(inputs: torch.Tensor, tables: _WalkTables) -> torch.Tensor:
    """What the nodes read, one row per input row: each input twice, missing as -inf (left of every threshold)
    then as +inf (right of every threshold), so that a split on numbers reads the copy that sends a missing
    value its way; then, for splits on categories, each input as a code, the last column of ``categories``
    where it is missing or out of range."""
    parts = [inputs.nan_to_num(-math.inf), inputs.nan_to_num(math.inf)]
    if tables.categories is not None:
        n_codes = tables.categories.shape[1] - 1
        code = inputs.nan_to_num(-1.0)
        parts.append(torch.where((code >= 0) & (code < n_codes), code, float(n_codes)).floor())
    return torch.cat(parts, dim=1)


class _WalkTables(NamedTuple):
    """What the walk reads per node, one flat array per field over all trees' nodes, each tree's nodes
    renumbered so that a node's right child directly follows its left one (node ``j`` of tree ``t`` at
    ``t * n_nodes + j``, ``j`` in that order; indices as int32, half the memory traffic of int64)."""

    root: torch.Tensor  # (1, trees): each tree's first node
    column: torch.Tensor  # the column of the split inputs a node reads (see _split_inputs)
    left: torch.Tensor  # its left child (its right child is the next node); a leaf is its own left child
    threshold: torch.Tensor  # goes right when the input is above this; +inf at a leaf, -inf on categories
    value: torch.Tensor  # a leaf's value
    categories: torch.Tensor | None  # (rows, codes + 1): goes right for each code; the last column: missing
    category_start: torch.Tensor | None  # where a node's row of ``categories`` starts (0: a split on numbers)

    @classmethod
    def build(cls, model: GradientBoostedTrees) -> _WalkTables:
        index = torch.int32
        with torch.no_grad():
            n_trees, n_nodes = model.feature.shape
            n_inputs = model.known_codes.shape[0]
            device = model.feature.device
            left_child, right_child, leaf = (
                x.cpu().numpy() for x in (model.left, model.right, model.is_leaf)
            )
            order = torch.from_numpy(_siblings_adjacent(left_child, right_child, leaf)).to(device)
            start = torch.arange(n_trees, device=device)[:, None] * n_nodes
            place = (order + start).reshape(-1)  # each node's flat index in the tables
            is_leaf = model.is_leaf.reshape(-1)
            left = torch.where(is_leaf, place, _at(place, (model.left + start).reshape(-1)))
            column = model.feature.reshape(-1) + n_inputs * (~model.missing_left).reshape(-1).to(place.dtype)
            threshold = model.threshold.reshape(-1).masked_fill(is_leaf, math.inf)
            is_categorical = (model.is_categorical & ~model.is_leaf).reshape(-1)
            categories = category_start = None
            if bool(is_categorical.any()):
                where = torch.nonzero(is_categorical).reshape(-1)
                n_codes = model.left_codes.shape[-1]
                category_start = torch.zeros_like(place)
                category_start[where] = torch.arange(1, len(where) + 1, device=device) * (n_codes + 1)
                sent_left = model.left_codes.reshape(-1, n_codes)[where]
                feature = model.feature.reshape(-1)[where]
                known = model.known_codes[feature]
                missing_left = model.missing_left.reshape(-1)[where, None]
                decided = sent_left | (~known & missing_left)  # left; a known code right; else as missing
                categories = torch.ones(len(where) + 1, n_codes + 1, dtype=torch.bool, device=device)
                categories[1:, :n_codes] = ~decided
                categories[1:, n_codes] = ~missing_left[:, 0]
                column[where] = 2 * n_inputs + feature  # its input as a code
                threshold[where] = -math.inf  # decided by ``categories`` alone
                category_start = _placed(category_start, place).to(index)

            return cls(
                root=start.reshape(1, n_trees).to(index), column=_placed(column, place).to(index),
                left=_placed(left, place).to(index), threshold=_placed(threshold, place),
                value=_placed(model.value.detach().reshape(-1), place), categories=categories,
                category_start=category_start,
            )  # fmt: skip


def _placed(values: torch.Tensor, place: torch.Tensor) -> torch.Tensor:
    """``values`` of each node at its place in the tables."""
    return torch.empty_like(values).index_copy_(0, place, values)


def _siblings_adjacent(left: np.ndarray, right: np.ndarray, is_leaf: np.ndarray) -> np.ndarray:
    """A new number for each node of each tree (``(trees, nodes)``) in which every node's right child directly
    follows its left child: breadth first from the root (node 0, kept at 0), all trees at once. Nodes no path
    reaches (the padding of trees smaller than the largest) take the numbers left over."""
    n_trees, n_nodes = left.shape
    order = np.full((n_trees, n_nodes), -1, dtype=np.int64)
    order[:, 0] = 0
    used = np.ones(n_trees, dtype=np.int64)
    tree, node = np.arange(n_trees), np.zeros(n_trees, dtype=np.int64)  # the frontier, sorted by tree
    while len(tree):
        inner = ~is_leaf[tree, node]
        tree, node = tree[inner], node[inner]
        rank = np.arange(len(tree)) - np.searchsorted(tree, tree)  # position among its tree's inner nodes
        base = used[tree] + 2 * rank
        children = np.stack([left[tree, node], right[tree, node]], axis=1)
        order[tree, children[:, 0]] = base
        order[tree, children[:, 1]] = base + 1
        used += 2 * np.bincount(tree, minlength=n_trees)
        tree, node = np.repeat(tree, 2), children.reshape(-1)
    unreached = order < 0
    if unreached.any():  # numbered after the reached ones of their tree, in their old order
        spare = np.cumsum(unreached, axis=1) - 1 + used[:, None]
        order[unreached] = spare[unreached]
    return order


def frequency_codes(codes: np.ndarray, cardinality: int) -> np.ndarray:
    """A map from an input's codes (``0``: missing) to at most :data:`MAX_CATEGORIES` codes: its
    ``MAX_CATEGORIES - 1`` most frequent categories in ``codes`` (the training rows) as ``1, 2, ...`` by
    frequency (ties by code), every other category, unseen ones too, as ``MAX_CATEGORIES`` ("other"), missing as 0.

    Used for classes (a target encoding is one number per class); on a binary target it measured no better than
    the arbitrary order (see :func:`target_encoding`)."""
    counts = np.bincount(codes[(codes > 0) & (codes < cardinality)].astype(np.int64), minlength=cardinality)
    counts[0] = -1  # missing keeps code 0
    ranked = np.argsort(-counts, kind="stable")[: MAX_CATEGORIES - 1]
    ranked = ranked[counts[ranked] > 0]
    mapped = np.full(cardinality, MAX_CATEGORIES, dtype=np.int64)
    mapped[0] = 0
    mapped[ranked] = np.arange(1, len(ranked) + 1)
    return mapped


def remap_codes(x_cat: torch.Tensor, remapped: Sequence[int], code_map: torch.Tensor) -> torch.Tensor:
    """``x_cat`` with the codes of each ``remapped`` input through its row of ``code_map``; a code past the
    map (none the recipe gives) reads as missing."""
    width = code_map.shape[1]
    columns = list(x_cat.unbind(1))
    for row, column in enumerate(remapped):
        code = columns[column].long()
        inside = (code >= 0) & (code < width)
        mapped = code_map[row].index_select(0, code.clamp(0, width - 1))
        columns[column] = torch.where(inside, mapped, torch.zeros_like(mapped)).to(x_cat.dtype)
    return torch.stack(columns, dim=1)


def target_encoding(
    codes: np.ndarray, target: np.ndarray, cardinality: int, regression: bool, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """An input's codes as numbers, scikit-learn's ``TargetEncoder`` fitted on the training rows (``codes``,
    0 -- missing -- a category of its own): the training rows' values cross-fitted (5 folds, each row encoded
    by the others, so the trees do not learn its own target back), and each code's value from all the rows
    (a code never seen: the target's mean), float32 as the walk reads them.

    Measured on a tour's synthetic table (6,000 rows, a ``store`` of 1,500 levels with real effects): test ROC
    AUC 0.679 split as a number, 0.679 by its 254 most frequent levels (:func:`frequency_codes`), 0.710
    target-encoded."""
    from sklearn.preprocessing import TargetEncoder

    kind = "continuous" if regression else "binary"
    try:  # scikit-learn 1.9 takes the folds as a splitter, and deprecates random_state
        from sklearn.model_selection import KFold, StratifiedKFold

        folds = (KFold if regression else StratifiedKFold)(5, shuffle=True, random_state=seed)
        encoder = TargetEncoder(target_type=kind, cv=folds)
        encoder._validate_params()
    except (TypeError, ValueError):
        encoder = TargetEncoder(target_type=kind, random_state=seed)
    with sklearn_threads():
        crossed = encoder.fit_transform(codes.reshape(-1, 1).astype(np.int64), target)[:, 0]
    values = np.full(cardinality, float(np.asarray(encoder.target_mean_).reshape(-1)[0]), dtype=np.float64)
    seen = np.asarray(encoder.categories_[0], dtype=np.int64)
    inside = (seen >= 0) & (seen < cardinality)
    values[seen[inside]] = np.asarray(encoder.encodings_[0], dtype=np.float64)[inside]
    return crossed.astype(np.float32).astype(np.float64), values.astype(np.float32)


def encode_codes(
    x_cat: torch.Tensor, codes: torch.Tensor, encoded: Sequence[int], code_value: torch.Tensor
) -> torch.Tensor:
    """``codes`` (the walk's category inputs) with each ``encoded`` input's code read as its row of
    ``code_value``; a code past the table (none the recipe gives) as missing."""
    width = code_value.shape[1]
    columns = list(codes.unbind(1))
    for row, column in enumerate(encoded):
        code = x_cat[:, column].long()
        inside = (code >= 0) & (code < width)
        value = code_value[row].index_select(0, code.clamp(0, width - 1)).to(codes.dtype)
        columns[column] = torch.where(inside, value, torch.full_like(value, math.nan))
    return torch.stack(columns, dim=1)


def tree_inputs(x_cat: torch.Tensor, x_cont: torch.Tensor) -> np.ndarray:
    """The rows as scikit-learn reads them: category codes (0, missing or unseen, as NaN), then the numbers."""
    codes = x_cat.double().numpy().copy()
    codes[codes == 0] = np.nan
    return np.concatenate([codes, x_cont.double().numpy()], axis=1)


def fit_trees(
    data: DataBundle, settings: dict[str, Any] | None = None, seed: int = 0, stop_on_validation: bool = True
) -> tuple[GradientBoostedTrees, dict[str, Any]]:
    """Fit boosted trees on ``data``'s training rows; returns the model and its ``model_spec`` config.

    With early stopping (the default) and validation rows, the trees train on every training row and choose their
    rounds on the validation rows (scikit-learn's ``X_val``, 1.7 and later), keeping the rounds up to the one of
    lowest validation loss: the rows on which the MLP keeps its best epoch, so that ``arch="auto"`` compares two
    models stopped alike (AutoGluon stops its trees and its network on the same validation rows). Before, the trees
    trained on 90% of the training rows and stopped on the other tenth while the MLP chose its epoch on the
    validation rows the two were then compared on, which favoured the MLP. ``settings["stopped_on"]`` then reads
    ``"validation"``. Without validation rows, with ``stop_on_validation=False`` (``evaluate``'s folds, whose
    validation rows are the ones scored), or on an older scikit-learn, an inner tenth of the training rows.

    Raises:
        ConfigError: A task trees do not take here (several regression targets, multi-label targets).
    """
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    task = data.task
    if task.kind not in ("binary", "multiclass", "regression") or task.n_outputs > max(1, len(task.classes)):
        raise ConfigError(
            f"--arch gbdt fits one target (binary, classes or one number), not a {task.kind} task of "
            f"{task.n_outputs} outputs; use the MLP (--arch mlp) for it"
        )
    chosen = {
        name: value
        for name, value in {**DEFAULT_SETTINGS, **(settings or {})}.items()
        if name not in RECORDED_ONLY
    }
    x_cat, x_cont, y = data.train.tensors  # type: ignore[attr-defined]
    raw_cat = x_cat
    inputs = tree_inputs(x_cat, x_cont)
    hints = data.model_hints
    cardinalities = list(hints["cardinalities"])
    many = [j for j, card in enumerate(cardinalities) if card - 1 > MAX_CATEGORIES]
    width = max([cardinalities[j] for j in many] or [1])
    # Binary and regression targets: target-encoded; classes (one encoding per class): frequency-ranked codes
    encoded = many if task.kind in ("binary", "regression") else []
    remapped = [j for j in many if j not in encoded]
    code_map = np.zeros((len(remapped), width), dtype=np.int64)
    code_value = np.zeros((len(encoded), width), dtype=np.float32)
    for row, column in enumerate(remapped):
        code_map[row, : cardinalities[column]] = frequency_codes(
            x_cat[:, column].numpy(), cardinalities[column]
        )
    if remapped:
        x_cat = remap_codes(x_cat, remapped, torch.from_numpy(code_map))
        inputs = tree_inputs(x_cat, x_cont)
    y_flat = y.reshape(len(y)).double().numpy()
    for row, column in enumerate(encoded):
        crossed, code_value[row, : cardinalities[column]] = target_encoding(
            x_cat[:, column].numpy(), y_flat, cardinalities[column], task.kind == "regression", seed
        )
        inputs[:, column] = crossed
    if many:
        _say_many_categories(data, remapped, encoded, cardinalities)
    categorical = [j not in encoded for j in range(len(cardinalities))] + [False] * int(hints["n_cont"])
    estimator_class = (
        HistGradientBoostingRegressor if task.kind == "regression" else HistGradientBoostingClassifier
    )
    target = (
        y.double().reshape(len(y)).numpy() if task.kind == "regression" else y.reshape(len(y)).long().numpy()
    )
    estimator = estimator_class(
        categorical_features=np.array(categorical, dtype=bool), random_state=seed, **chosen
    )
    validation = (
        _validation_rows(
            data, estimator_class, raw_cat, target, remapped, code_map, encoded, code_value, chosen
        )
        if stop_on_validation and chosen.get("early_stopping")
        else None
    )
    if task.kind != "regression":
        _, counts = np.unique(target, return_counts=True)
        if len(counts) < 2:
            raise ConfigError("the training rows hold one class only: trees need two or more to split on")
        held = math.ceil(float(chosen.get("validation_fraction") or 0.1) * len(target))
        too_few = counts.min() < 2 or held < len(counts) or len(target) - held < len(counts)
        if too_few and chosen.get("early_stopping") and validation is None:
            # Early stopping holds out a stratified tenth, impossible for a class of one row or a tenth smaller
            # than the classes (5 rows): a fixed number of rounds instead (scikit-learn's default).
            estimator.set_params(early_stopping=False, max_iter=min(int(chosen["max_iter"]), FIXED_ROUNDS))
            chosen = {**chosen, "early_stopping": False, "max_iter": estimator.max_iter}
    try:
        with sklearn_threads():  # the cores left free: boosting's threads crawl beside other work
            if validation is None:
                estimator.fit(inputs, target)
            else:
                estimator.fit(inputs, target, **validation)
    except ValueError as error:  # scikit-learn refuses a setting (InvalidParameterError is a ValueError)
        first = str(error).strip().splitlines()[0]
        raise ConfigError(f"boosted trees could not be fitted with these settings: {first}") from error
    if validation is not None:
        keep_best_rounds(estimator)
        chosen = {**chosen, "stopped_on": STOPPED_ON_VALIDATION}
    model, config = trees_from_sklearn(
        estimator, cardinalities, int(hints["n_cont"]), task.n_outputs, categorical, chosen
    )
    if not many:
        return model, config
    # The maps are buffers of the model (model.safetensors), their inputs and width in the config (trainwell.json)
    config = {**config, "remapped": remapped, "encoded": encoded, "map_width": width}
    state = model.state_dict()
    if remapped:
        state["code_map"] = torch.from_numpy(code_map)
    if encoded:
        state["code_value"] = torch.from_numpy(code_value)
    mapping = GradientBoostedTrees(**config)
    mapping.load_state_dict(state)
    return mapping, config


def _validation_rows(
    data: DataBundle,
    estimator_class: Any,
    x_cat: torch.Tensor,
    target: np.ndarray,
    remapped: Sequence[int],
    code_map: np.ndarray,
    encoded: Sequence[int],
    code_value: np.ndarray,
    settings: dict[str, Any],
) -> dict[str, Any] | None:
    """``data``'s validation rows as scikit-learn's ``fit`` takes them to early-stop on (``X_val``, ``y_val`` and,
    under ``class_weight="balanced"``, ``sample_weight_val``: the training rows' class weights, so that the rounds
    are chosen on the weighted loss the comparison reads), read as the walk reads new rows: a remapped input through
    its map, a target-encoded one as its code's value. Rows of a class the training rows lack are left out
    (scikit-learn knows no such class). ``None`` without validation rows or such a row left, or on a scikit-learn
    older than 1.7 (no ``X_val``): the trees then stop on an inner tenth of their training rows."""
    import inspect

    valid = getattr(data, "valid", None)
    tensors = getattr(valid, "tensors", None)
    if tensors is None or "X_val" not in inspect.signature(estimator_class.fit).parameters:
        return None
    v_cat, v_cont, v_y = tensors
    if len(v_y) == 0:
        return None
    if remapped:
        v_cat_read = remap_codes(v_cat, remapped, torch.from_numpy(code_map))
    else:
        v_cat_read = v_cat
    inputs = tree_inputs(v_cat_read, v_cont)
    for row, column in enumerate(encoded):
        codes = v_cat[:, column].long().numpy()
        inside = (codes >= 0) & (codes < code_value.shape[1])
        inputs[:, column] = np.where(inside, code_value[row][codes.clip(0, code_value.shape[1] - 1)], np.nan)
    regression = data.task.kind == "regression"
    wanted = v_y.double().reshape(len(v_y)).numpy() if regression else v_y.reshape(len(v_y)).long().numpy()
    weights = None
    if not regression:
        present, counts = np.unique(target, return_counts=True)
        known = np.isin(wanted, present)
        if not known.any():
            return None
        inputs, wanted = inputs[known], wanted[known]
        if settings.get("class_weight") == "balanced":  # scikit-learn's own weights of the training rows
            share = dict(zip(present.tolist(), (len(target) / (len(present) * counts)).tolist(), strict=True))
            weights = np.array([share[int(label)] for label in wanted], dtype=np.float64)
    found: dict[str, Any] = {"X_val": inputs, "y_val": wanted}
    if weights is not None:
        found["sample_weight_val"] = weights
    return found


def keep_best_rounds(estimator: Any) -> None:
    """Drop the rounds after the one of best validation score (scikit-learn stops ``n_iter_no_change`` rounds past
    it and keeps them): the trees end at their best round on the validation rows, as the MLP ends at its best
    epoch. At least one round is kept. ``n_iter_`` (the predictors' count) then gives the rounds kept."""
    scores = np.asarray(getattr(estimator, "validation_score_", []), dtype=np.float64)
    if len(scores) < 2 or not np.isfinite(scores).all():
        return
    best = max(1, int(np.argmax(scores)))  # scores[0]: before any round
    del estimator._predictors[best:]


def _say_many_categories(
    data: DataBundle, remapped: Sequence[int], encoded: Sequence[int], cardinalities: Sequence[int]
) -> None:
    """One line per input of more categories than the trees split on, naming it and what was done."""
    from trainwell.core.warn import warn

    names = list(getattr(data.recipe, "cat_input_names", []))
    for column in [*encoded, *remapped]:
        name = names[column] if column < len(names) else f"categorical input {column}"
        done = (
            "they read it as a number instead, its target encoding (each category's mean target in the training "
            "rows, cross-fitted on 5 folds; a new category: the overall mean)"
            if column in encoded
            else f"they split its {MAX_CATEGORIES - 1} most frequent in the training rows, the other "
            f"{cardinalities[column] - MAX_CATEGORIES:,} (and any new one) as one category, 'other'"
        )
        warn(
            f"column '{name}' has {cardinalities[column] - 1:,} categories, more than the {MAX_CATEGORIES} boosted "
            f"trees split on: {done}",
            UserWarning,
        )


def trees_from_sklearn(
    estimator: Any,
    cardinalities: Sequence[int],
    n_cont: int,
    n_out: int,
    categorical: Sequence[bool],
    settings: dict[str, Any],
) -> tuple[GradientBoostedTrees, dict[str, Any]]:
    """A fitted HistGradientBoosting estimator as a :class:`GradientBoostedTrees` (and its config)."""
    predictors = [tree for round_ in estimator._predictors for tree in round_]
    per_round = len(estimator._predictors[0]) if estimator._predictors else 1
    columns, baseline = _output_columns(estimator, per_round, n_out)
    n_nodes = max((len(tree.nodes) for tree in predictors), default=1)
    max_depth = max((int(tree.nodes["depth"].max()) for tree in predictors), default=0)
    n_codes = max([card for card, is_cat in zip(cardinalities, categorical, strict=False) if is_cat] or [1])
    n_codes = max(1, min(n_codes, MAX_CATEGORIES + 1))
    config: dict[str, Any] = {
        "cardinalities": list(cardinalities), "n_cont": n_cont, "n_out": n_out, "n_trees": max(1, len(predictors)),
        "n_nodes": n_nodes, "max_depth": max(1, max_depth), "n_codes": n_codes, "categorical": list(categorical),
        "settings": {**settings, "n_iter": int(estimator.n_iter_)},
    }  # fmt: skip
    model = GradientBoostedTrees(**config)
    n_trees = int(config["n_trees"])
    arrays: dict[str, np.ndarray] = {
        "feature": np.zeros((n_trees, n_nodes), np.int64), "threshold": np.zeros((n_trees, n_nodes), np.float32),
        "left": np.zeros((n_trees, n_nodes), np.int64), "right": np.zeros((n_trees, n_nodes), np.int64),
        "is_leaf": np.ones((n_trees, n_nodes), bool), "missing_left": np.zeros((n_trees, n_nodes), bool),
        "is_categorical": np.zeros((n_trees, n_nodes), bool), "value": np.zeros((n_trees, n_nodes), np.float32),
        "left_codes": np.zeros((n_trees, n_nodes, n_codes), bool), "output": np.zeros(n_trees, np.int64),
    }  # fmt: skip
    original, encoded = _input_maps(estimator, categorical, n_codes)
    for index, tree in enumerate(predictors):
        nodes = tree.nodes
        count = len(nodes)
        arrays["feature"][index, :count] = original[nodes["feature_idx"]]
        arrays["threshold"][index, :count] = _float32_at_most(nodes["num_threshold"])
        arrays["left"][index, :count] = nodes["left"]
        arrays["right"][index, :count] = nodes["right"]
        arrays["is_leaf"][index, :count] = nodes["is_leaf"].astype(bool)
        arrays["missing_left"][index, :count] = nodes["missing_go_to_left"].astype(bool)
        arrays["is_categorical"][index, :count] = nodes["is_categorical"].astype(bool)
        arrays["value"][index, :count] = nodes["value"]
        arrays["output"][index] = columns[index % per_round]
        for position in np.flatnonzero(nodes["is_categorical"]):
            bits = tree.raw_left_cat_bitsets[nodes["bitset_idx"][position]]
            rank = encoded[original[nodes["feature_idx"][position]]]
            arrays["left_codes"][index, position] = (rank >= 0) & _in_bitset(bits, rank.clip(0))
    known_bits, feature_map = estimator._bin_mapper.make_known_categories_bitsets()
    known = np.zeros((len(categorical), n_codes), bool)
    for column, feature in enumerate(original):  # column: scikit-learn's order; feature: the recipe's
        if categorical[feature]:
            rank = encoded[feature]
            known[feature] = (rank >= 0) & _in_bitset(known_bits[feature_map[column]], rank.clip(0))
    with torch.no_grad():
        for name, array in arrays.items():
            getattr(model, name).copy_(torch.from_numpy(array))
        model.known_codes.copy_(torch.from_numpy(known))
        model.baseline.copy_(torch.from_numpy(baseline))
    return model, config


def _output_columns(estimator: Any, per_round: int, n_out: int) -> tuple[list[int], np.ndarray]:
    """The output column each tree of a round adds to, and the baseline of every column.

    scikit-learn fits the classes the training rows hold (``classes_``, codes of the task's classes), not the
    task's: a class absent from them (one seen only in validation) must not shift the others. Its column gets
    :data:`ABSENT_LOGIT`; with two classes present in a task of more, scikit-learn fits one binary output, the
    logit of the second against the first (whose column stays at 0)."""
    raw = np.asarray(estimator._baseline_prediction, dtype=np.float32).reshape(-1)
    classes = getattr(estimator, "classes_", None)
    if classes is None or n_out == 1:  # regression, or a binary task: one output as it is
        return [0] * per_round, np.resize(raw, n_out).astype(np.float32)
    present = [int(code) for code in classes]
    baseline = np.full(n_out, ABSENT_LOGIT, dtype=np.float32)
    if per_round == 1:  # a binary fit inside a task of several classes
        baseline[present[0]] = 0.0
        baseline[present[1]] = raw[0]
        return [present[1]], baseline
    baseline[present] = raw
    return present, baseline


def _input_maps(
    estimator: Any, categorical: Sequence[bool], n_codes: int
) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """How scikit-learn saw the inputs: ``original[j]``, the recipe's input of its column ``j`` (it puts the
    categorical columns first), and per categorical input the index it gave each code (``-1``: a code it never
    saw). Its estimators ordinal-encode categorical columns themselves, by the sorted values seen in training."""
    is_cat = np.asarray(categorical, dtype=bool)
    preprocessor = getattr(estimator, "_preprocessor", None)
    if preprocessor is None:  # the columns as given, the codes as they are
        identity = np.arange(n_codes)
        return np.arange(len(is_cat)), {int(j): identity for j in np.flatnonzero(is_cat)}
    original = np.concatenate([np.flatnonzero(is_cat), np.flatnonzero(~is_cat)])
    categories = preprocessor.named_transformers_["encoder"].categories_
    encoded: dict[int, np.ndarray] = {}
    for feature, seen in zip(np.flatnonzero(is_cat), categories, strict=True):
        rank = np.full(n_codes, -1, dtype=np.int64)
        values = np.asarray(seen, dtype=np.float64)
        for position, value in enumerate(values):
            if np.isfinite(value) and 0 <= value < n_codes and value == int(value):
                rank[int(value)] = position
        encoded[int(feature)] = rank
    return original, encoded


def _float32_at_most(thresholds: np.ndarray) -> np.ndarray:
    """Each float64 threshold as the largest float32 not above it: ``x <= t`` then reads the same for every
    float32 ``x`` (a plain cast may round a threshold up past the next representable input)."""
    rounded = thresholds.astype(np.float32)
    above = rounded.astype(np.float64) > thresholds
    rounded[above] = np.nextafter(rounded[above], np.float32(-np.inf))
    return rounded


def _in_bitset(bits: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Which ``codes`` (0..255) a scikit-learn bitset of 8 uint32 words holds."""
    words = bits.astype(np.uint64)[codes // 32]
    return ((words >> (codes % 32).astype(np.uint64)) & 1).astype(bool)
