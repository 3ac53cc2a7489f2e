"""compile=True: refused at once, in one line, on a machine without the C++ compiler inductor needs on the CPU."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from image_files import make_image_folder
from trainwell.core.errors import ConfigError
from trainwell.learner._compile import check_compiler, compile_model, find_cxx_compiler

# Builds an image learner with compile=True and trains it one epoch; a ConfigError is printed, exit code 3.
SCRIPT = """
import sys
from pathlib import Path

from trainwell.core.errors import ConfigError
from trainwell.vision import image_data, vision_learner

try:
    learn = vision_learner(image_data(Path(sys.argv[1])), compile=True, progress=False)
except ConfigError as error:
    print(error)
    sys.exit(3)
learn.fit(1)
print("trained")
"""


def test_compile_without_a_cxx_compiler_is_refused_before_training(tmp_path: Path) -> None:
    # Without a compiler, vision_learner(compile=True) built fine and the first batch failed with a traceback
    # of several screens from inside inductor.
    folder = make_image_folder(tmp_path / "shapes", per_class=8)
    env = {**os.environ, "CXX": str(tmp_path / "no-such-g++"), "OMP_NUM_THREADS": "1"}
    env.pop("TORCH_INDUCTOR_INSTALL_GXX", None)  # inductor would otherwise try to fetch gcc through conda
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(folder)], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 3, done.stdout + done.stderr
    (line,) = done.stdout.splitlines()
    assert "needs a C++ compiler, and none works here (looked for $CXX=" in line
    assert "install one (e.g. apt install g++)" in line and "compile=False" in line


def test_only_inductor_on_the_cpu_asks_for_a_compiler(tmp_path: Path) -> None:
    from torch._inductor import config

    missing = str(tmp_path / "no-such-g++")
    with config.patch({"cpp.cxx": (None, missing)}):  # torch's own setting of the compiler inductor runs
        assert find_cxx_compiler() is None
        with pytest.raises(ConfigError, match=r"needs a C\+\+ compiler, and none works here"):
            compile_model(nn.Linear(2, 2), True, torch.device("cpu"))
        check_compiler("eager", torch.device("cpu"))  # traces only: no C++
        check_compiler("aot_eager", torch.device("cpu"))
        check_compiler("inductor", torch.device("meta"))  # not the CPU: inductor writes Triton there


@pytest.mark.slow
def test_with_a_compiler_the_model_compiles_and_matches_eager() -> None:
    if shutil.which(os.environ.get("CXX", "g++")) is None:
        pytest.skip("no C++ compiler on this machine")
    assert find_cxx_compiler() is not None
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)).eval()
    compiled = compile_model(model, True, torch.device("cpu"))
    x = torch.randn(16, 4)
    with torch.no_grad():
        assert torch.allclose(compiled(x), model(x), atol=1e-5)
