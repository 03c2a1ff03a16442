"""Wire a scenario into the booking machinery: network, zones, calendar, pickup points, tiers.

This is the one place where the booking API meets ``scenarios``; everything below it takes
plain data. Built once per app, on first use (loading the network takes a couple of seconds).
"""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from geo.zones import grid_zones
from scheduling.area import OutsideArea, PickupSite, ServiceArea
from scheduling.booking_setup import BookingSetup, HandlingTimes, Pricing, TierPrivileges, utcnow
from scheduling.bookings import BookingService, stops_loader
from scheduling.offers import OfferBuilder
from scheduling.preferences import zone_priors
from scheduling.slots import calendar_from_windows
from scheduling.storage import Database
from scheduling.tentative import TentativePlans

DEFAULT_PREMIUM_SLOTS = ("18:00-19:00", "19:00-20:00")


@dataclass
class BookingApp:
    setup: BookingSetup
    plans: TentativePlans
    service: BookingService
    offers: OfferBuilder
    executor: ThreadPoolExecutor | None


def build_booking_app(db: Database, config: Mapping[str, Any]) -> BookingApp:
    """Everything the API needs, from the scenario named in ``config["SCENARIO"]``.

    Options (Flask config keys): ``BOOKING_HOME_CAPACITY`` (orders per zone and 2-hour slot,
    default 12), ``BOOKING_PREMIUM_CAPACITY`` (2), ``BOOKING_PREMIUM_SLOTS``,
    ``BOOKING_HOLD_MINUTES`` (10), ``BOOKING_CUTOFF`` (``(days_before, "HH:MM")``, default
    ``(1, "22:00")``), ``BOOKING_CLOCK`` (a callable returning an aware UTC datetime; tests),
    ``BOOKING_RESOLVE`` (background re-solves, default on), ``BOOKING_ZONES`` (grid rows, cols).
    """
    from optimizer.domain import parse_hhmm
    from scenarios.planning import network_for
    from scenarios.scenario import load_scenario

    scenario = load_scenario(config.get("SCENARIO") or "gothenburg")
    spec = scenario.spec
    network = network_for(scenario)
    rows, cols = config.get("BOOKING_ZONES", (3, 3))
    zones = grid_zones(network, rows, cols)
    area = ServiceArea(network, zones, max_snap_m=spec.snap_max_distance_m)
    days_before, at = config.get("BOOKING_CUTOFF", (1, "22:00"))
    calendar = calendar_from_windows(
        list(spec.slots.home),
        list(spec.slots.pickup),
        premium=list(config.get("BOOKING_PREMIUM_SLOTS", DEFAULT_PREMIUM_SLOTS)),
        home_capacity=int(config.get("BOOKING_HOME_CAPACITY", 12)),
        premium_capacity=int(config.get("BOOKING_PREMIUM_CAPACITY", 2)),
        cutoff_days_before=int(days_before),
        cutoff_at=parse_hhmm(at),
    )
    sites = {}
    for p in scenario.active_pickup_points():
        try:
            node = area.locate(p.lat, p.lon).node
        except OutsideArea:
            continue  # a point off the streets cannot be served by van
        sites[p.id] = PickupSite(p.id, p.name, p.lat, p.lon, node, p.opens, p.closes, p.capacity, p.kind)
    s = spec.service
    clock: Callable[[], dt.datetime] = config.get("BOOKING_CLOCK") or utcnow
    setup = BookingSetup(
        calendar=calendar,
        area=area,
        pickup_sites=sites,
        tiers={name: TierPrivileges(t.fee_waiver, t.premium_slots) for name, t in spec.tiers.items()},
        handling=HandlingTimes(s.home_base_s, s.per_parcel_s, s.pickup_base_s, s.pickup_per_parcel_s),
        pricing=Pricing(currency=spec.currency),
        hold_minutes=float(config.get("BOOKING_HOLD_MINUTES", 10.0)),
        clock=clock,
    )
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="resolve") if config.get("BOOKING_RESOLVE", True) else None
    plans = TentativePlans(area, scenario.depots(), scenario.vehicles(), stops_loader(db, setup), executor=executor)
    service = BookingService(db, setup, plans)
    labels = sorted({t.label for t in calendar.templates()})
    priors = zone_priors(((c.zone, c.preferred_slot, c.pickup_affinity) for c in scenario.customers), labels)
    return BookingApp(setup, plans, service, OfferBuilder(setup, plans, service, priors), executor)


_LOCK = threading.Lock()


def booking_app(app) -> BookingApp:
    """The app's booking machinery, built on first use."""
    found = app.extensions.get("lastmile.booking")
    if found is None:
        with _LOCK:
            found = app.extensions.get("lastmile.booking")
            if found is None:
                found = build_booking_app(app.extensions["lastmile.db"], app.config)
                app.extensions["lastmile.booking"] = found
    return found
