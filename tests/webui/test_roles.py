"""Who sees what: every page route of the app, fetched by a dispatcher, a planner and an admin.

Only a dispatcher sees individual stops. For a planner and an admin every answer (pages, JSON,
GeoJSON, CSV, error pages) holds none of the booked day's personal data:

* no address text of a booking or a planned stop;
* no customer id (``c00253``), booking id or shop order reference;
* no delivery instructions text;
* no customer position finer than a zone: no pair of numbers with 4 or more decimals, written
  within :data:`PAIR_SPAN` characters of each other, that match a booking's or a home stop's
  latitude *and* longitude to 4 decimals (about 10 m).

Pickup points are public places, so their positions (and the walking catchments drawn around
them) are not personal data; neither is the street basemap, whose line vertices run along the
same streets as the customers' homes. For those two GeoJSON routes the position check is not
applied; the text checks are.

Every route in ``app.url_map`` except ``/static`` and the shops' and drivers' ``/api/`` routes
(API key and driver token, not a session) must be listed in :data:`ROUTES`, so a new page
fails here until it is classified.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from dataclasses import dataclass
from typing import Callable

import pytest
from sqlalchemy import select

from scheduling.audit import entries
from scheduling.storage.models import Booking
from tests.webui.driven_support import first_route, today_local
from tests.webui.pages_support import PASSWORD, form_token, page_app, sign_in, wait_job

ALL = ("dispatcher", "planner", "admin")
USER_OF_ROLE = {"dispatcher": "dispatch", "planner": "plan", "admin": "root"}


@dataclass(frozen=True)
class Route:
    """How a route is fetched and who may use it.

    ``allowed``: the roles that get the route's answer (the others: 403 with a plain message).
    ``kind``: ``page`` (a session route), ``token`` (a driver route: a session alone gets 401 or
    the bare page shell), ``public`` (signing in and out). ``geometry``: street or walking
    geometry, where the position check does not apply (see the module docstring).
    """

    path: Callable[[dict], str]
    allowed: tuple[str, ...] = ALL
    method: str = "GET"
    kind: str = "page"
    geometry: bool = False
    status: int = 200  # for an allowed role


DISPATCHER = ("dispatcher",)
ROUTES: dict[str, Route] = {
    "auth.signin": Route(lambda c: "/signin", kind="public"),
    "auth.signout": Route(lambda c: "/signout", method="POST", kind="public"),
    "day.home": Route(lambda c: "/", status=302),
    "day.pick": Route(lambda c: f"/day?date={c['date']}", status=302),
    "day.view": Route(lambda c: f"/day/{c['date']}"),  # planner and admin: the day per zone
    "day.job": Route(lambda c: f"/jobs/{c['job']}"),  # progress of a solve: no stops in it
    "day.basemap": Route(lambda c: "/basemap.geojson", geometry=True),
    "day.routes_geojson": Route(lambda c: f"/plans/{c['plan']}/routes.geojson", DISPATCHER),
    "day.plan": Route(lambda c: f"/day/{c['date']}/plan", DISPATCHER, "POST"),
    "day.reoptimize": Route(lambda c: f"/plans/{c['plan']}/reoptimize", DISPATCHER, "POST"),
    "day.stop_job": Route(lambda c: f"/jobs/{c['job']}/stop", DISPATCHER, "POST"),
    "day.vehicle_out": Route(lambda c: f"/day/{c['date']}/vehicles/out", DISPATCHER, "POST"),
    "day.edit": Route(lambda c: f"/plans/{c['plan']}/edit", DISPATCHER, "POST"),
    "day.import_orders": Route(lambda c: f"/day/{c['date']}/import", DISPATCHER, "POST"),
    "day.drop_import": Route(lambda c: f"/day/{c['date']}/import/drop", DISPATCHER, "POST"),
    "day.record_stop_event": Route(lambda c: f"/day/{c['date']}/events", DISPATCHER, "POST"),
    "day.driver_token": Route(lambda c: f"/day/{c['date']}/drivers/{c['vehicle']}/token", DISPATCHER, "POST"),
    "day.publish": Route(lambda c: f"/plans/{c['plan']}/publish", DISPATCHER, "POST"),
    "sheets.sheet": Route(lambda c: f"/plans/{c['plan']}/sheet/{c['vehicle']}", DISPATCHER),
    "sheets.sheet_csv": Route(lambda c: f"/plans/{c['plan']}/sheet/{c['vehicle']}.csv", DISPATCHER),
    "sheets.sheets_csv": Route(lambda c: f"/plans/{c['plan']}/sheets.csv", DISPATCHER),
    "planner.view": Route(lambda c: "/planner"),
    "planner.catchment": Route(lambda c: f"/planner/catchments/{c['point']}.geojson", geometry=True),
    "planner.simulate": Route(lambda c: "/planner/simulate", ("planner",), "POST"),
    "performance.view": Route(lambda c: f"/performance?from={c['date']}&to={c['date']}"),
    "admin.view": Route(lambda c: "/admin", ("admin",)),
    "admin.add": Route(lambda c: "/admin/users", ("admin",), "POST"),
    "admin.change_role": Route(lambda c: "/admin/users/dispatch/role", ("admin",), "POST"),
    "admin.reset_password": Route(lambda c: "/admin/users/dispatch/password", ("admin",), "POST"),
    "admin.remove": Route(lambda c: "/admin/users/dispatch/remove", ("admin",), "POST"),
    # The driver's phone: its data routes need the driver token, never a session.
    "driver.page": Route(lambda c: "/driver", kind="token"),
    "driver.basemap": Route(lambda c: "/driver/basemap.geojson", (), kind="token", geometry=True, status=401),
    "driver.leg": Route(lambda c: f"/driver/leg.geojson?stop={c['stop']}", (), kind="token", status=401),
}
GETS = sorted(e for e, r in ROUTES.items() if r.method == "GET")
POSTS = sorted(e for e, r in ROUTES.items() if r.method == "POST" and r.kind == "page")


def page_rules(app) -> dict[str, str]:
    """``{endpoint: rule}`` of every route the pages serve (not static, not the /api/ routes)."""
    return {r.endpoint: r.rule for r in app.url_map.iter_rules()
            if r.endpoint != "static" and not r.rule.startswith("/api/")}


# --------------------------------------------------------------------------- the booked day


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from webui.accounts import add_user
    from webui.app import get_db

    with page_app(tmp_path_factory, "roles") as app:
        add_user(get_db(app), "root", PASSWORD, "admin")
        app.ctx = published_with_instructions(app)
        yield app


def published_with_instructions(app) -> dict:
    """Today booked by the demo shops (addresses), instructions on every booking, planned,
    published, driven a little (one departure and delivery) and re-optimized once as a job."""
    from scenarios.dispatch.demo import VirtualClock, book_the_day
    from scenarios.planning import network_for

    wb = app.extensions["lastmile.workbench"]
    date = today_local(app)
    day = dt.date.fromisoformat(date)
    clock = VirtualClock(dt.datetime.combine(day - dt.timedelta(days=1), dt.time(10, 0), tzinfo=dt.timezone.utc))
    assert book_the_day(wb.db, wb.scenario, day, network_for(wb.scenario), clock, n_orders=20).booked >= 10
    with wb.db.session() as s:
        for k, b in enumerate(s.scalars(select(Booking).where(Booking.date == date)).all()):
            b.instructions = f"Leave it by the blue door, code 77{k:02d}"
    plan_id, _result, _day = wb.plan_day(date, "dispatch", 2.0)
    wb.publish(date, "dispatch", plan_id=plan_id, force=True)
    vehicle, stops = first_route(app, date)
    dispatcher = app.test_client()
    sign_in(dispatcher)
    token = form_token(dispatcher.get(f"/day/{date}").get_data(as_text=True))
    for form in ({"type": "departed", "vehicle_id": vehicle, "at": "07:30"},
                 {"type": "delivered", "stop_id": stops[0].stop_id, "at": "07:50"}):
        assert dispatcher.post(f"/day/{date}/events", data={**form, "csrf_token": token}).status_code == 302
    job = dispatcher.post(f"/plans/{plan_id}/reoptimize", json={"time_limit": 1},
                          headers={"X-CSRFToken": token}).get_json()["job"]
    wait_job(dispatcher, f"/jobs/{job['id']}")
    point = next(p for p in wb.scenario.pickup_points if p.active)
    return {"date": date, "plan": plan_id, "vehicle": vehicle, "stop": stops[1].stop_id, "job": job["id"],
            "point": point.id, "secrets": personal_data(app, date, plan_id)}


def personal_data(app, date: str, plan_id: int) -> dict:
    """What no planner or admin may see: texts, ids and customer positions of the day."""
    wb = app.extensions["lastmile.workbench"]
    points = [(p.lat, p.lon) for p in wb.scenario.pickup_points]
    with wb.db.session() as s:
        bookings = s.scalars(select(Booking).where(Booking.date == date)).all()
        texts = {b.address for b in bookings if b.address} | {b.instructions for b in bookings if b.instructions}
        ids = {b.customer_id for b in bookings} | {b.id for b in bookings} | {b.order_ref for b in bookings if b.order_ref}
        positions = {(b.lat, b.lon) for b in bookings}
    for r in wb.get_plan(plan_id).plan["routes"]:
        for st in r["stops"]:
            if st["pickup_point_id"] is None:
                texts.add(st["address"])
                positions.add((st["lat"], st["lon"]))
    positions = {p for p in positions if not any(abs(p[0] - q[0]) < 1e-5 and abs(p[1] - q[1]) < 1e-5 for q in points)}
    assert texts and ids and positions
    return {"texts": sorted(t for t in texts if t), "ids": sorted(ids), "positions": sorted(positions)}


def readable(resp) -> str:
    """The answer as a person would read it: HTML entities and JSON escapes undone."""
    if resp.is_json:
        return json.dumps(resp.get_json(), ensure_ascii=False)
    return html.unescape(resp.get_data(as_text=True))


FINE_NUMBER = re.compile(r"-?\d{1,3}\.\d{4,}")
PAIR_SPAN = 60  # characters between a latitude and its longitude: JSON "lat": x, "lon": y, [lon, lat], CSV columns


def leaks(text: str, secrets: dict, *, positions: bool = True) -> list[str]:
    """The personal data of the day found in ``text`` (empty: none)."""
    found = [f"text {t!r}" for t in secrets["texts"] if t in text]
    # (``i in text`` first: the same answer, and a regex scan of the megabyte basemap per id takes seconds)
    found += [f"id {i!r}" for i in secrets["ids"] if i in text and re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", text)]
    if positions:
        numbers = [(m.start(), float(m.group())) for m in FINE_NUMBER.finditer(text)]
        for lat, lon in secrets["positions"]:
            at_lat = [i for i, x in numbers if abs(x - lat) < 5e-5]
            if any(abs(x - lon) < 5e-5 and abs(i - j) <= PAIR_SPAN for i, x in numbers for j in at_lat):
                found.append(f"position {lat:.6f},{lon:.6f}")
    return found


@pytest.fixture(scope="module")
def clients(app) -> dict:
    out = {}
    for role, user in USER_OF_ROLE.items():
        out[role] = app.test_client()
        assert sign_in(out[role], user).status_code == 302
    return out


# --------------------------------------------------------------------------- every route is classified


def test_every_page_route_is_classified(app):
    rules = page_rules(app)
    unclassified = sorted(set(rules) - set(ROUTES))
    assert not unclassified, (f"classify {', '.join(f'{e} ({rules[e]})' for e in unclassified)} in ROUTES of "
                              "tests/webui/test_roles.py: who may see it, and does it show individual stops?")
    assert not set(ROUTES) - set(rules), "ROUTES lists endpoints the app no longer has; remove them"
    for endpoint, route in ROUTES.items():
        methods = next(r.methods for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        assert route.method in methods, f"{endpoint}: the app serves {sorted(methods)}, ROUTES says {route.method}"


# --------------------------------------------------------------------------- what each role gets


@pytest.mark.parametrize("role", ALL)
@pytest.mark.parametrize("endpoint", GETS)
def test_each_role_gets_what_its_role_allows_and_no_stops_unless_a_dispatcher(app, clients, endpoint, role):
    route = ROUTES[endpoint]
    resp = clients[role].get(route.path(app.ctx))
    if role in route.allowed:
        assert resp.status_code == route.status, (endpoint, role, resp.status_code)
    elif route.kind == "token":
        assert resp.status_code == route.status == 401, "a session is not a driver token"
    else:
        assert resp.status_code == 403, (endpoint, role, resp.status_code)
        assert f"you are signed in as a {role}" in readable(resp), "the refusal says why"
    if role != "dispatcher":
        found = leaks(readable(resp), app.ctx["secrets"], positions=not route.geometry)
        assert not found, f"{role} sees personal data on {endpoint}: {found[:5]}"


@pytest.mark.parametrize("endpoint, role", [(e, r) for e in POSTS for r in ALL if r not in ROUTES[e].allowed])
def test_actions_of_other_roles_are_refused_with_a_plain_403(app, clients, endpoint, role):
    """(The actions themselves, for the roles allowed them, are tested with their pages.)"""
    route = ROUTES[endpoint]
    client = clients[role]
    token = form_token(client.get("/planner").get_data(as_text=True))
    resp = client.post(route.path(app.ctx), data={"csrf_token": token}, headers={"X-CSRFToken": token})
    assert resp.status_code == 403
    assert "role" in readable(resp) and not leaks(readable(resp), app.ctx["secrets"])


def test_the_leak_check_finds_what_a_dispatcher_legitimately_sees(app, clients):
    """The detector is not blind: the dispatcher's day page has the addresses, the driver sheet
    CSV the stops' positions, the driver sheet the stop ids."""
    c, secrets = app.ctx, app.ctx["secrets"]
    page = readable(clients["dispatcher"].get(f"/day/{c['date']}"))
    assert any(f.startswith("text") for f in leaks(page, secrets))
    csv_text = readable(clients["dispatcher"].get(f"/plans/{c['plan']}/sheets.csv"))
    assert any(f.startswith("position") for f in leaks(csv_text, secrets))
    assert any(f.startswith("id") for f in leaks(csv_text, secrets))


