"""The day's routing model: orders become stops, stops become an engine problem, and the
engine's answer becomes a :class:`~optimizer.domain.Plan` with re-simulated times.

Everything here is pure: it takes matrices (seconds, metres) that the caller built for the
node list ``depots + stops`` and never touches the street network or storage.

Money inside the engines is integer *cost units*; each day model chooses how many make one
unit of currency from its own prices (:mod:`optimizer.cost_scale`), so that no price rounds
away (0.35 EUR/km is 3500 units per metre at 10**7 units per EUR), and converts back with the
same :class:`~optimizer.cost_scale.CostScale` (``DayModel.cost_scale``).
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import numpy as np

from optimizer.carriers import hand_over, order_worth
from optimizer.cost_scale import CostScale, choose_cost_scale, fleet_plan_bound, fleet_prices
from optimizer.departure import BreakRule, WorkRules, leg_s, service_start
from optimizer.domain import (
    DRIVE,
    Carrier,
    Depot,
    Order,
    Plan,
    Route,
    RouteBreak,
    RouteReload,
    Stop,
    TimeWindow,
    Unserved,
    UnservedReason,
    Vehicle,
    Visit,
    hhmm,
    window_used,
    windows_label,
)
from optimizer.problem import Quantity, RoutingProblem, RoutingSolution, TravelProfile, VehicleSpec
from optimizer.traffic import Traffic, TrafficBand, engine_bound

# Drop penalties by member tier, in currency: what leaving one such order unserved is worth
# avoiding. Higher tiers are the last to be dropped when the fleet runs out of room.
DEFAULT_DROP_PENALTY: dict[str, float] = {
    "ordinary": 2_000.0,
    "silver": 3_000.0,
    "gold": 5_000.0,
    "platinum": 10_000.0,
}


@dataclass(frozen=True)
class LoadQuantity:
    """A load dimension besides parcels: the stop's and the vehicle's attribute holding it."""

    name: str
    unit: str
    per_unit: int  # engine units per ``unit``: whole grams per kilogram, millilitres per litre
    stop_attr: str
    vehicle_attr: str
    reason: UnservedReason  # why a stop beyond every vehicle's capacity in it is unserved


# Weight and volume, in the order the engines see them after parcels.
LOAD_QUANTITIES: tuple[LoadQuantity, ...] = (
    LoadQuantity("weight", "kg", 1000, "weight_kg", "weight_capacity_kg", UnservedReason.TOO_HEAVY),
    LoadQuantity("volume", "l", 1000, "volume_l", "volume_capacity_l", UnservedReason.TOO_BULKY),
)


def demand_units(amount: float, per_unit: int) -> int:
    """A stop's load in engine units, rounded up (0.0004 kg is one gram, never nothing)."""
    return max(0, math.ceil(round(amount * per_unit, 6)))


def capacity_units(amount: float | None, per_unit: int) -> int | None:
    """A vehicle's capacity in engine units, rounded down (None stays unlimited)."""
    return None if amount is None else max(0, math.floor(round(amount * per_unit, 6)))


def quantities_in_play(stops: Sequence[Stop], vehicles: Sequence[Vehicle]) -> list[LoadQuantity]:
    """The load quantities that can bind today: some stop has a load in it and some vehicle a limit.

    The others are left out of the engine model, so a day without weights costs nothing extra.
    """
    return [
        q for q in LOAD_QUANTITIES
        if any(getattr(s, q.stop_attr) > 0 for s in stops)
        and any(getattr(v, q.vehicle_attr) is not None for v in vehicles)
    ]


def skilled_vehicles(vehicles: Sequence[Vehicle], skills: Iterable[str]) -> list[int]:
    """Indices of the vehicles that have every one of ``skills``."""
    needed = set(skills)
    return [i for i, v in enumerate(vehicles) if needed <= set(v.skills)]


@dataclass(frozen=True)
class PickupStopService:
    """Handling time at a pickup point: a fixed part (parking, opening the locker) plus per parcel."""

    base_s: int = 300
    per_parcel_s: int = 20


