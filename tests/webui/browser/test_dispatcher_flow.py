"""A dispatcher's day in a real browser: sign in, plan, see the routes, edit, re-optimize,
print a driver sheet, import a bad file; and the planner's catchments. Tests run in order and
share one signed-in browser tab, as a dispatcher would."""

from __future__ import annotations

import importlib.util
import re

import pytest

from tests.webui.browser.conftest import new_page
from tests.webui.pages_support import DAY, PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def tab(browser, live_server):
    context, page, guard = new_page(browser)
    page.base = live_server
    yield page, guard
    context.close()
    assert guard.external == [], f"requests left localhost: {guard.external}"


def _clean(guard) -> None:
    assert guard.external == [], f"requests left localhost: {guard.external}"
    assert guard.page_errors == [], f"script errors on the page: {guard.page_errors}"


def _routes_drawn(page) -> int:
    page.wait_for_function("() => document.getElementById('map').dataset.routes === 'drawn'")
    page.wait_for_function("() => document.getElementById('map').dataset.basemap === 'ready'")
    return page.locator("path.route-line").count()


def _wait_for_plan(page, previous_url: str) -> None:
    page.wait_for_url(lambda url: "plan=" in url and url != previous_url, timeout=60_000)
    page.wait_for_load_state("load")


def test_sign_in_refuses_a_wrong_password_then_lets_the_dispatcher_in(tab, screenshot):
    page, guard = tab
    page.goto(f"{page.base}/day/{DAY}")
    assert "/signin" in page.url
    page.fill("input[name=username]", "dispatch")
    page.fill("input[name=password]", "wrong password")
    page.click("button[type=submit]")
    assert "User name or password is wrong." in page.inner_text("main")
    page.fill("input[name=username]", "dispatch")
    page.fill("input[name=password]", PASSWORD)
    screenshot(page, "01-sign-in")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/day/\d{4}-\d\d-\d\d"))
    assert "dispatch" in page.inner_text("header")
    _clean(guard)


def test_plan_the_day_shows_progress_then_one_coloured_route_per_vehicle(tab, screenshot):
    page, guard = tab
    page.goto(f"{page.base}/day/{DAY}")
    assert "40 orders" in page.inner_text(".summary")
    assert page.locator(".order-dot").count() == 40  # the unplanned orders are on the map
    before = page.url
    page.select_option("#time-limit", "3.0")
    page.click("#plan-button")
    page.wait_for_selector("#progress:not([hidden])")
    page.wait_for_function("() => document.getElementById('progress-text').textContent.length > 0")
    screenshot(page, "02-planning-progress")
    _wait_for_plan(page, before)
    vehicles = page.locator("article.vehicle").count()
    assert vehicles >= 1
    assert _routes_drawn(page) == vehicles
    assert page.locator("#map").get_attribute("data-route-layers") == str(vehicles)
    stops_in_lists = page.locator("article.vehicle tr.stop-row").count()
    assert page.locator(".stop-marker").count() == stops_in_lists
    colours = {page.locator(f"path.route-line >> nth={k}").get_attribute("stroke") for k in range(vehicles)}
    assert len(colours) == vehicles, "each route has its own colour"
    card = page.inner_text("#scorecard")
    for figure in ("On-time rate", "Total cost", "Distance", "Driver hours", "Unserved"):
        assert figure in card
    assert page.locator("#scorecard svg.chart").count() >= 4
    # Addresses and ids from order files reach map tooltips as text, never as markup.
    assert page.evaluate("lastmile.esc('<img src=x onerror=alert(1)>')") == "&lt;img src=x onerror=alert(1)&gt;"
    screenshot(page, "03-day-planned")
    screenshot(page, "03b-day-planned-full", full_page=True)
    _clean(guard)


