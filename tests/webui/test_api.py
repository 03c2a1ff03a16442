"""The booking API over HTTP: documented routes, keys per shop, JSON errors naming the field, nothing stored on refusal."""

from __future__ import annotations

import re

import pytest

from tests.webui.api_client import CENTRE, DATE, booking_body, make_api


@pytest.fixture
def api(tmp_path):
    return make_api(f"sqlite:///{tmp_path / 'api.db'}")


def test_every_api_route_is_in_the_openapi_document(api):
    doc = api.client.get("/api/v1/openapi.json").get_json()  # no key needed
    assert doc["openapi"].startswith("3.")
    served = set()
    for rule in api.app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                served.add((path, method.lower()))
    documented = {(path, m) for path, ops in doc["paths"].items() for m in ops}
    assert served == documented


def test_the_document_describes_the_request_fields_the_server_accepts(api):
    doc = api.client.get("/api/v1/openapi.json").get_json()
    body = doc["components"]["schemas"]["BookingRequest"]
    assert body["additionalProperties"] is False
    assert set(body["required"]) == {"customer_id", "date", "slot", "lat", "lon"}
    params = {p["name"] for p in doc["paths"]["/api/v1/slots"]["get"]["parameters"]}
    assert params == {"date", "lat", "lon", "customer_id", "tier", "parcels", "personalization_consent"}


def test_a_missing_or_wrong_key_is_refused(api):
    r = api.client.get(f"/api/v1/slots?date={DATE}&lat=57.7&lon=11.97")
    assert r.status_code == 401 and r.get_json()["error"]["reason"] == "missing_api_key"
    r = api.post("/api/v1/bookings", booking_body(), key="lm_not-a-key")
    assert r.status_code == 401
    assert r.get_json()["error"] == {"field": "X-API-Key", "reason": "invalid_api_key", "message": r.get_json()["error"]["message"]}
    assert api.booking_rows() == 0
    ok = api.client.get(f"/api/v1/slots?date={DATE}&lat=57.7089&lon=11.9746", headers={"Authorization": f"Bearer {api.key}"})
    assert ok.status_code == 200


def test_offer_book_look_up_move_and_cancel(api):
    offer = api.get(f"/api/v1/slots?date={DATE}&lat={CENTRE['lat']}&lon={CENTRE['lon']}&customer_id=c1").get_json()
    best = next(s for s in offer["slots"] if s["rank"] == 1)
    r = api.post("/api/v1/bookings", booking_body(slot=best["slot"]))
    assert r.status_code == 201
    booking = r.get_json()
    assert booking["fee"] == best["fee"] and booking["status"] == "confirmed"
    assert api.get(f"/api/v1/bookings/{booking['id']}").get_json() == booking
    moved = api.client.patch(f"/api/v1/bookings/{booking['id']}", json={"slot": "home:08:00-10:00"}, headers=api.headers())
    assert moved.status_code == 200 and moved.get_json()["slot"] == "home:08:00-10:00"
    listed = api.get(f"/api/v1/bookings?date={DATE}").get_json()["bookings"]
    assert [b["id"] for b in listed] == [booking["id"]]
    gone = api.client.delete(f"/api/v1/bookings/{booking['id']}", headers=api.headers())
    assert gone.status_code == 200 and gone.get_json()["status"] == "cancelled"


def test_hold_then_confirm(api):
    held = api.post("/api/v1/bookings", booking_body(hold=True)).get_json()
    assert held["status"] == "held" and held["hold_expires_at"] == "2026-11-23T08:10:00Z"
    r = api.post(f"/api/v1/bookings/{held['id']}/confirm")
    assert r.status_code == 200 and r.get_json()["status"] == "confirmed"


