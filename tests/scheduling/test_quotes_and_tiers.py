"""Quoted fees are honoured while valid and refused with the new fee after; the operator decides
which tiers a shop may assert and how many privileged bookings it may make a day."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduling import quotes
from scheduling.booking_setup import BookingError
from scheduling.offers import OfferRequest
from scheduling.storage.models import Shop
from tests.scheduling.booking_world import CENTRE, DELIVERY, make_world, request

SLOT = "home:18:00-20:00"


def offered(w, slot=SLOT, **kw) -> dict:
    o = w.offers.offer(w.shop, OfferRequest(DELIVERY, CENTRE[0], CENTRE[1], "c1", **kw))
    return next(s for s in o["slots"] if s["slot"] == slot)


def forged(w, fee: float, *, parcels: int = 1, minutes: float = 10, shop=None) -> str:
    """A quote signed with the service's key, as an offer would have made it, at ``fee``."""
    t = quotes.terms(shop or w.shop, DELIVERY.isoformat(), SLOT, None, CENTRE[0], CENTRE[1], parcels, False, "ordinary", fee,
                     w.setup.now() + dt.timedelta(minutes=minutes))
    return quotes.issue(w.setup.quote_key, t)


def refusal(fn) -> BookingError:
    with pytest.raises(BookingError) as info:
        fn()
    return info.value


def test_every_available_slot_of_an_offer_carries_a_quote_of_its_fee(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    slot = offered(w)
    assert slot["available"] and slot["quote_id"] and slot["quote_expires_at"].endswith("Z")
    booked = w.service.book(w.shop, request(SLOT, quote_id=slot["quote_id"]))
    assert booked.body["fee"] == slot["fee"] and booked.body["fee_basis"] == "quote"
    unquoted = w.service.book(w.shop, request(SLOT, customer="c2"))
    assert unquoted.body["fee_basis"] == "booking_time"


def test_a_valid_quote_is_honoured_even_when_the_price_moved_since(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    today = offered(w)["fee"]
    out = w.service.book(w.shop, request(SLOT, quote_id=forged(w, today + 7)))
    assert out.status == 201 and out.body["fee"] == today + 7


def test_an_expired_quote_is_refused_with_the_fee_of_now_and_nothing_is_booked(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    slot = offered(w)
    w.clock.advance(minutes=11)
    err = refusal(lambda: w.service.book(w.shop, request(SLOT, quote_id=slot["quote_id"])))
    assert (err.status, err.field, err.reason) == (409, "quote_id", "quote_expired")
    assert err.to_dict()["error"]["fee"] == offered(w)["fee"]
    assert w.service.list(w.shop) == []
    assert w.service.book(w.shop, request(SLOT)).status == 201, "the stop of the refused booking left the routes"


def test_a_booking_that_differs_from_its_quote_and_costs_otherwise_is_price_changed(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    err = refusal(lambda: w.service.book(w.shop, request(SLOT, parcels=2, quote_id=forged(w, 999.0))))
    assert (err.status, err.reason) == (409, "price_changed") and err.to_dict()["error"]["fee"] != 999.0


def test_a_tampered_or_foreign_quote_is_refused_naming_the_field(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    good = forged(w, 30.0)
    body, signature = good.split(".")
    err = refusal(lambda: w.service.book(w.shop, request(SLOT, quote_id=body + "." + signature[::-1])))
    assert (err.status, err.field, err.reason) == (422, "quote_id", "invalid")
    other = refusal(lambda: w.service.book(w.shop, request(SLOT, quote_id=forged(w, 30.0, shop=w.other_shop))))
    assert (other.status, other.reason) == (422, "other_slot")
    elsewhere = refusal(lambda: w.service.book(w.shop, request("home:08:00-10:00", quote_id=good)))
    assert elsewhere.reason == "other_slot" and w.service.list(w.shop) == []


def _policy(w, **values) -> None:
    with w.db.session() as s:
        shop = s.get(Shop, w.shop)
        for k, v in values.items():
            setattr(shop, k, v)


def test_a_shop_may_assert_only_the_tiers_the_operator_allows_it(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    _policy(w, allowed_tiers="ordinary")
    err = refusal(lambda: w.service.book(w.shop, request(SLOT, tier="gold")))
    assert (err.status, err.field, err.reason) == (403, "tier", "tier_not_allowed") and "allows ordinary" in err.message
    assert refusal(lambda: offered(w, tier="gold")).reason == "tier_not_allowed"
    assert w.service.book(w.other_shop, request(SLOT, tier="gold")).status == 201, "another shop's policy is its own"
    assert w.service.book(w.shop, request(SLOT)).status == 201


def test_privileged_bookings_above_the_shops_daily_share_are_refused(database_url, gothenburg):
    w = make_world(database_url, gothenburg)
    _policy(w, premium_share_max=0.5, premium_floor=2)
    for customer in ("g1", "g2"):  # within the floor: no cap yet
        assert w.service.book(w.shop, request(SLOT, customer=customer, tier="gold")).status == 201
    err = refusal(lambda: w.service.book(w.shop, request(SLOT, customer="g3", tier="gold")))
    assert (err.status, err.reason) == (403, "premium_cap") and "3 of 3" in err.message
    for customer in ("o1", "o2"):
        w.service.book(w.shop, request(SLOT, customer=customer))
    assert refusal(lambda: w.service.book(w.shop, request(SLOT, customer="g3", tier="gold"))).reason == "premium_cap", "3 of 5 > 50 %"
    w.service.book(w.shop, request(SLOT, customer="o3"))
    assert w.service.book(w.shop, request(SLOT, customer="g3", tier="gold")).status == 201, "3 of 6 is the cap itself"
