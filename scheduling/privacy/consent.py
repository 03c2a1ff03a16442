"""Consent to personalization, per shop and customer.

The shop says on each offer request and booking whether its customer consented
(``personalization_consent``). Absent, the store's last word stands; a customer the store has
no consent for is not personalized. Consent is what :class:`CustomerProfile` rows exist for:
with it, a booking refreshes the profile and the booking is one the preferences learn from;
without it, no profile row is written and the offer ranks slots as for a new customer of the
zone. Withdrawing consent deletes the profile row and stops every earlier booking of that
customer from being learned from, in the same transaction.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from scheduling.storage.models import Booking, CustomerProfile


def has_consent(s: Session, shop_id: int, customer_id: str) -> bool:
    """Whether the store holds the customer's consent to personalization."""
    return s.scalar(
        select(CustomerProfile.consented_at).where(CustomerProfile.shop_id == shop_id, CustomerProfile.customer_id == customer_id)
    ) is not None


def withdraw(s: Session, shop_id: int, customer_id: str) -> bool:
    """Delete the learned profile and unmark the customer's bookings as learnable; whether anything was held."""
    gone = s.execute(
        delete(CustomerProfile).where(CustomerProfile.shop_id == shop_id, CustomerProfile.customer_id == customer_id)
    ).rowcount
    marked = s.execute(
        update(Booking)
        .where(Booking.shop_id == shop_id, Booking.customer_id == customer_id, Booking.personalization_consent.is_(True))
        .values(personalization_consent=False)
        .execution_options(synchronize_session=False)
    ).rowcount
    return bool(gone or marked)


def settle(s: Session, shop_id: int, customer_id: str | None, asserted: bool | None) -> bool:
    """The consent that holds for this request: ``asserted`` when the shop gave it (``False``
    withdraws what is stored), else the stored one. ``customer_id`` ``None``: no consent."""
    if customer_id is None:
        return False
    if asserted is None:
        return has_consent(s, shop_id, customer_id)
    if not asserted:
        withdraw(s, shop_id, customer_id)
    return asserted

