"""Erasing a customer: the export holds everything, afterwards no table holds the person, the
seats to come are free again and the driven day's scorecard is the same as before."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
from sqlalchemy import select, text

from scheduling.bookings import NewBooking
from scheduling.privacy.export import customer_export
from scheduling.storage.models import Base, Booking, CustomerProfile, DeliveryEventRow, Feedback, SlotCounter
from scenarios.booking_rules import booking_machinery, booking_setup
from scenarios.dispatch.demo import VirtualClock
from scenarios.execution.scorecard import actual_for_day
from scenarios.planning import network_for
from scenarios.privacy.erasure import erase_customer
from tests.scenarios.driven_support import DAY, driven_day_copy

LATER = DAY + dt.timedelta(days=3)


@pytest.fixture(scope="module")
def world(tmp_path_factory, store_copies):
    db, scenario, plan, _info = driven_day_copy(store_copies, tmp_path_factory.mktemp("erasure"))
    network = network_for(scenario)
    clock = VirtualClock(dt.datetime.combine(DAY + dt.timedelta(days=1), dt.time(9, 0), tzinfo=dt.timezone.utc))
    setup = booking_setup(scenario, network, {"BOOKING_CLOCK": clock})
    _plans, service, _offers = booking_machinery(db, scenario, setup)
    with db.session() as s:
        # A delivery rated at a stop of its own (a shared stop's arrival names no single order).
        fb = s.scalars(select(Feedback).where(Feedback.stop_id == Feedback.booking_id).order_by(Feedback.booking_id)).first()
        fb.comment = "The courier was kind"
        past = s.get(Booking, fb.booking_id)
        for e in s.scalars(select(DeliveryEventRow).where(DeliveryEventRow.booking_id == past.id, DeliveryEventRow.type == "delivered")):
            e.recipient = "Astrid Lindqvist"
        who = dict(shop_id=past.shop_id, customer_id=past.customer_id, lat=past.lat, lon=past.lon, address=past.address,
                   past_id=past.id, zone=past.zone)
    future = service.book(who["shop_id"], NewBooking(
        customer_id=who["customer_id"], date=LATER, slot="home:18:00-20:00", lat=who["lat"], lon=who["lon"],
        address="Testgatan 7", instructions="door code 4711", personalization_consent=True))
    assert future.status == 201, future.body
    return dict(cells_before=_every_cell(db), db=db, scenario=scenario, plan=plan, network=network, service=service, setup=setup, who=who,
                future=future.body, card_before=actual_for_day(db, scenario, DAY.isoformat(), network=network))


def _every_cell(db) -> list[str]:
    """Every row of every table as one text (its values in column order, JSON columns as stored)."""
    cells = []
    with db.session() as s:
        for table in Base.metadata.sorted_tables:
            for row in s.execute(select(table)).all():
                cells.append(", ".join(str(v) for v in row if v is not None))
    return cells


_NUMBER = re.compile(r"-?\d+\.\d+")


def _holds_point(cell: str, lat: float, lon: float) -> bool:
    """Whether two neighbouring numbers of ``cell`` are the point, in either order: a row's
    lat, lon columns, a JSON object's "lat"/"lon", a GeoJSON [lon, lat]."""
    numbers = [float(x) for x in _NUMBER.findall(cell)]
    close = lambda a, b: abs(a - b) < 1e-6  # noqa: E731
    return any((close(a, lat) and close(b, lon)) or (close(a, lon) and close(b, lat)) for a, b in zip(numbers, numbers[1:]))


def test_the_export_holds_every_booking_the_profile_the_feedback_and_the_delivery_events(world):
    w = world["who"]
    export = customer_export(world["db"], w["shop_id"], w["customer_id"], "SEK")
    ids = {b["id"] for b in export["bookings"]}
    assert {w["past_id"], world["future"]["id"]} <= ids
    assert export["profile"] is not None and export["personalization_consent"] is True
    assert [f["comment"] for f in export["feedback"]] == ["The courier was kind"]
    assert {e["type"] for e in export["delivery_events"]} >= {"arrived", "delivered"}
    assert any(e["recipient"] == "Astrid Lindqvist" for e in export["delivery_events"])
    assert any(b["instructions"] == "door code 4711" for b in export["bookings"])
    assert customer_export(world["db"], w["shop_id"], "nobody-here", "SEK") is None


def test_after_erasure_no_table_holds_the_customer_and_the_scorecard_is_unchanged(world):
    db, w = world["db"], world["who"]
    # Exported first (the test above); the export itself left no copy in the store.
    erased = erase_customer(world["service"], world["scenario"], w["shop_id"], w["customer_id"], "test", world["network"])
    assert erased is not None and not erased.already
    assert erased.cancelled == 1 and erased.anonymized >= 2 and erased.profile_deleted and erased.plans_changed >= 1
    assert erased.legs_kept > 0

    cells = _every_cell(db)
    token = re.compile(rf"(?<![A-Za-z0-9]){re.escape(w['customer_id'])}(?![A-Za-z0-9])")
    assert not [c for c in cells if token.search(c)], "the customer id is gone from every table"
    for gone in [w["address"], "Testgatan 7", "door code 4711", "The courier was kind", "Astrid Lindqvist"]:
        assert gone and not [c[:80] for c in cells if gone in c], gone
    assert any(_holds_point(c, w["lat"], w["lon"]) for c in world["cells_before"]), "the check finds the point before"
    assert not [c[:80] for c in cells if _holds_point(c, w["lat"], w["lon"])], "the exact place is gone from every table"

    with db.session() as s:
        assert s.scalars(select(CustomerProfile).where(CustomerProfile.customer_id == w["customer_id"])).first() is None
        counter = s.scalars(select(SlotCounter).where(SlotCounter.date == LATER.isoformat(), SlotCounter.slot == "home:18:00-20:00")).all()
        assert sum(c.booked for c in counter) == 0, "the seat to come is free again"
        assert s.get(Booking, world["future"]["id"]).status == "cancelled"
        past = s.get(Booking, w["past_id"])
        assert past.zone == w["zone"] and past.status == "confirmed", "what the scorecards count stays"
        assert past.anonymized_at is not None
        centre = world["setup"].area.zones[w["zone"]].center
        assert (past.lat, past.lon) == (round(centre[0], 6), round(centre[1], 6)), "moved to the centre of its zone"

    after = actual_for_day(db, world["scenario"], DAY.isoformat(), network=world["network"])
    assert dataclasses.asdict(after) == dataclasses.asdict(world["card_before"])


def test_a_second_erasure_is_a_no_op_and_an_unknown_customer_is_not_found(world):
    w = world["who"]
    again = erase_customer(world["service"], world["scenario"], w["shop_id"], w["customer_id"], "test", world["network"])
    assert again is not None and again.already and again.anonymized == 0
    assert erase_customer(world["service"], world["scenario"], w["shop_id"], "never-seen", "test", world["network"]) is None
