"""Driving a published day without drivers: every van's events, with realistic noise, through
the same :func:`~scenarios.execution.events.record_event` real drivers' phones use.

Each van leaves its depot at its planned start and drives its route in the planned order.
A leg takes the street network's travel time (the matrices the plan was made on: the vehicle's
street profile, and for vans the plan's rush-hour bands, by when the leg starts) times a
log-normal factor of median 1 (``travel_noise`` is its sigma); handling at a stop takes the
planned handling time times another (``service_noise``). A van early for a slot waits for it.
Each order of a home stop is not at home with probability ``not_home_share`` (``failed`` with
reason ``not_home``); pickup-point stops never fail. All vans' events are recorded in time
order, ``source="simulation"``. The same seed gives the same events (and the same event ids:
driving the day again records nothing twice).

A ``breakdown=(vehicle_id, at_s)`` takes that van out of service at ``at_s``
(:func:`~scenarios.execution.disruption.vehicle_out_of_service`): the events before it are
recorded, the re-plan is published, and the vans drive the new plan from where they are.
A van keeps the times already drawn for the stops it still serves in the same order; what is
new to it is drawn afresh from its position.

Units: times in seconds since midnight of the plan date (local); noise as log-normal sigma.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass, field

import numpy as np

from optimizer.domain import hhmm
from scheduling.storage import Database
from scenarios.execution.events import DeliveryEvent, EventRefused, record_event

_NS = uuid.UUID("6c0e7f3a-3c52-4c55-9d3e-2b1f6f1e9a11")


class DriveError(ValueError):
    """A simulation that could not start (nothing published, a bad breakdown); nothing was recorded."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass
class DriveReport:
    """What a simulated day recorded."""

    date: str
    seed: int
    events: int = 0  # recorded (not counting resends)
    duplicates: int = 0  # already recorded by an earlier run with the same seed
    delivered: int = 0  # orders
    failed: dict[str, int] = field(default_factory=dict)  # reason -> orders
    late: list[str] = field(default_factory=list)  # stop ids served after their slot closed
    delay_risk: int = 0  # bookings whose live ETA left their slot (booking.delay_risk)
    refused: list[str] = field(default_factory=list)  # events the core refused, with its message
    replan: object | None = None  # scenarios.execution.disruption.Replan after a breakdown
    plan_ids: list[int] = field(default_factory=list)  # the plan versions driven
    last_s: int | None = None  # the last event's time

    def summary(self) -> str:
        failed = sum(self.failed.values())
        why = ", ".join(f"{k} {v}" for k, v in sorted(self.failed.items()))
        lines = [f"{self.date} driven (seed {self.seed}): {self.events} events recorded"
                 + (f", {self.duplicates} already there" if self.duplicates else "")
                 + f"; {self.delivered} delivered, {failed} failed" + (f" ({why})" if why else "")
                 + f"; {len(self.late)} stop(s) after their slot; {self.delay_risk} delay-risk event(s)"
                 + (f"; last event {hhmm(self.last_s)}" if self.last_s is not None else "")]
        if self.replan is not None:
            lines.append(self.replan.summary())
        lines += [f"  refused: {r}" for r in self.refused[:10]]
        return "\n".join(lines)


@dataclass
class _StopRun:
    stop_id: str
    events: list[DeliveryEvent]
    done_s: int


@dataclass
class _Noise:
    travel: float
    service: float
    not_home: float


