"""Offers: every slot with availability and its reason, a fee from the routing cost, a personal rank."""

from __future__ import annotations

import datetime as dt

from scheduling import capacity_store as cs
from scheduling.offers import OfferRequest
from tests.scheduling.booking_world import CENTRE, DELIVERY, NEAR_CENTRE, NEXT_DOOR, make_world, pickup_site, request


def offer(w, *, customer=None, tier=None, at=CENTRE, date=DELIVERY, shop=None, consent=None):
    return w.offers.offer(shop or w.shop, OfferRequest(date, at[0], at[1], customer, tier, personalization_consent=consent))


def by_slot(o) -> dict:
    return {s["slot"]: s for s in o["slots"]}


def test_a_fresh_day_offers_every_door_slot_ranked_and_explained(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    o = offer(w)
    slots = by_slot(o)
    home = [s for s in o["slots"] if s["kind"] == "home"]
    assert len(home) == 6 and all(s["available"] and s["reason"] is None for s in home)
    assert sorted(s["rank"] for s in home) == [1, 2, 3, 4, 5, 6]
    assert all(s["explanation"].endswith(".") for s in o["slots"])
    assert slots["premium:18:00-19:00"]["reason"] == "premium_only"
    assert all(s["fee"] >= w.setup.pricing.min_fee for s in home)
    assert o["zone"] == "Z-2-2" and o["customer"]["tier"] == "ordinary"


def test_a_slot_where_a_van_already_passes_is_cheaper(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    before = by_slot(offer(w, at=NEXT_DOOR))["home:18:00-20:00"]
    w.service.book(w.shop, request("home:18:00-20:00"))
    after = by_slot(offer(w, at=NEXT_DOOR))["home:18:00-20:00"]
    assert after["marginal_cost"] < before["marginal_cost"]
    assert after["fee"] < before["fee"]
    assert after["green"] and "van already passes" in after["explanation"]


def test_full_slots_say_so_and_free_ones_count_down(database_url, gothenburg):
    w = make_world(database_url, gothenburg, capacity=2)
    w.service.book(w.shop, request("home:08:00-10:00"))
    w.service.book(w.shop, request("home:08:00-10:00", customer="c2"))
    w.service.book(w.shop, request("home:10:00-12:00", customer="c3"))
    slots = by_slot(offer(w))
    assert slots["home:08:00-10:00"]["reason"] == "full" and not slots["home:08:00-10:00"]["available"]
    assert slots["home:08:00-10:00"]["explanation"] == "Fully booked."
    assert slots["home:10:00-12:00"]["remaining"] == 1 and "only 1 left" in slots["home:10:00-12:00"]["explanation"]


def test_an_overdue_hold_counts_as_free_in_offers(database_url, gothenburg):
    w = make_world(database_url, gothenburg, capacity=1)
    w.service.book(w.shop, request(hold=True))
    assert by_slot(offer(w))["home:18:00-20:00"]["reason"] == "full"
    w.clock.advance(minutes=11)
    assert by_slot(offer(w))["home:18:00-20:00"]["available"]


def test_a_capacity_set_for_the_zone_and_date_overrides_the_default(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    cs.set_capacity(w.db, "Z-2-2", DELIVERY, "home:12:00-14:00", 0)
    assert by_slot(offer(w))["home:12:00-14:00"]["reason"] == "full"
    assert by_slot(offer(w, date=DELIVERY + dt.timedelta(days=1)))["home:12:00-14:00"]["available"]


def test_the_customers_usual_slot_ranks_first(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    for days in (2, 3, 4):
        w.service.book(w.shop, request("home:08:00-10:00", date=DELIVERY + dt.timedelta(days=days), personalization_consent=True))
    o = offer(w, customer="c1")
    assert o["customer"]["personalized"] and "agreed" in o["customer"]["personalization"]
    top = next(s for s in o["slots"] if s["rank"] == 1)
    assert top["slot"] == "home:08:00-10:00"
    assert top["explanation"].startswith("Your usual time (3 of your last 3 orders)")
    assert o["customer"]["orders_seen"] == 3
    # Those orders were on Friday to Sunday; the offered Wednesday is not their day.
    assert o["customer"]["weekday_affinity"] < 0.5
    # Another shop's customer with the same id has no history there.
    assert offer(w, customer="c1", shop=w.other_shop)["customer"]["orders_seen"] == 0


def test_tier_privileges_waive_fees_and_open_premium_slots(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    gold = by_slot(offer(w, tier="gold"))
    assert gold["home:08:00-10:00"]["fee"] == 0 and "free delivery for gold members" in gold["home:08:00-10:00"]["explanation"]
    assert gold["premium:18:00-19:00"]["reason"] == "premium_only"
    platinum = by_slot(offer(w, tier="platinum"))
    assert platinum["premium:18:00-19:00"]["available"]
    assert "reserved for platinum members" in platinum["premium:18:00-19:00"]["explanation"]


def test_slots_the_vans_can_no_longer_reach_are_not_offered(database_url, gothenburg):
    w = make_world(database_url, gothenburg, vans=1, van_capacity=1)
    w.service.book(w.shop, request("home:12:00-14:00"))
    slots = by_slot(offer(w, at=NEAR_CENTRE))
    assert all(s["reason"] == "not_routable" for k, s in slots.items() if k.startswith("home:"))
    assert slots["home:08:00-10:00"]["explanation"].startswith("Our vans cannot reach you")


def test_closed_days_say_why(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    cs.set_blackout(w.db, "*", DELIVERY, "national holiday")
    slots = offer(w)["slots"]
    assert {s["reason"] for s in slots} == {"blackout"}
    assert slots[0]["explanation"] == "No deliveries in this area on this date: national holiday."
    w.clock.advance(days=2, hours=14)  # Wednesday 23:00 in Gothenburg
    assert {s["reason"] for s in offer(w, date=DELIVERY + dt.timedelta(days=1))["slots"]} == {"past_cutoff"}


def test_nearby_pickup_points_come_with_walking_distance_hours_and_slots(database_url, gothenburg):
    site = pickup_site(gothenburg)
    w = make_world(database_url, gothenburg, sites=[site])
    points = offer(w)["pickup_points"]
    assert [p["id"] for p in points] == ["pp-test"]
    p = points[0]
    assert 300 < p["walk_m"] < 1000 and (p["opens"], p["closes"]) == ("07:00", "22:00")
    assert [s["slot"] for s in p["slots"]] == ["pickup:08:00-12:00", "pickup:12:00-16:00"]
    assert all(s["available"] and s["fee"] == w.setup.pricing.pickup_fee for s in p["slots"])


# --------------------------------------------------------------------------- consent


def _profile_rows(w, customer="c1") -> int:
    from sqlalchemy import func, select

    from scheduling.storage.models import CustomerProfile

    with w.db.session() as s:
        return s.scalar(select(func.count()).select_from(CustomerProfile).where(CustomerProfile.customer_id == customer))


def _ranking(o) -> list[str]:
    return [s["slot"] for s in sorted((s for s in o["slots"] if s["available"]), key=lambda s: s["rank"])]


def test_a_customer_without_consent_is_ranked_as_a_new_customer_of_the_zone_and_no_profile_is_kept(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    new_customer = offer(w, customer="someone-new")
    for days in (2, 3, 4):
        w.service.book(w.shop, request("home:08:00-10:00", date=DELIVERY + dt.timedelta(days=days)))
    o = offer(w, customer="c1")
    assert _ranking(o) == _ranking(new_customer)
    assert o["customer"]["orders_seen"] == 0 and not o["customer"]["personalized"]
    assert o["customer"]["personalization"].startswith("Not personalized")
    assert _profile_rows(w) == 0, "no profile row without consent"
    # Consent on the offer alone does not reach back: bookings made without it are not learned from.
    assert offer(w, customer="c1", consent=True)["customer"]["orders_seen"] == 0


def test_consent_given_at_booking_is_remembered_and_withdrawing_it_deletes_the_profile_at_once(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    for days in (2, 3):
        w.service.book(w.shop, request("home:08:00-10:00", date=DELIVERY + dt.timedelta(days=days), personalization_consent=True))
    assert _profile_rows(w) == 1
    assert offer(w, customer="c1")["customer"]["orders_seen"] == 2, "the stored consent stands when the shop says nothing"
    withdrawn = offer(w, customer="c1", consent=False)
    assert not withdrawn["customer"]["personalized"] and withdrawn["customer"]["orders_seen"] == 0
    assert _profile_rows(w) == 0
    again = offer(w, customer="c1")
    assert again["customer"]["orders_seen"] == 0, "withdrawn: the earlier bookings are no longer learned from"
    # Consenting again starts a new profile; the bookings made before the withdrawal stay unlearned.
    w.service.book(w.shop, request("home:10:00-12:00", date=DELIVERY + dt.timedelta(days=5), personalization_consent=True))
    assert _profile_rows(w) == 1 and offer(w, customer="c1")["customer"]["orders_seen"] == 1


def test_a_booking_that_withdraws_consent_keeps_no_profile_and_its_booking_is_not_learned(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    w.service.book(w.shop, request("home:08:00-10:00", date=DELIVERY + dt.timedelta(days=2), personalization_consent=True))
    out = w.service.book(w.shop, request("home:08:00-10:00", date=DELIVERY + dt.timedelta(days=3), personalization_consent=False))
    assert out.body["personalization_consent"] is False
    assert _profile_rows(w) == 0 and offer(w, customer="c1")["customer"]["orders_seen"] == 0
