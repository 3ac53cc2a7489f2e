"""How the ``trainwell`` process ends (:mod:`trainwell.cli._exit`): at once after the command, with its work saved.

Each command runs in a process of its own started from a script that leaves work for the end of the process, as
a user's code or a library can: an ``atexit`` handler writing a large file, a text file and a gzip stream left
open with their writes still buffered, a thread (not a daemon) that writes its file a little later. Every file
must be whole after the process has gone, with the exit code and output of the interpreter's usual ending
(``TRAINWELL_SLOW_EXIT=1``): 0 for success, 2 for a data error, 1 and the traceback for a bug, 130 for Ctrl-C.
"""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pytest
from cli_support import EPOCHS, binary_table

from process_support import command_env, run_python

LAUNCHER = """
import atexit, gzip, sys, threading, time

import trainwell.cli._early
from trainwell.cli.app import main

LINES = 200_000


def write_at_exit():
    with open("atexit.txt", "w") as file:
        for index in range(LINES):
            file.write(f"line {index}\\n")
        file.write("end\\n")


atexit.register(write_at_exit)
left_open = open("left-open.txt", "w")
left_open.write("written, never flushed nor closed\\n")
left_zipped = gzip.open("left-open.txt.gz", "wt")
left_zipped.write("zipped, never closed\\n" * 1000)


def later():
    time.sleep(0.2)
    with open("thread.txt", "w") as file:
        file.write("the thread finished\\n")


threading.Thread(target=later).start()
mode, sys.argv = sys.argv[1], [sys.argv[0], *sys.argv[2:]]


def fail(*args, **kwargs):
    if mode == "bug":
        raise RuntimeError("a bug in the command")
    if mode == "interrupt":
        raise KeyboardInterrupt
    raise SystemExit("stopped: said as the exit's message")


if mode != "plain":
    trainwell.cli._early.version_line = fail
    trainwell.cli._early.need_model_directory = fail
main()
"""


def _launch(tmp_path: Path, mode: str, *args: str, slow: bool = False) -> subprocess.CompletedProcess[str]:
    """The launcher in a fresh interpreter (the commands here import no torch: it starts in a second)."""
    script = tmp_path / "launcher.py"
    script.write_text(LAUNCHER, encoding="utf-8")
    env = command_env()
    env["TRAINWELL_SLOW_EXIT"] = "1" if slow else "0"
    return subprocess.run(
        [sys.executable, str(script), mode, *args], capture_output=True, text=True, cwd=tmp_path, env=env,
        timeout=120, check=False,
    )  # fmt: skip


def _assert_work_saved(folder: Path) -> None:
    lines = (folder / "atexit.txt").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 200_001 and lines[-1] == "end"
    assert (folder / "left-open.txt").read_text(encoding="utf-8") == "written, never flushed nor closed\n"
    with gzip.open(folder / "left-open.txt.gz", "rt") as zipped:  # whole: its end was written
        assert zipped.read() == "zipped, never closed\n" * 1000
    assert (folder / "thread.txt").read_text(encoding="utf-8") == "the thread finished\n"


@pytest.mark.parametrize(
    ("mode", "args", "code", "said"),
    [
        ("plain", ("--version",), 0, "trainwell "),
        ("plain", ("fit", "missing.csv"), 2, "error: data file 'missing.csv' not found; check the path"),
        ("plain", ("fit", "--no-such-option"), 2, "error: No such option: --no-such-option"),
        ("bug", ("--version",), 1, "RuntimeError: a bug in the command"),
        ("interrupt", ("info", "model"), 130, "interrupted"),
        ("message", ("info", "model"), 1, "stopped: said as the exit's message"),
    ],
)
def test_the_process_ends_with_its_exit_code_and_its_files_whole(
    tmp_path: Path, mode: str, args: tuple[str, ...], code: int, said: str
) -> None:
    fast_folder, slow_folder = tmp_path / "fast", tmp_path / "slow"
    fast_folder.mkdir()
    slow_folder.mkdir()
    fast = _launch(fast_folder, mode, *args)
    slow = _launch(slow_folder, mode, *args, slow=True)
    assert fast.returncode == code, fast.stderr
    assert said in fast.stdout + fast.stderr
    _assert_work_saved(fast_folder)
    _assert_work_saved(slow_folder)
    # As the interpreter's own ending says it; a bug's traceback starts at main, not at the script calling it.
    assert (fast.returncode, fast.stdout) == (slow.returncode, slow.stdout)
    if mode == "bug":
        assert fast.stderr.startswith("Traceback") and slow.stderr.startswith("Traceback")
        assert fast.stderr.splitlines()[-1] == slow.stderr.splitlines()[-1]
    else:
        assert fast.stderr == slow.stderr


def test_a_fit_ends_with_its_model_and_tracker_files_whole(tmp_path: Path) -> None:
    pytest.importorskip("tensorboard", reason="--track tensorboard needs the tensorboard extra")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    binary_table().to_csv(tmp_path / "table.csv", index=False)
    (tmp_path / "launcher.py").write_text(LAUNCHER, encoding="utf-8")
    env = dict(command_env(), TRAINWELL_SLOW_EXIT="0")
    done = run_python(
        ["launcher.py", "plain", "fit", "table.csv", "--target", "y", "--arch", "mlp", "--out", "model", *EPOCHS,
         "--lr", "1e-2", "--track", "tensorboard=runs"],  # --lr: the sweep is no part of how the process ends
        env=env, cwd=tmp_path, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "model" / "trainwell.json").is_file()
    _assert_work_saved(tmp_path)
    events = EventAccumulator(str(tmp_path / "runs"))
    events.Reload()
    assert [event.value for event in events.Scalars("epoch")] == [1, 2]


@pytest.mark.parametrize(
    ("argv", "env", "fast"),
    [
        (["fit", "data.csv"], {}, True),
        (["--version"], {}, True),
        (["serve", "model"], {}, False),  # the server stops its own workers
        (["fit", "data.csv"], {"WORLD_SIZE": "2"}, False),  # torchrun: each process leaves its group at exit
        (["fit", "data.csv"], {"WORLD_SIZE": "1"}, True),
        (["fit", "data.csv"], {"TRAINWELL_SLOW_EXIT": "1"}, False),
        (["fit", "data.csv"], {"profiled": "1"}, False),  # python -m cProfile writes its profile afterwards
    ],
)
def test_which_commands_end_at_once(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], env: dict[str, str], fast: bool
) -> None:
    from trainwell.cli._exit import ends_fast

    # The test process may itself be traced (coverage): only the case's own profiler counts.
    monkeypatch.setattr(sys, "gettrace", lambda: None)
    env = dict(env)
    profiler = print if env.pop("profiled", None) else None
    monkeypatch.setattr(sys, "getprofile", lambda: profiler)
    for name in ("WORLD_SIZE", "TRAINWELL_SLOW_EXIT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert ends_fast(argv) is fast
