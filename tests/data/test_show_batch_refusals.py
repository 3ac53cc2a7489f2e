"""``DataBundle.show_batch``'s refusals are worded about the data at hand: the tour's ratings and tagging users
were told what tables and tensor_data keep, neither of which they had."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from trainwell.core.errors import ConfigError
from trainwell.data import DataBundle, Task, TensorLoader, tensor_data


def test_show_batch_refusals_name_the_kind_of_data_they_are_about() -> None:
    tensors = tensor_data(torch.randn(50, 3), torch.randn(50), valid_pct=0.2)
    with pytest.raises(
        ConfigError,
        match=r"^show_batch: this data keeps no rows of its 'train' split to show: tensor data \(tensor_data, or a "
        r"DataBundle of loaders of your own\) holds tensors, not rows as read; look at a batch instead",
    ):
        tensors.show_batch()
    loader = TensorLoader((torch.zeros(4, 2), torch.zeros(4)), 2)
    ratings = DataBundle(Task("regression", target_names=("rating",)), loader, loader, application="collab")
    with pytest.raises(
        ConfigError, match=r"^show_batch: .*: ratings data keeps no rows as read; look at a batch"
    ):
        ratings.show_batch(split="valid")
    table = DataBundle(
        Task("regression"), loader, loader, application="tabular", rows={"train": pd.DataFrame({"a": [1]})}
    )
    with pytest.raises(
        ConfigError, match=r"\(it keeps: train\); table data keeps a held-out split's rows as read"
    ):
        table.show_batch(split="valid")
    with pytest.raises(ConfigError, match=r"this table data has no 'test' split \(it has: train, valid\)"):
        table.show_batch(split="test")
