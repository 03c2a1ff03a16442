"""A December capacity plan against the day the generated history then delivered.

    .venv/bin/python benchmarks/capacity_december.py [--date 2026-12-11] [--from 2026-12-03]
        [--quantile 0.8] [--time-limit 20] [--setting clean]

1. ``lastmile capacity``'s plan: the forecast from ``--from`` (history up to the day before),
   seats per zone and slot at the quantile, and the fewest vans that serve the representative
   day (95 % on time).
2. The generated history's own orders for ``--date`` (deterministic by seed and date, so
   "what then happened"), per zone and slot, against the forecast, its interval and the seats.
3. That day's actual orders routed with the planned fleet: on-time share and what was left.

Prints a table; writes nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scenarios.capacity_plan import plan_capacity, representative_orders, with_vans  # noqa: E402
from scenarios.demand import scenario_forecast, scenario_history  # noqa: E402
from scenarios.history_gen import generate_history  # noqa: E402
from scenarios.planning import plan_day  # noqa: E402
from scenarios.scenario import load_scenario  # noqa: E402
from scheduling.history import PICKUP_PREFIX  # noqa: E402


def actual_demand(scenario, day: dt.date, setting: str) -> pd.DataFrame:
    """The generated orders of ``day`` per zone and slot key (columns zone, slot, orders)."""
    orders = generate_history(scenario, day, day, setting=setting).orders
    keys = np.where(orders["pickup_point_id"] != "", PICKUP_PREFIX + orders["slot"], orders["slot"])
    frame = pd.DataFrame({"zone": orders["zone"].to_numpy(), "slot": keys})
    return frame.value_counts().rename("orders").reset_index()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", default="gothenburg")
    p.add_argument("--date", type=dt.date.fromisoformat, default=dt.date(2026, 12, 11))
    p.add_argument("--from", dest="start", type=dt.date.fromisoformat, default=dt.date(2026, 12, 3))
    p.add_argument("--quantile", type=float, default=0.8)
    p.add_argument("--time-limit", type=float, default=20.0)
    p.add_argument("--setting", default="clean")
    args = p.parse_args(argv)

    scenario = load_scenario(args.scenario)
    t0 = time.perf_counter()
    history = scenario_history(scenario, args.start - dt.timedelta(days=1), setting=args.setting)
    horizon = (args.date - args.start).days + 1
    fc = scenario_forecast(scenario, args.start, horizon=horizon, history=history)
    plan = plan_capacity(scenario, fc, args.date, quantile=args.quantile, time_limit_s=args.time_limit)
    actual = actual_demand(scenario, args.date, args.setting)
    print(f"{args.scenario} {args.setting} history: forecast from {args.start}, plan for {args.date:%a %Y-%m-%d} "
          f"(P{args.quantile * 100:.0f}, {args.time_limit:.0f} s per routing run)")
    print(f"city model: {fc.city.method if fc.city else '-'}; {fc.city.note if fc.city else ''}\n")

    every = fc.zone_days()
    generated = generate_history(scenario, args.start, args.date, setting=args.setting).daily_orders().sum(axis=1)
    city = every.groupby("date")["forecast"].sum()
    lo, hi = fc.city.daily.interval(0.8) if fc.city else (city * np.nan, city * np.nan)
    print(f"{'day':<14} {'city forecast':>13} {'80% interval':>13} {'generated':>9}")
    for k, (d, f) in enumerate(city.items()):
        print(f"{d:%a %Y-%m-%d} {f:>13.0f} {lo[k]:>6.0f}-{hi[k]:<6.0f} {generated.get(pd.Timestamp(d), 0):>9.0f}")
    total = generated.reindex(pd.to_datetime(city.index)).sum()
    print(f"{'all days':<14} {city.sum():>13.0f} {'':>13} {total:>9.0f}  (bias {city.sum() / total - 1:+.1%})\n")
    zd = every[every["date"] == args.date].set_index("zone")
    got = actual.groupby("zone")["orders"].sum()
    seats = pd.Series({s.zone: 0 for s in plan.slots}, dtype=float)
    for s in plan.slots:
        seats[s.zone] += s.capacity
    home = actual[~actual["slot"].str.startswith(PICKUP_PREFIX)].groupby("zone")["orders"].sum()
    print(f"{'zone':<6} {'forecast':>8} {'80% interval':>13} {'P80':>5} {'actual':>6} {'home seats':>10} {'home actual':>11}")
    for zone, r in zd.iterrows():
        p80 = fc.zone_quantile(zone, args.date, args.quantile)
        print(f"{zone:<6} {r['forecast']:>8.0f} {r['lower']:>6.0f}-{r['upper']:<6.0f} {p80:>5.0f} {got.get(zone, 0):>6} "
              f"{seats.get(zone, 0):>10.0f} {home.get(zone, 0):>11}")
    inside = sum(zd.loc[z, "lower"] <= got.get(z, 0) <= zd.loc[z, "upper"] for z in zd.index)
    print(f"{'city':<6} {zd['forecast'].sum():>8.0f} {'':>13} {'':>5} {got.sum():>6} {seats.sum():>10.0f} {home.sum():>11}")
    print(f"zones inside their 80 % interval: {inside} of {len(zd)}")

    cells = {(s.zone, s.slot): s.capacity for s in plan.slots}
    turned = sum(max(0, int(r.orders) - cells.get((r.zone, r.slot), 0))
                 for r in actual.itertuples() if not r.slot.startswith(PICKUP_PREFIX))
    print(f"home bookings above a zone-slot's seats: {turned} of {home.sum()} ({turned / max(home.sum(), 1):.1%})")

    print(f"\nplan: representative day {plan.orders} orders ({plan.parcels} parcels) -> {plan.vans} vans, "
          f"{plan.driver_hours:.1f} driver hours, on time {plan.on_time_all:.1%}")
    orders = representative_orders(scenario, actual, args.date)
    day = plan_day(with_vans(scenario, plan.vans), orders, date=args.date.isoformat(), time_limit_s=args.time_limit)
    sc = day.scorecard
    on_time_all = sc.on_time_rate * sc.orders_served / sc.orders_total if sc.orders_total else 1.0
    print(f"the generated day's {len(orders)} orders ({sum(o.parcels for o in orders)} parcels) with the planned "
          f"{plan.vans} vans: {sc.vehicles_used} used, {sc.orders_served} served, on time {on_time_all:.1%} of all, "
          f"{sc.driver_hours:.1f} driver hours")
    print(f"({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
