"""What-if simulation of pickup points: a baseline and variants over N days, on Dask.

For each variant (the set of open pickup points) and each day:

1. **Orders** come from the demand model (:func:`scenarios.dayorders.generate_day`, seeded
   by the simulation seed and the date), all booked as home deliveries first.
2. **Choice**: each ordering customer whose nearest open point (on foot) is in reach takes it
   with the choice model's probability (:mod:`scheduling.choice`); a point that is full for the
   day (capacity in parcels) turns later customers back to home delivery.
3. **Routing**: the day is planned on the street network with the scenario's fleet.
4. **Scorecard** plus site figures: cost per order *including* the open points' daily cost,
   km, on-time rate, pickup share, point utilization.

Variants share their random numbers (the same customers order the same parcels on the same
day, with the same uniform draw deciding their choice), so differences between variants come
from the points, not from noise. The same seed gives the same orders and choices; with the
default ``repeatable`` routing (PyVRP with a fixed seed and iteration budget) it gives the same
routes too, as long as the per-day time cap is not hit (each day reports ``repeatable``).

Days run as independent tasks on a ``dask.distributed`` cluster: a local one by default, or an
existing scheduler given by address.
"""

from __future__ import annotations

import datetime as dt
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from optimizer.domain import Order
from scenarios.pickup_model import PickupOptions, pickup_options
from scenarios.scenario import PickupPoint, Scenario
from scheduling.csv_cells import safe_frame

ROUTING_ENGINES = ("repeatable", "auto", "ortools", "pyvrp")
METRICS = ("cost_per_order", "km", "on_time_rate", "pickup_share", "point_utilization", "unserved")


class SimulationError(ValueError):
    """A simulation that cannot run as asked; the message names the option and the fix."""


# --------------------------------------------------------------------------- variants


@dataclass(frozen=True)
class Variant:
    """A named set of open pickup points."""

    name: str
    open_ids: tuple[str, ...]
    description: str = ""


def make_variants(
    scenario: Scenario,
    *,
    add: Sequence[PickupPoint] = (),
    remove: Sequence[str] = (),
    name: str | None = None,
) -> tuple[list[Variant], list[PickupPoint]]:
    """The baseline (points open today) and one variant with ``add`` opened and ``remove`` closed.

    Returns the variants and every point either of them uses.
    """
    baseline_ids = tuple(p.id for p in scenario.active_pickup_points())
    known = {p.id: p for p in scenario.pickup_points}
    for pid in remove:
        if pid not in baseline_ids:
            raise SimulationError(
                f"--remove-site {pid}: not a point open today; open ones are {', '.join(baseline_ids) or 'none'}"
            )
    points = {pid: known[pid] for pid in baseline_ids}
    for p in add:
        if p.id in points and p.id not in baseline_ids:
            raise SimulationError(f"--add-site {p.id}: given twice")
        if p.id in baseline_ids:
            raise SimulationError(f"--add-site {p.id}: already open in the baseline")
        points[p.id] = p
    variants = [Variant("baseline", baseline_ids, f"the {len(baseline_ids)} point(s) open today")]
    if add or remove:
        ids = tuple(pid for pid in baseline_ids if pid not in set(remove)) + tuple(p.id for p in add)
        change = " ".join([*(f"+{p.id}" for p in add), *(f"-{pid}" for pid in remove)])
        variants.append(Variant(name or "variant", ids, f"baseline {change}"))
    return variants, list(points.values())


# --------------------------------------------------------------------------- one day


@dataclass(frozen=True)
class RoutingSettings:
    """How each simulated day is routed.

    ``repeatable``: PyVRP with seed ``seed`` for ``iterations`` iterations, capped at
    ``time_limit_s`` (a safety net: a day that hits it is marked not repeatable); the same
    inputs give the same routes. ``auto``/``ortools``/``pyvrp``:
    :func:`scenarios.planning.plan_day` with ``time_limit_s`` (results vary with machine load).
    """

    engine: str = "repeatable"
    iterations: int = 500
    time_limit_s: float = 60.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.engine not in ROUTING_ENGINES:
            raise SimulationError(f"routing engine '{self.engine}' is unknown; use one of {', '.join(ROUTING_ENGINES)}")
        if self.iterations < 1:
            raise SimulationError(f"iterations {self.iterations}: give at least 1")
        if self.time_limit_s <= 0:
            raise SimulationError(f"time limit {self.time_limit_s} s: give more than 0 seconds")


