"""What offers and bookings share: the rules of the operation and the checks every request passes.

:class:`BookingSetup` gathers the slot calendar, the service area, the pickup points, member
tiers and their privileges, handling times, pricing and the clock. Its ``check_*`` methods raise
:class:`BookingError` with the HTTP status, the offending field and a machine reason, so the API
can answer ``{"error": {"field": ..., "reason": ..., "message": ...}}`` without knowing the rules.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Callable, Mapping

from scheduling.area import Location, OutsideArea, PickupSite, ServiceArea
from scheduling.refusal import Refusal
from scheduling.slots import SlotCalendar, SlotTemplate
from scheduling.tentative import StopRequest


class BookingError(Refusal):
    """A refused booking request: HTTP ``status``, the request ``field`` at fault, a short ``reason`` code."""


@dataclass(frozen=True)
class TierPrivileges:
    """What a member tier gets: no delivery fee, and access to the reserved premium slots."""

    fee_waiver: bool = False
    premium_slots: bool = False


@dataclass(frozen=True)
class HandlingTimes:
    """Seconds of handling per stop: at the door, and at a pickup point (shared stop).

    ``bulky_extra_s`` is added at the door for a bulky order (default 0, so a setup built
    before bulky orders existed times its stops as it did).
    """

    home_base_s: int = 120
    per_parcel_s: int = 30
    pickup_base_s: int = 300
    pickup_per_parcel_s: int = 20
    bulky_extra_s: int = 0

    def home_s(self, parcels: int, bulky: bool = False) -> int:
        """Seconds at the door for ``parcels`` parcels, plus ``bulky_extra_s`` for a bulky order."""
        return self.home_base_s + self.per_parcel_s * parcels + (self.bulky_extra_s if bulky else 0)


@dataclass(frozen=True)
class Pricing:
    """Delivery fee from the marginal routing cost of the stop (currency).

    ``fee = base_fee + slope * (marginal_cost - reference_cost)``, clamped to
    ``[min_fee, max_fee]``: a slot where a van already passes costs less than the typical stop
    (``reference_cost``) and gets cheaper, an out-of-the-way one dearer. The difference below
    ``base_fee`` is shown as the incentive; a stop under ``green_share`` of the reference cost is
    a "green" slot. Pickup points charge ``pickup_fee`` flat (the van stops there anyway).
    """

    currency: str = "SEK"
    base_fee: float = 49.0
    reference_cost: float = 40.0
    slope: float = 0.5
    min_fee: float = 19.0
    max_fee: float = 99.0
    green_share: float = 0.6
    pickup_fee: float = 19.0

    def fee(self, marginal_cost: float, *, pickup: bool = False, waived: bool = False) -> tuple[float, float, bool]:
        """``(fee, incentive, green)`` in currency, rounded to whole units."""
        green = marginal_cost <= self.green_share * self.reference_cost
        if pickup:
            fee = self.pickup_fee
        else:
            raw = self.base_fee + self.slope * (marginal_cost - self.reference_cost)
            fee = float(round(min(self.max_fee, max(self.min_fee, raw))))
        incentive = max(0.0, self.base_fee - fee) if not pickup else 0.0
        if waived:
            return 0.0, 0.0, green
        return fee, float(round(incentive)), green


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass
class BookingSetup:
    calendar: SlotCalendar
    area: ServiceArea
    pickup_sites: Mapping[str, PickupSite] = field(default_factory=dict)
    tiers: Mapping[str, TierPrivileges] = field(default_factory=lambda: {"ordinary": TierPrivileges()})
    handling: HandlingTimes = HandlingTimes()
    pricing: Pricing = Pricing()
    hold_minutes: float = 10.0
    # Signs the fees offers quote (scheduling.quotes); the same on every process sharing SECRET_KEY.
    quote_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    walk_reach_m: float = 1000.0
    max_parcels: int = 20
    clock: Callable[[], dt.datetime] = utcnow

    # -- checks ------------------------------------------------------------------------------
    def now(self) -> dt.datetime:
        return self.clock()

    def check_date(self, date: dt.date, field_name: str = "date") -> None:
        today = self.calendar.local_today(self.now())
        if date < today:
            raise BookingError(422, field_name, "in_past", f"{date} is in the past (today is {today}); give a future date")
        last = today + dt.timedelta(days=self.calendar.horizon_days)
        if date > last:
            raise BookingError(422, field_name, "beyond_horizon", f"{date} is too far ahead; slots open up to {last}")

    def check_tier(self, tier: str) -> TierPrivileges:
        if tier not in self.tiers:
            raise BookingError(422, "tier", "unknown_tier", f"tier '{tier}' is unknown; use one of {', '.join(self.tiers)}")
        return self.tiers[tier]

    def check_parcels(self, parcels: int) -> None:
        if not 1 <= parcels <= self.max_parcels:
            raise BookingError(422, "parcels", "out_of_range", f"parcels must be between 1 and {self.max_parcels}")

    def locate(self, lat: float, lon: float) -> Location:
        try:
            return self.area.locate(lat, lon)
        except OutsideArea as exc:
            raise BookingError(422, "lat", "outside_area", str(exc)) from None

    def template(self, slot_id: str, field_name: str = "slot") -> SlotTemplate:
        template = self.calendar.template(slot_id)
        if template is None:
            raise BookingError(
                422, field_name, "unknown_slot", f"slot '{slot_id}' is not offered; use one of {', '.join(self.calendar.slot_ids())}"
            )
        return template

    def pickup_site(self, point_id: str) -> PickupSite:
        site = self.pickup_sites.get(point_id)
        if site is None:
            raise BookingError(422, "pickup_point_id", "unknown_pickup_point", f"pickup point '{point_id}' is unknown or closed")
        return site

    # -- stops -------------------------------------------------------------------------------
    def door_stop(self, location: Location, template: SlotTemplate, parcels: int, bulky: bool = False) -> StopRequest:
        """The stop at the customer's door; a bulky order takes ``handling.bulky_extra_s`` longer."""
        return StopRequest(location.node, template.window, self.handling.home_s(parcels, bulky), parcels)

    def pickup_stop(self, site: PickupSite, template: SlotTemplate, parcels: int) -> StopRequest:
        h = self.handling
        return StopRequest(
            site.node,
            template.window,
            h.pickup_base_s + h.pickup_per_parcel_s * parcels,
            parcels,
            pickup_key=(site.id, template.id),
            per_parcel_s=h.pickup_per_parcel_s,
        )

    @staticmethod
    def pickup_zone(site_id: str) -> str:
        return f"pickup:{site_id}"

    def capacity_default(self, template: SlotTemplate, zone: str) -> int:
        if zone.startswith("pickup:"):
            site = self.pickup_sites.get(zone.removeprefix("pickup:"))
            return self.calendar.default_capacity(template, site.capacity if site else 0)
        return self.calendar.default_capacity(template)