def consolidate_stops(
    orders: Sequence[Order],
    *,
    max_parcels: int,
    pickup_service: PickupStopService = PickupStopService(),
    tier_rank: Mapping[str, int] | None = None,
    max_weight_kg: float | None = None,
    max_volume_l: float | None = None,
    lateness: Mapping[str, tuple[int, float]] | None = None,
) -> list[Stop]:
    """Turn orders into stops.

    A home delivery is its own stop. Orders for the same pickup point share one stop as long
    as their booked windows overlap and the parcels (and the kilograms and litres, when
    ``max_weight_kg``/``max_volume_l`` are given) fit in one van; otherwise the point gets
    as few stops as that allows (greedy by window end). A consolidated stop's window is the
    intersection of its orders' windows, so serving the stop in time serves each order in time.
    A stop's weight and volume are its orders' sums, its skills their union. Returns collected at
    a pickup point (parcels customers dropped there) make stops of their own, apart from its
    deliveries: the van's load goes the other way.

    A home order's several windows become its stop's. Soft windows: ``lateness`` maps a tier to
    ``(max_late_s, late_cost_per_min)``, used for an order that sets neither itself
    (:func:`order_lateness`); a pickup-point stop may be as late as the least tolerant of its
    orders allows, at the sum of their costs per minute.
    """
    tier_rank = tier_rank or {}
    lateness = lateness or {}
    stops: list[Stop] = []
    by_point: dict[tuple[str, str], list[Order]] = defaultdict(list)  # (point, kind): returns apart
    for o in orders:
        if o.pickup_point_id:
            by_point[(o.pickup_point_id, o.kind)].append(o)
        else:
            if o.is_pair:
                stops.append(pair_pickup_stop(o, priority=tier_rank.get(o.tier, 0)))
            stops.append(
                Stop(
                    id=o.id,
                    lat=o.lat,
                    lon=o.lon,
                    order_ids=(o.id,),
                    parcels=o.parcels,
                    window=o.window,
                    service_s=o.service_s,
                    priority=tier_rank.get(o.tier, 0),
                    address=o.address,
                    weight_kg=o.weight_kg,
                    volume_l=o.volume_l,
                    skills=tuple(o.skills),
                    windows=o.windows if len(o.windows) > 1 else (),
                    max_late_s=order_lateness(o, lateness)[0],
                    late_cost_per_min=order_lateness(o, lateness)[1],
                    ready_s=0 if o.is_pair else o.ready_s or 0,
                    kind="delivery" if o.is_pair else o.kind,
                    pair=pickup_stop_id(o.id) if o.is_pair else "",
                )
            )
    for point_id, kind in sorted(by_point):
        group: list[Order] = []
        window: TimeWindow | None = None
        parcels, kg, litres = 0, 0.0, 0.0

        def close_group() -> None:
            if not group:
                return
            first = group[0]
            stops.append(
                Stop(
                    id=f"{point_id}#{sum(1 for s in stops if s.pickup_point_id == point_id) + 1}",
                    lat=first.lat,
                    lon=first.lon,
                    order_ids=tuple(o.id for o in group),
                    parcels=parcels,
                    window=window,  # type: ignore[arg-type]
                    service_s=pickup_service.base_s + pickup_service.per_parcel_s * parcels,
                    priority=max(tier_rank.get(o.tier, 0) for o in group),
                    pickup_point_id=point_id,
                    address=first.address,
                    weight_kg=sum(o.weight_kg for o in group),
                    volume_l=sum(o.volume_l for o in group),
                    skills=tuple(sorted({k for o in group for k in o.skills})),
                    max_late_s=min(order_lateness(o, lateness)[0] for o in group),
                    late_cost_per_min=sum(order_lateness(o, lateness)[1] for o in group),
                    ready_s=max(o.ready_s or 0 for o in group),
                    kind=kind,
                )
            )

        for o in sorted(by_point[(point_id, kind)], key=lambda o: (o.window.end, o.window.start, o.id)):
            joined = o.window if window is None else window.intersect(o.window)
            # Slots that only touch (08:00-12:00 and 12:00-16:00) share a single instant, which
            # no van can be expected to hit: they are not an overlap.
            if joined is not None and joined.start == joined.end and o.window.end > o.window.start:
                joined = None
            too_much = (parcels + o.parcels > max_parcels
                        or (max_weight_kg is not None and kg + o.weight_kg > max_weight_kg)
                        or (max_volume_l is not None and litres + o.volume_l > max_volume_l))
            if group and (joined is None or too_much):
                close_group()
                group, window, parcels, kg, litres = [], None, 0, 0.0, 0.0
                joined = o.window
            group.append(o)
            window, parcels = joined, parcels + o.parcels
            kg, litres = kg + o.weight_kg, litres + o.volume_l
        close_group()
    return stops


ALL_DAY = TimeWindow(0, 24 * 3600)


def pickup_stop_id(order_id: str) -> str:
    """The stop id of a pickup-and-delivery order's pickup end (its delivery end is the order id)."""
    return f"{order_id}@pickup"


