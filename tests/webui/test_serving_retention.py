"""``lastmile serve`` runs the retention on its solver cluster once a day: the task is sent, it
anonymizes what is due and leaves its summary in the audit log."""

from __future__ import annotations

import time

from sqlalchemy import select

from scheduling.storage.models import AuditEntry
from tests.webui.api_client import booking_body, make_api
from webui.serving import start_retention


def test_the_server_sends_the_retention_run_and_it_lands_in_the_audit_log(database_url):
    api = make_api(database_url)
    assert api.post("/api/v1/bookings", booking_body()).status_code == 201
    stop = start_retention(api.app, every_s=3600, first_after_s=0.0)
    try:
        deadline = time.monotonic() + 120
        entry = None
        while entry is None and time.monotonic() < deadline:
            with api.app.extensions["lastmile.db"].session() as s:
                entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "retention.run")).first()
            time.sleep(0.2)
    finally:
        stop()
    assert entry is not None and entry.actor == "server" and "anonymized 0 bookings" in entry.detail
