"""Demand forecast per zone, day and slot, with prediction intervals.

1. The **city** series (all zones' daily orders) is forecast by the candidate models (SARIMAX
   with calendar and annual regressors, exponential smoothing; :mod:`scheduling.forecast.models`),
   the one with the lowest WAPE in a rolling-origin backtest (:mod:`scheduling.forecast.backtest`)
   refitted on all history. With less than a year of history the models are weekly only, and the
   forecast's ``note`` says so.
2. Each zone with at least ``min_history_days`` of history gets its **share** of the city
   forecast (:mod:`scheduling.forecast.reconcile`), so the zones add up to the city on every
   day and a small zone's noise never decides its season.
3. A zone with less history **falls back** to the mean of the same weekday over the weeks there
   are (at most four); under a week of history, to the mean day. The forecast says so in
   ``method`` and ``note``; its interval comes from that method's own past errors. The other
   zones share what the city forecast leaves.
4. Each day is split into slots by the zone's **slot-share profile**: the share of each slot
   among the zone's orders of the last ``profile_weeks`` weeks, separately for weekdays and
   weekends, shrunk towards the city-wide profile so a quiet zone's rare slots are not zero.

Slot demand is the zone's daily demand thinned by the slot share, so a slot quantile uses
mean ``share * m`` and variance ``share^2 * v + share * (1 - share) * m`` (``m``, ``v``: the
zone-day mean and variance), with a normal approximation.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd
from scipy.stats import norm

from scheduling.forecast.backtest import Backtest, run_backtest
from scheduling.demand_calendar import DemandCalendar
from scheduling.forecast.models import DailyForecast, DailyModel, EtsModel, SarimaxModel, WeekdayAverage
from scheduling.forecast.reconcile import fit_share, top_down
from scheduling.history import OrderHistory

FALLBACK_METHOD = "fallback_weekday_mean"
CITY_SHARE_METHOD = "city_share"
CITY = "city"


@dataclass(frozen=True)
class ForecastSettings:
    """How to forecast; ``level`` is the central interval reported (0.8 = 10th to 90th percentile)."""

    horizon: int = 14
    level: float = 0.8
    min_history_days: int = 56
    backtest_origins: int = 8
    backtest_horizon: int = 7
    profile_weeks: int = 8
    profile_prior_orders: float = 20.0  # weight of the city-wide slot profile, in orders
    share_half_life_days: float = 56.0  # how fast a zone's share of the city follows a change

    def __post_init__(self) -> None:
        if self.horizon < 1:
            raise ValueError("horizon: forecast at least 1 day ahead")
        if not 0 < self.level < 1:
            raise ValueError("level: give the interval's coverage as a share between 0 and 1, e.g. 0.8")


def default_candidates() -> list[DailyModel]:
    return [SarimaxModel(), EtsModel()]


@dataclass
class ZoneForecast:
    zone: str
    method: str  # the model used, or FALLBACK_METHOD
    note: str  # why this method (chosen by backtest, or too little history)
    history_days: int
    daily: DailyForecast
    slot_shares: dict[str, pd.Series]  # "weekday" / "weekend" -> share per slot key


@dataclass
class DemandForecast:
    """Forecast demand for every zone over the horizon, and the backtest that chose the models."""

    start: dt.date
    horizon: int
    level: float
    zones: dict[str, ZoneForecast]
    calendar: DemandCalendar
    backtest: Backtest | None = None
    city: ZoneForecast | None = None  # the city series' model and its reconciled forecast
    history: pd.DataFrame | None = field(default=None, repr=False)  # daily orders used (date x zone)

    @property
    def dates(self) -> pd.DatetimeIndex:
        return pd.date_range(pd.Timestamp(self.start), periods=self.horizon, freq="D")

    def zone_days(self) -> pd.DataFrame:
        """One row per zone and day: point forecast, interval, method, calendar label."""
        tail = (1 - self.level) / 2
        rows = []
        for zone, zf in self.zones.items():
            lo, hi = zf.daily.quantile(tail), zf.daily.quantile(1 - tail)
            for k, d in enumerate(zf.daily.dates):
                rows.append(
                    {
                        "zone": zone,
                        "date": d.date(),
                        "forecast": float(zf.daily.median[k]),
                        "lower": float(lo[k]),
                        "upper": float(hi[k]),
                        "method": zf.method,
                        "calendar": self.calendar.describe(d.date()),
                    }
                )
        return pd.DataFrame(rows)

    def slot_days(self, quantile: float | None = None) -> pd.DataFrame:
        """One row per zone, day and slot: expected orders and, if asked, the ``quantile``."""
        rows = []
        for zone, zf in self.zones.items():
            mean, var = zf.daily.mean, zf.daily.variance
            for k, d in enumerate(zf.daily.dates):
                shares = zf.slot_shares["weekend" if d.day_of_week >= 5 else "weekday"]
                for slot, share in shares.items():
                    m = share * mean[k]
                    row = {"zone": zone, "date": d.date(), "slot": slot, "share": float(share), "expected": float(m)}
                    if quantile is not None:
                        sd = math.sqrt(share**2 * var[k] + share * (1 - share) * mean[k])
                        row["quantile"] = float(max(m + norm.ppf(quantile) * sd, 0.0))
                    rows.append(row)
        return pd.DataFrame(rows)

    def zone_quantile(self, zone: str, day: dt.date, quantile: float) -> float:
        zf = self.zones[zone]
        k = zf.daily.dates.get_loc(pd.Timestamp(day))
        return float(zf.daily.quantile(quantile)[k])

    def city_days(self) -> pd.DataFrame:
        """Forecast orders per day summed over zones (equal to the city forecast's point)."""
        zd = self.zone_days()
        return zd.groupby("date")[["forecast"]].sum()

    def notes(self) -> dict[str, str]:
        """Why each zone (and the city, under ``"city"``) is forecast the way it is."""
        out = {z: zf.note for z, zf in self.zones.items()}
        if self.city is not None:
            out[CITY] = self.city.note
        return out


def slot_profile(
    history: OrderHistory, zone: str, since: dt.date, *, prior_orders: float = 20.0
) -> dict[str, pd.Series]:
    """Share of each slot key among the zone's orders since ``since``, weekdays and weekends apart.

    Shrunk towards the city-wide shares with the weight of ``prior_orders`` orders.
    """
    df = history.orders[history.orders["delivery_date"] >= pd.Timestamp(since)]
    keys = np.where(df["pickup_point_id"] != "", "pickup " + df["slot"], df["slot"])
    weekend = df["delivery_date"].dt.day_of_week >= 5
    frame = pd.DataFrame({"zone": df["zone"].to_numpy(), "key": keys, "weekend": weekend.to_numpy()})
    all_keys = sorted(frame["key"].unique())
    out = {}
    for label, flag in (("weekday", False), ("weekend", True)):
        part = frame[frame["weekend"] == flag]
        if part.empty:
            part = frame
        city = part["key"].value_counts().reindex(all_keys, fill_value=0).astype(float)
        city = city / city.sum() if city.sum() > 0 else pd.Series(1 / len(all_keys), index=all_keys)
        own = part.loc[part["zone"] == zone, "key"].value_counts().reindex(all_keys, fill_value=0).astype(float)
        shares = (own + prior_orders * city) / (own.sum() + prior_orders)
        out[label] = shares / shares.sum()
    return out


def _fallback(zone: str, y: pd.Series, dates: pd.DatetimeIndex, why: str) -> ZoneForecast:
    """The zone forecast by the mean of the same weekday over its last weeks (at most four)."""
    weeks = min(4, len(y) // 7)
    fc = WeekdayAverage(weeks=max(weeks, 1)).fit(y).forecast(dates)
    how = f"mean of the same weekday over the last {weeks} week(s)" if weeks else "mean of the days there are"
    return ZoneForecast(zone, FALLBACK_METHOD, f"fallback: {why}; {how}", len(y), fc, {})


def forecast_demand(
    history: OrderHistory,
    calendar: DemandCalendar,
    *,
    start: dt.date,
    settings: ForecastSettings = ForecastSettings(),
    zones: Sequence[str] | None = None,
    candidates: Sequence[DailyModel] | None = None,
) -> DemandForecast:
    """Forecast ``settings.horizon`` days from ``start`` for each zone from history before ``start``.

    ``zones`` defaults to the zones in the history; a listed zone with no history at all raises
    ``ValueError`` naming it (no method can forecast it).
    """
    candidates = list(candidates) if candidates is not None else default_candidates()
    last = start - dt.timedelta(days=1)
    known = history.until(last)
    if len(known) == 0:
        raise ValueError(f"no order history before {start}: import or generate a history first")
    zones = list(zones) if zones is not None else known.zones
    empty = [z for z in zones if known.first_day_of(z) is None]
    if empty:
        raise ValueError(f"zone(s) {', '.join(empty)} have no order history before {start}; nothing to forecast from")
    daily = known.daily_orders(zones, known.first_day, last)
    dates = pd.date_range(pd.Timestamp(start), periods=settings.horizon, freq="D")
    series = {z: daily[z][daily.index >= pd.Timestamp(known.first_day_of(z))] for z in zones}
    shared = [z for z in zones if len(series[z]) >= settings.min_history_days]
    city_series = daily[zones].sum(axis=1)

    since = last - dt.timedelta(weeks=settings.profile_weeks) + dt.timedelta(days=1)
    out: dict[str, ZoneForecast] = {}
    fixed: dict[str, DailyForecast] = {}
    for z in zones:
        if z in shared:
            continue
        why = f"only {len(series[z])} days of history (fitted models need {settings.min_history_days})"
        out[z] = _fallback(z, series[z], dates, why)
        fixed[z] = out[z].daily

    backtest = None
    city: ZoneForecast | None = None
    if shared and candidates:
        backtest = run_backtest(
            {CITY: city_series},
            calendar,
            candidates,
            origins=settings.backtest_origins,
            horizon=settings.backtest_horizon,
            level=settings.level,
        )
        name = backtest.chosen().get(CITY)
        if name is not None:
            by_name = {m.name: m for m in candidates}
            fitted = by_name[name].fit(city_series, calendar)
            score = backtest.zones[CITY].scores().loc[name]
            note = f"{name}, chosen by backtest: WAPE {score['wape']:.1%} over {int(score['days'])} held-out days"
            season_note = getattr(fitted, "note", "")
            note = f"{note}; {season_note}" if season_note else note
            shares = {
                z: fit_share(series[z], city_series, dates, half_life_days=settings.share_half_life_days) for z in shared
            }
            total, split = top_down(fitted.forecast(dates), shares, fixed)
            city = ZoneForecast(CITY, name, note, len(city_series), total, {})
            for z in shared:
                pct = float(np.mean(split[z].median / np.maximum(total.median, 1e-9)))
                out[z] = ZoneForecast(
                    z, CITY_SHARE_METHOD, f"{pct:.1%} of the city forecast ({note})", len(series[z]), split[z], {}
                )
    for z in shared:
        if z not in out:  # no candidate could be fitted on the city series
            out[z] = _fallback(z, series[z], dates, "no candidate model could be fitted")
    for z in zones:
        out[z].slot_shares = slot_profile(known, z, since, prior_orders=settings.profile_prior_orders)
    out = {z: out[z] for z in zones}
    return DemandForecast(start, settings.horizon, settings.level, out, calendar, backtest, city=city, history=daily)
