"""The ``lastmile`` command line: a thin shell over scenarios, optimizer and the web app.

Exit status: 0 success, 2 bad input (the message names the file, line and column), 1 anything else.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Sequence

EXIT_BAD_INPUT = 2
USER_ROLES = ("dispatcher", "planner", "admin")  # webui.accounts.ROLES, without importing the store to parse


class BadInput(Exception):
    """Input the user must fix; ``lines`` are printed one per problem."""

    def __init__(self, lines: Sequence[str] | str):
        self.lines = [lines] if isinstance(lines, str) else list(lines)
        super().__init__("\n".join(self.lines))


def console_for_tables():
    """A rich console: the terminal's width on a terminal, wide enough for any table in a pipe or file.

    Rich assumes 80 columns when output is not a terminal, which truncates the zone columns.
    """
    from rich.console import Console

    console = Console()
    return console if console.is_terminal else Console(width=220)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date; write it as YYYY-MM-DD, for example 2026-11-24")


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds")
    if value <= 0:
        raise argparse.ArgumentTypeError("the time limit must be more than 0 seconds")
    return value


def tomorrow() -> dt.date:
    return dt.date.today() + dt.timedelta(days=1)


# --------------------------------------------------------------------------- plan


def _solve_with_progress(
    run: Callable[[Callable[[float, float], None] | None], object], time_limit_s: float, quiet: bool, label: str
) -> object:
    """Run ``run(on_improvement)`` while a progress bar shows time against the limit and the
    best cost found so far (the planner calls ``on_improvement(elapsed_s, cost in currency)``)."""
    if quiet:
        return run(None)
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    done = threading.Event()
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), TimeElapsedColumn(), transient=True
    ) as progress:
        task = progress.add_task(label, total=time_limit_s)

        def improved(_elapsed: float, cost: float) -> None:
            progress.update(task, description=f"{label} (best cost {cost:,.0f})")

        def tick() -> None:
            start = time.monotonic()
            while not done.wait(0.25):
                progress.update(task, completed=min(time.monotonic() - start, time_limit_s))

        ticker = threading.Thread(target=tick, daemon=True)
        ticker.start()
        try:
            return run(improved)
        finally:
            done.set()
            ticker.join()


def _load_orders(args: argparse.Namespace, scenario, network) -> list:
    from geo.snap import SnapError
    from scenarios.dayorders import generate_day
    from scheduling.orders_csv import OrderFileError, parse_orders

    if args.orders is None:
        return generate_day(scenario, args.date)

    def far_from_streets(rows) -> list[str]:
        try:
            network.snap(
                [lat for _, lat, _ in rows],
                [lon for _, _, lon in rows],
                labels=[f"line {line}, columns lat/lon:" for line, _, _ in rows],
                max_distance_m=scenario.spec.snap_max_distance_m,
            )
        except SnapError as exc:
            return exc.problems
        return []

    try:
        return parse_orders(
            Path(args.orders),
            tiers=scenario.tier_names(),
            pickup_points=scenario.pickup_refs(),
            service=scenario.service_times(),
            check_locations=far_from_streets,
        )
    except OrderFileError as exc:
        raise BadInput([f"{exc.source}: {p}" for p in exc.problems] + ["nothing was imported"])


class _CliProgress:
    """A Workbench progress object that feeds the progress bar's improvement callback."""

    def __init__(self, on_improvement):
        self.on_improvement = on_improvement

    def stage(self, text: str) -> None:
        pass

    def solution(self, elapsed_s: float, objective: float) -> None:
        if self.on_improvement is not None:
            self.on_improvement(elapsed_s, objective)  # currency, as the progress bar shows it


def _open_store(url: str | None):
    """The booking store at ``url``; a URL that cannot be opened is bad input, not a traceback."""
    from sqlalchemy.exc import ArgumentError, OperationalError

    from scheduling.storage import open_database

    try:
        return open_database(url)
    except (OperationalError, ArgumentError, ValueError) as exc:
        shown = url or "LASTMILE_DATABASE_URL / var/lastmile.db"
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise BadInput(f"--database-url {shown}: cannot open the store ({reason}); check the URL and that its folder exists")


