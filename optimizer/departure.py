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

Working-time rules (:class:`WorkRules`): a driver's breaks, each of a duration inside a window
(30 min within 11:00-14:00), a maximum route duration and overtime after a normal one. A break is
taken between two services: while the van drives, waits, or at the depot before it leaves or
after it is back (a route that is back before the break window needs none taken on it), never
during a service, in the order listed; the walk places the breaks where the route is cheapest,
labour until the return plus the stops' lateness (:func:`walk_route`: exact over every
placement; with hard windows, where the van is back earliest). Leaving later can then move a
break, so the departure is :func:`best_departure`'s, with the break bounds (met where a leg starts
or ends, and window bounds less the breaks taken before them) among its candidates, and overtime
(seconds of span over the normal duration, at its own rate) is part of the cost it minimises. The
same rules are OR-Tools' break intervals (ordered) and span bounds: the checker re-walks what the
engines planned with them, and a randomized test holds both to the same verdict and price.

Reloads (multi-trip): the depot node inside a route is a reload. The van is back there, waits
until the next trip's parcels are in (``trip_ready``), loads for ``reload_s`` seconds and leaves
on its next trip; the walk lists the reload like a stop (arrival, loading start, never late).

Times in seconds since midnight of the plan date; travel and service times in seconds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from optimizer.traffic import Traffic


@dataclass(frozen=True)
class BreakRule:
    """A driver's break: ``duration`` seconds, lying wholly inside ``[earliest, latest]`` (seconds
    since midnight): it starts at ``earliest`` at the soonest and is over by ``latest``."""

    earliest: int
    latest: int
    duration: int

    def __post_init__(self) -> None:
        if self.duration <= 0 or self.latest - self.earliest < self.duration:
            raise ValueError(f"a break of {self.duration} s does not fit between {self.earliest} s and {self.latest} s")

    @property
    def latest_start(self) -> int:
        return self.latest - self.duration


@dataclass(frozen=True)
class WorkRules:
    """A driver's working-time rules for one route (seconds, cost units per second).

    ``breaks`` in the order they are taken; ``max_span`` the longest route (leaving to back at the
    depot, breaks and waiting included), None: only the shift bounds it; ``normal_span`` the
    route duration after which each second costs ``overtime_cost_per_s`` on top of the wage
    (None: no overtime).
    """

    breaks: tuple[BreakRule, ...] = ()
    max_span: int | None = None
    normal_span: int | None = None
    overtime_cost_per_s: int = 0

    def overtime_s(self, span: int) -> int:
        """Seconds of ``span`` beyond the normal route duration."""
        return 0 if self.normal_span is None else max(0, span - self.normal_span)

    def overtime_cost(self, span: int) -> int:
        return self.overtime_s(span) * self.overtime_cost_per_s

    @property
    def shapes_departure(self) -> bool:
        """Whether these rules can change which departure is cheapest (breaks or overtime)."""
        return bool(self.breaks) or (self.normal_span is not None and self.overtime_cost_per_s > 0)


NO_RULES = WorkRules()


def leg_s(duration: np.ndarray | Traffic, i: int, j: int, depart: int) -> int:
    """Seconds to drive from node ``i`` to ``j`` leaving at ``depart``: the rush-hour rule's
    (:meth:`optimizer.traffic.Traffic.leg`) when ``duration`` is a :class:`Traffic`, else the matrix's."""
    return duration.leg(i, j, depart) if isinstance(duration, Traffic) else int(duration[i, j])


