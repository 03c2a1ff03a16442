"""The driver's page and the dispatcher's side of the driven day, through the Flask test
client: the page itself needs no session, its map data needs the driver token, driver links
are shown once and can be revoked, the dispatcher records events for a driver without a
phone, and the day page shows the timeline and every event once."""

from __future__ import annotations

import re

import pytest

from tests.webui.driven_support import first_route, published_today_app, stored_events
from tests.webui.pages_support import page_token, sign_in


@pytest.fixture(scope="module")
def app(tmp_path_factory, store_copies):
    with published_today_app(tmp_path_factory, store_copies, "pages-driver") as app:
        yield app


@pytest.fixture(scope="module")
def date(app) -> str:
    return app.published[0]


@pytest.fixture(scope="module")
def client(app):
    client = app.test_client()
    assert sign_in(client).status_code == 302
    return client


@pytest.fixture(scope="module")
def route(app, date):
    return first_route(app, date)


def driven(app, date: str):
    from scenarios.execution.day import driven_day

    wb = app.extensions["lastmile.workbench"]
    return driven_day(wb.db, wb.scenario_name, date)


def issue(client, date: str, vehicle_id: str) -> str:
    resp = client.post(f"/day/{date}/drivers/{vehicle_id}/token",
                       data={"csrf_token": page_token(client, f"/day/{date}"), "action": "issue", "driver_name": "Sam"})
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"
    link = re.search(r'id="driver-link-url"[^>]*value="([^"]+)"', resp.get_data(as_text=True)).group(1)
    assert "/driver?token=" in link
    return link.split("token=", 1)[1]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def record(client, date: str, **form):
    form.setdefault("csrf_token", page_token(client, f"/day/{date}"))
    return client.post(f"/day/{date}/events", data=form)


def flashes(client, date: str) -> str:
    return " ".join(re.findall(r'class="flash flash-(?:ok|error)"[^>]*>([^<]*)', client.get(f"/day/{date}").get_data(as_text=True)))


# --------------------------------------------------------------------------- the driver's page


def test_the_driver_page_opens_without_a_session_and_keeps_the_token_out_of_referrers(app):
    resp = app.test_client().get("/driver?token=anything")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert resp.headers["Referrer-Policy"] == "no-referrer" and resp.headers["Cache-Control"] == "no-store"
    assert "anything" not in page, "the server never writes the token into the page"
    assert re.findall(r"<script(?![^>]*src=)", page) == [], "no inline script"
    assert 'src="/static/driver.js"' in page and 'data-events-url="/api/v1/driver/events"' in page
    for reason in ("not_home", "refused", "address_problem", "damaged", "no_access", "other"):
        assert f'value="{reason}"' in page


def test_the_next_leg_follows_the_streets_from_the_stop_before(app, client, date, route):
    vehicle_id, stops = route
    token = issue(client, date, vehicle_id)
    resp = app.test_client().get(f"/driver/leg.geojson?stop={stops[1].stop_id}", headers=bearer(token))
    assert resp.status_code == 200
    doc = resp.get_json()
    line, start, end = doc["features"]
    assert line["properties"] == {"kind": "leg", "vehicle_id": vehicle_id, "stop_id": stops[1].stop_id, "seq": stops[1].seq}
    assert line["geometry"]["type"] == "LineString" and len(line["geometry"]["coordinates"]) > 2, "along the streets, not a straight line"
    assert start["properties"]["stop_id"] == stops[0].stop_id and end["properties"]["stop_id"] == stops[1].stop_id
    (lon0, lat0), (lon1, lat1) = line["geometry"]["coordinates"][0], line["geometry"]["coordinates"][-1]
    assert abs(lat0 - stops[0].lat) < 0.003 and abs(lon0 - stops[0].lon) < 0.005
    assert abs(lat1 - stops[1].lat) < 0.003 and abs(lon1 - stops[1].lon) < 0.005
    first = app.test_client().get(f"/driver/leg.geojson?stop={stops[0].stop_id}", headers=bearer(token)).get_json()
    assert first["features"][1]["properties"]["name"] == "depot"


