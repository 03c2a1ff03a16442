"""Wire a scenario into the booking machinery: network, zones, calendar, pickup points, tiers.

This is the one place where the booking API meets ``scenarios``; everything below it takes
plain data. Built once per app, on first use (loading the network takes a couple of seconds).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from scheduling.booking_setup import BookingSetup
from scheduling.bookings import BookingService
from scheduling.offers import OfferBuilder
from scheduling.storage import Database
from scheduling.tentative import TentativePlans


@dataclass
class BookingApp:
    setup: BookingSetup
    plans: TentativePlans
    service: BookingService
    offers: OfferBuilder
    executor: ThreadPoolExecutor | None
    scenario: Any = None  # the scenario the API books in (erasure anonymizes its saved plans)


def build_booking_app(db: Database, config: Mapping[str, Any], solver: Callable | None = None) -> BookingApp:
    """Everything the API needs, from the scenario named in ``config["SCENARIO"]``.

    The booking rules come from :func:`scenarios.booking_rules.booking_setup` (its docstring
    lists the ``BOOKING_*`` config keys); ``BOOKING_RESOLVE`` (default on) turns the background
    re-solves of the tentative routes on or off. ``solver(problem, time_limit_s)`` runs each
    re-solve (default: in this process; :func:`booking_app` sends them to the solver cluster).
    """
    from scenarios.booking_rules import booking_machinery, booking_setup
    from scenarios.planning import network_for
    from scenarios.scenario import load_scenario

    scenario = load_scenario(config.get("SCENARIO") or "gothenburg")
    setup = booking_setup(scenario, network_for(scenario), config)
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="resolve") if config.get("BOOKING_RESOLVE", True) else None
    plans, service, offers = booking_machinery(db, scenario, setup, executor=executor, solver=solver)
    return BookingApp(setup, plans, service, offers, executor, scenario)


_LOCK = threading.Lock()


def booking_app(app) -> BookingApp:
    """The app's booking machinery, built on first use."""
    found = app.extensions.get("lastmile.booking")
    if found is None:
        with _LOCK:
            found = app.extensions.get("lastmile.booking")
            if found is None:
                from webui.jobs import cluster_solver

                jobs = app.extensions.get("lastmile.jobs")
                solver = cluster_solver(lambda: getattr(jobs, "cluster", None), int(app.config.get("SOLVER_NICE", 10)))
                found = build_booking_app(app.extensions["lastmile.db"], app.config, solver)
                app.extensions["lastmile.booking"] = found
    return found
