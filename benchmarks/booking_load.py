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
    python benchmarks/booking_load.py --clients 16 --seconds 30 --think-ms 1000 --dispatcher-solve 60
    python benchmarks/booking_load.py --clients 16 --seconds 20 --workers 1 2 4 --next-date-when-full

Without ``--think-ms`` every client fires its next request the moment the last one returns:
a saturation test, whose latency is mostly queueing (clients / throughput). With it, each
client pauses a random time (exponential, that mean) after the offer and after the booking,
as a shopper reading the offer and paying does.

The server runs as ``lastmile serve`` does: background re-solves of the tentative routes on
(``--no-resolve`` turns them off) and solves on its Dask LocalCluster. With
``--dispatcher-solve S`` each client count runs twice: (a) as above, then (b) while a
dispatcher, signed in through the pages, plans a day of the scenario's generated orders
(300 on a weekday in Gothenburg) with an ``S``-second limit, as the Plan button does (POST
``/day/<date>/plan`` with the CSRF token, then polling the job); the solve is stopped after
(b). It prints offer p99 of (a) and (b) and their ratio. ``--rounds R`` repeats the pair R
times, alternating (a) and (b) so a drift of the machine falls on both, and also reports the
pooled p99 of each phase: with about 200 offers a phase, one phase's p99 is its second-slowest
request, so one pair's ratio is mostly chance. Each pair books two dates a week apart (the same
weekday, both empty at the start).

One date takes about 600 bookings in Gothenburg (its zone-slot capacities), so a saturation
level of 20 s fills its date at 30 bookings/s; from then on the clients only get offers with no
slot left, and bookings/s measures the date's capacity, not the server. With
``--next-date-when-full`` the level's clients move on to the next date when an offer shows no
slot left (up to the day before the next level's first date), so the level keeps booking.

Exit status 1 if the audit finds overbooking or a lost booking.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import http.cookiejar
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
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
    label: str = ""  # "a": checkouts only; "b": while a dispatcher solve runs
    round: int = 0  # which (a)/(b) pair, with --rounds
    workers: int = 1  # server processes
    roll_until: str | None = None  # with --next-date-when-full: the last date the level may move on to
    dates: list[str] = field(default_factory=list)  # the dates booked, in order (the first is ``date``)
    resolves: list[str] = field(default_factory=list)  # the server's log lines of this level's re-solves


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, port: int, threads: int, resolve: bool, cwd: str, env: dict | None = None,
                 workers: int = 1) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "webui.cli", "serve", "--port", str(port), "--database-url", url, "--threads", str(threads),
           "--workers", str(workers)]
    if not resolve:
        cmd.append("--no-resolve")
    # The server's log goes to a file: a pipe nobody reads would fill up and stall the server.
    log = open(Path(cwd) / "server.log", "wb")
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
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


def run_level(port: int, key: str, customers, level: Level, seconds: float, seed: int, think_s: float = 0.0,
              warmup_s: float = 0.0) -> None:
    """Run ``level``'s clients for ``seconds``; requests sent in the first ``warmup_s`` seconds are
    made but not counted (a new date's routes are built from the store on first use)."""
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    level.dates = [level.date]

    def move_on(full: str) -> None:
        """``full`` had no slot left: the level's clients book the next date (with --next-date-when-full)."""
        with lock:
            nxt = (dt.date.fromisoformat(full) + dt.timedelta(days=1)).isoformat()
            if level.roll_until is not None and level.dates[-1] == full and nxt <= level.roll_until:
                level.dates.append(nxt)
    counted_from = time.perf_counter() + warmup_s
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
            date = level.dates[-1]
            t0 = time.perf_counter()
            status, offer = call("GET", f"/api/v1/slots?date={date}&lat={c.lat}&lon={c.lon}&customer_id={c.id}")
            t1 = time.perf_counter()
            if status != 200:
                with lock:
                    level.statuses[status] = level.statuses.get(status, 0) + 1
                continue
            ranked = sorted((s for s in offer["slots"] if s["available"]), key=lambda s: s["rank"])
            if not ranked:
                with lock:
                    if t0 >= counted_from:
                        level.offer_s.append(t1 - t0)
                    level.no_slot += 1
                move_on(date)
                think()
                continue
            think()
            t1b = time.perf_counter()
            body = {"customer_id": c.id, "date": date, "slot": ranked[0]["slot"], "lat": c.lat, "lon": c.lon, "tier": c.tier}
            status, answer = call("POST", "/api/v1/bookings", body, {"Idempotency-Key": uuid.uuid4().hex})
            t2 = time.perf_counter()
            with lock:
                if t0 >= counted_from:
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


