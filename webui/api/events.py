"""``GET /api/v1/events``: a shop polls its own events (the outbox) after an event id.

Filled in by the outbox work; see :mod:`scheduling.outbox` and :mod:`scheduling.webhooks`.
"""

from __future__ import annotations


def openapi_paths() -> dict:
    """The OpenAPI ``paths`` entries of this module's routes (merged by :mod:`webui.openapi`)."""
    return {}
