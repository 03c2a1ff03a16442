"""Scale benchmark: a generated 1000-customer VRPTW (seeded, euclidean, Gehring-Homberger-like).

    .venv/bin/python benchmarks/scale_1000.py [--customers 1000] [--seed 1] [--limits 10 30 60]
                                                    [--first-s 10] [--reference-s 0] [--json]

Reports (a) time to the first feasible plan of each engine (OR-Tools first solution, PyVRP's
first feasible best, both via their progress callbacks), (b) whether ``solve(T=5)`` returns a
feasible plan, and (c) the portfolio's distance at each limit. With ``--reference-s S`` it also
runs PyVRP alone for S seconds as a stand-in best-known (no published solution exists for a
generated instance) and reports gaps against it.

Instance: coordinates uniform on a 500 x 500 square, depot in the centre, horizon 0..3000,
windows 60..240 wide placed so each customer is reachable alone, service 10, demand 1..30,
capacity 200, 250 vehicles; distances in the DIMACS convention (arcs truncated to one decimal,
stored in tenths) so figures compare with the Solomon runs. The lead's Gothenburg-matrix
variant is a separate script.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimizer.checker import check_solution  # noqa: E402
from optimizer.engine.ortools_solver import solve_ortools  # noqa: E402
from optimizer.engine.portfolio import solve, warm_up  # noqa: E402
from optimizer.engine.pyvrp_solver import solve_pyvrp  # noqa: E402
from optimizer.problem import RoutingProblem, VehicleSpec  # noqa: E402
from optimizer.vrplib import SCALE, dimacs_matrix, scaled_distance  # noqa: E402


def generate_vrptw(customers: int = 1000, seed: int = 1) -> RoutingProblem:
    """A random VRPTW in tenths of a unit (see module docstring)."""
    rng = np.random.default_rng(seed)
    side, horizon, service = 500, 3000, 10
    coords = np.vstack([[side // 2, side // 2], rng.integers(0, side + 1, size=(customers, 2))])
    dist = dimacs_matrix(coords)
    out = dist[0] / SCALE  # instance units
    width = rng.integers(60, 241, size=customers + 1)
    latest_open = horizon - service - np.ceil(out) - width  # window fits and return before horizon
    earliest_open = np.ceil(out)
    opens = np.floor(earliest_open + rng.random(customers + 1) * np.maximum(latest_open - earliest_open, 0))
    tw_start = (opens * SCALE).astype(np.int64)
    tw_end = ((opens + width) * SCALE).astype(np.int64)
    tw_start[0], tw_end[0] = 0, horizon * SCALE
    demand = np.concatenate([[0], rng.integers(1, 31, size=customers)]).astype(np.int64)
    svc = np.full(customers + 1, service * SCALE, dtype=np.int64)
    svc[0] = 0
    spec = VehicleSpec(depot=0, capacity=200, shift_start=0, shift_end=horizon * SCALE)
    return RoutingProblem(
        duration=dist.copy(), distance=dist, demand=demand, service=svc, tw_start=tw_start, tw_end=tw_end,
        vehicles=[spec] * 250, depots=[0], penalty=None, name=f"RAND{customers}-{seed}",
    )


def first_feasible(problem: RoutingProblem, limit_s: float) -> dict:
    """Seconds to each engine's first feasible plan (None if none within ``limit_s``)."""
    seen: dict[str, float | None] = {"ortools": None, "pyvrp": None}

    def note(engine):
        def cb(t, _obj):
            if seen[engine] is None:
                seen[engine] = round(t, 2)
        return cb

    ort = solve_ortools(problem, limit_s, progress=note("ortools"))
    if ort.meta["dropped_required"]:  # first "solution" dropped required stops: not feasible yet
        seen["ortools_note"] = f"{len(ort.meta['dropped_required'])} required stops dropped at {limit_s} s"
    solve_pyvrp(problem, limit_s, progress=note("pyvrp"))
    return seen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--limits", type=float, nargs="+", default=[10, 30, 60])
    parser.add_argument("--first-s", type=float, default=10.0, help="budget for the first-feasible probe")
    parser.add_argument("--reference-s", type=float, default=0.0, help="PyVRP-alone reference run (0 = skip)")
    parser.add_argument("--reference-distance", type=float, default=0.0,
                        help="distance of an earlier reference run, instead of --reference-s")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    problem = generate_vrptw(args.customers, args.seed)
    out: dict = {"instance": problem.name, "generate_s": round(time.perf_counter() - t0, 2)}
    warm_up()
    out["first_feasible_s"] = first_feasible(problem, args.first_s)
    five = solve(problem, 5.0)
    five_rep = check_solution(problem, five)
    out["solve_5s"] = {"feasible": five_rep.feasible, "distance": scaled_distance(five_rep.distance),
                       "wall_s": round(five.wall_s, 2), "engine": five.engine}
    out["portfolio"] = []
    for limit in args.limits:
        sol = solve(problem, limit)
        rep = check_solution(problem, sol)
        out["portfolio"].append({
            "limit_s": limit, "distance": scaled_distance(rep.distance), "vehicles": rep.used_vehicles,
            "feasible": rep.feasible, "engine": sol.engine, "wall_s": round(sol.wall_s, 2),
            "engines": {k: v["objective"] / 10 for k, v in sol.meta["engines"].items()},
            "timeline_s": sol.meta.get("timeline"),
        })
        print(out["portfolio"][-1], file=sys.stderr, flush=True)
    if args.reference_s > 0:
        ref = solve_pyvrp(problem, args.reference_s)
        ref_rep = check_solution(problem, ref)
        out["reference"] = {"engine": f"pyvrp alone {args.reference_s:g} s", "distance": scaled_distance(ref_rep.distance),
                            "feasible": ref_rep.feasible}
    elif args.reference_distance > 0:
        out["reference"] = {"engine": "given", "distance": args.reference_distance, "feasible": True}
    if "reference" in out:
        for row in out["portfolio"]:
            row["gap_vs_reference_%"] = round(100 * (row["distance"] - out["reference"]["distance"]) / out["reference"]["distance"], 2)
    print(json.dumps(out, indent=2) if args.json else _format(out))
    return 0


def _format(out: dict) -> str:
    lines = [f"{out['instance']}: first feasible plan (s): {out['first_feasible_s']}",
             f"solve(T=5 s): {out['solve_5s']}", "limit_s  distance  vehicles  feasible  kept plan from        gap vs ref"]
    for r in out["portfolio"]:
        lines.append(f"{r['limit_s']:>7g}  {r['distance']:>8.1f}  {r['vehicles']:>8}  {str(r['feasible']):>8}  "
                     f"{r['engine']:<20}  {r.get('gap_vs_reference_%', '-')}")
    if "reference" in out:
        lines.append(f"reference: {out['reference']}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
