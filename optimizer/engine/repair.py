"""Repair a plan found under a relaxation so that it holds under the exact model.

An engine that searched a relaxation of the windows (the hull of a stop's several windows, as
PyVRP's first mapping did; any future relaxation, or a bug) may hand back a plan that serves a
stop in the gap between two windows, which under the exact model means waiting for the next
window, so that later stops on the route miss theirs or the van is back after its shift.
(PyVRP now serves several windows exactly, :mod:`optimizer.engine.pyvrp_solver`; the repair is
the portfolio's guard, not its normal path.)
:func:`repair_windows` takes such stops off their routes (they become dropped) until every route
walks cleanly under the exact model (:func:`optimizer.checker.check_route`); OR-Tools, the model
of record, then polishes the repaired plan. Before that, :func:`reinsert_stops` puts the stops
taken off back where they fit best under the exact windows (cheapest insertion), so the repaired
plan competes on price with OR-Tools' own instead of losing by the drop penalties of the stops
the relaxation misplaced. Nothing here is trusted:
the portfolio judges the repaired and polished plans with the checker like any other.
"""

from __future__ import annotations

from collections.abc import Sequence

from optimizer.problem import RoutingProblem


def _in_time(problem: RoutingProblem, vehicle: int, stops: Sequence[int]) -> bool:
    """Whether ``stops`` walk in time for ``vehicle`` (every service start by its hard end, every
    break taken, back by the shift end) as the checker judges them
    (:meth:`~optimizer.problem.RoutingProblem.judged_walk`), and, with a maximum route duration,
    fit in it leaving when the departure rule says."""
    spec = problem.vehicles[vehicle]
    w = problem.judged_walk(vehicle, stops)
    if not (w.sound and w.return_s <= spec.shift_end):
        return False
    return spec.work.max_span is None or not stops or problem.departure(vehicle, stops).span_s <= spec.work.max_span


def _waits_for_later_window(problem: RoutingProblem, vehicle: int, stops: Sequence[int]) -> list[int]:
    """Stops of a route whose service, leaving at the shift start, waits for a later window than
    the one the van arrives after (it arrives in a gap): where the hull relaxation differs."""
    w = problem.walk(vehicle, stops)
    out = []
    for node, arrival, start in zip(stops, w.arrivals, w.starts):
        wins = problem.windows.get(node)
        if wins and start > arrival and wins[0][0] <= arrival <= wins[-1][1] \
                and not any(a <= arrival <= b for a, b in wins):
            out.append(node)
    return out


def _greedy(problem: RoutingProblem, vehicle: int, stops: Sequence[int], skip: set[int]) -> list[int]:
    """Keep stops in route order while the kept prefix (and, at the end, the return) stays in time."""
    kept: list[int] = []
    for node in stops:
        if node in skip:
            continue
        if problem.walk(vehicle, kept + [node]).sound:
            kept.append(node)
    while kept and not _in_time(problem, vehicle, kept):
        kept.pop()
    return kept


def repair_route(problem: RoutingProblem, vehicle: int, stops: Sequence[int]) -> list[int]:
    """The longest of two greedy repairs of one route that walk in time under the exact model: one
    keeping stops in order while they fit, one that first takes off the stops served in a gap."""
    stops = list(stops)
    if _in_time(problem, vehicle, stops):
        return stops
    plain = _greedy(problem, vehicle, stops, set())
    gap = _greedy(problem, vehicle, stops, set(_waits_for_later_window(problem, vehicle, stops)))
    return max((plain, gap), key=len)


def repair_windows(
    problem: RoutingProblem, routes: Sequence[Sequence[int]], *, reinsert: bool = True
) -> tuple[list[list[int]], list[int]]:
    """Routes with the stops that break the exact windows or shifts taken off and, with
    ``reinsert``, put back where they fit best (:func:`reinsert_stops`); and the stops left off.

    Only time is repaired: loads, locks and duplicates are not touched (a PyVRP plan that breaks
    them is discarded, as before). Routes that already walk in time are returned unchanged.
    """
    repaired, removed = [], []
    for vehicle, stops in enumerate(routes):
        kept = repair_route(problem, vehicle, stops) if vehicle < len(problem.vehicles) else list(stops)
        removed.extend(n for n in stops if n not in set(kept))
        repaired.append(kept)
    # A pair goes off whole and stays off (reinsert_stops leaves pairs out).
    partner = problem.partners()
    halves = {partner[n] for n in removed if n in partner} - set(removed)
    if halves:
        repaired = [[n for n in route if n not in halves] for route in repaired]
        removed.extend(sorted(halves))
    if reinsert and removed:
        return reinsert_stops(problem, repaired, removed)
    return repaired, removed


