"""The van leaves as late as its waiting allows: one rule, checked by brute force over departures."""

import random

import numpy as np
import pytest

from optimizer.departure import leave_as_late_as_possible


def _walk(stops, depart, duration, service, tw_start):
    """Service starts and return time leaving the depot (node 0) at ``depart``."""
    starts, t, prev = [], depart, 0
    for node in stops:
        t = max(t + int(service[prev]) + int(duration[prev, node]), int(tw_start[node]))
        starts.append(t)
        prev = node
    return starts, t + int(service[prev]) + int(duration[prev, 0])


def _random_route(rng):
    """A random route of up to 5 stops with one hard window each, and a shift."""
    n = rng.randint(2, 6)
    duration = np.array([[0 if i == j else rng.randint(1, 40) for j in range(n)] for i in range(n)])
    service = np.array([rng.randint(0, 10)] + [rng.randint(0, 15) for _ in range(n - 1)])
    tw_start = np.array([0] + [rng.randint(0, 200) for _ in range(n - 1)])
    tw_end = np.array([10**6] + [int(s) + rng.randint(0, 100) for s in tw_start[1:]])
    shift_start, shift_end = rng.randint(0, 40), rng.randint(150, 400)
    stops = rng.sample(range(1, n), rng.randint(1, n - 1))
    return duration, service, tw_start, tw_end, shift_start, shift_end, stops


def test_a_van_whose_first_stop_opens_later_leaves_later_by_the_wait():
    duration = np.array([[0, 600, 900], [600, 0, 300], [900, 300, 0]])
    service = np.array([0, 120, 120])
    tw_start = np.array([0, 9 * 3600, 0])
    tw_end = np.array([86_400, 10 * 3600, 12 * 3600])
    out = leave_as_late_as_possible([1, 2], 0, 8 * 3600, 18 * 3600, duration, service, tw_start, tw_end)
    assert out.depart_s == 9 * 3600 - 600  # arrives as the window opens, no waiting paid
    assert out.span_s == 600 + 120 + 300 + 120 + 900


def test_no_stops_leave_and_return_at_the_shift_start():
    one = np.zeros((1, 1), dtype=np.int64)
    out = leave_as_late_as_possible([], 0, 28_800, 64_800, one, np.zeros(1), np.zeros(1), np.zeros(1))
    assert (out.depart_s, out.return_s, out.span_s) == (28_800, 28_800, 0)


@pytest.mark.parametrize("seed", range(4))
def test_it_is_the_earliest_departure_with_the_shortest_span_that_keeps_the_route_and_its_return(seed):
    rng = random.Random(seed)
    for _ in range(300):
        duration, service, tw_start, tw_end, shift_start, shift_end, stops = _random_route(rng)
        out = leave_as_late_as_possible(stops, 0, shift_start, shift_end, duration, service, tw_start, tw_end)

        _, back_at_start = _walk(stops, shift_start, duration, service, tw_start)
        keeps = [t for t in range(shift_start, shift_end + 1)
                 if all(s <= int(tw_end[n]) for s, n in zip(_walk(stops, t, duration, service, tw_start)[0], stops))
                 and _walk(stops, t, duration, service, tw_start)[1] <= shift_end]
        assert out.return_s == _walk(stops, out.depart_s, duration, service, tw_start)[1]
        assert shift_start <= out.depart_s and out.return_s == back_at_start  # the waits absorbed the later departure
        if not keeps:  # no departure keeps every window and the shift: the plan is refused anyway
            continue
        spans = {t: _walk(stops, t, duration, service, tw_start)[1] - t for t in keeps}
        assert out.span_s == min(spans.values())
        assert out.depart_s == min(t for t in keeps if spans[t] == out.span_s)


# Several and soft windows: the cheapest departure, by brute force ------------------------------

from optimizer.departure import best_departure, service_start, walk_route  # noqa: E402


def test_a_van_arriving_between_two_windows_waits_for_the_next_one():
    assert service_start(100, [(0, 50), (200, 300)], 300) == 200
    assert service_start(40, [(0, 50), (200, 300)], 300) == 40
    assert service_start(310, [(0, 50), (200, 300)], 320) == 310  # late, within the allowance
    assert service_start(330, [(0, 50), (200, 300)], 320) == 330  # too late: the checker says so


def _random_case(rng, n):
    duration = np.array([[0 if i == j else rng.randint(1, 40) for j in range(n)] for i in range(n)])
    service = np.array([rng.randint(0, 10)] + [rng.randint(0, 15) for _ in range(n - 1)])
    windows, tw_start, tw_end = {}, [0], [10**6]
    for node in range(1, n):
        t, wins = rng.randint(0, 150), []
        for _ in range(rng.choice((1, 1, 2, 3))):
            wins.append((t, t + rng.randint(0, 60)))
            t = wins[-1][1] + rng.randint(1, 80)
        if len(wins) > 1:
            windows[node] = wins
        tw_start.append(wins[0][0])
        tw_end.append(wins[-1][1])
    late_allowed = np.array([0] + [rng.choice((0, 0, rng.randint(1, 60))) for _ in range(n - 1)])
    late_cost = np.array([0] + [rng.randint(0, 4) for _ in range(n - 1)])
    return duration, service, np.array(tw_start), np.array(tw_end), windows, late_allowed, late_cost


@pytest.mark.parametrize("seed", range(4))
def test_with_several_and_soft_windows_it_is_the_cheapest_departure_then_the_shortest_span_then_the_earliest(seed):
    rng = random.Random(seed)
    for _ in range(200):
        n = rng.randint(2, 6)
        duration, service, tw_start, tw_end, windows, late_allowed, late_cost = _random_case(rng, n)
        cost_per_s = rng.randint(0, 3)
        shift_start, shift_end = rng.randint(0, 40), rng.randint(200, 500)
        stops = rng.sample(range(1, n), rng.randint(1, n - 1))
        kw = dict(windows=windows, late_allowed=late_allowed)
        out = best_departure(stops, 0, shift_start, shift_end, duration, service, tw_start, tw_end,
                             late_cost=late_cost, cost_per_s=cost_per_s, **kw)

        def price(t):
            w = walk_route(stops, 0, t, duration, service, tw_start, tw_end, **kw)
            late = sum(s * int(late_cost[node]) for node, s in zip(stops, w.late_s))
            return w, (cost_per_s * (w.return_s - t) + late, w.return_s - t, t)

        keeps = [t for t in range(shift_start, shift_end + 1)
                 if price(t)[0].in_time and price(t)[0].return_s <= shift_end]
        assert out.return_s == price(out.depart_s)[0].return_s
        if not keeps:  # no departure keeps every window and the shift: the plan is refused anyway
            continue
        assert out.depart_s in keeps
        assert price(out.depart_s)[1] == min(price(t)[1] for t in keeps)


@pytest.mark.parametrize("seed", range(2))
def test_with_one_hard_window_per_stop_it_is_the_same_departure_as_the_fast_rule(seed):
    rng = random.Random(100 + seed)
    for _ in range(300):
        duration, service, tw_start, tw_end, shift_start, shift_end, stops = _random_route(rng)
        fast = leave_as_late_as_possible(stops, 0, shift_start, shift_end, duration, service, tw_start, tw_end)
        w = walk_route(stops, 0, fast.depart_s, duration, service, tw_start, tw_end)
        if not (w.in_time and w.return_s <= shift_end):
            continue  # infeasible routes: both leave some time, the plan is refused anyway
        general = best_departure(stops, 0, shift_start, shift_end, duration, service, tw_start, tw_end)
        assert (general.depart_s, general.return_s) == (fast.depart_s, fast.return_s)
