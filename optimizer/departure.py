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

Times in seconds since midnight of the plan date; travel and service times in seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
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
) -> Departure:
    """The departure of a van serving ``stops`` in order from ``depot`` (see the module docstring).

    ``duration[i, j]`` is the travel time from node i to j, ``service[i]`` the time spent at i
    (the depot's own counts before the first leg), ``tw_start``/``tw_end`` each stop's window
    for the service start. A route that misses a window even leaving at the shift start leaves
    then; one that is back after its shift end whenever it leaves still leaves as late as its
    waiting allows (it is back no later for it). No stops: leave and return at the shift start.
    """
    if not stops:
        return Departure(shift_start, shift_start)
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
