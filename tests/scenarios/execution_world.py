"""A small published day written straight into the store (no solver): two vans, booked stops.

``V1`` drives s1..s5 (s5 a pickup point shared by two orders), ``V2`` drives t1, t2. Times are
seconds since midnight; every stop's slot is its booked window.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from scheduling.shops import create_shop
from scheduling.storage import Database, open_database
from scheduling.storage.models import Booking, Publication, SavedPlan

DATE = "2026-11-25"
H = 3600
M = 60
NOW = dt.datetime(2026, 11, 25, 7, 0)  # naive UTC (08:00 in Gothenburg)

# vehicle -> route start, end, [(stop, [orders], arrival, start, departure, (window), pickup point)]
ROUTES = {
    "V1": (8 * H, 12 * H + 30 * M, [
        ("s1", ["o1"], 8 * H + 10 * M, 8 * H + 10 * M, 8 * H + 15 * M, (8 * H, 10 * H), None),
        ("s2", ["o2"], 8 * H + 25 * M, 8 * H + 25 * M, 8 * H + 30 * M, (8 * H, 10 * H), None),
        ("s3", ["o3"], 8 * H + 45 * M, 10 * H, 10 * H + 5 * M, (10 * H, 12 * H), None),
        ("s4", ["o4"], 10 * H + 20 * M, 10 * H + 20 * M, 10 * H + 25 * M, (10 * H, 12 * H), None),
        ("s5", ["o5a", "o5b"], 10 * H + 40 * M, 12 * H, 12 * H + 10 * M, (12 * H, 14 * H), "P1"),
    ]),
    "V2": (8 * H, 10 * H, [
        ("t1", ["o6"], 8 * H + 20 * M, 8 * H + 20 * M, 8 * H + 25 * M, (8 * H, 10 * H), None),
        ("t2", ["o7"], 8 * H + 40 * M, 8 * H + 40 * M, 8 * H + 45 * M, (8 * H, 10 * H), None),
    ]),
}


def slot_of(window: tuple[int, int]) -> str:
    a, b = window
    return f"home:{a // H:02d}:{a % H // M:02d}-{b // H:02d}:{b % H // M:02d}"


def booking_of(order_id: str) -> str:
    return f"b{order_id}"


@dataclass
class World:
    db: Database
    plan_id: int
    publication_id: int
    shop_id: int

    def booking(self, order_id: str) -> Booking:
        with self.db.session() as s:
            return s.get(Booking, booking_of(order_id))


def plan_data() -> dict:
    routes, orders = [], []
    for vehicle, (start, end, stops) in ROUTES.items():
        rs = []
        for k, (sid, oids, arr, st, dep, win, point) in enumerate(stops):
            rs.append({"seq": k + 1, "stop_id": sid, "order_ids": oids, "lat": 57.7 + k / 1000, "lon": 11.9,
                       "address": f"Street {sid}", "pickup_point_id": point, "parcels": len(oids),
                       "window_start_s": win[0], "window_end_s": win[1], "arrival_s": arr, "start_s": st,
                       "departure_s": dep})
            for o in oids:
                orders.append({"id": o, "lat": 57.7, "lon": 11.9, "window": list(win), "parcels": 1,
                               "booking_id": booking_of(o), "instructions": f"ring {o}", "address": f"Street {sid}"})
        routes.append({"vehicle_id": vehicle, "depot_id": "D1", "start_s": start, "end_s": end, "stops": rs})
    return {"kind": "solve", "note": "hand-made",
            "plan": {"date": DATE, "routes": routes, "unserved": [],
                     "depots": [{"id": "D1", "name": "Depot", "lat": 57.71, "lon": 11.95}]},
            "orders": orders}


def make_world(database_url: str, scenario: str = "gothenburg", shop: str = "Shop A") -> World:
    db = open_database(database_url)
    shop_id, _key = create_shop(db, shop)
    data = plan_data()
    with db.session() as s:
        plan = SavedPlan(scenario=scenario, date=DATE, created_by="test", plan_json=json.dumps(data), scorecard_json="{}")
        s.add(plan)
        s.flush()
        for r in data["plan"]["routes"]:
            for st in r["stops"]:
                for o in st["order_ids"]:
                    win = (st["window_start_s"], st["window_end_s"])
                    s.add(Booking(id=booking_of(o), shop_id=shop_id, customer_id=f"c{o}", zone="z1", date=DATE,
                                  slot=slot_of(win), kind="home", lat=57.7, lon=11.9, node=1, status="confirmed",
                                  created_at=NOW, updated_at=NOW, order_ref=f"REF-{o}", planned_plan_id=plan.id,
                                  planned_vehicle_id=r["vehicle_id"], planned_arrival_s=st["start_s"],
                                  eta_start_s=max(win[0], st["start_s"] - 1800),
                                  eta_end_s=min(win[1], max(win[0], st["start_s"] - 1800) + 3600), planned_at=NOW))
        pub = Publication(scenario=scenario, date=DATE, plan_id=plan.id, published_by="test", published_at=NOW,
                          eta_width_s=3600, bookings_planned=8)
        s.add(pub)
        s.flush()
        return World(db, plan.id, pub.id, shop_id)
