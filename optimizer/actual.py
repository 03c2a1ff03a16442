"""The actual scorecard: how the day went as it was driven, next to how it was planned.

Pure functions over plain inputs: the published plan's routes (as saved, see
:func:`scenarios.export.plan_to_dict`), the delivery events reported from the road, the
customers' feedback, and street distances and times between the visited places. The shell
that reads them from the store is :mod:`scenarios.execution.scorecard`.

Rules, in the dispatcher's terms:

* An order's **outcome** is its first ``delivered`` or ``failed`` event (by ``at_s``, then in
  the order given), as the core records an outcome once; an event without ``order_id``
  decides the orders of its stop that have no outcome yet. An order
  of the plan with no outcome is **unserved**: ``not_reached`` if it was on a route, else the
  plan's reason (``fleet_full``, ...); a confirmed booking missing from the plan is
  ``not_in_plan``. So ``delivered + failed + unserved == orders_total`` always.
* **On time** (slot): delivered at a time inside the booked slot, ends included. **On time**
  (ETA): inside the ETA window published to the customer (orders without one are not counted).
* A vehicle was **driven** if it has a ``departed`` event or any stop event. Its actual
  distance is depot -> the stops it reported, in the order first reported -> depot, on the
  street matrices; its hours run from ``departed`` (else the planned start) to its last event,
  plus the drive back to the depot.
* Costs: transport = actual km x cost per km, labour = hours x cost per hour, vehicles = the
  fixed cost of each vehicle driven.

Units: times are seconds since midnight of the plan date; distances in the inputs are metres,
in the scorecard kilometres; hours are hours; money is in the scenario currency.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Iterable, Mapping, Sequence

from optimizer.domain import Order, TimeWindow, Vehicle

OUTCOME_KINDS = ("delivered", "failed")
STOP_KINDS = ("arrived", "delivered", "failed")
NOT_REACHED = "not_reached"
NOT_IN_PLAN = "not_in_plan"


@dataclass(frozen=True)
class Event:
    """One reported event, as the scorecard needs it (``at_s``: seconds since midnight)."""

    vehicle_id: str
    type: str  # departed | arrived | delivered | failed | picked_up
    at_s: int
    stop_id: str | None = None
    order_id: str | None = None
    reason: str | None = None  # failed only


@dataclass(frozen=True)
class Rating:
    """One customer's feedback: ``rating`` 1-5 and the categories they ticked."""

    rating: int
    categories: tuple[str, ...] = ()
    vehicle_id: str | None = None
    order_id: str | None = None  # the plan's order id of the booking rated

    def __post_init__(self) -> None:
        if not 1 <= int(self.rating) <= 5:
            raise ValueError(f"rating: {self.rating} is not between 1 and 5; give a whole number 1-5")


@dataclass(frozen=True)
class TravelTable:
    """Street distances (metres) and driving times (seconds) between named places.

    ``index`` maps a place (a stop id, or ``"depot:<id>"``) to its row in both matrices.
    """

    index: Mapping[str, int]
    distance_m: Sequence[Sequence[float]]
    duration_s: Sequence[Sequence[float]]
    # The tables of vehicles that travel by another street profile (a cargo bike's), by vehicle id.
    by_vehicle: Mapping[str, "TravelTable"] = field(default_factory=dict)
    profile: str = "drive"  # the street profile the matrices are of

    def for_vehicle(self, vehicle_id: str) -> "TravelTable":
        """The table ``vehicle_id``'s legs are measured on: its street profile's, else this one."""
        return self.by_vehicle.get(vehicle_id, self)

    def leg(self, a: str, b: str) -> tuple[float, float]:
        """``(metres, seconds)`` from place ``a`` to place ``b``; a place not in the table is a ``KeyError``
        naming it."""
        for place in (a, b):
            if place not in self.index:
                raise KeyError(f"place '{place}' has no row in the travel table; add it to the matrices")
        i, j = self.index[a], self.index[b]
        return float(self.distance_m[i][j]), float(self.duration_s[i][j])


def depot_place(depot_id: str) -> str:
    return f"depot:{depot_id}"


