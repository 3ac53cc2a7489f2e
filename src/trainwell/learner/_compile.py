"""``torch.compile`` for a Learner's model, with what it needs checked before training starts.

On the CPU, torch's default backend (inductor) writes C++ and builds it with a C++ compiler. Without one the
model wraps without complaint and the first batch fails, deep inside the compiler stack, with a traceback of
several screens. :func:`check_compiler` asks the question up front, with the same search inductor runs
(``torch._inductor.cpp_builder.get_cpp_compiler``: ``$CXX``, else ``g++``, each tried with ``--version``), and
:func:`compile_model` refuses in one line that names the fixes.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import torch

from trainwell.core.errors import ConfigError

#: The backends that build C++ for models on the CPU.
NEEDS_CXX = ("inductor",)


def find_cxx_compiler() -> str | None:
    """The C++ compiler inductor would use on this machine, or ``None`` when it would find none."""
    try:
        from torch._inductor import exc
        from torch._inductor.cpp_builder import get_cpp_compiler
    except ImportError:  # another torch layout: repeat its search (``$CXX``, else g++) by hand
        candidate = os.environ.get("CXX", "g++")
        found = shutil.which(candidate)
        if found is None:
            return None
        try:
            subprocess.run([found, "--version"], capture_output=True, check=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            return None
        return found
    try:
        return get_cpp_compiler()
    except exc.InvalidCxxCompiler:
        return None


def check_compiler(backend: str, device: torch.device) -> None:
    """Refuse a compile that needs a C++ compiler this machine lacks (``inductor`` on the CPU).

    Raises:
        ConfigError: no working C++ compiler was found; the message names the fixes.
    """
    if backend not in NEEDS_CXX or device.type != "cpu" or find_cxx_compiler() is not None:
        return
    wanted = os.environ.get("CXX")
    looked = f"$CXX={wanted!r}" if wanted else "g++ (set CXX to name another)"
    raise ConfigError(
        f"compile=True builds the model with torch's {backend} backend, which on the CPU needs a C++ compiler, "
        f"and none works here (looked for {looked}): install one (e.g. apt install g++) or point CXX at it, or "
        "pass compile=False (or compile='eager' to check the model traces without generating code)"
    )


def compile_model(model: torch.nn.Module, compile: bool | str, device: torch.device) -> torch.nn.Module:
    """``torch.compile(model)`` with ``compile`` naming the backend (``True``: inductor), checked first.

    Raises:
        ConfigError: the backend needs a C++ compiler and none is found (see :func:`check_compiler`).
    """
    backend = compile if isinstance(compile, str) else "inductor"
    check_compiler(backend, device)
    return torch.compile(model, backend=backend)  # type: ignore[return-value]
