"""The dispatcher's day: its orders, plans solved and saved, hand edits and re-optimizing.

This is the one place where the pages meet the planning pipeline and the ``plans`` table.
A saved plan (``SavedPlan.plan_json``) is self-contained, so it can be shown, edited and
re-optimized even after the day's order file changes::

    {"kind": "solve" | "edit" | "reoptimize", "note": str, "time_limit_s": float,
     "plan": scenarios.export.plan_to_dict(...),   # routes with times, unserved with reasons
     "orders": [order records],                    # every order of the day, all fields
     "locks": {stop id: vehicle id},
     "unassigned": [stop ids taken off by hand],
     "geojson": scenarios.export.routes_geojson(...)}

An imported order file is kept as ``IMPORT_DIR/<scenario>/<date>.csv``; without one, the day
is the scenario's generated orders (``ORDERS_PER_DAY_OVERRIDE`` caps their number).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from sqlalchemy import func, select

from optimizer.domain import Order, TimeWindow, hhmm
from scheduling.storage import Database
from scheduling.storage.models import SavedPlan
from scenarios.dispatch.dayorders import DayOrders, booked_orders, bookings_digest, has_bookings, merge
from scenarios.dispatch.editing import Draft, apply_edit, draft_from_plan, refuse_missing_skills
from scenarios.dispatch.errors import DayError, JobFailed

# Scorecard figures the page compares between a plan and the one it was made from:
# (key, label, unit, True if more is better).
DIFF_FIGURES: tuple[tuple[str, str, str, bool], ...] = (
    ("on_time_rate", "On-time rate", "%", True),
    ("orders_served", "Orders served", "", True),
    ("orders_unserved", "Unserved", "", False),
    ("vehicles_used", "Vehicles used", "", False),
    ("km", "Distance", "km", False),
    ("driver_hours", "Driver hours", "h", False),
    ("cost_total", "Total cost", "cur", False),
    ("cost_transport", "Transport cost", "cur", False),
    ("cost_labour", "Labour cost", "cur", False),
    ("cost_fixed", "Vehicle cost", "cur", False),
)
MANUAL_UNASSIGNED = "unassigned_by_dispatcher"
# Facts about a plan's orders that every edit and re-optimization of it inherits.
CARRIED_KEYS = ("bookings_digest", "dropped_rows", "source")


def _problems(exc: Exception) -> list[str]:
    """The one-line problems of a ``SnapError`` (or any error): its ``problems`` list or its lines."""
    return list(getattr(exc, "problems", None) or str(exc).splitlines())


# --------------------------------------------------------------------------- orders


def order_record(o: Order) -> dict:
    d = dataclasses.asdict(o)
    d["window"] = [o.window.start, o.window.end]
    d["windows"] = [[w.start, w.end] for w in o.windows]
    return d


def order_from_record(d: Mapping[str, Any]) -> Order:
    fields = {f.name for f in dataclasses.fields(Order)}
    kw = {k: v for k, v in d.items() if k in fields}
    kw["window"] = TimeWindow(*d["window"])
    kw["windows"] = tuple(TimeWindow(*w) for w in d.get("windows") or ())
    kw["skills"] = tuple(kw.get("skills") or ())
    return Order(**kw)


@dataclass
class StoredPlan:
    """A saved plan as the pages use it."""

    id: int
    scenario: str
    date: str
    parent_id: int | None
    created_by: str
    created_at: dt.datetime | None
    data: dict
    scorecard: dict

    @property
    def plan(self) -> dict:
        return self.data["plan"]

    @property
    def kind(self) -> str:
        return self.data.get("kind", "solve")

    @property
    def locks(self) -> dict[str, str]:
        return self.data.get("locks", {})

    def orders(self) -> list[Order]:
        return [order_from_record(r) for r in self.data.get("orders", [])]

    def stop_ids(self) -> list[str]:
        ids = [s["stop_id"] for r in self.plan["routes"] for s in r["stops"]]
        ids += [u["stop_id"] for u in self.plan["unserved"]]
        return list(dict.fromkeys(ids))

    def route(self, vehicle_id: str) -> dict | None:
        return next((r for r in self.plan["routes"] if r["vehicle_id"] == vehicle_id), None)


_HEAD = re.compile(r'^\{"kind": "([a-z_-]+)", "note": ("(?:[^"\\]|\\.)*")')


def _kind_and_note(head: str) -> tuple[str, str]:
    """Kind and note from the first characters of a ``plan_json`` written by ``Workbench._save``."""
    m = _HEAD.match(head or "")
    if m is None:
        return "solve", ""
    return m.group(1), json.loads(m.group(2))


def _stored(row: SavedPlan) -> StoredPlan:
    return StoredPlan(
        id=row.id,
        scenario=row.scenario,
        date=row.date,
        parent_id=row.parent_id,
        created_by=row.created_by,
        created_at=row.created_at,
        data=json.loads(row.plan_json),
        scorecard=json.loads(row.scorecard_json),
    )


def scorecard_diff(current: Mapping[str, Any], previous: Mapping[str, Any] | None) -> list[dict]:
    """One row per figure of :data:`DIFF_FIGURES`: value, previous value, change, and whether
    the change is an improvement (``None`` when unchanged or there is no previous plan)."""
    rows = []
    for key, label, unit, more_is_better in DIFF_FIGURES:
        value = current.get(key)
        before = previous.get(key) if previous else None
        delta = None if before is None or value is None else round(value - before, 4)
        better = None if not delta else (delta > 0) == more_is_better
        rows.append({"key": key, "label": label, "unit": unit, "value": value, "previous": before,
                     "delta": delta, "better": better})
    return rows


# --------------------------------------------------------------------------- workbench


class Workbench:
    """The scenario the app plans in, its network, and the saved plans of each day."""

    def __init__(self, db: Database, config: Mapping[str, Any]):
        self.db = db
        self.config = config
        self.scenario_name = str(config.get("SCENARIO", "gothenburg"))
        self.orders_override = config.get("ORDERS_PER_DAY_OVERRIDE")
        self.engine = str(config.get("SOLVER_ENGINE", "auto"))
        self.import_dir = Path(config.get("IMPORT_DIR") or Path("var") / "imports")
        self._scenario = None
        self._lock = threading.Lock()

    # -- scenario and network ---------------------------------------------------------------
    @property
    def scenario(self):
        from scenarios.scenario import ScenarioError, load_scenario

        with self._lock:
            if self._scenario is None:
                try:
                    self._scenario = load_scenario(self.scenario_name)
                except ScenarioError as exc:
                    raise DayError(f"the scenario '{self.scenario_name}' cannot be loaded", str(exc).splitlines())
            return self._scenario

    @property
    def network(self):
        from scenarios.planning import network_for

        return network_for(self.scenario)

    def vehicle_ids(self) -> list[str]:
        return [v.id for v in self.scenario.vehicles()]

    # -- orders of a day --------------------------------------------------------------------
    def _import_path(self, date: str) -> Path:
        return self.import_dir / self.scenario.name / f"{date}.csv"

    def day_orders(self, date: str) -> DayOrders:
        """The day's orders: the shops' confirmed bookings merged with an imported file once the
        date has bookings; else the imported file; else the scenario's generated day."""
        from scenarios.dayorders import generate_day

        try:
            day = dt.date.fromisoformat(date)
        except ValueError:
            raise DayError(f"'{date}' is not a date; write it as YYYY-MM-DD")
        imported = self._imported(date)
        if has_bookings(self.db, date):
            merged = merge(booked_orders(self.db, self.scenario, date), imported or [], source=f"{date}.csv")
            return DayOrders(self._with_zones(merged.orders), merged.dropped)
        if imported is not None:
            return DayOrders(imported)
        try:
            n = int(self.orders_override) if self.orders_override else None
            return DayOrders(generate_day(self.scenario, day, n_orders=n))
        except ValueError as exc:
            raise DayError(str(exc))

    def has_import(self, date: str) -> bool:
        """Whether an order file was imported for ``date``."""
        return self._import_path(date).is_file()

    def _imported(self, date: str) -> list[Order] | None:
        """The stored order file of ``date`` (None without one)."""
        from scheduling.orders_csv import OrderFileError, parse_orders

        path = self._import_path(date)
        if not path.is_file():
            return None
        try:
            orders = parse_orders(path.read_text(encoding="utf-8"), source=path.name, tiers=self.scenario.tier_names(),
                                  pickup_points=self.scenario.pickup_refs(), service=self.scenario.service_times())
        except OrderFileError as exc:
            raise DayError(f"the stored order file for {date} cannot be read", exc.problems)
        return self._with_zones(orders)

    def _with_zones(self, orders: list[Order]) -> list[Order]:
        if all(o.zone for o in orders):
            return orders
        try:
            from geo.zones import grid_zones

            zones = grid_zones(self.network)
        except Exception:  # noqa: BLE001 - zones only feed a filter; the day works without them
            return orders
        return [o if o.zone else dataclasses.replace(o, zone=zones.zone_of(o.lat, o.lon)) for o in orders]

    def import_orders(self, date: str, text: str, filename: str = "orders.csv") -> list[Order]:
        """Check an uploaded order file and keep it as the day's orders.

        Raises :class:`DayError` listing every problem (line and column); then nothing is stored
        and the day keeps its previous orders.
        """
        from geo.snap import SnapError
        from scheduling.orders_csv import OrderFileError, parse_orders

        try:
            dt.date.fromisoformat(date)
        except ValueError:
            raise DayError(f"'{date}' is not a date; write it as YYYY-MM-DD")
        if not text.strip():
            raise DayError(f"{filename}: the file is empty, nothing was imported",
                           [f"{filename}: choose a CSV file with a header line and one order per line"])
        s = self.scenario
        try:
            orders = parse_orders(text if "\n" in text else text + "\n", source=filename, tiers=s.tier_names(),
                                  pickup_points=s.pickup_refs(), service=s.service_times())
        except OrderFileError as exc:
            raise DayError(f"{filename}: {len(exc.problems)} problem(s), nothing was imported", exc.problems)
        labels = [f"line {k + 2}, columns lat/lon (order {o.id})" for k, o in enumerate(orders)]
        try:
            self.network.snap([o.lat for o in orders], [o.lon for o in orders], labels=labels,
                              max_distance_m=s.spec.snap_max_distance_m)
        except SnapError as exc:
            raise DayError(f"{filename}: some addresses are off the street map, nothing was imported", _problems(exc))
        path = self._import_path(date)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".csv.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        return orders

    def drop_import(self, date: str) -> bool:
        path = self._import_path(date)
        if path.is_file():
            path.unlink()
            return True
        return False

    # -- saved plans ------------------------------------------------------------------------
    def get_plan(self, plan_id: int) -> StoredPlan | None:
        with self.db.session() as s:
            row = s.get(SavedPlan, plan_id)
            return None if row is None or row.scenario != self.scenario_name else _stored(row)

    def plans_for(self, date: str) -> list[dict]:
        """The day's plans, newest first: id, kind, note, who, when, headline figures.

        Reads only the head of each ``plan_json`` (kind and note come first, see :meth:`_save`):
        a day with many versions would otherwise parse megabytes of routes for one menu.
        """
        head = func.substr(SavedPlan.plan_json, 1, 600)
        with self.db.session() as s:
            rows = s.execute(
                select(SavedPlan.id, SavedPlan.created_by, SavedPlan.created_at, SavedPlan.parent_id, head,
                       SavedPlan.scorecard_json)
                .where(SavedPlan.date == date, SavedPlan.scenario == self.scenario_name)
                .order_by(SavedPlan.id.desc())
            ).all()
        out = []
        for plan_id, created_by, created_at, parent_id, text, scorecard_json in rows:
            kind, note = _kind_and_note(text)
            sc = json.loads(scorecard_json)
            out.append({"id": plan_id, "kind": kind, "note": note, "created_by": created_by, "created_at": created_at,
                        "parent_id": parent_id, "orders_served": sc.get("orders_served"),
                        "orders_total": sc.get("orders_total"), "cost_total": sc.get("cost_total")})
        return out

    def latest_plan(self, date: str) -> StoredPlan | None:
        with self.db.session() as s:
            row = s.scalars(
                select(SavedPlan).where(SavedPlan.date == date, SavedPlan.scenario == self.scenario_name)
                .order_by(SavedPlan.id.desc()).limit(1)
            ).first()
            return None if row is None else _stored(row)

    def all_scorecards(self, limit: int = 200) -> list[dict]:
        """The latest plan's scorecard of each date (for the planner's comparison)."""
        with self.db.session() as s:
            rows = s.scalars(
                select(SavedPlan).where(SavedPlan.scenario == self.scenario_name).order_by(SavedPlan.id.desc()).limit(limit)
            ).all()
            latest: dict[str, dict] = {}
            for r in rows:
                if r.date not in latest:
                    latest[r.date] = {"plan_id": r.id, "date": r.date, **json.loads(r.scorecard_json)}
            return [latest[d] for d in sorted(latest)]

    def _geojson(self, result, base: "StoredPlan | None") -> dict:
        """The plan's route GeoJSON; routes whose stops are as in ``base`` reuse its street lines.

        Tracing a route along the streets is the slow part of saving; an edit changes one or two
        routes, and a route's shape and times depend only on its vehicle and stop sequence.
        """
        from scenarios.export import routes_geojson

        if base is None or "geojson" not in base.data:
            return routes_geojson(result, self.network)
        before = {r["vehicle_id"]: [s["stop_id"] for s in r["stops"]] for r in base.plan["routes"]}
        same = {r.vehicle_id for r in result.plan.routes if before.get(r.vehicle_id) == [v.stop_id for v in r.visits]}
        changed = dataclasses.replace(result, plan=dataclasses.replace(
            result.plan, routes=[r for r in result.plan.routes if r.vehicle_id not in same]))
        doc = routes_geojson(changed, self.network)
        kept = [f for f in base.data["geojson"]["features"]
                if f["properties"].get("kind") in ("route", "stop") and f["properties"].get("vehicle_id") in same]
        doc["features"] = doc["features"] + kept
        return doc

    def _save(self, result, *, kind: str, note: str, user: str, parent_id: int | None, locks: Mapping[str, str],
              unassigned: Sequence[str], time_limit_s: float, base: "StoredPlan | None" = None,
              extra: Mapping[str, Any] | None = None) -> int:
        from scenarios.export import plan_to_dict

        plan = plan_to_dict(result)
        manual = set(unassigned)
        for u in plan["unserved"]:
            if u["stop_id"] in manual:
                u["reason"], u["detail"] = MANUAL_UNASSIGNED, f"taken off the routes by {user or 'the dispatcher'}"
        scorecard = result.scorecard.to_dict()
        if manual:
            reasons: dict[str, int] = {}
            for u in plan["unserved"]:
                reasons[u["reason"]] = reasons.get(u["reason"], 0) + 1
            scorecard["unserved_by_reason"] = dict(sorted(reasons.items()))
        data = {
            "kind": kind,
            "note": note,
            "time_limit_s": time_limit_s,
            "plan": plan,
            "orders": [order_record(o) for o in result.orders],
            "locks": dict(locks),
            "unassigned": [s for s in unassigned if s in {u["stop_id"] for u in plan["unserved"]}],
            "geojson": self._geojson(result, base),
        }
        # What the day's orders were made of travels with every version of the plan.
        carried = base.data if base is not None else {}
        data.update({k: carried[k] for k in CARRIED_KEYS if k in carried})
        data.update(extra or {})
        with self.db.session() as s:
            row = SavedPlan(scenario=self.scenario_name, date=plan["date"], parent_id=parent_id, created_by=user,
                            plan_json=json.dumps(data), scorecard_json=json.dumps(scorecard))
            s.add(row)
            s.flush()
            return row.id

    # -- solving ----------------------------------------------------------------------------
    def _solve(self, orders: list[Order], date: str, time_limit_s: float, progress, *, locks=None, initial=None,
               insertion_start: bool = False):
        from geo.snap import SnapError
        from scenarios.planning import plan_day

        if not orders:
            raise JobFailed(f"there are no orders for {date}: nothing to plan")
        on_solution = None
        if progress is not None:
            progress.stage(f"snapping {len(orders)} orders to the streets and building travel times")
            on_solution = progress.solution  # plan_day reports each better plan's cost in currency
        try:
            return plan_day(self.scenario, orders, date=date, time_limit_s=time_limit_s, engine=self.engine,
                            locks=locks, initial_routes=initial, progress=on_solution, network=self.network,
                            insertion_start=insertion_start)
        except SnapError as exc:
            raise JobFailed("some orders are off the street map: " + "; ".join(_problems(exc)[:5]))
        except ValueError as exc:
            raise JobFailed(f"the plan could not be made: {exc}")

    def plan(self, date: str, user: str, time_limit_s: float, progress=None) -> int:
        """Solve the day from scratch and save the plan; returns its id.

        A booked day starts from its bookings inserted in booking order (the tentative routes'
        rule), so a plan exists at once and the search only improves it.
        """
        return self.plan_day(date, user, time_limit_s, progress)[0]

    def plan_day(self, date: str, user: str, time_limit_s: float, progress=None):
        """:meth:`plan`, returning ``(plan id, DayResult, DayOrders)`` for callers that also
        write files or print the scorecard (the CLI)."""
        try:
            digest = bookings_digest(self.db, date)
            day = self.day_orders(date)
        except DayError as exc:
            raise JobFailed("; ".join([str(exc), *exc.problems]))
        booked = day.count("api") > 0
        result = self._solve(day.orders, date, time_limit_s, progress, insertion_start=booked)
        if progress is not None:
            progress.stage("saving the plan")
        parent = self.latest_plan(date)
        extra = {"bookings_digest": digest if booked else None, "dropped_rows": day.dropped, "source": day.describe()}
        plan_id = self._save(result, kind="solve", note=f"planned {len(day.orders)} orders ({day.describe()})",
                             user=user, parent_id=parent.id if parent else None, locks={}, unassigned=[],
                             time_limit_s=time_limit_s, extra=extra)
        return plan_id, result, day

    # -- publication ------------------------------------------------------------------------
    def publish(self, date: str, user: str, *, plan_id: int | None = None, force: bool = False, now=None):
        """Publish a plan of ``date`` (the latest unless ``plan_id``): ETAs to the bookings and
        events to the shops (:func:`scenarios.dispatch.publication.publish`)."""
        from scenarios.booking_rules import now as rules_now, slot_calendar
        from scenarios.dispatch.publication import PublishError, publish

        plan = self.get_plan(plan_id) if plan_id is not None else self.latest_plan(date)
        if plan is None or plan.date != date:
            what = f"plan {plan_id} is not a plan of {date}" if plan_id is not None else f"there is no plan for {date}"
            raise PublishError(f"{what}; plan the day first (lastmile plan --date {date} --bookings, or Plan the day)")
        cutoff = slot_calendar(self.scenario, self.config).cutoff(dt.date.fromisoformat(date))
        return publish(self.db, plan, scenario=self.scenario_name, user=user, now=now or rules_now(self.config),
                       cutoff=cutoff, eta_width_s=self.scenario.spec.dispatch.eta_window_minutes * 60, force=force)

    def publication(self, date: str):
        """The date's latest publication, or None."""
        from scenarios.dispatch.publication import latest_publication

        return latest_publication(self.db, self.scenario_name, date)

    def reoptimize(self, plan_id: int, user: str, time_limit_s: float, progress=None) -> int:
        """Solve again from the plan's routes, keeping its locks; saves a child plan."""
        base = self.get_plan(plan_id)
        if base is None:
            raise JobFailed(f"plan {plan_id} does not exist; reload the page")
        initial = {r["vehicle_id"]: [s["stop_id"] for s in r["stops"]] for r in base.plan["routes"]}
        result = self._solve(base.orders(), base.date, time_limit_s, progress, locks=base.locks, initial=initial)
        if progress is not None:
            progress.stage("saving the plan")
        n = len(base.locks)
        return self._save(result, kind="reoptimize", note=f"re-optimized keeping {n} lock{'s' if n != 1 else ''}",
                          user=user, parent_id=base.id, locks=base.locks, unassigned=[], time_limit_s=time_limit_s,
                          extra=_carried(base))

    def edit(self, plan_id: int, user: str, action: str, stop_id: str, *, vehicle_id: str | None = None,
             position: int | None = None) -> int:
        """Make one hand edit, re-simulate the times and save it as a child plan; returns its id.

        Raises :class:`~scenarios.dispatch.editing.EditError` (a ``ValueError``) for an impossible edit.
        """
        base = self.get_plan(plan_id)
        if base is None:
            raise DayError(f"plan {plan_id} does not exist; reload the page")
        draft = draft_from_plan(base.plan, self.vehicle_ids(), base.locks, base.data.get("unassigned", []))
        draft = apply_edit(draft, action, stop_id, vehicle_id=vehicle_id, position=position, known_stops=base.stop_ids())
        if action in ("move", "lock"):
            from scenarios.planning import day_stops

            needs = {st.id: st.skills for st in day_stops(self.scenario, base.orders()) if st.skills}
            refuse_missing_skills(draft, stop_id, needs, {v.id: v.skills for v in self.scenario.vehicles()})
        result = self.resimulate(base.orders(), base.date, draft)
        return self._save(result, kind="edit", note=draft.note, user=user, parent_id=base.id, locks=draft.locks,
                          unassigned=draft.unassigned, time_limit_s=base.data.get("time_limit_s", 0.0), base=base)

    def resimulate(self, orders: list[Order], date: str, draft: Draft):
        """The plan for exactly the draft's routes, with times re-simulated on the street matrices."""
        import numpy as np

        from optimizer.dayplan import build_day_model, plan_from_solution
        from optimizer.problem import RoutingSolution
        from optimizer.scorecard import build_scorecard
        from scenarios.planning import DayResult, day_stops, day_travel, snap_day

        s = self.scenario
        stops = day_stops(s, orders)
        nodes = snap_day(self.network, s, stops)
        travel = day_travel(self.network, nodes, s.vehicles(), s.traffic_bands())
        model = build_day_model(orders, stops, s.vehicles(), s.depots(), travel.duration, travel.distance,
                                drop_penalty=s.drop_penalties(), locks=draft.locks, profiles=travel.profiles,
                                traffic=travel.traffic)
        node_of = {st.id: model.stop_node(k) for k, st in enumerate(stops)}
        missing = [sid for seq in draft.routes.values() for sid in seq if sid not in node_of]
        if missing:
            raise DayError(f"stop(s) {', '.join(missing[:5])} are no longer in the day's orders; re-plan the day")
        routes = [[node_of[sid] for sid in draft.routes.get(v.id, [])] for v in model.vehicles]
        on_route = {n for r in routes for n in r}
        dropped = [model.stop_node(k) for k in range(len(stops)) if model.stop_node(k) not in on_route]
        solution = RoutingSolution(routes=routes, dropped=dropped, objective=0, engine="hand edit", wall_s=0.0)
        plan = plan_from_solution(model, solution, date=date)
        plan.meta.setdefault("scenario", s.name)
        scorecard = build_scorecard(plan, orders, s.vehicles(), currency=s.spec.currency)
        plan.objective = scorecard.cost_total + sum(
            s.drop_penalties().get(model.orders[u.order_id].tier, 0.0) for u in plan.unserved
        )
        return DayResult(plan=plan, scorecard=scorecard, model=model, nodes=np.asarray(nodes), orders=list(orders))