@dataclass(frozen=True)
class OrderOutcome:
    """What became of one order (times in seconds since midnight)."""

    order_id: str
    booking_id: str | None
    zone: str
    vehicle_id: str | None  # who reported the outcome, else who was planned to serve it
    stop_id: str | None
    outcome: str  # delivered | failed | unserved
    reason: str | None  # failed: the driver's reason; unserved: not_reached, not_in_plan or the plan's reason
    at_s: int | None
    slot_start_s: int | None
    slot_end_s: int | None
    eta_start_s: int | None
    eta_end_s: int | None
    on_time_slot: bool | None  # delivered only
    on_time_eta: bool | None  # delivered with an ETA window only
    first_choice: bool | None  # delivered only


@dataclass(frozen=True)
class ActualScorecard:
    """Key figures of one driven day, with the plan's figures next to them.

    Rates are shares in [0, 1]; ``*_km`` kilometres; ``*_hours`` hours; costs in ``currency``.
    ``failed_rate`` is failed over attempted (delivered + failed); ``rating_average`` is the
    mean of 1-5 ratings (0.0 without feedback); ``feedback_share`` the share of feedback that
    names each category. ``extra_cost_per_order`` is the price of personalization (None when
    the counterfactual was not run).
    """

    date: str
    plan_id: int | None
    orders_total: int
    delivered: int
    failed: int
    unserved: int
    unserved_by_reason: dict[str, int]
    failed_by_reason: dict[str, int]
    failed_rate: float
    on_time_slot: int
    on_time_rate: float  # delivered inside the booked slot, over delivered
    eta_counted: int
    on_time_eta: int
    on_time_eta_rate: float  # delivered inside the published ETA window, over delivered with one
    preference_match_rate: float  # delivered in the customer's first choice, over delivered
    vehicles_driven: int
    planned_km: float
    actual_km: float
    planned_hours: float
    driver_hours: float
    cost_transport: float
    cost_labour: float
    cost_fixed: float
    cost_total: float
    cost_per_order: float  # actual total over delivered
    planned: dict  # the plan's scorecard figures: km, driver_hours, cost_*, on_time_rate, ...
    feedback_count: int
    rating_average: float
    rating_sum: int
    feedback_by_category: dict[str, int]
    feedback_share: dict[str, float]
    bookings_confirmed: int
    bookings_delivered: int
    bookings_failed: int
    bookings_unserved: int
    per_vehicle: list[dict]
    per_zone: list[dict]
    orders: list[OrderOutcome]
    personalization: dict | None = None
    currency: str = "SEK"
    notes: list[str] = field(default_factory=list)

    @property
    def extra_cost_per_order(self) -> float | None:
        return None if self.personalization is None else self.personalization["extra_cost_per_order"]

    def to_dict(self) -> dict:
        d = asdict(self)
        d["extra_cost_per_order"] = self.extra_cost_per_order
        return d


def _share(part: float, whole: float) -> float:
    return round(part / whole, 4) if whole else 0.0


def _outcomes(events: Sequence[Event], stop_orders: Mapping[str, Sequence[str]]) -> dict[str, Event]:
    """Order id -> its deciding (first) delivered/failed event."""
    decided: dict[str, Event] = {}
    ordered = sorted(enumerate(events), key=lambda ke: (ke[1].at_s, ke[0]))
    for _, e in ordered:
        if e.type not in OUTCOME_KINDS:
            continue
        targets = [e.order_id] if e.order_id is not None else list(stop_orders.get(e.stop_id or "", ()))
        for oid in targets:
            decided.setdefault(oid, e)
    return decided


def _vehicle_day(events: Sequence[Event], route: Mapping | None, depot_id: str, travel: TravelTable) -> dict:
    """Actual distance (km) and hours of one driven vehicle from its events."""
    ordered = sorted(events, key=lambda e: e.at_s)
    visited = list(dict.fromkeys(e.stop_id for e in ordered if e.type in STOP_KINDS and e.stop_id))
    depot = depot_place(depot_id)
    places = [depot, *visited, depot]
    metres = sum(travel.leg(a, b)[0] for a, b in zip(places, places[1:]))
    departed = [e.at_s for e in ordered if e.type == "departed"]
    start = departed[0] if departed else (int(route["start_s"]) if route else ordered[0].at_s)
    last = max(e.at_s for e in ordered)
    back_s = travel.leg(visited[-1], depot)[1] if visited else 0.0
    hours = max(0.0, last + back_s - start) / 3600.0
    return {"km": metres / 1000.0, "hours": hours, "visited": visited, "start_s": start, "end_s": int(last + back_s)}


