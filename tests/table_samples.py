"""Small tables for the tabular tests, deterministic for a seed."""

from __future__ import annotations

import numpy as np
import pandas as pd


def yes_no_rows(n_rows: int, seed: int) -> pd.DataFrame:
    """A learnable yes/no rule (``y``) over two numbers and a colour, without missing values: the smallest
    table a classifier (an MLP or boosted trees) learns something from."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n_rows), rng.uniform(0, 10, size=n_rows)
    color = rng.choice(["red", "green", "blue"], size=n_rows)
    score = 1.5 * x1 + 2.0 * (color == "red") - 0.4 * (x2 - 5)
    return pd.DataFrame({"x1": x1, "x2": x2, "color": color, "y": np.where(score > 0.5, "yes", "no")})
