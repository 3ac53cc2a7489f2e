"""GET /metadata's figures as a client reads them: metrics without the history row's bookkeeping or nulls, and
each continuous input's training range beside the range the server accepts (an older model directory, which
does not record the training range, says so with nulls and still gives the accepted range).

The tour found a boosted-trees model's metrics as ``{"fit": 1, "epoch": 1, "train_loss": null, ..., "lr": null,
"time": 0.042}`` and Age's minimum and maximum as -13127660 and 13127718 (mean +- 10^6 standard deviations).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from serve_support import start_server

import trainwell
from trainwell.datasets import ADULT_TARGET
from trainwell.serve import create_app
from trainwell.serve.schema import MAX_STANDARD_DEVIATIONS


@pytest.fixture(scope="module")
def trees_dir(tmp_path_factory: pytest.TempPathFactory, adult: pd.DataFrame) -> Path:
    """Boosted trees on 400 Adult rows (fitted in one step: their history row has no training loss or rate)."""
    out = tmp_path_factory.mktemp("serve-trees") / "trees"
    trainwell.fit_table(adult.head(400), ADULT_TARGET, out=out, arch="gbdt", progress=False)
    return out


def metadata_of(model_dir: Path) -> dict[str, Any]:
    server = start_server(create_app(model_dir, threads=1))
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            response = client.get("/metadata")
    finally:
        server.stop()
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.fixture(scope="module")
def trees_metadata(trees_dir: Path) -> Iterator[dict[str, Any]]:
    yield metadata_of(trees_dir)


def test_metrics_are_the_figures_without_bookkeeping_or_nulls(trees_dir: Path, trees_metadata: dict) -> None:
    stored = json.loads((trees_dir / "trainwell.json").read_text())["training"]["final"]
    # Left out now (learn.final_row has no NaN); older directories hold null, which /metadata drops alike.
    assert stored.get("train_loss") is None and stored.get("lr") is None and "time" in stored
    metrics = trees_metadata["metrics"]
    assert metrics == {
        "epoch": 1,  # counted from 1, as history.csv and the screen count it
        "valid_loss": stored["valid_loss"],
        "accuracy": stored["accuracy"],
        "roc_auc": stored["roc_auc"],
        "f1": stored["f1"],
    }


def test_continuous_inputs_give_their_training_range_and_the_accepted_one(
    trees_dir: Path, trees_metadata: dict, adult: pd.DataFrame
) -> None:
    recipe = trainwell.load(trees_dir).recipe
    stored = json.loads((trees_dir / "trainwell.json").read_text())["training"]["input_ranges"]
    inputs = {item["name"]: item for item in trees_metadata["inputs"]}
    assert set(stored) == set(recipe.cont_names) and recipe.cont_names
    for name in recipe.cont_names:
        low, high = stored[name]
        assert (inputs[name]["minimum"], inputs[name]["maximum"]) == (low, high)
        # Values of the table's column, around its median: the data's range, not 10^6 standard deviations.
        assert {low, high} <= set(adult.head(400)[name].astype(float))
        assert low <= recipe.fill_values[name] <= high
        reach = MAX_STANDARD_DEVIATIONS * recipe.stds[name]
        assert inputs[name]["accepted_minimum"] == pytest.approx(recipe.means[name] - reach)
        assert inputs[name]["accepted_maximum"] == pytest.approx(recipe.means[name] + reach)


def test_a_model_directory_without_training_ranges_still_gives_the_accepted_range(
    trees_dir: Path, tmp_path: Path
) -> None:
    older = tmp_path / "older"
    shutil.copytree(trees_dir, older)
    metadata = json.loads((older / "trainwell.json").read_text())
    del metadata["training"]["input_ranges"]  # as trainwell wrote it before the ranges were kept
    (older / "trainwell.json").write_text(json.dumps(metadata))
    inputs = [item for item in metadata_of(older)["inputs"] if item["kind"] == "continuous"]
    assert inputs and all(item["minimum"] is None and item["maximum"] is None for item in inputs)
    assert all(item["accepted_minimum"] < item["mean"] < item["accepted_maximum"] for item in inputs)
