"""A folder of tables named by split is one dataset: the Hugging Face Hub's train-0000N-of-0000M.parquet shards
joined, GLUE's dev.tsv as the validation rows, a labelled test split scored as --test, an unlabelled one (Kaggle's
test.csv) left for predict; evaluate folds the training split alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from cli_support import EPOCHS, binary_table, run_cli, run_cli_many

import trainwell
from trainwell.cli._splits import split_tables

#: The fits that are to succeed: a learning rate given, so no learning-rate finder runs and no lr_find.png is drawn
#: (the sweep and its plot were about half of a two-epoch fit's time); no test here reads either.
QUICK = [*EPOCHS, "--lr", "0.01"]


def _touch(folder: Path, *names: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_text("")
    return folder


def test_splits_are_found_by_the_files_names(tmp_path: Path) -> None:
    hub = _touch(
        tmp_path / "hub",
        "train-00000-of-00002.parquet",
        "train-00001-of-00002.parquet",
        "test-00000-of-00001.parquet",
        "unsupervised-00000-of-00001.parquet",
        "README.md",
    )
    found = split_tables(hub)
    assert found is not None
    assert {split: [p.name for p in paths] for split, paths in found.items()} == {
        "train": ["train-00000-of-00002.parquet", "train-00001-of-00002.parquet"],
        "test": ["test-00000-of-00001.parquet"],
        "other": ["unsupervised-00000-of-00001.parquet"],
    }
    glue = split_tables(_touch(tmp_path / "glue", "train.tsv.gz", "dev.tsv.gz", "test.tsv.gz"))
    assert glue is not None and [p.name for p in glue["valid"]] == ["dev.tsv.gz"]
    assert split_tables(_touch(tmp_path / "one", "train.csv", "notes.txt")) is None  # nothing to join or pair
    assert split_tables(_touch(tmp_path / "none", "a.csv", "b.csv")) is None
    assert (
        split_tables(_touch(tmp_path / "labels", "train_labels.csv", "test.csv")) is None
    )  # no training split
    from trainwell.cli._splits import _config_folder
    from trainwell.core.errors import DataError

    repo = _touch(
        tmp_path / "repo", "README.md"
    )  # a dataset repository from the Hub: a folder a configuration
    _touch(repo / "plain_text", "train-00000-of-00001.parquet", "test-00000-of-00001.parquet")
    assert _config_folder(repo) == repo / "plain_text"
    _touch(repo / "other", "train.csv", "dev.csv")
    with pytest.raises(DataError, match=r"holds 2 datasets in splits \(other, plain_text\): pass one folder"):
        _config_folder(repo)
    assert _config_folder(hub) is None  # its tables are its own
    # An image competition: its tables list images.
    kaggle = _touch(tmp_path / "kaggle", "train.csv", "test.csv")
    _touch(kaggle / "train", "0a1b.tif")
    assert split_tables(kaggle) is None


def test_a_hub_dataset_folder_is_fitted_on_its_joined_shards_and_scored_on_its_test_split(
    tmp_path: Path,
) -> None:
    # `trainwell fit imdb/plain_text --target label` said "a folder of tables ... join them first" with a
    # python one-liner to paste: the Hub's layout is how most datasets now arrive.
    hub = tmp_path / "plain_text"
    hub.mkdir()
    table = binary_table(0)
    half = len(table) // 2
    table.iloc[:half].to_parquet(hub / "train-00000-of-00002.parquet")
    table.iloc[half:].to_parquet(hub / "train-00001-of-00002.parquet")
    binary_table(1, 100).to_parquet(hub / "test-00000-of-00001.parquet")
    binary_table(2, 50).drop(columns="y").to_parquet(hub / "unsupervised-00000-of-00001.parquet")
    out = tmp_path / "m"
    fitted = run_cli("fit", hub, "--target", "y", "--out", out, *QUICK)
    assert fitted.returncode == 0, fitted.explain()
    said = " ".join(fitted.stderr.split())
    assert (
        f"'{hub}': a dataset in splits: training rows from train-00000-of-00002.parquet, "
        f"train-00001-of-00002.parquet ({len(table):,} rows); test rows from test-00000-of-00001.parquet (--test); "
        "unsupervised-00000-of-00001.parquet left out (no split name: train, validation/dev, test)" in said
    )
    assert "test set (100 rows)" in fitted.stdout
    assert trainwell.load(out).metadata["training"]["test"]["accuracy"] > 0.6
    joined = next((tmp_path / "cache" / "joined").glob("plain_text-*/train.parquet"))
    assert len(pd.read_parquet(joined)) == len(table)
    made = joined.stat().st_mtime_ns
    again, evaluated, one, *others = run_cli_many(
        [
            ("fit", hub, "--target", "y", "--out", tmp_path / "m2", *QUICK),
            ("evaluate", hub, "--target", "y", "--cv", "2", "--arch", "gbdt", "--no-baselines"),
            ("fit", hub / "train-00001-of-00002.parquet", "--target", "y", "--out", tmp_path / "m3", *QUICK),
            ("report", out, "--data", hub, "--out", tmp_path / "report.html"),
        ]
    )
    reported = others[0]
    assert reported.returncode == 0 and (tmp_path / "report.html").is_file(), reported.explain()
    assert f"'{hub}': judged on its test split, test-00000-of-00001.parquet" in reported.stderr
    assert one.returncode == 0, one.explain()  # one shard alone is read, and said to be one
    assert (
        f"note: 'train-00001-of-00002.parquet' is 1 of the 2 shards of its split; pass the folder '{hub}' to read "
        "them all" in " ".join(one.stderr.split())
    )
    assert again.returncode == 0 and joined.stat().st_mtime_ns == made, (
        again.explain()
    )  # read again, not rewritten
    assert evaluated.returncode == 0 and "2-fold cross-validation (binary, 400 rows)" in evaluated.stdout, (
        evaluated.explain()
    )
    assert "test-00000-of-00001.parquet left out (evaluate does not score a test table)" in evaluated.stderr


def test_a_dev_split_is_the_validation_rows_and_an_unlabelled_test_split_is_left_for_predict(
    tmp_path: Path,
) -> None:
    glue = tmp_path / "glue"
    glue.mkdir()
    binary_table(0).to_csv(glue / "train.csv", index=False)
    binary_table(1, 80).to_csv(glue / "dev.csv", index=False)
    binary_table(2, 30).drop(columns="y").to_csv(glue / "test.csv", index=False)  # Kaggle's: no answers
    out = tmp_path / "m"
    fitted = run_cli("fit", glue, "--target", "y", "--out", out, *QUICK)
    assert fitted.returncode == 0, fitted.explain()
    said = " ".join(fitted.stderr.split())
    assert (
        "validation rows from dev.csv (80 rows, marked in column 'is_valid': --valid-col is_valid); test.csv left "
        "out (no column 'y': predict it with trainwell predict)" in said
    )
    recipe = trainwell.load(out).recipe
    assert "is_valid" in recipe.dropped and "is_valid" not in recipe.columns  # the mark is no input
    joined = pd.read_parquet(next((tmp_path / "cache" / "joined").glob("glue-*/train.parquet")))
    assert joined["is_valid"].sum() == 80 and len(joined) == len(binary_table(0)) + 80
    predicted = run_cli("predict", out, glue / "test.csv")
    assert predicted.returncode == 0 and len(predicted.stdout.splitlines()) == 31, predicted.explain()


def test_headerless_splits_are_named_once_and_splits_that_differ_are_refused(tmp_path: Path) -> None:
    goemotions = tmp_path / "goemotions"  # GoEmotions' TSVs: no header row
    goemotions.mkdir()
    for name, seed, rows in (("train", 0, 400), ("dev", 1, 60), ("test", 2, 60)):
        binary_table(seed, rows).to_csv(goemotions / f"{name}.tsv", sep="\t", index=False, header=False)
    names = "x1,x2,color,size,y"
    fitted = run_cli("fit", goemotions, "--names", names, "--target", "y", "--out", tmp_path / "m", *QUICK)
    assert fitted.returncode == 0 and "test set (60 rows)" in fitted.stdout, fitted.explain()
    assert "training rows from train.tsv (400 rows); validation rows from dev.tsv (60 rows" in fitted.stderr
    odd = tmp_path / "odd"
    odd.mkdir()
    binary_table(0).to_csv(odd / "train.csv", index=False)
    binary_table(1, 50).rename(columns={"x2": "width"}).to_csv(odd / "valid.csv", index=False)
    refused = run_cli("fit", odd, "--target", "y", "--out", tmp_path / "m3", *EPOCHS)
    assert refused.returncode == 2 and len(refused.stderr_lines) == 1, refused.explain()
    assert (
        f"'{odd / 'valid.csv'}' has the columns x1, width, color, size, y, is_valid, not those of 'train.csv'"
        in (refused.stderr)
    )


@pytest.fixture(autouse=True)
def _cache_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The joined tables go to this test's own cache, where it can look at them."""
    monkeypatch.setenv("TRAINWELL_CACHE", str(tmp_path / "cache"))


