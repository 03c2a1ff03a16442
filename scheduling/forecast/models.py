"""Daily demand models for one zone: two fitted statsmodels models and three simple methods.

Every model sees a zone's daily order counts up to a forecast origin and answers, for later
dates, a distribution on the ``log(1 + orders)`` scale: a normal with mean ``loc`` and standard
deviation ``scale`` (:class:`DailyForecast`). Working on the log scale makes weekday, season,
holiday and promotion effects multiplicative, as they are in shops' data, and keeps intervals
above zero. The point forecast is the median, ``exp(loc) - 1``, which is what minimises the
absolute error the backtest scores (WAPE, MASE).

Fitted models (chosen per zone by backtest, see :mod:`scheduling.forecast.backtest`):

* :class:`SarimaxModel` - a regression with ARMA(1,1) errors (statsmodels ``SARIMAX``). The
  regressors: weekday dummies, annual Fourier terms (when a year of history exists), a linear
  trend, public holidays, the first working day after a holiday, major and minor promotion
  days. Fitted in two steps: the ARMA terms and noise variance by maximum likelihood on the
  residuals of a least-squares regression, then one Kalman filter pass of the full model with
  the coefficients in the state (``mle_regression=False``), so they are re-estimated by GLS and
  the intervals include their uncertainty. A fit takes a fraction of a second, where a joint
  likelihood search over twenty coefficients takes ten.
* :class:`EtsModel` - exponential smoothing with a damped additive trend and an additive weekly
  season (statsmodels ``ETSModel``) on the series with holiday and promotion effects taken
  out; the effects (from a least-squares fit of the same calendar regressors) are put back
  into the forecast, so it too sees Black Friday coming.

Simple methods (baselines, and the fallback for short histories):

* :class:`SeasonalNaive` - the same weekday last week.
* :class:`WeekdayAverage` - the mean of the same weekday over the last four weeks (or fewer when
  the history is shorter: then it is the documented fallback).
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd
from scipy.stats import norm

from scheduling.demand_calendar import DemandCalendar

YEAR_DAYS = 365.25
FOURIER_TERMS = 3
MIN_DAYS_FOR_SEASONS = 400  # annual Fourier terms need a full year and a bit
CALENDAR_DAYS = ("holiday", "after_holiday", "promotion_major", "promotion_minor")


@dataclass(frozen=True)
class DailyForecast:
    """Forecast orders per day: ``log(1 + orders)`` is normal with mean ``loc``, sd ``scale``."""

    dates: pd.DatetimeIndex
    loc: np.ndarray
    scale: np.ndarray

    def quantile(self, q: float) -> np.ndarray:
        """The ``q`` quantile of orders per day (0 < q < 1)."""
        return np.maximum(np.expm1(self.loc + norm.ppf(q) * self.scale), 0.0)

    @property
    def median(self) -> np.ndarray:
        """The point forecast (orders)."""
        return np.maximum(np.expm1(self.loc), 0.0)

    @property
    def mean(self) -> np.ndarray:
        return np.maximum(np.exp(self.loc + 0.5 * self.scale**2) - 1.0, 0.0)

    @property
    def variance(self) -> np.ndarray:
        return (np.exp(self.scale**2) - 1.0) * np.exp(2 * self.loc + self.scale**2)

    def interval(self, level: float = 0.8) -> tuple[np.ndarray, np.ndarray]:
        """Central prediction interval holding ``level`` of the probability."""
        tail = (1 - level) / 2
        return self.quantile(tail), self.quantile(1 - tail)


class FittedModel(Protocol):
    def forecast(self, dates: pd.DatetimeIndex) -> DailyForecast: ...


class DailyModel(Protocol):
    name: str

    def fit(self, y: pd.Series, calendar: DemandCalendar) -> FittedModel: ...


def _check_series(y: pd.Series) -> None:
    if not isinstance(y.index, pd.DatetimeIndex) or len(y) < 1:
        raise ValueError("a zone's history must be a non-empty daily series indexed by date")
    if len(y) > 1 and (y.index[1:] - y.index[:-1] != pd.Timedelta(days=1)).any():
        raise ValueError("a zone's history must have one value per day with no missing days")


def calendar_regressors(dates: pd.DatetimeIndex, calendar: DemandCalendar, *, t0: pd.Timestamp, annual: bool) -> pd.DataFrame:
    """Regressors for :class:`SarimaxModel`: constant, weekday, trend, season, calendar days."""
    days = [d.date() for d in dates]
    hols = calendar.holidays_in(days[0] - dt.timedelta(days=4), days[-1])
    X = pd.DataFrame(index=dates)
    X["const"] = 1.0
    for k in range(1, 7):
        X[f"weekday_{k}"] = (dates.day_of_week == k).astype(float)
    X["trend_years"] = (dates - t0).days / YEAR_DAYS
    if annual:
        doy = dates.day_of_year.to_numpy()
        for k in range(1, FOURIER_TERMS + 1):
            X[f"season_sin_{k}"] = np.sin(2 * np.pi * k * doy / YEAR_DAYS)
            X[f"season_cos_{k}"] = np.cos(2 * np.pi * k * doy / YEAR_DAYS)
    X["holiday"] = [float(d in hols) for d in days]
    X["after_holiday"] = [float(_after_holiday(d, hols)) for d in days]
    promos = {p.date: p.size for p in calendar.promotions}
    X["promotion_major"] = [float(promos.get(d) == "major") for d in days]
    X["promotion_minor"] = [float(promos.get(d) == "minor") for d in days]
    return X


def _after_holiday(day: dt.date, hols: dict[dt.date, str]) -> bool:
    """The first working day after a holiday (Sundays in between do not count)."""
    if day in hols:
        return False
    prev = day - dt.timedelta(days=1)
    while prev.weekday() == 6 and prev not in hols:
        prev -= dt.timedelta(days=1)
    return prev in hols


def _arma_start(resid: np.ndarray, order: tuple[int, int, int]) -> np.ndarray:
    """Start the ARMA search at the residuals' lag-1 autocorrelation (AR), zero MA terms."""
    r = resid - resid.mean()
    denom = float(r @ r)
    rho = float(r[1:] @ r[:-1]) / denom if denom > 0 else 0.0
    p, _, q = order
    ar = [float(np.clip(rho, -0.9, 0.9))] + [0.0] * (p - 1) if p else []
    return np.array(ar + [0.0] * q + [max(float(np.var(r)), 1e-6)])


