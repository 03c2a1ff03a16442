"""Publishing the booked day: ETA windows inside the slot, one event per change, nothing
half-published, and every refusal says what to do."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select, update

from optimizer.domain import TimeWindow
from scenarios.dispatch.publication import PublishError, eta_window
from scenarios.scenario import load_scenario
from tests.scenarios.booked_day import after_cutoff as past_cutoff, booked_copy
from scheduling.storage.models import Booking, OutboxEvent, Publication, SavedPlan

DATE = dt.date(2026, 11, 25)  # a Wednesday


# --------------------------------------------------------------------------- the ETA window


@pytest.mark.parametrize("arrival", [8 * 3600, 8 * 3600 + 600, 9 * 3600, 9 * 3600 + 3000, 10 * 3600])
def test_an_eta_window_lies_inside_the_slot_and_contains_the_arrival(arrival):
    slot = TimeWindow(8 * 3600, 10 * 3600)
    w = eta_window(arrival, slot, 3600)
    assert slot.start <= w.start <= arrival <= w.end <= slot.end
    assert w.end - w.start == 3600


def test_an_eta_window_is_centred_where_the_slot_allows_and_never_wider_than_the_slot():
    assert eta_window(9 * 3600, TimeWindow(8 * 3600, 10 * 3600), 3600) == TimeWindow(8 * 3600 + 1800, 9 * 3600 + 1800)
    assert eta_window(9 * 3600, TimeWindow(8 * 3600 + 1800, 9 * 3600 + 1800), 3 * 3600) == TimeWindow(8 * 3600 + 1800, 9 * 3600 + 1800)


# --------------------------------------------------------------------------- a booked day


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("gothenburg")


@pytest.fixture
def day(dialect, store_copies, scenario, tmp_path):
    """30 orders booked by three shops the day before (once per session; each test changes a copy
    of its own); returns (workbench, clock)."""
    return booked_copy(store_copies, dialect, scenario, DATE, tmp_path, 30)


def after_cutoff(clock, scenario) -> None:
    past_cutoff(clock, scenario, DATE)


def counts(db) -> tuple[int, int, int]:
    """(outbox events, bookings with an ETA, publications)."""
    with db.session() as s:
        return (
            s.scalar(select(func.count()).select_from(OutboxEvent)),
            s.scalar(select(func.count()).select_from(Booking).where(Booking.eta_start_s.is_not(None))),
            s.scalar(select(func.count()).select_from(Publication)),
        )


def test_a_published_plan_gives_every_booking_an_eta_and_its_shop_one_planned_event(day, scenario):
    bench, clock = day
    after_cutoff(clock, scenario)
    plan_id = bench.plan(DATE.isoformat(), "anna", 2.0)
    done = bench.publish(DATE.isoformat(), "anna", plan_id=plan_id)
    with bench.db.session() as s:
        rows = s.scalars(select(Booking).where(Booking.status == "confirmed")).all()
        events = s.scalars(select(OutboxEvent)).all()
    planned = [b for b in rows if b.eta_start_s is not None]
    assert done.planned == len(planned) and done.planned + done.unserved == len(rows)
    for b in planned:
        slot = TimeWindow(*[int(h) * 3600 + int(m) * 60 for h, m in (t.split(":") for t in b.slot.split(":", 1)[1].split("-"))])
        assert slot.start <= b.eta_start_s <= b.planned_arrival_s <= b.eta_end_s <= slot.end
        assert b.eta_end_s - b.eta_start_s == min(3600, slot.end - slot.start)
        assert b.planned_plan_id == plan_id
    assert sorted(e.booking_id for e in events if e.type == "booking.planned") == sorted(b.id for b in planned)
    assert all(e.shop_id == next(b.shop_id for b in rows if b.id == e.booking_id) for e in events)
    assert sum(r.planned for r in done.shops.values()) == done.planned


def test_publishing_the_same_plan_again_sends_nothing_new(day, scenario):
    bench, clock = day
    after_cutoff(clock, scenario)
    plan_id = bench.plan(DATE.isoformat(), "anna", 1.0)
    first = bench.publish(DATE.isoformat(), "anna", plan_id=plan_id)
    again = bench.publish(DATE.isoformat(), "anna", plan_id=plan_id)
    assert first.events > 0 and again.events == 0
    assert counts(bench.db)[2] == 2


def test_a_republication_that_moves_an_eta_window_sends_eta_changed_for_that_booking_only(day, scenario):
    bench, clock = day
    after_cutoff(clock, scenario)
    plan_id = bench.plan(DATE.isoformat(), "anna", 1.0)
    bench.publish(DATE.isoformat(), "anna", plan_id=plan_id)
    with bench.db.session() as s:  # the plan now serves one home stop at the very start of its slot
        row = s.get(SavedPlan, plan_id)
        data = json.loads(row.plan_json)
        stops = [st for r in data["plan"]["routes"] for st in r["stops"] if len(st["order_ids"]) == 1]
        booking_of = {o["id"]: o["booking_id"] for o in data["orders"]}
        etas = {b.id: b.eta_start_s for b in s.scalars(select(Booking))}
        stop = next(st for st in stops if etas[booking_of[st["order_ids"][0]]] != st["window_start_s"])
        stop["start_s"] = stop["window_start_s"]
        row.plan_json = json.dumps(data)
    moved = booking_of[stop["order_ids"][0]]
    done = bench.publish(DATE.isoformat(), "anna", plan_id=plan_id)
    with bench.db.session() as s:
        changed = s.scalars(select(OutboxEvent).where(OutboxEvent.type == "booking.eta_changed")).all()
        eta_start = s.get(Booking, moved).eta_start_s
    assert done.events == 1 and [e.booking_id for e in changed] == [moved]
    assert eta_start == stop["window_start_s"]
    assert json.loads(changed[0].payload_json)["planned_eta"]["start"] == f"{eta_start // 3600:02d}:{eta_start % 3600 // 60:02d}"


def test_publishing_before_the_cutoff_is_refused_without_force_and_writes_nothing(day):
    bench, clock = day  # still the morning before: booking is open
    plan_id = bench.plan(DATE.isoformat(), "anna", 1.0)  # planning before the cut-off is a preview
    with pytest.raises(PublishError, match="open until .*--force"):
        bench.publish(DATE.isoformat(), "anna", plan_id=plan_id)
    assert counts(bench.db) == (0, 0, 0)
    done = bench.publish(DATE.isoformat(), "anna", plan_id=plan_id, force=True)
    assert done.planned > 0
    with bench.db.session() as s:
        assert s.scalar(select(Publication.forced)) is True


def test_a_plan_older_than_the_latest_booking_change_is_refused_and_nothing_is_published(day, scenario):
    bench, clock = day
    plan_id = bench.plan(DATE.isoformat(), "anna", 1.0)
    with bench.db.session() as s:  # a booking is cancelled after the plan was made
        victim = s.scalars(select(Booking).where(Booking.status == "confirmed").limit(1)).first()
        s.execute(update(Booking).where(Booking.id == victim.id).values(status="cancelled", updated_at=dt.datetime(2026, 11, 24, 11)))
    after_cutoff(clock, scenario)
    with pytest.raises(PublishError, match="older than the latest booking change.*plan the day again"):
        bench.publish(DATE.isoformat(), "anna", plan_id=plan_id)
    assert counts(bench.db) == (0, 0, 0)


def test_publishing_a_date_without_a_plan_says_to_plan_it_first(day, scenario):
    bench, clock = day
    after_cutoff(clock, scenario)
    with pytest.raises(PublishError, match="there is no plan for 2026-11-25; plan the day first"):
        bench.publish(DATE.isoformat(), "anna")
    assert counts(bench.db) == (0, 0, 0)


def test_a_plan_with_a_booking_served_after_its_slot_needs_force(day, scenario):
    bench, clock = day
    after_cutoff(clock, scenario)
    plan_id = bench.plan(DATE.isoformat(), "anna", 1.0)
    with bench.db.session() as s:  # make one stop late, as a careless hand edit could
        row = s.get(SavedPlan, plan_id)
        data = json.loads(row.plan_json)
        stop = data["plan"]["routes"][0]["stops"][0]
        stop["start_s"] = stop["window_end_s"] + 600
        row.plan_json = json.dumps(data)
    with pytest.raises(PublishError, match="outside their slot"):
        bench.publish(DATE.isoformat(), "anna", plan_id=plan_id)
    assert counts(bench.db) == (0, 0, 0)


def test_a_booking_the_plan_leaves_out_gets_one_unserved_event_with_the_reason(day, scenario):
    bench, clock = day
    after_cutoff(clock, scenario)
    plan_id = bench.plan(DATE.isoformat(), "anna", 1.0)
    plan = bench.get_plan(plan_id)
    stop_id = plan.plan["routes"][0]["stops"][0]["stop_id"]
    edited = bench.edit(plan_id, "anna", "unassign", stop_id)
    done = bench.publish(DATE.isoformat(), "anna", plan_id=edited)
    bench.publish(DATE.isoformat(), "anna", plan_id=edited)  # a second time: no second word of it
    with bench.db.session() as s:
        unserved = s.scalars(select(OutboxEvent).where(OutboxEvent.type == "booking.unserved")).all()
    assert done.unserved >= 1 and len(unserved) == done.unserved
    assert json.loads(unserved[0].payload_json)["reason"] == "unassigned_by_dispatcher"


def test_a_booking_handed_to_a_carrier_gets_no_eta_and_its_shop_hears_which_carrier(day, scenario):
    bench, clock = day
    after_cutoff(clock, scenario)
    from scenarios.scenario import CarrierSpec

    # The same city with a 1 SEK crowd carrier of 3 orders a day: cheaper than any van for them.
    crowd = CarrierSpec(id="crowd", kind="crowd", price_per_parcel=1, daily_limit=3)
    cheap = scenario.spec.model_copy(update={"carriers": [crowd]})
    bench._scenario = type(scenario)(spec=cheap, folder=scenario.folder, customers=scenario.customers,
                                     pickup_points=scenario.pickup_points)
    plan_id = bench.plan(DATE.isoformat(), "anna", 1.0)
    carried = bench.get_plan(plan_id).plan["carrier_orders"]
    assert len(carried) == 3 and {c["carrier_id"] for c in carried} == {"crowd"}
    done = bench.publish(DATE.isoformat(), "anna", plan_id=plan_id)
    with bench.db.session() as s:
        events = s.scalars(select(OutboxEvent).where(OutboxEvent.type == "booking.handed_to_carrier")).all()
        handed = {json.loads(e.payload_json)["booking_id"] for e in events}
        rows = {b.id: b for b in s.scalars(select(Booking).where(Booking.id.in_(handed)))}
    assert done.to_carriers == 3 and len(events) == 3
    assert all(json.loads(e.payload_json)["carrier_kind"] == "crowd" for e in events)
    assert all(rows[b].eta_start_s is None and rows[b].planned_vehicle_id is None for b in handed)
    assert done.planned + done.unserved + done.to_carriers == len(bench.get_plan(plan_id).orders())
