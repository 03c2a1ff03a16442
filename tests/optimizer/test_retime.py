"""Re-timing a van's remaining stops: the plan's own legs and service times, windows respected."""

from __future__ import annotations

import pytest

from optimizer.retime import PlannedVisit, incoming_legs, ready_at, retime

H, M = 3600, 60
START = 8 * H
# depot 08:00 -> A (10 min drive, 5 min service) -> B (wait for 10:00) -> C
VISITS = [
    PlannedVisit(8 * H + 10 * M, 8 * H + 10 * M, 8 * H + 15 * M, 8 * H, 10 * H),
    PlannedVisit(8 * H + 35 * M, 10 * H, 10 * H + 5 * M, 10 * H, 12 * H),
    PlannedVisit(10 * H + 20 * M, 10 * H + 20 * M, 10 * H + 30 * M, 10 * H, 10 * H + 30 * M),
]


def test_legs_are_arrival_minus_the_previous_departure_and_the_first_from_the_route_start():
    assert incoming_legs(START, VISITS) == [10 * M, 20 * M, 15 * M]


def test_leaving_on_time_reproduces_the_plan():
    live = retime(VISITS, START, ready_s=START, remaining=[0, 1, 2])
    assert [(v.arrival_s, v.start_s, v.departure_s) for v in live] == [(p.arrival_s, p.start_s, p.departure_s) for p in VISITS]


def test_a_late_departure_moves_every_stop_until_a_wait_absorbs_it():
    live = retime(VISITS, START, ready_s=START + 40 * M, remaining=[0, 1, 2])
    assert live[0].start_s == 8 * H + 50 * M and live[0].departure_s == 8 * H + 55 * M
    assert live[1].arrival_s == 9 * H + 15 * M and live[1].start_s == 10 * H  # still waits for the window
    assert live[2].start_s == 10 * H + 20 * M


def test_a_delay_beyond_the_wait_carries_on_to_the_later_stops():
    live = retime(VISITS, START, ready_s=10 * H + 30 * M, remaining=[1, 2])
    assert [v.start_s for v in live] == [10 * H + 50 * M, 11 * H + 10 * M]
    assert VISITS[2].late(live[1].start_s) and not VISITS[1].late(live[0].start_s)


def test_remaining_stops_are_driven_in_the_order_given_each_with_its_own_incoming_leg():
    live = retime(VISITS, START, ready_s=9 * H, remaining=[2, 0])
    assert live[0].index == 2 and live[0].arrival_s == 9 * H + 15 * M and live[0].start_s == 10 * H
    assert live[1].arrival_s == 10 * H + 10 * M + 10 * M and live[1].start_s == 10 * H + 20 * M


def test_a_van_only_arrived_leaves_after_the_planned_service_from_its_service_start():
    assert ready_at(VISITS[0], 8 * H + 30 * M) == 8 * H + 35 * M
    assert ready_at(VISITS[1], 9 * H) == 10 * H + 5 * M  # arrived early: waits for the window, then serves
    assert ready_at(VISITS[0], 8 * H + 30 * M, done_s=8 * H + 50 * M) == 8 * H + 50 * M
    assert ready_at(VISITS[0], 8 * H + 30 * M, last_event_s=8 * H + 40 * M) == 8 * H + 40 * M


def test_a_stop_without_a_window_starts_on_arrival_and_is_never_late():
    v = PlannedVisit(100, 100, 160)
    assert v.service_start(50) == 50 and not v.late(10**6)


@pytest.mark.parametrize("remaining", [[0, 0], [3], [-1]])
def test_remaining_must_name_each_stop_of_the_route_once(remaining):
    with pytest.raises(ValueError, match="remaining"):
        retime(VISITS, START, ready_s=START, remaining=remaining)


def test_a_van_arriving_between_a_stops_two_windows_waits_for_the_next_one():
    v = PlannedVisit(17 * H, 17 * H, 17 * H + 5 * M, 8 * H, 19 * H, windows=((8 * H, 10 * H), (17 * H, 19 * H)))
    assert v.service_start(11 * H) == 17 * H  # in the gap: the customer is out until 17:00
    assert v.service_start(9 * H) == 9 * H
