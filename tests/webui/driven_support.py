"""A published day for the driver and timeline tests: booked through the booking service,
planned and published for *today* in the scenario's time zone (driver tokens end at 03:00 the
next morning, so a past day would have no valid token).

Booking and planning the day takes seconds: :func:`published_today_app` does it once per session
(the ``store_copies`` fixture of ``tests/conftest.py``) and gives each module an app on a copy."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager


def today_local(app) -> str:
    """Today's date (YYYY-MM-DD) where the scenario's plan times are local."""
    from scenarios.execution.tokens import scenario_tz

    return dt.datetime.now(scenario_tz(app.config.get("SCENARIO", "gothenburg"))).date().isoformat()


def publish_today(app, n_orders: int = 20, time_limit_s: float = 2.0) -> tuple[str, int]:
    """Book ``n_orders`` for today, plan them and publish the plan; returns ``(date, plan id)``."""
    from scenarios.dispatch.demo import VirtualClock, book_the_day
    from scenarios.planning import network_for

    wb = app.extensions["lastmile.workbench"]
    date = today_local(app)
    day = dt.date.fromisoformat(date)
    clock = VirtualClock(dt.datetime.combine(day - dt.timedelta(days=1), dt.time(10, 0), tzinfo=dt.timezone.utc))
    booked = book_the_day(wb.db, wb.scenario, day, network_for(wb.scenario), clock, n_orders=n_orders)
    assert booked.booked >= n_orders // 2, f"only {booked.booked} of {n_orders} orders were booked"
    plan_id, _result, _day = wb.plan_day(date, "dispatch", time_limit_s)
    wb.publish(date, "dispatch", plan_id=plan_id, force=True)
    return date, plan_id


@contextmanager
def published_today_app(tmp_path_factory, store_copies, name: str, n_orders: int = 20, time_limit_s: float = 2.0):
    """:func:`tests.webui.pages_support.page_app` (folder ``name``, the test users) on a copy of a
    store where :func:`publish_today` was done (once per session); ``app.published`` is its
    ``(date, plan id)``. The solver jobs are shut down afterwards."""
    from scenarios.execution.tokens import scenario_tz
    from tests.webui.pages_support import add_users, small_day_config
    from webui.app import create_app, get_db

    def build(url: str, folder) -> tuple[str, int]:
        app = create_app(small_day_config(folder))  # its store is folder/lastmile.db, at url
        assert app.config["DATABASE_URL"] == url
        try:
            return publish_today(app, n_orders, time_limit_s)
        finally:
            app.extensions["lastmile.jobs"].shutdown()
            get_db(app).engine.dispose()

    today = dt.datetime.now(scenario_tz("gothenburg")).date().isoformat()
    folder = tmp_path_factory.mktemp(name)
    _url, published = store_copies.copy("sqlite", ("published_today", today, n_orders, time_limit_s), build,
                                        folder / "lastmile.db")
    app = create_app(small_day_config(folder))
    add_users(app)
    app.published = published
    try:
        yield app
    finally:
        app.extensions["lastmile.jobs"].shutdown()


def first_route(app, date: str) -> tuple[str, list]:
    """``(vehicle id, stops)`` of the published plan's van with the most stops."""
    from scenarios.execution.day import driven_day

    wb = app.extensions["lastmile.workbench"]
    day = driven_day(wb.db, wb.scenario_name, date)
    assert day is not None, f"nothing is published for {date}"
    van = max(day.vehicles.values(), key=lambda v: len(v.stops))
    return van.vehicle_id, van.stops


def stored_events(app, date: str) -> list:
    from scenarios.execution.day import driven_day

    wb = app.extensions["lastmile.workbench"]
    return driven_day(wb.db, wb.scenario_name, date).events
