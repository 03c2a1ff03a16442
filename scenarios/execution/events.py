"""Recording what happened on the road: one event at a time, checked against the published plan.

:func:`record_event` validates an event against the date's latest publication and its plan,
stores it, updates the booking's outcome (``delivery_status``, ``delivered_at_s``,
``failed_reason``), re-times the van's remaining stops (``live_eta_s``, ``at_risk``) and
writes the shops' events (``booking.delivered``, ``booking.failed``, ``booking.delay_risk``),
all in one transaction. A refused event (:class:`EventRefused`) stores nothing.

Refused: an unknown type or source; a date with nothing published (409); a vehicle not in
the plan; a stop not on that vehicle's route (the message names the van that has it); an
order not at that stop; ``failed`` without a reason of :data:`FAILURE_REASONS`, a ``reason``
on another type, a ``recipient`` on a type other than ``delivered`` or longer than 80
characters; a vehicle out of service at that time (409); and out of order (409):
``arrived``/``delivered``/``failed`` before the van ``departed``, ``delivered``/``failed``
before ``arrived`` at that stop (the dispatcher may skip ``arrived``: it is implied),
a second outcome for an order (``already_recorded``), a time earlier than the vehicle's last
event (``out_of_order``). The same id sent again with the same content is a harmless
duplicate; with other content it is refused (``id_reused``).

Units: ``at_s`` is seconds since midnight of ``date``, local time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from optimizer.domain import hhmm
from scheduling import capacity_store as cs
from scheduling.bookings import planned_eta
from scheduling.outbox import enqueue
from scheduling.refusal import Refusal
from scheduling.storage import Database
from scheduling.storage.models import Booking, DeliveryEventRow

EVENT_KINDS = ("departed", "arrived", "delivered", "failed", "picked_up")
FAILURE_REASONS = ("not_home", "refused", "address_problem", "damaged", "no_access", "other")
SOURCES = ("driver", "dispatcher", "simulation")
RECIPIENT_MAX = 80
ID_MAX = 64
LATEST_AT_S = 27 * 3600  # until 03:00 the next morning, when a driver's token ends
REBOOK_OFFER = "/api/v1/bookings/{id}/rebook-offer"
# The fields that make two events with the same id the same event.
_CONTENT = ("date", "vehicle_id", "type", "at_s", "stop_id", "order_id", "reason", "recipient")


@dataclass(frozen=True)
class DeliveryEvent:
    """One thing that happened on the road (see the module docstring for what is refused)."""

    id: str  # the sender's event id (UUID); a resend with the same id is ignored
    date: str  # plan date YYYY-MM-DD
    vehicle_id: str
    type: str  # one of EVENT_KINDS
    at_s: int  # when it happened, seconds since midnight of date (local)
    stop_id: str | None = None  # None only for "departed"
    order_id: str | None = None  # delivered/failed: one order of a shared stop; None = every open order of the stop
    reason: str | None = None  # "failed" only: one of FAILURE_REASONS
    recipient: str | None = None  # "delivered" only: a name or locker code, <= 80 chars
    source: str = "driver"  # driver | dispatcher | simulation
    reported_by: str = ""


class EventRefused(Refusal, ValueError):
    """An event that was not recorded: HTTP-ready ``status``, the ``field`` at fault, a
    machine-readable ``reason`` and a ``message`` saying what to do. Nothing was stored."""


@dataclass
class Recorded:
    """A recorded event (or a harmless resend, ``duplicate``)."""

    event: DeliveryEvent
    duplicate: bool  # same id seen before: nothing changed
    newly_at_risk: list[str] = field(default_factory=list)  # bookings whose live ETA left their slot in this step
    shop_events: int = 0  # outbox events written


# --------------------------------------------------------------------------- checks without the database


def check_shape(e: DeliveryEvent) -> None:
    """Refuse what is wrong with the event on its own (types, lengths, fields that do not belong)."""
    if not isinstance(e.id, str) or not 1 <= len(e.id) <= ID_MAX or not e.id.isprintable():
        raise EventRefused(422, "id", "invalid", f"id must be 1 to {ID_MAX} printable characters (a UUID made by the sender)")
    try:
        dt.date.fromisoformat(e.date)
    except (TypeError, ValueError):
        raise EventRefused(422, "date", "invalid", f"date '{e.date}' is not a date; write it as YYYY-MM-DD") from None
    if e.type not in EVENT_KINDS:
        raise EventRefused(422, "type", "unknown_type", f"type '{e.type}' is not an event type; use one of {', '.join(EVENT_KINDS)}")
    if e.source not in SOURCES:
        raise EventRefused(422, "source", "invalid", f"source '{e.source}' is not known; use one of {', '.join(SOURCES)}")
    if isinstance(e.at_s, bool) or not isinstance(e.at_s, int) or not 0 <= e.at_s <= LATEST_AT_S:
        raise EventRefused(422, "at_s", "invalid",
                           f"at_s must be whole seconds since midnight of {e.date}, 0 to {LATEST_AT_S} (03:00 the next day)")
    if e.type == "departed":
        if e.stop_id is not None:
            raise EventRefused(422, "stop_id", "not_allowed", "a departed event is for the van leaving the depot; send it without stop_id")
    elif not e.stop_id:
        raise EventRefused(422, "stop_id", "required", f"a {e.type} event needs the stop_id of the stop it happened at")
    if e.order_id is not None and e.type not in ("delivered", "failed"):
        raise EventRefused(422, "order_id", "not_allowed", f"order_id belongs to delivered and failed events only; remove it from this {e.type} event")
    if e.type == "failed":
        if e.reason not in FAILURE_REASONS:
            what = "needs a reason" if not e.reason else f"has reason '{e.reason}', which is not known"
            raise EventRefused(422, "reason", "required" if not e.reason else "invalid",
                               f"a failed delivery {what}; use one of {', '.join(FAILURE_REASONS)}")
    elif e.reason is not None:
        raise EventRefused(422, "reason", "not_allowed", f"reason belongs to failed events only; remove it from this {e.type} event")
    if e.recipient is not None:
        if e.type != "delivered":
            raise EventRefused(422, "recipient", "not_allowed", f"recipient belongs to delivered events only; remove it from this {e.type} event")
        if len(e.recipient) > RECIPIENT_MAX:
            raise EventRefused(422, "recipient", "too_long",
                               f"recipient is {len(e.recipient)} characters; write at most {RECIPIENT_MAX} (a name or a locker code)")


def _same(row: DeliveryEventRow, e: DeliveryEvent) -> bool:
    return all(getattr(row, f) == getattr(e, f) for f in _CONTENT)


# --------------------------------------------------------------------------- recording


def record_event(db: Database, scenario_name: str, event: DeliveryEvent, *, now: dt.datetime | None = None) -> Recorded:
    """Record ``event`` for the date's latest published plan (see the module docstring).

    ``now`` (aware or naive UTC) stamps the row's ``received_at`` and the shops' events;
    default the system clock. Raises :class:`EventRefused` and stores nothing when refused.
    """
    check_shape(event)
    received = (now or dt.datetime.now(dt.timezone.utc))
    received = received.astimezone(dt.timezone.utc).replace(tzinfo=None) if received.tzinfo else received
    for attempt in range(3):
        try:
            return cs.run_transaction(db, lambda s: _record(s, scenario_name, event, received))
        except IntegrityError:  # the same id recorded meanwhile by a concurrent resend
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _record(s: Session, scenario: str, e: DeliveryEvent, received: dt.datetime) -> Recorded:
    from scenarios.execution import day as days

    # The date's publication row is the lock that serializes its events (PostgreSQL; SQLite
    # has one writer): taken before the duplicate check, so a concurrent resend sees the first.
    pub = days.latest_publication_in(s, scenario, e.date, lock=True)
    seen = s.get(DeliveryEventRow, e.id)
    if seen is not None:
        if seen.scenario == scenario and _same(seen, e):
            return Recorded(event=days.event_of_row(seen), duplicate=True)
        raise EventRefused(409, "id", "id_reused",
                           f"event id {e.id} was already used for another event ({seen.type} of {seen.vehicle_id} at "
                           f"{hhmm(seen.at_s)}); give every event a new id")
    if pub is None:
        raise EventRefused(409, "date", "not_published",
                           f"nothing is published for {e.date}: events are recorded against the published plan; publish the day first")
    facts = days.load_plan_facts(s, pub.plan_id)
    outage = days.outages(s, scenario, e.date).get(e.vehicle_id)
    if outage is not None and e.at_s >= outage:
        raise EventRefused(409, "vehicle_id", "out_of_service",
                           f"{e.vehicle_id} is out of service since {hhmm(outage)}; its stops are being re-planned")
    if e.vehicle_id not in facts.routes:
        have = ", ".join(sorted(facts.routes)) or "none"
        raise EventRefused(422, "vehicle_id", "not_in_plan",
                           f"vehicle {e.vehicle_id} has no route in the published plan of {e.date} (vans with routes: {have})")
    route = facts.routes[e.vehicle_id]
    stop = None
    if e.stop_id is not None:
        stop = next((st for st in route["stops"] if st["stop_id"] == e.stop_id), None)
        if stop is None:
            owner = facts.vehicle_of_stop(e.stop_id)
            where = f"it is on the route of {owner}" if owner else f"no van of the published plan of {e.date} has it"
            raise EventRefused(422, "stop_id", "not_on_route",
                               f"stop {e.stop_id} is not on the route of {e.vehicle_id}: {where}")
        if e.order_id is not None and e.order_id not in stop["order_ids"]:
            raise EventRefused(422, "order_id", "not_at_stop",
                               f"order {e.order_id} is not delivered at stop {e.stop_id} (its orders: {', '.join(stop['order_ids'])})")
    before = days.stored_events(s, scenario, e.date, e.vehicle_id)
    _check_order(facts, e, before)
    etas = days.eta_windows(s, [facts.booking_of[o] for st in route["stops"] for o in st["order_ids"] if o in facts.booking_of])
    ordered = days.in_time_order(before)
    was = days.vehicle_state(facts, e.vehicle_id, ordered, out_of_service_from_s=outage, eta_windows=etas)
    targets: list[str] = []
    if e.type in ("delivered", "failed"):
        st = was.stop(e.stop_id)
        targets = [e.order_id] if e.order_id else [o for o, v in st.order_status.items() if v == "planned"]
    single = [facts.booking_of[o] for o in targets if o in facts.booking_of]
    s.add(DeliveryEventRow(
        id=e.id, scenario=scenario, date=e.date, plan_id=pub.plan_id, vehicle_id=e.vehicle_id, stop_id=e.stop_id,
        order_id=e.order_id, booking_id=single[0] if len(targets) == 1 and single else None, type=e.type,
        reason=e.reason, recipient=e.recipient, at_s=e.at_s, source=e.source, reported_by=e.reported_by or "",
        received_at=received,
    ))
    s.flush()  # a concurrent insert of the same id fails here, before any booking changes
    now_state = days.vehicle_state(facts, e.vehicle_id, ordered + [e], out_of_service_from_s=outage, eta_windows=etas)
    recorded = Recorded(event=e, duplicate=False)
    _apply(s, facts, now_state, e, targets, received, recorded)
    return recorded


def _check_order(facts, e: DeliveryEvent, before: list[DeliveryEvent]) -> None:
    """Refuse an event that does not fit what the van already reported (409)."""
    if before:
        last = max(before, key=lambda x: x.at_s)
        if e.at_s < last.at_s:
            raise EventRefused(409, "at_s", "out_of_order",
                               f"{e.vehicle_id} already reported {last.type} at {hhmm(last.at_s)}; an event at "
                               f"{hhmm(e.at_s)} is earlier: check the phone's clock, or send events in the order they happened")
    departed = any(x.type == "departed" for x in before)
    if e.type == "departed":
        if departed:
            raise EventRefused(409, "type", "already_recorded", f"{e.vehicle_id} has already departed on {e.date}")
        return
    if e.type == "picked_up":
        return
    if not departed:
        raise EventRefused(409, "type", "not_departed",
                           f"{e.vehicle_id} has not departed yet: send the departed event before {e.type} at stop {e.stop_id}")
    at_stop = [x for x in before if x.stop_id == e.stop_id]
    if e.type == "arrived":
        if any(x.type == "arrived" for x in at_stop):
            raise EventRefused(409, "stop_id", "already_recorded", f"{e.vehicle_id} has already arrived at stop {e.stop_id}")
        return
    arrived = any(x.type == "arrived" for x in at_stop) or any(x.type in ("delivered", "failed") for x in at_stop)
    if not arrived and e.source != "dispatcher":
        raise EventRefused(409, "stop_id", "not_arrived",
                           f"{e.vehicle_id} has not arrived at stop {e.stop_id}: send arrived before {e.type}")
    stop_orders = next(st["order_ids"] for st in facts.routes[e.vehicle_id]["stops"] if st["stop_id"] == e.stop_id)
    done = {o: x.type for x in at_stop if x.type in ("delivered", "failed")
            for o in ([x.order_id] if x.order_id else stop_orders)}
    if e.order_id is not None and e.order_id in done:
        raise EventRefused(409, "order_id", "already_recorded",
                           f"order {e.order_id} at stop {e.stop_id} is already recorded as {done[e.order_id]}; an outcome is recorded once")
    if e.order_id is None and all(o in done for o in stop_orders):
        raise EventRefused(409, "stop_id", "already_recorded",
                           f"every order of stop {e.stop_id} is already recorded ({', '.join(sorted(set(done.values())))}); "
                           "an outcome is recorded once")


def _apply(s: Session, facts, state, e: DeliveryEvent, targets: list[str], received: dt.datetime, out: Recorded) -> None:
    """Outcome columns, live ETAs and the shops' events for the van's bookings."""
    ids = [b for st in state.stops for b in st.booking_ids]
    if not ids:
        return
    rows = {b.id: b for b in s.scalars(select(Booking).where(Booking.id.in_(ids)).order_by(Booking.id).with_for_update())}
    outcome = {facts.booking_of[o] for o in targets if o in facts.booking_of}
    for st in state.stops:
        for booking_id in st.booking_ids:
            b = rows.get(booking_id)
            if b is None or b.status != "confirmed" or b.planned_plan_id != facts.plan_id:
                continue  # cancelled meanwhile, or planned by another plan version: not this van's any more
            payload = {"booking_id": b.id, "order_ref": b.order_ref, "date": b.date, "slot": b.slot}
            if booking_id in outcome:
                b.delivery_status = e.type
                b.delivered_at_s = e.at_s if e.type == "delivered" else None
                b.failed_reason = e.reason if e.type == "failed" else None
                b.live_eta_s = st.arrived_s
                b.at_risk = False
                if e.type == "delivered":
                    data = payload | {"delivered_at": hhmm(e.at_s), "recipient": e.recipient}
                else:
                    data = payload | {"failed_at": hhmm(e.at_s), "reason": e.reason,
                                      "rebook_offer": REBOOK_OFFER.format(id=b.id)}
                enqueue(s, b.shop_id, b.id, f"booking.{e.type}", data, now=received)
                out.shop_events += 1
                continue
            if b.delivery_status is not None:
                continue  # the outcome is known; its ETA no longer moves
            order = next(o for o in st.order_ids if facts.booking_of.get(o) == booking_id)
            slot = facts.order_window.get(order, st.window)
            risk = st.live_start_s > slot.end
            if risk and not b.at_risk:
                enqueue(s, b.shop_id, b.id, "booking.delay_risk",
                        payload | {"live_eta": hhmm(st.live_start_s), "planned_eta": planned_eta(b)}, now=received)
                out.newly_at_risk.append(b.id)
                out.shop_events += 1
            b.live_eta_s = st.live_start_s
            b.at_risk = risk
