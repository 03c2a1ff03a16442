"""The actual scorecard as a specification, on a hand-made day: two vans, five orders, a street
table of round numbers (1 km and 100 s between any two distinct places)."""

from __future__ import annotations

import pytest

from optimizer.actual import (Event, Rating, TravelTable, actual_scorecard, combine, period_of, period_totals,
                              price_of_personalization)
from optimizer.domain import Order, TimeWindow, Vehicle

SLOT = TimeWindow(8 * 3600, 10 * 3600)
PLACES = ["depot:D", "a", "b", "c", "p", "e"]


def table() -> TravelTable:
    n = len(PLACES)
    dist = [[0 if i == j else 1000 for j in range(n)] for i in range(n)]
    dur = [[0 if i == j else 100 for j in range(n)] for i in range(n)]
    return TravelTable({p: k for k, p in enumerate(PLACES)}, dist, dur)


ORDERS = [
    Order("a", 57.0, 12.0, SLOT, zone="north", booking_id="a", first_choice="08:00-10:00"),
    Order("b", 57.0, 12.0, SLOT, zone="north", booking_id="b", first_choice="10:00-12:00"),
    Order("c", 57.0, 12.0, SLOT, zone="south", booking_id="c"),
    Order("p1", 57.0, 12.0, SLOT, zone="south", booking_id="p1", pickup_point_id="P"),
    Order("p2", 57.0, 12.0, SLOT, zone="south", booking_id="p2", pickup_point_id="P"),
    Order("e", 57.0, 12.0, SLOT, zone="east", booking_id="e"),
]
VANS = [Vehicle("v1", "D", 50, TimeWindow(8 * 3600, 18 * 3600), cost_per_km=4.0, cost_per_hour=300.0, fixed_cost=500.0),
        Vehicle("v2", "D", 50, TimeWindow(8 * 3600, 18 * 3600), cost_per_km=4.0, cost_per_hour=300.0, fixed_cost=500.0)]


def stop(stop_id, order_ids, start_s):
    return {"stop_id": stop_id, "order_ids": list(order_ids), "start_s": start_s}


PLAN = {
    "routes": [
        {"vehicle_id": "v1", "depot_id": "D", "start_s": 28000, "end_s": 36000, "distance_m": 4000,
         "stops": [stop("a", ["a"], 29000), stop("b", ["b"], 30000), stop("c", ["c"], 31000)]},
        {"vehicle_id": "v2", "depot_id": "D", "start_s": 28000, "end_s": 36000, "distance_m": 2000,
         "stops": [stop("p", ["p1", "p2"], 29000)]},
    ],
    "unserved": [{"order_id": "e", "stop_id": "e", "reason": "fleet_full", "detail": ""}],
}
EVENTS = [
    Event("v1", "departed", 28800),
    Event("v1", "arrived", 29500, "b"),  # the driver took b first
    Event("v1", "delivered", 29600, "b", "b"),  # in the slot
    Event("v1", "arrived", 36500, "a"),
    Event("v1", "delivered", 36600, "a", "a"),  # after the slot closed (10:10)
    # c never reached; v2 never left
]


def card(**kw):
    args = dict(date="2026-11-24", plan=PLAN, orders=ORDERS, vehicles=VANS, events=EVENTS, travel=table(),
                confirmed_booking_ids=["a", "b", "c", "p1", "p2", "e", "late-booking"])
    args.update(kw)
    return actual_scorecard(**args)


def test_every_confirmed_booking_is_delivered_failed_or_unserved_and_unserved_says_why():
    c = card()
    assert (c.delivered, c.failed, c.unserved) == (2, 0, 5)
    assert c.delivered + c.failed + c.unserved == c.orders_total == 7 == c.bookings_confirmed
    assert c.unserved_by_reason == {"fleet_full": 1, "not_in_plan": 1, "not_reached": 3}


