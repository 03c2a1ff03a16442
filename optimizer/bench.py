"""Benchmark command: solve VRPLIB VRPTW files and report distance, vehicles and feasibility.

``python -m optimizer.bench vrptw FILE... --time-limit 10 [--engine auto] [--json]``
``python -m optimizer.bench mtvrptwr|pcvrptw|mdvrptw FILE... --time-limit 60 [--seed 1] [--json]``

Files are EUC_2D (Solomon, Gehring-Homberger) or EXPLICIT FULL_MATRIX (real-world instances
with asymmetric travel times), see :mod:`optimizer.vrplib`. Feasibility comes from
:mod:`optimizer.checker`, never from the solver. ``distance`` is the objective in the
instance's own units: for EUC_2D with one decimal (DIMACS: each arc truncated to one decimal),
comparable with the best-known solutions in ``benchmarks/data/solomon/bks.csv``; for EXPLICIT
the sum of the matrix's whole-number weights (e.g. seconds of driving). Exit code 2 with the
:class:`~optimizer.vrplib.InstanceError` message (file, section, line) on a malformed file
(all files are read before any is solved).

The variant dialects (multi-trip with release times, prize-collecting, multi-depot with maximum
duration; :mod:`optimizer.variants`) are solved by PyVRP, one search per core with its own seed
(``--cores``, default every core) handing each other their best plan (``--no-exchange``: they
never meet), the best kept, and judged by
:func:`optimizer.variants.check_routes`, with the gap to the ``.sol`` best-known cost next to
each file. (The day planner's OR-Tools model holds reloads and release times too, but not the
variants' several depots per vehicle type and reload depots elsewhere; PyVRP reads all three.)
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from optimizer.checker import check_solution
from optimizer.engine.portfolio import ENGINES, solve, warm_up
from optimizer.vrplib import InstanceError, instance_units, read_benchmark

if TYPE_CHECKING:
    import pyvrp


VARIANT_KINDS = {
    "mtvrptwr": "multi-trip VRPTW with release times (MTVRPTWR)",
    "pcvrptw": "prize-collecting VRPTW (PCVRPTW)",
    "mdvrptw": "multi-depot VRPTW with maximum duration (MDVRPTW)",
}


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


def bench_variant(
    paths: Sequence[str | Path], time_limit_s: float, seed: int = 1, kind: str | None = None,
    cores: int | None = None, exchange: bool = True, max_perturbations: int | None = None,
) -> list[dict]:
    """Solve each variant file with PyVRP within ``time_limit_s`` seconds; one result dict per file.

    On ``cores`` cores (default: :func:`~optimizer.engine.cores.solve_cores`, every core this
    process may use) PyVRP runs once per core at the same time, with seeds ``seed``,
    ``seed + 1``, ..., and with ``exchange`` the searches hand each other their best plan
    (:mod:`optimizer.engine.exchange`); without, they never meet (best of several seeds). The
    best plan our checker finds feasible is kept. Every search uses :func:`variant_params`
    (``max_perturbations``: PyVRP's most perturbations per iteration, None for
    :data:`VARIANT_MAX_PERTURBATIONS`).

    Keys: ``instance``, ``kind`` (the file's TYPE), ``cost`` (distance + uncollected prizes, our
    checker's sum, in the ``.sol`` units: DIMACS tenths, or thousandths for MDVRPTW), ``bks``
    (the ``.sol`` next to the file, else None), ``gap_pct`` (``100 (cost - bks) / bks``),
    ``feasible`` (our checker), ``violations`` (its first five findings), ``routes``, ``trips``
    (over all routes), ``reloads``, ``visited`` (clients served of ``clients``),
    ``uncollected_prize``, ``solver_cost`` and ``solver_feasible`` (PyVRP's own verdict, a second
    opinion), ``seed`` (of the kept plan), ``seed_costs`` (checked cost per seed), ``adopted``
    (plans each seed took from the others), ``exchange``, ``wall_s``.
    ``kind``, when given, must match every file's TYPE. Raises :class:`InstanceError` before
    solving anything if a file (or its ``.sol``) is malformed.
    """
    from optimizer.engine.cores import solve_cores
    from optimizer.engine.exchange import search_on_cores
    from optimizer.variants import check_routes, read_bks, read_variant, solution_routes

    instances = []
    for path in paths:
        inst = read_variant(path, kind)
        sol = Path(path).with_suffix(".sol")
        bks = read_bks(sol)[1] if sol.exists() else None
        instances.append((str(path), inst, bks))
    runs = solve_cores(cores)
    seeds = [seed + k for k in range(runs)]
    exchange = exchange and runs > 1
    kicks = max_perturbations if max_perturbations is not None else VARIANT_MAX_PERTURBATIONS
    params_of = functools.partial(variant_params, max_perturbations=kicks)
    results = []
    for path, inst, bks in instances:
        t0 = time.perf_counter()
        found = search_on_cores(_variant_data, (path, inst.kind), time_limit_s, seeds,
                                exchange=exchange, params_of=params_of)
        wall = time.perf_counter() - t0
        checked = [(check_routes(inst, solution_routes(inst, f.best)), f) for f in found]
        report, kept = min(checked, key=lambda c: (not c[0].feasible, c[0].cost))
        results.append(
            {
                "instance": inst.name,
                "kind": inst.kind,
                "cost": report.cost,
                "bks": bks,
                "gap_pct": None if not bks else round(100.0 * (report.cost - bks) / bks, 2),
                "feasible": report.feasible,
                "violations": report.violations[:5],
                "routes": report.routes,
                "trips": report.trips,
                "reloads": report.reloads,
                "visited": report.visited,
                "clients": inst.num_clients,
                "uncollected_prize": report.uncollected_prize,
                "solver_cost": int(kept.best.distance() + kept.best.uncollected_prizes()),
                "solver_feasible": kept.best.is_feasible(),
                "seed": kept.seed,
                "seed_costs": {f.seed: c.cost for c, f in checked},
                "adopted": {f.seed: f.adopted for f in found},
                "exchange": exchange,
                "wall_s": round(wall, 2),
            }
        )
    return results


#: PyVRP's most perturbations per iteration on the variant files (its default is 25). Fewer
#: moves per kick make each iteration cheaper (about three times as many in 60 s) and, on the
#: 200-client multi-trip file, the search converges further: mean gap of seeds 1-4 at 60 s went
#: from 3.50 % (25) to 2.61 % (15), 1.96 % (10), 2.3-2.9 % (5); docs/variants.md has the runs.
VARIANT_MAX_PERTURBATIONS = 10


def variant_params(data: pyvrp.ProblemData, max_perturbations: int = VARIANT_MAX_PERTURBATIONS) -> pyvrp.SolveParams:
    """PyVRP's default parameters but ``max_perturbations``, for every variant search."""
    import pyvrp
    from pyvrp.search import PerturbationParams

    return pyvrp.SolveParams(perturbation=PerturbationParams(max_perturbations=max_perturbations))


def _variant_data(path: str, kind: str) -> pyvrp.ProblemData:
    """The ``pyvrp.ProblemData`` of a variant file (the exchange's loader, in each worker)."""
    from optimizer.variants import read_variant

    return read_variant(path, kind).data


def format_variant_table(results: Sequence[dict]) -> str:
    """Plain-text table of :func:`bench_variant` results."""
    lines = [
        f"{'instance':<12} {'kind':<9} {'cost':>9} {'bks':>9} {'gap_%':>6} {'feasible':>8} {'routes':>6} "
        f"{'trips':>5} {'visited':>9} {'wall_s':>7}"
    ]
    for r in results:
        bks = "-" if r["bks"] is None else f"{r['bks']:.0f}"
        gap = "-" if r["gap_pct"] is None else f"{r['gap_pct']:.2f}"
        line = (
            f"{r['instance']:<12} {r['kind']:<9} {r['cost']:>9} {bks:>9} {gap:>6} {str(r['feasible']):>8} "
            f"{r['routes']:>6} {r['trips']:>5} {str(r['visited']) + '/' + str(r['clients']):>9} {r['wall_s']:>7.2f}"
        )
        if r["solver_cost"] != r["cost"] or r["solver_feasible"] != r["feasible"]:
            line += f"  PyVRP says cost {r['solver_cost']} feasible {r['solver_feasible']}"
        lines.extend([line] + [f"    {v}" for v in r["violations"]])
    return "\n".join(lines)


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
    for kind, what in VARIANT_KINDS.items():
        variant = sub.add_parser(kind, help=f"solve PyVRP-Instances VRPLIB {what} files with PyVRP, gap to the .sol best-known")
        variant.add_argument("files", nargs="+", metavar="FILE")
        variant.add_argument("--time-limit", type=float, default=60.0, metavar="S", help="seconds per instance (default 60)")
        variant.add_argument(
            "--engine", choices=("auto", "pyvrp"), default="auto",
            help="auto = pyvrp: only PyVRP holds these constraints (reloads, release times, several depots)",
        )
        variant.add_argument("--seed", type=int, default=1, help="seed of the first search (the next cores: +1, +2, ...)")
        variant.add_argument("--cores", type=int, default=None, metavar="N",
                             help="searches at once, one per core, best kept (default: every core)")
        variant.add_argument("--no-exchange", dest="exchange", action="store_false",
                             help="the searches never hand each other their best plan (best of several seeds)")
        variant.add_argument("--max-perturbations", type=int, default=VARIANT_MAX_PERTURBATIONS, metavar="N",
                             help=f"PyVRP's most perturbations per iteration (default {VARIANT_MAX_PERTURBATIONS}; "
                                  "PyVRP's own default is 25)")
        variant.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    if args.time_limit <= 0:
        parser.error("--time-limit must be positive")
    try:
        if args.kind == "vrptw":
            results = bench_vrptw(args.files, args.time_limit, engine=args.engine, seed=args.seed)
        else:
            if args.cores is not None and args.cores < 1:
                parser.error(f"--cores: {args.cores}; give 1 or more")
            if args.max_perturbations < 1:
                parser.error(f"--max-perturbations: {args.max_perturbations}; give 1 or more")
            results = bench_variant(args.files, args.time_limit, seed=args.seed, kind=args.kind, cores=args.cores,
                                    exchange=args.exchange, max_perturbations=args.max_perturbations)
    except InstanceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    table = format_table if args.kind == "vrptw" else format_variant_table
    print(json.dumps(results, indent=2) if args.json else table(results))
    return 0 if all(r["feasible"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
