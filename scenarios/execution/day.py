"""The day as it is driven: the published plan with what the vans reported, stop by stop.

:func:`driven_day` is what the driver page, the timeline, the actual scorecard and the
simulation read. Every stop carries its planned times, its re-timed service start
(``live_start_s``, see :mod:`optimizer.retime`) and what happened there.

How far a van has got: before ``departed`` nothing moves (live equals planned). After it, the
van is at the last stop it arrived at (a dispatcher's ``delivered``/``failed`` without an
``arrived`` counts as arriving then), leaving when it was done there, or, if it has only
arrived, after the planned service time. The stops it has not reached follow in planned
order; stops it passed without arriving come last (it has to go back for them).

Units: seconds since midnight of the plan date (local time).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from optimizer.domain import TimeWindow, parse_windows
from optimizer.retime import PlannedVisit, ready_at, retime
from scheduling.storage import Database
from scheduling.storage.models import Booking, DeliveryEventRow, Publication, SavedPlan, VehicleOutage
from scenarios.execution.events import DeliveryEvent

STOP_STATUSES = ("planned", "arrived", "delivered", "failed", "partly")
ORDER_STATUSES = ("planned", "delivered", "failed")
_NO_WINDOW = TimeWindow(0, 48 * 3600)


@dataclass
class StopState:
    """One stop of a van: plan, live re-timing and what happened.

    ``status``: ``planned`` (not reached), ``arrived``, ``delivered`` (every order),
    ``failed`` (every order), ``partly`` (some orders done, or done with mixed outcomes).
    ``at_risk``: not done and the live service start is after the stop's window.
    """

    stop_id: str
    vehicle_id: str
    seq: int
    order_ids: list[str]
    booking_ids: list[str]
    window: TimeWindow
    eta_window: TimeWindow | None
    planned_arrival_s: int
    planned_start_s: int
    planned_departure_s: int
    live_start_s: int
    status: str
    arrived_s: int | None
    done_s: int | None
    at_risk: bool
    address: str
    instructions: str
    parcels: int
    lat: float
    lon: float
    pickup_point_id: str | None
    order_status: dict[str, str] = field(default_factory=dict)
    failed_reason: dict[str, str] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        """Every order of the stop delivered or failed."""
        return bool(self.order_ids) and all(v != "planned" for v in self.order_status.values())


@dataclass
class VehicleState:
    """A van of the published plan and its stops in planned order."""

    vehicle_id: str
    departed_s: int | None
    stops: list[StopState]
    out_of_service_from_s: int | None
    depot_lat: float
    depot_lon: float
    return_leg_s: int  # planned travel time from the last stop back to the depot
    planned_start_s: int = 0
    planned_end_s: int = 0

    def stop(self, stop_id: str) -> StopState | None:
        return next((s for s in self.stops if s.stop_id == stop_id), None)


@dataclass
class DrivenDay:
    """A date's published plan as driven so far."""

    date: str
    plan_id: int
    publication_id: int
    vehicles: dict[str, VehicleState]
    events: list[DeliveryEvent]  # in the order they were recorded


# --------------------------------------------------------------------------- building the state


@dataclass
class PlanFacts:
    """What the state needs from a saved plan: routes, order -> booking, order windows, texts."""

    plan_id: int
    routes: dict[str, dict]
    depots: dict[str, dict]
    booking_of: dict[str, str]  # order id -> booking id (booked orders only)
    order_window: dict[str, TimeWindow]
    instructions: dict[str, str]

    def vehicle_of_stop(self, stop_id: str) -> str | None:
        return next((v for v, r in self.routes.items() if any(s["stop_id"] == stop_id for s in r["stops"])), None)


def plan_facts(plan_id: int, data: Mapping) -> PlanFacts:
    """:class:`PlanFacts` from a saved plan's JSON (``SavedPlan.plan_json`` parsed)."""
    plan = data["plan"]
    orders = data.get("orders", [])
    return PlanFacts(
        plan_id=plan_id,
        routes={r["vehicle_id"]: r for r in plan["routes"]},
        depots={d["id"]: d for d in plan.get("depots", [])},
        booking_of={o["id"]: o["booking_id"] for o in orders if o.get("booking_id")},
        order_window={o["id"]: TimeWindow(*o["window"]) for o in orders if o.get("window")},
        instructions={o["id"]: o.get("instructions") or "" for o in orders},
    )


def load_plan_facts(s: Session, plan_id: int) -> PlanFacts:
    row = s.get(SavedPlan, plan_id)
    if row is None:  # a publication always names a stored plan (foreign key)
        raise LookupError(f"plan {plan_id} is not stored")
    return plan_facts(plan_id, json.loads(row.plan_json))