@dataclass(frozen=True)
class DayTask:
    """Everything one worker needs for one (variant, day), apart from the scenario."""

    variant: str
    day: int
    date: dt.date
    seed: int
    points: tuple[PickupPoint, ...]  # the variant's open points
    point_index: np.ndarray  # per customer: index into ``points`` of their nearest open point, -1 none
    prob: np.ndarray  # per customer: probability of collecting there
    routing: RoutingSettings
    n_orders: int | None = None  # override the demand model's order count (tests, quick looks)


def _pickup_window(scenario: Scenario, point: PickupPoint, slot: int):
    """The booked pickup slot cut to the point's opening hours (None if it is closed then)."""
    from optimizer.domain import TimeWindow

    slots = scenario.pickup_slots()
    w = slots[slot % len(slots)]
    return w.intersect(TimeWindow(point.opens, point.closes))


def sample_day(scenario: Scenario, task: DayTask) -> tuple[list[Order], dict[str, int], int]:
    """The day's orders after customers' choices: (orders, parcels per point, customers turned away).

    Deterministic in ``(task.seed, task.date)`` and the variant's points.
    """
    from scenarios.dayorders import generate_day

    home_only = replace(scenario, pickup_points=[], spec=scenario.spec.model_copy(update={"seed": task.seed}))
    orders = generate_day(home_only, task.date, n_orders=task.n_orders)
    index = {c.id: i for i, c in enumerate(scenario.customers)}
    n = len(scenario.customers)
    rng = np.random.default_rng([task.seed, task.date.toordinal(), 1])
    draw = rng.random(n)  # per customer, shared by all variants
    slot = rng.integers(0, len(scenario.pickup_slots()), n)
    booking_rank = rng.permutation(n)  # who books first when a point fills up

    loads = {p.id: 0 for p in task.points}
    turned_away = 0
    out: dict[str, Order] = {}
    for o in sorted(orders, key=lambda o: booking_rank[index[o.customer_id]]):
        i = index[o.customer_id]
        j = int(task.point_index[i])
        if j < 0 or draw[i] >= task.prob[i]:
            out[o.id] = o
            continue
        point = task.points[j]
        window = _pickup_window(scenario, point, int(slot[i]))
        if window is None:
            out[o.id] = o
            continue
        if loads[point.id] + o.parcels > point.capacity:
            turned_away += 1  # wanted the point, got a home delivery: a preference miss
            out[o.id] = replace(o, first_choice=point.id)
            continue
        loads[point.id] += o.parcels
        out[o.id] = replace(
            o,
            lat=point.lat,
            lon=point.lon,
            window=window,
            service_s=0,  # handled per stop at the point
            address=f"{point.name} ({point.kind})",
            pickup_point_id=point.id,
            first_choice=point.id,
        )
    return [out[o.id] for o in orders], loads, turned_away


def solve_repeatable(problem, routing: RoutingSettings):
    """PyVRP with a fixed seed and iteration budget, checked; OR-Tools if that finds no sound plan."""
    import pyvrp
    from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

    from optimizer.checker import check_solution
    from optimizer.engine.ortools_solver import solve_ortools
    from optimizer.engine.pyvrp_solver import NotSupported, build_data, read_solution, solve_params
    from optimizer.problem import RoutingSolution

    t0 = time.perf_counter()
    try:
        model = build_data(problem)
    except NotSupported:
        sol = solve_ortools(problem, routing.time_limit_s)
        sol.meta["repeatable"] = False
        return sol
    stop = MultipleCriteria([MaxIterations(routing.iterations), MaxRuntime(routing.time_limit_s)])
    # the engine's own parameters: PyVRP's penalties scaled to the day's cost units (a fine scale,
    # as cheap cargo-bike kilometres need, leaves the defaults too weak to reach feasibility)
    result = pyvrp.solve(model.data, stop, seed=routing.seed, collect_stats=False, params=solve_params(problem))
    routes, dropped = read_solution(model, problem, result.best)
    best = result.best
    cost = best.distance_cost() + best.duration_cost() + best.fixed_vehicle_cost() + best.uncollected_prizes()
    sol = RoutingSolution(
        routes=routes,
        dropped=dropped,
        objective=int(cost),
        engine="pyvrp-repeatable",
        wall_s=time.perf_counter() - t0,
        meta={"iterations": int(result.num_iterations), "repeatable": int(result.num_iterations) >= routing.iterations},
    )
    report = check_solution(problem, sol)
    if best.is_feasible() and report.kinds() <= {"unserved"}:
        return sol
    fallback = solve_ortools(problem, routing.time_limit_s)
    fallback.meta["repeatable"] = False
    return fallback