def actual_scorecard(
    *,
    date: str,
    plan: Mapping,
    orders: Sequence[Order] | Mapping[str, Order],
    vehicles: Sequence[Vehicle],
    events: Sequence[Event],
    travel: TravelTable,
    eta_windows: Mapping[str, TimeWindow] | None = None,
    feedback: Sequence[Rating] = (),
    confirmed_booking_ids: Iterable[str] | None = None,
    planned_scorecard: Mapping | None = None,
    plan_id: int | None = None,
    personalization: Mapping | None = None,
    currency: str = "SEK",
) -> ActualScorecard:
    """The scorecard of ``date`` as driven.

    ``plan`` is the saved plan's ``plan`` part (routes with ``stops``, ``unserved``); ``orders``
    every order of the plan; ``vehicles`` the fleet with its costs; ``events`` the day's
    delivery events; ``travel`` distances between the depots (``depot:<id>``) and every stop
    reported; ``eta_windows`` order id -> ETA window published; ``confirmed_booking_ids`` the
    date's confirmed bookings (those missing from the plan count as unserved, ``not_in_plan``);
    ``planned_scorecard`` the plan's :class:`~optimizer.scorecard.Scorecard` as a dict.
    """
    order_by_id = dict(orders) if isinstance(orders, Mapping) else {o.id: o for o in orders}
    vehicle_by_id = {v.id: v for v in vehicles}
    eta_windows = eta_windows or {}
    routes = {r["vehicle_id"]: r for r in plan.get("routes", [])}
    stop_orders: dict[str, list[str]] = {}
    planned_vehicle: dict[str, str] = {}
    planned_stop: dict[str, str] = {}
    for r in routes.values():
        for s in r["stops"]:
            stop_orders[s["stop_id"]] = list(s["order_ids"])
            for oid in s["order_ids"]:
                planned_vehicle[oid], planned_stop[oid] = r["vehicle_id"], s["stop_id"]
    plan_unserved = {u["order_id"]: u for u in plan.get("unserved", [])}
    for u in plan_unserved.values():
        stop_orders.setdefault(u["stop_id"], []).append(u["order_id"])
        planned_stop.setdefault(u["order_id"], u["stop_id"])
    notes: list[str] = []
    unknown = sorted({e.order_id for e in events if e.order_id and e.order_id not in order_by_id})
    if unknown:
        notes.append(f"{len(unknown)} event(s) name orders that are not in the plan and were left out: {', '.join(unknown[:5])}")
    off_map = sorted({e.stop_id for e in events if e.stop_id and e.stop_id not in travel.index})
    if off_map:
        notes.append(f"{len(off_map)} stop(s) reported have no place in the travel table and were left out of the "
                     f"distances: {', '.join(off_map[:5])}")
    decided = _outcomes([e for e in events if e.order_id is None or e.order_id in order_by_id], stop_orders)

    outcomes = _order_outcomes(order_by_id, decided, eta_windows, plan_unserved, planned_vehicle, planned_stop)
    booked_in_plan = {o.booking_id for o in order_by_id.values() if o.booking_id}
    confirmed = set(confirmed_booking_ids) if confirmed_booking_ids is not None else set(booked_in_plan)
    outcomes += [OrderOutcome(bid, bid, "", None, None, "unserved", NOT_IN_PLAN, None, None, None, None, None, None,
                              None, None) for bid in sorted(confirmed - booked_in_plan)]
    driven = [e for e in events if not (e.stop_id and e.stop_id in off_map)]
    per_vehicle, sums, vehicle_notes = _per_vehicle(routes, vehicle_by_id, driven, outcomes, feedback, travel)
    notes += vehicle_notes
    km, hours, transport, labour, fixed = (float(sums[k]) for k in ("km", "hours", "transport", "labour", "fixed"))

    # -- totals ------------------------------------------------------------------------------
    delivered = [x for x in outcomes if x.outcome == "delivered"]
    failed = [x for x in outcomes if x.outcome == "failed"]
    unserved = [x for x in outcomes if x.outcome == "unserved"]
    on_slot = sum(bool(x.on_time_slot) for x in delivered)
    with_eta = [x for x in delivered if x.on_time_eta is not None]
    on_eta = sum(bool(x.on_time_eta) for x in with_eta)
    matched = sum(bool(x.first_choice) for x in delivered)
    categories: Counter[str] = Counter(c for f in feedback for c in dict.fromkeys(f.categories))
    rating_sum = sum(int(f.rating) for f in feedback)
    total = transport + labour + fixed
    ps = dict(planned_scorecard or {})
    planned = {k: ps.get(k) for k in ("orders_served", "orders_unserved", "on_time_rate", "km", "driver_hours",
                                      "cost_transport", "cost_labour", "cost_fixed", "cost_total", "cost_per_order",
                                      "vehicles_used", "preference_match_rate")}
    planned_km = ps.get("km", sum(r["planned_km"] for r in per_vehicle))
    planned_hours = ps.get("driver_hours", sum(r["planned_hours"] for r in per_vehicle))
    booked = [x for x in outcomes if x.booking_id in confirmed]
    return ActualScorecard(
        date=date, plan_id=plan_id, orders_total=len(outcomes), delivered=len(delivered), failed=len(failed),
        unserved=len(unserved), unserved_by_reason=dict(sorted(Counter(x.reason for x in unserved).items())),
        failed_by_reason=dict(sorted(Counter(x.reason for x in failed).items())),
        failed_rate=_share(len(failed), len(delivered) + len(failed)),
        on_time_slot=on_slot, on_time_rate=_share(on_slot, len(delivered)),
        eta_counted=len(with_eta), on_time_eta=on_eta, on_time_eta_rate=_share(on_eta, len(with_eta)),
        preference_match_rate=_share(matched, len(delivered)),
        vehicles_driven=sum(r["driven"] for r in per_vehicle),
        planned_km=round(float(planned_km), 3), actual_km=round(km, 3),
        planned_hours=round(float(planned_hours), 3), driver_hours=round(hours, 3),
        cost_transport=round(transport, 2), cost_labour=round(labour, 2), cost_fixed=round(fixed, 2),
        cost_total=round(total, 2), cost_per_order=round(total / len(delivered), 2) if delivered else 0.0,
        planned=planned, feedback_count=len(feedback),
        rating_average=round(rating_sum / len(feedback), 3) if feedback else 0.0, rating_sum=rating_sum,
        feedback_by_category=dict(sorted(categories.items())),
        feedback_share={c: _share(n, len(feedback)) for c, n in sorted(categories.items())},
        bookings_confirmed=len(confirmed),
        bookings_delivered=sum(x.outcome == "delivered" for x in booked),
        bookings_failed=sum(x.outcome == "failed" for x in booked),
        bookings_unserved=sum(x.outcome == "unserved" for x in booked),
        per_vehicle=per_vehicle, per_zone=_per_zone(outcomes, feedback, order_by_id), orders=outcomes,
        personalization=dict(personalization) if personalization is not None else None,
        currency=currency, notes=notes,
    )


