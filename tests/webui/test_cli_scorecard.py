"""``lastmile scorecard --actual``: the driven day's tables, ``scorecard_actual.json`` with every
figure, CSVs; a date with nothing published or a bad date is bad input (exit 2)."""

from __future__ import annotations

import argparse
import csv
import json
import sys

import pytest

from tests.scenarios.driven_support import driven_day_copy
from webui.cli import EXIT_BAD_INPUT, BadInput, _positive_seconds
from webui.cli_scorecard import add_commands

EVERY_FIELD = {
    "date", "plan_id", "orders_total", "delivered", "failed", "unserved", "unserved_by_reason", "failed_by_reason",
    "failed_rate", "on_time_rate", "on_time_eta_rate", "preference_match_rate", "vehicles_driven", "planned_km",
    "actual_km", "planned_hours", "driver_hours", "cost_transport", "cost_labour", "cost_fixed", "cost_total",
    "cost_per_order", "planned", "rating_average", "feedback_count", "feedback_share", "feedback_by_category",
    "bookings_confirmed", "bookings_delivered", "bookings_failed", "bookings_unserved", "per_vehicle", "per_zone",
    "orders", "personalization", "extra_cost_per_order", "currency",
}


def lastmile(argv: list[str]) -> int:
    """The command as ``lastmile`` runs it: :class:`BadInput` is exit 2 with its lines on stderr."""
    parser = argparse.ArgumentParser(prog="lastmile")
    add_commands(parser.add_subparsers(dest="command", required=True), _positive_seconds)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except BadInput as exc:
        for line in exc.lines:
            print(f"error: {line}", file=sys.stderr)
        return EXIT_BAD_INPUT


@pytest.fixture(scope="module")
def store(tmp_path_factory, store_copies):
    folder = tmp_path_factory.mktemp("cli-scorecard")
    _db, _scenario, plan, _info = driven_day_copy(store_copies, folder)
    return f"sqlite:///{folder / 'lastmile.db'}", plan


def test_the_day_prints_its_tables_and_writes_every_figure_to_json_and_csv(store, tmp_path, capsys):
    url, plan = store
    out = tmp_path / "out"
    assert lastmile(["scorecard", "--actual", "--date", plan.date, "--database-url", url, "--out", str(out),
                     "--time-limit", "1"]) == 0
    printed = capsys.readouterr().out
    assert "as driven" in printed and "per driver (vehicle)" in printed and "per zone" in printed
    doc = json.loads((out / "scorecard_actual.json").read_text())
    assert EVERY_FIELD <= set(doc)
    assert doc["delivered"] + doc["failed"] + doc["unserved"] == doc["bookings_confirmed"] == 40
    assert isinstance(doc["extra_cost_per_order"], float)
    assert {"cost_transport", "cost_labour", "cost_fixed", "cost_total", "km", "driver_hours"} <= set(doc["planned"])
    with open(out / "scorecard_actual_days.csv", newline="") as f:
        [day] = list(csv.DictReader(f))
    assert day["date"] == plan.date and int(day["delivered"]) == doc["delivered"]
    with open(out / "scorecard_actual_orders.csv", newline="") as f:
        assert len(list(csv.DictReader(f))) == 40
    for name in ("vehicles", "zones"):
        with open(out / f"scorecard_actual_{name}.csv", newline="") as f:
            assert len(list(csv.DictReader(f))) == len(doc[f"per_{name[:-1]}"])


def test_a_range_writes_the_weekly_and_monthly_totals(store, tmp_path, capsys):
    url, plan = store
    out = tmp_path / "range"
    assert lastmile(["scorecard", "--actual", "--from", "2026-11-01", "--to", "2026-11-30", "--database-url", url,
                     "--out", str(out), "--no-counterfactual"]) == 0
    printed = capsys.readouterr().out
    assert "weeks (ISO)" in printed and "months" in printed and "29 day(s) without a published plan" in printed
    doc = json.loads((out / "scorecard_actual.json").read_text())
    assert [d["date"] for d in doc["days"]] == [plan.date]
    assert [w["period"] for w in doc["weekly"]] == ["2026-W48"] and [m["period"] for m in doc["monthly"]] == ["2026-11"]
    with open(out / "scorecard_actual_monthly.csv", newline="") as f:
        [month] = list(csv.DictReader(f))
    assert int(month["delivered"]) == doc["days"][0]["delivered"]
    assert (out / "scorecard_actual_weekly.csv").is_file()


def test_a_date_with_nothing_published_exits_2_and_says_what_to_do(store, capsys):
    url, _plan = store
    assert lastmile(["scorecard", "--actual", "--date", "2026-11-25", "--database-url", url]) == 2
    err = capsys.readouterr().err
    assert "date 2026-11-25: nothing was published" in err and "lastmile plan --date 2026-11-25 --bookings --publish" in err


@pytest.mark.parametrize("argv, message", [
    (["--date", "2026-11-31"], "--date: '2026-11-31' is not a date; write it as YYYY-MM-DD"),
    (["--from", "2026-12-01", "--to", "2026-11-01"], "--to: 2026-11-01 is before from (2026-12-01)"),
    (["--from", "2026-11-01"], "a range needs both --from D1 and --to D2"),
    (["--date", "2026-11-24", "--from", "2026-11-01", "--to", "2026-11-30"], "give either --date D, or --from D1 --to D2"),
    (["--from", "2026-10-01", "--to", "2026-10-31"], "nothing was published in the range"),
])
def test_bad_dates_exit_2_naming_the_option(store, capsys, argv, message):
    url, _plan = store
    assert lastmile(["scorecard", "--actual", *argv, "--database-url", url, "--no-counterfactual"]) == 2
    assert message in capsys.readouterr().err


def test_without_actual_it_says_where_the_planned_scorecard_is(store, capsys):
    url, plan = store
    assert lastmile(["scorecard", "--date", plan.date, "--database-url", url]) == 2
    assert "give --actual" in capsys.readouterr().err