def test_lock_and_move_stops_then_reoptimize_keeps_the_lock(tab, screenshot):
    page, guard = tab
    first_vehicle = page.locator("article.vehicle").first.get_attribute("data-vehicle")
    locked = page.locator(f"#vehicle-{first_vehicle} tr.stop-row").first.get_attribute("data-stop-id")

    # Lock the first stop of the first route to its vehicle.
    page.locator(f'tr.stop-row[data-stop-id="{locked}"]').first.click()
    assert page.locator("#editbar").is_visible()
    before = page.url
    page.click("#edit-lock")
    _wait_for_plan(page, before)
    row = page.locator(f'tr.stop-row[data-stop-id="{locked}"]')
    assert row.get_attribute("data-vehicle") == first_vehicle
    assert row.locator(".lock").count() == 1

    # Move the last stop of that route to the front of another vehicle's route.
    moved = page.locator(f"#vehicle-{first_vehicle} tr.stop-row").last.get_attribute("data-stop-id")
    options = page.locator("#edit-vehicle option").all_inner_texts()
    target = next(v for v in options if v != first_vehicle)
    page.locator(f'tr.stop-row[data-stop-id="{moved}"]').first.click()
    page.select_option("#edit-vehicle", target)
    page.fill("#edit-position", "1")
    before = page.url
    page.click("#edit-move")
    _wait_for_plan(page, before)
    first_of_target = page.locator(f"#vehicle-{target} tr.stop-row").first
    assert first_of_target.get_attribute("data-stop-id") == moved
    assert "vs plan #" in page.inner_text("#scorecard")  # the scorecard compares with the previous plan
    _routes_drawn(page)
    screenshot(page, "04-after-lock-and-move")

    # A nonsense edit gets a plain message, not a crash.
    page.locator(f'tr.stop-row[data-stop-id="{locked}"]').first.click()
    page.fill("#edit-position", "0")
    page.click("#edit-move")
    page.wait_for_selector("#edit-error:not([hidden])")
    assert "position" in page.inner_text("#edit-error")

    # Re-optimize: the locked stop stays on its vehicle; the scorecard shows the change.
    page.click("#edit-close")
    before = page.url
    page.click("#reoptimize-button")
    page.wait_for_selector("#progress:not([hidden])")
    _wait_for_plan(page, before)
    assert "re-optimize" in page.inner_text(".summary")
    row = page.locator(f'tr.stop-row[data-stop-id="{locked}"]')
    assert row.get_attribute("data-vehicle") == first_vehicle
    assert row.locator(".lock").count() == 1
    assert page.locator("#scorecard .delta").count() >= 1
    assert _routes_drawn(page) == page.locator("article.vehicle").count()
    screenshot(page, "05-reoptimized")
    _clean(guard)


def test_driver_sheet_prints_the_stops_and_downloads_as_csv(tab, screenshot):
    page, guard = tab
    vehicle = page.locator("article.vehicle").first.get_attribute("data-vehicle")
    stops = page.locator(f"#vehicle-{vehicle} tr.stop-row").count()
    page.locator(f"#vehicle-{vehicle} a.sheet-link").click()
    page.wait_for_selector("#driver-sheet")
    assert f"Driver sheet · {vehicle}" in page.inner_text("h1")
    assert page.locator("#driver-sheet tbody tr").count() == stops
    page.emulate_media(media="print")
    assert not page.locator(".topbar").is_visible()
    screenshot(page, "06-driver-sheet-print", full_page=True)
    page.emulate_media(media="screen")
    with page.expect_download() as info:
        page.click("#sheet-csv")
    text = open(info.value.path(), encoding="utf-8").read()
    assert text.splitlines()[0].startswith("vehicle_id,seq,stop_id")
    assert len(text.strip().splitlines()) == stops + 1
    page.go_back()
    _clean(guard)


