"""The driver API: a driver's phone reads its van's day and reports what happens on the road.

``Authorization: Bearer <driver token>`` (issued by a dispatcher, ``lastmile driver token``)
on every request: the token names the date and the vehicle, so a driver sees and reports only
their own van. An unknown, revoked or expired token answers 401 naming ``Authorization``.
Errors are ``{"error": {"field", "reason", "message"}}``; a refused event stores nothing.

* ``GET /api/v1/driver/day``: the van's stops in planned order with the slot, the published
  ETA window, the live ETA and what happened so far;
* ``POST /api/v1/driver/events``: one event (``departed``, ``arrived``, ``delivered``,
  ``failed``, ``picked_up``) with the phone's own id (a resend of the same id is harmless:
  200 ``duplicate``) and ``at`` as ISO 8601 with an offset.

The blueprint's name starts with ``api``, so the pages' CSRF protection does not apply: the
driver page's JavaScript calls it on the same origin with the Bearer header.
"""

from __future__ import annotations

import datetime as dt
from functools import wraps

from flask import Blueprint, current_app, g, jsonify, request
from pydantic import Field, ValidationError

from optimizer.domain import hhmm
from scenarios.execution.day import driven_day, local_seconds
from scenarios.execution.events import EVENT_KINDS, FAILURE_REASONS, RECIPIENT_MAX, DeliveryEvent, EventRefused, record_event
from scenarios.execution.tokens import scenario_tz, token_status
from webui.api import error, validation_error
from webui.api.schemas import _Body

PREFIX = "/api/v1/driver"
bp = Blueprint("api_driver", __name__, url_prefix=PREFIX)

_TOKEN_PROBLEMS = {
    "missing": "send the driver token as 'Authorization: Bearer <token>' (the link the dispatcher gave you)",
    "unknown": "this driver token is not known; ask the dispatcher for a new link",
    "revoked": "this driver token was revoked; ask the dispatcher for a new link",
    "expired": "this driver token has expired (it is valid until 03:00 after its day); ask the dispatcher for today's link",
}


def _db():
    return current_app.extensions["lastmile.db"]


