"""How good the whole forecast is, season by season: a rolling backtest of city and zones.

Where :mod:`scheduling.forecast.backtest` picks a model for one series on the last weeks,
this module scores what a planner gets, zones and city together, over a whole year:

* **origins** (the last day of history a forecast may see) at least a week apart over the
  span, each forecasting ``horizon`` days (1 to 14), with the history the product would use
  (the ``window_days`` before the origin);
* the **system** forecast: each candidate model on the city series, split into zones by their
  shares (:mod:`scheduling.forecast.reconcile`), so zone scores include the reconciliation;
* **baselines** per zone (seasonal-naive, same-day-last-year, ...) and the city as their sum;
* any **peer** forecasts made elsewhere (statsforecast, in its own environment) joined in as
  extra rows of the same shape;
* **selection**: origins are split alternately into a selection half and a scored half
  (:func:`split_origins`); a model is chosen on the first and reported on the second.

Scores (:func:`scores`): WAPE, MASE (over the in-sample error of the same weekday last week
before the first origin), bias (forecast over actual, minus one) and the coverage of the
central interval, by any grouping: season, zone, horizon week.
"""

from __future__ import annotations

import datetime as dt
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from scheduling.demand_calendar import DemandCalendar
from scheduling.forecast.backtest import naive_scale
from scheduling.forecast.models import DailyModel
from scheduling.forecast.reconcile import fit_share, top_down

CITY = "city"
SEASONS = ("promotion", "december_peak", "summer", "ordinary")
COLUMNS = ["model", "origin", "zone", "date", "step", "actual", "point", "lower", "upper"]


def season_of(day: dt.date, calendar: DemandCalendar) -> str:
    """The season a day is scored in: a promotion day, the December run-up (1-24 December),
    the summer holidays (20 June - 15 August), or an ordinary day."""
    if calendar.promotion_on(day) is not None:
        return "promotion"
    if day.month == 12 and day.day <= 24:
        return "december_peak"
    if (day.month, day.day) >= (6, 20) and (day.month, day.day) <= (8, 15):
        return "summer"
    return "ordinary"