@pytest.mark.parametrize("role", ["planner", "admin"])
def test_planners_and_admins_see_the_day_per_zone(app, clients, role):
    c = app.ctx
    page = readable(clients[role].get(f"/day/{c['date']}"))
    assert 'id="zone-summary"' in page and 'id="slot-summary"' in page and 'id="plan-figures"' in page
    assert 'id="actual"' in page, "plan against actual: per day and vehicle, no stops"
    assert 'id="map"' not in page and 'id="orders"' not in page and "routes.geojson" not in page
    rows = re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td><td>(\d+)</td>", page.split('id="zone-summary"')[1].split("</section>")[0])
    assert rows and sum(int(n) for _zone, n, _parcels in rows) >= 10, "every order is counted in its zone"


def test_each_role_lands_on_its_own_page(clients, app):
    assert clients["dispatcher"].get("/").location.endswith(f"/day/{(dt.date.today() + dt.timedelta(days=1)).isoformat()}")
    assert clients["planner"].get("/").location.endswith("/planner")
    assert clients["admin"].get("/").location.endswith("/admin")


# --------------------------------------------------------------------------- the audit log of what was seen


def logged(app, action: str | None = None) -> list:
    from webui.app import get_db

    return entries(get_db(app), action=action)


def test_a_dispatchers_day_view_is_logged_once_per_page_not_per_poll(app, clients):
    c = app.ctx
    before = len(logged(app))
    d = clients["dispatcher"]
    assert d.get(f"/day/{c['date']}").status_code == 200
    for poll in ("/basemap.geojson", f"/plans/{c['plan']}/routes.geojson", f"/jobs/{c['job']}"):
        assert d.get(poll).status_code == 200
    new = logged(app)[: len(logged(app)) - before]
    assert [(e.actor, e.action, e.subject) for e in new] == [("user:dispatch", "day.view", f"day:{c['date']}")]
    assert "orders" in new[0].detail


