"""PyVRP searches that hand each other their best solution: a search behind restarts from the
better one it receives, a search ahead posts its best, and several searches run side by side."""

from __future__ import annotations

import queue
import time
from pathlib import Path

import numpy as np
import pyvrp
import pytest

from optimizer.engine.exchange import Mailboxes, rebuild, recipe, search, search_on_cores

R101 = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "solomon" / "R101.vrp"


def load_r101(path: str) -> pyvrp.ProblemData:
    return pyvrp.read(path, round_func="dimacs")


@pytest.fixture(scope="module")
def data() -> pyvrp.ProblemData:
    return load_r101(str(R101))


@pytest.fixture(scope="module")
def good(data) -> pyvrp.Solution:
    """A solution a longer search found: far better than anything at the first iteration."""
    found = search(data, time.perf_counter() + 2.0, seed=7)
    assert found.best.is_feasible()
    return found.best


def iter_queue(q):
    while not q.empty():
        yield q.get()


def test_without_mail_it_is_one_plain_pyvrp_search_that_ends_at_its_deadline(data):
    deadline = time.perf_counter() + 1.0
    found = search(data, deadline, seed=1)
    assert found.best.is_feasible()
    assert found.cost == found.best.distance()
    assert found.adopted == 0 and found.iterations > 0
    assert time.perf_counter() >= deadline


def test_a_search_behind_restarts_from_the_better_solution_it_receives(data, good):
    inbox, outbox = queue.Queue(), queue.Queue()
    inbox.put((None, good.distance(), recipe(good)))
    random_start = pyvrp.Solution.make_random(data, pyvrp.RandomNumberGenerator(seed=3))
    found = search(data, time.perf_counter() + 0.5, seed=1, initial=random_start,
                   mail=Mailboxes(inbox, [outbox]), interval_s=0.0)
    assert found.adopted == 1
    assert found.best.is_feasible()
    assert found.cost <= good.distance()


def test_a_search_posts_its_improving_bests_and_each_post_is_the_solution_it_prices(data):
    inbox, outbox = queue.Queue(), queue.Queue()
    found = search(data, time.perf_counter() + 0.5, seed=2, mail=Mailboxes(inbox, [outbox]), interval_s=0.0)
    posts = []
    while not outbox.empty():
        posts.append(outbox.get())
    assert posts, "an improving search posts at least its first best"
    costs = [cost for _, cost, _ in posts]
    assert costs == sorted(costs, reverse=True) and len(set(costs)) == len(costs)  # only improvements
    for _, cost, payload in posts:
        solution = rebuild(data, payload)
        assert solution.is_feasible() and solution.distance() == cost
    assert found.cost <= costs[-1]
    assert found.adopted == 0  # nobody posted anything to it


def test_a_search_ahead_ignores_a_worse_offer(data, good):
    inbox, outbox = queue.Queue(), queue.Queue()
    worse = search(data, time.perf_counter() + 0.05, seed=5).best
    inbox.put((None, good.distance() + 1_000, recipe(worse)))
    found = search(data, time.perf_counter() + 0.3, seed=1, initial=good,
                   mail=Mailboxes(inbox, [outbox]), interval_s=0.0)
    assert found.adopted == 0
    assert found.cost <= good.distance()


def test_a_post_of_another_solve_is_read_and_ignored(data, good):
    inbox, outbox = queue.Queue(), queue.Queue()
    inbox.put(("solve 1", good.distance(), recipe(good)))  # late, from the solve before
    random_start = pyvrp.Solution.make_random(data, pyvrp.RandomNumberGenerator(seed=3))
    found = search(data, time.perf_counter() + 0.3, seed=1, initial=random_start,
                   mail=Mailboxes(inbox, [outbox], tag="solve 2"), interval_s=0.0)
    assert found.adopted == 0
    assert inbox.empty()
    assert all(tag == "solve 2" for tag, _, _ in iter_queue(outbox))


def test_the_callers_callbacks_hear_every_new_best_the_adopted_one_included(data, good):
    class Bests(pyvrp.IteratedLocalSearchCallbacks):
        def __init__(self):
            self.costs = []

        def on_best(self, best):
            self.costs.append(best.distance())

    heard = Bests()
    params = pyvrp.SolveParams(ils=pyvrp.IteratedLocalSearchParams(callbacks=heard))
    inbox, outbox = queue.Queue(), queue.Queue()
    inbox.put((None, good.distance(), recipe(good)))
    random_start = pyvrp.Solution.make_random(data, pyvrp.RandomNumberGenerator(seed=3))
    found = search(data, time.perf_counter() + 0.5, seed=1, params=params, initial=random_start,
                   mail=Mailboxes(inbox, [outbox]), interval_s=0.0)
    assert found.adopted == 1
    assert heard.costs and min(heard.costs) == found.cost <= good.distance()


def test_should_stop_ends_the_search_before_its_deadline(data):
    asked = []
    found = search(data, time.perf_counter() + 60.0, seed=1, should_stop=lambda: len(asked) > 50 or asked.append(1))
    assert found.best.is_feasible()
    assert found.iterations <= 52


@pytest.mark.parametrize("exchange", [False, True])
def test_searches_on_several_cores_each_return_their_best_in_seed_order(exchange):
    found = search_on_cores(load_r101, (str(R101),), 1.5, [4, 9], exchange=exchange, interval_s=0.2)
    assert [r.seed for r in found] == [4, 9]
    assert all(r.best.is_feasible() and r.iterations > 0 for r in found)
    if not exchange:
        assert all(r.adopted == 0 for r in found)


def load_broken(path: str) -> pyvrp.ProblemData:
    raise ValueError(f"cannot read {path}")


def test_a_search_that_cannot_load_its_data_is_reported_with_its_seed_and_reason():
    with pytest.raises(RuntimeError, match=r"seed 4 failed: ValueError\('cannot read nowhere.vrp'\)"):
        search_on_cores(load_broken, ("nowhere.vrp",), 30.0, [4], exchange=False)


def test_a_plan_crosses_to_another_search_with_its_fixed_vehicle_costs():
    """A pickled pyvrp.Solution would arrive with CostEvaluator.cost missing the fixed costs
    (PyVRP 0.14.1): the receiver would take it for a plan it can never beat and stop improving."""
    from optimizer.engine.pyvrp_solver import build_data
    from optimizer.problem import VehicleSpec
    from tests.optimizer.builders import make_problem

    rng = np.random.default_rng(1)
    coords = [(500, 500)] + [tuple(p) for p in rng.integers(0, 1000, size=(30, 2))]
    vans = [VehicleSpec(0, 8, 0, 5 * 3600, cost_per_m=4, cost_per_s=1, fixed_cost=2000)] * 6
    with_fixed = build_data(make_problem(coords, vehicles=vans, service=[0] + [120] * 30)).data
    sent = search(with_fixed, time.perf_counter() + 0.3, seed=1).best
    arrived = rebuild(with_fixed, recipe(sent))
    cost = pyvrp.CostEvaluator([0], 0, 0).cost
    assert sent.fixed_vehicle_cost() > 0
    assert cost(arrived) == cost(sent) == sent.distance_cost() + sent.duration_cost() + sent.fixed_vehicle_cost()
    assert recipe(arrived) == recipe(sent)
