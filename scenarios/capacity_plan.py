"""The capacity plan of a day: slot seats from the forecast, vans and driver hours from routing.

1. The forecast's ``quantile`` gives each zone-slot's seats (:func:`scheduling.capacity.slot_capacities`)
   and the representative day (:func:`scheduling.capacity.representative_demand`).
2. The representative day becomes orders: for each zone and slot, customers of that zone
   (deterministic by seed and date) booked in that slot, or at their pickup point for a pickup
   window, with parcel counts drawn from the scenario's distribution.
3. The routing engine plans that day with a generous fleet of the scenario's first van type,
   then, by bisection between the parcel bound (parcels over van capacity) and the vans that
   run used, finds the fewest vans with which at least ``target_on_time`` of **all** the day's
   orders are delivered inside their slot (unserved orders count as late). Vans and driver
   hours are those of the plan with exactly that fleet.

The seats can be written to the booking API's store with :func:`write_capacities`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from optimizer.domain import Order, parse_hhmm, TimeWindow
from scenarios.planning import DayResult, plan_day
from scenarios.scenario import Scenario
from scheduling.capacity import SlotCapacity, representative_demand, slot_capacities
from scheduling.csv_cells import csv_writer
from scheduling.forecast import DemandForecast
from scheduling.history import PICKUP_PREFIX


@dataclass
class CapacityPlan:
    date: dt.date
    quantile: float
    orders: int  # orders of the representative day
    parcels: int
    vans: int
    driver_hours: float
    on_time_all: float  # orders delivered inside their slot over all the day's orders
    orders_served: int
    km: float
    cost_total: float
    slots: list[SlotCapacity]
    tries: list[dict] = field(default_factory=list)  # each routing run: vans offered, used, on-time
    result: DayResult | None = field(default=None, repr=False)

    @property
    def seats(self) -> int:
        return sum(s.capacity for s in self.slots)

    def summary(self) -> dict:
        return {
            "date": self.date.isoformat(),
            "quantile": self.quantile,
            "orders": self.orders,
            "parcels": self.parcels,
            "seats_opened": self.seats,
            "vans": self.vans,
            "driver_hours": round(self.driver_hours, 2),
            "on_time_all": round(self.on_time_all, 4),
            "orders_served": self.orders_served,
            "km": round(self.km, 1),
            "cost_total": round(self.cost_total, 0),
            "tries": self.tries,
        }


def _window(text: str) -> TimeWindow:
    start, _, end = text.partition("-")
    return TimeWindow(parse_hhmm(start), parse_hhmm(end))


def representative_orders(scenario: Scenario, demand, date: dt.date) -> list[Order]:
    """Orders for the representative day: ``demand`` rows (zone, slot, orders) as customers' bookings."""
    if not scenario.customers:
        raise ValueError(f"scenario '{scenario.name}' has no customers file; run 'lastmile scenario build' first")
    spec = scenario.spec
    rng = np.random.default_rng([spec.seed, 47, date.toordinal()])
    points = {p.id: p for p in scenario.active_pickup_points()}
    by_zone: dict[str, list] = {}
    for c in scenario.customers:
        by_zone.setdefault(c.zone, []).append(c)
    sizes = np.array(sorted(spec.demand.parcels), dtype=int)
    size_p = np.array([spec.demand.parcels[s] for s in sizes], dtype=float)
    size_p /= size_p.sum()
    service = scenario.service_times()
    orders: list[Order] = []
    for row in demand.itertuples(index=False):
        members = by_zone.get(row.zone, [])
        if not members:
            raise ValueError(f"zone {row.zone} has demand but no customers in the scenario")
        at_point = row.slot.startswith(PICKUP_PREFIX)
        window = _window(row.slot.removeprefix(PICKUP_PREFIX))
        pool = [c for c in members if c.preferred_pickup_point in points] if at_point else members
        pool = pool or members
        picks = rng.choice(len(pool), size=row.orders, replace=row.orders > len(pool))
        for c in (pool[i] for i in picks):
            parcels = int(rng.choice(sizes, p=size_p))
            bulky = bool(rng.random() < spec.demand.bulky_share)
            oid = f"F{date:%Y%m%d}-{len(orders) + 1:04d}"
            point = points.get(c.preferred_pickup_point) if at_point else None
            if point is not None:
                orders.append(
                    Order(oid, point.lat, point.lon, window, parcels, 0, f"{point.name} ({point.kind})", c.id, c.tier,
                          point.id, c.zone, point.id, bulky)
                )
            else:
                orders.append(
                    Order(oid, c.lat, c.lon, window, parcels, service.for_order(parcels, bulky), c.address, c.id,
                          c.tier, None, c.zone, str(window), bulky)
                )
    return orders