def test_a_planners_or_admins_day_summary_is_not_a_view_of_stops(app, clients):
    before = len(logged(app))
    for role in ("planner", "admin"):
        assert clients[role].get(f"/day/{app.ctx['date']}").status_code == 200
    assert len(logged(app)) == before


def test_every_driver_sheet_opened_or_downloaded_is_logged_as_an_export(app, clients):
    c = app.ctx
    before = len(logged(app, "day.export"))
    for path in (f"/plans/{c['plan']}/sheet/{c['vehicle']}", f"/plans/{c['plan']}/sheet/{c['vehicle']}.csv",
                 f"/plans/{c['plan']}/sheets.csv"):
        assert clients["dispatcher"].get(path).status_code == 200
    new = logged(app, "day.export")[:3]
    assert len(logged(app, "day.export")) == before + 3
    assert {e.actor for e in new} == {"user:dispatch"} and {e.subject for e in new} == {f"day:{c['date']}"}
    assert [e.detail for e in new] == [f"all driver sheets CSV, plan {c['plan']}",
                                       f"driver sheet CSV of {c['vehicle']}, plan {c['plan']}",
                                       f"driver sheet (print) of {c['vehicle']}, plan {c['plan']}"]


def test_plan_changes_publication_and_driver_links_are_logged(app, clients):
    c, d = app.ctx, clients["dispatcher"]
    token = form_token(d.get(f"/day/{c['date']}").get_data(as_text=True))
    latest = app.extensions["lastmile.workbench"].latest_plan(c["date"])
    edit = d.post(f"/plans/{latest.id}/edit", json={"action": "lock", "stop_id": c["stop"], "vehicle_id": c["vehicle"]},
                  headers={"X-CSRFToken": token})
    assert edit.status_code == 200, edit.get_json()
    new_id = edit.get_json()["plan_id"]
    assert d.post(f"/plans/{new_id}/publish", data={"csrf_token": token, "force": "1"}).status_code == 302
    link = d.post(f"/day/{c['date']}/drivers/{c['vehicle']}/token", data={"csrf_token": token, "action": "issue"})
    driver_token = re.search(r'id="driver-link-url"[^>]*value="[^"]*token=([^"]+)"', link.get_data(as_text=True)).group(1)
    d.post(f"/day/{c['date']}/drivers/{c['vehicle']}/token", data={"csrf_token": token, "action": "revoke", "token": driver_token})
    new = [(e.action, e.subject) for e in logged(app)[:4]]
    assert new == [("driver.revoke", f"day:{c['date']}"), ("driver.link", f"day:{c['date']}"),
                   ("plan.publish", f"day:{c['date']}"), ("plan.change", f"day:{c['date']}")]
    change = logged(app, "plan.change")[0]
    assert change.actor == "user:dispatch" and f"lock {c['stop']} to {c['vehicle']}" in change.detail
    assert all(driver_token not in e.detail for e in logged(app)), "a driver token is never written to the log"
