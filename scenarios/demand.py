"""A scenario's demand forecast end to end: history (imported or generated), forecast, files.

The CLI commands ``lastmile forecast`` and ``lastmile capacity`` call these functions.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from scenarios.history_gen import default_history_span, generate_history
from scenarios.promotions import demand_calendar
from scenarios.scenario import Scenario
from scheduling.csv_cells import safe_frame
from scheduling.forecast import DemandForecast, ForecastSettings, forecast_demand
from scheduling.history import OrderHistory, parse_history

CHART_HISTORY_DAYS = 56


def scenario_history(
    scenario: Scenario, until: dt.date, history_csv: Path | None = None, *, setting: str = "clean"
) -> OrderHistory:
    """The history up to ``until``: the imported CSV (checked row by row), or two generated years
    in the generator's ``setting`` (:data:`scenarios.history_gen.HISTORY_SETTINGS`; an imported
    CSV ignores it)."""
    if history_csv is not None:
        zones = {c.zone for c in scenario.customers} or None
        return parse_history(Path(history_csv), today=until, zones=zones)
    start, end = default_history_span(until)
    return generate_history(scenario, start, end, setting=setting)


def scenario_forecast(
    scenario: Scenario,
    start: dt.date,
    *,
    horizon: int = 14,
    history: OrderHistory | None = None,
    settings: ForecastSettings | None = None,
) -> DemandForecast:
    """Forecast ``horizon`` days from ``start`` with the scenario's holidays and promotions."""
    settings = settings or ForecastSettings(horizon=horizon)
    history = history if history is not None else scenario_history(scenario, start - dt.timedelta(days=1))
    calendar = demand_calendar(scenario, history.first_day, start + dt.timedelta(days=settings.horizon + 7))
    return forecast_demand(history, calendar, start=start, settings=settings)


def write_forecast_files(forecast: DemandForecast, out_dir: Path) -> dict[str, Path]:
    """``forecast.csv`` (zone-day), ``forecast_slots.csv`` (zone-day-slot), ``backtest.csv``, ``forecast.png``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    zd = forecast.zone_days()
    paths["csv"] = out_dir / "forecast.csv"
    safe_frame(zd).to_csv(paths["csv"], index=False, float_format="%.2f")
    paths["slots"] = out_dir / "forecast_slots.csv"
    safe_frame(forecast.slot_days(quantile=0.8).rename(columns={"quantile": "q80"})).to_csv(
        paths["slots"], index=False, float_format="%.3f"
    )
    if forecast.backtest is not None:
        paths["backtest"] = out_dir / "backtest.csv"
        safe_frame(forecast.backtest.table()).to_csv(paths["backtest"], float_format="%.4f")
    paths["chart"] = out_dir / "forecast.png"
    chart(forecast, paths["chart"])
    return paths


def chart(forecast: DemandForecast, path: Path) -> Path:
    """One panel per zone: the last weeks of history, the forecast and its interval."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    zones = list(forecast.zones)
    cols = min(3, len(zones))
    rows = -(-len(zones) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.8 * rows), squeeze=False, sharex=True)
    zd = forecast.zone_days()
    hist = forecast.history
    for ax, zone in zip(axes.flat, zones):
        if hist is not None and zone in hist:
            h = hist[zone].iloc[-CHART_HISTORY_DAYS:]
            ax.plot(h.index, h.to_numpy(), color="0.35", lw=1, label="history")
        z = zd[zd["zone"] == zone]
        dates = pd.to_datetime(z["date"])
        ax.fill_between(dates, z["lower"], z["upper"], color="tab:blue", alpha=0.25,
                        label=f"{forecast.level:.0%} interval")
        ax.plot(dates, z["forecast"], color="tab:blue", lw=1.5, label="forecast")
        ax.set_title(f"{zone} ({forecast.zones[zone].method})", fontsize=9)
        ax.tick_params(labelsize=7)
        ax.tick_params(axis="x", rotation=45)
    for ax in list(axes.flat)[len(zones):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7, loc="upper left")
    fig.suptitle(f"Orders per day by zone: forecast from {forecast.start}", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
