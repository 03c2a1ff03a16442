"""Rush hour: a leg's time depends on when it starts; the walk, the checker and both engines
keep a route on time that is on time only if the model knows the peak."""

import random

import numpy as np
import pytest

from optimizer.checker import check_routes, check_solution
from optimizer.departure import walk_route
from optimizer.problem import RoutingProblem, VehicleSpec
from optimizer.traffic import Traffic, TrafficBand, engine_bound
from tests.optimizer.builders import ENGINES, solve_with

H = 3600
FREE = np.array([[0, 1800, 1200], [1800, 0, 900], [1200, 900, 0]])
PEAK = FREE * 2  # the morning peak halves every speed


def morning(free=FREE, peak=PEAK):
    return Traffic(free=free.copy(), bands=(TrafficBand("morning", 7 * H, 9 * H, peak.copy()),))


class TestLeg:
    def test_outside_the_peak_a_leg_takes_its_free_flow_time(self):
        assert morning().leg(0, 1, 10 * H) == 1800 and morning().leg(0, 1, 5 * H) == 1800

    def test_inside_the_peak_it_takes_the_peak_time(self):
        assert morning().leg(0, 1, 7 * H + 60) == 3600

    def test_a_leg_that_runs_into_the_peak_slows_down_when_it_begins(self):
        # 15 min free (a quarter... 900 of 1800 free seconds), the other 900 at half speed
        assert morning().leg(0, 1, 7 * H - 900) == 900 + 1800

    def test_a_leg_leaving_the_peak_speeds_up_when_it_ends(self):
        # 30 min in the peak cover 900 free seconds; the other 900 at full speed
        assert morning().leg(0, 1, 9 * H - 1800) == 1800 + 900

    def test_leaving_later_never_arrives_earlier(self):
        traffic = morning()
        arrivals = [t + traffic.leg(0, 1, t) for t in range(6 * H, 10 * H, 37)]
        assert arrivals == sorted(arrivals)

    def test_the_vectorized_legs_agree_with_the_leg_rule(self):
        rng = random.Random(3)
        traffic = morning()
        for _ in range(200):
            i, t = rng.randrange(3), rng.randrange(5 * H, 11 * H)
            assert list(traffic.legs_from(i, t)) == [traffic.leg(i, j, t) for j in range(3)]

    def test_the_bound_is_the_most_a_leg_takes_over_the_times_it_may_start(self):
        traffic = morning()
        bound = traffic.bounding(np.array([9 * H, 6 * H, 10 * H]), np.array([12 * H, 8 * H, 12 * H]))
        assert bound[0, 1] == 1800  # leaves after the peak
        assert bound[1, 2] == 1800  # may leave inside it
        assert bound[2, 0] == 1200
        rng = random.Random(5)
        for _ in range(100):
            t = rng.randrange(6 * H, 8 * H + 1)
            assert traffic.leg(1, 0, t) <= bound[1, 0]


def test_the_bound_holds_when_a_leg_can_run_through_two_bands():
    # a leg leaving inside band A may arrive in the much slower band B just after it: its worst
    # start is where its arrival crosses B's end, which no band bound names
    free = np.array([[0, 300], [300, 0]])
    two = Traffic(free, (TrafficBand("A", 0, 1000, free * 2), TrafficBand("B", 1100, 1200, free * 10)))
    bound = two.bounding(np.array([500, 500]), np.array([1000, 1000]))
    assert bound[0, 1] >= max(two.leg(0, 1, t) for t in range(500, 1001))
    rng = random.Random(11)
    for _ in range(60):
        f = np.array([[0 if a == b else rng.randint(50, 900) for b in range(3)] for a in range(3)])
        s1 = rng.randint(0, 2000)
        e1 = s1 + rng.randint(100, 1500)
        s2 = e1 + rng.randint(0, 600)
        bands = (TrafficBand("a", s1, e1, (f * rng.uniform(1, 3)).astype(int)),
                 TrafficBand("b", s2, s2 + rng.randint(100, 1500), (f * rng.uniform(1, 5)).astype(int)))
        traffic = Traffic(f, bands)
        lo = np.array([rng.randint(0, 3000) for _ in range(3)])
        hi = lo + np.array([rng.randint(0, 2000) for _ in range(3)])
        bound = traffic.bounding(lo, hi)
        for i in range(3):
            for j in range(3):
                assert max(traffic.leg(i, j, t) for t in range(lo[i], hi[i] + 1, 5)) <= bound[i, j]


