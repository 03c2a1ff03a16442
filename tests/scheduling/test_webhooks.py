"""Webhooks: signed POSTs from the outbox, at least once, in order per booking, each shop only its own."""

from __future__ import annotations

import datetime as dt
import json
import random
import socket
import threading
import time

import pytest
from sqlalchemy import select

from scheduling import outbox
from scheduling.storage import open_database
from scheduling.storage.models import OutboxEvent, Shop
from scheduling.webhooks import (
    BACKOFF_CAP_S,
    OutboxSender,
    backoff,
    deliver_due,
    events_after,
    set_webhook,
    sign,
    validate_webhook_url,
    verify,
)
from tests.scheduling.webhook_receiver import Receiver

T0 = dt.datetime(2026, 11, 23, 8, 0)  # naive UTC, like the database


def add_shop(db, name: str) -> int:
    with db.session() as s:
        shop = Shop(name=name, api_key_hash=f"hash-{name}")
        s.add(shop)
        s.flush()
        return shop.id


def add_events(db, shop_id: int, items: list[tuple[str | None, str]], at: dt.datetime = T0) -> list[int]:
    """Enqueue ``(booking_id, type)`` events in one transaction; their ids in order."""
    with db.session() as s:
        events = [outbox.enqueue(s, shop_id, b, t, {"n": i}, at) for i, (b, t) in enumerate(items)]
        s.flush()
        return [e.id for e in events]


def row(db, event_id: int) -> OutboxEvent:
    with db.session() as s:
        return s.get(OutboxEvent, event_id)


@pytest.fixture
def db(database_url):
    return open_database(database_url)


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


def hooked_shop(db, receiver: Receiver, name: str = "Acme") -> int:
    shop_id = add_shop(db, name)
    receiver.secret = set_webhook(db, name, receiver.url)
    return shop_id


# --------------------------------------------------------------------------- signatures


def test_a_signature_verifies_with_the_secret_over_the_exact_body():
    body = b'{"id": 1, "type": "booking.planned"}'
    header = sign("s3cret", 1_790_000_000, body)
    assert header.startswith("t=1790000000,v1=")
    assert len(header.partition("v1=")[2]) == 64
    assert verify("s3cret", header, body, now=1_790_000_100)
    assert verify("s3cret", header, body.decode(), now=1_790_000_100), "text bodies are their UTF-8 bytes"


@pytest.mark.parametrize(
    "secret, header_of, body, now, why",
    [
        ("s3cret", lambda h: h, b'{"id": 2, "type": "booking.planned"}', 1_790_000_000, "the body changed"),
        ("other", lambda h: h, b'{"id": 1, "type": "booking.planned"}', 1_790_000_000, "another secret"),
        ("s3cret", lambda h: h.replace("t=1790000000", "t=1790000001"), b'{"id": 1, "type": "booking.planned"}', 1_790_000_000, "the timestamp changed"),
        ("s3cret", lambda h: h[:-1] + ("0" if h[-1] != "0" else "1"), b'{"id": 1, "type": "booking.planned"}', 1_790_000_000, "the MAC changed"),
        ("s3cret", lambda h: h, b'{"id": 1, "type": "booking.planned"}', 1_790_000_301, "older than 5 minutes"),
        ("s3cret", lambda h: h, b'{"id": 1, "type": "booking.planned"}', 1_789_999_699, "more than 5 minutes ahead"),
        ("s3cret", lambda h: "", b'{"id": 1, "type": "booking.planned"}', 1_790_000_000, "no header"),
        ("s3cret", lambda h: "v1=abc", b'{"id": 1, "type": "booking.planned"}', 1_790_000_000, "no timestamp"),
        ("s3cret", lambda h: "t=1790000000", b'{"id": 1, "type": "booking.planned"}', 1_790_000_000, "no MAC"),
        ("s3cret", lambda h: "t=soon," + h.split(",")[1], b'{"id": 1, "type": "booking.planned"}', 1_790_000_000, "a timestamp that is no number"),
        ("s3cret", lambda h: "garbage", b'{"id": 1, "type": "booking.planned"}', 1_790_000_000, "not key=value"),
    ],
)
def test_a_tampered_stale_or_malformed_signature_does_not_verify(secret, header_of, body, now, why):
    header = header_of(sign("s3cret", 1_790_000_000, b'{"id": 1, "type": "booking.planned"}'))
    assert verify(secret, header, body, now=now) is False, why


