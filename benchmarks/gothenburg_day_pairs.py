"""The Gothenburg 300-order day with shop jobs: ``--jobs`` home orders become pickup-and-delivery
jobs (picked up at another home address of the day, from 08:00 until 30 min before the slot
closes), planned by each engine at the same time limit.

    .venv/bin/python benchmarks/gothenburg_day_pairs.py [--jobs 20] [--time-limit 30]

Prints per engine: the kept plan's source, orders served, jobs served, on-time rate, distance,
cost (SEK) and the solve's wall time, then auto's cost over OR-Tools alone's.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import time

from optimizer.domain import TimeWindow
from optimizer.engine.portfolio import shutdown, warm_up
from scenarios.dayorders import generate_day
from scenarios.planning import network_for, plan_day
from scenarios.scenario import load_scenario

DAY = dt.date(2026, 11, 24)


def with_jobs(orders, jobs: int):
    """``orders`` with the first ``jobs`` home orders turned into jobs picked up at the next homes."""
    homes = [k for k, o in enumerate(orders) if o.pickup_point_id is None]
    out = list(orders)
    for k, shop in zip(homes[:jobs], homes[jobs:2 * jobs]):
        o, s = orders[k], orders[shop]
        out[k] = dataclasses.replace(o, kind="pickup_delivery", pickup_lat=s.lat, pickup_lon=s.lon,
                                     pickup_address=f"shop at {s.address}",
                                     pickup_window=TimeWindow(8 * 3600, max(8 * 3600 + 600, o.window.end - 1800)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--engines", nargs="+", default=["auto", "ortools"])
    args = parser.parse_args()
    scenario = load_scenario("gothenburg")
    network = network_for(scenario)
    orders = with_jobs(generate_day(scenario, DAY), args.jobs)
    warm_up()
    rows = []
    for engine in args.engines:
        t0 = time.perf_counter()
        day = plan_day(scenario, orders, date=DAY.isoformat(), time_limit_s=args.time_limit, engine=engine,
                       network=network)
        wall = time.perf_counter() - t0
        sc = day.scorecard
        rows.append((engine, day.plan.engine, sc.orders_served, sc.orders_total, sc.pair_orders, sc.on_time_rate,
                     sc.km, sc.cost_total, wall))
    shutdown()
    print(f"{len(orders)} orders, {args.jobs} of them shop jobs, {args.time_limit:.0f} s")
    print(f"{'engine':<8} {'kept plan':<22} {'served':>8} {'jobs':>5} {'on time':>8} {'km':>7} {'cost SEK':>10} {'wall s':>7}")
    for engine, kept, served, total, jobs, on_time, km, cost, wall in rows:
        print(f"{engine:<8} {kept:<22} {served:>4}/{total:<3} {jobs:>5} {on_time:>8.1%} {km:>7.1f} {cost:>10,.0f} {wall:>7.1f}")
    cost = {r[0]: r[7] for r in rows}
    if "auto" in cost and "ortools" in cost:
        print(f"auto / ortools = {cost['auto'] / cost['ortools']:.3f}")


if __name__ == "__main__":
    main()
