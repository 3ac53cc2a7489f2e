"""``trainwell --version`` (and ``-V``) says trainwell's version, torch's and Python's, without importing torch.

The tour's user got "No such option: --version"; the version was only in ``trainwell info MODEL``. The line must
come as fast as ``--help``: torch's version is read from its package metadata, so the check runs the command in
a fresh interpreter (the tests' own holds torch already) and looks at the modules it had loaded.
"""

from __future__ import annotations

import platform
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

import trainwell
from process_support import command_env

HEAVY = ("torch", "pandas", "sklearn", "numpy")
#: ``python -c`` running ``trainwell ARGS`` that prints, after the command's own output, the heavy modules loaded.
RUN_REPORTING_IMPORTS = (
    "import atexit, runpy, sys\n"
    f"atexit.register(lambda: print('heavy:', ','.join(m for m in {HEAVY!r} if m in sys.modules)))\n"
    "sys.argv = ['trainwell', *sys.argv[1:]]\n"
    "runpy.run_module('trainwell', run_name='__main__')\n"
)


@pytest.mark.parametrize("option", ["--version", "-V"])
def test_version_names_trainwell_torch_and_python_without_importing_torch(
    option: str, tmp_path: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", RUN_REPORTING_IMPORTS, option],
        capture_output=True,
        text=True,
        env=command_env(),
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    printed, heavy = done.stdout.splitlines()
    assert printed == (
        f"trainwell {trainwell.__version__} (torch {version('torch')}, Python {platform.python_version()})"
    )
    assert heavy.removeprefix("heavy:").strip() == ""  # none of them loaded


def test_version_comes_before_a_command_and_its_missing_arguments(tmp_path: Path) -> None:
    # Eager: `trainwell --version fit` prints the version, not "Missing argument 'data'".
    done = subprocess.run(
        [sys.executable, "-m", "trainwell", "--version", "fit"],
        capture_output=True,
        text=True,
        env=command_env(),
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith(f"trainwell {trainwell.__version__} (torch ")
