"""Daily demand models of one series: two fitted statsmodels models and three simple methods.

Every model sees a zone's daily order counts up to a forecast origin and answers, for later
dates, a distribution on the ``log(1 + orders)`` scale: a normal with mean ``loc`` and standard
deviation ``scale`` (:class:`DailyForecast`). Working on the log scale makes weekday, season,
holiday and promotion effects multiplicative, as they are in shops' data, and keeps intervals
above zero. The point forecast is the median, ``exp(loc) - 1``, which is what minimises the
absolute error the backtest scores (WAPE, MASE).

Fitted models (chosen per zone by backtest, see :mod:`scheduling.forecast.backtest`):

* :class:`SarimaxModel` - a regression with ARMA(1,1) errors (statsmodels ``SARIMAX``). The
  regressors (:mod:`scheduling.forecast.regressors`): weekday dummies, a linear trend, annual
  Fourier terms and the Christmas run-up (with a year of history), public holidays, the first
  working day after a holiday, major and minor promotion days. Fitted in two steps: least
  squares for the regression, then the ARMA terms by maximum likelihood on its residuals; the
  forecast's variance adds the ARMA forecast's and the coefficients' uncertainty. A fit takes
  about a tenth of a second.
* :class:`EtsModel` - exponential smoothing with a damped additive trend and an additive weekly
  season (statsmodels ``ETSModel``) on the series with holiday, promotion and annual effects
  taken out; the effects (from a least-squares fit of the same regressors) are put back into
  the forecast, so it too sees Black Friday and the Christmas run-up coming.

With less history than the annual terms need (:data:`MIN_DAYS_FOR_SEASONS`), both models are
weekly only, and their fit's ``note`` says so.

Simple methods (baselines, and the fallback for short histories):

* :class:`SeasonalNaive` - the same weekday last week.
* :class:`WeekdayAverage` - the mean of the same weekday over the last four weeks (or fewer when
  the history is shorter: then it is the documented fallback).
* :class:`SameDayLastYear` - the same weekday 52 weeks earlier.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd
from scipy.stats import norm

from scheduling.demand_calendar import DemandCalendar
from scheduling.forecast.regressors import (
    CALENDAR_DAYS,
    MIN_DAYS_FOR_SEASONS,
    WEEKLY_ONLY,
    Seasonality,
    calendar_regressors,
    estimable_columns,
)

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


def _arma_start(resid: np.ndarray, order: tuple[int, int, int]) -> np.ndarray:
    """Start the ARMA search at the residuals' lag-1 autocorrelation (AR), zero MA terms."""
    r = resid - resid.mean()
    denom = float(r @ r)
    rho = float(r[1:] @ r[:-1]) / denom if denom > 0 else 0.0
    p, _, q = order
    ar = [float(np.clip(rho, -0.9, 0.9))] + [0.0] * (p - 1) if p else []
    return np.array(ar + [0.0] * q + [max(float(np.var(r)), 1e-6)])


def season_for(y: pd.Series, wanted: Seasonality) -> tuple[Seasonality, str]:
    """The annual terms a history of ``y``'s length supports, and a note when it falls short."""
    if wanted.annual and len(y) < MIN_DAYS_FOR_SEASONS:
        return WEEKLY_ONLY, (
            f"weekly model: {len(y)} days of history, the annual season needs {MIN_DAYS_FOR_SEASONS}"
        )
    return wanted, ""


@dataclass
class _Regression:
    """Least-squares fit of ``log(1 + orders)`` on the calendar regressors."""

    columns: list[str]
    beta: np.ndarray
    cov: np.ndarray  # covariance of beta
    resid: np.ndarray
    calendar: DemandCalendar
    t0: pd.Timestamp
    season: Seasonality
    train_design: np.ndarray = field(repr=False)  # the regressors of the history it was fitted on

    @classmethod
    def fit(cls, y: pd.Series, calendar: DemandCalendar, season: Seasonality) -> "_Regression":
        t0 = y.index[0]
        X = calendar_regressors(y.index, calendar, t0=t0, season=season)
        columns = estimable_columns(X)
        A = X[columns].to_numpy()
        logy = np.log1p(y.to_numpy(dtype=float))
        beta, *_ = np.linalg.lstsq(A, logy, rcond=None)
        resid = logy - A @ beta
        dof = max(len(logy) - len(columns), 1)
        cov = float(resid @ resid) / dof * np.linalg.pinv(A.T @ A)
        return cls(columns, beta, cov, resid, calendar, t0, season, A)

    def design(self, dates: pd.DatetimeIndex) -> np.ndarray:
        return calendar_regressors(dates, self.calendar, t0=self.t0, season=self.season)[self.columns].to_numpy()


def _future(end: pd.Timestamp, dates: pd.DatetimeIndex) -> pd.DatetimeIndex:
    steps = (dates[-1] - end).days
    if steps < 1 or dates[0] <= end:
        raise ValueError(f"forecast dates must follow the last day of history ({end.date()})")
    return pd.date_range(end + pd.Timedelta(days=1), periods=steps, freq="D")


