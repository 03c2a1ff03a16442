"""``lastmile sites`` and ``lastmile simulate``: the planner's pickup-point commands (thin shells)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path


def _bad_input(lines):
    from webui.cli import BadInput

    return BadInput(lines)


def _whole_number(minimum: int):
    """An argparse type: a whole number of at least ``minimum``, refused with the fix otherwise."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a whole number")
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value}: give {minimum} or more")
        return value

    return parse


_positive_int = _whole_number(1)
_count = _whole_number(0)


def _load(scenario_name: str):
    from scenarios.planning import network_for
    from scenarios.scenario import ScenarioError, load_scenario

    try:
        scenario = load_scenario(scenario_name)
    except ScenarioError as exc:
        raise _bad_input(str(exc).splitlines())
    if not scenario.customers:
        raise _bad_input(f"scenario '{scenario.name}' has no customers file; run 'lastmile scenario build {scenario_name}' first")
    return scenario, network_for(scenario)


def _planner_points(args: argparse.Namespace, scenario) -> list:
    from scenarios.candidates import CandidateError, parse_site, read_planner_csv

    try:
        points = read_planner_csv(Path(args.candidates)) if getattr(args, "candidates", None) else []
        points += [parse_site(text, scenario.pickup_points) for text in getattr(args, "site", None) or []]
    except (CandidateError, OSError) as exc:
        raise _bad_input(getattr(exc, "problems", None) or [str(exc)])
    return [p for p in points if p.id not in {q.id for q in scenario.pickup_points}]


def _plan_sites(scenario, network, *, k, objective, extra, saving=None, time_limit=60.0):
    from optimizer.sites import SiteSelectionError
    from scenarios.candidates import CandidateError
    from scenarios.siteplan import plan_sites
    from scheduling.choice import ChoiceParamError

    try:
        return plan_sites(
            scenario, network, k=k, objective=objective, extra=extra,
            saving_per_order_override=saving, time_limit_s=time_limit,
        )
    except CandidateError as exc:
        raise _bad_input(exc.problems)
    except ChoiceParamError as exc:
        raise _bad_input(f"{scenario.folder / 'scenario.yaml'}: {exc}")
    except SiteSelectionError as exc:
        raise _bad_input(str(exc))


# --------------------------------------------------------------------------- sites


