"""Tests for trainwell.core.artifact: round trips, atomic replacement, refusals and migrations."""

from __future__ import annotations

import json
import os
import pickle
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file
from torch import nn

import trainwell
from trainwell.core import _migrations
from trainwell.core.artifact import (
    FIT_CHECKPOINT_FILE,
    FORMAT_VERSION,
    METADATA_FILE,
    WEIGHTS_FILE,
    migrate,
    read_artifact,
    read_metadata,
    save_artifact,
    to_jsonable,
)
from trainwell.core.errors import ArtifactError, UserError


class TiedModel(nn.Module):
    """Embedding -> linear -> batch norm -> decoder whose weight is the embedding's (tied)."""

    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(10, 4)
        self.hidden = nn.Linear(4, 4)
        self.norm = nn.BatchNorm1d(4)
        self.decoder = nn.Linear(4, 10, bias=False)
        self.decoder.weight = self.embedding.weight

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.decoder(torch.relu(self.norm(self.hidden(self.embedding(tokens)))))


def trained_model(seed: int) -> TiedModel:
    torch.manual_seed(seed)
    model = TiedModel()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    tokens = torch.randint(0, 10, (3, 16))
    for batch in tokens:  # a few steps so weights and BatchNorm running statistics move from their defaults
        loss = nn.functional.cross_entropy(model(batch), batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.eval()


def leftovers(parent: Path, name: str = "model") -> list[str]:
    """Hidden temp/backup siblings a save may leave behind."""
    return sorted(path.name for path in parent.iterdir() if path.name.startswith(f".{name}."))


def write_artifact(directory: Path, value: float, note: str) -> None:
    save_artifact(directory, {"w": torch.full((3,), value)}, {"note": note}, extra_files={"a.txt": b"old"})


def assert_old_artifact_intact(directory: Path) -> None:
    metadata, state_dict = read_artifact(directory)
    assert metadata["note"] == "old"
    assert torch.equal(state_dict["w"], torch.full((3,), 1.0))
    assert (directory / "a.txt").read_bytes() == b"old"
    assert leftovers(directory.parent) == []


# --- round trip ---------------------------------------------------------------------------------------------


def test_round_trip_with_tied_weights_and_batchnorm_gives_identical_outputs(tmp_path: Path) -> None:
    model = trained_model(seed=0)
    original_state = {key: value.clone() for key, value in model.state_dict().items()}
    save_artifact(tmp_path / "model", model.state_dict(), {"application": "test"})

    metadata, state_dict = read_artifact(tmp_path / "model")
    fresh = TiedModel()
    fresh.load_state_dict(state_dict)
    fresh.eval()

    tokens = torch.arange(10)
    assert torch.equal(fresh(tokens), model(tokens))
    assert fresh.decoder.weight is fresh.embedding.weight  # still tied
    assert set(state_dict) == set(original_state)
    for key, value in original_state.items():
        assert state_dict[key].dtype == value.dtype, key
        assert torch.equal(state_dict[key], value), key
    assert state_dict["norm.num_batches_tracked"].item() == 3
    assert not torch.equal(state_dict["norm.running_mean"], torch.zeros(4))
    # The caller's model is untouched by saving: still tied, same values.
    assert model.decoder.weight is model.embedding.weight
    assert metadata["application"] == "test"


def test_views_of_one_storage_and_non_contiguous_tensors_round_trip(tmp_path: Path) -> None:
    flat = torch.arange(12.0)
    state = {"first": flat[:6], "second": flat[6:], "whole": flat, "transposed": flat.view(3, 4).t()}
    save_artifact(tmp_path / "model", state, {})
    _, loaded = read_artifact(tmp_path / "model")
    assert torch.equal(loaded["first"], torch.arange(6.0))
    assert torch.equal(loaded["second"], torch.arange(6.0, 12.0))
    assert torch.equal(loaded["whole"], torch.arange(12.0))
    assert torch.equal(loaded["transposed"], torch.arange(12.0).view(3, 4).t())


def test_metadata_is_stamped_and_converted(tmp_path: Path) -> None:
    before = datetime.now(timezone.utc).replace(microsecond=0)
    metadata = {
        "application": "tabular",
        "task": {"kind": "binary", "classes": ("no", "yes")},
        "architecture": {"name": "mlp", "config": {"sizes": np.array([8, 4])}},
        "training": {"best": np.float32(0.25), "epochs": np.int64(3), "data": Path("a") / "b.csv"},
        "format_version": 99,  # replaced by the real one
    }
    save_artifact(tmp_path / "model", {"w": torch.ones(1)}, metadata)

    stored = json.loads((tmp_path / "model" / METADATA_FILE).read_text(encoding="utf-8"))
    assert stored["format_version"] == FORMAT_VERSION == 1
    assert stored["trainwell_version"] == trainwell.__version__
    assert stored["torch_version"] == str(torch.__version__)
    created = datetime.fromisoformat(stored["created"])
    assert created.utcoffset() == timedelta(0)
    assert before <= created <= datetime.now(timezone.utc)
    assert stored["task"] == {"kind": "binary", "classes": ["no", "yes"]}
    assert stored["architecture"] == {"name": "mlp", "config": {"sizes": [8, 4]}}
    assert stored["training"] == {"best": 0.25, "epochs": 3, "data": str(Path("a") / "b.csv")}
    assert read_metadata(tmp_path / "model") == stored
    assert metadata["format_version"] == 99  # the caller's dict is not modified


def test_extra_files_are_written_beside_the_weights(tmp_path: Path) -> None:
    extra = {"history.csv": b"epoch,loss\n0,1.5\n", "plots/loss.png": bytes(range(256))}
    save_artifact(tmp_path / "model", {"w": torch.ones(1)}, {}, extra_files=extra)
    assert (tmp_path / "model" / "history.csv").read_bytes() == extra["history.csv"]
    assert (tmp_path / "model" / "plots" / "loss.png").read_bytes() == extra["plots/loss.png"]


def test_every_file_is_readable_by_others(tmp_path: Path) -> None:
    # A model directory is often served, or copied into an image, by another account; safetensors' writer
    # made the weights 0600.
    save_artifact(tmp_path / "model", {"w": torch.ones(1)}, {}, extra_files={"history.csv": b"epoch\n"})
    readable = {path.name: path.stat().st_mode & 0o044 == 0o044 for path in (tmp_path / "model").iterdir()}
    assert readable == {"model.safetensors": True, "trainwell.json": True, "history.csv": True}


@pytest.mark.parametrize(
    "name", ["../escape.txt", "/abs.txt", "trainwell.json", "model.safetensors", "a\\b", ""]
)
def test_bad_extra_file_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ArtifactError, match=r"extra file name .* is not allowed; use a relative name"):
        save_artifact(tmp_path / "model", {"w": torch.ones(1)}, {}, extra_files={name: b"x"})
    assert not (tmp_path / "model").exists()
    assert not (tmp_path / "escape.txt").exists()


