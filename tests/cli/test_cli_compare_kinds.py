"""``trainwell compare A B --data ...`` for text classifiers, image models and ratings models: two models of each
kind fitted by the real command, judged on the same held-out texts (a table, a folder of class folders), images (a
folder of splits, a CSV of paths) and ratings.

The figures are checked against each model's own predictions scored in this process; models of another kind or of
another label set are one line naming both models, exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import torch
from cli_support import CliResult, compared, fitted_models, run_cli, run_cli_many

import trainwell
from image_files import make_image_folder
from ratings_support import low_rank_ratings
from text_samples import reviews
from trainwell.evaluate.paired import metric_fn

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Texts, images and ratings (training and held-out) and two models fitted on each, by name."""
    folder = tmp_path_factory.mktemp("compare_kinds")
    reviews(200, 0, shuffle=True).to_csv(folder / "reviews.csv", index=False)
    held = reviews(60, 1, shuffle=True)
    held.to_csv(folder / "held.csv", index=False)
    for index, (text, label) in enumerate(zip(held["review"], held["sentiment"], strict=True)):
        (folder / "held_texts" / label).mkdir(parents=True, exist_ok=True)
        (folder / "held_texts" / label / f"{index:03d}.txt").write_text(text, encoding="utf-8")
    three = reviews(200, 2, shuffle=True)
    three.loc[three.index % 5 == 0, "sentiment"] = "mixed"
    three.to_csv(folder / "three.csv", index=False)
    for name, frame in (
        ("tags.csv", reviews(200, 3)),
        ("tags_held.csv", held),
    ):  # a second label on long texts
        tags = [
            f"{mood}|long" if len(text) > 40 else mood
            for text, mood in zip(frame["review"], frame["sentiment"], strict=True)
        ]
        frame.assign(sentiment=tags).to_csv(folder / name, index=False)
    make_image_folder(folder / "photos" / "train", per_class=12, seed=0)
    make_image_folder(folder / "photos" / "test", per_class=8, seed=1)
    ratings = low_rank_ratings(0, n_ratings=1200).frame
    ratings.iloc[:1000].to_csv(folder / "ratings.csv", index=False)
    ratings.iloc[1000:].to_csv(folder / "ratings_held.csv", index=False)
    texts = [folder / "reviews.csv", "--text", "review", "--target", "sentiment", "--model", "fast"]
    rated = [folder / "ratings.csv", "--user", "user", "--item", "item", "--target", "rating"]
    commands: dict[str, list[str | Path]] = {
        "text_0": ["fit", *texts, "--epochs", "1", "--seed", "0"],
        "text_1": ["fit", *texts, "--epochs", "3", "--seed", "1"],
        "text_3": ["fit", folder / "three.csv", *texts[1:], "--epochs", "1"],
        "tags": ["fit", folder / "tags.csv", *texts[1:], "--label-delim", "|", "--epochs", "2"],
        "image_24": ["fit", folder / "photos", "--arch", "simple_cnn", "--epochs", "1"],
        "image_16": ["fit", folder / "photos", "--arch", "simple_cnn", "--epochs", "1", "--size", "16", "--seed", "1"],
        "rating_1": ["fit", *rated, "--epochs", "1"],
        "rating_3": ["fit", *rated, "--epochs", "3", "--seed", "1"],
    }  # fmt: skip
    return fitted_models(folder, commands)


def expected_scores(
    a: object, b: object, inputs: object, targets: torch.Tensor, metric: str
) -> tuple[float, float]:
    """Each model's own ``metric`` of its predictions of ``inputs``, at its own decision threshold."""
    return tuple(  # type: ignore[return-value]
        metric_fn(metric, model.task.kind, model.task.decision_threshold)(
            model.predict_proba(inputs), targets
        )  # type: ignore[attr-defined]
        for model in (a, b)
    )


