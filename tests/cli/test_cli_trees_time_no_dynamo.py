"""``trainwell fit --arch gbdt --time 60`` loads no training code: boosted trees build no optimizer, whose first
one imports ``torch._dynamo`` (a second of CPU a process), which the command loaded all the same for its ``--time``
budget (``CommandTime.budget_of`` and the set-up of the training stack)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cli_support import binary_table, cli_env

SCRIPT = """
import atexit, sys
atexit.register(lambda: print("dynamo loaded:", "torch._dynamo" in sys.modules))
from trainwell.cli.app import main
sys.argv = ["trainwell", *sys.argv[1:]]
main()
"""


@pytest.mark.slow
@pytest.mark.parametrize("arch, loaded", [("gbdt", False), ("mlp", True)])
def test_a_trees_fit_under_time_in_a_fresh_process_does_not_import_dynamo(
    tmp_path: Path, arch: str, loaded: bool
) -> None:
    binary_table(n_rows=200).to_csv(tmp_path / "yes_no.csv", index=False)
    args = ["fit", "yes_no.csv", "--target", "y", "--arch", arch, "--time", "60", "--out", "m"]
    if arch == "mlp":
        args += ["--epochs", "1"]
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, *args], cwd=tmp_path, env=cli_env(), capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == f"dynamo loaded: {loaded}", done.stdout[-2000:]
    assert (tmp_path / "m" / "trainwell.json").is_file()
