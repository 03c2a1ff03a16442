"""Driving a published day without drivers: every event through the drivers' code path, the
same events for the same seed, not-at-home failures as asked, and a breakdown re-planned."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from scenarios.execution.simulate import DriveError, drive
from scenarios.scenario import load_scenario
from scheduling.storage import open_database
from scheduling.storage.models import Booking, DeliveryEventRow, VehicleOutage
from tests.scenarios.booked_day import published_copy

DATE = dt.date(2026, 11, 25)
D = DATE.isoformat()


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("gothenburg")


def published_day(store_copies, dialect: str, scenario, tmp_path, n_orders: int, **plan):
    """``n_orders`` booked the day before, planned and published after the cut-off (built once per
    session by :func:`tests.scenarios.booked_day.published_copy`): a copy of its own; the workbench."""
    return published_copy(store_copies, dialect, scenario, DATE, tmp_path, n_orders, **plan)[0]


def stored(db) -> list[tuple]:
    with db.session() as s:
        return [tuple(r) for r in s.execute(
            select(DeliveryEventRow.id, DeliveryEventRow.vehicle_id, DeliveryEventRow.type, DeliveryEventRow.stop_id,
                   DeliveryEventRow.at_s, DeliveryEventRow.reason, DeliveryEventRow.source).order_by(DeliveryEventRow.id)).all()]


def outcomes(db) -> dict[str, str | None]:
    with db.session() as s:
        return dict(s.execute(select(Booking.id, Booking.delivery_status).where(Booking.status == "confirmed")).all())


def test_a_driven_day_records_every_booking_s_outcome_through_the_core_as_a_simulation(dialect, store_copies, scenario, tmp_path):
    bench = published_day(store_copies, dialect, scenario, tmp_path, 30, force=True)  # the store of test_execution_driven_late
    report = drive(bench.db, "gothenburg", D, seed=3, not_home_share=0.2)
    assert report.refused == []
    rows = stored(bench.db)
    assert len(rows) == report.events and {r[6] for r in rows} == {"simulation"}
    done = outcomes(bench.db)
    assert done and all(v in ("delivered", "failed") for v in done.values()), "every planned booking has an outcome"
    assert report.delivered + sum(report.failed.values()) == len(done)
    assert set(report.failed) == {"not_home"}
    again = drive(bench.db, "gothenburg", D, seed=3, not_home_share=0.2)
    assert again.events == 0 and again.duplicates == len(rows)  # the same seed records nothing twice


def test_the_same_seed_gives_the_same_day_and_another_seed_another(store_copies, scenario, tmp_path):
    days = []
    for k, seed in enumerate((7, 7, 8)):  # the same published plan, three times
        db = published_day(store_copies, "sqlite", scenario, tmp_path / f"d{k}", 20, time_limit_s=1.0).db
        drive(db, "gothenburg", D, seed=seed)
        days.append(stored(db))
    assert days[0] == days[1] and days[0]
    assert days[0] != days[2]


def test_nobody_at_home_fails_every_home_stop_and_nobody_missing_fails_none(store_copies, scenario, tmp_path):
    bench = published_day(store_copies, "sqlite", scenario, tmp_path, 20, time_limit_s=1.0)
    report = drive(bench.db, "gothenburg", D, seed=1, not_home_share=0.0, travel_noise=0.0, service_noise=0.0)
    assert report.failed == {} and report.delivered > 0


def test_a_breakdown_stops_the_van_re_plans_its_stops_and_the_others_serve_them(dialect, store_copies, scenario, tmp_path):
    bench = published_day(store_copies, dialect, scenario, tmp_path, 40)  # the store of test_execution_disruption
    route = max(bench.latest_plan(D).plan["routes"], key=lambda r: len(r["stops"]))
    van, at = route["vehicle_id"], route["stops"][2]["departure_s"] + 120
    report = drive(bench.db, "gothenburg", D, seed=5, not_home_share=0.0, breakdown=(van, at), replan_time_limit_s=1)
    assert report.refused == [], report.summary()
    replan = report.replan
    assert replan is not None and replan.plan_id in report.plan_ids
    with bench.db.session() as s:
        assert s.scalar(select(func.count()).select_from(VehicleOutage).where(VehicleOutage.vehicle_id == van)) == 1
        late_events = s.scalar(select(func.count()).select_from(DeliveryEventRow).where(
            DeliveryEventRow.vehicle_id == van, DeliveryEventRow.at_s >= at))
        assert late_events == 0  # nothing happens on a broken van
    at_risk = {b for a in replan.at_risk for b in a.booking_ids}
    for booking_id, status in outcomes(bench.db).items():
        assert status == "delivered" or booking_id in at_risk


def test_a_day_with_nothing_published_or_a_bad_share_is_refused_before_anything_is_recorded(scenario, tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(DriveError) as nothing:
        drive(db, "gothenburg", D)
    assert nothing.value.field == "date" and "publish" in str(nothing.value)
    with pytest.raises(DriveError) as share:
        drive(db, "gothenburg", D, not_home_share=1.5)
    assert share.value.field == "not_home"
    assert stored(db) == []
