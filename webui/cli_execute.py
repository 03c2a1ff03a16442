"""``lastmile execute --simulate`` and ``lastmile vehicle out``: the day as it is driven, at the command line.

``execute --date D --simulate`` drives the date's published plan without drivers
(:func:`scenarios.execution.simulate.drive`): every van's events with noise, recorded through
the same code path as drivers' phones. ``--breakdown VAN@HH:MM`` takes a van out of service on
the way and drives the re-plan. ``vehicle out`` is the dispatcher's breakdown: the van's
remaining stops are re-planned onto the others and published
(:func:`scenarios.execution.disruption.vehicle_out_of_service`).

Bad input (a date with nothing published, an unknown van, a time that is not HH:MM) exits 2
naming the option, and nothing is stored.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass

from optimizer.domain import parse_hhmm


def _user() -> str:
    try:
        return getpass.getuser() or "cli"
    except (KeyError, OSError):
        return "cli"


def _date(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date; write it as YYYY-MM-DD, for example 2026-11-25")


def _clock(text: str) -> int:
    try:
        return parse_hhmm(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc))


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"'{text}' is not a share; give a number from 0 to 1, for example 0.05")
    return value


def _breakdown(text: str) -> tuple[str, int]:
    van, sep, at = text.rpartition("@")
    if not sep or not van:
        raise argparse.ArgumentTypeError(f"'{text}' is not VAN@HH:MM; write the van and the time, for example van-2@12:00")
    return van, _clock(at)


def _open(args):
    from scheduling.storage import open_database

    return open_database(args.database_url)


def cmd_execute(args: argparse.Namespace) -> int:
    from scenarios.execution.disruption import DisruptionError
    from scenarios.execution.simulate import DriveError, drive
    from webui.cli import BadInput

    if not args.simulate:
        raise BadInput("--simulate is required: drivers report through the driver page; "
                       "lastmile execute only drives a day without drivers (add --simulate)")
    db = _open(args)
    try:
        report = drive(db, args.scenario, args.date, seed=args.seed, not_home_share=args.not_home,
                       breakdown=args.breakdown, replan_time_limit_s=args.time_limit)
    except DriveError as exc:
        option = {"date": "--date", "not_home": "--not-home", "breakdown": "--breakdown"}.get(exc.field, exc.field)
        raise BadInput(f"{option}: {exc.message}")
    except DisruptionError as exc:
        raise BadInput(f"--breakdown: {exc.message}")
    print(report.summary())
    return 0


def cmd_vehicle_out(args: argparse.Namespace) -> int:
    from scenarios.execution.disruption import DisruptionError, vehicle_out_of_service
    from webui.cli import BadInput

    db = _open(args)
    try:
        replan = vehicle_out_of_service(db, args.scenario, args.date, args.vehicle, args.from_s, args.reason, _user(),
                                        time_limit_s=args.time_limit)
    except DisruptionError as exc:
        option = {"date": "--date", "vehicle": "--vehicle", "from": "--from", "reason": "--reason"}.get(exc.field, exc.field)
        raise BadInput(f"{option}: {exc.message}")
    print(replan.summary(limit=50))
    return 0


def add_commands(sub) -> None:
    """Register ``execute`` and ``vehicle out`` on the ``lastmile`` sub-parser."""
    db_help = "SQLAlchemy URL (default: LASTMILE_DATABASE_URL or var/lastmile.db)"
    p = sub.add_parser("execute", help="drive a published day without drivers (--simulate): events, failures, a breakdown")
    p.add_argument("--date", required=True, type=_date, help="the plan date YYYY-MM-DD (its plan must be published)")
    p.add_argument("--simulate", action="store_true", help="drive the day with simulated drivers")
    p.add_argument("--seed", type=int, default=0, help="random seed: the same seed gives the same day (default 0)")
    p.add_argument("--not-home", type=_share, default=0.05, help="share of home deliveries nobody opens for (default 0.05)")
    p.add_argument("--breakdown", type=_breakdown, default=None, metavar="VAN@HH:MM",
                   help="take a van out of service at that time and drive the re-plan")
    p.add_argument("--time-limit", type=float, default=20.0, help="seconds for the re-plan after a breakdown (default 20)")
    p.add_argument("--database-url", default=None, help=db_help)
    p.add_argument("--scenario", default="gothenburg", help="scenario of the day (default gothenburg)")
    p.set_defaults(func=cmd_execute)

    p = sub.add_parser("vehicle", help="the dispatcher's actions on a van during the day")
    vsub = p.add_subparsers(dest="vehicle_command", required=True, metavar="ACTION")
    o = vsub.add_parser("out", help="a van out of service: re-plan its remaining stops onto the others and publish")
    o.add_argument("--date", required=True, type=_date, help="the plan date YYYY-MM-DD")
    o.add_argument("--vehicle", required=True, help="the van's id, e.g. van-2")
    o.add_argument("--from", dest="from_s", required=True, type=_clock, metavar="HH:MM", help="out of service from (local time)")
    o.add_argument("--reason", required=True, help="why (breakdown, driver ill); kept with the outage")
    o.add_argument("--time-limit", type=float, default=20.0, help="seconds for the re-plan (default 20)")
    o.add_argument("--database-url", default=None, help=db_help)
    o.add_argument("--scenario", default="gothenburg", help="scenario of the day (default gothenburg)")
    o.set_defaults(func=cmd_vehicle_out)
