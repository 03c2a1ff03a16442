"""The booking API: versioned JSON under ``/api/v1`` for shops' checkouts.

Every request but the OpenAPI document needs the shop's key in ``X-API-Key`` (or
``Authorization: Bearer <key>``); a shop sees and changes only its own bookings. Errors are
``{"error": {"field": ..., "reason": ..., "message": ...}}`` with a 4xx status; a refused
request stores nothing. ``Idempotency-Key`` on the POST, PATCH and DELETE requests makes
retries safe: the first answer is stored with the booking and replayed for the same request.
"""

from __future__ import annotations

import hashlib
import json
from functools import wraps

from flask import Blueprint, Flask, g, jsonify, request
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException

from scheduling.booking_setup import BookingError
from scheduling.bookings import Idempotency, NewBooking, Outcome
from scheduling.offers import OfferRequest
from webui.api.auth import gate_for
from webui.api.context import booking_app
from webui.api.schemas import BookingBody, BookingsQuery, PickupPointsQuery, RescheduleBody, SlotsQuery

PREFIX = "/api/v1"
# Routes opt out of Werkzeug's slash merging: its 308 redirect to an HTML page is not an API answer.
bp = Blueprint("api", __name__, url_prefix=PREFIX)


def error(status: int, field: str | None, reason: str, message: str):
    return jsonify({"error": {"field": field, "reason": reason, "message": message}}), status


_REASONS = {"extra_forbidden": "unknown_field", "missing": "required", "json_invalid": "invalid_json"}


def validation_error(exc: ValidationError, location: str):
    e = exc.errors(include_url=False)[0]
    field = ".".join(str(x) for x in e["loc"]) or None
    reason = _REASONS.get(e["type"], e["type"])
    if reason == "invalid_json":
        return error(400, None, reason, f"the body is not valid JSON: {e['msg']}")
    msg = e["msg"].removeprefix("Value error, ")
    if reason == "unknown_field":
        msg = f"'{field}' is not a {location} field of this request; remove it"
    elif reason == "required":
        msg = f"'{field}' is required in the {location}"
    else:
        msg = f"{field or location}: {msg}"
    return error(422, field, reason, msg)


def _db():
    return booking_app_for().service.db


def booking_app_for():
    from flask import current_app

    return booking_app(current_app)


# The scope each route needs: ``read`` to look (GET), ``book`` to change bookings, give feedback
# or erase a customer (POST, PATCH, DELETE). Exceptions by endpoint go here; none so far.
SCOPE_EXCEPTIONS: dict[str, str] = {}


def scope_needed(method: str, endpoint: str | None) -> str:
    return SCOPE_EXCEPTIONS.get(endpoint or "") or ("read" if method in ("GET", "HEAD", "OPTIONS") else "book")


