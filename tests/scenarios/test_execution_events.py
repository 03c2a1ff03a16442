"""Recording the day as it is driven: events checked against the published plan, outcomes on
the bookings, live ETAs re-timed, one delay-risk event per stop leaving its slot, and every
refusal naming the field while storing nothing."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from scenarios.execution import DeliveryEvent, EventRefused, driven_day, record_event
from scheduling.storage.models import Booking, DeliveryEventRow, OutboxEvent, VehicleOutage
from tests.scenarios.execution_world import DATE, H, M, NOW, ROUTES, booking_of, make_world

SCENARIO = "gothenburg"


@pytest.fixture
def world(database_url):
    return make_world(database_url)


class Van:
    """Sends one van's events with fresh ids."""

    def __init__(self, world, vehicle="V1", source="driver"):
        self.world, self.vehicle, self.source, self.n = world, vehicle, source, 0

    def send(self, type, at_s, stop_id=None, **kw):
        self.n += 1
        kw.setdefault("source", self.source)
        e = DeliveryEvent(id=f"{self.vehicle}-{self.n}", date=DATE, vehicle_id=self.vehicle, type=type, at_s=at_s,
                          stop_id=stop_id, **kw)
        return record_event(self.world.db, SCENARIO, e)


def stored(world):
    """Everything a refusal must leave alone: event rows, outbox rows, the bookings' live columns."""
    with world.db.session() as s:
        return (
            s.scalar(select(func.count()).select_from(DeliveryEventRow)),
            s.scalar(select(func.count()).select_from(OutboxEvent)),
            sorted((b.id, b.live_eta_s, b.at_risk, b.delivery_status, b.delivered_at_s, b.failed_reason)
                   for b in s.scalars(select(Booking))),
        )


def outbox(world, type=None):
    with world.db.session() as s:
        q = select(OutboxEvent).order_by(OutboxEvent.id)
        rows = s.scalars(q.where(OutboxEvent.type == type) if type else q).all()
        return [(r.booking_id, json.loads(r.payload_json)) for r in rows]


def refused(world, event: DeliveryEvent) -> EventRefused:
    before = stored(world)
    with pytest.raises(EventRefused) as caught:
        record_event(world.db, SCENARIO, event)
    assert stored(world) == before
    return caught.value


def ev(type, at_s, stop_id=None, vehicle="V1", id="x1", **kw):
    return DeliveryEvent(id=id, date=DATE, vehicle_id=vehicle, type=type, at_s=at_s, stop_id=stop_id, **kw)


# --------------------------------------------------------------------------- outcomes


def test_a_delivery_sets_the_booking_outcome_and_tells_its_shop(world):
    van = Van(world)
    van.send("departed", 8 * H)
    van.send("arrived", 8 * H + 12 * M, "s1")
    done = van.send("delivered", 8 * H + 14 * M, "s1", recipient="A. Andersson")
    b = world.booking("o1")
    assert not done.duplicate
    assert (b.delivery_status, b.delivered_at_s, b.failed_reason, b.at_risk) == ("delivered", 8 * H + 14 * M, None, False)
    [(booking_id, data)] = outbox(world, "booking.delivered")
    assert booking_id == booking_of("o1") and data["delivered_at"] == "08:14" and data["order_ref"] == "REF-o1"


def test_a_failed_delivery_stores_the_reason_and_offers_the_shop_a_rebooking(world):
    van = Van(world)
    van.send("departed", 8 * H)
    van.send("arrived", 8 * H + 12 * M, "s1")
    van.send("failed", 8 * H + 13 * M, "s1", reason="not_home")
    b = world.booking("o1")
    assert (b.delivery_status, b.failed_reason, b.delivered_at_s) == ("failed", "not_home", None)
    [(booking_id, data)] = outbox(world, "booking.failed")
    assert data["reason"] == "not_home"
    assert data["rebook_offer"] == f"/api/v1/bookings/{booking_id}/rebook-offer"


