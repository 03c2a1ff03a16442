"""The routing problem as the engines see it: integer matrices and nodes, nothing else.

A :class:`RoutingProblem` is what every engine (OR-Tools, PyVRP, the portfolio) solves and what
the checker verifies. It knows nothing of orders, addresses or streets; the day planner maps
stops to nodes and back.

Node ``i`` is a row/column of ``duration`` and ``distance``. Depots are nodes too; each vehicle
starts and ends at its depot node. Every non-depot node is a stop with a demand, a time
window, a service time and either ``required`` (must be served, e.g. Solomon benchmarks) or a
``penalty`` paid if it is left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from optimizer.cost_scale import CostScale
from optimizer.departure import NO_RULES, Departure, Walk, WorkRules, leave_as_late_as_possible, walk_route
from optimizer.traffic import Traffic


@dataclass(frozen=True)
class VehicleSpec:
    """One vehicle of the engine model.

    ``shift_start``/``shift_end`` bound the depot departure and return (seconds).
    Costs are in integer *cost units* per metre, per second of route duration and per use; the
    day planner chooses the unit from the prices (:mod:`optimizer.cost_scale`) so that rounding
    is negligible. ``work`` holds the driver's breaks, maximum route duration and overtime
    (:class:`optimizer.departure.WorkRules`, overtime in cost units per second).
    """

    depot: int
    capacity: int
    shift_start: int
    shift_end: int
    cost_per_m: int = 1
    cost_per_s: int = 0
    fixed_cost: int = 0
    # One capacity per entry of ``RoutingProblem.quantities`` (same order), in that quantity's
    # engine units; ``None`` is unlimited (:meth:`RoutingProblem.capacity`).
    capacities: tuple[int | None, ...] = ()
    work: WorkRules = NO_RULES
    # The street profile it travels by: a key of ``RoutingProblem.profiles`` (a cargo bike's
    # "cycle"), or "" for the problem's own ``duration``/``distance`` (vans).
    profile: str = ""
    # Multi-trip: the van may come back to its depot up to ``max_reloads`` times to load its next
    # trip, each reload taking ``reload_s`` seconds there. A reload is the depot node inside the
    # route (``[3, 4, depot, 5]``: stops 3 and 4, reload, stop 5); capacity holds per trip and a
    # trip leaves no earlier than its parcels reach the depot (``RoutingProblem.ready``).
    max_reloads: int = 0
    reload_s: int = 0


@dataclass(eq=False)
class Quantity:
    """A load dimension besides parcels (``demand``): weight, volume.

    ``demand[i]`` is node ``i``'s load in whole engine units, ``per_unit`` of them making one
    ``unit`` (weight: grams, ``per_unit=1000`` for ``"kg"``; volume: millilitres for ``"l"``),
    so that no engine rounds a 0.4 kg parcel away. Depots have 0.
    """

    name: str  # "weight", "volume"
    unit: str  # what the checker and the plan show: "kg", "l"
    per_unit: int
    demand: np.ndarray  # (n,) int engine units

    def shown(self, units: int) -> str:
        """``812 kg`` for 812000 grams (to a tenth of the unit shown)."""
        return f"{round(units / self.per_unit, 1):g} {self.unit}"


@dataclass(eq=False)
class TravelProfile:
    """Travel between the problem's nodes by another street profile than the vans' (a cargo bike
    on cycle paths, never on motorways): ``duration`` in seconds, ``distance`` in metres, (n, n)."""

    name: str
    duration: np.ndarray
    distance: np.ndarray


@dataclass
class RoutingProblem:
    """Matrices in seconds and metres; per-node arrays indexed by node.

    ``duration[i, j]`` is travel time only; service time of ``i`` is added by the engines.
    ``penalty[i]`` is the cost of leaving stop ``i`` unserved; a negative value marks a stop that
    must be served. ``allowed_vehicles[i]``, when given, lists the only vehicles that may serve
    node ``i``; an empty list: none may (skills: only vehicles with every skill the stop needs;
    locked stops: a dispatcher's locks, and in a re-plan during the day each van's remaining stops;
    the stops a van has served or is driving to are not in the problem, its depot node is where it
    is now). ``initial_routes``, when given, is a hint: one list of stop nodes per vehicle, in
    order. ``quantities`` are load dimensions checked like ``demand`` (parcels), each with one
    capacity per vehicle in ``VehicleSpec.capacities``. ``cost_scale``, when given, is how many
    cost units make one unit of currency (set by the day planner); None means the costs are the instance's own units
    (VRPLIB benchmarks, hand-built tests).

    Several windows: ``windows[i]``, when given, lists node ``i``'s windows as sorted, disjoint
    ``(start, end)`` pairs; ``tw_start[i]``/``tw_end[i]`` are then their hull (first start, last
    end), and service must start inside one of them, never in a gap. Soft windows:
    ``late_allowed[i]`` seconds after ``tw_end[i]`` (the promised end of the last window) the
    service may still start, at ``late_cost[i]`` cost units per second late; None (or 0) is a hard
    window. Read them through :meth:`windows_of` and :meth:`hard_end`.

    Release times: ``ready[i]``, when given, is when stop ``i``'s parcels reach the depot (seconds);
    the vehicle that serves it leaves its depot no earlier (:meth:`earliest_departure`).

    Street profiles: a vehicle whose ``VehicleSpec.profile`` names one of ``profiles`` travels by
    that profile's matrices (:meth:`duration_of`, :meth:`distance_of`); every other vehicle by
    ``duration``/``distance``.

    Rush hour: ``traffic``, when given, is how long the vans' legs take by when they start
    (:class:`optimizer.traffic.Traffic`); the walk, the departure rule and the checker use it
    (:meth:`travel_of`), while ``duration`` holds its bound (:meth:`Traffic.bounding`), the static
    matrix the engines route on. Vehicles of another street profile are not slowed by it.

    Returns: ``collects[i]``, when given and true, makes stop ``i`` a collection: its load (parcels
    and every quantity) is picked up there and carried back to the depot instead of delivered.
    A vehicle then leaves with its deliveries only and must hold what is on board at every point
    of the route (:meth:`peak_loads`), not only the route's total.

    Pickup-and-delivery pairs: ``pairs`` maps a pickup node to its delivery node. The pickup
    collects its load (``collects`` is true there) and the delivery hands it over, so neither is
    loaded at the depot; both are served by the same vehicle, the pickup first, or neither is
    (:meth:`pair_problems`).

    Reloads (multi-trip): a vehicle with ``VehicleSpec.max_reloads`` may have its depot node inside
    its route, each occurrence a reload that ends one trip and starts the next (:meth:`trips`):
    capacity holds per trip, the release times hold per trip (a trip leaves no earlier than its
    own parcels are in), and the reload takes ``VehicleSpec.reload_s`` at the depot.
    """

    duration: np.ndarray  # (n, n) int seconds
    distance: np.ndarray  # (n, n) int metres
    demand: np.ndarray  # (n,) int parcels, 0 at depots
    service: np.ndarray  # (n,) int seconds, 0 at depots
    tw_start: np.ndarray  # (n,) int seconds
    tw_end: np.ndarray  # (n,) int seconds
    vehicles: list[VehicleSpec]
    depots: list[int]
    penalty: np.ndarray | None = None  # (n,) int cost units; None = every stop required
    allowed_vehicles: dict[int, list[int]] = field(default_factory=dict)
    quantities: list[Quantity] = field(default_factory=list)
    initial_routes: list[list[int]] | None = None
    name: str = ""
    cost_scale: CostScale | None = None
    windows: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    late_allowed: np.ndarray | None = None  # (n,) int seconds after tw_end; None = hard windows
    late_cost: np.ndarray | None = None  # (n,) int cost units per second late
    ready: np.ndarray | None = None  # (n,) int seconds the parcels reach the depot; None = all at the start
    collects: np.ndarray | None = None  # (n,) bool: the stop's load is collected (a return); None = all deliveries
    pairs: dict[int, int] = field(default_factory=dict)  # pickup node -> its delivery node (same vehicle, pickup first)
    profiles: dict[str, TravelProfile] = field(default_factory=dict)  # street profiles besides the vans'
    traffic: Traffic | None = None  # the vans' rush-hour travel; ``duration`` is then its bound

    @property
    def n(self) -> int:
        return int(self.duration.shape[0])

    def duration_of(self, vehicle: int) -> np.ndarray:
        """The travel times (seconds) ``vehicle`` drives or rides by: its profile's, else ``duration``."""
        profile = self.vehicles[vehicle].profile
        return self.profiles[profile].duration if profile else self.duration

    def travel_of(self, vehicle: int) -> np.ndarray | Traffic:
        """What ``vehicle``'s legs take, as the walk reads it: the rush-hour :class:`Traffic` for a
        van when the problem has one, else :meth:`duration_of`."""
        if self.traffic is not None and not self.vehicles[vehicle].profile:
            return self.traffic
        return self.duration_of(vehicle)

    def distance_of(self, vehicle: int) -> np.ndarray:
        """The distances (metres) ``vehicle`` covers: its profile's, else ``distance``."""
        profile = self.vehicles[vehicle].profile
        return self.profiles[profile].distance if profile else self.distance

    def longest_arc(self) -> int:
        """The longest arc of any profile (metres); 0 without nodes."""
        if not self.n:
            return 0
        return int(max([np.max(self.distance)] + [np.max(p.distance) for p in self.profiles.values()]))

    def windows_of(self, node: int) -> list[tuple[int, int]]:
        """Node ``node``'s windows, ``[(start, end), ...]`` in time order (one: ``tw_start, tw_end``)."""
        several = self.windows.get(node)
        return list(several) if several else [(int(self.tw_start[node]), int(self.tw_end[node]))]

    def allowed_late(self, node: int) -> int:
        """Seconds the service may start after ``tw_end[node]`` (0 for a hard window)."""
        return 0 if self.late_allowed is None else max(0, int(self.late_allowed[node]))

    def hard_end(self, node: int) -> int:
        """The latest service start at ``node``: its (last) window's end plus the allowed lateness."""
        return int(self.tw_end[node]) + self.allowed_late(node)

    def has_soft_or_several_windows(self) -> bool:
        """Whether any node has several windows or allowed lateness (engines without them relax)."""
        return bool(self.windows) or (self.late_allowed is not None and bool(np.any(self.late_allowed > 0)))

    def has_work_rules(self) -> bool:
        """Whether any vehicle has breaks, a maximum route duration or overtime."""
        return any(v.work != NO_RULES for v in self.vehicles)

    def has_breaks(self) -> bool:
        """Whether any vehicle's driver takes breaks (PyVRP has none; the checker's re-walk of them is the slowest)."""
        return any(v.work.breaks for v in self.vehicles)

    def has_reloads(self) -> bool:
        """Whether any vehicle may reload at its depot mid-route (multi-trip)."""
        return any(v.max_reloads > 0 for v in self.vehicles)

    def trips(self, vehicle: int, stops: Sequence[int]) -> list[list[int]]:
        """``stops`` cut into trips at ``vehicle``'s depot node (a reload); one trip without reloads.
        A trip may be empty (two reloads in a row)."""
        return _cut_at(stops, {self.vehicles[vehicle].depot})

    def join_trips(self, vehicle: int, trips: Sequence[Sequence[int]]) -> list[int]:
        """One route of ``trips`` in order, a reload at ``vehicle``'s depot between two of them;
        empty trips are left out (a reload that starts no trip only costs its loading time)."""
        depot = self.vehicles[vehicle].depot
        out: list[int] = []
        for trip in trips:
            if trip:
                out += [depot, *trip] if out else list(trip)
        return out

    def without_idle_reloads(self, vehicle: int, stops: Sequence[int]) -> list[int]:
        """``stops`` without reloads that start no trip: before the first stop, after the last, or
        right after another reload (each only costs its loading time)."""
        return self.join_trips(vehicle, self.trips(vehicle, stops))

    def reloads_in(self, vehicle: int, stops: Sequence[int]) -> int:
        """How many times ``stops`` has ``vehicle`` reload at its depot."""
        depot = self.vehicles[vehicle].depot
        return sum(1 for node in stops if int(node) == depot)

    def trip_ready(self, vehicle: int, stops: Sequence[int]) -> list[int]:
        """Per trip of ``stops`` (:meth:`trips`), when its last parcel reaches the depot (seconds; 0
        when all are in from the start): the trip leaves no earlier."""
        if self.ready is None:
            return [0 for _ in self.trips(vehicle, stops)]
        return [max((int(self.ready[node]) for node in trip), default=0) for trip in self.trips(vehicle, stops)]

    def earliest_departure(self, vehicle: int, stops: list[int] | tuple[int, ...]) -> int:
        """When ``vehicle`` may leave to serve ``stops``: its shift start, or later when a stop's
        parcels of its first trip reach the depot later (``ready``), seconds."""
        start = self.vehicles[vehicle].shift_start
        if self.ready is None or not len(stops):
            return start
        return max(start, self.trip_ready(vehicle, stops)[0])

    def _reload_terms(self, vehicle: int, stops: Sequence[int]) -> dict:
        """The walk's reload arguments for a route with reloads (else none)."""
        spec = self.vehicles[vehicle]
        if not spec.max_reloads or spec.depot not in stops:
            return {}
        return dict(reload_s=spec.reload_s, trip_ready=tuple(self.trip_ready(vehicle, stops)[1:]))

    def walk(self, vehicle: int, stops: list[int] | tuple[int, ...], depart: int | None = None) -> Walk:
        """``stops`` walked by ``vehicle`` leaving its depot at ``depart`` (if None, the earliest it
        may: :meth:`earliest_departure`), with the problem's windows and the vehicle's breaks
        (:func:`optimizer.departure.walk_route`)."""
        spec = self.vehicles[vehicle]
        depart = self.earliest_departure(vehicle, stops) if depart is None else depart
        return walk_route(stops, spec.depot, depart, self.travel_of(vehicle),
                          self.service, self.tw_start, self.tw_end, windows=self.windows,
                          late_allowed=self.late_allowed, breaks=spec.work.breaks, late_cost=self.late_cost,
                          cost_per_s=spec.cost_per_s, **self._reload_terms(vehicle, stops))

    def judged_walk(self, vehicle: int, stops: list[int] | tuple[int, ...], departure: Departure | None = None) -> Walk:
        """The walk a route is judged by (windows, breaks, shift end): leaving as early as it may
        (:meth:`walk`), or, when a break of the vehicle fits only wholly before a later departure,
        leaving at the departure rule's (``departure``, computed when not given)."""
        early = self.walk(vehicle, stops)
        if early.sound or not stops or not self.vehicles[vehicle].work.breaks:
            return early
        later = self.walk(vehicle, stops, (departure or self.departure(vehicle, stops)).depart_s)
        return later if later.sound else early

    def departure(self, vehicle: int, stops: list[int] | tuple[int, ...]) -> Departure:
        """When ``vehicle`` leaves to serve ``stops``: the one departure rule
        (:func:`optimizer.departure.leave_as_late_as_possible`) with the problem's windows and
        lateness costs, the vehicle's wage and working-time rules, leaving no earlier than
        :meth:`earliest_departure`."""
        spec = self.vehicles[vehicle]
        return leave_as_late_as_possible(stops, spec.depot, self.earliest_departure(vehicle, stops), spec.shift_end,
                                         self.travel_of(vehicle),
                                         self.service, self.tw_start, self.tw_end, windows=self.windows,
                                         late_allowed=self.late_allowed, late_cost=self.late_cost,
                                         cost_per_s=spec.cost_per_s, work=spec.work,
                                         **self._reload_terms(vehicle, stops))

    def has_returns(self) -> bool:
        """Whether any stop collects its load (a return) rather than delivering it."""
        return self.collects is not None and bool(np.any(self.collects))

    def amounts(self) -> list[np.ndarray]:
        """Each load dimension's per-node amounts: parcels (``demand``), then each of ``quantities``."""
        return [self.demand, *(q.demand for q in self.quantities)]

    def capacities(self, vehicle: int) -> list[int]:
        """``vehicle``'s capacity in each of :meth:`amounts` (engine units)."""
        return [int(self.vehicles[vehicle].capacity), *(self.capacity(vehicle, k) for k in range(len(self.quantities)))]

    def peak_loads(self, stops: Sequence[int]) -> list[int]:
        """The most a vehicle holds at any point of ``stops`` in each of :meth:`amounts`
        (:func:`peak_load`): the route's total when every stop is a delivery; with reloads (a
        depot node inside ``stops``), the fullest trip."""
        trips = _cut_at(stops, set(self.depots))
        picked_up = self.picked_up()
        return [max(peak_load(trip, amount, self.collects, picked_up) for trip in trips) for amount in self.amounts()]

    def picked_up(self) -> frozenset[int]:
        """The delivery nodes of pairs: their load comes aboard at the pair's pickup, not at the depot."""
        return frozenset(self.pairs.values())

    def partners(self) -> dict[int, int]:
        """Each end of a pickup-and-delivery pair -> its other end."""
        return {**self.pairs, **{d: p for p, d in self.pairs.items()}}

    def loaded_at_depot(self, node: int) -> bool:
        """Whether ``node``'s load leaves the depot on the vehicle (a delivery, not a return nor a pair's end)."""
        return not (self.collects is not None and self.collects[node]) and node not in self.picked_up()

    def pair_problems(self, routes: Sequence[Sequence[int]]) -> list[tuple[int, str]]:
        """``(node, why)`` for each pair end served without its other end on the same route before
        (pickup) or after (delivery) it; empty when every pair is whole or left out whole."""
        if not self.pairs:
            return []
        where: dict[int, tuple[int, int]] = {}
        for v, route in enumerate(routes):
            for k, node in enumerate(route):
                where[int(node)] = (v, k)
        out = []
        for pickup, delivery in sorted(self.pairs.items()):
            p, d = where.get(pickup), where.get(delivery)
            if p is None and d is None:
                continue
            if p is None or d is None:
                out.append((pickup if p is not None else delivery,
                            "its pair's other end is not served" if p is not None else "its pickup is not served"))
            elif p[0] != d[0]:
                out.append((delivery, f"picked up on route {p[0]}, delivered by route {d[0]}"))
            elif p[1] > d[1]:
                out.append((delivery, "delivered before its pickup"))
        return out

    def load_fits(self, vehicle: int, stops: Sequence[int]) -> bool:
        """Whether ``vehicle`` holds ``stops``'s load at every point of the route, in every dimension."""
        return all(peak <= cap for peak, cap in zip(self.peak_loads(stops), self.capacities(vehicle)))

    def stop_nodes(self) -> list[int]:
        depot_set = set(self.depots)
        return [i for i in range(self.n) if i not in depot_set]

    def is_required(self, node: int) -> bool:
        return self.penalty is None or self.penalty[node] < 0

    def may_serve(self, vehicle: int, node: int) -> bool:
        """Whether ``vehicle`` is allowed at ``node`` (locks and skills; every vehicle if unrestricted)."""
        allowed = self.allowed_vehicles.get(node)
        return allowed is None or vehicle in allowed

    def capacity(self, vehicle: int, k: int) -> int:
        """Vehicle ``vehicle``'s capacity in quantity ``k`` (engine units).

        An unlimited capacity (``None``) is the quantity's total demand over all nodes: no route
        can carry more, and it never overflows an engine's integers as an "infinity" would.
        """
        spec = self.vehicles[vehicle]
        cap = spec.capacities[k] if k < len(spec.capacities) else None
        return int(self.quantities[k].demand.sum()) if cap is None else int(cap)


