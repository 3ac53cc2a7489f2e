"""The torch and onnx backends over real HTTP give the same answers; how ``auto`` chooses; the errors."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
from serve_support import LiveServer, start_server
from typer.testing import CliRunner

import trainwell
from trainwell.cli.serve_cmd import serve
from trainwell.core.errors import ArtifactError, ConfigError
from trainwell.export.onnx import OnnxPredictor
from trainwell.serve import ServeConfig, create_app
from trainwell.serve.app import MODEL_ENV, OPTIONS_ENV, app_from_env
from trainwell.serve.backends import auto_choice_reason, onnx_parity_passed, resolve_backend

TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def servers(onnx_model_dir: Path) -> Iterator[dict[str, LiveServer]]:
    """The same ONNX-exported model directory served once per backend."""
    live = {
        name: start_server(create_app(onnx_model_dir, threads=1, backend=name)) for name in ("torch", "onnx")
    }
    yield live
    for server in live.values():
        server.stop()


def probe_rows(new_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    base = new_rows[0]
    unseen = {**base, "workclass": "Astronaut", "education-num": 99}
    nulls = {**base, "workclass": None, "education-num": None, "age": None, "hours-per-week": None}
    far = {**base, "age": 120, "capital-gain": 99_999}
    return [*new_rows[:24], unseen, nulls, far]


def assert_same_answers(expected: list[dict[str, Any]], actual: list[dict[str, Any]]) -> None:
    assert len(actual) == len(expected)
    for reference, answer in zip(expected, actual, strict=True):
        assert answer["prediction"] == reference["prediction"]
        assert answer["probabilities"].keys() == reference["probabilities"].keys()
        for label, p in reference["probabilities"].items():
            assert abs(answer["probabilities"][label] - p) <= TOLERANCE


def test_backends_answer_the_same_and_match_the_python_api(
    servers: dict[str, LiveServer], predictor: Any, new_rows: list[dict]
) -> None:
    rows = probe_rows(new_rows)
    answers = {}
    for name, server in servers.items():
        response = httpx.post(f"{server.url}/predict", json={"rows": rows}, timeout=60)
        assert response.status_code == 200, response.text
        answers[name] = response.json()["predictions"]
    assert_same_answers(answers["torch"], answers["onnx"])
    # Both against the reference: the PyTorch predictor loaded by the Python API.
    expected = predictor.predict(rows)
    positive = str(predictor.task.classes[1])
    assert [answer["prediction"] for answer in answers["onnx"]] == expected["prediction"].tolist()
    for answer, p in zip(answers["onnx"], expected[f"probability_{positive}"], strict=True):
        assert abs(answer["probabilities"][positive] - float(p)) <= TOLERANCE


def test_onnx_backend_merges_concurrent_requests_with_the_same_answers(
    servers: dict[str, LiveServer], new_rows: list[dict]
) -> None:
    rows = probe_rows(new_rows)
    stats = servers["onnx"].app.state.batch_stats
    calls_before = stats.calls

    async def send_each(url: str) -> list[dict[str, Any]]:
        async with httpx.AsyncClient(
            base_url=url, timeout=60, limits=httpx.Limits(max_connections=64)
        ) as client:
            responses = await asyncio.gather(*(client.post("/predict", json={"rows": [row]}) for row in rows))
        assert [response.status_code for response in responses] == [200] * len(rows)
        return [response.json()["predictions"][0] for response in responses]

    onnx_answers = asyncio.run(send_each(servers["onnx"].url))
    torch_answers = asyncio.run(send_each(servers["torch"].url))
    assert_same_answers(torch_answers, onnx_answers)
    assert stats.calls - calls_before < len(rows), "no requests were merged on the onnx backend"


def test_metadata_reports_the_backend(servers: dict[str, LiveServer]) -> None:
    for name, server in servers.items():
        body = httpx.get(f"{server.url}/metadata", timeout=60).json()
        assert body["backend"] == name
        assert server.app.state.backend == name


def test_auto_picks_onnx_only_when_the_export_was_checked(
    onnx_model_dir: Path, model_dir: Path, tmp_path: Path
) -> None:
    even = copy_with_onnx_entry(
        onnx_model_dir, tmp_path / "even", {"speed": {"items": 64, "onnxruntime_ms": 1.0, "torch_ms": 1.0}}
    )
    assert create_app(even).state.backend == "onnx"  # auto is the default
    assert create_app(model_dir).state.backend == "torch"
    assert create_app(even, backend="torch").state.backend == "torch"


@pytest.mark.parametrize(
    ("speed", "expected"),
    [
        ({"items": 64, "onnxruntime_ms": 1.0, "torch_ms": 2.0}, "onnx"),
        ({"items": 64, "onnxruntime_ms": 1.2, "torch_ms": 1.0}, "onnx"),  # within the noise
        ({"items": 64, "onnxruntime_ms": 2.0, "torch_ms": 1.0}, "torch"),
        (None, "onnx"),  # exported before the timing was recorded
        ({"items": 64, "onnxruntime_ms": "fast", "torch_ms": 1.0}, "onnx"),
    ],
)
def test_auto_keeps_pytorch_when_the_export_measured_onnx_slower(
    onnx_model_dir: Path, tmp_path: Path, speed: dict[str, Any] | None, expected: str
) -> None:
    directory = copy_with_onnx_entry(onnx_model_dir, tmp_path / "model", {"speed": speed})
    assert resolve_backend(directory, "auto") == expected
    assert resolve_backend(directory, "onnx") == "onnx"  # asked for by name, it is used
    # The server says why it left a checked model.onnx aside.
    reason = auto_choice_reason(directory)
    if expected == "onnx":
        assert reason is None
    else:
        assert reason == (
            "the export timed onnxruntime at 2 ms a batch against PyTorch's 1 ms; --backend onnx serves it anyway"
        )


def test_the_export_times_both_runtimes_on_a_servers_batch(onnx_model_dir: Path) -> None:
    entry = json.loads((onnx_model_dir / "trainwell.json").read_text())["onnx"]
    speed = entry["speed"]
    assert speed["items"] == 64
    assert speed["onnxruntime_ms"] > 0 and speed["torch_ms"] > 0


def copy_with_onnx_entry(source: Path, target: Path, entry: dict[str, Any] | None) -> Path:
    shutil.copytree(source, target)
    path = target / "trainwell.json"
    document = json.loads(path.read_text())
    if entry is None:
        del document["onnx"]
    else:
        document["onnx"].update(entry)
    path.write_text(json.dumps(document))
    return target


@pytest.mark.parametrize("entry", [None, {"max_scaled_diff": 0.5}, {"max_scaled_diff": float("nan")}])
def test_unchecked_onnx_file_is_torch_for_auto_and_refused_for_onnx(
    onnx_model_dir: Path, tmp_path: Path, entry: dict[str, Any] | None
) -> None:
    directory = copy_with_onnx_entry(onnx_model_dir, tmp_path / "model", entry)
    assert resolve_backend(directory, "auto") == "torch"
    with pytest.raises(ConfigError) as error:
        resolve_backend(directory, "onnx")
    assert str(error.value) == (
        f"backend 'onnx': {directory / 'model.onnx'} has no passing parity check recorded in trainwell.json "
        f"(it may be left over from an earlier model); re-export it with `trainwell export {directory} "
        "--onnx`, or pass --backend torch"
    )


def test_weights_replaced_after_the_export_are_served_with_pytorch_and_refused_for_onnx(
    onnx_model_dir: Path, tmp_path: Path
) -> None:
    # New weights copied over model.safetensors: auto served the old model.onnx as the model, without a word
    # (probabilities 0.54 apart from trainwell.load's, 15 of 100 labels different).
    from safetensors.torch import load_file, save_file

    directory = copy_with_onnx_entry(onnx_model_dir, tmp_path / "model", {"speed": None})
    assert resolve_backend(directory, "auto") == "onnx"  # the weights the export checked
    weights = load_file(directory / "model.safetensors")
    first = next(iter(weights))
    weights[first] = weights[first] + 1.0
    save_file(weights, directory / "model.safetensors", metadata={"format": "pt"})
    assert resolve_backend(directory, "auto") == "torch"
    assert auto_choice_reason(directory) == (
        "model.safetensors changed since `trainwell export` checked model.onnx against the weights, so model.onnx "
        f"may be another model's; re-export it with `trainwell export {directory} --onnx`"
    )
    with pytest.raises(
        ConfigError, match=r"^backend 'onnx': model\.safetensors changed since .* or pass --backend"
    ):
        resolve_backend(directory, "onnx")
    from trainwell.export.onnx import export_onnx

    export_onnx(directory)  # checked again: these weights are the export's
    assert resolve_backend(directory, "onnx") == "onnx"


def test_parity_record_rules() -> None:
    good = {"file": "model.onnx", "max_scaled_diff": 3e-8, "tolerance": 1e-4}
    assert onnx_parity_passed({"onnx": good})
    assert not onnx_parity_passed({})
    assert not onnx_parity_passed({"onnx": {**good, "max_scaled_diff": 2e-4}})
    assert not onnx_parity_passed({"onnx": {**good, "file": "other.onnx"}})
    assert not onnx_parity_passed({"onnx": {**good, "tolerance": None}})


def test_onnx_backend_without_model_onnx_says_how_to_export(model_dir: Path) -> None:
    with pytest.raises(ConfigError) as error:
        create_app(model_dir, backend="onnx")
    assert str(error.value) == (
        f"backend 'onnx' needs model.onnx in the model directory '{model_dir}', which has none; write it "
        f"with `trainwell export {model_dir} --onnx`, or pass --backend torch"
    )


def test_unknown_backend_is_refused(model_dir: Path) -> None:
    message = "backend must be one of auto, torch, onnx, got 'tensorflow'; pass e.g. --backend auto"
    with pytest.raises(ConfigError, match=f"^{message}$"):
        ServeConfig(backend="tensorflow")
    with pytest.raises(ConfigError, match=f"^{message}$"):
        create_app(model_dir, backend="tensorflow")


def test_loaded_predictor_keeps_its_backend(onnx_model_dir: Path, predictor: Any) -> None:
    assert create_app(OnnxPredictor(onnx_model_dir, threads=1)).state.backend == "onnx"
    assert create_app(predictor).state.backend == "torch"
    with pytest.raises(ConfigError, match=r"^backend='onnx' does not match the given predictor"):
        create_app(predictor, backend="onnx")


def test_app_factory_passes_the_backend(onnx_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MODEL_ENV, str(onnx_model_dir))
    monkeypatch.setenv(OPTIONS_ENV, json.dumps({"backend": "torch", "threads": 1}))
    app = app_from_env()
    assert (app.state.backend, app.state.config.backend) == ("torch", "torch")
    monkeypatch.setenv(OPTIONS_ENV, json.dumps({"backend": "onnx", "threads": 1}))
    assert app_from_env().state.backend == "onnx"


def run_command(*args: str) -> Any:
    command = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    command.command()(serve)
    return CliRunner().invoke(command, list(args), env={"COLUMNS": "200"})


def test_command_backend_onnx_without_export_is_one_line_and_exit_2(model_dir: Path) -> None:
    result = run_command(str(model_dir), "--backend", "onnx")
    assert result.exit_code == 2
    # The line said before the model's stack is imported and the model loaded, then the error alone.
    assert result.output.strip() == f"loading {model_dir} ...\n" + (
        f"error: backend 'onnx' needs model.onnx in the model directory '{model_dir}', which has none; write "
        f"it with `trainwell export {model_dir} --onnx`, or pass --backend torch"
    )


def test_command_lists_the_backends(model_dir: Path) -> None:
    result = run_command(str(model_dir), "--backend", "tensorflow")
    assert result.exit_code == 2
    assert "'tensorflow' is not one of 'auto', 'torch', 'onnx'" in result.output


def test_a_model_on_the_users_own_architecture_is_refused_before_it_is_rebuilt(tmp_path: Path) -> None:
    import torch

    from trainwell.core.artifact import save_artifact
    from trainwell.data.task import Task
    from trainwell.export import GenericPredictor

    task = Task("multiclass", classes=(0, 1))
    metadata = {
        "application": "generic",
        "task": task.to_dict(),
        "recipe": None,
        "architecture": {"name": "someones_net", "config": {}},  # not registered: never rebuilt
    }
    save_artifact(tmp_path / "model", {"weight": torch.zeros(2, 3)}, metadata)
    advice = "use it from Python: import the module that registers 'someones_net', then trainwell.load("
    with pytest.raises(ConfigError, match="which serving over HTTP has no way to read; " + re.escape(advice)):
        create_app(tmp_path / "model")
    loaded = GenericPredictor(torch.nn.Linear(3, 2), task, None, metadata)  # as trainwell.load gives it
    with pytest.raises(ConfigError, match="is a model on your own architecture 'someones_net'"):
        create_app(loaded)


@pytest.mark.parametrize("damage", ["truncated", "padded", "missing"])
def test_damaged_weights_stop_the_onnx_server_from_starting(
    onnx_model_dir: Path, tmp_path: Path, damage: str
) -> None:
    # The graph runs without model.safetensors, so the server started and /health said ok while `trainwell
    # predict` and `load` failed on the same directory.
    copy = tmp_path / "model"
    shutil.copytree(onnx_model_dir, copy)
    weights = copy / "model.safetensors"
    if damage == "missing":
        weights.unlink()
    else:
        data = weights.read_bytes()
        weights.write_bytes(data[:-100] if damage == "truncated" else data + b"\0" * 8)
    with pytest.raises(ArtifactError) as loading:
        trainwell.load(copy)
    for backend in ("onnx", "auto"):
        with pytest.raises(ArtifactError) as starting:
            create_app(copy, backend=backend)
        assert str(starting.value) == str(loading.value)
    result = run_command(str(copy), "--backend", "onnx", "--port", "0")
    assert result.exit_code == 2
    assert result.output.strip() == f"loading {copy} ...\nerror: {loading.value}"
