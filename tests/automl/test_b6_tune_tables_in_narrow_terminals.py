"""``trainwell tune``'s trials table printed on the command line's console under COLUMNS=80 and 120: no line wider
than the terminal, every score, header and setting (``epochs 2``, ``layers 512-256-128``) whole on its line. At 80
columns rich narrowed every column alike: ``roc_auc`` over two lines, ``1.00e-`` over ``02``, ``epochs`` over
``2``; at 120 the settings of ``--arch auto``'s models still broke between a name and its value (``numbers`` over
``periodic``). Where the table fits it prints as before.

The trials are records as ``tuning.json`` keeps them (those of a real ``tune`` of 1,500 Adult rows, and an MLP
search with trials pruned and cut short by --time): no search runs here.
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest

from console_support import printed
from trainwell.cli.tune_cmd import COLUMN_NAMES, print_trials

MLP = {
    "lr": 0.01,
    "wd": 0.01,
    "epochs": 14,
    "layers": "512-256-128",
    "dropout": 0.1,
    "numeric_embedding": "periodic",
}

#: ``tune adult.csv --target income --trials 3 --search epochs=1:2`` (1,500 rows): both kinds' defaults, an MLP.
AUTO = SimpleNamespace(
    metric="roc_auc",
    direction="maximize",
    default_values={"gbdt": 0.8771, "tabular_mlp": 0.8801},
    trials=[
        {"number": 0, "state": "complete", "value": 0.8770708542442394, "arch": "gbdt", "seconds": 1.158,
         "params": {"learning_rate": 0.1, "max_leaf_nodes": 31, "min_samples_leaf": 20, "l2_regularization": 1e-06},
         "defaults": True, "cut_by_time": False},
        {"number": 1, "state": "complete", "value": 0.8801467810695591, "arch": "tabular_mlp", "seconds": 0.463,
         "params": {**MLP, "epochs": 2, "layers": "256-128"}, "defaults": True, "cut_by_time": False},
        {"number": 2, "state": "complete", "value": 0.8293, "arch": "tabular_mlp", "seconds": 0.4,
         "params": {**MLP, "lr": 0.00311, "wd": 0.00275, "epochs": 1, "dropout": 0.192},
         "defaults": False, "cut_by_time": False},
    ],
)  # fmt: skip

#: An MLP search (--arch mlp, --metric balanced_accuracy) whose best trial --time cut, and 10 trials pruned.
MLP_SEARCH = SimpleNamespace(
    metric="balanced_accuracy",
    direction="maximize",
    default_values={"tabular_mlp": 0.87},
    trials=[
        {"number": 0, "state": "complete", "value": 0.87, "arch": "tabular_mlp", "params": MLP, "seconds": 3.2,
         "defaults": True, "cut_by_time": False},
        {"number": 11, "state": "complete", "value": 0.88, "arch": "tabular_mlp", "params": MLP, "seconds": 3.2,
         "defaults": False, "cut_by_time": True, "epochs_trained": 6.3},
    ]
    + [
        {"number": n, "state": "pruned", "pruned_at_epoch": 3, "epochs_planned": 12, "arch": "tabular_mlp",
         "params": MLP, "seconds": 1.0, "defaults": False}
        for n in range(12, 22)
    ],
)  # fmt: skip


def _printed(
    result: Any, columns: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> str:
    """The trials table of ``result`` as ``tune`` prints it under ``COLUMNS=columns``."""
    return printed(columns, monkeypatch, capsys, lambda console: print_trials(result, console))


def _readable(text: str, columns: int, whole: list[str]) -> None:
    lines = text.splitlines()
    assert all(len(line) <= columns for line in lines), text
    assert "…" not in text, text
    for shown in whole:  # on one line, not folded between two
        assert any(shown in line for line in lines), (shown, text)


def _pairs(result: Any) -> list[str]:
    """Every setting of every trial as ``name value``, the way the settings column writes it."""
    from trainwell.cli.tune_cmd import _setting

    return [
        f"{COLUMN_NAMES.get(name, name)} {_setting(name, value)}"
        for trial in result.trials
        for name, value in trial["params"].items()
    ]


@pytest.mark.parametrize("columns", [80, 120])
def test_auto_search_keeps_every_setting_whole(
    columns: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shown = _printed(AUTO, columns, monkeypatch, capsys)
    scores = ["0.8771", "0.8801", "0.8293"]
    _readable(shown, columns, ["roc_auc", "1 (defaults)", "0 (defaults)", *scores, *_pairs(AUTO)])
    row = next(line for line in shown.splitlines() if "0.8771" in line)
    assert "trees" in row and "rate 1.00e-01" in row, shown  # each trial on its row, its settings beside it
    # a line of settings breaks after a setting's comma, or at its last
    settings = [re.split(r"│", line)[4].strip() for line in shown.splitlines() if line.startswith("│")]
    assert all(not part or part.endswith(",") or part.endswith(("periodic", "1.00e-06")) for part in settings)


@pytest.mark.parametrize("columns", [80, 120, 200])
def test_single_kind_keeps_scores_states_and_settings_whole(
    columns: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shown = _printed(MLP_SEARCH, columns, monkeypatch, capsys)
    _readable(
        shown, columns, ["balanced_accuracy", "0.8800", "0.8700", "0 (defaults)", "epoch 3 of 12", "+2"]
    )
    header = next(line for line in shown.splitlines() if line.startswith("┃") and "balanced_accuracy" in line)
    if columns == 80:  # the settings in one column, each whole
        assert "settings" in header, shown
        _readable(
            shown,
            columns,
            ["epochs 14 (cut at 6.3)", "layers 512-256-128", "numbers periodic", "lr 1.00e-02"],
        )
    else:  # a column a setting, as before; at 120 the pruned trials' state and the cut epochs on two lines
        assert re.search(r"\blr\b.*\bwd\b.*\bepochs\b.*\blayers\b.*\bnumbers\b", header), shown
        cut = next(line for line in shown.splitlines() if re.match(r"│ +11\b", line))
        assert "512-256-128" in cut and "periodic" in cut, shown
        assert ("14 (cut at 6.3)" in cut) == (columns == 200), shown
        assert ("pruned at epoch 3 of 12" in shown) == (columns == 200), shown
