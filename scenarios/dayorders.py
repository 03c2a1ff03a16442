"""A generated day of booked orders for a scenario: the same seed and date give the same day."""

from __future__ import annotations

import datetime as dt

import numpy as np

from optimizer.domain import Order
from scenarios.scenario import Scenario


def orders_for_day(scenario: Scenario, date: dt.date) -> int:
    """How many orders the scenario books on ``date`` (weekday pattern applied)."""
    d = scenario.spec.demand
    return int(round(d.orders_per_day * d.weekday_factor[date.weekday()]))


def generate_day(scenario: Scenario, date: dt.date, *, n_orders: int | None = None) -> list[Order]:
    """Book a day of orders from the scenario's customers.

    Each ordering customer takes a pickup point with their own affinity when they have one
    in walking reach, else a home slot: their preferred slot with probability
    ``first_choice_rate`` (otherwise the preferred slot was taken and they booked another,
    which the scorecard's preference-match rate counts).
    """
    if not scenario.customers:
        raise ValueError(f"scenario '{scenario.name}' has no customers file; run 'lastmile scenario build' first")
    spec = scenario.spec
    rng = np.random.default_rng([spec.seed, date.toordinal()])
    n = orders_for_day(scenario, date) if n_orders is None else n_orders
    n = min(n, len(scenario.customers))
    points = {p.id: p for p in scenario.active_pickup_points()}
    home_slots = scenario.home_slots()
    pickup_slots = scenario.pickup_slots()
    sizes = np.array(sorted(spec.demand.parcels), dtype=int)
    size_p = np.array([spec.demand.parcels[s] for s in sizes], dtype=float)
    size_p /= size_p.sum()
    service = scenario.service_times()

    chosen = rng.choice(len(scenario.customers), size=n, replace=False)
    orders: list[Order] = []
    for k, ci in enumerate(sorted(chosen)):
        c = scenario.customers[ci]
        parcels = int(rng.choice(sizes, p=size_p))
        bulky = bool(rng.random() < spec.demand.bulky_share)
        point = points.get(c.preferred_pickup_point)
        common = dict(id=f"{date:%Y%m%d}-{k + 1:04d}", parcels=parcels, customer_id=c.id, tier=c.tier, zone=c.zone, bulky=bulky)
        if point is not None and rng.random() < c.pickup_affinity:
            window = pickup_slots[int(rng.integers(len(pickup_slots)))]
            # Handling at a point is timed per stop, not per order (see consolidate_stops).
            orders.append(
                Order(lat=point.lat, lon=point.lon, window=window, service_s=0, address=f"{point.name} ({point.kind})",
                      pickup_point_id=point.id, first_choice=point.id, **common)
            )
            continue
        preferred = next((w for w in home_slots if str(w) == c.preferred_slot), home_slots[0])
        if rng.random() < spec.demand.first_choice_rate:
            window = preferred
        else:
            others = [w for w in home_slots if w != preferred] or [preferred]
            window = others[int(rng.integers(len(others)))]
        orders.append(
            Order(lat=c.lat, lon=c.lon, window=window, service_s=service.for_order(parcels, bulky), address=c.address,
                  first_choice=str(preferred), **common)
        )
    return orders