def pair_pickup_stop(o: Order, *, priority: int = 0) -> Stop:
    """The pickup end of a pickup-and-delivery order: at its pickup place, in its pickup window
    (any time of the shift when it has none), with the order's parcels, weight and volume to load
    and its handling time; the delivery end is the order's usual stop. Both carry the order id."""
    return Stop(
        id=pickup_stop_id(o.id),
        lat=float(o.pickup_lat),  # type: ignore[arg-type]
        lon=float(o.pickup_lon),  # type: ignore[arg-type]
        order_ids=(o.id,),
        parcels=o.parcels,
        window=o.pickup_window or ALL_DAY,
        service_s=o.service_s,
        priority=priority,
        address=o.pickup_address,
        weight_kg=o.weight_kg,
        volume_l=o.volume_l,
        skills=tuple(o.skills),
        kind="pickup",
        pair=o.id,
    )


def order_lateness(order: Order, lateness: Mapping[str, tuple[int, float]]) -> tuple[int, float]:
    """``(max_late_s, late_cost_per_min)`` of an order: its own values, else its tier's, else a hard window."""
    tier_max, tier_cost = lateness.get(order.tier, (0, 0.0))
    max_late = tier_max if order.max_late_s is None else order.max_late_s
    cost = tier_cost if order.late_cost_per_min is None else order.late_cost_per_min
    return (int(max_late), float(cost)) if max_late > 0 else (0, 0.0)


@dataclass
class DayModel:
    """Everything needed to solve one day and to read the answer back.

    Node ``i < len(depots)`` is a depot; node ``len(depots) + k`` is ``stops[k]``.
    """

    depots: list[Depot]
    vehicles: list[Vehicle]
    stops: list[Stop]
    orders: dict[str, Order]
    duration: np.ndarray
    distance: np.ndarray
    problem: RoutingProblem
    locks: dict[str, str] = field(default_factory=dict)  # stop id -> vehicle id
    carriers: list[Carrier] = field(default_factory=list)  # third-party and crowd carriers for overflow
    drop_penalty: dict[str, float] = field(default_factory=dict)  # order id -> currency lost if unserved
    reloads_off: str = ""  # why the fleet's reloads are not offered today ("" when they are)

    @property
    def cost_scale(self) -> CostScale:
        """The cost units of ``problem`` (chosen by :func:`build_day_model` from the day's prices)."""
        assert self.problem.cost_scale is not None, "a day model's problem always carries its cost scale"
        return self.problem.cost_scale

    def stop_node(self, k: int) -> int:
        return len(self.depots) + k

    def node_stop(self, node: int) -> Stop:
        return self.stops[node - len(self.depots)]


def vehicle_specs(
    vehicles: Sequence[Vehicle],
    depots: Sequence[Depot],
    scale: CostScale,
    quantities: Sequence[LoadQuantity] = (),
) -> list[VehicleSpec]:
    """Engine vehicle specs with depots as model nodes ``0..len(depots)-1``, costs in ``scale``'s units,
    one capacity per quantity in ``quantities`` (engine units, None unlimited).

    ``scale`` comes from :func:`optimizer.cost_scale.choose_cost_scale` over at least
    :func:`~optimizer.cost_scale.fleet_prices` of ``vehicles``.
    """
    depot_node = {d.id: i for i, d in enumerate(depots)}
    return [
        VehicleSpec(
            depot=depot_node[v.depot_id],
            capacity=v.capacity,
            shift_start=v.shift.start,
            shift_end=v.shift.end,
            cost_per_m=scale.units(v.cost_per_km / 1000),
            cost_per_s=scale.units(v.cost_per_hour / 3600),
            fixed_cost=scale.units(v.fixed_cost),
            capacities=tuple(capacity_units(getattr(v, q.vehicle_attr), q.per_unit) for q in quantities),
            work=work_rules(v, scale),
            profile="" if v.profile == DRIVE else v.profile,
            max_reloads=v.max_reloads,
            reload_s=v.reload_s,
        )
        for v in vehicles
    ]


def work_rules(vehicle: Vehicle, scale: CostScale) -> WorkRules:
    """The driver's breaks, maximum route duration and overtime as the engines see them (seconds,
    overtime in ``scale``'s cost units per second)."""
    return WorkRules(
        breaks=tuple(BreakRule(b.window.start, b.window.end, b.duration_s) for b in vehicle.breaks),
        max_span=vehicle.max_route_s,
        normal_span=vehicle.normal_route_s,
        overtime_cost_per_s=scale.units(vehicle.overtime_cost_per_hour / 3600) if vehicle.normal_route_s is not None else 0,
    )


