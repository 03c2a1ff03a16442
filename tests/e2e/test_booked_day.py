"""The whole loop over HTTP: shops book through a live ``lastmile serve``, the cut-off passes,
``lastmile plan --bookings --publish`` plans the booked day from the store, and each shop's
webhook hears about its own bookings, signed, once each."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from scheduling.shops import create_shop
from scheduling.storage import open_database
from scheduling.storage.models import Booking, SavedPlan
from scheduling.webhooks import set_webhook
from tests.scheduling.webhook_receiver import Receiver
from tests.webui.live_server import call, free_port, start_server

ROOT = Path(__file__).resolve().parents[2]
SPOTS = [(57.7089, 11.9746), (57.7065, 11.9680), (57.6990, 11.9630), (57.7160, 11.9700), (57.6960, 11.9850),
         (57.7040, 11.9560), (57.7110, 11.9900), (57.6930, 11.9720)]


def plan_date() -> dt.date:
    """A Wednesday at least three days ahead: open for booking, far from any real cut-off."""
    day = dt.date.today() + dt.timedelta(days=3)
    return day + dt.timedelta(days=(2 - day.weekday()) % 7)


def clock(date: dt.date, hh: int, mm: int = 0) -> str:
    """``LASTMILE_NOW`` on the day before ``date`` (UTC)."""
    return f"{date - dt.timedelta(days=1)}T{hh:02d}:{mm:02d}:00Z"


def book(port: int, key: str, k: int, date: dt.date) -> dict | None:
    """One checkout: ask for an offer at a spot, book its best option (every 5th at a pickup point)."""
    lat, lon = SPOTS[k % len(SPOTS)]
    lat, lon = lat + 0.0004 * (k // len(SPOTS)), lon + 0.0003 * (k % 3)
    status, offer = call(port, "GET", f"/api/v1/slots?date={date}&lat={lat}&lon={lon}&customer_id=c{k}", key)
    assert status == 200, offer
    body = {"customer_id": f"c{k}", "date": str(date), "lat": lat, "lon": lon, "order_ref": f"ORD-{k:03d}",
            "address": f"Testgatan {k}", "parcels": 1 + k % 2, "notify": "sms" if k % 3 else "none"}
    points = [(p["id"], s["slot"]) for p in offer["pickup_points"] for s in p["slots"] if s["available"]]
    doors = sorted((s for s in offer["slots"] if s["available"]), key=lambda s: s["rank"])
    if k % 5 == 0 and points:
        body |= {"slot": points[0][1], "pickup_point_id": points[0][0]}
    elif doors:
        body |= {"slot": doors[0]["slot"]}
    else:
        return None
    status, booking = call(port, "POST", "/api/v1/bookings", key, body)
    assert status == 201, booking
    return booking


def wait_for(predicate, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_booked_orders_are_planned_published_and_each_shop_hears_once(database_url, tmp_path):
    date = plan_date()
    db = open_database(database_url)
    shop_a, key_a = create_shop(db, "Shop A")
    shop_b, key_b = create_shop(db, "Shop B")
    with Receiver() as hook_a, Receiver() as hook_b:
        hook_a.secret = set_webhook(db, "Shop A", hook_a.url)
        hook_b.secret = set_webhook(db, "Shop B", hook_b.url)
        port = free_port()
        server = start_server(database_url, port, tmp_path, env={"LASTMILE_NOW": clock(date, 10)})
        try:
            booked = {"a": [], "b": []}
            for k in range(40):
                who, key = ("a", key_a) if k % 2 == 0 else ("b", key_b)
                b = book(port, key, k, date)
                assert b is not None, f"checkout {k} found no slot"
                booked[who].append(b)
            assert any(b["pickup_point_id"] for b in booked["a"] + booked["b"])
            cancelled = booked["a"][1]
            assert call(port, "DELETE", f"/api/v1/bookings/{cancelled['id']}", key_a)[0] == 200
            moved = booked["b"][1]
            _, offer = call(port, "GET", f"/api/v1/slots?date={date}&lat={moved['lat']}&lon={moved['lon']}", key_b)
            other = next(s["slot"] for s in offer["slots"] if s["available"] and s["slot"] != moved["slot"])
            status, moved_now = call(port, "PATCH", f"/api/v1/bookings/{moved['id']}", key_b, {"slot": other})
            assert status == 200 and moved_now["slot"] == other

            # After the cut-off (the day before at 22:00 in the scenario's zone), from the command line;
            # a booked day is planned from its bookings at once, so a 1-second search is enough here.
            plan = subprocess.run(
                [sys.executable, "-m", "webui.cli", "plan", "--date", str(date), "--bookings", "--publish",
                 "--database-url", database_url, "--time-limit", "1", "--out", str(tmp_path / "plan"), "--quiet"],
                cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT), "LASTMILE_NOW": clock(date, 23, 30)},
                capture_output=True, text=True, timeout=300,
            )
            assert plan.returncode == 0, plan.stdout + plan.stderr
            assert "Published plan" in plan.stdout

            with db.session() as s:
                confirmed = {b.id: b for b in s.scalars(select(Booking).where(Booking.date == str(date), Booking.status == "confirmed"))}
                saved = s.scalars(select(SavedPlan).where(SavedPlan.date == str(date)).order_by(SavedPlan.id.desc())).first()
            assert cancelled["id"] not in confirmed and len(confirmed) == 39
            data = json.loads(saved.plan_json)
            booking_of = {o["id"]: o["booking_id"] for o in data["orders"]}
            on_routes = [booking_of[oid] for r in data["plan"]["routes"] for st in r["stops"] for oid in st["order_ids"]]
            left_out = [booking_of[u["order_id"]] for u in data["plan"]["unserved"]]
            assert sorted(on_routes + left_out) == sorted(confirmed), "every confirmed booking on one route or unserved"
            assert on_routes, "the short search still plans the booked day"
            assert all(u["reason"] for u in data["plan"]["unserved"])
            assert cancelled["id"] not in on_routes + left_out

            planned = set(on_routes)
            for booking_id in confirmed:
                key = key_a if confirmed[booking_id].shop_id == shop_a else key_b
                status, got = call(port, "GET", f"/api/v1/bookings/{booking_id}", key)
                assert status == 200
                eta = got["planned_eta"]
                if booking_id not in planned:
                    assert eta is None
                    continue
                slot_start, slot_end = got["window"].split("-")
                assert slot_start <= eta["start"] <= eta["arrival"] <= eta["end"] <= slot_end, (got["window"], eta)
                assert eta["plan_version"] == saved.id

            mine = {b for b in planned if confirmed[b].shop_id == shop_a}
            theirs = {b for b in planned if confirmed[b].shop_id == shop_b}

            def planned_events(hook):
                return [r for r in hook.receipts if r.event_type == "booking.planned"]

            assert wait_for(lambda: len({r.event_id for r in planned_events(hook_a)}) >= len(mine), 60)
            time.sleep(1.5)  # anything extra would arrive now
            got_a = {}
            for r in planned_events(hook_a):
                got_a.setdefault(r.event_id, r)
            assert all(r.verified for r in hook_a.receipts), "every delivery is signed with the shop's secret"
            assert sorted(r.envelope["booking_id"] for r in got_a.values()) == sorted(mine), "one booking.planned per planned booking"
            assert not {r.envelope["booking_id"] for r in hook_a.receipts} & set(theirs), "no event of the other shop"
            assert wait_for(lambda: len({r.event_id for r in planned_events(hook_b)}) >= len(theirs), 60)
        finally:
            server.send_signal(signal.SIGKILL)
            server.wait()
