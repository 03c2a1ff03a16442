"""A day booked by three shops through the booking service the day before, planned and published,
in any store (SQLite or PostgreSQL): the starting point of the dispatch and execution tests.

Booking (and planning) the day takes seconds, so :func:`booked_copy` and :func:`published_copy`
do it once per session for each set of arguments (the ``store_copies`` fixture of
``tests/conftest.py``) and give every test a copy of the store of its own to change.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from scenarios.booking_rules import slot_calendar
from scenarios.dispatch.demo import VirtualClock, book_the_day
from scenarios.dispatch.workbench import Workbench
from scenarios.planning import network_for
from scheduling.storage import open_database


def booked(database_url: str, scenario, date: dt.date, tmp_path: Path, n_orders: int) -> tuple[Workbench, VirtualClock]:
    """``n_orders`` booked at 10:00 UTC the day before ``date``; a workbench on the same clock."""
    db = open_database(database_url)
    clock = VirtualClock(dt.datetime.combine(date - dt.timedelta(days=1), dt.time(10, 0), tzinfo=dt.timezone.utc))
    result = book_the_day(db, scenario, date, network_for(scenario), clock, n_orders=n_orders)
    assert result.booked >= n_orders * 5 // 6, f"only {result.booked} of {n_orders} orders were booked"
    bench = Workbench(db, {"SCENARIO": scenario.name, "IMPORT_DIR": str(tmp_path / "imports"), "BOOKING_CLOCK": clock})
    return bench, clock


def after_cutoff(clock: VirtualClock, scenario, date: dt.date) -> None:
    """Move the clock five minutes past ``date``'s booking cut-off."""
    clock.t = slot_calendar(scenario).cutoff(date) + dt.timedelta(minutes=5)


def published(database_url: str, scenario, date: dt.date, tmp_path: Path, n_orders: int, *,
              time_limit_s: float = 2.0, force: bool = False) -> tuple[Workbench, int]:
    """:func:`booked`, then past the cut-off planned and published; ``(workbench, plan id)``."""
    bench, clock = booked(database_url, scenario, date, tmp_path, n_orders)
    after_cutoff(clock, scenario, date)
    plan_id = bench.plan(date.isoformat(), "anna", time_limit_s)
    bench.publish(date.isoformat(), "anna", plan_id=plan_id, force=force)
    return bench, plan_id


def _bench_on(url: str, scenario, date: dt.date, tmp_path: Path) -> tuple[Workbench, VirtualClock]:
    """A workbench on the store at ``url`` and a clock at 10:00 UTC the day before ``date``, as :func:`booked` leaves them."""
    clock = VirtualClock(dt.datetime.combine(date - dt.timedelta(days=1), dt.time(10, 0), tzinfo=dt.timezone.utc))
    bench = Workbench(open_database(url), {"SCENARIO": scenario.name, "IMPORT_DIR": str(tmp_path / "imports"),
                                           "BOOKING_CLOCK": clock})
    return bench, clock


def booked_copy(store_copies, dialect: str, scenario, date: dt.date, tmp_path: Path, n_orders: int) -> tuple[Workbench, VirtualClock]:
    """:func:`booked` (``dialect`` ``sqlite`` or ``postgresql``), built once per session for these
    arguments: a copy of its own for each call (on SQLite the file ``tmp_path/lastmile.db``)."""

    def build(url: str, folder: Path) -> None:
        booked(url, scenario, date, folder, n_orders)[0].db.engine.dispose()

    url, _ = store_copies.copy(dialect, ("booked", scenario.name, date, n_orders), build, tmp_path / "lastmile.db")
    return _bench_on(url, scenario, date, tmp_path)


def published_copy(store_copies, dialect: str, scenario, date: dt.date, tmp_path: Path, n_orders: int, *,
                   time_limit_s: float = 2.0, force: bool = False) -> tuple[Workbench, int]:
    """:func:`published` (``dialect`` ``sqlite`` or ``postgresql``), built once per session for these
    arguments (the ``store_copies`` fixture of ``tests/conftest.py``): a copy of its own for each
    call (on SQLite the file ``tmp_path/lastmile.db``) and a workbench on a clock five minutes past
    the cut-off, as :func:`published` leaves it; ``(workbench, plan id)``."""

    def build(url: str, folder: Path) -> int:
        bench, plan_id = published(url, scenario, date, folder, n_orders, time_limit_s=time_limit_s, force=force)
        bench.db.engine.dispose()
        return plan_id

    key = ("published", scenario.name, date, n_orders, time_limit_s, force)
    url, plan_id = store_copies.copy(dialect, key, build, tmp_path / "lastmile.db")
    bench, clock = _bench_on(url, scenario, date, tmp_path)
    after_cutoff(clock, scenario, date)
    return bench, plan_id