def test_on_time_is_judged_on_the_delivered_event_against_the_slot_and_the_eta_window():
    etas = {"a": TimeWindow(36000, 37000), "b": TimeWindow(28800, 29000)}
    c = card(eta_windows=etas)
    verdict = {o.order_id: (o.on_time_slot, o.on_time_eta) for o in c.orders if o.outcome == "delivered"}
    assert verdict == {"a": (False, True), "b": (True, False)}
    assert (c.on_time_slot, c.on_time_rate) == (1, 0.5)
    assert (c.eta_counted, c.on_time_eta, c.on_time_eta_rate) == (2, 1, 0.5)


def test_the_actual_km_follow_the_stops_in_the_order_visited_and_hours_run_to_the_last_event_plus_the_way_back():
    v1 = next(v for v in card().per_vehicle if v["vehicle_id"] == "v1")
    assert v1["stops_visited"] == 2 and v1["km"] == 3.0  # depot -> b -> a -> depot
    assert v1["hours"] == round((36600 + 100 - 28800) / 3600, 2)
    assert v1["planned_km"] == 4.0


def test_costs_are_actual_km_hours_and_the_fixed_cost_of_the_vans_that_were_driven():
    c = card()
    hours = (36600 + 100 - 28800) / 3600
    assert c.vehicles_driven == 1 and c.cost_fixed == 500.0
    assert c.cost_transport == 3.0 * 4.0 and c.cost_labour == round(hours * 300.0, 2)
    assert c.cost_total == round(12.0 + hours * 300.0 + 500.0, 2)
    assert c.cost_per_order == round((12.0 + hours * 300.0 + 500.0) / 2, 2)  # over the orders delivered


def test_a_stop_event_without_an_order_decides_the_orders_of_the_stop_still_open():
    events = EVENTS + [Event("v2", "failed", 29000, "p", "p2", "damaged"), Event("v2", "delivered", 29100, "p")]
    c = card(events=events)
    outcome = {o.order_id: (o.outcome, o.reason, o.at_s) for o in c.orders}
    assert outcome["p1"] == ("delivered", None, 29100) and outcome["p2"] == ("failed", "damaged", 29000)
    assert c.failed_by_reason == {"damaged": 1} and c.failed_rate == round(1 / 4, 4)
    assert c.vehicles_driven == 2  # v2 reported stops without a departed event: it was driven


def test_an_order_keeps_its_first_outcome():
    c = card(events=EVENTS + [Event("v1", "failed", 37000, "b", "b", "other")])
    assert next(o for o in c.orders if o.order_id == "b").outcome == "delivered"


def test_rating_is_the_mean_and_each_category_its_share_of_the_feedback():
    fb = [Rating(5, (), "v1", "b"), Rating(2, ("late",), "v1", "a"), Rating(1, ("late", "damaged"), "v1", "a")]
    c = card(feedback=fb)
    assert c.rating_average == round(8 / 3, 3)
    assert c.feedback_by_category == {"damaged": 1, "late": 2}
    assert c.feedback_share == {"damaged": round(1 / 3, 4), "late": round(2 / 3, 4)}
    north = next(z for z in c.per_zone if z["zone"] == "north")
    assert north["feedback_count"] == 3 and north["rating_average"] == round(8 / 3, 3)


def test_a_rating_outside_one_to_five_names_the_field():
    with pytest.raises(ValueError, match="rating: 6 is not between 1 and 5"):
        Rating(6)


def test_preference_match_counts_what_was_delivered():
    c = card()  # a: asked 08:00-10:00, got it; b: asked 10:00-12:00, got 08:00-10:00
    assert c.preference_match_rate == 0.5


def test_the_plan_figures_stand_next_to_the_actual_ones():
    c = card(planned_scorecard={"km": 6.0, "driver_hours": 4.4, "cost_total": 2000.0, "on_time_rate": 1.0})
    assert (c.planned_km, c.planned_hours) == (6.0, 4.4)
    assert c.planned["cost_total"] == 2000.0 and c.planned["on_time_rate"] == 1.0
    d = c.to_dict()
    assert d["planned"]["km"] == 6.0 and d["extra_cost_per_order"] is None


