"""Warnings raised deep in trainwell name the user's own line, whatever the depth of the call."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import trainwell
from trainwell.core.warn import warn


def test_a_warning_from_inside_the_package_names_the_callers_line() -> None:
    frame = pd.DataFrame({"x": np.arange(300.0), "y": ["a", "b", "c"] * 100, "colour": ["r", "g", "b"] * 100})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = _line() + 1
        trainwell.tabular_data(frame, target="y")  # 'colour' decides 'y': the leak warning, two calls deep
    leaks = [w for w in caught if "alone decides 'y'" in str(w.message)]
    assert leaks, [str(w.message) for w in caught]
    assert (Path(leaks[0].filename).resolve(), leaks[0].lineno) == (Path(__file__).resolve(), line)


def test_warn_called_here_names_this_line() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = _line() + 1
        warn("plain", RuntimeWarning)
    assert (caught[0].category, caught[0].lineno, Path(caught[0].filename).resolve()) == (
        RuntimeWarning, line, Path(__file__).resolve(),
    )  # fmt: skip


def _line() -> int:
    import inspect

    frame = inspect.currentframe()
    assert frame is not None and frame.f_back is not None
    return frame.f_back.f_lineno


def test_a_warning_from_a_function_under_torch_no_grad_names_the_callers_line() -> None:
    # A predictor's method decorated with @torch.no_grad() is called through torch's wrapper (torch/utils/
    # _contextlib.py): the note named that file's line 124, not the user's call.
    import torch

    code = compile(
        "def noted():\n    warn('a note')\n", str(Path(trainwell.__file__).parent / "_noted.py"), "exec"
    )
    space: dict[str, Any] = {"warn": warn}
    exec(code, space)
    noted = torch.no_grad()(space["noted"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = _line() + 1
        noted()
    assert (Path(caught[0].filename).resolve(), caught[0].lineno) == (Path(__file__).resolve(), line)