def build_day_model(
    orders: Sequence[Order],
    stops: Sequence[Stop],
    vehicles: Sequence[Vehicle],
    depots: Sequence[Depot],
    duration: np.ndarray,
    distance: np.ndarray,
    *,
    drop_penalty: Mapping[str, float] | None = None,
    locks: Mapping[str, str] | None = None,
    initial_routes: Mapping[str, Sequence[str]] | None = None,
    carriers: Sequence[Carrier] = (),
    profiles: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
    traffic: Sequence[TrafficBand] = (),
) -> DayModel:
    """Build the engine problem for one day.

    ``duration``/``distance`` are square matrices over ``depots + stops`` in seconds and metres,
    by the vans' streets; ``profiles`` maps each other street profile a vehicle uses (``cycle``)
    to its ``(duration, distance)`` over the same nodes. ``traffic`` are the vans' rush-hour
    bands over the same nodes (:mod:`optimizer.traffic`): the walk and the checker time van legs
    by them, and the engines route on their bound (:func:`optimizer.traffic.engine_bound`).
    ``drop_penalty`` maps tier -> currency; a stop's penalty is the sum over its orders, so a
    pickup-point stop carrying many orders is dropped last. ``locks`` pins stops to vehicles;
    ``initial_routes`` (vehicle id -> stop ids in order) seeds the search, e.g. a hand-edited plan.
    With ``carriers``, an order's penalty is capped at its cheapest carrier price
    (:func:`optimizer.carriers.order_worth`): the engine leaves it to a carrier when serving it
    costs more, and :func:`plan_from_solution` hands it over. Weight and volume become quantities of the problem when they can bind
    (:func:`quantities_in_play`); a stop that needs skills may only be served by the vehicles
    that have them all (``allowed_vehicles``, intersected with its lock; empty when none has).
    The cost scale is chosen from the fleet's prices and today's drop penalties
    (:func:`optimizer.cost_scale.choose_cost_scale`); prices no scale can hold raise
    :class:`~optimizer.cost_scale.CostScaleError` (a ``ValueError``) naming them.
    """
    drop_penalty = {**DEFAULT_DROP_PENALTY, **(drop_penalty or {})}
    locks = dict(locks or {})
    n = len(depots) + len(stops)
    if duration.shape != (n, n) or distance.shape != (n, n):
        raise ValueError(f"matrices must be {n}x{n} (depots + stops), got {duration.shape} and {distance.shape}")
    order_by_id = {o.id: o for o in orders}
    # A pair's delivery without its pickup among today's stops (a re-plan after the pickup was made
    # by a van now out of service, its parcels back at the depot) leaves the depot like any other.
    ids = {s.id for s in stops}
    stops = [dataclasses.replace(s, pair="") if s.pair and s.pair not in ids else s for s in stops]
    depot_node = {d.id: i for i, d in enumerate(depots)}
    vehicle_index = {v.id: i for i, v in enumerate(vehicles)}
    stop_index = {s.id: k for k, s in enumerate(stops)}

    profiles = dict(profiles or {})
    for v in vehicles:
        if v.depot_id not in depot_node:
            raise ValueError(f"vehicle {v.id}: depot_id '{v.depot_id}' is not one of the depots {sorted(depot_node)}")
        if v.profile != DRIVE and v.profile not in profiles:
            raise ValueError(f"vehicle {v.id}: no travel matrices for its street profile '{v.profile}'")
    for name, (p_duration, p_distance) in profiles.items():
        if p_duration.shape != (n, n) or p_distance.shape != (n, n):
            raise ValueError(f"the {name} matrices must be {n}x{n} (depots + stops), "
                             f"got {p_duration.shape} and {p_distance.shape}")
    for stop_id, vehicle_id in locks.items():
        if stop_id not in stop_index:
            raise ValueError(f"lock: stop '{stop_id}' is not in today's stops")
        if vehicle_id not in vehicle_index:
            raise ValueError(f"lock: vehicle '{vehicle_id}' is not in the fleet")

    demand = np.zeros(n, dtype=np.int64)
    service = np.zeros(n, dtype=np.int64)
    tw_start = np.zeros(n, dtype=np.int64)
    tw_end = np.full(n, 24 * 3600, dtype=np.int64)
    penalty = np.zeros(n, dtype=np.int64)
    for i in range(len(depots)):
        tw_start[i] = min((v.shift.start for v in vehicles), default=0)
        tw_end[i] = max((v.shift.end for v in vehicles), default=24 * 3600)
    late_allowed = np.zeros(n, dtype=np.int64)
    ready = np.zeros(n, dtype=np.int64)
    collects = np.zeros(n, dtype=bool)
    windows: dict[int, list[tuple[int, int]]] = {}
    for k, s in enumerate(stops):
        node = len(depots) + k
        demand[node] = s.parcels
        service[node] = s.service_s
        wins = s.time_windows
        tw_start[node] = wins[0].start
        tw_end[node] = wins[-1].end
        if len(wins) > 1:
            windows[node] = [(w.start, w.end) for w in wins]
        late_allowed[node] = s.max_late_s
        ready[node] = s.ready_s
        collects[node] = s.comes_aboard
    pairs = {len(depots) + k: len(depots) + stop_index[s.pair] for k, s in enumerate(stops)
             if s.is_pickup and s.pair in stop_index}
    tiers = {order_by_id[o].tier if order_by_id[o].tier in drop_penalty else "ordinary" for s in stops for o in s.order_ids}
    order_penalty = {o: float(drop_penalty.get(order_by_id[o].tier, drop_penalty["ordinary"]))
                     for s in stops for o in s.order_ids}
    # A pair's worth rides on its delivery end (the pickup's is 0): the engines serve both or neither.
    worth = [0.0 if s.is_pickup else sum(order_worth(order_by_id[o], order_penalty[o], carriers) for o in s.order_ids)
             for s in stops]
    prices = fleet_prices(vehicles) | {f"drop_penalty of tier {t}": float(drop_penalty[t]) for t in sorted(tiers)}
    prices |= {f"carrier {c.id} price_per_parcel": c.price_per_parcel for c in carriers}
    soft = [s for s in stops if s.max_late_s > 0]
    prices |= {f"late_cost_per_min of stop {s.id}": s.late_cost_per_min / 60
               for s in sorted(soft, key=lambda s: s.late_cost_per_min)[:1] + sorted(soft, key=lambda s: -s.late_cost_per_min)[:1]}
    longest_arc = float(max([np.max(distance)] + [np.max(m) for _, m in profiles.values()])) if n else 0.0
    bound = fleet_plan_bound(vehicles, arcs=len(stops) + 2 * len(vehicles), longest_arc_m=longest_arc) + sum(worth)
    bound += sum(s.late_cost_per_min * s.max_late_s / 60 for s in soft)
    scale = choose_cost_scale(prices, plan_bound=bound)
    for k, w in enumerate(worth):
        penalty[len(depots) + k] = scale.units(w)
    late_cost = np.zeros(n, dtype=np.int64)
    for k, s in enumerate(stops):
        if s.max_late_s > 0:
            late_cost[len(depots) + k] = scale.units(s.late_cost_per_min / 60)

    in_play = quantities_in_play(stops, vehicles)
    specs = vehicle_specs(vehicles, depots, scale, in_play)
    reloads_off = ""
    if collects.any() and any(s.max_reloads for s in specs):
        # The OR-Tools model of record holds reloads or returns (and pairs), not both (docs/engine.md).
        reloads_off = "the day has returns or pickup-and-delivery orders: vans make one trip"
        specs = [dataclasses.replace(s, max_reloads=0) for s in specs]
    quantities = []
    for q in in_play:
        q_demand = np.zeros(n, dtype=np.int64)
        for k, s in enumerate(stops):
            q_demand[len(depots) + k] = demand_units(getattr(s, q.stop_attr), q.per_unit)
        quantities.append(Quantity(q.name, q.unit, q.per_unit, q_demand))
    allowed: dict[int, list[int]] = {}
    for k, s in enumerate(stops):
        may = skilled_vehicles(vehicles, s.skills) if s.skills else None
        if s.id in locks:
            lock = vehicle_index[locks[s.id]]
            may = [lock] if may is None or lock in may else []
        if may is not None:
            allowed[len(depots) + k] = may
    initial = None
    if initial_routes:
        initial = [[] for _ in vehicles]
        for vehicle_id, stop_ids in initial_routes.items():
            if vehicle_id in vehicle_index:
                initial[vehicle_index[vehicle_id]] = [
                    len(depots) + stop_index[s] for s in stop_ids if s in stop_index
                ]
    rush = None
    engine_duration = np.asarray(duration, dtype=np.int64)
    if traffic:
        rush = Traffic(free=engine_duration, bands=tuple(traffic))
        hard = tw_end + late_allowed
        shift_lo = min((v.shift.start for v in vehicles), default=0)
        shift_hi = max((v.shift.end for v in vehicles), default=24 * 3600)
        lo, hi = tw_start + service, hard + service
        lo[: len(depots)], hi[: len(depots)] = shift_lo, shift_hi
        engine_duration = engine_bound(rush, leave=(lo, hi), reach=(tw_start, hard), depots=list(range(len(depots))))
    problem = RoutingProblem(
        duration=engine_duration,
        distance=np.asarray(distance, dtype=np.int64),
        demand=demand,
        service=service,
        tw_start=tw_start,
        tw_end=tw_end,
        vehicles=specs,
        depots=list(range(len(depots))),
        penalty=penalty,
        allowed_vehicles=allowed,
        quantities=quantities,
        initial_routes=initial,
        name="day",
        cost_scale=scale,
        windows=windows,
        late_allowed=late_allowed if soft else None,
        late_cost=late_cost if soft else None,
        ready=ready if ready.any() else None,
        collects=collects if collects.any() else None,
        pairs=pairs,
        profiles={name: TravelProfile(name, np.asarray(d, dtype=np.int64), np.asarray(m, dtype=np.int64))
                  for name, (d, m) in profiles.items() if any(v.profile == name for v in vehicles)},
        traffic=rush,
    )
    return DayModel(
        depots=list(depots),
        vehicles=list(vehicles),
        stops=list(stops),
        orders=order_by_id,
        duration=problem.duration,
        distance=problem.distance,
        problem=problem,
        locks=locks,
        carriers=list(carriers),
        drop_penalty=order_penalty,
        reloads_off=reloads_off,
    )


