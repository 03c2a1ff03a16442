"""Zone forecasts that add up to the city's: the city forecast split by each zone's share.

A zone of 20 orders a day has Poisson noise of about a fifth of its volume; the city's series
has nine times the volume, so its season, Christmas run-up, holidays and promotions are
estimated far better there than in any zone. So the city series is forecast by the fitted
models, and each zone gets its **share** of it (top-down by forecast proportions, as in
Athanasopoulos, Ahmed and Hyndman, 2009):

* a zone's share of the city, per weekday, is a weighted least-squares fit of its daily share
  on weekday dummies, recent days weighing more (half-life ``half_life_days``) so a zone that
  grows (a new housing area) moves its share within weeks, and busy days weighing more (a
  share's variance falls with the day's volume);
* the zone's point forecast is its share of the city's point forecast, so zones sum to the
  city on every day, exactly;
* its variance is the city's, scaled by the share squared, plus the zone's own scatter around
  its share: ``share^2 * Var(city) + dispersion * share * E[city]``, with the dispersion the
  zone's in-sample mean of ``residual^2 / expected`` (1 for Poisson thinning, more for extra
  zone noise); the interval is the log-normal with that median and variance.

Zones with too little history to estimate a share keep their own (fallback) forecast; the
others share what the city forecast leaves after them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from scheduling.forecast.models import DailyForecast


@dataclass(frozen=True)
class ZoneShare:
    """A zone's forecast share of the city per forecast date, and its scatter around it."""

    share: np.ndarray
    dispersion: float  # variance of the zone's orders around share x city, over the expected orders


def fit_share(
    zone: pd.Series, city: pd.Series, dates: pd.DatetimeIndex, *, half_life_days: float = 56.0, prior_days: float = 7.0
) -> ZoneShare:
    """The zone's share of ``city`` on ``dates``, from their common history (same index).

    Weekday shares are shrunk towards the zone's overall share with the weight of
    ``prior_days`` days, so a zone with a few weeks of history still gets a steady answer.
    """
    common = zone.index.intersection(city.index)
    z = zone.reindex(common).to_numpy(dtype=float)
    c = city.reindex(common).to_numpy(dtype=float)
    ok = c > 0
    z, c, idx = z[ok], c[ok], common[ok]
    if len(z) == 0:
        raise ValueError("a zone's share needs at least one day on which the city had orders")
    age = (idx[-1] - idx).days.to_numpy(dtype=float)
    w = c * 0.5 ** (age / half_life_days)
    overall = float(np.sum(w * z / c) / np.sum(w))
    weekday = idx.day_of_week.to_numpy()
    by_day = np.full(7, overall)
    for k in range(7):
        m = weekday == k
        if m.any():
            wk = w[m]
            # shrink towards the overall share: prior_days days' worth of the average weight
            prior = prior_days / 7 * float(np.mean(w))
            by_day[k] = (float(np.sum(wk * z[m] / c[m])) + prior * overall) / (float(np.sum(wk)) + prior)
    fitted = by_day[weekday] * c
    resid = z - fitted
    expected = np.maximum(fitted, 1e-9)
    decay = 0.5 ** (age / half_life_days)
    dispersion = float(np.sum(decay * resid**2 / expected) / np.sum(decay))
    return ZoneShare(by_day[dates.day_of_week.to_numpy()], max(dispersion, 1e-6))


def _lognormal(dates: pd.DatetimeIndex, median: np.ndarray, variance: np.ndarray) -> DailyForecast:
    """A forecast on the ``log(1 + orders)`` scale with the given median and variance of orders."""
    median = np.maximum(median, 0.0)
    sigma2 = np.log1p(variance / (median + 1.0) ** 2)
    return DailyForecast(dates, np.log1p(median), np.sqrt(sigma2))


def top_down(
    city: DailyForecast, shares: Mapping[str, ZoneShare], fixed: Mapping[str, DailyForecast] | None = None
) -> tuple[DailyForecast, dict[str, DailyForecast]]:
    """Split ``city`` by ``shares``; ``fixed`` zones keep their own forecast. Returns the
    reconciled city forecast (the sum of the zones' points, the city model's spread) and the
    zones' forecasts, whose points add up to it on every day."""
    fixed = dict(fixed or {})
    dates = city.dates
    fixed_total = sum((f.median for f in fixed.values()), np.zeros(len(dates)))
    rest = np.maximum(city.median - fixed_total, 0.0)
    total_share = sum((s.share for s in shares.values()), np.zeros(len(dates)))
    out: dict[str, DailyForecast] = {}
    ratio = rest / np.maximum(city.median, 1e-9)
    for zone, s in shares.items():
        share = np.divide(s.share, total_share, out=np.zeros(len(dates)), where=total_share > 0)
        point = share * rest
        # the city's spread, scaled to what the zones share, then the zone's own scatter
        variance = (share * ratio) ** 2 * city.variance + s.dispersion * share * rest
        out[zone] = _lognormal(dates, point, variance)
    out.update(fixed)
    total = sum((f.median for f in out.values()), np.zeros(len(dates)))
    # keep the city model's log-scale spread around the reconciled total
    reconciled = DailyForecast(dates, np.log1p(total), city.scale)
    return reconciled, out
