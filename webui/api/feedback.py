"""After the delivery: the customer's feedback and the rebook offer of a failed delivery.

``POST /api/v1/bookings/{id}/feedback`` (the shop relays the customer's rating, once per
booking, after delivery or failure) and ``GET /api/v1/bookings/{id}/rebook-offer`` (the next
open days' slots and nearby pickup points for a failed delivery's address; book one with
``rebook_of`` in ``POST /api/v1/bookings``). A shop sees only its own bookings.
"""

from __future__ import annotations

from typing import Annotated, Literal

from flask import g, jsonify
from pydantic import Field

from scheduling.feedback import CATEGORIES, COMMENT_MAX, FeedbackIn, record_feedback
from scheduling.rebook import REBOOK_DAYS, rebook_offer
from webui.api import _body, _booking_id, authenticated, booking_app_for, bp
from webui.api.schemas import WholeNumber, _Body, text_field

Category = Literal["late", "early", "damaged", "courier_conduct", "wrong_place", "other"]
assert set(Category.__args__) == set(CATEGORIES)  # type: ignore[attr-defined]


class FeedbackBody(_Body):
    rating: Annotated[int, Field(ge=1, le=5), WholeNumber] = Field(description="the customer's rating, 1 (bad) to 5 (very good)")
    categories: list[Category] = Field(default_factory=list, max_length=len(CATEGORIES), json_schema_extra={"uniqueItems": True},
                                       description="what it was about, each at most once: " + ", ".join(CATEGORIES))
    comment: text_field(COMMENT_MAX, newlines=True) | None = Field(  # type: ignore[valid-type]
        default=None, description=f"the customer's words, up to {COMMENT_MAX} characters (personal data)")


@bp.post("/bookings/<booking_id>/feedback", merge_slashes=False)
@authenticated
def post_feedback(booking_id: str):
    err = _booking_id(booking_id)
    if err:
        return err
    body, err = _body(FeedbackBody)
    if err:
        return err
    stored = record_feedback(booking_app_for().service.db, g.shop_id, booking_id,
                             FeedbackIn(body.rating, tuple(body.categories), body.comment))
    return jsonify(stored), 201


@bp.get("/bookings/<booking_id>/rebook-offer", merge_slashes=False)
@authenticated
def get_rebook_offer(booking_id: str):
    err = _booking_id(booking_id)
    if err:
        return err
    app = booking_app_for()
    return jsonify(rebook_offer(app.service.db, app.offers, g.shop_id, booking_id))


FEEDBACK = {
    "type": "object",
    "required": ["booking_id", "rating", "categories", "comment", "created_at"],
    "properties": {
        "booking_id": {"type": "string"},
        "rating": {"type": "integer", "minimum": 1, "maximum": 5},
        "categories": {"type": "array", "items": {"type": "string", "enum": list(CATEGORIES)}},
        "comment": {"type": ["string", "null"], "x-personal-data": True},
        "created_at": {"type": "string", "format": "date-time"},
    },
}


def openapi_paths() -> dict:
    """The OpenAPI ``paths`` entries of this module's routes (merged by :mod:`webui.openapi`)."""
    from webui.openapi import BOOKING_ID, _body_schema, _errors

    return {
        "/api/v1/bookings/{booking_id}/feedback": {
            "post": {
                "summary": "Relay the customer's feedback on a delivered or failed booking (once per booking)",
                "description": "409 naming booking_id before the delivery happened or failed, and on a second feedback; "
                               "422 naming the field for a rating outside 1-5, an unknown category or a comment over "
                               f"{COMMENT_MAX} characters. Nothing is stored on a refusal.",
                "operationId": "postFeedback",
                "security": [{"ApiKey": []}],
                "parameters": [BOOKING_ID],
                "requestBody": {"required": True, "content": {"application/json": {"schema": _body_schema(FeedbackBody)}}},
                "responses": {
                    "201": {"description": "stored", "content": {"application/json": {"schema": FEEDBACK}}},
                    **_errors(400, 401, 404, 409, 422),
                },
            }
        },
        "/api/v1/bookings/{booking_id}/rebook-offer": {
            "get": {
                "summary": f"For a failed delivery: the next {REBOOK_DAYS} open days' slots and nearby pickup points, ranked as an offer",
                "description": "Book one with POST /api/v1/bookings and rebook_of set to this booking's id: the new booking "
                               "stores rebooked_from. 409 naming booking_id for a booking that did not fail.",
                "operationId": "getRebookOffer",
                "security": [{"ApiKey": []}],
                "parameters": [BOOKING_ID],
                "responses": {
                    "200": {
                        "description": "one offer per open day",
                        "content": {"application/json": {"schema": {
                            "type": "object",
                            "required": ["booking_id", "failed_reason", "book_with", "days"],
                            "properties": {
                                "booking_id": {"type": "string"},
                                "order_ref": {"type": ["string", "null"]},
                                "failed_reason": {"type": ["string", "null"]},
                                "address": {"type": ["string", "null"], "x-personal-data": True},
                                "book_with": {"type": "object", "description": "fields to send with the new booking"},
                                "days": {"type": "array", "items": {"$ref": "#/components/schemas/Offer"}},
                            },
                        }}},
                    },
                    **_errors(401, 404, 409),
                },
            }
        },
    }
