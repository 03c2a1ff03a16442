"""``lastmile audit``: the audit log, newest first, one line per entry (a thin shell over
:func:`scheduling.audit.entries`).

Each line is ``time UTC, actor, action, subject, detail``, tab-separated. ``--since`` takes a
date (from its midnight UTC) or an ISO time; ``--action`` one of :data:`scheduling.audit.ACTIONS`.
A bad date or an unknown action is bad input (exit 2). The user commands (``lastmile user add |
remove | password | role | list``) live with the rest of ``user`` in :mod:`webui.cli`.
"""

from __future__ import annotations

import argparse


def cmd_audit(args: argparse.Namespace) -> int:
    from scheduling.audit import ACTIONS, entries
    from webui.auditlog import entry_line, parse_since
    from webui.cli import BadInput, _open_store

    try:
        since = parse_since(args.since or "", "--since")
    except ValueError as exc:
        raise BadInput(str(exc))
    if args.action is not None and args.action not in ACTIONS:
        raise BadInput(f"--action: '{args.action}' is not an audit action; use one of {', '.join(sorted(ACTIONS))}")
    if args.limit < 1:
        raise BadInput("--limit: give at least 1")
    db = _open_store(args.database_url)
    found = entries(db, since=since, action=args.action, limit=args.limit)
    for e in found:
        print(entry_line(e))
    if not found:
        print("no audit entries" + (" for this filter" if since or args.action else ""))
    return 0


def add_commands(sub) -> None:
    """Register ``audit`` on the ``lastmile`` sub-parser."""
    p = sub.add_parser("audit", help="the audit log, newest first: who viewed, exported or changed what")
    p.add_argument("--since", default=None, help="from this date YYYY-MM-DD (midnight UTC) or ISO time (naive: UTC)")
    p.add_argument("--action", default=None, help="only this action, e.g. day.view, day.export, user.add")
    p.add_argument("--limit", type=int, default=1000, help="the most entries to print (default 1000)")
    p.add_argument("--database-url", default=None, help="SQLAlchemy URL (default: LASTMILE_DATABASE_URL or var/lastmile.db)")
    p.set_defaults(func=cmd_audit)
