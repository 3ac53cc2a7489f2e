"""Classes written as codes and given names (``label_names``, ``--label-names``): the names are the classes,
files written either way are read alike, and every mistake in the names is one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainwell.core.errors import ConfigError, DataError
from trainwell.core.label_names import read_label_names
from trainwell.data.task import Task, infer_task, name_labels

EMOTIONS = ["admiration", "amusement", "anger", "neutral"]


def test_positional_names_follow_the_codes_order_and_either_spelling_encodes_alike() -> None:
    task = infer_task(["2,0", "3", "0", "1,2"], name="labels", label_delim=",", label_names=EMOTIONS)
    assert task.classes == ("admiration", "amusement", "anger", "neutral")
    assert task.label_codes == ("0", "1", "2", "3")
    by_code = task.encode(["2,0", "3", "1"])
    by_name = task.encode(["anger,admiration", "neutral", "amusement"])
    assert by_code.tolist() == by_name.tolist() == [[1, 0, 1, 0], [0, 0, 0, 1], [0, 1, 0, 0]]
    assert task.unknown_classes(["2", "anger", "7", "joy"]) == ["7", "joy"]
    assert task.as_class(3) == "neutral" and task.as_class("joy") == "joy"


def test_a_single_label_task_decodes_to_the_names_and_survives_json() -> None:
    import torch

    task = infer_task([1, 0, 1, 1, 0], name="y", label_names={"0": "negative", "1": "positive"})
    assert task.kind == "binary" and task.classes == ("negative", "positive")
    assert task.decode(torch.tensor([0.9, 0.1])) == ["positive", "negative"]
    assert task.encode([1, "negative", 1.0]).tolist() == [1.0, 0.0, 1.0]
    again = Task.from_dict(task.to_dict())
    assert again == task and again.label_codes == (0, 1)
    assert again.encode(["1", "positive"]).tolist() == [1.0, 1.0]


def test_names_of_text_labels_by_pairs() -> None:
    task = infer_task(["neg", "pos", "neg"], label_names={"neg": "negative", "pos": "positive"})
    assert task.classes == ("negative", "positive") and task.encode(["pos"]).tolist() == [1.0]


@pytest.mark.parametrize(
    ("labels", "names", "said"),
    [
        (
            ["0", "1", "5"],
            ["a", "b"],
            "has no name for the label(s) 5 of target 'target': it names the labels 0 to 1",
        ),
        (["0", "1", "2"], ["a", "b", "a"], "gives the name(s) a to several labels"),
        (["0", "1"], {"0": "1", "1": "0"}, "names a label '1', which is another label of the data"),
        (["x", "y"], ["a", "b"], "has no name for the label(s) x, y"),
    ],
)
def test_names_that_cannot_stand_for_the_labels_are_refused(
    labels: list[str], names: object, said: str
) -> None:
    with pytest.raises(DataError, match="label_names") as caught:
        infer_task(labels, label_names=names)  # type: ignore[arg-type]
    assert said in str(caught.value)
    assert str(caught.value).count("\n") == 0 and caught.value.command_line.startswith("--label-names")


def test_a_regression_target_takes_no_names() -> None:
    with pytest.raises(
        ConfigError, match="names the classes of a classifier; target 'y' is a regression task"
    ):
        infer_task([0.5, 1.7, 2.25, 3.1], name="y", label_names=["a"])
    named = infer_task(["0", "1"], label_names=["a", "b"])
    with pytest.raises(ConfigError, match="named already"):
        name_labels(named, ["c", "d"])


def test_the_option_reads_a_file_a_list_or_pairs(tmp_path: Path) -> None:
    lines = tmp_path / "emotions.txt"
    lines.write_text("\ufeffadmiration\namusement\nanger, fury\n\n", encoding="utf-8")
    assert read_label_names(str(lines)) == ["admiration", "amusement", "anger, fury"]
    tabbed = tmp_path / "names.tsv"
    tabbed.write_text("7\tseven\n3\tthree\n", encoding="utf-8")
    assert read_label_names(str(tabbed)) == {"7": "seven", "3": "three"}
    assert read_label_names("no, yes") == ["no", "yes"]
    assert read_label_names("1=positive,0=negative") == {"1": "positive", "0": "negative"}


@pytest.mark.parametrize(
    ("spec", "said"),
    [
        ("missing/names.txt", "--label-names missing/names.txt: no such file"),
        ("a,,b", "holds an empty name"),
        ("0=a,b", "mixes LABEL=NAME pairs with a bare name ('b')"),
        ("0=a,0=b", "names label '0' twice ('a' and 'b')"),
        ("0=a,=b", "'=b' is a LABEL=NAME pair with one side empty"),
    ],
)
def test_the_option_refuses_what_it_cannot_read(spec: str, said: str) -> None:
    with pytest.raises(ConfigError) as caught:
        read_label_names(spec)
    assert said.removeprefix("--label-names ") in str(caught.value)
    assert caught.value.command_line.startswith("--label-names ")


def test_a_file_of_no_names_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "names.txt"
    empty.write_text("\n \n", encoding="utf-8")
    with pytest.raises(ConfigError, match="holds no names"):
        read_label_names(str(empty))


def test_a_blank_line_inside_a_file_is_refused_rather_than_shifting_the_names(tmp_path: Path) -> None:
    # Skipped, a blank line had given every later label its neighbour's name.
    names = tmp_path / "names.txt"
    names.write_text("admiration\n\nanger\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="line 2 is blank, and each line names the label of its place"):
        read_label_names(str(names))


def test_python_takes_a_file_or_a_text_as_the_command_line_does(tmp_path: Path) -> None:
    # A path had been read one character at a time ("gives the name(s) /, a, d ... to several labels").
    names = tmp_path / "moods.txt"
    names.write_text("sunny\nrainy\nbusy\n", encoding="utf-8")
    assert infer_task(["0", "2", "1"], label_names=names).classes == ("sunny", "rainy", "busy")
    assert infer_task(["0", "2", "1"], label_names=str(names)).classes == ("sunny", "rainy", "busy")
    assert infer_task(["1", "0"], label_names="0=no,1=yes").classes == ("no", "yes")


def test_a_name_holding_the_label_separator_or_naming_nothing(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"names a label 'joy, happiness', which holds the separator ','"):
        infer_task(["0,1", "1"], label_delim=",", label_names=["anger", "joy, happiness"])
    with pytest.warns(UserWarning, match=r"names 2 \(other\), which no training row of target 'y' holds"):
        infer_task(["0", "1"], name="y", label_names=["died", "survived", "other"])
    with pytest.raises(DataError, match=r"gives the name\(s\) joy to several labels"):
        infer_task(["0", "1"], label_names=["anger", "joy", "joy"])  # the third names nothing, still a twin
    with pytest.raises(DataError, match="it names label 0 alone"):
        infer_task(["0", "1"], label_names=["anger"])
