"""A booked, planned and published day whose busiest van is driven late on purpose: exactly the
bookings whose re-timed ETA leaves their slot get one ``booking.delay_risk`` each, computed here
independently from the plan's own times."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from scenarios.execution import DeliveryEvent, driven_day, record_event
from scenarios.scenario import load_scenario
from tests.scenarios.booked_day import published_copy
from scheduling.storage.models import Booking, OutboxEvent

DATE = dt.date(2026, 11, 25)
EXTRA_S = 25 * 60  # every delivery takes 25 minutes longer than planned


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("gothenburg")


@pytest.fixture
def published(dialect, store_copies, scenario, tmp_path):
    bench, plan_id = published_copy(store_copies, dialect, scenario, DATE, tmp_path, 30, force=True)
    return bench.db, bench.get_plan(plan_id)


def slot_end(slot: str) -> int:
    h, m = slot.split(":", 1)[1].split("-")[1].split(":")
    return int(h) * 3600 + int(m) * 60


def test_a_van_driven_late_warns_exactly_the_bookings_leaving_their_slot_once_each(published):
    db, plan = published
    route = max(plan.plan["routes"], key=lambda r: len(r["stops"]))
    stops = route["stops"]
    assert len(stops) >= 4
    booking_of = {o.id: o.booking_id for o in plan.orders() if o.booking_id}
    with db.session() as s:
        slot_ends = {b.id: slot_end(b.slot) for b in s.scalars(select(Booking))}
    legs = [stops[0]["arrival_s"] - route["start_s"]] + [stops[k]["arrival_s"] - stops[k - 1]["departure_s"] for k in range(1, len(stops))]
    service = [st["departure_s"] - st["start_s"] for st in stops]

    def late_after(position: int, ready: int) -> set[str]:
        """Bookings of the stops after ``position`` whose service start, leaving at ``ready``, is after their slot."""
        t, late = ready, set()
        for k in range(position + 1, len(stops)):
            begin = max(t + legs[k], stops[k]["window_start_s"])
            t = begin + service[k]
            late |= {booking_of[o] for o in stops[k]["order_ids"] if o in booking_of and begin > slot_ends[booking_of[o]]}
        return late

    expected: set[str] = set()
    n = 0

    def send(type, at_s, stop_id=None):
        nonlocal n
        n += 1
        return record_event(db, "gothenburg", DeliveryEvent(f"late-{n}", DATE.isoformat(), route["vehicle_id"], type, int(at_s), stop_id))

    t = route["start_s"]
    send("departed", t)
    expected |= late_after(-1, t)
    for k, st in enumerate(stops):
        arrival = t + legs[k]
        send("arrived", arrival, st["stop_id"])
        begin = max(arrival, st["window_start_s"])
        expected |= late_after(k, begin + service[k])
        t = begin + service[k] + EXTRA_S
        send("delivered", t, st["stop_id"])
        expected |= late_after(k, t)
    assert expected, "the day must run late enough to leave some slots"
    with db.session() as s:
        warned = [e.booking_id for e in s.scalars(select(OutboxEvent).where(OutboxEvent.type == "booking.delay_risk"))]
        delivered = s.scalars(select(OutboxEvent.booking_id).where(OutboxEvent.type == "booking.delivered")).all()
        payloads = [json.loads(e.payload_json) for e in s.scalars(select(OutboxEvent).where(OutboxEvent.type == "booking.delay_risk"))]
    assert sorted(warned) == sorted(expected)  # each once, and no other booking
    assert all(p["live_eta"] and p["planned_eta"] for p in payloads)
    assert sorted(delivered) == sorted(b for st in stops for o in st["order_ids"] if (b := booking_of.get(o)))
    van = driven_day(db, "gothenburg", DATE.isoformat()).vehicles[route["vehicle_id"]]
    assert all(st.status == "delivered" for st in van.stops)
