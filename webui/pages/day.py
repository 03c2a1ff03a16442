"""The dispatcher's day view: orders, planning in the background, the map, edits and import.

Only a dispatcher (:data:`webui.pages.auth.STOP_ROLES`) sees a day's stops; a planner or an
admin opening ``/day/<date>`` gets the day per zone and slot (:func:`zone_summary`) and the
plan's figures, and ``routes.geojson`` answers them 403. A dispatcher's page view is written to
the audit log (``day.view``, once per page, not per poll), every change of the plan too
(``plan.change``, ``plan.publish``, ``driver.link``, ``driver.revoke``).
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from webui.basemap import basemap_for, basemap_response
from webui.pages import charts
from webui.pages.auth import STOP_ROLES, audit, role_required, sees_stops
from scenarios.dispatch.editing import EditError
from scenarios.dispatch.errors import DayError
from scenarios.dispatch.workbench import order_rows, scorecard_diff, slot_labels

bp = Blueprint("day", __name__)

STATUSES = ("planned", "late", "unserved", "not planned")
TIME_LIMIT_CHOICES = (5, 10, 30, 60, 120, 300)


def workbench():
    return current_app.extensions["lastmile.workbench"]


def jobs():
    return current_app.extensions["lastmile.jobs"]


def _date_or_404(date: str) -> str:
    try:
        return dt.date.fromisoformat(date).isoformat()
    except ValueError:
        abort(404, description=f"'{date}' is not a date; write it as YYYY-MM-DD, for example 2026-11-24")


def default_date() -> str:
    return (dt.date.today() + dt.timedelta(days=1)).isoformat()


def _time_limit(raw: str | None) -> float:
    default = float(current_app.config.get("PLAN_TIME_LIMIT_S", 30))
    most = float(current_app.config.get("PLAN_TIME_LIMIT_MAX_S", 300))
    if raw in (None, ""):
        return min(default, most)
    try:
        value = float(raw)
    except ValueError:
        raise DayError(f"time limit '{raw}' is not a number of seconds")
    if not 0 < value <= most:
        raise DayError(f"time limit: choose between 1 and {most:g} seconds")
    return value


@bp.route("/")
@login_required
def home():
    if current_user.role == "planner":
        return redirect(url_for("planner.view"))
    if current_user.role == "admin":
        return redirect(url_for("admin.view"))
    return redirect(url_for("day.view", date=default_date()))


@bp.route("/day")
@login_required
def pick():
    raw = request.args.get("date", "").strip()
    try:
        date = dt.date.fromisoformat(raw).isoformat()
    except ValueError:
        flash(f"'{raw}' is not a date; pick one or write it as YYYY-MM-DD.", "error")
        date = default_date()
    return redirect(url_for("day.view", date=date))


@bp.route("/day/<date>")
@login_required
def view(date: str):
    date = _date_or_404(date)
    wb = workbench()
    plan = None
    raw_plan = request.args.get("plan")
    if raw_plan:
        plan = wb.get_plan(int(raw_plan)) if raw_plan.isdigit() else None
        if plan is None or plan.date != date:
            flash(f"plan {raw_plan} is not a plan of {date}; showing the latest instead.", "error")
            plan = None
    if plan is None:
        plan = wb.latest_plan(date)
    error = None
    problems: list[str] = []
    orders = []
    stale = None
    dropped: list[str] = []
    try:
        day = wb.day_orders(date)
        current, source, dropped = day.orders, day.describe(), day.dropped
    except DayError as exc:
        error, problems, source, current = str(exc), exc.problems, "", []
    if plan is not None:
        orders = plan.orders()
        if error is None and {o.id for o in current} != {o.id for o in orders}:
            stale = (f"The day's orders changed since this plan: {len(current)} orders now ({source}), "
                     f"{len(orders)} in the plan. Press Plan the day to route the new orders.")
    else:
        orders = current
    rows = order_rows(orders, plan)
    if not sees_stops():
        return _summary_page(date, plan, parent=wb.get_plan(plan.parent_id) if plan is not None and plan.parent_id else None,
                             rows=rows, error=error, source=source, stale=stale, publication=wb.publication(date),
                             actual=_day_actual(wb, date))
    zones = sorted({r["zone"] for r in rows if r["zone"]})
    slots = slot_labels(orders)
    f_zone, f_slot, f_status = request.args.get("zone", ""), request.args.get("slot", ""), request.args.get("status", "")
    shown = [r for r in rows if (not f_zone or r["zone"] == f_zone) and (not f_slot or r["slot"] == f_slot)
             and (not f_status or r["status"] == f_status)]
    parent = wb.get_plan(plan.parent_id) if plan is not None and plan.parent_id else None
    vehicle_ids = wb.vehicle_ids() if error is None else []
    colour_of = {v: charts.colour(i) for i, v in enumerate(vehicle_ids)}
    ctx = dict(
        date=date, plan=plan, parent=parent, error=error, problems=problems, source=source, stale=stale,
        rows=shown, total_orders=len(rows), zones=zones, slots=slots, statuses=STATUSES,
        filters={"zone": f_zone, "slot": f_slot, "status": f_status},
        counts={s: sum(1 for r in rows if r["status"] == s) for s in STATUSES},
        vehicle_ids=vehicle_ids, colour_of=colour_of, history=wb.plans_for(date),
        time_limits=TIME_LIMIT_CHOICES, default_time_limit=float(current_app.config.get("PLAN_TIME_LIMIT_S", 30)),
        running=[j.id for j in jobs().active(tag=date)],
        has_import=wb.has_import(date), dropped=dropped, publication=wb.publication(date),
        can_edit=current_user.has_role("dispatcher"),
        prev_day=(dt.date.fromisoformat(date) - dt.timedelta(days=1)).isoformat(),
        next_day=(dt.date.fromisoformat(date) + dt.timedelta(days=1)).isoformat(),
    )
    if plan is not None:
        sc = plan.scorecard
        ctx["diff"] = scorecard_diff(sc, parent.scorecard if parent else None)
        ctx["charts"] = _scorecard_charts(sc, colour_of)
        ctx["order_points"] = []
    else:
        ctx["order_points"] = [{"id": o.id, "lat": o.lat, "lon": o.lon, "slot": o.slot_label} for o in orders]
    ctx["timeline"] = _driven_timeline(date, colour_of)
    from webui.pages.performance import day_actual

    ctx["actual"] = day_actual(wb, date)  # plan against actual, once a van has reported
    if rows:
        audit("day.view", f"day:{date}", f"{len(rows)} orders" + (f", plan {plan.id}" if plan is not None else ""))
    return render_template("day.html", **ctx)


def zone_summary(rows: list[dict]) -> list[dict]:
    """The day per zone: orders, parcels and how many are planned, late, unserved, not planned.

    What a planner and an admin see of a day: counts only, no order, address or position.
    """
    by_zone: dict[str, dict] = {}
    for r in rows:
        z = by_zone.setdefault(r["zone"] or "(no zone)", {"zone": r["zone"] or "(no zone)", "orders": 0, "parcels": 0,
                                                          "pickup": 0, **{st: 0 for st in STATUSES}})
        z["orders"] += 1
        z["parcels"] += int(r["parcels"] or 0)
        z["pickup"] += 1 if r["pickup_point_id"] else 0
        z[r["status"]] += 1
    return [by_zone[k] for k in sorted(by_zone)]


def slot_summary(rows: list[dict]) -> list[tuple[str, int]]:
    """Orders per booked slot, in slot order."""
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["slot"]] = counts.get(r["slot"], 0) + 1
    return sorted(counts.items())


def _day_actual(wb, date: str) -> dict | None:
    from webui.pages.performance import day_actual

    return day_actual(wb, date)


def _summary_page(date: str, plan, *, parent, rows: list[dict], error: str | None, source: str, stale: str | None,
                  publication, actual: dict | None):
    """The day for a planner or an admin: zone-level aggregates, the plan's figures and, once
    vans have reported, plan against actual per day and vehicle (:mod:`webui.pages.performance`)."""
    sc = plan.scorecard if plan is not None else None
    return render_template(
        "day_summary.html", date=date, plan=plan, error=error, source=source, stale=stale, publication=publication,
        total_orders=len(rows), zones=zone_summary(rows), slots=slot_summary(rows), statuses=STATUSES,
        diff=scorecard_diff(sc, parent.scorecard if parent else None) if sc else [],
        currency=(sc or {}).get("currency", ""), actual=actual,
        prev_day=(dt.date.fromisoformat(date) - dt.timedelta(days=1)).isoformat(),
        next_day=(dt.date.fromisoformat(date) + dt.timedelta(days=1)).isoformat(),
    )


def _scorecard_charts(sc: dict, colour_of: dict[str, str]) -> dict:
    cur = sc.get("currency", "")
    per = sc.get("per_vehicle", [])
    out = {
        "on_time": charts.gauge(sc.get("on_time_rate", 0.0), title="On-time rate (served orders)"),
        "served": charts.gauge(sc["orders_served"] / sc["orders_total"] if sc.get("orders_total") else 0.0,
                               title=f"Orders served: {sc.get('orders_served', 0)} of {sc.get('orders_total', 0)}"),
        "cost": charts.stacked_bar([("transport", sc.get("cost_transport", 0.0)), ("labour", sc.get("cost_labour", 0.0)),
                                    ("vehicles", sc.get("cost_fixed", 0.0))], title="Cost split", unit=cur),
        "hours": charts.bar_chart([(p["vehicle_id"], p["hours"]) for p in per], title="Driver hours per vehicle",
                                  unit="h", colours=[colour_of.get(p["vehicle_id"], "#4a78b0") for p in per]),
        "km": charts.bar_chart([(p["vehicle_id"], p["km"]) for p in per], title="Distance per vehicle", unit="km",
                               colours=[colour_of.get(p["vehicle_id"], "#4a78b0") for p in per]),
    }
    if sc.get("unserved_by_reason"):
        out["unserved"] = charts.bar_chart(sorted(sc["unserved_by_reason"].items()), title="Unserved orders by reason",
                                           colours=["#c0392b"])
    return out


# --------------------------------------------------------------------------- background solves


def _submit(kind: str, date: str, time_limit: float, params: dict) -> dict:
    """Queue the solve on the solver cluster, or join the day's active one (one per day at a time)."""
    return jobs().submit_solve(kind, current_user.username, time_limit, params, tag=date).to_dict()


