"""The driver sheet's rows say what each stop weighs, how much room it takes and what it needs."""

from scenarios.export import DRIVER_SHEET_COLUMNS
from webui.pages.sheets import sheet_rows


def stop(**extra):
    base = {"seq": 1, "stop_id": "S1", "order_ids": ["S1"], "address": "Storgatan 1", "pickup_point_id": None,
            "window_start_s": 8 * 3600, "window_end_s": 10 * 3600, "arrival": "08:20", "departure": "08:50",
            "parcels": 1, "load_after": 0, "lat": 57.7, "lon": 11.9}
    return base | extra


def test_a_stop_shows_its_weight_volume_and_skills_in_the_sheet_columns():
    (row,) = sheet_rows({"vehicle_id": "van-1", "stops": [stop(weight_kg=85.5, volume_l=2400, skills=["installation", "two_person"])]})
    cells = dict(zip(DRIVER_SHEET_COLUMNS, row))
    assert (cells["weight_kg"], cells["volume_l"], cells["skills"]) == ("85.5", "2400", "installation two_person")


def test_a_stop_of_a_plan_saved_before_weights_leaves_those_cells_empty():
    (row,) = sheet_rows({"vehicle_id": "van-1", "stops": [stop()]})
    cells = dict(zip(DRIVER_SHEET_COLUMNS, row))
    assert [cells[c] for c in ("weight_kg", "volume_l", "skills", "late_min", "break_before", "break_after")] == [""] * 6
    assert cells["task"] == "deliver" and len(row) == len(DRIVER_SHEET_COLUMNS)


def test_the_printed_sheet_says_what_a_stop_needs_and_weighs(tmp_path):
    from types import SimpleNamespace

    from flask import render_template

    from tests.webui.pages_support import small_day_config
    from webui.app import create_app

    app = create_app(small_day_config(tmp_path))
    s = stop(weight_kg=85.5, volume_l=2400, skills=["installation", "two_person"], window="08:00-10:00", late=False)
    route = {"vehicle_id": "van-1", "depot_id": "d", "start": "08:00", "end": "12:00", "load": 1, "weight_kg": 85.5,
             "volume_l": 2400, "stops": [s]}
    with app.test_request_context("/"):
        page = render_template("sheet.html", plan=SimpleNamespace(id=1, date="2026-11-24"), route=route, stops=[s],
                               vehicles=["van-1"], depot=None, colour="#333", km=12.0)
    assert "needs: installation, two person" in page
    assert "85.5 kg" in page and "2400 l" in page


def test_a_stop_with_several_windows_shows_them_all_and_the_one_used_and_a_soft_late_stop_its_minutes():
    two = stop(windows=["08:00-10:00", "17:00-19:00"], window_end_s=19 * 3600, window_used="17:00-19:00")
    late = stop(stop_id="S2", window_used="08:00-10:00", late_s=600)
    rows = sheet_rows({"vehicle_id": "van-1", "stops": [two, late]})
    cells = [dict(zip(DRIVER_SHEET_COLUMNS, row)) for row in rows]
    assert (cells[0]["window"], cells[0]["window_used"], cells[0]["late_min"]) == (
        "08:00-10:00|17:00-19:00", "17:00-19:00", "")
    assert (cells[1]["window"], cells[1]["late_min"]) == ("08:00-10:00", "10")


def test_the_printed_sheet_says_which_window_a_stop_is_served_in_and_how_late(tmp_path):
    from types import SimpleNamespace

    from flask import render_template

    from tests.webui.pages_support import small_day_config
    from webui.app import create_app

    app = create_app(small_day_config(tmp_path))
    s = stop(window="08:00-10:00|17:00-19:00", window_used="17:00-19:00", late=False, late_min="")
    t = stop(stop_id="S2", window="08:00-10:00", window_used=None, late=True, late_min="10")
    route = {"vehicle_id": "van-1", "depot_id": "d", "start": "08:00", "end": "12:00", "load": 1, "stops": [s, t]}
    with app.test_request_context("/"):
        page = render_template("sheet.html", plan=SimpleNamespace(id=1, date="2026-11-24"), route=route, stops=[s, t],
                               vehicles=["van-1"], depot=None, colour="#333", km=12.0)
    assert "08:00-10:00|17:00-19:00" in page and "this stop: 17:00-19:00" in page
    assert "10 min late (allowed)" in page


def test_the_drivers_break_is_on_the_row_of_the_stop_it_precedes_and_a_break_on_the_way_back_on_the_last():
    route = {"vehicle_id": "van-1", "stops": [stop(), stop(seq=2, stop_id="S2"), stop(seq=3, stop_id="S3")],
             "breaks": [{"after_stops": 1, "start": "11:40", "end": "12:10"},
                        {"after_stops": 3, "start": "15:00", "end": "15:15"}]}
    cells = [dict(zip(DRIVER_SHEET_COLUMNS, row)) for row in sheet_rows(route)]
    assert [c["break_before"] for c in cells] == ["", "11:40-12:10", ""]
    assert [c["break_after"] for c in cells] == ["", "", "15:00-15:15"]


def test_the_printed_sheet_shows_the_breaks_between_the_stops(tmp_path):
    from types import SimpleNamespace

    from flask import render_template

    from tests.webui.pages_support import small_day_config
    from webui.app import create_app

    app = create_app(small_day_config(tmp_path))
    s = stop(window="08:00-10:00", late=False, break_before="11:40-12:10")
    route = {"vehicle_id": "van-1", "depot_id": "d", "start": "08:00", "end": "16:00", "load": 1, "stops": [s]}
    with app.test_request_context("/"):
        page = render_template("sheet.html", plan=SimpleNamespace(id=1, date="2026-11-24"), route=route, stops=[s],
                               vehicles=["van-1"], depot=None, colour="#333", km=12.0, break_back="15:00-15:15")
    assert "Break 11:40-12:10" in page and "Break 15:00-15:15</b> (on the way back)" in page


def test_the_driver_collects_a_return_and_delivers_the_rest():
    rows = sheet_rows({"vehicle_id": "van-1", "stops": [stop(), stop(seq=2, stop_id="R1", kind="return", load_after=3)]})
    tasks = [dict(zip(DRIVER_SHEET_COLUMNS, row))["task"] for row in rows]
    assert tasks == ["deliver", "collect"]


def test_the_printed_sheet_marks_a_return_to_collect(tmp_path):
    from types import SimpleNamespace

    from flask import render_template

    from tests.webui.pages_support import small_day_config
    from webui.app import create_app

    app = create_app(small_day_config(tmp_path))
    s = stop(kind="return", parcels=3, window="08:00-10:00", late=False)
    route = {"vehicle_id": "van-1", "depot_id": "d", "start": "08:00", "end": "12:00", "load": 0, "collected": 3,
             "stops": [s]}
    with app.test_request_context("/"):
        page = render_template("sheet.html", plan=SimpleNamespace(id=1, date="2026-11-24"), route=route, stops=[s],
                               vehicles=["van-1"], depot=None, colour="#333", km=12.0)
    assert '<b class="collect">collect</b> 3' in page and "3 to collect" in page
