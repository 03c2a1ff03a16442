"""Repair a plan found under a relaxation so that it holds under the exact model.

PyVRP 0.14 sees one hard window per stop: the hull of a stop's several windows, its end widened
by the allowed lateness (:mod:`optimizer.engine.pyvrp_solver`). Its plan may therefore serve a stop
in the gap between two windows, which under the exact model means waiting for the next window,
so that later stops on the route miss theirs or the van is back after its shift.
:func:`repair_windows` takes such stops off their routes (they become dropped) until every route
walks cleanly under the exact model (:func:`optimizer.checker.check_route`); OR-Tools, the model
of record, then polishes the repaired plan and re-inserts what it can. Nothing here is trusted:
the portfolio judges the repaired and polished plans with the checker like any other.
"""

from __future__ import annotations

from collections.abc import Sequence

from optimizer.departure import walk_route
from optimizer.problem import RoutingProblem

def _in_time(problem: RoutingProblem, vehicle: int, stops: Sequence[int]) -> bool:
    """Whether ``stops`` walk in time for ``vehicle`` (every service start by its hard end, back
    by the shift end), leaving at the shift start."""
    spec = problem.vehicles[vehicle]
    w = walk_route(stops, spec.depot, spec.shift_start, problem.duration, problem.service, problem.tw_start,
                   problem.tw_end, windows=problem.windows, late_allowed=problem.late_allowed)
    return w.in_time and w.return_s <= spec.shift_end


def _waits_for_later_window(problem: RoutingProblem, vehicle: int, stops: Sequence[int]) -> list[int]:
    """Stops of a route whose service, leaving at the shift start, waits for a later window than
    the one the van arrives after (it arrives in a gap): where the hull relaxation differs."""
    spec = problem.vehicles[vehicle]
    w = walk_route(stops, spec.depot, spec.shift_start, problem.duration, problem.service, problem.tw_start,
                   problem.tw_end, windows=problem.windows, late_allowed=problem.late_allowed)
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
        spec = problem.vehicles[vehicle]
        w = walk_route(kept + [node], spec.depot, spec.shift_start, problem.duration, problem.service,
                       problem.tw_start, problem.tw_end, windows=problem.windows, late_allowed=problem.late_allowed)
        if w.in_time:
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


def repair_windows(problem: RoutingProblem, routes: Sequence[Sequence[int]]) -> tuple[list[list[int]], list[int]]:
    """Routes with the stops that break the exact windows or shifts taken off, and those stops.

    Only time is repaired: loads, locks and duplicates are not touched (a PyVRP plan that breaks
    them is discarded, as before). Routes that already walk in time are returned unchanged.
    """
    repaired, removed = [], []
    for vehicle, stops in enumerate(routes):
        kept = repair_route(problem, vehicle, stops) if vehicle < len(problem.vehicles) else list(stops)
        removed.extend(n for n in stops if n not in set(kept))
        repaired.append(kept)
    return repaired, removed
