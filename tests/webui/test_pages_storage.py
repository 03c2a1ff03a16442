"""Plans saved by the pages round-trip through SQLite and PostgreSQL alike."""

from __future__ import annotations

import io

from tests.webui.pages_support import add_users, page_token, sign_in, small_day_config, wait_job

DATE = "2026-11-27"


def test_a_planned_and_edited_day_is_stored_and_listed(tmp_path, database_url):
    from webui.app import create_app

    app = create_app(small_day_config(tmp_path, DATABASE_URL=database_url))
    add_users(app)
    client = app.test_client()
    sign_in(client)
    rows = "order_id,lat,lon,slot_start,slot_end,address\nS1,57.700,11.960,10:00,12:00,Åvägen 1\nS2,57.705,11.970,12:00,14:00,Bgatan 2\n"
    client.post(f"/day/{DATE}/import", data={"csrf_token": page_token(client, f"/day/{DATE}"),
                                              "orders": (io.BytesIO(rows.encode()), "o.csv")},
                content_type="multipart/form-data")
    token = page_token(client, f"/day/{DATE}")
    resp = client.post(f"/day/{DATE}/plan", json={"time_limit": 1}, headers={"X-CSRFToken": token})
    snap = wait_job(client, resp.get_json()["poll"])
    assert snap["state"] == "done", snap["message"]
    resp = client.post(f"/plans/{snap['result']}/edit", json={"action": "lock", "stop_id": "S1"}, headers={"X-CSRFToken": token})
    assert resp.status_code == 200, resp.get_json()

    wb = app.extensions["lastmile.workbench"]
    history = wb.plans_for(DATE)
    assert [(h["kind"], h["parent_id"]) for h in history] == [("edit", snap["result"]), ("solve", None)]
    assert history[0]["note"].startswith("locked S1 to ")
    latest = wb.latest_plan(DATE)
    assert latest.locks["S1"] == history[0]["note"].split()[-1]
    assert {o.address for o in latest.orders()} == {"Åvägen 1", "Bgatan 2"}
    app.extensions["lastmile.jobs"].shutdown()
