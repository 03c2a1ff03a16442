"""How good a plan is, in the dispatcher's terms: on time, cost, use of the fleet, preferences met.

The scorecard reads the routes' re-simulated times (see :func:`optimizer.dayplan.schedule_route`)
and the booked windows of the orders; it never trusts times reported by a solver.

On time means the service starts inside the promised window (one of the order's windows). A
soft window's allowed lateness makes a late stop acceptable, not on time: it counts in
``late_orders`` and lowers ``on_time_rate``, and is also reported on its own
(``soft_late_orders``, ``minutes_late``, ``cost_lateness``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Mapping, Sequence

from optimizer.domain import Order, Plan, Vehicle


@dataclass(frozen=True)
class Scorecard:
    """Key figures of one planned day.

    Rates are shares in [0, 1]; ``km`` kilometres; ``driver_hours`` hours from depot departure
    to return; costs in the scenario currency.
    """

    orders_total: int
    orders_served: int
    orders_unserved: int
    unserved_by_reason: dict[str, int]
    on_time_rate: float  # served orders whose delivery starts inside the booked window (one of its windows)
    late_orders: int  # served orders not on time (soft-late ones included: late is never on time)
    stops: int
    vehicles_used: int
    vehicles_available: int
    km: float
    driver_hours: float
    cost_transport: float  # distance-based: fuel, wear
    cost_labour: float  # driver time
    cost_fixed: float  # per vehicle-day used
    cost_total: float
    cost_per_order: float  # total cost over orders delivered (by the fleet or a carrier)
    stops_per_driver_hour: float
    vehicle_utilization: float  # parcels carried over capacity of the vehicles used
    preference_match_rate: float  # served orders delivered in the customer's first choice
    pickup_share: float  # served orders delivered to a pickup point
    currency: str = "SEK"
    per_vehicle: list[dict] = field(default_factory=list)
    # Weight (kg) and volume (litres) carried over the capacity of the used vehicles that have one
    # in it; None when no used vehicle has such a capacity (unlimited is no share).
    weight_kg: float = 0.0
    volume_l: float = 0.0
    weight_utilization: float | None = None
    volume_utilization: float | None = None
    # Soft windows: orders served after their (last) window closed but within their allowed
    # lateness, their minutes late (summed over orders) and what that lateness costs (in
    # ``cost_total`` too). Such orders are late (not on time); they are not violations.
    soft_late_orders: int = 0
    minutes_late: float = 0.0
    cost_lateness: float = 0.0
    # Working time: hours driven beyond the drivers' normal route duration, what they cost on top
    # of the wage (in ``cost_total`` too), and the breaks planned on the routes.
    overtime_hours: float = 0.0
    cost_overtime: float = 0.0
    breaks: int = 0
    # Carrier overflow: orders handed to third-party or crowd carriers (neither served by the fleet
    # nor unserved), by carrier kind, and what they cost (in ``cost_total`` too).
    orders_to_carriers: int = 0
    carrier_orders_by_kind: dict[str, int] = field(default_factory=dict)
    cost_carriers: float = 0.0
    returns_collected: int = 0  # return orders picked up on the routes (in orders_served too)
    parcels_collected: int = 0  # their parcels, brought back to the depot
    pair_orders: int = 0  # pickup-and-delivery orders served: picked up on the route, delivered on it (in orders_served)

    def to_dict(self) -> dict:
        return asdict(self)


def build_scorecard(
    plan: Plan,
    orders: Sequence[Order] | Mapping[str, Order],
    vehicles: Sequence[Vehicle],
    *,
    currency: str = "SEK",
) -> Scorecard:
    order_by_id = dict(orders) if isinstance(orders, Mapping) else {o.id: o for o in orders}
    vehicle_by_id = {v.id: v for v in vehicles}
    served = late = matched = pickups = stops = parcels = capacity = 0
    km = hours = transport = labour = fixed = 0.0
    weight = volume = 0.0
    soft_late, minutes_late, lateness = 0, 0.0, 0.0
    overtime_h, overtime_cost, breaks = 0.0, 0.0, 0
    returns, collected, pairs = 0, 0, 0
    limited = {"weight": [0.0, 0.0], "volume": [0.0, 0.0]}  # carried, capacity over vehicles with a limit
    per_vehicle = []
    for route in plan.routes:
        if not route.visits:
            continue
        v = vehicle_by_id[route.vehicle_id]
        route_km = route.distance_m / 1000.0
        route_h = route.duration_s / 3600.0
        km += route_km
        hours += route_h
        transport += route_km * v.cost_per_km
        labour += route_h * v.cost_per_hour
        fixed += v.fixed_cost
        route_overtime_h = v.overtime_s(route.duration_s) / 3600.0
        overtime_h += route_overtime_h
        overtime_cost += route_overtime_h * v.overtime_cost_per_hour
        breaks += len(route.breaks)
        parcels += route.load
        collected += route.collected
        capacity += v.capacity * route.trips  # each trip leaves with the whole van
        stops += len(route.visits)
        weight += route.weight_kg
        volume += route.volume_l
        for name, carried, cap in (("weight", route.weight_kg, v.weight_capacity_kg),
                                   ("volume", route.volume_l, v.volume_capacity_l)):
            if cap is not None:
                limited[name][0] += carried
                limited[name][1] += cap * route.trips
        route_late = 0
        route_lateness = 0.0
        for visit in route.visits:
            lateness += visit.late_cost
            route_lateness += visit.late_cost
            if visit.kind == "pickup":  # a pair's first end: the order is judged where it is delivered
                continue
            pairs += bool(visit.pair) * len(visit.order_ids)
            for oid in visit.order_ids:
                o = order_by_id[oid]
                served += 1
                if not any(w.contains(visit.start) for w in o.time_windows):
                    late += 1
                    route_late += 1
                    if visit.late_s > 0:
                        soft_late += 1
                        minutes_late += max(0, visit.start - o.time_windows[-1].end) / 60
                returns += o.is_return
                matched += o.got_first_choice
                pickups += o.pickup_point_id is not None
        per_vehicle.append(
            {
                "vehicle_id": route.vehicle_id,
                "stops": len(route.visits),
                "orders": sum(len(x.order_ids) for x in route.visits if x.kind != "pickup"),
                "parcels": route.load,
                "collected": route.collected,
                "capacity": v.capacity,
                "trips": route.trips,
                "km": round(route_km, 2),
                "hours": round(route_h, 2),
                "weight_kg": route.weight_kg,
                "weight_capacity_kg": v.weight_capacity_kg,
                "volume_l": route.volume_l,
                "volume_capacity_l": v.volume_capacity_l,
                "late_orders": route_late,
                "cost_lateness": round(route_lateness, 2),
                "overtime_h": round(route_overtime_h, 2),
                "breaks": [(b.start, b.end) for b in route.breaks],
                "cost": round(route_km * v.cost_per_km + route_h * v.cost_per_hour + v.fixed_cost + route_lateness
                              + route_overtime_h * v.overtime_cost_per_hour, 2),
            }
        )
    carrier_cost = sum(c.cost for c in plan.carrier_orders)
    total = transport + labour + fixed + lateness + overtime_cost + carrier_cost
    reasons = Counter(u.reason.value for u in plan.unserved)
    return Scorecard(
        orders_total=len(order_by_id),
        orders_served=served,
        orders_unserved=len(plan.unserved),
        unserved_by_reason=dict(sorted(reasons.items())),
        on_time_rate=_share(served - late, served),
        late_orders=late,
        stops=stops,
        vehicles_used=len(per_vehicle),
        vehicles_available=len(vehicles),
        km=round(km, 3),
        driver_hours=round(hours, 3),
        cost_transport=round(transport, 2),
        cost_labour=round(labour, 2),
        cost_fixed=round(fixed, 2),
        cost_total=round(total, 2),
        cost_per_order=round(total / (served + len(plan.carrier_orders)), 2) if served + len(plan.carrier_orders) else 0.0,
        stops_per_driver_hour=round(stops / hours, 3) if hours else 0.0,
        vehicle_utilization=_share(parcels, capacity),
        preference_match_rate=_share(matched, served),
        pickup_share=_share(pickups, served),
        currency=currency,
        per_vehicle=per_vehicle,
        weight_kg=round(weight, 3),
        volume_l=round(volume, 3),
        weight_utilization=_share(*limited["weight"]) if limited["weight"][1] else None,
        volume_utilization=_share(*limited["volume"]) if limited["volume"][1] else None,
        soft_late_orders=soft_late,
        minutes_late=round(minutes_late, 2),
        cost_lateness=round(lateness, 2),
        overtime_hours=round(overtime_h, 3),
        cost_overtime=round(overtime_cost, 2),
        breaks=breaks,
        orders_to_carriers=len(plan.carrier_orders),
        carrier_orders_by_kind=dict(sorted(Counter(c.kind for c in plan.carrier_orders).items())),
        cost_carriers=round(carrier_cost, 2),
        returns_collected=returns,
        parcels_collected=collected,
        pair_orders=pairs,
    )


def _share(part: float, whole: float) -> float:
    return round(part / whole, 4) if whole else 0.0