def test_the_price_of_personalization_is_the_extra_cost_per_order_of_the_booked_windows():
    p = price_of_personalization(booked_cost=1200.0, booked_served=10, flexible_cost=900.0, flexible_served=10,
                                 time_limit_s=3.0)
    assert p["extra_cost_per_order"] == 30.0 and p["flexible_cost_per_order"] == 90.0
    assert card(personalization=p).to_dict()["extra_cost_per_order"] == 30.0


def test_a_stop_missing_from_the_travel_table_is_left_out_of_the_distances_with_a_note():
    c = card(events=EVENTS + [Event("v1", "arrived", 37000, "nowhere")])
    assert next(v for v in c.per_vehicle if v["vehicle_id"] == "v1")["km"] == 3.0
    assert c.notes == ["1 stop(s) reported have no place in the travel table and were left out of the distances: nowhere"]


def test_a_place_missing_from_the_travel_table_is_named():
    with pytest.raises(KeyError, match="place 'zz' has no row"):
        table().leg("a", "zz")


def day(date, delivered, on_time, failed, cost, ratings=(), extra=None):
    return {"date": date, "orders_total": delivered + failed, "delivered": delivered, "failed": failed, "unserved": 0,
            "on_time_slot": on_time, "eta_counted": 0, "on_time_eta": 0, "cost_total": cost,
            "feedback_count": len(ratings), "rating_sum": sum(ratings), "failed_by_reason": {"not_home": failed},
            "feedback_by_category": {"late": len(ratings)},
            "personalization": None if extra is None else {"extra_cost_per_order": extra}}


def test_weeks_and_months_sum_the_days_and_recompute_the_rates_from_the_sums():
    days = [day("2026-11-29", 10, 9, 0, 1000.0, (5,), 20.0),  # Sunday, ISO week 48
            day("2026-11-30", 30, 15, 10, 2000.0, (1, 3), 40.0),  # Monday, week 49
            day("2026-12-01", 20, 20, 0, 1000.0)]  # week 49, December
    weeks = period_totals(days, "week")
    assert [w["period"] for w in weeks] == ["2026-W48", "2026-W49"]
    assert weeks[1]["delivered"] == 50 and weeks[1]["on_time_rate"] == round(35 / 50, 4)
    assert weeks[1]["failed_rate"] == round(10 / 60, 4) and weeks[1]["cost_per_order"] == 60.0
    assert weeks[1]["rating_average"] == 2.0 and weeks[1]["extra_cost_per_order"] == 40.0
    months = period_totals(days, "month")
    assert [(m["period"], m["days"], m["delivered"]) for m in months] == [("2026-11", 2, 40), ("2026-12", 1, 20)]
    assert months[0]["extra_cost_per_order"] == round((20.0 * 10 + 40.0 * 30) / 40, 2)
    assert months[0]["failed_by_reason"] == {"not_home": 10}
    total = combine(days, "all")
    assert total["delivered"] == 60 and total["rating_average"] == 3.0 and total["feedback_share"] == {"late": 1.0}


def test_a_period_other_than_week_or_month_is_refused():
    assert period_of("2027-01-01", "week") == "2026-W53"
    with pytest.raises(ValueError, match="period: 'year' is not week or month"):
        period_of("2026-11-24", "year")


def test_a_delivery_in_the_gap_between_an_orders_two_windows_is_not_on_time_and_one_in_the_second_is():
    import dataclasses

    from optimizer.domain import parse_windows

    wins = parse_windows("08:00-08:10|10:00-11:00")  # a and b's customers are out 08:10-10:00
    orders = [dataclasses.replace(o, window=TimeWindow(wins[0].start, wins[-1].end), windows=wins)
              if o.id in ("a", "b") else o for o in ORDERS]
    verdict = {o.order_id: o.on_time_slot for o in card(orders=orders).orders if o.outcome == "delivered"}
    assert verdict == {"a": True, "b": False}  # a at 10:10 in the second window, b at 08:13 in the gap
