"""The planner's view: pickup points with their walking catchments, and how planned days compare.

Catchments are the walking-distance polygons of :func:`geo.catchment.catchment_polygons`,
computed on demand per point and kept for the life of the process.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, jsonify, render_template, request, url_for
from flask_login import current_user, login_required

from webui.pages import charts, whatif
from webui.pages.auth import role_required
from scenarios.dispatch.errors import DayError

bp = Blueprint("planner", __name__)

CATCHMENT_RADII_M = (400.0, 800.0)
_CATCHMENTS: dict[tuple[str, str], dict] = {}
_CATCHMENTS_LOCK = threading.Lock()


def _workbench():
    return current_app.extensions["lastmile.workbench"]


def _runs() -> whatif.RunStore:
    folder = Path(current_app.config.get("SIMULATION_DIR") or Path("var") / "simulations")
    return whatif.RunStore(folder / _workbench().scenario.name)


def _run_view(run: dict | None, colour_of_variant: dict[str, str]) -> dict | None:
    """Table rows and charts of a what-if run for the template."""
    if run is None:
        return None
    rows = whatif.comparison_rows(run)
    names = [v["name"] for v in run["variants"]]
    dates = sorted({r["date"] for r in run["day_rows"]})
    per_day = {n: [next((r["cost_per_order"] for r in run["day_rows"] if r["variant"] == n and r["date"] == d), 0.0)
                   for d in dates] for n in names}
    by = {(r["variant"], r["metric"]): r["mean"] or 0.0 for r in run["comparison"]}
    figures = {}
    for metric, (label, unit) in whatif.METRIC_LABELS.items():
        scale = 100.0 if unit == "%" else 1.0
        figures[metric] = charts.bar_chart([(n, scale * by.get((n, metric), 0.0)) for n in names], title=label,
                                           unit="%" if unit == "%" else ("" if unit == "cur" else unit),
                                           colours=[colour_of_variant.get(n, "#4a78b0") for n in names])
    util = [(f"{p['point']}", 100.0 * p["utilization"]) for p in run["points"] if p["variant"] == names[-1]]
    return {
        "run": run, "rows": rows, "names": names, "figures": figures,
        "per_day": charts.line_chart([(n, per_day[n]) for n in names], dates, title="Cost per order by simulated day"),
        "utilization": charts.bar_chart(sorted(util, key=lambda x: -x[1])[:15], title=f"Point utilization ({names[-1]})",
                                        unit="%", colours=["#2e8b57"]) if util else None,
    }


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
    run = None
    runs: list[dict] = []
    if error is None and whatif.available():
        runs = _runs().list()
        wanted = request.args.get("run") or (runs[0]["id"] if runs else None)
        run = _runs().load(wanted) if wanted else None
        if wanted and run is None:
            flash(f"what-if run '{wanted}' was not found.", "error")
    colour_of_variant = {"baseline": "#4a78b0", "what-if": "#e08a2c"}
    return render_template(
        "planner.html", error=error, points=points, days=days, load=load, comparison=comparison,
        whatif_available=whatif.available(), runs=runs, result=_run_view(run, colour_of_variant),
        can_simulate=current_user.has_role("planner"), default_start=(dt.date.today() + dt.timedelta(days=1)).isoformat(),
        default_orders=current_app.config.get("ORDERS_PER_DAY_OVERRIDE") or "",
        running=[j.id for j in current_app.extensions["lastmile.jobs"].active(tag="planner")],
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


@bp.route("/planner/simulate", methods=["POST"])
@role_required("planner")
def simulate():
    if not whatif.available():
        return jsonify(error="the pickup-point simulation runner (scenarios.simulate) is not installed"), 501
    data = request.get_json(silent=True) or {}
    add = [str(x) for x in data.get("add") or []]
    remove = [str(x) for x in data.get("remove") or []]
    max_days = int(current_app.config.get("SIMULATION_MAX_DAYS", 14))
    try:
        days = 3 if data.get("days") in (None, "") else int(data["days"])
        n_orders = int(data["orders_per_day"]) if str(data.get("orders_per_day") or "").strip() else None
        start = dt.date.fromisoformat(str(data.get("start") or (dt.date.today() + dt.timedelta(days=1)).isoformat()))
    except ValueError:
        return jsonify(error="days and orders per day must be whole numbers, the start a date YYYY-MM-DD"), 400
    if not 1 <= days <= max_days:
        return jsonify(error=f"days: simulate between 1 and {max_days} days"), 400
    if n_orders is not None and n_orders < 1:
        return jsonify(error="orders per day: give at least 1, or leave it empty for the demand model"), 400
    if not add and not remove:
        return jsonify(error="choose at least one candidate to open or one open point to close"), 400
    wb, runs, jobs = _workbench(), _runs(), current_app.extensions["lastmile.jobs"]
    for job in jobs.active(tag="planner"):
        return jsonify(job=job.to_dict(), poll=url_for("day.job", job_id=job.id)), 202  # one at a time
    iterations = int(current_app.config.get("SIMULATION_ITERATIONS", 1500))
    time_limit = float(current_app.config.get("SIMULATION_TIME_LIMIT_S", 8.0))

    def work(progress):
        run = whatif.run_whatif(wb.scenario, wb.network, add=add, remove=remove, days=days, start=start,
                                n_orders=n_orders, iterations=iterations, time_limit_s=time_limit, progress=progress)
        return runs.save(run)

    job = jobs.submit("what-if", current_user.username, time_limit * days * 2, work, tag="planner")
    return jsonify(job=job.to_dict(), poll=url_for("day.job", job_id=job.id)), 202
