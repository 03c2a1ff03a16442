"""Two ``lastmile serve`` processes on one database: stops compete for the last places of one
small van, and never more are accepted than the van can take.

The scenario has one van for 6 parcels; twelve customers book one parcel each for the same
morning through two server processes at once (each process's tentative routes start empty of
the other's bookings). Afterwards the confirmed bookings are re-planned with every one of them
required: the plan serves them all within the van's capacity and the shift.
"""

from __future__ import annotations

import csv
import shutil
import signal
import threading
from pathlib import Path

import yaml
from sqlalchemy import select

from scheduling.storage import open_database
from scheduling.storage.models import Booking
from scenarios.scenario import load_scenario
from tests.webui.live_server import call, free_port, start_server
from webui.api.auth import create_shop

ROOT = Path(__file__).resolve().parents[2]
DATE = "2026-11-25"
VAN_PARCELS = 6


def _one_small_van(folder: Path) -> Path:
    shutil.copytree(ROOT / "scenarios" / "data" / "gothenburg", folder)
    spec = yaml.safe_load((folder / "scenario.yaml").read_text())
    spec["name"] = "one-small-van"
    spec["fleet"] = [{**spec["fleet"][0], "count": 1, "capacity": VAN_PARCELS}]
    # The van alone: with overflow carriers the re-plan below may hand stops to a carrier, and
    # the question is whether the van's routes take every accepted stop.
    spec.pop("carriers", None)
    (folder / "scenario.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True))
    return folder


def _customers(folder: Path, n: int) -> list[dict]:
    with open(folder / "customers.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    central = sorted(rows, key=lambda r: abs(float(r["lat"]) - 57.705) + abs(float(r["lon"]) - 11.97))
    return central[:n]


def test_two_processes_never_accept_more_stops_than_the_routes_can_take(database_url, tmp_path):
    url = database_url
    scenario_dir = _one_small_van(tmp_path / "scenario")
    db = open_database(url)
    _, key = create_shop(db, "race shop")
    env = {"LASTMILE_NOW": "2026-11-23T08:00:00Z"}
    args = ("--no-resolve", "--threads", "8", "--scenario", str(scenario_dir))
    ports = [free_port(), free_port()]
    servers = [start_server(url, p, tmp_path, env=env, args=args) for p in ports]
    answers: list[tuple[int, dict]] = []
    lock = threading.Lock()
    start = threading.Barrier(12)

    def book(i: int, who: dict) -> None:
        start.wait()
        got = call(ports[i % 2], "POST", "/api/v1/bookings", key, {
            "customer_id": f"race-{i}", "date": DATE, "slot": "home:08:00-10:00",
            "lat": float(who["lat"]), "lon": float(who["lon"])})
        with lock:
            answers.append(got)

    try:
        threads = [threading.Thread(target=book, args=(i, c)) for i, c in enumerate(_customers(scenario_dir, 12))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    finally:
        for s in servers:
            s.send_signal(signal.SIGTERM)
            s.wait(30)
    statuses = sorted(status for status, _ in answers)
    accepted = [body for status, body in answers if status == 201]
    assert len(answers) == 12 and set(statuses) <= {201, 409}, statuses
    refused = [body["error"]["reason"] for status, body in answers if status == 409]
    assert set(refused) <= {"not_routable", "full"}, refused
    assert 0 < len(accepted) <= VAN_PARCELS, f"{len(accepted)} stops accepted for a van of {VAN_PARCELS} parcels"
    assert len(accepted) + len(refused) == 12

    # Every confirmed booking, required: one plan serves them all with the one van.
    from scenarios.dispatch.dayorders import booked_orders
    from scenarios.planning import plan_day

    scenario = load_scenario(str(scenario_dir))
    with db.session() as s:
        confirmed = s.scalars(select(Booking).where(Booking.date == DATE, Booking.status == "confirmed")).all()
        assert {b.id for b in confirmed} == {body["id"] for body in accepted}
    orders = booked_orders(db, scenario, DATE)
    plan = plan_day(scenario, orders, date=DATE, time_limit_s=2, engine="ortools", insertion_start=True)
    assert plan.scorecard.orders_served == len(accepted), "every accepted booking fits the routes"
