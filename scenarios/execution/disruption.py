"""A vehicle out of service during the day, and the re-plan of its remaining stops.

:func:`vehicle_out_of_service` stores a :class:`~scheduling.storage.models.VehicleOutage`,
re-plans what the van had not yet served onto the other vans, saves the result as a new plan
version of the date (kind ``replan``) and publishes it: shops of bookings whose ETA moved hear
``booking.replanned``, shops of bookings that can no longer be served in their slot hear
``booking.at_risk`` with the reason.

How "where each van is now" is modelled
---------------------------------------
The routing problem gives every vehicle one depot node, where it starts and ends. For the
re-plan each van still on the road gets a depot node of its own, a *virtual depot* whose
matrix row is its **current position** (travel from where it is to each stop) and whose
matrix column is its **real depot** (travel from each stop back home). The engines need no
change: a route "from the depot and back" is then a route from the current stop back to the
real depot. The van's shift in the re-plan starts when it is free at that position (seconds
since midnight) and ends with its real shift.

A van's *committed prefix* is never re-planned: every stop it reported an event for, plus the
stop it is driving to (a van is not turned round mid-leg; one that left the depot is driving
to its first stop). Its current position is the last committed stop, free at that stop's
departure (reported, or expected from the plan's handling time and leg), and never before
``from_s``. A van that has not left is at its depot from ``from_s`` (or its shift start). A
van that reported nothing at all is taken to drive its plan on plan time (its driver may not
use the app): committed are the stops it reaches by ``from_s``.
Served stops (and failed ones: their parcels ride along) stay where they are.

Which stops may move where: the broken van's not-yet-served stops may go to any other van,
including one not used so far (its fixed cost counts; vans already on the road cost no
fixed cost again). Each healthy van keeps its own remaining stops (their parcels are on
board), in an order the re-plan may change. The broken van's parcels are assumed to be handed
over to the van that takes them at no extra time; the re-plan does not route a transfer.
Capacity left for a healthy van is its capacity less the parcels of failed deliveries it
still carries.

Units: times in seconds since midnight of the plan date; ``time_limit_s`` wall-clock seconds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select

from optimizer.domain import Depot, Order, Plan, Route, RouteBreak, Stop, TimeWindow, Unserved, UnservedReason, Vehicle, Visit, hhmm, parse_windows
from scheduling.storage import Database
from scheduling.storage.models import DeliveryEventRow, VehicleOutage

DONE = ("delivered", "failed")


class DisruptionError(ValueError):
    """A disruption that was refused; nothing was stored. ``status`` (4xx), ``field`` and the message say what to fix."""

    def __init__(self, status: int, field: str, message: str):
        super().__init__(message)
        self.status = status
        self.field = field
        self.message = message


@dataclass(frozen=True)
class MovedStop:
    """A stop of the broken van now on another van, with its new planned service start."""

    stop_id: str
    order_ids: tuple[str, ...]
    booking_ids: tuple[str, ...]
    to_vehicle: str
    planned_start_s: int
    window: TimeWindow


@dataclass(frozen=True)
class StopAtRisk:
    """A stop no van in service can serve in its slot any more, and why.

    ``vehicle_id`` is the van that had it: the broken one, or a van whose own remaining stops no
    longer fit once it took over some of the broken van's."""

    stop_id: str
    vehicle_id: str
    order_ids: tuple[str, ...]
    booking_ids: tuple[str, ...]
    reason: str  # an UnservedReason value
    detail: str
    window: TimeWindow