@bp.route("/day/<date>/plan", methods=["POST"])
@role_required("dispatcher")
def plan(date: str):
    date = _date_or_404(date)
    try:
        limit = _time_limit(request.form.get("time_limit") or (request.get_json(silent=True) or {}).get("time_limit"))
    except DayError as exc:
        return jsonify(error=str(exc)), 400
    job = _submit("plan", date, limit, {"date": date})
    audit("plan.change", f"day:{date}", f"plan the day (job {job['id']}, {limit:g} s)")
    return jsonify(job=job, poll=url_for("day.job", job_id=job["id"])), 202


@bp.route("/plans/<int:plan_id>/reoptimize", methods=["POST"])
@role_required("dispatcher")
def reoptimize(plan_id: int):
    base = workbench().get_plan(plan_id)
    if base is None:
        return jsonify(error=f"plan {plan_id} does not exist; reload the page"), 404
    try:
        limit = _time_limit(request.form.get("time_limit") or (request.get_json(silent=True) or {}).get("time_limit"))
    except DayError as exc:
        return jsonify(error=str(exc)), 400
    job = _submit("re-optimize", base.date, limit, {"plan_id": plan_id})
    audit("plan.change", f"day:{base.date}", f"re-optimize plan {plan_id} (job {job['id']}, {limit:g} s)")
    return jsonify(job=job, poll=url_for("day.job", job_id=job["id"])), 202


