"""Slot offers: every slot of a date for an address, available or not and why, priced and ranked.

For each door slot of the address's zone the offer says whether it can be booked, and if not,
why (``outside_area``, ``closed``, ``blackout``, ``past_cutoff``, ``premium_only``, ``full``,
``not_routable``). An available slot carries a fee and incentive from the marginal routing
cost of inserting the stop into that day's tentative routes (:mod:`scheduling.tentative`);
a slot is only available if that insertion is feasible. Slots are ranked for the customer by
how well they match their learned preferences (:mod:`scheduling.preferences`) and what they
cost, with tier privileges (fee waivers, premium slots) applied. Nearby pickup points follow,
with walking distance, opening hours and their own slots.

Every slot gets a one-line explanation meant to be shown to the customer as is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Mapping

from sqlalchemy import func, select

from optimizer.domain import hhmm
from scheduling import capacity_store as cs
from scheduling.booking_setup import BookingSetup, TierPrivileges
from scheduling.bookings import BookingService, _naive_utc
from scheduling import quotes, tier_policy
from scheduling.privacy.consent import settle as consent_settle
from scheduling.preferences import Preferences, ZonePrior, learn_preferences
from scheduling.slots import SlotTemplate
from scheduling.storage.models import Booking, CustomerProfile
from scheduling.tentative import Quote, StopRequest, TentativePlans

# Ranking weights: preference match first, then price; a privilege nudges a member's own slots up.
W_PREFERENCE = 0.6
W_PRICE = 0.4
W_PRIVILEGE = 0.05

PERSONALIZED_TEXT = "Ranked by your past orders with this shop, which you agreed we may use."
NOT_PERSONALIZED_TEXT = (
    "Not personalized: we have no consent to use your order history, so slots are ranked as for anyone in your area."
)

REASON_TEXT = {
    "outside_area": "We do not deliver to this address's area",
    "closed": "No deliveries on this weekday",
    "blackout": "No deliveries in this area on this date",
    "past_cutoff": "Booking for this date has closed",
    "premium_only": "Reserved for members with premium slots",
    "full": "Fully booked",
    "not_routable": "Our vans cannot reach you in this window any more",
    "point_closed": "The pickup point is closed during this window",
}


@dataclass(frozen=True)
class OfferRequest:
    date: dt.date
    lat: float
    lon: float
    customer_id: str | None = None
    tier: str | None = None
    parcels: int = 1
    # The shop's word on consent to personalization (scheduling.privacy.consent); None: as stored.
    personalization_consent: bool | None = None


@dataclass
class _Seat:
    capacity: int
    taken: int

    @property
    def remaining(self) -> int:
        return max(0, self.capacity - self.taken)


class OfferBuilder:
    def __init__(self, setup: BookingSetup, plans: TentativePlans, service: BookingService, priors: Mapping[str, ZonePrior] | None = None):
        self.setup = setup
        self.plans = plans
        self.service = service
        self.db = service.db
        labels = sorted({t.label for t in setup.calendar.templates()})
        self.default_prior = ZonePrior.uniform(labels)
        self.priors = dict(priors or {})

    # -- inputs ------------------------------------------------------------------------------
    def _tier(self, s, shop_id: int, req: OfferRequest, consent: bool, profile=None) -> str:
        """The tier to price for; ``profile``: the customer's (consented_at, tier) row if already read."""
        if req.tier is not None:
            self.setup.check_tier(req.tier)
            return req.tier
        if req.customer_id and consent:
            tier = profile.tier if profile is not None else s.scalar(
                select(CustomerProfile.tier).where(CustomerProfile.shop_id == shop_id, CustomerProfile.customer_id == req.customer_id)
            )
            if tier in self.setup.tiers:
                return tier
        return "ordinary" if "ordinary" in self.setup.tiers else next(iter(self.setup.tiers))

    def _seats(self, s, zones: list[str], date: str, templates: list[SlotTemplate]) -> dict[tuple[str, str], _Seat]:
        """Free seats per (zone, slot): capacity minus bookings and live holds (overdue holds count as free)."""
        now = _naive_utc(self.setup.now())
        rows = cs.counters(s, zones, date)
        overdue = dict(
            ((z, sl), n)
            for z, sl, n in s.execute(
                select(Booking.zone, Booking.slot, func.count())
                .where(Booking.zone.in_(zones), Booking.date == date, Booking.status == "held", Booking.hold_expires_at <= now)
                .group_by(Booking.zone, Booking.slot)
            ).all()
        )
        out = {}
        for zone in zones:
            for t in templates:
                row = rows.get((zone, t.id))
                if row is None:
                    out[(zone, t.id)] = _Seat(self.setup.capacity_default(t, zone), 0)
                else:
                    out[(zone, t.id)] = _Seat(row.capacity, row.booked + row.held - overdue.get((zone, t.id), 0))
        return out

    # -- the offer ---------------------------------------------------------------------------
    def offer(self, shop_id: int, req: OfferRequest) -> dict:
        st = self.setup
        st.check_date(req.date)
        st.check_parcels(req.parcels)
        location = st.locate(req.lat, req.lon)
        date = req.date.isoformat()
        door = st.calendar.door_templates()
        points = st.area.walking_m(req.lat, req.lon, list(st.pickup_sites.values()), st.walk_reach_m) if st.pickup_sites else []
        points = points[:3]
        pickup_templates = st.calendar.pickup_templates()
        with self.db.session() as s:  # every read of the offer in one session
            profile = None
            if req.customer_id and req.personalization_consent is None:
                # The store's word on consent and the stored tier are one row: read it once.
                profile = s.execute(
                    select(CustomerProfile.consented_at, CustomerProfile.tier)
                    .where(CustomerProfile.shop_id == shop_id, CustomerProfile.customer_id == req.customer_id)
                ).first()
                consent = profile is not None and profile.consented_at is not None
            else:
                consent = consent_settle(s, shop_id, req.customer_id, req.personalization_consent)
            tier = self._tier(s, shop_id, req, consent, profile)
            if req.tier is not None:
                tier_policy.check_allowed(s, shop_id, tier)
            history = self.service.history(shop_id, req.customer_id, session=s) if consent else []
            blackout = cs.blackout_reason(s, location.zone, date)
            seats = self._seats(s, [location.zone] + [st.pickup_zone(p.id) for p, _ in points], date, door + pickup_templates)
        privileges = st.tiers[tier]
        prefs = learn_preferences(history, self.priors.get(location.zone, self.default_prior))
        day_reason = self._day_reason(req.date, blackout, st.area.is_served(location.zone))

        stops: list[StopRequest] = []
        for t in door:
            stops.append(st.door_stop(location, t, req.parcels))
        for site, _ in points:
            for t in pickup_templates:
                stops.append(st.pickup_stop(site, t, req.parcels))
        quotes = self.plans.day(date).quotes(stops) if day_reason is None and stops else [Quote(False)] * len(stops)

        slots = []
        for t, q in zip(door, quotes[: len(door)]):
            slots.append(self._slot(t, location.zone, seats, q, day_reason, privileges, tier, prefs, pickup=False))
        self._rank(slots)
        for slot in slots:
            slot["explanation"] = self._explain(slot, prefs, tier, blackout)

        pickup = []
        k = len(door)
        for site, walk in points:
            point_slots = []
            for t in pickup_templates:
                q = quotes[k]
                k += 1
                reason = day_reason
                if reason is None and (site.opens > t.window.end or site.closes < t.window.start):
                    reason = "point_closed"
                entry = self._slot(t, st.pickup_zone(site.id), seats, q, reason, privileges, tier, prefs, pickup=True)
                entry["explanation"] = self._explain(entry, prefs, tier, blackout)
                point_slots.append(entry)
            pickup.append(
                {
                    "id": site.id,
                    "name": site.name,
                    "kind": site.kind,
                    "lat": site.lat,
                    "lon": site.lon,
                    "walk_m": round(walk),
                    "opens": hhmm(site.opens),
                    "closes": hhmm(site.closes),
                    "slots": point_slots,
                }
            )
        self._quote(shop_id, req, tier, slots, None)
        for point in pickup:
            self._quote(shop_id, req, tier, point["slots"], point["id"])
        return {
            "date": date,
            "zone": location.zone,
            "address": {"lat": req.lat, "lon": req.lon, "snapped_m": round(location.snap_m, 1)},
            "customer": {
                "id": req.customer_id,
                "tier": tier,
                "orders_seen": prefs.orders_seen,
                "pickup_share": round(prefs.pickup_share, 3),
                # How much this weekday suits the customer (1 = their favourite); the same for every slot of the date.
                "weekday_affinity": round(prefs.weekday_affinity(req.date.weekday()), 3),
                "personalized": consent,
                "personalization": PERSONALIZED_TEXT if consent else NOT_PERSONALIZED_TEXT,
            },
            "cutoff": st.calendar.cutoff(req.date).isoformat(),
            "currency": st.pricing.currency,
            "slots": slots,
            "pickup_points": pickup,
        }

    def _quote(self, shop_id: int, req: OfferRequest, tier: str, slots: list[dict], point: str | None) -> None:
        """Give each available slot a quote of its fee, valid for the hold time (scheduling.quotes)."""
        expires = self.setup.now() + dt.timedelta(minutes=self.setup.hold_minutes)
        for slot in slots:
            if not slot["available"]:
                slot["quote_id"] = slot["quote_expires_at"] = None
                continue
            t = quotes.terms(shop_id, req.date.isoformat(), slot["slot"], point, req.lat, req.lon, req.parcels, False, tier,
                             slot["fee"], expires)
            slot["quote_id"] = quotes.issue(self.setup.quote_key, t)
            slot["quote_expires_at"] = expires.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")

    def _day_reason(self, date: dt.date, blackout: str | None, served: bool) -> str | None:
        st = self.setup
        if not served:
            return "outside_area"
        if date.weekday() in st.calendar.closed_weekdays:
            return "closed"
        if blackout is not None:
            return "blackout"
        if st.calendar.past_cutoff(date, st.now()):
            return "past_cutoff"
        return None

    def _slot(self, t: SlotTemplate, zone: str, seats, quote: Quote, reason: str | None, privileges: TierPrivileges, tier: str, prefs: Preferences, *, pickup: bool) -> dict:
        seat = seats[(zone, t.id)]
        if reason is None and t.kind == "premium" and not privileges.premium_slots:
            reason = "premium_only"
        if reason is None and seat.remaining <= 0:
            reason = "full"
        if reason is None and not quote.feasible:
            reason = "not_routable"
        entry = {
            "slot": t.id,
            "kind": t.kind,
            "window": t.label,
            "available": reason is None,
            "reason": reason,
            "remaining": seat.remaining if reason is None else 0,
            "fee": None,
            "incentive": None,
            "green": False,
            "marginal_cost": None,
            "rank": None,
            "score": None,
            "explanation": "",
        }
        if reason is None:
            fee, incentive, green = self.setup.pricing.fee(quote.cost, pickup=pickup, waived=privileges.fee_waiver)
            affinity = prefs.slot_affinity(t.label)
            if pickup:
                affinity = 0.5 * affinity + 0.5 * prefs.pickup_share
            span = max(1e-9, self.setup.pricing.max_fee)
            score = W_PREFERENCE * affinity + W_PRICE * (1.0 - fee / span)
            if t.kind == "premium" and privileges.premium_slots:
                score += W_PRIVILEGE
            entry.update(fee=fee, incentive=incentive, green=green, marginal_cost=round(quote.cost, 2), score=round(score, 4))
        return entry

    @staticmethod
    def _rank(slots: list[dict]) -> None:
        order = sorted((s for s in slots if s["available"]), key=lambda s: (-s["score"], s["window"]))
        for i, s in enumerate(order, start=1):
            s["rank"] = i

    def _explain(self, slot: dict, prefs: Preferences, tier: str, blackout: str | None) -> str:
        cur = self.setup.pricing.currency
        if not slot["available"]:
            text = REASON_TEXT[slot["reason"]]
            if slot["reason"] == "past_cutoff":
                text += f" ({self.setup.calendar.describe_cutoff()})"
            if slot["reason"] == "blackout" and blackout:
                text += f": {blackout}"
            return text + "."
        parts = []
        label = slot["window"]
        if prefs.top_slot == label and prefs.orders_seen:
            parts.append(f"Your usual time ({prefs.top_slot_count} of your last {prefs.orders_seen} orders)")
        elif prefs.slot_affinity(label) >= 0.8:
            parts.append("A favourite time in your area" if not prefs.orders_seen else "A time you often choose")
        if slot["kind"] == "premium":
            parts.append(f"a 1-hour window reserved for {tier} members")
        if slot["fee"] == 0:
            parts.append(f"free delivery for {tier} members")
        elif slot["green"] and slot["kind"] != "pickup":
            parts.append(f"green slot: a van already passes nearby, {slot['incentive']:.0f} {cur} off")
        elif slot["incentive"]:
            parts.append(f"{slot['incentive']:.0f} {cur} off: it fits our routes well")
        elif slot["kind"] != "pickup" and slot["fee"] > self.setup.pricing.base_fee:
            parts.append("a higher fee: few deliveries near you in this window so far")
        if not parts:
            parts.append("standard fee" if slot["kind"] != "pickup" else "collect at your convenience")
        if slot["remaining"] <= 2:
            parts.append(f"only {slot['remaining']} left")
        text = "; ".join(parts)
        return text[0].upper() + text[1:] + "."
