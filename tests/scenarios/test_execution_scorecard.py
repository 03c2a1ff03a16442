"""The actual scorecard of a day as it was driven, read from the store.

The day is the demo's (40 booked orders, planned and published); the driving is written
straight into ``delivery_events`` and ``feedback`` by :func:`tests.scenarios.driven_support.drive`.
The on-time test recomputes every verdict from those rows and the booked slots, without
:mod:`optimizer.actual`.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from scheduling.storage.models import Booking, DeliveryEventRow, SavedPlan
from scenarios.dispatch.dayorders import slot_window
from scenarios.execution.scorecard import NothingPublished, actual_for_day, actual_for_range, load_driven
from tests.scenarios.driven_support import DAY, booked_day_copy, drive, driven_day_copy


@pytest.fixture(scope="module")
def driven(tmp_path_factory, store_copies):
    db, scenario, plan, info = driven_day_copy(store_copies, tmp_path_factory.mktemp("driven"))
    return db, scenario, plan, info, actual_for_day(db, scenario, plan.date)


def test_delivered_failed_and_unserved_add_up_to_the_confirmed_bookings_of_the_date(driven):
    db, _scenario, _plan, info, card = driven
    with db.session() as s:
        confirmed = len(s.scalars(select(Booking.id).where(Booking.date == DAY.isoformat(),
                                                           Booking.status == "confirmed")).all())
    assert confirmed == 40
    assert card.delivered + card.failed + card.unserved == confirmed
    assert card.bookings_delivered + card.bookings_failed + card.bookings_unserved == card.bookings_confirmed == confirmed
    assert card.failed > 0 and card.unserved_by_reason.get("not_reached", 0) >= len(info["never_reached"])


def test_every_on_time_verdict_matches_one_recomputed_from_the_stored_events_and_slots(driven):
    db, _scenario, plan, _info, card = driven
    with db.session() as s:
        rows = s.scalars(select(DeliveryEventRow).where(DeliveryEventRow.date == plan.date)).all()
        bookings = {b.id: b for b in s.scalars(select(Booking).where(Booking.date == plan.date)).all()}
        stored = json.loads(s.get(SavedPlan, plan.id).plan_json)
    orders_at = {st["stop_id"]: st["order_ids"] for r in stored["plan"]["routes"] for st in r["stops"]}
    first: dict[str, tuple[int, str]] = {}  # an order's outcome is recorded once: the first one stands
    for row in sorted(rows, key=lambda r: r.at_s):
        if row.type in ("delivered", "failed"):
            for oid in ([row.order_id] if row.order_id else orders_at[row.stop_id]):
                first.setdefault(oid, (row.at_s, row.type))
    expected = {}
    for oid, (at_s, kind) in first.items():
        if kind == "delivered":
            b = bookings[oid]  # a booked order's id is its booking id
            slot, eta = slot_window(b.slot), (b.eta_start_s, b.eta_end_s)
            expected[oid] = (slot.start <= at_s <= slot.end, eta[0] <= at_s <= eta[1])
    got = {o.booking_id: (o.on_time_slot, o.on_time_eta) for o in card.orders if o.outcome == "delivered"}
    assert got == expected
    assert sum(slot for slot, _ in expected.values()) == card.on_time_slot
    assert 0 < card.on_time_rate < 1  # the late vans made some late, not all


def test_a_van_that_drove_its_route_as_planned_drives_the_planned_km_and_a_broken_down_one_less(driven):
    _db, _scenario, plan, info, card = driven
    by_vehicle = {v["vehicle_id"]: v for v in card.per_vehicle}
    for vid in info["full_routes"]:
        assert by_vehicle[vid]["km"] == pytest.approx(by_vehicle[vid]["planned_km"], abs=0.01)
    broken = [v for v in card.per_vehicle if v["driven"] and v["not_reached"]]
    assert broken and all(v["km"] < v["planned_km"] for v in broken)
    assert card.actual_km < card.planned_km == plan.scorecard["km"]


def test_the_cost_split_prices_the_actual_km_and_hours_with_the_plan_vehicle_costs(driven):
    _db, _scenario, plan, _info, card = driven
    costs = {v["id"]: v for v in plan.plan["vehicles"]}
    for v in (v for v in card.per_vehicle if v["driven"]):
        c = costs[v["vehicle_id"]]
        assert v["cost_transport"] == pytest.approx(v["km"] * c["cost_per_km"], abs=0.05)
        assert v["cost_labour"] == pytest.approx(v["hours"] * c["cost_per_hour"], abs=2.0)
        assert v["cost_fixed"] == c["fixed_cost"]
    assert card.cost_total == pytest.approx(card.cost_transport + card.cost_labour + card.cost_fixed, abs=0.02)
    assert card.planned["cost_total"] == plan.scorecard["cost_total"]


def test_feedback_gives_the_average_rating_and_each_category_share(driven):
    card = driven[-1]
    assert card.feedback_count > 0
    assert 1.0 <= card.rating_average <= 5.0
    assert set(card.feedback_share) == {"late", "damaged", "courier_conduct"}
    assert all(0 < share <= 1 for share in card.feedback_share.values())


def test_zones_and_drivers_split_the_day_without_losing_an_order(driven):
    card = driven[-1]
    assert sum(z["orders"] for z in card.per_zone) == card.orders_total
    assert sum(z["delivered"] for z in card.per_zone) == card.delivered
    assert sum(v["delivered"] + v["failed"] for v in card.per_vehicle) == card.delivered + card.failed


def test_the_price_of_personalization_replans_the_orders_with_the_windows_widened(driven):
    db, scenario, plan, _info, _card = driven
    card = actual_for_day(db, scenario, plan.date, counterfactual=True, time_limit_s=1.0)
    p = card.personalization
    assert p["booked_cost_total"] == plan.scorecard["cost_total"] and p["time_limit_s"] == 1.0
    assert p["flexible_served"] > 0
    # both per-order costs are shown rounded to cents, the difference is taken before rounding
    assert card.extra_cost_per_order == pytest.approx(p["booked_cost_per_order"] - p["flexible_cost_per_order"], abs=0.011)


def test_a_range_gives_the_driven_days_with_weekly_and_monthly_totals_and_names_the_days_skipped(driven):
    db, scenario, plan, _info, card = driven
    report = actual_for_range(db, scenario, "2026-11-20", "2026-11-26")
    assert [d["date"] for d in report.days] == [plan.date]
    assert [w["period"] for w in report.weekly] == ["2026-W48"]
    assert report.monthly[0]["period"] == "2026-11" and report.monthly[0]["delivered"] == card.delivered
    assert report.total["on_time_rate"] == card.on_time_rate
    assert "2026-11-23" in report.skipped and plan.date not in report.skipped


def test_a_date_with_nothing_published_is_refused_with_what_to_do(driven):
    db, scenario, *_ = driven
    with pytest.raises(NothingPublished, match=r"date 2026-11-25: nothing was published .*\(lastmile plan --date 2026-11-25"):
        load_driven(db, scenario.name, "2026-11-25")


def test_bad_range_dates_name_the_option(driven):
    db, scenario, *_ = driven
    with pytest.raises(ValueError, match="from: '2026-13-01' is not a date"):
        actual_for_range(db, scenario, "2026-13-01", "2026-12-02")
    with pytest.raises(ValueError, match="to: 2026-11-01 is before from"):
        actual_for_range(db, scenario, "2026-11-24", "2026-11-01")


def test_the_scorecard_and_the_core_agree_on_every_order_of_a_day_driven_through_record_event(dialect, store_copies, tmp_path):
    from scenarios.execution.day import driven_day

    db, scenario, plan = booked_day_copy(store_copies, dialect, tmp_path)
    drive(db, plan, scenario.name, via_core=True)
    card = actual_for_day(db, scenario, plan.date)
    day = driven_day(db, scenario.name, plan.date)
    core = {o: status for v in day.vehicles.values() for st in v.stops for o, status in st.order_status.items()}
    mine = {o.order_id: ("planned" if o.outcome == "unserved" else o.outcome) for o in card.orders if o.order_id in core}
    assert mine == core
    assert card.delivered + card.failed + card.unserved == card.bookings_confirmed
    with db.session() as s:
        stored = {b.id: b.delivery_status for b in s.scalars(select(Booking).where(Booking.date == plan.date)).all()}
    assert {o.booking_id: o.outcome for o in card.orders if o.outcome != "unserved"} == \
        {b: status for b, status in stored.items() if status is not None}