def _carried(base: StoredPlan) -> dict:
    return {k: base.data[k] for k in CARRIED_KEYS if k in base.data}


def slot_labels(orders: Sequence[Order]) -> list[str]:
    return sorted({o.slot_label for o in orders})


def order_rows(orders: Sequence[Order], plan: StoredPlan | None) -> list[dict]:
    """One row per order for the orders table: where it is in the plan and its status
    (``planned``, ``late``, ``unserved`` or ``not planned``)."""
    placed: dict[str, tuple[str, int, dict]] = {}
    unserved: dict[str, dict] = {}
    if plan is not None:
        for r in plan.plan["routes"]:
            for stop in r["stops"]:
                for oid in stop["order_ids"]:
                    placed[oid] = (r["vehicle_id"], stop["seq"], stop)
        unserved = {u["order_id"]: u for u in plan.plan["unserved"]}
    rows = []
    for o in orders:
        row = {"id": o.id, "zone": o.zone, "slot": o.slot_label, "address": o.address, "parcels": o.parcels,
               "tier": o.tier, "pickup_point_id": o.pickup_point_id or "", "vehicle": "", "seq": "", "eta": "",
               "source": o.source, "shop": o.shop, "order_ref": o.order_ref,
               "status": "not planned", "reason": ""}
        if o.id in placed:
            vehicle, seq, stop = placed[o.id]
            late = stop["start_s"] > o.window.end
            row.update(vehicle=vehicle, seq=seq, eta=hhmm(stop["start_s"]), status="late" if late else "planned")
        elif o.id in unserved:
            u = unserved[o.id]
            row.update(status="unserved", reason=f"{u['reason']}: {u['detail']}")
        rows.append(row)
    return rows