@dataclass
class _FittedSarimax:
    result: object
    columns: list[str]
    calendar: DemandCalendar
    t0: pd.Timestamp
    annual: bool
    end: pd.Timestamp

    def forecast(self, dates: pd.DatetimeIndex) -> DailyForecast:
        steps = (dates[-1] - self.end).days
        if steps < 1 or dates[0] <= self.end:
            raise ValueError(f"forecast dates must follow the last day of history ({self.end.date()})")
        future = pd.date_range(self.end + pd.Timedelta(days=1), periods=steps, freq="D")
        X = calendar_regressors(future, self.calendar, t0=self.t0, annual=self.annual)[self.columns]
        pred = self.result.get_forecast(steps, exog=X.to_numpy())  # type: ignore[attr-defined]
        loc = pd.Series(np.asarray(pred.predicted_mean), index=future)
        scale = pd.Series(np.sqrt(np.asarray(pred.var_pred_mean)), index=future)
        return DailyForecast(dates, loc.reindex(dates).to_numpy(), scale.reindex(dates).to_numpy())


@dataclass(frozen=True)
class SarimaxModel:
    """Regression on calendar regressors with ARMA(p, q) errors on ``log(1 + orders)``."""

    order: tuple[int, int, int] = (1, 0, 1)
    maxiter: int = 50
    name: str = "sarimax"

    def fit(self, y: pd.Series, calendar: DemandCalendar) -> _FittedSarimax:
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        _check_series(y)
        annual = len(y) >= MIN_DAYS_FOR_SEASONS
        t0 = y.index[0]
        X = calendar_regressors(y.index, calendar, t0=t0, annual=annual)
        # A calendar regressor never seen in training cannot be estimated: leave it out.
        columns = [c for c in X.columns if c == "const" or X[c].abs().sum() > 0 and X[c].nunique() > 1]
        logy = np.log1p(y.to_numpy(dtype=float))
        exog = X[columns].to_numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # Two steps keep a fit well under a second: the ARMA terms are estimated on the
            # residuals of an ordinary least-squares regression, then the full model runs the
            # Kalman filter once with them, re-estimating the coefficients (by GLS, in the state).
            beta, *_ = np.linalg.lstsq(exog, logy, rcond=None)
            resid = logy - exog @ beta
            errors = SARIMAX(resid, order=self.order, trend="n", initialization="approximate_diffuse").fit(
                start_params=_arma_start(resid, self.order), disp=False, maxiter=self.maxiter
            )
            model = SARIMAX(logy, exog=exog, order=self.order, mle_regression=False)
            result = model.filter(np.asarray(errors.params))
        return _FittedSarimax(result, columns, calendar, t0, annual, y.index[-1])


@dataclass
class _FittedEts:
    result: object
    end: pd.Timestamp
    calendar: DemandCalendar
    effects: dict[str, float]

    def forecast(self, dates: pd.DatetimeIndex) -> DailyForecast:
        steps = (dates[-1] - self.end).days
        if steps < 1 or dates[0] <= self.end:
            raise ValueError(f"forecast dates must follow the last day of history ({self.end.date()})")
        n = self.result.nobs  # type: ignore[attr-defined]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pred = self.result.get_prediction(start=n, end=n + steps - 1)  # type: ignore[attr-defined]
            frame = pred.summary_frame(alpha=0.2)
        future = pd.date_range(self.end + pd.Timedelta(days=1), periods=steps, freq="D")
        loc = frame["mean"].to_numpy()
        if self.effects:
            X = calendar_regressors(future, self.calendar, t0=future[0], annual=False)
            loc = loc + X[list(self.effects)].to_numpy() @ np.array(list(self.effects.values()))
        loc = pd.Series(loc, index=future)
        # additive errors: the interval is normal, so its half-width gives the sd
        scale = pd.Series((frame["pi_upper"] - frame["pi_lower"]).to_numpy() / (2 * norm.ppf(0.9)), index=future)
        return DailyForecast(dates, loc.reindex(dates).to_numpy(), scale.reindex(dates).to_numpy())


