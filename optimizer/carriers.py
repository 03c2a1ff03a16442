"""Carrier overflow: orders the fleet cannot or should not serve go to a third-party or crowd
carrier, at a price per parcel, when that is cheaper than leaving them out (pure rules).

A carrier (:class:`~optimizer.domain.Carrier`) takes an order it is able to (no skill it lacks:
a crowd courier has no two-person crew, cold chain or installer) for ``price_per_parcel x
parcels``, up to ``daily_limit`` orders a day. Two steps use it:

* the day model caps each order's drop penalty at its cheapest carrier price
  (:func:`order_worth`), so the engine leaves an order out whenever serving it costs more than
  handing it over: "cannot" (no room, no reach) and "should not" (a detour dearer than the
  carrier) alike;
* after the solve, :func:`hand_over` gives the orders left out to carriers, the biggest saving
  (drop penalty minus price) first, each to the cheapest carrier with room; what no carrier
  takes, or takes only at a price above the drop penalty, stays unserved with its reason.

An overflow-only carrier (``Carrier.overflow_only``, an overflow contract) skips the first step
and in the second takes only orders left out for ``fleet_full``: the fleet serves all it can.

The daily limit binds only in the second step: when more orders would be cheaper with a carrier
than the limits allow, the engine has planned as if all could go, and the rest stay unserved.
Money in the scenario's currency.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from optimizer.domain import Carrier, CarrierOrder, Order, Unserved, UnservedReason


def can_take(carrier: Carrier, order: Order) -> bool:
    """Whether ``carrier`` may deliver ``order`` (it has every skill the order needs)."""
    return set(order.skills) <= set(carrier.skills)


def cheapest_price(order: Order, carriers: Sequence[Carrier]) -> float | None:
    """The lowest price (currency) at which some carrier takes ``order`` off the fleet by choice
    (an overflow-only carrier does not: it only takes what the fleet has no room for); None if
    none can."""
    prices = [c.price(order) for c in carriers if can_take(c, order) and not c.overflow_only]
    return min(prices) if prices else None


def order_worth(order: Order, drop_penalty: float, carriers: Sequence[Carrier]) -> float:
    """What leaving ``order`` off the fleet's routes costs (currency): its drop penalty, or the
    cheapest carrier's price when that is lower."""
    price = cheapest_price(order, carriers)
    return drop_penalty if price is None else min(drop_penalty, price)


def hand_over(
    unserved: Sequence[Unserved],
    orders: Mapping[str, Order],
    drop_penalty: Mapping[str, float],
    carriers: Sequence[Carrier],
) -> tuple[list[CarrierOrder], list[Unserved]]:
    """Give orders the plan leaves out to carriers: returns (carrier orders, still unserved).

    ``drop_penalty`` maps order id -> currency. Orders are taken biggest saving first; each goes
    to the cheapest carrier that can take it, has room under its daily limit and charges less
    than the drop penalty. An order that stays has its detail extended with why no carrier took
    it (none can, all full, or dearer than leaving it out).
    """
    if not carriers:
        return [], list(unserved)
    taken: dict[str, int] = {c.id: 0 for c in carriers}
    placed: dict[str, CarrierOrder] = {}
    why: dict[str, str] = {}

    # the carriers able to take each order, cheapest first
    able_for = {u.order_id: sorted((c for c in carriers if can_take(c, orders[u.order_id])
                                    and (not c.overflow_only or u.reason is UnservedReason.FLEET_FULL)),
                                   key=lambda c, o=orders[u.order_id]: c.price(o)) for u in unserved}

    def saving(u: Unserved) -> float:
        able = able_for[u.order_id]
        return drop_penalty[u.order_id] - able[0].price(orders[u.order_id]) if able else float("-inf")

    for u in sorted(unserved, key=saving, reverse=True):
        order = orders[u.order_id]
        able = able_for[u.order_id]
        if not able:
            if any(not can_take(c, order) for c in carriers):
                why[u.order_id] = "no carrier can take it (it needs " + ", ".join(order.skills) + ")"
            # else only overflow carriers, which take just what the fleet had no room for: its reason stands
            continue
        room = [c for c in able if c.daily_limit is None or taken[c.id] < c.daily_limit]
        if not room:
            why[u.order_id] = "every carrier that could take it is at its daily limit"
            continue
        best = room[0]
        if best.price(order) >= drop_penalty[u.order_id]:
            why[u.order_id] = (f"carrier {best.id} would charge {best.price(order):.2f}, "
                               f"no less than leaving it out ({drop_penalty[u.order_id]:.2f})")
            continue
        taken[best.id] += 1
        placed[u.order_id] = CarrierOrder(u.order_id, best.id, best.kind, order.parcels, round(best.price(order), 2))
    left = [Unserved(u.order_id, u.stop_id, u.reason, (u.detail + "; " if u.detail else "") + why[u.order_id])
            if u.order_id in why else u for u in unserved if u.order_id not in placed]
    return [placed[u.order_id] for u in unserved if u.order_id in placed], left
