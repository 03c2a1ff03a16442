"""The day view through the Flask test client: orders, planning in the background, the map data,
edits and re-optimizing, order import, driver sheets, and plain messages for bad input."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.webui.pages_support import DAY, page_app, page_token, signed_in, wait_job

IMPORT_DAY = "2026-11-25"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with page_app(tmp_path_factory, "pages-day", PLAN_TIME_LIMIT_S=2.0) as app:
        yield app


@pytest.fixture(scope="module")
def client(app):
    return signed_in(app)


def _post(client, url, body=None, date=DAY):
    return client.post(url, json=body or {}, headers={"X-CSRFToken": page_token(client, f"/day/{date}")})


def _plan(client, date=DAY, time_limit=2) -> int:
    resp = _post(client, f"/day/{date}/plan", {"time_limit": time_limit}, date)
    assert resp.status_code == 202, resp.get_json()
    snap = wait_job(client, resp.get_json()["poll"])
    assert snap["state"] == "done", snap["message"]
    assert snap["url"].endswith(f"plan={snap['result']}")
    return snap["result"]


@pytest.fixture(scope="module")
def planned(client, app) -> int:
    return _plan(client)


def _stored(app, plan_id):
    return app.extensions["lastmile.workbench"].get_plan(plan_id)


def test_before_planning_the_day_lists_its_orders_and_filters_them(client):
    page = client.get(f"/day/{DAY}").get_data(as_text=True)
    assert "40 orders (generated orders)" in page and "No plan yet" in page
    assert page.count('class="status-not-planned"') == 40
    slot = re.search(r'<td>(\d\d:\d\d-\d\d:\d\d)</td>', page).group(1)
    filtered = client.get(f"/day/{DAY}?slot={slot}").get_data(as_text=True)
    n = filtered.count('class="status-not-planned"')
    assert 0 < n < 40 and f"({n} of 40 shown)" in filtered


def test_plan_button_solves_in_the_background_and_the_page_shows_routes_and_scorecard(client, app, planned):
    stored = _stored(app, planned)
    routes = stored.plan["routes"]
    assert routes and stored.kind == "solve"
    page = client.get(f"/day/{DAY}").get_data(as_text=True)
    assert f"showing plan #{planned}" in page
    assert page.count('class="card vehicle"') == len(routes)
    stops = sum(len(r["stops"]) for r in routes)
    assert page.count('class="stop-row') == stops + len(stored.plan["unserved"])
    for figure in ("On-time rate", "Total cost", "Transport cost", "Labour cost", "Driver hours", "Distance"):
        assert figure in page
    assert page.count('<svg class="chart"') >= 4
    assert "Every order is on a route." in page or "Unserved orders" in page


def test_route_geojson_follows_the_streets(client, planned):
    doc = client.get(f"/plans/{planned}/routes.geojson").get_json()
    lines = [f for f in doc["features"] if f["properties"]["kind"] == "route"]
    stops = [f for f in doc["features"] if f["properties"]["kind"] == "stop"]
    assert lines and stops and "OpenStreetMap" in doc["attribution"]
    for line in lines:
        n_stops = line["properties"]["stops"]
        assert len(line["geometry"]["coordinates"]) > n_stops + 2, "drawn along the streets, not stop to stop"
    assert doc["vehicles"][0] == "van-1"


def test_one_solve_per_day_at_a_time(client, app):
    first = _post(client, f"/day/{DAY}/plan", {"time_limit": 1}).get_json()["job"]
    second = _post(client, f"/day/{DAY}/plan", {"time_limit": 1}).get_json()["job"]
    assert first["id"] == second["id"]
    app.extensions["lastmile.jobs"].wait(first["id"], 30)


def test_lock_move_unassign_then_reoptimize_keeps_locks_and_shows_the_difference(client, app, planned):
    base = _stored(app, app.extensions["lastmile.workbench"].latest_plan(DAY).id)
    route = base.plan["routes"][0]
    vehicle, locked = route["vehicle_id"], route["stops"][0]["stop_id"]

    resp = _post(client, f"/plans/{base.id}/edit", {"action": "lock", "stop_id": locked})
    assert resp.status_code == 200, resp.get_json()
    locked_plan = _stored(app, resp.get_json()["plan_id"])
    assert locked_plan.parent_id == base.id and locked_plan.locks == {locked: vehicle}

    other = next(v for v in app.extensions["lastmile.workbench"].vehicle_ids() if v != vehicle)
    moved = route["stops"][-1]["stop_id"]
    resp = _post(client, f"/plans/{locked_plan.id}/edit", {"action": "move", "stop_id": moved, "vehicle_id": other, "position": 1})
    moved_plan = _stored(app, resp.get_json()["plan_id"])
    assert moved_plan.route(other)["stops"][0]["stop_id"] == moved
    assert moved_plan.locks == {locked: vehicle}
    assert "moved" in moved_plan.data["note"]
    doc = client.get(f"/plans/{moved_plan.id}/routes.geojson").get_json()  # unchanged routes reuse their lines
    lines = sorted(f["properties"]["vehicle_id"] for f in doc["features"] if f["properties"]["kind"] == "route")
    assert lines == sorted(r["vehicle_id"] for r in moved_plan.plan["routes"])
    drawn = {(f["properties"]["vehicle_id"], f["properties"]["seq"], f["properties"]["stop_id"])
             for f in doc["features"] if f["properties"]["kind"] == "stop"}
    assert drawn == {(r["vehicle_id"], s["seq"], s["stop_id"]) for r in moved_plan.plan["routes"] for s in r["stops"]}

    victim = moved_plan.route(other)["stops"][-1]["stop_id"]
    resp = _post(client, f"/plans/{moved_plan.id}/edit", {"action": "unassign", "stop_id": victim})
    cut = _stored(app, resp.get_json()["plan_id"])
    reasons = {u["stop_id"]: u["reason"] for u in cut.plan["unserved"]}
    assert reasons[victim] == "unassigned_by_dispatcher"
    assert cut.scorecard["orders_unserved"] >= 1
    page = client.get(f"/day/{DAY}?plan={cut.id}").get_data(as_text=True)
    assert f"vs plan #{moved_plan.id}" in page and 'class="delta' in page
    assert "taken off the routes by dispatch" in page

    resp = _post(client, f"/plans/{cut.id}/reoptimize", {"time_limit": 2})
    snap = wait_job(client, resp.get_json()["poll"])
    assert snap["state"] == "done", snap["message"]
    again = _stored(app, snap["result"])
    assert again.kind == "reoptimize" and again.parent_id == cut.id
    assert again.locks == {locked: vehicle}
    assert locked in [s["stop_id"] for s in again.route(vehicle)["stops"]]
    assert victim not in {u["stop_id"] for u in again.plan["unserved"]}, "re-optimize routes the unassigned stop again"


@pytest.mark.parametrize(
    "body, message",
    [
        ({"action": "move", "stop_id": "nope", "vehicle_id": "van-1"}, "not in this plan"),
        ({"action": "move", "stop_id": "X", "vehicle_id": "van-1", "position": "two"}, "not a whole number"),
        ({"action": "teleport", "stop_id": "X"}, "unknown"),
        ({"action": "move"}, "choose a stop first"),
    ],
)
def test_bad_edits_get_a_plain_message(client, app, planned, body, message):
    plan = _stored(app, planned)
    if body.get("stop_id") == "X":
        body = dict(body, stop_id=plan.plan["routes"][0]["stops"][0]["stop_id"])
    resp = _post(client, f"/plans/{planned}/edit", body)
    assert resp.status_code == 400 and message in resp.get_json()["error"]


def test_driver_sheet_page_and_csv(client, app, planned):
    plan = _stored(app, planned)
    route = plan.plan["routes"][0]
    page = client.get(f"/plans/{planned}/sheet/{route['vehicle_id']}").get_data(as_text=True)
    assert f"Driver sheet · {route['vehicle_id']}" in page
    for stop in route["stops"]:
        assert stop["arrival"] in page and (stop["address"] or "—") in page
    resp = client.get(f"/plans/{planned}/sheet/{route['vehicle_id']}.csv")
    assert resp.mimetype == "text/csv" and "attachment" in resp.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert [r["stop_id"] for r in rows] == [s["stop_id"] for s in route["stops"]]
    assert rows[0]["vehicle_id"] == route["vehicle_id"] and rows[0]["seq"] == "1"
    everything = list(csv.DictReader(io.StringIO(client.get(f"/plans/{planned}/sheets.csv").get_data(as_text=True))))
    assert len(everything) == sum(len(r["stops"]) for r in plan.plan["routes"])
    missing = client.get(f"/plans/{planned}/sheet/truck-99")
    assert missing.status_code == 404 and "truck-99 has no route" in missing.get_data(as_text=True)


def _upload(client, date, text: bytes, name="orders.csv"):
    token = page_token(client, f"/day/{date}")
    return client.post(f"/day/{date}/import", data={"csrf_token": token, "orders": (io.BytesIO(text), name)},
                       content_type="multipart/form-data", follow_redirects=True)


def test_bad_order_file_lists_row_problems_and_imports_nothing(client):
    page = _upload(client, IMPORT_DAY, b"order_id,lat,lon,slot_start,slot_end\nA1,57.70,11.97,10:00,09:00\nA2,x,11.97,10:00,12:00\n")
    text = page.get_data(as_text=True)
    assert "2 problem(s), nothing was imported" in text
    assert "line 2, column slot_end" in text and "line 3, column lat" in text
    assert "40 orders (generated orders)" in text


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "the file is empty"),
        (b"\xff\xfe\x00", "is not UTF-16 text"),
        (b"id,lat\n1,2\n", "required column is missing"),
        (b"order_id,lat,lon,slot_start,slot_end\nFAR,59.33,18.06,10:00,12:00\n", "off the street map"),
    ],
)
def test_unreadable_order_files_get_plain_messages(client, content, message):
    text = _upload(client, IMPORT_DAY, content).get_data(as_text=True)
    assert message in text and "Traceback" not in text


def test_imported_day_with_an_impossible_order_shows_it_unserved_with_the_reason(client, app):
    rows = ["order_id,lat,lon,slot_start,slot_end,parcels,address"]
    rows += [f"K{k},57.70{k},11.96{k},{10 + k % 4:02d}:00,{12 + k % 4:02d}:00,1,Testgatan {k}" for k in range(8)]
    rows.append("HUGE,57.705,11.965,10:00,12:00,500,Bulkvägen 1")
    page = _upload(client, IMPORT_DAY, ("\n".join(rows) + "\n").encode()).get_data(as_text=True)
    assert "Imported 9 orders" in page and "9 orders (imported file)" in page
    plan = _stored(app, _plan(client, IMPORT_DAY))
    unserved = {u["order_id"]: u for u in plan.plan["unserved"]}
    assert unserved["HUGE"]["reason"] == "capacity"
    page = client.get(f"/day/{IMPORT_DAY}").get_data(as_text=True)
    assert "Unserved orders <small>(1)</small>" in page
    assert "500 parcels, the largest vehicle carries" in page
    assert "Unserved orders by reason" in page
    reverted = client.post(f"/day/{IMPORT_DAY}/import/drop", data={"csrf_token": page_token(client, f"/day/{IMPORT_DAY}")},
                           follow_redirects=True).get_data(as_text=True)
    assert "generated orders again" in reverted


def test_bad_addresses_and_unknown_things_get_plain_messages(client, app, monkeypatch):
    resp = client.get("/day/2026-13-45")
    assert resp.status_code == 404 and "is not a date" in resp.get_data(as_text=True)
    assert client.get("/plans/424242/routes.geojson").get_json()["error"] == "plan 424242 does not exist"
    assert "no longer known" in client.get("/jobs/feedfeed").get_json()["error"]
    picked = client.get("/day?date=yesterday", follow_redirects=True).get_data(as_text=True)
    assert "yesterday&#39; is not a date" in picked

    def boom(*a, **k):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(app.extensions["lastmile.workbench"], "plans_for", boom)
    resp = client.get(f"/day/{DAY}")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 500 and "Something went wrong" in text
    assert "database on fire" not in text and "Traceback" not in text


def test_time_limit_out_of_range_is_refused(client):
    resp = _post(client, f"/day/{DAY}/plan", {"time_limit": 100000})
    assert resp.status_code == 400 and "time limit" in resp.get_json()["error"]


def test_basemap_is_served_compressed(client):
    resp = client.get("/basemap.geojson", headers={"Accept-Encoding": "gzip"})
    assert resp.headers["Content-Encoding"] == "gzip" and resp.mimetype == "application/geo+json"
    plain = client.get("/basemap.geojson").get_json()
    assert plain["features"] and "no buildings" in plain["note"]


def test_planner_view_lists_pickup_points_and_compares_days(client, app, planned):
    page = client.get("/planner").get_data(as_text=True)
    assert "Planner: pickup points" in page and "Planned days compared" in page
    assert DAY in page and '<svg class="chart"' in page
    assert "What-if: open or close pickup points" in page
    scenario = app.extensions["lastmile.workbench"].scenario
    if scenario.pickup_points:
        point = scenario.pickup_points[0]
        doc = client.get(f"/planner/catchments/{point.id}.geojson").get_json()
        assert [f["properties"]["radius_m"] for f in doc["features"]] == [400.0, 800.0]
        assert all(f["geometry"]["type"] == "Polygon" for f in doc["features"])
    assert client.get("/planner/catchments/NOPE.geojson").status_code == 404


def test_a_plan_made_before_an_import_says_the_orders_changed(client, planned):
    rows = "order_id,lat,lon,slot_start,slot_end\nN1,57.70,11.96,10:00,12:00\nN2,57.701,11.961,12:00,14:00\n"
    page = _upload(client, DAY, rows.encode()).get_data(as_text=True)
    assert "The day&#39;s orders changed since this plan: 2 orders now (imported file)" in page
    assert "40 orders (as planned)" in page
    page = client.post(f"/day/{DAY}/import/drop", data={"csrf_token": page_token(client)}, follow_redirects=True)
    assert "orders changed" not in page.get_data(as_text=True)


def test_planning_a_scenario_whose_depot_is_off_its_streets_fails_with_a_plain_message(tmp_path):
    import shutil

    from tests.webui.pages_support import add_users, sign_in, small_day_config
    from webui.app import create_app

    folder = tmp_path / "moved-depot"
    shutil.copytree("scenarios/data/gothenburg", folder)
    text = (folder / "scenario.yaml").read_text(encoding="utf-8")
    (folder / "scenario.yaml").write_text(text.replace("lat: 57.7228, lon: 11.9510", "lat: 59.3293, lon: 18.0686"), encoding="utf-8")
    app = create_app(small_day_config(tmp_path, SCENARIO=str(folder)))
    add_users(app)
    client = app.test_client()
    sign_in(client)
    resp = _post(client, f"/day/{DAY}/plan", {"time_limit": 1})
    snap = wait_job(client, resp.get_json()["poll"])
    assert snap["state"] == "failed" and "Traceback" not in snap["message"]
    assert "depot ringon" in snap["message"] and "snap_max_distance_m" in snap["message"]
