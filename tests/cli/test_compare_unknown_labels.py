"""``trainwell compare`` on a table holding labels the models never learnt refuses it in one line naming the file
and the labels as it writes them (tour F4): a multi-label table's unknown label had been left out of every row in
silence, the scores flattering both models, and a class it lacked was refused without naming the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_support import run_cli_many

pytestmark = pytest.mark.slow


# One epoch at a learning rate given: the sweep (and its plot) is no part of what compare is asked here.
BRIEF = ("--epochs", "1", "--lr", "1e-2")


def _tables(folder: Path) -> None:
    rng = np.random.default_rng(0)
    x, z = rng.normal(size=300), rng.normal(size=300)
    tags = [
        ";".join(name for name, on in (("Alpha", a > 0), ("beta", b > 0)) if on) or "Alpha"
        for a, b in zip(x, z, strict=True)
    ]
    kind = np.where(x < -0.5, "Red Wine", np.where(x < 0.5, "white wine", "Rosé"))
    frame = pd.DataFrame({"x": x, "z": z, "tags": tags, "kind": kind})
    frame.drop(columns="kind").to_csv(folder / "tags.csv", index=False)
    frame.drop(columns="tags").to_csv(folder / "kinds.csv", index=False)
    held = frame.tail(40).reset_index(drop=True)
    held.loc[:4, "tags"] = "Gamma Ray;Alpha"
    held.loc[:2, "kind"] = "Sparkling Wine"
    held.drop(columns="kind").to_csv(folder / "tags_held.csv", index=False)
    held.drop(columns="tags").to_csv(folder / "kinds_held.csv", index=False)
    # the labels written as codes the models name (--label-names Alpha,beta)
    codes = {"Alpha": "0", "beta": "1", "Gamma Ray": "7"}
    for name, table in (("codes", frame), ("codes_held", held)):
        written = table["tags"].map(lambda cell: ",".join(codes[part] for part in cell.split(";")))
        table.drop(columns=["tags", "kind"]).assign(tags=written).to_csv(folder / f"{name}.csv", index=False)


def test_labels_the_models_never_learnt_are_refused_naming_the_file(tmp_path: Path) -> None:
    _tables(tmp_path)
    fits = run_cli_many(
        [
            ("fit", tmp_path / name, "--target", target, *more, *BRIEF, "--out", tmp_path / out)
            for name, target, more, out in (
                ("tags.csv", "tags", ("--label-delim", ";"), "tags_a"),
                ("tags.csv", "tags", ("--label-delim", ";", "--seed", "1"), "tags_b"),
                ("kinds.csv", "kind", (), "kinds_a"),
                ("kinds.csv", "kind", ("--seed", "1"), "kinds_b"),
                ("codes.csv", "tags", ("--label-delim", ",", "--label-names", "Alpha,beta"), "codes_a"),
            )
        ]
    )
    for fit in fits:
        assert fit.returncode == 0, fit.explain()
    tags, kinds, codes = run_cli_many(
        [
            ("compare", tmp_path / "tags_a", tmp_path / "tags_b", "--data", tmp_path / "tags_held.csv"),
            ("compare", tmp_path / "kinds_a", tmp_path / "kinds_b", "--data", tmp_path / "kinds_held.csv"),
            ("compare", tmp_path / "codes_a", tmp_path / "tags_a", "--data", tmp_path / "codes_held.csv"),
        ]
    )
    for result in (tags, kinds, codes):
        assert result.returncode == 2, result.explain()
        assert result.stdout == "", result.explain()
    assert tags.stderr_lines[-1] == (
        f"error: '{tmp_path / 'tags_held.csv'}' has labels the models do not know: 'Gamma Ray'; their labels are "
        "Alpha, beta"
    )
    assert kinds.stderr_lines[-1].startswith(f"error: '{tmp_path / 'kinds_held.csv'}': ")
    assert "['Sparkling Wine']" in kinds.stderr_lines[-1]
    # the file writes codes: the labels known are listed as it writes them, each with its name
    assert codes.stderr_lines[-1] == (
        f"error: '{tmp_path / 'codes_held.csv'}' has labels the models do not know: '7'; their labels are "
        "0 (Alpha), 1 (beta)"
    )
