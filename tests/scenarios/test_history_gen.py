"""The generated order history of the Gothenburg scenario: realistic patterns, deterministic by seed.

Two settings: "clean" (the model the forecaster's regressors encode) and "messy" (a real shop's
quirks the calendar does not list: a new housing area, forgotten promotions, snow weeks,
stock-outs, weekday drift, over-dispersed counts)."""

import datetime as dt
import hashlib

import numpy as np
import pandas as pd
import pytest

from scenarios.demand import scenario_history
from scenarios.history_gen import (
    HISTORY_SETTINGS,
    ShopQuirks,
    default_history_span,
    drifted_weekday,
    generate_history,
    season_factor,
    shop_events,
)
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


# --- the two settings: "clean" (the model's own structure) and "messy" (a real shop's quirks) ---

# sha256 of generate_history(gothenburg, 2026-11-23, 2026-11-29).orders.to_csv(index=False), taken
# before the messy setting existed: the clean setting must keep producing exactly this history.
CLEAN_WEEK_SHA256 = "324ae774ad69e57e36f3b14d289f512c9506433aaeadb3c0d258d050aef17012"
DEFAULT_SPAN = default_history_span(dt.date(2026, 12, 1))  # 2024-12-02 .. 2026-12-01


def _messy(scenario, start, end, **kw):
    return generate_history(scenario, start, end, setting="messy", **kw)


def _events(scenario, kind, start=DEFAULT_SPAN[0], end=DEFAULT_SPAN[1]):
    return [e for e in shop_events(scenario, start, end) if e.kind == kind]


def _city(history):
    return history.daily_orders().sum(axis=1)


def _day(d, shift=0):
    return pd.Timestamp(d + dt.timedelta(days=shift))


def test_the_clean_setting_is_the_default_and_produces_todays_history_byte_for_byte(scenario):
    default = generate_history(scenario, dt.date(2026, 11, 23), dt.date(2026, 11, 29))
    clean = generate_history(scenario, dt.date(2026, 11, 23), dt.date(2026, 11, 29), setting="clean")
    assert HISTORY_SETTINGS == ("clean", "messy")
    assert hashlib.sha256(clean.orders.to_csv(index=False).encode()).hexdigest() == CLEAN_WEEK_SHA256
    assert default.orders.equals(clean.orders)
    assert "category" not in clean.orders.columns


def test_an_unknown_setting_is_refused_naming_the_valid_ones(scenario):
    with pytest.raises(ValueError, match="unknown history setting 'real'; valid settings: clean, messy"):
        generate_history(scenario, dt.date(2026, 11, 23), dt.date(2026, 11, 29), setting="real")
    with pytest.raises(ValueError, match="messy"):
        generate_history(scenario, dt.date(2026, 11, 23), dt.date(2026, 11, 29), quirks=ShopQuirks())


def test_messy_differs_from_clean_but_keeps_the_calendar_and_the_csv_format(scenario, tmp_path):
    start, end = dt.date(2026, 9, 7), dt.date(2026, 9, 20)  # a forgotten flash sale on 2026-09-09
    clean, messy = generate_history(scenario, start, end), _messy(scenario, start, end)
    assert not clean.daily_orders().equals(messy.daily_orders())
    assert set(messy.zones) == set(clean.zones) and messy.orders["order_id"].is_unique
    assert set(messy.orders["category"]) == {"electronics", "other"}
    assert 0.15 < (messy.orders["category"] == "electronics").mean() < 0.25
    # the forecaster's calendar holds the shop's planned campaigns only, whatever the setting
    calendar = demand_calendar(scenario, start, end)
    planned = [p for p in promotions_for_year(2026, scenario.spec.seed) if start <= p.date <= end]
    assert calendar.promotions == planned and calendar.promotion_on(dt.date(2026, 9, 9)) is None
    assert dt.date(2026, 9, 9) in [e.first for e in _events(scenario, "forgotten_promotion")]
    path = messy.to_csv(tmp_path / "messy.csv")
    back = parse_history(path, today=end + dt.timedelta(days=1), zones={c.zone for c in scenario.customers})
    assert back.daily_orders().equals(messy.daily_orders())  # the category column stays out of the CSV


