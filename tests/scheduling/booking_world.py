"""A small booking world on the real Gothenburg network: one depot, a configurable fleet, a fixed clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from geo.zones import grid_zones
from optimizer.domain import Depot, TimeWindow, Vehicle
from scheduling.area import PickupSite, ServiceArea
from scheduling.booking_setup import BookingSetup, TierPrivileges
from scheduling.bookings import BookingService, NewBooking, stops_loader
from scheduling.offers import OfferBuilder
from scheduling.slots import calendar_from_windows
from scheduling.storage import open_database
from scheduling.tentative import TentativePlans

DEPOT = Depot("ringon", "Ringön depot", 57.7228, 11.9510)
CENTRE = (57.7089, 11.9746)  # Brunnsparken
NEAR_CENTRE = (57.7065, 11.9680)  # about 2 km by car
NEXT_DOOR = (57.7092, 11.9752)
FAR = (60.0, 15.0)  # Dalarna: far outside the network
TODAY = dt.date(2026, 11, 23)  # a Monday
DELIVERY = dt.date(2026, 11, 25)


@dataclass
class Clock:
    now: dt.datetime = field(default_factory=lambda: dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.timezone.utc))

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kw) -> None:
        self.now += dt.timedelta(**kw)


@dataclass
class World:
    db: object
    setup: BookingSetup
    plans: TentativePlans
    service: BookingService
    offers: OfferBuilder
    clock: Clock
    shop: int
    other_shop: int


_AREAS: dict[int, ServiceArea] = {}


def area_for(network) -> ServiceArea:
    if id(network) not in _AREAS:
        _AREAS[id(network)] = ServiceArea(network, grid_zones(network))
    return _AREAS[id(network)]


def make_world(database_url: str, network, *, capacity: int = 12, vans: int = 4, van_capacity: int = 80, sites=()) -> World:
    from scheduling.storage.models import Shop

    db = open_database(database_url)
    with db.session() as s:
        a, b = Shop(name="shop-a", api_key_hash="a" * 64), Shop(name="shop-b", api_key_hash="b" * 64)
        s.add_all([a, b])
        s.flush()
        shop, other = a.id, b.id
    clock = Clock()
    area = area_for(network)
    setup = BookingSetup(
        calendar=calendar_from_windows(
            ["08:00-10:00", "10:00-12:00", "12:00-14:00", "14:00-16:00", "16:00-18:00", "18:00-20:00"],
            ["08:00-12:00", "12:00-16:00"],
            premium=["18:00-19:00"],
            home_capacity=capacity,
        ),
        area=area,
        pickup_sites={s.id: s for s in sites},
        tiers={"ordinary": TierPrivileges(), "gold": TierPrivileges(fee_waiver=True), "platinum": TierPrivileges(True, True)},
        clock=clock,
    )
    vehicles = [Vehicle(f"van-{k}", "ringon", van_capacity, TimeWindow(8 * 3600, 20 * 3600)) for k in range(1, vans + 1)]
    plans = TentativePlans(area, [DEPOT], vehicles, stops_loader(db, setup))
    service = BookingService(db, setup, plans)
    return World(db, setup, plans, service, OfferBuilder(setup, plans, service), clock, shop, other)


def request(slot: str = "home:18:00-20:00", *, customer: str = "c1", at=CENTRE, date=DELIVERY, **kw) -> NewBooking:
    return NewBooking(customer_id=customer, date=date, slot=slot, lat=at[0], lon=at[1], **kw)


def pickup_site(network, point_id: str = "pp-test", at=NEAR_CENTRE, capacity: int = 40) -> PickupSite:
    node = area_for(network).locate(*at).node
    return PickupSite(point_id, "Test locker", at[0], at[1], node, 7 * 3600, 22 * 3600, capacity)
