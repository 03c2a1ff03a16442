"""``lastmile shop webhook SHOP URL``: point a shop's events at its webhook (thin shell over
:func:`scheduling.webhooks.set_webhook`)."""

from __future__ import annotations

import argparse


def cmd_shop_webhook(args: argparse.Namespace) -> int:
    from scheduling.storage import open_database
    from scheduling.webhooks import SIGNATURE_HEADER, set_webhook
    from webui.cli import BadInput

    if args.remove == (args.url is not None):
        raise BadInput("give either the webhook URL or --remove, not both and not neither")
    db = open_database(args.database_url)
    try:
        secret = set_webhook(db, args.shop, None if args.remove else args.url)
    except ValueError as exc:
        raise BadInput(str(exc))
    from scheduling.audit import record

    record(db, "cli", "webhook.set", f"shop:{args.shop}", "webhook removed" if secret is None else f"webhook {args.url}, new secret")
    if secret is None:
        print(f"Shop '{args.shop}': webhook removed; its events stay readable with GET /api/v1/events.")
        return 0
    print(f"Shop '{args.shop}': events go to {args.url}. The signing secret, shown only now:")
    print(secret)
    print(
        f"Verify each POST: {SIGNATURE_HEADER} is t=<unix seconds>,v1=<hex HMAC-SHA256(secret, \"<t>.<raw body>\")>; "
        "compare in constant time and refuse t more than 5 minutes off (see docs/booking.md, Events and webhooks)."
    )
    return 0


def add_commands(shop_subparsers) -> None:
    """Register ``webhook`` on the ``lastmile shop`` sub-parser."""
    w = shop_subparsers.add_parser("webhook", help="send a shop's events to its HTTPS webhook; prints the signing secret (shown once)")
    w.add_argument("shop", help="the shop's name or numeric id")
    w.add_argument("url", nargs="?", default=None, help="https:// URL (http:// only to 127.0.0.1, ::1 or localhost)")
    w.add_argument("--remove", action="store_true", help="remove the webhook (the shop polls GET /api/v1/events)")
    w.add_argument("--database-url", default=None, help="SQLAlchemy URL (default: LASTMILE_DATABASE_URL or var/lastmile.db)")
    w.set_defaults(func=cmd_shop_webhook)
