"""Booking again after a failed delivery: the next open days' slots and nearby pickup points.

:func:`rebook_offer` answers ``GET /api/v1/bookings/{id}/rebook-offer``: for the failed
booking's address, customer, tier and parcels, the offer of each of the next
:data:`REBOOK_DAYS` open days (a weekday the calendar opens, before its cut-off, within the
booking horizon), ranked as any offer (:meth:`~scheduling.offers.OfferBuilder.offer`).
Booking one with ``rebook_of`` links the new booking to the failed one (``rebooked_from``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduling.booking_setup import BookingError
from scheduling.storage import Database
from scheduling.storage.models import Booking

REBOOK_DAYS = 3


def failed_booking(s: Session, shop_id: int, booking_id: str, field: str = "booking_id") -> Booking:
    """The shop's failed booking, or :class:`BookingError` (404 another shop's or unknown, 409 not failed; naming ``field``)."""
    b = s.scalars(select(Booking).where(Booking.id == booking_id, Booking.shop_id == shop_id)).first()
    if b is None:
        raise BookingError(404, field, "not_found", f"no booking {booking_id} for this shop")
    if b.delivery_status != "failed":
        what = "was delivered" if b.delivery_status == "delivered" else "has not failed (no failed delivery is recorded)"
        raise BookingError(409, field, "not_failed", f"booking {booking_id} {what}: only a failed delivery is booked again")
    return b


def check_rebook_of(s: Session, shop_id: int, booking_id: str) -> None:
    """Refuse ``rebook_of`` naming a booking that did not fail, or one already booked again (live)."""
    failed_booking(s, shop_id, booking_id, field="rebook_of")
    again = s.scalars(select(Booking.id).where(Booking.rebooked_from == booking_id,
                                               Booking.status.in_(("held", "confirmed")))).first()
    if again is not None:
        raise BookingError(409, "rebook_of", "already_rebooked",
                           f"booking {booking_id} is already booked again as {again}; change that booking instead")


def open_days(setup, after: dt.date, n: int = REBOOK_DAYS) -> list[dt.date]:
    """The next ``n`` dates after ``after`` (and from today) that take bookings: open weekday, before the cut-off, within the horizon."""
    cal = setup.calendar
    now = setup.now()
    today = cal.local_today(now)
    last = today + dt.timedelta(days=cal.horizon_days)
    d = max(after + dt.timedelta(days=1), today)
    out: list[dt.date] = []
    while d <= last and len(out) < n:
        if d.weekday() not in cal.closed_weekdays and not cal.past_cutoff(d, now):
            out.append(d)
        d += dt.timedelta(days=1)
    return out


def rebook_offer(db: Database, offers, shop_id: int, booking_id: str) -> dict:
    """The rebook offer of the shop's failed booking (see the module docstring)."""
    from scheduling.offers import OfferRequest

    with db.session() as s:
        b = failed_booking(s, shop_id, booking_id)
        date, lat, lon, customer, tier, parcels = dt.date.fromisoformat(b.date), b.lat, b.lon, b.customer_id, b.tier, b.parcels
        reason, address, order_ref = b.failed_reason, b.address, b.order_ref
    days = [offers.offer(shop_id, OfferRequest(d, lat, lon, customer, tier, parcels)) for d in open_days(offers.setup, date)]
    return {
        "booking_id": booking_id,
        "order_ref": order_ref,
        "failed_reason": reason,
        "address": address,
        "book_with": {"rebook_of": booking_id, "customer_id": customer, "lat": lat, "lon": lon, "parcels": parcels},
        "days": days,
    }