@dataclass
class Replan:
    """What a vehicle outage changed: the new plan version, its publication, moved and at-risk stops."""

    date: str
    vehicle_id: str
    from_s: int
    reason: str
    outage_id: int
    base_plan_id: int
    plan_id: int | None
    publication_id: int | None
    served: list[str]  # stop ids the broken van had served: they stay on its route
    moved: list[MovedStop] = field(default_factory=list)
    at_risk: list[StopAtRisk] = field(default_factory=list)
    solve_s: float = 0.0  # wall-clock seconds of the whole re-plan (matrices, search, saving)
    events: int = 0  # shop events written by the publication
    message: str = ""  # why there was nothing to publish, if so

    def summary(self, limit: int = 10) -> str:
        """In plain words; at most ``limit`` moved stops are listed one by one (every stop at risk is)."""
        head = (f"{self.vehicle_id} out of service from {hhmm(self.from_s)} ({self.reason or 'no reason given'}): "
                f"{len(self.served)} stop(s) served stay, {len(self.moved)} moved, {len(self.at_risk)} at risk")
        lines = [head]
        lines += [f"  moved {m.stop_id} -> {m.to_vehicle} at {hhmm(m.planned_start_s)} (slot {m.window})"
                  for m in self.moved[:limit]]
        if len(self.moved) > limit:
            lines.append(f"  ... and {len(self.moved) - limit} more moved")
        lines += [f"  at risk {r.stop_id} (slot {r.window}): {r.reason}: {r.detail}" for r in self.at_risk]
        if self.plan_id is not None:
            lines.append(f"  plan #{self.plan_id} (from #{self.base_plan_id}) published as #{self.publication_id}, "
                         f"{self.events} shop event(s), {self.solve_s:.1f} s")
        elif self.message:
            lines.append(f"  {self.message}")
        return "\n".join(lines)


# --------------------------------------------------------------------------- the day so far


@dataclass
class _VanProgress:
    vehicle_id: str
    stops: list[dict]  # the route's stop dicts, in order
    prefix: int  # committed stops: stops[:prefix] are not re-planned
    done_orders: set[str]
    failed_orders: set[str]
    last_s: int | None  # time of the latest event (departed or at a stop)
    arrived_s: dict[str, int]
    done_s: dict[str, int]
    planned: bool = False  # nothing reported: the van is taken to be on plan time


def _progress(rows: list[DeliveryEventRow], route: dict, from_s: int) -> _VanProgress:
    """What a van reported. A van that reported nothing is taken to drive its plan (its driver may
    not use the app): committed are the stops it reaches by ``from_s`` on plan time."""
    stops = route["stops"]
    if not rows:
        reached = sum(1 for s in stops if int(s["arrival_s"]) <= from_s)
        if int(route["start_s"]) <= from_s and reached < len(stops):
            reached += 1
        return _VanProgress(route["vehicle_id"], stops, reached, set(), set(), None, {}, {}, planned=True)
    orders_of = {s["stop_id"]: list(s["order_ids"]) for s in stops}
    done: set[str] = set()
    failed: set[str] = set()
    arrived: dict[str, int] = {}
    done_s: dict[str, int] = {}
    seen: set[str] = set()
    departed = False
    last_s = None
    for r in sorted(rows, key=lambda r: (r.at_s, r.received_at or dt.datetime.min)):
        last_s = r.at_s if last_s is None else max(last_s, r.at_s)
        if r.type == "departed":
            departed = True
            continue
        if r.stop_id not in orders_of:
            continue
        departed = True
        seen.add(r.stop_id)
        if r.type == "arrived":
            arrived.setdefault(r.stop_id, r.at_s)
        elif r.type in DONE:
            ids = [r.order_id] if r.order_id else orders_of[r.stop_id]
            done.update(ids)
            if r.type == "failed":
                failed.update(ids)
            if all(o in done for o in orders_of[r.stop_id]):
                done_s[r.stop_id] = r.at_s
    last = max((k for k, s in enumerate(stops) if s["stop_id"] in seen), default=-1)
    prefix = last + 1
    # A van does not turn round mid-leg: having left a stop (or the depot), it is driving to the next one.
    if departed and prefix < len(stops) and (last < 0 or stops[last]["stop_id"] in done_s):
        prefix += 1
    return _VanProgress(route["vehicle_id"], stops, prefix, done, failed, last_s, arrived, done_s)


