"""Cheapest insertion: O(1) position checks agree with re-simulating every route by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer.insertion import (
    Candidate,
    TentativeRoutes,
    apply_insertion,
    cheapest_insertion,
    cheapest_insertions,
    growth_fits,
    plan_cost,
    remove_node,
)
from optimizer.problem import VehicleSpec


def line_matrices(xs: list[float], speed_mps: float = 10.0) -> tuple[np.ndarray, np.ndarray]:
    """Points on a line: metres apart |x_i - x_j|, seconds at ``speed_mps`` (triangle inequality holds)."""
    x = np.asarray(xs, dtype=float)
    metres = np.abs(x[:, None] - x[None, :]).round().astype(np.int64)
    return (metres / speed_mps).round().astype(np.int64), metres


def make_state(xs, windows, service=60, demand=1, capacity=10, shift=(0, 10_000), vehicles=1) -> TentativeRoutes:
    duration, distance = line_matrices(xs)
    n = len(xs)
    tw = np.array([(shift[0], shift[1])] + list(windows), dtype=np.int64)
    return TentativeRoutes(
        duration=duration,
        distance=distance,
        tw_start=tw[:, 0].copy(),
        tw_end=tw[:, 1].copy(),
        service=np.array([0] + [service] * (n - 1), dtype=np.int64),
        demand=np.array([0] + [demand] * (n - 1), dtype=np.int64),
        vehicles=[VehicleSpec(depot=0, capacity=capacity, shift_start=shift[0], shift_end=shift[1], cost_per_m=4, cost_per_s=89, fixed_cost=600_000)] * vehicles,
        routes=[[] for _ in range(vehicles)],
    )


def simulate(state: TentativeRoutes, vehicle: int, route: list[int]) -> bool:
    """Feasibility the slow way: drive the route, wait for windows, check shift and load."""
    veh = state.vehicles[vehicle]
    t, prev = veh.shift_start, veh.depot
    for node in route:
        t = max(t + int(state.duration[prev, node]), int(state.tw_start[node]))
        if t > state.tw_end[node]:
            return False
        t += int(state.service[node])
        prev = node
    t += int(state.duration[prev, veh.depot])
    return t <= veh.shift_end and sum(int(state.demand[n]) for n in route) <= veh.capacity


def test_a_stop_on_the_way_costs_only_its_handling_time():
    state = make_state([0, 1000, 2000, 3000], [(0, 10_000)] * 3)
    state.routes[0] = [1, 3]
    found = cheapest_insertion(state, Candidate(node=2, tw_start=0, tw_end=10_000, service_s=60, demand=1))
    assert found is not None and found.position == 1
    assert found.extra_m == 0
    assert found.extra_s == 60
    assert found.cost == 60 * 89


def test_a_window_that_cannot_be_reached_is_refused():
    state = make_state([0, 1000, 50_000], [(0, 10_000), (0, 10_000)], shift=(0, 12_000))
    # 50 km at 10 m/s is 5000 s: a window closing at 4000 s is out of reach.
    assert cheapest_insertion(state, Candidate(2, 0, 4000, 60, 1)) is None
    assert cheapest_insertion(state, Candidate(2, 0, 6000, 60, 1)) is not None


def test_a_full_van_takes_no_more_parcels():
    state = make_state([0, 100, 200], [(0, 10_000)] * 2, demand=5, capacity=8)
    state.routes[0] = [1]
    assert cheapest_insertion(state, Candidate(2, 0, 10_000, 60, 5)) is None
    assert cheapest_insertion(state, Candidate(2, 0, 10_000, 60, 3)) is not None


def test_opening_an_unused_van_charges_a_share_of_its_fixed_cost():
    state = make_state([0, 1000], [(0, 10_000)])
    found = cheapest_insertion(state, Candidate(1, 0, 10_000, 60, 1))
    assert found.opens_vehicle
    assert found.cost == 2000 * 4 + (200 + 60) * 89 + round(600_000 * state.fixed_cost_share)


def test_removing_a_stop_keeps_the_route_feasible_and_cheaper():
    state = make_state([0, 1000, 2000, 3000], [(0, 10_000)] * 3)
    state.routes[0] = [1, 2, 3]
    before = plan_cost(state)
    assert remove_node(state, 2)
    assert state.route_is_feasible(0) and plan_cost(state) < before
    assert not remove_node(state, 2)


def test_a_pickup_stop_grows_only_while_the_next_window_holds():
    state = make_state([0, 1000, 1000], [(0, 10_000), (0, 200)], service=100)
    state.routes[0] = [1, 2]  # node 2 is at the same place and must start by 200 s
    fits, cost = growth_fits(state, 1, extra_service_s=20, extra_demand=1)
    assert not fits  # 100 s drive + 100 s handling already reaches 200 s
    state.tw_end[2] = 400
    state.invalidate()
    fits, cost = growth_fits(state, 1, extra_service_s=20, extra_demand=1)
    assert fits and cost == 20 * 89


def build_routes(state: TentativeRoutes, nodes: list[int], vehicles: int) -> None:
    """Put ``nodes`` on routes at the first position the slow check accepts (skip those that fit nowhere)."""
    for node in nodes:
        for v in range(vehicles):
            placed = False
            for p in range(len(state.routes[v]) + 1):
                trial = state.routes[v][:p] + [node] + state.routes[v][p:]
                if simulate(state, v, trial):
                    state.routes[v] = trial
                    placed = True
                    break
            if placed:
                break
    state.invalidate()


@settings(max_examples=60, deadline=None)
@given(
    xs=st.lists(st.integers(-20_000, 20_000), min_size=3, max_size=9),
    starts=st.lists(st.integers(0, 6000), min_size=8, max_size=8),
    widths=st.lists(st.integers(300, 4000), min_size=8, max_size=8),
    order=st.permutations(list(range(8))),
    n_routed=st.integers(0, 7),
)
def test_insertion_is_feasible_exactly_when_a_slow_check_finds_a_place(xs, starts, widths, order, n_routed):
    """Whatever the instance, the O(1) checks accept a stop iff re-simulating some position does,
    and the position chosen re-simulates as feasible."""
    n = len(xs)
    windows = [(starts[i], starts[i] + widths[i]) for i in range(n - 1)]
    state = make_state([0, *xs[1:]], windows, shift=(0, 12_000), capacity=4, vehicles=2)
    stops = [o + 1 for o in order if o + 1 < n]
    *routed, target = stops
    build_routes(state, routed[:n_routed], 2)
    cand = Candidate(target, int(state.tw_start[target]), int(state.tw_end[target]), int(state.service[target]), 1)
    found = cheapest_insertion(state, cand)
    feasible = [
        (v, p)
        for v in range(2)
        for p in range(len(state.routes[v]) + 1)
        if simulate(state, v, state.routes[v][:p] + [target] + state.routes[v][p:])
    ]
    assert (found is None) == (not feasible)
    if found is None:
        return
    assert (found.vehicle, found.position) in feasible or not state.routes[found.vehicle]
    apply_insertion(state, target, found)
    assert simulate(state, found.vehicle, state.routes[found.vehicle])
    assert state.route_is_feasible(found.vehicle)


@settings(max_examples=40, deadline=None)
@given(xs=st.lists(st.integers(-20_000, 20_000), min_size=3, max_size=9), order=st.permutations(list(range(8))))
def test_without_waiting_the_cost_is_the_exact_added_distance_and_time(xs, order):
    """With open windows nobody waits, so the marginal cost is exactly the plan's cost difference."""
    n = len(xs)
    state = make_state([0, *xs[1:]], [(0, 20_000)] * (n - 1), shift=(0, 20_000), capacity=10, vehicles=1)
    stops = [o + 1 for o in order if o + 1 < n]
    *routed, target = stops
    build_routes(state, routed, 1)
    found = cheapest_insertion(state, Candidate(target, 0, 20_000, 60, 1))
    base = plan_cost(state)
    best = None
    for p in range(len(state.routes[0]) + 1):
        trial = state.routes[0][:p] + [target] + state.routes[0][p:]
        old, state.routes[0] = state.routes[0], trial
        extra = plan_cost(state) - base
        state.routes[0] = old
        best = extra if best is None else min(best, extra)
    if not state.routes[0]:
        best += round(600_000 * state.fixed_cost_share)
    assert found.cost == best


