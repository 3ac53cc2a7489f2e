"""How numbers read in tables and sentences: scores to 4 decimals, prices in full, no scientific notation."""

from __future__ import annotations

import math

from trainwell.core.numbers import amount, figure


def test_figure_keeps_decimals_for_scores_and_drops_them_for_prices() -> None:
    assert figure(0.84361) == "0.8436"
    assert figure(9999.125) == "9999.1250"
    assert figure(37879.5881) == "37,880"
    assert figure(-1897.66, 3) == "-1897.660"
    assert figure(296.177, 3, signed=True) == "+296.177"
    assert figure(-493.26, 3, signed=True) == "-493.260"
    assert figure(1_411_397_932.3733) == "1,411,397,932"
    assert figure(-12_345.6, signed=True) == "-12,346"
    assert figure(12_345.6, signed=True) == "+12,346"
    assert figure(3.2e15) == "3.2e+15"  # squared units of a large target: 4 digits, not 16
    assert figure(math.nan) == "nan"
    assert figure(math.inf) == "inf"


def test_amount_has_four_significant_digits_below_ten_thousand() -> None:
    assert amount(0.123456) == "0.1235"
    assert amount(97641.2) == "97,641"
    assert amount(2.5e13) == "2.5e+13"


def test_a_spread_or_a_difference_takes_the_decimals_of_the_number_beside_it() -> None:
    assert figure(1897.6616, like=37879.5881) == "1,898"
    assert figure(296.177, 3, signed=True, like=37879.5881) == "+296"
    assert figure(0.0134, like=0.8436) == "0.0134"
    assert figure(5.0, like=math.nan) == "5.0000"


def test_a_value_rounded_to_zero_beside_a_large_number_has_no_sign() -> None:
    assert figure(-0.4, like=51690) == "0"  # an importance interval's low end beside 51,690: not "-0"
    assert figure(-3.4, like=51690) == "-3"
