"""Returns in a day plan: collected at the address (or a pickup point) and brought back; a van
leaves with its deliveries only and is fullest where it has collected the most."""

from optimizer.checker import check_solution
from optimizer.dayplan import build_day_model, consolidate_stops, explain_unserved, plan_from_solution, schedule_route
from optimizer.domain import Depot, Order, TimeWindow, UnservedReason, Vehicle
from optimizer.engine.portfolio import solve
from optimizer.scorecard import build_scorecard
from tests.optimizer.test_dayplan import line_matrices

H = 3600
DEPOT = Depot("d", "Depot", 57.7, 11.9)


def parcel(oid, kind="delivery", parcels=5, point=None, kg=0.0):
    return Order(id=oid, lat=57.7, lon=11.9, window=TimeWindow(8 * H, 16 * H), parcels=parcels, service_s=120,
                 pickup_point_id=point, kind=kind, weight_kg=kg)


def van(vid="van-1", capacity=10, kg=None):
    return Vehicle(id=vid, depot_id="d", capacity=capacity, shift=TimeWindow(8 * H, 18 * H), weight_capacity_kg=kg)


def day(orders, vehicles):
    stops = consolidate_stops(orders, max_parcels=10)
    dur, dist = line_matrices(len(stops) + 1, step_s=300, step_m=1000)
    return build_day_model(orders, stops, vehicles, [DEPOT], dur, dist)


# Along a line from the depot: return R1, delivery D1, return R2, delivery D2 (5 parcels each).
LINE = [parcel("R1", "return"), parcel("D1"), parcel("R2", "return"), parcel("D2")]


def test_returns_at_a_pickup_point_are_a_stop_of_their_own():
    stops = consolidate_stops([parcel("a", point="P1", parcels=1), parcel("b", "return", point="P1", parcels=2),
                               parcel("c", point="P1", parcels=1)], max_parcels=10)
    by_kind = {s.kind: s for s in stops}
    assert by_kind["delivery"].order_ids == ("a", "c") and by_kind["return"].order_ids == ("b",)
    assert by_kind["return"].parcels == 2


def test_a_route_leaves_with_its_deliveries_and_comes_back_with_its_returns():
    model = day(LINE, [van()])
    assert list(model.problem.collects) == [False, True, False, True, False]
    route = schedule_route(model, 0, [2, 4, 3, 1])  # D1, D2, then R2, R1 on the way back
    assert (route.load, route.collected) == (10, 10)
    assert [v.load_after for v in route.visits] == [5, 0, 5, 10]
    assert [v.kind for v in route.visits] == ["delivery", "delivery", "return", "return"]


def test_one_van_of_ten_serves_twenty_parcels_when_ten_are_returns():
    model = day(LINE, [van(), van("van-2")])
    sol = solve(model.problem, 2.0, seed=1)
    assert check_solution(model.problem, sol).feasible and not sol.dropped
    plan = plan_from_solution(model, sol, date="2026-11-24")
    assert len(plan.routes) == 1  # a second van would cost its fixed cost for nothing
    card = build_scorecard(plan, LINE, [van(), van("van-2")])
    assert (card.orders_served, card.returns_collected, card.parcels_collected) == (4, 2, 10)
    assert max(v.load_after for v in plan.routes[0].visits) <= 10


def test_a_return_heavier_than_any_vehicle_is_unserved_as_too_heavy():
    model = day([parcel("sofa", "return", parcels=1, kg=900)], [van(kg=750)])
    reason, detail = explain_unserved(model, model.stops[0])
    assert reason is UnservedReason.TOO_HEAVY and detail == "900 kg, the largest vehicle carries 750 kg"