def test_an_outcome_without_an_order_covers_every_open_order_of_a_shared_stop(world):
    van = Van(world, source="dispatcher")
    van.send("departed", 8 * H)
    van.send("delivered", 12 * H + 5 * M, "s5", order_id="o5a")
    van.send("failed", 12 * H + 6 * M, "s5", reason="damaged")
    assert (world.booking("o5a").delivery_status, world.booking("o5b").delivery_status) == ("delivered", "failed")
    stop = driven_day(world.db, SCENARIO, DATE).vehicles["V1"].stop("s5")
    assert stop.order_status == {"o5a": "delivered", "o5b": "failed"} and stop.status == "partly"
    assert stop.failed_reason == {"o5b": "damaged"}


# --------------------------------------------------------------------------- live ETAs and delay risk


def expected_late(steps) -> list[set[str]]:
    """Independently of the code under test: for each (ready time, position) the set of stops of
    V1 not yet reached whose new service start is after their slot's end."""
    start, _end, stops = ROUTES["V1"]
    out = []
    for ready, position in steps:
        t, late = ready, set()
        prev_dep = start
        for k, (sid, _o, arr, st, dep, (ws, we), _p) in enumerate(stops):
            leg, service = arr - prev_dep, dep - st
            prev_dep = dep
            if k <= position:
                continue
            begin = max(t + leg, ws)
            t = begin + service
            if begin > we:
                late.add(sid)
        out.append(late)
    return out


def test_a_van_driven_late_raises_one_delay_risk_for_exactly_the_stops_leaving_their_slot(world):
    van = Van(world)
    van.send("departed", 8 * H)  # on time: nothing at risk
    van.send("arrived", 8 * H + 10 * M, "s1")
    steps = []
    risky = van.send("delivered", 10 * H + 50 * M, "s1")  # 2 h 40 min at the door
    steps.append((10 * H + 50 * M, 0))
    van.send("arrived", 11 * H, "s2")
    van.send("delivered", 11 * H + 50 * M, "s2")  # long again
    steps.append((11 * H + 50 * M, 1))
    expected = expected_late(steps)
    assert expected[0] and expected[1] - expected[0], "the test day must push new stops out at the second step"
    stop_of = {booking_of(o): sid for sid, oids, *_ in ROUTES["V1"][2] for o in oids}
    events = outbox(world, "booking.delay_risk")
    risk_stops = [stop_of[b] for b, _ in events]
    assert sorted(risk_stops) == sorted(expected[0] | expected[1])  # one each, none twice
    assert sorted(stop_of[b] for b in risky.newly_at_risk) == sorted(expected[0])
    for booking_id, data in events:
        assert data["live_eta"] > data["slot"].split("-")[1] and data["planned_eta"]["start"]
    assert all(stop_of[b] in ("s2", "s3", "s4") for b, _ in events)  # never V2, never the shared stop in its wide slot


def test_live_etas_equal_the_plan_before_departure_and_follow_the_van_after(world):
    van = Van(world)
    day = driven_day(world.db, SCENARIO, DATE)
    assert all(s.live_start_s == s.planned_start_s and s.status == "planned" for v in day.vehicles.values() for s in v.stops)
    van.send("departed", 8 * H + 20 * M)
    assert world.booking("o1").live_eta_s == 8 * H + 30 * M and world.booking("o2").live_eta_s == 8 * H + 45 * M
    assert world.booking("o3").live_eta_s == 10 * H  # the planned wait absorbs the delay
    assert world.booking("o6").live_eta_s is None  # another van: untouched


def test_a_stop_back_inside_its_slot_is_no_longer_at_risk_and_is_not_announced_again(world):
    van = Van(world)
    van.send("departed", 8 * H)
    step = van.send("arrived", 9 * H + 46 * M, "s1")  # leaves 09:51 at the planned pace: s2 at 10:01
    assert step.newly_at_risk == [booking_of("o2")] and world.booking("o2").at_risk
    van.send("delivered", 9 * H + 47 * M, "s1")  # done early: s2 at 09:57
    assert not world.booking("o2").at_risk and world.booking("o2").live_eta_s == 9 * H + 57 * M
    assert len(outbox(world, "booking.delay_risk")) == 1


