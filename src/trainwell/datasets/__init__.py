"""Small datasets shipped inside the package, so the demo and examples run on a fresh machine offline.

See ``ATTRIBUTION.md`` beside this file for sources and licences.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

ADULT_TARGET = "income"


def adult_sample_path() -> Path:
    """Path of the embedded 4,000-row sample of UCI Adult (CC BY 4.0); the target column is ``income``."""
    return Path(str(resources.files(__package__).joinpath("adult_sample.csv.gz")))


def adult_sample() -> pd.DataFrame:
    """The embedded Adult sample as a DataFrame."""
    return pd.read_csv(adult_sample_path())


__all__ = ["ADULT_TARGET", "adult_sample", "adult_sample_path"]