def test_non_tensor_state_dict_value_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match=r"state_dict\['extra'\] is a dict, not a tensor"):
        save_artifact(tmp_path / "model", {"w": torch.ones(1), "extra": {}}, {})  # type: ignore[dict-item]


# --- JSON conversion ----------------------------------------------------------------------------------------


def test_to_jsonable_converts_numpy_tuples_and_paths() -> None:
    value = {"a": (np.int32(1), np.float64(2.5), np.bool_(True)), "b": np.zeros((2, 2)), "c": Path("x")}
    assert to_jsonable(value) == {"a": [1, 2.5, True], "b": [[0.0, 0.0], [0.0, 0.0]], "c": "x"}
    assert type(to_jsonable(np.float32(0.5))) is float
    assert type(to_jsonable(np.int64(7))) is int


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({1: "a"}, r"metadata has the key 1 of type int; JSON object keys must be str"),
        ({"s": {1, 2}}, r"metadata\['s'\] is a set, which cannot be stored in trainwell.json"),
        (
            {"t": [0, torch.ones(1)]},
            r"metadata\['t'\]\[1\] is a torch.Tensor, .* \(for a tensor use .item\(\)",
        ),
    ],
)
def test_to_jsonable_names_the_offending_value(value: object, message: str) -> None:
    with pytest.raises(ArtifactError, match=message):
        to_jsonable(value)


