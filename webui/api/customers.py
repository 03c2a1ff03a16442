"""A shop's customer's data: export and erasure (the customer's rights of access and to erasure).

``GET /api/v1/customers/{customer_id}/export`` returns everything held about that customer of
this shop; ``DELETE /api/v1/customers/{customer_id}`` erases it (:mod:`scenarios.privacy.erasure`):
bookings to come are cancelled and their seats return, past bookings keep only what the
scorecards need. Unknown customer: 404; erased before: 200 with ``already_erased`` true. Both
go to the audit log, naming the customer by a digest.
"""

from __future__ import annotations

import re

from flask import current_app, g, jsonify

from scheduling import audit
from scheduling.privacy.export import customer_export
from scheduling.storage.models import Shop
from scenarios.privacy.erasure import customer_digest, erase_customer
from webui.api import authenticated, booking_app_for, bp, error

_CUSTOMER_ID = re.compile(r"^[A-Za-z0-9._:@-]{1,64}$")


def _check(customer_id: str):
    if not _CUSTOMER_ID.match(customer_id):
        return error(400, "customer_id", "invalid",
                     "customer_id must be 1-64 letters, digits or . _ : @ -, as sent with the shop's bookings")
    return None


def _shop_name(db, shop_id: int) -> str:
    with db.session() as s:
        shop = s.get(Shop, shop_id)
        return shop.name if shop is not None else str(shop_id)


@bp.get("/customers/<customer_id>/export", merge_slashes=False)
@authenticated
def export_customer(customer_id: str):
    err = _check(customer_id)
    if err:
        return err
    app = booking_app_for()
    db = app.service.db
    found = customer_export(db, g.shop_id, customer_id, app.setup.pricing.currency)
    if found is None:
        return error(404, "customer_id", "not_found", f"this shop has no data on customer {customer_id}")
    shop = _shop_name(db, g.shop_id)
    audit.record(db, f"shop:{shop}", "customer.export", f"customer:{customer_digest(shop, customer_id)}",
                 f"{len(found['bookings'])} bookings")
    return jsonify(found)


@bp.delete("/customers/<customer_id>", merge_slashes=False)
@authenticated
def erase(customer_id: str):
    err = _check(customer_id)
    if err:
        return err
    app = booking_app_for()
    shop = _shop_name(app.service.db, g.shop_id)
    scenario = app.scenario
    if scenario is None:  # an app built by hand without its scenario (tests): the configured one
        from scenarios.scenario import load_scenario

        scenario = load_scenario(current_app.config.get("SCENARIO") or "gothenburg")
    done = erase_customer(app.service, scenario, g.shop_id, customer_id, f"shop:{shop}", app.setup.area.network)
    if done is None:
        return error(404, "customer_id", "not_found", f"this shop has no data on customer {customer_id}")
    return jsonify({"customer_id": customer_id, "already_erased": done.already, **done.as_dict()})


def openapi_paths() -> dict:
    """The OpenAPI ``paths`` entries of this module's routes (merged by :mod:`webui.openapi`)."""
    from webui.openapi import _errors

    param = {"name": "customer_id", "in": "path", "required": True,
             "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:@-]{1,64}$"}, "x-personal-data": True,
             "description": "the shop's customer id, as sent with its bookings"}
    erasure = {
        "type": "object",
        "required": ["customer_id", "already_erased", "cancelled", "anonymized"],
        "properties": {
            "customer_id": {"type": "string"},
            "already_erased": {"type": "boolean", "description": "erased before: nothing changed now"},
            "customer": {"type": "string", "description": "the digest the audit log names the customer by"},
            "cancelled": {"type": "integer", "description": "bookings still to come, cancelled; their seats are free again"},
            "anonymized": {"type": "integer", "description": "bookings whose personal fields were removed"},
            "profile_deleted": {"type": "boolean"},
            "plans_changed": {"type": "integer"},
            "legs_kept": {"type": "integer"},
            "rows_changed": {"type": "integer"},
        },
    }
    return {
        "/api/v1/customers/{customer_id}/export": {
            "get": {
                "summary": "Everything held about this customer of the shop: bookings, profile, feedback, delivery events",
                "operationId": "exportCustomer",
                "security": [{"ApiKey": []}],
                "parameters": [param],
                "responses": {
                    "200": {"description": "the customer's data", "content": {"application/json": {"schema": {
                        "type": "object",
                        "required": ["customer_id", "bookings", "profile", "feedback", "delivery_events"],
                        "properties": {
                            "customer_id": {"type": "string"},
                            "shop": {"type": ["string", "null"]},
                            "exported_at": {"type": ["string", "null"], "format": "date-time"},
                            "personalization_consent": {"type": "boolean"},
                            "profile": {"type": ["object", "null"]},
                            "bookings": {"type": "array", "items": {"$ref": "#/components/schemas/Booking"}},
                            "feedback": {"type": "array", "items": {"type": "object"}},
                            "delivery_events": {"type": "array", "items": {"type": "object"}},
                        },
                    }}}},
                    **_errors(400, 401, 404),
                },
            }
        },
        "/api/v1/customers/{customer_id}": {
            "delete": {
                "summary": "Erase this customer of the shop: cancel what is to come, anonymize the rest",
                "description": "Bookings still to come are cancelled (their seats return); past bookings keep zone, date, "
                               "slot, parcels, times and outcome for the scorecards and lose the customer id, address, "
                               "instructions and exact place (moved to the zone's centre); feedback comments and "
                               "recipients go. Idempotent: a second call is a 200 with already_erased true.",
                "operationId": "eraseCustomer",
                "security": [{"ApiKey": []}],
                "parameters": [param],
                "responses": {
                    "200": {"description": "erased (or erased before)", "content": {"application/json": {"schema": erasure}}},
                    **_errors(400, 401, 404),
                },
            }
        },
    }
