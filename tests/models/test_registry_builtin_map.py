"""Looking up one of trainwell's architectures imports the module that registers it and no other application's;
the name -> module map that makes this possible is checked against what trainwell's modules register."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from trainwell.models.registry import BUILTIN_ARCHITECTURES, BUILTIN_MODULES, list_models


def _run(code: str) -> object:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True, timeout=600
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_map_names_every_architecture_trainwells_modules_register() -> None:
    # A fresh process imports every trainwell module it can, then lists who registered what: a module that
    # registers an architecture missing from the map (or under another name) fails here.
    found = _run(
        """
        import importlib, json, pkgutil
        import trainwell
        from trainwell.models.registry import models

        for info in pkgutil.walk_packages(trainwell.__path__, "trainwell."):
            if ".__main__" in info.name:
                continue
            try:
                importlib.import_module(info.name)
            except Exception:  # an optional dependency missing here: its module registers nothing
                pass
        print(json.dumps({entry.name: entry.factory.__module__ for entry in models}))
        """
    )
    assert isinstance(found, dict)
    own = {name: module for name, module in found.items() if module.startswith("trainwell.")}
    assert own == BUILTIN_ARCHITECTURES
    assert set(BUILTIN_MODULES) == set(BUILTIN_ARCHITECTURES.values())


def test_list_models_stays_complete() -> None:
    assert set(BUILTIN_ARCHITECTURES) <= set(list_models())


def test_building_a_table_model_imports_no_other_application() -> None:
    loaded = _run(
        """
        import json, sys
        from trainwell.models.registry import create_model, model_from_artifact

        model = create_model("tabular_mlp", cardinalities=[3], n_cont=2, n_out=1)
        metadata = {"architecture": {"name": "tabular_mlp", "config": {"cardinalities": [3], "n_cont": 2, "n_out": 1}}}
        model_from_artifact(metadata, model.state_dict())
        print(json.dumps(sorted(name for name in sys.modules if name.startswith("trainwell."))))
        """
    )
    assert isinstance(loaded, list)
    assert "trainwell.tabular.models" in loaded
    others = [name for name in loaded if name.split(".")[1] in {"text", "vision", "collab"}]
    assert others == []


def test_a_name_trainwell_does_not_register_lists_every_known_one() -> None:
    message = _run(
        """
        import json
        from trainwell.models.registry import create_model

        try:
            create_model("tabular_mpl")
        except Exception as error:
            print(json.dumps(str(error)))
        """
    )
    assert isinstance(message, str)
    assert "did you mean 'tabular_mlp'" in message
    assert all(name in message for name in BUILTIN_ARCHITECTURES)  # the modules not yet imported too