@bp.route("/jobs/<job_id>")
@login_required
def job(job_id: str):
    snap = jobs().snapshot(job_id)
    if snap is None:
        return jsonify(error="this solve is no longer known (the server restarted?); reload the page"), 404
    if snap["state"] in ("done", "stopped") and isinstance(snap["result"], int):
        plan = workbench().get_plan(snap["result"])
        if plan is not None:
            snap["url"] = url_for("day.view", date=plan.date, plan=plan.id)
    elif snap["state"] == "done" and snap["kind"] == "what-if":
        snap["url"] = url_for("planner.view", run=snap["result"])
    return jsonify(snap)


@bp.route("/jobs/<job_id>/stop", methods=["POST"])
@role_required("dispatcher")
def stop_job(job_id: str):
    """Stop a solve early: it ends soon after and keeps the best plan found so far."""
    try:
        found = jobs().stop(job_id)
    except ValueError as exc:
        return jsonify(error=str(exc)), 409
    if found is None:
        return jsonify(error="this solve is no longer known; reload the page"), 404
    audit("plan.change", f"day:{found.tag}", f"stop {found.kind} job {job_id}")
    return jsonify(job=found.to_dict(), poll=url_for("day.job", job_id=job_id)), 202


@bp.route("/day/<date>/vehicles/out", methods=["POST"])
@role_required("dispatcher")
def vehicle_out(date: str):
    """A van out of service (breakdown, driver ill): its remaining stops are re-planned onto the
    other vans on the solver cluster and the re-plan is published; the page follows the job."""
    date = _date_or_404(date)
    vehicle_id = (request.form.get("vehicle_id") or "").strip()
    start = (request.form.get("from") or "").strip()
    reason = (request.form.get("reason") or "").strip()
    if vehicle_id not in workbench().vehicle_ids():
        flash(f"vehicle: choose one of the fleet's vans ({', '.join(workbench().vehicle_ids())})", "error")
    elif not start:
        flash("from: give the time the van is out of service from, as HH:MM", "error")
    else:
        limit = float(current_app.config.get("PLAN_TIME_LIMIT_S", 30))
        _submit("vehicle-out", date, min(limit, 20.0), {"date": date, "vehicle_id": vehicle_id, "from": start, "reason": reason})
        audit("plan.change", f"day:{date}", f"{vehicle_id} out of service from {start}; re-plan and publish")
        flash(f"Re-planning the stops of {vehicle_id} (out of service from {start}); the new plan is published when it is done.", "ok")
    return redirect(url_for("day.view", date=date))


