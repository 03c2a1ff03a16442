"""Acceptance: the December 2025 run-up on the Gothenburg scenario's generated history (slow, ~1 min).

The product end to end, as ``lastmile forecast --start <Monday> --horizon 14`` runs it: from each
Monday 2025-11-03 .. 2025-12-15, on the two years before it, against what the history then held.
"""

import datetime as dt

import pandas as pd
import pytest

from scenarios.demand import scenario_forecast
from scenarios.history_gen import default_history_span, generate_history
from scenarios.scenario import load_scenario

MONDAYS = [dt.date(2025, 11, 3) + dt.timedelta(weeks=k) for k in range(7)]


@pytest.mark.slow
def test_december_city_bias_within_5_percent_zone_wape_15_percent_and_calibrated_intervals():
    scenario = load_scenario("gothenburg")
    history = generate_history(scenario, dt.date(2023, 11, 1), dt.date(2025, 12, 31))
    daily = history.daily_orders()
    frames, weekly_bias = [], []
    for monday in MONDAYS:
        first, last = default_history_span(monday - dt.timedelta(days=1))
        fc = scenario_forecast(scenario, monday, horizon=14, history=history.between(first, last))
        zd = fc.zone_days()
        zd["actual"] = [daily.at[pd.Timestamp(d), z] for z, d in zip(zd["zone"], zd["date"])]
        city = zd.groupby("date")[["forecast", "actual"]].sum()
        assert city["forecast"].to_numpy() == pytest.approx(fc.city.daily.median)  # zones add up to the city
        weekly_bias += [city.iloc[w:w + 7]["forecast"].sum() / city.iloc[w:w + 7]["actual"].sum() - 1 for w in (0, 7)]
        frames.append(zd)
    zd = pd.concat(frames)
    assert max(abs(b) for b in weekly_bias) <= 0.05
    assert (zd["forecast"] - zd["actual"]).abs().sum() / zd["actual"].sum() <= 0.15
    coverage = ((zd["actual"] >= zd["lower"]) & (zd["actual"] <= zd["upper"])).mean()
    assert 0.75 <= coverage <= 0.85