def _booked_day(args: argparse.Namespace, scenario, network, console) -> int:
    """``lastmile plan --bookings``: plan the date's bookings from the store, optionally publish."""
    from scenarios.dispatch.errors import JobFailed
    from scenarios.dispatch.publication import PublishError
    from scenarios.dispatch.workbench import Workbench
    from scenarios.export import write_plan_files

    db = _open_store(args.database_url)
    bench = Workbench(db, {"SCENARIO": args.scenario, "IMPORT_DIR": args.import_dir, "SOLVER_ENGINE": args.engine})
    date = args.date.isoformat()
    try:
        day = bench.day_orders(date)
    except Exception as exc:  # DayError: a stored file that no longer parses
        raise BadInput([str(exc), *getattr(exc, "problems", [])])
    if not day.orders:
        raise BadInput(f"no bookings and no imported orders for {date} in {db.url}: nothing to plan")
    if day.count("api") == 0 and args.publish:
        raise BadInput(f"{date} has no confirmed bookings in {db.url}: there is nothing to publish")
    if not args.quiet:
        console.print(f"Planning [bold]{len(day.orders)}[/] orders for {date} ({day.describe()}; "
                      f"{len(scenario.vehicles())} vehicles, engine {args.engine}, {args.time_limit:g} s)")
        for line in day.dropped:
            console.print(f"  [yellow]left out[/] {line}")
    try:
        plan_id, result, _ = _solve_with_progress(
            lambda on_improvement: bench.plan_day(date, args.user, args.time_limit, _CliProgress(on_improvement)),
            args.time_limit, args.quiet, "Solving",
        )
    except JobFailed as exc:
        raise BadInput(str(exc))
    out = Path(args.out) if args.out else Path("out") / f"plan-{args.date}"
    paths = write_plan_files(result, network, out)
    print_scorecard(result, console)
    console.print(f"Saved as plan #{plan_id} in {db.url}")
    console.print("Wrote " + ", ".join(str(p) for p in paths.values()))
    if args.publish:
        try:
            done = bench.publish(date, args.user, plan_id=plan_id, force=args.force)
        except PublishError as exc:
            raise BadInput(f"not published: {exc}")
        print_publication(done, console)
    return 0


def print_publication(done, console) -> None:
    """One line for the publication and one per shop: planned, ETA windows sent, unserved with reasons."""
    console.print(f"Published plan #{done.plan_id} for {done.date}: {done.planned} bookings planned, "
                  f"{done.unserved} unserved, " + (f"{done.to_carriers} with carriers, " if done.to_carriers else "")
                  + f"{done.events} event(s) for the shops")
    for name, r in sorted(done.shops.items()):
        reasons: dict[str, int] = {}
        for _, reason in r.unserved:
            reasons[reason] = reasons.get(reason, 0) + 1
        why = (" (" + ", ".join(f"{n} {k}" for k, n in sorted(reasons.items())) + ")") if reasons else ""
        console.print(f"  {name}: {r.planned} bookings planned, {r.eta_sent} ETA windows sent, {len(r.unserved)} unserved{why}")


def cmd_plan(args: argparse.Namespace) -> int:

    from scenarios.export import write_plan_files
    from scenarios.planning import network_for, plan_day
    from scenarios.scenario import ScenarioError, load_scenario

    console = console_for_tables()
    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as exc:
        raise BadInput(str(exc).splitlines())
    network = network_for(scenario)
    if getattr(args, "bookings", False):
        if args.orders:
            raise BadInput("--orders and --bookings exclude each other: import the file on the day page "
                           "(it is merged with the bookings), or leave out --bookings")
        return _booked_day(args, scenario, network, console)
    if getattr(args, "publish", False):
        raise BadInput("--publish needs --bookings: only a plan of the booked day can be published")
    orders = _load_orders(args, scenario, network)
    if not orders:
        raise BadInput(f"no orders for {args.date}: nothing to plan")
    if not args.quiet:
        console.print(
            f"Planning [bold]{len(orders)}[/] orders for {args.date} "
            f"({scenario.name}, {len(scenario.vehicles())} vehicles, engine {args.engine}, {args.time_limit:g} s)"
        )
    result = _solve_with_progress(
        lambda on_improvement: plan_day(
            scenario,
            orders,
            date=args.date.isoformat(),
            time_limit_s=args.time_limit,
            engine=args.engine,
            progress=on_improvement,
            network=network,
        ),
        args.time_limit,
        args.quiet,
        "Solving",
    )
    out = Path(args.out) if args.out else Path("out") / f"plan-{args.date}"
    paths = write_plan_files(result, network, out)
    print_scorecard(result, console)
    console.print("Wrote " + ", ".join(str(p) for p in paths.values()))
    return 0