def route_day(scenario: Scenario, orders: Sequence[Order], *, date: str, routing: RoutingSettings, network=None):
    """Plan the day: through :func:`scenarios.planning.plan_day`, or with repeatable routing."""
    from scenarios.planning import network_for, plan_day

    network = network or network_for(scenario)
    if routing.engine != "repeatable":
        return plan_day(scenario, orders, date=date, time_limit_s=routing.time_limit_s, engine=routing.engine, network=network)
    # The same steps as plan_day, with the repeatable solve in the middle.
    from optimizer.dayplan import build_day_model, plan_from_solution
    from optimizer.scorecard import build_scorecard
    from scenarios.planning import DayResult, day_stops, day_travel, snap_day

    stops = day_stops(scenario, orders)
    nodes = snap_day(network, scenario, stops)
    travel = day_travel(network, nodes, scenario.vehicles(), scenario.traffic_bands())
    model = build_day_model(
        orders, stops, scenario.vehicles(), scenario.depots(), travel.duration, travel.distance,
        drop_penalty=scenario.drop_penalties(), carriers=scenario.carriers(), profiles=travel.profiles,
        traffic=travel.traffic,
    )
    solution = solve_repeatable(model.problem, routing)
    plan = plan_from_solution(model, solution, date=date)
    plan.meta.setdefault("scenario", scenario.name)
    scorecard = build_scorecard(plan, orders, scenario.vehicles(), currency=scenario.spec.currency)
    return DayResult(plan=plan, scorecard=scorecard, model=model, nodes=np.asarray(nodes), orders=list(orders))


def simulate_day(scenario: Scenario, task: DayTask) -> dict:
    """One (variant, day): sample, choose, route, score. Runs on a Dask worker; returns plain data."""
    t0, cpu0 = time.perf_counter(), time.process_time()
    orders, loads, turned_away = sample_day(scenario, task)
    result = route_day(scenario, orders, date=task.date.isoformat(), routing=task.routing)
    sc = result.scorecard
    site_cost = float(sum(p.daily_cost for p in task.points))
    capacity = sum(p.capacity for p in task.points)
    served_at_points = {p.id: 0 for p in task.points}
    served_ids = result.plan.served_order_ids()
    parcels_served_at = {p.id: 0 for p in task.points}
    for o in orders:
        if o.pickup_point_id and o.id in served_ids:
            served_at_points[o.pickup_point_id] += 1
            parcels_served_at[o.pickup_point_id] += o.parcels
    total = sc.cost_total + site_cost
    return {
        "variant": task.variant,
        "day": task.day,
        "date": task.date.isoformat(),
        "orders": sc.orders_total,
        "served": sc.orders_served,
        "unserved": sc.orders_unserved,
        "on_time_rate": sc.on_time_rate,
        "km": sc.km,
        "driver_hours": sc.driver_hours,
        "vehicles_used": sc.vehicles_used,
        "stops": sc.stops,
        "route_cost": sc.cost_total,
        "site_cost": round(site_cost, 2),
        "total_cost": round(total, 2),
        "cost_per_order": round(total / sc.orders_served, 2) if sc.orders_served else 0.0,
        "pickup_share": sc.pickup_share,
        "pickup_orders": sum(served_at_points.values()),
        "pickup_parcels": sum(loads.values()),
        "point_utilization": round(sum(loads.values()) / capacity, 4) if capacity else 0.0,
        "turned_away": turned_away,
        "preference_match_rate": sc.preference_match_rate,
        "point_parcels": dict(loads),
        "engine": result.plan.engine,
        "repeatable": bool(result.plan.meta.get("repeatable", False)),
        "wall_s": round(time.perf_counter() - t0, 3),
        "cpu_s": round(time.process_time() - cpu0, 3),  # CPU this worker got: wall_s >> cpu_s means a busy machine
    }


# --------------------------------------------------------------------------- many days