def authenticated(view):
    """The shop's key is valid (401), within its rate (429 with Retry-After) and has the route's scope (403)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get("X-API-Key")
        auth = request.headers.get("Authorization", "")
        if not key and auth.lower().startswith("bearer "):
            key = auth[7:].strip()
        from flask import current_app

        gate = gate_for(current_app)
        caller = gate.caller(key)
        field = "X-API-Key"
        if caller is None:
            if not key:
                return error(401, field, "missing_api_key", "send the shop's API key in the X-API-Key header")
            return error(401, field, "invalid_api_key", "this API key is not valid (unknown, revoked or past its rotation grace); ask the operator for your shop's key")
        wait = gate.retry_after(caller.key_id)
        if wait:
            resp, status = error(429, field, "rate_limited", f"this key sent more than {gate.rate_per_s:g} requests a second; retry after {wait} s")
            resp.headers["Retry-After"] = str(wait)
            return resp, status
        needed = scope_needed(request.method, request.endpoint)
        if needed not in caller.scopes:
            return error(403, field, "scope", f"this key lacks the '{needed}' scope; use a key with it (lastmile shop key add SHOP --scopes {needed})")
        g.shop_id = caller.shop_id
        try:
            return view(*args, **kwargs)
        except BookingError as exc:
            return jsonify(exc.to_dict()), exc.status

    return wrapper


def _query(model: type[BaseModel]):
    for name in request.args:
        if len(request.args.getlist(name)) > 1:
            return None, error(422, name, "repeated", f"'{name}' is given {len(request.args.getlist(name))} times in the query; give {name} once")
    try:
        return model.model_validate(request.args.to_dict(flat=True)), None
    except ValidationError as exc:
        return None, validation_error(exc, "query")


def _body(model: type[BaseModel]):
    data = request.get_data(cache=True)
    if not data:
        data = b"{}" if request.method in ("DELETE",) else data
    try:
        return model.model_validate_json(data or b""), None
    except ValidationError as exc:
        return None, validation_error(exc, "body")


def _idempotency(body: BaseModel | None):
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None, None
    if not 1 <= len(key) <= 255:
        return None, error(422, "Idempotency-Key", "invalid", "Idempotency-Key must be 1 to 255 characters")
    canonical = json.dumps(body.model_dump(mode="json") if body is not None else None, sort_keys=True)
    digest = hashlib.sha256(f"{request.method} {request.path}\n{canonical}".encode()).hexdigest()
    return Idempotency(key, digest), None


def respond(outcome: Outcome):
    resp = jsonify(outcome.body)
    resp.status_code = outcome.status
    if outcome.replayed:
        resp.headers["Idempotent-Replayed"] = "true"
    return resp


# --------------------------------------------------------------------------- routes


@bp.get("/openapi.json", merge_slashes=False)
def openapi():
    from webui.openapi import openapi_document

    return jsonify(openapi_document())


@bp.get("/slots", merge_slashes=False)
@authenticated
def slots():
    q, err = _query(SlotsQuery)
    if err:
        return err
    offer = booking_app_for().offers.offer(
        g.shop_id, OfferRequest(q.date, q.lat, q.lon, q.customer_id, q.tier, q.parcels, q.personalization_consent)
    )
    return jsonify(offer)


@bp.get("/pickup-points", merge_slashes=False)
@authenticated
def pickup_points():
    q, err = _query(PickupPointsQuery)
    if err:
        return err
    app = booking_app_for()
    setup = app.setup
    setup.locate(q.lat, q.lon)
    near = setup.area.walking_m(q.lat, q.lon, list(setup.pickup_sites.values()), setup.walk_reach_m)
    from optimizer.domain import hhmm

    return jsonify(
        {
            "pickup_points": [
                {
                    "id": p.id,
                    "name": p.name,
                    "kind": p.kind,
                    "lat": p.lat,
                    "lon": p.lon,
                    "walk_m": round(d),
                    "opens": hhmm(p.opens),
                    "closes": hhmm(p.closes),
                }
                for p, d in near
            ],
            "walk_reach_m": setup.walk_reach_m,
        }
    )


@bp.post("/bookings", merge_slashes=False)
@authenticated
def create_booking():
    body, err = _body(BookingBody)
    if err:
        return err
    idem, err = _idempotency(body)
    if err:
        return err
    service = booking_app_for().service
    # A stored tier is part of the profile: not read once the shop says consent is withdrawn.
    stored = service.customer_tier(g.shop_id, body.customer_id) if body.personalization_consent is not False else None
    tier = body.tier or stored or "ordinary"
    req = NewBooking(
        body.customer_id,
        body.date,
        body.slot,
        body.lat,
        body.lon,
        tier,
        body.parcels,
        body.pickup_point_id,
        body.hold,
        order_ref=body.order_ref,
        address=body.address,
        bulky=body.bulky,
        instructions=body.instructions,
        notify=body.notify,
        rebook_of=body.rebook_of,
        personalization_consent=body.personalization_consent,
        quote_id=body.quote_id,
    )
    return respond(service.book(g.shop_id, req, idem))


@bp.get("/bookings", merge_slashes=False)
@authenticated
def list_bookings():
    q, err = _query(BookingsQuery)
    if err:
        return err
    rows = booking_app_for().service.list(g.shop_id, date=q.date, customer_id=q.customer_id, limit=q.limit)
    return jsonify({"bookings": rows})


def _booking_id(booking_id: str):
    if not (1 <= len(booking_id) <= 32 and booking_id.isalnum()):
        return error(404, "booking_id", "not_found", f"no booking {booking_id[:40]} for this shop")
    return None


@bp.get("/bookings/<booking_id>", merge_slashes=False)
@authenticated
def get_booking(booking_id: str):
    err = _booking_id(booking_id)
    if err:
        return err
    return respond(booking_app_for().service.get(g.shop_id, booking_id))


@bp.patch("/bookings/<booking_id>", merge_slashes=False)
@authenticated
def reschedule_booking(booking_id: str):
    err = _booking_id(booking_id)
    if err:
        return err
    body, err = _body(RescheduleBody)
    if err:
        return err
    idem, err = _idempotency(body)
    if err:
        return err
    return respond(booking_app_for().service.reschedule(g.shop_id, booking_id, date=body.date, slot=body.slot, idem=idem))


@bp.delete("/bookings/<booking_id>", merge_slashes=False)
@authenticated
def cancel_booking(booking_id: str):
    return _act_on_booking(booking_id, booking_app_for().service.cancel)


@bp.post("/bookings/<booking_id>/confirm", merge_slashes=False)
@authenticated
def confirm_booking(booking_id: str):
    return _act_on_booking(booking_id, booking_app_for().service.confirm)


def _act_on_booking(booking_id: str, action):
    """A bodiless change of one booking (cancel, confirm): check the id and the Idempotency-Key, then act."""
    err = _booking_id(booking_id)
    if err:
        return err
    idem, err = _idempotency(None)
    if err:
        return err
    return respond(action(g.shop_id, booking_id, idem))


@bp.errorhandler(Exception)
def _unexpected(exc: Exception):
    if isinstance(exc, HTTPException):
        return exc
    from flask import current_app

    current_app.logger.exception("unexpected error on %s %s", request.method, request.path)
    return error(500, None, "internal", "unexpected server error; retry with the same Idempotency-Key")


def register(app: Flask) -> None:
    """Mount the API and make every error under ``/api/`` answer in JSON."""
    from webui.api.driver import bp as driver_bp

    app.register_blueprint(bp)
    app.register_blueprint(driver_bp)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if not request.path.startswith(PREFIX):
            return exc
        reason = {404: "not_found", 405: "method_not_allowed", 413: "too_large", 400: "bad_request"}.get(exc.code or 500, "error")
        body, status = error(exc.code or 500, None, reason, exc.description or reason)
        for name, value in exc.get_headers():  # a 405 says which methods the path takes (Allow), as HTTP asks
            if name.lower() != "content-type":
                body.headers[name] = value
        return body, status



from webui.api import events as _events  # noqa: E402,F401 - its routes join the blueprint above
from webui.api import feedback as _feedback  # noqa: E402,F401 - feedback and rebook-offer routes
from webui.api import customers as _customers  # noqa: E402,F401 - a customer's export and erasure
