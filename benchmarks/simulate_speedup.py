"""Speed-up of the what-if simulation on a local Dask cluster: 2 worker processes against 1.

Runs the same simulation (baseline and baseline plus sites, same seed, repeatable routing)
on LocalCluster(n_workers=1) and LocalCluster(n_workers=2), prints wall times, the speed-up
and whether both runs gave identical day results. Cluster start-up is timed separately.

    python benchmarks/simulate_speedup.py --days 14 --add-chosen 3

Timings on a shared machine are noisy: run it when the machine is quiet, and read the
``cpu count`` line (a speed-up above the number of free cores is not possible).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> int:
    from scenarios.candidates import parse_site
    from scenarios.planning import network_for
    from scenarios.scenario import load_scenario
    from scenarios.simulate import RoutingSettings, SimulationConfig, dask_client, make_variants, run_simulation
    from scenarios.siteplan import plan_sites

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="gothenburg")
    ap.add_argument("--days", type=int, default=14)
    ap.add_argument("--add-site", action="append", default=[])
    ap.add_argument("--add-chosen", type=int, default=0, help="also add the K sites the site selection chooses")
    ap.add_argument("--iterations", type=int, default=500)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--orders-per-day", type=int, default=None)
    ap.add_argument("--start", default="2026-11-23")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="cluster sizes to compare")
    ap.add_argument("--json", default=None, help="also write the figures to this JSON file")
    ap.add_argument("--out", default=None, help="write the simulation's CSV and charts here and print its comparison table")
    args = ap.parse_args(argv)

    scenario = load_scenario(args.scenario)
    network = network_for(scenario)
    add = [parse_site(t, scenario.pickup_points) for t in args.add_site]
    if args.add_chosen:
        add += plan_sites(scenario, network, k=args.add_chosen).chosen_points()
    variants, points = make_variants(scenario, add=add)
    config = SimulationConfig(
        days=args.days,
        start=dt.date.fromisoformat(args.start),
        seed=scenario.spec.seed,
        routing=RoutingSettings(iterations=args.iterations, time_limit_s=args.time_limit),
        n_orders=args.orders_per_day,
    )
    print(f"cpu count {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} (machine shared: timings are noisy)")
    print(f"{len(variants)} variant(s) x {args.days} day(s) = {len(variants) * args.days} day plans; "
          f"sites added: {' '.join(p.id for p in add) or 'none'}; {args.iterations} PyVRP iterations per day")
    figures = {}
    results = {}
    for n in args.workers:
        t0 = time.perf_counter()
        with dask_client(n_workers=n) as client:
            startup = time.perf_counter() - t0
            result = run_simulation(scenario, network, variants, points, config, client=client)
        results[n] = result
        per_day = sum(r["wall_s"] for r in result.days) / len(result.days)
        # Day-plan seconds summed over workers per elapsed second: how many ran at once.
        concurrency = sum(r["wall_s"] for r in result.days) / result.days_s
        # CPU seconds a worker got per wall second of its day plans: 1.0 = a core of its own.
        core_share = sum(r["cpu_s"] for r in result.days) / sum(r["wall_s"] for r in result.days)
        cpu_per_day = sum(r["cpu_s"] for r in result.days) / len(result.days)
        figures[n] = {
            "workers": n,
            "startup_s": round(startup, 2),
            "run_s": round(result.wall_s, 2),
            "days_s": round(result.days_s, 2),
            "mean_day_s": round(per_day, 2),
            "concurrency": round(concurrency, 2),
            "mean_day_cpu_s": round(cpu_per_day, 2),
            "core_share_per_worker": round(core_share, 2),
        }
        print(f"{n} worker(s): cluster start {startup:5.1f} s, simulation {result.wall_s:6.1f} s "
              f"of which day plans {result.days_s:6.1f} s "
              f"(mean {per_day:.1f} s wall / {cpu_per_day:.1f} s CPU per day plan, {concurrency:.2f} running at once, "
              f"each worker got {core_share:.0%} of a core), "
              f"load average now {os.getloadavg()[0]:.1f}")
    base = min(args.workers)
    for n in args.workers:
        if n != base:
            speedup = figures[base]["run_s"] / figures[n]["run_s"]
            days_speedup = figures[base]["days_s"] / figures[n]["days_s"]
            figures[n]["speedup_vs_%d" % base] = round(speedup, 2)
            figures[n]["days_speedup_vs_%d" % base] = round(days_speedup, 2)
            print(f"speed-up {n} vs {base} worker(s): {speedup:.2f}x whole simulation, {days_speedup:.2f}x day plans")
    strip = lambda rows: [{k: v for k, v in r.items() if k not in ("wall_s", "cpu_s")} for r in rows]  # noqa: E731
    same = all(strip(results[n].days) == strip(results[base].days) for n in args.workers)
    capped = {n: sum(1 for r in results[n].days if not r["repeatable"]) for n in args.workers}
    print(f"identical day results across cluster sizes: {same} (day plans stopped by the time cap: {capped})")
    if args.out:
        from rich.console import Console

        from scenarios.simulate import write_outputs
        from webui.cli_pickup import print_comparison

        last = results[args.workers[-1]]
        print_comparison(last, Console(width=140))
        paths = write_outputs(last, Path(args.out))
        print("Wrote " + ", ".join(str(p) for p in paths.values()))
    if args.json:
        Path(args.json).write_text(json.dumps({"figures": list(figures.values()), "identical": same}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