def test_non_json_metadata_error_names_the_key_path(tmp_path: Path) -> None:
    metadata = {"training": {"history": [{"loss": 0.5}, {"loss": object()}]}}
    with pytest.raises(ArtifactError) as caught:
        save_artifact(tmp_path / "model", {"w": torch.ones(1)}, metadata)
    assert str(caught.value).startswith("metadata['training']['history'][1]['loss'] is a object")
    assert isinstance(caught.value, UserError)
    assert list(tmp_path.iterdir()) == []


# --- atomic writes ------------------------------------------------------------------------------------------


def test_saving_over_an_artifact_replaces_it_whole(tmp_path: Path) -> None:
    target = tmp_path / "model"
    write_artifact(target, 1.0, "old")
    returned = save_artifact(target, {"w": torch.full((3,), 2.0)}, {"note": "new"})
    metadata, state_dict = read_artifact(target)
    assert returned == target.absolute()
    assert metadata["note"] == "new"
    assert torch.equal(state_dict["w"], torch.full((3,), 2.0))
    assert not (target / "a.txt").exists()  # files of the old artifact do not linger
    assert leftovers(tmp_path) == []


def test_empty_directory_and_missing_parents_are_accepted(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    save_artifact(tmp_path / "empty", {"w": torch.ones(1)}, {})
    save_artifact(tmp_path / "runs" / "one" / "model", {"w": torch.ones(1)}, {})
    assert torch.equal(read_artifact(tmp_path / "empty")[1]["w"], torch.ones(1))
    assert torch.equal(read_artifact(tmp_path / "runs" / "one" / "model")[1]["w"], torch.ones(1))


def test_failing_metadata_keeps_the_old_artifact(tmp_path: Path) -> None:
    target = tmp_path / "model"
    write_artifact(target, 1.0, "old")
    with pytest.raises(ArtifactError, match=r"metadata\['bad'\] is a object"):
        save_artifact(target, {"w": torch.full((3,), 2.0)}, {"note": "new", "bad": object()})
    assert_old_artifact_intact(target)


class ExplodingFiles(Mapping[str, bytes]):
    """Extra files whose content fails to arrive, after the weights are already written to the temp dir."""

    def __init__(self, parent: Path) -> None:
        self.parent = parent
        self.seen_partial: list[str] = []

    def __getitem__(self, name: str) -> bytes:
        self.seen_partial = [path.parent.name for path in self.parent.glob(f".model.tmp-*/{WEIGHTS_FILE}")]
        raise OSError("simulated disk failure")

    def __iter__(self) -> Iterator[str]:
        return iter(["history.csv"])

    def __len__(self) -> int:
        return 1


def test_writer_failing_midway_keeps_the_old_artifact_and_leaves_no_temp_dir(tmp_path: Path) -> None:
    target = tmp_path / "model"
    write_artifact(target, 1.0, "old")
    files = ExplodingFiles(tmp_path)
    with pytest.raises(OSError, match="simulated disk failure"):
        save_artifact(target, {"w": torch.full((3,), 2.0)}, {"note": "new"}, extra_files=files)
    assert len(files.seen_partial) == 1  # the failure really happened with a half-written temp dir
    assert_old_artifact_intact(target)


def test_non_bytes_extra_file_keeps_the_old_artifact(tmp_path: Path) -> None:
    target = tmp_path / "model"
    write_artifact(target, 1.0, "old")
    with pytest.raises(
        ArtifactError, match=r"extra_files\['h.csv'\] is a str; extra file contents must be bytes"
    ):
        save_artifact(target, {"w": torch.full((3,), 2.0)}, {"note": "new"}, extra_files={"h.csv": "text"})  # type: ignore[dict-item]
    assert_old_artifact_intact(target)


def test_failed_final_rename_puts_the_old_artifact_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "model"
    write_artifact(target, 1.0, "old")
    real_rename = os.rename

    def failing_rename(source: str | Path, destination: str | Path) -> None:
        if Path(source).name.startswith(".model.tmp-"):
            raise OSError("simulated rename failure")
        real_rename(source, destination)

    monkeypatch.setattr(os, "rename", failing_rename)
    with pytest.raises(OSError, match="simulated rename failure"):
        save_artifact(target, {"w": torch.full((3,), 2.0)}, {"note": "new"})
    monkeypatch.undo()
    assert_old_artifact_intact(target)


def test_crash_between_renames_is_explained_by_the_reader(tmp_path: Path) -> None:
    target = tmp_path / "model"
    write_artifact(target, 1.0, "old")
    os.rename(target, tmp_path / ".model.old-0123456789ab")  # the state a crash between the renames leaves
    with pytest.raises(ArtifactError) as caught:
        read_artifact(target)
    assert str(caught.value) == (
        f"model directory '{target}' does not exist; an interrupted save left the previous model in "
        f"'{tmp_path / '.model.old-0123456789ab'}': rename it to '{target}'"
    )


def test_existing_non_artifact_directory_is_refused_and_untouched(tmp_path: Path) -> None:
    target = tmp_path / "photos"
    target.mkdir()
    (target / "cat.jpg").write_bytes(b"meow")
    with pytest.raises(ArtifactError) as caught:
        save_artifact(target, {"w": torch.ones(1)}, {})
    assert str(caught.value) == (
        f"'{target}' exists and is not a trainwell model directory; choose another --out (Python: out=, or the path given to export) or delete it"
    )
    assert [path.name for path in target.iterdir()] == ["cat.jpg"]
    assert leftovers(tmp_path, "photos") == []


def test_existing_file_is_refused_and_untouched(tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("keep me")
    with pytest.raises(
        ArtifactError, match="exists and is not a trainwell model directory; choose another --out"
    ):
        save_artifact(target, {"w": torch.ones(1)}, {})
    assert target.read_text() == "keep me"


# --- reading errors -----------------------------------------------------------------------------------------


@pytest.fixture
def artifact(tmp_path: Path) -> Path:
    save_artifact(tmp_path / "model", {"w": torch.arange(4.0)}, {"application": "test"})
    return tmp_path / "model"


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError) as caught:
        read_metadata(tmp_path / "nowhere")
    assert str(caught.value) == f"model directory '{tmp_path / 'nowhere'}' does not exist"


def test_file_instead_of_directory(artifact: Path) -> None:
    weights = artifact / WEIGHTS_FILE
    with pytest.raises(ArtifactError) as caught:
        read_artifact(weights)
    assert str(caught.value) == (
        f"'{weights}' is a file, not a model directory; pass the folder written by `trainwell fit --out` "
        f"(this file belongs in '{artifact}')"
    )


def test_directory_without_metadata(tmp_path: Path) -> None:
    (tmp_path / "other").mkdir()
    with pytest.raises(ArtifactError) as caught:
        read_artifact(tmp_path / "other")
    assert str(caught.value) == (
        f"'{tmp_path / 'other'}' is not a trainwell model directory (no trainwell.json); "
        f"pass the folder written by `trainwell fit --out`"
    )


def test_invalid_json_names_the_file_and_line(artifact: Path) -> None:
    (artifact / METADATA_FILE).write_text('{\n  "format_version": 1,\n  "task": \n}\n', encoding="utf-8")
    with pytest.raises(ArtifactError) as caught:
        read_metadata(artifact)
    assert str(caught.value) == (
        f"{artifact / METADATA_FILE} is not valid JSON (Expecting value at line 4, column 1); "
        f"the file is damaged: restore it or re-export the model"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2]", "must hold a JSON object, found a JSON list"),
        ('{"task": {}}', "needs a non-negative integer 'format_version', found None"),
        ('{"format_version": "1"}', "needs a non-negative integer 'format_version', found '1'"),
    ],
)
def test_malformed_metadata(artifact: Path, text: str, message: str) -> None:
    (artifact / METADATA_FILE).write_text(text, encoding="utf-8")
    with pytest.raises(ArtifactError, match=message):
        read_metadata(artifact)


