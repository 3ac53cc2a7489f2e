"""``evaluate`` and ``tune`` take the column roles ``fit`` takes (--cat-names, --cont-names, --ignore), so the
hint "pass it in --cont-names (Python: cont_names=[...]) to keep it" works wherever it is printed; ``tune`` takes several targets."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from trainwell.core.errors import ConfigError
from trainwell.data.task import infer_task
from trainwell.tabular.evaluation import TabularFold


def table(n: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x = rng.normal(size=n)
    return pd.DataFrame(
        {
            "PassengerId": np.arange(1, n + 1),
            "x": x,
            "noise": rng.normal(size=n),
            "y": x + 0.1 * rng.normal(size=n),
        }
    )


def test_evaluate_folds_keep_a_declared_id_and_ignore_what_they_are_told() -> None:
    frame = table()
    fold = TabularFold(
        frame,
        "y",
        infer_task(frame["y"]),
        ["rmse"],
        epochs=1,
        cont_names=["PassengerId", "x"],
        ignore=["noise"],
    )
    fold(np.arange(80), np.arange(80, 120), 0)
    assert fold.recipes[0].cont_names == ["PassengerId", "x"] and fold.recipes[0].cat_names == []


def test_the_commands_accept_roles_and_tune_several_targets(tmp_path: Path) -> None:
    from trainwell.cli.app import app

    path = tmp_path / "t.csv"
    frame = table()
    frame["z"] = 1000 * frame["x"] + frame["noise"]
    frame.to_csv(path, index=False)
    runner = CliRunner()
    evaluated = runner.invoke(
        app,
        ["evaluate", str(path), "--target", "y", "--cv", "2", "--epochs", "1", "--cont-names", "PassengerId,x",
         "--ignore", "noise,z", "--no-baselines"],
        env={"COLUMNS": "200"},
    )  # fmt: skip
    assert evaluated.exit_code == 0, evaluated.output
    assert "left out of the inputs" not in evaluated.output  # PassengerId was declared, so it is kept
    out = tmp_path / "tuned"
    tuned = runner.invoke(
        app,
        ["tune", str(path), "--target", "y,z", "--trials", "1", "--ignore", "PassengerId", "--out", str(out)],
        env={"COLUMNS": "200"},
    )
    assert tuned.exit_code == 0, tuned.output
    assert json.loads((out / "tuning.json").read_text())["metric"] == "rmse"
    assert json.loads((out / "trainwell.json").read_text())["task"]["target_names"] == ["y", "z"]


def tickets(n: int = 120) -> pd.DataFrame:
    """A table whose ``ticket`` column has a few common values and many seen once (rare under the default 3)."""
    rng = np.random.default_rng(1)
    common = rng.choice(["A", "B", "C"], size=n)
    ticket = np.where(np.arange(n) % 3 == 0, [f"T{i}" for i in range(n)], common)
    x = rng.normal(size=n)
    y = np.where(x + rng.normal(size=n) > 0, "yes", "no")
    return pd.DataFrame({"ticket": ticket, "x": x, "y": y})


def test_min_category_count_reaches_the_recipe_from_fit_and_evaluate(tmp_path: Path) -> None:
    from trainwell.cli.app import app
    from trainwell.tabular.evaluation import evaluate_table

    path = tmp_path / "t.csv"
    tickets().to_csv(path, index=False)
    runner = CliRunner()
    for given, rare in ((None, True), ("1", False)):
        out = tmp_path / f"model-{given}"
        extra = [] if given is None else ["--min-category-count", given]
        fitted = runner.invoke(
            app,
            ["fit", str(path), "--target", "y", "--arch", "mlp", "--epochs", "1", "--lr", "1e-3", "--out",
             str(out), *extra],
        )  # fmt: skip
        assert fitted.exit_code == 0, fitted.output
        recipe = json.loads((out / "trainwell.json").read_text())["recipe"]
        assert bool(recipe.get("rare", {}).get("ticket")) is rare, recipe.get("rare")
        shown = runner.invoke(app, ["info", str(out)], env={"COLUMNS": "200"})
        assert shown.exit_code == 0, shown.output
        count = recipe["rare"]["ticket"] if rare else 0
        values = f"{count} value{'' if count == 1 else 's'}"
        said = f"rare category values │ ticket {values} (seen in fewer than 3 training rows: one shared code"
        said = said if rare else "rare"
        assert (said in shown.output) is rare, shown.output
    with pytest.raises(ConfigError, match="min_category_count must be a whole number of rows"):
        evaluate_table(tickets(), "y", cv=2, epochs=1, min_category_count=0)
    grouped = TabularFold(tickets(), "y", infer_task(tickets()["y"]), ["accuracy"], epochs=1, lr=1e-3)
    grouped(np.arange(80), np.arange(80, 120), 0)
    single = TabularFold(
        tickets(), "y", infer_task(tickets()["y"]), ["accuracy"], epochs=1, lr=1e-3, min_category_count=1
    )
    single(np.arange(80), np.arange(80, 120), 0)
    assert grouped.recipes[0].rare["ticket"] > 0 and not single.recipes[0].rare


def test_table_only_options_are_refused_where_no_table_model_reads_them(tmp_path: Path) -> None:
    from trainwell.cli.app import app

    texts = tmp_path / "texts.csv"
    pd.DataFrame({"review": ["good film", "bad film"] * 10, "y": ["pos", "neg"] * 10}).to_csv(
        texts, index=False
    )
    ratings = tmp_path / "ratings.csv"
    pd.DataFrame({"user": [1, 2, 3] * 5, "item": [1, 2, 3, 4, 5] * 3, "r": [1.0, 2.0, 3.0] * 5}).to_csv(
        ratings, index=False
    )
    runner = CliRunner()
    cases = [
        (["fit", str(texts), "--text", "review", "--target", "y", "--cat-names", "y"],
         "--cat-names is not used by a text classifier (--text): drop it"),
        (["fit", str(ratings), "--user", "user", "--item", "item", "--target", "r", "--min-category-count", "1"],
         "--min-category-count is not used by a recommender (--user, --item): drop it"),
        (["evaluate", str(ratings), "--user", "user", "--item", "item", "--target", "r", "--ignore", "r"],
         "--ignore is not used by a recommender (--user, --item): drop it"),
        (["evaluate", str(texts), "--text", "review", "--target", "y", "--min-category-count", "2"],
         "--min-category-count is not used by a text classifier (--text): drop it"),
        (["tune", str(ratings), "--user", "user", "--item", "item", "--target", "r", "--cont-names", "r"],
         "--cont-names is not used by a recommender (--user, --item): drop it"),
        (["fit", str(texts), "--target", "y", "--min-category-count", "0"], "--min-category-count"),
    ]  # fmt: skip
    for args, said in cases:
        result = runner.invoke(app, args, env={"COLUMNS": "200"})
        assert result.exit_code == 2, (args, result.output)
        assert said in " ".join(result.output.split()), (args, result.output)
