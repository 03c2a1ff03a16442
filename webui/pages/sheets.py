"""Driver sheets: a printable page per vehicle and the same stops as CSV.

They list addresses and positions, so only a dispatcher may open them (403 for a planner or an
admin), and each one opened or downloaded is written to the audit log (``day.export``).
"""

from __future__ import annotations

import io

from flask import Blueprint, Response, abort, current_app, render_template

from scenarios.export import DRIVER_SHEET_COLUMNS, breaks_after, late_minutes, reload_before, sheet_rows, slot_label
from scheduling.csv_cells import csv_writer
from webui.pages import charts
from webui.pages.auth import STOP_ROLES, audit, role_required

bp = Blueprint("sheets", __name__)


def _plan_or_404(plan_id: int):
    plan = current_app.extensions["lastmile.workbench"].get_plan(plan_id)
    if plan is None:
        abort(404, description=f"plan {plan_id} does not exist")
    return plan


def _route_or_404(plan, vehicle_id: str) -> dict:
    route = plan.route(vehicle_id)
    if route is None:
        abort(404, description=f"vehicle {vehicle_id} has no route in plan {plan.id}")
    return route


def _csv(rows: list[list], filename: str) -> Response:
    buf = io.StringIO()
    w = csv_writer(buf)  # addresses come from imported files: no formulas (scheduling.csv_cells)
    w.writerow(DRIVER_SHEET_COLUMNS)
    w.writerows(rows)
    resp = Response(buf.getvalue(), mimetype="text/csv")
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return resp


@bp.route("/plans/<int:plan_id>/sheet/<vehicle_id>")
@role_required(*STOP_ROLES)
def sheet(plan_id: int, vehicle_id: str):
    plan = _plan_or_404(plan_id)
    route = _route_or_404(plan, vehicle_id)
    vehicles = [r["vehicle_id"] for r in plan.plan["routes"]]
    depots = {d["id"]: d for d in plan.plan.get("depots", [])}
    audit("day.export", f"day:{plan.date}", f"driver sheet (print) of {vehicle_id}, plan {plan.id}")
    stops = [dict(s, window=slot_label(s), late=s["start_s"] > (s["window_end_s"] or 10**9),
                  window_used=s.get("window_used") if s.get("windows") else None, late_min=late_minutes(s),
                  break_before=breaks_after(route, k), reload_before=reload_before(route, k))
             for k, s in enumerate(route["stops"])]
    return render_template(
        "sheet.html", plan=plan, route=route, stops=stops, vehicles=vehicles, depot=depots.get(route["depot_id"]),
        colour=charts.colour(current_app.extensions["lastmile.workbench"].vehicle_ids().index(vehicle_id))
        if vehicle_id in current_app.extensions["lastmile.workbench"].vehicle_ids() else "#333",
        km=route["distance_m"] / 1000.0, break_back=breaks_after(route, len(route["stops"])),
    )


@bp.route("/plans/<int:plan_id>/sheet/<vehicle_id>.csv")
@role_required(*STOP_ROLES)
def sheet_csv(plan_id: int, vehicle_id: str):
    plan = _plan_or_404(plan_id)
    route = _route_or_404(plan, vehicle_id)
    audit("day.export", f"day:{plan.date}", f"driver sheet CSV of {vehicle_id}, plan {plan.id}")
    return _csv(sheet_rows(route), f"driver-sheet-{plan.date}-{vehicle_id}.csv")


@bp.route("/plans/<int:plan_id>/sheets.csv")
@role_required(*STOP_ROLES)
def sheets_csv(plan_id: int):
    plan = _plan_or_404(plan_id)
    audit("day.export", f"day:{plan.date}", f"all driver sheets CSV, plan {plan.id}")
    rows = [row for r in plan.plan["routes"] for row in sheet_rows(r)]
    return _csv(rows, f"driver-sheets-{plan.date}-plan{plan.id}.csv")