def print_scorecard(result, console) -> None:
    from rich.table import Table

    sc = result.scorecard
    table = Table(title=f"Scorecard {result.plan.date}", caption=f"engine: {result.plan.engine}", show_header=False)
    table.add_column("figure")
    table.add_column("value", justify="right")
    cur = sc.currency
    rows = [
        ("Orders served", f"{sc.orders_served} / {sc.orders_total}"),
        *([("Handed to carriers", ", ".join(f"{n} {kind}" for kind, n in sc.carrier_orders_by_kind.items())
            + f", {sc.cost_carriers:,.0f} {cur}")] if sc.orders_to_carriers else []),
        *([("Returns collected", f"{sc.returns_collected} orders, {sc.parcels_collected} parcels")]
          if sc.returns_collected else []),
        *([("Pickup-and-delivery", f"{sc.pair_orders} orders picked up and delivered on the routes")]
          if sc.pair_orders else []),
        ("On-time rate", f"{sc.on_time_rate:.1%}"),
        *([("Late within allowance", f"{sc.soft_late_orders} orders, {sc.minutes_late:,.0f} min, "
                                     f"{sc.cost_lateness:,.0f} {cur}")] if sc.soft_late_orders else []),
        ("Vehicles used", f"{sc.vehicles_used} / {sc.vehicles_available}"),
        ("Stops", f"{sc.stops}"),
        ("Distance", f"{sc.km:,.1f} km"),
        ("Driver hours", f"{sc.driver_hours:,.1f} h"
                         + (f", {sc.breaks} break{'s' if sc.breaks != 1 else ''}" if sc.breaks else "")
                         + (f", {sc.overtime_hours:,.1f} h overtime" if sc.overtime_hours else "")),
        ("Cost: transport", f"{sc.cost_transport:,.0f} {cur}"),
        ("Cost: labour", f"{sc.cost_labour:,.0f} {cur}"),
        ("Cost: vehicles", f"{sc.cost_fixed:,.0f} {cur}"),
        *([("Cost: lateness", f"{sc.cost_lateness:,.0f} {cur}")] if sc.cost_lateness else []),
        *([("Cost: overtime", f"{sc.cost_overtime:,.0f} {cur}")] if sc.cost_overtime else []),
        ("Cost: total", f"{sc.cost_total:,.0f} {cur}"),
        ("Cost per order", f"{sc.cost_per_order:,.2f} {cur}"),
        ("Stops per driver hour", f"{sc.stops_per_driver_hour:.2f}"),
        ("Vehicle utilization", f"{sc.vehicle_utilization:.1%}"),
        *([("Weight carried", f"{sc.weight_kg:,.0f} kg" + (f" ({sc.weight_utilization:.1%} of capacity)"
                                                             if sc.weight_utilization is not None else ""))]
          if sc.weight_kg else []),
        *([("Volume carried", f"{sc.volume_l:,.0f} l" + (f" ({sc.volume_utilization:.1%} of capacity)"
                                                           if sc.volume_utilization is not None else ""))]
          if sc.volume_l else []),
        ("Preference match", f"{sc.preference_match_rate:.1%}"),
        ("Pickup-point share", f"{sc.pickup_share:.1%}"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)
    if result.plan.unserved:
        console.print(f"[yellow]{len(result.plan.unserved)} order(s) unserved:[/]")
        for u in result.plan.unserved[:20]:
            console.print(f"  {u.order_id}: {u.reason.value} ({u.detail})")
        if len(result.plan.unserved) > 20:
            console.print(f"  ... and {len(result.plan.unserved) - 20} more in plan.json")


def cmd_demo(args: argparse.Namespace) -> int:
    """The whole loop on the embedded default: customers book, the cut-off passes, the dispatcher
    plans the booked day from the store and publishes ETA windows to the shops."""
    from scenarios.dispatch.demo import run_demo
    from scenarios.export import write_plan_files
    from scenarios.planning import network_for
    from scenarios.scenario import load_scenario

    console = console_for_tables()
    scenario = load_scenario("gothenburg")
    out = Path(args.out or "out/demo")
    if not args.quiet:
        console.print(f"Demo {args.date}: three shops' customers book through the booking service, then the "
                      f"dispatcher plans the booked day ({args.time_limit:g} s) and publishes it; then the day is driven")
    booking, plan_id, result, published, bench = _solve_with_progress(
        lambda on_improvement: run_demo(scenario, args.date, out, time_limit_s=args.time_limit,
                                        on_solution=_CliProgress(on_improvement)),
        args.time_limit, args.quiet, "Booking and planning",
    )
    refused = sum(booking.refused.values())
    why = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(booking.refused.items()))
    console.print(f"Booked {booking.booked} of {booking.orders} orders ({booking.pickup} at pickup points, "
                  f"{booking.first_choice} got their first choice); {refused} found no slot" + (f" ({why})" if why else ""))
    if booking.first_choice_refused:
        told = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(booking.first_choice_refused.items()))
        console.print(f"First choices the offers refused: {told}; those customers took the next best option")
    print_scorecard(result, console)
    print_publication(published, console)
    paths = write_plan_files(result, network_for(scenario), out)
    console.print(f"Store: {out / 'lastmile.db'} (plan #{plan_id}); wrote " + ", ".join(str(p) for p in paths.values()))
    if not args.no_drive:
        from scenarios.dispatch.demo import drive_the_day
        from webui.cli_scorecard import print_actual_day

        drove, actual = _solve_with_progress(lambda _p: drive_the_day(bench, scenario, args.date), 60.0, args.quiet,
                                             "Driving the day")
        console.print(drove.summary())
        print_actual_day(actual.to_dict(), console)
    return 0