def test_any_of_several_v1_entries_may_match():
    body = b"{}"
    good = sign("s3cret", 100, body)
    assert verify("s3cret", f"t=100,v1={'0' * 64},{good.split(',')[1]}", body, now=100)


# --------------------------------------------------------------------------- webhook URLs


@pytest.mark.parametrize(
    "url",
    [
        "https://shop.example/hooks/lastmile",
        "https://shop.example:8443/hooks?source=lastmile",
        "HTTPS://Shop.Example/x",
        "http://127.0.0.1:8080/hook",
        "http://127.9.9.9/hook",
        "http://[::1]:9000/hook",
        "http://localhost/hook",
    ],
)
def test_https_urls_and_plain_http_to_loopback_are_accepted(url):
    assert validate_webhook_url(url) == url


@pytest.mark.parametrize(
    "url, says",
    [
        ("http://shop.example/hook", "plain http is allowed only to this machine"),
        ("http://10.0.0.5/hook", "use https://10.0.0.5/hook"),
        ("http://localhost.shop.example/hook", "plain http is allowed only"),
        ("ftp://shop.example/hook", "'ftp' is not allowed; use https://"),
        ("shop.example/hook", "no scheme is not allowed"),
        ("https:///hook", "has no host"),
        ("https://user:pass@shop.example/hook", "remove the user name and password"),
        ("https://token@shop.example/hook", "remove the user name and password"),
        ("https://shop.example:99999/hook", "is not a number from 1 to 65535"),
        ("https://shop.example/a b", "spaces or control characters"),
        ("https://shop.example/" + "a" * 480, "too long; use at most 500"),
        ("", "give an https:// URL"),
    ],
)
def test_other_urls_are_refused_saying_why_and_what_to_do(url, says):
    with pytest.raises(ValueError, match="webhook URL") as err:
        validate_webhook_url(url)
    assert says in str(err.value)


def test_set_webhook_stores_the_url_and_a_fresh_secret_shown_once(db):
    shop_id = add_shop(db, "Acme")
    first = set_webhook(db, "Acme", "https://acme.example/hook")
    second = set_webhook(db, str(shop_id), "https://acme.example/hook2")
    assert first and second and first != second and len(second) >= 40
    with db.session() as s:
        shop = s.get(Shop, shop_id)
        assert (shop.webhook_url, shop.webhook_secret) == ("https://acme.example/hook2", second)
    assert set_webhook(db, "Acme", None) is None
    with db.session() as s:
        shop = s.get(Shop, shop_id)
        assert (shop.webhook_url, shop.webhook_secret) == (None, None)


def test_set_webhook_refuses_an_unknown_shop_or_a_bad_url_and_changes_nothing(db):
    shop_id = add_shop(db, "Acme")
    with pytest.raises(ValueError, match="no shop named or numbered 'Nobody'.*lastmile shop add"):
        set_webhook(db, "Nobody", "https://acme.example/hook")
    with pytest.raises(ValueError, match="no shop named or numbered '999'"):
        set_webhook(db, "999", "https://acme.example/hook")
    with pytest.raises(ValueError, match="plain http"):
        set_webhook(db, "Acme", "http://acme.example/hook")
    with db.session() as s:
        assert s.get(Shop, shop_id).webhook_url is None


# --------------------------------------------------------------------------- backoff


def test_backoff_starts_at_ten_seconds_doubles_and_caps_at_an_hour():
    rng = random.Random(7)
    waits = [backoff(n, rng) for n in range(1, 16)]
    for n, wait in enumerate(waits, start=1):
        nominal = min(BACKOFF_CAP_S, 10.0 * 2 ** (n - 1))
        assert 0.9 * nominal <= wait <= nominal, n
    assert all(later > earlier for earlier, later in zip(waits[:9], waits[1:9])), "grows until the cap"
    assert max(waits) <= 3600 and waits[-1] >= 0.9 * 3600
    assert backoff(10_000, rng) <= 3600
    with pytest.raises(ValueError, match="attempts is 0"):
        backoff(0)


def test_backoff_has_jitter():
    assert len({round(backoff(3, random.Random(seed)), 6) for seed in range(10)}) > 1


# --------------------------------------------------------------------------- delivery


