"""The retention run: a driven day older than ``retention.personal_days`` loses its personal
fields, keeps its scorecard and its counts per zone, date and slot; a second run changes nothing."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import func, select

from scheduling.storage.models import AuditEntry, Booking, CustomerProfile
from scenarios.booking_rules import booking_setup
from scenarios.dispatch.demo import VirtualClock
from scenarios.execution.scorecard import actual_for_day
from scenarios.planning import network_for
from scenarios.privacy.retention import retention_run
from scenarios.scenario import RetentionSpec
from tests.scenarios.driven_support import DAY, driven_day_copy


def _counts(db) -> list[tuple]:
    with db.session() as s:
        return s.execute(select(Booking.zone, Booking.date, Booking.slot, Booking.status, func.count(), func.sum(Booking.parcels))
                         .group_by(Booking.zone, Booking.date, Booking.slot, Booking.status)
                         .order_by(Booking.zone, Booking.date, Booking.slot, Booking.status)).all()


@pytest.fixture(scope="module")
def driven(tmp_path_factory, store_copies):
    db, scenario, plan, _info = driven_day_copy(store_copies, tmp_path_factory.mktemp("retention"))
    network = network_for(scenario)
    return db, scenario, network, actual_for_day(db, scenario, DAY.isoformat(), network=network), _counts(db)


def _setup(scenario, network, days_after: int):
    clock = VirtualClock(dt.datetime.combine(DAY + dt.timedelta(days=days_after), dt.time(3, 0), tzinfo=dt.timezone.utc))
    return booking_setup(scenario, network, {"BOOKING_CLOCK": clock})


def test_a_day_inside_the_window_is_left_as_it_is(driven):
    db, scenario, network, _card, counts = driven
    report = retention_run(db, scenario, _setup(scenario, network, 30), network)
    assert report.bookings_anonymized == 0 and report.days_anonymized == [] and report.bookings_deleted == 0
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Booking).where(Booking.address.is_not(None))) > 0


def test_a_day_past_the_window_is_anonymized_whole_and_its_scorecard_and_counts_stay(driven):
    db, scenario, network, card, counts = driven
    with db.session() as s:
        total = s.scalar(select(func.count()).select_from(Booking).where(Booking.date == DAY.isoformat()))
    report = retention_run(db, scenario, _setup(scenario, network, 91), network)
    assert report.days_anonymized == [DAY.isoformat()] and report.bookings_anonymized == total
    assert report.plans_changed >= 1 and report.legs_kept > 0 and report.rows_changed >= total
    assert "anonymized" in report.summary()
    with db.session() as s:
        left = s.execute(select(Booking.customer_id, Booking.address, Booking.instructions, Booking.anonymized_at)
                         .where(Booking.date == DAY.isoformat())).all()
        assert all(c.startswith("anon-") and a is None and i is None and t is not None for c, a, i, t in left)
        assert len({c for c, *_ in left}) == len(left), "one pseudonym per booking: nothing links them"
        assert s.scalar(select(func.count()).select_from(CustomerProfile)) == 0, "profiles not refreshed in 90 days go"
        assert s.scalar(select(AuditEntry.detail).where(AuditEntry.action == "retention.run").order_by(AuditEntry.id.desc()).limit(1))
    assert _counts(db) == counts, "the forecast's history (zone, date, slot, counts) is the same"
    after = actual_for_day(db, scenario, DAY.isoformat(), network=network)
    assert dataclasses.asdict(after) == dataclasses.asdict(card)
    again = retention_run(db, scenario, _setup(scenario, network, 92), network)
    assert again.bookings_anonymized == 0 and again.plans_changed == 0


def test_anonymized_history_past_its_window_is_deleted(driven):
    db, scenario, network, _card, _counts_before = driven
    report = retention_run(db, scenario, _setup(scenario, network, 731), network)
    assert report.bookings_deleted > 0
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Booking).where(Booking.date == DAY.isoformat())) == 0


def test_the_anonymized_history_cannot_be_shorter_than_the_personal_window():
    with pytest.raises(ValueError, match="history_days"):
        RetentionSpec(personal_days=90, history_days=30)
