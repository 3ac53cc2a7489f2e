"""Task inference rules, overrides, error messages, and encode/decode/JSON round trips."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

from trainwell.core.errors import ConfigError, DataError, UserError
from trainwell.data import TARGET_KINDS, TASK_KINDS, Task, infer_task
from trainwell.data.task import MAX_INTEGER_CLASSES


# ------------------------------------------------------------------------------------------- inference
@pytest.mark.parametrize(
    ("targets", "kind", "classes"),
    [
        (["cat", "dog", "cat"], "binary", ("cat", "dog")),
        ([True, False, True], "binary", (False, True)),
        (np.array([True, False, False]), "binary", (False, True)),
        ([0, 1, 1, 0], "binary", (0, 1)),
        (np.array([1, 0, 1]), "binary", (0, 1)),
        (pd.Series(["yes", "no", "no"], dtype="category"), "binary", ("no", "yes")),
        (["b", "a", "c", "a"], "multiclass", ("a", "b", "c")),
        ([3, 1, 2, 2], "multiclass", (1, 2, 3)),
        (pd.Series([2, 10, 1], dtype="Int64"), "multiclass", (1, 2, 10)),  # numeric order, not text order
        (list(range(MAX_INTEGER_CLASSES)) * 2, "multiclass", tuple(range(MAX_INTEGER_CLASSES))),
        (["1", "2", "3"], "multiclass", ("1", "2", "3")),
        ([0.5, 1.25, 3.0], "regression", ()),
        (["1.5", "2.5", "0.5"], "regression", ()),
        (list(range(MAX_INTEGER_CLASSES + 1)), "regression", ()),
        (np.arange(100), "regression", ()),
        ([["a", "b"], ["c"], []], "multilabel", ("a", "b", "c")),
        ([("x",), ("y", "x")], "multilabel", ("x", "y")),
    ],
)
def test_inference_rules(targets: Any, kind: str, classes: tuple[Any, ...]) -> None:
    task = infer_task(targets)
    assert (task.kind, task.classes) == (kind, classes)
    assert all(type(c) is type(e) for c, e in zip(task.classes, classes, strict=True))


def test_label_delim_strings_are_multilabel() -> None:
    task = infer_task(["a;b", "c", " b ; "], label_delim=";")
    assert (task.kind, task.classes) == ("multilabel", ("a", "b", "c"))


def test_dataframe_of_zero_one_columns_is_multilabel_otherwise_regression() -> None:
    labels = pd.DataFrame({"sport": [0, 1, 1], "news": [1, 0, 1]})
    assert infer_task(labels) == Task("multilabel", ("sport", "news"), ("sport", "news"))
    flags = pd.DataFrame({"a": [True, False], "b": [False, False]})
    assert infer_task(flags).kind == "multilabel"
    amounts = pd.DataFrame({"lat": [0.5, 1.0], "lon": [1, 0]})
    task = infer_task(amounts)
    assert (task.kind, task.target_names, task.n_outputs) == ("regression", ("lat", "lon"), 2)
    assert infer_task(labels, kind="regression").kind == "regression"


def test_a_class_and_a_quantity_are_not_one_regression() -> None:
    mixed = pd.DataFrame({"survived": [0, 1, 1, 0], "fare": [7.25, 71.3, 8.05, 53.1]})
    with pytest.raises(DataError, match=r"targets 'survived' \(two values: a class\) and 'fare' \(numbers\)"):
        infer_task(mixed)
    assert infer_task(mixed, kind="regression").kind == "regression"  # asked for: numbers, all of them


def test_target_name_comes_from_the_series_or_the_argument() -> None:
    assert infer_task(pd.Series(["a", "b"], name="label")).target_names == ("label",)
    assert infer_task(["a", "b"], name="y").target_names == ("y",)


@pytest.mark.parametrize(
    ("targets", "kind", "classes"),
    [
        ([0, 1, 0], "multiclass", (0, 1)),
        ([1, 2, 3], "regression", ()),
        ([0.5, 1.5, 2.5], "multiclass", (0.5, 1.5, 2.5)),
        (["a", "b"], "multilabel", ("a", "b")),
        ([True, False], "binary", (False, True)),
    ],
)
def test_kind_overrides_inference(targets: list[Any], kind: str, classes: tuple[Any, ...]) -> None:
    task = infer_task(targets, kind=kind)
    assert (task.kind, task.classes) == (kind, classes)


# ---------------------------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("targets", "kind", "error", "message"),
    [
        (
            ["a", "a", "a"],
            None,
            DataError,
            "target 'target' has a single value ('a') in every row; there is nothing to learn",
        ),
        (
            [None, None],
            None,
            DataError,
            "target 'target' has no values (all 2 are missing); pick another --target",
        ),
        (  # a name per row (Titanic's Name): an ID, not classes
            [f"passenger {i}" for i in range(30)],
            None,
            DataError,
            "target 'target' has 30 different values in 30 rows, 30 of them seen only once: a class seen once",
        ),
        (
            [f"p{i}" for i in range(16)] + ["a", "a", "b", "b"],
            "multiclass",
            DataError,
            "16 of them seen only once",
        ),
        (
            ["a", None, "b"],
            None,
            DataError,
            "target 'target' is missing in 1 of 3 rows; drop those rows or fill them before training",
        ),
        (
            [1.0, float("nan"), 2.0, float("nan")],
            None,
            DataError,
            "target 'target' is missing in 2 of 4 rows",
        ),
        (
            ["a", "b"],
            "ranking",
            ConfigError,
            "task='ranking' is not known; use one of: binary, multiclass, multilabel, regression",
        ),
        (
            ["a", "b", "c"],
            "binary",
            DataError,
            "task='binary' needs 2 classes but target 'target' has 3; use task='multiclass'",
        ),
        (
            [12.5, 3.25, 7.0, 12.5, 99.75, 3.25],  # prices: a quantity
            "binary",
            DataError,
            "task='binary' needs 2 classes but target 'target' has 4; it holds a quantity: drop task (regression)",
        ),
        (
            ["a", "b", "c"],
            "regression",
            DataError,
            "target 'target' holds text, e.g. 'a'; a regression target must be numbers",
        ),
        ([[], []], None, DataError, "target 'target' holds no labels at all"),
    ],
)
def test_errors_name_the_target_and_the_fix(
    targets: Any, kind: str | None, error: type, message: str
) -> None:
    with pytest.raises(error) as caught:
        infer_task(targets, kind=kind)
    assert message in str(caught.value)
    assert isinstance(caught.value, UserError)


def test_missing_values_in_target_columns() -> None:
    with pytest.raises(DataError, match=r"target columns \['x', 'y'\] have missing values; drop or fill"):
        infer_task(pd.DataFrame({"x": [0, None], "y": [1, 0]}))


def test_task_validates_itself() -> None:
    with pytest.raises(ConfigError, match="task 'ranking' is not known"):
        Task("ranking")
    with pytest.raises(DataError, match=r"a binary task needs exactly 2 classes, got 3: \['a', 'b', 'c'\]"):
        Task("binary", ("a", "b", "c"))
    with pytest.raises(DataError, match=r"a multiclass task needs at least 2 classes, got \['a'\]"):
        Task("multiclass", ("a",))
    assert TARGET_KINDS == ("binary", "multiclass", "multilabel", "regression")
    assert (*TARGET_KINDS, "language_model", "tagging") == TASK_KINDS
    with pytest.raises(DataError, match="a tagging task needs at least 2 different tags"):
        Task("tagging", ("O",))
    with pytest.raises(ConfigError, match="tag scheme 'bio' is not known"):
        Task("tagging", ("O", "B-X"), extra={"scheme": "bio"})


def test_the_tagging_task_round_trips_its_scheme() -> None:
    task = Task(
        "tagging", ("O", "B-PER", "I-PER"), ("ner",), extra={"scheme": "iob2", "source_scheme": "iob1"}
    )
    again = Task.from_dict(task.to_dict())
    assert again == task and again.extra == task.extra
    assert (task.n_outputs, task.loss_name, task.metric_names[0]) == (3, "token_cross_entropy", "entity_f1")
    assert task.decode(torch.tensor([[1, 2, 0, -100]])) == [["B-PER", "I-PER", "O"]]


def test_the_language_model_task() -> None:
    task = Task("language_model", extra={"vocab_size": 48})
    assert (task.n_outputs, task.loss_name, task.activation_name, task.metric_names) == (
        48,
        "cross_entropy",
        "softmax",
        (),
    )
    logits = torch.tensor([[0.1, 2.0, -1.0], [3.0, 0.0, 0.0]])
    assert task.decode(task.activate(logits)) == [1, 0]
    assert task.encode([[4, 5], [6, 7]]).dtype == torch.long
    again = Task.from_dict(task.to_dict())
    assert again.kind == "language_model" and again.n_outputs == 48
    with pytest.raises(ConfigError, match="task='language_model' reads text, not a target column"):
        infer_task(["a", "b"], kind="language_model")


# ---------------------------------------------------------------------------------------- properties
@pytest.mark.parametrize(
    ("task", "n_outputs", "loss", "activation"),
    [
        (Task("binary", ("no", "yes")), 1, "bce", "sigmoid"),
        (Task("multiclass", ("a", "b", "c")), 3, "cross_entropy", "softmax"),
        (Task("multilabel", ("x", "y")), 2, "bce", "sigmoid"),
        (Task("regression", (), ("price",)), 1, "mse", "identity"),
    ],
)
def test_task_properties(task: Task, n_outputs: int, loss: str, activation: str) -> None:
    assert (task.n_outputs, task.loss_name, task.activation_name) == (n_outputs, loss, activation)
    assert task.is_classification == (task.kind != "regression")


def test_activate_matches_torch() -> None:
    logits = torch.tensor([[0.3], [-1.2]])
    torch.testing.assert_close(Task("binary", (0, 1)).activate(logits), torch.sigmoid(logits.reshape(-1)))
    scores = torch.tensor([[1.0, 2.0, 0.5]])
    torch.testing.assert_close(Task("multiclass", (0, 1, 2)).activate(scores), torch.softmax(scores, -1))
    torch.testing.assert_close(Task("multilabel", ("a", "b", "c")).activate(scores), torch.sigmoid(scores))
    assert Task("regression").activate(logits).shape == (2,)


# --------------------------------------------------------------------------------------- round trips
@pytest.mark.parametrize(
    ("values", "codes"),
    [
        (["dog", "cat", "dog"], [1.0, 0.0, 1.0]),
        ([True, False, True], [1.0, 0.0, 1.0]),
        ([1, 0, 0], [1.0, 0.0, 0.0]),
    ],
)
def test_binary_encode_decode_round_trip(values: list[Any], codes: list[float]) -> None:
    task = infer_task(values)
    encoded = task.encode(values)
    assert encoded.dtype == torch.float32 and encoded.tolist() == codes
    assert task.decode(encoded) == values


def test_binary_decode_uses_the_threshold() -> None:
    task = Task("binary", ("no", "yes"), threshold=0.7)
    assert task.decode(torch.tensor([0.69, 0.7, 0.9])) == ["no", "yes", "yes"]


def test_multiclass_encode_decode_round_trip() -> None:
    values = ["b", "c", "a", "b"]
    task = infer_task(values)
    encoded = task.encode(values)
    assert encoded.dtype == torch.long and encoded.tolist() == [1, 2, 0, 1]
    assert task.decode(torch.nn.functional.one_hot(encoded, 3).float()) == values


def test_labels_from_a_csv_or_json_match_integer_classes() -> None:
    task = infer_task([0, 1, 2])
    assert task.encode(["2", 1.0, np.int64(0)]).tolist() == [2, 1, 0]


def test_unknown_classes_are_refused_with_the_known_ones() -> None:
    task = infer_task(["a", "b"])
    with pytest.raises(
        DataError, match=r"target values \['z'\] were not seen when the task was set up; known classes: a, b"
    ):
        task.encode(["a", "z"])


def test_labels_written_otherwise_than_known_classes_are_read_as_them_with_a_warning(tmp_path: Path) -> None:
    # UCI Adult's test file writes '>50K.' where its training file has '>50K': `trainwell fit adult.data --test
    # adult.test` stopped and asked the user to edit the test file, though which class each label means is plain.
    task = infer_task(["<=50K", ">50K"])
    with pytest.warns(
        UserWarning, match=r"read as them: ' >50k' as '>50K', '<=50K\.' as '<=50K', '>50K\.' as '>50K'"
    ):
        assert task.encode(["<=50K.", ">50K.", " >50k", "<=50K"]).tolist() == [0.0, 1.0, 1.0, 0.0]
    from trainwell.tabular import tabular_data

    frame = pd.DataFrame({"age": range(60), "income": ["<=50K", ">50K"] * 30})
    test = tmp_path / "adult_test.csv"
    frame.assign(income=frame["income"] + ".").to_csv(test, index=False)
    with pytest.warns(UserWarning, match="written otherwise"):
        data = tabular_data(frame, "income", test=test)
    assert data.test is not None and data.test.tensors[-1].tolist() == [0.0, 1.0] * 30


def test_labels_are_refused_when_one_is_no_known_class_or_classes_read_alike() -> None:
    task = infer_task(["<=50K", ">50K"])
    with pytest.raises(DataError) as caught:
        task.encode(["<=50K.", ">50K.", " >50k", "50K"])  # '50K' is no class: nothing is guessed
    assert str(caught.value).endswith(
        "known classes: <=50K, >50K; 3 of them are known classes spelled otherwise (' >50k' for '>50K'): write the "
        "labels as the training data does"
    )
    letters = infer_task(["A", "a", "b"] * 3)  # EMNIST's letters: 'A' and 'a' are two classes
    with pytest.raises(DataError, match="not seen"):
        letters.encode(["A."])


def test_unknown_joined_labels_suggest_a_delimiter_and_the_class_list_is_cut() -> None:
    # A multi-label column fitted without --label-delim: every combination was a class of its own, and a
    # combination met first in the validation rows stopped the fit with a wall of 60 classes and no way out.
    combos = [f"label{i};label{i + 1}" for i in range(30)]
    task = infer_task(["neutral", "joy", *combos] * 2)
    with pytest.raises(DataError) as caught:
        task.encode(["joy", "anger;joy"])
    message = str(caught.value)
    shown = message.split("known classes: ")[1].split(" ... (32 in all)")[0]
    assert len(shown.split(", ")) == 20 and "neutral" not in shown  # sorted last, so cut
    assert message.endswith("pass --label-delim ';' (Python: label_delim=';') to train a multi-label model")
    plain = infer_task(["Smith, J.", "Jones, K.", "a", "b", "c", "d", "e", "f", "g", "h"] * 2)
    with pytest.raises(DataError) as caught:
        plain.encode(["z"])
    assert "--label-delim" not in str(caught.value)  # a comma in a few names is no sign of joined labels


def test_multilabel_encode_decode_round_trip() -> None:
    rows = [["b"], ["a", "c"], []]
    task = infer_task(rows)
    matrix = task.encode(rows)
    assert matrix.tolist() == [[0, 1, 0], [1, 0, 1], [0, 0, 0]]
    assert task.decode(matrix) == rows
    # A 0/1 matrix given directly is used as is.
    assert task.encode(np.array(matrix.tolist())).tolist() == matrix.tolist()


def test_multilabel_rows_of_equal_length_are_labels_not_a_matrix() -> None:
    task = infer_task([["a", "b"], ["b"]])
    assert task.encode([["a", "b"], ["b", "a"]]).tolist() == [[1, 1], [1, 1]]
    assert task.encode(torch.tensor([[0, 1]])).tolist() == [[0, 1]]


def test_multilabel_text_is_split_by_the_delimiter_when_encoded() -> None:
    task = infer_task(["a;b", "c", "b"], label_delim=";")
    assert task.encode(["a;b", "c", "b ; c"]).tolist() == [[1, 1, 0], [0, 0, 1], [0, 1, 1]]
    restored = Task.from_dict(json.loads(json.dumps(task.to_dict())))
    assert restored.encode(["c;a"]).tolist() == [[1, 0, 1]]


@pytest.mark.filterwarnings("error")  # e.g. torch's warning about a read-only array from pandas
def test_multilabel_dataframe_encodes_columns() -> None:
    labels = pd.DataFrame({"sport": [0, 1], "news": [1, 1]})
    assert infer_task(labels).encode(labels).tolist() == [[0, 1], [1, 1]]


@pytest.mark.filterwarnings("error")
def test_regression_encode_and_decode() -> None:
    task = infer_task([0.5, 1.5, 2.25])
    encoded = task.encode([0.5, 1.5, 2.25])
    assert encoded.dtype == torch.float32 and encoded.tolist() == [0.5, 1.5, 2.25]
    assert task.decode(encoded) == [0.5, 1.5, 2.25]
    two = infer_task(pd.DataFrame({"a": [0.5, 1.0], "b": [2.0, 3.5]}))
    assert two.encode(pd.DataFrame({"a": [0.5, 1.0], "b": [2.0, 3.5]})).shape == (2, 2)


@pytest.mark.parametrize(
    "targets",
    [
        np.array([3, 1, 2, 1]),  # numpy ints must come back as Python ints
        [True, False],
        ["low", "high", "mid"],
        [0.0, 1.0, 0.0],
        [["a"], ["b", "c"]],
        pd.Series([0.5, 1.5, 2.25], name="price"),
    ],
)
def test_task_survives_a_json_round_trip(targets: Any) -> None:
    task = infer_task(targets)
    restored = Task.from_dict(json.loads(json.dumps(task.to_dict())))
    assert restored == task
    assert [type(c) for c in restored.classes] == [type(c) for c in task.classes]
    if task.kind != "multilabel":
        values = list(targets)
        assert restored.decode(task.activate(_perfect_output(task, values))) == values


def _perfect_output(task: Task, values: list[Any]) -> torch.Tensor:
    """Raw outputs that decode to exactly ``values``."""
    codes = task.encode(values)
    if task.kind == "binary":
        return (codes * 20 - 10).reshape(-1, 1)
    if task.kind == "multiclass":
        return torch.nn.functional.one_hot(codes, len(task.classes)).float() * 10
    return codes.reshape(-1, 1)


def test_threshold_and_names_survive_the_round_trip() -> None:
    task = Task("binary", (False, True), ("churned",), threshold=0.3)
    data = json.loads(json.dumps(task.to_dict()))
    assert data == {"kind": "binary", "classes": [False, True], "target_names": ["churned"], "threshold": 0.3}
    assert Task.from_dict(data) == task


@pytest.mark.parametrize("kind", [None, "regression"])
def test_several_targets_with_text_are_one_line_not_a_traceback(kind: str | None) -> None:
    frame = pd.DataFrame({"Fare": [1.0, 2.5, 3.0, 7.0], "Sex": ["male", "female", "male", "male"]})
    with pytest.raises(
        DataError, match=r"target 'Sex' holds text, e\.g\. 'male'; several targets train as one"
    ):
        infer_task(frame, name="Fare", kind=kind)


def test_a_target_named_twice_is_refused() -> None:
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0]})
    with pytest.raises(ConfigError, match="target 'a' is named twice in --target"):
        infer_task(frame[["a", "a"]], name="a")


# ------------------------------------------------------------------------------ per-label thresholds
def test_multilabel_decodes_with_a_threshold_per_label() -> None:
    task = Task("multilabel", ("a", "b", "c"), ("tags",), label_thresholds=[0.2, 0.5, 0.9])
    assert task.label_thresholds == (0.2, 0.5, 0.9)
    assert task.decision_threshold == (0.2, 0.5, 0.9)
    probabilities = torch.tensor([[0.3, 0.3, 0.8], [0.1, 0.6, 0.95]])
    assert task.decode(probabilities) == [["a"], ["b", "c"]]
    assert Task("multilabel", ("a", "b", "c"), ("tags",)).decode(probabilities) == [["c"], ["b", "c"]]


def test_label_thresholds_survive_the_json_round_trip() -> None:
    task = Task("multilabel", ("a", "b"), ("tags",), label_delim=";", label_thresholds=(0.125, 0.75))
    data = json.loads(json.dumps(task.to_dict()))
    assert data["label_thresholds"] == [0.125, 0.75]
    assert Task.from_dict(data) == task


def test_an_old_task_dict_without_label_thresholds_loads_unchanged() -> None:
    old = {"kind": "multilabel", "classes": ["a", "b"], "target_names": ["tags"], "threshold": 0.5}
    task = Task.from_dict(old)
    assert task.label_thresholds == () and task.decision_threshold == 0.5
    assert task.to_dict() == old  # nothing new is written for it either
    assert task.decode(torch.tensor([[0.4, 0.5]])) == [["b"]]


@pytest.mark.parametrize(
    ("kind", "classes", "thresholds", "message"),
    [
        ("binary", ("n", "y"), (0.3,), "fit a multilabel task"),
        ("multilabel", ("a", "b"), (0.3,), "1 thresholds for 2 labels"),
        ("multilabel", ("a", "b"), (0.3, 1.0), "strictly between 0 and 1"),
    ],
)
def test_label_thresholds_are_checked(
    kind: str, classes: tuple[str, ...], thresholds: tuple[float, ...], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        Task(kind, classes, ("y",), label_thresholds=thresholds)


def test_label_delim_is_refused_on_numbers_and_on_several_columns() -> None:
    from trainwell.core.errors import ConfigError, DataError

    with pytest.raises(DataError, match="target 'price' holds numbers: drop label_delim"):
        infer_task(pd.Series([1.5, 2.0, 3.25], name="price"), label_delim=";")
    with pytest.raises(ConfigError, match=r"are separate columns .* drop label_delim"):
        infer_task(pd.DataFrame({"a": [0, 1], "b": [1, 1]}), label_delim=";")


def test_a_cell_of_spaces_is_an_empty_cell() -> None:
    from trainwell.core.errors import DataError

    with pytest.raises(DataError, match="target 'tag' is missing in 1 of 3 rows"):
        infer_task(pd.Series(["a", "   ", "b"], name="tag"))
    task = infer_task(pd.Series(["a|b", "  ", "b"], name="tags"), label_delim="|")
    assert task.classes == ("a", "b")  # no class named "  ": that row has no label


# ------------------------------------------------------------------------ targets as 2-D arrays (sklearn's y)
def test_a_matrix_of_numbers_is_one_target_per_column_not_a_list_of_labels() -> None:
    rng = np.random.default_rng(0)
    values = rng.normal(size=(30, 2)).astype(np.float32)
    for targets in (values, torch.from_numpy(values)):
        task = infer_task(targets)
        assert (task.kind, task.target_names, task.n_outputs) == ("regression", ("target_0", "target_1"), 2)
        assert infer_task(targets, kind="regression") == task  # the override was ignored: multilabel
        torch.testing.assert_close(task.encode(targets), torch.from_numpy(values))


def test_a_matrix_of_flags_is_multilabel_with_one_label_per_column() -> None:
    flags = (np.random.default_rng(0).random((30, 5)) > 0.5).astype(np.int64)
    task = infer_task(flags, name="tags")
    assert task.kind == "multilabel" and task.n_outputs == 5  # was 2: the classes were the values 0 and 1
    assert task.classes == ("tags_0", "tags_1", "tags_2", "tags_3", "tags_4")
    assert task.encode(flags).tolist() == flags.tolist()


def test_a_single_column_is_the_same_target_as_a_vector() -> None:
    numbers = np.linspace(0, 10, 40).reshape(-1, 1)
    assert infer_task(numbers) == infer_task(numbers[:, 0])
    assert infer_task(numbers).encode(numbers).shape == (40,)
    labels = np.array([[0], [1], [2]] * 10)
    task = infer_task(torch.from_numpy(labels))
    assert (task.kind, task.classes) == ("multiclass", (0, 1, 2))
    assert task.encode(labels).tolist() == [0, 1, 2] * 10


def test_one_class_per_row_for_several_targets_is_refused() -> None:
    with pytest.raises(ConfigError, match="task='multiclass' predicts one class per row, but there are 2"):
        infer_task(np.zeros((6, 2)) + np.arange(6)[:, None], kind="multiclass")


def test_classes_that_differ_only_in_case_or_punctuation_are_warned_of() -> None:
    # 'Yes' and 'yes' typed by two people: the model learns to tell them apart by chance, and nobody is told.
    labels = ["Yes"] * 5 + ["yes"] * 3 + ["No"] * 4 + ["no."] * 2
    with pytest.warns(UserWarning) as caught:
        task = infer_task(pd.Series(labels, name="answer"))
    assert task.classes == ("No", "Yes", "no.", "yes")  # only a warning: EMNIST's 'A' and 'a' are two classes
    assert [str(w.message) for w in caught] == [
        "target 'answer' has classes that differ only in case, spaces or punctuation: 'Yes' (5 rows) and 'yes' "
        "(3 rows); 1 more such group(s); if they are one class, write them alike in the data"
    ]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        infer_task(["cat", "dog", "Cat-fish", 1, 1.0])
    assert not [w for w in caught if "differ only in case" in str(w.message)]


def test_classes_written_partly_as_numbers_and_partly_as_words_are_warned_of() -> None:
    # Adult's income as '<=50K'/'>50K' in half the rows and as codes 0-6 in the others: learned as 9 classes.
    labels = ["<=50K"] * 10 + [">50K"] * 6 + [str(code) for code in range(7)] * 2
    with pytest.warns(UserWarning) as caught:
        task = infer_task(pd.Series(labels, name="income"))
    assert len(task.classes) == 9
    assert [str(w.message) for w in caught] == [
        "target 'income' writes some classes as numbers ('0', '1', '2', '3' ... (7 in all): 14 rows) and others as "
        "words ('<=50K', '>50K': 16 rows), so it is learned as 9 classes; if the numbers code the words (or the data "
        "joins two codings), write every label one way"
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        infer_task(["3"] * 40 + ["N/A"])  # a stray cell (under 5% of the rows) is no second coding
        infer_task(["cat", "dog"] * 10)


def test_labels_written_as_numbers_are_classes_in_numeric_order() -> None:
    # GoEmotions' labels are ids in text ("0,15"): 2 comes before 10, not after 19, in every column and list.
    task = infer_task(pd.Series(["0,15", "2", "10", "19,2", "1"]), label_delim=",")
    assert task.kind == "multilabel" and task.classes == ("0", "1", "2", "10", "15", "19")
    mixed = infer_task(pd.Series(["b", "10", "a", "9", "b"]), kind="multiclass")
    assert mixed.classes == ("9", "10", "a", "b")  # numbers first, then text


def test_a_binary_tasks_scores_are_of_the_label_the_other_negates_or_the_one_named() -> None:
    # F1 and the probability were of 'no churn', the later in sorted order: "churn F1 0.85" was no churn's.
    from trainwell.data.task import infer_task

    assert infer_task(["churn", "no churn", "no churn"]).classes == ("no churn", "churn")
    assert infer_task(["Not_Interested", "interested"]).classes == ("Not_Interested", "interested")
    assert infer_task(["+", "-", "-"]).classes == ("-", "+")
    assert infer_task(["no", "yes"]).classes == ("no", "yes")  # already so
    assert infer_task(["fraud", "legit"]).classes == ("fraud", "legit")
    assert infer_task(["fraud", "legit"], positive="fraud").classes == ("legit", "fraud")
    assert infer_task([0, 1, 1], positive="0").classes == (
        1,
        0,
    )  # compared as text, as the command line gives it
    with pytest.raises(
        ConfigError, match=r"^positive='frau' is not a class of target 'target'; its classes are"
    ):
        infer_task(["fraud", "legit"], positive="frau")
    with pytest.raises(
        ConfigError, match=r"^positive='a' names the class a binary target's scores are of; target"
    ):
        infer_task(["a", "b", "c"], positive="a")