def test_messy_is_deterministic_and_any_span_agrees_with_any_other_on_common_days(scenario):
    cols = ["order_id", "delivery_date", "slot", "zone", "customer_id", "parcels", "pickup_point_id", "category"]
    # around the housing area's opening (2026-03-02) and inside a stock-out (2025-04-28 .. 2025-05-11)
    for (a, b), (c, d) in [
        ((dt.date(2026, 2, 23), dt.date(2026, 3, 8)), (dt.date(2026, 3, 1), dt.date(2026, 3, 4))),
        ((dt.date(2025, 4, 24), dt.date(2025, 5, 3)), (dt.date(2025, 4, 29), dt.date(2025, 5, 1))),
    ]:
        long, short = _messy(scenario, a, b), _messy(scenario, c, d)
        o = long.orders
        part = o[(o["delivery_date"] >= str(c)) & (o["delivery_date"] <= str(d))]
        assert short.orders[cols].reset_index(drop=True).equals(part[cols].reset_index(drop=True))
        assert _messy(scenario, c, d).orders.equals(short.orders)  # the same seed, the same history


def test_the_quirks_of_the_default_span_are_dated_and_recur_each_year(scenario):
    events = shop_events(scenario, *DEFAULT_SPAN)
    kinds = [e.kind for e in events]
    assert kinds.count("housing") == 1
    assert kinds.count("snow") == 2 and kinds.count("catch_up") == 2  # winters 2025 and 2026
    assert 2 <= kinds.count("forgotten_promotion") <= 4
    assert 2 <= kinds.count("stockout") <= 4
    for e in events:
        if e.kind == "snow":
            assert e.first.month in (1, 2) and 5 <= (e.last - e.first).days + 1 <= 7 and e.factor == 0.75
        if e.kind == "stockout":
            assert e.category == "electronics" and e.cap > 0 and (e.last - e.first).days + 1 in (14, 21, 28)
    assert shop_events(scenario, *DEFAULT_SPAN) == events  # by seed alone


def test_a_new_housing_area_steps_one_zones_demand_up_by_about_40_percent(scenario):
    (housing,) = _events(scenario, "housing")
    assert housing.first == dt.date(2026, 3, 2) and housing.last == dt.date(2026, 3, 29)
    zone = housing.zone
    spans = {
        "before": (dt.date(2026, 1, 5), dt.date(2026, 2, 15)),  # six weeks before it opens (no snow)
        "after": (dt.date(2026, 4, 13), dt.date(2026, 5, 24)),  # six weeks once ramped in
    }

    def step(setting):
        d = {k: generate_history(scenario, *v, setting=setting).daily_orders() for k, v in spans.items()}
        mine = d["after"][zone].mean() / d["before"][zone].mean()
        others = d["after"].drop(columns=zone).sum(axis=1).mean() / d["before"].drop(columns=zone).sum(axis=1).mean()
        return mine / others

    assert step("messy") > 1.3  # relative to the other zones (season, growth and weekday cancel)
    assert 0.9 < step("clean") < 1.1


def test_a_forgotten_flash_sale_is_far_above_its_neighbours_and_absent_from_the_calendar(scenario):
    sales = _events(scenario, "forgotten_promotion")
    assert sales and all(1.5 <= e.factor <= 1.7 and e.first == e.last for e in sales)
    for e in sales:
        calendar = demand_calendar(scenario, e.first - dt.timedelta(days=7), e.first + dt.timedelta(days=7))
        assert calendar.promotion_on(e.first) is None and calendar.describe(e.first) == ""
        span = e.first - dt.timedelta(days=7), e.first + dt.timedelta(days=7)
        messy, clean = _city(_messy(scenario, *span)), _city(generate_history(scenario, *span))
        neighbours = (messy[_day(e.first, -7)] + messy[_day(e.first, 7)]) / 2  # the same weekday
        assert messy[_day(e.first)] > 1.3 * neighbours
        assert clean[_day(e.first)] < 1.15 * (clean[_day(e.first, -7)] + clean[_day(e.first, 7)]) / 2


