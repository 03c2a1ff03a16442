"""Importing a dispatcher's order file: all or nothing, one line per problem."""

import dataclasses

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


# --------------------------------------------------------------------------- what spreadsheets save

import codecs  # noqa: E402

from scheduling.orders_csv import DEFAULT_MAX_ORDERS_PER_DAY, FIELD_LIMIT, decode_order_file  # noqa: E402

SWEDISH = "order_id,lat,lon,address,slot_start,slot_end\nS1,57.70,11.97,Götgatan 1,08:00,10:00\n"


@pytest.mark.parametrize(
    "raw, encoding",
    [
        (SWEDISH.encode("utf-8"), "UTF-8"),
        (codecs.BOM_UTF8 + SWEDISH.encode("utf-8"), "UTF-8"),
        (SWEDISH.encode("utf-16"), "UTF-16"),  # with its byte-order mark, as Excel's "Unicode text"
        (SWEDISH.encode("utf-16-le"), "UTF-16"),  # without one
        (SWEDISH.encode("cp1252"), "Windows-1252"),  # Excel's plain "CSV" on Western European Windows
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-bom", "utf-16-le-no-bom", "cp1252"],
)
def test_files_in_the_encodings_spreadsheets_save_are_read_with_their_letters(raw, encoding):
    text, found = decode_order_file(raw)
    assert found == encoding
    assert parse_orders(text)[0].address == "Götgatan 1"


def test_a_file_path_is_decoded_the_same_way(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_bytes(SWEDISH.replace(",", "\t").encode("utf-16"))  # Excel's "Unicode text": UTF-16, tabs
    assert parse_orders(path)[0].address == "Götgatan 1"


@pytest.mark.parametrize(
    "raw, problem",
    [
        (b"order_id,lat\n\x81\x8d\x8f\n", "line 2: byte 14 (0x81) is neither UTF-8 nor Windows-1252 text; save it"),
        (codecs.BOM_UTF16_LE + b"o\x00r", "is not UTF-16 text"),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "line 1: this is a spreadsheet workbook (.xlsx or .xls)"),
        (b"order_id,lat\n\x00\x01\x02\x00\x00\x07", "line 2: the file contains NUL bytes, so it is not a CSV text file"),
    ],
    ids=["neither-utf8-nor-cp1252", "truncated-utf16", "an-xlsx-file", "binary"],
)
def test_bytes_that_are_no_text_are_refused_with_the_line_and_the_fix(raw, problem):
    with pytest.raises(OrderFileError) as err:
        decode_order_file(raw, "orders.csv")
    assert problem in err.value.problems[0] and "CSV UTF-8" in err.value.problems[0]


def test_a_semicolon_file_with_decimal_commas_is_read_as_european_excel_saves_it():
    text = "order_id;lat;lon;address;slot_start;slot_end;parcels\nE1;57,70;11,97;Storgatan 1, 2 tr;08:00;10:00;2\n"
    order = parse_orders(text)[0]
    assert (order.lat, order.lon, order.address, order.parcels) == (57.70, 11.97, "Storgatan 1, 2 tr", 2)


def test_a_file_whose_header_uses_an_unknown_delimiter_and_names_says_so():
    with pytest.raises(OrderFileError) as err:
        parse_orders("id;breddgrad;längdgrad\n1;57,7;11,9\n")
    assert err.value.problems[-1].startswith("line 1: the file uses ';' between fields, but none of its header names")


def test_a_field_over_128_kb_refuses_the_file_with_its_line_and_column():
    text = GOOD + 'A3,57.7,11.9,"' + "x" * (FIELD_LIMIT + 1) + '",08:00,10:00,1,,\n'
    with pytest.raises(OrderFileError) as err:
        parse_orders(text)
    assert err.value.problems == [
        "line 4, column address: the field is longer than 131,072 characters (128 KB); no order needs that much, "
        "check the file is the order CSV"
    ]


def test_a_file_of_more_orders_than_a_day_may_have_is_refused_before_its_rows_are_checked(monkeypatch):
    header = "order_id,lat,lon,slot_start,slot_end\n"
    rows = "".join(f"N{i},57.7,11.9,08:00,10:00\n" for i in range(DEFAULT_MAX_ORDERS_PER_DAY + 1))
    with pytest.raises(OrderFileError) as err:
        parse_orders(header + rows)
    assert err.value.problems == [
        f"line {DEFAULT_MAX_ORDERS_PER_DAY + 2}: 5,001 orders for one day is more than the 5,000 allowed; split them into "
        "smaller days, or raise the limit with LASTMILE_MAX_ORDERS_PER_DAY (the travel-time matrices grow with the square "
        "of the orders)"
    ]
    monkeypatch.setenv("LASTMILE_MAX_ORDERS_PER_DAY", "2")
    with pytest.raises(OrderFileError, match="line 4: 3 orders for one day is more than the 2 allowed"):
        parse_orders(header + "".join(f"N{i},57.7,11.9,08:00,10:00\n" for i in range(3)))
    monkeypatch.setenv("LASTMILE_MAX_ORDERS_PER_DAY", "lots")
    with pytest.raises(OrderFileError, match="LASTMILE_MAX_ORDERS_PER_DAY='lots' is not a whole number >= 1"):
        parse_orders(GOOD)


def test_an_order_file_written_with_neutralized_cells_reads_back_as_it_was(tmp_path):
    from scheduling.orders_csv import write_orders_csv

    orders = parse_orders(GOOD.replace("Storgatan 1", '"=HYPERLINK(""http://evil.example"",""x"")"'))
    path = tmp_path / "again.csv"
    write_orders_csv(orders, path)
    assert "'=HYPERLINK" in path.read_text(encoding="utf-8")
    assert parse_orders(path)[0].address == '=HYPERLINK("http://evil.example","x")'


CARGO = """order_id,lat,lon,slot_start,slot_end,weight_kg,volume_l,skills
S1,57.70,11.97,08:00,10:00,85.5,2400,two_person|installation
S2,57.71,11.96,10:00,12:00,,,
S3,57.71,11.96,10:00,12:00,3,12,cold_chain
"""


def test_weight_volume_and_skills_are_read_and_installation_lengthens_the_service():
    s1, s2, s3 = parse_orders(CARGO, service=ServiceTimes(installation_s=2400))
    assert (s1.weight_kg, s1.volume_l, s1.skills) == (85.5, 2400.0, ("installation", "two_person"))
    assert (s2.weight_kg, s2.volume_l, s2.skills) == (0.0, 0.0, ())  # empty: weighs nothing, needs nothing
    assert s3.skills == ("cold_chain",)
    assert s1.service_s == ServiceTimes().for_order(1, False) + 2400
    assert s3.service_s == ServiceTimes().for_order(1, False)


def test_a_negative_weight_a_bad_volume_and_an_unknown_skill_are_refused_with_line_and_column():
    text = CARGO + "S4,57.7,11.9,08:00,10:00,-3,lots,freezer\n"
    with pytest.raises(OrderFileError) as err:
        parse_orders(text)
    assert err.value.problems == [
        "line 5, column weight_kg: must be a number of kilograms from 0 to 100,000 (such as 12.5), or empty for 0 (got '-3')",
        "line 5, column volume_l: must be a number of litres from 0 to 1,000,000 (such as 12.5), or empty for 0 (got 'lots')",
        "line 5, column skills: unknown skill 'freezer'; use one of two_person, cold_chain, installation "
        "(several separated by |) (got 'freezer')",
    ]


def test_a_european_file_may_write_weights_with_a_decimal_comma():
    (order,) = parse_orders("order_id;lat;lon;slot_start;slot_end;weight_kg\nA1;57,7;11,9;08:00;10:00;12,5\n")
    assert order.weight_kg == 12.5


def test_weights_volumes_and_skills_survive_a_written_order_file(tmp_path):
    from scheduling.orders_csv import write_orders_csv

    path = tmp_path / "day.csv"
    write_orders_csv(parse_orders(CARGO), path)
    again = parse_orders(path)
    assert [(o.weight_kg, o.volume_l, o.skills) for o in again] == [(o.weight_kg, o.volume_l, o.skills) for o in parse_orders(CARGO)]


WINDOWS = """order_id,lat,lon,slot_start,slot_end,windows,max_late_min,late_cost_per_min,tier
W1,57.70,11.97,,,08:00-10:00|17:00-19:00,,,
W2,57.71,11.96,08:00,20:00,17:00-19:00 | 08:00-10:00,,,
L1,57.71,11.96,08:00,10:00,,15,"2,5",gold
L2,57.71,11.96,08:00,10:00,,0,,
"""


def test_several_windows_and_soft_windows_are_read():
    w1, w2, l1, l2 = parse_orders(WINDOWS)
    h = 3600
    assert w1.windows == (TimeWindow(8 * h, 10 * h), TimeWindow(17 * h, 19 * h))
    assert w1.window == TimeWindow(8 * h, 19 * h)  # the hull
    assert w1.slot_label == "08:00-10:00|17:00-19:00"
    assert w2.windows == w1.windows  # in time order, inside the given slot
    assert (w1.max_late_s, w1.late_cost_per_min) == (None, None)  # empty: the tier's
    assert (l1.max_late_s, l1.late_cost_per_min, l1.windows) == (900, 2.5, ())
    assert (l2.max_late_s, l2.late_cost_per_min) == (0, None)  # 0: a hard window whatever the tier


def test_a_window_list_that_does_not_parse_is_refused_naming_the_line_and_column():
    text = WINDOWS + (
        "B1,57.7,11.9,,,08:00-10:00|17:00,,,\n"
        "B2,57.7,11.9,,,08:00-10:00|09:30-11:00,,,\n"
        "B3,57.7,11.9,,,10:00-08:00,,,\n"
        "B4,57.7,11.9,09:00,12:00,08:00-10:00|11:00-12:00,,,\n"
        "B5,57.7,11.9,,,,,,\n"
        "B6,57.7,11.9,08:00,10:00,,ten,-1,\n"
    )
    with pytest.raises(OrderFileError) as err:
        parse_orders(text)
    assert err.value.problems == [
        "line 6, column windows: '17:00' is not a window; write each as HH:MM-HH:MM, several separated by | "
        "(for example 08:00-10:00|17:00-19:00) (got '08:00-10:00|17:00')",
        "line 7, column windows: the window 09:30-11:00 overlaps or touches 08:00-10:00; write them as one window "
        "(got '08:00-10:00|09:30-11:00')",
        "line 8, column windows: window '10:00-08:00' ends before (or when) it starts (got '10:00-08:00')",
        "line 9, column windows: 08:00-10:00|11:00-12:00 do not lie inside the slot 09:00-12:00; leave "
        "slot_start/slot_end empty or widen them",
        "line 10, column slot_start: required (HH:MM), unless the order has windows",
        "line 11, column max_late_min: must be a whole number of minutes from 0 to 1440 (such as 15), or empty for "
        "the tier's (got 'ten')",
        "line 11, column late_cost_per_min: must be an amount of currency per minute from 0 to 1,000,000 "
        "(such as 2.5), or empty for the tier's (got '-1')",
    ]


def test_several_windows_are_for_home_deliveries():
    points = {"PP1": PickupPointRef("PP1", 57.7, 11.9, "Kiosk")}
    text = "order_id,lat,lon,slot_start,slot_end,pickup_point_id,windows\nP1,,,,,PP1,08:00-10:00|17:00-19:00\n"
    with pytest.raises(OrderFileError) as err:
        parse_orders(text, pickup_points=points)
    assert err.value.problems == ["line 2, column windows: several windows are for home deliveries; a pickup-point "
                                  "order has one slot (slot_start, slot_end)"]


def test_windows_and_lateness_survive_a_written_order_file(tmp_path):
    from scheduling.orders_csv import write_orders_csv

    path = tmp_path / "day.csv"
    write_orders_csv(parse_orders(WINDOWS), path)
    again = parse_orders(path)
    fields = [(o.window, o.windows, o.max_late_s, o.late_cost_per_min) for o in again]
    assert fields == [(o.window, o.windows, o.max_late_s, o.late_cost_per_min) for o in parse_orders(WINDOWS)]


def test_a_ready_time_says_when_the_parcels_reach_the_depot_and_a_bad_one_names_its_line_and_column(tmp_path):
    from scheduling.orders_csv import write_orders_csv

    late, early = parse_orders("order_id,lat,lon,slot_start,slot_end,ready_at\nA1,57.7,11.9,14:00,16:00,11:30\n"
                               "A2,57.7,11.9,08:00,10:00,\n")
    assert (late.ready_s, early.ready_s) == (11 * 3600 + 1800, None)
    write_orders_csv([late, early], tmp_path / "o.csv")
    assert [o.ready_s for o in parse_orders((tmp_path / "o.csv").read_text())] == [late.ready_s, None]
    with pytest.raises(OrderFileError) as err:
        parse_orders("order_id,lat,lon,slot_start,slot_end,ready_at\nA1,57.7,11.9,14:00,16:00,noon\n")
    assert err.value.problems[0].startswith("line 2, column ready_at: 'noon' is not a time of day; write it as HH:MM")


def test_a_return_is_read_kept_through_a_written_file_and_a_bad_kind_names_its_line_and_column(tmp_path):
    from scheduling.orders_csv import write_orders_csv

    back, out = parse_orders("order_id,lat,lon,slot_start,slot_end,kind\nR1,57.7,11.9,14:00,16:00,Return\n"
                             "D1,57.7,11.9,08:00,10:00,\n")
    assert (back.kind, back.is_return, out.kind) == ("return", True, "delivery")
    write_orders_csv([back, out], tmp_path / "o.csv")
    assert [o.kind for o in parse_orders((tmp_path / "o.csv").read_text())] == ["return", "delivery"]
    with pytest.raises(OrderFileError) as err:
        parse_orders("order_id,lat,lon,slot_start,slot_end,kind\nR1,57.7,11.9,14:00,16:00,pickup\n")
    assert err.value.problems == ["line 2, column kind: 'pickup' is not an order kind; use one of delivery, return, "
                                  "pickup_delivery (got 'pickup')"]


PAIR_HEADER = "order_id,lat,lon,slot_start,slot_end,kind,pickup_lat,pickup_lon,pickup_address,pickup_window\n"


def test_a_pickup_and_delivery_order_is_read_and_kept_through_a_written_file(tmp_path):
    from scheduling.orders_csv import write_orders_csv

    (job,) = parse_orders(PAIR_HEADER + "J1,57.70,11.97,16:00,18:00,pickup_delivery,57.71,11.95,Shop 1,14:00-15:00\n")
    assert (job.kind, job.is_pair, job.pickup_lat, job.pickup_lon) == ("pickup_delivery", True, 57.71, 11.95)
    assert (job.pickup_address, job.pickup_window) == ("Shop 1", TimeWindow(14 * 3600, 15 * 3600))
    write_orders_csv([job], tmp_path / "o.csv")
    assert parse_orders((tmp_path / "o.csv").read_text()) == [dataclasses.replace(job, source="file")]
    (any_time,) = parse_orders(PAIR_HEADER + "J2,57.70,11.97,16:00,18:00,pickup_delivery,57.71,11.95,,\n")
    assert any_time.pickup_window is None  # any time of the shift


@pytest.mark.parametrize(("row", "problem"), [
    ("J,57.7,11.97,16:00,18:00,pickup_delivery,,11.95,,",
     "line 2, column pickup_lat: a pickup_delivery order needs pickup_lat and pickup_lon"),
    ("J,57.7,11.97,16:00,18:00,delivery,57.71,11.95,,",
     "line 2, column pickup_lat: only a kind pickup_delivery order is picked up on the route"),
    ("J,57.7,11.97,16:00,18:00,return,,,Shop 1,",
     "line 2, column pickup_address: only a kind pickup_delivery order is picked up on the route"),
    ("J,57.7,11.97,16:00,18:00,pickup_delivery,57.71,11.95,,19:00-20:00",
     "line 2, column pickup_window: opens at 19:00, when the slot has closed (18:00)"),
    ("J,57.7,11.97,16:00,18:00,pickup_delivery,57.71,11.95,,14:00-15:00|15:30-16:00",
     "line 2, column pickup_window: one window only"),
    ("J,57.7,11.97,16:00,18:00,pickup_delivery,97.71,11.95,,",
     "line 2, column pickup_lat: Input should be less than or equal to 90"),
])
def test_a_bad_pickup_and_delivery_row_is_refused_naming_its_line_and_column(row, problem):
    with pytest.raises(OrderFileError) as err:
        parse_orders(PAIR_HEADER + row + "\n")
    assert len(err.value.problems) == 1 and err.value.problems[0].startswith(problem), err.value.problems


def test_a_pickup_and_delivery_order_takes_no_pickup_point_and_no_linehaul():
    header = "order_id,lat,lon,slot_start,slot_end,kind,pickup_lat,pickup_lon,ready_at\n"
    with pytest.raises(OrderFileError) as err:
        parse_orders(header + "J,57.7,11.97,16:00,18:00,pickup_delivery,57.71,11.95,12:00\n")
    assert err.value.problems[0].startswith("line 2, column ready_at: a pickup_delivery order takes no ready_at")


def test_a_return_waits_for_no_parcel_at_the_depot():
    with pytest.raises(OrderFileError) as err:
        parse_orders("order_id,lat,lon,slot_start,slot_end,kind,ready_at\nR1,57.7,11.9,14:00,16:00,return,11:00\n")
    assert err.value.problems[0].startswith("line 2, column ready_at: a return is collected at the customer")
