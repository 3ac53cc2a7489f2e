"""Honest evaluation of tables: the constant answer a model is compared with is the training rows' commoner class;
an ID column and a group key are left out of the inputs, said in one line; a caution on few rows is a line of its
own under the table; labels a held-out file holds that no training row does are said."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from rich.console import Console

from trainwell.tabular import evaluate_table, fit_table, tabular_data


def _skewed(n: int, share_of_ones: float, seed: int) -> pd.DataFrame:
    """Rows whose target is '1' on ``share_of_ones`` of them, with an input that tells it only roughly."""
    rng = np.random.default_rng(seed)
    y = (np.arange(n) < round(share_of_ones * n)).astype(int)
    rng.shuffle(y)
    return pd.DataFrame({"x": y + rng.normal(scale=1.5, size=n), "z": rng.normal(size=n), "y": y})


@pytest.fixture(scope="module")
def skewed_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """A model trained on rows of 20% '1', validated on rows of 80% '1' (marked by a column)."""
    train, valid = _skewed(300, 0.2, 0), _skewed(60, 0.8, 1)
    frame = pd.concat([train.assign(is_valid=False), valid.assign(is_valid=True)], ignore_index=True)
    out = tmp_path_factory.mktemp("skewed") / "model"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = fit_table(frame, "y", out=out, arch="gbdt", valid_col="is_valid", progress=False)
    return out, run


def test_the_model_directory_keeps_the_training_class_shares(skewed_model: tuple[Path, object]) -> None:
    out, _ = skewed_model
    shares = json.loads((out / "trainwell.json").read_text(encoding="utf-8"))["training"]["class_shares"]
    assert shares == pytest.approx([0.8, 0.2])


def test_the_fit_table_names_the_training_majority_not_the_validation_rows(
    skewed_model: tuple[Path, object],
) -> None:
    from trainwell.cli._show import show_metrics

    _, run = skewed_model
    console = Console(record=True, width=400)
    show_metrics(run.learn, console)  # type: ignore[attr-defined]
    text = console.export_text()
    # 80% of the validation rows are '1': always answering the training rows' '0' scores 20% on them.
    assert "always answering '0', the training rows' commoner class, would score 20%" in text, text
    assert "commoner class of these rows" not in text, text


def test_the_report_names_the_training_majority_and_an_old_directory_says_whose(
    skewed_model: tuple[Path, object], tmp_path: Path
) -> None:
    from trainwell.report.build import build_report

    out, _ = skewed_model
    test = _skewed(100, 0.8, 2)
    page = build_report(out, test, tmp_path / "report.html").read_text(encoding="utf-8")
    assert "always answering &#x27;0&#x27;, the training rows&#x27; commoner class, would score 20%" in page
    # A model directory written before the shares were kept: the judged rows' own majority, said as such.
    metadata = json.loads((out / "trainwell.json").read_text(encoding="utf-8"))
    del metadata["training"]["class_shares"]
    old = tmp_path / "old"
    old.mkdir()
    for path in out.iterdir():
        if path.is_file():
            (old / path.name).write_bytes(path.read_bytes())
    (old / "trainwell.json").write_text(json.dumps(metadata), encoding="utf-8")
    page = build_report(old, test, tmp_path / "old.html").read_text(encoding="utf-8")
    assert "always answering &#x27;1&#x27;, the commoner class of these rows, would score 80%" in page


def test_a_multiclass_accuracy_names_the_training_rows_commonest_class() -> None:
    from trainwell.data.task import Task
    from trainwell.evaluate.explain import explain_validation

    task = Task("multiclass", ("a", "b", "c"), target_names=("y",))
    targets = torch.tensor([2] * 6 + [0] * 2 + [1] * 2)
    probabilities = torch.full((10, 3), 1 / 3)
    trained = explain_validation(task, probabilities, targets, ["accuracy"], train_shares=[0.7, 0.2, 0.1])
    assert "always answering 'a', the training rows' commonest class, would score 20%" in trained[0].sentence
    own = explain_validation(task, probabilities, targets, ["accuracy"])
    assert "always answering 'c', the commonest class of these rows, would score 60%" in own[0].sentence


def _ids_csv(path: Path, n: int = 40) -> Path:
    rng = np.random.default_rng(0)
    x = rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "pid": [f"p{index + 17}" for index in range(n)],
            "PassengerId": np.arange(1, n + 1),
            "x": x,
            "count": rng.permutation(n) * 3,  # a different whole number in every row, but no ID by its name
            "colour": rng.choice(["red", "green", "blue"], n),
            "y": (x + rng.normal(scale=0.5, size=n) > 0).astype(int),
        }
    )
    frame.to_csv(path, index=False)
    return path


def test_an_id_column_of_a_small_table_is_left_out_in_one_line(tmp_path: Path) -> None:
    source = _ids_csv(tmp_path / "people.csv")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = tabular_data(source, "y")
    recipe = data.recipe
    assert "pid" not in recipe.columns and "PassengerId" not in recipe.columns, recipe.columns
    assert {"x", "count", "colour"} <= set(recipe.columns), recipe.columns
    said = [str(w.message) for w in caught if "left out of the inputs" in str(w.message)]
    assert len([line for line in said if line.startswith("column 'pid'")]) == 1, said
    pid = next(line for line in said if line.startswith("column 'pid'"))
    assert "a different code in every training row ('p" in pid and "an ID" in pid, pid
    assert "pass --cat-names pid (Python: cat_names=['pid']) to keep it" in pid, pid
    assert "--cont-names PassengerId" in recipe.dropped["PassengerId"], recipe.dropped
    assert "to keep it" in recipe.dropped["pid"]  # what `trainwell info` says, not "left out as asked"
    kept = tabular_data(source, "y", cat_names=["pid"])
    assert "pid" in kept.recipe.cat_names


def test_group_column_is_left_out_of_the_inputs_unless_declared(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    rows = []
    for patient in range(30):
        base = rng.normal()
        rows += [
            {
                "patient_id": f"pt{patient}",
                "x": base + rng.normal(scale=0.3),
                "y": "yes" if base > 0 else "no",
            }
            for _ in range(4)
        ]
    source = tmp_path / "visits.csv"
    pd.DataFrame(rows).to_csv(source, index=False)
    settings = {"cv": 2, "arch": "gbdt", "baselines": False, "groups": "patient_id"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        evaluate_table(source, "y", **settings)  # type: ignore[arg-type]
    said = [str(w.message) for w in caught if "folds grouped by" in str(w.message)]
    assert said == [
        "folds grouped by 'patient_id': 'patient_id' is left out of the inputs of every model here (a group key "
        "as an input lets a model memorise the groups); pass --cat-names patient_id (Python: "
        "cat_names=['patient_id']) to keep it as an input"
    ], said
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        evaluate_table(source, "y", cat_names=["patient_id"], **settings)  # type: ignore[arg-type]
    assert not [w for w in caught if "folds grouped by" in str(w.message)]


def test_the_small_sample_caution_is_a_line_under_the_table(tmp_path: Path) -> None:
    from trainwell.cli._show import show_metrics

    frame = _skewed(60, 0.5, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = fit_table(frame, "y", arch="gbdt", progress=False)  # 12 validation rows
    console = Console(record=True, width=400)
    show_metrics(run.learn, console)
    lines = console.export_text().splitlines()
    caution = [index for index, line in enumerate(lines) if "Caution: only 12 rows" in line]
    assert len(caution) == 1, lines
    assert lines[caution[0]].startswith("Caution: only 12 rows, so every figure in the table is rough"), lines
    assert lines[caution[0] - 1].startswith("└"), lines  # right under the table, not in a cell
    assert not any("caution" in line.lower() for line in lines if line.startswith("│")), lines


def test_the_reports_caution_is_a_paragraph_after_its_table(tmp_path: Path) -> None:
    from trainwell.data.task import Task
    from trainwell.report.build import _metrics_section

    task = Task("binary", (0, 1), target_names=("y",))
    generator = torch.Generator().manual_seed(0)
    section = _metrics_section(
        task, torch.rand(15, generator=generator), (torch.rand(15) > 0.5).float(), 15, "x"
    )
    table_end = section.index("</table>")
    assert re.search(r"<p>Caution: only 15 rows, so every figure in the table is rough", section[table_end:])
    assert "aution" not in section[:table_end]


def test_labels_only_the_test_file_holds_are_said_with_their_rows(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)

    def tags(n: int, extra: bool) -> pd.DataFrame:
        x1, x2 = rng.normal(size=n), rng.normal(size=n)
        labels = []
        for index in range(n):
            held = [name for name, value in (("red", x1[index]), ("blue", x2[index])) if value > 0]
            if extra and index % 5 == 0:
                held.append("zebra")
            labels.append(";".join(held))
        return pd.DataFrame({"x1": x1, "x2": x2, "tags": labels})

    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    tags(120, False).to_csv(train, index=False)
    tags(30, True).to_csv(test, index=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = tabular_data(train, "tags", label_delim=";", test=test)
    said = [str(w.message) for w in caught if "no training row holds" in str(w.message)]
    assert said == [
        f"the test data {test}: 1 label no training row holds: 'zebra' (6 rows), on 6 of its 30 rows; the model "
        "has no output for it, so the test scores leave it out, counting no miss for it, and flatter the model on "
        "those rows: train on rows that hold it to judge it"
    ], said
    assert "zebra" not in data.task.classes


def test_a_report_on_rows_holding_labels_no_training_row_held_says_so(tmp_path: Path) -> None:
    from trainwell.report.build import build_report

    rng = np.random.default_rng(2)

    def tags(n: int, extra: bool) -> pd.DataFrame:
        x1, x2 = rng.normal(size=n), rng.normal(size=n)
        labels = [
            ";".join(
                [name for name, value in (("red", x1[index]), ("blue", x2[index])) if value > 0]
                + (["yak"] if extra and index % 4 == 0 else [])
            )
            for index in range(n)
        ]
        return pd.DataFrame({"x1": x1, "x2": x2, "tags": labels})

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit_table(tags(120, False), "tags", label_delim=";", out=tmp_path / "model", epochs=1, progress=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        page = build_report(tmp_path / "model", tags(20, True), tmp_path / "r.html").read_text(
            encoding="utf-8"
        )
    said = [str(w.message) for w in caught if "no training row holds" in str(w.message)]
    assert len(said) == 1 and "'yak' (5 rows), on 5 of its 20 rows" in said[0], said
    assert "the report&#x27;s figures leave it out, counting no miss for it" in page
