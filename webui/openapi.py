"""The OpenAPI 3.1 document of the booking API, built from the same pydantic models that validate requests.

Query parameters and request bodies come from :mod:`webui.api.schemas`, so the document cannot
drift from what the server accepts; a test checks that every route is documented. Fields that
are personal data carry ``x-personal-data: true`` and say in their description why lastmile
needs them (:data:`PERSONAL_DATA`). The routes of :mod:`webui.api.events` document themselves
(``openapi_paths()``) and are merged in.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from webui.api import events
from webui.api.schemas import BookingBody, BookingsQuery, PickupPointsQuery, RescheduleBody, SlotsQuery

# Personal data the API takes or returns, and why lastmile needs it (see docs/booking.md).
PERSONAL_DATA = {
    "customer_id": "links the bookings of one customer (slot preferences, member tier); the shop's own id, never a name",
    "lat": "puts the stop on the map and on the van's route",
    "lon": "puts the stop on the map and on the van's route",
    "address": "where the driver goes; shown on the driver sheet",
    "instructions": "how the driver reaches the door; shown on the driver sheet",
    "notify": "only the channel the customer prefers; no phone number or e-mail address is ever stored",
}


def _mark_personal(properties: dict) -> None:
    """Add ``x-personal-data`` and the reason to the personal fields among ``properties`` (in place)."""
    for name, why in PERSONAL_DATA.items():
        if name in properties:
            prop = properties[name]
            before = prop.get("description", "").rstrip(".")
            prop["x-personal-data"] = True
            prop["description"] = (f"{before}. " if before else "") + f"Personal data: {why}."

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["field", "reason", "message"],
            "properties": {
                "field": {"type": ["string", "null"], "description": "the request field at fault"},
                "reason": {"type": "string", "description": "machine-readable reason, e.g. full, past_cutoff, unknown_field"},
                "message": {"type": "string", "description": "what is wrong and how to fix it"},
            },
        }
    },
}

BOOKING = {
    "type": "object",
    "required": [
        "id", "status", "customer_id", "date", "slot", "window", "kind", "zone", "fee", "currency",
        "order_ref", "address", "bulky", "instructions", "notify", "planned_eta",
        "live_eta", "at_risk", "delivery_status", "delivered_at", "failed_reason",
    ],
    "properties": {
        "id": {"type": "string"},
        "status": {"type": "string", "enum": ["held", "confirmed", "cancelled", "expired"]},
        "customer_id": {"type": "string"},
        "date": {"type": "string", "format": "date"},
        "slot": {"type": "string"},
        "window": {"type": "string", "description": "HH:MM-HH:MM, local time"},
        "kind": {"type": "string", "enum": ["home", "premium", "pickup"]},
        "zone": {"type": "string"},
        "pickup_point_id": {"type": ["string", "null"]},
        "lat": {"type": "number"},
        "lon": {"type": "number"},
        "parcels": {"type": "integer"},
        "tier": {"type": "string"},
        "fee": {"type": "number", "description": "delivery fee in the scenario currency"},
        "currency": {"type": "string"},
        "order_ref": {"type": ["string", "null"], "description": "the shop's order reference, unique among its live bookings"},
        "address": {"type": ["string", "null"], "description": "the delivery address for the driver sheet"},
        "bulky": {"type": "boolean", "description": "a bulky order (longer handling at the door)"},
        "instructions": {"type": ["string", "null"], "description": "how to reach the door"},
        "notify": {"type": "string", "enum": ["none", "sms", "email"], "description": "the customer's preferred channel"},
        "planned_eta": {
            "oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/PlannedEta"}],
            "description": "null until the operator publishes the day's plan, and once cancelled",
        },
        "live_eta": {"type": ["string", "null"], "pattern": "^[0-9]{2}:[0-9]{2}$",
                     "description": "the service start re-timed from the van's progress on the day, HH:MM local time; null until the van reports"},
        "at_risk": {"type": "boolean", "description": "the live ETA is after the booked slot (the shop got booking.delay_risk)"},
        "delivery_status": {"type": ["string", "null"], "enum": [None, "delivered", "failed"], "description": "the outcome; null until the driver reports it"},
        "delivered_at": {"type": ["string", "null"], "pattern": "^[0-9]{2}:[0-9]{2}$", "description": "when it was delivered, HH:MM local time"},
        "failed_reason": {"type": ["string", "null"], "enum": [None, "not_home", "refused", "address_problem", "damaged", "no_access", "other"],
                          "description": "why a failed delivery failed"},
        "rebooked_from": {"type": ["string", "null"], "description": "the failed booking this one books again (rebook_of when it was made)"},
        "fee_basis": {"type": "string", "enum": ["quote", "booking_time"],
                      "description": "the fee charged: the one the cited quote_id promised, or the one priced when booking"},
        "personalization_consent": {"type": "boolean", "description": "the booking was made with the customer's consent to personalization (only such bookings are learned from)"},
        "hold_expires_at": {"type": ["string", "null"], "format": "date-time"},
        "created_at": {"type": ["string", "null"], "format": "date-time"},
        "updated_at": {"type": ["string", "null"], "format": "date-time"},
    },
}

PLANNED_ETA = {
    "type": "object",
    "required": ["start", "end", "arrival", "plan_version", "vehicle_id", "published_at"],
    "properties": {
        "start": {"type": "string", "pattern": "^[0-9]{2}:[0-9]{2}$", "description": "ETA window start, HH:MM local time on the booking's date"},
        "end": {"type": "string", "pattern": "^[0-9]{2}:[0-9]{2}$", "description": "ETA window end, HH:MM local time"},
        "arrival": {"type": ["string", "null"], "pattern": "^[0-9]{2}:[0-9]{2}$", "description": "planned arrival at the stop, HH:MM local time"},
        "plan_version": {"type": ["integer", "null"], "description": "the published plan the ETA comes from; a new one means a new plan"},
        "vehicle_id": {"type": ["string", "null"], "description": "the van the stop is planned on"},
        "published_at": {"type": ["string", "null"], "format": "date-time", "description": "when the plan was published (UTC)"},
    },
}

SLOT = {
    "type": "object",
    "required": ["slot", "kind", "window", "available", "reason", "explanation"],
    "properties": {
        "slot": {"type": "string"},
        "kind": {"type": "string"},
        "window": {"type": "string"},
        "available": {"type": "boolean"},
        "reason": {
            "type": ["string", "null"],
            "enum": [None, "outside_area", "closed", "blackout", "past_cutoff", "premium_only", "full", "not_routable", "point_closed"],
        },
        "remaining": {"type": "integer"},
        "fee": {"type": ["number", "null"]},
        "incentive": {"type": ["number", "null"]},
        "green": {"type": "boolean", "description": "a van already passes nearby"},
        "marginal_cost": {"type": ["number", "null"], "description": "routing cost the stop adds, currency"},
        "rank": {"type": ["integer", "null"], "description": "1 = best for this customer"},
        "score": {"type": ["number", "null"]},
        "explanation": {"type": "string"},
        "quote_id": {"type": ["string", "null"], "description": "send it with the booking to pay this fee; null when not available"},
        "quote_expires_at": {"type": ["string", "null"], "format": "date-time", "description": "until when the quote holds (UTC)"},
    },
}

PICKUP_POINT = {
    "type": "object",
    "required": ["id", "name", "lat", "lon", "walk_m", "opens", "closes"],
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "kind": {"type": "string"},
        "lat": {"type": "number"},
        "lon": {"type": "number"},
        "walk_m": {"type": "integer", "description": "walking metres on the street network"},
        "opens": {"type": "string"},
        "closes": {"type": "string"},
        "slots": {"type": "array", "items": {"$ref": "#/components/schemas/Slot"}},
    },
}

OFFER = {
    "type": "object",
    "required": ["date", "zone", "slots", "pickup_points", "currency"],
    "properties": {
        "date": {"type": "string", "format": "date"},
        "zone": {"type": "string"},
        "address": {"type": "object"},
        "customer": {
            "type": "object",
            "properties": {
                "id": {"type": ["string", "null"]},
                "tier": {"type": "string"},
                "orders_seen": {"type": "integer", "description": "past orders the ranking learned from (0 without consent)"},
                "personalized": {"type": "boolean", "description": "false: no consent to personalization; ranked as for a new customer of the zone"},
                "personalization": {"type": "string", "description": "one line for the customer saying whether and why the offer is personalized"},
            },
        },
        "cutoff": {"type": "string", "format": "date-time"},
        "currency": {"type": "string"},
        "slots": {"type": "array", "items": {"$ref": "#/components/schemas/Slot"}},
        "pickup_points": {"type": "array", "items": {"$ref": "#/components/schemas/PickupPoint"}},
    },
}


def _params(model: type[BaseModel]) -> list[dict]:
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    out = []
    for name, prop in schema["properties"].items():
        prop = {k: v for k, v in prop.items() if k not in ("title",)}
        _mark_personal({name: prop})
        param = {"name": name, "in": "query", "required": name in required, "schema": prop, "description": prop.get("description", "")}
        if prop.get("x-personal-data"):
            param["x-personal-data"] = True
        out.append(param)
    return out


def _body_schema(model: type[BaseModel]) -> dict:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("title", None)
    _mark_personal(schema.get("properties", {}))
    return schema


def _json(ref: str) -> dict:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


_INVALID_422 = "invalid field (unknown, wrong type, out of range, date in the past, address outside the area)"
_KEY_REUSED = "the Idempotency-Key was used for another request (reason key_reused, field Idempotency-Key), or is not 1-255 characters"


def _errors(*codes: int, say: dict[int, str] | None = None) -> dict:
    """Error responses (the Error body) for ``codes``; ``say`` gives an operation's own description of a code."""
    text = {
        400: "malformed JSON",
        401: "missing or invalid API key",
        403: "the key lacks the route's scope (reason scope: read for GET, book for changes), or the member tier may not book this slot",
        429: "the key sent more requests a second than its rate limit (reason rate_limited); wait the Retry-After seconds",
        404: "no such booking for this shop",
        409: "the change cannot be made (full, past_cutoff: the day is being dispatched, blackout, not routable, "
        "hold expired, duplicate order_ref)",
        422: _INVALID_422,
    }
    text.update(say or {})
    return {str(c): {"description": text[c], "content": _json("Error")} for c in codes}


