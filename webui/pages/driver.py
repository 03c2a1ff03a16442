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

from geo.geojson import feature_collection, line_feature, point_feature
from geo.network import ODBL_NOTICE
from geo.snap import SnapError
from webui.basemap import basemap_for

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
    gzipped = "gzip" in request.headers.get("Accept-Encoding", "")
    resp = Response(bm.gzipped if gzipped else bm.body, mimetype="application/geo+json")
    if gzipped:
        resp.headers["Content-Encoding"] = "gzip"
    resp.headers["Cache-Control"] = "private, max-age=3600"
    resp.headers["Vary"] = "Accept-Encoding, Authorization"
    return resp


@bp.route("/driver/leg.geojson")
def leg():
    """The next leg to ``?stop=ID``: a line along the streets, plus the two ends as points."""
    from scenarios.execution.day import driven_day

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
    stops = vehicle.stops
    k = next((i for i, s in enumerate(stops) if s.stop_id == stop_id), None)
    if k is None:
        return _bad(404, "stop", "not_on_route", f"stop '{stop_id}' is not on the route of {found.vehicle_id} on {found.date}")
    to = stops[k]
    if k == 0:
        start = {"kind": "from", "name": "depot", "lat": vehicle.depot_lat, "lon": vehicle.depot_lon}
    else:
        prev = stops[k - 1]
        start = {"kind": "from", "name": prev.address or prev.stop_id, "stop_id": prev.stop_id, "lat": prev.lat, "lon": prev.lon}
    network = wb.network
    try:
        a, b = (int(n) for n in network.snap([start["lat"], to.lat], [start["lon"], to.lon],
                                              labels=["the leg's start", f"stop {to.stop_id}"],
                                              max_distance_m=wb.scenario.spec.snap_max_distance_m))
    except SnapError as exc:
        return _bad(422, "stop", "off_the_streets", str(exc))
    coords = network.route_coordinates([a, b]) if a != b else [[start["lon"], start["lat"]], [to.lon, to.lat]]
    features = [
        line_feature(coords, {"kind": "leg", "vehicle_id": vehicle.vehicle_id, "stop_id": to.stop_id, "seq": to.seq}),
        point_feature(start["lon"], start["lat"], {k2: v for k2, v in start.items() if k2 not in ("lat", "lon")}),
        point_feature(to.lon, to.lat, {"kind": "to", "stop_id": to.stop_id, "seq": to.seq, "address": to.address}),
    ]
    return jsonify(feature_collection(features, attribution=ODBL_NOTICE))
