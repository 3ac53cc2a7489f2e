"""``fit --track mlflow`` keeps the run's artifacts (the model directory) in ``mlruns/`` beside the MLflow
database: it left ``./mlruns/`` beside ``./mlflow.db`` unnamed, and with ``MLFLOW_TRACKING_URI`` naming a
database elsewhere the artifacts landed in whatever folder each fit ran in."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import EPOCHS, run_cli

pytest.importorskip("mlflow", reason="--track needs the mlflow extra")

from mlflow.tracking import MlflowClient

from trainwell.callbacks.mlflow_logger import artifacts_beside

pytestmark = pytest.mark.slow


def test_the_model_directory_lands_beside_the_database_not_in_the_working_folder(
    binary_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, work = tmp_path / "tracking", tmp_path / "work"
    store.mkdir()
    work.mkdir()
    uri = f"sqlite:///{store / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    result = run_cli(
        "fit", binary_csv, "--target", "y", "--arch", "mlp", "--out", "model", *EPOCHS, "--lr", "1e-2", "--track", "mlflow",
        cwd=work,
    )  # fmt: skip
    assert result.returncode == 0, result.explain()
    client = MlflowClient(uri)
    (run,) = client.search_runs([client.get_experiment_by_name("trainwell").experiment_id])
    artifacts = store / "mlruns" / "trainwell" / run.info.run_id / "artifacts"
    assert run.info.artifact_uri == artifacts.as_uri()
    assert (artifacts / "model" / "trainwell.json").is_file()
    assert sorted(path.name for path in work.iterdir()) == ["model"]  # no mlruns/ where the fit ran


def test_only_a_sqlite_file_gets_its_artifacts_beside_it(tmp_path: Path) -> None:
    assert (
        artifacts_beside("sqlite:///mlflow.db", "trainwell") == (Path.cwd() / "mlruns" / "trainwell").as_uri()
    )
    assert artifacts_beside(f"sqlite:///{tmp_path}/a.db?timeout=5", "pets runs/v2") == (
        (tmp_path / "mlruns" / "pets-runs-v2").as_uri()
    )
    assert (
        artifacts_beside(f"sqlite:///{tmp_path}/a.db", "///") == (tmp_path / "mlruns" / "experiment").as_uri()
    )
    assert artifacts_beside("http://host:5000", "x") is None
    assert artifacts_beside("sqlite:///:memory:", "x") is None
