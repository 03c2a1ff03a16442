"""Solomon VRPTW benchmark: lastmile's portfolio vs plain OR-Tools GLS vs best-known.

    .venv/bin/python benchmarks/solomon.py --time-limit 10 [--instances C101 R101] [--json]

For each of the 12 shipped instances (``benchmarks/data/solomon``) it solves with
``optimizer.engine.portfolio.solve(engine="auto")`` (two PyVRP searches trading plans on two cores) and
with plain OR-Tools (path-cheapest-arc + guided local search, one core) for the same wall-clock
limit, verifies both with ``optimizer.checker`` and prints distances (DIMACS one-decimal arcs)
against the best-known solutions of ``bks.csv`` (pure distance, vehicle count free).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimizer.checker import check_solution  # noqa: E402
from optimizer.engine.ortools_solver import solve_ortools  # noqa: E402
from optimizer.engine.portfolio import solve, warm_up  # noqa: E402
from optimizer.vrplib import read_problem, scaled_distance  # noqa: E402

DATA = ROOT / "benchmarks" / "data" / "solomon"


def best_known() -> dict[str, tuple[int, float]]:
    with open(DATA / "bks.csv") as fh:
        return {row["instance"]: (int(row["vehicles"]), float(row["distance"])) for row in csv.DictReader(fh)}


def gap(value: float, bks: float) -> float:
    return 100.0 * (value - bks) / bks


def run(names: list[str], time_limit_s: float) -> list[dict]:
    bks = best_known()
    warm_up()
    rows = []
    for name in names:
        problem = read_problem(DATA / f"{name}.vrp")
        t0 = time.perf_counter()
        ours = solve(problem, time_limit_s)
        ours_wall = time.perf_counter() - t0
        ours_rep = check_solution(problem, ours)
        pv_cpu = ours.meta["engines"].get("pyvrp", {}).get("cpu_s")
        plain = solve_ortools(problem, time_limit_s, first_solution="path_cheapest_arc")
        plain_rep = check_solution(problem, plain)
        bks_vehicles, bks_distance = bks[name]
        row = {
            "instance": name,
            "bks": bks_distance,
            "bks_vehicles": bks_vehicles,
            "lastmile": scaled_distance(ours_rep.distance),
            "lastmile_vehicles": ours_rep.used_vehicles,
            "lastmile_feasible": ours_rep.feasible,
            "lastmile_gap": round(gap(scaled_distance(ours_rep.distance), bks_distance), 2),
            "lastmile_engine": ours.engine,
            "lastmile_wall_s": round(ours_wall, 2),
            "pyvrp_cpu_s": pv_cpu,  # CPU seconds PyVRP actually got (machine is shared)
            "load_avg_1min": round(os.getloadavg()[0], 2),
            "ortools": scaled_distance(plain_rep.distance),
            "ortools_vehicles": plain_rep.used_vehicles,
            "ortools_feasible": plain_rep.feasible,
            "ortools_unserved": len(plain_rep.dropped_required),
            "ortools_gap": round(gap(scaled_distance(plain_rep.distance), bks_distance), 2),
        }
        rows.append(row)
        print(format_row(row), file=sys.stderr, flush=True)
    return rows


def format_row(r: dict) -> str:
    plain = f"{r['ortools']:>8.1f} {r['ortools_gap']:>6.2f}%" if r["ortools_feasible"] else (
        f"{r['ortools']:>8.1f}   ({r['ortools_unserved']} unserved)"
    )
    ours = f"{r['lastmile']:>8.1f} {r['lastmile_gap']:>6.2f}%" + ("" if r["lastmile_feasible"] else " INFEASIBLE")
    return (
        f"| {r['instance']:<6} | {r['bks']:>7.1f} | {ours} | {r['lastmile_vehicles']:>3} | {r['lastmile_engine']:<20} "
        f"| {plain} | {r['pyvrp_cpu_s'] or 0:>5.1f} | {r['load_avg_1min']:>5.1f} |"
    )


def format_table(rows: list[dict], time_limit_s: float) -> str:
    head = (
        "| inst.  |     BKS | lastmile    gap   | veh | kept plan from       | OR-Tools GLS gap  | PyVRP CPU s | load |\n"
        "|--------|--------:|------------------:|----:|----------------------|------------------:|------:|------:|"
    )
    body = [format_row(r) for r in rows]
    mean_ours = sum(r["lastmile_gap"] for r in rows) / len(rows)
    feasible_plain = [r for r in rows if r["ortools_feasible"]]
    mean_plain = sum(r["ortools_gap"] for r in feasible_plain) / max(1, len(feasible_plain))
    wins = sum(1 for r in rows if r["lastmile"] <= r["ortools"] or not r["ortools_feasible"])
    foot = (
        f"\n\nmean gap at {time_limit_s:g} s per instance: lastmile {mean_ours:.2f}% "
        f"({sum(r['lastmile_feasible'] for r in rows)}/{len(rows)} feasible), "
        f"plain OR-Tools GLS {mean_plain:.2f}% ({len(feasible_plain)}/{len(rows)} feasible); "
        f"lastmile <= OR-Tools on {wins}/{len(rows)}\n"
    )
    return "\n".join([head, *body]) + foot


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per instance and method")
    parser.add_argument("--instances", nargs="*", default=sorted(best_known()))
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--from-json", metavar="FILE", help="format the rows of an earlier --json run instead of solving")
    args = parser.parse_args(argv)
    if args.from_json:
        rows = json.loads(Path(args.from_json).read_text())
        for r in rows:
            r.setdefault("pyvrp_cpu_s", None)
            r.setdefault("load_avg_1min", float("nan"))
        print(format_table(rows, args.time_limit))
        return 0
    rows = run(args.instances, args.time_limit)
    print(json.dumps(rows, indent=2) if args.json else format_table(rows, args.time_limit))
    return 0


if __name__ == "__main__":
    sys.exit(main())