def test_newer_format_asks_to_upgrade(artifact: Path) -> None:
    (artifact / METADATA_FILE).write_text(
        json.dumps({"format_version": FORMAT_VERSION + 1}), encoding="utf-8"
    )
    with pytest.raises(ArtifactError) as caught:
        read_artifact(artifact)
    assert str(caught.value).startswith(
        f"model directory '{artifact}' was written by a newer trainwell (format {FORMAT_VERSION + 1}); "
        f"upgrade trainwell"
    )


def test_missing_weights(artifact: Path) -> None:
    (artifact / WEIGHTS_FILE).unlink()
    assert read_metadata(artifact)["application"] == "test"  # metadata alone still reads
    with pytest.raises(ArtifactError) as caught:
        read_artifact(artifact)
    assert str(caught.value) == (
        f"model directory '{artifact}' has no model.safetensors (the weights); the directory is incomplete: "
        "restore it from where it was copied, or write it again (`trainwell fit --out`, learn.export)"
    )


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_corrupted_weights(artifact: Path, damage: str) -> None:
    weights = artifact / WEIGHTS_FILE
    content = weights.read_bytes()
    damaged = {"truncated": content[:-5], "garbage": b"\x00not a model at all" * 10, "empty": b""}[damage]
    weights.write_bytes(damaged)
    with pytest.raises(ArtifactError) as caught:
        read_artifact(artifact)
    assert str(caught.value).startswith(f"{weights} is corrupted or not a safetensors file (Error while")
    assert str(caught.value).endswith("); re-export the model (trainwell never loads pickled weights)")