def with_vans(scenario: Scenario, vans: int) -> Scenario:
    """The scenario with a fleet of ``vans`` of its first van type and no overflow carriers: the
    fleet is sized to serve the day itself, carriers are for the days it cannot. Its other fleet
    groups (the default city's cargo bikes) are left out too: the answer is in vans, which a
    planner books, and the bikes' room is then a margin on top."""
    first = scenario.spec.fleet[0]
    spec = scenario.spec.model_copy(update={"fleet": [first.model_copy(update={"count": vans})], "carriers": []})
    return Scenario(spec=spec, folder=scenario.folder, customers=scenario.customers, pickup_points=scenario.pickup_points)


def _on_time_all(result: DayResult) -> float:
    sc = result.scorecard
    if sc.orders_total == 0:
        return 1.0
    return sc.on_time_rate * sc.orders_served / sc.orders_total


def plan_capacity(
    scenario: Scenario,
    forecast: DemandForecast,
    date: dt.date,
    *,
    quantile: float = 0.8,
    target_on_time: float = 0.95,
    time_limit_s: float = 30.0,
    engine: str = "auto",
    network=None,
    progress: Callable[[str], None] | None = None,
) -> CapacityPlan:
    """Slot seats and the fleet for ``date`` at the forecast's ``quantile`` (see the module doc)."""
    slots = slot_capacities(forecast, date, quantile)
    demand = representative_demand(forecast, date, quantile)
    orders = representative_orders(scenario, demand, date)
    if not orders:
        raise ValueError(f"the forecast for {date} expects no orders: nothing to plan")
    van = scenario.spec.fleet[0]
    parcels = sum(o.parcels for o in orders)
    generous = max(math.ceil(parcels / van.capacity) * 2, sum(f.count for f in scenario.spec.fleet)) + 2
    tries = []

    def run(vans: int) -> DayResult:
        if progress:
            progress(f"routing {len(orders)} orders with {vans} vans")
        res = plan_day(with_vans(scenario, vans), orders, date=date.isoformat(), time_limit_s=time_limit_s,
                       engine=engine, network=network)
        tries.append({"vans_offered": vans, "vans_used": res.scorecard.vehicles_used,
                      "on_time_all": round(_on_time_all(res), 4)})
        return res

    first = run(generous)
    if _on_time_all(first) < target_on_time:
        # even a generous fleet misses the target (windows too tight): report that plan honestly
        best, vans = first, first.scorecard.vehicles_used
    else:
        # The fewest vans that still meet the target, by bisection between the parcel bound and
        # what the generous run used: a short search need not minimise vans on its own.
        low = max(1, math.ceil(parcels / van.capacity))
        high, best = first.scorecard.vehicles_used, first
        while low < high:
            mid = (low + high) // 2
            trial = run(mid)
            if _on_time_all(trial) >= target_on_time:
                high, best = mid, trial
            else:
                low = mid + 1
        vans = high
        if best.scorecard.vehicles_available != vans:
            best = run(vans)  # the plan with exactly the fleet to book
    sc = best.scorecard
    return CapacityPlan(
        date=date,
        quantile=quantile,
        orders=len(orders),
        parcels=parcels,
        vans=vans,
        driver_hours=sc.driver_hours,
        on_time_all=_on_time_all(best),
        orders_served=sc.orders_served,
        km=sc.km,
        cost_total=sc.cost_total,
        slots=slots,
        tries=tries,
        result=best,
    )


def write_capacity_files(plan: CapacityPlan, out_dir: Path) -> dict[str, Path]:
    """``capacity-<date>.csv`` (zone, date, slot, capacity, expected) and ``capacity-<date>.json``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = out_dir / f"capacity-{plan.date}.csv"
    with open(csv_path, "w", newline="", encoding="utf-8") as f:
        w = csv_writer(f)
        w.writerow(["zone", "date", "slot", "capacity", "expected"])
        for s in plan.slots:
            w.writerow([s.zone, s.date.isoformat(), s.slot, s.capacity, f"{s.expected:.2f}"])
    json_path = out_dir / f"capacity-{plan.date}.json"
    body = plan.summary() | {"slots": [asdict(s) | {"date": s.date.isoformat()} for s in plan.slots]}
    json_path.write_text(json.dumps(body, indent=2), encoding="utf-8")
    return {"csv": csv_path, "json": json_path}


def write_capacities(plan: CapacityPlan, database_url: str) -> int:
    """Set the seats as the booking API's home-slot capacities (slot ids ``home:HH:MM-HH:MM``);
    returns how many zone-slots were written. Bookings already taken are kept."""
    from scheduling.capacity_store import set_capacity
    from scheduling.storage import open_database

    db = open_database(database_url)
    try:
        for s in plan.slots:
            set_capacity(db, s.zone, s.date, f"home:{s.slot}", s.capacity, source="capacity_plan")
    finally:
        db.engine.dispose()
    return len(plan.slots)
