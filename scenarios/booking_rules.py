"""The booking rules of a scenario: zones, slot calendar with its cut-off, pickup sites, tiers.

The booking API (``webui.api.context``), the dispatcher's day (:mod:`scenarios.dispatch`) and
``lastmile demo`` all build their :class:`~scheduling.booking_setup.BookingSetup` here, so a
cut-off or a slot means the same everywhere. Flask-style ``config`` keys override the
scenario's values (see :func:`booking_setup`).
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any, Callable, Mapping

from geo.zones import grid_zones
from optimizer.domain import DRIVE, parse_hhmm
from scheduling.area import OutsideArea, PickupSite, ServiceArea
from scheduling.booking_setup import BookingSetup, HandlingTimes, Pricing, TierPrivileges, utcnow
from scheduling.slots import SlotCalendar, calendar_from_windows
from scenarios.scenario import Scenario

DEFAULT_PREMIUM_SLOTS = ("18:00-19:00", "19:00-20:00")
CLOCK_ENV = "LASTMILE_NOW"


def clock_from_env() -> Callable[[], dt.datetime] | None:
    """A fixed clock from ``LASTMILE_NOW`` (ISO 8601, UTC if no offset), for demos and tests.

    Raises ``ValueError`` naming the variable when it does not parse; ``None`` when unset.
    """
    raw = os.environ.get(CLOCK_ENV, "").strip()
    if not raw:
        return None
    try:
        t = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{CLOCK_ENV}='{raw}' is not a time; write it as 2026-11-23T23:00:00Z, or unset it") from None
    t = t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)
    return lambda: t


def slot_calendar(scenario: Scenario, config: Mapping[str, Any] | None = None) -> SlotCalendar:
    """The scenario's bookable slots and cut-off (``config`` keys as in :func:`booking_setup`)."""
    config = config or {}
    spec = scenario.spec
    days_before, at = config.get("BOOKING_CUTOFF") or (spec.dispatch.cutoff_days_before, spec.dispatch.cutoff_at)
    return calendar_from_windows(
        list(spec.slots.home),
        list(spec.slots.pickup),
        premium=list(config.get("BOOKING_PREMIUM_SLOTS", DEFAULT_PREMIUM_SLOTS)),
        home_capacity=int(config.get("BOOKING_HOME_CAPACITY", 12)),
        premium_capacity=int(config.get("BOOKING_PREMIUM_CAPACITY", 2)),
        cutoff_days_before=int(days_before),
        cutoff_at=parse_hhmm(at),
    )


def now(config: Mapping[str, Any] | None = None) -> dt.datetime:
    """The time the booking rules go by: ``BOOKING_CLOCK``, else ``LASTMILE_NOW``, else the system clock."""
    clock = (config or {}).get("BOOKING_CLOCK") or clock_from_env() or utcnow
    return clock()


def booking_setup(scenario: Scenario, network, config: Mapping[str, Any] | None = None) -> BookingSetup:
    """The scenario's booking rules on ``network``.

    ``config`` keys (all optional): ``BOOKING_HOME_CAPACITY`` (orders per zone and slot, default
    12), ``BOOKING_PREMIUM_CAPACITY`` (2), ``BOOKING_PREMIUM_SLOTS``, ``BOOKING_HOLD_MINUTES``
    (10), ``BOOKING_CUTOFF`` (``(days_before, "HH:MM")``; default the scenario's ``dispatch``
    cut-off), ``BOOKING_CLOCK`` (a callable returning an aware UTC time; default
    ``LASTMILE_NOW`` or the system clock), ``BOOKING_ZONES`` (grid rows, cols; default 3 x 3).
    """
    from scheduling.quotes import quote_key

    config = config or {}
    spec = scenario.spec
    rows, cols = config.get("BOOKING_ZONES", (3, 3))
    zones = grid_zones(network, rows, cols)
    area = ServiceArea(network, zones, max_snap_m=spec.snap_max_distance_m)
    calendar = slot_calendar(scenario, config)
    sites = {}
    for p in scenario.active_pickup_points():
        try:
            node = area.locate(p.lat, p.lon).node
        except OutsideArea:
            continue  # a point off the streets cannot be served by van
        sites[p.id] = PickupSite(p.id, p.name, p.lat, p.lon, node, p.opens, p.closes, p.capacity, p.kind)
    s = spec.service
    clock: Callable[[], dt.datetime] = config.get("BOOKING_CLOCK") or clock_from_env() or utcnow
    return BookingSetup(
        calendar=calendar,
        area=area,
        pickup_sites=sites,
        tiers={name: TierPrivileges(t.fee_waiver, t.premium_slots) for name, t in spec.tiers.items()},
        handling=HandlingTimes(s.home_base_s, s.per_parcel_s, s.pickup_base_s, s.pickup_per_parcel_s, bulky_extra_s=s.bulky_extra_s),
        pricing=Pricing(currency=spec.currency),
        hold_minutes=float(config.get("BOOKING_HOLD_MINUTES", 10.0)),
        clock=clock,
        quote_key=quote_key(config.get("SECRET_KEY")),
    )


def booking_machinery(db, scenario: Scenario, setup: BookingSetup, *, executor=None, solver=None):
    """The tentative routes, booking service and offer builder of ``scenario`` on ``db``:
    ``(TentativePlans, BookingService, OfferBuilder)``, as the booking API and the demo use them.

    ``executor`` runs background re-solves (None: none); ``solver(problem, time_limit_s)`` does
    each (default: in this process).
    """
    from scheduling.bookings import BookingService, stops_loader
    from scheduling.offers import OfferBuilder
    from scheduling.preferences import zone_priors
    from scheduling.tentative import TentativePlans

    # The booking check routes on the vans' street matrix; a cargo bike's own times are not in
    # it, so bikes are left out: they add room the dispatcher's plan uses, never a promise the
    # plan could not keep.
    vans = [v for v in scenario.vehicles() if v.profile == DRIVE]
    plans = TentativePlans(setup.area, scenario.depots(), vans, stops_loader(db, setup),
                           executor=executor, solver=solver,
                           today=lambda: setup.calendar.local_today(setup.now()).isoformat())
    service = BookingService(db, setup, plans)
    labels = sorted({t.label for t in setup.calendar.templates()})
    priors = zone_priors(((c.zone, c.preferred_slot, c.pickup_affinity) for c in scenario.customers), labels)
    return plans, service, OfferBuilder(setup, plans, service, priors)