@dataclass
class SimulationConfig:
    days: int = 14
    start: dt.date = field(default_factory=lambda: dt.date.today() + dt.timedelta(days=1))
    seed: int = 0
    routing: RoutingSettings = field(default_factory=RoutingSettings)
    n_orders: int | None = None

    def __post_init__(self) -> None:
        if self.days < 1:
            raise SimulationError(f"--days {self.days}: simulate at least 1 day")
        if self.n_orders is not None and self.n_orders < 1:
            raise SimulationError(f"orders per day {self.n_orders}: give at least 1")


@dataclass
class SimulationResult:
    variants: list[Variant]
    points: list[PickupPoint]
    days: list[dict]  # one row per (variant, day), see simulate_day
    wall_s: float  # everything: walking distances, choices, all days
    workers: int
    days_s: float = 0.0  # the day plans alone (the part that runs in parallel)

    def frame(self):
        import pandas as pd

        rows = [{k: v for k, v in r.items() if k != "point_parcels"} for r in self.days]
        return pd.DataFrame(rows).sort_values(["variant", "day"], kind="stable").reset_index(drop=True)

    def comparison(self):
        """Per variant and metric: mean, standard deviation, min and max over the days, and
        the mean paired difference to the baseline (same days, same customers)."""
        import pandas as pd

        df = self.frame()
        base = df[df.variant == self.variants[0].name].set_index("day")
        rows = []
        for v in self.variants:
            d = df[df.variant == v.name].set_index("day")
            for m in METRICS:
                diff = (d[m] - base[m]).dropna()
                rows.append(
                    {
                        "variant": v.name,
                        "metric": m,
                        "mean": d[m].mean(),
                        "std": d[m].std(ddof=1) if len(d) > 1 else 0.0,
                        "min": d[m].min(),
                        "max": d[m].max(),
                        "diff_vs_baseline": diff.mean() if v is not self.variants[0] else 0.0,
                        "diff_std": diff.std(ddof=1) if v is not self.variants[0] and len(diff) > 1 else 0.0,
                    }
                )
        return pd.DataFrame(rows)

    def point_utilization(self):
        """Mean parcels per day and utilization of each open point, per variant."""
        import pandas as pd

        cap = {p.id: p.capacity for p in self.points}
        rows = []
        for v in self.variants:
            days = [r for r in self.days if r["variant"] == v.name]
            for pid in v.open_ids:
                parcels = np.mean([r["point_parcels"].get(pid, 0) for r in days]) if days else 0.0
                rows.append(
                    {
                        "variant": v.name,
                        "point": pid,
                        "parcels_per_day": round(float(parcels), 2),
                        "capacity": cap[pid],
                        "utilization": round(float(parcels) / cap[pid], 4) if cap[pid] else 0.0,
                    }
                )
        return pd.DataFrame(rows)


def build_tasks(
    scenario: Scenario, options: PickupOptions, variants: Sequence[Variant], config: SimulationConfig
) -> list[DayTask]:
    by_id = {p.id: j for j, p in enumerate(options.points)}
    tasks = []
    for v in variants:
        idx, _, prob = options.nearest_open(v.open_ids)
        points = tuple(options.points[by_id[pid]] for pid in v.open_ids)
        local = {by_id[pid]: k for k, pid in enumerate(v.open_ids)}
        point_index = np.array([local.get(int(j), -1) if j >= 0 else -1 for j in idx], dtype=np.int32)
        for d in range(config.days):
            tasks.append(
                DayTask(
                    variant=v.name,
                    day=d + 1,
                    date=config.start + dt.timedelta(days=d),
                    seed=config.seed,
                    points=points,
                    point_index=point_index,
                    prob=prob.astype(np.float64),
                    routing=replace(config.routing, seed=config.seed),
                    n_orders=config.n_orders,
                )
            )
    return tasks


