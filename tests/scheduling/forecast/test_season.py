"""The annual season: a narrow Christmas run-up, and a weekly model when a year is missing."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from scheduling.demand_calendar import DemandCalendar
from scheduling.forecast import CITY, ForecastSettings, forecast_demand
from scheduling.forecast.models import EtsModel, SameDayLastYear, SarimaxModel
from scheduling.forecast.regressors import (
    MIN_DAYS_FOR_SEASONS,
    Seasonality,
    calendar_regressors,
    days_from_christmas_eve,
    estimable_columns,
)
from scheduling.history import OrderHistory

WEEK = np.array([1.0, 1.0, 1.0, 1.0, 1.05, 0.8, 0.5])
CAL = DemandCalendar("SE", [])


def with_run_up(start: str, end: str, peak: float = 0.4, seed: int = 0) -> pd.Series:
    """Orders with a weekly pattern and a run-up to mid-December (+40 %, about two weeks wide)."""
    rng = np.random.default_rng(seed)
    idx = pd.date_range(start, end, freq="D")
    offset = days_from_christmas_eve(idx)
    lam = 300 * WEEK[idx.day_of_week] * (1 + peak * np.exp(-0.5 * ((offset + 12) / 8) ** 2))
    return pd.Series(rng.poisson(lam).astype(float), index=idx)


def test_days_from_christmas_eve_are_signed_and_take_the_nearest_one():
    days = pd.DatetimeIndex(["2025-12-24", "2025-12-10", "2026-01-05", "2025-07-01"])
    assert days_from_christmas_eve(days).tolist() == [0, -14, 12, -176]


def test_run_up_bumps_are_only_used_once_a_december_is_in_the_history():
    summer = pd.date_range("2026-03-01", "2026-09-30")
    cols = estimable_columns(calendar_regressors(summer, CAL, t0=summer[0], season=Seasonality(2, True)))
    assert not [c for c in cols if c.startswith("christmas_")]
    year = pd.date_range("2025-03-01", "2026-09-30")
    cols = estimable_columns(calendar_regressors(year, CAL, t0=year[0], season=Seasonality(2, True)))
    assert len([c for c in cols if c.startswith("christmas_")]) == 8


@pytest.mark.parametrize("model", [SarimaxModel(), EtsModel()], ids=["sarimax", "ets"])
def test_the_december_peak_is_forecast_from_two_earlier_decembers(model):
    y = with_run_up("2023-11-13", "2025-11-30")
    dates = pd.date_range("2025-12-01", periods=21)
    actual = with_run_up("2023-11-13", "2025-12-21").reindex(dates)
    fc = model.fit(y, CAL).forecast(dates)
    bias = fc.median.sum() / actual.sum() - 1
    assert abs(bias) < 0.05
    # three Fourier pairs alone smear the peak over two months and miss it
    smooth = type(model)(season=Seasonality(3, christmas=False)).fit(y, CAL).forecast(dates)
    assert smooth.median.sum() / actual.sum() - 1 < -0.06


def test_a_history_shorter_than_a_year_gets_a_weekly_model_and_says_so():
    y = with_run_up("2025-06-01", "2025-11-30")
    fitted = SarimaxModel().fit(y, CAL)
    assert fitted.note == f"weekly model: {len(y)} days of history, the annual season needs {MIN_DAYS_FOR_SEASONS}"
    assert not [c for c in fitted.regression.columns if c.startswith(("season_", "christmas_"))]
    assert SarimaxModel().fit(with_run_up("2024-06-01", "2025-11-30"), CAL).note == ""

    rows = [{"order_id": f"o{k}-{d:%Y%m%d}", "delivery_date": d, "zone": "Z", "slot": "18:00-20:00"}
            for d, n in y.items() for k in range(int(n) // 10)]
    fc = forecast_demand(OrderHistory(pd.DataFrame(rows)), CAL, start=dt.date(2025, 12, 1),
                         settings=ForecastSettings(horizon=7, backtest_origins=2), candidates=[SarimaxModel()])
    assert "weekly model: 183 days of history" in fc.notes()[CITY]
    assert "weekly model" in fc.zones["Z"].note


def test_same_day_last_year_repeats_the_weekday_52_weeks_back():
    y = pd.Series(np.arange(400, dtype=float), index=pd.date_range("2025-01-01", periods=400))
    dates = pd.date_range(y.index[-1] + pd.Timedelta(days=1), periods=3)
    fc = SameDayLastYear().fit(y).forecast(dates)
    assert fc.median == pytest.approx([400 - 364, 401 - 364, 402 - 364])
