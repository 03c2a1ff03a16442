"""When a van leaves its depot: as late as its waiting allows (pure maths).

One rule for the whole project. A van that left at its shift start would wait at stops whose
window is not open yet. Leaving later by up to that total waiting does not change when it is
back (the waits absorb the delay; stops before a wait are served later, still inside their
windows), so the route's span (depot to depot, what labour is paid for) shrinks by as much. The
van leaves at

    shift start + min(total waiting, forward time slack)

where the forward time slack (Savelsbergh) is how far the departure can move before a stop
misses its window or the van is back after its shift end. That span is the shortest the route
can have, the same quantity OR-Tools' span cost and PyVRP's duration cost minimise, and the
earliest departure that reaches it (leaving later still only comes back later). The checker
prices routes with it, the day plan times its visits with it and the tentative routes of the
booking service check insertions against it.

Several and soft windows (:func:`service_start`, :func:`best_departure`). A stop with several
windows is served at the earliest time at or after the van's arrival that lies in one of them (a
van arriving in the gap waits for the next window); a soft window lets the service start up to
its allowed lateness after the last window closes, at a cost per second late. Leaving later can
then jump a stop into a later window or make it late, so the rule becomes: leave at the
departure that makes the route cheapest, ``cost_per_s x span + lateness cost``, the shortest span
and then the earliest departure on a tie. The arrival at a stop, as a function of the departure,
moves one for one until the van first waits, so the cost is linear between the departures at
which some stop's arrival meets one of its window bounds, and jumps only upwards (into a later
window); the cheapest departure is therefore one of those (or the shift start), and
:func:`best_departure` tries them all. With one hard window per stop that is the same departure
as the rule above, which keeps its own fast path.

Times in seconds since midnight of the plan date; travel and service times in seconds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Departure:
    """A route's departure from its depot and its return there, leaving then (seconds)."""

    depart_s: int
    return_s: int

    @property
    def span_s(self) -> int:
        """Depot-to-depot duration, waiting included (seconds)."""
        return self.return_s - self.depart_s


def leave_as_late_as_possible(
    stops: Sequence[int],
    depot: int,
    shift_start: int,
    shift_end: int,
    duration: np.ndarray,
    service: np.ndarray,
    tw_start: np.ndarray,
    tw_end: np.ndarray,
    *,
    windows: Mapping[int, Sequence[tuple[int, int]]] | None = None,
    late_allowed: np.ndarray | None = None,
    late_cost: np.ndarray | None = None,
    cost_per_s: int = 1,
) -> Departure:
    """The departure of a van serving ``stops`` in order from ``depot`` (see the module docstring).

    ``windows`` (node -> several ``(start, end)`` windows, ``tw_start``/``tw_end`` their hull),
    ``late_allowed`` (seconds after ``tw_end``) and ``late_cost`` (cost units per second late)
    are the several and soft windows of :class:`~optimizer.problem.RoutingProblem`; when a stop of
    the route has either, the departure is :func:`best_departure`'s, with labour at
    ``cost_per_s`` per second.

    ``duration[i, j]`` is the travel time from node i to j, ``service[i]`` the time spent at i
    (the depot's own counts before the first leg), ``tw_start``/``tw_end`` each stop's window
    for the service start. A route that misses a window even leaving at the shift start leaves
    then; one that is back after its shift end whenever it leaves still leaves as late as its
    waiting allows (it is back no later for it). No stops: leave and return at the shift start.
    """
    if not stops:
        return Departure(shift_start, shift_start)
    if (windows and any(node in windows for node in stops)) or (
            late_allowed is not None and any(int(late_allowed[node]) > 0 for node in stops)):
        return best_departure(stops, depot, shift_start, shift_end, duration, service, tw_start, tw_end,
                              windows=windows, late_allowed=late_allowed, late_cost=late_cost, cost_per_s=cost_per_s)
    waited, slack = 0, None
    t, prev = shift_start, depot
    for node in stops:
        arrive = t + int(service[prev]) + int(duration[prev, node])
        begin = max(arrive, int(tw_start[node]))
        waited += begin - arrive
        room = waited + int(tw_end[node]) - begin  # how much later it may leave and still make this stop
        slack = room if slack is None else min(slack, room)
        t, prev = begin, node
    back = t + int(service[prev]) + int(duration[prev, depot])
    depart = shift_start + max(0, min(waited, slack, waited + shift_end - back))
    t, prev = depart, depot
    for node in stops:
        t = max(t + int(service[prev]) + int(duration[prev, node]), int(tw_start[node]))
        prev = node
    return Departure(depart, t + int(service[prev]) + int(duration[prev, depot]))


