"""Write a planned day to files: plan.json, the driver sheet CSV, route GeoJSON, scorecard.json."""

from __future__ import annotations

import json
from pathlib import Path

from geo.geojson import feature_collection, line_feature, point_feature
from geo.network import ODBL_NOTICE, RoadNetwork
from optimizer.dayplan import ALL_DAY
from optimizer.domain import hhmm
from scenarios.planning import DayResult
from scheduling.csv_cells import csv_writer

DRIVER_SHEET_COLUMNS = (
    "vehicle_id",
    "seq",
    "stop_id",
    "order_ids",
    "address",
    "pickup_point_id",
    "window",
    "arrival",
    "departure",
    "parcels",
    "load_after",
    "lat",
    "lon",
    "weight_kg",
    "volume_l",
    "skills",
    "window_used",
    "late_min",
    "break_before",
    "break_after",
    "task",
    "reload_before",
)


def plan_to_dict(result: DayResult) -> dict:
    """The plan as plain JSON data; times both as seconds since midnight and as ``HH:MM``."""
    plan = result.plan
    depots = {d.id: d for d in result.model.depots}
    stop_of = {o: st for st in result.model.stops for o in st.order_ids}
    return {
        "date": plan.date,
        "engine": plan.engine,
        "objective": round(plan.objective, 2),
        "solve_s": round(plan.solve_s, 2),
        "meta": plan.meta,
        "depots": [{"id": d.id, "name": d.name, "lat": d.lat, "lon": d.lon} for d in depots.values()],
        # rush hour: in each band vans drive at these shares of free-flow speed by road class group
        "traffic": [{"name": b.name, "start_s": b.start, "end_s": b.end, "factors": dict(b.factors)}
                    for b in (result.model.problem.traffic.bands if result.model.problem.traffic else ())],
        "vehicles": [
            {
                "id": v.id,
                "depot_id": v.depot_id,
                "capacity": v.capacity,
                "shift_start_s": v.shift.start,
                "shift_end_s": v.shift.end,
                "cost_per_km": v.cost_per_km,
                "cost_per_hour": v.cost_per_hour,
                "fixed_cost": v.fixed_cost,
                "weight_capacity_kg": v.weight_capacity_kg,
                "volume_capacity_l": v.volume_capacity_l,
                "skills": list(v.skills),
                # working time: the breaks the driver takes, the longest route and overtime
                "breaks": [{"duration_s": b.duration_s, "within": str(b.window),
                            "earliest_s": b.window.start, "latest_s": b.window.end} for b in v.breaks],
                "max_route_s": v.max_route_s,
                "normal_route_s": v.normal_route_s,
                "overtime_cost_per_hour": v.overtime_cost_per_hour,
                "profile": v.profile,  # the street profile it travels by: drive (vans) or cycle (cargo bikes)
                "max_reloads": v.max_reloads,  # trips after the first, each loaded back at the depot
                "reload_s": v.reload_s,
                "kind": v.kind,
            }
            for v in result.model.vehicles
        ],
        "routes": [
            {
                "vehicle_id": r.vehicle_id,
                "depot_id": r.depot_id,
                "start_s": r.start,
                "end_s": r.end,
                "start": hhmm(r.start),
                "end": hhmm(r.end),
                "distance_m": r.distance_m,
                "load": r.load,
                "collected": r.collected,  # parcels of returns brought back to the depot
                "weight_kg": r.weight_kg,
                "volume_l": r.volume_l,
                # the driver's breaks: after how many stops (0: before the first), from, to
                "breaks": [{"after_stops": b.after_stops, "start_s": b.start, "end_s": b.end,
                            "start": hhmm(b.start), "end": hhmm(b.end)} for b in r.breaks],
                # multi-trip: back at the depot after how many stops, loading from (parcels in) to
                # leaving, with how many parcels for the next trip
                "trips": r.trips,
                "reloads": [{"after_stops": x.after_stops, "arrival_s": x.arrival, "start_s": x.start, "end_s": x.end,
                             "arrival": hhmm(x.arrival), "start": hhmm(x.start), "end": hhmm(x.end),
                             "parcels": x.parcels} for x in r.reloads],
                "stops": [
                    {
                        "seq": k + 1,
                        "stop_id": v.stop_id,
                        "order_ids": list(v.order_ids),
                        "lat": v.lat,
                        "lon": v.lon,
                        "address": v.address,
                        "pickup_point_id": v.pickup_point_id,
                        # "delivery", "return" (its parcels are collected here) or "pickup" (a
                        # pair's first end: loaded here, delivered at the stop named in "pair")
                        "kind": v.kind,
                        "pair": v.pair or None,
                        "parcels": v.parcels,
                        "window_start_s": v.window.start if v.window else None,
                        "window_end_s": v.window.end if v.window else None,
                        "arrival_s": v.arrival,
                        "start_s": v.start,
                        "departure_s": v.departure,
                        "arrival": hhmm(v.arrival),
                        "departure": hhmm(v.departure),
                        "load_after": v.load_after,
                        "weight_kg": v.weight_kg,
                        "volume_l": v.volume_l,
                        "skills": list(v.skills),
                        # Several windows: all of them, and the one the plan serves the stop in;
                        # soft windows: how late (after the window closed) and what it costs.
                        "windows": [str(w) for w in v.windows] if v.windows else None,
                        "window_used": str(v.window_used) if v.window_used else None,
                        "late_s": v.late_s,
                        "late_cost": v.late_cost,
                    }
                    for k, v in enumerate(r.visits)
                ],
            }
            for r in plan.routes
        ],
        "unserved": [
            {"order_id": u.order_id, "stop_id": u.stop_id, "reason": u.reason.value, "detail": u.detail}
            for u in plan.unserved
        ],
        # orders handed to third-party or crowd carriers: neither on a route nor unserved
        "carrier_orders": [
            {"order_id": c.order_id, "carrier_id": c.carrier_id, "kind": c.kind, "parcels": c.parcels, "cost": c.cost}
            for c in plan.carrier_orders
        ],
        "orders": [
            {
                "id": o.id,
                "lat": o.lat,
                "lon": o.lon,
                "window_start_s": o.window.start,
                "window_end_s": o.window.end,
                "parcels": o.parcels,
                "service_s": o.service_s,
                "tier": o.tier,
                "pickup_point_id": o.pickup_point_id,
                "customer_id": o.customer_id,
                "first_choice": o.first_choice,
                "weight_kg": o.weight_kg,
                "volume_l": o.volume_l,
                "skills": list(o.skills),
                "windows": [str(w) for w in o.windows] if o.windows else None,
                # a soft window as planned: the order's own allowance or its tier's (its stop's)
                "max_late_s": stop_of[o.id].max_late_s if o.id in stop_of else 0,
                "late_cost_per_min": stop_of[o.id].late_cost_per_min if o.id in stop_of else 0.0,
                "ready_s": o.ready_s,  # when its parcels reach the depot; None: from the start of day
                "kind": o.kind,
                # a pickup-and-delivery order: where and when its parcels are picked up
                **({"pickup_lat": o.pickup_lat, "pickup_lon": o.pickup_lon, "pickup_address": o.pickup_address,
                    "pickup_window_start_s": (o.pickup_window or ALL_DAY).start,
                    "pickup_window_end_s": (o.pickup_window or ALL_DAY).end} if o.is_pair else {}),
            }
            for o in result.orders
        ],
    }


