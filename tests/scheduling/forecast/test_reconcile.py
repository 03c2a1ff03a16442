"""Zones that add up: the city forecast split by each zone's share of it."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from scheduling.demand_calendar import DemandCalendar
from scheduling.forecast import CITY, CITY_SHARE_METHOD, FALLBACK_METHOD, ForecastSettings, forecast_demand
from scheduling.forecast.models import DailyForecast, SarimaxModel
from scheduling.forecast.reconcile import fit_share, top_down
from scheduling.history import OrderHistory

WEEK = np.array([1.0, 1.0, 1.0, 1.0, 1.05, 0.8, 0.5])


def zone_days(days: int, shares: dict[str, float], level: float = 120.0, seed: int = 0, end=dt.date(2026, 3, 31)):
    rng = np.random.default_rng(seed)
    idx = pd.date_range(end - dt.timedelta(days=days - 1), end, freq="D")
    city = level * WEEK[idx.day_of_week]
    return pd.DataFrame({z: rng.poisson(city * s).astype(float) for z, s in shares.items()}, index=idx)


def history_of(daily: pd.DataFrame) -> OrderHistory:
    rows = []
    for zone in daily.columns:
        for day, n in daily[zone].items():
            rows += [{"order_id": f"{zone}-{day:%Y%m%d}-{k}", "delivery_date": day, "zone": zone,
                      "slot": "18:00-20:00"} for k in range(int(n))]
    return OrderHistory(pd.DataFrame(rows))


def test_a_zones_share_is_learnt_per_weekday_and_follows_a_step_within_weeks():
    daily = zone_days(140, {"A": 0.25, "B": 0.75})
    # B's Sundays go to A: A's Sunday share is 0.6, its weekday share 0.25
    sundays = daily.index.day_of_week == 6
    moved = (daily.loc[sundays, "B"] * 0.47).round()
    daily.loc[sundays, "A"] += moved
    daily.loc[sundays, "B"] -= moved
    city = daily.sum(axis=1)
    dates = pd.date_range("2026-04-01", periods=7)  # Wednesday .. Tuesday
    share = fit_share(daily["A"], city, dates)
    assert share.share[dates.day_of_week == 6][0] == pytest.approx(0.6, abs=0.06)
    assert share.share[dates.day_of_week == 2][0] == pytest.approx(0.25, abs=0.02)
    assert 0.3 < share.dispersion < 1.0  # binomial thinning of the city: 1 - share, less with the moved Sundays

    # a new housing area doubles A's demand from one share half-life (8 weeks) before the forecast:
    # the share has moved about half the way from 0.25 to 0.40 (0.5 / 1.25)
    grown = zone_days(140, {"A": 0.25, "B": 0.75}, seed=1)
    step = grown.index >= grown.index[-56]
    grown.loc[step, "A"] *= 2
    after = fit_share(grown["A"], grown.sum(axis=1), dates, half_life_days=56).share.mean()
    assert 0.31 < after < 0.36


def test_top_down_zones_add_up_to_the_city_and_fixed_zones_keep_their_forecast():
    dates = pd.date_range("2026-04-01", periods=5)
    city = DailyForecast(dates, np.log1p(np.array([100.0, 120, 90, 60, 0])), np.full(5, 0.1))
    shares = {z: fit_share(s, s * 0 + 100, dates) for z, s in
              {"A": pd.Series(30.0, index=pd.date_range("2026-01-01", "2026-03-31")),
               "B": pd.Series(50.0, index=pd.date_range("2026-01-01", "2026-03-31"))}.items()}
    new = DailyForecast(dates, np.log1p(np.full(5, 5.0)), np.full(5, 0.3))
    total, zones = top_down(city, shares, {"N": new})
    summed = sum(f.median for f in zones.values())
    assert summed == pytest.approx(total.median)
    assert total.median == pytest.approx([100, 120, 90, 60, 5])  # the new zone's 5 on a day the city forecast had 0
    assert zones["N"] is new
    assert zones["A"].median[:4] == pytest.approx((city.median[:4] - 5) * 30 / 80)
    lo, hi = zones["A"].interval(0.8)
    assert np.all(lo[:4] < zones["A"].median[:4]) and np.all(zones["A"].median[:4] < hi[:4])


def test_the_zone_forecasts_sum_to_the_city_forecast_on_every_day():
    daily = zone_days(120, {"Z-1": 0.2, "Z-2": 0.3, "Z-3": 0.5})
    young = zone_days(20, {"Z-new": 1.0}, level=8.0, seed=3)
    hist = history_of(pd.concat([daily, young], axis=1).fillna(0.0))
    # Z-new has orders only on its last 20 days: the rows before are zeros, not history
    hist = OrderHistory(hist.orders[~((hist.orders["zone"] == "Z-new") & (hist.orders["delivery_date"] < young.index[0]))])
    fc = forecast_demand(hist, DemandCalendar("SE", []), start=dt.date(2026, 4, 1),
                         settings=ForecastSettings(horizon=14, backtest_origins=2), candidates=[SarimaxModel()])
    assert fc.city is not None and fc.city.method == "sarimax"
    assert {z: f.method for z, f in fc.zones.items()} == {"Z-1": CITY_SHARE_METHOD, "Z-2": CITY_SHARE_METHOD,
                                                          "Z-3": CITY_SHARE_METHOD, "Z-new": FALLBACK_METHOD}
    zone_sum = sum(zf.daily.median for zf in fc.zones.values())
    assert zone_sum == pytest.approx(fc.city.daily.median, rel=1e-9)
    city_days = fc.city_days()["forecast"].to_numpy()
    assert city_days == pytest.approx(fc.city.daily.median, rel=1e-9)
    assert CITY in fc.notes() and "chosen by backtest" in fc.notes()[CITY]
    shares = fc.zones["Z-3"].daily.median / fc.city.daily.median
    assert shares.mean() == pytest.approx(0.5 * (1 - 8 / 120), abs=0.05)
