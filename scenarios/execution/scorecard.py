"""The actual scorecard of driven days, from the store: the thin shell over :mod:`optimizer.actual`.

For a date it reads the latest publication's plan (``plans``), the day's ``delivery_events``,
the bookings (confirmed ones, their ETA windows) and ``feedback``; builds the street
matrices for the depots and the stops reported; and optionally re-plans the same orders
with every window widened to the shift for the price of personalization. Over a range of
dates it adds weekly and monthly totals.

Times are seconds since midnight of the plan date; distances km; money the scenario currency.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select

from optimizer.actual import (ActualScorecard, Event, Rating, TravelTable, actual_scorecard, combine, depot_place,
                              period_totals, price_of_personalization)
from optimizer.domain import DRIVE, Order, TimeWindow, Vehicle
from scheduling.storage import Database
from scheduling.storage.models import Booking, DeliveryEventRow, Feedback, Publication, SavedPlan
from scenarios.scenario import Scenario

MAX_RANGE_DAYS = 400


class NothingPublished(ValueError):
    """The date has no published plan, so nothing was driven to score."""


def parse_date(text: str, field_name: str = "date") -> dt.date:
    """A ``YYYY-MM-DD`` date, or ``ValueError`` naming the field and the fix."""
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        raise ValueError(f"{field_name}: '{text}' is not a date; write it as YYYY-MM-DD, for example 2026-11-24") from None


@dataclass
class DrivenInputs:
    """What the store holds about one driven day, as plain inputs of :func:`optimizer.actual.actual_scorecard`."""

    date: str
    plan_id: int
    plan: dict  # the saved plan's "plan" part
    time_limit_s: float
    planned_scorecard: dict
    orders: list[Order]
    vehicles: list[Vehicle]
    events: list[Event]
    eta_windows: dict[str, TimeWindow]
    feedback: list[Rating]
    confirmed: list[str]


def _latest_publication(s, scenario_name: str, date: str) -> Publication | None:
    return s.scalars(select(Publication).where(Publication.scenario == scenario_name, Publication.date == date)
                     .order_by(Publication.id.desc()).limit(1)).first()


def _order(record: dict) -> Order:
    kw = {f.name: record[f.name] for f in dataclasses.fields(Order) if f.name in record}
    kw["window"] = TimeWindow(*record["window"])
    kw["windows"] = tuple(TimeWindow(*w) if isinstance(w, (list, tuple)) else TimeWindow(w["start"], w["end"])
                          for w in record.get("windows") or ())
    return Order(**kw)


def load_driven(db: Database, scenario_name: str, date: str) -> DrivenInputs:
    """The day's published plan, events, bookings and feedback; :class:`NothingPublished` when
    the date has no publication."""
    parse_date(date)
    with db.session() as s:
        pub = _latest_publication(s, scenario_name, date)
        if pub is None:
            raise NothingPublished(f"date {date}: nothing was published for scenario '{scenario_name}', so nothing "
                                   f"was driven; plan and publish it first (lastmile plan --date {date} --bookings --publish)")
        row = s.get(SavedPlan, pub.plan_id)
        data, scorecard = json.loads(row.plan_json), json.loads(row.scorecard_json)
        event_rows = s.scalars(
            select(DeliveryEventRow)
            .where(DeliveryEventRow.date == date, DeliveryEventRow.scenario == scenario_name)
            .order_by(DeliveryEventRow.at_s, DeliveryEventRow.received_at)
        ).all()
        bookings = s.scalars(select(Booking).where(Booking.date == date, Booking.status == "confirmed")).all()
        feedback_rows = s.scalars(select(Feedback).where(Feedback.date == date)).all()
        events = [Event(e.vehicle_id, e.type, int(e.at_s), e.stop_id, e.order_id, e.reason) for e in event_rows]
        etas = {b.id: TimeWindow(b.eta_start_s, b.eta_end_s) for b in bookings
                if b.eta_start_s is not None and b.eta_end_s is not None}
        feedback_raw = [(f.rating, json.loads(f.categories_json or "[]"), f.vehicle_id, f.booking_id) for f in feedback_rows]
        confirmed = [b.id for b in bookings]
    orders = [_order(r) for r in data.get("orders", [])]
    order_of_booking = {o.booking_id: o.id for o in orders if o.booking_id}
    vehicles = [Vehicle(v["id"], v["depot_id"], v["capacity"], TimeWindow(v["shift_start_s"], v["shift_end_s"]),
                        v["cost_per_km"], v["cost_per_hour"], v["fixed_cost"]) for v in data["plan"].get("vehicles", [])]
    return DrivenInputs(
        date=date, plan_id=pub.plan_id, plan=data["plan"], time_limit_s=float(data.get("time_limit_s") or 10.0),
        planned_scorecard=scorecard, orders=orders, vehicles=vehicles, events=events,
        eta_windows={order_of_booking[b]: w for b, w in etas.items() if b in order_of_booking},
        feedback=[Rating(r, tuple(c), v, order_of_booking.get(b)) for r, c, v, b in feedback_raw],
        confirmed=confirmed,
    )


def travel_table(scenario: Scenario, inputs: DrivenInputs, network=None) -> TravelTable:
    """Street matrices between the plan's depots and every stop the events report."""
    from scenarios.planning import network_for

    network = network or network_for(scenario)
    where: dict[str, tuple[float, float]] = {depot_place(d["id"]): (d["lat"], d["lon"]) for d in inputs.plan.get("depots", [])}
    for d in scenario.depots():
        where.setdefault(depot_place(d.id), (d.lat, d.lon))
    stops = {s["stop_id"]: (s["lat"], s["lon"]) for r in inputs.plan["routes"] for s in r["stops"]}
    orders = {o.id: (o.lat, o.lon) for o in inputs.orders}
    for e in inputs.events:
        if e.stop_id and e.stop_id not in where:
            point = stops.get(e.stop_id) or orders.get(e.stop_id)
            if point is not None:
                where[e.stop_id] = point
    names = list(where)
    nodes = network.snap(np.asarray([where[n][0] for n in names]), np.asarray([where[n][1] for n in names]),
                         labels=[f"stop {n}" for n in names], max_distance_m=scenario.spec.snap_max_distance_m)
    index = {n: k for k, n in enumerate(names)}
    frozen = inputs.plan.get(FROZEN_LEGS) or {}

    def table(profile: str) -> TravelTable:
        duration, distance = network.travel_matrices(nodes, profile=profile)
        mine = {pair: leg for pair, leg in frozen.items() if frozen_profile(pair) == profile}
        if mine:
            # Anonymized stops sit at their zone's centre now: their legs as driven were kept.
            duration, distance = np.array(duration, dtype=float), np.array(distance, dtype=float)
            for pair, (metres, seconds) in mine.items():
                a, b = pair.split(LEG_SEP)[-2:]
                if a in index and b in index:
                    distance[index[a], index[b]], duration[index[a], index[b]] = metres, seconds
        return TravelTable(index, distance, duration, profile=profile)

    # A cargo bike's legs are measured on its own street profile.
    vehicles = inputs.plan.get("vehicles", [])
    by_vehicle = {}
    for profile in sorted({v.get("profile") or DRIVE for v in vehicles} - {DRIVE}):
        own = table(profile)
        by_vehicle |= {v["id"]: own for v in vehicles if v.get("profile") == profile}
    return dataclasses.replace(table(DRIVE), by_vehicle=by_vehicle)


