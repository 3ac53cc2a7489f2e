"""When ``keep="clear"`` keeps the defaults although the best trial gained (within the validation rows' noise),
the verdict says how to decide on more rows (tour62 #12: the best trial gained +0.0080 on 600 validation rows,
p = 0.204, the defaults were kept, and on 2,000 test rows the best trial did better): before, it ended at "the
defaults may do as well on new rows", with no way to find out."""

from __future__ import annotations

from trainwell.automl._gain import DECIDE_ON_MORE_ROWS, SelectionCheck, choose_kept

#: tour62 #12's check: a gain whose interval is above 0 alone, not once the choice of the best is counted.
CHANCE = SelectionCheck(p_value=0.204, low=-0.002, trials=10, resamples=200)


def test_the_defaults_kept_over_a_gain_within_the_noise_say_how_to_decide_on_more_rows() -> None:
    kept = choose_kept("clear", 5, 0.9114, {0: 0.9034}, "maximize", (0.0014, 0.0140), "roc_auc", CHANCE)
    assert kept.defaults and kept.number == 0
    assert kept.reason.endswith(
        "is within those rows' noise: the defaults may do as well on new rows; to decide on more rows: trainwell "
        "evaluate --cv 5 with each setting, or a larger --valid-pct (Python: evaluate_table(cv=5) and its kin, or "
        "valid_pct=)"
    )
    # A loss minimised: the gain is a lower loss, and the advice is the same
    lower = choose_kept("clear", 5, 0.30, {0: 0.31}, "minimize", (0.001, 0.02), "log_loss", CHANCE)
    assert lower.defaults and lower.reason.endswith(DECIDE_ON_MORE_ROWS)


def test_no_advice_where_the_best_is_kept_or_gained_nothing() -> None:
    clear = SelectionCheck(p_value=0.01, low=0.003, trials=10, resamples=200)
    kept = choose_kept("clear", 5, 0.9114, {0: 0.9034}, "maximize", (0.0014, 0.0140), "roc_auc", clear)
    assert not kept.defaults and DECIDE_ON_MORE_ROWS not in kept.reason
    best = choose_kept("best", 5, 0.9114, {0: 0.9034}, "maximize", (0.0014, 0.0140), "roc_auc", CHANCE)
    assert not best.defaults and DECIDE_ON_MORE_ROWS not in best.reason
    # A tie with the defaults (best not a defaults' trial): nothing gained, nothing to decide
    tie = choose_kept("clear", 5, 0.9034, {0: 0.9034}, "maximize", (-0.004, 0.004), "roc_auc", CHANCE)
    assert tie.defaults and DECIDE_ON_MORE_ROWS not in tie.reason
