"""Site planning on the Gothenburg scenario: customers' options, expected demand, chosen sites."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from optimizer.sites import SiteSelectionError
from scenarios.pickup_model import (
    customer_history,
    mean_parcels_per_order,
    parcels_per_customer_day,
    pickup_options,
    saving_per_order,
)
from scenarios.planning import network_for
from scenarios.scenario import Customer, PickupPoint, load_scenario
from scenarios.siteplan import catchments_geojson, plan_sites


@pytest.fixture(scope="module")
def small():
    """Gothenburg with its 8 open points and the 6 closed candidates nearest the centre."""
    s = load_scenario("gothenburg")
    if not s.customers:
        pytest.skip("gothenburg customers.csv not built")
    closed = sorted((p for p in s.pickup_points if not p.active), key=lambda p: (p.lat - 57.70) ** 2 + (p.lon - 11.97) ** 2)
    return replace(s, pickup_points=s.active_pickup_points() + closed[:6])


def test_history_is_the_customers_own_share_at_their_point():
    point = PickupPoint("pp-a", "A", 57.7, 11.9, "locker", 60, 0, 86400, 150.0, True)
    customers = [
        Customer("c1", 57.7, 11.9, "x", "z", "ordinary", "08:00-10:00", 0.4, "pp-a"),
        Customer("c2", 57.7, 11.9, "x", "z", "ordinary", "08:00-10:00", 0.0, ""),
    ]
    h = customer_history(customers, [point], np.array([[350.0], [200.0]]))
    assert h.past_share[0] == 0.4 and h.past_walk_m[0] == 350.0
    assert np.isnan(h.past_share[1]) and np.isnan(h.past_walk_m[1])


def test_demand_and_saving_follow_the_scenario(small):
    parcels = mean_parcels_per_order(small)
    assert parcels == pytest.approx(0.6 * 1 + 0.25 * 2 + 0.1 * 3 + 0.05 * 5)
    # about 272 orders a day on average over the week, spread over 4000 customers
    assert parcels_per_customer_day(small) == pytest.approx(300 * 6.35 / 7 / 4000 * parcels, rel=1e-6)
    assert 10 < saving_per_order(small) < 60


def test_options_reproduce_todays_pickup_share(small):
    options = pickup_options(small, network_for(small), small.pickup_points)
    _, _, prob = options.nearest_open([p.id for p in small.active_pickup_points()])
    affinity = np.array([c.pickup_affinity for c in small.customers])
    # habit weight 1: at the distance they walk today customers keep their own share
    assert prob.mean() == pytest.approx(affinity.mean(), abs=0.01)
    assert options.catchment_counts().shape == (len(small.pickup_points), 3)
    assert np.all(np.diff(options.catchment_counts(), axis=1) >= 0)


def test_plan_sites_keeps_todays_points_and_adds_k(small):
    plan = plan_sites(small, network_for(small), k=2)
    today = {p.id for p in small.active_pickup_points()}
    chosen = {p.id for p in plan.chosen_points()}
    assert len(chosen) == 2 and not chosen & today
    assert plan.selection.status == "optimal"
    assert plan.selection.covered_total > plan.today.covered_total
    rows = plan.rows()
    assert [r["status"] for r in rows].count("new") == 2 and len(rows) == len(today) + 2
    assert all(r["customers_300m"] <= r["customers_600m"] <= r["customers_1000m"] for r in rows)


def test_the_cost_objective_opens_only_what_pays_back(small):
    net = network_for(small)
    assert plan_sites(small, net, k=3, objective="cost", saving_per_order_override=0.0).selection.chosen == []
    generous = plan_sites(small, net, k=3, objective="cost", saving_per_order_override=1000.0)
    assert len(generous.selection.chosen) == 3


def test_k_larger_than_the_candidates_is_refused(small):
    with pytest.raises(SiteSelectionError, match="k=7 is larger than the number of candidates that could be opened \\(6\\)"):
        plan_sites(small, network_for(small), k=7)


def test_catchments_are_geojson_polygons_per_site_and_radius(small):
    point = small.active_pickup_points()[0]
    fc = catchments_geojson(network_for(small), [point])
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 3
    assert {f["properties"]["radius_m"] for f in fc["features"]} == {300.0, 600.0, 1000.0}
    assert all(f["properties"]["site_id"] == point.id and f["geometry"]["type"] == "Polygon" for f in fc["features"])
