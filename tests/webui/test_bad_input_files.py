"""Order files as spreadsheet programs save them, and files no day can take, through
``lastmile plan --orders`` and the day page's import: read, or refused with exit 2 / a message
naming the line, column and fix; never a traceback or an HTTP 500, and nothing stored lost."""

from __future__ import annotations

import io

import pytest

from scheduling.orders_csv import FIELD_LIMIT
from tests.webui.pages_support import DAY, page_app, page_token, signed_in, wait_job
from webui.cli import main

ROWS = [
    ("F1", "57.7050", "11.9650", "Götgatan 12"),
    ("F2", "57.6980", "11.9720", "Vasagatan 3"),
    ("F3", "57.7150", "11.9900", "Redbergsvägen 5"),
]


def order_file(delimiter: str = ",", decimal: str = ".") -> str:
    lines = [delimiter.join(("order_id", "lat", "lon", "address", "slot_start", "slot_end"))]
    lines += [delimiter.join((i, lat.replace(".", decimal), lon.replace(".", decimal), a, "08:00", "12:00"))
              for i, lat, lon, a in ROWS]
    return "\r\n".join(lines) + "\r\n"


SAVED_BY_SPREADSHEETS = {
    "utf-16-bom": order_file().encode("utf-16"),
    "utf-16-tabs": order_file("\t").encode("utf-16"),  # Excel's "Unicode text"
    "cp1252": order_file().encode("cp1252"),
    "utf-8-bom": order_file().encode("utf-8-sig"),
    "semicolons": order_file(";", ",").encode("cp1252"),  # Excel with a Swedish decimal comma
}
TOO_LONG = (order_file() + 'F4,57.70,11.97,"' + "x" * (FIELD_LIMIT + 10) + '",08:00,12:00\r\n').encode()
TOO_MANY = ("order_id,lat,lon,slot_start,slot_end\n" + "".join(f"N{i},57.70,11.97,08:00,12:00\n" for i in range(5001))).encode()


def plan(tmp_path, capsys, raw: bytes, *extra: str):
    path = tmp_path / "orders.csv"
    path.write_bytes(raw)
    out = tmp_path / "out"
    code = main(["plan", "--orders", str(path), "--date", DAY, "--time-limit", "1", "--engine", "ortools",
                 "--out", str(out), "--quiet", *extra])
    return code, capsys.readouterr().err, out


# --------------------------------------------------------------------------- lastmile plan --orders


@pytest.mark.parametrize("raw", SAVED_BY_SPREADSHEETS.values(), ids=SAVED_BY_SPREADSHEETS.keys())
def test_plan_reads_the_files_spreadsheets_save(tmp_path, capsys, raw):
    code, err, out = plan(tmp_path, capsys, raw)
    assert code == 0, err
    sheet = (out / "routes.csv").read_text(encoding="utf-8")
    assert "Götgatan 12" in sheet and "Redbergsvägen 5" in sheet


@pytest.mark.parametrize(
    "raw, expected",
    [
        (TOO_LONG, "orders.csv: line 5, column address: the field is longer than 131,072 characters (128 KB)"),
        (TOO_MANY, "orders.csv: line 5002: 5,001 orders for one day is more than the 5,000 allowed; split them"),
        (b"order_id,lat\n\x81\x8d\n", "orders.csv: line 2: byte 14 (0x81) is neither UTF-8 nor Windows-1252 text"),
    ],
    ids=["field-over-128kb", "over-5000-orders", "no-text"],
)
def test_plan_refuses_a_file_it_cannot_take_with_exit_2_and_the_line(tmp_path, capsys, raw, expected):
    code, err, out = plan(tmp_path, capsys, raw)
    lines = err.strip().splitlines()
    assert code == 2 and expected in lines[0] and lines[-1] == "error: nothing was imported"
    assert "Traceback" not in err and not out.exists()


