"""Tier trust: which member tiers a shop may assert, and how many privileged bookings a day.

A shop says its customer is a gold member; the routes of every shop sharing the vans then favour
that stop (drop penalties are the operator's weights per tier, :mod:`optimizer.dayplan`). So the
operator sets per shop the tiers it may assert (``allowed_tiers``) and a cap on the share of its
bookings of a date in a privileged tier (one with a fee waiver or premium slots), which does not
bite until the shop has ``premium_floor`` bookings that day. A request above either is 403
naming ``tier`` with the reason.

The share is counted in the booking's transaction; two bookings of one shop committing at the
same moment on PostgreSQL may pass it by one.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scheduling.booking_setup import BookingError, TierPrivileges
from scheduling.storage.models import Booking, Shop


def allowed(shop: Shop | None) -> set[str] | None:
    """The tiers ``shop`` may assert; ``None``: every tier."""
    if shop is None or not shop.allowed_tiers:
        return None
    return {t.strip() for t in shop.allowed_tiers.split(",") if t.strip()}


def privileged(tiers: dict[str, TierPrivileges]) -> set[str]:
    return {name for name, p in tiers.items() if p.fee_waiver or p.premium_slots}


def check_allowed(s: Session, shop_id: int, tier: str) -> None:
    """403 ``tier_not_allowed`` when the operator does not let this shop assert ``tier``."""
    shop = s.get(Shop, shop_id)
    ok = allowed(shop)
    if ok is not None and tier not in ok:
        raise BookingError(403, "tier", "tier_not_allowed",
                           f"this shop may not book for tier '{tier}'; the operator allows {', '.join(sorted(ok))}. "
                           "Ask the operator to change it (lastmile shop tiers)")


def check_share(s: Session, shop_id: int, tier: str, date: str, tiers: dict[str, TierPrivileges]) -> None:
    """403 ``premium_cap`` when one more ``tier`` booking would take the shop's privileged share
    of ``date`` above its cap."""
    shop = s.get(Shop, shop_id)
    premium = privileged(tiers)
    if shop is None or shop.premium_share_max is None or tier not in premium:
        return
    per_tier = dict(s.execute(
        select(Booking.tier, func.count()).where(Booking.shop_id == shop_id, Booking.date == date,
                                                 Booking.status.in_(("held", "confirmed")))
        .group_by(Booking.tier)
    ).all())
    premium_now = sum(n for t, n in per_tier.items() if t in premium)
    total = sum(per_tier.values())
    if total + 1 <= shop.premium_floor:
        return
    if premium_now + 1 > shop.premium_share_max * (total + 1):
        raise BookingError(403, "tier", "premium_cap",
                           f"this shop's bookings on {date} in privileged tiers would be {premium_now + 1} of {total + 1}, "
                           f"above the operator's cap of {shop.premium_share_max:.0%}; book it as an ordinary customer "
                           "or ask the operator to raise the cap")
