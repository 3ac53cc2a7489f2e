"""A recipe prints short: print(ratings_data(...).recipe) dumped every user and item id (thousands of strings)."""

from __future__ import annotations

import pandas as pd

from trainwell.collab import ratings_data
from trainwell.core.reprs import shortened


def test_a_ratings_recipe_prints_a_few_ids_and_their_count() -> None:
    frame = pd.DataFrame(
        {"user": [f"u{i}" for i in range(3000)], "item": [f"i{i % 700}" for i in range(3000)]}
    )
    frame["rating"] = [1 + i % 5 for i in range(3000)]
    recipe = ratings_data(frame, user="user", item="item", rating="rating", seed=0).recipe
    shown = repr(recipe)
    assert len(shown) < 600, shown
    assert "users=['u" in shown and " in all]" in shown and "rating_col='rating'" in shown
    assert shortened(tuple(range(3))) == "(0, 1, 2)" and shortened(set(range(9))).endswith("9 in all}")
