"""Benchmark command: solve VRPLIB VRPTW files and report distance, vehicles and feasibility.

``python -m optimizer.bench vrptw FILE... --time-limit 10 [--engine auto] [--json]``

Files are EUC_2D (Solomon, Gehring-Homberger) or EXPLICIT FULL_MATRIX (real-world instances
with asymmetric travel times), see :mod:`optimizer.vrplib`. Feasibility comes from
:mod:`optimizer.checker`, never from the solver. ``distance`` is the objective in the
instance's own units: for EUC_2D with one decimal (DIMACS: each arc truncated to one decimal),
comparable with the best-known solutions in ``benchmarks/data/solomon/bks.csv``; for EXPLICIT
the sum of the matrix's whole-number weights (e.g. seconds of driving). Exit code 2 with the
:class:`~optimizer.vrplib.InstanceError` message (file, section, line) on a malformed file
(all files are read before any is solved).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from optimizer.checker import check_solution
from optimizer.engine.portfolio import ENGINES, solve, warm_up
from optimizer.vrplib import InstanceError, instance_units, read_benchmark


def bench_vrptw(paths: Sequence[str | Path], time_limit_s: float, engine: str = "auto", seed: int = 0) -> list[dict]:
    """Solve each VRPTW file within ``time_limit_s`` seconds; one result dict per file.

    Keys: ``instance`` (NAME), ``vehicles`` (routes used), ``distance`` (float, the objective in
    the instance's units: one-decimal arcs for EUC_2D, the matrix's sum for EXPLICIT),
    ``feasible`` (checker verdict), ``wall_s``, ``engine`` (source of the kept plan),
    ``unserved`` (customer ids on no route; the file's node id minus one). Raises
    :class:`InstanceError` before solving anything if a file is malformed.
    Exit codes of :func:`main`: 0 all feasible, 1 some result infeasible, 2 bad input file.
    """
    problems = [read_benchmark(p) for p in paths]
    if engine == "auto":
        warm_up()  # start the PyVRP worker before the clock of the first instance runs
    results = []
    for problem, scale in problems:
        t0 = time.perf_counter()
        solution = solve(problem, time_limit_s, engine=engine, seed=seed)
        wall = time.perf_counter() - t0
        report = check_solution(problem, solution)
        results.append(
            {
                "instance": problem.name,
                "vehicles": report.used_vehicles,
                "distance": instance_units(report.distance, scale),
                "feasible": report.feasible,
                "wall_s": round(wall, 2),
                "engine": solution.engine,
                "unserved": report.dropped_required + report.dropped_optional,
            }
        )
    return results


def format_table(results: Sequence[dict]) -> str:
    """Plain-text table of :func:`bench_vrptw` results."""
    lines = [f"{'instance':<10} {'vehicles':>8} {'distance':>10} {'feasible':>8} {'wall_s':>7}  engine"]
    for r in results:
        lines.append(
            f"{r['instance']:<10} {r['vehicles']:>8} {r['distance']:>10.1f} {str(r['feasible']):>8} "
            f"{r['wall_s']:>7.2f}  {r['engine']}" + (f"  unserved {r['unserved']}" if r["unserved"] else "")
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``lastmile bench``; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="lastmile bench", description="Benchmark the routing engines.")
    sub = parser.add_subparsers(dest="kind", required=True)
    vrptw = sub.add_parser(
        "vrptw", help="solve VRPLIB VRPTW instances (EUC_2D: Solomon, Gehring-Homberger; EXPLICIT FULL_MATRIX)"
    )
    vrptw.add_argument("files", nargs="+", metavar="FILE")
    vrptw.add_argument("--time-limit", type=float, default=10.0, metavar="S", help="seconds per instance (default 10)")
    vrptw.add_argument("--engine", choices=ENGINES, default="auto")
    vrptw.add_argument("--seed", type=int, default=0)
    vrptw.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    if args.time_limit <= 0:
        parser.error("--time-limit must be positive")
    try:
        results = bench_vrptw(args.files, args.time_limit, engine=args.engine, seed=args.seed)
    except InstanceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(results, indent=2) if args.json else format_table(results))
    return 0 if all(r["feasible"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
