"""The planner's view: pickup points with their walking catchments, and how planned days compare.

Catchments are the walking-distance polygons of :func:`geo.catchment.catchment_polygons`,
computed on demand per point and kept for the life of the process.
"""

from __future__ import annotations

import threading
from collections import Counter

from flask import Blueprint, abort, current_app, jsonify, render_template
from flask_login import login_required

from webui.pages import charts
from webui.pages.workbench import DayError

bp = Blueprint("planner", __name__)

CATCHMENT_RADII_M = (400.0, 800.0)
_CATCHMENTS: dict[tuple[str, str], dict] = {}
_CATCHMENTS_LOCK = threading.Lock()


def _workbench():
    return current_app.extensions["lastmile.workbench"]


@bp.route("/planner")
@login_required
def view():
    wb = _workbench()
    error = None
    points = []
    days: list[dict] = []
    try:
        scenario = wb.scenario
        points = sorted(scenario.pickup_points, key=lambda p: (not p.active, p.id))  # open points first
        days = wb.all_scorecards()
    except DayError as exc:
        error = "; ".join([str(exc), *exc.problems])
    load: Counter[str] = Counter()
    latest = None
    if days:
        latest = wb.get_plan(days[-1]["plan_id"])
        if latest is not None:
            for o in latest.orders():
                if o.pickup_point_id:
                    load[o.pickup_point_id] += 1
    labels = [d["date"] for d in days]
    comparison = {}
    if days:
        comparison = {
            "cost": charts.line_chart([("cost per order", [d["cost_per_order"] for d in days])], labels,
                                      title="Cost per order by day", unit=days[-1].get("currency", "")),
            "shares": charts.line_chart(
                [("pickup share", [100 * d["pickup_share"] for d in days]),
                 ("on time", [100 * d["on_time_rate"] for d in days]),
                 ("first choice", [100 * d["preference_match_rate"] for d in days])],
                labels, title="Shares by day (%)", unit="%"),
            "km": charts.line_chart([("km per order", [d["km"] / d["orders_served"] if d["orders_served"] else 0.0
                                                       for d in days])], labels, title="Distance per order by day",
                                    unit="km"),
        }
    if load:
        comparison["load"] = charts.bar_chart(load.most_common(12), title=f"Orders per pickup point, {latest.date}",
                                              unit="orders", colours=["#2e8b57"])
    return render_template(
        "planner.html", error=error, points=points, days=days, load=load, comparison=comparison,
        point_data=[{"id": p.id, "name": p.name, "lat": p.lat, "lon": p.lon, "kind": p.kind, "active": p.active,
                     "capacity": p.capacity} for p in points],
        radii=CATCHMENT_RADII_M,
    )


@bp.route("/planner/catchments/<point_id>.geojson")
@login_required
def catchment(point_id: str):
    from geo.catchment import catchment_polygons

    wb = _workbench()
    point = next((p for p in wb.scenario.pickup_points if p.id == point_id), None)
    if point is None:
        abort(404, description=f"pickup point '{point_id}' is not in the scenario")
    key = (wb.scenario.name, point_id)
    with _CATCHMENTS_LOCK:
        doc = _CATCHMENTS.get(key)
    if doc is None:
        doc = catchment_polygons(wb.network, (point.lat, point.lon), CATCHMENT_RADII_M)
        doc["point_id"] = point_id
        with _CATCHMENTS_LOCK:
            _CATCHMENTS[key] = doc
    return jsonify(doc)