def _events(db: Database, scenario_name: str, date: str) -> dict[str, list[DeliveryEventRow]]:
    with db.session() as s:
        rows = s.scalars(select(DeliveryEventRow).where(DeliveryEventRow.date == date,
                                                        DeliveryEventRow.scenario == scenario_name)).all()
        s.expunge_all()
    out: dict[str, list[DeliveryEventRow]] = {}
    for r in rows:
        out.setdefault(r.vehicle_id, []).append(r)
    return out


def _stop(d: dict, order_ids: list[str] | None = None, orders: dict[str, Order] | None = None, suffix: str = "") -> Stop:
    ids = tuple(order_ids if order_ids is not None else d["order_ids"])
    split = bool(orders) and order_ids is not None
    parcels = sum(orders[o].parcels for o in ids) if split else int(d["parcels"])
    weight = sum(orders[o].weight_kg for o in ids) if split else float(d.get("weight_kg") or 0.0)
    volume = sum(orders[o].volume_l for o in ids) if split else float(d.get("volume_l") or 0.0)
    skills = sorted({k for o in ids for k in orders[o].skills}) if split else sorted(d.get("skills") or ())
    return Stop(id=d["stop_id"] + suffix, lat=d["lat"], lon=d["lon"], order_ids=ids, parcels=parcels,
                window=TimeWindow(int(d["window_start_s"]), int(d["window_end_s"])),
                service_s=max(0, int(d["departure_s"]) - int(d["start_s"])),
                pickup_point_id=d.get("pickup_point_id"), address=d.get("address") or "",
                weight_kg=weight, volume_l=volume, skills=tuple(skills),
                windows=parse_windows("|".join(d["windows"])) if d.get("windows") else (),
                kind=d.get("kind") or "delivery", pair=d.get("pair") or "")


def _visit(d: dict) -> Visit:
    return Visit(stop_id=d["stop_id"], order_ids=tuple(d["order_ids"]), lat=d["lat"], lon=d["lon"],
                 arrival=int(d["arrival_s"]), start=int(d["start_s"]), departure=int(d["departure_s"]),
                 load_after=int(d.get("load_after", 0)), address=d.get("address") or "",
                 window=TimeWindow(int(d["window_start_s"]), int(d["window_end_s"])),
                 pickup_point_id=d.get("pickup_point_id"), parcels=int(d["parcels"]), kind=d.get("kind") or "delivery",
                 pair=d.get("pair") or "")


# --------------------------------------------------------------------------- the re-plan


def out_of_service_from_form(db: Database, scenario_name: str, date: str, vehicle_id: str, from_text: str, reason: str,
                             user: str, time_limit_s: float = 20.0) -> Replan:
    """:func:`vehicle_out_of_service` for a page's form: ``from_text`` is ``HH:MM`` (a bad one is a
    :class:`DisruptionError` naming ``from``); for a day page's "out of service" button."""
    from optimizer.domain import parse_hhmm

    try:
        from_s = parse_hhmm(from_text)
    except ValueError as exc:
        raise DisruptionError(422, "from", str(exc)) from None
    return vehicle_out_of_service(db, scenario_name, date, vehicle_id, from_s, reason, user, time_limit_s)


