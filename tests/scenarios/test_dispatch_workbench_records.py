"""A saved plan keeps its orders as records: several windows and soft windows come back as they were."""

import json

from optimizer.domain import Order, TimeWindow, parse_windows
from scenarios.dispatch.workbench import order_from_record, order_record

H = 3600


def test_an_order_with_several_windows_and_a_soft_window_survives_its_stored_record():
    wins = parse_windows("08:00-10:00|17:00-19:00")
    order = Order("w1", 57.7, 11.9, TimeWindow(8 * H, 19 * H), windows=wins, max_late_s=900, late_cost_per_min=2.5)
    again = order_from_record(json.loads(json.dumps(order_record(order))))  # as the store keeps it
    assert again == order
    plain = Order("p1", 57.7, 11.9, TimeWindow(8 * H, 10 * H))
    assert order_from_record(json.loads(json.dumps(order_record(plain)))) == plain
