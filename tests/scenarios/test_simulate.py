"""What-if simulation: choices sampled fairly across variants, repeatable days, Dask runs, clear errors."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import replace

import numpy as np
import pytest

from scenarios.candidates import make_point
from scenarios.pickup_model import pickup_options
from scenarios.planning import network_for
from scenarios.scenario import load_scenario
from scenarios.simulate import (
    RoutingSettings,
    SimulationConfig,
    SimulationError,
    build_tasks,
    dask_client,
    make_variants,
    run_simulation,
    sample_day,
    write_outputs,
)

DAY = dt.date(2026, 11, 24)
TIMINGS = ("wall_s", "cpu_s")
TINY = SimulationConfig(days=2, start=DAY, seed=7, routing=RoutingSettings(iterations=40, time_limit_s=20), n_orders=15)


@pytest.fixture(scope="module")
def scenario():
    s = load_scenario("gothenburg")
    if not s.customers:
        pytest.skip("gothenburg customers.csv not built")
    return s


@pytest.fixture(scope="module")
def network(scenario):
    return network_for(scenario)


@pytest.fixture(scope="module")
def setup(scenario, network):
    """Baseline and a variant adding the closed candidate nearest to most customers."""
    closed = [p for p in scenario.pickup_points if not p.active]
    options = pickup_options(scenario, network, closed)
    best = closed[int(np.argmax(options.prob.sum(axis=0)))]
    variants, points = make_variants(scenario, add=[best])
    return variants, points, best


def _tasks(scenario, network, setup, config):
    variants, points, _ = setup
    return build_tasks(scenario, pickup_options(scenario, network, points), variants, config)


def test_the_same_seed_gives_the_same_day_and_variants_share_their_draws(scenario, network, setup):
    config = replace(TINY, n_orders=300)
    base, variant = (t for t in _tasks(scenario, network, setup, config) if t.day == 1)
    orders_a, loads_a, _ = sample_day(scenario, base)
    orders_b, loads_b, _ = sample_day(scenario, base)
    assert orders_a == orders_b and loads_a == loads_b
    orders_v, loads_v, _ = sample_day(scenario, variant)
    # The same customers order the same parcels in both variants.
    assert [(o.customer_id, o.parcels) for o in orders_a] == [(o.customer_id, o.parcels) for o in orders_v]
    # Whoever collects at a baseline point keeps doing so unless the new point is nearer for them.
    new_id = setup[2].id
    by_customer = {o.customer_id: o for o in orders_v}
    for o in orders_a:
        if o.pickup_point_id:
            assert by_customer[o.customer_id].pickup_point_id in (o.pickup_point_id, new_id)
    assert sum(loads_v.values()) >= sum(loads_a.values())
    # A pickup order stops at the point, inside its opening hours.
    points = {p.id: p for p in setup[1]}
    for o in orders_v:
        if o.pickup_point_id:
            p = points[o.pickup_point_id]
            assert (o.lat, o.lon) == (p.lat, p.lon)
            assert p.opens <= o.window.start and o.window.end <= p.closes


def test_a_full_point_turns_customers_back_to_home_delivery(scenario, network, setup):
    config = replace(TINY, n_orders=300)
    base = next(t for t in _tasks(scenario, network, setup, config) if t.variant == "baseline")
    tiny_points = tuple(replace(p, capacity=2) for p in base.points)
    orders, loads, turned_away = sample_day(scenario, replace(base, points=tiny_points))
    assert all(v <= 2 for v in loads.values())
    assert turned_away > 0
    missed = [o for o in orders if o.first_choice and o.first_choice.startswith("pp-") and not o.pickup_point_id]
    assert len(missed) == turned_away  # they count as preference misses


@pytest.fixture(scope="module")
def tiny(scenario, network, setup):
    variants, points, _ = setup
    return run_simulation(scenario, network, variants, points, TINY)


def test_a_tiny_simulation_is_repeatable_and_charges_the_sites(scenario, network, setup, tiny):
    variants, points, best = setup
    first = tiny
    again = run_simulation(scenario, network, variants, points, TINY)
    strip = lambda rows: [{k: v for k, v in r.items() if k not in TIMINGS} for r in rows]  # noqa: E731
    assert strip(first.days) == strip(again.days)
    assert len(first.days) == 4 and {r["variant"] for r in first.days} == {"baseline", "variant"}
    for r in first.days:
        assert r["repeatable"]
        assert r["total_cost"] == pytest.approx(r["route_cost"] + r["site_cost"], abs=0.01)
        assert r["cost_per_order"] == pytest.approx(r["total_cost"] / r["served"], abs=0.01)
    base_cost = sum(p.daily_cost for p in scenario.active_pickup_points())
    assert {r["site_cost"] for r in first.days if r["variant"] == "baseline"} == {base_cost}
    assert {r["site_cost"] for r in first.days if r["variant"] == "variant"} == {base_cost + best.daily_cost}
    table = first.comparison()
    assert set(table.metric) == {"cost_per_order", "km", "on_time_rate", "pickup_share", "point_utilization", "unserved"}
    assert (table[table.variant == "baseline"].diff_vs_baseline == 0).all()


def test_outputs_are_csv_and_png(tiny, tmp_path):
    paths = write_outputs(tiny, tmp_path)
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths.values())
    assert paths["comparison_png"].read_bytes()[:4] == b"\x89PNG"
    assert "cost_per_order" in paths["days"].read_text().splitlines()[0]


@pytest.mark.slow
def test_days_on_a_local_dask_cluster_match_the_in_process_run(scenario, network, setup):
    variants, points, _ = setup
    config = replace(TINY, days=1)
    local = run_simulation(scenario, network, variants, points, config)
    with dask_client(n_workers=2) as client:
        remote = run_simulation(scenario, network, variants, points, config, client=client)
    assert remote.workers == 2
    strip = lambda rows: [{k: v for k, v in r.items() if k not in TIMINGS} for r in rows]  # noqa: E731
    assert strip(remote.days) == strip(local.days)


def test_an_unreachable_scheduler_fails_fast_with_a_clear_error():
    t0 = time.perf_counter()
    with pytest.raises(SimulationError, match="--scheduler tcp://127.0.0.1:9: no Dask scheduler answered within 2 s"):
        with dask_client("tcp://127.0.0.1:9", timeout_s=2):
            pass
    assert time.perf_counter() - t0 < 15


def test_variant_errors_name_the_site(scenario):
    open_id = scenario.active_pickup_points()[0].id
    with pytest.raises(SimulationError, match="--remove-site pp-nowhere: not a point open today"):
        make_variants(scenario, remove=["pp-nowhere"])
    with pytest.raises(SimulationError, match=f"--add-site {open_id}: already open"):
        make_variants(scenario, add=[scenario.active_pickup_points()[0]])
    p = make_point(57.70, 11.96)
    with pytest.raises(SimulationError, match="given twice"):
        make_variants(scenario, add=[p, p])
    variants, _ = make_variants(scenario, remove=[open_id])
    assert open_id not in variants[1].open_ids and len(variants[1].open_ids) == len(variants[0].open_ids) - 1


@pytest.mark.parametrize(
    "kwargs, message",
    [({"days": 0}, "--days 0"), ({"n_orders": 0}, "orders per day 0")],
)
def test_config_errors(kwargs, message):
    with pytest.raises(SimulationError, match=message):
        SimulationConfig(**kwargs)
    with pytest.raises(SimulationError, match="routing engine 'fast' is unknown"):
        RoutingSettings(engine="fast")