# --------------------------------------------------------------------------- edits


@bp.route("/plans/<int:plan_id>/edit", methods=["POST"])
@role_required("dispatcher")
def edit(plan_id: int):
    data = request.get_json(silent=True) or request.form
    action = str(data.get("action", ""))
    stop_id = str(data.get("stop_id", "")).strip()
    vehicle_id = (str(data.get("vehicle_id") or "").strip()) or None
    raw_pos = data.get("position")
    position = None
    if raw_pos not in (None, ""):
        try:
            position = int(raw_pos)
        except (TypeError, ValueError):
            return jsonify(error=f"position '{raw_pos}' is not a whole number"), 400
    if not stop_id:
        return jsonify(error="choose a stop first (click it in a stop list or on the map)"), 400
    wb = workbench()
    try:
        new_id = wb.edit(plan_id, current_user.username, action, stop_id, vehicle_id=vehicle_id, position=position)
    except (EditError, DayError) as exc:
        return jsonify(error=str(exc)), 400
    plan = wb.get_plan(new_id)
    audit("plan.change", f"day:{plan.date}", f"{action} {stop_id}" + (f" to {vehicle_id}" if vehicle_id else "")
          + f": plan {plan_id} -> {new_id}")
    return jsonify(plan_id=new_id, note=plan.data.get("note", ""), url=url_for("day.view", date=plan.date, plan=new_id))


# --------------------------------------------------------------------------- import


@bp.route("/day/<date>/import", methods=["POST"])
@role_required("dispatcher")
def import_orders(date: str):
    date = _date_or_404(date)
    upload = request.files.get("orders")
    if upload is None or not upload.filename:
        flash("Choose an order CSV file to import.", "error")
        return redirect(url_for("day.view", date=date))
    from scheduling.orders_csv import ENCODING_CP1252, OrderFileError, decode_order_file

    raw = upload.read()
    try:
        text, encoding = decode_order_file(raw, upload.filename)
        orders = workbench().import_orders(date, text, upload.filename)
    except OrderFileError as exc:
        flash(f"{upload.filename}: the file cannot be read as text, nothing was imported", "error")
        for line in exc.problems:
            flash(line, "problem")
        return redirect(url_for("day.view", date=date))
    except DayError as exc:
        flash(str(exc), "error")
        for line in exc.problems[:50]:
            flash(line, "problem")
        if len(exc.problems) > 50:
            flash(f"... and {len(exc.problems) - 50} more problems", "problem")
        return redirect(url_for("day.view", date=date))
    audit("plan.change", f"day:{date}", f"import {len(orders)} orders from {upload.filename}")
    flash(f"Imported {len(orders)} orders from {upload.filename} for {date}. Press Plan to route them.", "ok")
    if encoding == ENCODING_CP1252:
        flash(f"{upload.filename} is not UTF-8, so it was read as Windows-1252 (what Excel saves as plain CSV); "
              "if letters such as å, ä, ö look wrong on the day, save it as 'CSV UTF-8' and import it again.", "ok")
    return redirect(url_for("day.view", date=date))


@bp.route("/day/<date>/import/drop", methods=["POST"])
@role_required("dispatcher")
def drop_import(date: str):
    date = _date_or_404(date)
    if workbench().drop_import(date):
        audit("plan.change", f"day:{date}", "drop the imported order file")
        flash(f"The imported order file for {date} was removed; the day shows the generated orders again.", "ok")
    return redirect(url_for("day.view", date=date))


