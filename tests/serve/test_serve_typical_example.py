"""The /docs page's example request for a table model sends a typical row: each categorical input's most
frequent training value (recorded in the recipe at fit), each number's median. It sent each column's first known
value, in the model's order ('blue' where nine rows in ten say 'red'). A model directory written before the
most frequent values were recorded still loads and serves, its example as before."""

from __future__ import annotations

import html
import json
import shutil
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from serve_support import LIMITS, start_server

import trainwell
from trainwell.serve.app import create_app


def colours(n_rows: int = 200, seed: int = 0) -> pd.DataFrame:
    """Mostly 'red' (first in the model's order: 'blue'), a size around 10, and a yes/no target."""
    rng = np.random.default_rng(seed)
    colour = rng.choice(["red", "blue", "green"], size=n_rows, p=[0.8, 0.1, 0.1])
    size = rng.normal(10.0, 2.0, size=n_rows)
    return pd.DataFrame(
        {"colour": colour, "size": size, "y": np.where(size + (colour == "red") > 10.5, "yes", "no")}
    )


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("typical") / "model"
    trainwell.fit_table(colours(), "y", out=out, epochs=1, progress=False)
    return out


def example_row(model_dir: Path) -> tuple[dict, str]:
    """The example row of POST /predict in /openapi.json, and the /docs page, both over HTTP on loopback."""
    live = start_server(create_app(model_dir, threads=1, **LIMITS))
    try:
        with urllib.request.urlopen(f"{live.url}/openapi.json", timeout=30) as response:
            schema = json.loads(response.read())
        with urllib.request.urlopen(f"{live.url}/docs", timeout=30) as response:
            page = html.unescape(response.read().decode("utf-8"))
    finally:
        live.stop()
    row_schema = schema["components"]["schemas"]["Row"]  # one row of POST /predict's body
    fields = row_schema["properties"].items()  # the target too, ignored if sent: no example
    return {name: field["examples"][0] for name, field in fields if "examples" in field}, page


def test_the_example_request_sends_the_most_frequent_category_and_the_median(model_dir: Path) -> None:
    recipe = trainwell.load(model_dir).recipe
    assert recipe.categories["colour"][0] == "blue" and recipe.most_frequent == {"colour": "red"}
    row, page = example_row(model_dir)
    assert row["colour"] == "red"
    assert row["size"] == round(recipe.fill_values["size"], 6)  # the training median, as before
    assert '"colour": "red"' in page and '"colour": "blue"' not in page


def test_a_model_directory_without_the_most_frequent_values_loads_and_shows_the_first(
    model_dir: Path, tmp_path: Path
) -> None:
    older = tmp_path / "older"
    shutil.copytree(model_dir, older)
    metadata = json.loads((older / "trainwell.json").read_text(encoding="utf-8"))
    del metadata["recipe"]["most_frequent"]
    (older / "trainwell.json").write_text(json.dumps(metadata), encoding="utf-8")
    assert trainwell.load(older).recipe.most_frequent == {}
    row, page = example_row(older)
    assert row["colour"] == "blue" and '"colour": "blue"' in page
