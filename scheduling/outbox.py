"""The shops' event outbox: events are written in the same transaction as the change behind them.

A change that a shop must hear about (a booking planned, its ETA moved, a booking cancelled by
the operator) calls :func:`enqueue` with the session of its own transaction, so the event
exists exactly when the change does: a rolled-back change leaves no event, and a committed one
cannot lose its event to a crash. Delivery (webhooks) and polling read the table afterwards.

Event types: see :data:`EVENT_TYPES`. Times are naive UTC.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy.orm import Session

from scheduling.storage.models import OutboxEvent

EVENT_TYPES = (
    "booking.planned",
    "booking.eta_changed",
    "booking.unserved",
    "booking.handed_to_carrier",
    "booking.cancelled_by_operator",
    # The day as it is driven (scenarios.execution):
    "booking.delay_risk",
    "booking.delivered",
    "booking.failed",
    "booking.replanned",
    "booking.at_risk",
)


def enqueue(
    session: Session, shop_id: int, booking_id: str | None, type: str, data: dict[str, Any], now: dt.datetime | None = None
) -> OutboxEvent:
    """Add one event for ``shop_id`` to the outbox inside ``session``'s transaction.

    ``data`` is the event's body (JSON-serializable). ``now`` (naive or aware UTC) is when the
    event was made and first becomes due; leave it out to use the system clock, which is what
    the sender compares with: a business clock such as ``LASTMILE_NOW`` would delay delivery.
    Raises ``ValueError`` for an unknown ``type``.
    """
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type '{type}'; one of {', '.join(EVENT_TYPES)}")
    if now is None:
        now = dt.datetime.now(dt.timezone.utc)
    if now.tzinfo is not None:
        now = now.astimezone(dt.timezone.utc).replace(tzinfo=None)
    event = OutboxEvent(
        shop_id=shop_id,
        booking_id=booking_id,
        type=type,
        payload_json=json.dumps(data, sort_keys=True, separators=(",", ":")),
        created_at=now,
        attempts=0,
        next_attempt_at=now,
    )
    session.add(event)
    return event


def envelope(event: OutboxEvent) -> dict[str, Any]:
    """The event as shops receive it (webhook body and ``/events`` item)."""
    return {
        "id": event.id,
        "type": event.type,
        "booking_id": event.booking_id,
        "created_at": event.created_at.replace(microsecond=0).isoformat() + "Z",
        "data": json.loads(event.payload_json),
    }
