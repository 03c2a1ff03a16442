"""Reading the audit log in the shells: the ``since`` filter and one line per entry, the same
for the admin page and ``lastmile audit`` (the log itself is :mod:`scheduling.audit`)."""

from __future__ import annotations

import datetime as dt

from scheduling.audit import Entry


def parse_since(text: str, field: str = "since") -> dt.datetime | None:
    """``YYYY-MM-DD`` (midnight UTC) or an ISO date-time (naive means UTC) as naive UTC, the way
    the log stores times; empty is ``None``. Raises ``ValueError`` naming ``field`` and the fix."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            return dt.datetime.combine(dt.date.fromisoformat(text), dt.time())
        at = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{field}: '{text}' is not a date or time; write YYYY-MM-DD or an ISO time such as "
                         "2026-11-24T08:00:00Z") from None
    return at.astimezone(dt.timezone.utc).replace(tzinfo=None) if at.tzinfo else at


def entry_line(e: Entry) -> str:
    """``time UTC  actor  action  subject  detail`` of one entry, tab-separated."""
    return "\t".join((f"{e.at:%Y-%m-%d %H:%M:%S}Z", e.actor, e.action, e.subject, e.detail))
