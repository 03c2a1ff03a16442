"""Sign-in throttling per account and per client address, kept in the database so that every
server process sees the same counts.

* **Per account**: :data:`USER_LIMIT` wrong passwords within :data:`USER_WINDOW` lock the
  account for :data:`USER_LOCK` (``users.locked_until``); during the lock even the right password
  is refused with the same message. A successful sign-in resets the count
  (``users.failed_signins``); a new password (:func:`webui.accounts.set_password`) lifts the lock.
  An unknown name is locked the same way (from its ``signin_failures`` rows), so a lock does not
  tell whether a name exists.
* **Per address**: :data:`ADDRESS_LIMIT` failures within :data:`ADDRESS_WINDOW` from one client
  address refuse every sign-in from it until the oldest of them is older than the window.

Every failure is a ``signin_failures`` row (naive UTC); rows older than :data:`KEEP` are pruned
whenever a failure is recorded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update

from scheduling.storage import Database
from scheduling.storage.models import SigninFailure, User

USER_LIMIT = 20
USER_WINDOW = dt.timedelta(minutes=1)
USER_LOCK = dt.timedelta(minutes=15)
ADDRESS_LIMIT = 50
ADDRESS_WINDOW = dt.timedelta(minutes=10)
KEEP = max(ADDRESS_WINDOW, USER_WINDOW + USER_LOCK)


def utcnow() -> dt.datetime:
    """Now in naive UTC, as the throttle's columns store it."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class Refusal:
    """A sign-in refused before its password is looked at; ``until`` in naive UTC."""

    scope: str  # "account" or "address"
    until: dt.datetime

    def message(self) -> str:
        # Rounded up to the minute: "after 14:08" must not be a minute that is still locked.
        up = self.until if (self.until.second, self.until.microsecond) == (0, 0) else (
            self.until.replace(second=0, microsecond=0) + dt.timedelta(minutes=1))
        at = up.strftime("%H:%M")
        if self.scope == "account":
            return (f"Too many failed sign-ins for this account; try again after {at} UTC "
                    "or ask an admin to reset the password.")
        return f"Too many failed sign-ins from your network address; try again after {at} UTC."


def _name(username: str) -> str:
    return username.strip()[:80]


def _address(address: str | None) -> str:
    return (address or "unknown")[:64]


def _address_refusal(s, address: str, now: dt.datetime) -> Refusal | None:
    times = list(s.scalars(
        select(SigninFailure.at).where(SigninFailure.address == address, SigninFailure.at > now - ADDRESS_WINDOW)
        .order_by(SigninFailure.at)))
    if len(times) < ADDRESS_LIMIT:
        return None
    # Sign-ins open again once only ADDRESS_LIMIT - 1 failures are left in the window.
    return Refusal("address", times[len(times) - ADDRESS_LIMIT] + ADDRESS_WINDOW)


def _name_lock(s, username: str, now: dt.datetime) -> dt.datetime | None:
    """When the lock of a name without an account ends: the last time USER_LIMIT of its failures
    fell within USER_WINDOW, plus USER_LOCK."""
    times = list(s.scalars(
        select(SigninFailure.at).where(SigninFailure.username == username, SigninFailure.at > now - KEEP)
        .order_by(SigninFailure.at)))
    end = None
    for i in range(USER_LIMIT - 1, len(times)):
        if times[i] - times[i - USER_LIMIT + 1] <= USER_WINDOW:
            end = times[i] + USER_LOCK
    return end if end is not None and end > now else None


def refusal(db: Database, username: str, address: str | None, now: dt.datetime | None = None) -> Refusal | None:
    """Whether a sign-in as ``username`` from ``address`` is refused now, whatever its password."""
    now = now or utcnow()
    name, address = _name(username), _address(address)
    with db.session() as s:
        by_address = _address_refusal(s, address, now)
        if by_address is not None:
            return by_address
        user = s.scalar(select(User).where(User.username == name))
        if user is not None:
            return Refusal("account", user.locked_until) if user.locked_until and user.locked_until > now else None
        end = _name_lock(s, name, now)
        return None if end is None else Refusal("account", end)


def record_failure(db: Database, username: str, address: str | None, now: dt.datetime | None = None) -> Refusal | None:
    """Count a wrong password (or an unknown name); the refusal if this failure locked the account."""
    now = now or utcnow()
    name, address = _name(username), _address(address)
    with db.session() as s:
        # Counted in the database first: this takes the account's row lock (the write lock on
        # SQLite), so failures from processes at once each count and see each other's rows.
        failed = s.scalar(update(User).where(User.username == name)
                          .values(failed_signins=User.failed_signins + 1).returning(User.failed_signins))
        s.add(SigninFailure(address=address, username=name, at=now))
        s.execute(delete(SigninFailure).where(SigninFailure.at < now - KEEP))
        s.flush()
        recent = s.scalar(select(func.count()).select_from(SigninFailure).where(
            SigninFailure.username == name, SigninFailure.at > now - USER_WINDOW)) or 0
        if failed is None:  # no such account: its lock is read from the rows (_name_lock)
            return Refusal("account", now + USER_LOCK) if recent >= USER_LIMIT else None
        # Failures in the window since the last successful sign-in.
        if min(recent, failed) >= USER_LIMIT:
            until = now + USER_LOCK
            s.execute(update(User).where(User.username == name).values(locked_until=until))
            return Refusal("account", until)
        return None


def record_success(db: Database, user_id: int) -> None:
    """A right password outside any lock: the account's count starts again."""
    with db.session() as s:
        user = s.get(User, user_id)
        if user is not None:
            user.failed_signins = 0
            user.locked_until = None
