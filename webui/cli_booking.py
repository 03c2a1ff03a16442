"""``lastmile booking cancel``: the operator cancels a booking, also past its cut-off (a thin shell).

The work is :meth:`scheduling.bookings.BookingService.cancel_by_operator`: the seat returns,
the tentative routes lose the stop, and the shop gets a ``booking.cancelled_by_operator``
event with the reason, written in the same transaction.
"""

from __future__ import annotations

import argparse
import getpass


def _operator() -> str:
    """Who runs the command, for the log (the login name; ``cli`` when there is none)."""
    try:
        return getpass.getuser() or "cli"
    except (KeyError, OSError):
        return "cli"


def cmd_booking_cancel(args: argparse.Namespace) -> int:
    from scenarios.scenario import ScenarioError
    from scheduling.booking_setup import BookingError
    from scheduling.storage import open_database
    from webui.api.context import build_booking_app
    from webui.cli import BadInput

    db = open_database(args.database_url)
    try:
        service = build_booking_app(db, {"SCENARIO": args.scenario, "BOOKING_RESOLVE": False}).service
    except ScenarioError as exc:
        raise BadInput(str(exc).splitlines())
    try:
        outcome = service.cancel_by_operator(args.booking_id, args.reason, _operator())
    except BookingError as exc:
        raise BadInput(exc.message)
    b = outcome.body
    if not outcome.changed:
        print(f"Booking {b['id']} is already {b['status']}; nothing changed and the shop is not told again.")
        return 0
    print(f"Cancelled booking {b['id']} ({b['date']} {b['slot']}, zone {b['zone']}); its seat is free again.")
    print("The shop is told by the event booking.cancelled_by_operator with your reason.")
    return 0


def add_commands(sub) -> None:
    """Register ``booking cancel`` on the ``lastmile`` sub-parser."""
    p = sub.add_parser("booking", help="operator actions on shops' bookings")
    bsub = p.add_subparsers(dest="booking_command", required=True, metavar="ACTION")
    c = bsub.add_parser("cancel", help="cancel a booking of any shop, also past its cut-off; the shop gets an event")
    c.add_argument("booking_id", metavar="BOOKING_ID", help="the booking's id (as the API returns it)")
    c.add_argument("--reason", required=True, help="why, in words the shop can pass on to its customer")
    c.add_argument("--database-url", default=None, help="SQLAlchemy URL (default: LASTMILE_DATABASE_URL or var/lastmile.db)")
    c.add_argument("--scenario", default="gothenburg", help="scenario the bookings are in (default gothenburg)")
    c.set_defaults(func=cmd_booking_cancel)
