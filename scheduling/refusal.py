"""A refused request, ready for an HTTP answer: what the API, the driver API and the CLI say.

``status`` is the 4xx to answer, ``field`` the request field at fault (or None), ``reason`` a
short machine-readable code and ``message`` what to do, in plain words. Whoever raises it has
stored nothing.
"""

from __future__ import annotations


class Refusal(Exception):
    def __init__(self, status: int, field: str | None, reason: str, message: str, **extra):
        super().__init__(message)
        self.status = status
        self.field = field
        self.reason = reason
        self.message = message
        self.extra = extra  # more the caller can act on (e.g. the new fee of a changed price)

    def to_dict(self) -> dict:
        """The API's error body: ``{"error": {"field", "reason", "message", ...extra}}``."""
        return {"error": {"field": self.field, "reason": self.reason, "message": self.message, **self.extra}}
