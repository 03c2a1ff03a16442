"""Importing an order history: every bad row is named, and a bad file imports nothing."""

import datetime as dt

import pytest

from scheduling.history import HistoryFileError, OrderHistory, parse_history

TODAY = dt.date(2026, 11, 23)
ZONES = {"Z-1-1", "Z-1-2"}
HEADER = "order_id,created_at,delivery_date,slot,zone,parcels,customer_id\n"


def rows(*lines: str) -> str:
    return HEADER + "\n".join(lines) + "\n"


def problems(text: str, **kw) -> list[str]:
    with pytest.raises(HistoryFileError) as err:
        parse_history(text, today=TODAY, zones=ZONES, **kw)
    return err.value.problems


def test_a_clean_history_is_counted_per_zone_and_day():
    h = parse_history(
        rows(
            "a1,2026-11-19 10:00,2026-11-20,08:00-10:00,Z-1-1,1,c1",
            "a2,2026-11-19 11:00,2026-11-20,18:00-20:00,Z-1-1,2,c2",
            "a3,2026-11-20 09:00,2026-11-21,8:00-10:00,Z-1-2,,c3",
        ),
        today=TODAY,
        zones=ZONES,
    )
    assert len(h) == 3
    daily = h.daily_orders()
    assert daily.loc["2026-11-20", "Z-1-1"] == 2 and daily.loc["2026-11-21", "Z-1-1"] == 0
    assert daily.loc["2026-11-21", "Z-1-2"] == 1
    assert h.orders["slot"].tolist()[2] == "08:00-10:00"  # normalised
    assert h.orders["parcels"].tolist() == [1, 2, 1]


def test_duplicated_ids_unknown_zones_and_future_dates_are_reported_row_by_row():
    found = problems(
        rows(
            "a1,,2026-11-20,08:00-10:00,Z-1-1,1,c1",
            "a1,,2026-11-20,08:00-10:00,Z-1-1,1,c1",
            "a3,,2026-11-20,08:00-10:00,Z-9-9,1,c1",
            "a4,,2026-11-25,08:00-10:00,Z-1-1,1,c1",
        )
    )
    assert any(p.startswith("line 3, column order_id: 'a1' repeats line 2") for p in found)
    assert any(p.startswith("line 4, column zone: unknown zone 'Z-9-9'") and "Z-1-1" in p for p in found)
    assert any(p.startswith("line 5, column delivery_date: 2026-11-25 is in the future") for p in found)
    assert len(found) == 3


def test_a_gap_in_the_dates_is_reported_at_the_first_row_after_it():
    found = problems(
        rows(
            "a1,,2026-11-01,08:00-10:00,Z-1-1,1,c1",
            "a2,,2026-11-02,08:00-10:00,Z-1-1,1,c1",
            "a3,,2026-11-06,08:00-10:00,Z-1-1,1,c1",
            "a4,,2026-11-08,08:00-10:00,Z-1-1,1,c1",
        )
    )
    assert found == [
        "line 4, column delivery_date: a gap: no orders on the 3 days 2026-11-03 .. 2026-11-05 before 2026-11-06; "
        "add the missing days' orders (or import with allow_gaps if the operation was closed)",
        "line 5, column delivery_date: a gap: no orders on 2026-11-07 before 2026-11-08; "
        "add the missing days' orders (or import with allow_gaps if the operation was closed)",
    ]
    h = parse_history(rows("a1,,2026-11-01,08:00-10:00,Z-1-1,1,c1", "a3,,2026-11-06,08:00-10:00,Z-1-1,1,c1"),
                      today=TODAY, zones=ZONES, allow_gaps=True)
    assert len(h) == 2


def test_unreadable_fields_name_the_column_and_the_fix():
    found = problems(
        rows(
            "a1,yesterday,2026-11-20,08:00-10:00,Z-1-1,1,c1",
            "a2,,20/11/2026,08:00-10:00,Z-1-1,1,c1",
            "a3,,2026-11-20,10:00-08:00,Z-1-1,1,c1",
            "a4,,2026-11-20,08:00-10:00,Z-1-1,0,c1",
            "a5,2026-11-21 10:00,2026-11-20,08:00-10:00,Z-1-1,1,c1",
            ",,2026-11-20,08:00-10:00,Z-1-1,1,c1",
        )
    )
    joined = "\n".join(found)
    assert "line 2, column created_at: 'yesterday' is not a time" in joined
    assert "line 3, column delivery_date: '20/11/2026' is not a date; write YYYY-MM-DD" in joined
    assert "line 4, column slot: '10:00-08:00' is not a window; write HH:MM-HH:MM" in joined
    assert "line 5, column parcels: '0' is not a whole number of parcels >= 1" in joined
    assert "line 6, column created_at: booked 2026-11-21 10:00, after its delivery date 2026-11-20" in joined
    assert "line 7, column order_id: empty" in joined


def test_missing_columns_are_named_in_the_header():
    with pytest.raises(HistoryFileError) as err:
        parse_history("order_id,delivery_date\na1,2026-11-20\n", today=TODAY)
    assert err.value.problems == [
        "line 1, column slot: required column is missing; add a 'slot' column to the header",
        "line 1, column zone: give each order's zone, or its lat and lon columns",
    ]


def test_rows_given_by_coordinates_are_placed_in_their_zone():
    text = "order_id,delivery_date,slot,lat,lon\na1,2026-11-20,08:00-10:00,57.70,11.95\na2,2026-11-20,08:00-10:00,10.0,10.0\n"
    zone_of = lambda lat, lon: "Z-1-1" if lat > 50 else None  # noqa: E731
    with pytest.raises(HistoryFileError) as err:
        parse_history(text, today=TODAY, zones=ZONES, zone_of=zone_of)
    assert err.value.problems == ["line 3, columns lat/lon: (10.00000, 10.00000) lies outside every zone"]
    h = parse_history(text.splitlines()[0] + "\n" + text.splitlines()[1] + "\n", today=TODAY, zones=ZONES, zone_of=zone_of)
    assert h.orders["zone"].tolist() == ["Z-1-1"]


def test_a_history_written_to_csv_reads_back_identically(tmp_path):
    text = rows("a1,2026-11-19 10:00:00,2026-11-20,08:00-10:00,Z-1-1,1,c1", "a2,,2026-11-21,pickup,Z-1-2,1,c1")
    with pytest.raises(HistoryFileError):
        parse_history(text, today=TODAY, zones=ZONES)
    h = parse_history(rows("a1,2026-11-19 10:00:00,2026-11-20,08:00-10:00,Z-1-1,1,c1"), today=TODAY, zones=ZONES)
    path = h.to_csv(tmp_path / "h.csv")
    again = parse_history(path, today=TODAY, zones=ZONES)
    assert isinstance(again, OrderHistory)
    assert again.orders[["order_id", "slot", "zone", "parcels"]].equals(h.orders[["order_id", "slot", "zone", "parcels"]])
