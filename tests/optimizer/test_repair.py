"""Repairing a plan found under the hull relaxation so that it holds under the exact windows."""

from __future__ import annotations

from optimizer.checker import check_routes
from optimizer.engine.repair import repair_windows

from tests.optimizer.builders import second_window_only, ten_minutes_late


def test_the_stop_served_in_the_gap_is_taken_off_and_the_rest_walks_in_time():
    p = second_window_only()
    routes, removed = repair_windows(p, [[1, 2, 3]], reinsert=False)  # PyVRP's hull plan: stop 1 at 09:00, in the gap
    assert (routes, removed) == ([[2, 3]], [1])
    assert check_routes(p, routes).feasible


def test_a_stop_taken_off_is_put_back_where_it_fits_the_exact_windows():
    p = second_window_only()
    routes, removed = repair_windows(p, [[1, 2, 3]])
    assert (routes, removed) == ([[2, 3, 1]], [])  # served in the evening, after the other two
    assert check_routes(p, routes).feasible


def test_a_stop_is_left_off_when_putting_it_back_costs_more_than_dropping_it():
    p = second_window_only()
    p.penalty[1] = 1000  # serving it in the evening costs about 26,000
    assert repair_windows(p, [[1, 2, 3]]) == ([[2, 3]], [1])


def test_a_plan_that_holds_is_left_as_it_is():
    p = second_window_only()
    assert repair_windows(p, [[2, 3, 1]]) == ([[2, 3, 1]], [])
    assert repair_windows(ten_minutes_late(), [[1, 2]]) == ([[1, 2]], [])  # late within the allowance holds


def test_a_stop_late_beyond_its_allowance_is_taken_off():
    p = ten_minutes_late(late_allowed_s=300)
    routes, removed = repair_windows(p, [[1, 2]])  # it cannot be put back anywhere either
    assert removed == [1] and check_routes(p, routes).feasible
