"""A dispatcher's day is its confirmed bookings plus an imported file, without duplicates."""

from __future__ import annotations

import datetime as dt

from optimizer.domain import Order, TimeWindow
from scenarios.dispatch.dayorders import DayOrders, merge, slot_window
from scenarios.dispatch.demo import VirtualClock, book_the_day
from scenarios.dispatch.workbench import Workbench
from scenarios.planning import network_for
from scenarios.scenario import load_scenario
from scheduling.storage import open_database

W = TimeWindow(8 * 3600, 10 * 3600)


def booking(i: str, shop: str, ref: str) -> Order:
    return Order(i, 57.7, 11.97, W, source="api", booking_id=i, shop=shop, order_ref=ref)


def row(i: str, shop: str = "", ref: str = "") -> Order:
    return Order(i, 57.7, 11.97, W, source="file", shop=shop, order_ref=ref)


def test_a_file_row_already_booked_by_its_shop_is_left_out_and_reported():
    day = merge([booking("b1", "Shop A", "R1")], [row("x1", "Shop A", "R1"), row("x2", "Shop A", "R2")], source="day.csv")
    assert [o.id for o in day.orders] == ["b1", "x2"]
    assert day.dropped == ["day.csv, line 2: order x1 (shop Shop A, order_ref R1) is booked through the API as booking b1; "
                           "the booking is planned and this row is left out"]


def test_the_same_reference_at_another_shop_is_another_order():
    day = merge([booking("b1", "Shop A", "R1")], [row("x1", "Shop B", "R1")])
    assert [o.id for o in day.orders] == ["b1", "x1"] and not day.dropped


def test_a_file_order_id_equal_to_a_booking_id_is_renamed_so_ids_stay_unique():
    day = merge([booking("b1", "Shop A", "R1")], [row("b1")])
    assert [o.id for o in day.orders] == ["b1", "b1-file"]


def test_the_day_says_where_its_orders_came_from():
    assert DayOrders([booking("b1", "A", "1"), row("x")]).describe() == "1 booked through the API, 1 from an imported file"
    assert DayOrders([row("x")]).describe() == "imported file"
    assert DayOrders([Order("g", 57.7, 11.97, W)]).describe() == "generated orders"


def test_a_slot_id_gives_its_window_in_seconds():
    assert slot_window("home:08:00-10:00") == W
    assert slot_window("pickup:12:00-16:00") == TimeWindow(12 * 3600, 16 * 3600)


def test_once_a_date_has_bookings_the_day_is_the_booked_day_merged_with_the_file(tmp_path):
    scenario = load_scenario("gothenburg")
    db = open_database(f"sqlite:///{tmp_path / 'd.db'}")
    date = dt.date(2026, 11, 25)
    bench = Workbench(db, {"SCENARIO": "gothenburg", "IMPORT_DIR": str(tmp_path / "imports"), "ORDERS_PER_DAY_OVERRIDE": 5})
    assert bench.day_orders(date.isoformat()).describe() == "generated orders"
    book_the_day(db, scenario, date, network_for(scenario), VirtualClock(dt.datetime(2026, 11, 24, 9, tzinfo=dt.timezone.utc)), n_orders=8)
    booked = bench.day_orders(date.isoformat())
    assert booked.count("api") == len(booked.orders) >= 6
    first = booked.orders[0]
    assert first.booking_id == first.id and first.order_ref and first.shop
    text = ("order_id,lat,lon,slot_start,slot_end,shop,order_ref\n"
            f"F1,57.7089,11.9746,10:00,12:00,{first.shop},{first.order_ref}\n"
            "F2,57.7065,11.9680,12:00,14:00,Corner shop,C-9\n")
    bench.import_orders(date.isoformat(), text, "day.csv")
    merged = bench.day_orders(date.isoformat())
    assert merged.count("api") == booked.count("api") and merged.count("file") == 1
    assert len(merged.dropped) == 1 and first.booking_id in merged.dropped[0]