def frozen_leg_key(profile: str, a: str, b: str) -> str:
    """The key of a frozen leg from place ``a`` to ``b`` by ``profile`` (the vans' keys carry no profile)."""
    return f"{a}{LEG_SEP}{b}" if profile == DRIVE else f"{profile}{LEG_SEP}{a}{LEG_SEP}{b}"


def frozen_profile(key: str) -> str:
    """The street profile of a frozen leg's key (:func:`frozen_leg_key`)."""
    parts = key.split(LEG_SEP)
    return parts[0] if len(parts) == 3 else DRIVE


# A saved plan's "plan" part keeps, once stops of it are anonymized (scenarios.privacy), the
# street legs the actual scorecard needs from and to them: {"<from><TAB><to>": [metres, seconds]}.
FROZEN_LEGS = "frozen_legs"
LEG_SEP = "\t"


def widened(orders: list[Order], vehicles: list[Vehicle]) -> list[Order]:
    """The orders with every window widened to the fleet's shift (earliest start to latest end)."""
    shift = TimeWindow(min(v.shift.start for v in vehicles), max(v.shift.end for v in vehicles))
    return [dataclasses.replace(o, window=shift) for o in orders]


def personalization(scenario: Scenario, inputs: DrivenInputs, *, time_limit_s: float | None = None,
                    engine: str = "auto", network=None) -> dict:
    """Re-plan the plan's orders with every window widened to the shift (same time limit unless
    ``time_limit_s``) and price the difference per order served."""
    from scenarios.planning import plan_day

    limit = float(time_limit_s if time_limit_s is not None else inputs.time_limit_s)
    flexible = plan_day(scenario, widened(inputs.orders, scenario.vehicles()), date=inputs.date, time_limit_s=limit,
                        engine=engine, network=network, insertion_start=True)
    sc = inputs.planned_scorecard
    return price_of_personalization(booked_cost=sc["cost_total"], booked_served=sc["orders_served"],
                                    flexible_cost=flexible.scorecard.cost_total,
                                    flexible_served=flexible.scorecard.orders_served, time_limit_s=limit)


