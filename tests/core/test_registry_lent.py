"""Registry.lent: an entry for one use (trainwell.load(dir, model=MyNet)), the table as it was afterwards."""

from __future__ import annotations

import pytest

from trainwell.core.registry import Registry


def test_a_lent_entry_is_gone_afterwards_and_one_it_covered_is_back() -> None:
    things: Registry[object] = Registry("widget")
    things.add("kept", int)
    with things.lent("new", float):
        assert things.get("new") is float
    assert "new" not in things
    with pytest.raises(RuntimeError), things.lent("kept", str):
        assert things.get("kept") is str
        raise RuntimeError("the block failed")
    assert things.get("kept") is int and things.names() == ["kept"]
