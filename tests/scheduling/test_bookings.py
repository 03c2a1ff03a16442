"""Booking service: holds, bookings, confirmations, moves and cancellations keep capacity exact,
on SQLite and PostgreSQL, also when many threads race for the last seats."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from scheduling import capacity_store as cs
from scheduling.booking_setup import BookingError
from scheduling.bookings import Idempotency, sweep_expired_holds
from scheduling.storage.models import Booking, IdempotencyRecord, SlotCounter
from tests.scheduling.booking_world import CENTRE, DELIVERY, FAR, NEAR_CENTRE, make_world, pickup_site, request


def counter(world, zone, slot="home:18:00-20:00", date=DELIVERY) -> SlotCounter:
    with world.db.session() as s:
        return s.scalars(select(SlotCounter).where(SlotCounter.zone == zone, SlotCounter.date == date.isoformat(), SlotCounter.slot == slot)).one()


def live_rows(world) -> int:
    with world.db.session() as s:
        return s.scalar(select(func.count()).select_from(Booking).where(Booking.status.in_(("held", "confirmed"))))


def refused(fn, *args, **kw) -> BookingError:
    with pytest.raises(BookingError) as info:
        fn(*args, **kw)
    return info.value


def test_a_booking_takes_a_seat_and_is_stored_before_the_answer(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    out = w.service.book(w.shop, request())
    assert out.status == 201 and out.body["status"] == "confirmed"
    assert out.body["fee"] > 0 and out.body["zone"] == "Z-2-2"
    c = counter(w, out.body["zone"])
    assert (c.capacity, c.booked, c.held) == (12, 1, 0)
    assert w.service.get(w.shop, out.body["id"]).body == out.body
    assert w.plans.day(DELIVERY.isoformat()).summary()["stops"] == 1


def test_many_threads_racing_for_the_last_seats_get_exactly_the_capacity(database_url, gothenburg):
    w = make_world(database_url, gothenburg, capacity=5)
    barrier = threading.Barrier(16)

    def attempt(k: int) -> int:
        barrier.wait()
        try:
            return w.service.book(w.shop, request(customer=f"c{k}")).status
        except BookingError as exc:
            assert exc.reason == "full", exc.message
            return exc.status

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(attempt, range(16)))
    assert statuses.count(201) == 5 and statuses.count(409) == 11
    c = counter(w, "Z-2-2")
    assert c.booked == 5 and c.held == 0
    assert live_rows(w) == 5
    # The tentative plan holds exactly the accepted stops, no leftovers from refused ones.
    assert w.plans.day(DELIVERY.isoformat()).summary()["bookings"] == 5


def test_the_conditional_seat_update_alone_never_overbooks(database_url):
    """The storage guarantee without any application lock: 24 threads, 7 seats."""
    from scheduling.storage import open_database

    db = open_database(database_url)
    cs.set_capacity(db, "Z-1-1", "2026-11-25", "home:08:00-10:00", 7)
    barrier = threading.Barrier(24)

    def take(_):
        barrier.wait()
        return cs.run_transaction(db, lambda s: cs.take_seat(s, "Z-1-1", "2026-11-25", "home:08:00-10:00", hold=False))

    with ThreadPoolExecutor(24) as pool:
        results = list(pool.map(take, range(24)))
    assert results.count(True) == 7
    with db.session() as s:
        row = s.scalars(select(SlotCounter)).one()
    assert row.booked == 7 and row.capacity_source == "override"


def test_a_hold_keeps_the_seat_until_it_expires_then_capacity_returns(database_url, gothenburg):
    w = make_world(database_url, gothenburg, capacity=1)
    held = w.service.book(w.shop, request(hold=True)).body
    assert held["status"] == "held" and held["hold_expires_at"] == "2026-11-23T08:10:00Z"
    assert refused(w.service.book, w.shop, request(customer="c2")).reason == "full"
    w.clock.advance(minutes=10, seconds=1)
    assert refused(w.service.confirm, w.shop, held["id"]).reason == "hold_expired"
    assert refused(w.service.reschedule, w.shop, held["id"], date=None, slot="home:08:00-10:00").reason == "hold_expired"
    second = w.service.book(w.shop, request(customer="c2")).body
    assert second["status"] == "confirmed"
    assert w.service.get(w.shop, held["id"]).body["status"] == "expired"
    c = counter(w, "Z-2-2")
    assert (c.booked, c.held) == (1, 0)


def test_a_confirmed_hold_becomes_a_booking_without_a_second_seat(database_url, gothenburg):
    w = make_world(database_url, gothenburg, capacity=1)
    held = w.service.book(w.shop, request(hold=True)).body
    confirmed = w.service.confirm(w.shop, held["id"]).body
    assert confirmed["status"] == "confirmed" and confirmed["hold_expires_at"] is None
    assert w.service.confirm(w.shop, held["id"]).body["status"] == "confirmed"  # confirming twice is harmless
    c = counter(w, "Z-2-2")
    assert (c.booked, c.held) == (1, 0)


def test_the_sweeper_expires_forgotten_holds(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    held = w.service.book(w.shop, request(hold=True)).body
    w.clock.advance(minutes=11)
    assert sweep_expired_holds(w.db, w.clock()) == [(DELIVERY.isoformat(), held["id"])]
    assert counter(w, "Z-2-2").held == 0


def test_an_idempotent_retry_replays_the_first_answer_and_books_once(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    key = Idempotency("order-77", "hash-a")
    first = w.service.book(w.shop, request(), key)
    again = w.service.book(w.shop, request(), key)
    assert again.replayed and again.body == first.body and again.status == 201
    assert counter(w, "Z-2-2").booked == 1
    err = refused(w.service.book, w.shop, request(slot="home:08:00-10:00"), Idempotency("order-77", "hash-b"))
    assert (err.status, err.field, err.reason) == (422, "Idempotency-Key", "key_reused")
    # Keys are per shop: another shop may use the same key for its own booking.
    assert w.service.book(w.other_shop, request(), key).replayed is False


def test_concurrent_retries_with_one_key_book_once(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    barrier = threading.Barrier(8)

    def send(_):
        barrier.wait()
        return w.service.book(w.shop, request(), Idempotency("same", "h")).body["id"]

    with ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(send, range(8)))
    assert len(ids) == 1 and live_rows(w) == 1 and counter(w, "Z-2-2").booked == 1
    with w.db.session() as s:
        assert s.scalar(select(func.count()).select_from(IdempotencyRecord)) == 1


def test_cancelling_returns_the_seat_and_removes_the_stop(database_url, gothenburg):
    w = make_world(database_url, gothenburg, capacity=1)
    b = w.service.book(w.shop, request()).body
    assert w.service.cancel(w.shop, b["id"]).body["status"] == "cancelled"
    assert w.service.cancel(w.shop, b["id"]).body["status"] == "cancelled"  # twice is harmless
    assert counter(w, "Z-2-2").booked == 0
    assert w.plans.day(DELIVERY.isoformat()).summary()["stops"] == 0
    assert w.service.book(w.shop, request(customer="c2")).status == 201


def test_rescheduling_moves_the_seat_or_leaves_everything_as_it_was(database_url, gothenburg):
    w = make_world(database_url, gothenburg, capacity=1)
    b = w.service.book(w.shop, request()).body
    other = w.service.book(w.shop, request("home:08:00-10:00", customer="c2")).body
    moved = w.service.reschedule(w.shop, b["id"], date=None, slot="home:12:00-14:00").body
    assert moved["slot"] == "home:12:00-14:00" and moved["id"] == b["id"]
    assert counter(w, "Z-2-2").booked == 0
    assert counter(w, "Z-2-2", "home:12:00-14:00").booked == 1
    err = refused(w.service.reschedule, w.shop, b["id"], date=None, slot=other["slot"])
    assert err.reason == "full"
    assert w.service.get(w.shop, b["id"]).body["slot"] == "home:12:00-14:00"
    assert counter(w, "Z-2-2", "home:12:00-14:00").booked == 1
    assert w.plans.day(DELIVERY.isoformat()).summary()["bookings"] == 2


def test_a_shop_never_sees_another_shops_booking(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    b = w.service.book(w.shop, request()).body
    for op in (w.service.get, w.service.cancel, w.service.confirm):
        assert refused(op, w.other_shop, b["id"]).status == 404
    assert w.service.list(w.other_shop) == []
    assert [x["id"] for x in w.service.list(w.shop)] == [b["id"]]


BAD_REQUESTS = [
    (dict(slot="home:07:00-08:00"), 422, "slot", "unknown_slot"),
    (dict(date=DELIVERY.replace(day=20)), 422, "date", "in_past"),
    (dict(date=DELIVERY.replace(month=12, day=31)), 422, "date", "beyond_horizon"),
    (dict(at=FAR), 422, "lat", "outside_area"),
    (dict(slot="premium:18:00-19:00"), 403, "slot", "premium_only"),
    (dict(tier="diamond"), 422, "tier", "unknown_tier"),
    (dict(slot="pickup:08:00-12:00"), 422, "pickup_point_id", "required"),
    (dict(pickup_point_id="pp-nowhere"), 422, "pickup_point_id", "not_allowed"),
]


def test_bad_requests_are_refused_with_the_field_and_store_nothing(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    for change, status, field, reason in BAD_REQUESTS:
        err = refused(w.service.book, w.shop, request(**change))
        assert (err.status, err.field, err.reason) == (status, field, reason), change
        assert err.message
    assert live_rows(w) == 0
    assert w.plans.day(DELIVERY.isoformat()).summary()["stops"] == 0


def test_past_the_cut_off_and_on_blackout_dates_nothing_is_booked(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    cs.set_blackout(w.db, "Z-2-2", DELIVERY, "street market")
    err = refused(w.service.book, w.shop, request())
    assert (err.status, err.reason) == (409, "blackout") and "street market" in err.message
    cs.clear_blackout(w.db, "Z-2-2", DELIVERY)
    w.clock.advance(days=1, hours=13)  # Tuesday 21:00 UTC = 22:00 in Gothenburg
    err = refused(w.service.book, w.shop, request())
    assert (err.status, err.reason) == (409, "past_cutoff")
    assert live_rows(w) == 0


def test_a_stop_no_van_can_take_is_refused_as_not_routable(database_url, gothenburg):
    w = make_world(database_url, gothenburg, vans=1, van_capacity=3)
    w.service.book(w.shop, request(parcels=2))
    err = refused(w.service.book, w.shop, request(customer="c2", parcels=2))
    assert (err.status, err.reason) == (409, "not_routable")
    assert counter(w, "Z-2-2").booked == 1


def test_pickup_orders_share_one_stop_at_the_point(database_url, gothenburg):
    site = pickup_site(gothenburg)
    w = make_world(database_url, gothenburg, sites=[site])
    for k in range(3):
        b = w.service.book(w.shop, request("pickup:08:00-12:00", customer=f"p{k}", pickup_point_id=site.id)).body
        assert b["zone"] == "pickup:pp-test" and b["fee"] == w.setup.pricing.pickup_fee
    summary = w.plans.day(DELIVERY.isoformat()).summary()
    assert summary["bookings"] == 3 and summary["stops"] == 1
    assert counter(w, "pickup:pp-test", "pickup:08:00-12:00").booked == 3


def test_tentative_routes_rebuild_from_the_database_after_a_restart(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    for k, slot in enumerate(["home:08:00-10:00", "home:12:00-14:00", "home:18:00-20:00"]):
        w.service.book(w.shop, request(slot, customer=f"c{k}", at=CENTRE if k % 2 else NEAR_CENTRE))
    before = w.plans.day(DELIVERY.isoformat()).summary()
    w.plans.forget()
    after = w.plans.day(DELIVERY.isoformat()).summary()
    assert after["bookings"] == before["bookings"] == 3 and after["unrouted_bookings"] == []


def test_racing_moves_and_cancellations_keep_every_counter_equal_to_its_bookings(database_url, gothenburg):
    w = make_world(database_url, gothenburg, capacity=3)
    ids = [w.service.book(w.shop, request("home:08:00-10:00", customer=f"c{k}")).body["id"] for k in range(3)]
    targets = ["home:10:00-12:00", "home:12:00-14:00", "home:14:00-16:00"]
    barrier = threading.Barrier(12)

    def act(k: int) -> None:
        booking_id = ids[k % 3]
        barrier.wait()
        try:
            if k % 4 == 0:
                w.service.cancel(w.shop, booking_id)
            else:
                w.service.reschedule(w.shop, booking_id, date=None, slot=targets[k % 3])
        except BookingError as exc:
            assert exc.status in (409,), exc.message

    with ThreadPoolExecutor(12) as pool:
        list(pool.map(act, range(12)))
    with w.db.session() as s:
        for c in s.scalars(select(SlotCounter)):
            rows = s.scalar(
                select(func.count()).select_from(Booking).where(
                    Booking.zone == c.zone, Booking.date == c.date, Booking.slot == c.slot, Booking.status == "confirmed"
                )
            )
            assert c.booked == rows <= c.capacity and c.held == 0, (c.slot, c.booked, rows)
    # The tentative routes hold one stop per live booking, no leftovers from the races.
    live = sum(1 for b in w.service.list(w.shop) if b["status"] == "confirmed")
    summary = w.plans.day(DELIVERY.isoformat()).summary()
    assert summary["bookings"] == summary["stops"] == live
