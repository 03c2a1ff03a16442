"""The audit log: an append-only record of who viewed, exported or changed what.

A platform holding customers' addresses must be able to say who looked at a day's stops, who
exported or erased a customer, who changed a plan and who created or revoked keys and users.
:func:`record` only ever inserts; nothing in lastmile updates or deletes an entry. Times are
naive UTC like the rest of the store.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduling.storage import Database
from scheduling.storage.models import AuditEntry

ACTIONS: frozenset[str] = frozenset({
    "day.view", "day.export", "plan.change", "plan.publish",
    "customer.export", "customer.erase", "consent.withdraw",
    "retention.run", "backup.create", "backup.restore",
    "key.create", "key.rotate", "key.revoke", "webhook.set", "shop.policy",
    "user.add", "user.remove", "user.password", "user.role",
    "driver.link", "driver.revoke",
})


@dataclass(frozen=True)
class Entry:
    at: dt.datetime
    actor: str
    action: str
    subject: str
    detail: str


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def record(target: Database | Session, actor: str, action: str, subject: str = "", detail: str = "", *, at: dt.datetime | None = None) -> None:
    """Append one entry; in ``target``'s transaction when it is a session (so the entry and the
    change it records commit together), else in a transaction of its own."""
    if action not in ACTIONS:
        raise ValueError(f"audit action '{action}' is unknown; add it to scheduling.audit.ACTIONS")
    row = AuditEntry(at=at or _utcnow(), actor=actor[:120], action=action, subject=subject[:200], detail=detail)
    if isinstance(target, Session):
        target.add(row)
        return
    with target.session() as s:
        s.add(row)


def entries(db: Database, *, since: dt.datetime | None = None, action: str | None = None, limit: int = 1000) -> list[Entry]:
    """Entries at or after ``since`` (naive UTC), newest first."""
    q = select(AuditEntry)
    if since is not None:
        q = q.where(AuditEntry.at >= since)
    if action is not None:
        q = q.where(AuditEntry.action == action)
    with db.session() as s:
        rows = s.scalars(q.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)).all()
        return [Entry(r.at, r.actor, r.action, r.subject, r.detail) for r in rows]
