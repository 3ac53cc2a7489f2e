"""A model on the user's own architecture (application ``"generic"``) takes tensors, which no command can read:
each command that would use it says so in one line (exit 2) and how to use it from Python, before trying to
rebuild an architecture only the user's code registers. In process (CliRunner), on a hand-written artifact."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from trainwell.cli.app import app
from trainwell.core.artifact import save_artifact
from trainwell.data.task import Task

ARCH = "someones_net"  # never registered: the commands must not need it


@pytest.fixture(scope="module")
def generic_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("generic")
    metadata = {
        "application": "generic",
        "task": Task("multiclass", classes=(0, 1)).to_dict(),
        "recipe": None,
        "architecture": {"name": ARCH, "config": {"width": 8}},
    }
    save_artifact(root / "model", {"out.weight": torch.zeros(2, 5)}, metadata)
    (root / "rows.csv").write_text("a,b\n1,2\n")
    return root


def _run(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(arg) for arg in args], env={"COLUMNS": "200"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stderr


@pytest.mark.parametrize(
    ("command", "what"),
    [
        (("predict", "{model}", "{root}/rows.csv"), "trainwell predict"),
        (("report", "{model}", "--data", "{root}/rows.csv"), "a report"),
        (("recommend", "{model}", "1"), "trainwell recommend"),
    ],
)
def test_commands_refuse_a_generic_model_in_one_line(
    generic_model: Path, command: tuple[str, ...], what: str
) -> None:
    model = generic_model / "model"
    code, err = _run(*(part.format(model=model, root=generic_model) for part in command))
    assert code == 2, err
    assert err.strip().count("\n") == 0 and "Traceback" not in err
    assert f"'{model}' is a model on your own architecture '{ARCH}' (application 'generic')" in err
    assert f"which {what} has no way to read" in err
    assert f"import the module that registers '{ARCH}', then trainwell.load('{model}').predict(inputs)" in err


@pytest.mark.parametrize("with_data", [False, True])
def test_onnx_export_refuses_a_generic_model_and_says_how_to_do_it_in_python(
    generic_model: Path, with_data: bool
) -> None:
    model = generic_model / "model"
    extra = ("--data", str(generic_model / "rows.csv")) if with_data else ()
    code, err = _run("export", model, *extra)
    assert code == 2, err
    assert "which ONNX export from the command line has no way to read; export it from Python" in err
    assert f"trainwell.export.export_onnx('{model}', inputs=x_valid)" in err
    assert not (model / "model.onnx").exists()
