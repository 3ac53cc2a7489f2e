"""benchmarks/overhead.py gives a verdict only when its rounds can carry one: rounds whose ratios ranged 0.25 to
1.82 at load 9.5 printed "meets the target" from their median alone."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def overhead() -> ModuleType:
    sys.path.insert(0, str(BENCHMARKS))  # the script imports its sibling _common
    try:
        return importlib.import_module("overhead")
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_the_tours_rounds_are_inconclusive(overhead: ModuleType) -> None:
    decided, text = overhead.verdict([0.254, 0.639, 1.816], load=9.5, cpus=2)
    assert decided == "inconclusive"
    assert text.startswith("inconclusive on this machine (load 9.5")


def test_rounds_that_straddle_the_target_on_a_quiet_machine_are_inconclusive(overhead: ModuleType) -> None:
    decided, text = overhead.verdict([0.9, 0.95, 1.0, 1.04, 1.3], load=1.0, cpus=2)
    assert decided == "inconclusive" and "holds the 1.05 target" in text


def test_rounds_all_within_or_all_above_the_target_decide(overhead: ModuleType) -> None:
    # The documented run (2026-11-23, load 1.3): five rounds 1.001 to 1.035.
    assert overhead.verdict([1.018, 1.034, 1.001, 1.035, 1.026], load=1.3, cpus=2)[0] == "meets"
    assert overhead.verdict([1.2, 1.3, 1.25, 1.1, 1.4], load=1.0, cpus=2)[0] == "misses"


def test_a_busy_machine_or_too_few_rounds_give_no_verdict(overhead: ModuleType) -> None:
    assert overhead.verdict([1.2, 1.3, 1.25, 1.1, 1.4], load=10.5, cpus=2)[0] == "inconclusive"
    assert overhead.verdict([0.98, 1.01, 1.02], load=1.0, cpus=2)[0] == "inconclusive"  # a 75% interval
    assert overhead.verdict([], load=1.0, cpus=2)[0] == "inconclusive"


def test_the_interval_narrows_to_inner_rounds_when_there_are_enough(overhead: ModuleType) -> None:
    # 10 rounds: leaving out the smallest and the largest still holds the median with >= 90% (97.9%).
    ratios = [0.1, 1.0, 1.0, 1.01, 1.01, 1.02, 1.02, 1.03, 1.03, 3.0]
    low, high, coverage = overhead.median_interval(ratios)
    assert (low, high) == (1.0, 1.03) and coverage >= overhead.INTERVAL_COVERAGE
    assert overhead.verdict(ratios, load=1.5, cpus=2)[0] == "meets"


def test_the_summary_records_the_verdict_for_the_json(overhead: ModuleType) -> None:
    rounds = [
        {
            "learner_epoch_s": [ratio],
            "hand_epoch_s": [1.0],
            "ratio": ratio,
            "cpu_ratio": ratio,
            "learner_accuracy": 0.9,
            "hand_accuracy": 0.9,
            "max_weight_difference": 0.0,
        }
        for ratio in (0.254, 0.639, 1.816)
    ]
    summary = overhead.summarise(rounds, load=9.5, cpus=2)
    assert summary["verdict"] == "inconclusive" and summary["verdict_text"].startswith("inconclusive")
    assert summary["ratio_interval"] == [0.254, 1.816] and summary["load_average_1min"] == 9.5
