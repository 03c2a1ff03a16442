"""Driver sheets: a printable page per vehicle and the same stops as CSV.

They list addresses and positions, so only a dispatcher may open them (403 for a planner or an
admin), and each one opened or downloaded is written to the audit log (``day.export``).
"""

from __future__ import annotations

import io

from flask import Blueprint, Response, abort, current_app, render_template

from optimizer.domain import hhmm
from scenarios.export import DRIVER_SHEET_COLUMNS
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


def _window(stop: dict) -> str:
    """The stop's slot: all its windows when it has several (``08:00-10:00|17:00-19:00``)."""
    if stop.get("windows"):
        return "|".join(stop["windows"])
    if stop.get("window_start_s") is None:
        return ""
    return f"{hhmm(stop['window_start_s'])}-{hhmm(stop['window_end_s'])}"


def _late_min(stop: dict) -> str:
    """Minutes after the window closed (a soft window's allowed lateness); empty when on time."""
    return f"{stop['late_s'] / 60:.0f}" if stop.get("late_s") else ""


def _amount(value: float | None) -> str:
    """A stop's kilograms or litres for the sheet; empty when it has none (plans saved before them too)."""
    return f"{value:g}" if value else ""


def sheet_rows(route: dict) -> list[list]:
    """The CSV rows of one route, in :data:`scenarios.export.DRIVER_SHEET_COLUMNS` order."""
    return [
        [route["vehicle_id"], s["seq"], s["stop_id"], " ".join(s["order_ids"]), s["address"], s["pickup_point_id"] or "",
         _window(s), s["arrival"], s["departure"], s["parcels"], s["load_after"], f"{s['lat']:.6f}", f"{s['lon']:.6f}",
         _amount(s.get("weight_kg")), _amount(s.get("volume_l")), " ".join(s.get("skills") or ()),
         s.get("window_used") or "", _late_min(s)]
        for s in route["stops"]
    ]


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
    stops = [dict(s, window=_window(s), late=s["start_s"] > (s["window_end_s"] or 10**9),
                  window_used=s.get("window_used") if s.get("windows") else None, late_min=_late_min(s))
             for s in route["stops"]]
    return render_template(
        "sheet.html", plan=plan, route=route, stops=stops, vehicles=vehicles, depot=depots.get(route["depot_id"]),
        colour=charts.colour(current_app.extensions["lastmile.workbench"].vehicle_ids().index(vehicle_id))
        if vehicle_id in current_app.extensions["lastmile.workbench"].vehicle_ids() else "#333",
        km=route["distance_m"] / 1000.0,
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