def _cut_at(stops: Sequence[int], depots: set[int]) -> list[list[int]]:
    """``stops`` cut into trips at each node of ``depots`` (a reload); a trip may be empty."""
    out: list[list[int]] = [[]]
    for node in stops:
        if int(node) in depots:
            out.append([])
        else:
            out[-1].append(int(node))
    return out


def peak_load(stops: Sequence[int], amount: np.ndarray, collects: np.ndarray | None = None,
              picked_up: frozenset[int] = frozenset()) -> int:
    """The most a vehicle serving ``stops`` in order holds at once of ``amount`` (engine units).

    It leaves with every delivery on board; each delivery lightens it, each collection
    (``collects[node]`` true: a return, or a pair's pickup) adds to it until the depot or the
    pair's delivery (``picked_up``: delivered, not loaded at the depot). Without collections this
    is the route's total. Capacity binds at this peak, wherever on the route it falls.
    """
    if collects is None:
        return int(sum(int(amount[node]) for node in stops))
    on_board = int(sum(int(amount[node]) for node in stops if not collects[node] and node not in picked_up))
    peak = on_board
    for node in stops:
        on_board += int(amount[node]) if collects[node] else -int(amount[node])
        peak = max(peak, on_board)
    return peak


@dataclass
class RoutingSolution:
    """One route (list of stop nodes, depot excluded) per vehicle, plus dropped stops."""

    routes: list[list[int]]
    dropped: list[int]
    objective: int
    engine: str
    wall_s: float
    meta: dict = field(default_factory=dict)

    def used_vehicles(self) -> int:
        return sum(1 for r in self.routes if r)
