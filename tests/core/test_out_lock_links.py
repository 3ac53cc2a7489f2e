"""One directory, one writer, whatever it is called: a fit into ``--out conc2`` and another into ``--out
conc2_link`` (a link to ``conc2``) both ran to the end and left ``conc2`` holding the first fit's model beside the
second fit's checkpoint (tour67). The lock is keyed on the directory's real path, so the second is refused."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from process_support import command_env, run_trainwell
from trainwell.core.errors import ConfigError
from trainwell.core.out_lock import hold_out_dir, lock_path, release_out_dir

HOLD = """
import sys, time
from pathlib import Path
from trainwell.core.out_lock import hold_out_dir
hold_out_dir(Path(sys.argv[1]))
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="flock and links are POSIX here")


def _holder(out: Path, seconds: float) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(out), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
        env=command_env(),
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    return process


def _table(folder: Path) -> Path:
    table = folder / "t.csv"
    table.write_text("x,y\n" + "".join(f"{i},{i % 2}\n" for i in range(40)))
    return table


def test_a_fit_through_a_link_to_a_directory_being_written_is_refused(tmp_path: Path) -> None:
    (tmp_path / "conc2").mkdir()
    (tmp_path / "conc2_link").symlink_to("conc2")
    table = _table(tmp_path)
    for held, given in (("conc2", "conc2_link"), ("conc2_link", "conc2")):
        holder = _holder(tmp_path / held, 60)
        try:
            refused = run_trainwell(
                "fit", table, "--target", "y", "--arch", "mlp", "--epochs", "1", "--out", given, cwd=tmp_path
            )
            assert refused.returncode == 2, refused.stderr
            assert "is being written by another trainwell fit" in refused.stderr
            assert refused.stderr.count("\n") == 1  # one line
            if given == "conc2_link":
                assert (
                    f"(the directory '{tmp_path / 'conc2'}', which it names through a link)" in refused.stderr
                )
            assert sorted(path.name for path in (tmp_path / "conc2").iterdir()) == []  # nothing written
            with pytest.raises(ConfigError, match="is being written by another trainwell fit"):
                hold_out_dir(tmp_path / given)
        finally:
            holder.kill()
            holder.wait()
    # One lock file for both names, beside the real directory; none beside the link's name.
    assert (
        lock_path(tmp_path / "conc2_link")
        == lock_path(tmp_path / "conc2")
        == tmp_path / ".conc2.trainwell-lock"
    )


def test_a_link_in_a_folder_above_out_is_the_same_directory_too(tmp_path: Path) -> None:
    (tmp_path / "runs").mkdir()
    (tmp_path / "also_runs").symlink_to("runs")
    holder = _holder(tmp_path / "runs" / "model", 60)  # the model folder itself not made yet
    try:
        with pytest.raises(ConfigError, match="is being written"):
            hold_out_dir(tmp_path / "also_runs" / "model")
    finally:
        holder.kill()
        holder.wait()
    hold_out_dir(tmp_path / "also_runs" / "model")  # free now: taken, and let go under either name
    release_out_dir(tmp_path / "runs" / "model")
    assert not lock_path(tmp_path / "runs" / "model").exists()


def test_a_fit_and_a_search_through_a_link_still_write_their_directory(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to("real")
    table = _table(tmp_path)
    fitted = run_trainwell(
        "fit", table, "--target", "y", "--arch", "mlp", "--epochs", "1", "--out", "link/m", cwd=tmp_path
    )
    assert fitted.returncode == 0, fitted.stderr
    assert (tmp_path / "real" / "m" / "trainwell.json").is_file()
    assert not any(path.name.endswith(".trainwell-lock") for path in (tmp_path / "real").iterdir())
    again = run_trainwell(
        "fit", table, "--target", "y", "--arch", "mlp", "--epochs", "1", "--out", "real/m", cwd=tmp_path
    )
    assert again.returncode == 0, again.stderr  # the lock let go when the first fit ended
    search = run_trainwell(
        "tune", table, "--target", "y", "--arch", "mlp", "--trials", "1", "--search", "epochs=1:1",
        "--out", "link/t", cwd=tmp_path,
    )  # fmt: skip
    assert search.returncode == 0, search.stderr
    assert (tmp_path / "real" / "t" / "trainwell.json").is_file()
    assert not any(path.name.endswith(".trainwell-lock") for path in (tmp_path / "real").iterdir())
