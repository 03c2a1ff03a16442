"""The driver's page on a phone: the day's stops, one tap per event, a queue that survives a
dead connection, and a map of the next leg along the streets.

* ``GET /driver`` -- the page. It needs no session: the dispatcher's link carries the driver
  token once as ``?token=``; ``driver.js`` keeps it in ``localStorage``, removes it from the
  address bar and sends it as ``Authorization: Bearer <token>`` to the driver API
  (:mod:`webui.api.driver`) and to the two map routes below.
* ``GET /driver/leg.geojson?stop=ID`` -- the leg to stop ``ID`` from the stop before it on the
  driver's route (the depot for the first stop), traced on the same street network as the
  dispatcher's map (:func:`scenarios.export.routes_geojson` traces whole routes the same way).
* ``GET /driver/basemap.geojson`` -- the street basemap of the scenario, as ``/basemap.geojson``
  serves it to signed-in dispatchers.

Times are seconds since midnight of the plan date (local), distances metres.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from webui.basemap import basemap_for, basemap_response

bp = Blueprint("driver", __name__)

NOT_SIGNED_IN = ("send the driver token as 'Authorization: Bearer <token>'; open the link from your dispatcher "
                 "(/driver?token=...) on this phone")
NOT_VALID = "this driver link is not valid any more (revoked, or its day is over); ask your dispatcher for a new one"


def _db():
    from webui.app import get_db

    return get_db(current_app)


def _workbench():
    return current_app.extensions["lastmile.workbench"]


def _now() -> dt.datetime:
    """The clock the driver API goes by (``BOOKING_CLOCK``, ``LASTMILE_NOW`` or the system), aware."""
    from scenarios.booking_rules import now

    t = now(current_app.config)
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def _unauthorized(message: str):
    resp = jsonify(error={"field": "Authorization", "reason": "unauthorized", "message": message})
    resp.status_code = 401
    resp.headers["WWW-Authenticate"] = 'Bearer realm="driver"'
    return resp


def _bad(status: int, field: str, reason: str, message: str):
    return jsonify(error={"field": field, "reason": reason, "message": message}), status


def _driver_token():
    """``(DriverToken, None)`` for a valid ``Authorization: Bearer`` header, else ``(None, 401 answer)``."""
    from scenarios.execution.tokens import token_driver

    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None, _unauthorized(NOT_SIGNED_IN)
    found = token_driver(_db(), token, _now())
    if found is None:
        return None, _unauthorized(NOT_VALID)
    return found, None


@bp.route("/driver")
def page():
    """The driver's page (the token is read by its script, never by the server here)."""
    resp = Response(render_template("driver.html"))
    # The token is in the URL on the first visit: never send it on as a referrer.
    resp.headers["Referrer-Policy"] = "no-referrer"
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/driver/basemap.geojson")
def basemap():
    found, refused = _driver_token()
    if refused is not None:
        return refused
    bm = basemap_for(_workbench().scenario.network_source)
    return basemap_response(bm, request.headers.get("Accept-Encoding", ""), vary="Accept-Encoding, Authorization")


@bp.route("/driver/leg.geojson")
def leg():
    """The next leg to ``?stop=ID``: a line along the streets, plus the two ends as points."""
    from scenarios.execution.day import driven_day
    from scenarios.execution.legs import LegError, next_leg_geojson

    found, refused = _driver_token()
    if refused is not None:
        return refused
    stop_id = request.args.get("stop", "").strip()
    if not stop_id:
        return _bad(400, "stop", "missing", "add ?stop=<stop id> (a stop of your route)")
    wb = _workbench()
    day = driven_day(_db(), wb.scenario_name, found.date)
    vehicle = day.vehicles.get(found.vehicle_id) if day is not None else None
    if vehicle is None:
        return _bad(404, "vehicle_id", "not_published",
                    f"{found.vehicle_id} has no published route on {found.date}; ask your dispatcher")
    try:
        doc = next_leg_geojson(wb.network, vehicle, stop_id, max_snap_m=wb.scenario.spec.snap_max_distance_m)
    except LegError as exc:
        if exc.reason == "not_on_route":
            return _bad(404, "stop", "not_on_route", f"{exc.message} on {found.date}")
        return _bad(exc.status, exc.field, exc.reason, exc.message)
    return jsonify(doc)