def test_a_generated_day_over_the_limit_is_refused_before_any_matrix(tmp_path, capsys, monkeypatch):
    from geo.network import RoadNetwork

    def no_matrices(*_a, **_k):
        raise AssertionError("the matrices were built for a day over the limit")

    monkeypatch.setattr(RoadNetwork, "travel_matrices", no_matrices)
    monkeypatch.setenv("LASTMILE_MAX_ORDERS_PER_DAY", "10")
    code = main(["plan", "--date", DAY, "--time-limit", "1", "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "orders for one day is more than the 10 allowed" in err
    assert "LASTMILE_MAX_ORDERS_PER_DAY" in err and "Traceback" not in err


# --------------------------------------------------------------------------- the day page's import


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with page_app(tmp_path_factory, "bad-files", PLAN_TIME_LIMIT_S=1.0) as app:
        yield app


@pytest.fixture(scope="module")
def client(app):
    return signed_in(app)


def upload(client, date: str, raw: bytes, name: str = "orders.csv"):
    token = page_token(client, f"/day/{date}")
    return client.post(f"/day/{date}/import", data={"csrf_token": token, "orders": (io.BytesIO(raw), name)},
                       content_type="multipart/form-data", follow_redirects=True)


@pytest.mark.parametrize("name", SAVED_BY_SPREADSHEETS)
def test_the_page_imports_the_files_spreadsheets_save(client, name):
    date = "2026-11-26"
    page = upload(client, date, SAVED_BY_SPREADSHEETS[name], f"{name}.csv")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f"Imported 3 orders from {name}.csv" in text and "Götgatan 12" in text
    assert ("read as Windows-1252" in text) == (name in ("cp1252", "semicolons"))
    client.post(f"/day/{date}/import/drop", data={"csrf_token": page_token(client, f"/day/{date}")})


@pytest.mark.parametrize(
    "raw, problem",
    [
        (TOO_LONG, "line 5, column address: the field is longer than 131,072 characters (128 KB)"),
        (TOO_MANY, "line 5002: 5,001 orders for one day is more than the 5,000 allowed"),
        (b"order_id,lat\n\x81\x8d\n", "line 2: byte 14 (0x81) is neither UTF-8 nor Windows-1252 text"),
    ],
    ids=["field-over-128kb", "over-5000-orders", "no-text"],
)
def test_the_page_refuses_such_a_file_with_the_line_and_keeps_the_day_it_had(client, raw, problem):
    date = "2026-11-27"
    assert "Imported 3 orders" in upload(client, date, SAVED_BY_SPREADSHEETS["utf-8-bom"]).get_data(as_text=True)
    page = upload(client, date, raw)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and problem in text and "nothing was imported" in text
    assert "3 orders (imported file)" in text and "Traceback" not in text


def test_planning_a_day_over_the_limit_fails_with_the_reason_not_a_crash(client, monkeypatch):
    from geo.network import RoadNetwork

    monkeypatch.setattr(RoadNetwork, "travel_matrices", lambda *_a, **_k: pytest.fail("matrices for a day over the limit"))
    monkeypatch.setenv("LASTMILE_MAX_ORDERS_PER_DAY", "10")
    resp = client.post(f"/day/{DAY}/plan", json={"time_limit": 1}, headers={"X-CSRFToken": page_token(client)})
    assert resp.status_code == 202
    snap = wait_job(client, resp.get_json()["poll"])
    assert snap["state"] == "failed" and "40 orders for one day is more than the 10 allowed" in snap["message"]


# --------------------------------------------------------------------------- several and soft windows

WINDOWS_FILE = ("order_id,lat,lon,address,slot_start,slot_end,windows,max_late_min,late_cost_per_min\n"
                "W1,57.6880,11.9560,Linnégatan 12,,,08:00-08:01|15:00-17:00,,\n"  # far from both depots
                "W2,57.6980,11.9720,Vasagatan 3,08:00,08:01,,60,1\n")
BAD_WINDOWS = WINDOWS_FILE + "W3,57.7150,11.9900,Redbergsvägen 5,,,08:00-10:00|17-19,,\n"


def test_plan_refuses_a_window_list_that_does_not_parse_naming_the_line_and_column(tmp_path, capsys):
    code, err, out = plan(tmp_path, capsys, BAD_WINDOWS.encode())
    lines = err.strip().splitlines()
    assert code == 2 and lines[-1] == "error: nothing was imported" and not out.exists()
    assert any("line 4, column windows: window '17-19': '17' is not a time of day" in line for line in lines)
    assert "Traceback" not in err


def test_plan_serves_the_window_it_can_reach_and_a_soft_late_order_and_the_sheet_says_so(tmp_path, capsys):
    import csv

    from scenarios.export import DRIVER_SHEET_COLUMNS

    code, err, out = plan(tmp_path, capsys, WINDOWS_FILE.encode())
    assert code == 0, err
    rows = {r["stop_id"]: r for r in (dict(zip(DRIVER_SHEET_COLUMNS, row)) for row in
                                      list(csv.reader((out / "routes.csv").read_text(encoding="utf-8").splitlines()))[1:])}
    assert rows["W1"]["window"] == "08:00-08:01|15:00-17:00" and rows["W1"]["window_used"] == "15:00-17:00"
    assert int(rows["W2"]["late_min"]) > 0  # no van is there by 08:01; within the 60 minutes allowed
