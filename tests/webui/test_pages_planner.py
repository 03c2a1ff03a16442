"""The planner's what-if: open a candidate, simulate, compare with the baseline on the page."""

from __future__ import annotations

import pytest

from tests.webui.pages_support import add_users, page_token, sign_in, small_day_config, wait_job

pytest.importorskip("scenarios.simulate", reason="the pickup-point simulation runner is not installed")


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from webui.app import create_app

    tmp = tmp_path_factory.mktemp("planner")
    app = create_app(small_day_config(tmp, ORDERS_PER_DAY_OVERRIDE=25))
    add_users(app)
    client = app.test_client()
    sign_in(client, "plan")
    client.scenario = app.extensions["lastmile.workbench"].scenario
    yield client
    app.extensions["lastmile.jobs"].shutdown()


def _post(client, body):
    return client.post("/planner/simulate", json=body, headers={"X-CSRFToken": page_token(client, "/planner")})


def test_opening_a_candidate_is_simulated_and_compared_with_the_baseline(client):
    candidate = next(p.id for p in client.scenario.pickup_points if not p.active)
    resp = _post(client, {"add": [candidate], "days": 1, "orders_per_day": 25, "start": "2026-11-24"})
    assert resp.status_code == 202, resp.get_json()
    snap = wait_job(client, resp.get_json()["poll"], timeout_s=120)
    assert snap["state"] == "done", snap["message"]
    page = client.get(snap["url"]).get_data(as_text=True)
    assert "What-if: open or close pickup points" in page
    assert f"baseline +{candidate}" in page
    for label in ("Cost per order (routes + points)", "Pickup share", "On-time rate", "Point utilization"):
        assert label in page
    assert page.count('<svg class="chart"') >= 5
    assert f'data-add=\'["{candidate}"]\'' in page

    # The form holds the settings of the run on display, ready to tweak.
    assert f'<option value="{candidate}" selected>' in page
    assert 'id="whatif-days" type="number" min="1" max="14" value="1"' in page
    assert 'name="start" type="date" value="2026-11-24"' in page


@pytest.mark.parametrize(
    "body, message",
    [
        ({"days": 1}, "choose at least one candidate"),
        ({"add": ["x"], "days": 0}, "between 1 and 14 days"),
        ({"add": ["x"], "days": "many"}, "whole numbers"),
        ({"add": ["no-such-point"], "days": 1, "orders_per_day": 5}, "unknown pickup point"),
    ],
)
def test_bad_what_if_requests_get_plain_messages(client, body, message):
    resp = _post(client, body)
    if resp.status_code == 202:
        snap = wait_job(client, resp.get_json()["poll"])
        assert snap["state"] == "failed" and message in snap["message"]
    else:
        assert resp.status_code == 400 and message in resp.get_json()["error"]


def test_a_dispatcher_cannot_start_a_what_if(tmp_path):
    from webui.app import create_app

    app = create_app(small_day_config(tmp_path))
    add_users(app)
    c = app.test_client()
    sign_in(c)
    resp = c.post("/planner/simulate", json={"add": ["x"]}, headers={"X-CSRFToken": page_token(c, "/planner")})
    assert resp.status_code == 403
    app.extensions["lastmile.jobs"].shutdown()
