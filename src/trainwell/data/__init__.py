"""Data: the task, the bundle of loaders, splits and the fast in-memory loader; ``read_table`` (which imports
pandas) loads on first use, so that a predictor's imports stay light."""

from typing import TYPE_CHECKING

from trainwell.core.lazy import lazy_attributes
from trainwell.data.bundle import DataBundle, mask_split, random_split, tensor_data
from trainwell.data.loader import TensorLoader
from trainwell.data.task import TARGET_KINDS, TASK_KINDS, Task, infer_task, name_labels

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

__getattr__, __dir__ = lazy_attributes(__name__, {"read_table": "trainwell.data.io"}, __all__)

if TYPE_CHECKING:
    from trainwell.data.io import read_table
