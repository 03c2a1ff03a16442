"""CSV exports open in a spreadsheet as text: a cell that would start a formula (``=``, ``+``,
``-``, ``@``, tab, CR) gets a leading ``'`` (the OWASP advice); numbers stay numbers."""

from __future__ import annotations

import csv
import io

import pytest

from scheduling.csv_cells import csv_writer, dict_writer, safe_frame, spreadsheet_safe
from tests.webui.pages_support import page_app, page_token, signed_in, wait_job
from webui.cli import main

EVIL = '=HYPERLINK("http://evil.example","x")'
EVIL_FILE = (
    "order_id,lat,lon,address,slot_start,slot_end\n"
    f'X1,57.7050,11.9650,"{EVIL.replace(chr(34), chr(34) * 2)}",08:00,12:00\n'
    "X2,57.6980,11.9720,+46 31 123 45,08:00,12:00\n"
    "X3,57.7150,11.9900,@SUM(A1),08:00,12:00\n"
)


@pytest.mark.parametrize(
    "cell, written",
    [
        (EVIL, "'" + EVIL),
        ("+46 31 123 45", "'+46 31 123 45"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Storgatan 1", "Storgatan 1"),
        ("", ""),
        (-12, -12),  # a number is data, not a formula
        (-57.7, -57.7),
        ("-57.700000", "-57.700000"),  # a number formatted as text, too
        ("+3.5e2", "+3.5e2"),
        (None, None),
    ],
)
def test_only_text_a_spreadsheet_would_run_is_quoted(cell, written):
    assert spreadsheet_safe(cell) == written


def test_the_writers_and_frames_quote_every_cell_the_same_way():
    import pandas as pd

    buf = io.StringIO()
    csv_writer(buf).writerows([["a", EVIL], [-1, "-1"]])
    d = dict_writer(buf, ["x"])
    d.writerow({"x": "@me"})
    assert list(csv.reader(io.StringIO(buf.getvalue()))) == [["a", "'" + EVIL], ["-1", "-1"], ["'@me"]]
    frame = safe_frame(pd.DataFrame({"zone": ["=z", "z"], "n": [-1, 2]}))
    assert frame["zone"].tolist() == ["'=z", "z"] and frame["n"].tolist() == [-1, 2]


def test_the_driver_sheet_file_of_lastmile_plan_opens_as_text(tmp_path, capsys):
    path = tmp_path / "orders.csv"
    path.write_text(EVIL_FILE, encoding="utf-8")
    code = main(["plan", "--orders", str(path), "--date", "2026-11-24", "--time-limit", "1", "--engine", "ortools",
                 "--out", str(tmp_path / "out"), "--quiet"])
    assert code == 0, capsys.readouterr().err
    rows = list(csv.DictReader(open(tmp_path / "out" / "routes.csv", encoding="utf-8", newline="")))
    addresses = {r["order_ids"]: r["address"] for r in rows}
    assert addresses == {"X1": "'" + EVIL, "X2": "'+46 31 123 45", "X3": "'@SUM(A1)"}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with page_app(tmp_path_factory, "csv-exports", PLAN_TIME_LIMIT_S=1.0) as app:
        yield signed_in(app)


def test_a_driver_sheet_csv_of_an_imported_formula_address_opens_as_text(client):
    date = "2026-11-25"
    token = page_token(client, f"/day/{date}")
    page = client.post(f"/day/{date}/import", data={"csrf_token": token, "orders": (io.BytesIO(EVIL_FILE.encode()), "o.csv")},
                       content_type="multipart/form-data", follow_redirects=True)
    assert "Imported 3 orders" in page.get_data(as_text=True)
    resp = client.post(f"/day/{date}/plan", json={"time_limit": 1}, headers={"X-CSRFToken": page_token(client, f"/day/{date}")})
    snap = wait_job(client, resp.get_json()["poll"])
    assert snap["state"] == "done", snap["message"]
    plan_id = snap["result"]
    everything = client.get(f"/plans/{plan_id}/sheets.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(everything)))
    assert {r["order_ids"]: r["address"] for r in rows} == {"X1": "'" + EVIL, "X2": "'+46 31 123 45", "X3": "'@SUM(A1)"}
    vehicle = rows[0]["vehicle_id"]
    one = list(csv.DictReader(io.StringIO(client.get(f"/plans/{plan_id}/sheet/{vehicle}.csv").get_data(as_text=True))))
    assert all(not r["address"].startswith(("=", "+", "@")) for r in one)
    assert all(float(r["lat"]) > 0 for r in one)
