"""Benchmark: what a dispatcher's locks cost a re-optimization (issue 12, item 2).

The Gothenburg scenario's day (300 orders on 2026-11-24) is planned once from scratch
(``--plan-s``, seed 0): the *starting plan*. For each seed, 10 % of its routed stops (drawn with
the seed) are locked to the vans they are on, and the day is re-optimized from the starting
plan for ``--limit-s`` seconds twice, with and without the locks (same start, same limit, same
seed). The same is done, with the same locks, from a *degraded* start: the starting plan after
20 random feasible hand moves (a stop taken off its route and put at a random place of a random
van's route, kept only if both routes stay within windows, shift, capacity and the locks: a
locked stop may move within its van, not to another). Every plan is checked by
:mod:`optimizer.checker` against the problem it solved (the locked one for locked runs).

The locks are drawn on the good plan, as a dispatcher locks what a plan proposes, so the locked
optimum is close to the unlocked one and the ratio measures the engine. Drawing them on the
degraded plan instead (``--locks-from degraded``) also locks 1-2 of the randomly moved stops to
the van a random move put them on, which costs the plan itself: in one such case the stop fits
nowhere on that van's route of the unlocked plan, and auto, PyVRP alone and OR-Tools alone all
end 4-5 % above the unlocked re-optimization (results_locked_reoptimize.txt). Prints each run's cost in SEK, the engine that found it, the
ratio locked / unlocked per seed, and its mean and spread.

Acceptance (issue 12): mean ratio <= 1.003 from both starts; every plan feasible with its locks.

    .venv/bin/python benchmarks/locked_reoptimize.py --seeds 1 2 3
    .venv/bin/python benchmarks/locked_reoptimize.py --seeds 1 --limit-s 10 --plan-s 10   # quick look

Takes about ``plan_s + 4 * limit_s`` per seed plus the matrices (7 minutes for 3 seeds at 30 s).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimizer.checker import check_route, check_solution  # noqa: E402
from optimizer.dayplan import DayModel, build_day_model  # noqa: E402
from optimizer.engine.portfolio import shutdown, solve, warm_up  # noqa: E402
from optimizer.problem import RoutingProblem, RoutingSolution  # noqa: E402
from scenarios.dayorders import generate_day  # noqa: E402
from scenarios.planning import day_stops, day_travel, network_for, snap_day  # noqa: E402
from scenarios.scenario import load_scenario  # noqa: E402

LOCK_SHARE = 0.10
HAND_MOVES = 20


def degrade(problem: RoutingProblem, routes: list[list[int]], moves: int, rng: np.random.Generator) -> list[list[int]]:
    """``routes`` after ``moves`` random hand moves that keep both routes they touch feasible
    (windows, shift, capacity and ``problem``'s locks)."""
    routes = [list(r) for r in routes]
    done = attempts = 0
    while done < moves and attempts < 1000 * moves:
        attempts += 1
        src = int(rng.choice([v for v, r in enumerate(routes) if r]))
        pos = int(rng.integers(len(routes[src])))
        node = routes[src].pop(pos)
        dst = int(rng.integers(len(routes)))
        at = int(rng.integers(len(routes[dst]) + 1))
        routes[dst].insert(at, node)
        moved = (src, pos) != (dst, at)
        if moved and all(not check_route(problem, v, routes[v])[1] for v in {src, dst}):
            done += 1
            continue
        routes[dst].pop(at)  # undo
        routes[src].insert(pos, node)
    if done < moves:
        raise RuntimeError(f"only {done} feasible hand moves found in {attempts} attempts")
    return routes


def draw_locks(model: DayModel, routes: list[list[int]], rng: np.random.Generator) -> dict[str, str]:
    """``LOCK_SHARE`` of the routed stops, drawn at random, locked to the van they are on (stop id -> van id)."""
    routed = [(n, k) for k, r in enumerate(routes) for n in r]
    picked = rng.choice(len(routed), size=max(1, round(LOCK_SHARE * len(routed))), replace=False)
    return {model.node_stop(routed[i][0]).id: model.vehicles[routed[i][1]].id for i in picked}


def reoptimize(model: DayModel, start: list[list[int]], locks: dict[str, str], limit_s: float, seed: int, orders, stops,
               vans, depots, duration, distance, build: dict, engine: str) -> dict:
    """Re-optimize ``model``'s day from ``start`` (node routes) with ``locks`` (stop id -> van id)."""
    initial = {v.id: [model.node_stop(n).id for n in start[k]] for k, v in enumerate(model.vehicles)}
    day = build_day_model(orders, stops, vans, depots, duration, distance, **build, locks=locks,
                          initial_routes=initial)
    t0 = time.perf_counter()
    sol = solve(day.problem, limit_s, engine=engine, seed=seed)
    wall = time.perf_counter() - t0
    report = check_solution(day.problem, sol)
    broken = [node for v, r in enumerate(sol.routes) for node in r
              if day.problem.allowed_vehicles.get(node) and v not in day.problem.allowed_vehicles[node]]
    return {
        "cost": day.cost_scale.currency(report.objective),
        "feasible": report.feasible and not broken,
        "violations": report.violations[:3],
        "engine": sol.engine,
        "fallback": sol.meta.get("fallback", ""),
        "wall_s": wall,
        "dropped": len(sol.dropped),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--date", default="2026-11-24")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--plan-s", type=float, default=30.0, help="search seconds of the starting plan")
    ap.add_argument("--limit-s", type=float, default=30.0, help="search seconds of each re-optimization")
    ap.add_argument("--engine", default="auto", help="engine of the re-optimizations (auto, ortools, pyvrp)")
    ap.add_argument("--locks-from", choices=("plan", "degraded"), default="plan",
                    help="draw the degraded start's locks on the starting plan (default) or on the degraded plan")
    args = ap.parse_args(argv)

    scenario = load_scenario("gothenburg")
    date = dt.date.fromisoformat(args.date)
    orders = generate_day(scenario, date)
    stops = day_stops(scenario, orders)
    network = network_for(scenario)
    nodes = snap_day(network, scenario, stops)
    vans, depots = scenario.vehicles(), scenario.depots()
    travel = day_travel(network, nodes, vans, scenario.traffic_bands())  # the bikes' streets, the rush hours
    duration, distance = travel.duration, travel.distance
    build = dict(drop_penalty=scenario.drop_penalties(), carriers=scenario.carriers(), profiles=travel.profiles,
                 traffic=travel.traffic)
    model = build_day_model(orders, stops, vans, depots, duration, distance, **build)
    print(f"{len(orders)} orders, {len(stops)} stops, {len(vans)} vans; re-optimizations {args.limit_s:.0f} s, "
          f"engine {args.engine}, {LOCK_SHARE:.0%} of the routed stops locked to their vans "
          f"(degraded start: locks drawn on the {'starting' if args.locks_from == 'plan' else 'degraded'} plan)")

    warm_up()
    t0 = time.perf_counter()
    plan = solve(model.problem, args.plan_s, seed=0)
    start_report = check_solution(model.problem, plan)
    print(f"starting plan: {model.cost_scale.currency(start_report.objective):,.0f} SEK ({plan.engine}, "
          f"{time.perf_counter() - t0:.1f} s, {len(plan.dropped)} stops dropped, feasible {start_report.feasible})")

    rows = []
    for seed in args.seeds:
        rng = np.random.default_rng(seed)
        locks = draw_locks(model, plan.routes, rng)
        locked_day = build_day_model(orders, stops, vans, depots, duration, distance, **build, locks=locks)
        degraded = degrade(locked_day.problem, plan.routes, HAND_MOVES, rng)
        for name, start in (("plan", plan.routes), ("degraded", degraded)):
            if name == "degraded" and args.locks_from == "degraded":
                locks = draw_locks(model, degraded, rng)
            common = (args.limit_s, seed, orders, stops, vans, depots, duration, distance, build, args.engine)
            free = reoptimize(model, start, {}, *common)
            locked = reoptimize(model, start, locks, *common)
            start_cost = model.cost_scale.currency(check_solution(model.problem, RoutingSolution(start, [], 0, "start", 0.0)).objective)
            rows.append((name, seed, len(locks), start_cost, free, locked))
            print(f"  seed {seed} {name:8s} start {start_cost:9,.0f}  unlocked {free['cost']:9,.0f} ({free['engine']})  "
                  f"locked {locked['cost']:9,.0f} ({locked['engine']}{', ' + locked['fallback'] if locked['fallback'] else ''})  "
                  f"ratio {locked['cost'] / free['cost']:.4f}  feasible {free['feasible']}/{locked['feasible']}", flush=True)
    shutdown()

    print()
    print(f"{'start':9s} {'seed':>4s} {'locks':>5s} {'start SEK':>10s} {'unlocked':>10s} {'locked':>10s} {'ratio':>7s}  "
          f"{'engine (locked)':22s} feasible")
    for name, seed, n_locks, start_cost, free, locked in rows:
        print(f"{name:9s} {seed:4d} {n_locks:5d} {start_cost:10,.0f} {free['cost']:10,.0f} {locked['cost']:10,.0f} "
              f"{locked['cost'] / free['cost']:7.4f}  {locked['engine']:22s} {free['feasible'] and locked['feasible']}")
    ok = True
    for name in ("plan", "degraded"):
        mine = [r for r in rows if r[0] == name]
        ratios = [r[5]["cost"] / r[4]["cost"] for r in mine]
        free = [r[4]["cost"] for r in mine]
        locked = [r[5]["cost"] for r in mine]
        spread = statistics.pstdev(ratios) if len(ratios) > 1 else 0.0
        mean = statistics.mean(ratios)
        print(f"from {name:8s}: unlocked mean {statistics.mean(free):,.0f} SEK (min {min(free):,.0f}, max {max(free):,.0f}); "
              f"locked mean {statistics.mean(locked):,.0f} SEK (min {min(locked):,.0f}, max {max(locked):,.0f}); "
              f"ratio locked/unlocked mean {mean:.4f} ({(mean - 1) * 100:+.2f} %), "
              f"min {min(ratios):.4f}, max {max(ratios):.4f}, sd {spread:.4f}  target <= 1.003")
        ok &= mean <= 1.003
    feasible = all(r[4]["feasible"] and r[5]["feasible"] for r in rows)
    print(f"all plans feasible with their locks (checker): {feasible}")
    for r in rows:
        for label, run in (("unlocked", r[4]), ("locked", r[5])):
            if not run["feasible"]:
                print(f"  {r[0]} seed {r[1]} {label}: {run['violations']}")
    return 0 if ok and feasible else 1


if __name__ == "__main__":
    sys.exit(main())
