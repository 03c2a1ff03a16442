"""A van out of service: its unserved stops go to other vans in their slot or are listed with a
reason, nothing served moves, the re-plan is a new published plan version, and a refusal
stores nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from scenarios.execution.disruption import DisruptionError, vehicle_out_of_service
from scenarios.scenario import load_scenario
from tests.scenarios.booked_day import published_copy
from scheduling.storage.models import Booking, DeliveryEventRow, OutboxEvent, Publication, VehicleOutage

DATE = dt.date(2026, 11, 25)
D = DATE.isoformat()


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("gothenburg")


@pytest.fixture
def published(dialect, store_copies, scenario, tmp_path):
    """40 orders booked, planned (2 s) and published (once per session; each test changes a copy of
    its own); returns the workbench."""
    return published_copy(store_copies, dialect, scenario, DATE, tmp_path, 40)[0]


def busiest(bench) -> dict:
    plan = bench.latest_plan(D)
    return max(plan.plan["routes"], key=lambda r: len(r["stops"]))


def report(bench, vehicle_id: str, stops: list[dict], *, n_done: int) -> int:
    """Drivers' events as the core stores them: the van departs and serves its first ``n_done``
    stops on plan time (the last one failed: not home). Returns when the last one was done."""
    rows = []
    at = stops[0]["arrival_s"] - 600
    rows.append(DeliveryEventRow(id=f"{vehicle_id}-dep", type="departed", at_s=at))
    for k, st in enumerate(stops[:n_done]):
        rows.append(DeliveryEventRow(id=f"{vehicle_id}-a{k}", type="arrived", stop_id=st["stop_id"], at_s=st["arrival_s"]))
        kind = "failed" if k == n_done - 1 else "delivered"
        rows.append(DeliveryEventRow(id=f"{vehicle_id}-d{k}", type=kind, stop_id=st["stop_id"], at_s=st["departure_s"],
                                     reason="not_home" if kind == "failed" else None))
        at = st["departure_s"]
    plan_id = bench.latest_plan(D).id
    with bench.db.session() as s:
        for r in rows:
            r.scenario, r.date, r.plan_id, r.vehicle_id = "gothenburg", D, plan_id, vehicle_id
            r.source, r.received_at = "simulation", dt.datetime(2026, 11, 25, 8)
            s.add(r)
    return at


def test_every_unserved_stop_of_the_broken_van_is_on_another_van_in_its_slot_or_listed_with_a_reason(published):
    bench = published
    route = busiest(bench)
    van = route["vehicle_id"]
    assert len(route["stops"]) >= 4
    at = report(bench, van, route["stops"], n_done=2)
    before = bench.latest_plan(D)
    served_before = {st["stop_id"]: (r["vehicle_id"], st["start_s"]) for r in before.plan["routes"] for st in r["stops"]}

    # What is checked below holds for any re-plan, however short its search: 1 s is enough.
    replan = vehicle_out_of_service(bench.db, "gothenburg", D, van, at + 60, "flat tyre", "anna", time_limit_s=1)

    after = bench.latest_plan(D)
    assert after.id == replan.plan_id and after.parent_id == before.id and after.kind == "replan"
    where = {st["stop_id"]: (r["vehicle_id"], st) for r in after.plan["routes"] for st in r["stops"]}
    remaining = [st["stop_id"] for st in route["stops"][2:]]
    risky = {a.stop_id: a for a in replan.at_risk}
    for sid in remaining:
        if sid in risky:
            assert risky[sid].reason and "out of service" in risky[sid].detail
            assert sid not in where
        else:
            vehicle, st = where[sid]
            assert vehicle != van
            assert st["window_start_s"] <= st["start_s"] <= st["window_end_s"]
            assert st["start_s"] >= at + 60  # nothing is planned before the van broke down
    assert replan.moved, replan.summary()
    assert {m.stop_id for m in replan.moved} | {a.stop_id for a in replan.at_risk if a.vehicle_id == van} == set(remaining)
    for a in replan.at_risk:  # another van's own stop can lose its place to a rescued one: listed too
        assert a.reason and a.detail
    # Served stops stay on their van at their time.
    assert replan.served == [st["stop_id"] for st in route["stops"][:2]]
    for sid in replan.served:
        assert where[sid][0] == van and where[sid][1]["start_s"] == served_before[sid][1]
    assert [st["stop_id"] for st in after.route(van)["stops"]] == replan.served


def test_a_re_plan_keeps_the_breaks_already_taken_and_asks_only_for_the_rest():
    from optimizer.domain import RouteBreak
    from scenarios.execution.disruption import _breaks_taken

    route = {"breaks": [{"after_stops": 3, "start_s": 39_600, "end_s": 41_400},
                        {"after_stops": 9, "start_s": 54_000, "end_s": 54_900}]}
    assert _breaks_taken(route, 5, 45_000) == [RouteBreak(3, 39_600, 41_400)]  # lunch behind it, the tea break not
    assert _breaks_taken(route, 2, 45_000) == []  # stop 3 not yet served: its lunch is still ahead
    assert _breaks_taken(None, 5, 45_000) == [] and _breaks_taken({"breaks": None}, 5, 45_000) == []


def test_the_re_plan_is_published_with_replanned_and_at_risk_events_and_the_outage_is_stored(published):
    bench = published
    route = busiest(bench)
    van = route["vehicle_id"]
    at = report(bench, van, route["stops"], n_done=1)
    with bench.db.session() as s:
        first_event = s.scalar(select(func.max(OutboxEvent.id)))

    replan = vehicle_out_of_service(bench.db, "gothenburg", D, van, at + 60, "engine", "anna", time_limit_s=1)

    with bench.db.session() as s:
        pub = s.scalars(select(Publication).order_by(Publication.id.desc())).first()
        assert pub.id == replan.publication_id and pub.plan_id == replan.plan_id
        events = s.scalars(select(OutboxEvent).where(OutboxEvent.id > first_event)).all()
        outage = s.scalars(select(VehicleOutage)).one()
        assert (outage.vehicle_id, outage.from_s, outage.reason, outage.created_by) == (van, at + 60, "engine", "anna")
        assert {e.type for e in events} <= {"booking.replanned", "booking.at_risk"}
        at_risk_ids = {b for a in replan.at_risk for b in a.booking_ids}
        assert {e.booking_id for e in events if e.type == "booking.at_risk"} == at_risk_ids
        for e in events:
            if e.type == "booking.at_risk":
                assert "out of service" in json.loads(e.payload_json)["detail"]
        moved_ids = {b for m in replan.moved for b in m.booking_ids}
        for b in s.scalars(select(Booking).where(Booking.id.in_(moved_ids))).all():
            assert b.planned_plan_id == replan.plan_id and b.planned_vehicle_id != van
    assert replan.events == len(events)
    assert van in replan.summary()


def test_a_refused_disruption_names_the_field_and_stores_nothing(published):
    bench = published
    van = busiest(bench)["vehicle_id"]
    with pytest.raises(DisruptionError) as bad:
        vehicle_out_of_service(bench.db, "gothenburg", D, "VAN-99", 12 * 3600, "", "anna")
    assert bad.value.field == "vehicle" and bad.value.status == 404 and "VAN-99" in str(bad.value)
    with pytest.raises(DisruptionError) as bad:
        vehicle_out_of_service(bench.db, "gothenburg", "2026-11-26", van, 12 * 3600, "", "anna")
    assert bad.value.field == "date" and "publish" in str(bad.value)
    with bench.db.session() as s:
        assert s.scalar(select(func.count()).select_from(VehicleOutage)) == 0
    vehicle_out_of_service(bench.db, "gothenburg", D, van, 12 * 3600, "ill", "anna", time_limit_s=1)
    plans = len(bench.plans_for(D))
    with pytest.raises(DisruptionError) as again:
        vehicle_out_of_service(bench.db, "gothenburg", D, van, 13 * 3600, "ill", "anna", time_limit_s=1)
    assert again.value.status == 409 and "already out of service" in str(again.value)
    assert len(bench.plans_for(D)) == plans


def test_a_van_with_nothing_left_to_serve_is_out_of_service_without_a_new_plan(published):
    bench = published
    plan = bench.latest_plan(D)
    idle = next((v for v in bench.vehicle_ids() if plan.route(v) is None), None)
    if idle is None:
        pytest.skip("every van has a route on this day")
    replan = vehicle_out_of_service(bench.db, "gothenburg", D, idle, 9 * 3600, "no driver", "anna")
    assert replan.plan_id is None and replan.moved == [] and "no stops left" in replan.summary()
    assert bench.latest_plan(D).id == plan.id
    with bench.db.session() as s:
        assert s.scalar(select(func.count()).select_from(VehicleOutage)) == 1


def test_the_page_form_names_a_bad_time_and_stores_nothing(published):
    from scenarios.execution.disruption import out_of_service_from_form

    van = busiest(published)["vehicle_id"]
    with pytest.raises(DisruptionError) as bad:
        out_of_service_from_form(published.db, "gothenburg", D, van, "noon", "x", "anna")
    assert bad.value.field == "from" and "HH:MM" in str(bad.value)
    with published.db.session() as s:
        assert s.scalar(select(func.count()).select_from(VehicleOutage)) == 0