def test_due_events_reach_the_webhook_signed_with_the_envelope_as_body(db, receiver):
    shop_id = hooked_shop(db, receiver)
    ids = add_events(db, shop_id, [("b1", "booking.planned"), ("b2", "booking.eta_changed")])
    assert deliver_due(db, T0) == 2
    assert sorted(receiver.ids()) == ids
    for r in receiver.receipts:
        assert r.verified and r.header_event_id == str(r.event_id)
        assert r.content_type == "application/json"
        assert r.event_type == r.envelope["type"]
        with db.session() as s:
            assert json.loads(r.body) == outbox.envelope(s.get(OutboxEvent, r.event_id))
        assert row(db, r.event_id).delivered_at == T0
    assert deliver_due(db, T0 + dt.timedelta(minutes=5)) == 0, "a delivered event is not sent again"
    assert len(receiver.receipts) == 2


def test_an_event_is_not_sent_before_its_time(db, receiver):
    shop_id = hooked_shop(db, receiver)
    add_events(db, shop_id, [("b1", "booking.planned")], at=T0 + dt.timedelta(minutes=1))
    assert deliver_due(db, T0) == 0 and receiver.receipts == []


def test_a_bookings_later_event_waits_while_an_earlier_one_fails_and_other_bookings_go_on(db, receiver):
    failing = {"on": True}
    shop_id = hooked_shop(db, receiver)
    a1, b1, a2, b2, a3 = add_events(
        db, shop_id,
        [("A", "booking.planned"), ("B", "booking.planned"), ("A", "booking.eta_changed"), ("B", "booking.eta_changed"), ("A", "booking.eta_changed")],
    )
    receiver.answer = lambda env: 500 if failing["on"] and env["id"] == a1 else 200
    now = T0
    for _ in range(4):
        deliver_due(db, now)
        now += dt.timedelta(seconds=1)
    # Different bookings are posted by parallel workers, so only each booking's own order is promised.
    assert [i for i in receiver.ids() if i != a1] == [b1, b2], "B goes on; A2 and A3 wait for A1"
    failed = row(db, a1)
    assert failed.attempts == 1 and failed.last_error == "HTTP 500" and failed.delivered_at is None
    assert T0 + dt.timedelta(seconds=9) <= failed.next_attempt_at <= T0 + dt.timedelta(seconds=10)
    assert row(db, a2).attempts == 0 and row(db, a2).delivered_at is None

    failing["on"] = False
    now = failed.next_attempt_at
    while deliver_due(db, now):
        now += dt.timedelta(seconds=1)
    a_order = [i for i in receiver.ids() if i in (a1, a2, a3)]
    assert a_order == [a1, a1, a2, a3], "A's events arrive in id order once A1 got through"
    assert all(row(db, i).delivered_at is not None for i in (a1, a2, a3, b1, b2))


def test_retries_back_off_and_the_last_try_is_when_the_retention_window_closes(db, receiver):
    receiver.answer = lambda env: 503
    shop_id = hooked_shop(db, receiver)
    first, later = add_events(db, shop_id, [("A", "booking.planned"), ("A", "booking.eta_changed")])
    window_end = T0 + dt.timedelta(hours=24)
    now, waits = T0, []
    while row(db, first).gave_up_at is None:
        deliver_due(db, now)
        event = row(db, first)
        if event.gave_up_at is None:
            assert event.next_attempt_at <= window_end, "no retry is planned past the window"
            waits.append((event.next_attempt_at - now).total_seconds())
            now = event.next_attempt_at
        assert len(waits) < 60
    event = row(db, first)
    assert event.gave_up_at == window_end == now, "gives up at the last try, 24 h after creation"
    assert event.attempts == len(waits) + 1 and event.last_error == "HTTP 503"
    assert waits[0] <= 10 and max(waits) <= 3600 and waits[5] > waits[4] > waits[0]
    assert receiver.ids().count(first) == event.attempts and later not in receiver.ids()
    receiver.answer = lambda env: 200
    assert deliver_due(db, now) == 1 and receiver.ids()[-1] == later, "a given-up event no longer holds its booking back"
    assert [e["id"] for e in events_after(db, shop_id)] == [first, later], "both stay pollable"