BOOKING_ID = {"name": "booking_id", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[A-Za-z0-9]{1,32}$"}}
IDEMPOTENCY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": "makes a retry safe: the same key and request replay the stored answer",
}


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    secured = [{"ApiKey": []}]
    paths = {
        "/api/v1/openapi.json": {
            "get": {"summary": "This document", "operationId": "openapi", "security": [], "responses": {"200": {"description": "OpenAPI 3.1 document"}}}
        },
        "/api/v1/slots": {
            "get": {
                "summary": "Slot offers for an address and date: availability and why, fee, rank, explanation, nearby pickup points",
                "operationId": "getSlots",
                "security": secured,
                "parameters": _params(SlotsQuery),
                "responses": {"200": {"description": "the offer", "content": _json("Offer")}, **_errors(401, 422)},
            }
        },
        "/api/v1/pickup-points": {
            "get": {
                "summary": "Open pickup points within walking reach, nearest first",
                "operationId": "getPickupPoints",
                "security": secured,
                "parameters": _params(PickupPointsQuery),
                "responses": {
                    "200": {
                        "description": "pickup points",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "pickup_points": {"type": "array", "items": {"$ref": "#/components/schemas/PickupPoint"}},
                                        "walk_reach_m": {"type": "number"},
                                    },
                                }
                            }
                        },
                    },
                    **_errors(401, 422),
                },
            }
        },
        "/api/v1/bookings": {
            "post": {
                "summary": "Book a slot, or hold it during checkout (hold=true)",
                "operationId": "createBooking",
                "security": secured,
                "parameters": [IDEMPOTENCY],
                "requestBody": {"required": True, "content": _json("BookingRequest")},
                "responses": {
                    "201": {"description": "booked or held", "content": _json("Booking")},
                    **_errors(400, 401, 403, 404, 409, 422, say={
                        404: "rebook_of names no booking of this shop (field rebook_of)",
                        422: _INVALID_422 + "; or " + _KEY_REUSED}),
                },
            },
            "get": {
                "summary": "This shop's bookings",
                "operationId": "listBookings",
                "security": secured,
                "parameters": _params(BookingsQuery),
                "responses": {
                    "200": {
                        "description": "bookings, oldest first",
                        "content": {
                            "application/json": {
                                "schema": {"type": "object", "properties": {"bookings": {"type": "array", "items": {"$ref": "#/components/schemas/Booking"}}}}
                            }
                        },
                    },
                    **_errors(401, 422),
                },
            },
        },
        "/api/v1/bookings/{booking_id}": {
            "get": {
                "summary": "Look up a booking",
                "operationId": "getBooking",
                "security": secured,
                "parameters": [BOOKING_ID],
                "responses": {"200": {"description": "the booking", "content": _json("Booking")}, **_errors(401, 404)},
            },
            "patch": {
                "summary": "Reschedule a booking or hold to another date and/or slot",
                "operationId": "rescheduleBooking",
                "security": secured,
                "parameters": [BOOKING_ID, IDEMPOTENCY],
                "requestBody": {"required": True, "content": _json("RescheduleRequest")},
                "responses": {"200": {"description": "moved", "content": _json("Booking")},
                              **_errors(400, 401, 403, 404, 409, 422, say={422: _INVALID_422 + "; or " + _KEY_REUSED})},
            },
            "delete": {
                "summary": "Cancel a booking or hold; its seat returns (refused past the cut-off: ask the operator)",
                "operationId": "cancelBooking",
                "security": secured,
                "parameters": [BOOKING_ID, IDEMPOTENCY],
                "responses": {"200": {"description": "cancelled", "content": _json("Booking")},
                              **_errors(401, 404, 409, 422, say={422: _KEY_REUSED})},
            },
        },
        "/api/v1/bookings/{booking_id}/confirm": {
            "post": {
                "summary": "Confirm a hold into a booking",
                "operationId": "confirmBooking",
                "security": secured,
                "parameters": [BOOKING_ID, IDEMPOTENCY],
                "responses": {"200": {"description": "confirmed", "content": _json("Booking")},
                              **_errors(401, 404, 409, 422, say={422: _KEY_REUSED})},
            }
        },
    }
    for path, operations in events.openapi_paths().items():
        paths.setdefault(path, {}).update(operations)
    from webui.api import driver

    for path, operations in driver.openapi_paths().items():
        paths.setdefault(path, {}).update(operations)
    from webui.api import feedback

    for path, operations in feedback.openapi_paths().items():
        paths.setdefault(path, {}).update(operations)
    from webui.api import customers

    for path, operations in customers.openapi_paths().items():
        paths.setdefault(path, {}).update(operations)
    for operations in paths.values():  # every route a shop's key opens can answer 403 scope and 429
        for op in operations.values():
            if op.get("security") == secured:
                op["responses"] = {**op["responses"], **_errors(403, 429)}
    booking = {**BOOKING, "properties": {k: dict(v) for k, v in BOOKING["properties"].items()}}
    _mark_personal(booking["properties"])
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "lastmile booking API",
            "version": "1.0.0",
            "description": "Personalized, cost-aware delivery slot offers and safe concurrent bookings for shops.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "DriverToken": {"type": "http", "scheme": "bearer",
                                "description": "a driver token for one van on one date (lastmile driver token)"},
            },
            "schemas": {
                "Error": ERROR,
                "Booking": booking,
                "PlannedEta": PLANNED_ETA,
                "Slot": SLOT,
                "PickupPoint": PICKUP_POINT,
                "Offer": OFFER,
                "BookingRequest": _body_schema(BookingBody),
                "RescheduleRequest": _body_schema(RescheduleBody),
            },
        },
    }