def schedule_route(model: DayModel, vehicle_index: int, nodes: Sequence[int]) -> Route:
    """Re-simulate a route on the matrices and return it with times.

    The van leaves as late as it can without making any stop later than needed
    (:mod:`optimizer.departure`), so labour is not paid for idling and no window is pushed
    towards its end for nothing.
    """
    p = model.problem
    veh = p.vehicles[vehicle_index]
    vehicle = model.vehicles[vehicle_index]
    nodes = p.without_idle_reloads(vehicle_index, nodes)
    depart = p.departure(vehicle_index, list(nodes)).depart_s
    # (arrival, service start) at each node, waiting for windows (the next open one, for a stop
    # with several: optimizer.departure.service_start), the driver's breaks where they delay least.
    walk = p.walk(vehicle_index, list(nodes), depart)
    times = list(zip(walk.arrivals, walk.starts))

    # A reload (the depot inside the route) ends one trip: the van leaves again with the next one's.
    trips = p.trips(vehicle_index, nodes)
    trip_loads = [sum(model.node_stop(n).parcels for n in trip if model.node_stop(n).loaded_at_depot) for trip in trips]
    route_stops = [model.node_stop(n) for trip in trips for n in trip]
    load = sum(trip_loads)
    visits = []
    reloads = []
    on_board = trip_loads[0]
    dist = 0
    prev = veh.depot
    metres = p.distance_of(vehicle_index)
    for node, (arrival, start) in zip(nodes, times):
        if node == veh.depot:
            dist += int(metres[prev, node])
            on_board = trip_loads[len(reloads) + 1]
            reloads.append(RouteReload(len(visits), arrival, start, start + veh.reload_s, on_board))
            prev = node
            continue
        stop = model.node_stop(node)
        on_board += stop.parcels if stop.comes_aboard else -stop.parcels
        dist += int(metres[prev, node])
        late_s = max(0, start - stop.time_windows[-1].end) if stop.max_late_s else 0
        visits.append(
            Visit(
                stop_id=stop.id,
                order_ids=stop.order_ids,
                lat=stop.lat,
                lon=stop.lon,
                arrival=arrival,
                start=start,
                departure=start + stop.service_s,
                load_after=on_board,
                address=stop.address,
                window=stop.window,
                pickup_point_id=stop.pickup_point_id,
                parcels=stop.parcels,
                weight_kg=stop.weight_kg,
                volume_l=stop.volume_l,
                skills=stop.skills,
                windows=stop.windows,
                window_used=window_used(stop.time_windows, start),
                late_s=late_s,
                late_cost=round(late_s / 60 * stop.late_cost_per_min, 2),
                kind=stop.kind,
                pair=stop.pair,
            )
        )
        prev = node
    if nodes:
        dist += int(metres[prev, veh.depot])
        end = walk.return_s
    else:
        depart = end = veh.shift_start
    return Route(
        vehicle_id=vehicle.id,
        depot_id=vehicle.depot_id,
        visits=tuple(visits),
        start=depart,
        end=end,
        distance_m=dist,
        load=load,
        weight_kg=round(sum(v.weight_kg for v in visits if v.loaded_at_depot), 3),
        volume_l=round(sum(v.volume_l for v in visits if v.loaded_at_depot), 3),
        collected=sum(s.parcels for s in route_stops if s.is_return),
        breaks=tuple(RouteBreak(_stops_before(nodes, veh.depot, after), start, stop)
                     for after, start, stop in walk.breaks) if nodes else (),
        reloads=tuple(reloads),
    )


