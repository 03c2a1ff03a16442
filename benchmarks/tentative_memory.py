"""Benchmark: memory of one booking-API process over a 21-day booking season.

Every simulated day the clock moves to 10:00 and ``--per-day`` customers (from the scenario's
customer file) book door slots for the next ``--horizon`` days through the booking service, as
a shop's checkout would. After each day it prints the dates whose tentative routes the process
holds, their bytes (the stops' street rows and the matrices) and the process's resident memory.
With eviction (the default) past dates are dropped and the figure stays flat; ``--no-evict``
keeps every date, as before, and grows with every day booked.

    python benchmarks/tentative_memory.py                  # eviction on (the default)
    python benchmarks/tentative_memory.py --no-evict       # the old behaviour, for comparison
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def routes_mb(plans) -> float:
    total = 0
    for date in plans.cached_dates():
        day = plans._days.get(date)
        if day is None:
            continue
        total += sum(a.nbytes for a in day._rows.values()) + day.state.duration.nbytes + day.state.distance.nbytes
    return total / 2**20


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=21)
    ap.add_argument("--per-day", type=int, default=120, help="bookings a day (default 120)")
    ap.add_argument("--horizon", type=int, default=3, help="booked this many days ahead (default 3)")
    ap.add_argument("--start", default="2026-11-02", help="first simulated day (default 2026-11-02)")
    ap.add_argument("--no-evict", action="store_true", help="keep every date's routes (the behaviour before eviction)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)

    from scheduling.bookings import NewBooking
    from scheduling.booking_setup import BookingError
    from scheduling.storage import open_database
    from scenarios.booking_rules import booking_machinery, booking_setup
    from scenarios.dispatch.demo import VirtualClock
    from scenarios.planning import network_for
    from scenarios.scenario import load_scenario
    from webui.api.auth import create_shop

    scenario = load_scenario("gothenburg")
    network = network_for(scenario)
    start = dt.date.fromisoformat(args.start)
    clock = VirtualClock(dt.datetime.combine(start, dt.time(9, 0), tzinfo=dt.timezone.utc))
    folder = Path(tempfile.mkdtemp(prefix="lm-memory-"))
    db = open_database(f"sqlite:///{folder / 'lastmile.db'}")
    shop_id, _ = create_shop(db, "bench shop")
    setup = booking_setup(scenario, network, {"BOOKING_CLOCK": clock})
    plans, service, _offers = booking_machinery(db, scenario, setup)
    if args.no_evict:
        plans.today, plans.idle_evict_s = None, float("inf")
    customers = list(scenario.customers)
    rng = random.Random(args.seed)
    slots = [t.id for t in setup.calendar.door_templates() if t.kind == "home"]
    print(f"{'day':<11} {'booked':>6} {'refused':>7} {'dates held':>10} {'routes MB':>9} {'RSS MB':>7}   (eviction {'off' if args.no_evict else 'on'})")
    first_rss = None
    for d in range(args.days):
        today = start + dt.timedelta(days=d)
        clock.t = dt.datetime.combine(today, dt.time(9, 0), tzinfo=dt.timezone.utc)
        booked = refused = 0
        for _ in range(args.per_day):
            c = rng.choice(customers)
            date = today + dt.timedelta(days=rng.randint(1, args.horizon))
            try:
                service.book(shop_id, NewBooking(c.id, date, rng.choice(slots), c.lat, c.lon))
                booked += 1
            except BookingError:
                refused += 1
        plans.day((today + dt.timedelta(days=1)).isoformat())  # a use after the day's bookings: the sweep runs
        plans.evict() if not args.no_evict else None
        rss = rss_mb()
        first_rss = first_rss or rss
        print(f"{today.isoformat():<11} {booked:>6} {refused:>7} {len(plans.cached_dates()):>10} {routes_mb(plans):>9.1f} {rss:>7.0f}")
    print(f"resident memory grew {rss_mb() - first_rss:+.0f} MB from the first day to the last")
    return 0


if __name__ == "__main__":
    sys.exit(main())