def peak_day(*, traffic=True) -> RoutingProblem:
    """One van from 06:00; stop 1 must be served 08:00-08:10 and stop 2 09:30-11:00. Leaving at
    the last free-flow moment (07:30) reaches stop 1 at 08:30 in the peak: too late."""
    spec = VehicleSpec(depot=0, capacity=10, shift_start=6 * H, shift_end=14 * H, cost_per_m=1, cost_per_s=1)
    rush = morning() if traffic else None
    return RoutingProblem(
        duration=FREE.copy() if rush is None else engine_bound(
            rush, leave=(np.array([6 * H, 8 * H, 9 * H + 1800]), np.array([14 * H, 8 * H + 600, 11 * H])),
            reach=(np.array([6 * H, 8 * H, 9 * H + 1800]), np.array([14 * H, 8 * H + 600, 11 * H])), depots=[0]),
        distance=FREE.copy(), demand=np.array([0, 1, 1]), service=np.array([0, 0, 0]),
        tw_start=np.array([6 * H, 8 * H, 9 * H + 1800]), tw_end=np.array([14 * H, 8 * H + 600, 11 * H]),
        vehicles=[spec], depots=[0], penalty=np.array([0, 10**7, 10**7]), traffic=rush,
    )


def test_a_van_that_ignores_the_peak_leaves_too_late_for_the_first_stop():
    blind = peak_day(traffic=False)
    depart = blind.departure(0, [1, 2]).depart_s
    assert depart == 8 * H + 600 - 1800  # the latest free-flow departure, 07:40
    assert walk_route([1, 2], 0, depart, morning(), blind.service, blind.tw_start, blind.tw_end).in_time is False


def test_the_departure_rule_leaves_early_enough_for_the_peak():
    problem = peak_day()
    leave = problem.departure(0, [1, 2])
    walk = problem.walk(0, [1, 2], leave.depart_s)
    assert walk.in_time and walk.starts[0] <= 8 * H + 600
    assert leave.depart_s <= 8 * H + 600 - 1800 - 600  # at least ten minutes earlier than free flow says
    assert check_routes(problem, [[1, 2]]).feasible


@pytest.mark.parametrize("engine", ENGINES)
def test_every_engine_keeps_the_rush_hour_route_on_time(engine):
    problem = peak_day()
    sol = solve_with(engine, problem)
    report = check_solution(problem, sol)
    assert report.feasible and not sol.dropped, (sol.engine, report.violations)


def test_the_checker_refuses_a_route_the_peak_makes_late():
    # stop 2 is served at 07:30 sharp; stop 1 closes at 07:55, 15 min from stop 2 in free flow
    # (07:45) but 30 in the peak (08:00)
    spec = VehicleSpec(depot=0, capacity=10, shift_start=6 * H, shift_end=14 * H)
    problem = RoutingProblem(duration=FREE.copy(), distance=FREE.copy(), demand=np.array([0, 1, 1]),
                             service=np.array([0, 0, 0]), tw_start=np.array([0, 7 * H + 2400, 7 * H + 1800]),
                             tw_end=np.array([24 * H, 7 * H + 3300, 7 * H + 1800]), vehicles=[spec], depots=[0],
                             traffic=morning())
    report = check_routes(problem, [[2, 1]])
    assert not report.feasible and report.violations == [
        "window: vehicle 0 reaches node 1 at 28800 s, after its window [27600, 28500] closes"]
    problem.traffic = None
    assert check_routes(problem, [[2, 1]]).feasible  # on free-flow times it would be in time