def test_text_classifiers_compare_on_a_table_and_on_a_folder_of_class_folders(
    models: dict[str, Path],
) -> None:
    result, found = compared(models, "text_0", "text_1", "held.csv", "--resamples", "300")
    assert (found["task"], found["rows"], found["unit"]) == ("binary", 60, "texts")
    assert [row["metric"] for row in found["metrics"]] == ["accuracy", "roc_auc", "f1"]
    held = pd.read_csv(models["folder"] / "held.csv")
    a, b = trainwell.load(models["text_0"]), trainwell.load(models["text_1"])
    targets = a.task.encode(held["sentiment"])
    for row in found["metrics"]:
        expected_a, expected_b = expected_scores(a, b, held, targets, row["metric"])
        assert row["a"] == pytest.approx(expected_a, abs=1e-6)
        assert row["b"] == pytest.approx(expected_b, abs=1e-6)
        assert row["difference"] == pytest.approx(expected_b - expected_a, abs=1e-6)
        low, high = row["difference_interval"]
        assert low <= row["difference"] <= high
    right = [(model.predict_proba(held) >= 0.5).float() == targets for model in (a, b)]
    assert found["mcnemar"]["a_only"] == int((right[0] & ~right[1]).sum())
    assert found["mcnemar"]["b_only"] == int((right[1] & ~right[0]).sum())
    assert "judged on the same 60 labelled texts of" in result.stdout
    assert "interval over texts (300 resamples)" in result.stdout and "McNemar exact p" in result.stdout
    # The same texts as .txt files in class folders: the same figures (each metric is the same on any order).
    _, folder = compared(models, "text_0", "text_1", "held_texts", "--resamples", "300")
    assert folder["rows"] == 60 and folder["mcnemar"] == found["mcnemar"]
    for by_folder, by_table in zip(folder["metrics"], found["metrics"], strict=True):
        assert by_folder["a"] == pytest.approx(by_table["a"], abs=1e-6)
        assert by_folder["b"] == pytest.approx(by_table["b"], abs=1e-6)


def test_multi_label_text_models_compare_each_label_decided_and_refuse_a_label_they_do_not_know(
    models: dict[str, Path],
) -> None:
    result, found = compared(
        models, "tags", "tags", "tags_held.csv", "--metric", "f1", "--metric", "log_loss"
    )
    assert (found["task"], found["rows"], found["mcnemar"]) == ("multilabel", 60, None)
    held = pd.read_csv(models["folder"] / "tags_held.csv")
    tags = trainwell.load(models["tags"])
    targets = tags.task.encode(held["sentiment"])
    for row in found["metrics"]:
        expected, _ = expected_scores(tags, tags, held, targets, row["metric"])
        assert row["a"] == pytest.approx(expected, abs=1e-6) and row["difference_interval"] == [0, 0]
    assert "McNemar" not in result.stdout
    # A label the models never learnt was scored as if it were not there.
    odd = models["folder"] / "tags_odd.csv"
    held.assign(sentiment=[f"{held['sentiment'][0]}|weird", *held["sentiment"][1:]]).to_csv(odd, index=False)
    refused = run_cli("compare", models["tags"], models["tags"], "--data", odd)
    assert one_error(refused).endswith(
        f"{odd} has labels the models do not know: ['weird']; their labels are long, neg, pos"
    )


def test_image_models_of_different_sizes_compare_on_a_test_split_and_on_a_csv_of_paths(
    models: dict[str, Path],
) -> None:
    result, found = compared(
        models, "image_24", "image_16", "photos", "--metric", "accuracy", "--metric", "log_loss"
    )
    assert (found["task"], found["rows"], found["unit"]) == ("binary", 16, "images")
    assert "(the test split of" in found["examples"] and "labelled images of" in result.stdout
    files = sorted((models["folder"] / "photos" / "test").rglob("*.png"))
    a, b = trainwell.load(models["image_24"]), trainwell.load(models["image_16"])
    assert a.recipe.size != b.recipe.size  # each model reads the images at its own size
    targets = a.task.encode([path.parent.name for path in files])
    for row in found["metrics"]:
        expected_a, expected_b = expected_scores(a, b, files, targets, row["metric"])
        assert row["a"] == pytest.approx(expected_a, abs=1e-5)
        assert row["b"] == pytest.approx(expected_b, abs=1e-5)
    # The same images listed in a CSV of paths and labels, and a file that cannot be decoded: left out of both.
    listed = models["folder"] / "photos" / "listed.csv"
    (listed.parent / "broken.png").write_bytes(b"not an image")
    paths = [path.relative_to(listed.parent).as_posix() for path in files]
    labels = [path.split("/")[1] for path in paths]
    pd.DataFrame({"file": [*paths, "broken.png"], "shape": [*labels, "vertical"]}).to_csv(listed, index=False)
    by_csv = run_cli(
        "compare", models["image_24"], models["image_16"], "--data", listed, "--path-col", "file", "--label-col",
        "shape", "--metric", "accuracy", "--metric", "log_loss", "--json", listed.with_suffix(".json"),
    )  # fmt: skip
    assert by_csv.returncode == 0, by_csv.explain()
    assert "skipped 1 unreadable image file(s) of 17" in by_csv.stderr
    from_csv = json.loads(listed.with_suffix(".json").read_text(encoding="utf-8"))
    assert from_csv["rows"] == 16
    for by_list, by_folder in zip(from_csv["metrics"], found["metrics"], strict=True):
        assert by_list["a"] == pytest.approx(by_folder["a"], abs=1e-6)
        assert by_list["b"] == pytest.approx(by_folder["b"], abs=1e-6)


