"""How long an ``Idempotency-Key`` answer is kept, and forgetting the older ones.

:class:`scheduling.bookings.BookingService` stores the answer to every request sent with an
``Idempotency-Key`` (table ``idempotency_keys``) and replays it for a retry with the same key.
It sets no age limit, so the table grew for ever. The window here is **24 hours**: a shop
retrying a request (after a timeout or a crash) does so within seconds or minutes, and the
API's holds and cut-offs make a day-old retry meaningless anyway. ``lastmile serve``'s hold
sweeper calls :func:`prune_idempotency_keys` once an hour (:func:`webui.serving.start_hold_sweeper`),
so an answer is replayed for at least 24 hours and at most about 25; after that the same key
is a new request.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete

from scheduling.storage import Database
from scheduling.storage.models import IdempotencyRecord

IDEMPOTENCY_WINDOW = dt.timedelta(hours=24)
PRUNE_EVERY = dt.timedelta(hours=1)


def _naive_utc(t: dt.datetime) -> dt.datetime:
    """The stored form of a time: naive UTC (as :mod:`scheduling.bookings` writes ``created_at``)."""
    return t.astimezone(dt.timezone.utc).replace(tzinfo=None) if t.tzinfo else t


def prune_idempotency_keys(db: Database, now: dt.datetime, window: dt.timedelta = IDEMPOTENCY_WINDOW) -> int:
    """Delete the stored answers older than ``window`` at ``now``; returns how many were deleted.

    One ``DELETE`` in its own transaction: a retry racing it either finds its answer (younger
    than the window) or not (older), never half of one.
    """
    if window <= dt.timedelta(0):
        raise ValueError(f"window must be positive, got {window}; the default is {IDEMPOTENCY_WINDOW}")
    cutoff = _naive_utc(now) - window
    with db.session() as s:
        return s.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff)).rowcount or 0
