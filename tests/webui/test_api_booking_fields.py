"""The booking API takes what a route needs, refuses every change past the cut-off, shows the
published ETA, and documents which fields are personal data and why."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from scheduling.storage.models import Booking
from tests.scheduling.booking_world import Clock
from tests.webui.api_client import NOW, booking_body, make_api

ROUTE_FIELDS = {
    "order_ref": "ORD-2001",
    "address": "Vasagatan 3, 411 24 Göteborg",
    "bulky": True,
    "instructions": "Code 4711\r\nSecond floor, ring twice.",
    "notify": "email",
}
CUTOFF = NOW + dt.timedelta(days=1, hours=13)  # Tuesday 22:00 in Gothenburg: booking for the 25th closes


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def api(tmp_path, clock):
    return make_api(f"sqlite:///{tmp_path / 'api.db'}", BOOKING_CLOCK=clock)


def delete(api, booking_id):
    return api.client.delete(f"/api/v1/bookings/{booking_id}", headers=api.headers())


def patch(api, booking_id, body):
    return api.client.patch(f"/api/v1/bookings/{booking_id}", json=body, headers=api.headers())


def error_of(r) -> tuple[int, str, str]:
    err = r.get_json()["error"]
    assert err["message"]
    return r.status_code, err["field"], err["reason"]


def test_the_route_fields_round_trip_through_post_and_get(api):
    r = api.post("/api/v1/bookings", booking_body(**ROUTE_FIELDS))
    assert r.status_code == 201, r.get_json()
    booking = r.get_json()
    assert {k: booking[k] for k in ROUTE_FIELDS} == ROUTE_FIELDS
    assert booking["planned_eta"] is None
    assert api.get(f"/api/v1/bookings/{booking['id']}").get_json() == booking
    moved = patch(api, booking["id"], {"slot": "home:08:00-10:00"}).get_json()
    assert {k: moved[k] for k in ROUTE_FIELDS} == ROUTE_FIELDS


def test_a_booking_without_the_route_fields_still_works(api):
    booking = api.post("/api/v1/bookings", booking_body()).get_json()
    assert {k: booking[k] for k in ROUTE_FIELDS} == {"order_ref": None, "address": None, "bulky": False, "instructions": None, "notify": "none"}


def test_the_scenario_bulky_handling_time_reaches_the_booking_rules(api):
    from webui.api.context import booking_app

    assert booking_app(api.app).setup.handling.bulky_extra_s == 240  # scenarios/data/gothenburg/scenario.yaml


def test_a_duplicate_order_ref_is_a_conflict_until_the_first_booking_is_cancelled(api):
    first = api.post("/api/v1/bookings", booking_body(order_ref="ORD-1")).get_json()
    r = api.post("/api/v1/bookings", booking_body(order_ref="ORD-1", slot="home:08:00-10:00"))
    assert error_of(r) == (409, "order_ref", "duplicate")
    assert first["id"] in r.get_json()["error"]["message"]
    assert api.booking_rows() == 1
    assert delete(api, first["id"]).status_code == 200
    again = api.post("/api/v1/bookings", booking_body(order_ref="ORD-1", slot="home:08:00-10:00"))
    assert again.status_code == 201 and again.get_json()["order_ref"] == "ORD-1"


BAD_ROUTE_FIELDS = [
    (dict(instructions="ring\x07twice"), "instructions", "control_character"),
    (dict(instructions="x" * 501), "instructions", "string_too_long"),
    (dict(instructions="tab\there"), "instructions", "control_character"),
    (dict(notify="fax"), "notify", "literal_error"),
    (dict(notify=None), "notify", "literal_error"),
    (dict(order_ref=""), "order_ref", "string_too_short"),
    (dict(order_ref="x" * 81), "order_ref", "string_too_long"),
    (dict(order_ref="ORD\n1"), "order_ref", "not_printable"),
    (dict(order_ref="   "), "order_ref", "blank"),
    (dict(address="Vasagatan 3\nGöteborg"), "address", "control_character"),
    (dict(address="x" * 201), "address", "string_too_long"),
    (dict(bulky="yes"), "bulky", "bool_type"),
    (dict(phone="+46701234567"), "phone", "unknown_field"),
]


def test_bad_route_fields_are_refused_naming_the_field_and_store_nothing(api):
    for change, field, reason in BAD_ROUTE_FIELDS:
        r = api.post("/api/v1/bookings", booking_body(**change))
        assert error_of(r) == (422, field, reason), (change, r.get_json())
        assert field in r.get_json()["error"]["message"]
    assert api.booking_rows() == 0


def test_past_the_cut_off_every_change_by_the_shop_is_refused_and_nothing_changes(api, clock):
    booked = api.post("/api/v1/bookings", booking_body()).get_json()
    clock.now = CUTOFF - dt.timedelta(minutes=5)
    held = api.post("/api/v1/bookings", booking_body(customer_id="c2", hold=True)).get_json()
    clock.now = CUTOFF
    for r in (
        delete(api, booked["id"]),
        patch(api, booked["id"], {"slot": "home:08:00-10:00"}),
        patch(api, booked["id"], {"date": "2026-11-26"}),
        api.post(f"/api/v1/bookings/{held['id']}/confirm"),
        delete(api, held["id"]),
    ):
        assert error_of(r) == (409, "booking_id", "past_cutoff")
        assert "operator" in r.get_json()["error"]["message"]
    assert api.get(f"/api/v1/bookings/{booked['id']}").get_json() == booked
    assert api.get(f"/api/v1/bookings/{held['id']}").get_json()["status"] == "held"
    r = api.post("/api/v1/bookings", booking_body(customer_id="c3"))
    assert error_of(r) == (409, "slot", "past_cutoff")
    assert api.booking_rows() == 2


def test_planned_eta_shows_the_published_plan_and_matches_the_document(api):
    from jsonschema import Draft202012Validator

    booking = api.post("/api/v1/bookings", booking_body(**ROUTE_FIELDS)).get_json()
    with api.app.extensions["lastmile.db"].session() as s:
        s.execute(
            update(Booking)
            .where(Booking.id == booking["id"])
            .values(planned_plan_id=3, planned_vehicle_id="van-1", planned_arrival_s=65_100, eta_start_s=64_800,
                    eta_end_s=66_600, planned_at=dt.datetime(2026, 11, 24, 21, 0))
        )
    got = api.get(f"/api/v1/bookings/{booking['id']}").get_json()
    assert got["planned_eta"] == {"start": "18:00", "end": "18:30", "arrival": "18:05", "plan_version": 3,
                                  "vehicle_id": "van-1", "published_at": "2026-11-24T21:00:00Z"}
    doc = api.client.get("/api/v1/openapi.json").get_json()
    Draft202012Validator({"$ref": "#/components/schemas/Booking", "components": doc["components"]}).validate(got)
    Draft202012Validator({"$ref": "#/components/schemas/Booking", "components": doc["components"]}).validate(booking)


def test_the_document_marks_personal_data_and_says_why_it_is_needed(api):
    doc = api.client.get("/api/v1/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    for schema in (schemas["BookingRequest"], schemas["Booking"]):
        personal = {name for name, prop in schema["properties"].items() if prop.get("x-personal-data")}
        assert personal == {"customer_id", "lat", "lon", "address", "instructions", "notify"}
        assert "driver sheet" in schema["properties"]["address"]["description"]
        assert "no phone number" in schema["properties"]["notify"]["description"]
    request = schemas["BookingRequest"]["properties"]
    assert {"order_ref", "address", "bulky", "instructions", "notify"} <= set(request)
    assert request["notify"]["enum"] == ["none", "sms", "email"]
    assert set(schemas["PlannedEta"]["required"]) == {"start", "end", "arrival", "plan_version", "vehicle_id", "published_at"}
    slots = {p["name"]: p for p in doc["paths"]["/api/v1/slots"]["get"]["parameters"]}
    assert slots["lat"]["x-personal-data"] and not slots["date"].get("x-personal-data")


def test_the_events_module_documents_its_own_routes(monkeypatch):
    from openapi_spec_validator import validate

    from webui import openapi
    from webui.api import events

    route = {"get": {"summary": "poll events", "operationId": "listEvents", "responses": {"200": {"description": "events"}}}}
    monkeypatch.setattr(events, "openapi_paths", lambda: {"/api/v1/events": route})
    openapi.openapi_document.cache_clear()
    try:
        doc = openapi.openapi_document()
        assert doc["paths"]["/api/v1/events"] == route and "/api/v1/bookings" in doc["paths"]
        validate(doc)
    finally:
        openapi.openapi_document.cache_clear()