def _walk_cost(problem: RoutingProblem, vehicle: int, stops: Sequence[int]) -> int | None:
    """A route's cost leaving at the shift start (distance, return time as labour, lateness), or
    None if it misses a window or the shift end: the quick measure insertions are ranked by."""
    spec = problem.vehicles[vehicle]
    w = problem.walk(vehicle, stops)
    if not w.sound or w.return_s > spec.shift_end:
        return None
    if spec.work.max_span is not None and stops and problem.departure(vehicle, stops).span_s > spec.work.max_span:
        return None
    nodes = [spec.depot, *stops, spec.depot]
    metres = problem.distance_of(vehicle)
    distance = sum(int(metres[a, b]) for a, b in zip(nodes, nodes[1:]))
    late = 0 if problem.late_cost is None else sum(s * int(problem.late_cost[n]) for n, s in zip(stops, w.late_s))
    return distance * spec.cost_per_m + (w.return_s - problem.earliest_departure(vehicle, stops)) * spec.cost_per_s + late


def _fits_load(problem: RoutingProblem, vehicle: int, stops: Sequence[int], node: int) -> bool:
    """Whether ``node`` added anywhere to ``stops`` may fit ``vehicle``: the deliveries it leaves
    with and the returns it comes back with each fit, which is exact without returns (with
    returns the peak may fall between, so each position is checked again)."""
    route = [*stops, node]
    collects = problem.collects
    for amount, cap in zip(problem.amounts(), problem.capacities(vehicle)):
        out = sum(int(amount[n]) for n in route if problem.loaded_at_depot(n))
        back = 0 if collects is None else sum(int(amount[n]) for n in route if collects[n] and n not in problem.pairs)
        if out > cap or back > cap:
            return False
    return True


def reinsert_stops(
    problem: RoutingProblem, routes: Sequence[Sequence[int]], stops: Sequence[int]
) -> tuple[list[list[int]], list[int]]:
    """Put ``stops`` back into ``routes`` one by one (required and dearest to drop first), each at
    the position that raises the route's quick cost least while every route still walks in time
    under the exact windows, loads fit and locks hold; when putting it back costs less than its
    drop penalty (a required stop always goes back if it fits). Returns the routes and the stops
    left off. The checker prices the result exactly."""
    routes = [list(r) for r in routes]
    costs = [_walk_cost(problem, v, r) if r else 0 for v, r in enumerate(routes)]
    # A pickup-and-delivery pair's end is never put back alone (that would break the pair); pairs
    # are left to OR-Tools, which polishes next and inserts pairs whole.
    partner = problem.partners()
    paired_off = [n for n in stops if n in partner]
    stops = [n for n in stops if n not in partner]

    def worth(node: int) -> float:
        return float("inf") if problem.is_required(node) else float(problem.penalty[node])

    # With returns or reloads the load depends on the position too; with reloads the route's total
    # is no bound (each trip has the whole capacity).
    by_position = problem.has_returns() or problem.has_reloads()
    reloads = problem.has_reloads()
    left: list[int] = []
    for node in sorted(stops, key=worth, reverse=True):
        best = None  # (added cost, vehicle, position)
        for v, route in enumerate(routes):
            if v >= len(problem.vehicles) or costs[v] is None or not problem.may_serve(v, node):
                continue
            if not reloads and not _fits_load(problem, v, route, node):
                continue
            fixed = problem.vehicles[v].fixed_cost if not route else 0
            for pos in range(len(route) + 1):
                candidate = route[:pos] + [node] + route[pos:]
                if by_position and not problem.load_fits(v, candidate):
                    continue
                trial = _walk_cost(problem, v, candidate)
                if trial is not None and (best is None or trial - costs[v] + fixed < best[0]):
                    best = (trial - costs[v] + fixed, v, pos)
        if best is None or best[0] >= worth(node):
            left.append(node)
            continue
        _, v, pos = best
        routes[v].insert(pos, node)
        costs[v] = _walk_cost(problem, v, routes[v])
    return routes, [n for n in stops if n in set(left)] + paired_off