def slot_label(stop: dict) -> str:
    """The stop's slot: all its windows when it has several (``08:00-10:00|17:00-19:00``)."""
    if stop.get("windows"):
        return "|".join(stop["windows"])
    if stop.get("window_start_s") is None:
        return ""
    return f"{hhmm(stop['window_start_s'])}-{hhmm(stop['window_end_s'])}"


def late_minutes(stop: dict) -> str:
    """Minutes after the window closed (a soft window's allowed lateness); empty when on time."""
    return f"{stop['late_s'] / 60:.0f}" if stop.get("late_s") else ""


def _amount(value: float | None) -> str:
    """A stop's kilograms or litres for the sheet; empty when it has none (plans saved before them too)."""
    return f"{value:g}" if value else ""


def breaks_after(route: dict, stops_before: int) -> str:
    """``11:40-12:10`` for the driver's breaks taken after ``stops_before`` stops (`` `` between several)."""
    return " ".join(f"{b['start']}-{b['end']}" for b in route.get("breaks") or () if b["after_stops"] == stops_before)


def reload_before(route: dict, stops_before: int) -> str:
    """``12:05-12:20 load 40`` for a reload at the depot after ``stops_before`` stops, before the
    next one (empty when the van goes straight on)."""
    return " ".join(f"{x['start']}-{x['end']} load {x['parcels']}" for x in route.get("reloads") or ()
                    if x["after_stops"] == stops_before)


def task(stop: dict) -> str:
    """What the driver does at a stop of ``plan.json``: ``deliver``, ``collect`` for a return, or
    ``pick up`` at a pickup-and-delivery order's pickup place."""
    return {"return": "collect", "pickup": "pick up"}.get(stop.get("kind") or "", "deliver")


