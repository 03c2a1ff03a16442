"""Site selection: exact against brute force, capacities respected, bad input named."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import linprog

from optimizer.sites import SiteSelectionError, select_sites


def _best_assignment(demand, prob, capacity, open_sites) -> float:
    """Most expected pickup demand the open sites can take: the assignment LP, solved by HiGHS."""
    sites = list(open_sites)
    n = len(demand)
    if not sites:
        return 0.0
    w = demand[:, None] * prob[:, sites]  # (n, s)
    c = -w.ravel()
    rows, rhs = [], []
    for i in range(n):  # each customer's demand is shared out at most once
        row = np.zeros(n * len(sites))
        row[i * len(sites) : (i + 1) * len(sites)] = 1
        rows.append(row)
        rhs.append(1.0)
    for s, j in enumerate(sites):  # capacity of each open site
        row = np.zeros(n * len(sites))
        row[s :: len(sites)] = w[:, s]
        rows.append(row)
        rhs.append(capacity[j])
    res = linprog(c, A_ub=np.array(rows), b_ub=np.array(rhs), bounds=(0, 1), method="highs")
    assert res.status == 0
    return -res.fun


def _instance(seed: int, n: int = 9, m: int = 6):
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0.5, 3.0, n)
    prob = rng.uniform(0.0, 0.9, (n, m)) * (rng.random((n, m)) < 0.6)  # some sites out of reach
    capacity = rng.uniform(1.0, 6.0, m)
    daily_cost = rng.uniform(1.0, 4.0, m)
    return demand, prob, capacity, daily_cost


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("k", [1, 2, 3])
def test_coverage_matches_brute_force(seed, k):
    demand, prob, capacity, cost = _instance(seed)
    got = select_sites(demand, prob, capacity, cost, k=k)
    best = max(_best_assignment(demand, prob, capacity, s) for s in itertools.combinations(range(6), k))
    assert got.status == "optimal"
    assert len(got.chosen) == k
    assert got.covered_total == pytest.approx(best, abs=1e-6)
    # The chosen sites really achieve that coverage.
    assert _best_assignment(demand, prob, capacity, got.open_sites) == pytest.approx(best, abs=1e-6)


@pytest.mark.parametrize("seed", range(6))
def test_cost_objective_matches_brute_force_with_forced_open_site(seed):
    demand, prob, capacity, cost = _instance(seed)
    saving = 1.5  # currency per parcel moved to a point
    got = select_sites(demand, prob, capacity, cost, k=3, open_sites=[0], objective="cost", saving_per_parcel=saving)
    best = np.inf
    for r in range(0, 4):
        for subset in itertools.combinations(range(1, 6), r):
            sites = (0, *subset)
            value = cost[list(sites)].sum() - saving * _best_assignment(demand, prob, capacity, sites)
            best = min(best, value)
    assert 0 in got.open_sites and 0 not in got.chosen
    assert len(got.chosen) <= 3
    assert got.objective == pytest.approx(best, abs=1e-6)


def test_without_capacity_limits_each_customer_goes_to_the_most_attractive_open_site():
    demand = np.array([1.0, 2.0, 1.0])
    prob = np.array([[0.5, 0.1, 0.0], [0.2, 0.6, 0.0], [0.0, 0.3, 0.4]])
    got = select_sites(demand, prob, [100, 100, 100], [1, 1, 1], k=2)
    # {0,1}: 0.5 + 1.2 + 0.3 = 2.0; {1,2}: 0.1 + 1.2 + 0.4 = 1.7; {0,2}: 0.5 + 0.4 + 0.4 = 1.3
    assert got.chosen == [0, 1]
    assert got.covered_total == pytest.approx(2.0)
    np.testing.assert_allclose(got.covered_by_site, [0.5, 1.5, 0.0])


def test_capacity_caps_what_a_site_draws():
    demand = np.array([10.0, 10.0])
    prob = np.array([[0.5, 0.0], [0.5, 0.2]])
    got = select_sites(demand, prob, [4.0, 100.0], [0, 0], k=2)
    assert got.covered_by_site[0] == pytest.approx(4.0)
    # the customer who can use both overflows to site 1 (2 of their 5 expected parcels are left)
    assert got.covered_total == pytest.approx(4.0 + 2.0)
    assert np.all(got.utilization([4.0, 100.0]) <= 1.0 + 1e-9)


def test_a_site_that_costs_more_than_it_saves_is_not_opened():
    demand = np.array([1.0, 1.0])
    prob = np.array([[0.5, 0.0], [0.0, 0.5]])
    got = select_sites(demand, prob, [10, 10], [1.0, 100.0], k=None, objective="cost", saving_per_parcel=10.0)
    assert got.chosen == [0]  # site 0 saves 5 for 1; site 1 saves 5 for 100
    assert got.objective == pytest.approx(1.0 - 5.0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"k": 4}, "k=4 is larger than the number of candidates"),
        ({"k": -1}, "k=-1"),
        ({"k": None}, "needs the number of sites"),
        ({"k": 1, "objective": "profit"}, "objective 'profit' is unknown"),
        ({"k": 1, "open_sites": [7]}, "open_sites: 7"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(SiteSelectionError, match=message):
        select_sites([1.0], [[0.5, 0.5, 0.5]], [1, 1, 1], [1, 1, 1], **kwargs)


def test_negative_capacity_is_named():
    with pytest.raises(SiteSelectionError, match="capacity of site 1 is -5.0"):
        select_sites([1.0], [[0.5, 0.5]], [1, -5], [1, 1], k=1)


def test_forced_open_sites_do_not_count_towards_k():
    demand = np.ones(3)
    prob = np.eye(3) * 0.5
    got = select_sites(demand, prob, [9, 9, 9], [1, 1, 1], k=2, open_sites=[1])
    assert got.open_sites == [0, 1, 2]
    assert got.chosen == [0, 2]
    with pytest.raises(SiteSelectionError, match="k=3 is larger"):
        select_sites(demand, prob, [9, 9, 9], [1, 1, 1], k=3, open_sites=[1])


@pytest.mark.parametrize("seed", range(6))
def test_pruning_behind_an_open_site_that_never_fills_stays_exact(seed):
    demand, prob, capacity, cost = _instance(seed)
    capacity[0] = 1e6  # open today and never full: customers' weaker options are pruned
    got = select_sites(demand, prob, capacity, cost, k=2, open_sites=[0])
    best = max(_best_assignment(demand, prob, capacity, (0, *s)) for s in itertools.combinations(range(1, 6), 2))
    assert got.covered_total == pytest.approx(best, abs=1e-6)
