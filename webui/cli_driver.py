"""``lastmile driver token`` and ``lastmile driver revoke``: a dispatcher signs a driver in for
one van on one date, or signs them out (a thin shell over :mod:`scenarios.execution.tokens`).

The token is printed once with the driver page's path (``/driver?token=...``); only its hash
is stored. It works until 03:00 local time after its date, or until revoked.
"""

from __future__ import annotations

import argparse
import getpass
from urllib.parse import quote


def _operator() -> str:
    try:
        return getpass.getuser() or "cli"
    except (KeyError, OSError):
        return "cli"


def cmd_driver_token(args: argparse.Namespace) -> int:
    from scenarios.execution.tokens import TokenError, check_vehicle, expires_at, issue_token, scenario_tz
    from scenarios.scenario import ScenarioError
    from scheduling.storage import open_database
    from webui.cli import BadInput

    db = open_database(args.database_url)
    try:
        tz = scenario_tz(args.scenario)
        check_vehicle(db, args.scenario, args.date, args.vehicle)
        token = issue_token(db, args.scenario, args.date, args.vehicle, issued_by=_operator(), driver_name=args.name or "")
    except ScenarioError as exc:
        raise BadInput(str(exc).splitlines())
    except TokenError as exc:
        flag = {"date": "--date", "vehicle_id": "--vehicle", "driver_name": "--name"}.get(exc.field, exc.field)
        raise BadInput(f"{flag}: {exc.message}")
    from scheduling.audit import record

    record(db, "cli", "driver.link", f"day:{args.date}", f"driver token for {args.vehicle}")
    until = expires_at(args.date, tz)
    print(token)
    print(f"/driver?token={quote(token)}")
    print(f"Driver token for {args.vehicle} on {args.date}{' (' + args.name + ')' if args.name else ''}, valid until "
          f"{until:%Y-%m-%d %H:%M %Z}; it is shown only now. Revoke it with: lastmile driver revoke TOKEN")
    return 0


def cmd_driver_revoke(args: argparse.Namespace) -> int:
    from scheduling.storage import open_database
    from scenarios.execution.tokens import revoke_token
    from webui.cli import BadInput

    db = open_database(args.database_url)
    if not revoke_token(db, args.token.strip()):
        raise BadInput("TOKEN: this driver token is not known or already revoked; nothing changed")
    from scheduling.audit import record

    record(db, "cli", "driver.revoke", "driver-token", "a driver token revoked")
    print("Revoked: the driver page with this token stops working at its next request.")
    return 0


def add_commands(sub) -> None:
    """Register ``driver token`` and ``driver revoke`` on the ``lastmile`` sub-parser."""
    p = sub.add_parser("driver", help="driver sign-in links for one van on one date")
    dsub = p.add_subparsers(dest="driver_command", required=True, metavar="ACTION")
    t = dsub.add_parser("token", help="issue a driver token for a van of the date's published plan (printed once)")
    t.add_argument("--date", required=True, help="plan date YYYY-MM-DD (its plan must be published)")
    t.add_argument("--vehicle", required=True, help="the van's id, as in the plan")
    t.add_argument("--name", default="", help="the driver's name, shown on the page and in the events")
    t.add_argument("--database-url", default=None, help="SQLAlchemy URL (default: LASTMILE_DATABASE_URL or var/lastmile.db)")
    t.add_argument("--scenario", default="gothenburg", help="scenario the plan is in (default gothenburg)")
    t.set_defaults(func=cmd_driver_token)
    r = dsub.add_parser("revoke", help="revoke a driver token: its page stops working")
    r.add_argument("token", metavar="TOKEN", help="the token as printed by lastmile driver token")
    r.add_argument("--database-url", default=None, help="SQLAlchemy URL (default: LASTMILE_DATABASE_URL or var/lastmile.db)")
    r.set_defaults(func=cmd_driver_revoke)
