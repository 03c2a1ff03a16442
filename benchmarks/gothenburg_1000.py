"""Scale run: a generated 1000-stop day on the Gothenburg street network.

Prints the time to build the travel matrix (cold, no cache), the time to the first feasible
plan, and the plan cost after 10, 30 and 60 s of search.

    .venv/bin/python benchmarks/gothenburg_1000.py [--orders 1000] [--vans 30] [--limits 10 30 60]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import time

from optimizer.dayplan import build_day_model
from optimizer.engine.portfolio import shutdown, solve, warm_up
from scenarios.dayorders import generate_day
from scenarios.planning import day_stops, network_for, snap_day
from scenarios.scenario import load_scenario


def build_day(orders: int = 1000, vans: int = 30, *, cached: bool = True):
    """The generated ``orders``-order day (2026-11-24) on Gothenburg's streets for ``vans``
    copies of the scenario's first van, and the seconds its travel matrices took."""
    scenario = load_scenario("gothenburg")
    template = scenario.vehicles()[0]
    fleet = [dataclasses.replace(template, id=f"van-{k + 1}") for k in range(vans)]
    network = network_for(scenario)
    day = generate_day(scenario, dt.date(2026, 11, 24), n_orders=orders)
    stops = day_stops(scenario, day)
    nodes = snap_day(network, scenario, stops)
    t0 = time.perf_counter()
    duration, distance = network.travel_matrices(nodes, use_cache=cached)
    matrix_s = time.perf_counter() - t0
    model = build_day_model(day, stops, fleet, scenario.depots(), duration, distance,
                            drop_penalty=scenario.drop_penalties())
    return model, matrix_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--vans", type=int, default=30, help="fleet size for the big day")
    parser.add_argument("--limits", type=float, nargs="+", default=[10, 30, 60])
    parser.add_argument("--first-limit", type=float, default=5.0, help="budget for the first-feasible run")
    args = parser.parse_args()

    model, matrix_s = build_day(args.orders, args.vans, cached=False)
    orders, stops = model.orders, model.stops
    print(f"{len(orders)} orders, {len(stops)} stops, {args.vans} vans")
    print(f"matrix {len(stops) + 1}x{len(stops) + 1} (cold): {matrix_s:.2f} s")

    warm_up()
    rows = []
    for limit in [args.first_limit, *args.limits]:
        t0 = time.perf_counter()
        sol = solve(model.problem, limit)
        wall = time.perf_counter() - t0
        served = sum(len(model.node_stop(n).order_ids) for r in sol.routes for n in r)
        rows.append((limit, wall, model.cost_scale.currency(sol.objective), served, sol.engine))
    shutdown()
    print(f"{'limit s':>8} {'wall s':>8} {'cost SEK':>12} {'served':>7}  engine")
    for limit, wall, cost, served, engine in rows:
        print(f"{limit:8.0f} {wall:8.2f} {cost:12,.0f} {served:7d}  {engine}")
    first = rows[0]
    print(f"first feasible plan: {first[1]:.2f} s after the matrix was ready ({first[3]} of {len(orders)} orders served)")


if __name__ == "__main__":
    main()