class Dispatcher:
    """A dispatcher in a browser: signs in through the form, opens the day, presses Plan, polls."""

    def __init__(self, port: int, username: str, password: str):
        self.base = f"http://127.0.0.1:{port}"
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.token = ""
        page = self._get("/signin")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"username": username, "password": password, "csrf_token": token}).encode()
        self.opener.open(urllib.request.Request(self.base + "/signin", data=form), timeout=60).read()

    def _get(self, path: str) -> str:
        return self.opener.open(self.base + path, timeout=120).read().decode("utf-8")

    def _post(self, path: str, body: dict) -> tuple[int, dict]:
        req = urllib.request.Request(self.base + path, data=json.dumps(body).encode(), method="POST", headers={
            "Content-Type": "application/json", "X-CSRFToken": self.token, "X-Requested-With": "fetch",
            "Accept": "application/json"})
        try:
            with self.opener.open(req, timeout=60) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def open_day(self, date: str) -> None:
        page = self._get(f"/day/{date}")
        self.token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)

    def plan(self, date: str, time_limit_s: float) -> str:
        status, answer = self._post(f"/day/{date}/plan", {"time_limit": time_limit_s})
        if status != 202:
            raise SystemExit(f"POST /day/{date}/plan answered {status}: {answer}")
        return answer["poll"]

    def poll(self, poll: str) -> dict:
        return json.loads(self._get(poll))

    def stop(self, poll: str) -> None:
        status, answer = self._post(poll + "/stop", {})
        if status != 202:
            print(f"stop answered {status}: {answer}")


def solve_day(today: dt.date) -> str:
    """A Tuesday 15 to 21 days out: a full generated weekday no checkout of this run books
    (their dates are at most 14 days out, see :func:`pair_dates`)."""
    day = today + dt.timedelta(days=15)
    return (day + dt.timedelta(days=(1 - day.weekday()) % 7)).isoformat()


MAX_PAIRS = 6  # (a) on days 2-7 ahead, (b) a week later on 9-14: inside the 21-day booking horizon


def pair_dates(today: dt.date, index: int) -> tuple[str, str]:
    """The dates of the ``index``-th (a)/(b) pair: a week apart, so the same weekday."""
    if not 0 <= index < MAX_PAIRS:
        raise ValueError(f"pair {index}: at most {MAX_PAIRS} (a)/(b) pairs fit the booking horizon")
    a = today + dt.timedelta(days=2 + index)
    return a.isoformat(), (a + dt.timedelta(days=7)).isoformat()


