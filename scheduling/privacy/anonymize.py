"""Removing the personal fields of bookings while keeping what the scorecards and forecast need.

An anonymized booking keeps its id, shop, zone, date, slot, kind, parcels, tier, fee, status,
ETA window and outcome (so on-time rate, failed deliveries, cost per order and the demand
history stay the same) and loses: the customer id (replaced by a pseudonym that no table links
back to the person), the address text, the instructions, and the exact place (moved to the
centre of its zone, with the street node of that centre). With it go the feedback comments and
the recipients of its deliveries; the answers stored for idempotent retries and the payloads of
the shop's events are scrubbed of the same fields.

The saved plans and the street legs the actual scorecard needs are the day's business, done
in :mod:`scenarios.privacy` before these rows change.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from scheduling.storage.models import Booking, DeliveryEventRow, Feedback, IdempotencyRecord, OutboxEvent

# Keys of stored JSON (API answers, event payloads, plans) that carry a person's data.
PERSONAL_KEYS: frozenset[str] = frozenset({"customer_id", "address", "instructions", "recipient", "comment"})
PLACE_KEYS: tuple[str, str] = ("lat", "lon")


@dataclass(frozen=True)
class ZonePlace:
    """Where an anonymized stop is put: the zone's centre (degrees) and its street node."""

    lat: float
    lon: float
    node: int


def pseudonym() -> str:
    """A customer id that stands for nobody: random, never derived from the real one."""
    return "anon-" + secrets.token_hex(6)


def scrub(value: Any, *, customer: str, place: tuple[float, float] | None) -> Any:
    """``value`` (parsed JSON) with personal keys removed: the customer id replaced by ``customer``,
    address/instructions/recipient/comment emptied, ``lat``/``lon`` set to ``place`` when given."""
    if isinstance(value, list):
        return [scrub(v, customer=customer, place=place) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for k, v in value.items():
        if k == "customer_id" and v:
            out[k] = customer
        elif k in PERSONAL_KEYS:
            out[k] = "" if isinstance(v, str) else None
        elif k in PLACE_KEYS and place is not None and isinstance(v, (int, float)):
            out[k] = place[0] if k == "lat" else place[1]
        else:
            out[k] = scrub(v, customer=customer, place=place)
    return out


def _rewrite_json(text: str, **kw) -> str:
    return json.dumps(scrub(json.loads(text), **kw), sort_keys=True, separators=(",", ":"))


def anonymize_bookings(s: Session, booking_ids: Iterable[str], zones: Mapping[str, ZonePlace], now: dt.datetime,
                       customer: str | None = None) -> int:
    """Anonymize these bookings and what refers to them, in ``s``'s transaction; rows changed.

    ``customer``: the pseudonym for all of them (one erasure: one pseudonym, so the erased
    person's bookings still count as one customer's); ``None`` gives each booking its own.
    """
    ids = list(booking_ids)
    if not ids:
        return 0
    changed = 0
    for b in s.scalars(select(Booking).where(Booking.id.in_(ids))).all():
        name = customer or pseudonym()
        place = zones.get(b.zone)
        b.customer_id = name
        b.address = None
        b.instructions = None
        if place is not None:
            b.lat, b.lon, b.node = place.lat, place.lon, place.node
        b.personalization_consent = False
        b.anonymized_at = now
        changed += 1
        kw = dict(customer=name, place=None if place is None else (place.lat, place.lon))
        for e in s.scalars(select(OutboxEvent).where(OutboxEvent.booking_id == b.id)).all():
            e.payload_json = _rewrite_json(e.payload_json, **kw)
            changed += 1
        # Stored answers to retried requests: the booking's own answers (their body names it).
        for r in s.scalars(
            select(IdempotencyRecord).where(IdempotencyRecord.shop_id == b.shop_id, IdempotencyRecord.response_json.contains(b.id))
        ).all():
            r.response_json = _rewrite_json(r.response_json, **kw)
            changed += 1
    changed += s.execute(
        update(Feedback).where(Feedback.booking_id.in_(ids), Feedback.comment.is_not(None)).values(comment=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    changed += s.execute(
        update(DeliveryEventRow).where(DeliveryEventRow.booking_id.in_(ids), DeliveryEventRow.recipient.is_not(None)).values(recipient=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    return changed