def service_start(arrival: int, windows: Sequence[tuple[int, int]], hard_end: int) -> int:
    """When service starts for a van arriving at ``arrival`` at a stop with ``windows`` (sorted
    ``(start, end)`` pairs; the last may be started until ``hard_end``, its end plus the allowed
    lateness): in the first window not yet closed, waiting for it to open; after ``hard_end``,
    on arrival (too late: the checker's ``window`` violation)."""
    last = len(windows) - 1
    for k, (open_s, close_s) in enumerate(windows):
        if arrival <= (hard_end if k == last else close_s):
            return max(arrival, int(open_s))
    return arrival


@dataclass(frozen=True)
class Walk:
    """A route walked from one departure: arrival and service start per stop, seconds late per
    stop (after its last window's end), the return, and whether every stop was reached in time."""

    depart_s: int
    arrivals: tuple[int, ...]
    starts: tuple[int, ...]
    late_s: tuple[int, ...]
    return_s: int
    in_time: bool  # every service start at or before its stop's hard end


def walk_route(
    stops: Sequence[int],
    depot: int,
    depart: int,
    duration: np.ndarray,
    service: np.ndarray,
    tw_start: np.ndarray,
    tw_end: np.ndarray,
    *,
    windows: Mapping[int, Sequence[tuple[int, int]]] | None = None,
    late_allowed: np.ndarray | None = None,
) -> Walk:
    """Walk ``stops`` leaving ``depot`` at ``depart``, each served by :func:`service_start`."""
    arrivals, starts, late = [], [], []
    t, prev, in_time = depart, depot, True
    for node in stops:
        arrive = t + int(service[prev]) + int(duration[prev, node])
        wins = (windows or {}).get(node) or ((int(tw_start[node]), int(tw_end[node])),)
        soft_end = int(wins[-1][1])
        hard = soft_end + (0 if late_allowed is None else max(0, int(late_allowed[node])))
        begin = service_start(arrive, wins, hard)
        in_time = in_time and begin <= hard
        arrivals.append(arrive)
        starts.append(begin)
        late.append(max(0, begin - soft_end))
        t, prev = begin, node
    back = t + int(service[prev]) + int(duration[prev, depot]) if stops else depart
    return Walk(depart, tuple(arrivals), tuple(starts), tuple(late), back, in_time)


def best_departure(
    stops: Sequence[int],
    depot: int,
    shift_start: int,
    shift_end: int,
    duration: np.ndarray,
    service: np.ndarray,
    tw_start: np.ndarray,
    tw_end: np.ndarray,
    *,
    windows: Mapping[int, Sequence[tuple[int, int]]] | None = None,
    late_allowed: np.ndarray | None = None,
    late_cost: np.ndarray | None = None,
    cost_per_s: int = 1,
) -> Departure:
    """The cheapest departure under several and soft windows (see the module docstring).

    Tries the shift start and every departure at which some stop's arrival, travelling without
    waiting from the depot, meets one of its window bounds (an opening, a close, the hard end),
    and the one that is back exactly at the shift end; keeps the cheapest of those that make
    every stop in time and are back by the shift end (``cost_per_s x span + sum of late_cost x
    seconds late``, then the shorter span, then the earlier departure). A route that misses a
    stop even leaving at the shift start leaves then; one that is never back by the shift end
    takes the cheapest in-time departure.
    """
    if not stops:
        return Departure(shift_start, shift_start)
    kw = dict(windows=windows, late_allowed=late_allowed)
    reach, prev, prefix = 0, depot, []
    for node in stops:
        reach += int(service[prev]) + int(duration[prev, node])
        prefix.append(reach)
        prev = node
    back_free = reach + int(service[prev]) + int(duration[prev, depot])
    candidates = {shift_start, shift_end - back_free}
    for node, p in zip(stops, prefix):
        wins = (windows or {}).get(node) or ((int(tw_start[node]), int(tw_end[node])),)
        for open_s, close_s in wins:
            candidates.update((int(open_s) - p, int(close_s) - p))
        candidates.add(int(tw_end[node]) + (0 if late_allowed is None else int(late_allowed[node])) - p)
    best = None  # (back by shift end, key, walk)
    for depart in sorted(c for c in candidates if shift_start <= c <= max(shift_start, shift_end)):
        w = walk_route(stops, depot, depart, duration, service, tw_start, tw_end, **kw)
        if not w.in_time:
            if best is None:  # even the shift start misses a stop
                return Departure(shift_start, w.return_s)
            break  # service starts only move later with the departure: every later one misses it too
        late = sum(s * (0 if late_cost is None else int(late_cost[n])) for n, s in zip(stops, w.late_s))
        span = w.return_s - depart
        rank = (w.return_s <= shift_end, (-(cost_per_s * span + late), -span, -depart))
        if best is None or rank > best[0]:
            best = (rank, w)
    w = best[1]
    return Departure(w.depart_s, w.return_s)
