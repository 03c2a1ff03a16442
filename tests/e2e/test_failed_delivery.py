"""End to end over HTTP: a booked day is driven by simulation, nobody is home at some doors; the
shop reads the failed booking, asks for its rebook offer, books the next day with rebook_of,
and relays the customer's feedback, which joins the van and the stop that failed."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from scenarios.execution.simulate import drive
from scheduling.shops import hash_key
from scheduling.storage.models import ApiKey, Booking, Feedback, Shop
from tests.scenarios.driven_support import demo_copy
from webui.app import create_app

DATE = dt.date(2026, 11, 25)
KEY = "lm_test-key-of-nordic-home"


@pytest.fixture(scope="module")
def driven(tmp_path_factory, store_copies):
    out = tmp_path_factory.mktemp("failed")
    bench = demo_copy(store_copies, DATE, out, time_limit_s=1, n_orders=25)  # run_demo, once per session
    report = drive(bench.db, "gothenburg", DATE.isoformat(), seed=4, not_home_share=0.5)
    assert report.failed.get("not_home", 0) > 0
    with bench.db.session() as s:  # the shop's key, known to the test
        shop_id = select(Shop.id).where(Shop.name == "Nordic Home").scalar_subquery()
        s.execute(update(ApiKey).where(ApiKey.shop_id == shop_id).values(key_hash=hash_key(KEY)))
    evening = dt.datetime(2026, 11, 25, 20, 0, tzinfo=dt.timezone.utc)
    app = create_app({"DATABASE_URL": f"sqlite:///{out / 'lastmile.db'}", "TESTING": True, "BOOKING_CLOCK": lambda: evening,
                      "BOOKING_RESOLVE": False, "SOLVER_CLUSTER": "inline"})
    return bench, app.test_client()


def test_a_failed_delivery_is_rebooked_and_its_feedback_joins_the_van_and_stop(driven):
    bench, client = driven
    h = {"X-API-Key": KEY}
    with bench.db.session() as s:
        shop = s.scalar(select(Shop.id).where(Shop.name == "Nordic Home"))
        failed = s.scalars(select(Booking).where(Booking.shop_id == shop, Booking.delivery_status == "failed")).first()
        assert failed is not None
        booking_id, van = failed.id, failed.planned_vehicle_id
    plan = bench.latest_plan(DATE.isoformat())
    order = next(o.id for o in plan.orders() if o.booking_id == booking_id)
    stop = next(st["stop_id"] for st in plan.route(van)["stops"] if order in st["order_ids"])
    seen = client.get(f"/api/v1/bookings/{booking_id}", headers=h).get_json()
    assert seen["delivery_status"] == "failed" and seen["failed_reason"] == "not_home"

    offer = client.get(f"/api/v1/bookings/{booking_id}/rebook-offer", headers=h)
    assert offer.status_code == 200, offer.get_json()
    days = offer.get_json()["days"]
    dates = [d["date"] for d in days]
    assert len(dates) == 3 and dates == sorted(dates) and dates[0] > DATE.isoformat()
    day = days[0]
    slot = next(s for s in day["slots"] if s["available"])
    w = offer.get_json()["book_with"]
    again = client.post("/api/v1/bookings", headers=h, json={"customer_id": w["customer_id"], "date": day["date"],
                                                             "slot": slot["slot"], "lat": w["lat"], "lon": w["lon"],
                                                             "parcels": w["parcels"], "rebook_of": booking_id})
    assert again.status_code == 201, again.get_json()
    assert again.get_json()["rebooked_from"] == booking_id

    fb = client.post(f"/api/v1/bookings/{booking_id}/feedback", headers=h,
                     json={"rating": 2, "categories": ["other"], "comment": "I was home, the bell is broken"})
    assert fb.status_code == 201
    with bench.db.session() as s:
        row = s.get(Feedback, booking_id)
        assert row.vehicle_id == van and row.plan_id == failed.planned_plan_id
        assert row.stop_id == stop
