"""lastmile ``auto`` against the strongest peers at equal wall time: PyVRP alone, PyVRP best of two.

    .venv/bin/python benchmarks/routing_peers.py solomon [--time-limit 10] [--seeds 1 2 3] [--json FILE]
    .venv/bin/python benchmarks/routing_peers.py rand1000 [--time-limit 60] [--seeds 1 2 3]
    .venv/bin/python benchmarks/routing_peers.py gothenburg1000 [--time-limit 30] [--seeds 1 2 3]

Per instance and seed ``s``, two runs one after the other, each on the machine's two cores:

* lastmile: ``portfolio.solve(problem, T, engine="auto", seed=s)`` (two PyVRP searches that
  trade plans, OR-Tools validating and, on relaxed days, polishing);
* the peers: PyVRP with seeds ``s`` and ``s + 1`` side by side, one per core, for ``T`` each
  (``portfolio.solve(..., engine="pyvrp", cores=1)``: our PyVRP mapping, the plan repaired under
  the exact model where PyVRP only saw a relaxation, priced by the checker). *PyVRP alone* is
  the seed-``s`` run (what a user who calls PyVRP on one core gets); *PyVRP best of two* is the
  cheaper of both (what a user who runs it twice on two cores gets). The peer processes are
  started and warm before their clocks run.

Every plan is priced by ``optimizer.checker``: distance (instance units, DIMACS one decimal) on
the VRPLIB sets, the plan's cost in SEK on the Gothenburg day. A plan that leaves a required
stop unserved, or is infeasible, is reported and counts as worse than any that serves all.
Printed: per instance the mean ratio lastmile / peer over the seeds with its spread (min..max),
and the mean over instances.

Sets: ``solomon``, the 12 instances of ``benchmarks/data/solomon`` (``--instances`` to pick);
``rand1000``, the generated 1000-customer VRPTW of ``benchmarks/scale_1000.py``; and
``gothenburg1000``, the 1000-order Gothenburg day of ``benchmarks/gothenburg_1000.py``
(30 copies of the scenario's first van, its drivers' break included).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimizer.checker import check_solution  # noqa: E402
from optimizer.engine.portfolio import shutdown, solve, warm_up  # noqa: E402
from optimizer.problem import RoutingProblem  # noqa: E402
from optimizer.vrplib import read_problem, scaled_distance  # noqa: E402

SOLOMON = ROOT / "benchmarks" / "data" / "solomon"


def instances(kind: str, names: list[str] | None) -> list[tuple[str, RoutingProblem, str]]:
    """(name, problem, unit) for the set ``kind``."""
    if kind == "solomon":
        picked = names or sorted(p.stem for p in SOLOMON.glob("*.vrp"))
        return [(name, read_problem(SOLOMON / f"{name}.vrp"), "distance") for name in picked]
    if kind == "rand1000":
        from benchmarks.scale_1000 import generate_vrptw

        return [("RAND1000-1", generate_vrptw(1000, 1), "distance")]
    from benchmarks.gothenburg_1000 import build_day

    model, _ = build_day(orders=1000, vans=30)
    return [("gothenburg-1000", model.problem, "SEK")]


def price(problem: RoutingProblem, solution, unit: str) -> dict:
    """The checker's verdict on a plan, in the set's unit."""
    report = check_solution(problem, solution)
    value = scaled_distance(report.distance) if unit == "distance" else problem.cost_scale.currency(report.objective)
    return {
        "value": round(float(value), 2),
        "feasible": report.feasible and not report.dropped_required,
        "unserved": len(report.dropped_required),
        "engine": solution.engine,
        "wall_s": round(solution.wall_s, 2),
    }


def _peer(problem: RoutingProblem, time_limit_s: float, seed: int, unit: str, start_at: float) -> dict:
    """One PyVRP run on one core, in a pool process; starts at ``start_at`` (epoch seconds) so
    both peers' clocks run together."""
    time.sleep(max(0.0, start_at - time.time()))
    solution = solve(problem, time_limit_s, engine="pyvrp", seed=seed, cores=1)
    return price(problem, solution, unit) | {"seed": seed}


def _warm() -> None:
    import pyvrp  # noqa: F401


def rank(run: dict) -> tuple[int, float]:
    return (0 if run["feasible"] else 1 + run["unserved"], run["value"])


