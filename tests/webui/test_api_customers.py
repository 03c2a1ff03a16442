"""A shop's customer's data through the API: consent on the wire, export, erasure (404 for
someone unknown, 200 no-op the second time), another shop's customer untouched, the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from scheduling.storage.models import AuditEntry, Booking, CustomerProfile, SlotCounter
from tests.webui.api_client import DATE, booking_body, make_api


@pytest.fixture
def api(database_url):
    return make_api(database_url)


def db(api):
    return api.app.extensions["lastmile.db"]


def test_consent_sent_with_a_booking_keeps_a_profile_and_the_offer_says_it_is_personalized(api):
    r = api.post("/api/v1/bookings", booking_body(personalization_consent=True))
    assert r.status_code == 201 and r.get_json()["personalization_consent"] is True
    offer = api.get(f"/api/v1/slots?date={DATE}&lat=57.7089&lon=11.9746&customer_id=c1").get_json()
    assert offer["customer"]["personalized"] is True and offer["customer"]["orders_seen"] == 1
    withdrawn = api.get(f"/api/v1/slots?date={DATE}&lat=57.7089&lon=11.9746&customer_id=c1&personalization_consent=false").get_json()
    assert withdrawn["customer"]["personalized"] is False and withdrawn["customer"]["personalization"].startswith("Not personalized")
    with db(api).session() as s:
        assert s.scalars(select(CustomerProfile)).all() == []


def test_a_wrong_consent_value_is_refused_naming_the_field(api):
    r = api.post("/api/v1/bookings", booking_body(personalization_consent="yes"))
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "personalization_consent"
    assert api.booking_rows() == 0


def test_export_then_erase_a_customer_with_a_booking_to_come(api):
    first = api.post("/api/v1/bookings", booking_body(address="Storgatan 1", instructions="code 1234", personalization_consent=True)).get_json()
    api.post("/api/v1/bookings", booking_body(customer_id="c1", address="Storgatan 1"), key=api.other_key)  # another shop's c1
    export = api.get("/api/v1/customers/c1/export").get_json()
    assert [b["id"] for b in export["bookings"]] == [first["id"]] and export["profile"]["tier"] == "ordinary"

    r = api.client.delete("/api/v1/customers/c1", headers=api.headers())
    assert r.status_code == 200
    body = r.get_json()
    assert body["already_erased"] is False and body["cancelled"] == 1 and body["anonymized"] == 1 and body["profile_deleted"]
    with db(api).session() as s:
        mine = s.get(Booking, first["id"])
        assert mine.status == "cancelled" and mine.customer_id.startswith("anon-") and mine.address is None and mine.instructions is None
        others = s.scalars(select(Booking).where(Booking.id != first["id"])).all()
        assert [(b.customer_id, b.address) for b in others] == [("c1", "Storgatan 1")], "the other shop's customer is someone else"
        counter = s.scalars(select(SlotCounter).where(SlotCounter.date == DATE, SlotCounter.slot == "home:18:00-20:00")).all()
        assert sum(c.booked for c in counter) == 1, "only the other shop's booking still holds a seat"
        actions = [a for (a,) in s.execute(select(AuditEntry.action).order_by(AuditEntry.id)).all()]
        assert actions[-2:] == ["customer.export", "customer.erase"]
        assert not s.scalars(select(AuditEntry).where(AuditEntry.subject.contains("c1"))).all(), "the log names a digest"

    again = api.client.delete("/api/v1/customers/c1", headers=api.headers())
    assert again.status_code == 200 and again.get_json()["already_erased"] is True
    assert api.get("/api/v1/customers/c1/export").status_code == 404


def test_an_unknown_customer_is_not_found_and_a_malformed_id_names_the_field(api):
    r = api.client.delete("/api/v1/customers/nobody", headers=api.headers())
    assert r.status_code == 404 and r.get_json()["error"]["field"] == "customer_id"
    bad = api.get("/api/v1/customers/" + "x" * 65 + "/export")
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "customer_id"
    assert api.client.delete("/api/v1/customers/c1").status_code == 401