# --------------------------------------------------------------------------- scenario


def cmd_scenario_build(args: argparse.Namespace) -> int:
    from scenarios.build import build_scenario_files
    from scenarios.planning import network_for
    from scenarios.scenario import ScenarioError, load_scenario

    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as exc:
        raise BadInput(str(exc).splitlines())
    paths = build_scenario_files(scenario, network_for(scenario), n_customers=args.customers)
    print("Wrote " + ", ".join(str(p) for p in paths))
    return 0


# --------------------------------------------------------------------------- users


def _read_password(args: argparse.Namespace, prompt: str = "Password") -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    if not sys.stdin.isatty():
        raise BadInput("no terminal to ask for the password: pipe it in with --password-stdin")
    first = getpass.getpass(f"{prompt} for {args.username}: ")
    if getpass.getpass("Same password again: ") != first:
        raise BadInput("the two passwords differ; nothing was stored")
    return first


def _account(change, *args, **kwargs):
    """Run one of :mod:`webui.accounts`' changes; its refusal (naming the field and fix) is bad input."""
    from webui.accounts import AccountError

    try:
        return change(*args, **kwargs, actor="cli")
    except AccountError as exc:
        raise BadInput(str(exc))


def cmd_user_add(args: argparse.Namespace) -> int:
    from webui.accounts import add_user

    password = _read_password(args)
    user = _account(add_user, _open_store(args.database_url), args.username, password, args.role)
    print(f"Added {user.role} '{user.username}'.")
    return 0


def cmd_user_remove(args: argparse.Namespace) -> int:
    from webui.accounts import remove_user

    _account(remove_user, _open_store(args.database_url), args.username)
    print(f"Removed '{args.username}'.")
    return 0


def cmd_user_password(args: argparse.Namespace) -> int:
    from webui.accounts import set_password

    db = _open_store(args.database_url)
    if not any(u.username == args.username.strip() for u in _users(db)):
        raise BadInput(f"user '{args.username}' does not exist; check the name (lastmile user list shows them)")
    password = _read_password(args, "New password")
    _account(set_password, db, args.username, password)
    print(f"'{args.username}' has a new password.")
    return 0


def cmd_user_role(args: argparse.Namespace) -> int:
    from webui.accounts import set_role

    before = _account(set_role, _open_store(args.database_url), args.username, args.role)
    print(f"'{args.username}' is now a {args.role} (was {before}).")
    return 0


def _users(db) -> list:
    from webui.accounts import list_users

    return list_users(db)


def cmd_user_list(args: argparse.Namespace) -> int:
    for u in _users(_open_store(args.database_url)):
        print(f"{u.username}\t{u.role}\t{u.created_at:%Y-%m-%d %H:%M}" if u.created_at else f"{u.username}\t{u.role}\t")
    return 0


# --------------------------------------------------------------------------- bench


def cmd_bench(args: argparse.Namespace) -> int:
    from optimizer import bench

    argv = [args.kind, *args.files, "--engine", args.engine]
    if args.time_limit is not None:  # else the family's default: 10 s for vrptw, 60 s for the variants
        argv += ["--time-limit", str(args.time_limit)]
    if args.seed is not None:
        argv += ["--seed", str(args.seed)]
    if args.cores is not None:
        if args.kind == "vrptw":
            raise BadInput(["--cores: for the variants only; vrptw's auto engine uses every core already"])
        argv += ["--cores", str(args.cores)]
    if not args.exchange:
        if args.kind == "vrptw":
            raise BadInput(["--no-exchange: for the variants only; vrptw's auto engine runs its own portfolio"])
        argv.append("--no-exchange")
    if args.max_perturbations is not None:
        if args.kind == "vrptw":
            raise BadInput(["--max-perturbations: for the variants only"])
        argv += ["--max-perturbations", str(args.max_perturbations)]
    if args.json:
        argv.append("--json")
    return bench.main(argv)


# --------------------------------------------------------------------------- forecast, capacity


def _scenario_or_bad_input(name: str):
    from scenarios.scenario import ScenarioError, load_scenario

    try:
        return load_scenario(name)
    except ScenarioError as exc:
        raise BadInput(str(exc).splitlines())


HISTORY_SETTING_CHOICES = ("clean", "messy")  # scenarios.history_gen.HISTORY_SETTINGS, without importing it to parse
HISTORY_SETTING_HELP = (
    "generated history: clean (the model's own structure, default) or messy (a real shop's quirks the "
    "calendar does not list: a new housing area, forgotten promotions, snow weeks, stock-outs, weekday drift); "
    "ignored with --history"
)


