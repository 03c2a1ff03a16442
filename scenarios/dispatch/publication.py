"""Publishing a plan: each booking gets its planned arrival and an ETA window, each shop an event.

Publication is one database transaction: every booked order of the plan gets its planned
arrival (the service start), an ETA window inside its booked slot and the plan version; its
shop gets a ``booking.planned`` event (first publication), ``booking.eta_changed`` (a later
publication that moves the window), ``booking.handed_to_carrier`` (an overflow carrier delivers
it: its id and kind) or ``booking.unserved`` (the plan leaves it out, with the
reason), written to the outbox in the same transaction. A refusal writes nothing: nothing is
ever half-published.

Refused (:class:`PublishError`, with what to do): no plan; a plan older than the latest
booking change (bookings confirmed, moved or cancelled since it was made); a date whose
booking cut-off has not passed, without ``force``; a plan with stops after their slot,
without ``force``.

Units: times are seconds since midnight of the plan date; the ETA width is seconds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select, update

from optimizer.domain import TimeWindow, hhmm
from scheduling.bookings import planned_eta
from scheduling.outbox import enqueue
from scheduling.storage import Database
from scheduling.storage.models import Booking, Publication, Shop
from scenarios.dispatch.dayorders import confirmed_state


class PublishError(ValueError):
    """A publication that was refused; the message says why and what to do."""


def eta_window(arrival_s: int, slot: TimeWindow, width_s: int) -> TimeWindow:
    """An ETA window of ``width_s`` seconds (at most the slot's length) inside ``slot``, centred
    on ``arrival_s`` where the slot allows; it contains the arrival whenever the slot does."""
    width = max(0, min(int(width_s), slot.end - slot.start))
    start = max(slot.start, min(int(arrival_s) - width // 2, slot.end - width))
    return TimeWindow(start, start + width)


@dataclass
class ShopReport:
    """What one shop heard from a publication."""

    shop: str
    planned: int = 0  # bookings on a route
    eta_sent: int = 0  # booking.planned or booking.eta_changed events written
    unserved: list[tuple[str, str]] = field(default_factory=list)  # (booking id, reason)


@dataclass
class PublishedDay:
    publication_id: int
    plan_id: int
    date: str
    planned: int
    unserved: int
    events: int
    shops: dict[str, ShopReport]
    to_carriers: int = 0  # bookings handed to a carrier (booking.handed_to_carrier)


def _naive(t: dt.datetime) -> dt.datetime:
    return t.astimezone(dt.timezone.utc).replace(tzinfo=None) if t.tzinfo else t


def publish(
    db: Database,
    plan,
    *,
    scenario: str,
    user: str,
    now: dt.datetime,
    cutoff: dt.datetime,
    eta_width_s: int,
    force: bool = False,
    changed_event: str = "booking.eta_changed",
    unserved_event: str = "booking.unserved",
) -> PublishedDay:
    """Publish ``plan`` (a :class:`~scenarios.dispatch.workbench.StoredPlan`) for its date.

    ``cutoff`` is when booking for the date closed (or closes); ``now`` the current time (both
    aware or both naive UTC). Raises :class:`PublishError` and writes nothing when refused.
    ``changed_event``/``unserved_event`` name the shop event of a moved ETA and of a booking the
    plan leaves out: a re-plan during the day (``scenarios.execution.disruption``) sends
    ``booking.replanned`` and ``booking.at_risk``.
    """
    if plan is None:
        raise PublishError("there is no plan to publish; plan the day first (lastmile plan --date D --bookings)")
    date = plan.date
    if not force and now < cutoff:
        raise PublishError(
            f"booking for {date} is open until {cutoff:%Y-%m-%d %H:%M %Z}: shops may still change bookings. "
            "Publish after the cut-off, or pass --force (the Publish now button) to publish early"
        )
    made_from = plan.data.get("bookings_digest")
    orders = {o.id: o for o in plan.orders()}
    placed: dict[str, tuple[str, int]] = {}  # booking id -> (vehicle id, service start)
    late = []
    for r in plan.plan["routes"]:
        for stop in r["stops"]:
            for oid in stop["order_ids"]:
                o = orders.get(oid)
                if o is None or o.booking_id is None:
                    continue
                placed[o.booking_id] = (r["vehicle_id"], int(stop["start_s"]))
                if not o.window.contains(stop["start_s"]):
                    late.append(f"{o.booking_id} (slot {o.window}, planned {hhmm(stop['start_s'])})")
    if late and not force:
        raise PublishError(
            f"plan #{plan.id} serves {len(late)} booking(s) outside their slot: {', '.join(late[:5])}; "
            "re-optimize or move those stops, or pass --force to publish the late ETAs"
        )
    left_out = {orders[u["order_id"]].booking_id: u for u in plan.plan["unserved"]
                if u["order_id"] in orders and orders[u["order_id"]].booking_id}
    # Orders handed to a carrier: no van, no ETA of ours; the shop hears which carrier delivers.
    carried = {orders[c["order_id"]].booking_id: {"reason": "carrier", "detail": f"delivered by {c['carrier_id']} ({c['kind']})",
                                                  "carrier_id": c["carrier_id"], "carrier_kind": c["kind"]}
               for c in plan.plan.get("carrier_orders") or ()
               if c["order_id"] in orders and orders[c["order_id"]].booking_id}
    unserved = left_out | carried
    at = _naive(now)
    with db.session() as s:
        digest, booked_now = confirmed_state(s, date)
        if (made_from or booked_now) and made_from != digest:
            raise PublishError(
                f"plan #{plan.id} is older than the latest booking change of {date} ({booked_now} confirmed "
                "bookings now): plan the day again from the bookings, then publish the new plan"
            )
        shop_names = dict(s.execute(select(Shop.id, Shop.name)).all())
        rows = s.scalars(select(Booking).where(Booking.id.in_(list(placed) + list(unserved)))).all()
        by_id = {b.id: b for b in rows}
        reports: dict[str, ShopReport] = {}
        events = 0
        for booking_id in list(placed) + list(unserved):
            b = by_id.get(booking_id)
            if b is None or b.status != "confirmed":
                raise PublishError(f"booking {booking_id} changed while publishing; plan the day again, then publish")
            report = reports.setdefault(shop_names[b.shop_id], ShopReport(shop_names[b.shop_id]))
            before = (b.eta_start_s, b.eta_end_s)
            reported_unserved = b.planned_at is not None and b.eta_start_s is None
            if booking_id in placed:
                vehicle_id, start_s = placed[booking_id]
                window = eta_window(start_s, orders[booking_id].window if booking_id in orders else _slot(b), eta_width_s)
                values = dict(planned_plan_id=plan.id, planned_vehicle_id=vehicle_id, planned_arrival_s=start_s,
                              eta_start_s=window.start, eta_end_s=window.end, planned_at=at)
                report.planned += 1
            else:
                values = dict(planned_plan_id=plan.id, planned_vehicle_id=None, planned_arrival_s=None,
                              eta_start_s=None, eta_end_s=None, planned_at=at)
                u = unserved[booking_id]
                report.unserved.append((booking_id, u["reason"]))
            # Guarded on the row as read: a booking changed meanwhile aborts the whole publication.
            done = s.execute(
                update(Booking)
                .where(Booking.id == b.id, Booking.status == "confirmed", Booking.updated_at == b.updated_at)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if done.rowcount != 1:
                raise PublishError(f"booking {booking_id} changed while publishing; plan the day again, then publish")
            for k, v in values.items():
                setattr(b, k, v)
            payload = {"booking_id": b.id, "order_ref": b.order_ref, "date": b.date, "slot": b.slot,
                       "planned_eta": planned_eta(b)}
            if booking_id in placed:
                if before[0] is None:
                    kind = "booking.planned"
                elif before != (b.eta_start_s, b.eta_end_s):
                    kind = changed_event
                else:
                    kind = None
                if kind:
                    enqueue(s, b.shop_id, b.id, kind, payload)
                    report.eta_sent += 1
                    events += 1
            elif not reported_unserved:  # first word of it, or its ETA is withdrawn
                u = unserved[booking_id]
                if "carrier_id" in u:
                    enqueue(s, b.shop_id, b.id, "booking.handed_to_carrier",
                            payload | {"carrier_id": u["carrier_id"], "carrier_kind": u["carrier_kind"]})
                else:
                    enqueue(s, b.shop_id, b.id, unserved_event, payload | {"reason": u["reason"], "detail": u["detail"]})
                events += 1
        pub = Publication(scenario=scenario, date=date, plan_id=plan.id, published_by=user, published_at=at,
                          eta_width_s=int(eta_width_s), bookings_planned=len(placed), bookings_unserved=len(left_out),
                          forced=bool(force and (late or now < cutoff)))
        s.add(pub)
        s.flush()
        return PublishedDay(pub.id, plan.id, date, len(placed), len(left_out), events, reports, len(carried))


def _slot(b: Booking) -> TimeWindow:
    from scenarios.dispatch.dayorders import slot_window

    return slot_window(b.slot)


def latest_publication(db: Database, scenario: str, date: str) -> Publication | None:
    """The date's latest publication (the plan drivers follow), or None."""
    with db.session() as s:
        return s.scalars(
            select(Publication).where(Publication.scenario == scenario, Publication.date == date)
            .order_by(Publication.id.desc()).limit(1)
        ).first()
