"""The Performance page: trends of the driven days (on time, failed, cost per order, rating),
per day or per ISO week, for dispatchers and planners alike."""

from __future__ import annotations

import pytest

from tests.scenarios.driven_support import driven_day_copy
from tests.webui.pages_support import add_users, sign_in, small_day_config

RANGE = "/performance?from=2026-11-20&to=2026-11-26"


@pytest.fixture(scope="module")
def app(tmp_path_factory, store_copies):
    from webui.app import create_app

    tmp = tmp_path_factory.mktemp("performance")
    _db, _scenario, plan, _info = driven_day_copy(store_copies, tmp)  # writes tmp/lastmile.db, the store the app opens
    app = create_app(small_day_config(tmp))
    add_users(app)
    app.driven_date = plan.date
    yield app
    app.extensions["lastmile.jobs"].shutdown()


@pytest.fixture(params=["dispatch", "plan"])
def client(app, request):
    client = app.test_client()
    sign_in(client, request.param)
    return client


def test_the_page_charts_the_driven_days_for_dispatchers_and_planners(app, client):
    resp = client.get(RANGE)
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    for title in ("On time (%)", "Failed deliveries (% of attempted)", "Cost per delivered order", "Customer rating (1-5)"):
        assert f'aria-label="{title}"' in page
    assert f'href="/day/{app.driven_date}"' in page
    assert "1 driven day" in page and "6 day(s) without a published plan are left out" in page
    assert 'href="/performance"' in page  # the nav link


def test_the_weekly_view_sums_the_days_of_each_iso_week(client):
    page = client.get(RANGE + "&view=week").get_data(as_text=True)
    assert "Per week (ISO)" in page and "<td>2026-W48</td>" in page


def test_a_range_without_driven_days_says_how_to_get_some(client):
    page = client.get("/performance?from=2026-10-01&to=2026-10-31").get_data(as_text=True)
    assert "No published day from 2026-10-01 to 2026-10-31 was driven yet" in page


@pytest.mark.parametrize("query, message", [
    ("from=2026-11-31&to=2026-12-01", "from: &#39;2026-11-31&#39; is not a date"),
    ("from=2026-12-01&to=2026-11-01", "from: 2026-12-01 is after to (2026-11-01)"),
    ("from=2025-01-01&to=2026-11-01", "days is more than 190"),
])
def test_bad_dates_are_a_400_naming_the_field(client, query, message):
    resp = client.get(f"/performance?{query}")
    assert resp.status_code == 400 and message in resp.get_data(as_text=True)


def test_signed_out_visitors_are_sent_to_sign_in(app):
    resp = app.test_client().get("/performance")
    assert resp.status_code == 302 and "/signin" in resp.headers["Location"]


def test_the_day_page_partial_sets_the_actual_figures_next_to_the_plans(app):
    from flask import render_template_string

    from webui.pages.performance import day_actual

    wb = app.extensions["lastmile.workbench"]
    actual = day_actual(wb, app.driven_date)
    assert actual is not None and actual["delivered"] > 0
    with app.test_request_context():
        html = render_template_string('{% include "_actual.html" %}', actual=actual)
        nothing = render_template_string('{% include "_actual.html" %}', actual=day_actual(wb, "2026-11-25"))
    assert "Plan against actual" in html and f"plan #{actual['plan_id']} as driven" in html
    assert f"<td>{actual['delivered']} / {actual['failed']} / {actual['unserved']}</td>" in html
    assert all(f'data-vehicle="{v["vehicle_id"]}"' in html for v in actual["per_vehicle"])
    assert "not home" in html  # failed by reason, in words
    assert nothing.strip() == ""  # a day with nothing published shows no panel


def test_the_day_page_shows_plan_against_actual_once_the_vans_have_reported(app, client):
    page = client.get(f"/day/{app.driven_date}").get_data(as_text=True)
    assert 'id="actual"' in page and "Plan against actual" in page
    assert 'id="actual"' not in client.get("/day/2026-11-25").get_data(as_text=True)
