"""Acceptance table of the demand forecast: rolling-origin backtest on the generated history.

    .venv/bin/python benchmarks/forecast_backtest.py [--scenario gothenburg] [--until 2026-11-23]
        [--origins 8] [--horizon 7]

Prints, per zone, WAPE and MASE of the model the backtest chose, of the seasonal-naive
(same weekday last week) and the 4-week weekday average, the 80 % interval coverage, and the
volume-weighted totals with the improvement over seasonal-naive. Takes a few minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scenarios.history_gen import default_history_span, generate_history  # noqa: E402
from scenarios.promotions import demand_calendar  # noqa: E402
from scenarios.scenario import load_scenario  # noqa: E402
from scheduling.forecast.backtest import run_backtest  # noqa: E402
from scheduling.forecast import default_candidates  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", default="gothenburg")
    p.add_argument("--until", type=dt.date.fromisoformat, default=dt.date(2026, 11, 23), help="last day of history")
    p.add_argument("--origins", type=int, default=8)
    p.add_argument("--horizon", type=int, default=7)
    args = p.parse_args(argv)

    scenario = load_scenario(args.scenario)
    start, end = default_history_span(args.until)
    t0 = time.perf_counter()
    history = generate_history(scenario, start, end)
    t_gen = time.perf_counter() - t0
    calendar = demand_calendar(scenario, start, end)
    daily = history.daily_orders()
    t0 = time.perf_counter()
    bt = run_backtest({z: daily[z] for z in daily.columns}, calendar, default_candidates(),
                      origins=args.origins, horizon=args.horizon)
    t_bt = time.perf_counter() - t0
    print(f"history: {len(history)} orders, {start} .. {end}, {len(daily.columns)} zones (generated in {t_gen:.1f} s)")
    print(f"backtest: {args.origins} weekly origins x {args.horizon} days, {bt.origins[0]} .. {bt.origins[-1]} "
          f"({t_bt:.0f} s)\n")
    table = bt.table()
    cols = ["model", "orders", "wape", "wape_seasonal_naive", "wape_weekday_avg_4w", "mase", "mase_seasonal_naive",
            "mase_weekday_avg_4w", "coverage", "wape_sarimax", "wape_ets"]
    header = f"{'zone':<7} {'chosen':<8} {'orders':>7} {'WAPE':>6} {'sNaive':>7} {'wkAvg4':>7} {'MASE':>5} " \
             f"{'sNaive':>6} {'wkAvg4':>6} {'cov80':>6} {'sarimax':>7} {'ets':>6}"
    print(header)
    print("-" * len(header))
    for zone, r in table[cols].iterrows():
        print(f"{zone:<7} {r['model']:<8} {r['orders']:>7.0f} {r['wape']:>6.1%} {r['wape_seasonal_naive']:>7.1%} "
              f"{r['wape_weekday_avg_4w']:>7.1%} {r['mase']:>5.2f} {r['mase_seasonal_naive']:>6.2f} "
              f"{r['mase_weekday_avg_4w']:>6.2f} {r['coverage']:>6.1%} {r['wape_sarimax']:>7.1%} {r['wape_ets']:>6.1%}")
    s = bt.summary()
    print("-" * len(header))
    print(f"{'all':<7} {'chosen':<8} {table['orders'].sum():>7.0f} {s['wape']:>6.1%} {s['wape_seasonal_naive']:>7.1%} "
          f"{s['wape_weekday_avg_4w']:>7.1%} {'':>5} {'':>6} {'':>6} {s['coverage']:>6.1%} "
          f"{s['wape_sarimax']:>7.1%} {s['wape_ets']:>6.1%}")
    print(f"\nchosen models vs seasonal-naive: WAPE {s['improvement_vs_seasonal_naive']:.1%} lower (target >= 15 %)")
    print(f"80 % interval coverage of {int(s['held_out_days'])} held-out zone-days: {s['coverage']:.1%} (target 72-88 %)")
    print(f"coverage of each candidate: sarimax {s['coverage_sarimax']:.1%}, ets {s['coverage_ets']:.1%}")
    ok = s["improvement_vs_seasonal_naive"] >= 0.15 and 0.72 <= s["coverage"] <= 0.88
    print("acceptance:", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