def vehicle_out_of_service(
    db: Database,
    scenario_name: str,
    date: str,
    vehicle_id: str,
    from_s: int,
    reason: str,
    user: str,
    time_limit_s: float = 20.0,
    *,
    engine: str = "auto",
    now: dt.datetime | None = None,
) -> Replan:
    """Take ``vehicle_id`` out of service from ``from_s`` and re-plan and publish its remaining stops.

    Raises :class:`DisruptionError` (nothing stored) for a date without a published plan, a
    vehicle not on it, a time outside the day, or a vehicle already out of service that day.
    An unservable stop is never an error: it is listed in :attr:`Replan.at_risk` with the reason.
    """
    from scenarios.dispatch.publication import latest_publication
    from scenarios.dispatch.workbench import Workbench

    t0 = time.perf_counter()
    try:
        dt.date.fromisoformat(date)
    except (TypeError, ValueError):
        raise DisruptionError(422, "date", f"'{date}' is not a date; write it as YYYY-MM-DD") from None
    if not isinstance(from_s, int) or not 0 <= from_s <= 24 * 3600:
        raise DisruptionError(422, "from", f"'{from_s}' is not a time of the day; give HH:MM between 00:00 and 24:00")
    reason = (reason or "").strip()
    if len(reason) > 200:
        raise DisruptionError(422, "reason", f"the reason is {len(reason)} characters; keep it to 200")
    bench = Workbench(db, {"SCENARIO": scenario_name})
    pub = latest_publication(db, scenario_name, date)
    if pub is None:
        raise DisruptionError(409, "date", f"nothing is published for {date}: there is no route to take "
                                           f"{vehicle_id} off; publish the day's plan first")
    base = bench.get_plan(pub.plan_id)
    if base is None:
        raise DisruptionError(409, "date", f"the published plan #{pub.plan_id} of {date} is gone; publish a plan again")
    fleet = {v.id: v for v in bench.scenario.vehicles()}
    if vehicle_id not in fleet:
        raise DisruptionError(404, "vehicle", f"there is no vehicle '{vehicle_id}' in the fleet; "
                                              f"choose one of {', '.join(sorted(fleet))}")
    with db.session() as s:
        outages = {o.vehicle_id: o.from_s for o in s.scalars(select(VehicleOutage).where(
            VehicleOutage.scenario == scenario_name, VehicleOutage.date == date)).all()}
    if vehicle_id in outages:
        raise DisruptionError(409, "vehicle", f"{vehicle_id} is already out of service on {date} from "
                                              f"{hhmm(outages[vehicle_id])}; nothing was changed")
    with db.session() as s:
        row = VehicleOutage(scenario=scenario_name, date=date, vehicle_id=vehicle_id, from_s=int(from_s), reason=reason,
                            created_by=user or "", created_at=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))
        s.add(row)
        s.flush()
        outage_id = row.id
    outages[vehicle_id] = int(from_s)
    replan = _replan(bench, base, date, vehicle_id, int(from_s), reason, user, outages, time_limit_s, engine)
    replan.outage_id = outage_id
    if replan.plan_id is not None:
        published = _publish(bench, replan.plan_id, date, user, now)
        replan.publication_id, replan.events = published.publication_id, published.events
    replan.solve_s = time.perf_counter() - t0
    return replan


def _publish(bench, plan_id: int, date: str, user: str, now: dt.datetime | None):
    """Publish the re-plan: the day is running, so the cut-off has passed, and a prefix stop that
    was already late stays late (``force``); moved ETAs are ``booking.replanned``, left-out
    bookings ``booking.at_risk``."""
    from scenarios.booking_rules import slot_calendar
    from scenarios.dispatch.publication import publish

    now = now or dt.datetime.now(dt.timezone.utc)
    cutoff = slot_calendar(bench.scenario, bench.config).cutoff(dt.date.fromisoformat(date))
    return publish(bench.db, bench.get_plan(plan_id), scenario=bench.scenario_name, user=user or "dispatcher", now=now,
                   cutoff=cutoff, eta_width_s=bench.scenario.spec.dispatch.eta_window_minutes * 60, force=True,
                   changed_event="booking.replanned", unserved_event="booking.at_risk")


