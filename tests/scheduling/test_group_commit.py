"""Group commit: bookings of one date waiting for its lock are committed in one transaction, and
each of them ends exactly as it would alone (seats, order references, routability, idempotency).

The groups are made on purpose: the test holds the date's commit lock while the bookings queue,
then lets go; the first booking commits alone and hands the lead to the next, who commits all
the others at once.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from scheduling import bookings as bookings_module
from scheduling.booking_setup import BookingError
from scheduling.bookings import Idempotency
from scheduling.storage.models import Booking, IdempotencyRecord, SlotCounter
from tests.scheduling.booking_world import DELIVERY, make_world, request


def wait_until(condition, what: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


def grouped(world, first, others):
    """Book ``first`` then ``others`` (callables returning an Outcome) so that ``others`` queue
    behind ``first`` and commit as one group; returns (results in order, sizes of the groups)."""
    day = world.plans.day(DELIVERY.isoformat())
    sizes: list[int] = []
    real = world.service._group_transaction

    def counting(d, date, batch):
        sizes.append(len(batch))
        return real(d, date, batch)

    world.service._group_transaction = counting
    results: list = [None] * (1 + len(others))

    def run(i, fn):
        try:
            results[i] = fn()
        except BookingError as exc:
            results[i] = exc

    day.commit_lock.acquire()
    try:
        lead = threading.Thread(target=run, args=(0, first))
        lead.start()
        wait_until(lambda: day.leading and not day.pending, "the first booking to take its group")
        threads = [threading.Thread(target=run, args=(i + 1, fn)) for i, fn in enumerate(others)]
        for t in threads:
            t.start()
        wait_until(lambda: len(day.pending) == len(others), "the other bookings to queue")
    finally:
        day.commit_lock.release()
    for t in [lead, *threads]:
        t.join(60)
        assert not t.is_alive()
    world.service._group_transaction = real
    return results, sizes


def count(world, *where) -> int:
    with world.db.session() as s:
        return s.scalar(select(func.count()).select_from(Booking).where(*where))


def test_a_group_keeps_every_bookings_own_outcome(database_url, gothenburg):
    w = make_world(database_url, gothenburg, capacity=3)
    svc = w.service
    slot = "home:18:00-20:00"
    others = [lambda k=k: svc.book(w.shop, request(slot, customer=f"c{k}")) for k in range(1, 5)]  # 2 seats left for 4
    others += [lambda k=k: svc.book(w.shop, request("home:08:00-10:00", customer=f"r{k}", order_ref="order-1")) for k in range(2)]
    results, sizes = grouped(w, lambda: svc.book(w.shop, request(slot, customer="c0")), others)

    assert sizes == [1, 6], sizes  # the six committed as one group
    assert results[0].status == 201
    seats = results[1:5]
    assert sum(1 for r in seats if not isinstance(r, BookingError)) == 2
    assert sorted(r.reason for r in seats if isinstance(r, BookingError)) == ["full", "full"]
    refs = results[5:7]
    assert sum(1 for r in refs if not isinstance(r, BookingError)) == 1
    assert [r.reason for r in refs if isinstance(r, BookingError)] == ["duplicate"]

    with w.db.session() as s:
        c = s.scalars(select(SlotCounter).where(SlotCounter.zone == "Z-2-2", SlotCounter.slot == slot)).one()
        assert (c.booked, c.held) == (3, 0)
    assert count(w, Booking.status == "confirmed") == 3 + 1
    assert count(w, Booking.order_ref == "order-1") == 1
    # The routes hold exactly the stored bookings: no stop of a refused one is left behind.
    day = w.plans.day(DELIVERY.isoformat())
    with w.db.session() as s:
        stored = set(s.scalars(select(Booking.id).where(Booking.status == "confirmed")))
    assert set(day.stop_of_booking) == stored
    assert not day.pending and not day.leading


def test_in_a_group_a_stop_that_no_longer_fits_is_refused_and_the_others_book(database_url, gothenburg):
    w = make_world(database_url, gothenburg, vans=1, van_capacity=3)
    svc = w.service
    first = lambda: svc.book(w.shop, request(customer="c0", parcels=2))  # noqa: E731
    # Each fits the routes as they are before the group (1 parcel left); together they do not.
    others = [lambda k=k: svc.book(w.shop, request("home:16:00-18:00", customer=f"c{k}")) for k in range(1, 4)]
    results, sizes = grouped(w, first, others)

    assert max(sizes) > 1, sizes
    assert results[0].status == 201
    booked = [r for r in results[1:] if not isinstance(r, BookingError)]
    assert len(booked) == 1 and booked[0].status == 201
    assert sorted(r.reason for r in results[1:] if isinstance(r, BookingError)) == ["not_routable", "not_routable"]
    assert count(w, Booking.status == "confirmed") == 2
    day = w.plans.day(DELIVERY.isoformat())
    assert day.summary()["bookings"] == 2 and not day.summary()["unrouted_bookings"]


def test_a_group_that_fails_as_a_whole_is_committed_one_by_one(database_url, gothenburg, monkeypatch):
    w = make_world(database_url, gothenburg)
    svc = w.service
    calls: list[int] = []
    real = bookings_module.BookingService._book_in_group

    def failing_once(self, s, day, t, *args):
        out = real(self, s, day, t, *args)
        if not calls and t.req.customer_id == "c2":
            calls.append(1)
            raise RuntimeError("a statement failed")  # not a refusal: the whole group rolls back
        return out

    monkeypatch.setattr(bookings_module.BookingService, "_book_in_group", failing_once)
    others = [lambda k=k: svc.book(w.shop, request(customer=f"c{k}")) for k in range(1, 5)]
    results, sizes = grouped(w, lambda: svc.book(w.shop, request(customer="c0")), others)

    assert calls == [1] and max(sizes) > 1, sizes
    assert all(not isinstance(r, BookingError) and r.status == 201 for r in results), results
    assert count(w, Booking.status == "confirmed") == 5
    day = w.plans.day(DELIVERY.isoformat())
    assert day.summary()["bookings"] == 5


def test_one_idempotency_key_twice_in_a_group_books_once(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    svc = w.service
    key = Idempotency("retry-1", "h" * 64)
    others = [lambda: svc.book(w.shop, request("home:10:00-12:00", customer="i1"), key) for _ in range(2)]
    others.append(lambda: svc.book(w.shop, request(customer="c1")))
    results, sizes = grouped(w, lambda: svc.book(w.shop, request(customer="c0")), others)

    # The second row of the key fails the group's commit; committed one by one, it replays the first.
    assert sizes == [1, 3, 1, 1, 1], sizes
    a, b, c = results[1:]
    assert a.body["id"] == b.body["id"] and sorted([a.replayed, b.replayed]) == [False, True]
    assert results[0].status == c.status == 201
    with w.db.session() as s:
        assert s.scalar(select(func.count()).select_from(IdempotencyRecord)) == 1
    assert count(w, Booking.status == "confirmed") == 3
    assert w.plans.day(DELIVERY.isoformat()).summary()["bookings"] == 3
