"""Crash safety of the webhooks: SIGKILL ``lastmile serve`` while it is pushing events to a slow
shop; after a restart every event has arrived, signed, in id order per booking, with no more
repeats than the POSTs that were in flight at the kill."""

from __future__ import annotations

import datetime as dt
import signal
import time
from collections import defaultdict

import pytest
from sqlalchemy import func, select

from scheduling import outbox
from scheduling.storage import open_database
from scheduling.storage.models import OutboxEvent
from scheduling.webhooks import set_webhook
from tests.scheduling.webhook_receiver import Receiver
from tests.webui.test_api_crash import free_port, start_server
from webui.api.auth import create_shop

BOOKINGS = [f"bk{i}" for i in range(6)]
EVENTS = 60
SENDER_WORKERS = 4  # scheduling.webhooks.deliver_due's default: at most this many POSTs in flight


def delivered(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.delivered_at.is_not(None)))


def stop(server) -> None:
    server.send_signal(signal.SIGKILL)
    server.wait()


@pytest.mark.slow
def test_every_event_arrives_signed_and_in_order_across_a_sigkill(tmp_path):
    url = f"sqlite:///{tmp_path / 'hooks.db'}"
    db = open_database(url)
    shop_id, _ = create_shop(db, "slow shop")
    with Receiver(delay_s=0.2) as receiver:
        receiver.secret = set_webhook(db, "slow shop", receiver.url)
        now = dt.datetime.now(dt.timezone.utc)
        with db.session() as s:
            events = [outbox.enqueue(s, shop_id, BOOKINGS[i % len(BOOKINGS)], "booking.eta_changed", {"seq": i}, now) for i in range(EVENTS)]
            s.flush()
            booking_of = {e.id: e.booking_id for e in events}
        port = free_port()

        server = start_server(url, port, tmp_path)
        try:
            deadline = time.monotonic() + 60
            while len(receiver.ids()) < 12 and time.monotonic() < deadline:
                time.sleep(0.01)
        finally:
            stop(server)
        at_kill = len(set(receiver.ids()))
        assert 0 < at_kill < EVENTS, "the kill should come in the middle of the deliveries"

        server = start_server(url, port, tmp_path)
        try:
            deadline = time.monotonic() + 60
            while delivered(db) < EVENTS and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            stop(server)

    receipts = list(receiver.receipts)
    ids = [r.event_id for r in receipts]
    assert delivered(db) == EVENTS, "every event is marked delivered after the restart"
    assert set(ids) == set(booking_of), "every event id was received, and nothing else"
    assert len(ids) - len(set(ids)) <= SENDER_WORKERS, "repeats only of the POSTs in flight at the kill"
    assert all(r.verified for r in receipts), "every request carried a valid signature"
    assert all(r.header_event_id == str(r.event_id) for r in receipts)
    first_seen: dict[str, list[int]] = defaultdict(list)
    for event_id in dict.fromkeys(ids):  # first receipts, in arrival order
        first_seen[booking_of[event_id]].append(event_id)
    for booking, order in first_seen.items():
        assert order == sorted(order), f"{booking}: first receipts follow the event ids"
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.gave_up_at.is_not(None))) == 0