def compare(kind: str, time_limit_s: float, seeds: list[int], names: list[str] | None) -> list[dict]:
    rows = []
    warm_up()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        pool.apply(_warm)
        pool.apply(_warm)
        for name, problem, unit in instances(kind, names):
            for seed in seeds:
                ours = price(problem, solve(problem, time_limit_s, engine="auto", seed=seed), unit)
                start_at = time.time() + 1.0
                alone, other = pool.starmap(_peer, [(problem, time_limit_s, seed, unit, start_at),
                                                    (problem, time_limit_s, seed + 1, unit, start_at)])
                best_of_two = min(alone, other, key=rank)
                row = {
                    "instance": name, "seed": seed, "unit": unit, "lastmile": ours, "pyvrp_alone": alone,
                    "pyvrp_best_of_two": best_of_two,
                    "ratio_alone": round(ours["value"] / alone["value"], 4),
                    "ratio_best_of_two": round(ours["value"] / best_of_two["value"], 4),
                }
                rows.append(row)
                print(f"{name} seed {seed}: lastmile {ours['value']:.1f} ({ours['engine']}, {ours['wall_s']} s) "
                      f"alone {alone['value']:.1f} best-of-two {best_of_two['value']:.1f} "
                      f"ratios {row['ratio_alone']:.4f} {row['ratio_best_of_two']:.4f}"
                      + ("" if ours["feasible"] else f" lastmile UNSERVED {ours['unserved']}"), file=sys.stderr, flush=True)
    shutdown()
    return rows


def format_table(rows: list[dict], time_limit_s: float) -> str:
    """Per instance: mean ratio lastmile / peer over the seeds and its spread; then the means."""
    by_instance: dict[str, list[dict]] = {}
    for r in rows:
        by_instance.setdefault(r["instance"], []).append(r)
    lines = [f"{'instance':<16} {'seeds':>5} {'lastmile':>10} {'alone':>10} {'best2':>10} "
             f"{'/alone mean (min..max)':>24} {'/best2 mean (min..max)':>24} {'unserved':>8}"]
    means_a, means_b = [], []
    for name, runs in by_instance.items():
        ra = [r["ratio_alone"] for r in runs]
        rb = [r["ratio_best_of_two"] for r in runs]
        means_a.append(statistics.mean(ra))
        means_b.append(statistics.mean(rb))
        unserved = sum(r["lastmile"]["unserved"] for r in runs)
        lines.append(
            f"{name:<16} {len(runs):>5} {statistics.mean(r['lastmile']['value'] for r in runs):>10.1f} "
            f"{statistics.mean(r['pyvrp_alone']['value'] for r in runs):>10.1f} "
            f"{statistics.mean(r['pyvrp_best_of_two']['value'] for r in runs):>10.1f} "
            f"{statistics.mean(ra):>8.4f} ({min(ra):.4f}..{max(ra):.4f}) "
            f"{statistics.mean(rb):>8.4f} ({min(rb):.4f}..{max(rb):.4f}) {unserved:>8}"
        )
    lines.append(
        f"mean over {len(by_instance)} instances at {time_limit_s:g} s: lastmile / PyVRP alone {statistics.mean(means_a):.4f}"
        f" (worst instance {max(means_a):.4f}), lastmile / PyVRP best of two {statistics.mean(means_b):.4f}"
        f" (worst instance {max(means_b):.4f})"
    )
    return "\n".join(lines)


DEFAULT_LIMITS = {"solomon": 10.0, "rand1000": 60.0, "gothenburg1000": 30.0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("set", choices=sorted(DEFAULT_LIMITS))
    parser.add_argument("--time-limit", type=float, default=None, help="seconds per run (default: 10, 60, 30 by set)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--instances", nargs="*", default=None, help="Solomon instance names (default: all 12)")
    parser.add_argument("--json", metavar="FILE", help="also write the runs to FILE")
    parser.add_argument("--from-json", metavar="FILE", help="format the runs of an earlier --json instead of solving")
    args = parser.parse_args(argv)
    limit = args.time_limit if args.time_limit is not None else DEFAULT_LIMITS[args.set]
    if args.from_json:
        rows = json.loads(Path(args.from_json).read_text())
    else:
        rows = compare(args.set, limit, args.seeds, args.instances)
        if args.json:
            Path(args.json).write_text(json.dumps(rows, indent=1))
    print(format_table(rows, limit))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
