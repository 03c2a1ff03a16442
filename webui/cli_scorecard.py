"""``lastmile scorecard --actual``: how a published day went as it was driven (a thin shell over
:mod:`scenarios.execution.scorecard`).

``--date D`` scores one day; ``--from D1 --to D2`` every published day of the range with weekly
and monthly totals. Prints tables; with ``--out`` writes ``scorecard_actual.json`` and CSVs.
A date with nothing published, or a bad date, is bad input (exit 2).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from scheduling.csv_cells import csv_writer

DAY_COLUMNS = ("date", "plan_id", "orders_total", "delivered", "failed", "unserved", "on_time_rate", "on_time_eta_rate",
               "failed_rate", "preference_match_rate", "planned_km", "actual_km", "planned_hours", "driver_hours",
               "cost_transport", "cost_labour", "cost_fixed", "cost_total", "cost_per_order", "rating_average",
               "feedback_count", "extra_cost_per_order")
PERIOD_COLUMNS = ("period", "days", "orders_total", "delivered", "failed", "unserved", "on_time_rate",
                  "on_time_eta_rate", "failed_rate", "actual_km", "driver_hours", "cost_total", "cost_per_order",
                  "rating_average", "feedback_count", "extra_cost_per_order")
VEHICLE_COLUMNS = ("vehicle_id", "driven", "planned_stops", "stops_visited", "delivered", "failed", "not_reached",
                   "on_time_rate", "planned_km", "km", "planned_hours", "hours", "cost_transport", "cost_labour",
                   "cost_fixed", "cost_total", "rating_average", "feedback_count")
ZONE_COLUMNS = ("zone", "orders", "delivered", "failed", "unserved", "on_time_rate", "failed_rate", "rating_average",
                "feedback_count")
ORDER_COLUMNS = ("order_id", "booking_id", "zone", "vehicle_id", "stop_id", "outcome", "reason", "at_s",
                 "slot_start_s", "slot_end_s", "eta_start_s", "eta_end_s", "on_time_slot", "on_time_eta")


def _write_csv(path: Path, columns: Sequence[str], rows: Iterable[Mapping]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv_writer(f)
        w.writerow(columns)
        for r in rows:
            w.writerow(["" if r.get(c) is None else r.get(c) for c in columns])


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f} %"


def _money(x: float | None, currency: str) -> str:
    return "-" if x is None else f"{x:,.2f} {currency}"


def print_actual_day(card: dict, console) -> None:
    """The planned-against-actual table of one driven day, then per driver and per zone."""
    from rich.table import Table

    cur = card["currency"]
    p = card["planned"]
    t = Table(title=f"{card['date']}: plan #{card['plan_id']} as driven")
    for col in ("figure", "planned", "actual"):
        t.add_column(col, justify="left" if col == "figure" else "right")
    t.add_row("orders delivered / failed / unserved", str(p.get("orders_served")),
              f"{card['delivered']} / {card['failed']} / {card['unserved']}")
    t.add_row("on time (booked slot)", _pct(p.get("on_time_rate")), _pct(card["on_time_rate"]))
    t.add_row("on time (ETA window)", "", _pct(card["on_time_eta_rate"]))
    t.add_row("failed (of attempted)", "", _pct(card["failed_rate"]))
    t.add_row("first choice met", _pct(p.get("preference_match_rate")), _pct(card["preference_match_rate"]))
    t.add_row("distance, km", f"{card['planned_km']:.1f}", f"{card['actual_km']:.1f}")
    t.add_row("driver hours", f"{card['planned_hours']:.2f}", f"{card['driver_hours']:.2f}")
    for key, label in (("cost_transport", "transport"), ("cost_labour", "labour"), ("cost_fixed", "vehicles"),
                       ("cost_total", "total cost"), ("cost_per_order", "cost per order")):
        t.add_row(label, _money(p.get(key), cur), _money(card[key], cur))
    t.add_row("rating (1-5)", "", f"{card['rating_average']:.2f} of {card['feedback_count']}" if card["feedback_count"] else "-")
    t.add_row("price of personalization, per order", "", _money(card["extra_cost_per_order"], cur))
    console.print(t)
    if card["failed_by_reason"]:
        console.print("failed by reason: " + ", ".join(f"{k} {v}" for k, v in card["failed_by_reason"].items()))
    if card["unserved_by_reason"]:
        console.print("unserved by reason: " + ", ".join(f"{k} {v}" for k, v in card["unserved_by_reason"].items()))
    if card["feedback_share"]:
        console.print("feedback naming: " + ", ".join(f"{k} {_pct(v)}" for k, v in card["feedback_share"].items()))
    v = Table(title="per driver (vehicle)")
    for col in ("vehicle", "delivered", "failed", "not reached", "on time", "km plan/actual", "hours", "cost", "rating"):
        v.add_column(col, justify="right")
    for r in card["per_vehicle"]:
        v.add_row(r["vehicle_id"], str(r["delivered"]), str(r["failed"]), str(r["not_reached"]), _pct(r["on_time_rate"]),
                  f"{r['planned_km']:.1f} / {r['km']:.1f}", f"{r['hours']:.2f}", _money(r["cost_total"], cur),
                  f"{r['rating_average']:.2f}" if r["feedback_count"] else "-")
    console.print(v)
    z = Table(title="per zone")
    for col in ("zone", "orders", "delivered", "failed", "unserved", "on time", "rating"):
        z.add_column(col, justify="right")
    for r in card["per_zone"]:
        z.add_row(r["zone"], str(r["orders"]), str(r["delivered"]), str(r["failed"]), str(r["unserved"]),
                  _pct(r["on_time_rate"]), f"{r['rating_average']:.2f}" if r["feedback_count"] else "-")
    console.print(z)
    for note in card["notes"]:
        console.print(f"note: {note}")


def _print_periods(title: str, rows: Sequence[dict], console) -> None:
    from rich.table import Table

    t = Table(title=title)
    for col in ("period", "days", "delivered", "failed", "unserved", "on time", "failed rate", "km", "cost/order",
                "rating", "extra/order"):
        t.add_column(col, justify="right")
    for r in rows:
        t.add_row(str(r.get("period", r.get("date"))), str(r.get("days", 1)), str(r["delivered"]), str(r["failed"]),
                  str(r["unserved"]), _pct(r["on_time_rate"]), _pct(r["failed_rate"]), f"{r['actual_km']:.1f}",
                  f"{r['cost_per_order']:,.2f}", f"{r['rating_average']:.2f}" if r["feedback_count"] else "-",
                  "-" if r.get("extra_cost_per_order") is None else f"{r['extra_cost_per_order']:,.2f}")
    console.print(t)


def _as_option(message: str) -> str:
    """A library message naming a field (``date:``, ``from:``, ``to:``) as the option to fix (``--date:``)."""
    for name in ("date", "from/to", "from", "to"):
        if message.startswith(f"{name}:"):
            return "--" + message.replace("/", "/--", 1) if name == "from/to" else "--" + message
    return message


def cmd_scorecard(args: argparse.Namespace) -> int:
    from scenarios.execution.scorecard import NothingPublished, actual_for_day, actual_for_range
    from scenarios.scenario import ScenarioError, load_scenario
    from scheduling.storage import open_database
    from webui.cli import BadInput, console_for_tables

    if not args.actual:
        raise BadInput("give --actual: the planned scorecard is printed by lastmile plan; "
                       "lastmile scorecard --actual scores the day as it was driven")
    one = args.date is not None
    if one == (args.from_date is not None or args.to_date is not None):
        raise BadInput("give either --date D, or --from D1 --to D2 for a range, not both and not neither")
    if not one and (args.from_date is None or args.to_date is None):
        raise BadInput("a range needs both --from D1 and --to D2 (YYYY-MM-DD)")
    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as exc:
        raise BadInput(str(exc).splitlines())
    try:
        db = open_database(args.database_url)
    except Exception as exc:  # noqa: BLE001 - any store that cannot be opened is the URL's fault
        raise BadInput(f"--database-url: the store cannot be opened ({exc}); check the URL")
    kw = dict(counterfactual=not args.no_counterfactual, time_limit_s=args.time_limit, engine=args.engine)
    console = console_for_tables()
    out = Path(args.out) if args.out else None
    try:
        if one:
            doc = actual_for_day(db, scenario, args.date, **kw).to_dict()
        else:
            report = actual_for_range(db, scenario, args.from_date, args.to_date, **kw)
            doc = report.to_dict()
    except NothingPublished as exc:
        raise BadInput(str(exc))
    except ValueError as exc:
        raise BadInput(_as_option(str(exc)))
    if one:
        print_actual_day(doc, console)
    else:
        if not doc["days"]:
            raise BadInput(f"--from {doc['start']} --to {doc['end']}: nothing was published in the range, so nothing "
                           "was driven; choose dates with a published plan")
        _print_periods("days", doc["days"], console)
        _print_periods("weeks (ISO)", doc["weekly"], console)
        _print_periods("months", doc["monthly"], console)
        if doc["skipped"]:
            console.print(f"{len(doc['skipped'])} day(s) without a published plan were skipped")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "scorecard_actual.json").write_text(json.dumps(doc, indent=2), encoding="utf-8")
        cards = [doc] if one else doc["days"]
        _write_csv(out / "scorecard_actual_days.csv", DAY_COLUMNS, cards)
        for name, columns, key in (("vehicles", VEHICLE_COLUMNS, "per_vehicle"), ("zones", ZONE_COLUMNS, "per_zone"),
                                   ("orders", ORDER_COLUMNS, "orders")):
            with open(out / f"scorecard_actual_{name}.csv", "w", newline="", encoding="utf-8") as f:
                w = csv_writer(f)
                w.writerow(["date", *columns])
                for card in cards:
                    for r in card[key]:
                        w.writerow([card["date"], *["" if r.get(c) is None else r.get(c) for c in columns]])
        if not one:
            _write_csv(out / "scorecard_actual_weekly.csv", PERIOD_COLUMNS, doc["weekly"])
            _write_csv(out / "scorecard_actual_monthly.csv", PERIOD_COLUMNS, doc["monthly"])
        console.print(f"wrote {out / 'scorecard_actual.json'} and the CSVs")
    return 0


def add_commands(sub, positive_seconds=None) -> None:
    """Register ``scorecard`` on the ``lastmile`` sub-parser (``positive_seconds``: the CLI's
    ``--time-limit`` type, :func:`webui.cli._positive_seconds`)."""
    p = sub.add_parser("scorecard", help="how a published day went as it was driven: on time, failed, km, cost, rating")
    p.add_argument("--actual", action="store_true", help="score the day as driven (from the delivery events)")
    p.add_argument("--date", default=None, help="the day YYYY-MM-DD")
    p.add_argument("--from", dest="from_date", default=None, help="first day of a range YYYY-MM-DD")
    p.add_argument("--to", dest="to_date", default=None, help="last day of a range YYYY-MM-DD (inclusive)")
    p.add_argument("--out", default=None, help="folder for scorecard_actual.json and the CSVs")
    p.add_argument("--scenario", default="gothenburg", help="built-in scenario name or folder (default gothenburg)")
    p.add_argument("--database-url", default=None, help="SQLAlchemy URL (default: LASTMILE_DATABASE_URL or var/lastmile.db)")
    p.add_argument("--time-limit", type=positive_seconds or float, default=None,
                   help="seconds for the price-of-personalization re-plan (default: the plan's own limit)")
    p.add_argument("--engine", choices=("auto", "ortools", "pyvrp"), default="auto",
                   help="search engine of the re-plan (default auto)")
    p.add_argument("--no-counterfactual", action="store_true",
                   help="skip the re-plan with widened windows (no price of personalization; fast)")
    p.set_defaults(func=cmd_scorecard)
