"""Independent referee for routing solutions.

:func:`check_solution` re-walks every route on the problem's matrices, with no solver involved:
the van leaves its depot at its shift start (or later), waits for windows, serves, and must be
back by its shift end; loads must fit in every quantity (parcels, weight, volume); every
required stop is served exactly once; no stop twice; locks and skills (allowed vehicles)
respected. It also prices the plan with one cost definition shared by all engines:

    objective = sum over used vehicles of (distance * cost_per_m + span * cost_per_s + fixed_cost)
              + sum of penalties of dropped optional stops

where ``span`` is the shortest possible depot-to-depot duration of the route (waiting included,
departure as late as the windows allow: :mod:`optimizer.departure`) — the same quantity
OR-Tools' span cost and PyVRP's duration cost minimise. Dropped *required* stops make the plan infeasible and are not priced.

Violations are strings ``"<kind>: <detail>"``; kinds are listed in :data:`VIOLATION_KINDS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from optimizer.departure import leave_as_late_as_possible
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
)


@dataclass(frozen=True)
class RouteCheck:
    """One vehicle's route as re-simulated (seconds since midnight, metres, parcels)."""

    vehicle: int
    stops: tuple[int, ...]
    distance: int  # metres, depot to depot
    load: int  # parcels
    earliest_starts: tuple[int, ...]  # service start at each stop when leaving at shift start
    return_time: int  # back at the depot, leaving at shift start
    span: int  # seconds, shortest depot-to-depot duration (waiting included); 0 if empty
    cost: int  # cost units: distance, labour (span) and fixed cost; 0 if empty


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

    def kinds(self) -> set[str]:
        """The distinct violation kinds found."""
        return {v.split(":", 1)[0] for v in self.violations}


def check_route(problem: RoutingProblem, vehicle: int, stops: Sequence[int]) -> tuple[RouteCheck, list[str]]:
    """Re-walk one route; returns its figures and its violations (window, shift, capacity, locked)."""
    spec = problem.vehicles[vehicle]
    violations: list[str] = []
    t, prev, distance, load, starts = spec.shift_start, spec.depot, 0, 0, []
    for node in stops:
        arrival = t + int(problem.service[prev]) + int(problem.duration[prev, node])
        start = max(arrival, int(problem.tw_start[node]))
        if start > problem.tw_end[node]:
            violations.append(
                f"window: vehicle {vehicle} reaches node {node} at {arrival} s, "
                f"after its window [{problem.tw_start[node]}, {problem.tw_end[node]}] closes"
            )
        if not problem.may_serve(vehicle, node):
            allowed = problem.allowed_vehicles[node]
            violations.append(f"locked: node {node} is locked to vehicles {list(allowed)}, not {vehicle}")
        distance += int(problem.distance[prev, node])
        load += int(problem.demand[node])
        starts.append(start)
        t, prev = start, node
    back = t + int(problem.service[prev]) + int(problem.duration[prev, spec.depot]) if stops else spec.shift_start
    distance += int(problem.distance[prev, spec.depot]) if stops else 0
    if back > spec.shift_end:
        violations.append(f"shift: vehicle {vehicle} returns at {back} s, after its shift end {spec.shift_end} s")
    if load > spec.capacity:
        violations.append(f"capacity: vehicle {vehicle} carries {load} parcels, capacity {spec.capacity}")
    for k, quantity in enumerate(problem.quantities):
        carried = sum(int(quantity.demand[node]) for node in stops)
        capacity = problem.capacity(vehicle, k)
        if carried > capacity:
            violations.append(f"capacity: vehicle {vehicle} carries {quantity.shown(carried)}, "
                              f"capacity {quantity.shown(capacity)}")
    span = leave_as_late_as_possible(stops, spec.depot, spec.shift_start, spec.shift_end, problem.duration,
                                     problem.service, problem.tw_start, problem.tw_end).span_s
    cost = distance * spec.cost_per_m + span * spec.cost_per_s + spec.fixed_cost if stops else 0
    report = RouteCheck(vehicle, tuple(stops), distance, load, tuple(starts), back, span, cost)
    return report, violations


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
        for node in route:
            node = int(node)
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

    penalties = sum(int(problem.penalty[s]) for s in dropped_optional) if problem.penalty is not None else 0
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
    )


def check_solution(problem: RoutingProblem, solution: RoutingSolution) -> CheckReport:
    """Check ``solution`` against ``problem``; see the module docstring for what is checked."""
    return check_routes(problem, solution.routes, solution.dropped)
