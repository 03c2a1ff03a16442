"""``lastmile customer export|forget`` and ``lastmile retention run`` (thin shells).

The work is :func:`scheduling.privacy.export.customer_export`,
:func:`scenarios.privacy.erasure.erase_customer` and
:func:`scenarios.privacy.retention.retention_run`; the same as the API's
``GET /api/v1/customers/{id}/export`` and ``DELETE /api/v1/customers/{id}``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

_DB_HELP = "SQLAlchemy URL (default: LASTMILE_DATABASE_URL or var/lastmile.db)"


def _machinery(args: argparse.Namespace):
    from scenarios.scenario import ScenarioError
    from scheduling.storage import open_database
    from webui.api.context import build_booking_app
    from webui.cli import BadInput

    db = open_database(args.database_url)
    try:
        return db, build_booking_app(db, {"SCENARIO": args.scenario, "BOOKING_RESOLVE": False})
    except ScenarioError as exc:
        raise BadInput(str(exc).splitlines())


def _shop_id(db, name: str) -> int:
    from sqlalchemy import select

    from scheduling.storage.models import Shop
    from webui.cli import BadInput

    with db.session() as s:
        found = s.scalar(select(Shop.id).where(Shop.name == name))
        if found is None:
            names = ", ".join(s.scalars(select(Shop.name).order_by(Shop.name)).all()) or "none yet"
            raise BadInput(f"--shop: no shop named '{name}'; the shops are: {names}")
        return found


def cmd_customer_export(args: argparse.Namespace) -> int:
    from scheduling import audit
    from scheduling.privacy.export import customer_export
    from scenarios.privacy.erasure import customer_digest
    from webui.cli import BadInput

    db, app = _machinery(args)
    found = customer_export(db, _shop_id(db, args.shop), args.customer_id, app.setup.pricing.currency)
    if found is None:
        raise BadInput(f"customer_id: shop '{args.shop}' has no data on customer {args.customer_id}")
    text = json.dumps(found, indent=2, ensure_ascii=False)
    if args.out:
        out = Path(args.out)
        if out.exists() and not args.force:
            raise BadInput(f"--out: {out} exists; pick another file or add --force to replace it")
        out.write_text(text + "\n", encoding="utf-8")
        print(f"Wrote {len(found['bookings'])} bookings, {len(found['feedback'])} feedback and "
              f"{len(found['delivery_events'])} delivery events of customer {args.customer_id} to {out}")
    else:
        sys.stdout.write(text + "\n")
    audit.record(db, "cli", "customer.export", f"customer:{customer_digest(args.shop, args.customer_id)}",
                 f"{len(found['bookings'])} bookings")
    return 0


def cmd_customer_forget(args: argparse.Namespace) -> int:
    from scenarios.privacy.erasure import erase_customer
    from webui.cli import BadInput

    db, app = _machinery(args)
    done = erase_customer(app.service, app.scenario, _shop_id(db, args.shop), args.customer_id, "cli", app.setup.area.network)
    if done is None:
        raise BadInput(f"customer_id: shop '{args.shop}' has no data on customer {args.customer_id}")
    if done.already:
        print(f"Customer {args.customer_id} of {args.shop} was erased before; nothing changed.")
        return 0
    print(f"Erased customer {args.customer_id} of {args.shop}: {done.cancelled} bookings to come cancelled (seats free again), "
          f"{done.anonymized} bookings anonymized, {done.plans_changed} saved plans anonymized"
          f"{', profile deleted' if done.profile_deleted else ''}. The audit log names them {done.customer}.")
    return 0


def cmd_retention_run(args: argparse.Namespace) -> int:
    from scenarios.privacy.retention import retention_run

    db, app = _machinery(args)
    report = retention_run(db, app.scenario, app.setup, app.setup.area.network, actor="cli")
    r = app.scenario.spec.retention
    print(f"Retention (personal fields {r.personal_days} days, history {r.history_days} days): {report.summary()}.")
    return 0


def add_commands(sub) -> None:
    """Register ``customer export|forget`` and ``retention run`` on the ``lastmile`` sub-parser."""
    p = sub.add_parser("customer", help="a shop's customer's data: export it, or erase it")
    csub = p.add_subparsers(dest="customer_command", required=True, metavar="ACTION")
    for name, func, text in (("export", cmd_customer_export, "print (or write) everything held about a customer of a shop, as JSON"),
                             ("forget", cmd_customer_forget, "erase a customer of a shop: cancel what is to come, anonymize the rest")):
        c = csub.add_parser(name, help=text)
        c.add_argument("customer_id", metavar="CUSTOMER_ID", help="the shop's customer id, as sent with its bookings")
        c.add_argument("--shop", required=True, help="the shop's name (lastmile shop add NAME)")
        c.add_argument("--database-url", default=None, help=_DB_HELP)
        c.add_argument("--scenario", default="gothenburg", help="scenario the bookings are in (default gothenburg)")
        if name == "export":
            c.add_argument("--out", default=None, help="write the JSON to this file instead of printing it")
            c.add_argument("--force", action="store_true", help="replace --out if it exists")
        c.set_defaults(func=func)
    p = sub.add_parser("retention", help="anonymize and delete customers' data older than the scenario keeps it")
    rsub = p.add_subparsers(dest="retention_command", required=True, metavar="ACTION")
    r = rsub.add_parser("run", help="anonymize bookings past retention.personal_days, delete history past retention.history_days")
    r.add_argument("--database-url", default=None, help=_DB_HELP)
    r.add_argument("--scenario", default="gothenburg", help="scenario whose retention applies (default gothenburg)")
    r.set_defaults(func=cmd_retention_run)