def _stops_before(nodes: Sequence[int], depot: int, after: int) -> int:
    """Stops (not reloads) among the first ``after`` nodes of a route."""
    return sum(1 for n in nodes[:after] if n != depot)


def explain_unserved(model: DayModel, stop: Stop) -> tuple[UnservedReason, str]:
    """Why a stop no route carries: checked against each vehicle on its own, cheapest test first.

    A skill no vehicle has comes first (``skill_missing``, naming the skill); then only the
    vehicles with the stop's skills are candidates, and of those only its locked vehicle.
    """
    p = model.problem
    node = model.stop_node(model.stops.index(stop))
    fleet_skills = {k for v in model.vehicles for k in v.skills}
    missing = sorted(set(stop.skills) - fleet_skills)
    if missing:
        return UnservedReason.SKILL_MISSING, (f"needs {', '.join(missing)}, which no vehicle of the fleet has; "
                                              f"give a vehicle type that skill in the scenario")
    candidates = skilled_vehicles(model.vehicles, stop.skills)
    locked_to = model.locks.get(stop.id)
    if locked_to is not None:
        lock = [i for i, v in enumerate(model.vehicles) if v.id == locked_to]
        if lock and lock[0] not in candidates:
            lacks = sorted(set(stop.skills) - set(model.vehicles[lock[0]].skills))
            return UnservedReason.LOCKED_CONFLICT, f"locked to {locked_to}, which lacks {', '.join(lacks)}"
        candidates = lock

    pickup = model.stop_node(model.stops.index(next(s for s in model.stops if s.id == stop.pair))) \
        if stop.pair and not stop.is_pickup else None

    def verdict(i: int) -> UnservedReason | None:
        veh = p.vehicles[i]
        if stop.parcels > veh.capacity:
            return UnservedReason.CAPACITY
        for k, quantity in enumerate(p.quantities):
            if int(quantity.demand[node]) > p.capacity(i, k):
                return _quantity(quantity.name).reason
        hard_end = p.hard_end(node)  # the last window's end plus its allowed lateness
        if pickup is not None:  # a pair: from the depot to its pickup, on to the customer and back
            if stop.window.start > veh.shift_end or hard_end < veh.shift_start:
                return UnservedReason.OUTSIDE_SHIFT
            walk = p.walk(i, [pickup, node])
            if not walk.sound or walk.starts[-1] > hard_end:
                return UnservedReason.PAIR_UNREACHABLE
            return UnservedReason.OUTSIDE_SHIFT if walk.return_s > veh.shift_end else None
        if hard_end < veh.shift_start or stop.window.start > veh.shift_end:
            return UnservedReason.OUTSIDE_SHIFT
        leave = p.earliest_departure(i, [node])
        ready = leave + int(p.service[veh.depot])
        arrival = ready + leg_s(p.travel_of(i), veh.depot, node, ready)
        if arrival > hard_end:
            return UnservedReason.READY_TOO_LATE if leave > veh.shift_start else UnservedReason.WINDOW_UNREACHABLE
        begin = service_start(arrival, p.windows_of(node), hard_end)
        back = begin + stop.service_s + leg_s(p.travel_of(i), node, veh.depot, begin + stop.service_s)
        if back > veh.shift_end:
            return UnservedReason.OUTSIDE_SHIFT
        return None

    verdicts = [verdict(i) for i in candidates]
    if any(v is None for v in verdicts):
        if locked_to is not None:
            return UnservedReason.FLEET_FULL, f"vehicle {locked_to} (locked) has no room left for it in its slot"
        return UnservedReason.FLEET_FULL, "every vehicle that could reach it in its slot was full or out of time"
    if locked_to is not None:
        return UnservedReason.LOCKED_CONFLICT, f"locked to {locked_to}: {verdicts[0].describe()}"
    # All vehicles fail: report the reason that applies to the most of them, in severity order.
    severity = (UnservedReason.CAPACITY, UnservedReason.TOO_HEAVY, UnservedReason.TOO_BULKY,
                UnservedReason.OUTSIDE_SHIFT, UnservedReason.READY_TOO_LATE, UnservedReason.WINDOW_UNREACHABLE,
                UnservedReason.PAIR_UNREACHABLE)
    for reason in severity:
        if all(v == reason for v in verdicts):
            return reason, _reason_detail(model, stop, node, reason, candidates)
    worst = max(set(verdicts), key=lambda v: (verdicts.count(v), -severity.index(v)))
    return worst, _reason_detail(model, stop, node, worst, candidates)


