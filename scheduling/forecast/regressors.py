"""The calendar a daily demand model sees, as regressors on ``log(1 + orders)``.

* **weekday** dummies (Monday is the base) and a linear **trend** in years;
* **annual season**: ``fourier_terms`` sine/cosine pairs of the day of the year, for broad
  shapes such as the summer trough (only with :data:`MIN_DAYS_FOR_SEASONS` of history);
* **Christmas run-up**: bumps a week apart, from six weeks before Christmas Eve to a week
  after, each a Gaussian of :data:`RUN_UP_WIDTH_DAYS`. A few Fourier terms cannot follow a
  peak a few weeks wide (three pairs smear it over two months); the bumps can, and a bump is
  only used once the history holds a December it can be estimated on;
* **calendar days**: public holidays, the first working day after one, major and minor
  promotion days (known in advance from the shop's campaign plan).

One function builds the regressors for fitting and for forecasting, so both see the same
columns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scheduling.demand_calendar import DemandCalendar

YEAR_DAYS = 365.25
MIN_DAYS_FOR_SEASONS = 400  # annual terms need a full year and a bit
RUN_UP_OFFSETS_DAYS = (-42, -35, -28, -21, -14, -7, 0, 7)  # bump centres, days from Christmas Eve
RUN_UP_WIDTH_DAYS = 5.0  # standard deviation of each bump
CALENDAR_DAYS = ("holiday", "after_holiday", "promotion_major", "promotion_minor")


@dataclass(frozen=True)
class Seasonality:
    """Which annual terms a model uses. ``fourier_terms=0`` and ``christmas=False``: weekly only."""

    fourier_terms: int = 8
    christmas: bool = True

    @property
    def annual(self) -> bool:
        return self.fourier_terms > 0 or self.christmas


WEEKLY_ONLY = Seasonality(fourier_terms=0, christmas=False)


def days_from_christmas_eve(dates: pd.DatetimeIndex) -> np.ndarray:
    """Signed days from the nearest Christmas Eve (negative before it), per date."""
    years = dates.year.to_numpy()
    out = np.empty(len(dates))
    for i, (d, y) in enumerate(zip(dates, years)):
        this = (d - pd.Timestamp(year=int(y), month=12, day=24)).days
        last = (d - pd.Timestamp(year=int(y) - 1, month=12, day=24)).days
        out[i] = this if abs(this) <= abs(last) else last
    return out


def calendar_regressors(
    dates: pd.DatetimeIndex, calendar: DemandCalendar, *, t0: pd.Timestamp, season: Seasonality
) -> pd.DataFrame:
    """Regressors for ``dates``: constant, weekday, trend, annual season, calendar days."""
    days = [d.date() for d in dates]
    hols = calendar.holidays_in(days[0] - dt.timedelta(days=4), days[-1])
    X = pd.DataFrame(index=dates)
    X["const"] = 1.0
    for k in range(1, 7):
        X[f"weekday_{k}"] = (dates.day_of_week == k).astype(float)
    X["trend_years"] = (dates - t0).days / YEAR_DAYS
    doy = dates.day_of_year.to_numpy()
    for k in range(1, season.fourier_terms + 1):
        X[f"season_sin_{k}"] = np.sin(2 * np.pi * k * doy / YEAR_DAYS)
        X[f"season_cos_{k}"] = np.cos(2 * np.pi * k * doy / YEAR_DAYS)
    if season.christmas:
        offset = days_from_christmas_eve(dates)
        for c in RUN_UP_OFFSETS_DAYS:
            X[f"christmas_{c:+d}"] = np.exp(-0.5 * ((offset - c) / RUN_UP_WIDTH_DAYS) ** 2)
    X["holiday"] = [float(d in hols) for d in days]
    X["after_holiday"] = [float(_after_holiday(d, hols)) for d in days]
    promos = {p.date: p.size for p in calendar.promotions}
    X["promotion_major"] = [float(promos.get(d) == "major") for d in days]
    X["promotion_minor"] = [float(promos.get(d) == "minor") for d in days]
    return X


def estimable_columns(X: pd.DataFrame) -> list[str]:
    """The columns a fit on ``X`` can estimate: the constant, and every other column that
    varies and reaches at least half its height somewhere (a Christmas bump whose December
    is not in the history, a promotion kind never seen, are left out)."""
    keep = []
    for c in X.columns:
        v = X[c].to_numpy()
        if c == "const" or (np.ptp(v) > 0 and (c.startswith(("season_", "trend", "weekday")) or v.max() >= 0.5)):
            keep.append(c)
    return keep


def _after_holiday(day: dt.date, hols: dict[dt.date, str]) -> bool:
    """The first working day after a holiday (Sundays in between do not count)."""
    if day in hols:
        return False
    prev = day - dt.timedelta(days=1)
    while prev.weekday() == 6 and prev not in hols:
        prev -= dt.timedelta(days=1)
    return prev in hols