def _order_outcomes(order_by_id: Mapping[str, Order], decided: Mapping[str, Event], eta_windows: Mapping[str, TimeWindow],
                    plan_unserved: Mapping[str, Mapping], planned_vehicle: Mapping[str, str],
                    planned_stop: Mapping[str, str]) -> list[OrderOutcome]:
    """One :class:`OrderOutcome` per order of the plan, with its verdicts."""
    outcomes = []
    for oid, o in order_by_id.items():
        e, eta = decided.get(oid), eta_windows.get(oid)
        eta_start, eta_end = (eta.start, eta.end) if eta else (None, None)
        if e is None:
            reason = plan_unserved[oid]["reason"] if oid in plan_unserved else NOT_REACHED
            outcomes.append(OrderOutcome(oid, o.booking_id, o.zone, planned_vehicle.get(oid), planned_stop.get(oid),
                                         "unserved", reason, None, o.window.start, o.window.end, eta_start, eta_end,
                                         None, None, None))
            continue
        delivered = e.type == "delivered"
        outcomes.append(OrderOutcome(
            oid, o.booking_id, o.zone, e.vehicle_id, e.stop_id or planned_stop.get(oid), e.type,
            None if delivered else (e.reason or "other"), e.at_s, o.window.start, o.window.end, eta_start, eta_end,
            any(w.contains(e.at_s) for w in o.time_windows) if delivered else None,  # one of several windows
            eta.contains(e.at_s) if delivered and eta else None,
            o.got_first_choice if delivered else None))
    return outcomes


