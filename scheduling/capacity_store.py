"""Zone-slot capacity in the database, and the atomic seat operations that never overbook.

Each (zone, date, slot) has one counter row with ``capacity``, ``booked`` and ``held``. Taking a
seat is one conditional update,

    UPDATE slot_counters SET booked = booked + 1
     WHERE zone = :zone AND date = :date AND slot = :slot AND booked + held < capacity

checked by its row count, inside the same transaction as the booking insert. Both SQLite
(one writer at a time) and PostgreSQL (the row lock makes a concurrent updater re-check the
``WHERE`` on the committed row) then keep ``booked + held <= capacity`` whatever the number of
concurrent requests, without serializable isolation or application locks.

Capacities are written by :func:`set_capacity` (operators, and the demand forecast's capacity
plan); a counter that was never written starts at the calendar's default when first used.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from typing import Callable, Iterable, TypeVar

from sqlalchemy import and_, delete, select, update
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from scheduling.storage import Database
from scheduling.storage.models import Blackout, SlotCounter

T = TypeVar("T")

ALL_ZONES = "*"


def _date_text(date: dt.date | str) -> str:
    return date.isoformat() if isinstance(date, dt.date) else str(dt.date.fromisoformat(str(date)))


def insert_for(session: Session):
    """The dialect's INSERT construct (both support ``on_conflict_do_nothing/update``)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def ensure_counter(session: Session, zone: str, date: str, slot: str, capacity: int) -> None:
    """Create the counter row at ``capacity`` unless it exists (never changes an existing one)."""
    insert = insert_for(session)
    stmt = insert(SlotCounter).values(zone=zone, date=date, slot=slot, capacity=capacity, booked=0, held=0, capacity_source="default")
    session.execute(stmt.on_conflict_do_nothing(index_elements=["zone", "date", "slot"]))


def _key(zone: str, date: str, slot: str):
    return and_(SlotCounter.zone == zone, SlotCounter.date == date, SlotCounter.slot == slot)


def take_seat(session: Session, zone: str, date: str, slot: str, *, hold: bool) -> bool:
    """Take one seat (a confirmed booking, or a hold) if one is free; ``False`` if the slot is full."""
    column = SlotCounter.held if hold else SlotCounter.booked
    result = session.execute(
        update(SlotCounter)
        .where(_key(zone, date, slot), SlotCounter.booked + SlotCounter.held < SlotCounter.capacity)
        .values({column: column + 1})
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def release_seats(session: Session, zone: str, date: str, slot: str, *, held: int = 0, booked: int = 0) -> None:
    """Give seats back (cancelled bookings, expired or confirmed holds)."""
    if not held and not booked:
        return
    session.execute(
        update(SlotCounter)
        .where(_key(zone, date, slot))
        .values(held=SlotCounter.held - held, booked=SlotCounter.booked - booked)
        .execution_options(synchronize_session=False)
    )


def convert_hold(session: Session, zone: str, date: str, slot: str) -> None:
    """A hold becomes a booking: the seat stays taken, so no capacity check is needed."""
    session.execute(
        update(SlotCounter)
        .where(_key(zone, date, slot))
        .values(held=SlotCounter.held - 1, booked=SlotCounter.booked + 1)
        .execution_options(synchronize_session=False)
    )


def set_capacity(db: Database, zone: str, date: dt.date | str, slot: str, capacity: int, *, source: str = "override") -> None:
    """Set how many orders ``zone`` takes in ``slot`` on ``date`` (e.g. from the capacity plan).

    Lowering a capacity below what is already booked keeps the bookings and only stops new ones.
    """
    if capacity < 0:
        raise ValueError(f"capacity {capacity} is negative; give the number of orders the zone-slot takes (>= 0)")
    day = _date_text(date)

    def write(s: Session) -> None:
        ensure_counter(s, zone, day, slot, capacity)
        s.execute(
            update(SlotCounter)
            .where(_key(zone, day, slot))
            .values(capacity=capacity, capacity_source=source)
            .execution_options(synchronize_session=False)
        )

    run_transaction(db, write)


def counters(session: Session, zones: Iterable[str], date: str) -> dict[tuple[str, str], SlotCounter]:
    """(zone, slot) -> counter row for ``date``, for the rows that exist."""
    zones = list(zones)
    if not zones:
        return {}
    rows = session.scalars(select(SlotCounter).where(SlotCounter.zone.in_(zones), SlotCounter.date == date))
    return {(r.zone, r.slot): r for r in rows}


def set_blackout(db: Database, zone: str, date: dt.date | str, reason: str = "") -> None:
    """Close ``zone`` (or every zone with ``"*"``) for deliveries on ``date``; existing bookings stay."""
    day = _date_text(date)

    def write(s: Session) -> None:
        insert = insert_for(s)
        s.execute(insert(Blackout).values(zone=zone, date=day, reason=reason).on_conflict_do_nothing(index_elements=["zone", "date"]))

    run_transaction(db, write)


def clear_blackout(db: Database, zone: str, date: dt.date | str) -> None:
    day = _date_text(date)
    run_transaction(db, lambda s: s.execute(delete(Blackout).where(Blackout.zone == zone, Blackout.date == day)))


def blackout_reason(session: Session, zone: str, date: str) -> str | None:
    """The reason text if ``zone`` is closed on ``date`` ('' if closed without a reason), else ``None``."""
    row = session.scalars(
        select(Blackout).where(Blackout.date == date, Blackout.zone.in_([zone, ALL_ZONES])).limit(1)
    ).first()
    return None if row is None else row.reason


# --------------------------------------------------------------------------- transactions

_RETRYABLE_PG = {"40001", "40P01"}  # serialization failure, deadlock detected


def _retryable(exc: DBAPIError) -> bool:
    orig = getattr(exc, "orig", None)
    if getattr(orig, "sqlstate", None) in _RETRYABLE_PG:
        return True
    text = str(orig or exc).lower()
    return "database is locked" in text or "database table is locked" in text or "busy" in text


def run_transaction(db: Database, work: Callable[[Session], T], *, attempts: int = 12) -> T:
    """Run ``work(session)`` in one transaction, committed before returning.

    SQLite answers "database is locked" when its busy timeout runs out under heavy write load,
    and PostgreSQL may abort one side of a deadlock; both leave nothing behind, so the whole
    unit is retried with jittered backoff.
    """
    delay = 0.005
    for attempt in range(attempts):
        try:
            with db.session() as s:
                return work(s)
        except (OperationalError, DBAPIError) as exc:
            if attempt == attempts - 1 or not _retryable(exc):
                raise
            if attempt >= 2:
                logging.getLogger(__name__).warning("transaction retry %d after: %s", attempt + 1, exc.orig or exc)
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 0.5)
    raise AssertionError("unreachable")
