"""``GET /api/v1/events``: a shop polls its own events (the outbox) after an event id.

The same envelopes a shop's webhook receives (:mod:`scheduling.webhooks`), oldest first: poll
with ``after`` set to the ``next_after`` of the previous answer, and deduplicate by ``id``
(an event can also arrive by webhook, and a webhook can be retried).
"""

from __future__ import annotations

from flask import current_app, g, jsonify
from pydantic import Field

from scheduling.outbox import EVENT_TYPES
from scheduling.webhooks import EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, events_after
from webui.api import _query, authenticated, bp
from webui.api.schemas import _Query

MAX_EVENT_ID = 2_147_483_647


class EventsQuery(_Query):
    after: int = Field(default=0, ge=0, le=MAX_EVENT_ID, description="return events with an id above this one (0: from the first)")
    limit: int = Field(default=100, ge=1, le=500, description="at most this many events (1 to 500)")


@bp.get("/events", merge_slashes=False)
@authenticated
def list_events():
    q, err = _query(EventsQuery)
    if err:
        return err
    events = events_after(current_app.extensions["lastmile.db"], g.shop_id, q.after, q.limit)
    return jsonify({"events": events, "next_after": events[-1]["id"] if events else q.after})


EVENT = {
    "type": "object",
    "required": ["id", "type", "booking_id", "created_at", "data"],
    "description": (
        "One event, the same in GET /api/v1/events and in a webhook POST body. Delivery is at least "
        "once: deduplicate by id. A booking's events are pushed in id order."
    ),
    "properties": {
        "id": {"type": "integer", "description": "event id, increasing; poll with after=<the last id you processed>"},
        "type": {"type": "string", "enum": list(EVENT_TYPES)},
        "booking_id": {"type": ["string", "null"], "description": "the booking the event is about"},
        "created_at": {"type": "string", "format": "date-time", "description": "when the change happened, UTC"},
        "data": {"type": "object", "description": "the event's details (for ETAs: the planned window)"},
    },
}

WEBHOOK_DESCRIPTION = (
    "Shops with a webhook (set by the operator: `lastmile shop webhook SHOP URL`) also receive each "
    "event as a POST of the same JSON envelope, with the headers "
    f"`{EVENT_ID_HEADER}` (the event id), `{EVENT_TYPE_HEADER}` (the event type) and "
    f"`{SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, \"<t>.<raw body>\")>`. "
    "Verify the signature over the exact body bytes with the secret shown when the webhook was set, "
    "compare in constant time and refuse timestamps more than 5 minutes away. Answer 2xx once "
    "stored; anything else (or no answer within 10 s) is retried with exponential backoff (10 s "
    "doubling, at most 1 h) for 24 h. Every event stays readable here."
)


def openapi_paths() -> dict:
    """The OpenAPI ``paths`` entries of this module's routes (merged by :mod:`webui.openapi`)."""
    from webui.openapi import _errors, _params  # lazily: webui.openapi may import this module

    return {
        "/api/v1/events": {
            "get": {
                "summary": "This shop's events (booking planned, ETA changed, cancelled by the operator) after an event id, oldest first",
                "description": WEBHOOK_DESCRIPTION,
                "operationId": "listEvents",
                "security": [{"ApiKey": []}],
                "parameters": _params(EventsQuery),
                "responses": {
                    "200": {
                        "description": "events with an id above `after`, oldest first",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["events", "next_after"],
                                    "properties": {
                                        "events": {"type": "array", "items": EVENT},
                                        "next_after": {
                                            "type": "integer",
                                            "description": "the last event's id, or the given after when there is none: pass it as after next time",
                                        },
                                    },
                                }
                            }
                        },
                    },
                    **_errors(401, 422),
                },
            }
        }
    }