def _reach(stops: Sequence[int], depot: int, depart: int, duration: np.ndarray | Traffic,
           service: np.ndarray, upto: int | None = None, reloads: _Reloads | None = None) -> list[int]:
    """Seconds from ``depart`` to each stop's arrival, driving on without waiting, and last back at
    the depot (one more entry); with ``upto``, only the first ``upto + 1`` entries. ``reloads``:
    a reload's loading time counts instead of the depot's service."""
    out, t, prev, index = [], depart, depot, -1
    route = [*stops, depot]
    for node in route if upto is None else route[: upto + 1]:
        t += reloads.service_at(index, prev) if reloads is not None and index >= 0 else int(service[prev])
        index += 1
        t += leg_s(duration, prev, node, t)
        out.append(t - depart)
        prev = node
    return out


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
    work: WorkRules = NO_RULES,
    reload_s: int = 0,
    trip_ready: Sequence[int] | None = None,
) -> Departure:
    """The departure of a van serving ``stops`` in order from ``depot`` (see the module docstring).

    ``windows`` (node -> several ``(start, end)`` windows, ``tw_start``/``tw_end`` their hull),
    ``late_allowed`` (seconds after ``tw_end``) and ``late_cost`` (cost units per second late)
    are the several and soft windows of :class:`~optimizer.problem.RoutingProblem`; when a stop of
    the route has either, or ``work`` has breaks or overtime, the departure is
    :func:`best_departure`'s, with labour at ``cost_per_s`` per second.

    ``duration[i, j]`` is the travel time from node i to j, ``service[i]`` the time spent at i
    (the depot's own counts before the first leg), ``tw_start``/``tw_end`` each stop's window
    for the service start. A route that misses a window even leaving at the shift start leaves
    then; one that is back after its shift end whenever it leaves still leaves as late as its
    waiting allows (it is back no later for it). No stops: leave and return at the shift start.
    """
    if not stops:
        return Departure(shift_start, shift_start)
    if trip_ready is not None or isinstance(duration, Traffic) or work.shapes_departure or (
            windows and any(node in windows for node in stops)) or (
            late_allowed is not None and any(int(late_allowed[node]) > 0 for node in stops)):
        return best_departure(stops, depot, shift_start, shift_end, duration, service, tw_start, tw_end,
                              windows=windows, late_allowed=late_allowed, late_cost=late_cost, cost_per_s=cost_per_s,
                              work=work, reload_s=reload_s, trip_ready=trip_ready)
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


def stop_windows(node: int, tw_start: np.ndarray, tw_end: np.ndarray,
                 windows: Mapping[int, Sequence[tuple[int, int]]] | None,
                 late_allowed: np.ndarray | None) -> tuple[Sequence[tuple[int, int]], int, int]:
    """A stop's windows (its several, or its one ``(tw_start, tw_end)``), the promised end of the
    last one and its hard end (that end plus the allowed lateness), seconds."""
    wins = (windows or {}).get(node) or ((int(tw_start[node]), int(tw_end[node])),)
    soft_end = int(wins[-1][1])
    return wins, soft_end, soft_end + (0 if late_allowed is None else max(0, int(late_allowed[node])))


_NEVER = 2**40  # a reload's window has no end: the shift end bounds the return instead


class _Reloads:
    """A route's reloads for the walk: the ``k``-th depot visit inside the route waits for
    ``trip_ready[k]`` and loads for ``reload_s`` seconds (:func:`walk_route`)."""

    def __init__(self, depot: int, service: np.ndarray, reload_s: int, trip_ready: Sequence[int] | None):
        self.depot, self.service, self.reload_s = depot, service, int(reload_s)
        self.trip_ready = tuple(int(r) for r in trip_ready) if trip_ready is not None else None

    def is_reload(self, node: int) -> bool:
        return self.trip_ready is not None and node == self.depot

    def service_at(self, index: int, node: int) -> int:
        """Seconds spent at the route's ``index``-th node (a reload's loading time)."""
        return self.reload_s if self.is_reload(node) else int(self.service[node])

    def terms(self, index: int, node: int, stops: Sequence[int], tw_start, tw_end, windows, late_allowed):
        """(windows, promised end, hard end) of the route's ``index``-th node: a reload opens when its
        trip's parcels are in and never closes."""
        if not self.is_reload(node):
            return stop_windows(node, tw_start, tw_end, windows, late_allowed)
        k = sum(1 for m in stops[:index] if m == self.depot)
        ready = self.trip_ready[k] if k < len(self.trip_ready) else 0
        return ((ready, _NEVER),), _NEVER, _NEVER


