"""An independent checker for ``plan.json``: re-walks every route on the street network.

It shares nothing with the planner but the network loader: it snaps the coordinates written in
the file, builds its own travel-time matrix per route (by the vehicle's street ``profile``:
a cargo bike's cycle matrix), and replays the day stop by stop from
the depot departure, waiting where the van is early. It confirms:

* every order is on exactly one route, listed as unserved or handed to a carrier, never two of these;
* each order's delivery (service start) lies inside its booked window (one of its windows, when it
  has several; a soft window's start may be up to ``max_late_s`` after the last one closes);
* the parcels on a route fit the vehicle's capacity at every point: it leaves with the
  deliveries, and each return (``kind: return``) collected on the way stays on board;
* the route leaves the depot no earlier than the shift starts, nor before its orders' parcels
  reach the depot (``ready_s``), and returns by its end, and is no
  longer than the vehicle's ``max_route_s``;
* each break written on a route is one of the vehicle's breaks, in order, of its duration and
  inside its window, never during a service; a break the route does not list fits wholly before
  the departure or after the return;
* the times written in the file are the times the replay finds (breaks included); in a rush-hour
  band (``traffic``) a van's leg covers its free-flow seconds at the band's speed (the band's own
  matrix from the network's speed factors), so a leg that runs into or out of a band changes pace
  there, and a leg's time is set when it starts.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np


def check_plan_file(plan: dict, network, *, tolerance_s: int = 1) -> list[str]:
    """Return a list of violations (empty when the plan is valid)."""
    problems: list[str] = []
    orders = {o["id"]: o for o in plan["orders"]}
    vehicles = {v["id"]: v for v in plan["vehicles"]}
    depots = {d["id"]: d for d in plan["depots"]}

    # A pickup-and-delivery order is served where it is delivered; its pickup stop comes before, on the same route.
    served = Counter(oid for r in plan["routes"] for s in r["stops"] if s.get("kind") != "pickup" for oid in s["order_ids"])
    for r in plan["routes"]:
        picked: set[str] = set()
        for s in r["stops"]:
            for oid in s["order_ids"]:
                pair = orders.get(oid, {}).get("kind") == "pickup_delivery"
                if s.get("kind") == "pickup":
                    if not pair:
                        problems.append(f"route {r['vehicle_id']}: pickup stop {s['stop_id']} for order {oid}, "
                                        f"not a pickup-and-delivery order")
                    picked.add(oid)
                elif pair and oid not in picked:
                    problems.append(f"route {r['vehicle_id']}: order {oid} delivered before (or without) its pickup "
                                    f"on this route")
    unserved = Counter(u["order_id"] for u in plan["unserved"])
    carried = Counter(c["order_id"] for c in plan.get("carrier_orders") or [])
    for oid in carried:
        if oid in served or oid in unserved or carried[oid] > 1:
            problems.append(f"order {oid} is handed to a carrier and also routed, unserved or handed twice")
    for oid, n in served.items():
        if n > 1:
            problems.append(f"order {oid} is on {n} stops")
        if oid in unserved:
            problems.append(f"order {oid} is both served and unserved")
        if oid not in orders:
            problems.append(f"order {oid} on a route is not in the order list")
    missing = set(orders) - set(served) - set(unserved) - set(carried)
    if missing:
        problems.append(f"{len(missing)} orders are neither served nor unserved: {sorted(missing)[:5]}")

    for r in plan["routes"]:
        v = vehicles[r["vehicle_id"]]
        depot = depots[r["depot_id"]]
        stops = r["stops"]
        lats = [depot["lat"]] + [s["lat"] for s in stops]
        lons = [depot["lon"]] + [s["lon"] for s in stops]
        nodes = network.snap(np.array(lats), np.array(lons))
        profile = v.get("profile") or "drive"
        duration, _ = network.travel_matrices(nodes, profile=profile)
        bands = [] if profile != "drive" else [
            (b["start_s"], b["end_s"], network.travel_matrices(nodes, speed_factors=b["factors"])[0])
            for b in plan.get("traffic") or []]

        def travel(i: int, j: int, leave: int) -> int:
            return _leg(duration, bands, i, j, leave)

        where = f"route {r['vehicle_id']}"
        if r["start_s"] < v["shift_start_s"]:
            problems.append(f"{where} leaves at {r['start_s']} before its shift starts {v['shift_start_s']}")
        # Multi-trip: a reload after k stops ends a trip; each trip is loaded, timed and released alone.
        reloads = {x["after_stops"]: x for x in r.get("reloads") or []}
        if len(reloads) > (v.get("max_reloads") or 0):
            problems.append(f"{where} reloads {len(reloads)} times, at most {v.get('max_reloads') or 0}")
        cuts = [0, *sorted(reloads), len(stops)]
        trips = [stops[a:b] for a, b in zip(cuts, cuts[1:])]
        leaves = [r["start_s"]] + [reloads[k]["end_s"] for k in sorted(reloads)]

        def collected(s: dict, o: str) -> bool:  # comes aboard here: a return, or a pair's pickup
            return orders[o].get("kind") == "return" or s.get("kind") == "pickup"

        def from_depot(s: dict, o: str) -> bool:  # leaves the depot on the van: a delivery, not a pair's
            return orders[o].get("kind") not in ("return", "pickup_delivery")

        for trip, leave in zip(trips, leaves):
            ready = max((orders[o].get("ready_s") or 0 for s in trip for o in s["order_ids"]), default=0)
            if trip and leave < ready:
                problems.append(f"{where} leaves at {leave}, before its parcels reach the depot at {ready}")
            on_board = sum(orders[o]["parcels"] for s in trip for o in s["order_ids"] if from_depot(s, o))
            load = on_board
            for s in trip:
                on_board += sum(orders[o]["parcels"] * (1 if collected(s, o) else -1) for o in s["order_ids"])
                load = max(load, on_board)
            if load > v["capacity"]:
                problems.append(f"{where} carries {load} parcels on a trip, capacity {v['capacity']}")
        rules = v.get("breaks") or []
        taken = r.get("breaks") or []
        problems.extend(_break_problems(where, rules, taken, r))
        if v.get("max_route_s") is not None and stops and r["end_s"] - r["start_s"] > v["max_route_s"]:
            problems.append(f"{where} lasts {r['end_s'] - r['start_s']} s, above its maximum {v['max_route_s']} s")
        on_leg = {}
        for b in taken:
            on_leg.setdefault(b["after_stops"], []).append(b)
        t = r["start_s"]
        prev = 0
        for k, s in enumerate(stops, start=1):
            here = on_leg.get(k - 1, [])
            if k - 1 in reloads and k > 1:  # back to the depot first (breaks before the reload on that leg)
                x = reloads[k - 1]
                there = _drive(t, travel(prev, 0, t), [b for b in here if b["start_s"] < x["arrival_s"]], problems, where)
                if abs(there - x["arrival_s"]) > tolerance_s:
                    problems.append(f"{where} reload after stop {k - 1}: file says back at {x['arrival_s']}, "
                                    f"replay gives {there}")
                if x["start_s"] < there or x["end_s"] - x["start_s"] < (v.get("reload_s") or 0):
                    problems.append(f"{where} reload after stop {k - 1} loads {x['start_s']}-{x['end_s']}, "
                                    f"back at {there}, needs {v.get('reload_s') or 0} s")
                here = [b for b in here if b["start_s"] >= x["arrival_s"]]
                t, prev = x["end_s"], 0
            arrival = _drive(t, travel(prev, k, t), here, problems, where)
            at_pickup = s.get("kind") == "pickup"
            start = max(arrival, max(_windows(orders[o], at_pickup)[0][0] for o in s["order_ids"]))
            for o in s["order_ids"]:  # several windows: wait for the next one when arriving in a gap
                wins = _windows(orders[o], at_pickup)
                for w in wins:
                    allowed = (orders[o].get("max_late_s") or 0) if w == wins[-1] and not at_pickup else 0
                    if start <= w[1] + allowed:
                        start = max(start, w[0])
                        break
            if abs(arrival - s["arrival_s"]) > tolerance_s:
                problems.append(f"{where} stop {k}: file says arrival {s['arrival_s']}, replay gives {arrival}")
            for o in s["order_ids"]:
                wins = _windows(orders[o], at_pickup)
                late = 0 if at_pickup else orders[o].get("max_late_s") or 0
                if not any(w[0] <= start <= w[1] + (late if w == wins[-1] else 0) for w in wins):
                    problems.append(f"{where} stop {k}: order {o} delivered at {start}, windows {wins}"
                                    + (f" (+{late} s allowed late)" if late else ""))
            service = s["departure_s"] - s["start_s"]
            if s["pickup_point_id"] is None:
                needed = sum(orders[o]["service_s"] for o in s["order_ids"])
                if service < needed:
                    problems.append(f"{where} stop {k}: {service} s of service, orders need {needed} s")
            t = start + service
            prev = k
        back = _drive(t, travel(prev, 0, t), on_leg.get(len(stops), []), problems, where) if stops else t
        if back > v["shift_end_s"]:
            problems.append(f"{where} returns at {back}, after its shift ends {v['shift_end_s']}")
        if abs(back - r["end_s"]) > tolerance_s:
            problems.append(f"{where}: file says return {r['end_s']}, replay gives {back}")
    return problems


def _leg(free, bands, i: int, j: int, leave: int) -> int:
    """Seconds from ``i`` to ``j`` leaving at ``leave``: the free-flow seconds ``free[i][j]`` covered
    at full pace outside the bands and at ``free / banded`` of it inside each ``(start, end,
    banded matrix)``, rounded up to a whole second."""
    work, t = float(free[i][j]), float(leave)
    for start, end, banded in sorted(bands, key=lambda b: b[0]):
        if work <= 0:
            break
        if t < start:
            step = min(work, start - t)
            work, t = work - step, t + step
        if work <= 0 or t >= end:
            continue
        pace = float(free[i][j]) / float(banded[i][j]) if banded[i][j] > 0 else 1.0
        step = min(work / pace, end - t)
        work, t = work - step * pace, t + step
    return math.ceil(t + max(work, 0.0) - leave - 1e-6)


def _drive(ready: int, travel: int, breaks: list[dict], problems: list[str], where: str) -> int:
    """Arrival after a leg of ``travel`` s from ``ready`` with ``breaks`` taken on it: the van drives
    until a break starts (or waits for it at the far end), then drives on."""
    cur, remaining = ready, travel
    for b in breaks:
        if b["start_s"] < cur:
            problems.append(f"{where}: break at {b['start_s']} starts before the service or break before it ends ({cur})")
        remaining -= min(remaining, max(0, b["start_s"] - cur))
        cur = max(cur, b["start_s"]) + (b["end_s"] - b["start_s"])
    return cur + remaining


def _break_problems(where: str, rules: list[dict], taken: list[dict], route: dict) -> list[str]:
    """Breaks listed on a route against the vehicle's: in order, each of its rule's duration and
    inside its window; the rules not listed fit before the departure or after the return."""
    out = []
    listed = sorted(taken, key=lambda b: b["start_s"])
    if len(listed) > len(rules):
        return [f"{where} lists {len(listed)} breaks, the vehicle has {len(rules)}"]
    # Which rules the listed ones are: a route takes a prefix before it leaves, then its listed
    # ones, then the rest after it is back; try every split.
    for before in range(len(rules) - len(listed) + 1):
        inside = rules[before:before + len(listed)]
        ok = all(b["end_s"] - b["start_s"] == rule["duration_s"] and rule["earliest_s"] <= b["start_s"]
                 and b["end_s"] <= rule["latest_s"] for b, rule in zip(listed, inside))
        end = None
        for rule in rules[:before]:
            start = rule["earliest_s"] if end is None else max(rule["earliest_s"], end)
            end = start + rule["duration_s"]
            ok = ok and end <= min(rule["latest_s"], route["start_s"])
        cur = route["end_s"]
        for rule in rules[before + len(listed):]:
            start = max(rule["earliest_s"], cur)
            cur = start + rule["duration_s"]
            ok = ok and cur <= rule["latest_s"]
        if ok:
            return out
    return [f"{where}: its breaks {[(b['start_s'], b['end_s']) for b in listed]} do not meet the vehicle's {rules}"]


def _windows(order: dict, at_pickup: bool = False) -> list[tuple[int, int]]:
    """The order's windows in seconds: its ``windows`` labels (``HH:MM-HH:MM``), else its one window;
    ``at_pickup``: a pickup-and-delivery order's pickup window."""
    if at_pickup:
        return [(order["pickup_window_start_s"], order["pickup_window_end_s"])]
    if not order.get("windows"):
        return [(order["window_start_s"], order["window_end_s"])]
    def sec(t: str) -> int:
        h, m = t.split(":")
        return int(h) * 3600 + int(m) * 60
    return [(sec(a), sec(b)) for a, b in (w.split("-") for w in order["windows"])]
