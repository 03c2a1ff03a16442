"""Anonymizing the saved plans of a day, keeping the street legs its actual scorecard needs.

A saved plan holds each order's customer id, address, instructions and coordinates, each stop's
address and coordinates, and map features (stop points, route lines along the streets). For the
anonymized bookings of a day these become: the pseudonym, empty text, the zone's centre, and a
route line drawn straight through the stops. Because the actual scorecard (``lastmile scorecard
--actual``) measures the driven kilometres over the streets between the places a van reported,
the legs from and to each anonymized stop are first measured from the exact places and kept in
the plan (:data:`scenarios.execution.scorecard.FROZEN_LEGS`), so the scorecard is unchanged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduling.privacy.anonymize import ZonePlace, scrub
from scheduling.storage.models import Publication, SavedPlan
from scenarios.execution.scorecard import (FROZEN_LEGS, LEG_SEP, NothingPublished, frozen_leg_key, load_driven,
                                           travel_table)
from scenarios.scenario import Scenario


@dataclass
class PlanScrub:
    plans_changed: int = 0
    legs_kept: int = 0


class _Recording:
    """A travel table that remembers which legs were asked for, by street profile."""

    def __init__(self, table, used: dict[str, list[float]] | None = None):
        self.table = table
        self.index = table.index
        self.used: dict[str, list[float]] = {} if used is None else used

    def leg(self, a: str, b: str) -> tuple[float, float]:
        metres, seconds = self.table.leg(a, b)
        self.used[frozen_leg_key(self.table.profile, a, b)] = [metres, seconds]
        return metres, seconds

    def for_vehicle(self, vehicle_id: str):
        """The recording of ``vehicle_id``'s own table (a cargo bike's cycle legs), into the same record."""
        own = self.table.for_vehicle(vehicle_id)
        return self if own is self.table else _Recording(own, self.used)


def _erased_places(plan: dict, erased: set[str]) -> set[str]:
    """Stop ids (door stops of erased orders) and order ids of the erased bookings."""
    places = {o["id"] for o in plan.get("orders", []) if o.get("booking_id") in erased or o.get("id") in erased}
    places |= {o["id"] for o in plan["plan"].get("orders", []) if o.get("id") in erased}
    for r in plan["plan"].get("routes", []):
        for st in r.get("stops", []):
            if st.get("pickup_point_id") is None and set(st.get("order_ids") or [st["stop_id"]]) & places:
                places.add(st["stop_id"])
    return places


def freeze_legs(db, scenario: Scenario, date: str, erased: set[str], network, *, whole_rows: bool) -> tuple[int | None, dict[str, list[float]]]:
    """``(published plan id, legs)`` of the date's latest publication for its erased places.

    ``whole_rows``: every leg from and to an erased place (the day may still be driven: later
    events may ask for any of them); else only the legs today's actual scorecard uses (a day
    long past: its events are final).
    """
    from optimizer.actual import actual_scorecard

    try:
        inputs = load_driven(db, scenario.name, date)
    except NothingPublished:
        return None, {}
    data_places = _erased_places({"orders": [], "plan": inputs.plan}, erased) | {o.id for o in inputs.orders if o.booking_id in erased}
    if whole_rows:
        # Every place of the day, not only those reported so far.
        full = _full_table(scenario, inputs, network)
        legs = {}
        for p in data_places & set(full.index):
            for table in {id(t): t for t in [full, *full.by_vehicle.values()]}.values():  # each street profile
                for x in full.index:
                    legs[frozen_leg_key(table.profile, p, x)] = list(table.leg(p, x))
                    legs[frozen_leg_key(table.profile, x, p)] = list(table.leg(x, p))
        return inputs.plan_id, legs
    recording = _Recording(travel_table(scenario, inputs, network))
    actual_scorecard(date=date, plan=inputs.plan, orders=inputs.orders, vehicles=inputs.vehicles, events=inputs.events,
                     travel=recording, eta_windows=inputs.eta_windows, feedback=inputs.feedback,
                     confirmed_booking_ids=inputs.confirmed, planned_scorecard=inputs.planned_scorecard,
                     plan_id=inputs.plan_id, personalization=None, currency=scenario.spec.currency)
    return inputs.plan_id, {k: v for k, v in recording.used.items() if set(k.split(LEG_SEP)[-2:]) & data_places}


def _full_table(scenario: Scenario, inputs, network):
    """The travel table over every depot, stop and order of the plan (not only the reported ones)."""
    from dataclasses import replace

    from optimizer.actual import Event

    every = [Event("", "arrived", 0, s["stop_id"], None, None) for r in inputs.plan["routes"] for s in r["stops"]]
    every += [Event("", "arrived", 0, o.id, None, None) for o in inputs.orders]
    return travel_table(scenario, replace(inputs, events=every), network)


def _straight_line(route: dict, depots: Mapping[str, tuple[float, float]]) -> list[list[float]]:
    depot = depots.get(route.get("depot_id"))
    points = [[st["lon"], st["lat"]] for st in route.get("stops", [])]
    if depot is not None:
        points = [[depot[1], depot[0]], *points, [depot[1], depot[0]]]
    return points


def scrub_plan(data: dict, erased: set[str], zones: Mapping[str, ZonePlace], names: Mapping[str, str],
               legs: Mapping[str, list[float]] | None = None) -> bool:
    """Anonymize the erased bookings' orders and stops of one saved plan (in place); whether it changed.

    ``names``: the pseudonym per booking id; ``legs`` are added to the plan's frozen legs.
    """
    plan = data.get("plan", {})
    places = _erased_places(data, erased)
    if not places:
        return False
    zone_of: dict[str, str] = {}
    booking_of: dict[str, str] = {}
    for o in data.get("orders", []):
        if o.get("id") in places:
            zone_of[o["id"]] = o.get("zone", "")
            booking_of[o["id"]] = o.get("booking_id") or o["id"]

    def place(oid: str) -> tuple[float, float] | None:
        z = zones.get(zone_of.get(oid, ""))
        return None if z is None else (z.lat, z.lon)

    def name(oid: str) -> str:
        return names.get(booking_of.get(oid, oid), "anon")

    for key in ("orders",):
        data[key] = [scrub(o, customer=name(o["id"]), place=place(o["id"])) if o.get("id") in places else o for o in data.get(key, [])]
    plan["orders"] = [scrub(o, customer=name(o["id"]), place=place(o["id"])) if o.get("id") in places else o for o in plan.get("orders", [])]
    touched_vehicles = set()
    stop_place: dict[str, tuple[float, float] | None] = {}
    for r in plan.get("routes", []):
        for i, st in enumerate(r.get("stops", [])):
            if st["stop_id"] in places:
                first = (st.get("order_ids") or [st["stop_id"]])[0]
                stop_place[st["stop_id"]] = place(first)
                r["stops"][i] = scrub(st, customer=name(first), place=place(first))
                touched_vehicles.add(r.get("vehicle_id"))
    depots = {d["id"]: (d["lat"], d["lon"]) for d in plan.get("depots", [])}
    routes = {r.get("vehicle_id"): r for r in plan.get("routes", [])}
    for f in (data.get("geojson") or {}).get("features", []):
        props = f.get("properties") or {}
        if props.get("kind") == "stop" and props.get("stop_id") in places:
            f["properties"] = scrub(props, customer="", place=None)
            where = stop_place.get(props["stop_id"])
            if where is not None:
                f["geometry"]["coordinates"] = [where[1], where[0]]
        elif props.get("kind") == "route" and props.get("vehicle_id") in touched_vehicles:
            f["geometry"]["coordinates"] = _straight_line(routes[props["vehicle_id"]], depots)
    if legs:
        plan.setdefault(FROZEN_LEGS, {}).update(legs)
    return True


def scrub_day_plans(s: Session, scenario_name: str, date: str | None, erased: set[str], zones: Mapping[str, ZonePlace],
                    names: Mapping[str, str], legs: Mapping[str, list[float]], legs_plan_id: int | None,
                    candidates: Iterable[int] | None = None) -> PlanScrub:
    """Scrub every saved plan of ``date`` (or the plans ``candidates``) holding an erased booking."""
    report = PlanScrub()
    q = select(SavedPlan)
    if candidates is not None:
        q = q.where(SavedPlan.id.in_(list(candidates)))
    else:
        q = q.where(SavedPlan.date == date)
    for row in s.scalars(q).all():
        data = json.loads(row.plan_json)
        own_legs = legs if row.id == legs_plan_id else None
        if scrub_plan(data, erased, zones, names, own_legs):
            row.plan_json = json.dumps(data)
            report.plans_changed += 1
            report.legs_kept += len(own_legs or {})
    return report


def plans_holding(s: Session, booking_ids: Iterable[str]) -> dict[int, str]:
    """``{plan id: date}`` of the saved plans whose JSON names any of ``booking_ids``."""
    out: dict[int, str] = {}
    for bid in booking_ids:
        for pid, date in s.execute(select(SavedPlan.id, SavedPlan.date).where(SavedPlan.plan_json.contains(bid))).all():
            out[pid] = date
    return out


def published_dates(s: Session, scenario_name: str, dates: Iterable[str]) -> set[str]:
    return set(s.scalars(select(Publication.date).where(Publication.scenario == scenario_name, Publication.date.in_(list(dates)))).all())