def test_an_event_older_than_the_window_is_given_up_without_being_sent(db, receiver):
    shop_id = add_shop(db, "Acme")
    (old,) = add_events(db, shop_id, [("A", "booking.planned")])
    receiver.secret = set_webhook(db, "Acme", receiver.url)  # the webhook came a day later
    assert deliver_due(db, T0 + dt.timedelta(hours=30)) == 0
    event = row(db, old)
    assert receiver.receipts == [] and event.gave_up_at == T0 + dt.timedelta(hours=30)
    assert "retention window" in event.last_error and "GET /api/v1/events" in event.last_error


def test_the_retention_window_is_configurable(db, receiver):
    receiver.answer = lambda env: 500
    shop_id = hooked_shop(db, receiver)
    (event_id,) = add_events(db, shop_id, [("A", "booking.planned")])
    deliver_due(db, T0 + dt.timedelta(hours=30), retention=dt.timedelta(hours=48))
    event = row(db, event_id)
    assert event.gave_up_at is None and event.attempts == 1


def test_a_shops_events_never_reach_another_shops_webhook(db):
    with Receiver() as hook_a, Receiver() as hook_b:
        a = hooked_shop(db, hook_a, "A")
        b = hooked_shop(db, hook_b, "B")
        ids_a = add_events(db, a, [("a1", "booking.planned"), ("a2", "booking.planned")])
        ids_b = add_events(db, b, [("b1", "booking.planned")])
        assert deliver_due(db, T0) == 3
        assert sorted(hook_a.ids()) == ids_a and hook_b.ids() == ids_b
        assert all(r.verified for r in hook_a.receipts + hook_b.receipts), "each signed with its own shop's secret"
        assert not any(verify(hook_a.secret, r.signature, r.body) for r in hook_b.receipts)


def test_a_shop_without_a_webhook_polls_and_its_events_are_left_alone(db, receiver):
    polling = add_shop(db, "Poller")
    hooked = hooked_shop(db, receiver)
    (quiet,) = add_events(db, polling, [("p1", "booking.planned")])
    (sent,) = add_events(db, hooked, [("h1", "booking.planned")])
    assert deliver_due(db, T0 + dt.timedelta(hours=48), retention=dt.timedelta(hours=72)) == 1
    assert receiver.ids() == [sent]
    event = row(db, quiet)
    assert (event.attempts, event.delivered_at, event.gave_up_at, event.lease_until, event.last_error) == (0, None, None, None, None)


def test_an_event_leased_by_another_sender_is_not_sent_until_the_lease_runs_out(db, receiver):
    shop_id = hooked_shop(db, receiver)
    (event_id,) = add_events(db, shop_id, [("A", "booking.planned")])
    with db.session() as s:
        s.get(OutboxEvent, event_id).lease_until = T0 + dt.timedelta(seconds=20)
    assert deliver_due(db, T0) == 0 and receiver.receipts == []
    assert deliver_due(db, T0 + dt.timedelta(seconds=20)) == 1 and receiver.ids() == [event_id]


def test_a_lease_counts_from_its_claim_not_from_the_start_of_a_slow_pass(db):
    shop_id = add_shop(db, "Acme")
    set_webhook(db, "Acme", "https://acme.example/hook")
    first, second = add_events(db, shop_id, [("A", "booking.planned"), ("B", "booking.planned")])
    leases = {}

    def post(url, body, headers, timeout_s):
        event_id = int(headers["X-Lastmile-Event-Id"])
        leases[event_id] = row(db, event_id).lease_until
        if event_id == first:
            time.sleep(0.6)
        return 204

    assert deliver_due(db, T0, post=post, workers=1, timeout_s=1.0) == 2
    assert leases[first] >= T0 + dt.timedelta(seconds=11)
    assert leases[second] >= T0 + dt.timedelta(seconds=11.6), "claimed 0.6 s into the pass"
    assert row(db, second).lease_until is None and row(db, second).delivered_at == T0


def test_two_senders_at_once_send_each_event_once(db, receiver):
    receiver.delay_s = 0.05
    shop_id = hooked_shop(db, receiver)
    ids = add_events(db, shop_id, [(f"b{i}", "booking.planned") for i in range(12)])
    totals: list[int] = []
    start = threading.Barrier(2)

    def sender() -> None:
        start.wait()
        totals.append(deliver_due(db, T0, workers=3))

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(receiver.ids()) == ids, "each event exactly once"
    assert sum(totals) == 12


