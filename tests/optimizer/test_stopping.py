"""Stopping a solve early: each engine ends at its next step and keeps a sound plan."""

from __future__ import annotations

import threading

import pytest

from optimizer.checker import check_solution
from optimizer.engine.ortools_solver import solve_ortools
from optimizer.engine.portfolio import solve, warm_up
from optimizer.engine.pyvrp_solver import solve_pyvrp
from optimizer.engine.stopping import current_stop_check, stop_when
from tests.optimizer.test_portfolio import random_day

LONG_S = 60.0  # a budget no stopped solve comes near


@pytest.fixture(scope="module", autouse=True)
def worker():
    warm_up()


def after_calls(n: int):
    """A stop check that says stop from its ``n``-th question on."""
    asked = [0]

    def check() -> bool:
        asked[0] += 1
        return asked[0] >= n

    return check


def test_ortools_finishes_its_search_at_the_solution_after_the_stop_and_keeps_it():
    problem = random_day(3, n=40)
    solution = solve_ortools(problem, LONG_S, should_stop=after_calls(3))
    assert solution.meta["stopped_early"] is True
    assert solution.wall_s < LONG_S / 4
    assert check_solution(problem, solution).kinds() <= {"unserved"}


def test_pyvrp_ends_at_the_iteration_after_the_stop():
    problem = random_day(4, n=40)
    solution = solve_pyvrp(problem, LONG_S, should_stop=after_calls(50))
    assert solution.meta["stopped_early"] is True
    assert solution.meta["iterations"] < 100
    assert check_solution(problem, solution).kinds() <= {"unserved"}


@pytest.mark.parametrize("engine", ["auto", "ortools", "pyvrp"])
def test_a_stopped_portfolio_solve_returns_its_best_sound_plan_long_before_the_limit(engine):
    problem = random_day(5, n=40)
    stop = threading.Event()
    stop.set()  # asked before the first solution: each engine still gives a plan
    solution = solve(problem, LONG_S, engine=engine, should_stop=stop.is_set)
    assert solution.meta["stopped_early"] is True
    assert solution.wall_s < LONG_S / 4
    assert check_solution(problem, solution).kinds() <= {"unserved"}
    if engine == "auto":
        assert "pyvrp_error" not in solution.meta  # PyVRP was told to stop, not lost
        assert "pyvrp" in solution.meta["engines"]


def test_stop_when_sets_the_check_for_solves_deep_in_a_call_and_only_within_the_block():
    problem = random_day(6, n=20)
    stop = threading.Event()
    stop.set()
    with stop_when(stop.is_set):
        assert current_stop_check() is not None
        solution = solve(problem, LONG_S)
    assert current_stop_check() is None
    assert solution.meta["stopped_early"] is True
    assert check_solution(problem, solution).kinds() <= {"unserved"}


def test_the_worker_forgets_a_stop_that_came_after_its_job_ended():
    problem = random_day(7, n=20)
    stop = threading.Event()
    stop.set()
    solve(problem, LONG_S, should_stop=stop.is_set)
    later = solve(problem, 1.0)  # no stop: PyVRP runs its full second
    assert "stopped_early" not in later.meta
    assert later.meta["engines"]["pyvrp"]["wall_s"] >= 0.5