def test_an_arrived_van_is_at_its_stop_and_stops_it_skipped_come_last(world):
    van = Van(world)
    van.send("departed", 8 * H)
    van.send("arrived", 8 * H + 10 * M, "s2")  # went to s2 first
    v1 = driven_day(world.db, SCENARIO, DATE).vehicles["V1"]
    s1, s2, s3 = v1.stop("s1"), v1.stop("s2"), v1.stop("s3")
    assert s2.status == "arrived" and s2.arrived_s == 8 * H + 10 * M
    assert s3.live_start_s == 10 * H and s1.live_start_s > v1.stop("s5").live_start_s
    assert v1.departed_s == 8 * H and v1.return_leg_s == 20 * M and (v1.depot_lat, v1.depot_lon) == (57.71, 11.95)


# --------------------------------------------------------------------------- resends


def test_a_resend_with_the_same_id_and_content_is_a_harmless_duplicate(world):
    e = ev("departed", 8 * H, id="phone-1")
    assert not record_event(world.db, SCENARIO, e).duplicate
    before = stored(world)
    again = record_event(world.db, SCENARIO, e)
    assert again.duplicate and again.event.type == "departed" and stored(world) == before


def test_a_resend_after_later_events_is_still_a_duplicate_not_a_refusal(world):
    van = Van(world)
    van.send("departed", 8 * H)
    van.send("arrived", 8 * H + 10 * M, "s1")
    van.send("delivered", 8 * H + 12 * M, "s1")
    before = stored(world)
    assert record_event(world.db, SCENARIO, ev("delivered", 8 * H + 12 * M, "s1", id="V1-3")).duplicate
    assert stored(world) == before


def test_the_same_id_with_other_content_is_refused(world):
    record_event(world.db, SCENARIO, ev("departed", 8 * H, id="phone-1"))
    e = refused(world, ev("departed", 8 * H + 60, id="phone-1"))
    assert (e.status, e.field, e.reason) == (409, "id", "id_reused")


# --------------------------------------------------------------------------- refusals


def test_an_event_for_a_stop_of_another_van_is_refused_naming_that_van(world):
    Van(world).send("departed", 8 * H)
    e = refused(world, ev("arrived", 8 * H + 5 * M, "t1"))
    assert (e.status, e.field, e.reason) == (422, "stop_id", "not_on_route")
    assert "V2" in e.message


def test_a_second_delivered_for_the_same_stop_is_refused(world):
    van = Van(world)
    van.send("departed", 8 * H)
    van.send("arrived", 8 * H + 10 * M, "s1")
    van.send("delivered", 8 * H + 12 * M, "s1")
    e = refused(world, ev("delivered", 8 * H + 13 * M, "s1", id="again"))
    assert (e.status, e.field, e.reason) == (409, "stop_id", "already_recorded")
    e = refused(world, ev("failed", 8 * H + 13 * M, "s1", id="again", order_id="o1", reason="other"))
    assert (e.status, e.field, e.reason) == (409, "order_id", "already_recorded")


def test_a_failed_without_a_valid_reason_is_refused(world):
    van = Van(world)
    van.send("departed", 8 * H)
    van.send("arrived", 8 * H + 10 * M, "s1")
    for reason, why in ((None, "required"), ("lazy", "invalid")):
        e = refused(world, ev("failed", 8 * H + 12 * M, "s1", reason=reason))
        assert (e.status, e.field, e.reason) == (422, "reason", why) and "not_home" in e.message


def test_an_event_for_a_date_with_nothing_published_is_refused(world):
    e = refused(world, DeliveryEvent(id="x", date="2026-11-26", vehicle_id="V1", type="departed", at_s=8 * H))
    assert (e.status, e.field, e.reason) == (409, "date", "not_published") and "2026-11-26" in e.message