def _replan(bench, base, date: str, broken: str, from_s: int, reason: str, user: str, outages: dict[str, int],
            time_limit_s: float, engine: str) -> Replan:
    from optimizer.dayplan import build_day_model, plan_from_solution
    from optimizer.engine.portfolio import solve
    from optimizer.scorecard import build_scorecard
    from scenarios.dispatch.dayorders import bookings_digest
    from scenarios.dispatch.workbench import _carried
    from scenarios.planning import DayResult

    scenario = bench.scenario
    orders = {o.id: o for o in base.orders()}
    fleet = scenario.vehicles()
    events = _events(bench.db, bench.scenario_name, date)
    routes = {r["vehicle_id"]: r for r in base.plan["routes"]}
    progress = {vid: _progress(events.get(vid, []), r, from_s) for vid, r in routes.items()}

    # The broken van: served stops stay (a partly served stop keeps its done orders), the rest move.
    served: list[str] = []
    kept_broken: list[Stop] = []
    moving: list[Stop] = []
    if broken in routes:
        p = progress[broken]
        for d in p.stops:
            done = [o for o in d["order_ids"] if o in p.done_orders]
            rest = [o for o in d["order_ids"] if o not in p.done_orders]
            if done:
                served.append(d["stop_id"])
                kept_broken.append(_stop(d, done, orders) if rest else _stop(d))
            if rest:
                moving.append(_stop(d, rest, orders, suffix="+" if done else ""))
    replan = Replan(date, broken, from_s, reason, 0, base.id, None, None, served)
    if not moving:  # nothing left to serve: the published plan stands
        replan.message = (f"{broken} had no stops left to serve on {date}: the published plan #{base.id} stands, "
                          "and the van's events from then on are refused")
        return replan
    booking_of = {oid: o.booking_id for oid, o in orders.items() if o.booking_id}

    # Healthy vans: committed prefix, current position, when free, what is left.
    healthy = [v for v in fleet if v.id not in outages]
    all_stops: list[Stop] = []  # every stop on a route of the new plan, for the full-day model
    for vid, r in routes.items():
        if vid == broken:
            continue
        all_stops += [_stop(d) for d in r["stops"]]
    all_stops += kept_broken + moving
    depot_list = scenario.depots()
    n_dep = len(depot_list)
    index = {st.id: n_dep + k for k, st in enumerate(all_stops)}
    depot_index = {d.id: k for k, d in enumerate(depot_list)}
    from scenarios.planning import day_travel, snap_day

    nodes = snap_day(bench.network, scenario, all_stops)
    travel = day_travel(bench.network, nodes, fleet, scenario.traffic_bands())
    duration, distance = travel.duration, travel.distance

    starts: list[tuple[Vehicle, int, int, list[Stop]]] = []  # (vehicle for the re-plan, position index, home index, own stops)
    prefixes: dict[str, list[dict]] = {}
    for v in healthy:
        home = depot_index[v.depot_id]
        r = routes.get(v.id)
        if r is None:
            starts.append((dataclasses.replace(v, shift=TimeWindow(max(from_s, v.shift.start), max(from_s, v.shift.end))),
                           home, home, []))
            continue
        p = progress[v.id]
        prefix = p.stops[: p.prefix]
        prefixes[v.id] = prefix
        own = [_stop(d) for d in p.stops[p.prefix:]]
        if not prefix:
            free, pos = max(from_s, v.shift.start), home
        else:
            pos = index[prefix[-1]["stop_id"]]
            own_duration = travel.of(v)[0]
            free = _free_at(p, prefix, own_duration, index, home)
            back = free + int(own_duration[pos, home])
            if not own and back <= from_s:  # its round is done and it is home again
                pos, free = home, back
        failed = [orders[o] for d in prefix for o in d["order_ids"] if o in p.failed_orders and o in orders]
        cap = max(0, v.capacity - sum(o.parcels for o in failed))
        kg = None if v.weight_capacity_kg is None else max(0.0, v.weight_capacity_kg - sum(o.weight_kg for o in failed))
        litres = None if v.volume_capacity_l is None else max(0.0, v.volume_capacity_l - sum(o.volume_l for o in failed))
        taken = len(_breaks_taken(r, len(prefix), from_s))  # the driver's breaks already behind it
        starts.append((dataclasses.replace(v, capacity=cap, weight_capacity_kg=kg, volume_capacity_l=litres, fixed_cost=0.0,
                                           shift=TimeWindow(max(from_s, free), max(from_s, free, v.shift.end)),
                                           breaks=v.breaks[taken:]),
                       pos, home, own))

    stops = [st for _, _, _, own in starts for st in own] + moving
    new_routes: dict[str, Route] = {}
    at_risk: list[tuple[Stop, str, str]] = []
    if stops and starts:
        virt = [Depot(f"{v.id}@{hhmm(v.shift.start)}", f"{v.id} at {hhmm(v.shift.start)}", 0.0, 0.0) for v, *_ in starts]
        rows = [pos for _, pos, _, _ in starts] + [index[st.id] for st in stops]
        cols = [home for _, _, home, _ in starts] + [index[st.id] for st in stops]
        # Rows leave from the current position; columns arrive at the real depot (see the module docstring).
        block = travel.sliced(rows, cols)
        vans = [dataclasses.replace(v, depot_id=virt[k].id) for k, (v, *_) in enumerate(starts)]
        locks = {st.id: v.id for v, _, _, own in starts for st in own}
        initial = {v.id: [st.id for st in own] for v, _, _, own in starts}
        model = build_day_model(list(orders.values()), stops, vans, virt, block.duration, block.distance,
                                drop_penalty=scenario.drop_penalties(), locks=locks, initial_routes=initial,
                                profiles=block.profiles, traffic=block.traffic)
        solution = solve(model.problem, time_limit_s, engine=engine)
        plan = plan_from_solution(model, solution, date=date)
        new_routes = {r.vehicle_id: r for r in plan.routes}
        by_stop = {st.id: st for st in stops}
        for u in plan.unserved:
            if u.stop_id not in {a[0].id for a in at_risk}:
                at_risk.append((by_stop[u.stop_id], u.reason.value, u.detail))
    elif stops:
        at_risk = [(st, UnservedReason.FLEET_FULL.value, "no other vehicle is in service") for st in stops]

    moving_ids = {st.id for st in moving}
    for vid, r in new_routes.items():
        for vis in r.visits:
            if vis.stop_id in moving_ids:
                replan.moved.append(MovedStop(vis.stop_id, vis.order_ids, tuple(booking_of[o] for o in vis.order_ids
                                                                                if o in booking_of),
                                              vid, vis.start, vis.window))
    owner = {st.id: v.id for v, _, _, own in starts for st in own}
    for st, why, detail in at_risk:
        replan.at_risk.append(StopAtRisk(st.id, owner.get(st.id, broken), st.order_ids, tuple(booking_of[o] for o in st.order_ids if o in booking_of),
                                             why, f"{broken} out of service from {hhmm(from_s)}; {detail}", st.window))

    # The new plan version: every van's committed prefix, then its re-planned remainder.
    merged: list[Route] = []
    for v in fleet:
        home = depot_index[v.depot_id]
        if v.id == broken:
            visits = [_visit(d) for d in routes[v.id]["stops"] if d["stop_id"] in served] if v.id in routes else []
            visits = [dataclasses.replace(x, order_ids=st.order_ids, parcels=st.parcels) for x, st in zip(visits, kept_broken)]
            if visits:
                merged.append(_route(v, routes[v.id]["start_s"], visits, max(from_s, visits[-1].departure),
                                     *travel.of(v), index, home, closed=False))
            continue
        head = [_visit(d) for d in prefixes.get(v.id, [])]
        tail = list(new_routes[v.id].visits) if v.id in new_routes else []
        if not head and not tail:
            continue
        start = routes[v.id]["start_s"] if v.id in routes else (new_routes[v.id].start if v.id in new_routes else from_s)
        last = (tail or head)[-1]
        end = new_routes[v.id].end if tail else last.departure + int(travel.of(v)[0][index[last.stop_id], home])
        # the breaks the driver took on the driven part, then those planned on the re-planned rest
        breaks = _breaks_taken(routes.get(v.id), len(head), from_s)
        if tail:
            breaks += [RouteBreak(b.after_stops + len(head), b.start, b.end) for b in new_routes[v.id].breaks]
        merged.append(dataclasses.replace(_route(v, start, head + tail, end, *travel.of(v), index, home),
                                          breaks=tuple(breaks)))
    unserved = [Unserved(u["order_id"], u["stop_id"], UnservedReason(u["reason"]), u["detail"]) for u in base.plan["unserved"]]
    for st, why, detail in at_risk:
        unserved += [Unserved(o, st.id, UnservedReason(why), f"{broken} out of service from {hhmm(from_s)}; {detail}")
                     for o in st.order_ids]
    order_list = base.orders()
    new_plan = Plan(date=date, routes=merged, unserved=unserved, engine="replan", meta={"scenario": scenario.name})
    scorecard = build_scorecard(new_plan, order_list, fleet, currency=scenario.spec.currency)
    new_plan.objective = scorecard.cost_total
    full = build_day_model(order_list, all_stops, fleet, depot_list, duration, distance,
                           drop_penalty=scenario.drop_penalties(), profiles=travel.profiles, traffic=travel.traffic)
    result = DayResult(plan=new_plan, scorecard=scorecard, model=full, nodes=np.asarray(nodes), orders=order_list)
    extra = _carried(base) | {"bookings_digest": bookings_digest(bench.db, date) if base.data.get("bookings_digest") else None,
                              "outage": {"vehicle_id": broken, "from_s": from_s, "reason": reason}}
    replan.plan_id = bench._save(result, kind="replan",
                                 note=f"{broken} out of service from {hhmm(from_s)}: {len(replan.moved)} stop(s) moved, "
                                      f"{len(replan.at_risk)} at risk",
                                 user=user, parent_id=base.id, locks={}, unassigned=[], time_limit_s=time_limit_s,
                                 base=base, extra=extra)
    return replan


