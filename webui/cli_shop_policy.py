"""``lastmile shop tiers NAME``: the operator's tier trust for one shop (a thin shell).

Which member tiers the shop may assert for its customers, and the cap on the share of its
bookings of a date in a privileged tier; the rules are :mod:`scheduling.tier_policy`.
"""

from __future__ import annotations

import argparse


def _share(text: str) -> float | None:
    if text.strip().lower() in ("none", "off", ""):
        return None
    try:
        value = float(text.rstrip("%")) / (100.0 if text.endswith("%") else 1.0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a share; write 0.3 or 30%, or none for no cap") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"'{text}' is not between 0 and 1 (0 % and 100 %)")
    return value


def cmd_shop_tiers(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from scheduling import audit
    from scheduling.storage import open_database
    from scheduling.storage.models import Shop
    from scenarios.scenario import ScenarioError, load_scenario
    from webui.cli import BadInput

    try:
        tiers = list(load_scenario(args.scenario).spec.tiers)
    except ScenarioError as exc:
        raise BadInput(str(exc).splitlines())
    db = open_database(args.database_url)
    with db.session() as s:
        shop = s.scalar(select(Shop).where(Shop.name == args.name))
        if shop is None:
            raise BadInput(f"shop: no shop named '{args.name}'; add it with lastmile shop add")
        changes = []
        if args.allow is not None:
            if args.allow.strip() == "all":
                shop.allowed_tiers = None
            else:
                asked = [t.strip() for t in args.allow.split(",") if t.strip()]
                unknown = [t for t in asked if t not in tiers]
                if unknown or not asked:
                    raise BadInput(f"--allow: {', '.join(unknown) or 'no tier given'} is not a tier of scenario "
                                   f"{args.scenario}; use some of {', '.join(tiers)}, or 'all'")
                shop.allowed_tiers = ",".join(asked)
            changes.append(f"allowed tiers {shop.allowed_tiers or 'all'}")
        if args.premium_share is not _UNSET:
            shop.premium_share_max = args.premium_share
            changes.append(f"premium share cap {'none' if args.premium_share is None else f'{args.premium_share:.0%}'}")
        if args.premium_floor is not None:
            shop.premium_floor = args.premium_floor
            changes.append(f"cap applies from {args.premium_floor} bookings a day")
        if changes:
            audit.record(s, "cli", "shop.policy", f"shop:{shop.name}", "; ".join(changes))
        cap = "none" if shop.premium_share_max is None else f"{shop.premium_share_max:.0%} of its bookings a day from {shop.premium_floor} bookings on"
        print(f"Shop {shop.name}: may assert tiers {shop.allowed_tiers or 'all (' + ', '.join(tiers) + ')'}; "
              f"privileged-tier cap {cap}.")
    return 0


_UNSET = object()


def add_commands(ssub) -> None:
    """Register ``tiers`` on the ``lastmile shop`` sub-parser."""
    t = ssub.add_parser("tiers", help="which member tiers a shop may assert, and its daily cap on privileged bookings")
    t.add_argument("name", help="the shop's name")
    t.add_argument("--allow", default=None, help="comma list of tiers the shop may assert, or 'all' (default: unchanged)")
    t.add_argument("--premium-share", type=_share, default=_UNSET,
                   help="the most of a date's bookings in a privileged tier: 0.3 or 30%%, or none (default: unchanged)")
    t.add_argument("--premium-floor", type=int, default=None, help="bookings a day before the cap applies (default: unchanged)")
    t.add_argument("--scenario", default="gothenburg", help="scenario whose tiers apply (default gothenburg)")
    t.add_argument("--database-url", default=None, help="SQLAlchemy URL (default: LASTMILE_DATABASE_URL or var/lastmile.db)")
    t.set_defaults(func=cmd_shop_tiers)
