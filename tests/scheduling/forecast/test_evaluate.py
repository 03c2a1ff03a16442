"""Scoring the whole forecast by season, with selection and scored origins apart."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from scheduling.demand_calendar import DemandCalendar, Promotion
from scheduling.forecast.evaluate import (
    CITY,
    label_seasons,
    rolling_backtest,
    scores,
    season_of,
    split_origins,
    weekly_origins,
)
from scheduling.forecast.models import SarimaxModel, SeasonalNaive

CAL = DemandCalendar("SE", [Promotion(dt.date(2026, 11, 27), "Black Friday", "major")])


def test_every_day_falls_in_one_season():
    assert season_of(dt.date(2026, 11, 27), CAL) == "promotion"
    assert season_of(dt.date(2026, 12, 10), CAL) == "december_peak"
    assert season_of(dt.date(2026, 12, 28), CAL) == "ordinary"
    assert season_of(dt.date(2026, 7, 10), CAL) == "summer"
    assert season_of(dt.date(2026, 3, 10), CAL) == "ordinary"


def test_origins_a_week_apart_alternate_between_selection_and_scoring():
    origins = weekly_origins(dt.date(2025, 11, 30), dt.date(2026, 1, 4))
    assert len(origins) == 6 and origins[-1] == dt.date(2026, 1, 4)
    select, scored = split_origins(origins)
    assert not set(select) & set(scored) and sorted(select + scored) == origins
    with pytest.raises(ValueError, match="before the first"):
        weekly_origins(dt.date(2026, 1, 4), dt.date(2025, 1, 4))


def test_scores_give_wape_bias_and_coverage_per_group():
    rows = pd.DataFrame({
        "model": ["m", "m", "m", "n"], "zone": ["A", "A", "B", "A"], "actual": [10.0, 10.0, 20.0, 10.0],
        "point": [12.0, 9.0, 20.0, 10.0], "lower": [8.0, 10.5, 15.0, np.nan], "upper": [13.0, 11.0, 25.0, np.nan],
    })
    s = scores(rows, ["model"], {"A": 2.0, "B": 4.0}).set_index("model")
    assert s.loc["m", "wape"] == pytest.approx(3 / 40)
    assert s.loc["m", "bias"] == pytest.approx(41 / 40 - 1)
    assert s.loc["m", "coverage"] == pytest.approx(2 / 3)
    assert s.loc["m", "mase"] == pytest.approx((2 / 2 + 1 / 2 + 0 / 4) / 3)
    assert np.isnan(s.loc["n", "coverage"])  # no interval, no coverage


def test_the_rolling_backtest_scores_zones_and_their_sum():
    rng = np.random.default_rng(0)
    idx = pd.date_range("2025-11-01", "2026-03-31")
    daily = pd.DataFrame({"A": rng.poisson(20, len(idx)), "B": rng.poisson(60, len(idx))}, index=idx).astype(float)
    origins = weekly_origins(dt.date(2026, 3, 1), dt.date(2026, 3, 22))
    rows = rolling_backtest(daily, CAL, [SarimaxModel()], [SeasonalNaive()], origins=origins, horizon=14)
    assert set(rows["model"]) == {"sarimax", "seasonal_naive"} and set(rows["zone"]) == {"A", "B", CITY}
    # 4 origins x 14 days, but the last origin's forecast stops where the history does (9 days)
    assert len(rows[(rows["model"] == "sarimax") & (rows["zone"] == "A")]) == 3 * 14 + 9
    fitted = rows[rows["model"] == "sarimax"].pivot_table(index=["origin", "date"], columns="zone", values="point")
    assert (fitted["A"] + fitted["B"]).to_numpy() == pytest.approx(fitted[CITY].to_numpy())
    labelled = label_seasons(rows, CAL)
    assert set(labelled["week"]) == {1, 2} and set(labelled["season"]) <= {"ordinary"}