def drive(
    db: Database,
    scenario_name: str,
    date: str,
    *,
    seed: int = 0,
    not_home_share: float = 0.05,
    travel_noise: float = 0.15,
    service_noise: float = 0.25,
    breakdown: tuple[str, int] | None = None,
    until_s: int | None = None,
    replan_time_limit_s: float = 20.0,
) -> DriveReport:
    """Drive the date's latest published plan (see the module docstring); ``until_s`` stops the
    day at that time (events after it are not recorded). Raises :class:`DriveError` before
    recording anything when nothing is published, a share or noise is out of range, or the
    breakdown's van has no route."""
    from scenarios.dispatch.publication import latest_publication
    from scenarios.dispatch.workbench import Workbench
    from scenarios.execution.disruption import vehicle_out_of_service

    if not 0.0 <= not_home_share <= 1.0:
        raise DriveError("not_home", f"the not-at-home share is {not_home_share}; give a share between 0 and 1, e.g. 0.05")
    for name, value in (("travel_noise", travel_noise), ("service_noise", service_noise)):
        if not 0.0 <= value <= 2.0:
            raise DriveError(name, f"{name} is {value}; give a log-normal sigma between 0 and 2, e.g. 0.15")
    bench = Workbench(db, {"SCENARIO": scenario_name})
    pub = latest_publication(db, scenario_name, date)
    if pub is None:
        raise DriveError("date", f"nothing is published for {date}; publish the day's plan first "
                                 f"(lastmile plan --date {date} --bookings --publish)")
    plan = bench.get_plan(pub.plan_id)
    if breakdown is not None:
        vid, at = breakdown
        if plan.route(vid) is None:
            have = ", ".join(r["vehicle_id"] for r in plan.plan["routes"]) or "none"
            raise DriveError("breakdown", f"{vid} has no route in the published plan of {date}; vans with routes: {have}")
        if not 0 <= int(at) <= 24 * 3600:
            raise DriveError("breakdown", f"the breakdown time {at} is not a time of the day")
    rng = random.Random(seed)
    noise = _Noise(travel_noise, service_noise, not_home_share)
    report = DriveReport(date=date, seed=seed, plan_ids=[plan.id])
    counter: dict[str, int] = {}
    legs = _Legs(bench, plan)
    runs = {r["vehicle_id"]: _drive_route(r, None, int(r["start_s"]), legs, rng, noise, date, seed, counter)
            for r in sorted(plan.plan["routes"], key=lambda r: r["vehicle_id"])}
    stop_at = until_s if until_s is not None else 10**9
    if breakdown is not None and int(breakdown[1]) < stop_at:
        vid, at = breakdown[0], int(breakdown[1])
        _post(db, scenario_name, [e for r in runs.values() for run in r for e in run.events if e.at_s < at], report, plan)
        replan = vehicle_out_of_service(db, scenario_name, date, vid, at, "breakdown (simulated)", "simulation",
                                        time_limit_s=replan_time_limit_s)
        report.replan = replan
        if replan.plan_id is not None:
            plan = bench.get_plan(replan.plan_id)
            report.plan_ids.append(plan.id)
            legs = _Legs(bench, plan)
            runs = _continue(db, scenario_name, plan, runs, vid, at, legs, rng, noise, date, seed, counter, report)
        else:
            runs = {v: r for v, r in runs.items() if v != vid}
        events = [e for r in runs.values() for run in r for e in run.events if at <= e.at_s < stop_at]
    else:
        events = [e for r in runs.values() for run in r for e in run.events if e.at_s < stop_at]
    _post(db, scenario_name, events, report, plan)
    return report


def _continue(db, scenario_name, plan, runs, broken, at, legs, rng, noise, date, seed, counter, report):
    """The vans' runs on the re-plan: drawn times kept for the stops they still serve in the same
    order, fresh draws for the rest; a van the core sees as not departed on the new plan version
    (its events are per version) says so again at the breakdown time."""
    from scenarios.execution.day import driven_day

    driven = driven_day(db, scenario_name, date)
    out: dict[str, list[_StopRun]] = {}
    for r in sorted(plan.plan["routes"], key=lambda r: r["vehicle_id"]):
        vid = r["vehicle_id"]
        if vid == broken:
            continue
        left = any(e.type == "departed" and e.at_s < at for run in runs.get(vid, []) for e in run.events)
        old = [run for run in runs.get(vid, []) if run.stop_id]
        new_ids = [s["stop_id"] for s in r["stops"]]
        keep = 0
        while keep < min(len(old), len(new_ids)) and old[keep].stop_id == new_ids[keep]:
            keep += 1
        kept = old[:keep]
        if kept and not left:  # not yet out at the breakdown: it leaves as drawn
            kept = [run for run in runs.get(vid, []) if not run.stop_id] + kept
        rest = {"stops": r["stops"][keep:], "vehicle_id": vid}
        if kept:  # what is new to it starts when it heard of the re-plan, at the earliest
            pos, t = kept[-1].stop_id, max(at, kept[-1].done_s)
        elif left:
            pos, t = None, at  # left the depot for a stop it no longer serves: starts again from there (approximation)
        else:
            pos, t = None, max(at, int(r["start_s"]))
        fresh = _drive_route(rest, pos, t, legs, rng, noise, date, seed, counter, depart=not left)
        state = driven.vehicles.get(vid) if driven else None
        pending = [e for run in kept + fresh for e in run.events if e.at_s >= at]
        if state is not None and state.departed_s is None and pending and pending[0].type != "departed":
            again = [_event(date, seed, vid, counter, "departed", at)]
            first = pending[0]
            if first.type in ("delivered", "failed"):  # mid-stop at the breakdown: arrived, on this version too
                again.append(_event(date, seed, vid, counter, "arrived", at, first.stop_id))
            kept = [_StopRun("", again, at)] + kept
        out[vid] = kept + fresh
    return out


