"""A Gothenburg day with pickup-and-delivery orders: a shop's parcels are picked up on the route in
the shop's window and delivered to the customer in the slot, by the same van, pickup first; the
van's load holds along the route, the driver sheet says where to pick up, the scorecard counts
each order once, and the independent plan-file checker replays it all."""

import csv
import dataclasses
import datetime as dt
import json

import pytest

from optimizer.domain import TimeWindow, UnservedReason
from scenarios.dayorders import generate_day
from scenarios.export import DRIVER_SHEET_COLUMNS, write_plan_files
from scenarios.planning import plan_day
from scenarios.scenario import load_scenario
from tests.scenarios.plan_checker import check_plan_file
from tests.scenarios.test_scenario import copy_scenario, without_bikes

DAY = dt.date(2026, 11, 24)
H = 3600


def homes(scenario, n):
    return [dataclasses.replace(o, parcels=1, weight_kg=0.0, volume_l=0.0)
            for o in generate_day(scenario, DAY, n_orders=4 * n) if o.pickup_point_id is None][:n]


def job(order, shop, *, pickup=(14 * H, 15 * H), slot=(16 * H, 18 * H), parcels=1):
    """``order``'s customer gets parcels picked up at ``shop``'s address."""
    return dataclasses.replace(order, kind="pickup_delivery", pickup_lat=shop.lat, pickup_lon=shop.lon,
                               pickup_address=f"shop at {shop.address or shop.id}", pickup_window=TimeWindow(*pickup),
                               window=TimeWindow(*slot), parcels=parcels)


@pytest.fixture(scope="module")
def shop_day(gothenburg):
    scenario = load_scenario("gothenburg")
    some = homes(scenario, 24)
    jobs = [job(o, shop) for o, shop in zip(some[3:6], some[:3])]
    orders = some[6:] + jobs
    return plan_day(scenario, orders, date=DAY.isoformat(), time_limit_s=3, engine="auto", network=gothenburg), jobs


def test_each_job_is_picked_up_in_the_shops_window_before_the_same_van_delivers_it(shop_day):
    day, jobs = shop_day
    assert not day.plan.unserved, [(u.order_id, u.reason) for u in day.plan.unserved]
    for o in jobs:
        route = next(r for r in day.plan.routes if any(o.id in v.order_ids for v in r.visits))
        kinds = [(v.kind, k) for k, v in enumerate(route.visits) if o.id in v.order_ids]
        (pickup_kind, at), (delivery_kind, to) = kinds
        assert (pickup_kind, delivery_kind) == ("pickup", "delivery") and at < to
        picked, handed = route.visits[at], route.visits[to]
        assert 14 * H <= picked.start <= 15 * H and 16 * H <= handed.start <= 18 * H
        assert (picked.lat, picked.lon) == (o.pickup_lat, o.pickup_lon)
        assert handed.load_after == route.visits[to - 1].load_after - 1  # it came aboard at the shop
    card = day.scorecard
    assert card.pair_orders == 3 and card.orders_served == card.orders_total == 21  # each order once


def test_the_plan_file_replays_and_the_driver_sheet_says_pick_up(shop_day, gothenburg, tmp_path):
    day, jobs = shop_day
    paths = write_plan_files(day, gothenburg, tmp_path)
    plan = json.loads(paths["plan"].read_text())
    assert check_plan_file(plan, gothenburg) == []
    rows = [dict(zip(DRIVER_SHEET_COLUMNS, row)) for row in
            list(csv.reader(paths["driver_sheet"].read_text().splitlines()))[1:]]
    assert sorted(r["order_ids"] for r in rows if r["task"] == "pick up") == sorted(o.id for o in jobs)
    # a delivery moved before its pickup is caught
    route = next(r for r in plan["routes"] if any(s["kind"] == "pickup" for s in r["stops"]))
    k = next(i for i, s in enumerate(route["stops"]) if s["kind"] == "pickup")
    oid = route["stops"][k]["order_ids"][0]
    route["stops"] = [s for s in route["stops"] if s["kind"] != "pickup" or oid not in s["order_ids"]]
    assert any(f"order {oid} delivered before (or without) its pickup" in p for p in check_plan_file(plan, gothenburg))


def test_a_job_fits_the_van_only_because_the_morning_parcels_are_off_it_by_then(tmp_path, gothenburg):
    def one_van(text):
        return without_bikes(text).replace("count: 8\n", "count: 1\n").replace(
            "capacity: 80            # parcels\n", "capacity: 10\n")

    scenario = load_scenario(copy_scenario(tmp_path, one_van))
    some = homes(scenario, 10)
    morning = [dataclasses.replace(o, window=TimeWindow(8 * H, 12 * H)) for o in some[1:9]]
    sofa = job(some[9], some[0], pickup=(13 * H, 14 * H), slot=(14 * H, 17 * H), parcels=6)
    day = plan_day(scenario, morning + [sofa], date=DAY.isoformat(), time_limit_s=3, engine="auto", network=gothenburg)
    assert not day.plan.unserved and not day.plan.carrier_orders  # 8 + 6 > 10, but never at once
    (route,) = [r for r in day.plan.routes if r.visits]
    assert route.load == 8 and max([route.load] + [v.load_after for v in route.visits]) <= 10
    (picked,) = [v for v in route.visits if v.kind == "pickup"]
    assert picked.load_after == 6  # the eight morning parcels are delivered by then
    plan = json.loads(write_plan_files(day, gothenburg, tmp_path)["plan"].read_text())
    assert check_plan_file(plan, gothenburg) == []


def test_a_job_no_van_can_pick_up_and_deliver_in_time_is_reported_with_its_reason(gothenburg):
    scenario = load_scenario("gothenburg")
    some = homes(scenario, 40)
    pool = some[5:]
    shop, customer = max(((a, b) for a in pool for b in pool),
                         key=lambda ab: (ab[0].lat - ab[1].lat) ** 2 + ((ab[0].lon - ab[1].lon) * 0.53) ** 2)
    # picked up from 17:00 across the city, due by 17:05
    rushed = job(customer, shop, pickup=(17 * H, 17 * H + 600), slot=(16 * H, 17 * H + 300))
    day = plan_day(scenario, some[:5] + [rushed], date=DAY.isoformat(), time_limit_s=2, engine="ortools",
                   network=gothenburg)
    (u,) = day.plan.unserved
    assert u.order_id == rushed.id and u.reason is UnservedReason.PAIR_UNREACHABLE
    assert "17:00-17:10" in u.detail and "16:00-17:05" in u.detail
