"""How many cores a solve may use, and the portfolio on one core."""

import os
import threading

import pytest

from optimizer.checker import check_solution
from optimizer.engine import portfolio
from optimizer.engine.cores import machine_cores, solve_cores, using_cores
from optimizer.engine.ortools_solver import solve_ortools
from tests.optimizer.test_portfolio import random_day


def test_outside_any_block_a_solve_may_use_the_cores_this_process_may_run_on():
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert machine_cores() == expected
    assert solve_cores() == expected


def test_an_explicit_count_wins_over_the_block_and_the_innermost_block_wins():
    with using_cores(3):
        assert solve_cores() == 3
        with using_cores(1):
            assert solve_cores() == 1
        assert solve_cores() == 3
        assert solve_cores(2) == 2
    assert solve_cores() == machine_cores()


def test_the_count_belongs_to_the_thread_that_set_it():
    seen = []
    with using_cores(1):
        t = threading.Thread(target=lambda: seen.append(solve_cores()))
        t.start()
        t.join()
    assert seen == [machine_cores()]


@pytest.mark.parametrize("bad", [0, -2])
def test_fewer_than_one_core_is_refused_naming_the_field(bad):
    with pytest.raises(ValueError, match=r"^cores: .*give 1 or more"):
        with using_cores(bad):
            pass
    with pytest.raises(ValueError, match=r"^cores: .*give 1 or more"):
        solve_cores(bad)


def test_on_one_core_auto_is_pyvrp_in_this_process_judged_and_accepted_by_ortools(monkeypatch):
    def no_second_process():
        raise AssertionError("a one-core solve must not start the PyVRP process")

    monkeypatch.setattr(portfolio, "_get_worker", no_second_process)
    problem = random_day(11)
    improvements = []
    with using_cores(1):
        solution = portfolio.solve(problem, 1.5, progress=lambda t, cost: improvements.append(cost))
    report = check_solution(problem, solution)
    assert solution.engine == "pyvrp+ortools" and solution.meta["cores"] == 1
    assert "fallback" not in solution.meta and "ortools" not in solution.meta["engines"]
    assert solution.meta["engines"]["pyvrp"]["ortools_objective"] is not None
    assert report.feasible and solution.objective == report.objective
    assert improvements and improvements[-1] == solution.objective  # the page sees the judged price last
    assert solution.objective <= check_solution(problem, solve_ortools(problem, 1.5)).objective * 1.02


def test_on_one_core_a_plan_pyvrp_cannot_make_sound_goes_to_ortools_with_the_reason(monkeypatch):
    problem = random_day(12, n=12)
    real = portfolio.solve_pyvrp

    def broken(*args, **kwargs):
        sol = real(*args, **kwargs)
        route = next(r for r in sol.routes if r)
        route.append(route[0])  # the same stop twice: never sound
        return sol

    monkeypatch.setattr(portfolio, "solve_pyvrp", broken)
    solution = portfolio.solve(problem, 1.0, cores=1)
    assert solution.engine == "ortools"
    assert solution.meta["fallback"].startswith("one core: PyVRP found no plan")
    assert check_solution(problem, solution).feasible
