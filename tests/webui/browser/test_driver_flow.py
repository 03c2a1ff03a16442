"""The day as it is driven, in a real browser: a driver on a phone reports two deliveries and a
failure while the connection is cut; once it is back the queue is sent, each event once, and
the dispatcher's day page shows all three. The timeline has a now-line and a late stop in red.

The day is today (driver links end at 03:00 after their day), booked, planned and published in
the server's own store before the browsers start."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest

from tests.webui.browser.conftest import new_page
from tests.webui.driven_support import first_route, published_today_app, stored_events
from tests.webui.pages_support import PASSWORD

pytestmark = pytest.mark.browser

PHONE = (390, 844)
OUTCOMES = ("delivered", "failed")


@pytest.fixture(scope="module")
def server(tmp_path_factory, store_copies):
    """A published day of today on its own server: ``(base url, app, date)``."""
    from werkzeug.serving import make_server

    with published_today_app(tmp_path_factory, store_copies, "driver-flow") as app:
        date, _plan_id = app.published
        srv = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=srv.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{srv.server_port}", app, date
        srv.shutdown()


@pytest.fixture(scope="module")
def dispatcher(browser, server):
    """A dispatcher signed in at desktop width."""
    base, _app, _date = server
    context, page, guard = new_page(browser, 1280, 900)
    page.goto(f"{base}/signin")
    page.fill("input[name=username]", "dispatch")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/signin" not in url)
    yield page, guard
    context.close()


def _clean(guard) -> None:
    assert guard.external == [], f"requests left localhost: {guard.external}"
    assert guard.page_errors == [], f"script errors on the page: {guard.page_errors}"


def _queued(page, token: str) -> list[dict]:
    """The events waiting on the phone, oldest first (each kept with the token it was made under)."""
    items = json.loads(page.evaluate("window.localStorage.getItem('lastmile.driver.queue') || '[]'"))
    assert all(q["token"] == token for q in items)
    return [q["event"] for q in items]


def test_a_driver_reports_offline_and_the_dispatcher_sees_each_event_once(browser, server, dispatcher, screenshot):
    base, app, date = server
    desk, desk_guard = dispatcher
    vehicle_id, stops = first_route(app, date)
    assert len(stops) >= 3, "the busiest van needs three stops for this story"

    # The dispatcher issues the driver's link on the day page; it is shown once.
    desk.goto(f"{base}/day/{date}")
    desk.click(f'#driver-links tr[data-vehicle="{vehicle_id}"] form.issue-link button')
    link = desk.input_value("#driver-link-url")
    assert link.startswith(f"{base}/driver?token=")
    token = link.split("token=", 1)[1]

    context, phone, guard = new_page(browser, *PHONE)
    phone.goto(link)
    phone.wait_for_function("() => document.getElementById('driver').dataset.state === 'ready'")
    assert "token=" not in phone.url, "the token leaves the address bar"
    assert phone.evaluate("JSON.parse(localStorage.getItem('lastmile.driver.token'))") == token
    cards = phone.locator("li.driver-stop")
    assert cards.count() == len(stops)
    assert [cards.nth(k).get_attribute("data-stop-id") for k in range(len(stops))] == [s.stop_id for s in stops]
    assert stops[0].address in cards.nth(0).inner_text()
    phone.wait_for_function(f"() => document.getElementById('leg-map').dataset.leg === {json.dumps(stops[0].stop_id)}")
    assert phone.locator("path.leg-line").count() == 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE[0], "nothing wider than the phone"
    screenshot(phone, "driver-01-stops-at-phone-width")

    # The connection is cut: taps are queued on the phone, nothing reaches the store.
    context.set_offline(True)
    card = lambda k: phone.locator(f'li.driver-stop[data-stop-id="{stops[k].stop_id}"]')  # noqa: E731
    card(0).locator('button[data-type="delivered"]').click()
    card(1).locator('button[data-type="delivered"]').click()
    card(2).locator('button[data-type="failed"]').click()
    card(2).locator("select.reason").select_option("not_home")
    card(2).locator("button.confirm-fail").click()
    queued = _queued(phone, token)
    outcomes = [e for e in queued if e["type"] in OUTCOMES]
    assert [(e["type"], e["stop_id"], e.get("reason")) for e in outcomes] == [
        ("delivered", stops[0].stop_id, None), ("delivered", stops[1].stop_id, None), ("failed", stops[2].stop_id, "not_home")]
    assert [e["type"] for e in queued].count("departed") == 1
    assert len({e["id"] for e in queued}) == len(queued), "every tap has its own id"
    assert phone.get_attribute("#queue-status", "data-count") == str(len(queued))
    assert phone.inner_text("#queue-status") == f"{len(queued)} waiting to send"
    assert [card(k).get_attribute("data-status") for k in range(3)] == ["delivered", "delivered", "failed"]
    phone.wait_for_timeout(300)  # a send attempt while offline must keep the queue
    assert len(_queued(phone, token)) == len(queued)
    assert [e for e in stored_events(app, date) if e.vehicle_id == vehicle_id] == []
    screenshot(phone, "driver-02-offline-three-waiting")

    # Back online: the queue goes out in order, once.
    context.set_offline(False)
    phone.wait_for_function("() => document.getElementById('queue-status').dataset.count === '0'", timeout=30_000)
    assert phone.inner_text("#queue-status") == "Nothing waiting to send"
    stored = [e for e in stored_events(app, date) if e.vehicle_id == vehicle_id]
    assert [e.id for e in stored] == [e["id"] for e in queued], "the store holds exactly what the phone queued, in order, once"
    assert [(e.type, e.stop_id, e.reason, e.source) for e in stored if e.type in OUTCOMES] == [
        ("delivered", stops[0].stop_id, None, "driver"), ("delivered", stops[1].stop_id, None, "driver"),
        ("failed", stops[2].stop_id, "not_home", "driver")]
    # A resend of a recorded id is harmless.
    again = phone.evaluate("""([url, token, ev]) => fetch(url, {method: 'POST', body: JSON.stringify(ev),
        headers: {'Authorization': 'Bearer ' + token, 'Content-Type': 'application/json'}}).then(r => r.status)""",
                           ["/api/v1/driver/events", token, outcomes[0]])
    assert again == 200
    assert len([e for e in stored_events(app, date) if e.vehicle_id == vehicle_id]) == len(queued)
    phone.wait_for_function("() => document.querySelectorAll('li.driver-stop.status-delivered').length === 2")
    screenshot(phone, "driver-03-online-all-sent")
    context.close()
    _clean(guard)

    # The dispatcher's page shows the three outcomes, each once.
    desk.goto(f"{base}/day/{date}")
    rows = desk.locator("#driven-events tbody tr")
    shown = [rows.nth(k).get_attribute("data-event-id") for k in range(rows.count())]
    for ev in outcomes:
        assert shown.count(ev["id"]) == 1, f"{ev['type']} at {ev['stop_id']} is listed once"
    assert sorted(shown) == sorted(e.id for e in stored_events(app, date))
    failed_row = desk.locator(f'#driven-events tr[data-event-id="{outcomes[2]["id"]}"]').inner_text()
    assert "failed" in failed_row and "not home" in failed_row
    done = desk.locator(f'#timeline .tl-driven.tl-stop[data-vehicle="{vehicle_id}"]')
    assert {done.nth(k).get_attribute("data-stop-id") for k in range(done.count())} >= {s.stop_id for s in stops[:3]}
    screenshot(desk, "driver-04-dispatcher-sees-three", full_page=True)
    _clean(desk_guard)


def test_the_timeline_has_a_now_line_a_late_stop_in_red_and_clicking_a_stop_selects_it(server, dispatcher, screenshot):
    base, app, date = server
    desk, guard = dispatcher
    busiest, _stops = first_route(app, date)
    from scenarios.execution.day import driven_day
    from scenarios.execution.tokens import scenario_tz

    wb = app.extensions["lastmile.workbench"]
    other = next(v for v in driven_day(wb.db, wb.scenario_name, date).vehicles.values() if v.vehicle_id != busiest and v.stops)
    first = other.stops[0]
    # Half an hour after the slot closed, and after the departure the page records now.
    now = dt.datetime.now(scenario_tz(wb.scenario_name))
    now_s = now.hour * 3600 + now.minute * 60
    late_at = min(max(first.window.end + 1800, now_s + 120), 23 * 3600 + 59 * 60)
    desk.goto(f"{base}/day/{date}")
    # A driver without a phone: the dispatcher records the van's departure and a late delivery.
    desk.click(f'#driver-links tr[data-vehicle="{other.vehicle_id}"] form.depart-form button')
    desk.wait_for_load_state("load")
    desk.select_option("#event-stop", first.stop_id)
    desk.select_option("#event-type", "delivered")
    desk.fill("#event-at", f"{late_at // 3600:02d}:{late_at % 3600 // 60:02d}")
    desk.click("#event-submit")
    desk.wait_for_load_state("load")
    assert f"Recorded for {other.vehicle_id}: delivered at {first.stop_id}" in desk.inner_text("#flashes")

    assert desk.locator("#now-line").count() == 1
    now_box = desk.locator("#now-line").bounding_box()
    chart = desk.locator("#timeline").bounding_box()
    assert now_box and chart["x"] <= now_box["x"] <= chart["x"] + chart["width"]
    late = desk.locator(f'#timeline rect.tl-driven.late[data-stop-id="{first.stop_id}"]')
    assert late.count() == 1
    assert late.evaluate("el => getComputedStyle(el).fill") == "rgb(179, 38, 30)", "late is red"
    on_time = desk.locator("#timeline rect.tl-planned.tl-service:not(.late)").first
    assert on_time.evaluate("el => getComputedStyle(el).fill") != "rgb(179, 38, 30)"

    # Clicking a stop in the timeline selects it in the stop list and in the event form.
    target = desk.locator(f'#timeline rect.tl-planned.tl-stop[data-stop-id="{first.stop_id}"]')
    target.click()
    assert desk.locator(f'tr.stop-row.selected[data-stop-id="{first.stop_id}"]').count() == 1
    assert "selected" in target.get_attribute("class")
    assert "selected" in desk.locator(f'#timeline rect.tl-slot[data-slot-of="{first.stop_id}"]').get_attribute("class")
    assert desk.input_value("#event-stop") == first.stop_id
    # ... and selecting a row elsewhere marks it in the timeline.
    second = other.stops[1] if len(other.stops) > 1 else first
    desk.click(f'tr.stop-row[data-stop-id="{second.stop_id}"]')
    desk.wait_for_function(f"() => document.getElementById('timeline').dataset.selected === {json.dumps(second.stop_id)}")
    desk.locator("#driven").scroll_into_view_if_needed()
    screenshot(desk, "driver-05-timeline-now-line-late-red")
    _clean(guard)


def test_a_server_error_keeps_an_event_queued_and_a_revoked_link_keeps_it_until_a_new_link_sends_it(
        browser, server, dispatcher, screenshot):
    base, app, date = server
    desk, desk_guard = dispatcher
    vehicle_id, stops = first_route(app, date)
    assert len(stops) >= 5
    fourth, fifth = stops[3], stops[4]

    def issue_link() -> str:
        desk.goto(f"{base}/day/{date}")
        desk.click(f'#driver-links tr[data-vehicle="{vehicle_id}"] form.issue-link button')
        return desk.input_value("#driver-link-url")

    def recorded(stop_id: str) -> list[str]:
        return [e.type for e in stored_events(app, date) if e.stop_id == stop_id]

    link = issue_link()
    context, phone, guard = new_page(browser, *PHONE)
    answered_503 = []

    def flaky(route):  # the first event POST meets a server in trouble
        if not answered_503:
            answered_503.append(route.request.post_data_json["id"])
            route.fulfill(status=503, content_type="application/json", body='{"error": "try again"}')
        else:
            route.continue_()

    context.route("**/api/v1/driver/events", flaky)
    phone.goto(link)
    phone.wait_for_function("() => document.getElementById('driver').dataset.state === 'ready'")
    phone.locator(f'li.driver-stop[data-stop-id="{fourth.stop_id}"] button[data-type="delivered"]').click()
    phone.wait_for_function("() => document.getElementById('queue-status').dataset.count === '0'", timeout=30_000)
    assert len(answered_503) == 1, "the 503 was answered once, then the same event was sent again"
    assert recorded(fourth.stop_id) == ["arrived", "delivered"]
    assert [e.id for e in stored_events(app, date)].count(answered_503[0]) == 1

    # The link is revoked while the driver reports: the report stays on the phone.
    desk.goto(f"{base}/day/{date}")
    desk.fill(f'#driver-links tr[data-vehicle="{vehicle_id}"] form.revoke-link input[name=token]', link)
    desk.click(f'#driver-links tr[data-vehicle="{vehicle_id}"] form.revoke-link button')
    assert "is revoked" in desk.inner_text("#flashes")
    card = phone.locator(f'li.driver-stop[data-stop-id="{fifth.stop_id}"]')
    card.locator('button[data-type="failed"]').click()
    card.locator("select.reason").select_option("no_access")
    card.locator("button.confirm-fail").click()
    phone.wait_for_function("() => document.getElementById('driver-message').textContent.includes('revoked')")
    assert phone.get_attribute("#queue-status", "data-count") == "2"
    assert recorded(fifth.stop_id) == []
    screenshot(phone, "driver-06-revoked-link-keeps-the-report")

    # A new link opened on the phone sends what the old one could not, once.
    phone.goto(issue_link())
    phone.wait_for_function("() => document.getElementById('queue-status').dataset.count === '0'", timeout=30_000)
    assert recorded(fifth.stop_id) == ["arrived", "failed"]
    failed = next(e for e in stored_events(app, date) if e.stop_id == fifth.stop_id and e.type == "failed")
    assert failed.reason == "no_access" and failed.source == "driver"
    context.close()
    _clean(guard)
    _clean(desk_guard)
