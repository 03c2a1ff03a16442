"""Everything the store holds about one customer of one shop, as one JSON document.

What a shop hands its customer who asks "what do you hold about me": the bookings (with the
address, instructions, coordinates, ETAs and outcomes), the profile kept with their consent,
their feedback and the delivery events of their orders and of the door stops they were
delivered at. Another shop's customer with the same
id is another person and is not included.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from scheduling.bookings import booking_dict
from scheduling.storage import Database
from scheduling.storage.models import Booking, CustomerProfile, DeliveryEventRow, Feedback, Shop


def _iso(t: dt.datetime | None) -> str | None:
    return None if t is None else t.replace(tzinfo=dt.timezone.utc).isoformat().replace("+00:00", "Z")


def _events(s, bookings) -> list[DeliveryEventRow]:
    """Events of the customer's orders, and of the door stops they were delivered at (an
    ``arrived`` names the stop, not the order). A pickup point's stop is everyone's: left out."""
    ids = [b.id for b in bookings]
    own = s.scalars(select(DeliveryEventRow).where(DeliveryEventRow.booking_id.in_(ids))).all()
    door = {b.id for b in bookings if b.kind != "pickup"}
    stops = {e.stop_id for e in own if e.stop_id and e.booking_id in door} | door
    at_stops = s.scalars(select(DeliveryEventRow).where(DeliveryEventRow.stop_id.in_(stops), DeliveryEventRow.booking_id.is_(None))).all()
    return sorted({e.id: e for e in [*own, *at_stops]}.values(), key=lambda e: (e.date, e.at_s, e.id))


def customer_export(db: Database, shop_id: int, customer_id: str, currency: str) -> dict | None:
    """The customer's records with this shop, or ``None`` when the store holds nothing about them."""
    with db.session() as s:
        bookings = s.scalars(
            select(Booking).where(Booking.shop_id == shop_id, Booking.customer_id == customer_id).order_by(Booking.created_at, Booking.id)
        ).all()
        profile = s.scalars(
            select(CustomerProfile).where(CustomerProfile.shop_id == shop_id, CustomerProfile.customer_id == customer_id)
        ).first()
        if not bookings and profile is None:
            return None
        ids = [b.id for b in bookings]
        feedback = s.scalars(select(Feedback).where(Feedback.booking_id.in_(ids)).order_by(Feedback.created_at)).all() if ids else []
        events = _events(s, bookings) if ids else []
        shop = s.get(Shop, shop_id)
        return {
            "customer_id": customer_id,
            "shop": shop.name if shop is not None else None,
            "exported_at": _iso(dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)),
            "personalization_consent": profile is not None and profile.consented_at is not None,
            "profile": None if profile is None else {
                "tier": profile.tier, "lat": profile.lat, "lon": profile.lon, "zone": profile.zone,
                "consented_at": _iso(profile.consented_at), "updated_at": _iso(profile.updated_at),
            },
            "bookings": [booking_dict(b, currency) for b in bookings],
            "feedback": [
                {"booking_id": f.booking_id, "date": f.date, "rating": f.rating, "categories": json.loads(f.categories_json or "[]"),
                 "comment": f.comment, "created_at": _iso(f.created_at)}
                for f in feedback
            ],
            "delivery_events": [
                {"id": e.id, "booking_id": e.booking_id, "date": e.date, "type": e.type, "at_s": e.at_s, "reason": e.reason,
                 "recipient": e.recipient, "vehicle_id": e.vehicle_id, "received_at": _iso(e.received_at)}
                for e in events
            ],
        }
