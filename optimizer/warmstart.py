"""A first plan in a blink: stops inserted one after another at their cheapest feasible place.

This is the rule the booking API's tentative routes follow while shops book (see
:mod:`optimizer.insertion`), applied to a day's problem in booking order. The dispatcher's
solve starts from it, so the first plan exists before the search begins and the search only
improves on it. Locked stops are inserted on their allowed vehicles only.

Units as in :class:`optimizer.problem.RoutingProblem`: seconds, metres, parcels, cost units.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np

from optimizer.insertion import Candidate, TentativeRoutes, apply_insertion, cheapest_insertion
from optimizer.problem import RoutingProblem


def insertion_routes(problem: RoutingProblem, order: Sequence[int]) -> list[list[int]]:
    """Routes (one node list per vehicle) from inserting ``order``'s stop nodes in turn.

    A stop that fits nowhere (window, shift or load) is left off; the engines then decide
    whether to drop it or make room. ``order`` may repeat a node (a pickup point shared by
    several bookings): only its first appearance counts.
    """
    state = TentativeRoutes(
        duration=np.asarray(problem.duration, dtype=np.int64),
        distance=np.asarray(problem.distance, dtype=np.int64),
        tw_start=np.asarray(problem.tw_start, dtype=np.int64),
        tw_end=np.asarray(problem.tw_end, dtype=np.int64),
        service=np.asarray(problem.service, dtype=np.int64),
        demand=np.asarray(problem.demand, dtype=np.int64),
        # The booking rule routes on the vans' matrix: a vehicle of another street profile (a
        # cargo bike) is hidden by a full load, as the booking check leaves it out.
        vehicles=[replace(v, capacity=-1) if v.profile else v for v in problem.vehicles],
        routes=[[] for _ in problem.vehicles],
    )
    depots = set(problem.depots)
    for node in dict.fromkeys(order):
        if node in depots or not 0 <= node < problem.n:
            continue
        allowed = problem.allowed_vehicles.get(node)
        found = cheapest_insertion(
            state,
            Candidate(node, int(problem.tw_start[node]), int(problem.tw_end[node]), int(problem.service[node]), int(problem.demand[node])),
        )
        if found is not None and allowed is not None and found.vehicle not in allowed:
            found = _best_on(state, node, allowed)
        if found is not None:
            apply_insertion(state, node, found)
    return [list(r) for r in state.routes]


def _best_on(state: TentativeRoutes, node: int, vehicles: Sequence[int]):
    """The cheapest insertion of ``node`` restricted to ``vehicles`` (others hidden by a full load)."""
    saved = list(state.vehicles)
    try:
        state.vehicles = [v if i in vehicles else replace(v, capacity=-1) for i, v in enumerate(saved)]
        state.invalidate()
        return cheapest_insertion(
            state, Candidate(node, int(state.tw_start[node]), int(state.tw_end[node]), int(state.service[node]), int(state.demand[node]))
        )
    finally:
        state.vehicles = saved
        state.invalidate()