@dataclass
class _FittedSarimax:
    regression: _Regression
    errors: object  # statsmodels results of the ARMA model of the residuals
    end: pd.Timestamp
    note: str = ""

    def forecast(self, dates: pd.DatetimeIndex) -> DailyForecast:
        future = _future(self.end, dates)
        A = self.regression.design(future)
        pred = self.errors.get_forecast(len(future))  # type: ignore[attr-defined]
        loc = A @ self.regression.beta + np.asarray(pred.predicted_mean)
        var = np.asarray(pred.var_pred_mean) + np.einsum("ij,jk,ik->i", A, self.regression.cov, A)
        loc_s = pd.Series(loc, index=future).reindex(dates).to_numpy()
        scale_s = pd.Series(np.sqrt(var), index=future).reindex(dates).to_numpy()
        return DailyForecast(dates, loc_s, scale_s)


@dataclass(frozen=True)
class SarimaxModel:
    """Regression on calendar regressors with ARMA(p, q) errors on ``log(1 + orders)``.

    Two steps keep a fit near a tenth of a second: least squares for the calendar effects,
    then the ARMA terms by maximum likelihood on its residuals (statsmodels ``SARIMAX``). The
    forecast adds the errors' ARMA forecast to the regression's; its variance adds the ARMA
    forecast's variance and the coefficients' uncertainty.
    """

    order: tuple[int, int, int] = (1, 0, 1)
    maxiter: int = 50
    season: Seasonality = Seasonality()
    name: str = "sarimax"

    def fit(self, y: pd.Series, calendar: DemandCalendar) -> _FittedSarimax:
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        _check_series(y)
        season, note = season_for(y, self.season)
        regression = _Regression.fit(y, calendar, season)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            errors = SARIMAX(regression.resid, order=self.order, trend="n", initialization="approximate_diffuse").fit(
                start_params=_arma_start(regression.resid, self.order), disp=False, maxiter=self.maxiter
            )
        return _FittedSarimax(regression, errors, y.index[-1], note)


@dataclass
class _FittedEts:
    result: object
    end: pd.Timestamp
    effects: _Regression | None  # calendar and annual effects taken out before smoothing
    effect_columns: list[int]
    note: str = ""

    def forecast(self, dates: pd.DatetimeIndex) -> DailyForecast:
        future = _future(self.end, dates)
        steps = len(future)
        n = self.result.nobs  # type: ignore[attr-defined]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pred = self.result.get_prediction(start=n, end=n + steps - 1)  # type: ignore[attr-defined]
            frame = pred.summary_frame(alpha=0.2)
        loc = frame["mean"].to_numpy()
        if self.effects is not None:
            A = self.effects.design(future)[:, self.effect_columns]
            loc = loc + A @ self.effects.beta[self.effect_columns]
        # additive errors: the interval is normal, so its half-width gives the sd
        scale = (frame["pi_upper"] - frame["pi_lower"]).to_numpy() / (2 * norm.ppf(0.9))
        return DailyForecast(
            dates,
            pd.Series(loc, index=future).reindex(dates).to_numpy(),
            pd.Series(scale, index=future).reindex(dates).to_numpy(),
        )


def _is_effect(column: str) -> bool:
    """Calendar days and annual terms: what exponential smoothing cannot see coming."""
    return column in CALENDAR_DAYS or column.startswith(("season_", "christmas_"))


@dataclass(frozen=True)
class EtsModel:
    """Exponential smoothing, additive errors, damped additive trend, additive weekly season,
    on the series with holiday, promotion and annual effects taken out (and put back)."""

    maxiter: int = 30
    season: Seasonality = Seasonality()
    name: str = "ets"

    def fit(self, y: pd.Series, calendar: DemandCalendar) -> _FittedEts:
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        _check_series(y)
        if len(y) < 28:
            raise ValueError("exponential smoothing with a weekly season needs at least 4 weeks of history")
        season, note = season_for(y, self.season)
        logy = np.log1p(y.to_numpy(dtype=float))
        effects = _Regression.fit(y, calendar, season)
        idx = [i for i, c in enumerate(effects.columns) if _is_effect(c)]
        adjusted = logy - effects.train_design[:, idx] @ effects.beta[idx] if idx else logy
        series = pd.Series(adjusted, index=pd.DatetimeIndex(y.index, freq="D"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = ETSModel(series, error="add", trend="add", damped_trend=True, seasonal="add", seasonal_periods=7)
            result = model.fit(disp=False, maxiter=self.maxiter)
        return _FittedEts(result, y.index[-1], effects if idx else None, idx, note)


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


@dataclass
class _FittedLastYear:
    values: pd.Series
    end: pd.Timestamp
    sd: float

    def forecast(self, dates: pd.DatetimeIndex) -> DailyForecast:
        _future(self.end, dates)
        back = self.values.reindex(dates - pd.Timedelta(days=LAST_YEAR_DAYS)).to_numpy(dtype=float)
        # before a year of history there is no last year: the mean day stands in
        point = np.where(np.isnan(back), float(self.values.mean()), back)
        return DailyForecast(dates, np.log1p(point), np.full(len(dates), self.sd))


LAST_YEAR_DAYS = 364  # 52 weeks: the same weekday a year ago


@dataclass(frozen=True)
class SameDayLastYear:
    """The same weekday 52 weeks earlier (a baseline that knows the season, not the trend)."""

    name: str = "same_day_last_year"

    def fit(self, y: pd.Series, calendar: DemandCalendar | None = None) -> _FittedLastYear:
        _check_series(y)
        values = y.to_numpy(dtype=float)
        lag = LAST_YEAR_DAYS
        fitted = np.concatenate([np.full(min(lag, len(values)), np.nan), values[:-lag]]) if len(values) > lag else np.full(len(values), np.nan)
        return _FittedLastYear(y.astype(float), y.index[-1], _log_residual_sd(values, fitted))
