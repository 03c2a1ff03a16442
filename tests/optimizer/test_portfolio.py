"""The portfolio keeps the best sound plan and never loses to OR-Tools alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from optimizer.checker import check_solution
from optimizer.engine.ortools_solver import solve_ortools
from optimizer.engine.portfolio import solve, warm_up
from optimizer.problem import VehicleSpec
from optimizer.vrplib import read_problem

from tests.optimizer.builders import make_problem

SOLOMON = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "solomon"


@pytest.fixture(scope="module", autouse=True)
def worker():
    """Start the PyVRP worker once, as an application would at start-up."""
    warm_up()


def random_day(seed: int, n: int = 30, locks: dict | None = None):
    """A small day: 1 km square, 1-hour windows over 4 h, labour and fixed costs, optional stops."""
    rng = np.random.default_rng(seed)
    coords = [(500, 500)] + [tuple(p) for p in rng.integers(0, 1000, size=(n, 2))]
    opens = rng.integers(0, 3 * 3600, size=n)
    windows = [(0, 5 * 3600)] + [(int(o), int(o) + 3600) for o in opens]
    vans = [VehicleSpec(0, 8, 0, 5 * 3600, cost_per_m=4, cost_per_s=1, fixed_cost=2000)] * 6
    return make_problem(
        coords,
        vehicles=vans,
        windows=windows,
        service=[0] + [120] * n,
        penalty=[0] + [20_000] * n,
        allowed_vehicles=locks,
    )


def test_auto_is_never_worse_than_ortools_alone_and_passes_the_checker():
    problem = random_day(1)
    alone = solve_ortools(problem, 1.5)
    portfolio = solve(problem, 1.5)
    report = check_solution(problem, portfolio)
    assert report.feasible, report.violations
    assert portfolio.objective == report.objective
    assert portfolio.objective <= check_solution(problem, alone).objective
    assert set(portfolio.meta["engines"]) == {"pyvrp", "pyvrp_worker"}  # both cores searched
    assert portfolio.wall_s < 1.5 + 1.0


# Two cores: two PyVRP searches that trade plans; OR-Tools validates, polishes relaxed days and
# is the safety net when PyVRP has no feasible plan


def test_on_two_cores_both_searches_run_trade_plans_and_the_kept_one_is_accepted_by_ortools():
    problem = read_problem(SOLOMON / "R101.vrp")
    solution = solve(problem, 3.0, cores=2)
    report = check_solution(problem, solution)
    assert report.feasible, report.violations
    assert solution.engine == "pyvrp+ortools"
    assert set(solution.meta["exchange"]) == {"pyvrp", "pyvrp_worker"}
    accepted = [e for e in solution.meta["engines"].values() if e.get("ortools_objective") is not None]
    assert len(accepted) == 1 and solution.objective == min(e["objective"] for e in solution.meta["engines"].values())
    assert "fallback" not in solution.meta and "ortools" not in solution.meta["engines"]


def test_a_search_that_never_improves_on_its_first_plan_still_counts_it_and_waits_for_the_worker():
    """Three stops in a row: the first local search finds the best plan, so no later best is
    ever reported; that first plan must keep this core from giving up halfway, and the worker's
    plan is awaited to the end of the search."""
    problem = make_problem([(0, 0), (10, 0), (20, 0), (30, 0)])
    solution = solve(problem, 4.0, cores=2)
    assert check_solution(problem, solution).feasible
    assert "pyvrp_error" not in solution.meta and "fallback_leg" not in solution.meta
    assert solution.meta["engines"]["pyvrp"]["sound"] and solution.meta["engines"]["pyvrp_worker"]["sound"]
    assert solution.meta["timeline"]["pyvrp"] >= 0.5 * 4.0  # this core searched past the give-up point


def test_a_day_pyvrp_cannot_serve_whole_gets_ortools_from_scratch_as_the_safety_net():
    """30 required stops, two vans of 8 parcels: PyVRP has no feasible plan, so halfway through
    this core's search gives up and OR-Tools plans the day, leaving out only what cannot fit."""
    rng = np.random.default_rng(4)
    coords = [(500, 500)] + [tuple(p) for p in rng.integers(0, 1000, size=(30, 2))]
    problem = make_problem(coords, vehicles=[VehicleSpec(0, 8, 0, 5 * 3600)] * 2)
    solution = solve(problem, 2.0, cores=2)
    report = check_solution(problem, solution)
    assert report.kinds() <= {"unserved"}
    assert len(report.dropped_required) == 30 - 16
    assert solution.engine == "ortools"
    assert solution.meta["engines"]["pyvrp"]["sound"] is False
    assert "OR-Tools from scratch" in solution.meta["fallback_leg"]


