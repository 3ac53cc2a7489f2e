"""Answers for every task kind the tabular predictor serves, over HTTP, against ``predictor.predict``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from serve_support import LiveServer, start_server

import trainwell
from trainwell.export import load
from trainwell.serve import create_app
from trainwell.serve.schema import response_model

N_ROWS = 240


def make_table(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=N_ROWS)
    group = rng.choice(["p", "q", "r"], size=N_ROWS).astype(object)
    flag = rng.choice([True, False], size=N_ROWS)
    score = a + (group == "p") - (group == "r")
    frame = pd.DataFrame(
        {
            "a": a,
            "group": group,
            "flag": flag,
            "amount": 3 * a + rng.normal(scale=0.1, size=N_ROWS),
            "other": -a + (group == "q"),
            "level": np.select([score < -0.5, score < 0.5], ["low", "mid"], "high"),
            "code": np.digitize(score, [-0.5, 0.5]),  # 0, 1, 2: integer classes
        }
    )
    frame.loc[rng.choice(N_ROWS, 20, replace=False), "a"] = np.nan  # adds the missing indicator a_na
    return frame


TARGETS = {
    "regression": "amount",
    "multiclass": "level",
    "integer classes": "code",
    "two targets": ["amount", "other"],
}


@pytest.fixture(scope="module", params=list(TARGETS))
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Any, LiveServer]]:
    target = TARGETS[request.param]
    targets = target if isinstance(target, list) else [target]
    table = make_table()
    unused = [name for name in TARGETS.values() if isinstance(name, str) and name not in targets]
    out = tmp_path_factory.mktemp("tasks") / "model"
    trainwell.fit_table(
        table.drop(columns=unused + (["other"] if "other" not in targets else [])),
        target,
        out=out,
        epochs=1,
        lr=1e-2,
        progress=False,
    )
    server = start_server(create_app(out))
    yield load(out), server
    server.stop()


def request_rows(predictor: Any) -> list[dict[str, Any]]:
    inputs = [*predictor.recipe.cat_names, *predictor.recipe.cont_names]
    rows = make_table(seed=1).head(6)[inputs].astype(object)
    records = rows.where(rows.notna(), None).to_dict(orient="records")
    records[0]["group"] = "unseen"
    return records


def test_answers_match_the_predictor(served: tuple[Any, LiveServer]) -> None:
    predictor, server = served
    rows = request_rows(predictor)
    response = httpx.post(f"{server.url}/predict", json={"rows": rows}, timeout=60)
    assert response.status_code == 200, response.text
    answers = response.json()["predictions"]
    response_model(predictor.task).model_validate(response.json())  # the documented shape
    expected = predictor.predict(rows)
    task = predictor.task
    if task.kind == "regression":
        if len(task.target_names) == 1:
            values = [answer["prediction"] for answer in answers]
            assert values == pytest.approx(expected["prediction"].tolist(), rel=1e-5, abs=1e-6)
        else:
            for name in task.target_names:
                values = [answer["prediction"][name] for answer in answers]
                assert values == pytest.approx(expected[f"{name}_predicted"].tolist(), rel=1e-5, abs=1e-6)
        return
    assert task.kind == "multiclass"
    assert [answer["prediction"] for answer in answers] == expected["prediction"].tolist()
    for label in task.classes:
        values = [answer["probabilities"][str(label)] for answer in answers]
        assert values == pytest.approx(expected[f"probability_{label}"].tolist(), rel=1e-5, abs=1e-6)
    for answer in answers:
        assert sum(answer["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)


def test_metadata_names_the_task(served: tuple[Any, LiveServer]) -> None:
    predictor, server = served
    body = httpx.get(f"{server.url}/metadata", timeout=60).json()
    assert body["task"]["kind"] == predictor.task.kind
    assert body["task"]["classes"] == list(predictor.task.classes)
    assert body["task"]["target_names"] == list(predictor.task.target_names)
    # A regression or the most likely of several classes compares nothing with a threshold: none is listed.
    assert "threshold" not in body["task"]
    flag = next(item for item in body["inputs"] if item["name"] == "flag")
    assert flag == {**flag, "kind": "categorical", "values": ["False", "True"]}