@dataclass(frozen=True)
class EtsModel:
    """Exponential smoothing, additive errors, damped additive trend, additive weekly season."""

    maxiter: int = 30
    name: str = "ets"

    def fit(self, y: pd.Series, calendar: DemandCalendar) -> _FittedEts:
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        _check_series(y)
        if len(y) < 28:
            raise ValueError("exponential smoothing with a weekly season needs at least 4 weeks of history")
        logy = np.log1p(y.to_numpy(dtype=float))
        effects = _calendar_effects(y.index, logy, calendar)
        X = calendar_regressors(y.index, calendar, t0=y.index[0], annual=False)
        adjusted = logy - X[list(effects)].to_numpy() @ np.array(list(effects.values())) if effects else logy
        series = pd.Series(adjusted, index=pd.DatetimeIndex(y.index, freq="D"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = ETSModel(series, error="add", trend="add", damped_trend=True, seasonal="add", seasonal_periods=7)
            result = model.fit(disp=False, maxiter=self.maxiter)
        return _FittedEts(result, y.index[-1], calendar, effects)


def _calendar_effects(dates: pd.DatetimeIndex, logy: np.ndarray, calendar: DemandCalendar) -> dict[str, float]:
    """Holiday and promotion effects on the log scale, from a least-squares fit of the same
    regressors SARIMAX uses; regressors that never occur in the history are left out."""
    X = calendar_regressors(dates, calendar, t0=dates[0], annual=len(dates) >= MIN_DAYS_FOR_SEASONS)
    columns = [c for c in X.columns if c == "const" or X[c].nunique() > 1]
    beta, *_ = np.linalg.lstsq(X[columns].to_numpy(), logy, rcond=None)
    return {c: float(b) for c, b in zip(columns, beta) if c in CALENDAR_DAYS}


def _log_residual_sd(y: np.ndarray, point: np.ndarray) -> float:
    """Spread of a simple method's one-step errors on the log scale, with a floor for tiny samples."""
    ok = ~np.isnan(point)
    if ok.sum() < 3:
        return 0.5
    return max(float(np.std(np.log1p(y[ok]) - np.log1p(point[ok]), ddof=1)), 0.05)


def _same_weekday_mean(values: np.ndarray, end: int, weeks: int) -> float:
    """Mean of the values 7, 14, .. 7*weeks days before position ``end`` (those that exist)."""
    picks = [values[end - 7 * k] for k in range(1, weeks + 1) if end - 7 * k >= 0]
    return float(np.mean(picks)) if picks else float("nan")


@dataclass
class _FittedSimple:
    values: np.ndarray
    end: pd.Timestamp
    weeks: int
    sd: float

    def forecast(self, dates: pd.DatetimeIndex) -> DailyForecast:
        if dates[0] <= self.end:
            raise ValueError(f"forecast dates must follow the last day of history ({self.end.date()})")
        n = len(self.values)
        point, scale = [], []
        for d in dates:
            h = (d - self.end).days
            # the same weekday within the last week of history, then its predecessors
            base = n - 1 - ((7 - h % 7) % 7) if n >= 7 else None
            if base is None:
                p = float(np.mean(self.values))  # under a week of history: the daily mean
            else:
                p = _same_weekday_mean(self.values, base + 7, self.weeks)
            point.append(p)
            scale.append(self.sd * math.sqrt(1 + (h - 1) // 7))
        return DailyForecast(dates, np.log1p(np.asarray(point)), np.asarray(scale))


@dataclass(frozen=True)
class WeekdayAverage:
    """Mean of the same weekday over the last ``weeks`` weeks (fewer if the history is shorter)."""

    weeks: int = 4
    name: str = "weekday_avg_4w"

    def fit(self, y: pd.Series, calendar: DemandCalendar | None = None) -> _FittedSimple:
        _check_series(y)
        values = y.to_numpy(dtype=float)
        fitted = np.array([_same_weekday_mean(values, t, self.weeks) if t >= 7 else np.nan for t in range(len(values))])
        return _FittedSimple(values, y.index[-1], self.weeks, _log_residual_sd(values, fitted))


@dataclass(frozen=True)
class SeasonalNaive(WeekdayAverage):
    """The same weekday last week."""

    weeks: int = 1
    name: str = "seasonal_naive"