def test_torch_save_file_in_place_of_weights_is_refused(artifact: Path) -> None:
    torch.save({"w": torch.arange(4.0)}, artifact / WEIGHTS_FILE)
    with pytest.raises(ArtifactError, match=r"model\.safetensors is corrupted or not a safetensors file"):
        read_artifact(artifact)


class CreatesMarker:
    """A pickle payload: unpickling it calls open(marker, 'w'), creating the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


def test_malicious_pickle_in_place_of_weights_is_refused_and_never_run(
    artifact: Path, tmp_path: Path
) -> None:
    # The payload works: unpickling it does create its marker.
    proof = tmp_path / "proof"
    pickle.loads(pickle.dumps(CreatesMarker(proof))).close()
    assert proof.exists()

    marker = tmp_path / "pwned"
    (artifact / WEIGHTS_FILE).write_bytes(pickle.dumps({"w": CreatesMarker(marker)}))
    with pytest.raises(ArtifactError, match=r"model\.safetensors is corrupted or not a safetensors file"):
        read_artifact(artifact)
    assert not marker.exists()


# --- migrations ---------------------------------------------------------------------------------------------


def write_v0_artifact(directory: Path) -> None:
    directory.mkdir()
    save_file({"w": torch.arange(3.0)}, directory / WEIGHTS_FILE)
    old = {"format_version": 0, "model": {"name": "mlp", "config": {"width": 8}}}
    (directory / METADATA_FILE).write_text(json.dumps(old), encoding="utf-8")


def test_old_format_is_migrated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def rename_model_to_architecture(metadata: dict) -> dict:
        metadata["architecture"] = metadata.pop("model")
        return metadata

    monkeypatch.setitem(_migrations.MIGRATIONS, 0, rename_model_to_architecture)
    write_v0_artifact(tmp_path / "old")
    metadata, state_dict = read_artifact(tmp_path / "old")
    assert metadata == {"format_version": 1, "architecture": {"name": "mlp", "config": {"width": 8}}}
    assert torch.equal(state_dict["w"], torch.arange(3.0))
    assert read_metadata(tmp_path / "old") == metadata


def test_old_format_without_migration_is_refused(tmp_path: Path) -> None:
    write_v0_artifact(tmp_path / "old")
    with pytest.raises(ArtifactError) as caught:
        read_metadata(tmp_path / "old")
    assert str(caught.value) == (
        f"{tmp_path / 'old' / METADATA_FILE} has format_version 0, which this trainwell cannot upgrade "
        f"(no migration from format 0 to 1; it reads formats 1 to 1); re-export the model with this trainwell"
    )


def test_migrations_chain_in_order_without_touching_the_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(_migrations.MIGRATIONS, 1, lambda m: {**m, "steps": [*m["steps"], "1->2"]})
    monkeypatch.setitem(_migrations.MIGRATIONS, 2, lambda m: {**m, "steps": [*m["steps"], "2->3"]})
    original = {"format_version": 1, "steps": []}
    assert migrate(original, target=3) == {"format_version": 3, "steps": ["1->2", "2->3"]}
    assert migrate({"format_version": 2, "steps": []}, target=3) == {"format_version": 3, "steps": ["2->3"]}
    assert original == {"format_version": 1, "steps": []}


def test_shipped_migration_table_is_a_contiguous_chain_to_the_current_format() -> None:
    versions = sorted(_migrations.MIGRATIONS)
    assert versions == list(range(FORMAT_VERSION - len(versions), FORMAT_VERSION))


def test_a_replacing_save_keeps_the_files_it_does_not_own(tmp_path: Path) -> None:
    model = tmp_path / "model"
    save_artifact(
        model, {"w": torch.ones(1)}, {}, extra_files={"history.csv": b"old\n", "curves.png": b"old"}
    )
    (model / "model.onnx").write_bytes(b"an export of the old weights")
    (model / "notes.txt").write_text("mine")
    (model / "report.html").write_text("<html>old model</html>")
    (model / "old.html").write_text("<!DOCTYPE html>\n<html>\n<head><title>trainwell report: model</title>")
    (model / ".gitignore").write_text("*.onnx\n")
    (model / "extra").mkdir()
    (model / "extra" / "data.csv").write_text("a,b\n")
    with (
        pytest.warns(UserWarning, match=r"kept \.gitignore, extra, notes\.txt, report\.html in .* replaced"),
        pytest.warns(
            UserWarning, match=r"removed old\.html from .*: the report of the model this save replaced"
        ),
    ):
        save_artifact(model, {"w": torch.zeros(1)}, {}, extra_files={"curves.png": b"new"})
    names = sorted(path.name for path in model.iterdir())
    # The old model's own files go (a stale ONNX export, its history, trainwell's report of it, which described
    # it beside the new model); the new ones and the user's stay (an HTML page of theirs too).
    assert names == [".gitignore", "curves.png", "extra", "model.safetensors", "notes.txt", "report.html",
                     "trainwell.json"]  # fmt: skip
    assert (model / "curves.png").read_bytes() == b"new" and (model / "notes.txt").read_text() == "mine"
    assert (model / "extra" / "data.csv").read_text() == "a,b\n"
    assert leftovers(tmp_path) == []


def test_a_save_that_replaces_nothing_of_the_users_says_nothing(tmp_path: Path) -> None:
    import warnings

    save_artifact(tmp_path / "model", {"w": torch.ones(1)}, {})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        save_artifact(tmp_path / "model", {"w": torch.zeros(1)}, {})


@pytest.mark.parametrize("old_model", [False, True])
def test_the_save_of_a_fits_model_removes_the_fits_checkpoint(tmp_path: Path, old_model: bool) -> None:
    """``trainwell fit --out DIR`` keeps its checkpoint in DIR (alone, or beside the model DIR held before);
    the model's save takes DIR (a folder of only a checkpoint is no one else's) and drops it silently, with
    the temporary file a write killed midway left."""
    import warnings

    model = tmp_path / "model"
    if old_model:
        save_artifact(model, {"w": torch.ones(1)}, {})
    model.mkdir(exist_ok=True)
    (model / FIT_CHECKPOINT_FILE).write_bytes(b"checkpoint")
    (model / f".{FIT_CHECKPOINT_FILE}.k3j2h1").write_bytes(b"half a checkpoint")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        save_artifact(model, {"w": torch.zeros(1)}, {})
    assert sorted(path.name for path in model.iterdir()) == sorted([METADATA_FILE, WEIGHTS_FILE])
    assert leftovers(tmp_path) == []


def test_a_folder_with_a_checkpoint_and_other_files_is_not_taken(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / FIT_CHECKPOINT_FILE).write_bytes(b"checkpoint")
    (model / "notes.txt").write_text("mine")
    with pytest.raises(ArtifactError, match="exists and is not a trainwell model directory"):
        save_artifact(model, {"w": torch.zeros(1)}, {})
    assert sorted(path.name for path in model.iterdir()) == [FIT_CHECKPOINT_FILE, "notes.txt"]