@pytest.mark.parametrize("event, field, reason", [
    (ev("honked", 8 * H, "s1"), "type", "unknown_type"),
    (ev("departed", 8 * H, vehicle="V9"), "vehicle_id", "not_in_plan"),
    (ev("departed", 8 * H, "s1"), "stop_id", "not_allowed"),
    (ev("arrived", 8 * H), "stop_id", "required"),
    (ev("departed", 8 * H, reason="other"), "reason", "not_allowed"),
    (ev("delivered", 8 * H, "s1", order_id="o2"), "order_id", "not_at_stop"),
    (ev("delivered", 8 * H, "s1", recipient="x" * 81), "recipient", "too_long"),
    (ev("arrived", 8 * H, "s1", recipient="me"), "recipient", "not_allowed"),
    (ev("departed", -5), "at_s", "invalid"),
    (ev("departed", 8 * H, source="phone"), "source", "invalid"),
    (ev("departed", 8 * H, id=""), "id", "invalid"),
])
def test_bad_input_is_refused_naming_the_field(world, event, field, reason):
    e = refused(world, event)
    assert (e.status, e.field, e.reason) == (422, field, reason) and e.message


def test_events_out_of_order_are_refused(world):
    e = refused(world, ev("arrived", 8 * H + 10 * M, "s1"))
    assert (e.status, e.field, e.reason) == (409, "type", "not_departed")
    van = Van(world)
    van.send("departed", 8 * H)
    e = refused(world, ev("delivered", 8 * H + 10 * M, "s1"))
    assert (e.status, e.field, e.reason) == (409, "stop_id", "not_arrived")
    van.send("arrived", 8 * H + 20 * M, "s1")
    e = refused(world, ev("arrived", 8 * H + 15 * M, "s2"))
    assert (e.status, e.field, e.reason) == (409, "at_s", "out_of_order") and "08:20" in e.message
    e = refused(world, ev("departed", 8 * H + 30 * M))
    assert (e.status, e.reason) == (409, "already_recorded")


def test_the_dispatcher_may_record_an_outcome_without_the_arrival(world):
    Van(world).send("departed", 8 * H)
    done = record_event(world.db, SCENARIO, ev("delivered", 8 * H + 11 * M, "s1", source="dispatcher", reported_by="anna"))
    assert not done.duplicate and world.booking("o1").delivery_status == "delivered"
    assert driven_day(world.db, SCENARIO, DATE).vehicles["V1"].stop("s1").arrived_s == 8 * H + 11 * M


def test_a_vehicle_out_of_service_takes_no_events_after_its_outage(world):
    van = Van(world)
    van.send("departed", 8 * H)
    with world.db.session() as s:
        s.add(VehicleOutage(scenario=SCENARIO, date=DATE, vehicle_id="V1", from_s=9 * H, reason="flat tyre", created_at=NOW))
    van.send("arrived", 8 * H + 50 * M, "s1")  # before the outage: fine
    e = refused(world, ev("delivered", 9 * H + 5 * M, "s1"))
    assert (e.status, e.field, e.reason) == (409, "vehicle_id", "out_of_service") and "09:00" in e.message
    assert driven_day(world.db, SCENARIO, DATE).vehicles["V1"].out_of_service_from_s == 9 * H


def test_nothing_published_means_no_driven_day(database_url):
    from scheduling.storage import open_database

    assert driven_day(open_database(database_url), SCENARIO, DATE) is None


def test_the_driven_day_lists_the_events_in_the_order_they_were_recorded(world):
    van, other = Van(world), Van(world, "V2")
    van.send("departed", 8 * H)
    other.send("departed", 7 * H)
    day = driven_day(world.db, SCENARIO, DATE)
    assert [(e.vehicle_id, e.type) for e in day.events] == [("V1", "departed"), ("V2", "departed")]
    assert day.plan_id == world.plan_id and day.publication_id == world.publication_id
    t1 = day.vehicles["V2"].stop("t1")
    assert t1.booking_ids == [booking_of("o6")] and t1.instructions == "ring o6" and t1.eta_window is not None