def run_with_solve(dispatcher: Dispatcher, date: str, time_limit_s: float, run, poll_every_s: float = 0.5,
                   stop: bool = True) -> dict:
    """Start the dispatcher's solve, run ``run()`` once it is running (polling as the page does
    meanwhile), then stop the solve (or, without ``stop``, let it finish); returns what the job
    said at the end of ``run()`` and at its end."""
    poll = dispatcher.plan(date, time_limit_s)
    t0 = time.monotonic()
    while (snap := dispatcher.poll(poll))["state"] == "queued" and time.monotonic() - t0 < 120:
        time.sleep(poll_every_s)
    if snap["state"] != "running":
        raise SystemExit(f"the dispatcher solve did not start: {snap}")
    done = threading.Event()
    seen: list[dict] = []

    def keep_polling() -> None:
        while not done.wait(poll_every_s):
            seen.append(dispatcher.poll(poll))

    poller = threading.Thread(target=keep_polling, daemon=True)
    poller.start()
    run()
    done.set()
    poller.join()
    during = dispatcher.poll(poll)
    if stop:
        dispatcher.stop(poll)
    t1 = time.monotonic()
    while (final := dispatcher.poll(poll))["state"] in ("queued", "running") and time.monotonic() - t1 < time_limit_s + 120:
        time.sleep(poll_every_s)
    return {"started_after_s": time.monotonic() - t0, "at_end_of_window": during, "final": final,
            "stages": sorted({s["stage"] for s in seen})}


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


def resolve_summary(lines: list[str]) -> str:
    """'n done (k adopted), mean wall s, failed f' from the server's re-solve log lines."""
    done = [float(m.group(1)) for m in (re.search(r"done in ([0-9.]+) s", x) for x in lines) if m]
    adopted = sum("adopted" in x for x in lines)
    failed = sum(x.endswith("failed") for x in lines)
    mean = f", {sum(done) / len(done):.1f} s each" if done else ""
    return f"{len(done)} done ({adopted} adopted){mean}, {failed} failed"


def resolves_for(date: str, log_path: Path) -> list[str]:
    return [line.strip() for line in log_path.read_text(errors="replace").splitlines()
            if f"background re-solve of {date}" in line]