def test_on_two_cores_pyvrps_plan_under_relaxed_soft_windows_is_polished_by_ortools_while_the_worker_searches_on():
    p = ten_minutes_late()
    solution = solve(p, 2.0, cores=2)
    assert {"pyvrp", "polish", "pyvrp_worker"} <= set(solution.meta["engines"])
    assert solution.engine in ("pyvrp+ortools", "pyvrp+ortools-polish")
    assert check_solution(p, solution).feasible


def test_locks_keep_pyvrp_in_the_relay_and_every_plan_respects_them():
    locks = {5: [3], 8: [3], 12: [0, 1], 20: [4]}
    problem = random_day(2, locks=locks)
    solution = solve(problem, 1.5)
    assert "fallback" not in solution.meta
    assert solution.meta["engines"]["pyvrp"]["sound"]
    for label, entry in solution.meta["engines"].items():
        assert entry["sound"], label  # no engine's plan broke a lock
    report = check_solution(problem, solution)
    assert report.feasible, report.violations
    for node, allowed in locks.items():
        assert any(node in solution.routes[v] for v in allowed) or node in solution.dropped


def test_a_mixed_locked_and_unlocked_day_is_no_worse_than_ortools_alone():
    rng = np.random.default_rng(7)
    locks = {int(s): [int(rng.integers(0, 6))] for s in rng.choice(range(1, 31), size=6, replace=False)}
    problem = random_day(6, locks=locks)
    alone = solve_ortools(problem, 1.5)
    portfolio = solve(problem, 1.5)
    report = check_solution(problem, portfolio)
    assert report.feasible, report.violations
    assert "fallback" not in portfolio.meta
    assert portfolio.objective <= check_solution(problem, alone).objective


def test_engine_pyvrp_with_locks_is_pyvrp():
    problem = random_day(3, n=10, locks={2: [0]})
    solution = solve(problem, 0.5, engine="pyvrp")
    assert solution.engine == "pyvrp"
    assert "fallback" not in solution.meta
    assert check_solution(problem, solution).feasible


def test_a_pyvrp_plan_that_takes_a_prohibitive_edge_is_refused(monkeypatch):
    """Should PyVRP ever hand back a locked stop on another van, the checker names it and the
    portfolio keeps OR-Tools' plan instead."""
    from optimizer.engine import portfolio
    from optimizer.problem import RoutingSolution

    problem = random_day(3, n=10, locks={2: [0]})

    def wrong_van(problem, *args, **kwargs):
        routes = [[] for _ in problem.vehicles]
        routes[1] = [2]
        others = [s for s in problem.stop_nodes() if s != 2]
        return RoutingSolution(routes, others, 0, "pyvrp", 0.0, meta={"feasible": True})

    monkeypatch.setattr(portfolio, "solve_pyvrp", wrong_van)
    solution = solve(problem, 0.5, engine="pyvrp")
    assert solution.engine == "ortools"
    assert solution.meta["fallback"] == "pyvrp found no sound plan"
    assert solution.meta["engines"]["pyvrp"]["sound"] is False
    assert check_solution(problem, solution).feasible


def test_locks_whose_profiles_would_not_fit_leave_the_problem_to_ortools(monkeypatch):
    from optimizer.engine import portfolio, pyvrp_solver

    monkeypatch.setattr(pyvrp_solver, "PROFILE_BYTES_LIMIT", 1000)
    problem = random_day(4, n=10, locks={2: [0]})
    solution = solve(problem, 0.5)
    assert solution.engine == "ortools"
    assert "routing profiles" in solution.meta["fallback"]
    assert check_solution(problem, solution).feasible


def test_engine_ortools_alone_reports_the_checker_price():
    problem = random_day(4, n=10)
    solution = solve(problem, 0.5, engine="ortools")
    assert solution.engine == "ortools"
    assert solution.objective == check_solution(problem, solution).objective


def test_unknown_engine_is_a_value_error():
    with pytest.raises(ValueError, match="unknown engine 'gurobi'"):
        solve(random_day(5, n=5), 0.5, engine="gurobi")


def test_a_solomon_instance_in_two_seconds_is_feasible_and_close_to_best_known():
    problem = read_problem(SOLOMON / "C101.vrp")
    solution = solve(problem, 2.0)
    report = check_solution(problem, solution)
    assert report.feasible, report.violations
    assert report.distance <= 8273 * 1.02  # best-known 827.3


