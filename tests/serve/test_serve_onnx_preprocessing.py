"""A table model's ``model.onnx`` can be used without trainwell: the ``preprocessing`` entry of its metadata says
the recipe's encoding step by step, and a program of numpy, onnxruntime and json alone, reading only the model
directory, reproduces trainwell's probabilities (tour59 #3: the encoding was in trainwell's code only; written
from trainwell.json alone, 75 of 1000 rows were off by up to 0.19)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

#: Run in a fresh interpreter: reads the model directory and the rows, prints the probabilities as JSON.
PURE = r"""
import json, math, sys
import numpy as np
import onnxruntime as ort

model_dir, rows_path = sys.argv[1], sys.argv[2]
session = ort.InferenceSession(model_dir + "/model.onnx", providers=["CPUExecutionProvider"])
meta = session.get_modelmeta().custom_metadata_map
spec = json.loads(meta["preprocessing"])
assert spec["complete"], spec.get("not_covered")
rows = json.load(open(rows_path))

def key(value):
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)

def missing(value, words=()):
    return value is None or (isinstance(value, float) and math.isnan(value)) or (
        isinstance(value, str) and (value.strip() == "" or value in words))

def number(row, name):
    info = spec["numeric"][name]
    value = row.get(name)
    if missing(value, info.get("missing_words", ())):
        return None
    return float(value)

inputs = {item["name"]: item for item in spec["inputs"]}
x_cat, x_cont = [], []
for row in rows:
    cats = []
    for column in inputs["x_cat"]["columns"]:
        if column in spec["categorical"]:
            info = spec["categorical"][column]
            value = row.get(column)
            if missing(value) and not isinstance(value, str):
                cats.append(0)
            elif key(value) in info["vocabulary"]:
                cats.append(info["vocabulary"].index(key(value)) + 1)
            else:
                cats.append(info["unseen_code"])
        else:
            indicator = spec["missing_indicators"][column]
            absent = number(row, indicator["of"]) is None
            cats.append(indicator["missing"] if absent else indicator["present"])
    conts = []
    for column in inputs["x_cont"]["columns"]:
        info = spec["numeric"][column]
        value = number(row, column)
        value = info["fill"] if value is None else value
        conts.append(np.float32((np.float64(value) - info["mean"]) / info["std"]))
    x_cat.append(cats)
    x_cont.append(conts)
feeds = {"x_cat": np.array(x_cat, dtype=np.int64).reshape(len(rows), -1),
         "x_cont": np.array(x_cont, dtype=np.float32).reshape(len(rows), -1)}
declared = {item.name for item in session.get_inputs()}
logits = session.run(None, {name: array for name, array in feeds.items() if name in declared})[0]
assert meta["output"].startswith("logits"), meta["output"]
if logits.shape[1] == 1:  # binary: the sigmoid of the positive class's logit
    probabilities = 1 / (1 + np.exp(-logits.astype(np.float64)))
else:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities = shifted / shifted.sum(axis=1, keepdims=True)
assert not any(name.startswith("trainwell") for name in sys.modules), "trainwell was imported"
print(json.dumps(probabilities.tolist()))
"""


def test_the_onnx_file_is_usable_from_its_own_metadata_alone(
    onnx_model_dir: Path, predictor: Any, new_rows: list[dict[str, Any]], tmp_path: Path
) -> None:
    base = new_rows[0]
    rows = [
        *new_rows,
        {**base, "workclass": "Astronaut", "education-num": 99},  # unseen category, number out of range
        {**base, "workclass": None, "occupation": None, "age": None, "hours-per-week": None},
        {**base, "age": "41", "capital-gain": 99_999},  # a number as text
        {key: None for key in base},  # everything missing
    ]
    path = tmp_path / "rows.json"
    path.write_text(json.dumps(rows))
    script = tmp_path / "pure.py"
    script.write_text(PURE)
    done = subprocess.run(
        [sys.executable, "-I", str(script), str(onnx_model_dir), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    pure = np.array(json.loads(done.stdout))
    expected = np.asarray(predictor.predict_proba(rows), dtype=np.float64).reshape(len(rows), -1)
    assert pure.reshape(len(rows), -1).shape == expected.shape
    assert np.abs(pure.reshape(len(rows), -1) - expected).max() <= 1e-5


def test_a_tables_preprocessing_names_every_input_column(onnx_model_dir: Path) -> None:
    import onnxruntime as ort

    meta = ort.InferenceSession(str(onnx_model_dir / "model.onnx")).get_modelmeta().custom_metadata_map
    spec = json.loads(meta["preprocessing"])
    recipe = json.loads((onnx_model_dir / "trainwell.json").read_text())["recipe"]
    x_cat, x_cont = spec["inputs"]
    assert (x_cat["name"], x_cat["dtype"], x_cont["name"], x_cont["dtype"]) == (
        "x_cat",
        "int64",
        "x_cont",
        "float32",
    )
    assert x_cont["columns"] == recipe["cont_names"]
    assert x_cat["columns"][: len(recipe["cat_names"])] == recipe["cat_names"]
    assert "preprocessing" in meta["inputs"]
