"""Importing a dispatcher's order file: all or nothing, one line per problem."""

import pytest

from optimizer.domain import TimeWindow
from scheduling.orders_csv import OrderFileError, PickupPointRef, ServiceTimes, parse_orders

GOOD = """order_id,lat,lon,address,slot_start,slot_end,parcels,tier,bulky
A1,57.70,11.97,Storgatan 1,08:00,10:00,2,gold,no
A2,57.71,11.96,Lilla gatan 3,10:00,12:00,1,,yes
"""


def test_a_good_file_becomes_orders_with_windows_and_service_times():
    orders = parse_orders(GOOD)
    assert [o.id for o in orders] == ["A1", "A2"]
    assert orders[0].window == TimeWindow(8 * 3600, 10 * 3600)
    assert orders[0].tier == "gold" and orders[1].tier == "ordinary"
    st = ServiceTimes()
    assert orders[0].service_s == st.for_order(2, False)
    assert orders[1].service_s == st.for_order(1, True) and orders[1].bulky


def test_missing_columns_are_each_named():
    with pytest.raises(OrderFileError) as err:
        parse_orders("order_id,lat,address\nA1,57.7,x\n")
    assert err.value.problems == [
        "line 1, column lon: required column is missing; add a 'lon' column to the header",
        "line 1, column slot_start: required column is missing; add a 'slot_start' column to the header",
        "line 1, column slot_end: required column is missing; add a 'slot_end' column to the header",
    ]


def test_every_bad_row_is_reported_with_line_and_column_and_nothing_is_returned():
    text = GOOD + "A3,57.7,11.9,,8 am,10:00,1,,\nA4,57.7,11.9,,12:00,11:00,1,,\nA5,57.7,11.9,,08:00,10:00,0,,\n"
    with pytest.raises(OrderFileError) as err:
        parse_orders(text)
    problems = err.value.problems
    assert len(problems) == 3
    assert problems[0].startswith("line 4, column slot_start: '8 am' is not a time of day")
    assert problems[1].startswith("line 5, column slot_end: the slot ends before")
    assert problems[2].startswith("line 6, column parcels:")


def test_duplicate_ids_unknown_tiers_and_unknown_pickup_points_are_refused():
    text = GOOD + "A1,57.7,11.9,,08:00,10:00,1,,\nA6,57.7,11.9,,08:00,10:00,1,diamond,\n"
    text += "A7,,,,08:00,12:00,1,,\n"
    with pytest.raises(OrderFileError) as err:
        parse_orders(text.replace(",tier,bulky", ",tier,bulky,pickup_point_id").replace("1,,\n", "1,,,\n"))
    joined = "\n".join(err.value.problems)
    assert "line 4, column order_id: 'A1' repeats line 2" in joined
    assert "line 5, column tier: unknown tier 'diamond'" in joined
    assert "line 6, column lat/lon: a home delivery needs both lat and lon" in joined


def test_pickup_orders_take_the_points_location():
    text = "order_id,lat,lon,slot_start,slot_end,pickup_point_id\nP1,,,08:00,12:00,pp-x\n"
    orders = parse_orders(text, pickup_points={"pp-x": PickupPointRef("pp-x", 57.71, 11.98, "Brunnsparken")})
    assert (orders[0].lat, orders[0].lon, orders[0].pickup_point_id) == (57.71, 11.98, "pp-x")
    with pytest.raises(OrderFileError, match="unknown pickup point 'pp-x'"):
        parse_orders(text)


def test_an_unreadable_path_is_a_clear_error(tmp_path):
    with pytest.raises(OrderFileError, match="cannot read the file"):
        parse_orders(tmp_path / "missing.csv")