def _forecast(args: argparse.Namespace, scenario, start: dt.date, horizon: int):
    from scenarios.demand import scenario_forecast, scenario_history
    from scheduling.history import HistoryFileError

    try:
        history = scenario_history(scenario, start - dt.timedelta(days=1), Path(args.history) if args.history else None,
                                   setting=args.history_setting)
    except HistoryFileError as exc:
        raise BadInput([f"{exc.source}: {p}" for p in exc.problems] + ["nothing was imported"])
    except ValueError as exc:
        raise BadInput(str(exc))
    try:
        return scenario_forecast(scenario, start, horizon=horizon, history=history)
    except ValueError as exc:
        raise BadInput(str(exc))


def cmd_forecast(args: argparse.Namespace) -> int:
    from rich.table import Table

    from scenarios.demand import write_forecast_files

    console = console_for_tables()
    scenario = _scenario_or_bad_input(args.scenario)
    if not args.quiet:
        console.print(f"Forecasting {args.horizon} days from {args.start} for {scenario.name} "
                      "(backtest picks the city's model; each zone gets its share)")
    fc = _solve_with_progress(lambda _progress: _forecast(args, scenario, args.start, args.horizon), 120.0, args.quiet, "Fitting")
    zd = fc.zone_days()
    table = Table(title=f"Orders per day, forecast ({fc.level:.0%} interval)")
    table.add_column("date")
    for zone in fc.zones:
        table.add_column(zone, justify="right")
    table.add_column("total", justify="right")
    table.add_column("calendar")
    for day, g in zd.groupby("date"):
        cells = [f"{r.forecast:.0f} [{r.lower:.0f}-{r.upper:.0f}]" for r in g.itertuples()]
        table.add_row(f"{day:%a %d %b}", *cells, f"{g['forecast'].sum():.0f}", g["calendar"].iloc[0])
    console.print(table)
    if fc.city is not None:
        console.print(f"  city: {fc.city.note}")
    for zone, zf in fc.zones.items():
        console.print(f"  {zone}: {zf.method} - {zf.note}")
    out = Path(args.out) if args.out else Path("out") / f"forecast-{scenario.name}-{args.start}"
    paths = write_forecast_files(fc, out)
    console.print("Wrote " + ", ".join(str(p) for p in paths.values()))
    return 0


def cmd_capacity(args: argparse.Namespace) -> int:
    from rich.table import Table

    from scenarios.capacity_plan import plan_capacity, write_capacities, write_capacity_files
    from scenarios.planning import network_for

    console = console_for_tables()
    scenario = _scenario_or_bad_input(args.scenario)
    start = args.from_date or min(args.date, tomorrow())
    if args.date < start:
        raise BadInput(f"--date {args.date} is before the forecast start {start}; the history must end before the day")
    horizon = (args.date - start).days + 1
    fc = _solve_with_progress(lambda _progress: _forecast(args, scenario, start, horizon), 120.0, args.quiet, "Forecasting")
    plan = _solve_with_progress(
        lambda _progress: plan_capacity(scenario, fc, args.date, quantile=args.quantile, time_limit_s=args.time_limit,
                              engine=args.engine, network=network_for(scenario)),
        args.time_limit * 3, args.quiet, "Sizing the fleet",
    )
    table = Table(title=f"Slot capacity {args.date} (forecast P{args.quantile * 100:.0f}) {fc.calendar.describe(args.date)}")
    table.add_column("slot")
    zones = list(fc.zones)
    for zone in zones:
        table.add_column(zone, justify="right")
    table.add_column("total", justify="right")
    by = {(s.zone, s.slot): s.capacity for s in plan.slots}
    for slot in sorted({s.slot for s in plan.slots}):
        caps = [by.get((z, slot), 0) for z in zones]
        table.add_row(slot, *[str(c) for c in caps], str(sum(caps)))
    console.print(table)
    console.print(
        f"Representative day: {plan.orders} orders ({plan.parcels} parcels) -> [bold]{plan.vans} vans[/], "
        f"{plan.driver_hours:.1f} driver hours, {plan.km:.0f} km; on time {plan.on_time_all:.1%} of all orders "
        f"({plan.orders_served} served)"
    )
    out = Path(args.out) if args.out else Path("out") / f"capacity-{scenario.name}"
    paths = write_capacity_files(plan, out)
    console.print("Wrote " + ", ".join(str(p) for p in paths.values()))
    if args.database:
        n = write_capacities(plan, args.database)
        console.print(f"Set {n} slot capacities in the booking store")
    return 0