def test_no_answer_is_retried_with_the_reason_kept(db):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    shop_id = add_shop(db, "Acme")
    set_webhook(db, "Acme", f"http://127.0.0.1:{closed_port}/hook")
    (event_id,) = add_events(db, shop_id, [("A", "booking.planned")])
    assert deliver_due(db, T0) == 0
    event = row(db, event_id)
    assert event.attempts == 1 and event.last_error.startswith("no answer:") and event.lease_until is None
    assert event.next_attempt_at > T0 and event.gave_up_at is None


def test_a_slow_webhook_times_out_and_is_retried(db, receiver):
    receiver.delay_s = 1.0
    shop_id = hooked_shop(db, receiver)
    (event_id,) = add_events(db, shop_id, [("A", "booking.planned")])
    assert deliver_due(db, T0, timeout_s=0.2) == 0
    event = row(db, event_id)
    assert event.attempts == 1 and "timed out" in event.last_error


def test_a_shop_that_is_down_costs_one_timeout_per_worker_and_the_others_still_get_theirs(db):
    with Receiver(delay_s=1.0) as down, Receiver() as healthy:
        dead = hooked_shop(db, down, "Down")
        alive = hooked_shop(db, healthy, "Up")
        stuck = add_events(db, dead, [(f"d{i}", "booking.planned") for i in range(10)])
        (fine,) = add_events(db, alive, [("u1", "booking.planned")])
        assert deliver_due(db, T0, timeout_s=0.2, workers=2) == 1
        assert healthy.ids() == [fine]
        assert len(down.receipts) <= 2, "after no answer the shop's other events are not POSTed in this pass"
        for event_id in stuck:
            event = row(db, event_id)
            assert event.attempts == 1 and event.next_attempt_at > T0 and event.lease_until is None
            assert event.last_error.startswith(("no answer", "not sent: no answer to event"))


def test_a_redirect_is_not_followed_and_counts_as_a_failure(db, receiver):
    receiver.answer = lambda env: 302
    shop_id = hooked_shop(db, receiver)
    (event_id,) = add_events(db, shop_id, [("A", "booking.planned")])
    assert deliver_due(db, T0) == 0
    assert row(db, event_id).last_error == "HTTP 302" and len(receiver.receipts) == 1


def test_events_after_pages_through_one_shops_events_only(db):
    a, b = add_shop(db, "A"), add_shop(db, "B")
    ids_a = add_events(db, a, [("a1", "booking.planned"), ("a1", "booking.eta_changed"), ("a2", "booking.planned")])
    add_events(db, b, [("b1", "booking.planned")])
    assert [e["id"] for e in events_after(db, a)] == ids_a
    assert [e["id"] for e in events_after(db, a, after=ids_a[0], limit=1)] == [ids_a[1]]
    assert events_after(db, a, after=ids_a[-1]) == []


# --------------------------------------------------------------------------- the background sender


def test_the_sender_delivers_in_the_background_and_stops(db, receiver):
    shop_id = hooked_shop(db, receiver)
    sender = OutboxSender(db, interval_s=0.05)
    sender.start()
    try:
        ids = add_events(db, shop_id, [("A", "booking.planned"), ("A", "booking.eta_changed")], at=dt.datetime.now(dt.timezone.utc))
        sender.wake()
        deadline = time.monotonic() + 10
        while len(receiver.receipts) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        sender.stop()
    assert receiver.ids() == ids
    assert not sender._thread.is_alive()


def test_the_sender_logs_a_failing_pass_and_keeps_going(db, receiver, caplog):
    shop_id = hooked_shop(db, receiver)
    (event_id,) = add_events(db, shop_id, [("A", "booking.planned")])
    calls = {"n": 0}

    def clock() -> dt.datetime:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("clock trouble")
        return T0

    sender = OutboxSender(db, interval_s=0.05, clock=clock)
    with caplog.at_level("ERROR", logger="lastmile.webhooks"):
        sender.start()
        deadline = time.monotonic() + 10
        while not receiver.receipts and time.monotonic() < deadline:
            time.sleep(0.02)
        sender.stop()
    assert receiver.ids() == [event_id]
    assert any("webhook delivery pass failed" in r.message for r in caplog.records)


def test_the_sender_refuses_a_non_positive_interval(db):
    with pytest.raises(ValueError, match="interval_s is 0"):
        OutboxSender(db, interval_s=0)
