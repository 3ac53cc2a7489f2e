"""An output file never lands on what a command reads nor inside a model directory; an existing file replaced is
said so (tour T47, finding 1: `predict --out rows.csv` replaced the rows, `--out MODEL/trainwell.json` the model)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from cli_support import run_cli, run_cli_many

from trainwell.cli._outputs import check_out_file, model_directory_holding
from trainwell.core.errors import ConfigError


def test_the_input_itself_however_named_is_refused(tmp_path: Path) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text("a\n1\n")
    os.symlink(rows, tmp_path / "link.csv")
    for out in (rows, tmp_path / "link.csv", tmp_path / "sub" / ".." / "rows.csv"):
        (tmp_path / "sub").mkdir(exist_ok=True)
        with pytest.raises(ConfigError, match=r"is the input '.*rows.csv' this command reads"):
            check_out_file(out, [rows])
    check_out_file(tmp_path / "other.csv", [rows])  # another file: fine
    check_out_file(None, [rows])


def test_a_file_inside_a_model_directory_at_any_depth_is_refused(tmp_path: Path) -> None:
    model = tmp_path / "model"
    (model / "plots").mkdir(parents=True)
    (model / "trainwell.json").write_text("{}")
    assert model_directory_holding(model / "plots" / "p.csv") == model.resolve()
    assert model_directory_holding(tmp_path / "p.csv") is None
    with pytest.raises(ConfigError, match=r"--oof '.*trainwell.json' lies inside the model directory"):
        check_out_file(model / "trainwell.json", [], option="--oof")
    with pytest.raises(ConfigError, match="write it outside that folder"):
        check_out_file(model / "plots" / "p.csv", [])


@pytest.mark.slow
def test_predict_refuses_its_input_and_the_model_and_says_what_it_replaced(
    model_dir: Path, binary_csv: Path, tmp_path: Path
) -> None:
    model = tmp_path / "model"
    shutil.copytree(model_dir, model)
    rows = tmp_path / "rows.csv"
    shutil.copy(binary_csv, rows)
    before = rows.read_bytes(), (model / "trainwell.json").read_bytes()
    existing = tmp_path / "existing.csv"
    existing.write_text("old\n")
    over_rows, over_model, replaced, fresh = run_cli_many(
        [
            ("predict", model, rows, "--out", rows),
            ("predict", model, rows, "--out", model / "trainwell.json"),
            ("predict", model, rows, "--out", existing),
            ("predict", model, rows, "--out", tmp_path / "new.csv"),
        ]
    )
    assert over_rows.returncode == 2, over_rows.explain()
    assert over_rows.stderr_lines == [
        f"error: --out '{rows}' is the input '{rows}' this command reads; writing there would replace it: "
        "choose another file name"
    ]
    assert over_model.returncode == 2, over_model.explain()
    assert len(over_model.stderr_lines) == 1
    assert f"lies inside the model directory '{model}'" in over_model.stderr
    assert (rows.read_bytes(), (model / "trainwell.json").read_bytes()) == before
    assert replaced.returncode == 0, replaced.explain()
    assert replaced.stderr_lines[-1].endswith(f"to {existing} (it replaced the file that was there)")
    assert existing.read_text().startswith("prediction")
    assert fresh.returncode == 0, fresh.explain()
    assert "replaced" not in fresh.stderr
    assert run_cli("predict", model, rows).returncode == 0  # the model is whole


def test_evaluate_lr_find_compare_and_boundary_refuse_to_write_over_their_data(
    model_dir: Path, binary_csv: Path
) -> None:
    rows = Path("rows.csv")
    shutil.copy(binary_csv, rows)
    before = rows.read_bytes()
    results = run_cli_many(
        [
            ("evaluate", rows, "--target", "y", "--json", rows),
            ("evaluate", rows, "--target", "y", "--oof", model_dir / "oof.csv"),
            ("lr-find", rows, "--target", "y", "--out", rows),
            ("compare", model_dir, model_dir, "--data", rows, "--json", rows),
            ("boundary", rows, "--target", "y", "--out", rows),
        ]
    )
    for result in results:
        assert result.returncode == 2, result.explain()
        assert len(result.stderr_lines) == 1, result.explain()
    assert "--json 'rows.csv' is the input 'rows.csv'" in results[0].stderr
    assert "--oof" in results[1].stderr and "lies inside the model directory" in results[1].stderr
    assert "--out 'rows.csv' is the input" in results[2].stderr
    assert "--json 'rows.csv' is the input" in results[3].stderr
    assert "--out 'rows.csv' is the input" in results[4].stderr
    assert rows.read_bytes() == before and not (model_dir / "oof.csv").exists()
