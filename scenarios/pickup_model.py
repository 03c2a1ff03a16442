"""The scenario's customers seen from its pickup points: who can walk where, and who would.

Joins the street network (walking distances), the scenario's customers (their own pickup
history: ``pickup_affinity`` at ``preferred_pickup_point``) and the choice model
(:mod:`scheduling.choice`). Both the site selection (``lastmile sites``) and the what-if
simulation (``lastmile simulate``) read customers' options from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from scenarios.dayorders import orders_for_day
from scenarios.scenario import Customer, PickupPoint, Scenario
from scheduling.choice import ChoiceParams, best_point, pickup_probability

CATCHMENT_RADII_M = (300.0, 600.0, 1000.0)

# Driving a home stop costs beyond its handling: the detour to reach it within a dense route.
# Assumed, not measured: 0.8 km and 2 minutes per home stop (override with saving_per_order).
HOME_STOP_DETOUR_KM = 0.8
HOME_STOP_DETOUR_S = 120.0


def choice_params(scenario: Scenario) -> ChoiceParams:
    """The scenario's ``choice:`` mapping over the documented defaults."""
    return ChoiceParams.from_mapping(scenario.spec.choice)


def customer_walks(network, customers: Sequence[Customer], points: Sequence[PickupPoint], limit_m: float) -> np.ndarray:
    """Walking metres (customers, points) on the walking graph; ``inf`` beyond ``limit_m``.

    Searched from the points (few) towards the customers (many): the walking graph is undirected.
    """
    if not customers or not points:
        return np.full((len(customers), len(points)), np.inf)
    from geo.catchment import walking_distance

    # Customers and points were placed on or near streets; a generous snap distance only
    # matters for hand-placed points, which check_on_network has already vetted.
    walk = walking_distance(
        network,
        [(p.lat, p.lon) for p in points],
        [(c.lat, c.lon) for c in customers],
        max_distance_m=1000.0,
        limit_m=limit_m,
    )
    return np.ascontiguousarray(walk.T)


@dataclass
class CustomerHistory:
    """Each customer's past pickup share and the walking distance it was observed at (NaN: none)."""

    past_share: np.ndarray
    past_walk_m: np.ndarray


def customer_history(customers: Sequence[Customer], points: Sequence[PickupPoint], walk: np.ndarray) -> CustomerHistory:
    """History from the customers file: ``pickup_affinity`` is the share of their orders they
    collected at ``preferred_pickup_point``; customers without a point have no history."""
    col = {p.id: j for j, p in enumerate(points)}
    share = np.full(len(customers), np.nan)
    past_walk = np.full(len(customers), np.nan)
    for i, c in enumerate(customers):
        j = col.get(c.preferred_pickup_point)
        if j is not None and np.isfinite(walk[i, j]):
            share[i] = c.pickup_affinity
            past_walk[i] = walk[i, j]
    return CustomerHistory(share, past_walk)


@dataclass
class PickupOptions:
    """Customers' walking distances to candidate points and their pickup probabilities.

    ``walk_m`` and ``prob`` are (customers, points); ``prob[i, j]`` is the probability that
    customer ``i`` collects at ``j`` when ``j`` is the nearest open point (choice model).
    """

    scenario: Scenario
    points: list[PickupPoint]
    walk_m: np.ndarray
    prob: np.ndarray
    history: CustomerHistory
    params: ChoiceParams

    def customer_index(self) -> dict[str, int]:
        return {c.id: i for i, c in enumerate(self.scenario.customers)}

    def nearest_open(self, open_ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per customer: index of the nearest open point on foot (-1 none), metres, probability."""
        wanted = set(open_ids)
        mask = np.array([p.id in wanted for p in self.points], dtype=bool)
        idx, dist = best_point(self.walk_m, mask)
        prob = np.where(idx >= 0, self.prob[np.arange(len(idx)), np.maximum(idx, 0)], 0.0)
        return idx, dist, prob

    def catchment_counts(self, radii: Sequence[float] = CATCHMENT_RADII_M) -> np.ndarray:
        """(points, radii): customers within each walking radius of each point."""
        return np.stack([(self.walk_m <= r).sum(axis=0) for r in radii], axis=1)


def pickup_options(
    scenario: Scenario,
    network,
    points: Sequence[PickupPoint],
    *,
    params: ChoiceParams | None = None,
    incentive: float = 0.0,
) -> PickupOptions:
    """Walking distances from every customer to ``points`` and the choice model's probabilities.

    The customers' history is read against the scenario's own pickup points (the ones they
    used), which are added to the walk computation when missing from ``points``.
    """
    params = params or choice_params(scenario)
    customers = scenario.customers
    points = list(points)
    ids = {p.id for p in points}
    history_points = [p for p in scenario.pickup_points if p.id not in ids and p.active]
    walk_all = customer_walks(network, customers, points + history_points, params.max_walk_m)
    history = customer_history(customers, points + history_points, walk_all)
    walk = walk_all[:, : len(points)]
    tiers = np.array([c.tier for c in customers], dtype=object)
    prob = pickup_probability(
        walk,
        params=params,
        past_share=history.past_share[:, None],
        past_walk_m=history.past_walk_m[:, None],
        tier=tiers[:, None],
        incentive=incentive,
    )
    return PickupOptions(scenario, points, walk, prob, history, params)


def mean_parcels_per_order(scenario: Scenario) -> float:
    sizes = scenario.spec.demand.parcels
    total = sum(sizes.values())
    return sum(s * p for s, p in sizes.items()) / total if total else 1.0


def parcels_per_customer_day(scenario: Scenario) -> float:
    """Expected parcels per customer per day, averaged over the week's order pattern."""
    import datetime as dt

    if not scenario.customers:
        return 0.0
    monday = dt.date(2026, 1, 5)
    per_week = sum(orders_for_day(scenario, monday + dt.timedelta(days=d)) for d in range(7))
    return per_week / 7.0 / len(scenario.customers) * mean_parcels_per_order(scenario)


def saving_per_order(scenario: Scenario) -> float:
    """Delivery cost saved (currency) when one order goes to a pickup point instead of home.

    Handling at the door (``home_base_s`` + per parcel) minus handling at the point (per parcel;
    the point's fixed stop time is shared by many orders) plus the assumed detour to a home stop
    (:data:`HOME_STOP_DETOUR_KM`, :data:`HOME_STOP_DETOUR_S`), priced with the first fleet's
    cost per hour and per km.
    """
    s = scenario.spec.service
    fleet = scenario.spec.fleet[0]
    parcels = mean_parcels_per_order(scenario)
    handling_s = s.home_base_s + s.per_parcel_s * parcels - s.pickup_per_parcel_s * parcels
    seconds = max(0.0, handling_s) + HOME_STOP_DETOUR_S
    return seconds / 3600.0 * fleet.cost_per_hour + HOME_STOP_DETOUR_KM * fleet.cost_per_km
