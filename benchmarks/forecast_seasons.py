"""The forecast's acceptance, season by season, on both generated histories, with the peers.

    .venv/bin/python benchmarks/forecast_seasons.py [--setting clean|messy|both] [--peers]
        [--scenario gothenburg] [--until 2026-11-29] [--horizon 14]

Two parts, per history setting (``clean``: the generator whose structure the models' regressors
mirror; ``messy``: a real shop's quirks the calendar does not list, see docs/forecasting.md):

1. **December 2025**, the product end to end: ``scenario_forecast`` from every Monday
   2025-11-03 .. 2025-12-15, 14 days ahead, on the two years of history before each Monday
   (what ``lastmile forecast --start <Monday>`` uses), with its own model choice. Reported:
   the city bias in each forecast week, zone-day WAPE and 80 % interval coverage, against the
   targets (bias within +-5 % in every week, WAPE at most 15 %, coverage 75-85 %).
2. **A whole year**, rolling: weekly origins over the last year before ``--until``, 1-14 days
   ahead, two years of history each. Origins alternate into a selection half (the candidate
   model is chosen there) and a scored half (everything below is reported there). The system
   (city model split into zones) against seasonal-naive, same-day-last-year, the 4-week weekday
   average and, with ``--peers``, statsforecast's AutoETS, AutoARIMA and MSTL fitted per series
   in their own environment (``bash benchmarks/peers/setup_forecast_peer.sh``) on the same
   origins, in the same run. Scores per season and per zone: WAPE, MASE, bias, coverage.

Prints tables; writes nothing. Takes some minutes on 2 cores (the peers most of it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scenarios.demand import scenario_forecast  # noqa: E402
from scenarios.history_gen import HISTORY_SETTINGS, default_history_span, generate_history  # noqa: E402
from scenarios.promotions import demand_calendar  # noqa: E402
from scenarios.scenario import load_scenario  # noqa: E402
from scheduling.forecast import CITY, ForecastSettings, default_candidates  # noqa: E402
from scheduling.forecast.evaluate import (  # noqa: E402
    COLUMNS,
    held_out_rows,
    label_seasons,
    mase_scales,
    rolling_backtest,
    scores,
    split_origins,
    training_window,
    weekly_origins,
)
from scheduling.forecast.models import DailyForecast, SameDayLastYear, SeasonalNaive, WeekdayAverage  # noqa: E402
from scheduling.forecast.reconcile import fit_share, top_down  # noqa: E402

DECEMBER_STARTS = [dt.date(2025, 11, 3) + dt.timedelta(weeks=k) for k in range(7)]  # Mondays
BASELINES = (SeasonalNaive(), SameDayLastYear(), WeekdayAverage())
WINDOW_DAYS = 730


def december(scenario, history, daily: pd.DataFrame, horizon: int) -> dict:
    """The product's forecast from each December Monday against what the history then held."""
    rows, weeks, methods = [], [], []
    for start in DECEMBER_STARTS:
        first, last = default_history_span(start - dt.timedelta(days=1))
        fc = scenario_forecast(scenario, start, horizon=horizon, history=history.between(first, last))
        methods.append(fc.city.method if fc.city else "fallback")
        zd = fc.zone_days()
        zd["actual"] = [float(daily.at[pd.Timestamp(d), z]) for z, d in zip(zd["zone"], zd["date"])]
        rows.append(zd)
        city = zd.groupby("date")[["forecast", "actual"]].sum()
        for w in range(0, horizon, 7):
            part = city.iloc[w:w + 7]
            weeks.append((start, w // 7 + 1, part["forecast"].sum(), part["actual"].sum()))
    zd = pd.concat(rows)
    bias = pd.DataFrame(weeks, columns=["start", "week", "forecast", "actual"])
    bias["bias"] = bias["forecast"] / bias["actual"] - 1
    inside = (zd["actual"] >= zd["lower"]) & (zd["actual"] <= zd["upper"])
    return {
        "weeks": bias,
        "wape": float((zd["forecast"] - zd["actual"]).abs().sum() / zd["actual"].sum()),
        "coverage": float(inside.mean()),
        "zone_days": len(zd),
        "methods": methods,
    }


def print_december(setting: str, r: dict) -> bool:
    print(f"\n== December 2025, {setting} history: the product from each Monday, 14 days ahead ==")
    print(f"city models chosen: {', '.join(f'{s:%d %b} {m}' for s, m in zip(DECEMBER_STARTS, r['methods']))}")
    print(f"{'forecast from':<14} {'week':>4} {'forecast':>9} {'actual':>7} {'bias':>7}")
    for row in r["weeks"].itertuples():
        print(f"{row.start!s:<14} {row.week:>4} {row.forecast:>9.0f} {row.actual:>7.0f} {row.bias:>+7.1%}")
    worst = float(r["weeks"]["bias"].abs().max())
    ok_bias, ok_wape, ok_cov = worst <= 0.05, r["wape"] <= 0.15, 0.75 <= r["coverage"] <= 0.85
    print(f"worst week's city bias {worst:+.1%} (target within 5 %): {'met' if ok_bias else 'NOT met'}")
    print(f"zone-day WAPE {r['wape']:.1%} over {r['zone_days']} zone-days (target <= 15 %): {'met' if ok_wape else 'NOT met'}")
    print(f"80 % interval coverage {r['coverage']:.1%} (target 75-85 %): {'met' if ok_cov else 'NOT met'}")
    return ok_bias and ok_wape and ok_cov


def whole_year(daily: pd.DataFrame, calendar, until: dt.date, horizon: int, peers: bool,
               peer_cache: Path | None = None) -> tuple[pd.DataFrame, dict]:
    last_origin = until - dt.timedelta(days=horizon)
    origins = weekly_origins(last_origin - dt.timedelta(weeks=51), last_origin)
    t0 = time.perf_counter()
    rows = rolling_backtest(daily, calendar, default_candidates(), BASELINES, origins=origins, horizon=horizon,
                            window_days=WINDOW_DAYS)
    info = {"origins": origins, "seconds_system": time.perf_counter() - t0}
    if peers:
        from benchmarks.forecast_peer_client import peer_forecasts

        first = pd.Timestamp(origins[0]) - pd.Timedelta(days=WINDOW_DAYS - 1)
        part = daily[daily.index >= first]
        series = {z: part[z] for z in part.columns}
        series[CITY] = part.sum(axis=1)
        t0 = time.perf_counter()
        if peer_cache is not None and peer_cache.exists():
            peer = pd.read_csv(peer_cache, parse_dates=["date"])
            peer["origin"] = pd.to_datetime(peer["origin"]).dt.date
            info["peers_from"] = str(peer_cache)
        else:
            peer = peer_forecasts(series, origins, horizon=horizon, level=0.8)
            if peer_cache is not None:
                peer.to_csv(peer_cache, index=False)
        info["seconds_peers"] = time.perf_counter() - t0
        city = daily.sum(axis=1)
        peer["date"] = pd.to_datetime(peer["date"])
        peer = peer[peer["date"] <= daily.index[-1]].copy()
        peer["actual"] = [float(city.at[d]) if z == CITY else float(daily.at[d, z]) for z, d in zip(peer["zone"], peer["date"])]
        peer["step"] = [(d - pd.Timestamp(o)).days for d, o in zip(peer["date"], peer["origin"])]
        rows = pd.concat([rows, peer[rows.columns], peer_top_down(peer, daily, origins)], ignore_index=True)
    return rows, info


def peer_top_down(peer: pd.DataFrame, daily: pd.DataFrame, origins) -> pd.DataFrame:
    """Each peer's city forecast split into zones by the same shares the system uses
    (``<model>+shares``): the peer's model with lastmile's reconciliation, a stronger peer
    than its own zone-by-zone forecasts when zones are small."""
    out = []
    city = peer[peer["zone"] == CITY]
    half_life = ForecastSettings().share_half_life_days
    for (model, origin), g in city.groupby(["model", "origin"]):
        g = g.sort_values("date")
        dates = pd.DatetimeIndex(g["date"])
        train = training_window(daily, origin, WINDOW_DAYS)
        total = train.sum(axis=1)
        # the peer's interval is kept as a log-normal spread around its point
        spread = np.log1p(g["upper"].to_numpy()) - np.log1p(g["point"].to_numpy())
        fc = DailyForecast(dates, np.log1p(g["point"].to_numpy()), np.maximum(spread, 1e-6) / norm.ppf(0.9))
        shares = {z: fit_share(train[z], total, dates, half_life_days=half_life) for z in daily.columns}
        _, split = top_down(fc, shares)
        for z, f in split.items():
            out += held_out_rows(f"{model}+shares", origin, z, dates, daily.loc[dates, z].to_numpy(), f, 0.8)
    return pd.DataFrame(out, columns=COLUMNS)


def print_year(setting: str, rows: pd.DataFrame, info: dict, daily: pd.DataFrame, calendar) -> dict:
    origins = info["origins"]
    select, scored = split_origins(origins)
    rows = label_seasons(rows, calendar)
    scales = mase_scales(daily, origins[0])
    zones = rows[rows["zone"] != CITY]
    sel = scores(zones[zones["origin"].isin(select)], ["model"])
    candidates = [m.name for m in default_candidates()]
    chosen = str(sel[sel["model"].isin(candidates)].sort_values("wape").iloc[0]["model"])
    scored_rows = rows[rows["origin"].isin(scored)]
    zs = scored_rows[scored_rows["zone"] != CITY]
    timing = f"system {info['seconds_system']:.0f} s" + (f", peers {info['seconds_peers']:.0f} s" if "seconds_peers" in info else "")
    print(f"\n== Whole year, {setting} history: {len(origins)} weekly origins {origins[0]} .. {origins[-1]}, 1-14 days ahead ({timing}) ==")
    print(f"chosen on the {len(select)} selection origins: {chosen} (selection zone WAPE "
          + ", ".join(f"{r.model} {r.wape:.1%}" for r in sel[sel['model'].isin(candidates)].itertuples()) + ")")
    print(f"scored on the other {len(scored)} origins:")
    overall = scores(zs, ["model"], scales).set_index("model")
    city = scores(scored_rows[scored_rows["zone"] == CITY], ["model"], scales).set_index("model")
    print(f"{'model':<20} {'zone WAPE':>9} {'MASE':>5} {'bias':>6} {'cov80':>6} {'city WAPE':>9} {'city bias':>9}")
    order = [chosen] + [m for m in overall.index if m != chosen and m not in candidates] + [c for c in candidates if c != chosen]
    for m in order:
        r, c = overall.loc[m], city.loc[m] if m in city.index else None
        cov = f"{r['coverage']:.1%}" if not np.isnan(r["coverage"]) else "-"
        label = f"{m} (chosen)" if m == chosen else m
        print(f"{label:<20} {r['wape']:>9.1%} {r['mase']:>5.2f} {r['bias']:>+6.1%} {cov:>6} "
              f"{c['wape'] if c is not None else np.nan:>9.1%} {c['bias'] if c is not None else np.nan:>+9.1%}")
    by_season = scores(zs, ["season", "model"]).pivot(index="model", columns="season", values="wape")
    print("\nzone WAPE by season (scored origins):")
    print(by_season.reindex(order).to_string(float_format=lambda v: f"{v:.1%}"))
    cov_season = scores(zs[zs["model"] == chosen], ["season"]).set_index("season")[["days", "bias", "coverage"]]
    print(f"\n{chosen}: bias and 80 % coverage by season")
    print(cov_season.to_string(float_format=lambda v: f"{v:.3f}"))
    by_zone = scores(zs[zs["model"].isin([chosen, "seasonal_naive"])], ["zone", "model"], scales)
    print(f"\nper zone ({chosen} vs seasonal-naive):")
    print(by_zone.pivot(index="zone", columns="model", values=["wape", "mase", "coverage"]).to_string(float_format=lambda v: f"{v:.3f}"))
    w = overall["wape"]
    better = 1 - w[chosen] / w["seasonal_naive"]
    peers = [m for m in w.index if m.startswith(("Auto", "MSTL"))]
    print(f"\n{chosen} zone WAPE {w[chosen]:.1%} is {better:.1%} below seasonal-naive's {w['seasonal_naive']:.1%} (target >= 15 %)")
    result = {"chosen": chosen, "improvement": better, "ok": better >= 0.15}
    if peers:
        best = min(peers, key=lambda m: w[m])
        print(f"best statsforecast model: {best} {w[best]:.1%}; ours {w[chosen]:.1%} "
              f"(ratio {w[chosen] / w[best]:.3f}; target <= 1)")
        result["ok"] = result["ok"] and w[chosen] <= w[best]
    else:
        print("statsforecast peers not run (--peers)")
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", default="gothenburg")
    p.add_argument("--setting", choices=(*HISTORY_SETTINGS, "both"), default="both")
    p.add_argument("--until", type=dt.date.fromisoformat, default=dt.date(2026, 11, 29), help="last day of history")
    p.add_argument("--horizon", type=int, default=14)
    p.add_argument("--peers", action="store_true", help="also run statsforecast's models (their own env)")
    p.add_argument("--skip-december", action="store_true")
    p.add_argument("--peer-cache", type=Path, default=None,
                   help="folder to keep the peers' forecasts in (peers-<setting>.csv) and reuse them from")
    args = p.parse_args(argv)

    scenario = load_scenario(args.scenario)
    settings = HISTORY_SETTINGS if args.setting == "both" else (args.setting,)
    start = dt.date(2023, 11, 1)
    calendar = demand_calendar(scenario, start, args.until + dt.timedelta(days=30))
    verdicts = {}
    for setting in settings:
        history = generate_history(scenario, start, args.until, setting=setting)
        daily = history.daily_orders()
        print(f"\n#### {setting} history: {len(history)} orders, {start} .. {args.until}, {len(daily.columns)} zones")
        if not args.skip_december:
            verdicts[f"{setting} december"] = print_december(setting, december(scenario, history, daily, args.horizon))
        cache = args.peer_cache / f"peers-{setting}-{args.until}.csv" if args.peer_cache else None
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
        rows, info = whole_year(daily, calendar, args.until, args.horizon, args.peers, cache)
        verdicts[f"{setting} year"] = print_year(setting, rows, info, daily, calendar)["ok"]
    print("\nacceptance: " + ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in verdicts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
