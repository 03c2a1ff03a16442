"""A customer's word on a delivery, relayed by the shop: a rating, what went wrong, a comment.

Once per booking, and only once the delivery happened or failed (``delivery_status``). The
stored row joins the route and the driver: the plan version, the vehicle and the stop that
served the booking, so the scorecard can read ratings per van, per route and per stop.
A refused request stores nothing (:class:`~scheduling.booking_setup.BookingError` naming
the field).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scheduling import capacity_store as cs
from scheduling.booking_setup import BookingError
from scheduling.storage import Database
from scheduling.storage.models import Booking, DeliveryEventRow, Feedback, SavedPlan

CATEGORIES = ("late", "early", "damaged", "courier_conduct", "wrong_place", "other")
COMMENT_MAX = 500
RATINGS = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class FeedbackIn:
    """What the shop relays: ``rating`` 1-5, ``categories`` from :data:`CATEGORIES`, ``comment`` up to 500 characters."""

    rating: int
    categories: tuple[str, ...] = ()
    comment: str | None = None


def check(f: FeedbackIn) -> None:
    """Refuse a rating, category or comment out of range (422 naming the field)."""
    if isinstance(f.rating, bool) or f.rating not in RATINGS:
        raise BookingError(422, "rating", "out_of_range", f"rating {f.rating!r} is not a rating; give a whole number from 1 to 5")
    for c in f.categories:
        if c not in CATEGORIES:
            raise BookingError(422, "categories", "unknown_category",
                               f"'{c}' is not a feedback category; use {', '.join(CATEGORIES)}")
    if len(set(f.categories)) != len(f.categories):
        raise BookingError(422, "categories", "repeated", "a category is given twice; name each once")
    if f.comment is not None and len(f.comment) > COMMENT_MAX:
        raise BookingError(422, "comment", "too_long", f"the comment is {len(f.comment)} characters; keep it to {COMMENT_MAX}")


def feedback_dict(row: Feedback) -> dict:
    """The public view of stored feedback (the API's ``Feedback`` schema)."""
    return {
        "booking_id": row.booking_id,
        "rating": row.rating,
        "categories": json.loads(row.categories_json),
        "comment": row.comment,
        "created_at": row.created_at.replace(microsecond=0).isoformat() + "Z",
    }


def _stop_of(s: Session, b: Booking) -> str | None:
    """The stop that served the booking: from its outcome event, else from the plan version it was on."""
    sid = s.scalars(select(DeliveryEventRow.stop_id).where(DeliveryEventRow.booking_id == b.id,
                                                           DeliveryEventRow.type.in_(("delivered", "failed")))).first()
    if sid is not None or b.planned_plan_id is None:
        return sid
    row = s.get(SavedPlan, b.planned_plan_id)
    if row is None:
        return None
    data = json.loads(row.plan_json)
    orders = {o["id"] for o in data.get("orders", []) if o.get("booking_id") == b.id}
    for r in data["plan"]["routes"]:
        for st in r["stops"]:
            if orders & set(st["order_ids"]):
                return st["stop_id"]
    return None


def record_feedback(db: Database, shop_id: int, booking_id: str, f: FeedbackIn, *, now: dt.datetime | None = None) -> dict:
    """Store the feedback of ``shop_id``'s booking; returns :func:`feedback_dict`.

    Raises :class:`BookingError`: 422 for the fields (:func:`check`), 404 for another shop's or
    an unknown booking, 409 naming ``booking_id`` before the delivery happened or failed, or
    when the booking already has feedback.
    """
    check(f)
    at = now or dt.datetime.now(dt.timezone.utc)
    at = at.astimezone(dt.timezone.utc).replace(tzinfo=None) if at.tzinfo else at

    def work(s: Session) -> dict:
        b = s.scalars(select(Booking).where(Booking.id == booking_id, Booking.shop_id == shop_id)).first()
        if b is None:
            raise BookingError(404, "booking_id", "not_found", f"no booking {booking_id} for this shop")
        if b.delivery_status not in ("delivered", "failed"):
            raise BookingError(409, "booking_id", "not_delivered",
                               f"booking {booking_id} is not delivered yet: feedback is taken once it was delivered or failed")
        if s.get(Feedback, booking_id) is not None:
            raise BookingError(409, "booking_id", "already_recorded",
                               f"booking {booking_id} already has feedback; it is taken once per booking")
        row = Feedback(booking_id=b.id, shop_id=shop_id, date=b.date, rating=int(f.rating),
                       categories_json=json.dumps(list(f.categories)), comment=f.comment, plan_id=b.planned_plan_id,
                       vehicle_id=b.planned_vehicle_id, stop_id=_stop_of(s, b), created_at=at)
        s.add(row)
        s.flush()
        return feedback_dict(row)

    try:
        return cs.run_transaction(db, work)
    except IntegrityError:  # a concurrent second feedback for the same booking won
        raise BookingError(409, "booking_id", "already_recorded",
                           f"booking {booking_id} already has feedback; it is taken once per booking") from None