@dataclass(frozen=True)
class Walk:
    """A route walked from one departure: arrival and service start per stop, seconds late per
    stop (after its last window's end), the return, and whether every stop was reached in time.

    ``breaks`` are the driver's breaks taken during the route, ``(after, start, end)``: ``after``
    stops served before it (0: before the first stop, at the depot or on the first leg), start and
    end in seconds; a break wholly before the departure or after the return is not listed.
    ``breaks_fit`` is whether every break of the rules could be taken inside its window.
    """

    depart_s: int
    arrivals: tuple[int, ...]
    starts: tuple[int, ...]
    late_s: tuple[int, ...]
    return_s: int
    in_time: bool  # every service start at or before its stop's hard end
    breaks: tuple[tuple[int, int, int], ...] = ()
    breaks_fit: bool = True

    @property
    def sound(self) -> bool:
        """Every stop in time and every break taken (the shift end and span are the caller's)."""
        return self.in_time and self.breaks_fit


def _drive_with_breaks(ready: int, travel: int, rules: Sequence[BreakRule]) -> tuple[int, list[tuple[int, int]]] | None:
    """Drive a leg of ``travel`` seconds from ``ready``, taking ``rules`` on the way in order, each
    as soon as its window allows (driving until then; waiting at the next stop if the van gets
    there first): (arrival, [(start, end)] of the breaks), or None if one cannot start by its
    latest start."""
    cur, remaining, taken = ready, travel, []
    for rule in rules:
        start = max(rule.earliest, cur)
        if start > rule.latest_start:
            return None
        remaining -= min(remaining, start - cur)
        cur = start + rule.duration
        taken.append((start, cur))
    return cur + remaining, taken


def _walk_with_breaks(stops, depot, depart, duration, service, tw_start, tw_end, windows, late_allowed,
                      rules: Sequence[BreakRule], late_cost, cost_per_s: int, reloads: _Reloads) -> Walk:
    """:func:`walk_route` with breaks (and at least one stop): over every way to share the breaks out among the legs, the
    one that is cheapest, ``cost_per_s`` per second until the return plus the stops' lateness at
    ``late_cost`` (with hard windows: the one back earliest). For a given number of breaks taken,
    getting somewhere earlier and less late never hurts what follows (a van can always wait), so
    keeping, per number of breaks at each stop, the states no other is both earlier and less late
    than is exact."""
    n_rules = len(rules)
    # A state: (missed, done at, lateness cost so far, path); path is a linked list of per-stop records.
    states: dict[int, list[tuple]] = {}
    ready = depart + int(service[depot])
    end_before = None
    for m in range(n_rules + 1):  # the first m breaks wholly before the departure
        if m:
            rule = rules[m - 1]
            start = rule.earliest if end_before is None else max(rule.earliest, end_before)
            if start > rule.latest_start or start + rule.duration > depart:
                break
            end_before = start + rule.duration
        states[m] = [(False, ready, 0, None)]
    prev = depot
    for index, node in enumerate(stops):
        wins, soft_end, hard = reloads.terms(index, node, stops, tw_start, tw_end, windows, late_allowed)
        per_s = 0 if late_cost is None or reloads.is_reload(node) else int(late_cost[node])
        here = reloads.service_at(index, node)
        nxt: dict[int, list[tuple]] = {}
        for k, entries in states.items():
            for missed, done, cost, path in entries:
                travel = leg_s(duration, prev, node, done)  # the leg's time is set when it starts
                for j in range(n_rules - k + 1):
                    leg = _drive_with_breaks(done, travel, rules[k:k + j])
                    if leg is None:
                        break  # a later break cannot fit where an earlier one did not
                    arrive, taken = leg
                    begin = service_start(arrive, wins, hard)
                    late = max(0, begin - soft_end)
                    record = (arrive, begin, late, tuple((index, a, b) for a, b in taken))
                    nxt.setdefault(k + j, []).append(
                        (missed or begin > hard, begin + here, cost + late * per_s, (path, record)))
        states = {k: _undominated(entries) for k, entries in nxt.items()}
        prev = node
    best = None
    for k, entries in states.items():
        for missed, done, cost, path in entries:
            back_travel = leg_s(duration, prev, depot, done)
            for j in range(n_rules - k + 1):
                leg = _drive_with_breaks(done, back_travel, rules[k:k + j])
                if leg is None:
                    break
                back, taken = leg
                fit = _drive_with_breaks(back, 0, rules[k + j:]) is not None  # the rest after the return
                # on a tie, breaks inside the route (in its waits)
                key = (missed, not fit, cost_per_s * back + cost, back, -(k + j))
                if best is None or key < best[0]:
                    best = (key, back, path, tuple((len(stops), a, b) for a, b in taken))
    if best is None:  # no placement at all (a break that fits nowhere): walk without them
        plain = walk_route(stops, depot, depart, duration, service, tw_start, tw_end,
                           windows=windows, late_allowed=late_allowed, reload_s=reloads.reload_s,
                           trip_ready=reloads.trip_ready)
        return Walk(plain.depart_s, plain.arrivals, plain.starts, plain.late_s, plain.return_s, plain.in_time, (), False)
    key, back, path, last_breaks = best
    records = []
    while path is not None:
        path, record = path
        records.append(record)
    records.reverse()
    taken = [b for r in records for b in r[3]] + list(last_breaks)
    return Walk(depart, tuple(r[0] for r in records), tuple(r[1] for r in records), tuple(r[2] for r in records),
                back, not key[0], tuple(taken), not key[1])