def weekly_origins(first: dt.date, last: dt.date) -> list[dt.date]:
    """Origins a week apart from ``first`` to ``last`` (both included if on the grid)."""
    if last < first:
        raise ValueError(f"the last origin ({last}) is before the first ({first})")
    return [first + dt.timedelta(weeks=k) for k in range((last - first).days // 7 + 1)]


def split_origins(origins: Sequence[dt.date]) -> tuple[list[dt.date], list[dt.date]]:
    """Alternate origins into (selection, scored): every season lands in both halves."""
    return list(origins[0::2]), list(origins[1::2])


def training_window(daily: pd.DataFrame, origin: dt.date, window_days: int) -> pd.DataFrame:
    """The ``window_days`` of ``daily`` up to and including ``origin``: what a forecast there sees."""
    cut = pd.Timestamp(origin)
    return daily[(daily.index <= cut) & (daily.index > cut - pd.Timedelta(days=window_days))]


def held_out_rows(model: str, origin: dt.date, zone: str, dates: pd.DatetimeIndex, actual, fc, level: float) -> list[tuple]:
    """Rows of :data:`COLUMNS` for forecast ``fc`` of ``zone`` on ``dates`` (the days after ``origin``)."""
    lower, upper = fc.interval(level)
    return [
        (model, origin, zone, d, k + 1, float(actual[k]), float(fc.median[k]), float(lower[k]), float(upper[k]))
        for k, d in enumerate(dates)
    ]


def rolling_backtest(
    daily: pd.DataFrame,
    calendar: DemandCalendar,
    candidates: Sequence[DailyModel],
    baselines: Sequence[DailyModel],
    *,
    origins: Sequence[dt.date],
    horizon: int = 14,
    level: float = 0.8,
    window_days: int = 730,
    share_half_life_days: float = 56.0,
) -> pd.DataFrame:
    """Held-out forecasts of zones and city at every origin: one row per model, origin, zone
    (or ``"city"``) and day, with columns :data:`COLUMNS` (``step``: days ahead, 1 = the day
    after the origin). ``daily``: orders per day (index) and zone (columns), no gaps."""
    if horizon < 1:
        raise ValueError("horizon: forecast at least 1 day ahead")
    city = daily.sum(axis=1)
    records: list[tuple] = []
    for origin in origins:
        cut = pd.Timestamp(origin)
        dates = pd.date_range(cut + pd.Timedelta(days=1), periods=horizon, freq="D")
        dates = dates[dates <= daily.index[-1]]
        if len(dates) == 0:
            continue
        train = training_window(daily, origin, window_days)
        city_train = train.sum(axis=1)
        actual = daily.reindex(dates)
        city_actual = city.reindex(dates).to_numpy()
        shares = {z: fit_share(train[z], city_train, dates, half_life_days=share_half_life_days) for z in daily.columns}
        for model in candidates:
            total, split = top_down(model.fit(city_train, calendar).forecast(dates), shares)
            records += held_out_rows(model.name, origin, CITY, dates, city_actual, total, level)
            for z, fc in split.items():
                records += held_out_rows(model.name, origin, z, dates, actual[z].to_numpy(), fc, level)
        for model in baselines:
            point_sum = np.zeros(len(dates))
            for z in daily.columns:
                fc = model.fit(train[z], calendar).forecast(dates)
                records += held_out_rows(model.name, origin, z, dates, actual[z].to_numpy(), fc, level)
                point_sum += fc.median
            # a naive method's city forecast is the sum of its zones' (no interval of its own)
            records += [
                (model.name, origin, CITY, d, k + 1, float(city_actual[k]), float(point_sum[k]), np.nan, np.nan)
                for k, d in enumerate(dates)
            ]
    return pd.DataFrame.from_records(records, columns=COLUMNS)


def label_seasons(rows: pd.DataFrame, calendar: DemandCalendar) -> pd.DataFrame:
    """``rows`` with a ``season`` column (see :func:`season_of`) and the horizon ``week`` (1 or 2)."""
    out = rows.copy()
    days = pd.to_datetime(out["date"]).dt.date
    labels = {d: season_of(d, calendar) for d in set(days)}
    out["season"] = days.map(labels)
    out["week"] = (out["step"] - 1) // 7 + 1
    return out


def mase_scales(daily: pd.DataFrame, first_origin: dt.date) -> dict[str, float]:
    """Per zone and the city: the MASE denominator from the history before the first origin."""
    before = daily[daily.index <= pd.Timestamp(first_origin)]
    out = {z: naive_scale(before[z].to_numpy(dtype=float)) for z in daily.columns}
    out[CITY] = naive_scale(before.sum(axis=1).to_numpy(dtype=float))
    return out


def scores(rows: pd.DataFrame, by: Sequence[str], scales: Mapping[str, float] | None = None) -> pd.DataFrame:
    """WAPE, MASE, bias and interval coverage of ``rows`` grouped by ``by`` (e.g. model, season)."""
    out = []
    for key, g in rows.groupby(list(by), sort=True):
        a, p = g["actual"].to_numpy(), g["point"].to_numpy()
        total = a.sum()
        row = dict(zip(by, key if isinstance(key, tuple) else (key,)))
        row["days"] = len(g)
        row["orders"] = float(total)
        row["wape"] = float(np.abs(a - p).sum() / total) if total > 0 else np.nan
        row["bias"] = float(p.sum() / total - 1) if total > 0 else np.nan
        has_interval = g["lower"].notna().to_numpy()
        inside = (a >= g["lower"].to_numpy()) & (a <= g["upper"].to_numpy())
        row["coverage"] = float(inside[has_interval].mean()) if has_interval.any() else np.nan
        if scales is not None:
            s = g["zone"].map(scales).to_numpy(dtype=float)
            row["mase"] = float(np.mean(np.abs(a - p) / s))
        out.append(row)
    return pd.DataFrame(out)