class _Legs:
    """Street travel times (seconds) between a plan's depots and stops, by each vehicle's street
    profile (a cargo bike's cycle matrix) and, for vans, the plan's rush-hour bands."""

    def __init__(self, bench, plan):
        from optimizer.traffic import Traffic, TrafficBand

        depots = {d["id"]: d for d in plan.plan["depots"]}
        stops = {s["stop_id"]: s for r in plan.plan["routes"] for s in r["stops"]}
        self.depot_of = {r["vehicle_id"]: r["depot_id"] for r in plan.plan["routes"]}
        self.profile_of = {v["id"]: v.get("profile") or "drive" for v in plan.plan.get("vehicles", [])}
        keys = [("depot", k) for k in depots] + [("stop", k) for k in stops]
        points = [depots[k] for k in depots] + [stops[k] for k in stops]
        scenario = bench.scenario
        nodes = bench.network.snap(np.asarray([p["lat"] for p in points]), np.asarray([p["lon"] for p in points]),
                                   labels=[f"{a} {b}" for a, b in keys], max_distance_m=scenario.spec.snap_max_distance_m)
        self.index = {k: i for i, k in enumerate(keys)}
        self.travel: dict[str, np.ndarray | Traffic] = {}
        for profile in sorted(set(self.profile_of.values()) | {"drive"}):
            duration = np.asarray(bench.network.travel_matrices(nodes, profile=profile)[0], dtype=np.int64)
            bands = tuple(TrafficBand(b["name"], int(b["start_s"]), int(b["end_s"]), np.asarray(
                bench.network.travel_matrices(nodes, speed_factors=b["factors"])[0], dtype=np.int64))
                for b in plan.plan.get("traffic") or []) if profile == "drive" else ()
            self.travel[profile] = Traffic(duration, bands) if bands else duration

    def between(self, vehicle_id: str, a: str | None, b: str | None, at_s: int) -> int:
        """From stop ``a`` (None: the van's depot) to stop ``b`` (None: the depot), leaving at ``at_s``."""
        from optimizer.departure import leg_s

        ka = ("stop", a) if a else ("depot", self.depot_of.get(vehicle_id))
        kb = ("stop", b) if b else ("depot", self.depot_of.get(vehicle_id))
        if ka not in self.index or kb not in self.index:
            return 0
        travel = self.travel[self.profile_of.get(vehicle_id, "drive")]
        return leg_s(travel, self.index[ka], self.index[kb], at_s)


def _event(date, seed, vehicle_id, counter, kind, at_s, stop_id=None, reason=None) -> DeliveryEvent:
    k = counter.get(vehicle_id, 0)
    counter[vehicle_id] = k + 1
    eid = uuid.uuid5(_NS, f"{date}/{seed}/{vehicle_id}/{k}").hex
    return DeliveryEvent(id=eid, date=date, vehicle_id=vehicle_id, type=kind, at_s=int(at_s), stop_id=stop_id,
                         reason=reason, source="simulation", reported_by="simulation")


def _factor(rng: random.Random, sigma: float) -> float:
    return math.exp(rng.gauss(0.0, sigma)) if sigma > 0 else 1.0


def _drive_route(route: dict, pos: str | None, t: int, legs: _Legs, rng, noise: _Noise, date, seed, counter,
                 depart: bool = True) -> list[_StopRun]:
    """One van's stops from ``pos`` (None: its depot) at ``t``: arrival, waiting for the slot,
    handling and the outcome, each drawn with the noise."""
    vid = route["vehicle_id"]
    runs: list[_StopRun] = []
    if depart and pos is None and route["stops"]:
        runs.append(_StopRun("", [_event(date, seed, vid, counter, "departed", t)], t))
    for st in route["stops"]:
        arrival = t + round(legs.between(vid, pos, st["stop_id"], t) * _factor(rng, noise.travel))
        start = max(arrival, int(st["window_start_s"]))
        handling = max(0, int(st["departure_s"]) - int(st["start_s"]))
        done = start + max(30, round(handling * _factor(rng, noise.service)))
        failed = st.get("pickup_point_id") is None and rng.random() < noise.not_home
        events = [_event(date, seed, vid, counter, "arrived", arrival, st["stop_id"]),
                  _event(date, seed, vid, counter, "failed" if failed else "delivered", done, st["stop_id"],
                         "not_home" if failed else None)]
        runs.append(_StopRun(st["stop_id"], events, done))
        pos, t = st["stop_id"], done
    return runs


def _post(db, scenario_name: str, events: list[DeliveryEvent], report: DriveReport, plan) -> None:
    """Record the events in time order (a van's own events keep their order at equal times)."""
    windows = {s["stop_id"]: int(s["window_end_s"]) for r in plan.plan["routes"] for s in r["stops"]}
    orders = {s["stop_id"]: len(s["order_ids"]) for r in plan.plan["routes"] for s in r["stops"]}
    for e in sorted(events, key=lambda e: e.at_s):
        try:
            done = record_event(db, scenario_name, e)
        except EventRefused as exc:
            report.refused.append(f"{e.vehicle_id} {e.type} {e.stop_id or ''} at {hhmm(e.at_s)}: {exc.message}")
            continue
        if done.duplicate:
            report.duplicates += 1
            continue
        report.events += 1
        report.delay_risk += len(done.newly_at_risk)
        report.last_s = e.at_s if report.last_s is None else max(report.last_s, e.at_s)
        if e.type == "delivered":
            report.delivered += orders.get(e.stop_id, 1)
        elif e.type == "failed":
            report.failed[e.reason] = report.failed.get(e.reason, 0) + orders.get(e.stop_id, 1)
        if e.type in ("delivered", "failed") and e.at_s > windows.get(e.stop_id, 10**9):
            report.late.append(e.stop_id)