def _free_at(p: _VanProgress, prefix: list[dict], duration: np.ndarray, index: dict[str, int], home: int) -> int:
    """When the van can leave its last committed stop: reported, else expected from the plan's handling and leg."""
    last = prefix[-1]
    sid = last["stop_id"]
    handling = int(last["departure_s"]) - int(last["start_s"])
    if p.planned:
        return int(last["departure_s"])
    if sid in p.done_s:
        return p.done_s[sid]
    if sid in p.arrived_s:
        return max(p.arrived_s[sid], int(last["window_start_s"])) + handling
    # Driving to it: from the previous stop's reported or planned departure (or the depot).
    if len(prefix) >= 2:
        prev = prefix[-2]
        left = p.done_s.get(prev["stop_id"], int(prev["departure_s"]))
        leg = int(duration[index[prev["stop_id"]], index[sid]])
    else:
        left = p.last_s if p.last_s is not None else int(last["arrival_s"])
        leg = int(duration[home, index[sid]])
    return max(left + leg, int(last["window_start_s"])) + handling


def _breaks_taken(route: dict | None, stops_done: int, now_s: int) -> list[RouteBreak]:
    """The planned breaks of a route (``plan.json`` layout) that lie in its driven part: after at
    most ``stops_done`` stops and begun before ``now_s``."""
    return [RouteBreak(b["after_stops"], b["start_s"], b["end_s"]) for b in (route or {}).get("breaks") or ()
            if b["after_stops"] <= stops_done and b["start_s"] < now_s]


def _route(v: Vehicle, start: int, visits: list[Visit], end: int, duration, distance, index: dict[str, int], home: int,
           closed: bool = True) -> Route:
    """A route of the new plan with its load and distance recomputed over the merged stops (metres)."""
    load = sum(x.parcels for x in visits if x.loaded_at_depot)
    on_board = load
    out = []
    dist, prev = 0, home
    for x in visits:
        on_board += x.parcels if x.comes_aboard else -x.parcels
        out.append(dataclasses.replace(x, load_after=on_board))
        dist += int(distance[prev, index[x.stop_id]])
        prev = index[x.stop_id]
    if closed:
        dist += int(distance[prev, home])
    return Route(vehicle_id=v.id, depot_id=v.depot_id, visits=tuple(out), start=int(start), end=max(int(start), int(end)),
                 distance_m=dist, load=load, collected=sum(x.parcels for x in visits if x.kind == "return"))
