"""Forecasting a zone's daily orders: models, baselines, backtest scores, fallback, slot split."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from scheduling.forecast.backtest import naive_scale, rolling_origins, run_backtest, wape
from scheduling.capacity import largest_remainder, representative_demand, slot_capacities
from scheduling.demand_calendar import DemandCalendar, Promotion, public_holidays
from scheduling.forecast import CITY_SHARE_METHOD, FALLBACK_METHOD, ForecastSettings, forecast_demand
from scheduling.forecast.models import DailyForecast, SarimaxModel, SeasonalNaive, WeekdayAverage
from scheduling.history import OrderHistory

WEEK = np.array([1.0, 1.0, 1.0, 1.0, 1.05, 0.8, 0.5])
PROMO = dt.date(2026, 3, 27)  # a Friday
CAL = DemandCalendar("SE", [Promotion(PROMO, "Spring sale", "major"), Promotion(dt.date(2026, 3, 13), "Test", "major")])


def synthetic(days: int = 112, level: float = 40.0, end: dt.date = dt.date(2026, 3, 31), seed: int = 0) -> pd.Series:
    """Orders with a weekly pattern, two major promotions (x1.9) and Poisson noise."""
    rng = np.random.default_rng(seed)
    idx = pd.date_range(end - dt.timedelta(days=days - 1), end, freq="D")
    lam = level * WEEK[idx.day_of_week]
    for p in CAL.promotions:
        lam[idx == pd.Timestamp(p.date)] *= 1.9
    return pd.Series(rng.poisson(lam).astype(float), index=idx)


def test_a_daily_forecast_gives_ordered_quantiles_and_a_median_point():
    fc = DailyForecast(pd.date_range("2026-01-01", periods=2), np.log1p([20.0, 30.0]), np.array([0.1, 0.2]))
    lo, hi = fc.interval(0.8)
    assert np.all(lo < fc.median) and np.all(fc.median < hi)
    assert fc.median == pytest.approx([20.0, 30.0])
    assert fc.quantile(0.9) == pytest.approx(hi)
    assert np.all(fc.mean > fc.median)


def test_holidays_come_from_the_holidays_package_with_swedish_de_facto_days():
    days = public_holidays("SE", [2026])
    assert days[dt.date(2026, 12, 24)] == "Christmas Eve"
    assert dt.date(2026, 6, 19) in days and dt.date(2026, 12, 25) in days
    assert dt.date(2026, 11, 22) not in days  # an ordinary Sunday
    with pytest.raises(ValueError, match="not known"):
        public_holidays("XX", [2026])


def test_seasonal_naive_repeats_last_week_and_the_weekday_average_takes_four_weeks():
    y = pd.Series(np.arange(28, dtype=float), index=pd.date_range("2026-01-01", periods=28))
    dates = pd.date_range("2026-01-29", periods=8)
    naive = SeasonalNaive().fit(y).forecast(dates).median
    assert naive == pytest.approx([21, 22, 23, 24, 25, 26, 27, 21])
    avg = WeekdayAverage().fit(y).forecast(dates).median
    assert avg[0] == pytest.approx(np.mean([0, 7, 14, 21]))


def test_sarimax_knows_a_promotion_in_advance():
    y = synthetic()
    # the promotion is in the future for the model: it sees history up to the day before
    train = y[y.index < pd.Timestamp(PROMO)]
    fc = SarimaxModel().fit(train, CAL).forecast(pd.date_range(PROMO, periods=4))
    promo_day = fc.median[0]
    plain_friday = SarimaxModel().fit(train, DemandCalendar("SE", [])).forecast(pd.date_range(PROMO, periods=1)).median[0]
    assert promo_day > 1.5 * plain_friday
    lo, hi = fc.interval(0.8)
    assert lo[0] < y[pd.Timestamp(PROMO)] < hi[0]


def test_backtest_scores_models_against_the_baselines():
    assert wape(np.array([10.0, 10.0]), np.array([8.0, 13.0])) == pytest.approx(0.25)
    assert naive_scale(np.array([1.0] * 7 + [3.0] * 7)) == pytest.approx(2.0)
    assert rolling_origins(dt.date(2026, 3, 31), origins=3) == [dt.date(2026, 3, 10), dt.date(2026, 3, 17), dt.date(2026, 3, 24)]
    bt = run_backtest({"Z": synthetic()}, CAL, [SarimaxModel()], origins=3)
    scores = bt.zones["Z"].scores()
    assert set(scores.index) == {"sarimax", "seasonal_naive", "weekday_avg_4w"}
    assert (scores["days"] == 21).all()
    assert bt.chosen() == {"Z": "sarimax"}
    # the promotion on 2026-03-27 is held out: the calendar-aware model beats copying last week
    assert scores.loc["sarimax", "wape"] < scores.loc["seasonal_naive", "wape"]
    summary = bt.summary()
    assert summary["improvement_vs_seasonal_naive"] > 0 and 0 <= summary["coverage"] <= 1


def _history(zone_days: dict[str, pd.Series]) -> OrderHistory:
    """An order-level history from daily counts: weekday orders at 18:00, a third at 08:00."""
    rows = []
    for zone, y in zone_days.items():
        for day, n in y.items():
            for k in range(int(n)):
                rows.append({"order_id": f"{zone}-{day:%Y%m%d}-{k}", "delivery_date": day, "zone": zone,
                             "slot": "08:00-10:00" if k % 3 == 0 else "18:00-20:00"})
    return OrderHistory(pd.DataFrame(rows))


def test_a_zone_with_little_history_falls_back_and_says_so():
    long = synthetic(days=90)
    short = synthetic(days=20, level=10, seed=1)
    hist = _history({"Z-old": long, "Z-new": short})
    settings = ForecastSettings(horizon=7, backtest_origins=2)
    fc = forecast_demand(hist, CAL, start=dt.date(2026, 4, 1), settings=settings, candidates=[SarimaxModel()])
    # the fitted zone gets its share of the city forecast, and the short zone keeps its fallback
    assert fc.zones["Z-old"].method == CITY_SHARE_METHOD and "of the city forecast (sarimax, chosen by backtest" in fc.zones["Z-old"].note
    new = fc.zones["Z-new"]
    assert new.method == FALLBACK_METHOD
    assert new.note == ("fallback: only 20 days of history (fitted models need 56); "
                        "mean of the same weekday over the last 2 week(s)")
    table = fc.zone_days()
    assert len(table) == 14 and set(table["method"]) == {CITY_SHARE_METHOD, FALLBACK_METHOD}
    assert (table["lower"] <= table["forecast"]).all() and (table["forecast"] <= table["upper"]).all()

    slots = fc.slot_days(quantile=0.8)
    day = slots[(slots["zone"] == "Z-old") & (slots["date"] == dt.date(2026, 4, 1))]
    assert day["share"].sum() == pytest.approx(1.0)
    assert day.set_index("slot")["share"]["18:00-20:00"] == pytest.approx(2 / 3, abs=0.02)
    assert day["expected"].sum() == pytest.approx(fc.zones["Z-old"].daily.mean[0])
    assert (day["quantile"] > day["expected"]).all()


def test_capacity_opens_more_seats_on_a_promotion_day_than_on_a_quiet_one():
    promo = dt.date(2026, 4, 8)  # a Wednesday
    cal = DemandCalendar("SE", [*CAL.promotions, Promotion(promo, "Easter sale", "major")])
    hist = _history({"Z": synthetic(days=120)})
    fc = forecast_demand(hist, cal, start=dt.date(2026, 4, 1), settings=ForecastSettings(horizon=14, backtest_origins=1),
                         candidates=[SarimaxModel()])
    quiet = dt.date(2026, 4, 1)  # the Wednesday before
    peak_seats = sum(s.capacity for s in slot_capacities(fc, promo, 0.8))
    quiet_seats = sum(s.capacity for s in slot_capacities(fc, quiet, 0.8))
    assert peak_seats > 1.4 * quiet_seats
    caps = slot_capacities(fc, promo, 0.8)
    assert all(s.capacity >= s.expected for s in caps)
    rep = representative_demand(fc, promo, 0.8)
    assert rep["orders"].sum() == round(fc.zone_quantile("Z", promo, 0.8))
    with pytest.raises(ValueError, match="outside the forecast"):
        slot_capacities(fc, dt.date(2027, 1, 1))


def test_largest_remainder_splits_whole_orders_exactly():
    split = largest_remainder(10, pd.Series({"a": 0.55, "b": 0.3, "c": 0.15}))
    assert split.tolist() == [6, 3, 1] and split.sum() == 10
    assert largest_remainder(0, pd.Series({"a": 1.0})).tolist() == [0]