# --------------------------------------------------------------------------- serve, shop


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a port number")
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError("the port must be between 1 and 65535")
    return value


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the web app and booking API with waitress (a production WSGI server in pure Python)."""
    import logging

    from waitress import serve

    from scenarios.scenario import ScenarioError
    from webui.api.context import booking_app
    from webui.app import create_app

    config = {"SCENARIO": args.scenario}
    if args.database_url:
        config["DATABASE_URL"] = args.database_url
    if args.no_resolve:
        config["BOOKING_RESOLVE"] = False
    workers = getattr(args, "workers", 1) or 1
    if workers < 1:
        raise BadInput(f"--workers {workers}: give 1 or more server processes")
    if workers > 1:
        return _serve_processes(args, config, workers)
    from webui.app import SecretKeyError

    try:
        app = create_app(config)
    except SecretKeyError as exc:
        raise BadInput(str(exc).splitlines())
    try:
        booking_app(app)  # load the network now, not on the first customer's request
    except ScenarioError as exc:
        raise BadInput(str(exc).splitlines())
    from webui.serving import start_background

    from webui.multiproc import inherited_socket

    index = getattr(args, "worker_index", None)
    stop_background = start_background(app, scheduler=getattr(args, "scheduler", None), retention=index in (None, 0))
    logging.basicConfig(level=logging.INFO)
    shared = inherited_socket()  # a process of ``--workers N``: the parent's listening socket
    where = dict(sockets=[shared]) if shared is not None else dict(host=args.host, port=args.port)
    if shared is None:
        print(f"lastmile serving on http://{args.host}:{args.port} (API at /api/v1, {args.threads} threads)", flush=True)
    try:
        # Bodies over the app's limit are refused by waitress before they are buffered (its default is 1 GiB).
        serve(app, **where, threads=args.threads, ident="lastmile", channel_timeout=30,
              max_request_body_size=app.config["MAX_CONTENT_LENGTH"])
    finally:
        stop_background()
    return 0


def _serve_processes(args: argparse.Namespace, config: dict, workers: int) -> int:
    """``serve --workers N``: check what every process needs, then start them (webui.multiproc)."""
    from webui.app import SecretKeyError, create_app, require_secret_key_for_processes
    from webui.multiproc import run_workers

    try:
        # Also migrates the store once, before the processes start.
        require_secret_key_for_processes(create_app(config), workers)
    except SecretKeyError as exc:
        raise BadInput(str(exc).splitlines())
    from webui.jobs import DEFAULT_PROCESSES, DEFAULT_THREADS

    processes = int(os.environ.get("LASTMILE_SOLVER_PROCESSES", DEFAULT_PROCESSES))
    threads = int(os.environ.get("LASTMILE_SOLVER_THREADS", DEFAULT_THREADS))
    return run_workers(args.argv, args.host, args.port, workers, processes, threads)


def cmd_shop_add(args: argparse.Namespace) -> int:
    from scheduling.audit import record
    from scheduling.storage import open_database
    from webui.api.auth import create_shop

    db = open_database(args.database_url)
    try:
        shop_id, key = create_shop(db, args.name)
    except ValueError as exc:
        raise BadInput(str(exc))
    record(db, "cli", "key.create", f"shop:{args.name.strip()}", f"shop id {shop_id}: new shop and its API key")
    if args.key_only:
        print(key)
    else:
        print(f"Shop '{args.name}' (id {shop_id}) added. Its API key, shown only now:")
        print(key)
    return 0


# --------------------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lastmile", description="Plan personalized last-mile delivery.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add_plan_options(p: argparse.ArgumentParser, time_limit: float) -> None:
        p.add_argument("--date", type=_date, default=tomorrow(), help="plan date YYYY-MM-DD (default: tomorrow)")
        p.add_argument("--time-limit", type=_positive_seconds, default=time_limit, help=f"solver wall-clock seconds (default {time_limit:g})")
        p.add_argument("--out", default=None, help="folder for plan.json, routes.csv, routes.geojson, scorecard.json")
        p.add_argument("--quiet", action="store_true", help="no progress display")

    p = sub.add_parser("plan", help="plan a day's routes and print the scorecard")
    p.add_argument("--scenario", default="gothenburg", help="built-in scenario name or folder (default gothenburg)")
    p.add_argument("--orders", default=None, help="plan this order CSV instead of the scenario's generated day")
    p.add_argument("--engine", choices=("auto", "ortools", "pyvrp"), default="auto", help="search engine (default auto)")
    p.add_argument("--bookings", action="store_true",
                   help="plan the date's confirmed bookings from the store (merged with an order file imported on the day page)")
    p.add_argument("--publish", action="store_true", help="with --bookings: publish the plan (ETA windows to bookings, events to shops)")
    p.add_argument("--force", action="store_true", help="with --publish: publish even before the booking cut-off or with late stops")
    p.add_argument("--database-url", default=None, help="SQLAlchemy URL of the store (default: LASTMILE_DATABASE_URL or var/lastmile.db)")
    p.add_argument("--import-dir", default=os.environ.get("LASTMILE_IMPORT_DIR") or str(Path("var") / "imports"),
                   help="where the day page keeps imported order files (default LASTMILE_IMPORT_DIR or var/imports)")
    p.add_argument("--user", default="cli", help="who planned and published, for the history (default cli)")
    add_plan_options(p, 30.0)
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("demo", help="the whole loop on the default Gothenburg scenario: book tomorrow, plan it from the bookings, publish, drive")
    add_plan_options(p, 20.0)
    p.add_argument("--no-drive", action="store_true", help="stop after publishing (do not drive the day)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("scenario", help="scenario tools")
    ssub = p.add_subparsers(dest="scenario_command", required=True, metavar="ACTION")
    b = ssub.add_parser("build", help="(re)write a scenario's customers.csv and pickup_points.csv from its network")
    b.add_argument("scenario", help="built-in scenario name or folder")
    b.add_argument("--customers", type=int, default=4000, help="how many customers to place (default 4000)")
    b.set_defaults(func=cmd_scenario_build)

    p = sub.add_parser("user", help="web UI accounts")
    usub = p.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    db_help = "database URL (default: LASTMILE_DATABASE_URL or var/lastmile.db)"
    u = usub.add_parser("add", help="add a dispatcher, planner or admin who signs in to the web UI")
    u.add_argument("username", help="the name to sign in with")
    u.add_argument("--role", choices=USER_ROLES, default="dispatcher",
                   help="dispatcher: plans and sees the day's stops; planner: forecasts and what-ifs, zone figures only; "
                        "admin: users, shops and the audit log (default dispatcher)")
    u.add_argument("--password-stdin", action="store_true", help="read the password from the first line of standard input")
    u.add_argument("--database-url", default=None, help=db_help)
    u.set_defaults(func=cmd_user_add)
    u = usub.add_parser("remove", help="remove a user (not the last admin)")
    u.add_argument("username", help="the user's name")
    u.add_argument("--database-url", default=None, help=db_help)
    u.set_defaults(func=cmd_user_remove)
    u = usub.add_parser("password", help="give a user a new password (asked twice, or --password-stdin)")
    u.add_argument("username", help="the user's name")
    u.add_argument("--password-stdin", action="store_true", help="read the new password from the first line of standard input")
    u.add_argument("--database-url", default=None, help=db_help)
    u.set_defaults(func=cmd_user_password)
    u = usub.add_parser("role", help="give a user another role (the last admin stays admin)")
    u.add_argument("username", help="the user's name")
    u.add_argument("role", choices=USER_ROLES, help="the new role")
    u.add_argument("--database-url", default=None, help=db_help)
    u.set_defaults(func=cmd_user_role)
    u = usub.add_parser("list", help="list users: name, role, created (UTC)")
    u.add_argument("--database-url", default=None, help=db_help)
    u.set_defaults(func=cmd_user_list)

    p = sub.add_parser("bench", help="benchmark the routing engine on standard instances")
    p.add_argument(
        "kind", choices=("vrptw", "mtvrptwr", "pcvrptw", "mdvrptw"),
        help="instance family: vrptw, or the variants (multi-trip with release times, prize-collecting, multi-depot)",
    )
    p.add_argument("files", nargs="+", help="VRPLIB instance files")
    p.add_argument("--time-limit", type=_positive_seconds, default=None, help="seconds per instance (10 for vrptw, 60 for the variants)")
    p.add_argument("--engine", choices=("auto", "ortools", "pyvrp"), default="auto")
    p.add_argument("--seed", type=int, default=None, help="solver seed (default 0 for vrptw, 1 for the variants)")
    p.add_argument("--cores", type=int, default=None, metavar="N",
                   help="variants: PyVRP searches at once, one per core with seeds seed, seed+1, ..., best kept "
                        "(default: every core)")
    p.add_argument("--no-exchange", dest="exchange", action="store_false",
                   help="variants: the searches never hand each other their best plan (best of several seeds)")
    p.add_argument("--max-perturbations", type=int, default=None, metavar="N",
                   help="variants: PyVRP's most perturbations per iteration (default 10; PyVRP's own is 25)")
    p.add_argument("--json", action="store_true", help="print one JSON list")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("forecast", help="forecast orders per zone, day and slot; print a table, write CSV and a chart")
    p.add_argument("--scenario", default="gothenburg", help="built-in scenario name or folder (default gothenburg)")
    p.add_argument("--horizon", type=int, default=14, help="days to forecast (default 14)")
    p.add_argument("--start", type=_date, default=tomorrow(), help="first forecast day YYYY-MM-DD (default tomorrow)")
    p.add_argument("--history", default=None, help="order-history CSV (default: the scenario's generated two years)")
    p.add_argument("--history-setting", choices=HISTORY_SETTING_CHOICES, default="clean", help=HISTORY_SETTING_HELP)
    p.add_argument("--out", default=None, help="folder for forecast.csv, forecast_slots.csv, backtest.csv, forecast.png")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.set_defaults(func=cmd_forecast)

    p = sub.add_parser("capacity", help="slot capacities and vans/driver hours for a day from the forecast")
    p.add_argument("--scenario", default="gothenburg", help="built-in scenario name or folder (default gothenburg)")
    p.add_argument("--date", type=_date, required=True, help="the day to plan YYYY-MM-DD")
    p.add_argument("--from", dest="from_date", type=_date, default=None,
                   help="first forecast day (default: tomorrow, or the day itself if earlier)")
    p.add_argument("--quantile", type=float, default=0.8, help="forecast quantile to plan for (default 0.8)")
    p.add_argument("--history", default=None, help="order-history CSV (default: the scenario's generated two years)")
    p.add_argument("--history-setting", choices=HISTORY_SETTING_CHOICES, default="clean", help=HISTORY_SETTING_HELP)
    p.add_argument("--engine", choices=("auto", "ortools", "pyvrp"), default="auto", help="search engine (default auto)")
    p.add_argument("--time-limit", type=_positive_seconds, default=30.0, help="solver seconds per routing run (default 30)")
    p.add_argument("--database", default=None, help="also set the capacities in this booking database URL")
    p.add_argument("--out", default=None, help="folder for capacity-<date>.csv and .json")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.set_defaults(func=cmd_capacity)

    p = sub.add_parser("serve", help="serve the web app and the booking API (waitress)")
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8000, help="port (default 8000)")
    p.add_argument("--threads", type=int, default=12, help="worker threads (default 12, within the database connection pool)")
    p.add_argument("--scenario", default="gothenburg", help="scenario the API books in (default gothenburg)")
    p.add_argument("--database-url", default=None, help="SQLAlchemy URL (default: LASTMILE_DATABASE_URL or var/lastmile.db)")
    p.add_argument("--no-resolve", action="store_true", help="no background re-solves of the tentative routes")
    p.add_argument("--scheduler", default=None,
                   help="Dask scheduler tcp://HOST:PORT for solves (default: a local cluster started with the server)")
    p.add_argument("--workers", type=int, default=1,
                   help="server processes on the one port (default 1; more needs LASTMILE_SECRET_KEY, see docs/booking.md)")
    p.add_argument("--worker-index", type=int, default=None, help=argparse.SUPPRESS)  # set by --workers for each process
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("shop", help="shops that call the booking API")
    ssub = p.add_subparsers(dest="shop_command", required=True, metavar="ACTION")
    a = ssub.add_parser("add", help="add a shop and print its API key (shown once)")
    a.add_argument("name", help="the shop's name, unique")
    a.add_argument("--database-url", default=None, help="SQLAlchemy URL (default: LASTMILE_DATABASE_URL or var/lastmile.db)")
    a.add_argument("--key-only", action="store_true", help="print only the key (for scripts)")
    a.set_defaults(func=cmd_shop_add)
    from webui.cli_webhooks import add_commands as add_webhook_commands

    add_webhook_commands(ssub)
    from webui.cli_keys import add_commands as add_key_commands

    add_key_commands(ssub)
    from webui.cli_shop_policy import add_commands as add_policy_commands

    add_policy_commands(ssub)

    from webui.cli_booking import add_commands as add_booking_commands

    add_booking_commands(sub)

    from webui.cli_pickup import add_commands as add_pickup_commands

    add_pickup_commands(sub, _positive_seconds, _date)

    # The day as it is driven: driver links, simulated driving and outages, the actual scorecard.
    from webui.cli_driver import add_commands as add_driver_commands
    from webui.cli_execute import add_commands as add_execute_commands
    from webui.cli_scorecard import add_commands as add_scorecard_commands

    add_driver_commands(sub)
    add_execute_commands(sub)
    add_scorecard_commands(sub, _positive_seconds)

    # Customers' data and accountability: export and erasure, retention, backups, the audit log.
    from webui.cli_admin import add_commands as add_admin_commands
    from webui.cli_backup import add_commands as add_backup_commands
    from webui.cli_privacy import add_commands as add_privacy_commands

    add_privacy_commands(sub)
    add_backup_commands(sub)
    add_admin_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # serve --workers starts copies of this command
    from geo.snap import SnapError
    from optimizer.cost_scale import CostScaleError
    from scenarios.scenario import ScenarioError

    try:
        return int(args.func(args) or 0)
    except BadInput as exc:
        for line in exc.lines:
            print(f"error: {line}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (ScenarioError, SnapError, CostScaleError) as exc:
        # A command that did not word these itself: they still name the file, point or price and fix.
        for line in getattr(exc, "problems", None) or str(exc).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