def _per_vehicle(routes: Mapping[str, Mapping], vehicle_by_id: Mapping[str, Vehicle], events: Sequence[Event],
                 outcomes: Sequence[OrderOutcome], feedback: Sequence[Rating],
                 travel: TravelTable) -> tuple[list[dict], Counter[str], list[str]]:
    """One row per vehicle with a route or events; the unrounded sums of ``km``, ``hours``,
    ``transport``, ``labour`` and ``fixed`` over the vehicles; notes on events of vehicles
    outside the fleet."""
    by_vehicle: dict[str, list[Event]] = defaultdict(list)
    for e in events:
        by_vehicle[e.vehicle_id].append(e)
    ratings: dict[str, list[int]] = defaultdict(list)
    for f in feedback:
        if f.vehicle_id:
            ratings[f.vehicle_id].append(int(f.rating))
    rows, notes, sums = [], [], Counter()
    for vid in sorted(set(routes) | set(by_vehicle)):
        v = vehicle_by_id.get(vid)
        if v is None:
            notes.append(f"events of vehicle '{vid}' were left out: it is not in the plan's fleet")
            continue
        route = routes.get(vid)
        planned_km = (route["distance_m"] / 1000.0) if route and route["stops"] else 0.0
        planned_h = ((route["end_s"] - route["start_s"]) / 3600.0) if route and route["stops"] else 0.0
        mine = [x for x in outcomes if x.vehicle_id == vid]
        row = {"vehicle_id": vid, "driven": bool(by_vehicle.get(vid)), "planned_stops": len(route["stops"]) if route else 0,
               "planned_km": round(planned_km, 2), "planned_hours": round(planned_h, 2),
               "delivered": sum(x.outcome == "delivered" for x in mine),
               "failed": sum(x.outcome == "failed" for x in mine),
               "not_reached": sum(x.outcome == "unserved" for x in mine),
               "on_time_slot": sum(bool(x.on_time_slot) for x in mine),
               "stops_visited": 0, "km": 0.0, "hours": 0.0, "departed_s": None, "back_s": None,
               "cost_transport": 0.0, "cost_labour": 0.0, "cost_fixed": 0.0, "cost_total": 0.0}
        row["on_time_rate"] = _share(row["on_time_slot"], row["delivered"])
        r = ratings.get(vid, [])
        row["feedback_count"], row["rating_average"] = len(r), round(sum(r) / len(r), 3) if r else 0.0
        if row["driven"]:
            depot_id = route["depot_id"] if route else v.depot_id
            day = _vehicle_day(by_vehicle[vid], route, depot_id, travel.for_vehicle(vid))
            t, lab = day["km"] * v.cost_per_km, day["hours"] * v.cost_per_hour
            row.update(stops_visited=len(day["visited"]), km=round(day["km"], 2), hours=round(day["hours"], 2),
                       departed_s=day["start_s"], back_s=day["end_s"], cost_transport=round(t, 2),
                       cost_labour=round(lab, 2), cost_fixed=round(v.fixed_cost, 2),
                       cost_total=round(t + lab + v.fixed_cost, 2))
            sums.update(km=day["km"], hours=day["hours"], transport=t, labour=lab, fixed=v.fixed_cost)
        rows.append(row)
    return rows, sums, notes


def _per_zone(outcomes: Sequence[OrderOutcome], feedback: Sequence[Rating], order_by_id: Mapping[str, Order]) -> list[dict]:
    ratings: dict[str, list[int]] = defaultdict(list)
    for f in feedback:
        if f.order_id in order_by_id:
            ratings[order_by_id[f.order_id].zone].append(int(f.rating))
    rows = []
    for zone in sorted({x.zone for x in outcomes}):
        mine = [x for x in outcomes if x.zone == zone]
        d = sum(x.outcome == "delivered" for x in mine)
        f = sum(x.outcome == "failed" for x in mine)
        on = sum(bool(x.on_time_slot) for x in mine)
        r = ratings.get(zone, [])
        rows.append({"zone": zone or "(none)", "orders": len(mine), "delivered": d, "failed": f,
                     "unserved": len(mine) - d - f, "on_time_slot": on, "on_time_rate": _share(on, d),
                     "failed_rate": _share(f, d + f), "feedback_count": len(r),
                     "rating_average": round(sum(r) / len(r), 3) if r else 0.0})
    return rows