def test_ratings_models_compare_by_their_predicted_ratings(models: dict[str, Path]) -> None:
    result, found = compared(models, "rating_1", "rating_3", "ratings_held.csv", "--resamples", "200")
    assert (found["task"], found["rows"], found["unit"], found["mcnemar"]) == (
        "regression",
        200,
        "ratings",
        None,
    )
    held = pd.read_csv(models["folder"] / "ratings_held.csv")
    truth = torch.tensor(held["rating"].to_numpy(), dtype=torch.float32)
    by_name = {row["metric"]: row for row in found["metrics"]}
    for key, name in (("a", "rating_1"), ("b", "rating_3")):
        predicted = trainwell.load(models[name]).predict_proba(held).reshape(-1)
        assert by_name["rmse"][key] == pytest.approx(
            float(((predicted - truth) ** 2).mean().sqrt()), rel=1e-5
        )
    assert "labelled ratings of" in result.stdout and "McNemar" not in result.stdout


def one_error(result: CliResult) -> str:
    assert result.returncode == 2, result.explain()
    assert len(result.stderr_lines) == 1 and "Traceback" not in result.stderr, result.explain()
    return result.stderr_lines[0]


def test_models_of_another_kind_or_label_set_are_one_line_naming_both(models: dict[str, Path]) -> None:
    folder = models["folder"]
    pd.read_csv(folder / "held.csv").rename(columns={"sentiment": "mood"}).to_csv(
        folder / "moods.csv", index=False
    )
    language_model = folder / "language_model"  # refused by its trainwell.json alone, before any loading
    language_model.mkdir(exist_ok=True)
    (language_model / "trainwell.json").write_text(
        json.dumps({"application": "text", "task": {"kind": "language_model"}}), encoding="utf-8"
    )
    results = run_cli_many(
        [
            ["compare", models["text_0"], models["image_24"], "--data", folder / "held.csv"],
            ["compare", models["text_0"], language_model, "--data", folder / "held.csv"],
            ["compare", models["text_0"], models["text_3"], "--data", folder / "held.csv"],
            ["compare", models["text_0"], models["text_1"], "--data", folder / "moods.csv"],
            ["compare", models["text_0"], models["text_1"], "--data", folder / "held.csv", "--path-col", "x"],
            [
                "compare",
                models["image_24"],
                models["image_16"],
                "--data",
                folder / "photos",
                "--label-col",
                "y",
            ],
        ]
    )
    lines = [one_error(result) for result in results]
    text_0, text_3, image_24 = (f"'{models[name]}'" for name in ("text_0", "text_3", "image_24"))
    assert f"A {text_0} is a text classifier but B {image_24} is an image model" in lines[0]
    assert (
        f"model B '{language_model}' is a language model: judge it alone with trainwell report {language_model}"
        in lines.pop(1)
    )
    assert (
        f"A {text_0} and B {text_3} know different classes of 'sentiment': A neg, pos; B mixed, neg, pos"
        in lines[1]
    )
    assert (
        "target column 'sentiment' not found in '" in lines[2]
        and "moods.csv': compare needs labelled" in lines[2]
    )
    assert (
        "--path-col is for image models judged on a CSV of paths and labels, not a text classifier"
        in lines[3]
    )
    assert "--label-col is for a CSV of paths and labels, not a folder of class folders" in lines[4]
