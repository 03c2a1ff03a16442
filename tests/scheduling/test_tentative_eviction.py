"""Bounded memory: a process drops the tentative routes of past dates and of dates unused for a
while, and builds them again from the store when asked; a booking on a dropped or rebuilt day
still sees every committed booking."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduling.booking_setup import BookingError
from tests.scheduling.booking_world import DELIVERY, make_world, request

NEXT = DELIVERY + dt.timedelta(days=1)


class Ticks:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def _world(database_url, gothenburg, today: dt.date, **kw):
    w = make_world(database_url, gothenburg, **kw)
    ticks = Ticks()
    w.plans.clock, w.plans.idle_evict_s = ticks, 600.0
    w.plans.today = lambda: w.today.isoformat()
    w.today = today
    return w, ticks


def test_past_dates_are_dropped_and_the_days_to_come_stay(database_url, gothenburg):
    w, _ticks = _world(database_url, gothenburg, DELIVERY - dt.timedelta(days=1))
    w.service.book(w.shop, request(date=DELIVERY))
    w.service.book(w.shop, request(date=NEXT, customer="c2"))
    assert w.plans.cached_dates() == [DELIVERY.isoformat(), NEXT.isoformat()]
    w.today = NEXT
    assert w.plans.evict() == [DELIVERY.isoformat()]
    assert w.plans.cached_dates() == [NEXT.isoformat()]


def test_a_date_unused_for_a_while_is_dropped_and_rebuilt_with_its_bookings(database_url, gothenburg):
    w, ticks = _world(database_url, gothenburg, DELIVERY - dt.timedelta(days=1), vans=1, van_capacity=2)
    w.service.book(w.shop, request(date=DELIVERY))
    ticks.t += 601
    w.plans.day(NEXT.isoformat())  # any use sweeps
    assert w.plans.cached_dates() == [NEXT.isoformat()]
    rebuilt = w.plans.day(DELIVERY.isoformat())
    assert rebuilt.summary()["bookings"] == 1, "rebuilt from the store"
    w.service.book(w.shop, request(date=DELIVERY, customer="c2"))
    with pytest.raises(BookingError) as full:  # the van of 2 parcels is full: the rebuilt day knows both bookings
        w.service.book(w.shop, request(date=DELIVERY, customer="c3"))
    assert full.value.reason == "not_routable"


def test_a_booking_on_routes_dropped_under_it_still_counts_every_committed_stop(database_url, gothenburg):
    w, _ticks = _world(database_url, gothenburg, DELIVERY - dt.timedelta(days=1), vans=1, van_capacity=2)
    stale = w.plans.day(DELIVERY.isoformat())
    w.service.book(w.shop, request(date=DELIVERY))
    w.service.book(w.shop, request(date=DELIVERY, customer="c2"))
    w.plans.forget(DELIVERY.isoformat())
    # A request that got the old object just before it was dropped: its lock-time sync catches up.
    w.plans._days[DELIVERY.isoformat()] = type(stale)(DELIVERY.isoformat(), w.plans.area, w.plans.depot_nodes, w.plans.specs,
                                                      cost_scale=w.plans.cost_scale)
    with pytest.raises(BookingError) as full:
        w.service.book(w.shop, request(date=DELIVERY, customer="c3"))
    assert full.value.reason == "not_routable"