def run_simulation(
    scenario: Scenario,
    network,
    variants: Sequence[Variant],
    points: Sequence[PickupPoint],
    config: SimulationConfig,
    client=None,
    progress: Callable[[int, int], None] | None = None,
) -> SimulationResult:
    """Simulate every variant for ``config.days`` days; on ``client`` (a ``dask.distributed``
    Client) when given, else one day after another in this process."""
    if not scenario.customers:
        raise SimulationError(f"scenario '{scenario.name}' has no customers file; run 'lastmile scenario build' first")
    t0 = time.perf_counter()
    options = pickup_options(scenario, network, points)
    tasks = build_tasks(scenario, options, variants, config)
    rows: list[dict] = []
    t_days = time.perf_counter()
    if client is None:
        for k, task in enumerate(tasks):
            rows.append(simulate_day(scenario, task))
            if progress:
                progress(k + 1, len(tasks))
        workers = 1
    else:
        from dask.distributed import as_completed

        workers = len(client.scheduler_info().get("workers", {}))
        if workers == 0:
            raise SimulationError("the Dask cluster has no workers; start some or leave --scheduler out")
        shared = client.scatter(scenario, broadcast=True)
        futures = [
            client.submit(simulate_day, shared, task, key=f"simulate-{task.variant}-{task.day}-{k}", pure=False)
            for k, task in enumerate(tasks)
        ]
        for k, fut in enumerate(as_completed(futures)):
            rows.append(fut.result())
            if progress:
                progress(k + 1, len(tasks))
    rows.sort(key=lambda r: ([v.name for v in variants].index(r["variant"]), r["day"]))
    now = time.perf_counter()
    return SimulationResult(list(variants), list(points), rows, now - t0, workers, now - t_days)


# --------------------------------------------------------------------------- dask


@contextmanager
def dask_client(
    scheduler: str | None = None, *, n_workers: int = 2, threads_per_worker: int = 1, timeout_s: float = 10.0
) -> Iterator:
    """A ``dask.distributed`` Client: to ``scheduler`` (``tcp://host:port``) when given, else to
    a new LocalCluster of ``n_workers`` processes, closed on exit.

    An unreachable scheduler raises :class:`SimulationError` after ``timeout_s`` seconds.
    """
    from dask.distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout=f"{timeout_s}s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise SimulationError(
                f"--scheduler {scheduler}: no Dask scheduler answered within {timeout_s:g} s ({type(exc).__name__}: {exc}). "
                "Check the address (tcp://HOST:8786) and that 'dask scheduler' runs there, "
                "or leave --scheduler out to start a local cluster"
            ) from None
        try:
            yield client
        finally:
            client.close()
        return
    if n_workers < 1:
        raise SimulationError(f"--workers {n_workers}: give at least 1 worker")
    cluster = LocalCluster(
        n_workers=n_workers, threads_per_worker=threads_per_worker, processes=True, dashboard_address=":0"
    )
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


# --------------------------------------------------------------------------- output


def write_outputs(result: SimulationResult, out_dir: Path) -> dict[str, Path]:
    """``days.csv`` (one row per variant and day), ``comparison.csv``, ``points.csv`` and PNG
    charts (``comparison.png``: metrics per day; ``points.png``: point utilization)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "days": out_dir / "days.csv",
        "comparison": out_dir / "comparison.csv",
        "points": out_dir / "points.csv",
        "comparison_png": out_dir / "comparison.png",
        "points_png": out_dir / "points.png",
    }
    df = result.frame()
    safe_frame(df).to_csv(paths["days"], index=False)
    safe_frame(result.comparison()).to_csv(paths["comparison"], index=False)
    util = result.point_utilization()
    safe_frame(util).to_csv(paths["points"], index=False)

    titles = {
        "cost_per_order": "Cost per order incl. sites",
        "km": "Distance (km)",
        "on_time_rate": "On-time rate",
        "pickup_share": "Pickup-point share",
    }
    fig, axes = plt.subplots(2, 2, figsize=(11, 7), sharex=True)
    for ax, (metric, title) in zip(axes.ravel(), titles.items()):
        for v in result.variants:
            d = df[df.variant == v.name]
            ax.plot(d["day"], d[metric], marker="o", label=v.name)
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if metric in ("on_time_rate", "pickup_share"):
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    for ax in axes[-1]:
        ax.set_xlabel("simulated day")
    axes[0, 0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(paths["comparison_png"], dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(11, 4.5))
    labels = sorted(set(util["point"]))
    width = 0.8 / max(1, len(result.variants))
    for k, v in enumerate(result.variants):
        u = util[util.variant == v.name].set_index("point")["utilization"]
        ax.bar(np.arange(len(labels)) + k * width, [u.get(p, 0.0) for p in labels], width, label=v.name)
    ax.set_xticks(np.arange(len(labels)) + width * (len(result.variants) - 1) / 2)
    ax.set_xticklabels(labels, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("mean parcels / capacity")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_title("Pickup-point utilization")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(paths["points_png"], dpi=110)
    plt.close(fig)
    return paths
