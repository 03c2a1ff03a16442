"""Routability that holds across server processes: the database decides, each process's routes follow.

Every server process keeps a date's tentative routes in memory (:mod:`scheduling.tentative`);
a second process would check a new stop against routes that lack the first one's bookings and
could accept a stop that fits only once. So a booking's transaction locks the date's row in
``route_locks`` (one booking transaction per date at a time, in every process; a new booking's
group commit takes it first, a move last), then brings
this process's routes of the date to the live bookings as committed (:func:`sync_day`: stops of
bookings made or moved elsewhere are added, those cancelled, moved away or expired elsewhere are
removed), and only then checks the insertion. The check and the insert commit together, so no
two processes can both take the last feasible place.

The sync reads one indexed row per live booking (id and ``updated_at``) and loads only what
changed, so a process that made the last change pays one small query.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable, Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduling import capacity_store as cs
from scheduling.storage.models import Booking, RouteLock
from scheduling.tentative import DayRoutes, StopRequest

LIVE = ("held", "confirmed")


def lock_date(s: Session, date: str) -> int:
    """Take ``date``'s routability lock for the rest of ``s``'s transaction (a row lock on
    PostgreSQL; on SQLite the first write takes the database's write lock); the date's new
    version (one more than the last transaction that held it)."""
    insert = cs.insert_for(s)
    stmt = insert(RouteLock).values(date=date, version=1)
    stmt = stmt.on_conflict_do_update(index_elements=["date"], set_={"version": RouteLock.version + 1})
    return int(s.execute(stmt.returning(RouteLock.version)).scalar_one())


# How stale this process's view of other processes' cancellations may get (seconds): additions
# all pass the lock and are seen at once; a stop cancelled elsewhere only blocks room until then.
FULL_SYNC_EVERY_S = 5.0


def needs_sync(day: DayRoutes, version: int, clock: float) -> bool:
    """Whether ``day`` must be brought to the store: another transaction held the lock since this
    process's last one (``version`` is the one just taken), or the last full sync is old."""
    return day.synced_version != version - 1 or clock - day.synced_at > FULL_SYNC_EVERY_S


def sync_day(s: Session, day: DayRoutes, date: str, now: dt.datetime, stop_of: Callable[[Booking], StopRequest | None],
             in_flight: Collection[str] = ()) -> int:
    """Make ``day`` hold exactly the date's live bookings as stored; how many stops changed.

    ``now`` is naive UTC (holds past it are not live); ``in_flight`` are this process's
    bookings not committed yet (kept as they are).
    """
    live = {i: stamp for i, status, stamp, expires in s.execute(
        select(Booking.id, Booking.status, Booking.updated_at, Booking.hold_expires_at)
        .where(Booking.date == date, Booking.status.in_(LIVE))
    ).all() if not (status == "held" and expires is not None and expires <= now)}
    with day.lock:
        have = set(day.stop_of_booking)
        gone = [i for i in have if i not in live and i not in in_flight and "~" not in i]
        changed = [i for i in have & set(live) if i in day.stamps and day.stamps[i] != live[i]]
        for i in have & set(live):
            day.stamps.setdefault(i, live[i])
        # This process's bookings in flight are left to their own transaction (the row of the one
        # that called, already written, is visible here but not committed).
        new = [i for i in live if i not in have and i not in in_flight]
        for i in gone:
            day.remove(i)
            day.stamps.pop(i, None)
        fetch = new + changed
        if fetch:
            rows = s.scalars(select(Booking).where(Booking.id.in_(fetch)).order_by(Booking.created_at, Booking.id)).all()
            for b in rows:
                stop = stop_of(b)
                if stop is None:
                    continue
                day.add(b.id, stop, force=True)
                day.stamps[b.id] = live[b.id]
        return len(gone) + len(fetch)