def test_idempotency_key_replays_and_refuses_reuse(api):
    first = api.post("/api/v1/bookings", booking_body(), headers={"Idempotency-Key": "k-1"})
    again = api.post("/api/v1/bookings", booking_body(), headers={"Idempotency-Key": "k-1"})
    assert again.status_code == 201 and again.get_json() == first.get_json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    other = api.post("/api/v1/bookings", booking_body(slot="home:08:00-10:00"), headers={"Idempotency-Key": "k-1"})
    assert other.status_code == 422 and other.get_json()["error"]["field"] == "Idempotency-Key"
    assert api.booking_rows() == 1


def test_a_shop_cannot_see_or_change_another_shops_booking(api):
    b = api.post("/api/v1/bookings", booking_body()).get_json()
    for r in (
        api.get(f"/api/v1/bookings/{b['id']}", key=api.other_key),
        api.client.delete(f"/api/v1/bookings/{b['id']}", headers=api.headers(api.other_key)),
        api.client.patch(f"/api/v1/bookings/{b['id']}", json={"slot": "home:08:00-10:00"}, headers=api.headers(api.other_key)),
    ):
        assert r.status_code == 404 and r.get_json()["error"]["reason"] == "not_found"
    assert api.get("/api/v1/bookings", key=api.other_key).get_json()["bookings"] == []
    assert api.get(f"/api/v1/bookings/{b['id']}").get_json()["status"] == "confirmed"


BAD_BOOKINGS = [
    (booking_body(colour="blue"), 422, "colour", "unknown_field"),
    (booking_body(lat="57.7089"), 422, "lat", "float_type"),
    (booking_body(parcels=2.5), 422, "parcels", "int_type"),
    ({k: v for k, v in booking_body().items() if k != "slot"}, 422, "slot", "required"),
    (booking_body(date="2026-11-20"), 422, "date", "in_past"),
    (booking_body(date="25/11/2026"), 422, "date", "date_parsing"),
    (booking_body(lat=60.0, lon=15.0), 422, "lat", "outside_area"),
    (booking_body(lat=91.0), 422, "lat", "less_than_equal"),
    (booking_body(slot="home:09:00-11:00"), 422, "slot", "unknown_slot"),
    (booking_body(slot="premium:18:00-19:00"), 403, "slot", "premium_only"),
    (booking_body(customer_id=""), 422, "customer_id", "string_too_short"),
]


def test_a_bad_booking_gets_a_4xx_naming_the_field_and_stores_nothing(api):
    for body, status, field, reason in BAD_BOOKINGS:
        r = api.post("/api/v1/bookings", body)
        assert r.status_code == status, (body, r.get_json())
        err = r.get_json()["error"]
        assert (err["field"], err["reason"]) == (field, reason), body
        assert err["message"]
    assert api.booking_rows() == 0


def test_a_full_slot_is_a_conflict_and_stores_nothing_more(tmp_path):
    api = make_api(f"sqlite:///{tmp_path / 'full.db'}", BOOKING_HOME_CAPACITY=1)
    assert api.post("/api/v1/bookings", booking_body()).status_code == 201
    r = api.post("/api/v1/bookings", booking_body(customer_id="c2"))
    assert r.status_code == 409 and r.get_json()["error"] | {"message": ""} == {"field": "slot", "reason": "full", "message": ""}
    assert api.booking_rows() == 1


def test_malformed_json_and_unknown_query_parameters(api):
    r = api.client.post("/api/v1/bookings", data="{not json", headers={**api.headers(), "Content-Type": "application/json"})
    assert r.status_code == 400 and r.get_json()["error"]["reason"] == "invalid_json"
    r = api.get(f"/api/v1/slots?date={DATE}&lat=57.7&lon=11.97&colour=blue")
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "colour"
    r = api.get("/api/v1/slots?date=tomorrow&lat=57.7&lon=11.97")
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "date"
    r = api.get("/api/v1/no-such-thing")
    assert r.status_code == 404 and r.get_json()["error"]["reason"] == "not_found"
    r = api.client.put("/api/v1/bookings", headers=api.headers())
    assert r.status_code == 405 and "error" in r.get_json()
    assert set(r.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}, "a 405 names the methods the path takes"