def plan_scorecard(url: str, plan_id: int) -> dict:
    from scheduling.storage import open_database
    from scheduling.storage.models import SavedPlan

    with open_database(url).session() as s:
        row = s.get(SavedPlan, plan_id)
        data = json.loads(row.plan_json)
        return json.loads(row.scorecard_json) | {"_engine": data["plan"].get("engine")}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each level (default 10)")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file in a temporary folder")
    parser.add_argument("--server-threads", type=int, default=12)
    parser.add_argument("--no-resolve", action="store_true", help="no background re-solves of the tentative routes (default: on, as lastmile serve runs)")
    parser.add_argument("--dispatcher-solve", type=float, default=0.0, metavar="S",
                        help="also measure each level while a dispatcher plans a 300-order day with an S-second limit")
    parser.add_argument("--rounds", type=int, default=1,
                        help=f"with --dispatcher-solve: (a)/(b) pairs per client count, alternating; pooled p99 reported (default 1; "
                             f"clients x rounds x workers at most {MAX_PAIRS})")
    parser.add_argument("--let-solve-finish", action="store_true", help="do not stop the dispatcher solve after (b); report its final cost")
    parser.add_argument("--solver-processes", type=int, default=None, help="Dask worker processes of the server (default: its own)")
    parser.add_argument("--solver-threads", type=int, default=None, help="threads per Dask worker process (default: its own)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--think-ms", type=float, default=0.0, help="mean pause of a shopper after each answer (default 0: saturation)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1],
                        help="server processes (lastmile serve --workers N); several values run one after the other (default 1)")
    parser.add_argument("--next-date-when-full", action="store_true",
                        help="when an offer shows no slot left, the level's clients book the next date (saturation runs: "
                             "one date takes about 600 bookings, so a fast server fills it within a 20 s level)")
    parser.add_argument("--warmup-s", type=float, default=3.0,
                        help="requests of each level's first seconds are not counted: a new date's routes are built on first use (default 3)")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds: give 1 or more")
    if args.dispatcher_solve and len(args.clients) * args.rounds * len(args.workers) > MAX_PAIRS:
        parser.error(f"--clients x --rounds x --workers: at most {MAX_PAIRS} (a)/(b) pairs fit the 21-day booking horizon "
                     f"with --dispatcher-solve; give fewer")

    from scenarios.scenario import load_scenario
    from scheduling.storage import open_database
    from webui.accounts import add_user
    from webui.api.auth import create_shop

    work = tempfile.mkdtemp(prefix="lastmile-load-")
    url = args.database_url or f"sqlite:///{work}/load.db"
    db = open_database(url)
    _, key = create_shop(db, f"load-{uuid.uuid4().hex[:8]}")
    password = uuid.uuid4().hex
    dispatcher_name = f"bench-{uuid.uuid4().hex[:8]}"
    add_user(db, dispatcher_name, password, "dispatcher")
    customers = load_scenario("gothenburg").customers
    port = free_port()
    env = {f"LASTMILE_SOLVER_{k.upper()}": str(v) for k, v in (("processes", args.solver_processes),
                                                                 ("threads", args.solver_threads)) if v}
    layout = ", ".join(f"{k}={v}" for k, v in env.items()) or "the server's default solver layout"
    print(f"server: lastmile serve --workers {' / '.join(map(str, args.workers))} on loopback, {args.server_threads} threads, database {url.split('@')[-1]}, "
          f"re-solves {'off' if args.no_resolve else 'on'}, {layout}")
    print(f"clients: {'no pause (saturation)' if not args.think_ms else f'pause {args.think_ms:.0f} ms on average after each answer'}; "
          f"the first {args.warmup_s:g} s of each level are not counted")
    today = dt.date.today()
    levels = []
    solves: list[dict] = []
    env = {**env, "LASTMILE_SECRET_KEY": os.environ.get("LASTMILE_SECRET_KEY") or uuid.uuid4().hex + uuid.uuid4().hex}
    for n, workers in enumerate(args.workers):
        port = free_port()
        shift = 7 * n  # each worker count books dates of its own, on the same weekdays
        server = start_server(url, port, args.server_threads, not args.no_resolve, work, env, workers)
        try:
            dispatcher = None
            if args.dispatcher_solve:
                dispatcher = Dispatcher(port, dispatcher_name, password)
                dispatcher.open_day(solve_day(today))  # the page a dispatcher has open before pressing Plan
            for k, clients in enumerate(args.clients):
                if dispatcher is None:
                    first = today + dt.timedelta(days=2 + 2 * k + shift)
                    level = Level(clients, first.isoformat(), label="a", workers=workers)
                    if args.next_date_when_full:  # up to the day before the next level's first date
                        last = min(first + dt.timedelta(days=1 if len(args.clients) > 1 else 6), today + dt.timedelta(days=21))
                        level.roll_until = last.isoformat()
                    run_level(port, key, customers, level, args.seconds, args.seed + k, args.think_ms / 1000.0, args.warmup_s)
                    levels.append(level)
                    continue
                for r in range(args.rounds):
                    date_a, date_b = pair_dates(today, (n * len(args.clients) + k) * args.rounds + r)
                    seed = args.seed + 10 * k + 1000 * r
                    level = Level(clients, date_a, label="a", workers=workers, round=r)
                    run_level(port, key, customers, level, args.seconds, seed, args.think_ms / 1000.0, args.warmup_s)
                    levels.append(level)
                    during = Level(clients, date_b, label="b", workers=workers, round=r)
                    solves.append(run_with_solve(dispatcher, solve_day(today), args.dispatcher_solve, lambda: run_level(
                        port, key, customers, during, args.seconds, seed + 100, args.think_ms / 1000.0, args.warmup_s),
                        stop=not args.let_solve_finish))
                    levels.append(during)
            time.sleep(3)  # a re-solve still running when a level ends logs its outcome
        finally:
            for lv in levels:
                lv.resolves = resolves_for(lv.date, Path(work) / "server.log")
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()

    print()
    print(f"{'processes':>9} {'run':>3} {'clients':>7} {'offers':>7} {'offer p50':>10} {'offer p99':>10} {'book p50':>9} {'book p99':>9} {'slowest':>8} {'201':>5} {'bookings/s':>11}  refusals")
    for lv in levels:
        refusals = ", ".join(f"{r} {n}" for r, n in sorted(lv.reasons.items())) or "-"
        if lv.no_slot:
            refusals += f"; offers with no slot left {lv.no_slot}"
        if len(lv.dates) > 1:
            refusals += f"; dates booked {len(lv.dates)} ({lv.dates[0]} to {lv.dates[-1]})"
        print(
            f"{lv.workers:>9} {lv.label:>3} {lv.clients:>7} {len(lv.offer_s):>7} {percentile(lv.offer_s, 0.5) * 1000:>8.1f}ms {percentile(lv.offer_s, 0.99) * 1000:>8.1f}ms "
            f"{percentile(lv.book_s, 0.5) * 1000:>7.1f}ms {percentile(lv.book_s, 0.99) * 1000:>7.1f}ms {max(lv.offer_s + lv.book_s, default=0):>7.1f}s "
            f"{len(lv.acknowledged):>5} {len(lv.acknowledged) / lv.wall_s:>11.1f}  {refusals}"
        )
    if solves:
        print()
        print(f"(a) checkouts with re-solves {'off' if args.no_resolve else 'on'}, no dispatcher solve; "
              f"(b) the same while a {args.dispatcher_solve:g} s dispatcher solve of {solve_day(today)} runs")
        pairs = [(a, b) for a, b in zip(levels[::2], levels[1::2])]
        for (a, b), solve in zip(pairs, solves):
            p99a, p99b = percentile(a.offer_s, 0.99) * 1000, percentile(b.offer_s, 0.99) * 1000
            print(f"  {a.clients} clients{f', round {a.round + 1}' if args.rounds > 1 else ''}: offer p99 (a) {p99a:.1f} ms, "
                  f"(b) {p99b:.1f} ms, ratio (b)/(a) {p99b / p99a:.2f}  [targets: both < 100 ms, ratio <= 1.5]")
            mid, final = solve["at_end_of_window"], solve["final"]
            print(f"    the solve was {mid['state']} at the end of (b) ({mid['elapsed_s']:.0f} s in, {mid['improvements']} "
                  f"improvements, best cost {mid['best_cost']}); {'let run' if args.let_solve_finish else 'stopped'} "
                  f"after (b): {final['state']} after {final['elapsed_s']:.0f} s, best cost {final['best_cost']}, plan {final['result']}")
            if isinstance(final["result"], int):
                sc = plan_scorecard(url, final["result"])
                print(f"    plan #{final['result']}: {sc.get('orders_total')} orders, {sc.get('orders_served')} served, "
                      f"engine {sc.get('_engine')}")
        if args.rounds > 1:
            for workers in args.workers:
                for clients in args.clients:
                    pooled = {lab: [x for lv in levels if lv.label == lab and lv.clients == clients and lv.workers == workers
                                    for x in lv.offer_s] for lab in "ab"}
                    p99a, p99b = (percentile(pooled[lab], 0.99) * 1000 for lab in "ab")
                    print(f"  pooled over {args.rounds} rounds, {workers} process(es), {clients} clients: offers (a) {len(pooled['a'])}, "
                          f"(b) {len(pooled['b'])}; offer p99 (a) {p99a:.1f} ms, (b) {p99b:.1f} ms, ratio (b)/(a) {p99b / p99a:.2f}"
                          f"  [targets: both < 100 ms, ratio <= 1.5]")
        print("  background re-solves (server log): " + "; ".join(
            f"({lv.label}) {resolve_summary(lv.resolves)}" for lv in levels))
    over, lost, checked = audit(url, levels)
    print()
    print(f"audit: {checked} zone-slot counters checked, {over} over capacity or out of step with their rows")
    print(f"audit: {sum(len(lv.acknowledged) for lv in levels)} acknowledged bookings, {lost} missing from the database")
    print(f"server log: {work}/server.log")
    return 1 if over or lost else 0


if __name__ == "__main__":
    sys.exit(main())