@pytest.mark.parametrize(
    "case, expected_dropped",
    [
        ("no stops", []),
        ("too heavy", [2]),
        ("empty window", [2]),
        ("unreachable", [1, 2]),
        ("depot without vehicles", []),
    ],
)
def test_degenerate_problems_give_sound_plans_and_drop_only_the_impossible(case, expected_dropped):
    from tests.optimizer.builders import OPEN

    problem = {
        "no stops": lambda: make_problem([(0, 0)]),
        "too heavy": lambda: make_problem([(0, 0), (10, 0), (20, 0)], demand=[0, 1, 500]),
        "empty window": lambda: make_problem([(0, 0), (10, 0), (20, 0)], windows=[OPEN, OPEN, (50, 40)]),
        "unreachable": lambda: make_problem([(0, 0), (10, 0), (20, 0)], windows=[OPEN, (0, 5), (0, 5)]),
        "depot without vehicles": lambda: make_problem(
            [(0, 0), (100, 0), (10, 0)], depots=[0, 1], vehicles=[VehicleSpec(0, 10, 0, 10_000)]
        ),
    }[case]()
    solution = solve(problem, 0.5)
    report = check_solution(problem, solution)
    assert report.kinds() <= {"unserved"}
    assert solution.dropped == expected_dropped


def test_concurrent_solves_do_not_share_the_worker():
    import threading

    problems = [random_day(10 + i, n=12) for i in range(2)]
    results: dict[int, object] = {}

    def run(i: int) -> None:
        results[i] = solve(problems[i], 1.0)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, problem in enumerate(problems):
        assert check_solution(problem, results[i]).feasible
    # While one thread relays with PyVRP, the other runs OR-Tools alone.
    assert any(r.meta.get("fallback", "").startswith("pyvrp worker busy") for r in results.values())


def cold_chain_day(seed: int = 3, n: int = 24):
    """A day of ``n`` orders, every third one cold-chain, some heavy; two plain vans and one cold van."""
    from optimizer.dayplan import build_day_model, consolidate_stops
    from optimizer.domain import Depot, Order, TimeWindow, Vehicle

    rng = np.random.default_rng(seed)
    pts = np.vstack([[500, 500], rng.integers(0, 3000, size=(n, 2))]).astype(float)
    matrix = np.rint(np.linalg.norm(pts[:, None] - pts[None, :], axis=2) / 5).astype(np.int64)
    orders = [Order(id=f"o{k}", lat=57.7, lon=11.9, window=TimeWindow(8 * 3600, 14 * 3600),
                    skills=("cold_chain",) if k % 3 == 0 else (), weight_kg=float(rng.integers(1, 60)))
              for k in range(n)]
    vans = [Vehicle(id=f"van-{k}", depot_id="d", capacity=20, shift=TimeWindow(8 * 3600, 16 * 3600),
                    weight_capacity_kg=400, skills=("cold_chain",) if k == 0 else ()) for k in range(3)]
    stops = consolidate_stops(orders, max_parcels=20)
    return build_day_model(orders, stops, vans, [Depot("d", "Depot", 57.7, 11.9)], matrix, matrix * 5)


def test_a_cold_chain_order_is_only_ever_on_the_cold_chain_van_by_every_engine():
    from optimizer.engine.pyvrp_solver import solve_pyvrp

    model = cold_chain_day()
    problem = model.problem
    cold = {model.stop_node(k) for k, s in enumerate(model.stops) if "cold_chain" in s.skills}
    for engine, solution in (("ortools", solve_ortools(problem, 1.0)), ("pyvrp", solve_pyvrp(problem, 1.0)),
                             ("auto", solve(problem, 1.5))):
        report = check_solution(problem, solution)
        assert report.feasible, (engine, report.violations)
        assert all(node not in cold for route in solution.routes[1:] for node in route), engine
        assert cold & set(solution.routes[0]), engine


def sofa_day():
    """One van of 80 parcels and 4000 litres; three 1800-litre sofas and three small parcels, all near."""
    from optimizer.dayplan import build_day_model, consolidate_stops
    from optimizer.domain import Depot, Order, TimeWindow, Vehicle

    orders = [Order(id=f"sofa{k}", lat=57.7, lon=11.9, window=TimeWindow(8 * 3600, 14 * 3600), volume_l=1800)
              for k in range(3)]
    orders += [Order(id=f"box{k}", lat=57.7, lon=11.9, window=TimeWindow(8 * 3600, 14 * 3600), volume_l=20)
               for k in range(3)]
    van = Vehicle(id="van-1", depot_id="d", capacity=80, shift=TimeWindow(8 * 3600, 16 * 3600), volume_capacity_l=4000)
    stops = consolidate_stops(orders, max_parcels=80)
    idx = np.arange(len(stops) + 1)
    matrix = np.abs(idx[:, None] - idx[None, :]) * 120
    return build_day_model(orders, stops, [van], [Depot("d", "Depot", 57.7, 11.9)], matrix, matrix * 10)


