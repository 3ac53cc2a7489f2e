"""How numbers read in tables and sentences: scores to 4 decimals, prices in full, a loss of billions compact."""

from __future__ import annotations

import math

from trainwell.core.numbers import amount, compact, figure, format_value, grouped_columns


def test_figure_keeps_decimals_for_scores_and_drops_them_for_prices() -> None:
    assert figure(0.84361) == "0.8436"
    assert figure(9999.125) == "9999.1250"
    assert figure(37879.5881) == "37,880"
    assert figure(-1897.66, 3) == "-1897.660"
    assert figure(296.177, 3, signed=True) == "+296.177"
    assert figure(-493.26, 3, signed=True) == "-493.260"
    assert figure(1_411_397_932.3733) == "1.411e9"  # float32's 7 digits, not 10 of which 3 are noise
    assert figure(-12_345.6, signed=True) == "-12,346"
    assert figure(12_345.6, signed=True) == "+12,346"
    assert figure(3.2e15) == "3.200e15"  # squared units of a large target: 4 digits, not 16
    assert figure(math.nan) == "nan"
    assert figure(math.inf) == "inf"


def test_amount_has_four_significant_digits_below_ten_thousand() -> None:
    assert amount(0.123456) == "0.1235"
    assert amount(97641.2) == "97,641"
    assert amount(2.5e13) == "2.500e13"
    assert amount(9_999.7) == "10,000" and amount(-9_999.7) == "-10,000"  # not "1e+04"


def test_a_spread_or_a_difference_takes_the_decimals_of_the_number_beside_it() -> None:
    assert figure(1897.6616, like=37879.5881) == "1,898"
    assert figure(296.177, 3, signed=True, like=37879.5881) == "+296"
    assert figure(0.0134, like=0.8436) == "0.0134"
    assert figure(5.0, like=math.nan) == "5.0000"


def test_a_value_rounded_to_zero_beside_a_large_number_has_no_sign() -> None:
    assert figure(-0.4, like=51690) == "0"  # an importance interval's low end beside 51,690: not "-0"
    assert figure(-3.4, like=51690) == "-3"


def test_a_loss_of_billions_is_written_compact_and_a_price_whole() -> None:
    # fit on California housing: squared-error loss 1,954,587,831 beside an RMSE of 44,211 dollars
    assert figure(1_954_587_831.0) == "1.955e9" and amount(1_954_587_831.0) == "1.955e9"
    assert figure(44_211.3) == "44,211" and figure(500_001.0) == "500,001" and amount(500_001.0) == "500,001"
    assert figure(9_999_999.4) == "9,999,999" and figure(10_000_000.0) == "1.000e7"
    assert figure(-2_373_943_042.0) == "-2.374e9" and figure(419_355_268.0, signed=True) == "+4.194e8"
    assert figure(9_999_700_000.0) == "1.000e10"  # rounded up a power of ten, not 10.000e9
    # 4 digits in a sentence as in a table: 2.000e9 beside 1.955e9, not 2e9
    assert amount(2e9) == figure(2e9) == "2.000e9"
    assert figure(math.nan, like=2e9) == "nan" and amount(math.inf) == "inf"


def test_a_pair_shares_the_form_of_its_larger_number() -> None:
    # a mean and its spread, an interval's bounds, a score and a difference: never one compact and one whole
    assert figure(11_987_654.3, like=1_954_587_831.0) == "0.012e9"
    assert figure(9_123_456.0, like=10_512_345.0) == "0.912e7"
    assert figure(10_512_345.0, like=9_123_456.0) == "1.051e7"
    assert figure(324_743_838.0, signed=True, like=515_372_349.0) == "+3.247e8"
    assert figure(-400.0, like=2.1e9) == "0.000e9"  # rounded to zero: no sign
    assert figure(0.0, signed=True, like=2.1e9) == "+0.000e9"
    assert compact(-3.2e15) == "-3.200e15" and compact(3.2e15, like=1.0) == "3.200e15"
    assert figure(1_897.6616, like=37_879.5881) == "1,898"  # below 10 million the pair is whole as before


def test_counts_stay_whole_however_large() -> None:
    # rows and items are counts: exact, never 1.243e7
    assert format_value(12_435_000) == "12,435,000" and format_value(12_435_000, grouped=True) == "12,435,000"
    assert format_value(12_435) == "12,435" and format_value(2_000_000_000_000) == "2,000,000,000,000"
    assert (
        format_value(1_954_587_831.2) == "1.955e9"
        and format_value(1_954_587_831.2, grouped=True) == "1.955e9"
    )
    assert (
        format_value(3_846.2, grouped=True) == "3,846"
        and format_value(9_000_000.4, grouped=True) == "9,000,000"
    )
    # beside a larger figure written compact (a row's interval, a column's largest) it is compact too
    assert format_value(9_157_926.3, grouped=True, real=lambda x: figure(x, like=5.775e7)) == "0.916e7"
    assert format_value(3_846, grouped=True, real=lambda x: figure(x, like=5.775e7)) == "3,846"  # a count
    # a column of losses in billions groups the thousands of the other numbers in it, as one of 12,435 does
    assert grouped_columns([["valid_loss", 1_954_587_831.2], ["rmse", 3_846.2]]) == {1}


def test_two_ends_of_a_range_or_a_fall_are_both_compact_each_in_its_own_digits() -> None:
    # "the validation loss fell ... (2.826e9 -> 9.980e8)": not 2.826e9 -> 998,000,000, nor 2.826e+09 (.4g)
    assert (amount(2.826e9, like=9.98e8), amount(9.98e8, like=2.826e9)) == ("2.826e9", "9.980e8")
    assert (amount(9_512_000.0, like=1.203e7), amount(1.203e7, like=9_512_000.0)) == ("9.512e6", "1.203e7")
    assert amount(12.0, like=2e7) == "1.200e1"  # a range's low end kept, not 0.000e7
    assert (amount(14_999.0, like=500_001.0), amount(0.52, like=0.9)) == ("14,999", "0.52")  # as before
