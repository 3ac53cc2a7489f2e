"""Data: the task, the bundle of loaders, splits and the fast in-memory loader. Every name loads on first use
(``DataBundle`` and the loader import torch, ``read_table`` pandas), so that a predictor's imports stay light and
the command line's early checks (``trainwell.data.splits``: a missing file, a folder of splits) say their errors
before torch is imported."""

from typing import TYPE_CHECKING

from trainwell.core.lazy import lazy_attributes

__all__ = [
    "TARGET_KINDS",
    "TASK_KINDS",
    "DataBundle",
    "Task",
    "TensorLoader",
    "infer_task",
    "mask_split",
    "name_labels",
    "random_split",
    "read_table",
    "tensor_data",
]

_WHERE = {
    **dict.fromkeys(("DataBundle", "mask_split", "random_split", "tensor_data"), "trainwell.data.bundle"),
    "TensorLoader": "trainwell.data.loader",
    **dict.fromkeys(
        ("TARGET_KINDS", "TASK_KINDS", "Task", "infer_task", "name_labels"), "trainwell.data.task"
    ),
    "read_table": "trainwell.data.io",
}
__getattr__, __dir__ = lazy_attributes(__name__, _WHERE, __all__)

if TYPE_CHECKING:
    from trainwell.data.bundle import DataBundle, mask_split, random_split, tensor_data
    from trainwell.data.io import read_table
    from trainwell.data.loader import TensorLoader
    from trainwell.data.task import TARGET_KINDS, TASK_KINDS, Task, infer_task, name_labels
