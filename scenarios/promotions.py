"""A scenario's promotion calendar: the shop's campaign days, known to planners in advance.

By default it is generated from fixed retail rules (Black Friday, Cyber Monday, the last
pre-Christmas delivery push, Singles' Day, seasonal sales), about eight days a year, with the
scenario seed choosing the day of the floating sales; the same seed gives the same calendar.
A scenario folder may instead hold ``promotions.csv`` (columns ``date,name,size``) to use the
shop's real campaign plan.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np

from scenarios.scenario import Scenario, ScenarioError
from scheduling.demand_calendar import PROMOTION_SIZES, DemandCalendar, Promotion

PROMOTIONS_FILE = "promotions.csv"

# Country of each built-in network, for its public holidays.
NETWORK_COUNTRY = {"gothenburg": "SE"}


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The ``n``-th ``weekday`` (Monday 0) of the month, counting from 1."""
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def promotions_for_year(year: int, seed: int) -> list[Promotion]:
    """About eight campaign days in ``year``: three major, the rest minor."""
    rng = np.random.default_rng([seed, year, 7])
    black_friday = _nth_weekday(year, 11, 3, 4) + dt.timedelta(days=1)  # day after US Thanksgiving
    days = [
        Promotion(_nth_weekday(year, 1, 0, 2), "January sale", "minor"),
        Promotion(dt.date(year, 3, 1) + dt.timedelta(days=int(rng.integers(0, 28))), "Spring sale", "minor"),
        Promotion(_nth_weekday(year, 6, 0, 1), "Summer sale", "minor"),
        Promotion(_nth_weekday(year, 8, 1, 3), "Back to school", "minor"),
        Promotion(dt.date(year, 11, 11), "Singles' Day", "minor"),
        Promotion(black_friday, "Black Friday", "major"),
        Promotion(black_friday + dt.timedelta(days=3), "Cyber Monday", "major"),
        # The last week parcels reliably arrive before Christmas Eve.
        Promotion(_nth_weekday(year, 12, 0, 2) + dt.timedelta(days=int(rng.integers(0, 3))), "Pre-Christmas", "major"),
    ]
    return sorted(days, key=lambda p: p.date)


def read_promotions(path: Path) -> list[Promotion]:
    out = []
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        missing = [c for c in ("date", "name") if c not in (reader.fieldnames or [])]
        if missing:
            raise ScenarioError(f"{path}: missing column(s) {', '.join(missing)}; the header is date,name,size")
        for line, row in enumerate(reader, start=2):
            try:
                day = dt.date.fromisoformat(row["date"].strip())
            except ValueError:
                raise ScenarioError(f"{path} line {line}, column date: '{row['date']}' is not a date YYYY-MM-DD")
            size = (row.get("size") or "major").strip().lower()
            if size not in PROMOTION_SIZES:
                raise ScenarioError(f"{path} line {line}, column size: '{size}' must be one of {', '.join(PROMOTION_SIZES)}")
            out.append(Promotion(day, row["name"].strip(), size))
    return sorted(out, key=lambda p: p.date)


def promotion_calendar(scenario: Scenario, start: dt.date, end: dt.date) -> list[Promotion]:
    """The scenario's campaign days between ``start`` and ``end`` (both included)."""
    path = scenario.folder / PROMOTIONS_FILE
    if path.is_file():
        days = read_promotions(path)
    else:
        days = [p for year in range(start.year, end.year + 1) for p in promotions_for_year(year, scenario.spec.seed)]
    return [p for p in days if start <= p.date <= end]


def scenario_country(scenario: Scenario) -> str:
    """The ISO country whose holidays apply (the built-in city's country; SE otherwise)."""
    return NETWORK_COUNTRY.get(scenario.spec.network, "SE")


def demand_calendar(scenario: Scenario, start: dt.date, end: dt.date) -> DemandCalendar:
    """Holidays and promotions for the scenario, as the forecaster and the generator use them."""
    return DemandCalendar(scenario_country(scenario), promotion_calendar(scenario, start, end))
