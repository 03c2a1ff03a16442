"""Driver sign-in: a token for one vehicle on one plan date, issued by a dispatcher.

The plain token (``secrets.token_urlsafe(24)``) is shown once; only its SHA-256 is stored. It
is valid until 03:00 local time the day after its date (late returns), and until revoked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import select

from scheduling.storage import Database
from scheduling.storage.models import DriverToken

GRACE_AFTER_MIDNIGHT = dt.timedelta(hours=3)
TOKEN_MAX = 200


class TokenError(ValueError):
    """A token that cannot be issued: ``field`` names the input to fix."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@lru_cache(maxsize=16)
def scenario_tz(scenario_name: str) -> ZoneInfo:
    """The time zone of the scenario's slot calendar (where its plan times are local)."""
    from scenarios.booking_rules import slot_calendar
    from scenarios.scenario import load_scenario

    return slot_calendar(load_scenario(scenario_name)).tz


def expires_at(date: str, tz: ZoneInfo) -> dt.datetime:
    """When a token of ``date`` stops working: 03:00 local time the next day (aware)."""
    day = dt.date.fromisoformat(date) + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz) + GRACE_AFTER_MIDNIGHT


def _naive_utc(t: dt.datetime) -> dt.datetime:
    return t.astimezone(dt.timezone.utc).replace(tzinfo=None) if t.tzinfo else t


def _check_date(date: str) -> None:
    try:
        dt.date.fromisoformat(date)
    except (TypeError, ValueError):
        raise TokenError("date", f"date '{date}' is not a date; write it as YYYY-MM-DD") from None


def issue_token(db: Database, scenario_name: str, date: str, vehicle_id: str, *, issued_by: str, driver_name: str = "",
                now: dt.datetime | None = None) -> str:
    """A new token for ``vehicle_id`` on ``date``; returns the plain token (shown once).

    Raises :class:`TokenError` naming ``date``, ``vehicle_id`` or ``driver_name`` when one is
    malformed (the vehicle must be a van of the date's published plan: see
    :func:`check_vehicle`, which the CLI and pages call first).
    """
    _check_date(date)
    if not vehicle_id or len(vehicle_id) > 40:
        raise TokenError("vehicle_id", "vehicle_id must be 1 to 40 characters, as in the plan")
    if len(driver_name) > 80:
        raise TokenError("driver_name", f"driver_name is {len(driver_name)} characters; write at most 80")
    token = secrets.token_urlsafe(24)
    at = _naive_utc(now or dt.datetime.now(dt.timezone.utc))
    with db.session() as s:
        s.add(DriverToken(token_hash=hash_token(token), scenario=scenario_name, date=date, vehicle_id=vehicle_id,
                          driver_name=driver_name, issued_by=issued_by, issued_at=at))
    return token


def check_vehicle(db: Database, scenario_name: str, date: str, vehicle_id: str) -> None:
    """Raise :class:`TokenError` unless ``vehicle_id`` has a route in the date's published plan."""
    from scenarios.execution.day import latest_publication_in, load_plan_facts

    _check_date(date)
    with db.session() as s:
        pub = latest_publication_in(s, scenario_name, date)
        if pub is None:
            raise TokenError("date", f"nothing is published for {date}; publish the day's plan before issuing driver tokens")
        routes = load_plan_facts(s, pub.plan_id).routes
    if vehicle_id not in routes:
        have = ", ".join(sorted(routes)) or "none"
        raise TokenError("vehicle_id", f"vehicle {vehicle_id} has no route in the published plan of {date} (vans with routes: {have})")


def revoke_token(db: Database, token: str, now: dt.datetime | None = None) -> bool:
    """Revoke ``token``; ``False`` if it is unknown or already revoked (nothing changes then)."""
    if not token or len(token) > TOKEN_MAX:
        return False
    with db.session() as s:
        row = s.scalars(select(DriverToken).where(DriverToken.token_hash == hash_token(token))).first()
        if row is None or row.revoked_at is not None:
            return False
        row.revoked_at = _naive_utc(now or dt.datetime.now(dt.timezone.utc))
        return True


def token_status(db: Database, token: str | None, now: dt.datetime) -> tuple[DriverToken | None, str]:
    """``(row, "valid")`` or ``(None, why)`` with why one of ``missing``, ``unknown``,
    ``revoked``, ``expired``. ``now`` is an aware time."""
    if not token:
        return None, "missing"
    if len(token) > TOKEN_MAX:
        return None, "unknown"
    with db.session() as s:
        row = s.scalars(select(DriverToken).where(DriverToken.token_hash == hash_token(token))).first()
    if row is None:
        return None, "unknown"
    if row.revoked_at is not None:
        return None, "revoked"
    now = now if now.tzinfo else now.replace(tzinfo=dt.timezone.utc)
    if now >= expires_at(row.date, scenario_tz(row.scenario)):
        return None, "expired"
    return row, "valid"


def token_driver(db: Database, token: str, now: dt.datetime) -> DriverToken | None:
    """The token's row if it is valid at ``now`` (aware), else ``None`` (unknown, revoked, expired)."""
    return token_status(db, token, now)[0]
