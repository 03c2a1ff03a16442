"""After the delivery: feedback once per delivered or failed booking, joined to its route; a
failed delivery's rebook offer for the next open days, and a booking that says what it rebooks.
Every refusal names the field and stores nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from scheduling.storage.models import Booking, DeliveryEventRow, Feedback
from tests.webui.api_client import DATE, booking_body, make_api


@pytest.fixture
def api(database_url):
    return make_api(database_url)


def db(api):
    return api.app.extensions["lastmile.db"]


def booked(api, **change) -> str:
    r = api.post("/api/v1/bookings", booking_body(**change))
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def outcome(api, booking_id: str, status: str, reason: str | None = None) -> None:
    """What the core stores when the driver reports (scenarios.execution.events), on van-2's stop s7 of plan 4."""
    with db(api).session() as s:
        b = s.get(Booking, booking_id)
        b.delivery_status, b.failed_reason = status, reason
        b.planned_plan_id, b.planned_vehicle_id = 4, "van-2"
        s.add(DeliveryEventRow(id=f"e-{booking_id}", scenario="gothenburg", date=DATE, plan_id=4, vehicle_id="van-2",
                               stop_id="s7", booking_id=booking_id, type=status, reason=reason, at_s=65000,
                               source="driver", received_at=dt.datetime(2026, 11, 25, 17)))


def feedback_rows(api) -> int:
    with db(api).session() as s:
        return s.scalar(select(func.count()).select_from(Feedback))


# --------------------------------------------------------------------------- feedback


def test_feedback_on_a_delivered_booking_is_stored_once_and_joined_to_its_route_and_driver(api):
    b = booked(api)
    outcome(api, b, "delivered")
    r = api.post(f"/api/v1/bookings/{b}/feedback", {"rating": 2, "categories": ["late", "courier_conduct"], "comment": "Rang twice.\nLeft it."})
    assert r.status_code == 201
    body = r.get_json()
    assert (body["booking_id"], body["rating"], body["categories"], body["comment"]) == (b, 2, ["late", "courier_conduct"], "Rang twice.\nLeft it.")
    with db(api).session() as s:
        row = s.get(Feedback, b)
        assert (row.plan_id, row.vehicle_id, row.stop_id, row.date) == (4, "van-2", "s7", DATE)
        assert json.loads(row.categories_json) == ["late", "courier_conduct"]
    again = api.post(f"/api/v1/bookings/{b}/feedback", {"rating": 5})
    assert again.status_code == 409 and again.get_json()["error"]["field"] == "booking_id"
    assert "already" in again.get_json()["error"]["message"]
    assert feedback_rows(api) == 1


def test_feedback_on_a_failed_delivery_is_taken_too(api):
    b = booked(api)
    outcome(api, b, "failed", "not_home")
    assert api.post(f"/api/v1/bookings/{b}/feedback", {"rating": 1, "categories": ["other"]}).status_code == 201


def test_feedback_before_the_delivery_is_a_409_naming_the_booking(api):
    b = booked(api)
    r = api.post(f"/api/v1/bookings/{b}/feedback", {"rating": 4})
    assert r.status_code == 409
    err = r.get_json()["error"]
    assert err["field"] == "booking_id" and "not delivered yet" in err["message"]
    assert feedback_rows(api) == 0


@pytest.mark.parametrize(
    "body, field",
    [
        ({"rating": 7}, "rating"),
        ({"rating": 0}, "rating"),
        ({"rating": "5"}, "rating"),
        ({}, "rating"),
        ({"rating": 3, "categories": ["smelly"]}, "categories.0"),
        ({"rating": 3, "comment": "x" * 501}, "comment"),
        ({"rating": 3, "stars": 4}, "stars"),
    ],
)
def test_a_bad_field_is_a_422_naming_it_and_stores_nothing(api, body, field):
    b = booked(api)
    outcome(api, b, "delivered")
    r = api.post(f"/api/v1/bookings/{b}/feedback", body)
    assert r.status_code == 422 and r.get_json()["error"]["field"] == field
    assert feedback_rows(api) == 0


