"""Rolling-origin backtest of daily demand models, zone by zone.

At each origin (the last day of history the model may see) every model is fitted on the zone's
history up to that day and forecasts the next ``horizon`` days, which are then compared with
what happened. Origins step back a week at a time from the end of the history, so ``origins=8``
with ``horizon=7`` holds out the last 8 weeks, each day exactly once.

Scores, per zone and model:

* **WAPE** - sum of absolute errors over the sum of actual orders (0.10 = 10 % of volume);
* **MASE** - mean absolute error over the in-sample mean absolute error of the same-weekday-
  last-week forecast on the history before the first origin (below 1 beats that naive method);
* **coverage** - share of held-out days inside the model's central ``level`` interval.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from scheduling.demand_calendar import DemandCalendar
from scheduling.forecast.models import DailyModel, SeasonalNaive, WeekdayAverage

BASELINES: tuple[DailyModel, ...] = (SeasonalNaive(), WeekdayAverage())


def rolling_origins(last_day: dt.date, *, origins: int = 8, step_days: int = 7, horizon: int = 7) -> list[dt.date]:
    """Origins, oldest first, so that the last one's ``horizon`` days end on ``last_day``."""
    if origins < 1 or horizon < 1 or step_days < 1:
        raise ValueError("origins, horizon and step_days must be at least 1")
    newest = last_day - dt.timedelta(days=horizon)
    return [newest - dt.timedelta(days=step_days * k) for k in reversed(range(origins))]


def wape(actual: np.ndarray, point: np.ndarray) -> float:
    total = float(np.sum(actual))
    return float(np.sum(np.abs(actual - point)) / total) if total > 0 else float("nan")


def naive_scale(y: np.ndarray, lag: int = 7) -> float:
    """In-sample mean absolute error of the same-weekday-last-week forecast (MASE denominator)."""
    if len(y) <= lag:
        return float("nan")
    return float(np.mean(np.abs(y[lag:] - y[:-lag])))


@dataclass
class ZoneBacktest:
    """Held-out forecasts of every model for one zone: one row per (model, origin, day)."""

    zone: str
    rows: pd.DataFrame  # model, origin, date, actual, point, lower, upper
    scale: float  # MASE denominator
    level: float
    failures: dict[str, str] = field(default_factory=dict)  # model -> why it could not be fitted

    def scores(self) -> pd.DataFrame:
        """WAPE, MASE and interval coverage per model (index: model name)."""
        out = {}
        for name, g in self.rows.groupby("model"):
            a, p = g["actual"].to_numpy(), g["point"].to_numpy()
            inside = (a >= g["lower"].to_numpy()) & (a <= g["upper"].to_numpy())
            out[name] = {
                "wape": wape(a, p),
                "mase": float(np.mean(np.abs(a - p)) / self.scale) if self.scale > 0 else float("nan"),
                "coverage": float(inside.mean()),
                "days": len(g),
                "orders": float(a.sum()),
            }
        return pd.DataFrame.from_dict(out, orient="index")


def backtest_zone(
    zone: str,
    y: pd.Series,
    calendar: DemandCalendar,
    models: Sequence[DailyModel],
    *,
    origins: Sequence[dt.date],
    horizon: int = 7,
    level: float = 0.8,
) -> ZoneBacktest:
    """Fit each model at each origin on ``y`` up to the origin, forecast ``horizon`` days, score."""
    first = pd.Timestamp(origins[0])
    scale = naive_scale(y[y.index <= first].to_numpy(dtype=float))
    records = []
    failures: dict[str, str] = {}
    for origin in origins:
        cut = pd.Timestamp(origin)
        train = y[y.index <= cut]
        dates = pd.date_range(cut + pd.Timedelta(days=1), periods=horizon, freq="D")
        dates = dates[dates <= y.index[-1]]
        if len(dates) == 0 or len(train) == 0:
            continue
        actual = y.reindex(dates).to_numpy(dtype=float)
        for model in models:
            if model.name in failures:
                continue
            try:
                fc = model.fit(train, calendar).forecast(dates)
            except (ValueError, np.linalg.LinAlgError) as exc:
                failures[model.name] = str(exc)
                continue
            lower, upper = fc.interval(level)
            for k, d in enumerate(dates):
                records.append((model.name, origin, d, actual[k], fc.median[k], lower[k], upper[k]))
    rows = pd.DataFrame.from_records(records, columns=["model", "origin", "date", "actual", "point", "lower", "upper"])
    rows = rows[~rows["model"].isin(failures)]
    return ZoneBacktest(zone, rows, scale, level, failures)


