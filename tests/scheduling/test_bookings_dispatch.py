"""Bookings carry what a route needs; past the cut-off only the operator changes a booking (and the
shop hears of it through the outbox); a published plan shows as ``planned_eta``. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select, text, update

from scheduling import bookings as bookings_module
from scheduling.booking_setup import BookingError, HandlingTimes
from scheduling.bookings import stop_of_row
from scheduling.storage.models import Booking, OutboxEvent, SlotCounter
from tests.scheduling.booking_world import DELIVERY, NEAR_CENTRE, make_world, request

ROUTE_FIELDS = dict(order_ref="ORD-1001", address="Kungsgatan 12, 411 19 Göteborg", bulky=True,
                    instructions="Code 1234.\nThird floor, leave at the door.", notify="sms")
AFTER_CUTOFF = dict(days=1, hours=13)  # Monday 08:00 UTC + 37 h = Tuesday 22:00 in Gothenburg: the 25th closes


def refused(fn, *args, **kw) -> BookingError:
    with pytest.raises(BookingError) as info:
        fn(*args, **kw)
    return info.value


def seats(world, slot="home:18:00-20:00", date=DELIVERY, zone="Z-2-2") -> tuple[int, int]:
    """``(booked, held)`` of a counter."""
    with world.db.session() as s:
        c = s.scalars(select(SlotCounter).where(SlotCounter.zone == zone, SlotCounter.date == date.isoformat(), SlotCounter.slot == slot)).one()
        return c.booked, c.held


def events(world) -> list[OutboxEvent]:
    with world.db.session() as s:
        return list(s.scalars(select(OutboxEvent).order_by(OutboxEvent.id)))


def taken_seats(world) -> int:
    with world.db.session() as s:
        return s.scalar(select(func.coalesce(func.sum(SlotCounter.booked + SlotCounter.held), 0)))


def live_bookings(world) -> int:
    with world.db.session() as s:
        return s.scalar(select(func.count()).select_from(Booking).where(Booking.status.in_(("held", "confirmed"))))


def row(world, booking_id: str) -> Booking:
    with world.db.session() as s:
        return s.get(Booking, booking_id)


# --------------------------------------------------------------------------- what a route needs


def test_the_route_fields_are_stored_returned_and_kept_by_a_move(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    booked = w.service.book(w.shop, request(**ROUTE_FIELDS)).body
    assert {k: booked[k] for k in ROUTE_FIELDS} == ROUTE_FIELDS
    assert w.service.get(w.shop, booked["id"]).body == booked
    moved = w.service.reschedule(w.shop, booked["id"], date=None, slot="home:08:00-10:00").body
    assert moved["slot"] == "home:08:00-10:00"
    assert {k: moved[k] for k in ROUTE_FIELDS} == ROUTE_FIELDS
    assert row(w, booked["id"]).instructions == ROUTE_FIELDS["instructions"]


def test_a_booking_without_route_fields_gets_the_defaults(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    b = w.service.book(w.shop, request()).body
    assert (b["order_ref"], b["address"], b["bulky"], b["instructions"], b["notify"], b["planned_eta"]) == (None, None, False, None, "none", None)


def test_a_row_written_before_the_route_fields_existed_still_reads_and_routes(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    now = dt.datetime(2026, 11, 23, 7, 0)
    with w.db.session() as s:  # only the columns of schema 0002: the new ones take their server defaults
        s.execute(
            text(
                "INSERT INTO bookings (id, shop_id, customer_id, zone, date, slot, kind, lat, lon, node, parcels, tier, status, fee, created_at, updated_at) "
                "VALUES ('old1', :shop, 'c9', 'Z-2-2', :date, 'home:18:00-20:00', 'home', 57.7089, 11.9746, :node, 2, 'ordinary', 'confirmed', 49, :now, :now)"
            ),
            {"shop": w.shop, "date": DELIVERY.isoformat(), "node": w.setup.locate(57.7089, 11.9746).node, "now": now},
        )
    b = w.service.get(w.shop, "old1").body
    assert (b["bulky"], b["notify"], b["order_ref"], b["planned_eta"]) == (False, "none", None, None)
    assert stop_of_row(w.setup, row(w, "old1")).service_s == w.setup.handling.home_s(2)
    assert w.plans.day(DELIVERY.isoformat()).summary()["bookings"] == 1


def test_a_bulky_order_gets_the_bulky_handling_time_at_the_door(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    w.setup.handling = HandlingTimes(home_base_s=120, per_parcel_s=30, bulky_extra_s=240)
    plain = w.service.book(w.shop, request(customer="c1", parcels=2)).body
    bulky = w.service.book(w.shop, request(customer="c2", at=NEAR_CENTRE, parcels=2, bulky=True)).body
    day = w.plans.day(DELIVERY.isoformat())

    def service_s(booking_id: str) -> int:
        return int(day.state.service[day.stop_of_booking[booking_id]])

    assert service_s(plain["id"]) == 120 + 2 * 30
    assert service_s(bulky["id"]) == 120 + 2 * 30 + 240
    assert stop_of_row(w.setup, row(w, bulky["id"])).service_s == 420  # the same after a restart
    w.plans.forget()
    day = w.plans.day(DELIVERY.isoformat())
    assert service_s(bulky["id"]) == 420


def test_handling_times_without_a_bulky_extra_time_bulky_orders_as_before():
    h = HandlingTimes(120, 30, 300, 20)
    assert h.bulky_extra_s == 0 and h.home_s(3, bulky=True) == h.home_s(3) == 210


def test_an_unknown_notify_channel_is_refused_by_the_service_too(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    err = refused(w.service.book, w.shop, request(notify="fax"))
    assert (err.status, err.field, err.reason) == (422, "notify", "unknown_channel") and "sms" in err.message


# --------------------------------------------------------------------------- order references


def test_a_second_live_booking_with_the_same_order_ref_is_refused_naming_the_first(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    first = w.service.book(w.shop, request(order_ref="ORD-7")).body
    err = refused(w.service.book, w.shop, request("home:08:00-10:00", order_ref="ORD-7"))
    assert (err.status, err.field, err.reason) == (409, "order_ref", "duplicate")
    assert first["id"] in err.message and "reschedule" in err.message
    assert taken_seats(w) == 1 and live_bookings(w) == 1
    assert w.plans.day(DELIVERY.isoformat()).summary()["bookings"] == 1
    # Another shop's references are its own.
    assert w.service.book(w.other_shop, request(order_ref="ORD-7")).status == 201
    # Cancelling the first frees its reference.
    w.service.cancel(w.shop, first["id"])
    again = w.service.book(w.shop, request("home:08:00-10:00", order_ref="ORD-7")).body
    assert again["order_ref"] == "ORD-7" and again["id"] != first["id"]


def test_an_expired_hold_frees_its_order_ref_before_the_sweeper_runs(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    held = w.service.book(w.shop, request(hold=True, order_ref="ORD-8")).body
    w.clock.advance(minutes=11)
    booked = w.service.book(w.shop, request("home:10:00-12:00", order_ref="ORD-8")).body
    assert booked["status"] == "confirmed"
    assert row(w, held["id"]).status == "expired"
    assert seats(w) == (0, 0)  # the hold's seat came back
    assert w.plans.day(DELIVERY.isoformat()).summary()["bookings"] == 1


def test_a_race_for_one_order_ref_that_slips_past_the_check_is_the_same_409(database_url, gothenburg, monkeypatch):
    """The partial unique index is the last word: a concurrent booking that committed between our
    check and our insert makes the insert fail, and the client gets the same answer."""
    w = make_world(database_url, gothenburg)
    first = w.service.book(w.shop, request(order_ref="ORD-9")).body
    monkeypatch.setattr(type(w.service), "_check_order_ref", lambda self, *a: None)
    err = refused(w.service.book, w.shop, request("home:08:00-10:00", customer="c2", order_ref="ORD-9"))
    assert (err.status, err.field, err.reason) == (409, "order_ref", "duplicate") and first["id"] in err.message
    assert w.plans.day(DELIVERY.isoformat()).summary()["bookings"] == 1
    assert taken_seats(w) == 1 and live_bookings(w) == 1


# --------------------------------------------------------------------------- the cut-off


def test_past_the_cut_off_a_shop_can_no_longer_cancel_confirm_or_move(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    booked = w.service.book(w.shop, request()).body
    held = w.service.book(w.shop, request(customer="c2", at=NEAR_CENTRE, hold=True)).body
    w.setup.hold_minutes = 10_000  # the hold outlives the cut-off, so only the cut-off refuses
    w.service.reschedule(w.shop, held["id"], date=None, slot="home:16:00-18:00")
    before = (seats(w), seats(w, "home:16:00-18:00"))
    w.clock.advance(**AFTER_CUTOFF)
    attempts = [
        (w.service.cancel, (w.shop, booked["id"]), {}),
        (w.service.confirm, (w.shop, held["id"]), {}),
        (w.service.cancel, (w.shop, held["id"]), {}),
        (w.service.reschedule, (w.shop, booked["id"]), dict(date=None, slot="home:08:00-10:00")),
        (w.service.reschedule, (w.shop, booked["id"]), dict(date=DELIVERY + dt.timedelta(days=1), slot=None)),
    ]
    for fn, args, kw in attempts:
        err = refused(fn, *args, **kw)
        assert (err.status, err.field, err.reason) == (409, "booking_id", "past_cutoff"), fn.__name__
        assert "dispatched" in err.message and "operator" in err.message
    assert (seats(w), seats(w, "home:16:00-18:00")) == before
    assert w.service.get(w.shop, booked["id"]).body == booked
    assert w.service.get(w.shop, held["id"]).body["status"] == "held"
    assert w.plans.day(DELIVERY.isoformat()).summary()["bookings"] == 2


def test_a_booking_cannot_move_onto_a_date_past_its_cut_off(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    later = DELIVERY + dt.timedelta(days=1)
    b = w.service.book(w.shop, request(date=later)).body
    w.clock.advance(**AFTER_CUTOFF)  # the 25th is closed, the 26th still open
    err = refused(w.service.reschedule, w.shop, b["id"], date=DELIVERY, slot=None)
    assert (err.status, err.field, err.reason) == (409, "date", "past_cutoff")
    assert "dispatched" in err.message and "operator" in err.message
    assert w.service.get(w.shop, b["id"]).body == b
    assert seats(w, date=later) == (1, 0)
    assert w.service.cancel(w.shop, b["id"]).body["status"] == "cancelled"  # its own day is still open


def test_a_cancelled_booking_can_be_cancelled_again_after_the_cut_off(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    b = w.service.book(w.shop, request()).body
    w.service.cancel(w.shop, b["id"])
    w.clock.advance(**AFTER_CUTOFF)
    again = w.service.cancel(w.shop, b["id"])
    assert again.status == 200 and again.body["status"] == "cancelled" and not again.changed


# --------------------------------------------------------------------------- operator cancel


def test_the_operator_cancels_after_the_cut_off_frees_the_seat_and_tells_the_shop_once(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    b = w.service.book(w.shop, request(order_ref="ORD-5")).body
    w.clock.advance(**AFTER_CUTOFF)
    out = w.service.cancel_by_operator(b["id"], "van broke down", "anna")
    assert out.status == 200 and out.changed and out.body["status"] == "cancelled"
    assert seats(w) == (0, 0)
    assert w.plans.day(DELIVERY.isoformat()).summary()["bookings"] == 0
    [event] = events(w)
    assert (event.shop_id, event.booking_id, event.type) == (w.shop, b["id"], "booking.cancelled_by_operator")
    payload = json.loads(event.payload_json)
    assert payload == {"booking": out.body, "reason": "van broke down"}
    assert payload["booking"]["planned_eta"] is None and "anna" not in event.payload_json
    # Stamped with the system clock the sender compares with, not the business clock: due at once.
    real_now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    assert event.next_attempt_at == event.created_at and abs(event.created_at - real_now) < dt.timedelta(minutes=10)
    again = w.service.cancel_by_operator(b["id"], "van broke down", "anna")
    assert again.status == 200 and not again.changed and again.body["status"] == "cancelled"
    assert len(events(w)) == 1


def test_the_operator_cancels_a_hold_of_any_shop(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    held = w.service.book(w.other_shop, request(hold=True)).body
    out = w.service.cancel_by_operator(held["id"], "address does not exist", "anna")
    assert out.body["status"] == "cancelled" and seats(w) == (0, 0)
    assert [e.shop_id for e in events(w)] == [w.other_shop]


def test_a_refused_operator_cancel_changes_nothing_and_tells_nobody(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    b = w.service.book(w.shop, request()).body
    err = refused(w.service.cancel_by_operator, "f" * 32, "gone", "anna")
    assert (err.status, err.field, err.reason) == (404, "booking_id", "not_found")
    for blank in ("", "   "):
        err = refused(w.service.cancel_by_operator, b["id"], blank, "anna")
        assert (err.status, err.field, err.reason) == (422, "reason", "required")
    assert refused(w.service.cancel_by_operator, b["id"], "x" * 501, "anna").reason == "too_long"
    assert events(w) == [] and seats(w) == (1, 0) and row(w, b["id"]).status == "confirmed"


def test_the_operator_cancel_and_its_event_are_one_transaction(database_url, gothenburg, monkeypatch):
    w = make_world(database_url, gothenburg)
    b = w.service.book(w.shop, request()).body
    real = bookings_module.outbox.enqueue

    def enqueue_then_crash(session, *args):
        real(session, *args)
        session.flush()  # the event row is written ...
        raise RuntimeError("crash before commit")  # ... and the transaction dies

    monkeypatch.setattr(bookings_module.outbox, "enqueue", enqueue_then_crash)
    with pytest.raises(RuntimeError):
        w.service.cancel_by_operator(b["id"], "van broke down", "anna")
    assert events(w) == [] and seats(w) == (1, 0) and row(w, b["id"]).status == "confirmed"


# --------------------------------------------------------------------------- planned_eta


def publish(world, booking_id: str, **columns) -> None:
    values = dict(planned_plan_id=7, planned_vehicle_id="van-2", planned_arrival_s=18 * 3600 + 42 * 60,
                  eta_start_s=18 * 3600 + 30 * 60, eta_end_s=19 * 3600, planned_at=dt.datetime(2026, 11, 24, 21, 5, 30))
    with world.db.session() as s:
        s.execute(update(Booking).where(Booking.id == booking_id).values(**(values | columns)))


def test_planned_eta_is_null_before_publication_and_shows_the_published_columns(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    b = w.service.book(w.shop, request()).body
    assert b["planned_eta"] is None
    publish(w, b["id"])
    assert w.service.get(w.shop, b["id"]).body["planned_eta"] == {
        "start": "18:30",
        "end": "19:00",
        "arrival": "18:42",
        "plan_version": 7,
        "vehicle_id": "van-2",
        "published_at": "2026-11-24T21:05:30Z",
    }
    assert w.service.list(w.shop)[0]["planned_eta"]["plan_version"] == 7
    w.service.cancel(w.shop, b["id"])
    assert w.service.get(w.shop, b["id"]).body["planned_eta"] is None


def test_a_booking_left_out_of_the_published_plan_has_no_planned_eta(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    b = w.service.book(w.shop, request()).body
    publish(w, b["id"], planned_arrival_s=None, eta_start_s=None, eta_end_s=None, planned_vehicle_id=None)
    assert w.service.get(w.shop, b["id"]).body["planned_eta"] is None


def test_a_move_drops_the_published_eta_of_the_old_place(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    b = w.service.book(w.shop, request()).body
    publish(w, b["id"])
    moved = w.service.reschedule(w.shop, b["id"], date=None, slot="home:08:00-10:00").body
    assert moved["planned_eta"] is None and row(w, b["id"]).planned_plan_id is None