def _now() -> dt.datetime:
    from scenarios.booking_rules import now

    t = now(current_app.config)
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def driver_authenticated(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        auth = request.headers.get("Authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        row, why = token_status(_db(), token, _now())
        if row is None:
            return error(401, "Authorization", f"{why}_token" if why != "missing" else "missing_token", _TOKEN_PROBLEMS[why])
        g.driver = row
        return view(*args, **kwargs)

    return wrapper


class EventBody(_Body):
    id: str = Field(min_length=1, max_length=64, description="the phone's own event id (a UUID); a resend with the same id is harmless")
    # The enums are in the document only: the server's own check names the field and lists the types.
    type: str = Field(min_length=1, max_length=20, description="departed, arrived, delivered, failed or picked_up",
                      json_schema_extra={"enum": list(EVENT_KINDS)})
    at: str = Field(min_length=10, max_length=40, description="when it happened, ISO 8601 with an offset, e.g. 2026-11-25T09:41:00+01:00",
                    examples=["2026-11-25T09:41:00+01:00"])
    stop_id: str | None = Field(default=None, max_length=80, description="the stop (every type but departed)")
    order_id: str | None = Field(default=None, max_length=80, description="delivered/failed: one order of a shared stop; leave out for all")
    reason: str | None = Field(default=None, max_length=20, description="failed only: " + ", ".join(FAILURE_REASONS),
                               json_schema_extra={"enum": [*FAILURE_REASONS, None]})
    recipient: str | None = Field(default=None, max_length=RECIPIENT_MAX,
                                  description=f"delivered only: who took it, or the locker code (at most {RECIPIENT_MAX} characters)")


def _at_seconds(at: str, date: str, tz) -> int:
    """Seconds since local midnight of ``date`` for the ISO time ``at``; raises EventRefused naming ``at``."""
    try:
        t = dt.datetime.fromisoformat(at.replace("Z", "+00:00"))
    except ValueError:
        raise EventRefused(422, "at", "invalid", f"at '{at}' is not a time; write it as ISO 8601 with an offset, "
                                                 "e.g. 2026-11-25T09:41:00+01:00") from None
    if t.tzinfo is None:
        raise EventRefused(422, "at", "no_offset", f"at '{at}' has no UTC offset; add one, e.g. +01:00 or Z")
    seconds = local_seconds(t, dt.date.fromisoformat(date), tz)
    if not 0 <= seconds <= 27 * 3600:
        raise EventRefused(422, "at", "another_date",
                           f"at '{at}' is not on {date}, the day this driver token is for; check the phone's date and time")
    return seconds


@bp.get("/day", merge_slashes=False)
@driver_authenticated
def day():
    d = g.driver
    driven = driven_day(_db(), d.scenario, d.date)
    if driven is None:
        return error(409, "date", "not_published", f"nothing is published for {d.date} yet; ask the dispatcher")
    van = driven.vehicles.get(d.vehicle_id)
    if van is None:
        return error(409, "vehicle_id", "not_in_plan",
                     f"{d.vehicle_id} has no route in the published plan of {d.date} any more; ask the dispatcher")
    return jsonify({
        "date": d.date,
        "vehicle_id": d.vehicle_id,
        "driver_name": d.driver_name,
        "plan_id": driven.plan_id,
        "depot": {"lat": van.depot_lat, "lon": van.depot_lon},
        "departed": None if van.departed_s is None else hhmm(van.departed_s),
        "out_of_service_from": None if van.out_of_service_from_s is None else hhmm(van.out_of_service_from_s),
        "stops": [
            {
                "stop_id": s.stop_id,
                "seq": s.seq,
                "address": s.address,
                "slot": str(s.window),
                "eta": None if s.eta_window is None else {"start": hhmm(s.eta_window.start), "end": hhmm(s.eta_window.end)},
                "live_eta": hhmm(s.live_start_s),
                "at_risk": s.at_risk,
                "parcels": s.parcels,
                "instructions": s.instructions,
                "order_ids": s.order_ids,
                "order_status": s.order_status,
                "status": s.status,
                "lat": s.lat,
                "lon": s.lon,
                "pickup_point_id": s.pickup_point_id,
            }
            for s in van.stops
        ],
    })


@bp.post("/events", merge_slashes=False)
@driver_authenticated
def post_event():
    d = g.driver
    try:
        body = EventBody.model_validate_json(request.get_data(cache=True) or b"")
    except ValidationError as exc:
        return validation_error(exc, "body")
    try:
        at_s = _at_seconds(body.at, d.date, scenario_tz(d.scenario))
        done = record_event(_db(), d.scenario, DeliveryEvent(
            id=body.id, date=d.date, vehicle_id=d.vehicle_id, type=body.type, at_s=at_s, stop_id=body.stop_id,
            order_id=body.order_id, reason=body.reason, recipient=body.recipient, source="driver",
            reported_by=d.driver_name or f"driver token {d.id}",
        ))
    except EventRefused as exc:
        field = "at" if exc.field == "at_s" else exc.field
        return error(exc.status, field, exc.reason, exc.message.replace("at_s", "at"))
    if done.duplicate:
        return jsonify({"duplicate": True, "event_id": body.id}), 200
    return jsonify({"recorded": True, "event_id": body.id}), 201


@bp.errorhandler(Exception)
def _unexpected(exc: Exception):
    from werkzeug.exceptions import HTTPException

    if isinstance(exc, HTTPException):
        return exc
    current_app.logger.exception("unexpected error on %s %s", request.method, request.path)
    return error(500, None, "internal", "unexpected server error; send the event again with the same id")


def openapi_paths() -> dict:
    """The OpenAPI ``paths`` entries of the driver routes (merged by :mod:`webui.openapi`)."""
    from webui.openapi import _body_schema, _errors

    secured = [{"DriverToken": []}]
    token_401 = {"401": {"description": "missing, unknown, revoked or expired driver token (field Authorization)",
                         "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}
    stop = {
        "type": "object",
        "required": ["stop_id", "seq", "address", "slot", "eta", "live_eta", "parcels", "instructions", "order_ids",
                     "status", "lat", "lon", "pickup_point_id"],
        "properties": {
            "stop_id": {"type": "string"},
            "seq": {"type": "integer", "description": "position on the route, 1 first"},
            "address": {"type": "string", "x-personal-data": True,
                        "description": "where the driver goes. Personal data: where the driver goes; shown on the driver sheet."},
            "slot": {"type": "string", "description": "the booked window, HH:MM-HH:MM local time"},
            "eta": {"type": ["object", "null"], "description": "the published ETA window (HH:MM), null for an unbooked order",
                    "properties": {"start": {"type": "string"}, "end": {"type": "string"}}},
            "live_eta": {"type": "string", "description": "re-timed service start from the van's progress, HH:MM"},
            "at_risk": {"type": "boolean", "description": "not done and the live ETA is after the slot"},
            "parcels": {"type": "integer"},
            "instructions": {"type": "string", "x-personal-data": True,
                             "description": "how to reach the door. Personal data: how the driver reaches the door."},
            "order_ids": {"type": "array", "items": {"type": "string"}},
            "order_status": {"type": "object", "additionalProperties": {"type": "string", "enum": ["planned", "delivered", "failed"]}},
            "status": {"type": "string", "enum": ["planned", "arrived", "delivered", "failed", "partly"]},
            "lat": {"type": "number"},
            "lon": {"type": "number"},
            "pickup_point_id": {"type": ["string", "null"]},
        },
    }
    day_schema = {
        "type": "object",
        "required": ["date", "vehicle_id", "plan_id", "depot", "stops"],
        "properties": {
            "date": {"type": "string", "format": "date"},
            "vehicle_id": {"type": "string"},
            "driver_name": {"type": "string"},
            "plan_id": {"type": "integer", "description": "the published plan version the stops come from"},
            "depot": {"type": "object", "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}}},
            "departed": {"type": ["string", "null"], "description": "when the van left the depot, HH:MM"},
            "out_of_service_from": {"type": ["string", "null"], "description": "the van is out of service from HH:MM"},
            "stops": {"type": "array", "items": stop},
        },
    }
    answer = lambda props: {"application/json": {"schema": {"type": "object", "properties": props}}}  # noqa: E731
    return {
        f"{PREFIX}/day": {
            "get": {
                "summary": "The driver's van on the token's date: stops in order with slot, ETA window, live ETA and status",
                "operationId": "getDriverDay",
                "security": secured,
                "responses": {"200": {"description": "the van's day", "content": {"application/json": {"schema": day_schema}}},
                              **token_401,
                              "409": {"description": "nothing published for the date, or the van has no route in it any more",
                                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}},
            }
        },
        f"{PREFIX}/events": {
            "post": {
                "summary": "Report one event of the van (departed, arrived, delivered, failed, picked_up)",
                "description": (
                    "Checked against the published plan: the stop must be on this van's route, the order at that stop, "
                    "a failed needs a reason, and events come in order (departed first, arrived before the outcome, "
                    "one outcome per order, never earlier than the van's last event). A resend with the same id and "
                    "content answers 200 duplicate; the same id with other content is 409 id_reused. Every accepted "
                    "event re-times the van's remaining stops; the shops hear booking.delivered, booking.failed "
                    "(with a rebook offer) and booking.delay_risk."
                ),
                "operationId": "postDriverEvent",
                "security": secured,
                "requestBody": {"required": True, "content": {"application/json": {"schema": _body_schema(EventBody)}}},
                "responses": {
                    "201": {"description": "recorded", "content": answer({"recorded": {"type": "boolean"}, "event_id": {"type": "string"}})},
                    "200": {"description": "a resend of a recorded event: nothing changed",
                            "content": answer({"duplicate": {"type": "boolean"}, "event_id": {"type": "string"}})},
                    **_errors(400),
                    **token_401,
                    "409": {"description": "out of order, already recorded, id reused, van out of service, nothing published",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                    "422": {"description": "invalid field (unknown type, stop not on this van's route, order not at the stop, "
                                           "failed without reason, at on another date)",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                },
            }
        },
    }
