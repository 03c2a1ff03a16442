"""Independent referee for routing solutions.

:func:`check_solution` re-walks every route on the problem's matrices, with no solver involved:
the van leaves its depot at its shift start (or later), waits for windows, serves, and must be
back by its shift end; loads must fit in every quantity (parcels, weight, volume); every
required stop is served exactly once; no stop twice; locks and skills (allowed vehicles)
respected. It also prices the plan with one cost definition shared by all engines:

    objective = sum over used vehicles of (distance * cost_per_m + span * cost_per_s + fixed_cost
                                           + overtime * overtime_cost_per_s)
              + sum over stops of late_cost * seconds late (soft windows)
              + sum of penalties of dropped optional stops

where ``span`` is the shortest possible depot-to-depot duration of the route (waiting included,
departure as late as the windows allow: :mod:`optimizer.departure`) — the same quantity
OR-Tools' span cost and PyVRP's duration cost minimise. Dropped *required* stops make the plan infeasible and are not priced.

Several windows: a stop is served in the first of its windows not yet closed when the van
arrives (waiting for it to open); arriving after the last one closes (and its allowed
lateness) is a ``window`` violation, and so is a service start in a gap between windows, which
a walk never produces but a route given with its times could. Soft windows: a start after the
last window's end but within the allowed lateness is no violation; the report lists it
(``late``: node, seconds, cost) and prices it (``lateness_cost``). With several or soft windows
the departure is the cheapest one (:func:`optimizer.departure.best_departure`).

Working-time rules (``VehicleSpec.work``): the walk takes the driver's breaks where they delay
the route least (:func:`optimizer.departure.walk_route`); a break that cannot be taken inside its
window is a ``break`` violation, a route longer than the maximum route duration a ``duration``
one; ``overtime`` is the span beyond the normal duration, priced at the overtime rate.

Reloads (``VehicleSpec.max_reloads``): the vehicle's own depot inside its route ends one trip and
starts the next; capacity holds per trip, each trip leaves once its parcels are in, and more
reloads than allowed is a ``reload`` violation (a depot inside the route of a vehicle that may not
reload, or another vehicle's depot, is a ``node`` one).

Violations are strings ``"<kind>: <detail>"``; kinds are listed in :data:`VIOLATION_KINDS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from optimizer.problem import RoutingProblem, RoutingSolution

VIOLATION_KINDS = (
    "routes",  # more routes than vehicles
    "node",  # unknown node or a depot inside a route
    "duplicate",  # a stop visited twice
    "unserved",  # a required stop on no route
    "dropped",  # a stop both routed and listed as dropped
    "locked",  # a stop on a vehicle not allowed to serve it
    "capacity",  # route load above vehicle capacity (parcels, or a quantity such as weight or volume)
    "window",  # service starts after the stop's window closes
    "shift",  # back at the depot after the shift end
    "break",  # a driver's break that cannot be taken inside its window
    "duration",  # route longer than the vehicle's maximum route duration
    "reload",  # more reloads than the vehicle may make
    "pair",  # a pickup-and-delivery pair split across routes, delivered before its pickup, or half served
)


@dataclass(frozen=True)
class RouteCheck:
    """One vehicle's route as re-simulated (seconds since midnight, metres, parcels)."""

    vehicle: int
    stops: tuple[int, ...]
    distance: int  # metres, depot to depot
    load: int  # parcels at its fullest (the total, unless it collects returns on the way)
    earliest_starts: tuple[int, ...]  # service start at each stop leaving as early as it may (shift start, parcels in)
    return_time: int  # back at the depot, leaving then
    span: int  # seconds, shortest depot-to-depot duration (waiting included); 0 if empty
    cost: int  # cost units: distance, labour (span), fixed cost and lateness; 0 if empty
    depart: int = 0  # leaves its depot (the departure ``span`` and ``late`` are measured from)
    starts: tuple[int, ...] = ()  # service start at each stop, leaving at ``depart``
    late: tuple[int, ...] = ()  # seconds late at each stop (soft windows), leaving at ``depart``
    lateness_cost: int = 0  # cost units: the stops' seconds late at their late cost
    breaks: tuple[tuple[int, int, int], ...] = ()  # (stops served before, start, end), leaving at ``depart``
    overtime: int = 0  # seconds of span beyond the normal route duration
    overtime_cost: int = 0  # cost units, included in ``cost``


