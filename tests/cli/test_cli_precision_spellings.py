"""--precision and MixedPrecision(dtype) read one list of spellings (trainwell.core.precision_names): the two
accepted different words (--precision refused bf16-mixed and 16, MixedPrecision refused nothing --precision took,
but the lists were kept by hand), and refused an unknown one in different words."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from process_support import command_env
from trainwell.callbacks import MixedPrecision
from trainwell.cli._training import training_options
from trainwell.core.errors import ConfigError
from trainwell.core.precision_names import ALIASES, DTYPES, spellings

#: Every accepted spelling, in the cases a user may type it.
EVERY = sorted({word for name in spellings() for word in (name, name.upper(), f" {name.title()} ")})


@pytest.mark.parametrize("spelled", EVERY)
def test_both_accept_every_spelling_and_read_it_alike(spelled: str) -> None:
    assert training_options(None, spelled, None).precision == MixedPrecision(spelled).dtype


def test_the_spellings_are_the_float_types_and_their_aliases() -> None:
    assert set(spellings()) == {*DTYPES, *ALIASES}
    assert set(spellings().values()) == set(DTYPES)
    assert {"bf16", "fp16", "fp32", "auto", "bf16-mixed", "16-mixed", "32-true"} <= set(spellings())


@pytest.mark.parametrize("refused", ["fp8", "bf16-true", "half", "", "float64"])
def test_both_refuse_an_unknown_spelling_in_the_same_words(refused: str) -> None:
    with pytest.raises(ConfigError) as by_option:
        training_options(None, refused, None)
    with pytest.raises(ConfigError) as by_callback:
        MixedPrecision(refused)
    said = str(by_option.value)
    assert said.startswith(f"--precision {refused!r} is not known; use bf16, fp16, fp32 or auto")
    assert str(by_callback.value) == said.replace("--precision", "MixedPrecision dtype", 1)
    for name in spellings():
        assert re.search(rf"[ (]{re.escape(name)}[ ,)]", said), name


def test_the_help_and_a_refused_precision_import_no_torch() -> None:
    # Each in a fresh interpreter: the option is checked before the training stack loads.
    probe = (
        "import atexit, runpy, sys\n"
        "heavy = lambda: ','.join(m for m in ('torch', 'numpy', 'pandas') if m in sys.modules)\n"
        "atexit.register(lambda: print('heavy:', heavy(), file=sys.stderr))\n"
        "sys.argv = ['trainwell', *sys.argv[1:]]\n"
        "runpy.run_module('trainwell', run_name='__main__')\n"
    )
    for args, code in (
        (("fit", "--help"), 0),
        (("fit", "data.csv", "--target", "y", "--precision", "fp8"), 2),
    ):
        done = subprocess.run(
            [sys.executable, "-c", probe, *args],
            capture_output=True,
            text=True,
            env=command_env(),
            timeout=120,
            check=False,
        )
        lines = done.stderr.splitlines()
        assert done.returncode == code and "heavy: " in lines, done.stderr
    assert "error: --precision 'fp8' is not known; use bf16, fp16, fp32 or auto" in done.stderr
