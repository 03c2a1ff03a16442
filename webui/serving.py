"""What runs beside the WSGI server in ``lastmile serve``: the hold sweeper, the outbox sender
(shops' webhooks), the solver cluster and the daily retention run. Each ``start_*`` returns a
function that stops it."""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from flask import Flask

log = logging.getLogger("lastmile")

Stopper = Callable[[], None]


def start_hold_sweeper(app: Flask, every_s: float = 30.0, prune_every_s: float | None = None) -> Stopper:
    """Expire overdue holds every ``every_s`` seconds (lazy expiry covers the time between),
    and every ``prune_every_s`` seconds (default once an hour, the first time at start) forget
    the ``Idempotency-Key`` answers older than their 24-hour window (:mod:`scheduling.idempotency`)."""
    from scheduling.bookings import sweep_expired_holds
    from scheduling.idempotency import PRUNE_EVERY, prune_idempotency_keys
    from webui.api.context import booking_app

    booking = booking_app(app)
    stop = threading.Event()
    prune_every = PRUNE_EVERY.total_seconds() if prune_every_s is None else prune_every_s

    def prune() -> None:
        try:
            pruned = prune_idempotency_keys(booking.service.db, booking.setup.now())
            if pruned:
                log.info("forgot %d idempotency key answer(s) older than 24 hours", pruned)
        except Exception:  # tried again at the next prune time; the table only grows meanwhile
            log.exception("idempotency key pruning failed")

    def sweep() -> None:
        next_prune = time.monotonic()
        while True:
            if time.monotonic() >= next_prune:
                prune()
                next_prune = time.monotonic() + prune_every
            if stop.wait(every_s):
                return
            try:
                for date, booking_id in sweep_expired_holds(booking.service.db, booking.setup.now()):
                    booking.plans.day(date).remove(booking_id)
            except Exception:  # the sweep retries in every_s; lazy expiry covers the gap
                log.exception("hold sweep failed")

    threading.Thread(target=sweep, name="hold-sweeper", daemon=True).start()
    return stop.set


def start_outbox_sender(app: Flask) -> Stopper:
    """Deliver the outbox's events to the shops' webhooks in the background."""
    from scheduling.webhooks import OutboxSender
    from webui.app import get_db

    sender = OutboxSender(get_db(app))
    sender.start()
    return sender.stop


def start_solver_cluster(app: Flask, scheduler: str | None = None) -> Stopper:
    """Connect the app's solves to Dask: a local cluster, or ``scheduler`` (tcp://HOST:PORT).

    The local cluster has ``SOLVER_PROCESSES`` worker processes of ``SOLVER_THREADS`` threads
    (see :class:`webui.jobs.SolverCluster` for the default layout and why). Workers of an
    external scheduler must not be daemonic (``DASK_DISTRIBUTED__WORKER__DAEMON=False dask
    worker tcp://HOST:PORT``), must import this project, and must reach the same database and
    import folder. With ``SOLVER_CLUSTER = "inline"`` nothing starts: solves run on threads here.
    """
    from webui.cli import BadInput
    from webui.jobs import NoSolverCluster

    cluster = app.extensions["lastmile.jobs"].cluster
    try:
        cluster.start(scheduler)
    except NoSolverCluster as exc:
        raise BadInput(str(exc)) from None
    if cluster.client is not None:
        workers = len(cluster.client.scheduler_info().get("workers", {}))
        log.info("solver cluster: %s, %d worker(s)", scheduler or "local", workers)
        app.extensions["lastmile.jobs"].warm_up()
    return cluster.close


RETENTION_EVERY_S = 24 * 3600.0


def start_retention(app: Flask, every_s: float = RETENTION_EVERY_S, first_after_s: float = 300.0) -> Stopper:
    """Run the retention (:mod:`scenarios.privacy.retention`) on the solver cluster
    ``first_after_s`` seconds after start and then every ``every_s`` seconds; the thread here
    only sends the task and logs its summary (the work takes seconds per day anonymized)."""
    from scenarios.privacy.retention import retention_task
    from webui.app import get_db

    stop = threading.Event()
    config = {k: v for k, v in app.config.items() if k.startswith("BOOKING_") and k != "BOOKING_CLOCK"}
    url = get_db(app).url
    scenario = app.config.get("SCENARIO") or "gothenburg"

    def run() -> None:
        wait = first_after_s
        while not stop.wait(wait):
            wait = every_s
            try:
                future = app.extensions["lastmile.jobs"].cluster.submit(retention_task, url, scenario, config)
                log.info("retention: %s", future.result())
            except Exception:  # tried again in every_s; `lastmile retention run` does it by hand
                log.exception("retention run failed")

    threading.Thread(target=run, name="retention", daemon=True).start()
    return stop.set


def start_background(app: Flask, *, scheduler: str | None = None, retention: bool = True) -> Stopper:
    """Start everything above; the returned function stops all of it (in reverse order).
    ``retention``: this process runs the daily retention (one process of ``serve --workers N`` does)."""
    stoppers = [start_solver_cluster(app, scheduler), start_hold_sweeper(app), start_outbox_sender(app)]
    if retention:
        stoppers.append(start_retention(app))

    def stop_all() -> None:
        for stop in reversed(stoppers):
            try:
                stop()
            except Exception:  # stopping one must not keep the others running
                log.exception("stopping a background task failed")

    return stop_all