def test_an_early_window_on_a_late_route_charges_the_drivers_waiting_day():
    """A van that only has an evening stop would have to leave in the morning: that costs hours."""
    state = make_state([0, 1000, 1000], [(18 * 3600, 20 * 3600), (8 * 3600, 10 * 3600)], shift=(8 * 3600, 20 * 3600 + 600), vehicles=1)
    state.routes[0] = [1]
    state.invalidate()
    found = cheapest_insertion(state, Candidate(2, 8 * 3600, 10 * 3600, 60, 1))
    assert found is not None and found.extra_m == 0
    assert found.extra_s >= 8 * 3600  # from about 17:58 back to before 10:00


@pytest.mark.parametrize("vehicles", [1, 3])
def test_identical_unused_vans_are_tried_once(vehicles):
    state = make_state([0, 1000], [(0, 10_000)], vehicles=vehicles)
    assert cheapest_insertion(state, Candidate(1, 0, 10_000, 60, 1)).vehicle == 0


@settings(max_examples=40, deadline=None)
@given(
    xs=st.lists(st.integers(-20_000, 20_000), min_size=4, max_size=9),
    starts=st.lists(st.integers(0, 6000), min_size=8, max_size=8),
    order=st.permutations(list(range(8))),
    probe_windows=st.lists(st.tuples(st.integers(0, 9000), st.integers(300, 4000)), min_size=1, max_size=6),
)
def test_many_windows_at_once_agree_with_one_at_a_time(xs, starts, order, probe_windows):
    n = len(xs)
    state = make_state([0, *xs[1:]], [(starts[i], starts[i] + 2000) for i in range(n - 1)], shift=(0, 12_000), capacity=4, vehicles=3)
    stops = [o + 1 for o in order if o + 1 < n]
    *routed, target = stops
    build_routes(state, routed, 3)
    windows = np.array([(a, a + w) for a, w in probe_windows])
    together = cheapest_insertions(state, target, windows, 60, 1)
    for (a, b), found in zip(windows, together):
        alone = cheapest_insertion(state, Candidate(target, int(a), int(b), 60, 1))
        assert (alone is None) == (found is None)
        if alone is not None:
            assert alone.cost == found.cost and alone.extra_s == found.extra_s