def test_the_leg_and_the_basemap_need_a_valid_driver_token(app, client, date, route):
    vehicle_id, stops = route
    anonymous = app.test_client()
    for path in (f"/driver/leg.geojson?stop={stops[0].stop_id}", "/driver/basemap.geojson"):
        resp = anonymous.get(path)
        assert resp.status_code == 401 and resp.get_json()["error"]["field"] == "Authorization"
        assert "Bearer" in resp.get_json()["error"]["message"]
        resp = anonymous.get(path, headers=bearer("not-a-token"))
        assert resp.status_code == 401 and "ask your dispatcher for a new one" in resp.get_json()["error"]["message"]
    token = issue(client, date, vehicle_id)
    resp = anonymous.get("/driver/basemap.geojson", headers=bearer(token))
    assert resp.status_code == 200 and resp.mimetype == "application/geo+json"
    assert resp.get_json()["features"], "the same street data as the dispatcher's basemap"


def test_a_leg_to_a_stop_of_another_route_or_to_no_stop_is_refused_naming_stop(app, client, date, route):
    token = issue(client, date, route[0])
    driver = app.test_client()
    resp = driver.get("/driver/leg.geojson?stop=nowhere", headers=bearer(token))
    assert resp.status_code == 404 and resp.get_json()["error"]["field"] == "stop"
    resp = driver.get("/driver/leg.geojson", headers=bearer(token))
    assert resp.status_code == 400 and "?stop=" in resp.get_json()["error"]["message"]


# --------------------------------------------------------------------------- driver links


def test_a_driver_link_is_shown_once_and_revoking_it_by_pasting_it_ends_it(app, client, date, route):
    vehicle_id, stops = route
    token = issue(client, date, vehicle_id)
    assert token not in client.get(f"/day/{date}").get_data(as_text=True), "the day page never shows it again"
    leg = f"/driver/leg.geojson?stop={stops[0].stop_id}"
    assert app.test_client().get(leg, headers=bearer(token)).status_code == 200
    resp = client.post(f"/day/{date}/drivers/{vehicle_id}/token",
                       data={"csrf_token": page_token(client, f"/day/{date}"), "action": "revoke",
                             "token": f"http://localhost/driver?token={token}"})
    assert resp.status_code == 302
    assert "is revoked" in flashes(client, date)
    assert app.test_client().get(leg, headers=bearer(token)).status_code == 401
    resp = client.post(f"/day/{date}/drivers/{vehicle_id}/token",
                       data={"csrf_token": page_token(client, f"/day/{date}"), "action": "revoke", "token": token})
    assert "unknown or already revoked" in flashes(client, date)


def test_no_link_for_a_van_without_a_route_and_none_for_a_planner(app, client, date):
    resp = client.post(f"/day/{date}/drivers/van-99/token",
                       data={"csrf_token": page_token(client, f"/day/{date}"), "action": "issue"})
    assert resp.status_code == 302
    said = flashes(client, date)
    assert "No link issued (vehicle_id)" in said and "van-99" in said
    planner = app.test_client()
    sign_in(planner, "plan")
    resp = planner.post(f"/day/{date}/drivers/van-1/token", data={"csrf_token": page_token(planner, f"/day/{date}")})
    assert resp.status_code == 403


def test_the_token_forms_carry_the_csrf_token(client, date, route):
    resp = client.post(f"/day/{date}/drivers/{route[0]}/token", data={"action": "issue"})
    assert resp.status_code == 400


# --------------------------------------------------------------------------- the dispatcher records events


