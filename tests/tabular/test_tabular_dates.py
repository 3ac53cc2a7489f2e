"""Date columns are split into parts (year, month, day, day of week, day of year, elapsed days, hour), the same
way in training, prediction, ONNX export and serving; integer columns named like an ID are left out."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

import trainwell
from trainwell.core.errors import DataError
from trainwell.export import load
from trainwell.tabular.recipe import TabularRecipe

N_ROWS = 1200


def sales(n: int = N_ROWS, fmt: str = "%d/%m/%Y", seed: int = 0) -> pd.DataFrame:
    """Sales that jump at weekends and grow over time: learnable only from the date."""
    rng = np.random.default_rng(seed)
    days = pd.Timestamp("2018-01-01") + pd.to_timedelta(rng.integers(0, 1000, n), unit="D")
    x = rng.normal(size=n)
    weekend = (days.day_of_week >= 5).astype(float)
    trend = (days - pd.Timestamp("2018-01-01")).days.to_numpy() / 100.0
    y = 10 * weekend + trend + x + rng.normal(scale=0.5, size=n)
    return pd.DataFrame({"Id": np.arange(n), "date": days.strftime(fmt), "x": x, "sales": y})


def fit_quiet(frame: pd.DataFrame, **kwargs: Any) -> TabularRecipe:
    """The recipe of a few rows, each value with a code of its own (as in the docs) unless told otherwise."""
    kwargs.setdefault("min_category_count", 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return TabularRecipe.fit(frame, target="y", **kwargs)


# ------------------------------------------------------------------------------------------ the recipe
@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["2020-01-31", "2021-12-01", None], "ISO8601"),
        (["2020-01-31 10:15:00", "2021-12-01T08:00:00Z", "2021-12-02"], "ISO8601"),
        (["01/03/2020", "02/04/2021", "12/11/2019"], "%m/%d/%Y"),  # ambiguous: month first
        (["01/03/2020", "13/04/2021", "12/11/2019"], "%d/%m/%Y"),  # 13 rules month-first out
        (["3 Jan 2020", "14 Feb 2021", ""], "%d %b %Y"),
        (["31.01.2020", "01.12.2021", "15.06.2019"], "%d.%m.%Y"),
        (["29-Jun-2021", "01-Jan-2020", "15-Mar-2019"], "%d-%b-%Y"),
        (["06/29/2021 12:00 AM", "01/02/2020 03:15 PM", "12/31/2019 11:59 PM"], "%m/%d/%Y %I:%M %p"),
        (["2021-06", "2020-01", "2019-12"], "ISO8601"),
    ],
)
def test_text_dates_are_found_with_their_format(values: list[str | None], expected: str) -> None:
    frame = pd.DataFrame({"when": values, "y": [0.0, 1.0, 2.0]})
    recipe = fit_quiet(frame)
    assert recipe.dates == {"when": expected}
    assert "when" not in recipe.cat_names


def test_a_column_of_months_gets_no_day_nor_weekday() -> None:
    # "2021-06" reads as the first of June: its day is constant and its weekday follows from the month.
    months = pd.DataFrame({"when": ["2021-06", "2020-01", "2019-12", "2020-07"], "y": [0.0, 1.0, 2.0, 3.0]})
    assert fit_quiet(months).date_parts["when"] == ["month", "year", "day_of_year", "elapsed_days"]
    days = pd.DataFrame(
        {"when": ["2021-06-03", "2020-01-01", "2019-12-01", "2020-07-01"], "y": [0.0, 1.0, 2.0, 3.0]}
    )
    assert fit_quiet(days).date_parts["when"] == [
        "month",
        "day",
        "day_of_week",
        "year",
        "day_of_year",
        "elapsed_days",
    ]
    from trainwell.evaluate.baselines import date_inputs

    assert list(date_inputs(months, {"when": "ISO8601"})) == [
        f"when_{part}" for part in fit_quiet(months).date_parts["when"]
    ]


@pytest.mark.parametrize(
    "values",
    [
        ["2020-01-31", "soon", "2021-12-01"],  # one value is not a date
        ["1-2", "3-4", "5-6"],  # ranges, not dates
        ["A-2020-01", "B-2020-02", "C-2020-03"],  # codes holding a date
    ],
)
def test_text_that_is_not_all_dates_stays_a_category(values: list[str]) -> None:
    recipe = fit_quiet(pd.DataFrame({"when": values, "y": [0.0, 1.0, 2.0]}))
    assert recipe.dates == {}
    assert recipe.cat_names == ["when"]


def test_parts_have_the_documented_values_and_order() -> None:
    frame = pd.DataFrame(
        {"city": ["a", "b", "a"], "when": ["2020-02-29", "2021-12-31", None], "x": [1.0, 2.0, 3.0]}
    )
    frame["y"] = [0.0, 1.0, 0.0]
    recipe = fit_quiet(frame)
    assert recipe.columns == ["city", "x", "when"]
    assert recipe.date_parts == {
        "when": ["month", "day", "day_of_week", "year", "day_of_year", "elapsed_days"]
    }
    assert recipe.input_names == [
        "city",
        "when_month",
        "when_day",
        "when_day_of_week",
        "x",
        "when_year",
        "when_day_of_year",
        "when_elapsed_days",
    ]
    categorical, continuous = recipe.transform(frame)
    # Codes are positions in the training vocabulary + 1; a missing date is the missing code 0 in every part.
    month, day, weekday = (recipe.categories[f"when_{part}"] for part in ("month", "day", "day_of_week"))
    assert month == ["2", "12"] and day == ["29", "31"] and weekday == ["4", "5"]  # Saturday, Friday
    assert categorical[:, 1:].tolist() == [[1, 1, 2], [2, 2, 1], [0, 0, 0]]
    # Continuous parts are standardised; undoing it gives the raw parts, the missing date its training median.
    raw = continuous[:, 1:].double() * torch.tensor(
        [recipe.stds[f"when_{part}"] for part in ("year", "day_of_year", "elapsed_days")], dtype=torch.float64
    ) + torch.tensor([recipe.means[f"when_{p}"] for p in ("year", "day_of_year", "elapsed_days")])
    elapsed = [(pd.Timestamp(day) - pd.Timestamp(0)).days for day in ("2020-02-29", "2021-12-31")]
    assert raw[0].tolist() == pytest.approx([2020, 60, elapsed[0]], rel=1e-5)
    assert raw[1].tolist() == pytest.approx([2021, 365, elapsed[1]], rel=1e-5)
    assert raw[2].tolist() == pytest.approx([2020.5, 212.5, sum(elapsed) / 2], rel=1e-5)
    # No missing-value indicators for date parts: the categorical parts already say the date is missing.
    assert recipe.na_indicator_names == []


def test_times_add_an_hour_part_and_zones_are_read_in_utc() -> None:
    frame = pd.DataFrame(
        {"at": ["2020-01-31T23:30:00+02:00", "2020-02-01 08:00", "2020-02-01"], "y": [0.0, 1, 2]}
    )
    recipe = fit_quiet(frame)
    assert recipe.date_parts["at"][:4] == ["month", "day", "day_of_week", "hour"]
    categorical, _ = recipe.transform(frame)
    hours = [recipe.categories["at_hour"][code - 1] for code in categorical[:, 3].tolist()]
    assert hours == ["21", "8", "0"]


def test_a_datetime_column_is_a_date_and_accepts_iso_text_later() -> None:
    frame = pd.DataFrame(
        {"when": pd.to_datetime(["2020-01-31", "2021-06-15", "2019-03-01"]), "y": [0.0, 1, 2]}
    )
    recipe = fit_quiet(frame)
    assert recipe.dates == {"when": ""}
    as_text = frame.assign(when=["2020-01-31", "2021-06-15", "2019-03-01"])
    assert torch.equal(recipe.transform(frame)[0], recipe.transform(as_text)[0])
    assert torch.equal(recipe.transform(frame)[1], recipe.transform(as_text)[1])


def test_a_value_that_is_not_a_date_is_one_line_naming_the_row_and_form() -> None:
    recipe = fit_quiet(sales().rename(columns={"sales": "y"}))
    rows = sales(5).rename(columns={"sales": "y"})
    rows.loc[3, "date"] = "2020-02-30"
    with pytest.raises(DataError) as caught:
        recipe.transform(rows)
    message = str(caught.value)
    assert "date column 'date' holds '2020-02-30' (data row 4)" in message
    assert "DD/MM/YYYY" in message and "\n" not in message
    # Blank and missing dates are missing, not errors.
    rows.loc[3, "date"] = " "
    rows.loc[4, "date"] = None
    categorical, _ = recipe.transform(rows)
    assert categorical[3:, :3].tolist() == [[0, 0, 0], [0, 0, 0]]


def test_recipe_round_trips_and_older_recipes_without_dates_load() -> None:
    recipe = fit_quiet(sales().rename(columns={"sales": "y"}))
    assert TabularRecipe.from_dict(recipe.to_dict()) == recipe
    plain = fit_quiet(pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [0.0, 1, 2]})).to_dict()
    del plain["dates"], plain["date_parts"]
    assert TabularRecipe.from_dict(plain).dates == {}


def test_a_part_name_taken_by_a_column_is_refused() -> None:
    frame = pd.DataFrame({"when": ["2020-01-31", "2021-06-15"], "when_year": [1.0, 2.0], "y": [0.0, 1.0]})
    with pytest.raises(
        DataError, match="when_year is already a column; rename it, or pass 'when' in --ignore"
    ):
        fit_quiet(frame)


def test_declared_columns_are_not_read_as_dates() -> None:
    frame = pd.DataFrame({"when": ["2020-01-31", "2021-06-15", "2020-01-31"], "y": [0.0, 1, 2]})
    recipe = fit_quiet(frame, cat_names=["when"])
    assert recipe.dates == {} and recipe.cat_names == ["when"]


# ------------------------------------------------------------------------------------------ ID-like integers
@pytest.mark.parametrize(
    "name",
    ["PassengerId", "user_id", "ID", "id", "Unnamed: 0", "row index", "customerID", "__index_level_0__"],
)
def test_unique_integers_named_like_an_id_are_left_out(name: str) -> None:
    frame = pd.DataFrame({name: np.arange(100) + 1, "x": np.linspace(0, 1, 100), "y": [0.0, 1.0] * 50})
    with pytest.warns(UserWarning, match=rf"column '{name}' left out of the inputs: named like an ID"):
        recipe = TabularRecipe.fit(frame, target="y")
    assert name in recipe.dropped and recipe.columns == ["x"]
    kept = TabularRecipe.fit(frame, target="y", cont_names=[name])
    assert name in kept.cont_names


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("paid", np.arange(100)),  # ends in "id" but is a word
        ("day", np.arange(100)),  # unique integers not named like an ID: a trend
        ("user_id", np.arange(100) % 60),  # named like an ID, but repeats: a grouping key
    ],
)
def test_other_integer_columns_stay_inputs(name: str, values: np.ndarray) -> None:
    frame = pd.DataFrame({name: values, "x": np.linspace(0, 1, 100), "y": [0.0, 1.0] * 50})
    recipe = fit_quiet(frame)
    assert name in recipe.columns


# ------------------------------------------------------------------------------------------ end to end
@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dates") / "sales.csv"
    sales().to_csv(path, index=False)
    out = path.parent / "model"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainwell.fit_table(path, "sales", out=out, epochs=8, lr=1e-2, progress=False)
    return out


def test_dates_teach_the_model_what_it_cannot_learn_without_them(model_dir: Path) -> None:
    frame = sales(400, seed=1)
    predictor = load(model_dir)
    assert predictor.input_names == ["x", "date"]
    predicted = predictor.predict(frame)["prediction"].to_numpy()
    truth = frame["sales"].to_numpy()
    r2 = 1 - ((predicted - truth) ** 2).sum() / ((truth - truth.mean()) ** 2).sum()
    assert r2 > 0.9  # x alone explains about 3% of the variance


def test_onnx_export_checks_dates_and_predicts_the_same(model_dir: Path) -> None:
    from trainwell.export.onnx import export_onnx
    from trainwell.export.onnx_predictor import OnnxPredictor

    report = export_onnx(model_dir)
    assert report.max_abs_diff < 1e-3
    rows = sales(50, seed=2)
    rows.loc[0, "date"] = None
    onnx = OnnxPredictor(model_dir).predict_proba(rows)
    torch_values = load(model_dir).predict_proba(rows).numpy()
    np.testing.assert_allclose(onnx, torch_values, rtol=1e-4, atol=1e-4)


def test_baselines_read_dates_as_parts_like_the_model() -> None:
    from trainwell.data.task import infer_task
    from trainwell.evaluate import cross_validate_baselines, fold_indices
    from trainwell.evaluate.baselines import date_inputs

    frame = sales(600)
    parts = date_inputs(frame.head(2), {"date": "%d/%m/%Y"})
    assert parts.columns.tolist() == [
        f"date_{p}" for p in ("month", "day", "day_of_week", "year", "day_of_year", "elapsed_days")
    ]
    first = pd.to_datetime(frame["date"].iloc[0], format="%d/%m/%Y")
    assert (
        parts.iloc[0]["date_day_of_week"] == str(first.day_of_week)
        and parts.iloc[0]["date_year"] == first.year
    )
    task = infer_task(frame["sales"], name="sales")
    splits = fold_indices(np.zeros(len(frame)), 3, 0, False)
    kwargs = {"names": ["ridge"], "ignore": ["Id"]}
    as_text = cross_validate_baselines(frame, "sales", task, splits, ["r2"], **kwargs)["ridge"]
    as_parts = cross_validate_baselines(
        frame, "sales", task, splits, ["r2"], dates={"date": "%d/%m/%Y"}, **kwargs
    )
    # One-hot days of the week and the elapsed days are exactly this table's signal; raw date strings are not.
    assert as_parts["ridge"].values("r2").mean() > 0.95 > 0.5 > as_text.values("r2").mean()


def test_the_command_line_says_how_dates_were_read(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from trainwell.cli.app import app

    path = tmp_path / "sales.csv"
    sales(300).to_csv(path, index=False)
    out = tmp_path / "model"
    runner = CliRunner()
    fitted = runner.invoke(app, ["fit", str(path), "--target", "sales", "--epochs", "1", "--out", str(out)])
    assert fitted.exit_code == 0, fitted.output
    said = " ".join(fitted.output.split())
    assert (
        "dates split into parts: date (DD/MM/YYYY: month, day, day_of_week, year, day_of_year, elapsed_days)"
        in said
    )
    assert said.count("column 'Id' left out of the inputs") == 1
    info = " ".join(runner.invoke(app, ["info", str(out)], env={"COLUMNS": "200"}).output.split())
    assert "date inputs │ date (DD/MM/YYYY:" in info


def test_a_few_values_that_are_not_dates_are_read_as_missing_with_a_warning() -> None:
    frame = sales(500).rename(columns={"sales": "y"}).drop(columns="Id")
    frame.loc[5, "date"], frame.loc[9, "date"] = "unknown", "31/02/2020"
    with pytest.warns(
        UserWarning, match=r"date column 'date' reads as dates in the form DD/MM/YYYY except 2 "
    ):
        recipe = TabularRecipe.fit(frame, target="y")
    assert recipe.dates == {"date": "%d/%m/%Y"}
    categorical, _ = recipe.transform(frame, lenient=True)  # the training rows, as tabular_data encodes them
    assert categorical[[5, 9], :3].tolist() == [[0, 0, 0], [0, 0, 0]]
    with pytest.raises(DataError, match="holds 'unknown' \\(data row 6\\)"):
        recipe.transform(frame)  # new rows at prediction: still one clear error


def test_day_first_wins_when_a_few_days_rule_month_first_out() -> None:
    days = pd.Timestamp("2020-01-01") + pd.to_timedelta(np.r_[np.arange(12) * 30, [13, 14, 15]], unit="D")
    frame = pd.DataFrame({"when": days.strftime("%d/%m/%Y"), "y": np.arange(15.0)})
    assert fit_quiet(frame).dates == {"when": "%d/%m/%Y"}


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("customerid", np.arange(500, 600)),  # no separator, but counting up like row numbers
        ("RowNumber", np.arange(1, 101)),
        ("PassengerId", np.r_[np.arange(1, 100), 5]),  # one duplicated row
        ("PassengerId", np.r_[np.arange(1.0, 100.0), np.nan]),  # one blank: a float column
    ],
)
def test_ids_are_found_through_a_duplicate_a_blank_or_a_bare_name(name: str, values: np.ndarray) -> None:
    frame = pd.DataFrame({name: values, "x": np.linspace(0, 1, 100), "y": [0.0, 1.0] * 50})
    assert name in fit_quiet(frame).dropped


def test_a_bare_id_like_name_that_does_not_count_up_is_kept() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"customerid": rng.choice(10**6, 100, replace=False), "y": [0.0, 1.0] * 50})
    frame["x"] = np.linspace(0, 1, 100)
    assert "customerid" in fit_quiet(frame).columns


# ------------------------------------------------------------------------------------------ --date-format
def _first_of_months(fmt: str) -> pd.DataFrame:
    """Dates whose days are all 12 or less: month-first and day-first both read them."""
    days = pd.date_range("2020-01-01", periods=24, freq="MS") + pd.to_timedelta(np.arange(24) % 12, unit="D")
    return pd.DataFrame({"when": days.strftime(fmt), "y": np.arange(24.0)}), days


def test_a_preferred_format_settles_dates_that_read_both_ways() -> None:
    frame, days = _first_of_months("%d/%m/%Y")
    assert fit_quiet(frame).dates == {"when": "%m/%d/%Y"}  # found: month first, silently wrong here
    recipe = fit_quiet(frame, date_formats={"*": "DD/MM/YYYY"})
    assert recipe.dates == {"when": "%d/%m/%Y"}
    _, numbers = recipe.transform(frame)
    elapsed = numbers[:, recipe.cont_input_names.index("when_elapsed_days")]
    # Read day-first, the dates increase row by row as they were written.
    assert bool(np.all(np.diff(elapsed.numpy()) > 0))
    # A preferred format that does not read a column leaves that column's own format.
    iso = pd.DataFrame({"when": days.strftime("%Y-%m-%d"), "y": np.arange(24.0)})
    assert fit_quiet(iso, date_formats={"*": "DD/MM/YYYY"}).dates == {"when": "ISO8601"}


def test_a_named_column_is_read_in_its_format_even_when_not_found() -> None:
    days = pd.date_range("2020-01-01", periods=40, freq="D")
    frame = pd.DataFrame({"stamp": days.strftime("%Y|%m|%d"), "x": np.arange(40.0), "y": np.arange(40.0)})
    assert fit_quiet(frame).dates == {}  # not a form trainwell looks for: a category
    recipe = fit_quiet(frame, date_formats={"stamp": "%Y|%m|%d"})
    assert recipe.dates == {"stamp": "%Y|%m|%d"}
    assert "stamp_day_of_week" in recipe.date_cat_names


@pytest.mark.parametrize(
    ("formats", "error", "message"),
    [
        ({"when": "hello"}, "ConfigError", "date format 'hello' is not one trainwell can read"),
        ({"when": "XX/YY"}, "ConfigError", "date format 'XX/YY' is not one trainwell can read"),  # no month
        ({"gone": "MM/DD/YYYY"}, "DataError", "Pass --date-format NAME=FORMAT"),
        (
            {"when": "YYYY-MM-DD"},
            "DataError",
            "--date-format when=YYYY-MM-DD does not read 24 of the column's 24",
        ),
        ({"gone": "DD/MM/YYYY"}, "DataError", "gone"),
        ({"y": "DD/MM/YYYY"}, "ConfigError", "column 'y' is in both --target and --date-format"),
    ],
)
def test_date_format_mistakes_are_one_clear_error(formats: dict[str, str], error: str, message: str) -> None:
    frame, _ = _first_of_months("%d/%m/%Y")
    with pytest.raises(Exception, match=message) as raised:
        TabularRecipe.fit(frame, target="y", date_formats=formats)
    assert type(raised.value).__name__ == error


def test_the_command_line_takes_date_formats(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from trainwell.cli.app import app

    frame, _ = _first_of_months("%d/%m/%Y")
    frame = pd.concat([frame] * 5, ignore_index=True)
    frame["x"] = np.arange(len(frame), dtype=float)
    path = tmp_path / "table.csv"
    frame.to_csv(path, index=False)
    runner = CliRunner()
    args = ["fit", str(path), "--target", "y", "--epochs", "1", "--out", str(tmp_path / "model")]
    fitted = runner.invoke(app, [*args, "--date-format", "when=DD/MM/YYYY"])
    assert fitted.exit_code == 0, fitted.output
    assert "dates split into parts: when (DD/MM/YYYY:" in " ".join(fitted.output.split())
    assert load(tmp_path / "model").recipe.dates == {"when": "%d/%m/%Y"}
    twice = runner.invoke(app, [*args, "--date-format", "DD/MM/YYYY", "--date-format", "MM/DD/YYYY"])
    assert twice.exit_code == 2 and "names a preferred format twice" in twice.output


def test_a_preferred_format_that_reads_no_column_is_said() -> None:
    frame, _ = _first_of_months("%Y-%m-%d")
    with pytest.warns(UserWarning, match="--date-format DD.MM.YYYY read no column of the training data"):
        recipe = TabularRecipe.fit(frame, target="y", date_formats={"*": "DD.MM.YYYY"})
    assert recipe.dates == {"when": "ISO8601"}


def test_a_mismatched_format_names_both_readings_of_ambiguous_dates() -> None:
    frame, _ = _first_of_months("%d/%m/%Y")
    with pytest.raises(
        DataError, match=r"read as MM/DD/YYYY or DD/MM/YYYY \(no day above 12 tells them apart\)"
    ):
        TabularRecipe.fit(frame, target="y", date_formats={"when": "YYYY-MM-DD"})


def test_dates_that_read_both_ways_are_said_at_fit() -> None:
    frame, _ = _first_of_months("%d/%m/%Y")
    with pytest.warns(
        UserWarning, match=r"reads as both MM/DD/YYYY and DD/MM/YYYY .* --date-format when=DD/MM/YYYY"
    ):
        TabularRecipe.fit(frame, target="y")


@pytest.mark.parametrize("written", ["MM/MM/YYYY", "DD/MM/YYYY YYYY", "%d/%m/%Y %Y"])
def test_a_form_naming_a_part_twice_is_one_line(written: str) -> None:
    from trainwell.core.errors import ConfigError
    from trainwell.data.dates import date_format_option

    with pytest.raises(ConfigError, match="each of day, month and year at most once"):
        date_format_option(written)
    with pytest.raises(ConfigError, match="give one --date-format per column"):
        date_format_option("DD/MM/YYYY,listed=YYYY|MM|DD")
