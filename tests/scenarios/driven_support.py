"""A booked, planned, published day, and a driving of it written straight into ``delivery_events``
and ``feedback`` (no execution code involved), for the actual-scorecard tests.

Booking and planning the day takes seconds, so :func:`booked_day_copy` and :func:`driven_day_copy`
build it once per session (the ``store_copies`` fixture of ``tests/conftest.py``) and give each
caller a copy of its own.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import uuid
from pathlib import Path

from sqlalchemy import select

from scheduling.storage.models import Booking, DeliveryEventRow, Feedback

DAY = dt.date(2026, 11, 24)
REASONS = ("not_home", "refused", "no_access")


def demo_day(out: Path, n_orders: int = 40):
    """``(db, scenario, stored plan)`` of a demo day booked, planned (3 s) and published."""
    from scenarios.dispatch.demo import run_demo
    from scenarios.scenario import load_scenario

    scenario = load_scenario("gothenburg")
    _booking, plan_id, _result, _published, bench = run_demo(scenario, DAY, out, time_limit_s=3, n_orders=n_orders)
    return bench.db, scenario, bench.get_plan(plan_id)


def booked_day(url: str, out: Path, n_orders: int = 40):
    """:func:`demo_day` in the store at ``url`` (SQLite or PostgreSQL): the demo's steps, its clock."""
    from scenarios.booking_rules import slot_calendar
    from scenarios.dispatch.demo import VirtualClock, book_the_day
    from scenarios.dispatch.workbench import Workbench
    from scenarios.planning import network_for
    from scenarios.scenario import load_scenario
    from scheduling.storage import open_database

    scenario = load_scenario("gothenburg")
    db = open_database(url)
    clock = VirtualClock(dt.datetime.combine(DAY - dt.timedelta(days=1), dt.time(10, 0), tzinfo=dt.timezone.utc))
    book_the_day(db, scenario, DAY, network_for(scenario), clock, n_orders=n_orders)
    clock.t = slot_calendar(scenario).cutoff(DAY) + dt.timedelta(minutes=1)
    bench = Workbench(db, {"SCENARIO": scenario.name, "IMPORT_DIR": str(out / "imports"), "BOOKING_CLOCK": clock})
    plan_id, _result, _day = bench.plan_day(DAY.isoformat(), "test", 3)
    bench.publish(DAY.isoformat(), "test", plan_id=plan_id)
    return db, scenario, bench.get_plan(plan_id)


def _open_copy(url: str, out: Path, plan_id: int):
    from scenarios.dispatch.workbench import Workbench
    from scenarios.scenario import load_scenario
    from scheduling.storage import open_database

    scenario = load_scenario("gothenburg")
    db = open_database(url)
    return db, scenario, Workbench(db, {"SCENARIO": scenario.name, "IMPORT_DIR": str(out / "imports")}).get_plan(plan_id)


def _build_booked_day(n_orders: int):
    def build(url: str, folder: Path) -> int:
        db, _scenario, plan = booked_day(url, folder, n_orders)
        db.engine.dispose()
        return plan.id
    return build


def booked_day_copy(store_copies, dialect: str, out: Path, n_orders: int = 40):
    """:func:`booked_day` (``dialect`` ``sqlite`` or ``postgresql``), built once per session: a copy of
    it (on SQLite the file ``out/lastmile.db``); ``(db, scenario, stored plan)``."""
    url, plan_id = store_copies.copy(dialect, ("booked_day", n_orders), _build_booked_day(n_orders), out / "lastmile.db")
    return _open_copy(url, out, plan_id)


def driven_day_copy(store_copies, out: Path, n_orders: int = 40):
    """The SQLite :func:`booked_day` driven by :func:`drive`, built once per session: a copy of it
    in the file ``out/lastmile.db``; ``(db, scenario, stored plan, what drive returned)``."""
    def build(url: str, folder: Path):
        db, scenario, plan = booked_day_copy(store_copies, "sqlite", folder, n_orders)
        info = drive(db, plan, scenario.name)
        db.engine.dispose()
        return plan.id, info

    url, (plan_id, info) = store_copies.copy("sqlite", ("driven_day", n_orders), build, out / "lastmile.db")
    return (*_open_copy(url, out, plan_id), copy.deepcopy(info))