@dataclass
class Backtest:
    """A backtest over zones, with the model chosen for each zone among the candidates."""

    zones: dict[str, ZoneBacktest]
    candidates: tuple[str, ...]
    origins: list[dt.date]
    horizon: int
    level: float

    def chosen(self) -> dict[str, str]:
        """Per zone, the candidate with the lowest backtest WAPE."""
        out = {}
        for zone, bt in self.zones.items():
            s = bt.scores()
            s = s[s.index.isin(self.candidates)]
            if not s.empty:
                out[zone] = str(s["wape"].idxmin())
        return out

    def table(self) -> pd.DataFrame:
        """One row per zone: WAPE and MASE of the chosen model and of both baselines, coverage."""
        chosen = self.chosen()
        rows = []
        for zone, bt in self.zones.items():
            s = bt.scores()
            if zone not in chosen:
                continue
            c = s.loc[chosen[zone]]
            row = {
                "zone": zone,
                "model": chosen[zone],
                "orders": c["orders"],
                "wape": c["wape"],
                "mase": c["mase"],
                "coverage": c["coverage"],
            }
            for base in BASELINES:
                if base.name in s.index:
                    row[f"wape_{base.name}"] = s.loc[base.name, "wape"]
                    row[f"mase_{base.name}"] = s.loc[base.name, "mase"]
            for cand in self.candidates:
                if cand in s.index:
                    row[f"wape_{cand}"] = s.loc[cand, "wape"]
            rows.append(row)
        return pd.DataFrame(rows).set_index("zone") if rows else pd.DataFrame()

    def summary(self) -> dict[str, float]:
        """Volume-weighted totals over all zones for the chosen models and the baselines."""
        chosen = self.chosen()
        picked = [bt.rows[bt.rows["model"] == chosen[z]] for z, bt in self.zones.items() if z in chosen]
        if not picked:
            return {}
        rows = pd.concat(picked)
        out = {
            "wape": wape(rows["actual"].to_numpy(), rows["point"].to_numpy()),
            "coverage": float(((rows["actual"] >= rows["lower"]) & (rows["actual"] <= rows["upper"])).mean()),
            "held_out_days": float(len(rows)),
        }
        for name in [b.name for b in BASELINES] + list(self.candidates):
            rs = pd.concat([bt.rows[bt.rows["model"] == name] for z, bt in self.zones.items() if z in chosen])
            if len(rs):
                out[f"wape_{name}"] = wape(rs["actual"].to_numpy(), rs["point"].to_numpy())
                if name in self.candidates:
                    out[f"coverage_{name}"] = float(((rs["actual"] >= rs["lower"]) & (rs["actual"] <= rs["upper"])).mean())
        if out.get("wape_seasonal_naive"):
            out["improvement_vs_seasonal_naive"] = 1.0 - out["wape"] / out["wape_seasonal_naive"]
        return out


def run_backtest(
    series: Mapping[str, pd.Series],
    calendar: DemandCalendar,
    candidates: Sequence[DailyModel],
    *,
    origins: int = 8,
    horizon: int = 7,
    level: float = 0.8,
    baselines: Sequence[DailyModel] = BASELINES,
) -> Backtest:
    """Backtest ``candidates`` and ``baselines`` on each zone's daily series (same end date)."""
    if not series:
        raise ValueError("no zones to backtest")
    last = max(s.index[-1] for s in series.values()).date()
    when = rolling_origins(last, origins=origins, horizon=horizon)
    zones = {
        z: backtest_zone(z, y, calendar, [*candidates, *baselines], origins=when, horizon=horizon, level=level)
        for z, y in series.items()
    }
    return Backtest(zones, tuple(m.name for m in candidates), when, horizon, level)
