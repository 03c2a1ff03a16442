"""Erasing one customer of one shop: the right to be forgotten, carried out.

:func:`erase_customer` cancels the customer's bookings still to come (their seats return to
the slots and their stops leave the tentative routes), then in one transaction: deletes the
profile, anonymizes every booking of the customer with one pseudonym and what refers to them
(:mod:`scheduling.privacy.anonymize`), anonymizes the saved plans that hold them while keeping
the street legs the actual scorecard needs (:mod:`.plans`), and writes an audit entry.

The audit entry names the customer by a digest of shop and customer id, not the id itself: no
table holds the id afterwards, yet a second request for the same customer is recognised as
already carried out (a 200 no-op) instead of an unknown customer (404).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import select

from scheduling import audit
from scheduling.bookings import BookingService
from scheduling.privacy.anonymize import anonymize_bookings, pseudonym
from scheduling.privacy.consent import withdraw
from scheduling.storage.models import AuditEntry, Booking, CustomerProfile, Shop
from scenarios.privacy.places import zone_places
from scenarios.privacy.plans import freeze_legs, plans_holding, scrub_day_plans
from scenarios.scenario import Scenario

ERASED_REASON = "the customer's data was erased at the shop's request"


@dataclass(frozen=True)
class Erasure:
    """What an erasure did; ``already`` when it had been carried out before (nothing changed now)."""

    customer: str  # the digest the audit log knows the customer by
    already: bool = False
    cancelled: int = 0  # bookings still to come, cancelled (seats returned)
    anonymized: int = 0  # bookings anonymized (all of the customer's)
    profile_deleted: bool = False
    plans_changed: int = 0
    legs_kept: int = 0
    rows_changed: int = 0

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def customer_digest(shop_name: str, customer_id: str) -> str:
    """How the audit log names a customer: a SHA-256 of shop and id, 16 hex characters."""
    return hashlib.sha256(f"{shop_name}\x1f{customer_id}".encode()).hexdigest()[:16]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def already_erased(db, subject: str) -> bool:
    with db.session() as s:
        return s.scalar(select(AuditEntry.id).where(AuditEntry.action == "customer.erase", AuditEntry.subject == subject).limit(1)) is not None


def erase_customer(service: BookingService, scenario: Scenario, shop_id: int, customer_id: str, actor: str, network) -> Erasure | None:
    """Erase the customer; ``None`` when the store never held them (unknown: the API's 404)."""
    db, setup = service.db, service.setup
    with db.session() as s:
        shop = s.get(Shop, shop_id)
        shop_name = shop.name if shop is not None else str(shop_id)
        bookings = s.execute(
            select(Booking.id, Booking.date, Booking.status, Booking.delivery_status)
            .where(Booking.shop_id == shop_id, Booking.customer_id == customer_id)
        ).all()
        has_profile = s.scalar(select(CustomerProfile.id).where(CustomerProfile.shop_id == shop_id,
                                                                CustomerProfile.customer_id == customer_id)) is not None
    subject = f"customer:{customer_digest(shop_name, customer_id)}"
    if not bookings and not has_profile:
        return Erasure(subject, already=True) if already_erased(db, subject) else None

    today = setup.calendar.local_today(setup.now())
    to_come = [b.id for b in bookings if b.status in ("held", "confirmed") and b.delivery_status is None
               and dt.date.fromisoformat(b.date) >= today]
    for booking_id in to_come:
        service.cancel_by_operator(booking_id, ERASED_REASON, actor)

    ids = {b.id for b in bookings}
    zones = zone_places(setup)
    name = pseudonym()
    now = _utcnow()
    with db.session() as s:
        holding = plans_holding(s, ids)
    # Legs are measured before any coordinate changes, from the exact places.
    legs_by_date = {}
    for date in sorted(set(holding.values())):
        legs_by_date[date] = freeze_legs(db, scenario, date, ids, network, whole_rows=True)
    with db.session() as s:
        profile_deleted = withdraw(s, shop_id, customer_id) and has_profile
        plans_changed = legs_kept = 0
        for date, (plan_id, legs) in legs_by_date.items():
            report = scrub_day_plans(s, scenario.name, None, ids, zones, {i: name for i in ids}, legs, plan_id,
                                     candidates=[p for p, d in holding.items() if d == date])
            plans_changed += report.plans_changed
            legs_kept += report.legs_kept
        rows = anonymize_bookings(s, ids, zones, now, customer=name)
        result = Erasure(subject, cancelled=len(to_come), anonymized=len(ids), profile_deleted=profile_deleted,
                         plans_changed=plans_changed, legs_kept=legs_kept, rows_changed=rows + plans_changed)
        audit.record(s, actor, "customer.erase", subject,
                     f"{result.anonymized} bookings anonymized, {result.cancelled} to come cancelled, "
                     f"{plans_changed} saved plans anonymized", at=now)
    return result
