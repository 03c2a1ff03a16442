"""``lastmile demo``: the whole loop on the embedded default, in one process.

1. Three shops' customers book the date's generated orders through the booking service: each
   gets a personalized, routable offer and books their first choice when it is offered, else
   the offer's top-ranked option (some choose pickup points; a few find everything full).
2. The clock passes the date's cut-off.
3. The dispatcher plans the booked day from the store and publishes it: ETA windows to every
   booking, events to the shops' outbox.
4. The day is driven without drivers (travel and handling noise, a few customers not at
   home), through the same code path as drivers' phones, and scored as driven.

The demo keeps its own database (``<out>/lastmile.db``, made anew each run) so it never touches
a real store. The booking clock is virtual (the day before at 10:00 UTC, then just after the
cut-off); solver time is wall-clock seconds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from scenarios.scenario import Scenario

SHOPS = ("Nordic Home", "Gothia Books", "Fresh Market")


@dataclass
class BookingRound:
    """How the customers' booking went (counts of orders)."""

    orders: int = 0
    booked: int = 0
    pickup: int = 0
    first_choice: int = 0  # booked exactly what they asked for first
    first_choice_refused: dict[str, int] = field(default_factory=dict)  # why the offer refused a first choice
    refused: dict[str, int] = field(default_factory=dict)  # reason -> customers who found nothing to book
    per_shop: dict[str, int] = field(default_factory=dict)


class VirtualClock:
    """A clock the demo moves by hand (aware UTC)."""

    def __init__(self, t: dt.datetime):
        self.t = t

    def __call__(self) -> dt.datetime:
        return self.t


def _options(offer: dict) -> list[tuple[dict, str | None]]:
    """Every available option of an offer, best-ranked first: ``(slot entry, pickup point id)``."""
    found = [(s, None) for s in offer["slots"] if s["available"]]
    found += [(s, p["id"]) for p in offer["pickup_points"] for s in p["slots"] if s["available"]]
    return sorted(found, key=lambda o: (-(o[0]["score"] or 0.0), o[0]["window"]))


def _wanted(option: tuple[dict, str | None], first_choice: str | None) -> bool:
    slot, point = option
    return first_choice is not None and (point == first_choice if point else slot["window"] == first_choice)


def _refusal(offer: dict, first_choice: str | None) -> str | None:
    """Why the offer refused the customer's first choice (``full``, ``not_routable``, ...), or None."""
    if first_choice is None:
        return None
    entries = [s for s in offer["slots"] if s["window"] == first_choice]
    entries += [s for p in offer["pickup_points"] if p["id"] == first_choice for s in p["slots"]]
    if not entries:
        return "not_offered"
    if any(s["available"] for s in entries):
        return None
    return entries[0]["reason"]


def book_the_day(db, scenario: Scenario, date: dt.date, network, clock: VirtualClock, *, n_orders: int | None = None) -> BookingRound:
    """Book the scenario's generated orders for ``date`` through offers and the booking service.

    A customer who cannot book their choice (someone was faster) tries the next option, up to
    three times; the shops are assigned round-robin.
    """
    from scenarios.booking_rules import booking_machinery, booking_setup
    from scenarios.dayorders import generate_day
    from scheduling.booking_setup import BookingError
    from scheduling.bookings import NewBooking
    from scheduling.offers import OfferRequest
    from scheduling.shops import create_shop

    setup = booking_setup(scenario, network, {"BOOKING_CLOCK": clock})
    _plans, service, offers = booking_machinery(db, scenario, setup)
    shop_ids = [create_shop(db, name)[0] for name in SHOPS]
    homes = {c.id: c for c in scenario.customers}
    result = BookingRound(per_shop={name: 0 for name in SHOPS})
    for k, order in enumerate(generate_day(scenario, date, n_orders=n_orders)):
        result.orders += 1
        shop = k % len(SHOPS)
        home = homes.get(order.customer_id)
        lat, lon = (home.lat, home.lon) if home is not None else (order.lat, order.lon)
        try:
            offer = offers.offer(shop_ids[shop], OfferRequest(date, lat, lon, order.customer_id, order.tier, order.parcels))
        except BookingError as exc:
            result.refused[exc.reason] = result.refused.get(exc.reason, 0) + 1
            continue
        options = _options(offer)
        refused = _refusal(offer, order.first_choice)
        if refused is not None:
            result.first_choice_refused[refused] = result.first_choice_refused.get(refused, 0) + 1
        options.sort(key=lambda o: not _wanted(o, order.first_choice))  # stable: the first choice first
        if not options:
            reasons = {s["reason"] for s in offer["slots"]} - {None}
            reason = "full" if "full" in reasons else (sorted(reasons)[0] if reasons else "no_slot")
            result.refused[reason] = result.refused.get(reason, 0) + 1
            continue
        for option in options[:3]:
            slot, point = option
            req = NewBooking(order.customer_id, date, slot["slot"], lat, lon, order.tier, order.parcels, point,
                             address=order.address, bulky=order.bulky, order_ref=f"{SHOPS[shop][:2].upper()}-{k + 1:05d}")
            try:
                service.book(shop_ids[shop], req)
            except BookingError:
                continue
            result.booked += 1
            result.pickup += point is not None
            result.first_choice += _wanted(option, order.first_choice)
            result.per_shop[SHOPS[shop]] += 1
            break
        else:
            result.refused["taken_meanwhile"] = result.refused.get("taken_meanwhile", 0) + 1
    return result


def run_demo(scenario: Scenario, date: dt.date, out: Path, *, time_limit_s: float, n_orders: int | None = None,
             on_solution=None):
    """Book, pass the cut-off, plan from the store, publish. Returns ``(BookingRound, plan id,
    DayResult, PublishedDay, workbench)``; ``on_solution`` is a Workbench progress object."""
    from scenarios.booking_rules import slot_calendar
    from scenarios.dispatch.workbench import Workbench
    from scenarios.planning import network_for
    from scheduling.storage import open_database

    out.mkdir(parents=True, exist_ok=True)
    path = out / "lastmile.db"
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        p.unlink(missing_ok=True)
    db = open_database(f"sqlite:///{path}")
    network = network_for(scenario)
    clock = VirtualClock(dt.datetime.combine(date - dt.timedelta(days=1), dt.time(10, 0), tzinfo=dt.timezone.utc))
    booking = book_the_day(db, scenario, date, network, clock, n_orders=n_orders)
    clock.t = slot_calendar(scenario).cutoff(date) + dt.timedelta(minutes=1)
    bench = Workbench(db, {"SCENARIO": scenario.name, "IMPORT_DIR": str(out / "imports"), "BOOKING_CLOCK": clock})
    plan_id, result, _day = bench.plan_day(date.isoformat(), "demo", time_limit_s, on_solution)
    published = bench.publish(date.isoformat(), "demo", plan_id=plan_id)
    return booking, plan_id, result, published, bench


def drive_the_day(bench, scenario: Scenario, date: dt.date, *, seed: int = 1):
    """Drive the published day without drivers (:func:`scenarios.execution.simulate.drive`) and
    score it as driven; returns ``(DriveReport, ActualScorecard)``."""
    from scenarios.execution.scorecard import actual_for_day
    from scenarios.execution.simulate import drive

    report = drive(bench.db, scenario.name, date.isoformat(), seed=seed)
    return report, actual_for_day(bench.db, scenario, date.isoformat())