@dataclass
class CheckReport:
    feasible: bool
    violations: list[str]
    distance: int  # metres over all routes
    duration_total: int  # seconds: sum of route spans
    objective: int  # cost units, see module docstring
    used_vehicles: int
    dropped_required: list[int] = field(default_factory=list)
    dropped_optional: list[int] = field(default_factory=list)
    routes: list[RouteCheck] = field(default_factory=list)
    late: list[tuple[int, int, int]] = field(default_factory=list)  # (node, seconds late, cost units), soft windows
    lateness_cost: int = 0  # cost units, included in ``objective``

    @property
    def late_minutes(self) -> float:
        """Minutes late over all stops served after their window within its allowed lateness."""
        return round(sum(s for _, s, _ in self.late) / 60, 2)

    def kinds(self) -> set[str]:
        """The distinct violation kinds found."""
        return {v.split(":", 1)[0] for v in self.violations}


def check_route(problem: RoutingProblem, vehicle: int, stops: Sequence[int]) -> tuple[RouteCheck, list[str]]:
    """Re-walk one route; returns its figures and its violations (window, shift, capacity, locked)."""
    spec = problem.vehicles[vehicle]
    violations: list[str] = []
    leave = problem.departure(vehicle, stops)
    chosen = problem.walk(vehicle, stops, leave.depart_s)
    early = problem.judged_walk(vehicle, stops, leave)
    distance, prev, metres = 0, spec.depot, problem.distance_of(vehicle)
    for node, arrival, start in zip(stops, early.arrivals, early.starts):
        if node == spec.depot:  # a reload: its wait and loading are in the walk
            distance += int(metres[prev, node])
            prev = node
            continue
        if start > problem.hard_end(node):
            wins = problem.windows_of(node)
            shown = " | ".join(f"[{a}, {b}]" for a, b in wins)
            late = problem.allowed_late(node)
            allowance = f" and its {late} s allowed lateness" if late else ""
            violations.append(
                f"window: vehicle {vehicle} reaches node {node} at {arrival} s, "
                f"after its window{'s' if len(wins) > 1 else ''} {shown}{allowance} closes"
            )
        if not problem.may_serve(vehicle, node):
            allowed = problem.allowed_vehicles[node]
            violations.append(f"locked: node {node} is locked to vehicles {list(allowed)}, not {vehicle}")
        distance += int(metres[prev, node])
        prev = node
    back = early.return_s if stops else spec.shift_start
    distance += int(metres[prev, spec.depot]) if stops else 0
    if back > spec.shift_end:
        violations.append(f"shift: vehicle {vehicle} returns at {back} s, after its shift end {spec.shift_end} s")
    # Capacity binds where the vehicle is fullest: at the start for deliveries, later when it
    # collects returns on the way (RoutingProblem.peak_loads).
    peaks = problem.peak_loads(stops)
    capacities = problem.capacities(vehicle)
    at_most = " at its fullest" if problem.has_returns() else ""
    reloads = problem.reloads_in(vehicle, stops)
    if reloads:
        at_most += " on one trip"
    if reloads > spec.max_reloads:
        violations.append(f"reload: vehicle {vehicle} reloads {reloads} times, at most {spec.max_reloads}")
    if peaks[0] > capacities[0]:
        violations.append(f"capacity: vehicle {vehicle} carries {peaks[0]} parcels{at_most}, capacity {capacities[0]}")
    for quantity, carried, capacity in zip(problem.quantities, peaks[1:], capacities[1:]):
        if carried > capacity:
            violations.append(f"capacity: vehicle {vehicle} carries {quantity.shown(carried)}{at_most}, "
                              f"capacity {quantity.shown(capacity)}")
    if stops and not early.breaks_fit:
        shown = ", ".join(f"{r.duration} s within [{r.earliest}, {r.latest}]" for r in spec.work.breaks)
        violations.append(f"break: vehicle {vehicle} cannot take its break{'s' if len(spec.work.breaks) > 1 else ''} "
                          f"({shown}) on this route")
    late = chosen.late_s if problem.late_allowed is not None else tuple(0 for _ in stops)
    late_cost = sum(s * int(problem.late_cost[n]) for n, s in zip(stops, late) if s) if problem.late_cost is not None else 0
    span = leave.span_s
    if stops and spec.work.max_span is not None and span > spec.work.max_span:
        violations.append(f"duration: vehicle {vehicle} is out for {span} s, above its maximum route duration "
                          f"{spec.work.max_span} s")
    overtime = spec.work.overtime_s(span) if stops else 0
    overtime_cost = overtime * spec.work.overtime_cost_per_s
    cost = distance * spec.cost_per_m + span * spec.cost_per_s + spec.fixed_cost + late_cost + overtime_cost if stops else 0
    report = RouteCheck(vehicle, tuple(stops), distance, peaks[0], early.starts, back, span, cost,
                        depart=leave.depart_s, starts=chosen.starts, late=late, lateness_cost=late_cost,
                        breaks=chosen.breaks, overtime=overtime, overtime_cost=overtime_cost)
    return report, violations


