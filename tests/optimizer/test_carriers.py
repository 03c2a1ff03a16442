"""Carrier overflow: an order goes to a carrier when that is cheaper than leaving it out."""

from optimizer.carriers import cheapest_price, hand_over, order_worth
from optimizer.domain import Carrier, Order, TimeWindow, Unserved, UnservedReason


def order(oid, parcels=1, skills=()):
    return Order(oid, 57.7, 11.97, TimeWindow(8 * 3600, 10 * 3600), parcels=parcels, skills=skills)


CROWD = Carrier("crowd-1", "crowd", 40.0, daily_limit=2)
PARCEL_NET = Carrier("3pl-1", "3pl", 55.0)


def left_out(*orders):
    return [Unserved(o.id, o.id, UnservedReason.FLEET_FULL, "no room") for o in orders]


def test_the_price_is_per_parcel_and_the_cheapest_able_carrier_sets_the_worth():
    assert cheapest_price(order("a", parcels=3), [CROWD, PARCEL_NET]) == 120.0
    assert order_worth(order("a"), 2000.0, [CROWD]) == 40.0
    assert order_worth(order("a"), 30.0, [CROWD]) == 30.0  # leaving it out is cheaper still
    assert order_worth(order("s", skills=("two_person",)), 2000.0, [CROWD]) == 2000.0


def test_the_biggest_savings_go_first_to_the_cheapest_carrier_with_room():
    orders = {o.id: o for o in (order("a"), order("b", parcels=2), order("c"), order("d"))}
    penalty = {"a": 2000.0, "b": 5000.0, "c": 3000.0, "d": 2000.0}
    to_carriers, left = hand_over(left_out(*orders.values()), orders, penalty, [CROWD, PARCEL_NET])
    got = {c.order_id: (c.carrier_id, c.cost) for c in to_carriers}
    # b (saving 4920) and c (2960) fill the crowd's limit of two; a and d go to the parcel network
    assert got == {"b": ("crowd-1", 80.0), "c": ("crowd-1", 40.0), "a": ("3pl-1", 55.0), "d": ("3pl-1", 55.0)}
    assert left == []


def test_what_no_carrier_takes_stays_unserved_and_says_why():
    orders = {o.id: o for o in (order("sofa", skills=("two_person",)), order("x"), order("y"), order("z"))}
    penalty = {"sofa": 2000.0, "x": 2000.0, "y": 2000.0, "z": 30.0}
    to_carriers, left = hand_over(left_out(*orders.values()), orders, penalty, [CROWD])
    assert {c.order_id for c in to_carriers} == {"x", "y"}
    detail = {u.order_id: u.detail for u in left}
    assert "no carrier can take it (it needs two_person)" in detail["sofa"]
    assert "every carrier that could take it is at its daily limit" in detail["z"]
    assert all(u.reason is UnservedReason.FLEET_FULL and u.detail.startswith("no room") for u in left)


def test_without_carriers_nothing_changes():
    orders = {"a": order("a")}
    assert hand_over(left_out(orders["a"]), orders, {"a": 1.0}, []) == ([], left_out(orders["a"]))


def test_a_carrier_dearer_than_leaving_the_order_out_does_not_get_it():
    orders = {"z": order("z")}
    to_carriers, (left,) = hand_over(left_out(orders["z"]), orders, {"z": 30.0}, [PARCEL_NET])
    assert to_carriers == [] and "carrier 3pl-1 would charge 55.00, no less than leaving it out (30.00)" in left.detail


OVERFLOW = Carrier("3pl-overflow", "3pl", 55.0, overflow_only=True)


def test_an_overflow_carrier_never_caps_what_an_order_is_worth_to_the_fleet():
    assert cheapest_price(order("a"), [OVERFLOW]) is None
    assert order_worth(order("a"), 2000.0, [OVERFLOW, CROWD]) == 40.0  # the crowd still may take it by choice
    assert order_worth(order("a"), 2000.0, [OVERFLOW]) == 2000.0


def test_an_overflow_carrier_takes_only_what_the_fleet_had_no_room_for():
    full, far = order("full"), order("far")
    unserved = [Unserved("full", "full", UnservedReason.FLEET_FULL, "no room"),
                Unserved("far", "far", UnservedReason.WINDOW_UNREACHABLE, "slot closes first")]
    to_carriers, left = hand_over(unserved, {"full": full, "far": far}, {"full": 2000.0, "far": 2000.0}, [OVERFLOW])
    assert [c.order_id for c in to_carriers] == ["full"]
    (still,) = left
    assert still == unserved[1]  # its own reason and detail stand: no carrier was meant for it