def _with_features(table: Any, features: dict[str, Any]) -> Any:
    """The Arrow ``table`` with the Hugging Face Hub's ``features`` as its only schema metadata."""
    import json

    return table.replace_schema_metadata(
        {b"huggingface": json.dumps({"info": {"features": features}}).encode()}
    )


def _hub_parquet(frame: pd.DataFrame, path: Path, names: list[str]) -> None:
    """``frame`` written as the Hub writes a split: its integer column 'y' declared a ClassLabel of ``names``."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as parquet

    features = {"y": {"names": names, "_type": "ClassLabel"}, "x1": {"dtype": "float64", "_type": "Value"}}
    table = pa.Table.from_pandas(frame, preserve_index=False)
    metadata = {
        **(table.schema.metadata or {}),
        b"huggingface": json.dumps({"info": {"features": features}}).encode(),
    }
    parquet.write_table(table.replace_schema_metadata(metadata), path)


def test_class_numbers_the_hub_names_are_read_as_names_and_an_unlabelled_test_split_is_left_out(
    tmp_path: Path,
) -> None:
    # The Hub stores IMDB's label as 0/1 and names them (neg, pos) in the files' features: the model said 0 and 1.
    hub = tmp_path / "hub"
    hub.mkdir()
    table = binary_table(0)
    coded = table.assign(y=(table["y"] == "yes").astype("int64"))
    _hub_parquet(coded, hub / "train-00000-of-00001.parquet", ["no", "yes"])
    unlabelled = binary_table(1, 40).assign(y=-1)  # GLUE's test splits on the Hub: every label -1
    _hub_parquet(unlabelled, hub / "test-00000-of-00001.parquet", ["no", "yes"])
    from trainwell.data.io import read_table

    with pytest.warns(
        UserWarning, match=r"column 'y' holds the class numbers .* \(0 = no, 1 = yes\): read as those"
    ):
        read = read_table(hub / "train-00000-of-00001.parquet")
    assert read["y"].tolist() == table["y"].tolist()
    with pytest.warns(UserWarning, match="class numbers"):
        assert read_table(hub / "test-00000-of-00001.parquet")["y"].isna().all()
    out = tmp_path / "m"
    fitted = run_cli("fit", hub, "--target", "y", "--out", out, *QUICK)
    assert fitted.returncode == 0, fitted.explain()
    assert "test-00000-of-00001.parquet left out (no label in column 'y': predict it" in fitted.stderr
    assert trainwell.load(out).task.classes == ("no", "yes")
    predicted = run_cli("predict", out, hub / "test-00000-of-00001.parquet")
    assert predicted.returncode == 0 and predicted.stdout.splitlines()[0] == "prediction,probability_yes"
    assert set(predicted.stdout.splitlines()[1].split(",")[0:1]) <= {"no", "yes"}, predicted.explain()
    # A number outside the names (a file edited since): left as numbers, nothing guessed.
    _hub_parquet(coded.assign(y=coded["y"] + 5), hub / "odd.parquet", ["no", "yes"])
    assert read_table(hub / "odd.parquet")["y"].min() == 5


def _image_parquet(
    path: Path, labels: list[int], names: list[str] | None, seed: int = 0, **extra: object
) -> None:
    """Images as the Hub stores them: PNG bytes in a struct column 'image', the labels in 'label' (a ClassLabel of
    ``names``; with ``names`` None, no features at all)."""
    import io

    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as parquet

    from image_files import shape_image

    rng = np.random.default_rng(seed)
    kinds = ["horizontal", "vertical"]
    rows = []
    for value in labels:
        stream = io.BytesIO()
        shape_image(kinds[max(value, 0)], rng, 20).save(stream, format="PNG")
        rows.append({"bytes": stream.getvalue(), "path": None})
    image_type = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    table = pa.table(
        {"image": pa.array(rows, type=image_type), "label": pa.array(labels, pa.int64()), **extra}
    )
    if names is not None:
        features = {"image": {"_type": "Image"}, "label": {"names": names, "_type": "ClassLabel"}}
        table = _with_features(table, features)
    parquet.write_table(table, path)


def test_images_stored_in_parquet_as_the_hub_stores_them_are_fitted_as_a_folder_tree(tmp_path: Path) -> None:
    # The Hub's MNIST or CIFAR-10 is Parquet files of PNG bytes and class numbers: "column 'image' holds nested
    # values" was all trainwell could say of them.
    hub = tmp_path / "shapes"
    hub.mkdir()
    _image_parquet(hub / "train-00000-of-00001.parquet", [0, 1] * 30, ["horizontal", "vertical"])
    _image_parquet(hub / "test-00000-of-00001.parquet", [1, 0] * 10, ["horizontal", "vertical"], seed=1)
    out = tmp_path / "m"
    fitted = run_cli("fit", hub, "--out", out, *QUICK)
    assert fitted.returncode == 0, fitted.explain()
    said = " ".join(fitted.stderr.split())
    assert (
        f"'{hub}': images in Parquet (column 'image', labels 'label': 2 classes), written once as folders of images "
        "per split and label (train 60; test 20) in" in said
    )
    assert "test set (20 images)" in fitted.stdout
    model = trainwell.load(out)
    assert model.application == "vision" and model.task.classes == ("horizontal", "vertical")
    tree = next((tmp_path / "cache" / "joined").glob("shapes-*-images"))
    assert sorted(p.name for p in (tree / "train").iterdir()) == ["horizontal", "vertical"]
    assert len(list((tree / "test" / "vertical").glob("test-*.png"))) == 10
    reported = run_cli("report", out, "--data", hub, "--out", tmp_path / "report.html")
    assert reported.returncode == 0 and "accuracy" in (tmp_path / "report.html").read_text(), (
        reported.explain()
    )
    assert "written once as folders of images per split and label (test 20)" in " ".join(
        reported.stderr.split()
    )
    predicted = run_cli("predict", out, hub / "test-00000-of-00001.parquet", "--keep", "label")
    assert predicted.returncode == 0, predicted.explain()
    lines = predicted.stdout.splitlines()
    assert lines[0] == "label,index,prediction,probability_vertical" and len(lines) == 21
    assert [line.split(",")[1] for line in lines[1:4]] == ["0", "1", "2"] and lines[1].startswith("vertical,")
    one = tmp_path / "one.parquet"  # a single file of images, no features: the labels as they are
    _image_parquet(one, [0, 1] * 20, None, seed=2)
    alone = run_cli("fit", one, "--out", tmp_path / "m1", *QUICK)
    assert alone.returncode == 0, alone.explain()
    assert [str(name) for name in trainwell.load(tmp_path / "m1").task.classes] == ["0", "1"]


def test_images_in_parquet_without_a_clear_label_or_with_several_are_refused_by_name(tmp_path: Path) -> None:
    import pyarrow as pa

    vague = tmp_path / "vague.parquet"
    _image_parquet(vague, [0, 1] * 5, None, kind=pa.array(["a"] * 10), score=pa.array([1.0] * 10))
    renamed = tmp_path / "renamed.parquet"
    import pyarrow.parquet as parquet

    parquet.write_table(parquet.read_table(vague).rename_columns(["image", "y", "kind", "score"]), renamed)
    refused = run_cli("fit", renamed, "--out", tmp_path / "m", *EPOCHS)
    assert refused.returncode == 2 and len(refused.stderr_lines) == 1, refused.explain()
    assert (
        f"'{renamed}' holds images in column 'image'; which column holds the labels is not clear: name the label "
        "column with --target (columns: y, kind, score)" in refused.stderr
    )
    named = run_cli("fit", renamed, "--target", "kind", "--out", tmp_path / "m2", *EPOCHS)
    assert named.returncode == 2 and "labels 'kind'" in named.stderr, named.explain()  # --target: the labels
    assert "has a single class ('a'); a classifier needs images of at least two classes" in named.stderr
    several = tmp_path / "several.parquet"  # a Sequence of ClassLabel: several labels an image
    table = parquet.read_table(vague).select(["image", "label"])
    features = {"label": {"feature": {"names": ["x", "y"], "_type": "ClassLabel"}, "_type": "Sequence"}}

    parquet.write_table(
        _with_features(table, features),
        several,
    )
    told = run_cli("fit", several, "--target", "label", "--out", tmp_path / "m3", *EPOCHS)
    assert told.returncode == 2 and "column 'label' holds several labels an image" in told.stderr, (
        told.explain()
    )


def test_a_language_model_reads_the_validation_split_as_its_validation_text(tmp_path: Path) -> None:
    # The Hub's wikitext: train, validation and test Parquet files of a 'text' column.
    from trainwell.cli._splits import command_splits

    wiki = tmp_path / "wikitext"
    wiki.mkdir()
    words = ["the", "cat", "sat", "on", "the", "mat", "and", "the", "dog", "ran", "to", "the", "park"]
    for split, rows in (("train", 300), ("validation", 40), ("test", 40)):
        lines = [" ".join(words[(i + j) % len(words)] for j in range(8)) for i in range(rows)]
        pd.DataFrame({"text": lines}).to_parquet(wiki / f"{split}-00000-of-00001.parquet")
    read = command_splits(wiki, "fit", target=None, task="language_model")
    assert read.data == wiki / "train-00000-of-00001.parquet"
    assert read.valid == wiki / "validation-00000-of-00001.parquet" and read.test is None
    fitted = run_cli(
        "fit", wiki, "--task", "language_model", "--text", "text", "--out", tmp_path / "lm", *QUICK
    )
    assert fitted.returncode == 0, fitted.explain()
    assert (
        f"'{wiki}': a corpus in splits: training text from train-00000-of-00001.parquet; validation text from "
        "validation-00000-of-00001.parquet; test-00000-of-00001.parquet kept out, for judging"
        in " ".join(fitted.stderr.split())
    )
    assert "language model: validation perplexity" in fitted.stdout


def test_tagged_sentences_stored_in_parquet_as_the_hub_stores_conll_are_tagged(tmp_path: Path) -> None:
    # The Hub's CoNLL-2003: rows of tokens beside lists of tag numbers its features name.

    import pyarrow as pa
    import pyarrow.parquet as parquet

    names = ["O", "B-PER", "B-LOC"]
    people, places = ["Anna", "Bert", "Carl", "Dora"], ["Paris", "Rome", "Oslo", "Lima"]
    hub = tmp_path / "conll2003"
    hub.mkdir()
    for split, rows in (("train", 200), ("validation", 30), ("test", 30)):
        tokens, tags = [], []
        for i in range(rows):
            tokens.append([people[i % 4], "went", "to", places[(i // 4) % 4], "."])
            tags.append([1, 0, 0, 2, 0])
        table = pa.table({"tokens": tokens, "ner_tags": tags})
        features = {"tokens": {"feature": {"dtype": "string", "_type": "Value"}, "_type": "Sequence"},
                    "ner_tags": {"feature": {"names": names, "_type": "ClassLabel"}, "_type": "Sequence"}}  # fmt: skip
        parquet.write_table(_with_features(table, features), hub / f"{split}-00000-of-00001.parquet")
    out = tmp_path / "m"
    fitted = run_cli("fit", hub, "--out", out, *QUICK)
    assert fitted.returncode == 0, fitted.explain()
    assert (
        f"'{hub}': tagged sentences in Parquet (words 'tokens', tags ner_tags; the last is tagged unless --tag-col "
        "names another), written once as CoNLL files (train 200; valid 30; test 30 sentences)"
        in " ".join(fitted.stderr.split())
    )
    assert "test set (30 sentences)" in fitted.stdout
    assert set(trainwell.load(out).task.classes) >= {"B-PER", "B-LOC", "O"}
    tree = next((tmp_path / "cache" / "joined").glob("conll2003-*-conll"))
    assert (tree / "train.txt").read_text().splitlines()[:2] == ["Anna B-PER", "went O"]


def test_a_dataset_saved_to_disk_is_read_from_its_arrow_files(tmp_path: Path) -> None:
    # datasets' save_to_disk: dataset_dict.json, then a folder per split of Arrow IPC streams and JSON notes.
    import json

    import pyarrow as pa

    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "dataset_dict.json").write_text(json.dumps({"splits": ["train", "test"]}))
    features = {"y": {"names": ["no", "yes"], "_type": "ClassLabel"}}
    for split, frame in (("train", binary_table(0)), ("test", binary_table(1, 100))):
        coded = frame.assign(y=(frame["y"] == "yes").astype("int64"))
        table = pa.Table.from_pandas(coded, preserve_index=False)
        table = _with_features(table, features)
        (saved / split).mkdir()
        sink = pa.OSFile(str(saved / split / "data-00000-of-00001.arrow"), "wb")
        with sink, pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        (saved / split / "state.json").write_text("{}")
    from trainwell.data.io import read_table

    with pytest.warns(UserWarning, match=r"\(0 = no, 1 = yes\): read as those names"):
        read = read_table(saved / "train" / "data-00000-of-00001.arrow")
    assert read["y"].tolist() == binary_table(0)["y"].tolist()
    fitted = run_cli("fit", saved, "--target", "y", "--out", tmp_path / "m", *QUICK)
    assert fitted.returncode == 0 and "test set (100 rows)" in fitted.stdout, fitted.explain()
    assert (
        f"'{saved}': a dataset in splits: training rows from train/data-00000-of-00001.arrow; test rows from "
        "test/data-00000-of-00001.arrow (--test)" in " ".join(fitted.stderr.split())
    )
    assert trainwell.load(tmp_path / "m").task.classes == ("no", "yes")


def test_the_hubs_class_column_is_the_target_and_joined_files_are_named_by_the_folder(tmp_path: Path) -> None:
    # GLUE's MRPC as the Hub stores it (sentence1, sentence2, a ClassLabel label, idx) needed --target label, and
    # every later line named the joined file in the cache ('.../joined/mrpc-<hash>/train.parquet: columns ...').
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from text_samples import sentence_pairs

    mrpc = tmp_path / "mrpc"
    mrpc.mkdir()
    for split, n, seed in (("train", 600, 0), ("validation", 120, 1), ("test", 60, 2)):
        frame = sentence_pairs(n, seed)
        coded = frame.assign(y=(frame["label"] == "same").astype("int64") if split != "test" else -1)
        _hub_parquet(
            coded.drop(columns="label"), mrpc / f"{split}-00000-of-00001.parquet", ["different", "same"]
        )
    out = tmp_path / "m"
    fitted = run_cli("fit", mrpc, "--out", out, *QUICK)
    assert fitted.returncode == 0, fitted.explain()
    err = " ".join(fitted.stderr.split())
    assert (
        "--target y: the class column the dataset's features (the Hugging Face Hub's ClassLabel) name" in err
    )
    said = " ".join(fitted.stdout.split())
    assert (
        f"{mrpc} (training and validation splits): columns 'sentence1' and 'sentence2' are free text" in said
    )
    assert "joined" not in said
    assert trainwell.load(out).recipe.fields == ("sentence1", "sentence2")
    wrong = run_cli("fit", mrpc, "--target", "nope", *EPOCHS)
    assert wrong.returncode == 2
    assert f"not found in {mrpc} (training and validation splits); columns are" in wrong.stderr, (
        wrong.explain()
    )
    # One class column is the target; with two, which to predict is the user's say.
    import json

    import pyarrow.parquet as parquet

    from trainwell.cli._common import hub_class_column

    one = tmp_path / "one.parquet"
    _hub_parquet(binary_table(0).assign(y=1), one, ["no", "yes"])
    assert hub_class_column(one) == "y" and hub_class_column(tmp_path / "absent.csv") is None
    table = parquet.read_table(one)
    features = json.loads(table.schema.metadata[b"huggingface"])
    features["info"]["features"]["x1"] = {"names": ["a", "b"], "_type": "ClassLabel"}
    two = tmp_path / "two.parquet"
    metadata = {**table.schema.metadata, b"huggingface": json.dumps(features).encode()}
    parquet.write_table(table.replace_schema_metadata(metadata), two)
    assert hub_class_column(two) is None


def test_the_hubs_lists_of_class_numbers_are_a_multi_label_target(tmp_path: Path) -> None:
    # GoEmotions as the Hub stores it: labels a list of class numbers a row, named by a sequence of ClassLabel.
    # The folder needed --target, and a Parquet file of lists of labels stopped with "unhashable type:
    # 'numpy.ndarray'" (pyarrow reads list cells as arrays).

    import pyarrow as pa
    import pyarrow.parquet as parquet

    names = ["joy", "anger", "fear"]
    words = {0: "happy glad", 1: "furious mad", 2: "scared afraid"}
    rng = np.random.default_rng(0)

    def split(path: Path, n: int) -> None:
        labels = [sorted(set(rng.choice(3, size=int(rng.integers(1, 3))).tolist())) for _ in range(n)]
        texts = [" ".join(["the", "day", *(words[code] for code in row)]) for row in labels]
        features = {
            "text": {"dtype": "string", "_type": "Value"},
            "labels": {"feature": {"names": names, "_type": "ClassLabel"}, "_type": "Sequence"},
        }
        parquet.write_table(_with_features(pa.table({"text": texts, "labels": labels}), features), path)

    hub = tmp_path / "simplified"
    hub.mkdir()
    split(hub / "train-00000-of-00001.parquet", 300)
    split(hub / "validation-00000-of-00001.parquet", 60)
    split(hub / "test-00000-of-00001.parquet", 60)
    from trainwell.data.io import read_table

    with pytest.warns(
        UserWarning, match=r"\(0 = joy, 1 = anger, 2 = fear\), several a row: read as those names"
    ):
        read = read_table(hub / "test-00000-of-00001.parquet")
    assert all(isinstance(cell, list) and set(cell) <= set(names) for cell in read["labels"])
    out = tmp_path / "m"
    fitted = run_cli("fit", hub, "--out", out, *QUICK)
    assert fitted.returncode == 0, fitted.explain()
    assert "--target labels: the class column" in " ".join(fitted.stderr.split())
    model = trainwell.load(out)
    assert model.task.kind == "multilabel" and set(model.task.classes) == set(names)
    said = " ".join(fitted.stdout.split())
    assert "test set (60 " in said and "lack are left out" not in fitted.stderr, said
    # Lists of labels in a Parquet file with no features: read as lists too, a multi-label target.
    plain = tmp_path / "plain.parquet"
    parquet.write_table(pa.table({"text": read["text"], "labels": read["labels"]}), plain)
    fitted = run_cli(
        "fit", plain, "--text", "text", "--target", "labels", "--out", tmp_path / "plain-model", *QUICK
    )
    assert fitted.returncode == 0, fitted.explain()


def test_what_an_older_trainwell_made_in_the_cache_is_made_again(tmp_path: Path) -> None:
    from trainwell.data import splits as _splits  # the cache's reading moved to the data layer

    paths = [_touch(tmp_path / "f", "a.csv") / "a.csv"]
    now = _splits.state_key(paths, "x")
    assert _splits.state_key(paths, "x") == now
    before = _splits.MADE_FORMAT
    try:
        _splits.MADE_FORMAT = before - 1
        assert _splits.state_key(paths, "x") != now
    finally:
        _splits.MADE_FORMAT = before


def test_splits_whose_first_lines_are_data_rows_are_told_to_take_names(tmp_path: Path) -> None:
    # GoEmotions' train.tsv and dev.tsv have no header row: "'dev.tsv.gz' has the columns Is this in New
    # Orleans??..., 27, edgurhb, not those of 'train.tsv.gz' (My favourite food is anything..., 27, eebbqej)".
    folder = tmp_path / "goemotions"
    folder.mkdir()
    (folder / "train.tsv").write_text("My favourite food\t27\teebbqej\nWhy not\t2\tab\n")
    (folder / "dev.tsv").write_text("Is this New Orleans\t27\tedgurhb\nyes\t3\tcd\n")
    refused = run_cli("fit", folder, "--target", "x")
    assert refused.returncode == 2, refused.explain()
    said = " ".join(refused.stderr.split())
    assert (
        "their first lines are rows of data, not headers; name the 3 columns with --names, e.g. --names col1,col2,col3"
        in said
    )


def test_the_column_a_competitions_test_table_lacks_is_the_target(tmp_path: Path) -> None:
    # Kaggle's titanic/ (train.csv, test.csv without Survived) stopped at "--target is required".
    folder = tmp_path / "titanic"
    folder.mkdir()
    table = binary_table(0)
    table.to_csv(folder / "train.csv", index=False)
    binary_table(1, 30).drop(columns="y").to_csv(folder / "test.csv", index=False)
    out = tmp_path / "m"
    fitted = run_cli("fit", folder, "--out", out, *QUICK)
    assert fitted.returncode == 0, fitted.explain()
    said = " ".join(fitted.stderr.split())
    assert "--target y: the one column 'train.csv' has and 'test.csv' lacks" in said
    assert "test.csv left out (no column 'y': predict it with trainwell predict)" in said
    predicted = run_cli("predict", out, folder / "test.csv")
    assert predicted.returncode == 0 and len(predicted.stdout.splitlines()) == 31, predicted.explain()
    # Two columns lacking: which is the target is not clear, and it is asked for.
    binary_table(1, 30).drop(columns=["y", "x1"]).to_csv(folder / "test.csv", index=False)
    asked = run_cli("fit", folder, *EPOCHS)
    assert asked.returncode == 2 and "--target is required" in asked.stderr, asked.explain()


def test_the_one_column_named_as_a_target_is_the_target(tmp_path: Path) -> None:
    # SST-2's train.tsv and dev.tsv (sentence, label) stopped at "--target is required ... e.g. --target label".
    folder = tmp_path / "sst2"
    folder.mkdir()
    table = binary_table(0).rename(columns={"y": "Label"})
    table.to_csv(folder / "train.tsv", sep="\t", index=False)
    binary_table(1, 40).rename(columns={"y": "Label"}).to_csv(folder / "dev.tsv", sep="\t", index=False)
    fitted = run_cli("fit", folder, "--out", tmp_path / "m", *QUICK)
    assert fitted.returncode == 0, fitted.explain()
    said = " ".join(fitted.stderr.split())
    # The file by its name, as the competition line names train.csv (the full path made the sentence hard to read).
    assert (
        "--target Label: the one column of 'train.tsv' named like a target (label, labels, target or class)"
        in said
    )
    two = tmp_path / "two.csv"
    table.assign(target=1).to_csv(two, index=False)  # Label and target: which is meant is not clear
    asked = run_cli("fit", two, *EPOCHS)
    assert asked.returncode == 2 and "--target is required" in asked.stderr, asked.explain()


def test_a_report_passes_over_a_test_split_without_the_target(tmp_path: Path) -> None:
    # Kaggle's titanic/: the report read test.csv and stopped at "target column 'Survived' not found".
    folder = tmp_path / "comp"
    folder.mkdir()
    binary_table(0).to_csv(folder / "train.csv", index=False)
    binary_table(1, 30).drop(columns="y").to_csv(folder / "test.csv", index=False)
    out = tmp_path / "m"
    assert run_cli("fit", folder, "--out", out, *QUICK).returncode == 0
    refused = run_cli("report", out, "--data", folder)
    assert refused.returncode == 2, refused.explain()
    assert (
        "its test split, test.csv, has no column 'y' (the table to predict, not labelled rows)"
        in " ".join(refused.stderr.split())
    )
    binary_table(2, 40).to_csv(folder / "valid.csv", index=False)
    reported = run_cli("report", out, "--data", folder, "--out", tmp_path / "r.html")
    assert reported.returncode == 0, reported.explain()
    assert "its test split has no column 'y' (the table to predict); judged on its validation split" in (
        " ".join(reported.stderr.split())
    )
    assert "Metrics on held-out data" in (tmp_path / "r.html").read_text(encoding="utf-8")
    binary_table(1, 30).to_csv(folder / "test.csv", index=False)  # labelled now: held out of every choice
    tested = run_cli("report", out, "--data", folder, "--out", tmp_path / "t.html")
    assert tested.returncode == 0, tested.explain()
    html = (tmp_path / "t.html").read_text(encoding="utf-8")
    assert "Test metrics" in html and f"(the test split of {folder})" in html
