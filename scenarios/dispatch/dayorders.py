"""The orders of a dispatcher's day: the shops' confirmed bookings plus an imported order file.

A shop with an API integration books through ``/api/v1``; a shop without one sends a file.
For a date, :func:`day_orders` merges both without duplicates: a file row with the same shop
and order reference as a confirmed booking is dropped (the booking wins) and reported. Every
order says where it came from (``Order.source``: ``api``, ``file`` or ``generated``), and a
booking's id and order reference travel with its order. Held, cancelled and expired bookings
are not orders.

Units: an order's window is seconds since midnight of the date, its service time seconds.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Sequence

from sqlalchemy import select

from optimizer.domain import Order, TimeWindow, parse_hhmm
from scheduling.storage import Database
from scheduling.storage.models import Booking, Shop
from scenarios.scenario import Scenario


@dataclass(frozen=True)
class DayOrders:
    """A day's orders with where each came from, and the file rows the merge dropped."""

    orders: list[Order]
    dropped: list[str] = field(default_factory=list)  # one line per file row a booking replaced

    def count(self, source: str) -> int:
        return sum(1 for o in self.orders if o.source == source)

    def describe(self) -> str:
        """Where the orders came from, as the page and the CLI say it: ``"imported file"``,
        ``"generated orders"``, or ``"38 booked through the API, 12 from an imported file"``."""
        counts = {source: self.count(source) for source in ("api", "file", "generated")}
        if counts["file"] == len(self.orders) and self.orders:
            return "imported file"
        if counts["generated"] == len(self.orders):
            return "generated orders"
        labels = {"api": "booked through the API", "file": "from an imported file", "generated": "generated"}
        return ", ".join(f"{n} {labels[k]}" for k, n in counts.items() if n)


def slot_window(slot_id: str) -> TimeWindow:
    """The window of a booked slot id such as ``home:08:00-10:00`` (seconds since midnight)."""
    start, end = slot_id.split(":", 1)[1].split("-")
    return TimeWindow(parse_hhmm(start), parse_hhmm(end))


def booked_orders(db: Database, scenario: Scenario, date: str) -> list[Order]:
    """The date's confirmed bookings of every shop as orders, in booking order.

    A pickup-point order stops at the point's coordinates (as :class:`Order` expects); a
    booking whose pickup point is no longer in the scenario keeps the customer's address.
    """
    points = scenario.pickup_refs()
    service = scenario.service_times()
    with db.session() as s:
        rows = s.execute(
            select(Booking, Shop.name)
            .join(Shop, Shop.id == Booking.shop_id)
            .where(Booking.date == date, Booking.status == "confirmed")
            .order_by(Booking.created_at, Booking.id)
        ).all()
    orders = []
    for b, shop in rows:
        point = points.get(b.pickup_point_id) if b.pickup_point_id else None
        lat, lon = (point.lat, point.lon) if point is not None else (b.lat, b.lon)
        orders.append(
            Order(
                id=b.id,
                lat=lat,
                lon=lon,
                window=slot_window(b.slot),
                parcels=b.parcels,
                # Handling at a pickup point is timed per stop, not per order (see consolidate_stops).
                service_s=0 if point is not None else service.for_order(b.parcels, bool(b.bulky)),
                address=b.address or (point.name if point is not None else ""),
                customer_id=b.customer_id,
                tier=b.tier,
                pickup_point_id=b.pickup_point_id if point is not None else None,
                zone=b.zone,
                bulky=bool(b.bulky),
                source="api",
                booking_id=b.id,
                shop=shop,
                order_ref=b.order_ref or "",
                instructions=b.instructions or "",
            )
        )
    return orders


def merge(booked: Sequence[Order], imported: Sequence[Order], *, source: str = "order file") -> DayOrders:
    """Bookings first, then the file's orders that are not already booked.

    A file row matches a booking when both name the same shop and order reference (case as
    written); it is dropped and reported. A file order id equal to a booking id is renamed
    ``<id>-file`` so that no two orders share an id.
    """
    by_ref = {(o.shop, o.order_ref): o for o in booked if o.order_ref}
    ids = {o.id for o in booked}
    kept, dropped = list(booked), []
    for line, o in enumerate(imported, start=2):
        twin = by_ref.get((o.shop, o.order_ref)) if o.order_ref and o.shop else None
        if twin is not None:
            dropped.append(
                f"{source}, line {line}: order {o.id} (shop {o.shop}, order_ref {o.order_ref}) is booked through the API "
                f"as booking {twin.booking_id}; the booking is planned and this row is left out"
            )
            continue
        if o.id in ids:
            o = dataclasses.replace(o, id=f"{o.id}-file")
        ids.add(o.id)
        kept.append(o if o.source == "file" else dataclasses.replace(o, source="file"))
    return DayOrders(kept, dropped)


def has_bookings(db: Database, date: str) -> bool:
    """Whether any shop has a confirmed booking for ``date`` (then the day is the booked day)."""
    with db.session() as s:
        return s.scalar(select(Booking.id).where(Booking.date == date, Booking.status == "confirmed").limit(1)) is not None


def bookings_digest(db: Database, date: str) -> str:
    """A fingerprint of the date's confirmed bookings (ids, slots, last change).

    A plan remembers the digest it was made from; publishing compares it with the current one
    so a plan older than the latest booking change is never published. Publication itself does
    not change it (it leaves ``updated_at`` alone).
    """
    with db.session() as s:
        return session_digest(s, date)


def session_digest(session, date: str) -> str:
    """:func:`bookings_digest` read inside an open session (its transaction)."""
    return confirmed_state(session, date)[0]


def confirmed_state(session, date: str) -> tuple[str, int]:
    """The digest of ``date``'s confirmed bookings and how many there are, in one read."""
    import hashlib

    rows = session.execute(
        select(Booking.id, Booking.slot, Booking.updated_at)
        .where(Booking.date == date, Booking.status == "confirmed")
        .order_by(Booking.id)
    ).all()
    text = "\n".join(f"{i} {slot} {t.isoformat() if t else ''}" for i, slot, t in rows)
    return hashlib.sha256(text.encode()).hexdigest(), len(rows)
