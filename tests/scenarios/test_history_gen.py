"""The generated order history of the Gothenburg scenario: realistic patterns, deterministic by seed."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from scenarios.history_gen import generate_history, season_factor
from scenarios.promotions import demand_calendar, promotions_for_year
from scenarios.scenario import load_scenario
from scheduling.history import parse_history


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("gothenburg")


@pytest.fixture(scope="module")
def autumn(scenario):
    """Ten weeks around Black Friday and Christmas 2025."""
    return generate_history(scenario, dt.date(2025, 10, 27), dt.date(2026, 1, 4))


def test_the_promotion_calendar_has_black_friday_and_about_eight_days_a_year(scenario):
    days = promotions_for_year(2026, scenario.spec.seed)
    assert len(days) == 8
    assert {p.name: p.date for p in days}["Black Friday"] == dt.date(2026, 11, 27)
    assert sum(p.size == "major" for p in days) == 3
    assert days == promotions_for_year(2026, scenario.spec.seed)


def test_every_zone_of_the_scenario_has_orders_from_its_own_customers(scenario, autumn):
    zones = {c.zone for c in scenario.customers}
    assert set(autumn.zones) == zones
    zone_of = {c.id: c.zone for c in scenario.customers}
    assert (autumn.orders["customer_id"].map(zone_of) == autumn.orders["zone"]).all()
    assert autumn.orders["order_id"].is_unique


def test_weekly_pattern_holidays_and_promotions_show_in_the_daily_totals(autumn):
    city = autumn.daily_orders().sum(axis=1)
    nov = city["2025-11-03":"2025-11-23"]
    weekday_mean = nov[nov.index.day_of_week < 5].mean()
    assert nov[nov.index.day_of_week == 6].mean() < 0.65 * weekday_mean  # Sundays are quiet
    fridays = city[(city.index.day_of_week == 4) & (city.index.month == 11)]
    black_friday = city[pd.Timestamp("2025-11-28")]
    assert black_friday > 1.5 * fridays.drop(pd.Timestamp("2025-11-28")).median()
    assert city[pd.Timestamp("2025-12-25")] < 0.5 * city[pd.Timestamp("2025-12-18")]  # Christmas Day vs a Thursday


def test_season_dips_in_july_and_peaks_before_christmas():
    assert season_factor(dt.date(2026, 7, 17)) < 0.85 < 1.15 < season_factor(dt.date(2026, 12, 11))


def test_customers_keep_their_slot_habits(scenario, autumn):
    preferred = {c.id: c.preferred_slot for c in scenario.customers}
    home = autumn.orders[autumn.orders["pickup_point_id"] == ""]
    weekday = home[home["delivery_date"].dt.day_of_week < 5]
    match = (weekday["slot"] == weekday["customer_id"].map(preferred)).mean()
    assert 0.65 < match < 0.95
    weekend = home[home["delivery_date"].dt.day_of_week >= 5]
    assert (weekend["slot"] == weekend["customer_id"].map(preferred)).mean() < match
    assert 0.05 < (autumn.orders["pickup_point_id"] != "").mean() < 0.3


def test_the_same_seed_gives_the_same_history_on_common_days(scenario, autumn):
    again = generate_history(scenario, dt.date(2025, 12, 1), dt.date(2025, 12, 7))
    part = autumn.orders[(autumn.orders["delivery_date"] >= "2025-12-01") & (autumn.orders["delivery_date"] <= "2025-12-07")]
    cols = ["order_id", "delivery_date", "slot", "zone", "customer_id", "parcels", "pickup_point_id"]
    assert again.orders[cols].reset_index(drop=True).equals(part[cols].reset_index(drop=True))


def test_a_generated_history_passes_the_importer(scenario, tmp_path):
    h = generate_history(scenario, dt.date(2026, 11, 9), dt.date(2026, 11, 22))
    path = h.to_csv(tmp_path / "history.csv")
    back = parse_history(path, today=dt.date(2026, 11, 23), zones={c.zone for c in scenario.customers})
    assert len(back) == len(h)
    assert back.daily_orders().equals(h.daily_orders())


def test_a_zone_opened_late_has_no_orders_before_it_opened(scenario):
    h = generate_history(scenario, dt.date(2026, 11, 1), dt.date(2026, 11, 22), zone_opened={"Z-3-3": dt.date(2026, 11, 15)})
    assert h.first_day_of("Z-3-3") >= dt.date(2026, 11, 15)
    assert demand_calendar(scenario, dt.date(2026, 1, 1), dt.date(2026, 12, 31)).promotion_on(dt.date(2026, 11, 27)).size == "major"