def visit_of(stop: Mapping) -> PlannedVisit:
    return PlannedVisit(int(stop["arrival_s"]), int(stop["start_s"]), int(stop["departure_s"]),
                        stop.get("window_start_s"), stop.get("window_end_s"), _windows(stop.get("windows")))


def _windows(labels) -> tuple[tuple[int, int], ...]:
    """A plan stop's several windows (``["08:00-10:00", "17:00-19:00"]``) in seconds; () for one."""
    if not labels:
        return ()
    return tuple((w.start, w.end) for w in parse_windows("|".join(labels)))


def vehicle_state(
    facts: PlanFacts,
    vehicle_id: str,
    events: Iterable[DeliveryEvent],
    *,
    out_of_service_from_s: int | None = None,
    eta_windows: Mapping[str, TimeWindow] | None = None,
) -> VehicleState:
    """The state of ``vehicle_id`` after ``events`` (its own, in the order they happened)."""
    route = facts.routes[vehicle_id]
    eta_windows = eta_windows or {}
    stops: list[StopState] = []
    for k, st in enumerate(route["stops"]):
        bookings = [facts.booking_of[o] for o in st["order_ids"] if o in facts.booking_of]
        ws, we = st.get("window_start_s"), st.get("window_end_s")
        stops.append(StopState(
            stop_id=st["stop_id"], vehicle_id=vehicle_id, seq=int(st.get("seq", k + 1)), order_ids=list(st["order_ids"]),
            booking_ids=bookings,
            window=TimeWindow(ws, we) if ws is not None and we is not None else _NO_WINDOW,
            eta_window=next((eta_windows[b] for b in bookings if b in eta_windows), None),
            planned_arrival_s=int(st["arrival_s"]), planned_start_s=int(st["start_s"]),
            planned_departure_s=int(st["departure_s"]), live_start_s=int(st["start_s"]), status="planned",
            arrived_s=None, done_s=None, at_risk=False, address=st.get("address") or "",
            instructions="; ".join(t for t in (facts.instructions.get(o, "") for o in st["order_ids"]) if t),
            parcels=int(st.get("parcels") or 0), lat=float(st["lat"]), lon=float(st["lon"]),
            pickup_point_id=st.get("pickup_point_id"),
            order_status={o: "planned" for o in st["order_ids"]},
        ))
    index = {s.stop_id: k for k, s in enumerate(stops)}
    departed_s = None
    current: int | None = None  # the stop the van is at (last arrived)
    last_at: dict[int, int] = {}
    for ev in events:
        if ev.type == "departed":
            departed_s = ev.at_s if departed_s is None else departed_s
            continue
        k = index.get(ev.stop_id or "")
        if k is None:
            continue
        stop = stops[k]
        last_at[k] = ev.at_s
        if ev.type == "arrived":
            if stop.arrived_s is None:
                stop.arrived_s = ev.at_s
            current = k
        elif ev.type in ("delivered", "failed"):
            if stop.arrived_s is None:  # the dispatcher's word implies the arrival then
                stop.arrived_s = ev.at_s
                current = k
            targets = [ev.order_id] if ev.order_id else [o for o, v in stop.order_status.items() if v == "planned"]
            for o in targets:
                if stop.order_status.get(o) == "planned":
                    stop.order_status[o] = ev.type
                    if ev.type == "failed" and ev.reason:
                        stop.failed_reason[o] = ev.reason
            if stop.done:
                stop.done_s = ev.at_s if stop.done_s is None else max(stop.done_s, ev.at_s)
    visits = [visit_of(st) for st in route["stops"]]
    if departed_s is not None:
        for k, stop in enumerate(stops):
            if stop.arrived_s is not None:
                stop.live_start_s = stop.arrived_s if stop.done else visits[k].service_start(stop.arrived_s)
        if current is None:
            ready = departed_s
            remaining = [k for k, s in enumerate(stops) if s.arrived_s is None]
        else:
            here = stops[current]
            ready = ready_at(visits[current], here.arrived_s, here.done_s if here.done else None, last_at.get(current))
            ahead = [k for k, s in enumerate(stops) if s.arrived_s is None]
            remaining = [k for k in ahead if k > current] + [k for k in ahead if k < current]
        for live in retime(visits, int(route["start_s"]), ready_s=ready, remaining=remaining):
            stops[live.index].live_start_s = live.start_s
    for k, stop in enumerate(stops):
        done = [v for v in stop.order_status.values() if v != "planned"]
        if not done:
            stop.status = "arrived" if stop.arrived_s is not None else "planned"
        elif len(done) == len(stop.order_status) and len(set(done)) == 1:
            stop.status = done[0]
        else:
            stop.status = "partly"
        stop.at_risk = not stop.done and visits[k].late(stop.live_start_s)
    depot = facts.depots.get(route.get("depot_id"), {})
    last_departure = stops[-1].planned_departure_s if stops else int(route["start_s"])
    return VehicleState(
        vehicle_id=vehicle_id, departed_s=departed_s, stops=stops, out_of_service_from_s=out_of_service_from_s,
        depot_lat=float(depot.get("lat", 0.0)), depot_lon=float(depot.get("lon", 0.0)),
        return_leg_s=max(0, int(route["end_s"]) - last_departure),
        planned_start_s=int(route["start_s"]), planned_end_s=int(route["end_s"]),
    )


