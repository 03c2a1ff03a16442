"""The tentative plan of each delivery date: booked stops on routes, grown by cheapest insertion.

Every accepted booking is inserted into its date's routes at once (O(1) checks per position,
see :mod:`optimizer.insertion`); an offer asks the same routes what a new stop would cost and
whether it still fits. Orders for the same pickup point and slot share one stop that grows.

A :class:`DayRoutes` holds the matrices over its own local nodes (depots first, then one per
stop), extended by one row and column per new stop. It also keeps each local node's full
driving rows (to and from every network node, from :meth:`ServiceArea.rows`), so the legs
between a *candidate* address and the day's stops are a column gather, not a shortest-path
search: an offer costs no Dijkstra run, a booking two. It is built
from the database on first use in a process (bookings in the order they were made) and then
kept current by the booking service. A background re-solve (:meth:`TentativePlans.resolve`)
may replace the routes with a cheaper arrangement of the same stops.

Units: seconds, metres, parcels; quotes in currency. Inside, costs are integer units of the
fleet's :class:`~optimizer.cost_scale.CostScale` (chosen once from its prices).
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from typing import Callable, Iterable, Sequence

import numpy as np

from optimizer.cost_scale import CostScale, choose_cost_scale, fleet_plan_bound, fleet_prices
from optimizer.dayplan import vehicle_specs
from optimizer.domain import Depot, TimeWindow, Vehicle
from optimizer.insertion import (
    Candidate,
    TentativeRoutes,
    apply_insertion,
    cheapest_insertion,
    cheapest_insertions,
    growth_fits,
    plan_cost,
    remove_node,
)
from optimizer.problem import RoutingProblem, RoutingSolution, VehicleSpec

Solver = Callable[[RoutingProblem, float], RoutingSolution]  # (problem, time limit in seconds) -> solution


def solve_here(problem: RoutingProblem, time_limit_s: float) -> RoutingSolution:
    """The default re-solver: the routing engine in this process (looked up at each call)."""
    try:
        from optimizer.engine import solve
    except ImportError:  # older engine package layout
        from optimizer.engine.portfolio import solve
    return solve(problem, time_limit_s)


@dataclass(frozen=True)
class StopRequest:
    """What a booking asks of the routes: a place (network node), a window, handling time and parcels.

    ``pickup_key`` (point id, slot id) makes orders for one pickup point and slot share a stop;
    each extra order there adds ``per_parcel_s`` per parcel of handling.
    """

    node: int
    window: TimeWindow
    service_s: int
    parcels: int
    pickup_key: tuple[str, str] | None = None
    per_parcel_s: int = 0


@dataclass(frozen=True)
class Quote:
    """The answer for one stop: does it fit, and what does it add (currency, metres, seconds)."""

    feasible: bool
    cost: float = 0.0
    extra_m: int = 0
    extra_s: int = 0
    joins_stop: bool = False
    opens_vehicle: bool = False


class DayRoutes:
    """One date's tentative routes. Not thread-safe by itself: hold :attr:`lock` around use."""

    def __init__(self, date: str, area, depot_nodes: Sequence[int], vehicles: list[VehicleSpec], *,
                 cost_scale: CostScale, fixed_cost_share: float = 0.05):
        self.date = date
        self.cost_scale = cost_scale  # the units of ``vehicles``' costs
        self.area = area
        self.lock = threading.RLock()
        self.version = 0
        self.network_nodes: list[int] = list(depot_nodes)
        self._size = len(depot_nodes)
        cap = max(64, 2 * self._size)
        n_graph = len(area.rows(depot_nodes[0])[0]) if depot_nodes else 0
        # Full rows of each local node, stacked: out_* = from the node, in_* = to the node.
        self._rows = {k: np.zeros((cap, n_graph), dtype=np.int32) for k in ("out_s", "out_m", "in_s", "in_m")}
        self.state = TentativeRoutes(
            duration=np.zeros((cap, cap), dtype=np.int64),
            distance=np.zeros((cap, cap), dtype=np.int64),
            tw_start=np.zeros(cap, dtype=np.int64),
            tw_end=np.full(cap, 24 * 3600, dtype=np.int64),
            service=np.zeros(cap, dtype=np.int64),
            demand=np.zeros(cap, dtype=np.int64),
            vehicles=vehicles,
            routes=[[] for _ in vehicles],
            fixed_cost_share=fixed_cost_share,
        )
        for i, node in enumerate(depot_nodes):
            self._fill(i, node)
        self.stop_of_booking: dict[str, int] = {}
        self.pickup_stop: dict[tuple[str, str], int] = {}
        self.members: dict[int, set[str]] = {}
        self.booking_parcels: dict[str, tuple[int, int]] = {}  # booking -> (parcels, per-parcel seconds)
        self.overflow: set[str] = set()  # booked but not fitting the tentative routes
        # Across processes (scheduling.shared_routes): each stop's booking as last seen stored
        # (its updated_at), and this process's bookings not committed yet.
        self.stamps: dict[str, object] = {}
        self.in_flight: set[str] = set()
        # Held around a booking's transaction of this date: threads of one process wait their turn
        # here, in order, instead of in the database's lock (SQLite's busy wait sleeps and is unfair).
        self.commit_lock = threading.Lock()
        # Bookings of this process waiting for ``commit_lock``: its holder commits them all in one
        # transaction (scheduling.bookings, group commit).
        self.pending: list = []
        self.pending_lock = threading.Lock()  # guards pending and leading (never held while waiting)
        self.leading = False  # a thread is committing this date's pending bookings
        self.synced_version: int | None = None  # route_locks.version this day matches, after our last commit
        self.synced_at = float("-inf")  # time.monotonic() of the last full sync

    # -- matrices ----------------------------------------------------------------------------
    def _grow(self) -> None:
        s = self.state
        old = s.duration.shape[0]
        cap = old * 2
        for name in ("duration", "distance"):
            big = np.zeros((cap, cap), dtype=np.int64)
            big[:old, :old] = getattr(s, name)
            setattr(s, name, big)
        for name, fill in (("tw_start", 0), ("tw_end", 24 * 3600), ("service", 0), ("demand", 0)):
            big = np.full(cap, fill, dtype=np.int64)
            big[:old] = getattr(s, name)
            setattr(s, name, big)
        for name, rows in self._rows.items():
            big = np.zeros((cap, rows.shape[1]), dtype=np.int32)
            big[:old] = rows
            self._rows[name] = big
        s.invalidate()

    def _fill(self, index: int, node: int) -> None:
        """Make ``index`` a committed local node at network ``node``: its full rows and its legs."""
        if index >= self.state.duration.shape[0]:
            self._grow()
        out_s, out_m, in_s, in_m = self.area.rows(node)
        for name, row in (("out_s", out_s), ("out_m", out_m), ("in_s", in_s), ("in_m", in_m)):
            self._rows[name][index] = row
        self._gather(index, node)

    def _gather(self, index: int, node: int) -> None:
        """Legs between local ``index`` (network ``node``) and every earlier local node, from stored rows."""
        s = self.state
        if index:
            r = self._rows
            s.duration[index, :index] = r["in_s"][:index, node]  # node -> earlier i: "to i" row of i
            s.distance[index, :index] = r["in_m"][:index, node]
            s.duration[:index, index] = r["out_s"][:index, node]
            s.distance[:index, index] = r["out_m"][:index, node]
        s.duration[index, index] = s.distance[index, index] = 0

    def _candidate(self, req: StopRequest) -> Candidate:
        """Put the request's legs in the spare local index (not yet part of any route)."""
        if self._size >= self.state.duration.shape[0]:
            self._grow()
        self._gather(self._size, req.node)
        return Candidate(self._size, req.window.start, req.window.end, req.service_s, req.parcels)

    # -- questions ---------------------------------------------------------------------------
    def quote(self, req: StopRequest) -> Quote:
        with self.lock:
            joined = self._pickup_growth(req)
            if joined is not None:
                return joined
            found = cheapest_insertion(self.state, self._candidate(req))
            if found is None:
                return Quote(False)
            return Quote(True, self.cost_scale.currency(found.cost), found.extra_m, found.extra_s, False, found.opens_vehicle)

    def quotes(self, reqs: Sequence[StopRequest]) -> list[Quote]:
        """Quotes for several requests; those at one place differing only in window are batched."""
        out: list[Quote | None] = [None] * len(reqs)
        groups: dict[tuple[int, int, int], list[int]] = {}
        for i, r in enumerate(reqs):
            if r.pickup_key is None or r.pickup_key not in self.pickup_stop:
                groups.setdefault((r.node, r.service_s, r.parcels), []).append(i)
            else:
                out[i] = None
        with self.lock:
            for (node, service_s, parcels), idx in groups.items():
                cand = self._candidate(reqs[idx[0]])
                windows = np.array([(reqs[i].window.start, reqs[i].window.end) for i in idx])
                for i, found in zip(idx, cheapest_insertions(self.state, cand.node, windows, service_s, parcels)):
                    out[i] = Quote(False) if found is None else Quote(
                        True, self.cost_scale.currency(found.cost), found.extra_m, found.extra_s, False, found.opens_vehicle
                    )
            for i, r in enumerate(reqs):
                if out[i] is None:
                    out[i] = self.quote(r)
        return out  # type: ignore[return-value]

    def _pickup_growth(self, req: StopRequest) -> Quote | None:
        if req.pickup_key is None or req.pickup_key not in self.pickup_stop:
            return None
        local = self.pickup_stop[req.pickup_key]
        if not any(local in r for r in self.state.routes):
            return None
        fits, cost = growth_fits(self.state, local, req.per_parcel_s * req.parcels, req.parcels)
        return Quote(fits, self.cost_scale.currency(cost), 0, req.per_parcel_s * req.parcels, True) if fits else Quote(False)

    # -- changes -----------------------------------------------------------------------------
    def add(self, booking_id: str, req: StopRequest, *, force: bool = False) -> Quote:
        """Insert a booked stop. If it does not fit, it is kept aside (``overflow``) only when ``force``."""
        self.area.rows(req.node)  # the shortest-path runs happen here, outside the lock (then cached)
        with self.lock:
            if booking_id in self.stop_of_booking:  # re-added (a move that raced another): replace, never duplicate
                self.remove(booking_id)
            s = self.state
            quote = self._pickup_growth(req)
            if quote is not None:
                if not quote.feasible and not force:
                    return quote
                local = self.pickup_stop[req.pickup_key]  # type: ignore[index]
                s.service[local] += req.per_parcel_s * req.parcels
                s.demand[local] += req.parcels
                s.invalidate()
            else:
                cand = self._candidate(req)
                found = cheapest_insertion(s, cand)
                if found is None and not force:
                    return Quote(False)
                local = self._size
                self._fill(local, req.node)
                self._size += 1
                self.network_nodes.append(req.node)
                s.tw_start[local], s.tw_end[local] = req.window.start, req.window.end
                s.service[local], s.demand[local] = req.service_s, req.parcels
                if req.pickup_key is not None:
                    self.pickup_stop[req.pickup_key] = local
                if found is not None:
                    apply_insertion(s, local, found)
                    quote = Quote(True, self.cost_scale.currency(found.cost), found.extra_m, found.extra_s, False, found.opens_vehicle)
                else:
                    quote = Quote(False)
            if not quote.feasible:
                self.overflow.add(booking_id)
            self.stop_of_booking[booking_id] = local
            self.members.setdefault(local, set()).add(booking_id)
            self.booking_parcels[booking_id] = (req.parcels, req.per_parcel_s)
            self.version += 1
            return quote

    def remove(self, booking_id: str) -> None:
        with self.lock:
            local = self.stop_of_booking.pop(booking_id, None)
            if local is None:
                return
            self.overflow.discard(booking_id)
            parcels, per_parcel_s = self.booking_parcels.pop(booking_id)
            members = self.members[local]
            members.discard(booking_id)
            if members:  # a shared pickup stop shrinks
                self.state.service[local] -= per_parcel_s * parcels
                self.state.demand[local] -= parcels
                self.state.invalidate()
            else:
                remove_node(self.state, local)
                for key, stop in list(self.pickup_stop.items()):
                    if stop == local:
                        del self.pickup_stop[key]
            self.version += 1

    # -- figures -----------------------------------------------------------------------------
    def summary(self) -> dict:
        with self.lock:
            routes = self.state.routes
            return {
                "date": self.date,
                "stops": sum(len(r) for r in routes),
                "bookings": len(self.stop_of_booking),
                "vehicles_used": sum(1 for r in routes if r),
                "cost": self.cost_scale.currency(plan_cost(self.state)),
                "unrouted_bookings": sorted(self.overflow),
                "version": self.version,
            }