def _quantity(name: str) -> LoadQuantity:
    return next(q for q in LOAD_QUANTITIES if q.name == name)


def _reason_detail(model: DayModel, stop: Stop, node: int, reason: UnservedReason, candidates: Sequence[int]) -> str:
    p = model.problem
    among = f" with {', '.join(stop.skills)}" if stop.skills else ""
    if reason is UnservedReason.CAPACITY:
        largest = max(p.vehicles[i].capacity for i in candidates)
        return f"{stop.parcels} parcels, the largest vehicle{among} carries {largest}"
    if reason in (UnservedReason.TOO_HEAVY, UnservedReason.TOO_BULKY):
        q = next(q for q in LOAD_QUANTITIES if q.reason is reason)
        limits = [getattr(model.vehicles[i], q.vehicle_attr) for i in candidates]
        largest = max(x for x in limits if x is not None)
        return f"{getattr(stop, q.stop_attr):g} {q.unit}, the largest vehicle{among} carries {largest:g} {q.unit}"
    if reason is UnservedReason.WINDOW_UNREACHABLE:
        earliest = min(p.vehicles[i].shift_start + int(p.duration_of(i)[p.vehicles[i].depot, node]) for i in candidates)
        late = f" (and its {stop.max_late_s // 60} min allowed lateness)" if stop.max_late_s else ""
        return f"slot {windows_label(stop.time_windows)}{late} closes before the earliest possible arrival {hhmm(earliest)}"
    if reason is UnservedReason.READY_TOO_LATE:
        return (f"its parcels reach the depot at {hhmm(stop.ready_s)}, too late to reach it in slot "
                f"{windows_label(stop.time_windows)}; book a later slot or bring the linehaul forward")
    if reason is UnservedReason.PAIR_UNREACHABLE:
        pickup = next(s for s in model.stops if s.id == stop.pair)
        return (f"picked up at {pickup.address or 'its pickup place'} in {pickup.window}, it cannot reach the "
                f"customer in slot {windows_label(stop.time_windows)}; widen the pickup window or book a later slot")
    if reason is UnservedReason.OUTSIDE_SHIFT:
        shifts = sorted({(p.vehicles[i].shift_start, p.vehicles[i].shift_end) for i in candidates})
        text = ", ".join(f"{hhmm(a)}-{hhmm(b)}" for a, b in shifts)
        return f"slot {windows_label(stop.time_windows)} with the drive back does not fit the shifts {text}"
    return reason.describe()