def test_a_snow_week_each_winter_is_below_the_weeks_around_it_then_catches_up(scenario):
    catch_ups = {e.first: e for e in _events(scenario, "catch_up")}
    for snow in _events(scenario, "snow"):
        catch_up = catch_ups[snow.last + dt.timedelta(days=1)]
        city = _city(_messy(scenario, snow.first - dt.timedelta(days=7), snow.last + dt.timedelta(days=14)))
        days = pd.date_range(snow.first, snow.last)
        week_before = city[days - pd.Timedelta(days=7)].sum()
        two_weeks_after = city[days + pd.Timedelta(days=14)].sum()
        assert city[days].sum() < 0.85 * (week_before + two_weeks_after) / 2
        first_catch_up = _day(catch_up.first)
        assert city[first_catch_up] > 1.1 * city[first_catch_up - pd.Timedelta(days=7)]


def test_a_stock_out_caps_its_categorys_daily_orders_and_the_cap_bites(scenario):
    for stockout in _events(scenario, "stockout")[:2]:
        h = _messy(scenario, stockout.first - dt.timedelta(days=7), stockout.last)
        o = h.orders
        per_day = o[o["category"] == stockout.category].groupby("delivery_date").size()
        during = per_day[str(stockout.first):str(stockout.last)]
        before = per_day[: str(stockout.first - dt.timedelta(days=1))]
        assert during.max() <= stockout.cap  # orders above the cap are lost
        assert (during == stockout.cap).mean() > 0.5  # it bites on most days
        assert (before > stockout.cap).sum() >= 4  # the week before, demand was well above it
        assert (o["category"] == "other").groupby(o["delivery_date"]).sum()[str(stockout.first):].min() > 0


def test_the_weekday_profile_drifts_toward_weekends_and_away_from_mondays(scenario):
    def profile(start, setting):
        city = _city(generate_history(scenario, start, start + dt.timedelta(days=55), setting=setting))
        med = city.groupby(city.index.day_of_week).median()  # medians: a holiday or campaign day does not move them
        midweek = med[[1, 2, 3]].mean()
        return med[0] / midweek, (med[5] + med[6]) / midweek

    early, late = dt.date(2025, 2, 10), dt.date(2026, 10, 5)  # eight weeks each, the ends of the default span
    monday_early, weekend_early = profile(early, "messy")
    monday_late, weekend_late = profile(late, "messy")
    assert monday_late < monday_early - 0.07
    assert weekend_late > weekend_early + 0.2
    _, clean_early = profile(early, "clean")
    _, clean_late = profile(late, "clean")
    assert abs(clean_late - clean_early) < 0.15  # the clean setting has no drift (noise only)
    # the factors themselves: no drift before 2024-12-02, all of it from 2026-11-30, same weekly sum
    before = [drifted_weekday(scenario, dt.date(2024, 11, 25) + dt.timedelta(days=i)) for i in range(7)]
    after = [drifted_weekday(scenario, dt.date(2026, 11, 30) + dt.timedelta(days=i)) for i in range(7)]
    assert before == pytest.approx(list(scenario.spec.demand.weekday_factor))
    assert sum(after) == pytest.approx(sum(before)) and after[0] < before[0] and after[6] > before[6]


def test_scenario_history_passes_the_setting_through_and_an_imported_csv_ignores_it(scenario, tmp_path, monkeypatch):
    import scenarios.demand as demand

    seen = []
    monkeypatch.setattr(demand, "generate_history", lambda sc, a, b, *, setting: seen.append((a, b, setting)) or "h")
    assert scenario_history(scenario, dt.date(2026, 12, 1), setting="messy") == "h"
    assert seen == [(*DEFAULT_SPAN, "messy")]
    path = generate_history(scenario, dt.date(2026, 11, 23), dt.date(2026, 11, 29)).to_csv(tmp_path / "h.csv")
    imported = scenario_history(scenario, dt.date(2026, 11, 30), path, setting="messy")
    assert len(seen) == 1 and "category" not in imported.orders.columns


def test_messy_counts_are_over_dispersed(scenario):
    def spread(setting, **kw):
        d = generate_history(scenario, dt.date(2026, 4, 13), dt.date(2026, 5, 10), setting=setting, **kw).daily_orders()
        d = d.drop(pd.Timestamp("2026-05-01"))  # May Day
        by_weekday = d.groupby(d.index.day_of_week)
        return float(((d - by_weekday.transform("mean")) ** 2).to_numpy().mean() / d.to_numpy().mean())

    assert spread("messy") > 1.6 * spread("clean")  # negative binomial: variance = mean + mean^2 / 25
    assert spread("messy", quirks=ShopQuirks(dispersion=0)) < 1.3 * spread("clean")  # 0: Poisson again
