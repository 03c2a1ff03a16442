"""``lastmile shop key add|rotate|revoke|list``: a shop's API keys (thin shell over :mod:`scheduling.shops`).

A new key is printed once; lists show only its first characters. Every change is in the audit log.
"""

from __future__ import annotations

import argparse
import datetime as dt

DB_HELP = "SQLAlchemy URL (default: LASTMILE_DATABASE_URL or var/lastmile.db)"


def _open(args):
    from scheduling.storage import open_database

    return open_database(args.database_url)


def _audit(db, action: str, shop: str, detail: str) -> None:
    from scheduling.audit import record

    record(db, "cli", action, f"shop:{shop}", detail)


def _shown(info) -> str:
    return f"{info.prefix}…" if info.prefix else "(made before schema 0007)"


def cmd_key_add(args: argparse.Namespace) -> int:
    from scheduling.shops import add_key
    from webui.cli import BadInput

    db = _open(args)
    try:
        info, key = add_key(db, args.shop, scopes=args.scopes, label=args.label)
    except ValueError as exc:
        raise BadInput(str(exc))
    _audit(db, "key.create", args.shop, f"key {info.id} ({info.prefix}…), scopes {','.join(info.scopes)}, label '{info.label}'")
    print(f"Shop '{args.shop}': key {info.id} with scopes {','.join(info.scopes)} added. The key, shown only now:")
    print(key)
    return 0


def cmd_key_rotate(args: argparse.Namespace) -> int:
    from scheduling.shops import ROTATION_GRACE, rotate_key
    from webui.cli import BadInput

    db = _open(args)
    grace = dt.timedelta(0) if args.now else ROTATION_GRACE
    try:
        old, new, key = rotate_key(db, args.shop, key_id=args.id, prefix=args.key_prefix, grace=grace)
    except ValueError as exc:
        raise BadInput(str(exc))
    until = "now" if args.now else f"at {old.revoked_at:%Y-%m-%d %H:%M} UTC"
    _audit(db, "key.rotate", args.shop, f"key {old.id} ({_shown(old)}) replaced by key {new.id} ({new.prefix}…); the old one stops {until}")
    print(f"Shop '{args.shop}': key {new.id} replaces key {old.id} (scopes {','.join(new.scopes)}); key {old.id} stops working {until}.")
    print("The new key, shown only now:")
    print(key)
    return 0


def cmd_key_revoke(args: argparse.Namespace) -> int:
    from scheduling.shops import list_keys, revoke_key
    from webui.cli import BadInput

    db = _open(args)
    try:
        info = revoke_key(db, args.shop, key_id=args.id, prefix=args.key_prefix)
    except ValueError as exc:
        raise BadInput(str(exc))
    _audit(db, "key.revoke", args.shop, f"key {info.id} ({_shown(info)}) revoked")
    print(f"Shop '{args.shop}': key {info.id} ({_shown(info)}) revoked; every server refuses it within 5 seconds.")
    now = info.revoked_at
    if not any(k.active(now) for k in list_keys(db, args.shop)):
        print(f"The shop has no working key left; give it one with: lastmile shop key add '{args.shop}'")
    return 0


def cmd_key_list(args: argparse.Namespace) -> int:
    from scheduling.shops import list_keys
    from webui.cli import BadInput

    db = _open(args)
    try:
        keys = list_keys(db, args.shop)
    except ValueError as exc:
        raise BadInput(str(exc))
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    print(f"{'id':>4}  {'key':<14}  {'scopes':<9}  {'created (UTC)':<16}  {'state':<30}  label")
    for k in keys:
        if k.revoked_at is None:
            state = "active"
        elif k.active(now):
            state = f"active until {k.revoked_at:%Y-%m-%d %H:%M}"
        else:
            state = f"revoked {k.revoked_at:%Y-%m-%d %H:%M}"
        shown = f"{k.prefix}…" if k.prefix else "(before 0007)"
        print(f"{k.id:>4}  {shown:<14}  {','.join(k.scopes):<9}  {k.created_at:%Y-%m-%d %H:%M}  {state:<30}  {k.label}")
    return 0


def _positive_id(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a key id (a positive number, as 'lastmile shop key list' shows)")
    return int(text)


def _which(p: argparse.ArgumentParser, required: bool) -> None:
    g = p.add_mutually_exclusive_group(required=required)
    g.add_argument("--key-prefix", default=None, help="the key's first characters as 'key list' shows them (or the whole key)")
    g.add_argument("--id", type=_positive_id, default=None, help="the key's id as 'key list' shows it")


def add_commands(shop_subparsers) -> None:
    """Register ``key`` (add, rotate, revoke, list) on the ``lastmile shop`` sub-parser."""
    k = shop_subparsers.add_parser("key", help="a shop's API keys: add, rotate, revoke, list")
    ksub = k.add_subparsers(dest="key_command", required=True, metavar="ACTION")

    a = ksub.add_parser("add", help="a new key for the shop, printed once")
    a.add_argument("shop", help="the shop's name or numeric id")
    a.add_argument("--scopes", default="read,book", help="read (slots, bookings, events, exports), book (change bookings, feedback, erasure) or read,book (default)")
    a.add_argument("--label", default="", help="a note on what uses the key, up to 80 characters")
    a.set_defaults(func=cmd_key_add)

    r = ksub.add_parser("rotate", help="replace a key by a new one with the same scopes; the old one works 24 h more (or --now)")
    r.add_argument("shop", help="the shop's name or numeric id")
    _which(r, required=False)
    r.add_argument("--now", action="store_true", help="the old key stops at once (default: it works for 24 hours more)")
    r.set_defaults(func=cmd_key_rotate)

    v = ksub.add_parser("revoke", help="stop a key now, on every server within 5 seconds")
    v.add_argument("shop", help="the shop's name or numeric id")
    _which(v, required=True)
    v.set_defaults(func=cmd_key_revoke)

    s = ksub.add_parser("list", help="the shop's keys: id, first characters, scopes, created, revoked, label")
    s.add_argument("shop", help="the shop's name or numeric id")
    s.set_defaults(func=cmd_key_list)

    for p in (a, r, v, s):
        p.add_argument("--database-url", default=None, help=DB_HELP)