def test_a_sofa_that_fits_by_count_but_not_by_volume_stays_off_the_full_van_in_every_engine():
    from optimizer.dayplan import plan_from_solution
    from optimizer.engine.pyvrp_solver import solve_pyvrp

    model = sofa_day()
    for engine, solution in (("ortools", solve_ortools(model.problem, 0.5)), ("pyvrp", solve_pyvrp(model.problem, 0.5)),
                             ("auto", solve(model.problem, 1.0))):
        report = check_solution(model.problem, solution)
        assert report.feasible, (engine, report.violations)
        plan = plan_from_solution(model, solution, date="2026-11-24")
        served = plan.served_order_ids()
        assert {"box0", "box1", "box2"} <= served and len([o for o in served if o.startswith("sofa")]) == 2, engine
        assert plan.routes[0].volume_l <= 4000
        assert [u.reason.value for u in plan.unserved] == ["fleet_full"], engine


# Several and soft windows: PyVRP serves several windows exactly (client groups) and soft ones
# relaxed; every PyVRP plan is judged under the exact model and repaired if it breaks it

from tests.optimizer.builders import H, second_window_only, ten_minutes_late  # noqa: E402


@pytest.mark.parametrize("engine,cores", [("auto", 1), ("auto", 2), ("pyvrp", 2)])
def test_a_stop_only_reachable_in_its_second_window_is_served_there_by_every_engine(engine, cores):
    p = second_window_only()
    solution = solve(p, 2.0, engine=engine, cores=cores)
    report = check_solution(p, solution)
    assert report.feasible, report.violations
    assert solution.objective == report.objective
    assert "fallback" not in solution.meta  # PyVRP took part: no silent OR-Tools alone
    assert solution.routes == [[2, 3, 1]] and report.routes[0].starts[-1] >= 17 * H


def hull_plan(problem, *args, **kwargs):
    """What PyVRP would answer if it saw only the hull of stop 1's windows: stop 1 at 09:00, in the gap."""
    from optimizer.problem import RoutingSolution

    return RoutingSolution([[1, 2, 3]], [], 22_646, "pyvrp", 0.0, meta={"feasible": True})


@pytest.mark.parametrize("engine", ["pyvrp", "auto"])
def test_a_pyvrp_plan_that_breaks_the_exact_windows_is_repaired_never_published(monkeypatch, engine):
    from optimizer.engine import portfolio

    monkeypatch.setattr(portfolio, "solve_pyvrp", hull_plan)
    p = second_window_only()
    solution = solve(p, 1.0, engine=engine, cores=1)
    report = check_solution(p, solution)
    assert report.feasible, report.violations
    assert solution.routes == [[2, 3, 1]]  # stop 1 taken off the gap and put back in the evening
    assert solution.meta["repaired"]["pyvrp"] == {"taken_off": [1], "removed": [], "sound": True,
                                                  "violations_before": 2}
    assert solution.engine == ("pyvrp" if engine == "pyvrp" else "pyvrp+ortools")
    assert "fallback" not in solution.meta


def test_on_one_core_pyvrps_plan_under_relaxed_soft_windows_is_polished_by_ortools_under_the_exact_model():
    p = ten_minutes_late()
    solution = solve(p, 2.0, cores=1)
    assert set(solution.meta["engines"]) == {"pyvrp", "polish"}
    assert solution.engine in ("pyvrp+ortools", "pyvrp+ortools-polish")
    assert check_solution(p, solution).feasible


@pytest.mark.parametrize("cores", [1, 2])
def test_auto_serves_a_stop_ten_minutes_late_and_prices_the_lateness(cores):
    p = ten_minutes_late()
    solution = solve(p, 1.5, cores=cores)
    report = check_solution(p, solution)
    assert report.feasible and solution.dropped == []
    assert report.late == [(1, 600, 1200)] and solution.objective == 8600 + 8600 + 1200


@pytest.mark.parametrize("cores", [1, 2])
def test_a_reoptimization_never_returns_a_plan_dearer_than_its_start(monkeypatch, cores):
    """Should this core's PyVRP end on a plan the checker prices above the starting plan (it
    judges plans on its relaxation), the starting plan is kept."""
    from optimizer.engine import portfolio
    from optimizer.problem import RoutingSolution

    def zigzag(problem, *args, **kwargs):
        return RoutingSolution([[3, 1, 2]], [], 0, "pyvrp", 0.0, meta={"feasible": True})

    monkeypatch.setattr(portfolio, "solve_pyvrp", zigzag)
    problem = make_problem([(0, 0), (10, 0), (20, 0), (30, 0)])
    problem.initial_routes = [[1, 2, 3]]
    solution = solve(problem, 1.0, cores=cores)
    start = check_solution(problem, RoutingSolution([[1, 2, 3]], [], 0, "t", 0.0))
    assert solution.routes == [[1, 2, 3]] and solution.objective == start.objective
    assert solution.engine in ("initial", "pyvrp+ortools")  # the worker (real PyVRP) may find it too
    assert solution.meta["engines"]["initial"]["sound"]
