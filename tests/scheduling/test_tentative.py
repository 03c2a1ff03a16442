"""Tentative day routes: bookings grow them by insertion; a background re-solve may only improve them."""

from __future__ import annotations

import random

from optimizer.insertion import plan_cost
from tests.scheduling.booking_world import DELIVERY, make_world, request

SLOTS = ["home:08:00-10:00", "home:10:00-12:00", "home:12:00-14:00", "home:14:00-16:00", "home:16:00-18:00", "home:18:00-20:00"]


def book_spread(w, n: int, seed: int = 3) -> None:
    rng = random.Random(seed)
    for k in range(n):
        at = (57.69 + rng.random() * 0.04, 11.93 + rng.random() * 0.07)
        w.service.book(w.shop, request(rng.choice(SLOTS), customer=f"c{k}", at=at))


def stops_and_cost(day):
    s = day.state
    return sorted(n for r in s.routes for n in r), plan_cost(s) + sum(v.fixed_cost for v, r in zip(s.vehicles, s.routes) if r)


def test_a_re_solve_keeps_every_stop_feasible_and_never_costs_more(tmp_path, gothenburg):
    w = make_world(f"sqlite:///{tmp_path / 't.db'}", gothenburg, vans=3)
    book_spread(w, 14)
    w.plans.resolve_time_limit_s = 1.0
    day = w.plans.day(DELIVERY.isoformat())
    stops, cost = stops_and_cost(day)
    w.plans.resolve(DELIVERY.isoformat())
    stops_after, cost_after = stops_and_cost(day)
    assert stops_after == stops
    assert cost_after <= cost
    assert all(day.state.route_is_feasible(v) for v in range(len(day.state.routes)))


def test_a_re_solve_that_raced_a_booking_is_not_adopted(tmp_path, gothenburg, monkeypatch):
    w = make_world(f"sqlite:///{tmp_path / 't.db'}", gothenburg, vans=3)
    book_spread(w, 6)
    day = w.plans.day(DELIVERY.isoformat())
    import optimizer.engine as engine_pkg

    real = getattr(engine_pkg, "solve", None)
    if real is None:
        from optimizer.engine import portfolio

        real = portfolio.solve
        target = portfolio
    else:
        target = engine_pkg

    def solve_while_someone_books(problem, time_limit_s, **kw):
        w.service.book(w.shop, request("home:12:00-14:00", customer="late"))
        return real(problem, 0.5, **kw)

    monkeypatch.setattr(target, "solve", solve_while_someone_books)
    assert w.plans.resolve(DELIVERY.isoformat()) is False
    assert day.summary()["bookings"] == 7 and day.summary()["stops"] == 7