def test_the_dispatcher_records_a_departure_and_a_delivery_for_a_driver_without_a_phone(app, client, date, route):
    vehicle_id, stops = route
    before = len(stored_events(app, date))
    assert record(client, date, type="departed", vehicle_id=vehicle_id, at="07:30").status_code == 302
    assert record(client, date, type="delivered", stop_id=stops[0].stop_id, at="07:50", id="form-1").status_code == 302
    assert f"Recorded for {vehicle_id}: delivered at {stops[0].stop_id}, 07:50" in flashes(client, date)
    new = stored_events(app, date)[before:]
    assert [(e.type, e.stop_id, e.at_s, e.source, e.reported_by) for e in new] == [
        ("departed", None, 7 * 3600 + 1800, "dispatcher", "dispatch"),
        ("delivered", stops[0].stop_id, 7 * 3600 + 3000, "dispatcher", "dispatch")]
    # The same form sent twice (a double click, a reload) records it once.
    assert record(client, date, type="delivered", stop_id=stops[0].stop_id, at="07:50", id="form-1").status_code == 302
    assert "was already recorded" in flashes(client, date)
    assert len(stored_events(app, date)) == before + 2


def test_a_refused_event_says_which_field_to_fix_and_stores_nothing(app, client, date, route):
    vehicle_id, stops = route
    before = len(stored_events(app, date))
    cases = [
        (dict(type="failed", stop_id=stops[-1].stop_id, at="08:00"), "reason"),
        (dict(type="delivered", stop_id="no-such-stop"), "choose one from the list"),
        (dict(type="delivered", stop_id=stops[-1].stop_id, at="8 o'clock"), "write it as HH:MM"),
        (dict(type="lunch", stop_id=stops[-1].stop_id), "choose departed, arrived, delivered or failed"),
        (dict(type="departed", vehicle_id="van-99"), "van-99"),
    ]
    for form, words in cases:
        assert record(client, date, **form).status_code == 302
        said = flashes(client, date)
        assert said.startswith("Not recorded:") and words in said, (form, said)
    assert len(stored_events(app, date)) == before
    assert record(client, date, csrf_token="", type="departed", vehicle_id=vehicle_id).status_code == 400


def test_a_planner_may_not_record_events(app, date, route):
    planner = app.test_client()
    sign_in(planner, "plan")
    resp = record(planner, date, type="departed", vehicle_id=route[0])
    assert resp.status_code == 403


# --------------------------------------------------------------------------- the timeline on the day page


def test_the_day_page_shows_a_timeline_row_per_van_a_now_line_late_stops_and_each_event_once(app, client, date, route):
    vehicle_id, stops = route
    # A late delivery on another van: after its first stop's slot has closed.
    other = next(v for v in driven(app, date).vehicles.values() if v.vehicle_id != vehicle_id and v.stops)
    late_at = other.stops[0].window.end + 1800
    hhmm = f"{late_at // 3600:02d}:{late_at % 3600 // 60:02d}"
    assert record(client, date, type="departed", vehicle_id=other.vehicle_id, at="07:00").status_code == 302
    assert record(client, date, type="delivered", stop_id=other.stops[0].stop_id, at=hhmm).status_code == 302
    page = client.get(f"/day/{date}").get_data(as_text=True)
    start = page.index('<svg id="timeline"')
    svg = page[start:page.index("</svg>", start)]
    day = driven(app, date)
    assert svg.count('<g class="tl-row"') == sum(1 for v in day.vehicles.values() if v.stops)
    assert 'id="now-line"' in svg
    late = re.search(r'<rect class="tl-box tl-driven tl-service tl-delivered late tl-stop"[^>]*data-stop-id="([^"]+)"', svg)
    assert late and late.group(1) == other.stops[0].stop_id
    for v in day.vehicles.values():
        for s in v.stops:
            assert f'data-slot-of="{s.stop_id}"' in svg
    events = re.findall(r'<tr class="event-[a-z_]+" data-event-id="([^"]+)"', page)
    assert sorted(events) == sorted(e.id for e in day.events) and len(events) == len(set(events))
    assert 'src="/static/timeline.js"' in page
