"""Re-timing a van's remaining stops from how far it has actually got (pure maths).

The plan's own times are the model: the travel time into stop ``k`` is its planned arrival
minus the planned departure of the stop before it (or of the depot, the route's start), which
the engine took from the travel matrix; the service time is planned departure minus planned
service start. The van leaves where it is at ``ready_s`` and drives the remaining stops in the
given order; at each one service starts at ``max(arrival, window start)``.

Units: seconds since midnight of the plan date.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True)
class PlannedVisit:
    """One stop of a planned route: arrival, service start and departure, and its time window.

    ``window_start_s``/``window_end_s`` are ``None`` for a stop without a window. ``windows``,
    for a stop with several (``(start, end)`` pairs in time order, ``window_start_s``/``end`` their
    hull): a van arriving in a gap waits for the next one.
    """

    arrival_s: int
    start_s: int
    departure_s: int
    window_start_s: int | None = None
    window_end_s: int | None = None
    windows: tuple[tuple[int, int], ...] = ()

    @property
    def service_s(self) -> int:
        """Planned seconds at the stop once service starts."""
        return max(0, self.departure_s - self.start_s)

    def service_start(self, arrival_s: int) -> int:
        """When service starts for a van arriving at ``arrival_s``: not before the window opens
        (the next of several windows that has not closed yet)."""
        for open_s, close_s in self.windows:
            if arrival_s <= close_s:
                return max(arrival_s, open_s)
        return arrival_s if self.window_start_s is None else max(arrival_s, self.window_start_s)

    def late(self, start_s: int) -> bool:
        """Whether a service start of ``start_s`` is after the window closes."""
        return self.window_end_s is not None and start_s > self.window_end_s


@dataclass(frozen=True)
class LiveVisit:
    """A re-timed stop: when the van now arrives, starts service and leaves (seconds)."""

    index: int
    arrival_s: int
    start_s: int
    departure_s: int


def incoming_legs(route_start_s: int, visits: Sequence[PlannedVisit]) -> list[int]:
    """Planned travel seconds into each stop from the one before it (the first from the depot).

    Never negative: a plan whose times touch (arrival equal to the previous departure) has a
    leg of 0 s.
    """
    legs = []
    before = route_start_s
    for v in visits:
        legs.append(max(0, v.arrival_s - before))
        before = v.departure_s
    return legs


def ready_at(visit: PlannedVisit, arrived_s: int, done_s: int | None = None, last_event_s: int | None = None) -> int:
    """When a van that arrived at ``visit`` at ``arrived_s`` leaves it.

    Done there (every order delivered or failed, ``done_s``): then. Only arrived: its service
    start plus the planned service time, or the last thing recorded there if that is later.
    """
    if done_s is not None:
        return done_s
    leave = visit.service_start(arrived_s) + visit.service_s
    return leave if last_event_s is None else max(leave, last_event_s)


def retime(
    visits: Sequence[PlannedVisit], route_start_s: int, *, ready_s: int, remaining: Sequence[int]
) -> list[LiveVisit]:
    """The remaining stops ``remaining`` (indices into ``visits``, in the order the van drives
    them) re-timed for a van leaving where it is at ``ready_s``.

    Each stop keeps its own planned incoming leg (:func:`incoming_legs`) and service time;
    service starts at ``max(arrival, window start)``. Raises ``ValueError`` for an index that
    is not a stop of ``visits`` or appears twice.
    """
    if len(set(remaining)) != len(remaining):
        raise ValueError("remaining: a stop index appears twice; give each remaining stop once")
    legs = incoming_legs(route_start_s, visits)
    out = []
    t = int(ready_s)
    for k in remaining:
        if not 0 <= k < len(visits):
            raise ValueError(f"remaining: {k} is not a stop of this route (0 to {len(visits) - 1})")
        v = visits[k]
        arrival = t + legs[k]
        start = v.service_start(arrival)
        t = start + v.service_s
        out.append(LiveVisit(k, arrival, start, t))
    return out