def sheet_rows(route: dict) -> list[list]:
    """The driver-sheet CSV rows of one route of ``plan.json`` (:func:`plan_to_dict`), in
    :data:`DRIVER_SHEET_COLUMNS` order. Weight (kg) and volume (litres) are empty when the stop's
    orders give none; ``skills`` lists what the stop needs (``two_person``, ``cold_chain``,
    ``installation``). ``window`` is the stop's slot, all its windows when it has several
    (``08:00-10:00|17:00-19:00``); ``window_used`` the one the plan serves it in; ``late_min`` the
    minutes after that window closed (a soft window's allowed lateness), else empty.
    ``break_before`` is the driver's break on the way to the stop (at the depot or on the leg),
    ``break_after`` (last stop only) one on the way back. ``task`` is ``deliver``, ``pick up`` (a pair's pickup end), or ``collect``
    for a return (its parcels come back on the van; ``load_after`` counts them). ``reload_before``
    is a reload at the depot before the stop: loading from-to and the parcels of the new trip
    (``load_after`` counts within a trip)."""
    stops = route["stops"]
    return [
        [route["vehicle_id"], s["seq"], s["stop_id"], " ".join(s["order_ids"]), s["address"], s["pickup_point_id"] or "",
         slot_label(s), s["arrival"], s["departure"], s["parcels"], s["load_after"], f"{s['lat']:.6f}", f"{s['lon']:.6f}",
         _amount(s.get("weight_kg")), _amount(s.get("volume_l")), " ".join(s.get("skills") or ()),
         s.get("window_used") or "", late_minutes(s), breaks_after(route, k),
         breaks_after(route, len(stops)) if k == len(stops) - 1 else "", task(s), reload_before(route, k)]
        for k, s in enumerate(stops)
    ]


def write_driver_sheet(result: DayResult, path: Path) -> None:
    """Every route's :func:`sheet_rows` under a header of :data:`DRIVER_SHEET_COLUMNS`."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv_writer(f)
        w.writerow(DRIVER_SHEET_COLUMNS)
        for route in plan_to_dict(result)["routes"]:
            w.writerows(sheet_rows(route))


def routes_geojson(result: DayResult, network: RoadNetwork) -> dict:
    """Each route as a line along the streets, plus its numbered stops and the depots (WGS84)."""
    features = []
    nodes = result.nodes
    depot_index = {d.id: i for i, d in enumerate(result.model.depots)}
    stop_index = {s.id: len(result.model.depots) + k for k, s in enumerate(result.model.stops)}
    for d in result.model.depots:
        features.append(point_feature(d.lon, d.lat, {"kind": "depot", "id": d.id, "name": d.name}))
    for r in result.plan.routes:
        depot_node = int(nodes[depot_index[r.depot_id]])
        seq = [depot_node] + [int(nodes[stop_index[v.stop_id]]) for v in r.visits] + [depot_node]
        features.append(
            line_feature(
                network.route_coordinates(seq),
                {
                    "kind": "route",
                    "vehicle_id": r.vehicle_id,
                    "stops": len(r.visits),
                    "distance_m": r.distance_m,
                    "start": hhmm(r.start),
                    "end": hhmm(r.end),
                },
            )
        )
        for k, v in enumerate(r.visits, start=1):
            features.append(
                point_feature(
                    v.lon,
                    v.lat,
                    {
                        "kind": "stop",
                        "vehicle_id": r.vehicle_id,
                        "seq": k,
                        "stop_id": v.stop_id,
                        "order_ids": list(v.order_ids),
                        "arrival": hhmm(v.arrival),
                        "window": str(v.window) if v.window else "",
                        "address": v.address,
                    },
                )
            )
    return feature_collection(features, attribution=ODBL_NOTICE)


def write_plan_files(result: DayResult, network: RoadNetwork, out_dir: Path) -> dict[str, Path]:
    """Write the four plan files into ``out_dir`` (created if needed); returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "plan": out_dir / "plan.json",
        "driver_sheet": out_dir / "routes.csv",
        "geojson": out_dir / "routes.geojson",
        "scorecard": out_dir / "scorecard.json",
    }
    paths["plan"].write_text(json.dumps(plan_to_dict(result), indent=1), encoding="utf-8")
    write_driver_sheet(result, paths["driver_sheet"])
    paths["geojson"].write_text(json.dumps(routes_geojson(result, network)), encoding="utf-8")
    paths["scorecard"].write_text(json.dumps(result.scorecard.to_dict(), indent=1), encoding="utf-8")
    return paths
