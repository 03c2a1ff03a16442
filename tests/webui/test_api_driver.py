"""The driver API over HTTP: a token for one van and one date, the van's day, events in, and
every refusal a 4xx naming the field with nothing stored."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from scenarios.execution.tokens import issue_token, revoke_token
from scheduling.storage.models import DeliveryEventRow, DriverToken, OutboxEvent
from tests.scenarios.execution_world import DATE, H, M, make_world
from tests.webui.api_client import make_api

DAY_CLOCK = dt.datetime(2026, 11, 25, 7, 0, tzinfo=dt.timezone.utc)  # 08:00 in Gothenburg on the day


class Clock:
    def __init__(self, t):
        self.t = t

    def __call__(self):
        return self.t


@pytest.fixture
def driver(database_url):
    clock = Clock(DAY_CLOCK)
    api = make_api(database_url, BOOKING_CLOCK=clock)
    world = make_world(database_url, shop="Driver Shop")
    token = issue_token(world.db, "gothenburg", DATE, "V1", issued_by="anna", driver_name="Kim")
    return api, world, token, clock


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def post(api, token, body):
    return api.client.post("/api/v1/driver/events", json=body, headers=bearer(token))


def at(hh, mm, day=DATE):
    return f"{day}T{hh:02d}:{mm:02d}:00+01:00"


def stored(world):
    with world.db.session() as s:
        return (s.scalar(select(func.count()).select_from(DeliveryEventRow)),
                s.scalar(select(func.count()).select_from(OutboxEvent)))


def test_the_driver_sees_their_van_only_with_slots_etas_and_live_etas(driver):
    api, _world, token, _ = driver
    r = api.client.get("/api/v1/driver/day", headers=bearer(token))
    assert r.status_code == 200
    day = r.get_json()
    assert (day["date"], day["vehicle_id"], day["driver_name"]) == (DATE, "V1", "Kim")
    assert [s["stop_id"] for s in day["stops"]] == ["s1", "s2", "s3", "s4", "s5"]
    s1 = day["stops"][0]
    assert (s1["slot"], s1["live_eta"], s1["status"], s1["instructions"]) == ("08:00-10:00", "08:10", "planned", "ring o1")
    assert s1["eta"] == {"start": "08:00", "end": "09:00"}
    assert day["depot"] == {"lat": 57.71, "lon": 11.95} and day["stops"][4]["pickup_point_id"] == "P1"


def test_a_driver_reports_the_day_and_a_resend_is_harmless(driver):
    api, world, token, _ = driver
    r = post(api, token, {"id": "u-1", "type": "departed", "at": at(8, 20)})
    assert r.status_code == 201 and r.get_json() == {"recorded": True, "event_id": "u-1"}
    assert post(api, token, {"id": "u-2", "type": "arrived", "at": at(8, 30), "stop_id": "s1"}).status_code == 201
    r = post(api, token, {"id": "u-3", "type": "delivered", "at": at(8, 33), "stop_id": "s1", "recipient": "neighbour"})
    assert r.status_code == 201
    before = stored(world)
    again = post(api, token, {"id": "u-3", "type": "delivered", "at": at(8, 33), "stop_id": "s1", "recipient": "neighbour"})
    assert again.status_code == 200 and again.get_json() == {"duplicate": True, "event_id": "u-3"}
    assert stored(world) == before
    day = api.client.get("/api/v1/driver/day", headers=bearer(token)).get_json()
    assert day["departed"] == "08:20" and day["stops"][0]["status"] == "delivered"
    assert day["stops"][1]["live_eta"] == "08:43"  # left 08:33, the planned 10 min leg
    with world.db.session() as s:
        row = s.get(DeliveryEventRow, "u-3")
        assert (row.at_s, row.source, row.reported_by, row.booking_id) == (8 * H + 33 * M, "driver", "Kim", "bo1")


def test_the_booking_api_shows_the_live_fields(driver):
    api, world, token, _ = driver
    from scheduling.bookings import booking_dict

    post(api, token, {"id": "u-1", "type": "departed", "at": at(8, 0)})
    post(api, token, {"id": "u-2", "type": "arrived", "at": at(8, 10), "stop_id": "s1"})
    post(api, token, {"id": "u-3", "type": "failed", "at": at(8, 12), "stop_id": "s1", "reason": "not_home"})
    d = booking_dict(world.booking("o1"), "SEK")
    assert (d["delivery_status"], d["failed_reason"], d["delivered_at"], d["live_eta"], d["at_risk"]) == (
        "failed", "not_home", None, "08:10", False)
    d2 = booking_dict(world.booking("o2"), "SEK")
    assert (d2["live_eta"], d2["delivery_status"], d2["delivered_at"]) == ("08:22", None, None)


@pytest.mark.parametrize("headers, reason", [
    ({}, "missing_token"),
    ({"Authorization": "Bearer not-a-token"}, "unknown_token"),
    ({"Authorization": "Basic abc"}, "missing_token"),
])
def test_a_request_without_a_valid_token_is_401_naming_authorization(driver, headers, reason):
    api, world, _token, _ = driver
    before = stored(world)
    for r in (api.client.get("/api/v1/driver/day", headers=headers),
              api.client.post("/api/v1/driver/events", json={"id": "u", "type": "departed", "at": at(8, 0)}, headers=headers)):
        assert r.status_code == 401
        assert r.get_json()["error"]["field"] == "Authorization" and r.get_json()["error"]["reason"] == reason
    assert stored(world) == before


def test_an_expired_token_is_refused_after_three_in_the_morning_after_its_day(driver):
    api, world, token, clock = driver
    clock.t = dt.datetime(2026, 11, 26, 1, 59, tzinfo=dt.timezone.utc)  # 02:59 local: still the late return
    assert api.client.get("/api/v1/driver/day", headers=bearer(token)).status_code == 200
    clock.t = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.timezone.utc)  # 03:00 local
    before = stored(world)
    r = post(api, token, {"id": "late", "type": "departed", "at": at(8, 0)})
    assert r.status_code == 401 and r.get_json()["error"] == {
        "field": "Authorization", "reason": "expired_token", "message": r.get_json()["error"]["message"]}
    assert "expired" in r.get_json()["error"]["message"] and stored(world) == before


def test_a_revoked_token_is_refused_and_revoking_twice_changes_nothing(driver):
    api, world, token, _ = driver
    assert revoke_token(world.db, token) is True
    assert revoke_token(world.db, token) is False and revoke_token(world.db, "unknown") is False
    r = post(api, token, {"id": "u-1", "type": "departed", "at": at(8, 0)})
    assert r.status_code == 401 and r.get_json()["error"]["reason"] == "revoked_token"
    assert stored(world) == (0, 0)


def test_the_token_is_stored_only_as_its_hash(driver):
    _api, world, token, _ = driver
    with world.db.session() as s:
        row = s.scalars(select(DriverToken)).one()
    assert token not in row.token_hash and len(row.token_hash) == 64 and row.vehicle_id == "V1"


@pytest.mark.parametrize("body, status, field, reason", [
    ({"id": "e", "type": "departed", "at": at(8, 0, "2026-11-24")}, 422, "at", "another_date"),
    ({"id": "e", "type": "departed", "at": "2026-11-25T08:00:00"}, 422, "at", "no_offset"),
    ({"id": "e", "type": "departed", "at": "yesterday at eight"}, 422, "at", "invalid"),
    ({"id": "e", "type": "arrived", "at": at(8, 0), "stop_id": "t1"}, 422, "stop_id", "not_on_route"),
    ({"id": "e", "type": "departed", "at": at(8, 0), "colour": "red"}, 422, "colour", "unknown_field"),
    ({"id": "e", "type": "departed"}, 422, "at", "required"),
    ({"id": "e", "type": "arrived", "at": at(8, 0), "stop_id": "s1"}, 409, "type", "not_departed"),
])
def test_bad_events_are_4xx_naming_the_field_and_store_nothing(driver, body, status, field, reason):
    api, world, token, _ = driver
    r = post(api, token, body)
    err = r.get_json()["error"]
    assert (r.status_code, err["field"], err["reason"]) == (status, field, reason) and err["message"]
    assert stored(world) == (0, 0)


def test_a_failed_without_reason_and_a_second_delivered_are_refused_over_http(driver):
    api, world, token, _ = driver
    post(api, token, {"id": "u-1", "type": "departed", "at": at(8, 0)})
    post(api, token, {"id": "u-2", "type": "arrived", "at": at(8, 10), "stop_id": "s1"})
    before = stored(world)
    r = post(api, token, {"id": "u-3", "type": "failed", "at": at(8, 12), "stop_id": "s1"})
    assert (r.status_code, r.get_json()["error"]["field"]) == (422, "reason")
    assert post(api, token, {"id": "u-4", "type": "delivered", "at": at(8, 12), "stop_id": "s1"}).status_code == 201
    mid = stored(world)
    r = post(api, token, {"id": "u-5", "type": "delivered", "at": at(8, 13), "stop_id": "s1"})
    assert (r.status_code, r.get_json()["error"]["reason"]) == (409, "already_recorded")
    r = post(api, token, {"id": "u-6", "type": "arrived", "at": at(8, 5), "stop_id": "s2"})
    assert (r.status_code, r.get_json()["error"]["field"], r.get_json()["error"]["reason"]) == (409, "at", "out_of_order")
    assert "at_s" not in r.get_json()["error"]["message"]
    assert stored(world) == mid and mid[0] == before[0] + 1


def test_the_driver_routes_are_in_the_openapi_document(driver):
    api, *_ = driver
    doc = api.client.get("/api/v1/openapi.json").get_json()
    assert {"/api/v1/driver/day", "/api/v1/driver/events"} <= set(doc["paths"])
    assert doc["components"]["securitySchemes"]["DriverToken"]["scheme"] == "bearer"
    assert {"live_eta", "at_risk", "delivery_status", "delivered_at", "failed_reason"} <= set(doc["components"]["schemas"]["Booking"]["properties"])


def test_an_unexpected_error_answers_json_and_a_resend_with_the_same_id_then_records(driver, monkeypatch):
    api, world, token, _ = driver
    from webui.api import driver as driver_api

    def broken(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(driver_api, "record_event", broken)
    r = post(api, token, {"id": "u-1", "type": "departed", "at": at(8, 0)})
    assert r.status_code == 500 and r.get_json()["error"]["reason"] == "internal" and stored(world) == (0, 0)
    monkeypatch.undo()
    assert post(api, token, {"id": "u-1", "type": "departed", "at": at(8, 0)}).status_code == 201