def cmd_sites(args: argparse.Namespace) -> int:
    from webui.cli import console_for_tables
    from rich.table import Table

    console = console_for_tables()
    scenario, network = _load(args.scenario)
    extra = _planner_points(args, scenario)
    plan = _plan_sites(
        scenario, network, k=args.k, objective=args.objective, extra=extra,
        saving=args.saving_per_order, time_limit=args.time_limit,
    )
    sel, today = plan.selection, plan.today
    cur = scenario.spec.currency
    table = Table(
        title=f"Pickup points: {len(plan.candidates)} candidates, {args.k} new by {args.objective} ({sel.status}); "
        "customers within walking distance"
    )
    table.add_column("site", no_wrap=True)
    table.add_column("status")
    for col in ("walk 300 m", "600 m", "1000 m", "parcels/day", "util.", f"{cur}/day"):
        table.add_column(col, justify="right")
    for r in plan.rows():
        table.add_row(
            r["id"], r["status"], str(r["customers_300m"]), str(r["customers_600m"]),
            str(r["customers_1000m"]), f"{r['parcels_per_day']:.1f}", f"{r['utilization']:.0%}", f"{r['daily_cost']:.0f}",
        )
    console.print(table)
    gain = sel.covered_total - today.covered_total
    console.print(
        f"Expected pickup demand: {today.covered_total:.1f} parcels/day today, {sel.covered_total:.1f} with the new "
        f"site(s) ({gain:+.1f}); site cost {today.site_cost:,.0f} -> {sel.site_cost:,.0f} {cur}/day; "
        f"delivery saving assumed {plan.saving_per_parcel:.2f} {cur}/parcel moved to a point"
    )
    if not sel.chosen:
        console.print("No new site is worth opening under this objective.")
    else:
        console.print("Chosen: " + " ".join(plan.candidates[j].id for j in sel.chosen))
    if args.out:
        from scenarios.siteplan import catchments_geojson

        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        from scheduling.csv_cells import dict_writer

        rows = plan.rows()
        with open(out / "sites.csv", "w", newline="", encoding="utf-8") as f:
            writer = dict_writer(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        open_points = [plan.candidates[j] for j in sel.open_sites]
        (out / "catchments.geojson").write_text(json.dumps(catchments_geojson(network, open_points)), encoding="utf-8")
        console.print(f"Wrote {out / 'sites.csv'}, {out / 'catchments.geojson'}")
    return 0


# --------------------------------------------------------------------------- simulate


def print_comparison(result, console) -> None:
    """Metrics as rows; per variant the mean ± standard deviation over days and the range;
    for variants the paired difference to the baseline (same days, same customers)."""
    from rich.table import Table

    comp = result.comparison().set_index(["variant", "metric"])
    fmt = {
        "cost_per_order": ("Cost per order incl. sites", lambda v: f"{v:,.2f}"),
        "km": ("Distance km", lambda v: f"{v:,.1f}"),
        "on_time_rate": ("On-time rate", lambda v: f"{v:.1%}"),
        "pickup_share": ("Pickup share", lambda v: f"{v:.1%}"),
        "point_utilization": ("Point utilization", lambda v: f"{v:.1%}"),
        "unserved": ("Orders unserved", lambda v: f"{v:.1f}"),
    }
    n_days = len(result.days) // len(result.variants)
    table = Table(title=f"{n_days} simulated day(s) per variant: mean ± sd over days [min .. max]")
    table.add_column("figure", no_wrap=True)
    base = result.variants[0].name
    for v in result.variants:
        table.add_column(v.name, justify="right")
        if v.name != base:
            table.add_column(f"{v.name} - {base}", justify="right")
    for metric, (label, f) in fmt.items():
        cells = [label]
        for v in result.variants:
            r = comp.loc[(v.name, metric)]
            cells.append(f"{f(r['mean'])} ± {f(r['std'])} [{f(r['min'])} .. {f(r['max'])}]")
            if v.name != base:
                sign = "+" if r["diff_vs_baseline"] >= 0 else ""
                cells.append(f"{sign}{f(r['diff_vs_baseline'])} ± {f(r['diff_std'])}")
        table.add_row(*cells)
    console.print(table)
    for v in result.variants:
        console.print(f"  {v.name}: {v.description}")
    console.print(f"  {len(result.days)} day plans on {result.workers} Dask worker(s) in {result.wall_s:.0f} s")
    capped = sum(1 for r in result.days if not r["repeatable"])
    if capped:
        console.print(
            f"  [yellow]{capped} day plan(s) stopped at the time limit before the iteration budget: "
            "their routes can differ between runs (raise --time-limit or lower --iterations)[/]"
        )


def _run_with_progress(run, total: int, quiet: bool):
    if quiet:
        return run(None)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("[bold]Simulating days"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task("days", total=total)
        return run(lambda done, _total: bar.update(task, completed=done))


def cmd_simulate(args: argparse.Namespace) -> int:
    from webui.cli import console_for_tables

    from scenarios.candidates import CandidateError, check_on_network, parse_site
    from scenarios.pickup_model import choice_params
    from scheduling.choice import ChoiceParamError
    from scenarios.simulate import (
        RoutingSettings,
        SimulationConfig,
        SimulationError,
        dask_client,
        make_variants,
        run_simulation,
        write_outputs,
    )

    console = console_for_tables()
    scenario, network = _load(args.scenario)
    try:
        choice_params(scenario)  # refuse a bad choice: mapping before starting any cluster
    except ChoiceParamError as exc:
        raise _bad_input(f"{scenario.folder / 'scenario.yaml'}: {exc}")
    try:
        add = [parse_site(text, scenario.pickup_points) for text in args.add_site]
        check_on_network(add, network, scenario.spec.snap_max_distance_m)
    except CandidateError as exc:
        raise _bad_input(exc.problems)
    if args.add_chosen:
        plan = _plan_sites(scenario, network, k=args.add_chosen, objective="coverage", extra=add)
        chosen = [p for p in plan.chosen_points() if p.id not in {q.id for q in add}]
        console.print("Site selection chose: " + " ".join(p.id for p in chosen))
        add += chosen
    try:
        variants, points = make_variants(scenario, add=add, remove=args.remove_site)
        config = SimulationConfig(
            days=args.days,
            start=args.start,
            seed=scenario.spec.seed if args.seed is None else args.seed,
            routing=RoutingSettings(engine=args.engine, iterations=args.iterations, time_limit_s=args.time_limit),
            n_orders=args.orders_per_day,
        )
        if len(variants) == 1:
            console.print("No site added or removed: simulating the baseline only.")
        with dask_client(args.scheduler, n_workers=args.workers, timeout_s=args.connect_timeout) as client:
            console.print(
                f"Simulating {args.days} day(s) x {len(variants)} variant(s) from {config.start} on "
                f"{len(client.scheduler_info().get('workers', {}))} Dask worker(s) (seed {config.seed})"
            )
            result = _run_with_progress(
                lambda progress: run_simulation(scenario, network, variants, points, config, client=client, progress=progress),
                len(variants) * config.days,
                args.quiet,
            )
    except SimulationError as exc:
        raise _bad_input(str(exc))
    except ChoiceParamError as exc:
        raise _bad_input(f"{scenario.folder / 'scenario.yaml'}: {exc}")
    print_comparison(result, console)
    paths = write_outputs(result, Path(args.out))
    console.print("Wrote " + ", ".join(str(p) for p in paths.values()))
    return 0


# --------------------------------------------------------------------------- parser


def add_commands(sub, positive_seconds, date_type) -> None:
    """Register ``sites`` and ``simulate`` on the ``lastmile`` sub-parser."""
    p = sub.add_parser("sites", help="choose new pickup points: coverage and cost of the best k candidates")
    p.add_argument("--scenario", default="gothenburg", help="built-in scenario name or folder (default gothenburg)")
    p.add_argument("--k", type=_count, required=True, help="how many new sites to open")
    p.add_argument("--objective", choices=("coverage", "cost"), default="coverage",
                   help="coverage: most expected pickup parcels; cost: site cost minus delivery cost saved (at most k)")
    p.add_argument("--candidates", default=None, help="CSV of extra candidates: lat,lon,type,capacity,hours,daily_cost")
    p.add_argument("--site", action="append", default=[], metavar="LAT,LON[,TYPE,CAPACITY,HOURS,COST]",
                   help="an extra candidate (repeatable)")
    p.add_argument("--saving-per-order", type=float, default=None,
                   help="delivery cost saved per order moved to a point (default: estimated from the scenario)")
    p.add_argument("--time-limit", type=positive_seconds, default=60.0, help="solver seconds (default 60)")
    p.add_argument("--out", default=None, help="folder for sites.csv and catchments.geojson")
    p.set_defaults(func=cmd_sites)

    p = sub.add_parser("simulate", help="what-if: simulate days with pickup points added or removed, on Dask")
    p.add_argument("--scenario", default="gothenburg", help="built-in scenario name or folder (default gothenburg)")
    p.add_argument("--add-site", action="append", default=[], metavar="ID_OR_LATLON",
                   help="open a candidate (id) or a new point LAT,LON[,TYPE,CAPACITY,HOURS,COST] (repeatable)")
    p.add_argument("--add-chosen", type=_count, default=0, metavar="K",
                   help="also open the K sites 'lastmile sites --k K' chooses")
    p.add_argument("--remove-site", action="append", default=[], metavar="ID", help="close a point open today (repeatable)")
    p.add_argument("--days", type=_positive_int, default=14, help="days to simulate (default 14)")
    p.add_argument("--start", type=date_type, default=dt.date.today() + dt.timedelta(days=1),
                   help="first simulated day YYYY-MM-DD (default tomorrow)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: the scenario's)")
    p.add_argument("--orders-per-day", type=_positive_int, default=None, help="override the demand model's order count")
    p.add_argument("--engine", choices=("repeatable", "auto", "ortools", "pyvrp"), default="repeatable",
                   help="routing: repeatable (PyVRP, fixed seed and iterations; default) or a time-limited engine")
    p.add_argument("--iterations", type=_positive_int, default=500, help="PyVRP iterations per day, repeatable routing (default 500)")
    p.add_argument("--time-limit", type=positive_seconds, default=60.0,
                   help="seconds per day: the safety cap for repeatable routing, the limit for the others (default 60)")
    p.add_argument("--workers", type=_positive_int, default=2, help="local Dask worker processes (default 2)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS", help="use this Dask scheduler (tcp://host:8786)")
    p.add_argument("--connect-timeout", type=positive_seconds, default=10.0, help="seconds to reach --scheduler (default 10)")
    p.add_argument("--out", default="out/simulate", help="folder for days.csv, comparison.csv, points.csv, PNG charts")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=cmd_simulate)