# --------------------------------------------------------------------------- the day as driven (issue 11)


def _local_now_s(date: str) -> int:
    """Now (the booking clock) in seconds since midnight of ``date``, local time of the scenario."""
    from scenarios.booking_rules import now as rules_now
    from scenarios.execution.day import local_seconds
    from scenarios.execution.tokens import scenario_tz

    return local_seconds(rules_now(current_app.config), dt.date.fromisoformat(date), scenario_tz(workbench().scenario_name))


def _driven_timeline(date: str, colour_of: dict[str, str]) -> dict | None:
    """The timeline of the date's published plan as driven (``None``: nothing published)."""
    import uuid

    from scenarios.execution.day import driven_day
    from webui.pages.timeline import timeline

    wb = workbench()
    try:
        day = driven_day(wb.db, wb.scenario_name, date)
        now_s = _local_now_s(date)
    except DayError:
        return None
    if day is None:
        return None
    tl = timeline(day, now_s=now_s, colour_of=colour_of)
    tl["form_event_id"] = str(uuid.uuid4())  # a form sent twice records one event
    return tl


def _parse_hhmm(raw: str) -> int | None:
    hours, sep, minutes = raw.partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit() or int(hours) > 26 or int(minutes) > 59:
        return None
    return int(hours) * 3600 + int(minutes) * 60


@bp.route("/day/<date>/events", methods=["POST"])
@role_required("dispatcher")
def record_stop_event(date: str):
    """Record an event for a driver without a phone (``source="dispatcher"``).

    Form or JSON fields: ``stop_id``, ``type`` (departed | arrived | delivered | failed; departed
    takes ``vehicle_id`` instead of a stop), ``reason`` (failed only), ``at`` (``HH:MM`` local;
    empty: now), ``id`` (optional event id: a resend is harmless).
    """
    import uuid

    from scenarios.execution.day import driven_day
    from scenarios.execution.events import DeliveryEvent, EventRefused, record_event

    date = _date_or_404(date)
    data = request.get_json(silent=True) or request.form
    as_json = request.is_json

    def refuse(status: int, field: str, message: str):
        if as_json:
            return jsonify(error={"field": field, "message": message}), status
        flash(f"Not recorded: {message}.", "error")
        return redirect(url_for("day.view", date=date))

    wb = workbench()
    stop_id = str(data.get("stop_id") or "").strip()
    kind = str(data.get("type") or "").strip()
    reason = str(data.get("reason") or "").strip() or None
    raw_at = str(data.get("at") or "").strip()
    if kind not in ("departed", "arrived", "delivered", "failed"):
        return refuse(400, "type", f"type '{kind}' is not something to record here; choose departed, arrived, delivered or failed")
    if kind != "failed":
        reason = None
    at_s = _parse_hhmm(raw_at) if raw_at else _local_now_s(date)
    if at_s is None:
        return refuse(400, "at", f"at '{raw_at}' is not a time; write it as HH:MM (local), or leave it empty for now")
    day = driven_day(wb.db, wb.scenario_name, date)
    if day is None:
        return refuse(409, "date", f"nothing is published for {date}; publish the day's plan first")
    if kind == "departed":  # the van left the depot: no stop
        vehicle_id, stop_id = str(data.get("vehicle_id") or "").strip(), None
        if vehicle_id not in day.vehicles:
            return refuse(400, "vehicle_id", f"vehicle '{vehicle_id}' has no route in the published plan of {date}")
    else:
        vehicle_id = next((v.vehicle_id for v in day.vehicles.values() if v.stop(stop_id) is not None), None)
        if vehicle_id is None:
            return refuse(400, "stop_id", f"stop '{stop_id}' is on no route of the published plan of {date}; choose one from the list")
    event = DeliveryEvent(id=str(data.get("id") or "").strip() or str(uuid.uuid4()), date=date,
                          vehicle_id=vehicle_id, type=kind, at_s=min(max(at_s, 0), 27 * 3600), stop_id=stop_id,
                          reason=reason, source="dispatcher", reported_by=current_user.username)
    try:
        done = record_event(wb.db, wb.scenario_name, event)
    except EventRefused as exc:
        return refuse(exc.status, exc.field or "event", exc.message)
    where = f" at {stop_id}" if stop_id else ""
    said = (f"{kind}{where} ({vehicle_id}) was already recorded" if done.duplicate
            else f"Recorded for {vehicle_id}: {kind}{where}, {'%02d:%02d' % (at_s // 3600, at_s % 3600 // 60)}")
    if done.newly_at_risk:
        said += f"; {len(done.newly_at_risk)} booking(s) now expected after their slot"
    if as_json:
        return jsonify(recorded=not done.duplicate, duplicate=done.duplicate, event_id=event.id), (200 if done.duplicate else 201)
    flash(said + ".", "ok")
    return redirect(url_for("day.view", date=date))


