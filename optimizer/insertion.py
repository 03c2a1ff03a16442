"""Cheapest insertion of one more stop into tentative routes, over matrices.

Pure maths for the booking offer: *can this stop still be served if we add it to the day's
routes as they stand, and what does it add to the cost?* The answer uses the classic
forward/backward time bounds (Savelsbergh 1992), so testing one insertion position is O(1):

* ``earliest[k]``: the earliest service start at the k-th stop of a route when the van leaves
  the depot at its shift start and waits for every window;
* ``latest[k]``: the latest service start at the k-th stop that still lets every later stop
  start inside its window and the van return before its shift ends.

Inserting stop ``c`` between positions ``i`` and ``j`` is feasible when the new stop can start
inside its window after ``i`` and the next stop can still start by ``latest[j]``; load must fit
the vehicle. The marginal cost is the extra distance times the cost per metre plus the extra
route duration (driving, handling and waiting, depot to depot) times the cost per second; a
vehicle still at the depot also costs a share of its fixed cost (see :class:`TentativeRoutes`).
The duration is exact for a van whose departure does not move; when an early window forces an
earlier departure, the whole advance is charged (an upper bound).

Units: seconds, metres, parcels; costs in the engine's integer cost units (see :mod:`optimizer.cost_scale`),
the same as :class:`optimizer.problem.VehicleSpec`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from optimizer.departure import leave_as_late_as_possible
from optimizer.problem import VehicleSpec


@dataclass(frozen=True)
class Candidate:
    """The stop we would like to add: its node in the matrices, window, service time and load."""

    node: int
    tw_start: int
    tw_end: int
    service_s: int
    demand: int


@dataclass(frozen=True)
class Insertion:
    """Where a candidate goes: before the ``position``-th stop of ``vehicle``'s route.

    ``cost`` is the marginal cost in cost units; ``extra_m`` and ``extra_s`` the added
    distance (metres) and added route duration (seconds).
    """

    vehicle: int
    position: int
    cost: int
    extra_m: int
    extra_s: int
    opens_vehicle: bool = False


@dataclass
class TentativeRoutes:
    """Routes as they stand: one list of node indices per vehicle, depot excluded.

    ``duration``/``distance`` are square over every node (depots included); per-node arrays
    give windows (seconds), service time (seconds) and demand (parcels). A route must already be
    feasible; :func:`route_is_feasible` checks that.

    ``fixed_cost_share`` (0..1) is the part of a vehicle's fixed cost charged to the stop that
    takes an unused vehicle out: charging all of it would price the first booking of each van
    out of reach, none of it would ignore that opening a van costs money.
    """

    duration: np.ndarray
    distance: np.ndarray
    tw_start: np.ndarray
    tw_end: np.ndarray
    service: np.ndarray
    demand: np.ndarray
    vehicles: list[VehicleSpec]
    routes: list[list[int]]
    fixed_cost_share: float = 0.05
    _bounds: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)
    _schedules: dict[int, tuple[int, np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)

    def invalidate(self, vehicle: int | None = None) -> None:
        """Forget cached time bounds (after a route or a node's data changed)."""
        if vehicle is None:
            self._bounds.clear()
            self._schedules.clear()
        else:
            self._bounds.pop(vehicle, None)
            self._schedules.pop(vehicle, None)

    def load(self, vehicle: int) -> int:
        return int(sum(int(self.demand[n]) for n in self.routes[vehicle]))

    def bounds(self, vehicle: int) -> tuple[np.ndarray, np.ndarray]:
        """``(earliest, latest)`` service starts over ``[depot, stops..., depot]`` (length k + 2).

        At the depot ends ``earliest[0]`` is the shift start and ``latest[-1]`` the shift end.
        """
        cached = self._bounds.get(vehicle)
        if cached is not None:
            return cached
        veh = self.vehicles[vehicle]
        path = [veh.depot, *self.routes[vehicle], veh.depot]
        k = len(path)
        earliest = np.empty(k, dtype=np.int64)
        latest = np.empty(k, dtype=np.int64)
        earliest[0] = veh.shift_start
        for p in range(1, k):
            prev, node = path[p - 1], path[p]
            service_prev = 0 if p == 1 else int(self.service[prev])
            arrive = earliest[p - 1] + service_prev + int(self.duration[prev, node])
            earliest[p] = arrive if p == k - 1 else max(arrive, int(self.tw_start[node]))
        latest[-1] = veh.shift_end
        for p in range(k - 2, -1, -1):
            node, nxt = path[p], path[p + 1]
            service = 0 if p == 0 else int(self.service[node])
            bound = latest[p + 1] - int(self.duration[node, nxt]) - service
            latest[p] = bound if p == 0 else min(bound, int(self.tw_end[node]))
        self._bounds[vehicle] = (earliest, latest)
        return earliest, latest

    def schedule(self, vehicle: int) -> tuple[int, np.ndarray, np.ndarray]:
        """The route as driven: ``(departure, start, wait_after)`` over ``[depot, stops..., depot]``.

        The van leaves as late as its waiting allows (:mod:`optimizer.departure`);
        ``start[p]`` is the service start (the return time at the end), ``wait_after[p]`` the
        waiting at stops after ``p`` (what a delay arriving at ``p`` can be absorbed by).
        """
        cached = self._schedules.get(vehicle)
        if cached is not None:
            return cached
        veh = self.vehicles[vehicle]
        route = self.routes[vehicle]
        depart = leave_as_late_as_possible(route, veh.depot, veh.shift_start, veh.shift_end, self.duration, self.service,
                                           self.tw_start, self.tw_end).depart_s
        k = len(route) + 2
        start = np.empty(k, dtype=np.int64)
        wait = np.zeros(k, dtype=np.int64)
        start[0] = depart
        t, prev = depart, veh.depot
        for p, node in enumerate(route, start=1):
            arrive = t + int(self.duration[prev, node])
            start[p] = max(arrive, int(self.tw_start[node]))
            wait[p] = start[p] - arrive
            t, prev = start[p] + int(self.service[node]), node
        start[-1] = t + int(self.duration[prev, veh.depot]) if route else depart
        # wait_after[p] = waiting at stops p+1 .. last
        wait_after = np.concatenate([np.cumsum(wait[::-1])[::-1][1:], [0]])
        out = (int(depart), start, wait_after)
        self._schedules[vehicle] = out
        return out

    def route_is_feasible(self, vehicle: int) -> bool:
        """Every stop starts inside its window, the van is back by shift end, load fits."""
        earliest, latest = self.bounds(vehicle)
        route = self.routes[vehicle]
        if self.load(vehicle) > self.vehicles[vehicle].capacity:
            return False
        in_windows = all(earliest[p + 1] <= int(self.tw_end[n]) for p, n in enumerate(route))
        return bool(in_windows and earliest[-1] <= self.vehicles[vehicle].shift_end)


def _route_insertions(state: TentativeRoutes, vehicle: int, c: Candidate) -> Insertion | None:
    veh = state.vehicles[vehicle]
    route = state.routes[vehicle]
    if state.load(vehicle) + c.demand > veh.capacity:
        return None
    earliest, latest = state.bounds(vehicle)
    path = np.array([veh.depot, *route, veh.depot], dtype=np.int64)
    before, after = path[:-1], path[1:]  # insert between before[p] and after[p]
    service_before = state.service[before].astype(np.int64)
    service_before[0] = 0  # no handling at the depot
    d_in = state.duration[before, c.node].astype(np.int64)
    d_out = state.duration[c.node, after].astype(np.int64)
    start_c = np.maximum(earliest[:-1] + service_before + d_in, c.tw_start)
    next_start = start_c + c.service_s + d_out
    ok = (start_c <= c.tw_end) & (next_start <= latest[1:])
    if not ok.any():
        return None
    extra_m = (
        state.distance[before, c.node].astype(np.int64)
        + state.distance[c.node, after].astype(np.int64)
        - state.distance[before, after].astype(np.int64)
    )
    extra_s = _extra_duration(state, vehicle, path, service_before, d_in, d_out, c)
    cost = extra_m * veh.cost_per_m + extra_s * veh.cost_per_s
    opens = not route
    if opens:
        cost = cost + int(round(veh.fixed_cost * state.fixed_cost_share))
    cost = np.where(ok, cost, np.iinfo(np.int64).max)
    p = int(np.argmin(cost))
    return Insertion(vehicle, p, int(cost[p]), int(extra_m[p]), int(extra_s[p]), opens)


def _extra_duration(state, vehicle, path, service_before, d_in, d_out, c: Candidate) -> np.ndarray:
    """Added route duration (depot to depot, waiting included) per insertion position, seconds.

    The route runs as :func:`optimizer.dayplan.schedule_route` runs it (leaving as late as its
    waiting allows). A later arrival downstream is absorbed by waiting further on (Savelsbergh's
    push-forward); a window earlier than the van passes makes it leave earlier by the difference.
    """
    depart, start, wait_after = state.schedule(vehicle)
    k = len(path)
    leave = np.empty(k - 1, dtype=np.int64)
    leave[0] = depart
    leave[1:] = start[1:-1] + service_before[1:]
    arrive_c = leave + d_in
    front = np.maximum(0, arrive_c - c.tw_end)  # the van must set out this much earlier
    start_c = np.minimum(np.maximum(arrive_c, c.tw_start), c.tw_end)
    arrive_next = start_c + c.service_s + d_out
    tw_next = state.tw_start[path[1:]].astype(np.int64)
    tw_next[-1] = 0  # the depot has no window to wait for
    push = np.maximum(arrive_next, tw_next) - start[1:]
    push = np.maximum(0, push - wait_after[1:])
    extra = push + front
    # First on the route, the van can leave later instead of waiting at the new stop.
    extra[0] -= max(0, c.tw_start - int(arrive_c[0]))
    return extra


def cheapest_insertion(state: TentativeRoutes, candidate: Candidate) -> Insertion | None:
    """The cheapest feasible place for ``candidate`` over all vehicles, or ``None`` if none fits.

    Among empty vehicles of the same kind only the first is tried, since they are alike.
    """
    best: Insertion | None = None
    seen_empty: set[tuple] = set()
    for v, veh in enumerate(state.vehicles):
        if not state.routes[v]:
            kind = (veh.depot, veh.capacity, veh.shift_start, veh.shift_end, veh.cost_per_m, veh.cost_per_s, veh.fixed_cost)
            if kind in seen_empty:
                continue
            seen_empty.add(kind)
        found = _route_insertions(state, v, candidate)
        if found is not None and (best is None or found.cost < best.cost):
            best = found
    return best


def cheapest_insertions(state: TentativeRoutes, node: int, windows: np.ndarray, service_s: int, demand: int) -> list[Insertion | None]:
    """:func:`cheapest_insertion` of one place for several windows at once (``windows``: ``(k, 2)`` seconds).

    The same as calling it per window, with the per-route work shared: what a slot offer asks.
    """
    windows = np.asarray(windows, dtype=np.int64).reshape(-1, 2)
    k = len(windows)
    best: list[Insertion | None] = [None] * k
    tw_start, tw_end = windows[:, :1], windows[:, 1:]  # (k, 1) against positions
    seen_empty: set[tuple] = set()
    for v, veh in enumerate(state.vehicles):
        route = state.routes[v]
        if not route:
            kind = (veh.depot, veh.capacity, veh.shift_start, veh.shift_end, veh.cost_per_m, veh.cost_per_s, veh.fixed_cost)
            if kind in seen_empty:
                continue
            seen_empty.add(kind)
        if state.load(v) + demand > veh.capacity:
            continue
        earliest, latest = state.bounds(v)
        path = np.array([veh.depot, *route, veh.depot], dtype=np.int64)
        before, after = path[:-1], path[1:]
        service_before = state.service[before].astype(np.int64)
        service_before[0] = 0
        d_in = state.duration[before, node].astype(np.int64)
        d_out = state.duration[node, after].astype(np.int64)
        arrive = earliest[:-1] + service_before + d_in  # (p,)
        start_c = np.maximum(arrive[None, :], tw_start)  # (k, p)
        ok = (start_c <= tw_end) & (start_c + service_s + d_out[None, :] <= latest[None, 1:])
        if not ok.any():
            continue
        extra_m = (
            state.distance[before, node].astype(np.int64)
            + state.distance[node, after].astype(np.int64)
            - state.distance[before, after].astype(np.int64)
        )
        depart, start, wait_after = state.schedule(v)
        leave = np.empty(len(path) - 1, dtype=np.int64)
        leave[0] = depart
        leave[1:] = start[1:-1] + service_before[1:]
        arrive_c = (leave + d_in)[None, :]
        front = np.maximum(0, arrive_c - tw_end)
        begin = np.minimum(np.maximum(arrive_c, tw_start), tw_end)
        arrive_next = begin + service_s + d_out[None, :]
        tw_next = state.tw_start[after].astype(np.int64)
        tw_next[-1] = 0
        push = np.maximum(0, np.maximum(arrive_next, tw_next[None, :]) - start[None, 1:] - wait_after[None, 1:])
        extra_s = push + front
        extra_s[:, 0] -= np.maximum(0, tw_start[:, 0] - arrive_c[0, 0])
        cost = extra_m[None, :] * veh.cost_per_m + extra_s * veh.cost_per_s
        if not route:
            cost = cost + int(round(veh.fixed_cost * state.fixed_cost_share))
        cost = np.where(ok, cost, np.iinfo(np.int64).max)
        pos = np.argmin(cost, axis=1)
        for i in range(k):
            p = int(pos[i])
            if not ok[i, p]:
                continue
            c = int(cost[i, p])
            if best[i] is None or c < best[i].cost:
                best[i] = Insertion(v, p, c, int(extra_m[p]), int(extra_s[i, p]), not route)
    return best


def apply_insertion(state: TentativeRoutes, node: int, insertion: Insertion) -> None:
    """Put ``node`` into the route as ``insertion`` says (the node's data must already be in ``state``)."""
    state.routes[insertion.vehicle].insert(insertion.position, node)
    state.invalidate(insertion.vehicle)


def remove_node(state: TentativeRoutes, node: int) -> bool:
    """Take ``node`` off whatever route carries it; with a triangle-inequality matrix the route stays feasible."""
    for v, route in enumerate(state.routes):
        if node in route:
            route.remove(node)
            state.invalidate(v)
            return True
    return False


def growth_fits(state: TentativeRoutes, node: int, extra_service_s: int, extra_demand: int) -> tuple[bool, int]:
    """Can a stop already on a route take more parcels (longer handling, more load)?

    Returns ``(fits, cost)`` where ``cost`` is the added handling time in cost units; used when
    another order joins a pickup point's stop.
    """
    for v, route in enumerate(state.routes):
        if node not in route:
            continue
        veh = state.vehicles[v]
        if state.load(v) + extra_demand > veh.capacity:
            return False, 0
        earliest, latest = state.bounds(v)
        p = route.index(node) + 1  # position in [depot, stops..., depot]
        nxt = veh.depot if p == len(route) else route[p]
        done = earliest[p] + int(state.service[node]) + extra_service_s
        fits = done + int(state.duration[node, nxt]) <= latest[p + 1]
        return bool(fits), extra_service_s * veh.cost_per_s
    return False, 0


def plan_cost(state: TentativeRoutes) -> int:
    """Distance and travel-plus-service time cost of all routes, in cost units (fixed costs excluded)."""
    total = 0
    for v, route in enumerate(state.routes):
        if not route:
            continue
        veh = state.vehicles[v]
        path: Sequence[int] = [veh.depot, *route, veh.depot]
        metres = sum(int(state.distance[a, b]) for a, b in zip(path, path[1:]))
        seconds = sum(int(state.duration[a, b]) for a, b in zip(path, path[1:])) + sum(int(state.service[n]) for n in route)
        total += metres * veh.cost_per_m + seconds * veh.cost_per_s
    return total