def demo_copy(store_copies, date: dt.date, out: Path, *, time_limit_s: float, n_orders: int):
    """:func:`scenarios.dispatch.demo.run_demo` of ``date`` built once per session: a copy of its
    store at ``out/lastmile.db`` and a workbench on the demo's clock (a minute past the cut-off)."""
    from scenarios.booking_rules import slot_calendar
    from scenarios.dispatch.demo import VirtualClock, run_demo
    from scenarios.dispatch.workbench import Workbench
    from scenarios.scenario import load_scenario
    from scheduling.storage import open_database

    scenario = load_scenario("gothenburg")

    def build(_url: str, folder: Path) -> None:  # run_demo writes folder/lastmile.db afresh
        run_demo(scenario, date, folder, time_limit_s=time_limit_s, n_orders=n_orders)[4].db.engine.dispose()

    url, _ = store_copies.copy("sqlite", ("run_demo", date, n_orders, time_limit_s), build, out / "lastmile.db")
    clock = VirtualClock(slot_calendar(scenario).cutoff(date) + dt.timedelta(minutes=1))
    return Workbench(open_database(url), {"SCENARIO": scenario.name, "IMPORT_DIR": str(out / "imports"), "BOOKING_CLOCK": clock})


def _event(plan, scenario: str, vehicle_id: str, type_: str, at_s: int, stop: dict | None = None,
           order_id: str | None = None, reason: str | None = None) -> DeliveryEventRow:
    return DeliveryEventRow(id=uuid.uuid4().hex, scenario=scenario, date=plan.date, plan_id=plan.id, vehicle_id=vehicle_id,
                            stop_id=stop["stop_id"] if stop else None, order_id=order_id, booking_id=order_id,
                            type=type_, reason=reason, at_s=int(at_s), source="simulation", reported_by="test",
                            received_at=dt.datetime(2026, 11, 24, 12, 0))


def drive(db, plan, scenario: str, *, via_core: bool = False) -> dict:
    """Drive the published plan: van k leaves ``60 k`` s late and loses 2 minutes more per stop
    (so later stops run late); every fifth stop fails (reasons in turn); the last van breaks
    down after half its stops (the rest never reached); every third delivery is rated.

    ``via_core`` records the events through :func:`scenarios.execution.events.record_event`
    (checked against the plan, outcomes on the bookings) instead of writing the rows.
    Returns ``{"never_reached": [stop ids], "full_routes": [vehicle ids visiting every stop]}``.
    """
    rows, never, full = [], [], []
    routes = [r for r in plan.plan["routes"] if r["stops"]]
    n_fail = 0
    for k, route in enumerate(routes):
        vid = route["vehicle_id"]
        stops = route["stops"]
        last_van = k == len(routes) - 1 and len(routes) > 1
        reached = stops[: max(1, len(stops) // 2)] if last_van else stops
        never += [s["stop_id"] for s in stops[len(reached):]]
        if not last_van:
            full.append(vid)
        rows.append(_event(plan, scenario, vid, "departed", route["start_s"] + 60 * k))
        for i, stop in enumerate(reached):
            at = stop["start_s"] + 60 * k + 120 * i
            rows.append(_event(plan, scenario, vid, "arrived", at - 30, stop))
            if (i + 1) % 5 == 0:
                reason = REASONS[n_fail % len(REASONS)]
                n_fail += 1
                rows.append(_event(plan, scenario, vid, "failed", at, stop, order_id=stop["order_ids"][0], reason=reason))
                for oid in stop["order_ids"][1:]:
                    rows.append(_event(plan, scenario, vid, "delivered", at + 10, stop, order_id=oid))
            elif len(stop["order_ids"]) > 1:
                rows.append(_event(plan, scenario, vid, "delivered", at, stop))  # every order of a shared stop
            else:
                rows.append(_event(plan, scenario, vid, "delivered", at, stop, order_id=stop["order_ids"][0]))
    if via_core:
        from scenarios.execution.events import DeliveryEvent, record_event

        for r in rows:
            record_event(db, scenario, DeliveryEvent(r.id, r.date, r.vehicle_id, r.type, r.at_s, r.stop_id, r.order_id,
                                                     r.reason, source="simulation"), now=r.received_at)
    with db.session() as s:
        if not via_core:
            s.add_all(rows)
        s.flush()
        bookings = {b.id: b for b in s.scalars(select(Booking).where(Booking.date == plan.date)).all()}
        delivered = [r for r in rows if r.type == "delivered" and r.order_id in bookings]
        for j, r in enumerate(delivered[::3]):
            cats = ["late"] if j % 2 else (["damaged", "courier_conduct"] if j % 3 == 0 else [])
            s.add(Feedback(booking_id=r.order_id, shop_id=bookings[r.order_id].shop_id, date=plan.date,
                           rating=1 + j % 5, categories_json=json.dumps(cats), plan_id=plan.id,
                           vehicle_id=r.vehicle_id, stop_id=r.stop_id, created_at=dt.datetime(2026, 11, 24, 20, 0)))
    return {"never_reached": never, "full_routes": full}