class TentativePlans:
    """The tentative routes of every date, built on first use from ``load(date)``.

    ``load(date)`` returns ``(booking id, StopRequest)`` for the date's live bookings in booking
    order. With an ``executor``, :meth:`resolve` runs a short full re-solve of a date in the
    background and adopts it if it still covers the same stops and costs less. The re-solve
    calls ``solver(problem, time_limit_s)``: by default :func:`solve_here`; the web server
    passes one that sends the solve to its Dask workers and waits (the executor's thread
    waits without the GIL, so the requests of this process keep their CPU).
    """

    def __init__(
        self,
        area,
        depots: Sequence[Depot],
        vehicles: Sequence[Vehicle],
        load: Callable[[str], Iterable[tuple[str, StopRequest]]],
        *,
        fixed_cost_share: float = 0.05,
        executor: Executor | None = None,
        resolve_every: int = 25,
        resolve_time_limit_s: float = 2.0,
        solver: Solver | None = None,
        today: Callable[[], str] | None = None,
        idle_evict_s: float = 1800.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.area = area
        self.load = load
        self.cost_scale = choose_cost_scale(fleet_prices(vehicles), plan_bound=fleet_plan_bound(vehicles))
        # One trip a van: the insertion checks hold a route's load as one trip, so a checkout
        # promises what a van carries without reloading (the day plan may add reloads).
        self.specs = [replace(s, max_reloads=0) for s in vehicle_specs(vehicles, depots, self.cost_scale)]
        self.depot_nodes = [area.locate(d.lat, d.lon).node for d in depots]
        self.fixed_cost_share = fixed_cost_share
        self.executor = executor
        self.resolve_every = resolve_every
        self.resolve_time_limit_s = resolve_time_limit_s
        self.solver: Solver = solver or solve_here
        self._days: dict[str, DayRoutes] = {}
        self._building: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self._since_resolve: dict[str, int] = {}
        self._resolving: set[str] = set()
        # Bounded memory: a day's routes hold about 190 kB per stop (the stops' full street rows),
        # so dates before ``today()`` and dates unused for ``idle_evict_s`` are dropped; they are
        # rebuilt from the database if asked for again. Dropping is safe at any moment: a booking
        # brings the routes it holds to the stored bookings under its date's lock
        # (scheduling.shared_routes) before it inserts.
        self.today = today
        self.idle_evict_s = idle_evict_s
        self.clock = clock
        self._used: dict[str, float] = {}
        self._swept_at = float("-inf")

    def cached_dates(self) -> list[str]:
        with self._lock:
            return sorted(self._days)

    def evict(self) -> list[str]:
        """Drop past dates and dates idle for ``idle_evict_s`` (not while they re-solve or book); the dates dropped."""
        now = self.clock()
        today = self.today() if self.today is not None else None
        with self._lock:
            self._swept_at = now
            drop = [d for d, day in self._days.items()
                    if d not in self._resolving and not day.in_flight
                    and ((today is not None and d < today) or now - self._used.get(d, now) > self.idle_evict_s)]
            for d in drop:
                self._days.pop(d, None)
                self._used.pop(d, None)
                self._since_resolve.pop(d, None)
            return drop

    def day(self, date: str) -> DayRoutes:
        """The routes of ``date``, rebuilt from the database on first use (other dates stay available meanwhile)."""
        now = self.clock()
        if now - self._swept_at > min(60.0, self.idle_evict_s):
            self.evict()
        with self._lock:
            self._used[date] = now
            day = self._days.get(date)
            if day is not None:
                return day
            building = self._building.setdefault(date, threading.Lock())
        with building:
            with self._lock:
                day = self._days.get(date)
            if day is None:
                day = DayRoutes(date, self.area, self.depot_nodes, self.specs, cost_scale=self.cost_scale,
                                fixed_cost_share=self.fixed_cost_share)
                for booking_id, req in self.load(date):
                    day.add(booking_id, req, force=True)
                with self._lock:
                    self._days[date] = day
                    self._building.pop(date, None)
            return day

    def forget(self, date: str | None = None) -> None:
        """Drop cached routes (all dates, or one) so they are rebuilt from the database."""
        with self._lock:
            if date is None:
                self._days.clear()
            else:
                self._days.pop(date, None)

    def booked(self, date: str) -> None:
        """Count a change on ``date``; every ``resolve_every`` changes start a background re-solve."""
        if self.executor is None:
            return
        with self._lock:
            n = self._since_resolve.get(date, 0) + 1
            self._since_resolve[date] = n
            if n < self.resolve_every or date in self._resolving:
                return
            self._since_resolve[date] = 0
            self._resolving.add(date)
        self.executor.submit(self._resolve_job, date)

    def _resolve_job(self, date: str) -> None:
        import logging

        log = logging.getLogger(__name__)
        t0 = time.perf_counter()
        try:
            adopted = self.resolve(date)
            log.info("background re-solve of %s done in %.2f s: %s", date, time.perf_counter() - t0,
                     "adopted" if adopted else "kept the routes")
        except Exception:  # a failed background re-solve leaves the insertion plan in place
            log.exception("background re-solve of %s failed", date)
        finally:
            with self._lock:
                self._resolving.discard(date)

    def resolve(self, date: str) -> bool:
        """Re-solve ``date`` with :attr:`solver`; adopt the result if it is complete and cheaper."""
        day = self.day(date)
        with day.lock:
            version = day.version
            s = day.state
            routed = [node for r in s.routes for node in r]
            if not routed:
                return False
            depots = sorted({v.depot for v in s.vehicles})
            keep = depots + sorted(routed)
            index = {node: i for i, node in enumerate(keep)}
            sub = np.ix_(keep, keep)
            problem = RoutingProblem(
                duration=s.duration[sub].copy(),
                distance=s.distance[sub].copy(),
                demand=s.demand[keep].copy(),
                service=s.service[keep].copy(),
                tw_start=s.tw_start[keep].copy(),
                tw_end=s.tw_end[keep].copy(),
                vehicles=[VehicleSpec(index[v.depot], v.capacity, v.shift_start, v.shift_end, v.cost_per_m, v.cost_per_s, v.fixed_cost) for v in s.vehicles],
                depots=list(range(len(depots))),
                penalty=None,
                initial_routes=[[index[x] for x in r] for r in s.routes],
                name=f"tentative {date}",
                cost_scale=day.cost_scale,
            )
            before = plan_cost(s) + sum(v.fixed_cost for v, r in zip(s.vehicles, s.routes) if r)
        solution = self.solver(problem, self.resolve_time_limit_s)
        if solution.dropped:
            return False
        new_routes = [[keep[i] for i in r] for r in solution.routes]
        with day.lock:
            if day.version != version:
                return False  # bookings moved on meanwhile; the next trigger tries again
            old = day.state.routes
            day.state.routes = new_routes
            day.state.invalidate()
            after = plan_cost(day.state) + sum(v.fixed_cost for v, r in zip(day.state.vehicles, new_routes) if r)
            if after >= before or not all(day.state.route_is_feasible(v) for v in range(len(new_routes))):
                day.state.routes = old
                day.state.invalidate()
                return False
            day.version += 1
            return True