def _undominated(entries: list[tuple]) -> list[tuple]:
    """The states no other is at least as good as in every respect (in time, done no later, no
    costlier lateness); with hard windows that is the single earliest in-time state."""
    entries.sort(key=lambda e: (e[0], e[1], e[2]))
    kept: list[tuple] = []
    for e in entries:
        if not any(k[0] <= e[0] and k[1] <= e[1] and k[2] <= e[2] for k in kept):
            kept.append(e)
    return kept


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
    breaks: Sequence[BreakRule] = (),
    late_cost: np.ndarray | None = None,
    cost_per_s: int = 1,
    reload_s: int = 0,
    trip_ready: Sequence[int] | None = None,
) -> Walk:
    """Walk ``stops`` leaving ``depot`` at ``depart``, each served by :func:`service_start`, the
    driver taking ``breaks`` where the route is cheapest: labour at ``cost_per_s`` until the
    return plus lateness at ``late_cost`` (cost units per second; with hard windows, where the van
    is back earliest) (:class:`Walk`).

    ``trip_ready``, when given, makes each ``depot`` inside ``stops`` a reload: the ``k``-th waits
    until ``trip_ready[k]`` (seconds) and takes ``reload_s`` seconds (see the module docstring)."""
    reloads = _Reloads(depot, service, reload_s, trip_ready)
    if breaks and stops:  # a van with no stops takes its breaks off the route
        return _walk_with_breaks(stops, depot, depart, duration, service, tw_start, tw_end, windows, late_allowed,
                                 tuple(breaks), late_cost, cost_per_s, reloads)
    arrivals, starts, late = [], [], []
    t, prev, in_time, here = depart, depot, True, int(service[depot])
    for index, node in enumerate(stops):
        leave = t + here
        arrive = leave + leg_s(duration, prev, node, leave)
        wins, soft_end, hard = reloads.terms(index, node, stops, tw_start, tw_end, windows, late_allowed)
        begin = service_start(arrive, wins, hard)
        in_time = in_time and begin <= hard
        arrivals.append(arrive)
        starts.append(begin)
        late.append(max(0, begin - soft_end))
        t, prev, here = begin, node, reloads.service_at(index, node)
    back = t + here + leg_s(duration, prev, depot, t + here) if stops else depart
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
    work: WorkRules = NO_RULES,
    reload_s: int = 0,
    trip_ready: Sequence[int] | None = None,
) -> Departure:
    """The cheapest departure under several and soft windows, breaks, overtime and reloads (see
    the module docstring).

    Tries the shift start and every departure at which some stop's arrival, travelling without
    waiting from the depot, meets one of its window bounds (an opening, a close, the hard end),
    and the one that is back exactly at the shift end; keeps the cheapest of those that make
    every stop in time and are back by the shift end (``cost_per_s x span + sum of late_cost x
    seconds late``, then the shorter span, then the earlier departure). A route that misses a
    stop even leaving at the shift start leaves then; one that is never back by the shift end
    takes the cheapest in-time departure. With ``work``: the cost adds the overtime, a departure
    whose span passes ``work.max_span`` ranks after those within it, and the candidates add the
    departures at which a leg's start, free-flow, meets a break's earliest or latest start, and
    the one right after a break taken before leaving.
    """
    if not stops:
        return Departure(shift_start, shift_start)
    kw = dict(windows=windows, late_allowed=late_allowed, breaks=work.breaks, late_cost=late_cost, cost_per_s=cost_per_s,
              reload_s=reload_s, trip_ready=trip_ready)
    free = duration.free if isinstance(duration, Traffic) else duration
    reloads = _Reloads(depot, service, reload_s, trip_ready)
    reach = _reach(stops, depot, shift_start, free, service, reloads=reloads)  # per stop, then back at the depot
    prefix, back_free = reach[:-1], reach[-1]
    bounds = [(len(stops), shift_end)]  # (reach entry, time it meets): back exactly at the shift end
    for k, node in enumerate(stops):
        if reloads.is_reload(node):  # back exactly when the next trip's parcels are in
            bounds.append((k, reloads.terms(k, node, stops, tw_start, tw_end, windows, late_allowed)[0][0][0]))
            continue
        wins, _, hard = stop_windows(node, tw_start, tw_end, windows, late_allowed)
        bounds += [(k, int(b)) for open_s, close_s in wins for b in (open_s, close_s)] + [(k, hard)]
    if not isinstance(duration, Traffic):
        candidates = {shift_start} | {b - reach[k] for k, b in bounds}
    else:
        # In rush hour the drive to a stop depends on the departure: meet each bound by up to two
        # steps of d <- bound - reach(d) from the free-flow guess (reach changes slowly with d).
        candidates = {shift_start}
        for k, b in bounds:
            d = b - reach[k]
            for _ in range(2):
                step = b - _reach(stops, depot, d, duration, service, upto=k, reloads=reloads)[k]
                settled = abs(step - d) < 30  # reach barely moved
                d = step
                if settled:
                    break
            candidates.add(d)
    if work.breaks:
        # A break taken on the way shifts every later arrival by its duration: each bound may be
        # met after any run of breaks taken on the route (the others before leaving or after return).
        lengths = [rule.duration for rule in work.breaks]
        taken = {sum(lengths[i:j]) for i in range(len(lengths)) for j in range(i + 1, len(lengths) + 1)}
        candidates |= {c - d for c in list(candidates) for d in taken}
        # where a leg starts, and where it ends (a break begun on arrival wastes no driving)
        legs = [int(service[depot])] + [p + int(service[node]) for node, p in zip(stops, prefix)] + prefix + [back_free]
        for rule in work.breaks:
            candidates.add(rule.latest)  # leave right after a break taken at the depot, at its latest
            candidates.add(rule.earliest + rule.duration)
            for q in legs:
                candidates.update((rule.earliest - q, rule.latest_start - q))
    # Leaving later helps an unsound route only until every break could lie wholly before leaving.
    all_before = None
    for rule in work.breaks:
        all_before = rule.earliest + rule.duration if all_before is None else max(rule.earliest, all_before) + rule.duration
    best = None  # (back by shift end, key, walk)
    first = None
    for depart in sorted(c for c in candidates if shift_start <= c <= max(shift_start, shift_end)):
        w = walk_route(stops, depot, depart, duration, service, tw_start, tw_end, **kw)
        first = first or w
        if not w.sound:
            if all_before is not None and depart < all_before:
                continue  # leaving later may let a break fall wholly before the departure
            if best is None:  # even the shift start misses a stop
                return Departure(shift_start, w.return_s)
            break  # service starts only move later with the departure: every later one misses it too
        late = sum(s * (0 if late_cost is None else int(late_cost[n])) for n, s in zip(stops, w.late_s))
        span = w.return_s - depart
        within = w.return_s <= shift_end and (work.max_span is None or span <= work.max_span)
        rank = (within, (-(cost_per_s * span + work.overtime_cost(span) + late), -span, -depart))
        if best is None or rank > best[0]:
            best = (rank, w)
    if best is None:  # no departure serves every stop and takes every break: the shift start
        return Departure(shift_start, first.return_s)
    w = best[1]
    return Departure(w.depart_s, w.return_s)
