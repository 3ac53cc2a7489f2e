"""Fixtures of the command-line tests: the tables as files and one model fitted by the real command."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import EPOCHS, CliResult, binary_table, count_table, run_cli


@pytest.fixture(scope="session")
def binary_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tables") / "binary.csv"
    binary_table().to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def count_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tables") / "counts.csv"
    count_table().to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def fitted(tmp_path_factory: pytest.TempPathFactory, binary_csv: Path) -> tuple[Path, CliResult]:
    """``trainwell fit binary.csv --target y --epochs 2`` with every other setting at its default (seed 0)."""
    model_dir = tmp_path_factory.mktemp("fitted") / "model"
    result = run_cli("fit", binary_csv, "--target", "y", "--out", model_dir, *EPOCHS)
    assert result.returncode == 0, result.explain()
    return model_dir, result


@pytest.fixture(scope="session")
def model_dir(fitted: tuple[Path, CliResult]) -> Path:
    return fitted[0]