def plan_from_solution(model: DayModel, solution: RoutingSolution, *, date: str) -> Plan:
    """Read an engine solution back as a plan: routes re-simulated, every unserved order explained."""
    routes = [
        schedule_route(model, i, nodes) for i, nodes in enumerate(solution.routes) if nodes
    ]
    unserved: list[Unserved] = []
    for node in sorted(solution.dropped):
        stop = model.node_stop(node)
        if stop.is_pickup:  # a pair is reported once, by its delivery end
            continue
        reason, detail = explain_unserved(model, stop)
        unserved.extend(Unserved(order_id=o, stop_id=stop.id, reason=reason, detail=detail) for o in stop.order_ids)
    to_carriers, unserved = hand_over(unserved, model.orders, model.drop_penalty, model.carriers)
    return Plan(
        date=date,
        routes=routes,
        unserved=unserved,
        carrier_orders=to_carriers,
        engine=solution.engine,
        objective=model.cost_scale.currency(solution.objective),
        solve_s=solution.wall_s,
        meta=dict(solution.meta, **({"reloads_off": model.reloads_off} if model.reloads_off else {})),
    )


def stops_of_orders(stops: Iterable[Stop]) -> dict[str, str]:
    """order id -> id of the stop that carries it."""
    return {o: s.id for s in stops for o in s.order_ids}