def event_of_row(r: DeliveryEventRow) -> DeliveryEvent:
    return DeliveryEvent(id=r.id, date=r.date, vehicle_id=r.vehicle_id, type=r.type, at_s=r.at_s, stop_id=r.stop_id,
                         order_id=r.order_id, reason=r.reason, recipient=r.recipient, source=r.source,
                         reported_by=r.reported_by)


def stored_events(s: Session, scenario: str, date: str, vehicle_id: str | None = None) -> list[DeliveryEvent]:
    """The events of ``date`` (of one vehicle if given), in the order they were recorded.

    Whatever plan version they were recorded against: a re-plan during the day (a van out of
    service) keeps the stop ids, and the vans on the road keep their story.
    """
    q = select(DeliveryEventRow).where(DeliveryEventRow.scenario == scenario, DeliveryEventRow.date == date)
    if vehicle_id is not None:
        q = q.where(DeliveryEventRow.vehicle_id == vehicle_id)
    rows = s.scalars(q.order_by(DeliveryEventRow.received_at, DeliveryEventRow.at_s)).all()
    return [event_of_row(r) for r in rows]


def in_time_order(events: Iterable[DeliveryEvent]) -> list[DeliveryEvent]:
    """Events by when they happened (stable: recording order among equal times)."""
    return sorted(events, key=lambda e: e.at_s)


def outages(s: Session, scenario: str, date: str) -> dict[str, int]:
    rows = s.scalars(select(VehicleOutage).where(VehicleOutage.scenario == scenario, VehicleOutage.date == date)).all()
    return {r.vehicle_id: r.from_s for r in rows}


def eta_windows(s: Session, booking_ids: Iterable[str]) -> dict[str, TimeWindow]:
    ids = list(booking_ids)
    if not ids:
        return {}
    rows = s.execute(select(Booking.id, Booking.eta_start_s, Booking.eta_end_s).where(Booking.id.in_(ids))).all()
    return {i: TimeWindow(a, b) for i, a, b in rows if a is not None and b is not None}


def latest_publication_in(s: Session, scenario: str, date: str, *, lock: bool = False) -> Publication | None:
    """The date's latest publication in session ``s``.

    ``lock``: first take the date's write lock, a no-op update of its publication rows, so
    the rest of the transaction reads what no other event of the date can change until it
    commits. An update rather than ``SELECT ... FOR UPDATE`` because SQLite has no row locks
    and starts its write transaction only at the first write.
    """
    where = (Publication.scenario == scenario, Publication.date == date)
    if lock:
        s.execute(update(Publication).where(*where).values(eta_width_s=Publication.eta_width_s)
                  .execution_options(synchronize_session=False))
    q = select(Publication).where(*where).order_by(Publication.id.desc()).limit(1)
    return s.scalars(q).first()


def driven_day(db: Database, scenario_name: str, date: str) -> DrivenDay | None:
    """The date's latest published plan as driven so far; ``None`` when nothing is published.

    Every event of the date counts, whichever plan version it was recorded against (a re-plan
    keeps the stop ids); an event for a stop no longer on that van's route is listed in
    ``events`` but moves nothing.
    """
    with db.session() as s:
        pub = latest_publication_in(s, scenario_name, date)
        if pub is None:
            return None
        facts = load_plan_facts(s, pub.plan_id)
        events = stored_events(s, scenario_name, date)
        out = outages(s, scenario_name, date)
        etas = eta_windows(s, facts.booking_of.values())
        publication_id, plan_id = pub.id, pub.plan_id
    vehicles = {
        v: vehicle_state(facts, v, in_time_order(e for e in events if e.vehicle_id == v),
                         out_of_service_from_s=out.get(v), eta_windows=etas)
        for v in facts.routes
    }
    return DrivenDay(date=date, plan_id=plan_id, publication_id=publication_id, vehicles=vehicles, events=events)


def local_seconds(t: dt.datetime, date: dt.date, tz) -> int:
    """Seconds since local midnight of ``date`` for an aware time ``t`` (over 86 400 after midnight)."""
    local = t.astimezone(tz)
    midnight = dt.datetime.combine(date, dt.time(0), tzinfo=tz)
    return int((local - midnight).total_seconds())
