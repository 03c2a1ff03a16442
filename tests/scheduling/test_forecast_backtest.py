"""Acceptance on the Gothenburg scenario's generated two years (slow: about two minutes on 2 cores)."""

import datetime as dt

import pytest

from scenarios.history_gen import default_history_span, generate_history
from scenarios.promotions import demand_calendar
from scenarios.scenario import load_scenario
from scheduling.forecast.backtest import run_backtest
from scheduling.forecast import default_candidates


@pytest.mark.slow
def test_chosen_models_beat_seasonal_naive_by_15_percent_with_calibrated_80_percent_intervals():
    scenario = load_scenario("gothenburg")
    start, end = default_history_span(dt.date(2026, 11, 23))
    history = generate_history(scenario, start, end)
    daily = history.daily_orders()
    bt = run_backtest({z: daily[z] for z in daily.columns}, demand_calendar(scenario, start, end),
                      default_candidates(), origins=8, horizon=7)
    summary = bt.summary()
    assert summary["held_out_days"] == 8 * 7 * len(daily.columns)
    assert summary["improvement_vs_seasonal_naive"] >= 0.15
    assert 0.72 <= summary["coverage"] <= 0.88
    table = bt.table()
    assert (table["wape"] < table["wape_seasonal_naive"]).all()
    assert (table["mase"] < 1).all()