def test_another_shops_booking_looks_missing(api):
    b = booked(api)
    outcome(api, b, "delivered")
    r = api.post(f"/api/v1/bookings/{b}/feedback", {"rating": 4}, key=api.other_key)
    assert r.status_code == 404 and r.get_json()["error"]["field"] == "booking_id"
    assert feedback_rows(api) == 0


# --------------------------------------------------------------------------- rebook


def test_a_failed_delivery_gets_the_next_three_open_days_ranked_as_offers(api):
    b = booked(api)
    outcome(api, b, "failed", "not_home")
    r = api.get(f"/api/v1/bookings/{b}/rebook-offer")
    assert r.status_code == 200, r.get_json()
    offer = r.get_json()
    assert offer["booking_id"] == b and offer["failed_reason"] == "not_home"
    dates = [d["date"] for d in offer["days"]]
    assert len(dates) == 3 and dates == sorted(dates) and dates[0] > DATE
    for day in offer["days"]:
        assert day["slots"] and "pickup_points" in day
        assert any(s["available"] for s in day["slots"])
    assert offer["book_with"]["rebook_of"] == b


def test_booking_the_rebook_offer_with_rebook_of_links_the_new_booking_to_the_failed_one(api):
    b = booked(api)
    outcome(api, b, "failed", "not_home")
    day = api.get(f"/api/v1/bookings/{b}/rebook-offer").get_json()["days"][0]
    slot = next(s for s in day["slots"] if s["available"])
    new = api.post("/api/v1/bookings", booking_body(date=day["date"], slot=slot["slot"], rebook_of=b))
    assert new.status_code == 201, new.get_json()
    assert new.get_json()["rebooked_from"] == b
    with db(api).session() as s:
        assert s.get(Booking, new.get_json()["id"]).rebooked_from == b
    twice = api.post("/api/v1/bookings", booking_body(date=day["date"], slot=slot["slot"], rebook_of=b))
    assert twice.status_code == 409 and twice.get_json()["error"]["field"] == "rebook_of"


def test_a_booking_that_did_not_fail_has_no_rebook_offer_and_cannot_be_rebooked(api):
    b = booked(api)
    r = api.get(f"/api/v1/bookings/{b}/rebook-offer")
    assert r.status_code == 409 and r.get_json()["error"]["field"] == "booking_id"
    outcome(api, b, "delivered")
    assert api.get(f"/api/v1/bookings/{b}/rebook-offer").status_code == 409
    rows = api.booking_rows()
    refused = api.post("/api/v1/bookings", booking_body(date="2026-11-26", rebook_of=b))
    assert refused.status_code == 409 and refused.get_json()["error"]["field"] == "rebook_of"
    assert api.booking_rows() == rows


def test_only_the_booking_s_own_shop_sees_its_rebook_offer(api):
    b = booked(api)
    outcome(api, b, "failed", "not_home")
    r = api.get(f"/api/v1/bookings/{b}/rebook-offer", key=api.other_key)
    assert r.status_code == 404
    refused = api.post("/api/v1/bookings", booking_body(date="2026-11-26", rebook_of=b), key=api.other_key)
    assert refused.status_code == 404 and refused.get_json()["error"]["field"] == "rebook_of"


def test_the_openapi_document_describes_feedback_and_the_rebook_offer(api):
    doc = api.get("/api/v1/openapi.json").get_json()
    post = doc["paths"]["/api/v1/bookings/{booking_id}/feedback"]["post"]
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    assert schema["properties"]["rating"]["maximum"] == 5 and schema.get("additionalProperties") is False
    assert "409" in post["responses"] and "422" in post["responses"]
    assert "get" in doc["paths"]["/api/v1/bookings/{booking_id}/rebook-offer"]
    assert "rebook_of" in doc["components"]["schemas"]["BookingRequest"]["properties"]