@pytest.mark.parametrize("bad", ["0", "1764547200", "2026-11-25T00:00:00", "20261125", "2026-02-30", "25/11/2026"])
@pytest.mark.parametrize("path", ["/api/v1/slots?lat=57.7&lon=11.97&date=", "/api/v1/bookings?date="])
def test_a_query_date_is_only_yyyy_mm_dd_never_a_timestamp(api, path, bad):
    r = api.get(path + bad)
    error = r.get_json()["error"]
    assert r.status_code == 422 and error["field"] == "date" and error["reason"] == "date_parsing"
    assert f"'{bad}' is not a date" in error["message"] and "write it as YYYY-MM-DD" in error["message"]


def test_a_body_date_is_only_yyyy_mm_dd_too(api):
    r = api.post("/api/v1/bookings", booking_body(date="0"))
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "date"
    assert "'0' is not a date" in r.get_json()["error"]["message"] and api.booking_rows() == 0
    assert api.post("/api/v1/bookings", booking_body()).status_code == 201


def test_pickup_points_near_an_address(api):
    from webui.api.context import booking_app

    site = next(iter(booking_app(api.app).setup.pickup_sites.values()))
    r = api.get(f"/api/v1/pickup-points?lat={site.lat + 0.001}&lon={site.lon}")
    assert r.status_code == 200
    points = r.get_json()["pickup_points"]
    assert points and points[0]["id"] == site.id and 0 < points[0]["walk_m"] < 1000
    assert re.fullmatch(r"\d\d:\d\d", points[0]["opens"])


def test_the_document_is_valid_openapi_and_answers_match_its_schemas(api):
    from jsonschema import Draft202012Validator
    from openapi_spec_validator import validate

    doc = api.client.get("/api/v1/openapi.json").get_json()
    validate(doc)

    def conforms(body: dict, name: str) -> None:
        Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": doc["components"]}).validate(body)

    offer = api.get(f"/api/v1/slots?date={DATE}&lat={CENTRE['lat']}&lon={CENTRE['lon']}").get_json()
    conforms(offer, "Offer")
    for slot in offer["slots"]:
        conforms(slot, "Slot")
    booking = api.post("/api/v1/bookings", booking_body(hold=True)).get_json()
    conforms(booking, "Booking")
    conforms(api.post("/api/v1/bookings", booking_body(colour="red")).get_json(), "Error")


@pytest.mark.parametrize(
    "path, name",
    [
        (f"/api/v1/slots?date={DATE}&date=2026-11-26&lat=57.7089&lon=11.9746", "date"),
        (f"/api/v1/bookings?date={DATE}&date={DATE}", "date"),
        ("/api/v1/events?after=1&limit=5&after=2", "after"),
    ],
)
def test_a_query_parameter_given_twice_is_refused_naming_it(api, path, name):
    r = api.get(path)
    assert r.status_code == 422
    err = r.get_json()["error"]
    assert err["field"] == name and err["reason"] == "repeated" and f"give {name} once" in err["message"]


def test_each_parameter_given_once_is_still_accepted(api):
    assert api.get(f"/api/v1/bookings?date={DATE}&customer_id=c1").status_code == 200


@pytest.mark.slow
def test_lastmile_serve_refuses_a_body_over_16_mb_before_reading_it(tmp_path):
    import socket

    from tests.webui.live_server import free_port, start_server

    port = free_port()
    server = start_server(f"sqlite:///{tmp_path / 'big.db'}", port, tmp_path)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            # Only the headers: waitress answers from Content-Length alone, without waiting for 17 MB.
            s.sendall(b"POST /api/v1/bookings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 17000000\r\n\r\n")
            answer = s.recv(200)
        assert answer.startswith(b"HTTP/1.1 413")
    finally:
        server.kill()
        server.wait()
