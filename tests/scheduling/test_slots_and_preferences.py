"""The slot calendar's cut-off and capacities; preferences learned from history with a zone prior."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduling.preferences import PastOrder, ZonePrior, learn_preferences, zone_priors
from scheduling.slots import calendar_from_windows, parse_window

CAL = calendar_from_windows(["08:00-10:00", "18:00-20:00"], ["08:00-12:00", "12:00-16:00"], premium=["18:00-19:00"])


def test_slot_ids_name_kind_and_window():
    assert CAL.slot_ids() == ["home:08:00-10:00", "home:18:00-20:00", "premium:18:00-19:00", "pickup:08:00-12:00", "pickup:12:00-16:00"]
    assert CAL.template("home:18:00-20:00").window == parse_window("18:00-20:00")
    assert CAL.template("home:09:00-10:00") is None


def test_booking_closes_the_evening_before_in_local_time():
    cutoff = CAL.cutoff(dt.date(2026, 11, 25))
    assert cutoff.isoformat() == "2026-11-24T22:00:00+01:00"
    summer = CAL.cutoff(dt.date(2026, 7, 1))
    assert summer.utcoffset() == dt.timedelta(hours=2)  # daylight saving time
    utc = dt.timezone.utc
    assert not CAL.past_cutoff(dt.date(2026, 11, 25), dt.datetime(2026, 11, 24, 20, 59, tzinfo=utc))
    assert CAL.past_cutoff(dt.date(2026, 11, 25), dt.datetime(2026, 11, 24, 21, 0, tzinfo=utc))


def test_pickup_capacity_is_the_points_day_shared_over_its_slots():
    pickup = CAL.template("pickup:08:00-12:00")
    assert CAL.default_capacity(pickup, pickup_point_capacity=60) == 30
    assert CAL.default_capacity(CAL.template("premium:18:00-19:00")) == CAL.premium_capacity


def test_a_bad_window_names_the_fix():
    with pytest.raises(ValueError, match="HH:MM-HH:MM"):
        parse_window("8 to 10")


def test_a_new_customer_gets_the_zones_habits():
    prior = ZonePrior({"08:00-10:00": 0.2, "18:00-20:00": 0.8}, pickup_share=0.3)
    prefs = learn_preferences([], prior)
    assert prefs.slot_share == pytest.approx({"08:00-10:00": 0.2, "18:00-20:00": 0.8})
    assert prefs.pickup_share == pytest.approx(0.3) and prefs.orders_seen == 0 and prefs.top_slot is None


def test_the_customers_own_orders_take_over_as_they_accumulate():
    prior = ZonePrior({"08:00-10:00": 0.2, "18:00-20:00": 0.8}, pickup_share=0.3)
    history = [PastOrder(5, "08:00-10:00", False)] * 12
    prefs = learn_preferences(history, prior)
    assert prefs.slot_affinity("08:00-10:00") == 1.0
    assert prefs.slot_share["08:00-10:00"] == pytest.approx((4 * 0.2 + 12) / 16)
    assert prefs.weekday_affinity(5) == 1.0 and prefs.weekday_affinity(0) < 0.1
    assert prefs.pickup_share < 0.1
    assert (prefs.top_slot, prefs.top_slot_count) == ("08:00-10:00", 12)


def test_zone_priors_count_customers_preferred_slots_with_smoothing():
    priors = zone_priors([("Z-1", "18:00-20:00", 0.5), ("Z-1", "18:00-20:00", 0.1), ("Z-2", "08:00-10:00", 0.0)], ["08:00-10:00", "18:00-20:00"])
    assert priors["Z-1"].slot_share == pytest.approx({"08:00-10:00": 0.25, "18:00-20:00": 0.75})
    assert priors["Z-1"].pickup_share == pytest.approx(0.3)
