"""Crash safety: SIGKILL the server in the middle of a booking burst; after a restart every
acknowledged (201) booking is there and no zone-slot holds more than its capacity."""

from __future__ import annotations

import datetime as dt
import signal
import threading
import time

import pytest
from sqlalchemy import func, select

from scheduling.capacity_store import set_capacity
from scheduling.storage import open_database
from scheduling.storage.models import Booking, SlotCounter
from tests.webui.live_server import call, free_port, start_server
from webui.api.auth import create_shop

SPOTS = [(57.7089, 11.9746), (57.7065, 11.9680), (57.6990, 11.9630), (57.7160, 11.9700)]


@pytest.mark.slow
def test_acknowledged_bookings_survive_a_sigkill_mid_burst(tmp_path):
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    db = open_database(url)
    _, key = create_shop(db, "burst shop")
    date = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    for zone in ("Z-2-2", "Z-2-1", "Z-3-2", "Z-1-2"):
        set_capacity(db, zone, date, "home:18:00-20:00", 6)
    port = free_port()
    server = start_server(url, port, tmp_path)
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def client(k: int) -> None:
        n = 0
        while not stop.is_set():
            lat, lon = SPOTS[(k + n) % len(SPOTS)]
            slot = ["home:18:00-20:00", "home:08:00-10:00", "home:12:00-14:00"][n % 3]
            body = {"customer_id": f"c{k}-{n}", "date": date, "slot": slot, "lat": lat + 0.0003 * (n % 5), "lon": lon}
            n += 1
            try:
                status, data = call(port, "POST", "/api/v1/bookings", key, body)
            except OSError:
                return  # the server is gone
            if status == 201:
                with lock:
                    acknowledged.append(data["id"])

    threads = [threading.Thread(target=client, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(acknowledged) < 25:
        time.sleep(0.02)
    server.send_signal(signal.SIGKILL)
    server.wait()
    stop.set()
    for t in threads:
        t.join()
    assert len(acknowledged) >= 10, "the burst should have booked something before the kill"

    server = start_server(url, port, tmp_path)
    try:
        for booking_id in acknowledged:
            status, data = call(port, "GET", f"/api/v1/bookings/{booking_id}", key)
            assert status == 200 and data["status"] == "confirmed", booking_id
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
    with db.session() as s:
        for c in s.scalars(select(SlotCounter)):
            rows = s.scalar(
                select(func.count()).select_from(Booking).where(
                    Booking.zone == c.zone, Booking.date == c.date, Booking.slot == c.slot, Booking.status == "confirmed"
                )
            )
            assert c.booked == rows <= c.capacity, (c.zone, c.slot)
            assert c.held == 0