def _token_from(raw: str) -> str:
    """The token of a pasted driver link (``.../driver?token=...``) or the token itself."""
    from urllib.parse import parse_qs, urlsplit

    raw = raw.strip()
    if "token=" in raw:
        found = parse_qs(urlsplit(raw).query).get("token")
        if found:
            return found[0].strip()
    return raw


@bp.route("/day/<date>/drivers/<vehicle_id>/token", methods=["POST"])
@role_required("dispatcher")
def driver_token(date: str, vehicle_id: str):
    """``action=issue`` (default): a new driver link, shown once on the answer page and stored only
    as a hash. ``action=revoke`` with ``token`` (the link or the token): the link stops working."""
    from scenarios.execution.tokens import TokenError, check_vehicle, issue_token, revoke_token

    date = _date_or_404(date)
    wb = workbench()
    action = request.form.get("action", "issue")
    if action == "revoke":
        token = _token_from(request.form.get("token", ""))
        if not token:
            flash("Paste the driver link (or its token) to revoke it.", "error")
        elif revoke_token(wb.db, token):
            audit("driver.revoke", f"day:{date}", f"driver link of {vehicle_id}")
            flash(f"The driver link for {vehicle_id} is revoked: it no longer opens the driver page.", "ok")
        else:
            flash("That link is unknown or already revoked; nothing changed.", "error")
        return redirect(url_for("day.view", date=date))
    if action != "issue":
        abort(400, description=f"action '{action}' is not known; use issue or revoke")
    try:
        check_vehicle(wb.db, wb.scenario_name, date, vehicle_id)
        token = issue_token(wb.db, wb.scenario_name, date, vehicle_id, issued_by=current_user.username,
                            driver_name=request.form.get("driver_name", "").strip())
    except TokenError as exc:
        flash(f"No link issued ({exc.field}): {exc.message}.", "error")
        return redirect(url_for("day.view", date=date))
    audit("driver.link", f"day:{date}", f"driver link for {vehicle_id}")
    link = url_for("driver.page", token=token, _external=True)
    resp = Response(render_template("driver_link.html", date=date, vehicle_id=vehicle_id, link=link,
                                    driver_name=request.form.get("driver_name", "").strip()))
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


# --------------------------------------------------------------------------- map data


@bp.route("/plans/<int:plan_id>/routes.geojson")
@role_required(*STOP_ROLES)
def routes_geojson(plan_id: int):
    plan = workbench().get_plan(plan_id)
    if plan is None:
        abort(404, description=f"plan {plan_id} does not exist")
    doc = dict(plan.data["geojson"])
    doc["locks"] = plan.locks
    doc["vehicles"] = workbench().vehicle_ids()
    return jsonify(doc)


@bp.route("/basemap.geojson")
@login_required
def basemap():
    try:
        bm = basemap_for(workbench().scenario.network_source)
    except DayError as exc:
        abort(500, description=str(exc))
    return basemap_response(bm, request.headers.get("Accept-Encoding", ""))


# --------------------------------------------------------------------------- publication


@bp.route("/plans/<int:plan_id>/publish", methods=["POST"])
@role_required("dispatcher")
def publish(plan_id: int):
    from scenarios.dispatch.publication import PublishError

    wb = workbench()
    plan = wb.get_plan(plan_id)
    if plan is None:
        abort(404, description=f"plan {plan_id} does not exist; reload the page")
    force = request.form.get("force") in ("1", "on", "true")
    try:
        done = wb.publish(plan.date, current_user.username, plan_id=plan_id, force=force)
    except PublishError as exc:
        flash(f"Not published: {exc}.", "error")
    else:
        audit("plan.publish", f"day:{plan.date}", f"plan {plan_id}: {done.planned} planned, {done.unserved} unserved"
              + (" (forced)" if force else ""))
        flash(f"Published plan #{plan_id}: {done.planned} bookings got ETA windows, {done.unserved} unserved"
              + (f", {done.to_carriers} with carriers" if done.to_carriers else "")
              + f"; {done.events} event(s) for the shops.", "ok")
    return redirect(url_for("day.view", date=plan.date, plan=plan_id))

