"""The torch-free list of built-in architectures is the registry's, and tells the names this version lacks."""

from __future__ import annotations

from trainwell.core.arch_names import BUILTIN_ARCHITECTURES, unknown_architecture
from trainwell.models.registry import list_models, models


def test_the_list_is_what_the_registry_holds_of_trainwells_own() -> None:
    own = [
        name for name in list_models() if getattr(models.get(name), "__module__", "").startswith("trainwell.")
    ]
    assert list(BUILTIN_ARCHITECTURES) == sorted(own)


def test_unknown_names_and_what_is_left_to_loading() -> None:
    assert (
        unknown_architecture({"architecture": {"name": "transformer_crf", "config": {}}}) == "transformer_crf"
    )
    assert unknown_architecture({"architecture": {"name": "bilstm_crf", "config": {}}}) is None
    own = {"architecture": {"name": "my_net", "config": {}, "built_by": "nets:MyNet"}}
    assert unknown_architecture(own) is None  # the user's own, which loading asks to import
    assert unknown_architecture({"architecture": "bilstm_crf"}) is None  # malformed: loading says how
    assert unknown_architecture({}) is None
