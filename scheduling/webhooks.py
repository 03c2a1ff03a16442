"""Delivering the outbox's events to the shops' webhooks (to be filled in by the outbox work)."""

from __future__ import annotations


class OutboxSender:
    """Background delivery of due outbox events; ``start()`` and ``stop()``."""

    def __init__(self, db) -> None:
        self.db = db

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass
