"""Stored Idempotency-Key answers are kept for the 24-hour window and then forgotten."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from scheduling.bookings import Idempotency
from scheduling.idempotency import IDEMPOTENCY_WINDOW, prune_idempotency_keys
from scheduling.storage.models import IdempotencyRecord
from tests.scheduling.booking_world import make_world, request


def stored_keys(db) -> set[tuple[int, str]]:
    with db.session() as s:
        return {(r.shop_id, r.key) for r in s.scalars(select(IdempotencyRecord))}


def test_the_window_is_24_hours():
    assert IDEMPOTENCY_WINDOW == dt.timedelta(hours=24)


def test_answers_older_than_the_window_are_deleted_and_younger_ones_still_replay(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    booked_at = w.clock()
    first = w.service.book(w.shop, request(), Idempotency("order-1", "hash-1"))
    w.service.book(w.other_shop, request(customer="c2"), Idempotency("order-1", "hash-2"))  # the other shop's own key
    with w.db.session() as s:  # an answer stored two days ago
        s.add(IdempotencyRecord(shop_id=w.shop, key="old", request_hash="h", status_code=201, response_json="{}",
                                created_at=booked_at.astimezone(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(days=2)))

    assert prune_idempotency_keys(w.db, booked_at + dt.timedelta(hours=23)) == 1
    assert stored_keys(w.db) == {(w.shop, "order-1"), (w.other_shop, "order-1")}
    again = w.service.book(w.shop, request(), Idempotency("order-1", "hash-1"))
    assert again.replayed and again.body == first.body

    assert prune_idempotency_keys(w.db, booked_at + IDEMPOTENCY_WINDOW + dt.timedelta(minutes=1)) == 2
    assert stored_keys(w.db) == set()
    assert prune_idempotency_keys(w.db, booked_at + dt.timedelta(days=3)) == 0


def test_a_window_that_is_not_positive_is_refused(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    with pytest.raises(ValueError, match="window must be positive"):
        prune_idempotency_keys(w.db, w.clock(), dt.timedelta(0))
    with w.db.session() as s:
        assert s.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0


def test_the_servers_hold_sweeper_prunes_the_keys(database_url):
    import time

    from tests.webui.api_client import NOW, booking_body, make_api
    from webui.serving import start_hold_sweeper

    api = make_api(database_url)
    assert api.post("/api/v1/bookings", booking_body(), headers={"Idempotency-Key": "k-1"}).status_code == 201
    db = api.app.extensions["lastmile.db"]
    with db.session() as s:
        s.add(IdempotencyRecord(shop_id=s.scalars(select(IdempotencyRecord.shop_id)).first(), key="stale", request_hash="h",
                                status_code=201, response_json="{}",
                                created_at=NOW.astimezone(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(hours=25)))
    stop = start_hold_sweeper(api.app, every_s=0.05, prune_every_s=0.05)
    try:
        deadline = time.monotonic() + 10
        while "stale" in {k for _, k in stored_keys(db)} and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop()
    assert {k for _, k in stored_keys(db)} == {"k-1"}
