"""Crash safety: SIGKILL the server in the middle of a booking burst; after a restart every
acknowledged (201) booking is there and no zone-slot holds more than its capacity."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select

from scheduling.capacity_store import set_capacity
from scheduling.storage import open_database
from scheduling.storage.models import Booking, SlotCounter
from webui.api.auth import create_shop

ROOT = Path(__file__).resolve().parents[2]
SPOTS = [(57.7089, 11.9746), (57.7065, 11.9680), (57.6990, 11.9630), (57.7160, 11.9700)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, port: int, cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "webui.cli", "serve", "--port", str(port), "--database-url", url, "--no-resolve", "--threads", "8"],
        cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=1).read()
            return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("the server exited during start-up")
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the server did not start within 60 s")


def call(port: int, method: str, path: str, key: str, body: dict | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"X-API-Key": key, "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


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
