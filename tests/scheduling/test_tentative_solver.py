"""The tentative routes' re-solve goes through an injected solver; adoption stays the same."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from optimizer.problem import RoutingSolution
from scheduling.tentative import solve_here
from tests.scheduling.booking_world import DELIVERY
from tests.scheduling.test_tentative import book_spread, make_world, stops_and_cost


class Recording:
    """A solver that records what it was asked and answers with ``answer(problem, limit)``."""

    def __init__(self, answer=solve_here):
        self.answer = answer
        self.calls: list[tuple[int, float]] = []

    def __call__(self, problem, time_limit_s: float) -> RoutingSolution:
        self.calls.append((problem.n, time_limit_s))
        return self.answer(problem, time_limit_s)


def test_the_re_solve_asks_the_injected_solver_and_adopts_a_cheaper_complete_plan(tmp_path, gothenburg):
    w = make_world(f"sqlite:///{tmp_path / 't.db'}", gothenburg, vans=3)
    book_spread(w, 14)
    solver = Recording()
    w.plans.solver, w.plans.resolve_time_limit_s = solver, 1.0
    day = w.plans.day(DELIVERY.isoformat())
    stops, cost = stops_and_cost(day)
    w.plans.resolve(DELIVERY.isoformat())
    assert solver.calls == [(1 + len(stops), 1.0)]  # the depot and every routed stop, with the limit
    stops_after, cost_after = stops_and_cost(day)
    assert stops_after == stops and cost_after <= cost
    assert all(day.state.route_is_feasible(v) for v in range(len(day.state.routes)))


def test_a_solution_that_drops_a_stop_is_not_adopted(tmp_path, gothenburg):
    w = make_world(f"sqlite:///{tmp_path / 't.db'}", gothenburg, vans=3)
    book_spread(w, 8)

    def drops_one(problem, time_limit_s):
        solution = solve_here(problem, time_limit_s)
        victim = next(n for r in solution.routes for n in r)
        routes = [[n for n in r if n != victim] for r in solution.routes]
        return RoutingSolution(routes, [victim], solution.objective - 1, "test", 0.0)

    w.plans.solver = Recording(drops_one)
    day = w.plans.day(DELIVERY.isoformat())
    before = stops_and_cost(day)
    assert w.plans.resolve(DELIVERY.isoformat()) is False
    assert stops_and_cost(day) == before


def test_background_re_solves_run_the_injected_solver_on_the_executor(tmp_path, gothenburg):
    w = make_world(f"sqlite:///{tmp_path / 't.db'}", gothenburg, vans=3)
    executor = ThreadPoolExecutor(max_workers=1)
    solver = Recording()
    w.plans.executor, w.plans.solver, w.plans.resolve_every, w.plans.resolve_time_limit_s = executor, solver, 5, 0.5
    book_spread(w, 10)  # two triggers
    executor.shutdown(wait=True)
    assert len(solver.calls) >= 1 and all(limit == 0.5 for _, limit in solver.calls)
    day = w.plans.day(DELIVERY.isoformat())
    assert day.summary()["bookings"] == 10
    assert all(day.state.route_is_feasible(v) for v in range(len(day.state.routes)))


def test_the_default_solver_is_the_engine_in_this_process(tmp_path, gothenburg):
    w = make_world(f"sqlite:///{tmp_path / 't.db'}", gothenburg, vans=3)
    assert w.plans.solver is solve_here