def gap_violations(problem: RoutingProblem, vehicle: int, stops: Sequence[int], starts: Sequence[int]) -> list[str]:
    """``window`` violations of service starts given with a route (a hand-timed plan, a driver's
    record): a start before its stop's first window, in a gap between two windows, or after its
    hard end. :func:`check_route` walks routes itself and never starts a service in a gap."""
    out = []
    for node, start in zip(stops, starts):
        wins = problem.windows_of(node)
        hard = problem.hard_end(node)
        inside = any(a <= start <= (hard if k == len(wins) - 1 else b) for k, (a, b) in enumerate(wins))
        if not inside:
            where = ("before its first window" if start < wins[0][0] else
                     "after its last window closes" if start > hard else "in the gap between its windows")
            shown = " | ".join(f"[{a}, {b}]" for a, b in wins)
            out.append(f"window: vehicle {vehicle} starts node {node} at {start} s, {where} {shown}")
    return out


def check_routes(
    problem: RoutingProblem, routes: Sequence[Sequence[int]], dropped: Sequence[int] = ()
) -> CheckReport:
    """Check a route set (one stop list per vehicle, depots excluded)."""
    violations: list[str] = []
    if len(routes) > len(problem.vehicles):
        violations.append(f"routes: {len(routes)} routes for {len(problem.vehicles)} vehicles")
        routes = routes[: len(problem.vehicles)]
    depot_set = set(problem.depots)
    seen: set[int] = set()
    clean_routes: list[list[int]] = []
    for vehicle, route in enumerate(routes):
        clean: list[int] = []
        reload_at = problem.vehicles[vehicle].depot if problem.vehicles[vehicle].max_reloads else None
        for node in route:
            node = int(node)
            if node == reload_at:  # a reload (multi-trip), counted in check_route
                clean.append(node)
                continue
            if not 0 <= node < problem.n or node in depot_set:
                violations.append(f"node: vehicle {vehicle} visits {node}, which is not a stop")
                continue
            if node in seen:
                violations.append(f"duplicate: node {node} is visited more than once")
            seen.add(node)
            clean.append(node)
        clean_routes.append(clean)

    route_checks: list[RouteCheck] = []
    for vehicle, route in enumerate(clean_routes):
        report, route_violations = check_route(problem, vehicle, route)
        route_checks.append(report)
        violations.extend(route_violations)

    for node in sorted(set(int(d) for d in dropped) & seen):
        violations.append(f"dropped: node {node} is listed as dropped but is on a route")
    missing = [s for s in problem.stop_nodes() if s not in seen]
    dropped_required = [s for s in missing if problem.is_required(s)]
    dropped_optional = [s for s in missing if not problem.is_required(s)]
    for node in dropped_required:
        violations.append(f"unserved: required node {node} is on no route")
    violations.extend(f"pair: node {node}: {why}" for node, why in problem.pair_problems(clean_routes))

    penalties = sum(int(problem.penalty[s]) for s in dropped_optional) if problem.penalty is not None else 0
    late = [(n, s, s * int(problem.late_cost[n]) if problem.late_cost is not None else 0)
            for r in route_checks for n, s in zip(r.stops, r.late) if s]
    return CheckReport(
        feasible=not violations,
        violations=violations,
        distance=sum(r.distance for r in route_checks),
        duration_total=sum(r.span for r in route_checks),
        objective=sum(r.cost for r in route_checks) + penalties,
        used_vehicles=sum(1 for r in route_checks if r.stops),
        dropped_required=dropped_required,
        dropped_optional=dropped_optional,
        routes=route_checks,
        late=late,
        lateness_cost=sum(r.lateness_cost for r in route_checks),
    )


def check_solution(problem: RoutingProblem, solution: RoutingSolution) -> CheckReport:
    """Check ``solution`` against ``problem``; see the module docstring for what is checked."""
    return check_routes(problem, solution.routes, solution.dropped)