def price_of_personalization(*, booked_cost: float, booked_served: int, flexible_cost: float, flexible_served: int,
                             time_limit_s: float) -> dict:
    """The extra cost per order of honouring the customers' chosen slots.

    ``booked_*`` is the published plan (total cost, orders served); ``flexible_*`` the same
    orders re-planned with every window widened to the shift, with the same time limit
    (seconds). Costs in the scenario currency; the extra is per order served.
    """
    booked_per = booked_cost / booked_served if booked_served else 0.0
    flexible_per = flexible_cost / flexible_served if flexible_served else 0.0
    return {"booked_cost_total": round(booked_cost, 2), "booked_served": booked_served,
            "flexible_cost_total": round(flexible_cost, 2), "flexible_served": flexible_served,
            "booked_cost_per_order": round(booked_per, 2), "flexible_cost_per_order": round(flexible_per, 2),
            "extra_cost_per_order": round(booked_per - flexible_per, 2), "time_limit_s": time_limit_s}


# --------------------------------------------------------------------------- ranges

SUMMED = ("orders_total", "delivered", "failed", "unserved", "on_time_slot", "eta_counted", "on_time_eta",
          "vehicles_driven", "planned_km", "actual_km", "planned_hours", "driver_hours", "cost_transport",
          "cost_labour", "cost_fixed", "cost_total", "feedback_count", "rating_sum", "bookings_confirmed",
          "bookings_delivered", "bookings_failed", "bookings_unserved")


def period_of(date: str, period: str) -> str:
    """The period label of a date: ``"2026-W48"`` (ISO week) for ``week``, ``"2026-11"`` for ``month``."""
    d = dt.date.fromisoformat(date)
    if period == "week":
        year, week, _ = d.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return f"{d.year}-{d.month:02d}"
    raise ValueError(f"period: '{period}' is not week or month")


def combine(cards: Sequence[Mapping], label: str) -> dict:
    """Totals of several days' scorecards (as dicts): counts, km, hours and costs summed; rates
    recomputed from the sums (not averaged), the rating weighted by feedback count."""
    out: dict = {"period": label, "days": len(cards), "dates": [c["date"] for c in cards]}
    for k in SUMMED:
        out[k] = round(sum(c.get(k, 0) or 0 for c in cards), 3)
    for k in ("failed_by_reason", "unserved_by_reason", "feedback_by_category"):
        total: Counter[str] = Counter()
        for c in cards:
            total.update(c.get(k) or {})
        out[k] = dict(sorted(total.items()))
    extras = [c["personalization"]["extra_cost_per_order"] * c["delivered"] for c in cards if c.get("personalization")]
    counted = sum(c["delivered"] for c in cards if c.get("personalization"))
    out.update(
        on_time_rate=_share(out["on_time_slot"], out["delivered"]),
        on_time_eta_rate=_share(out["on_time_eta"], out["eta_counted"]),
        failed_rate=_share(out["failed"], out["delivered"] + out["failed"]),
        cost_per_order=round(out["cost_total"] / out["delivered"], 2) if out["delivered"] else 0.0,
        rating_average=round(out["rating_sum"] / out["feedback_count"], 3) if out["feedback_count"] else 0.0,
        feedback_share={c: _share(n, out["feedback_count"]) for c, n in out["feedback_by_category"].items()},
        extra_cost_per_order=round(sum(extras) / counted, 2) if counted else None,
    )
    return out


def period_totals(cards: Sequence[Mapping], period: str) -> list[dict]:
    """One :func:`combine` row per ISO week or calendar month, in date order."""
    groups: dict[str, list[Mapping]] = {}
    for c in sorted(cards, key=lambda c: c["date"]):
        groups.setdefault(period_of(c["date"], period), []).append(c)
    return [combine(g, label) for label, g in groups.items()]
