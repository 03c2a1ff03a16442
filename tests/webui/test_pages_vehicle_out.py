"""A dispatcher takes a van out of service from the day page: the re-plan runs as a solve job
(off the request), is published, and the page then shows the new plan."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from scheduling.storage.models import Publication, SavedPlan, SolveJob, VehicleOutage
from tests.webui.driven_support import first_route, published_today_app
from tests.webui.pages_support import page_token, sign_in, wait_job


@pytest.fixture(scope="module")
def app(tmp_path_factory, store_copies):
    with published_today_app(tmp_path_factory, store_copies, "pages-vehicle-out") as app:
        yield app


def test_a_van_out_of_service_is_replanned_as_a_job_and_published(app):
    date, plan_id = app.published
    client = app.test_client()
    sign_in(client)
    page = client.get(f"/day/{date}").get_data(as_text=True)
    assert 'id="vehicle-out-form"' in page
    van, _stops = first_route(app, date)
    answer = client.post(f"/day/{date}/vehicles/out", data={"csrf_token": page_token(client, f"/day/{date}"),
                                                             "vehicle_id": van, "from": "08:00", "reason": "flat tyre"})
    assert answer.status_code == 302
    db = app.extensions["lastmile.workbench"].db
    with db.session() as s:
        job = s.scalars(select(SolveJob).where(SolveJob.kind == "vehicle-out", SolveJob.tag == date)).one()
    assert wait_job(client, f"/jobs/{job.id}")["state"] == "done"
    with db.session() as s:
        outage = s.scalars(select(VehicleOutage)).one()
        replan = s.scalars(select(SavedPlan).where(SavedPlan.parent_id == plan_id)).one()
        latest = s.scalars(select(Publication).order_by(Publication.id.desc())).first()
    assert (outage.vehicle_id, outage.from_s, outage.reason) == (van, 8 * 3600, "flat tyre")
    assert latest.plan_id == replan.id


def test_a_van_that_is_not_in_the_fleet_is_refused_naming_the_field(app):
    date, _ = app.published
    client = app.test_client()
    sign_in(client)
    answer = client.post(f"/day/{date}/vehicles/out", data={"csrf_token": page_token(client, f"/day/{date}"),
                                                             "vehicle_id": "van-99", "from": "12:00"},
                         follow_redirects=True)
    assert "vehicle: choose one of the fleet" in answer.get_data(as_text=True)


def test_a_planner_may_not_take_a_van_out(app):
    date, _ = app.published
    client = app.test_client()
    sign_in(client, "plan")
    answer = client.post(f"/day/{date}/vehicles/out", data={"csrf_token": page_token(client, f"/day/{date}"),
                                                             "vehicle_id": "van-1", "from": "12:00"})
    assert answer.status_code == 403