def test_importing_a_bad_csv_lists_each_row_problem_and_keeps_the_day(tab, screenshot, tmp_path):
    page, guard = tab
    page.goto(f"{page.base}/day/{DAY}")
    bad = tmp_path / "bad-orders.csv"
    bad.write_text(
        "order_id,lat,lon,slot_start,slot_end,parcels\n"
        "A1,57.70,11.97,10:00,12:00,1\n"
        "A2,57.70,11.97,25:00,12:00,1\n"
        "A3,57.70,,10:00,12:00,zero\n",
        encoding="utf-8",
    )
    page.set_input_files("#import-file", str(bad))
    page.click("#import-button")
    page.wait_for_selector("#import-problems")
    problems = page.inner_text("#import-problems")
    assert "line 3, column slot_start" in problems
    assert "line 4, column parcels" in problems
    assert "nothing was imported" in page.inner_text(".flashes")
    assert "40 orders (generated orders)" in page.inner_text(".summary")
    screenshot(page, "07-import-bad-csv")
    _clean(guard)


def test_bad_address_and_missing_plan_show_plain_messages(tab, screenshot):
    page, guard = tab
    page.goto(f"{page.base}/day/not-a-date")
    text = page.inner_text("main")
    assert "is not a date" in text and "Traceback" not in text
    page.goto(f"{page.base}/plans/999999/sheet/van-1")
    assert "plan 999999 does not exist" in page.inner_text("main")
    screenshot(page, "08-plain-error")
    _clean(guard)


def test_day_view_fits_a_phone(browser, live_server, screenshot):
    context, page, guard = new_page(browser, width=390, height=844)
    page.goto(f"{live_server}/signin")
    page.fill("input[name=username]", "dispatch")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server}/day/{DAY}")
    if not page.locator("#map").get_attribute("data-routes"):  # run alone: plan the day first
        before = page.url
        page.click("#plan-button")
        _wait_for_plan(page, before)
    assert _routes_drawn(page) >= 1
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the phone"
    assert page.locator("#map").bounding_box()["width"] <= 390
    screenshot(page, "09-phone-day")
    screenshot(page, "09b-phone-day-full", full_page=True)
    sheet = page.locator("a.sheet-link").first.get_attribute("href")
    for path, name in ((sheet, "09c-phone-driver-sheet"), ("/planner", "09d-phone-planner")):
        page.goto(live_server + path)
        page.wait_for_load_state("load")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than the phone"
        screenshot(page, name)
    context.close()
    _clean(guard)


def test_planner_sees_pickup_points_and_draws_a_catchment(browser, live_server, screenshot):
    context, page, guard = new_page(browser)
    page.goto(f"{live_server}/signin")
    page.fill("input[name=username]", "plan")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/planner"))
    page.wait_for_function("() => document.getElementById('map').dataset.basemap === 'ready'")
    points = page.locator("tr.point-row").count()
    if points:
        page.locator("tr.point-row").first.click()
        page.wait_for_function("() => document.getElementById('map').dataset.catchments === '1'")
        assert page.locator("path.catchment").count() >= 1
    assert "Planned days compared" in page.inner_text("main")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "10-planner")
    if importlib.util.find_spec("scenarios.simulate") is not None:
        # Open one candidate for one simulated day and compare it with the baseline.
        candidate = page.locator("#whatif-add option").first.get_attribute("value")
        page.select_option("#whatif-add", [candidate])
        page.fill("#whatif-days", "1")
        page.fill("#whatif-orders", "25")
        page.click("#whatif-run")
        page.wait_for_selector("#whatif-progress:not([hidden])")
        page.wait_for_selector("#whatif-result", timeout=120_000)
        assert f"baseline +{candidate}" in page.inner_text("#whatif-result")
        assert page.locator("#whatif-result svg.chart").count() >= 5
        page.locator("#whatif").screenshot(path=str(screenshot.folder / "11-planner-what-if.png"))
    # A planner sees the day per zone, without its stops, and may not plan it.
    page.goto(f"{live_server}/day/{DAY}")
    assert page.locator("#plan-button").count() == 0
    assert page.locator("#zone-summary").count() == 1 and page.locator("#map").count() == 0
    context.close()
    _clean(guard)
