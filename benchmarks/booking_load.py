"""Load benchmark of the booking API: offer latency and booking throughput, then a database audit.

Starts ``lastmile serve`` as a separate process on loopback, then for each client count runs
that many concurrent checkouts for a while: each asks for the slot offer of a random scenario
customer and books the slot ranked first (with an ``Idempotency-Key``). It prints offer latency
p50/p99 and bookings per second per level, stops the server, and checks in the database that

* no zone-slot holds more bookings than its capacity (``booked`` equals the confirmed rows), and
* every booking that got a 201 is stored, confirmed.

    python benchmarks/booking_load.py                      # 16 and 64 clients, 10 s each, SQLite
    python benchmarks/booking_load.py --clients 16 --seconds 5 --database-url postgresql+psycopg://...
    python benchmarks/booking_load.py --think-ms 1000         # shoppers pause ~1 s to read and to pay

Without ``--think-ms`` every client fires its next request the moment the last one returns:
a saturation test, whose latency is mostly queueing (clients / throughput). With it, each
client pauses a random time (exponential, that mean) after the offer and after the booking,
as a shopper reading the offer and paying does.

Exit status 1 if the audit finds overbooking or a lost booking.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


@dataclass
class Level:
    clients: int
    date: str
    offer_s: list[float] = field(default_factory=list)
    book_s: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)
    acknowledged: list[str] = field(default_factory=list)
    no_slot: int = 0
    wall_s: float = 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, port: int, threads: int, resolve: bool, cwd: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "webui.cli", "serve", "--port", str(port), "--database-url", url, "--threads", str(threads)]
    if not resolve:
        cmd.append("--no-resolve")
    # The server's log goes to a file: a pipe nobody reads would fill up and stall the server.
    log = open(Path(cwd) / "server.log", "wb")
    proc = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/openapi.json")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit("server failed to start:\n" + (Path(cwd) / "server.log").read_text(errors="replace"))
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not start within 90 s")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_level(port: int, key: str, customers, level: Level, seconds: float, seed: int, think_s: float = 0.0) -> None:
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    headers = {"X-API-Key": key, "Content-Type": "application/json"}

    def client(k: int) -> None:
        rng = random.Random(seed * 1000 + k)

        def think() -> None:
            if think_s > 0:
                time.sleep(rng.expovariate(1.0 / think_s))

        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        think()  # shoppers arrive spread out, not all in the same millisecond

        def call(method: str, path: str, body: dict | None = None, extra: dict | None = None):
            nonlocal conn
            for attempt in range(2):
                try:
                    conn.request(method, path, body=None if body is None else json.dumps(body), headers={**headers, **(extra or {})})
                    r = conn.getresponse()
                    return r.status, json.loads(r.read() or b"{}")
                except (http.client.HTTPException, OSError):
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    if attempt:
                        raise

        while time.monotonic() < stop:
            c = rng.choice(customers)
            t0 = time.perf_counter()
            status, offer = call("GET", f"/api/v1/slots?date={level.date}&lat={c.lat}&lon={c.lon}&customer_id={c.id}")
            t1 = time.perf_counter()
            if status != 200:
                with lock:
                    level.statuses[status] = level.statuses.get(status, 0) + 1
                continue
            ranked = sorted((s for s in offer["slots"] if s["available"]), key=lambda s: s["rank"])
            if not ranked:
                with lock:
                    level.offer_s.append(t1 - t0)
                    level.no_slot += 1
                think()
                continue
            think()
            t1b = time.perf_counter()
            body = {"customer_id": c.id, "date": level.date, "slot": ranked[0]["slot"], "lat": c.lat, "lon": c.lon, "tier": c.tier}
            status, answer = call("POST", "/api/v1/bookings", body, {"Idempotency-Key": uuid.uuid4().hex})
            t2 = time.perf_counter()
            with lock:
                level.offer_s.append(t1 - t0)
                level.book_s.append(t2 - t1b)
                level.statuses[status] = level.statuses.get(status, 0) + 1
                if status == 201:
                    level.acknowledged.append(answer["id"])
                elif "error" in answer:
                    level.reasons[answer["error"]["reason"]] = level.reasons.get(answer["error"]["reason"], 0) + 1
            think()
        conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(level.clients)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    level.wall_s = time.monotonic() - t0


def audit(url: str, levels: list[Level]) -> tuple[int, int, int]:
    """(overbooked zone-slots, lost acknowledged bookings, counters checked)."""
    from sqlalchemy import func, select

    from scheduling.storage import open_database
    from scheduling.storage.models import Booking, SlotCounter

    db = open_database(url)
    over = lost = 0
    with db.session() as s:
        counters = s.scalars(select(SlotCounter)).all()
        confirmed = dict(
            ((z, d, sl), n)
            for z, d, sl, n in s.execute(
                select(Booking.zone, Booking.date, Booking.slot, func.count()).where(Booking.status == "confirmed").group_by(Booking.zone, Booking.date, Booking.slot)
            ).all()
        )
        for c in counters:
            rows = confirmed.get((c.zone, c.date, c.slot), 0)
            if rows > c.capacity or c.booked != rows or c.booked + c.held > c.capacity:
                over += 1
        acked = [i for lv in levels for i in lv.acknowledged]
        stored = set()
        for k in range(0, len(acked), 500):
            stored |= set(s.scalars(select(Booking.id).where(Booking.id.in_(acked[k : k + 500]), Booking.status == "confirmed")))
        lost = len(set(acked) - stored)
    return over, lost, len(counters)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each level (default 10)")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file in a temporary folder")
    parser.add_argument("--server-threads", type=int, default=12)
    parser.add_argument("--resolve", action="store_true", help="keep background re-solves on (they compete for the CPU)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--think-ms", type=float, default=0.0, help="mean pause of a shopper after each answer (default 0: saturation)")
    args = parser.parse_args(argv)

    from scenarios.scenario import load_scenario
    from scheduling.storage import open_database
    from webui.api.auth import create_shop

    work = tempfile.mkdtemp(prefix="lastmile-load-")
    url = args.database_url or f"sqlite:///{work}/load.db"
    db = open_database(url)
    _, key = create_shop(db, f"load-{uuid.uuid4().hex[:8]}")
    customers = load_scenario("gothenburg").customers
    port = free_port()
    print(f"server: lastmile serve on 127.0.0.1:{port}, {args.server_threads} threads, database {url.split('@')[-1]}")
    print(f"clients: {'no pause (saturation)' if not args.think_ms else f'pause {args.think_ms:.0f} ms on average after each answer'}")
    server = start_server(url, port, args.server_threads, args.resolve, work)
    today = dt.date.today()
    levels = []
    try:
        for k, clients in enumerate(args.clients):
            level = Level(clients, (today + dt.timedelta(days=2 + k)).isoformat())
            run_level(port, key, customers, level, args.seconds, args.seed + k, args.think_ms / 1000.0)
            levels.append(level)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()

    print()
    print(f"{'clients':>7} {'offers':>7} {'offer p50':>10} {'offer p99':>10} {'book p50':>9} {'book p99':>9} {'slowest':>8} {'201':>5} {'bookings/s':>11}  refusals")
    for lv in levels:
        refusals = ", ".join(f"{r} {n}" for r, n in sorted(lv.reasons.items())) or "-"
        if lv.no_slot:
            refusals += f"; offers with no slot left {lv.no_slot}"
        print(
            f"{lv.clients:>7} {len(lv.offer_s):>7} {percentile(lv.offer_s, 0.5) * 1000:>8.1f}ms {percentile(lv.offer_s, 0.99) * 1000:>8.1f}ms "
            f"{percentile(lv.book_s, 0.5) * 1000:>7.1f}ms {percentile(lv.book_s, 0.99) * 1000:>7.1f}ms {max(lv.offer_s + lv.book_s, default=0):>7.1f}s "
            f"{len(lv.acknowledged):>5} {len(lv.acknowledged) / lv.wall_s:>11.1f}  {refusals}"
        )
    over, lost, checked = audit(url, levels)
    print()
    print(f"audit: {checked} zone-slot counters checked, {over} over capacity or out of step with their rows")
    print(f"audit: {sum(len(lv.acknowledged) for lv in levels)} acknowledged bookings, {lost} missing from the database")
    print(f"server log: {work}/server.log")
    return 1 if over or lost else 0


if __name__ == "__main__":
    sys.exit(main())