def actual_for_day(db: Database, scenario: Scenario, date: str, *, counterfactual: bool = False,
                   time_limit_s: float | None = None, engine: str = "auto", network=None) -> ActualScorecard:
    """The actual scorecard of ``date``; ``counterfactual`` adds the price of personalization
    (one solve of ``time_limit_s`` seconds, default the plan's own limit)."""
    inputs = load_driven(db, scenario.name, date)
    price = personalization(scenario, inputs, time_limit_s=time_limit_s, engine=engine, network=network) \
        if counterfactual and inputs.orders else None
    return actual_scorecard(
        date=date, plan=inputs.plan, orders=inputs.orders, vehicles=inputs.vehicles, events=inputs.events,
        travel=travel_table(scenario, inputs, network), eta_windows=inputs.eta_windows, feedback=inputs.feedback,
        confirmed_booking_ids=inputs.confirmed, planned_scorecard=inputs.planned_scorecard, plan_id=inputs.plan_id,
        personalization=price, currency=scenario.spec.currency,
    )


@dataclass
class RangeReport:
    """The driven days of a date range with weekly, monthly and overall totals (dicts of
    :func:`optimizer.actual.combine`); ``skipped`` lists dates with nothing published."""

    start: str
    end: str
    days: list[dict]
    weekly: list[dict]
    monthly: list[dict]
    total: dict
    skipped: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def published_dates(db: Database, scenario_name: str, start: str, end: str) -> list[str]:
    """Dates between ``start`` and ``end`` (inclusive) with a publication, in order."""
    with db.session() as s:
        dates = s.scalars(select(Publication.date).where(Publication.scenario == scenario_name,
                                                         Publication.date >= start, Publication.date <= end)).all()
    return sorted(set(dates))


def actual_for_range(db: Database, scenario: Scenario, start: str, end: str, *, counterfactual: bool = False,
                     time_limit_s: float | None = None, engine: str = "auto", network=None) -> RangeReport:
    """Every published day from ``start`` to ``end`` (inclusive), with weekly and monthly totals.

    ``ValueError`` naming ``--from``/``--to`` for bad dates, a reversed range or one longer than
    :data:`MAX_RANGE_DAYS` days.
    """
    a, b = parse_date(start, "from"), parse_date(end, "to")
    if b < a:
        raise ValueError(f"to: {end} is before from ({start}); give the earlier date first")
    if (b - a).days + 1 > MAX_RANGE_DAYS:
        raise ValueError(f"from/to: {(b - a).days + 1} days is more than {MAX_RANGE_DAYS}; score a shorter range")
    dates = published_dates(db, scenario.name, a.isoformat(), b.isoformat())
    cards = [actual_for_day(db, scenario, d, counterfactual=counterfactual, time_limit_s=time_limit_s, engine=engine,
                            network=network).to_dict() for d in dates]
    every = [(a + dt.timedelta(days=k)).isoformat() for k in range((b - a).days + 1)]
    return RangeReport(start=a.isoformat(), end=b.isoformat(), days=cards, weekly=period_totals(cards, "week"),
                       monthly=period_totals(cards, "month"), total=combine(cards, f"{a}..{b}"),
                       skipped=[d for d in every if d not in set(dates)])
