"""Plan a day for a scenario: snap orders to the streets, build matrices, solve, score.

This is the one place where the street network meets the routing model; the CLI, the web UI
and the simulations all plan through :func:`plan_day`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np

from geo.network import RoadNetwork, load_network
from geo.snap import SnapError
from optimizer.dayplan import DayModel, PickupStopService, build_day_model, consolidate_stops, plan_from_solution
from optimizer.domain import DRIVE, Order, Plan, Stop, TimeWindow, Vehicle
from optimizer.traffic import TrafficBand
from optimizer.engine.portfolio import solve
from optimizer.problem import RoutingSolution
from optimizer.scorecard import Scorecard, build_scorecard
from scenarios.scenario import Scenario, ScenarioError
from scheduling.orders_csv import max_orders_per_day, too_many_orders

_NETWORKS: dict[str, RoadNetwork] = {}
_DEPOTS_CHECKED: set[tuple] = set()


class DayTooLarge(ScenarioError):
    """A day of more orders than :func:`scheduling.orders_csv.max_orders_per_day` allows
    (``LASTMILE_MAX_ORDERS_PER_DAY``), refused before any matrix is built."""


def check_day_size(orders: Sequence[Order]) -> None:
    """Raise :class:`DayTooLarge` for a day over the orders-per-day limit (or a bad limit)."""
    try:
        limit = max_orders_per_day()
    except ValueError as exc:
        raise DayTooLarge(str(exc)) from None
    problem = too_many_orders(len(orders), limit)
    if problem:
        raise DayTooLarge(problem)


def network_for(scenario: Scenario) -> RoadNetwork:
    """The scenario's street network, loaded once per process, with the scenario's depots checked
    against it (:class:`ScenarioError` naming each depot that does not reach the streets)."""
    src = scenario.network_source
    if src not in _NETWORKS:
        _NETWORKS[src] = load_network(src)
    network = _NETWORKS[src]
    # Checked once per depot set: the pages and the booking API call this on every request.
    key = (src, scenario.spec.snap_max_distance_m, tuple((d.id, d.lat, d.lon) for d in scenario.depots()))
    if key not in _DEPOTS_CHECKED:
        check_depots(scenario, network)
        _DEPOTS_CHECKED.add(key)
    return network


def check_depots(scenario: Scenario, network: RoadNetwork) -> None:
    """Refuse a scenario whose depots lie off its street network: no plan could start there."""
    depots = scenario.depots()
    try:
        network.snap(
            np.asarray([d.lat for d in depots]),
            np.asarray([d.lon for d in depots]),
            labels=[f"depot {d.id}" for d in depots],
            max_distance_m=scenario.spec.snap_max_distance_m,
        )
    except SnapError as exc:
        where = scenario.folder / "scenario.yaml"
        raise ScenarioError(
            "\n".join(
                # The scenario's own name for the limit, so the fix points at the right key.
                f"{where}, depots: " + problem.replace("max_distance_m", "snap_max_distance_m")
                + f" (network: {scenario.spec.network})"
                for problem in exc.problems
            )
        ) from None


@dataclass
class DayResult:
    plan: Plan
    scorecard: Scorecard
    model: DayModel
    nodes: np.ndarray  # network node of each model node (depots, then stops)
    orders: list[Order]


def _insertion_start(model: DayModel, orders: Sequence[Order]) -> RoutingSolution | None:
    """The orders inserted in their given order, as a sound solution priced by the checker
    (set as the problem's initial routes), or None when it is not sound.

    The insertion rule (the booking service's) knows windows, shifts and loads but not the
    drivers' breaks or release times; a route they break is repaired under the exact walk
    (:func:`optimizer.engine.repair.repair_windows`: the stops that break it are taken off and put
    back where they fit), so the search still starts from the booked routes."""
    from optimizer.checker import check_solution
    from optimizer.engine.repair import repair_windows
    from optimizer.warmstart import insertion_routes

    node_of_order = {oid: model.stop_node(k) for k, st in enumerate(model.stops) for oid in st.order_ids}
    routes = insertion_routes(model.problem, [node_of_order[o.id] for o in orders if o.id in node_of_order])

    def priced(routes):
        on_route = {n for r in routes for n in r}
        dropped = [n for n in model.problem.stop_nodes() if n not in on_route]
        start = RoutingSolution(routes=routes, dropped=dropped, objective=0, engine="insertion", wall_s=0.0)
        return start, check_solution(model.problem, start)

    start, report = priced(routes)
    if report.kinds() & {"window", "shift", "break", "duration"}:
        routes, _ = repair_windows(model.problem, routes)
        start, report = priced(routes)
    if not report.kinds() <= {"unserved"}:
        return None
    model.problem.initial_routes = routes
    start.objective = report.objective
    return start


def day_stops(scenario: Scenario, orders: Sequence[Order]) -> list[Stop]:
    s = scenario.spec.service
    tiers = list(scenario.spec.tiers)
    vehicles = scenario.vehicles()
    kg = [v.weight_capacity_kg for v in vehicles]
    litres = [v.volume_capacity_l for v in vehicles]
    return consolidate_stops(
        orders,
        max_parcels=max(v.capacity for v in vehicles),
        max_weight_kg=None if None in kg else max(kg),  # one unlimited van carries any pickup stop
        max_volume_l=None if None in litres else max(litres),
        pickup_service=PickupStopService(s.pickup_base_s, s.pickup_per_parcel_s),
        tier_rank={t: i for i, t in enumerate(tiers)},
        lateness=scenario.tier_lateness(),
    )


def snap_day(network: RoadNetwork, scenario: Scenario, stops: Sequence[Stop]) -> np.ndarray:
    """Network nodes for depots then stops; a point too far from the streets raises ``SnapError``
    naming the depot or the order ids at that point."""
    depots = scenario.depots()
    lats = [d.lat for d in depots] + [s.lat for s in stops]
    lons = [d.lon for d in depots] + [s.lon for s in stops]
    labels = [f"depot {d.id}" for d in depots] + [
        f"order {', '.join(s.order_ids)}" if len(s.order_ids) <= 3 else f"pickup stop {s.id}" for s in stops
    ]
    return network.snap(
        np.asarray(lats), np.asarray(lons), labels=labels, max_distance_m=scenario.spec.snap_max_distance_m
    )


@dataclass(frozen=True)
class DayTravel:
    """Travel between a day's nodes (depots, then stops): the vans' ``duration`` (seconds) and
    ``distance`` (metres), and ``profiles``, the same for every other street profile the fleet
    uses (a cargo bike's ``cycle``), as :func:`optimizer.dayplan.build_day_model` takes them."""

    duration: np.ndarray
    distance: np.ndarray
    profiles: dict[str, tuple[np.ndarray, np.ndarray]]
    traffic: tuple[TrafficBand, ...] = ()  # the vans' rush-hour bands (their own fastest paths' seconds)

    def of(self, vehicle: Vehicle) -> tuple[np.ndarray, np.ndarray]:
        """``(duration, distance)`` by ``vehicle``'s street profile (free flow for vans)."""
        return (self.duration, self.distance) if vehicle.profile == DRIVE else self.profiles[vehicle.profile]

    def sliced(self, rows: Sequence[int], cols: Sequence[int]) -> "DayTravel":
        """The matrices' ``rows`` x ``cols`` block, in every profile and band (a re-plan from where vans are)."""
        block = np.ix_(rows, cols)
        return DayTravel(self.duration[block], self.distance[block],
                         {k: (d[block], m[block]) for k, (d, m) in self.profiles.items()},
                         tuple(dataclasses.replace(b, duration=b.duration[block]) for b in self.traffic))


def day_travel(network: RoadNetwork, nodes: Sequence[int], vehicles: Sequence[Vehicle],
               bands: Sequence[tuple[str, TimeWindow, Mapping[str, float]]] = ()) -> DayTravel:
    """The day's matrices by every street profile ``vehicles`` use (the vans' always), and the
    vans' travel times in each rush-hour band of ``bands`` (``Scenario.traffic_bands``) when a van
    is in the fleet."""
    duration, distance = network.travel_matrices(nodes)
    profiles = {}
    for profile in sorted({v.profile for v in vehicles} - {DRIVE}):
        d, m = network.travel_matrices(nodes, profile=profile)
        profiles[profile] = (np.asarray(d, dtype=np.int64), np.asarray(m, dtype=np.int64))
    traffic = ()
    if any(v.profile == DRIVE for v in vehicles):
        traffic = tuple(TrafficBand(name, window.start, window.end,
                                    np.asarray(network.travel_matrices(nodes, speed_factors=factors)[0], dtype=np.int64),
                                    tuple(sorted(factors.items())))
                        for name, window, factors in bands)
    return DayTravel(np.asarray(duration, dtype=np.int64), np.asarray(distance, dtype=np.int64), profiles, traffic)


def plan_day(
    scenario: Scenario,
    orders: Sequence[Order],
    *,
    date: str,
    time_limit_s: float = 30.0,
    engine: str = "auto",
    locks: Mapping[str, str] | None = None,
    initial_routes: Mapping[str, Sequence[str]] | None = None,
    progress: Callable[[float, float], None] | None = None,
    network: RoadNetwork | None = None,
    insertion_start: bool = False,
) -> DayResult:
    """Route ``orders`` with the scenario's fleet.

    ``locks`` pins stops (by stop id; a home order's stop id is its order id) to vehicles, and
    ``initial_routes`` (vehicle id -> stop ids) starts the search from a given plan, as the
    dispatcher's re-optimize does after hand edits. Without them, ``insertion_start`` starts
    from the orders inserted in their given order (:func:`optimizer.warmstart.insertion_routes`,
    the booking API's tentative-route rule); the plan returned is never worse than that start.
    A day over the orders-per-day limit raises :class:`DayTooLarge` before anything is built.
    ``progress(elapsed_s, cost)`` is called with each better plan's cost in the scenario's
    currency (the engine's cost units converted with the day model's cost scale).
    """
    check_day_size(orders)  # before the matrices: they grow with the square of the stops
    network = network or network_for(scenario)
    stops = day_stops(scenario, orders)
    nodes = snap_day(network, scenario, stops)
    travel = day_travel(network, nodes, scenario.vehicles(), scenario.traffic_bands())
    model = build_day_model(
        orders,
        stops,
        scenario.vehicles(),
        scenario.depots(),
        travel.duration,
        travel.distance,
        drop_penalty=scenario.drop_penalties(),
        locks=locks,
        initial_routes=initial_routes,
        carriers=scenario.carriers(),
        profiles=travel.profiles,
        traffic=travel.traffic,
    )

    def in_currency(elapsed_s: float, units: int) -> None:
        progress(elapsed_s, model.cost_scale.currency(units))

    engine_progress = in_currency if progress is not None else None
    start = None
    if initial_routes is None and insertion_start:
        start = _insertion_start(model, orders)
        if start is not None and engine_progress is not None:
            engine_progress(0.0, start.objective)  # the first plan, before the search begins
    solution = solve(model.problem, time_limit_s, engine=engine, progress=engine_progress)
    if start is not None and start.objective < solution.objective:
        solution = start  # the search found nothing better than the booked routes
    plan = plan_from_solution(model, solution, date=date)
    plan.meta.setdefault("scenario", scenario.name)
    scorecard = build_scorecard(plan, orders, scenario.vehicles(), currency=scenario.spec.currency)
    return DayResult(plan=plan, scorecard=scorecard, model=model, nodes=np.asarray(nodes), orders=list(orders))
