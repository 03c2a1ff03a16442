"""The day model: how orders become stops and how a route's times are re-simulated."""

import numpy as np
import pytest

from optimizer.dayplan import (
    build_day_model,
    consolidate_stops,
    explain_unserved,
    plan_from_solution,
    schedule_route,
)
from optimizer.domain import Depot, Order, TimeWindow, UnservedReason, Vehicle, parse_hhmm
from optimizer.problem import RoutingSolution

H = 3600


def order(oid, window=(8, 10), parcels=1, point=None, tier="ordinary", service=180):
    return Order(
        id=oid,
        lat=57.7,
        lon=11.9,
        window=TimeWindow(window[0] * H, window[1] * H),
        parcels=parcels,
        service_s=service,
        pickup_point_id=point,
        tier=tier,
    )


def van(vid="van-1", capacity=10, shift=(8, 20)):
    return Vehicle(id=vid, depot_id="d", capacity=capacity, shift=TimeWindow(shift[0] * H, shift[1] * H))


DEPOT = Depot("d", "Depot", 57.7, 11.9)


def line_matrices(n, step_s=600, step_m=5000):
    """Nodes on a line, ``step_s`` seconds and ``step_m`` metres apart."""
    idx = np.arange(n)
    gap = np.abs(idx[:, None] - idx[None, :])
    return gap * step_s, gap * step_m


class TestConsolidateStops:
    def test_each_home_order_is_its_own_stop(self):
        stops = consolidate_stops([order("a"), order("b")], max_parcels=10)
        assert [s.order_ids for s in stops] == [("a",), ("b",)]

    def test_orders_for_one_pickup_point_share_a_stop_with_the_window_intersection(self):
        stops = consolidate_stops(
            [order("a", (8, 12), point="pp1"), order("b", (9, 13), point="pp1", parcels=2)], max_parcels=10
        )
        assert len(stops) == 1
        assert set(stops[0].order_ids) == {"a", "b"}
        assert stops[0].window == TimeWindow(9 * H, 12 * H)
        assert stops[0].parcels == 3

    def test_pickup_orders_with_disjoint_windows_get_separate_stops(self):
        stops = consolidate_stops(
            [order("a", (8, 10), point="pp1"), order("b", (12, 14), point="pp1")], max_parcels=10
        )
        assert sorted(s.order_ids for s in stops) == [("a",), ("b",)]

    def test_pickup_slots_that_only_touch_get_separate_stops(self):
        stops = consolidate_stops(
            [order("a", (8, 12), point="pp1"), order("b", (12, 16), point="pp1")], max_parcels=10
        )
        assert sorted(s.order_ids for s in stops) == [("a",), ("b",)]
        assert sorted((s.window.start, s.window.end) for s in stops) == [(8 * H, 12 * H), (12 * H, 16 * H)]

    def test_a_pickup_stop_never_holds_more_than_a_van_carries(self):
        orders = [order(f"o{i}", (8, 12), point="pp1", parcels=4) for i in range(5)]
        stops = consolidate_stops(orders, max_parcels=10)
        assert all(s.parcels <= 10 for s in stops)
        assert sum(len(s.order_ids) for s in stops) == 5

    def test_pickup_stop_takes_the_highest_tier_of_its_orders(self):
        stops = consolidate_stops(
            [order("a", point="pp1"), order("b", point="pp1", tier="gold")],
            max_parcels=10,
            tier_rank={"ordinary": 0, "gold": 2},
        )
        assert stops[0].priority == 2


class TestScheduleRoute:
    def test_times_follow_the_matrix_and_service(self):
        orders = [order("a", (8, 20)), order("b", (8, 20))]
        stops = consolidate_stops(orders, max_parcels=10)
        dur, dist = line_matrices(3)
        model = build_day_model(orders, stops, [van()], [DEPOT], dur, dist)
        route = schedule_route(model, 0, [1, 2])
        a, b = route.visits
        assert a.arrival == route.start + 600
        assert b.arrival == a.departure + 600
        assert a.departure == a.start + 180
        assert route.end == b.departure + 1200
        assert route.distance_m == 5000 + 5000 + 10000
        assert route.load == 2 and b.load_after == 0

    def test_van_leaves_late_instead_of_waiting_at_the_first_stop(self):
        orders = [order("a", (12, 14))]
        stops = consolidate_stops(orders, max_parcels=10)
        dur, dist = line_matrices(2)
        model = build_day_model(orders, stops, [van()], [DEPOT], dur, dist)
        route = schedule_route(model, 0, [1])
        assert route.visits[0].arrival == 12 * H
        assert route.start == 12 * H - 600


class TestExplainUnserved:
    def build(self, orders, vehicles, step_s=600):
        stops = consolidate_stops(orders, max_parcels=max(v.capacity for v in vehicles))
        dur, dist = line_matrices(len(stops) + 1, step_s=step_s)
        return build_day_model(orders, stops, vehicles, [DEPOT], dur, dist)

    def test_too_many_parcels_is_capacity(self):
        model = self.build([order("a", parcels=50)], [van(capacity=10)])
        reason, detail = explain_unserved(model, model.stops[0])
        assert reason is UnservedReason.CAPACITY
        assert "50 parcels" in detail

    def test_window_closing_before_any_van_arrives_is_unreachable(self):
        model = self.build([order("a", (8, 9))], [van()], step_s=2 * H)
        reason, _ = explain_unserved(model, model.stops[0])
        assert reason is UnservedReason.WINDOW_UNREACHABLE

    def test_window_before_every_shift_is_outside_shift(self):
        model = self.build([order("a", (5, 7))], [van(shift=(8, 20))])
        reason, detail = explain_unserved(model, model.stops[0])
        assert reason is UnservedReason.OUTSIDE_SHIFT
        assert "08:00-20:00" in detail

    def test_reachable_stop_left_out_means_the_fleet_was_full(self):
        model = self.build([order("a", (8, 20))], [van()])
        reason, _ = explain_unserved(model, model.stops[0])
        assert reason is UnservedReason.FLEET_FULL


def test_plan_from_solution_lists_every_order_of_a_dropped_pickup_stop():
    orders = [order("a", point="pp1"), order("b", point="pp1"), order("c")]
    stops = consolidate_stops(orders, max_parcels=10)
    dur, dist = line_matrices(len(stops) + 1)
    model = build_day_model(orders, stops, [van()], [DEPOT], dur, dist)
    pickup_node = next(model.stop_node(k) for k, s in enumerate(stops) if s.pickup_point_id)
    home_node = next(model.stop_node(k) for k, s in enumerate(stops) if not s.pickup_point_id)
    plan = plan_from_solution(
        model,
        RoutingSolution(routes=[[home_node]], dropped=[pickup_node], objective=model.cost_scale.units(1234), engine="test", wall_s=0.1),
        date="2026-11-24",
    )
    assert {u.order_id for u in plan.unserved} == {"a", "b"}
    assert plan.served_order_ids() == {"c"}
    assert plan.objective == pytest.approx(1234)


def test_drop_penalty_grows_with_tier_and_with_orders_at_a_stop():
    orders = [order("a"), order("b", tier="platinum"), order("p1", point="pp"), order("p2", point="pp")]
    stops = consolidate_stops(orders, max_parcels=10)
    dur, dist = line_matrices(len(stops) + 1)
    model = build_day_model(orders, stops, [van()], [DEPOT], dur, dist, drop_penalty={"ordinary": 100, "platinum": 1000})
    pen = {s.id: model.problem.penalty[model.stop_node(k)] for k, s in enumerate(stops)}
    assert pen["b"] == 10 * pen["a"]
    assert pen["pp#1"] == 2 * pen["a"]


def test_locks_become_allowed_vehicles_and_unknown_locks_are_refused():
    orders = [order("a"), order("b")]
    stops = consolidate_stops(orders, max_parcels=10)
    dur, dist = line_matrices(3)
    model = build_day_model(orders, stops, [van("v1"), van("v2")], [DEPOT], dur, dist, locks={"b": "v2"})
    assert model.problem.allowed_vehicles == {2: [1]}
    with pytest.raises(ValueError, match="vehicle 'v9'"):
        build_day_model(orders, stops, [van("v1")], [DEPOT], dur, dist, locks={"a": "v9"})


def test_vehicle_costs_become_integer_cost_units_of_the_model_scale():
    orders = [order("a")]
    stops = consolidate_stops(orders, max_parcels=10)
    dur, dist = line_matrices(2)
    v = Vehicle("v", "d", 10, TimeWindow(parse_hhmm("08:00"), parse_hhmm("20:00")), cost_per_km=4.0, cost_per_hour=360.0, fixed_cost=600.0)
    model = build_day_model(orders, stops, [v], [DEPOT], dur, dist)
    spec = model.problem.vehicles[0]
    assert model.cost_scale.units_per_currency == 10**6  # 4 SEK/km = 0.004 per metre -> 4000 units
    assert model.problem.cost_scale == model.cost_scale
    assert (spec.cost_per_m, spec.cost_per_s, spec.fixed_cost) == (4000, 100_000, 600_000_000)


def test_cents_per_km_are_not_rounded_away():
    orders = [order("a")]
    stops = consolidate_stops(orders, max_parcels=10)
    dur, dist = line_matrices(2)
    v = Vehicle("v", "d", 10, TimeWindow(8 * H, 20 * H), cost_per_km=0.35, cost_per_hour=32.0, fixed_cost=60.0)
    model = build_day_model(orders, stops, [v], [DEPOT], dur, dist, drop_penalty={"ordinary": 200.0})
    spec, scale = model.problem.vehicles[0], model.cost_scale
    assert spec.cost_per_m == scale.units(0.35 / 1000) > 0
    assert scale.currency(spec.cost_per_m) * 1000 == pytest.approx(0.35, rel=5e-4)
    assert scale.currency(spec.cost_per_s) * 3600 == pytest.approx(32.0, rel=5e-4)
    assert scale.currency(spec.fixed_cost) == pytest.approx(60.0, rel=5e-4)
    assert scale.currency(model.problem.penalty[model.stop_node(0)]) == pytest.approx(200.0, rel=5e-4)


def test_prices_no_integer_scale_can_hold_are_refused_naming_them():
    orders = [order("a")]
    stops = consolidate_stops(orders, max_parcels=10)
    dur, dist = line_matrices(2)
    v = Vehicle("v", "d", 10, TimeWindow(8 * H, 20 * H), cost_per_km=1e-9, cost_per_hour=32.0, fixed_cost=60.0)
    with pytest.raises(ValueError, match=r"vehicle v cost_per_km .*raise vehicle v cost_per_km .*or lower drop_penalty of tier ordinary"):
        build_day_model(orders, stops, [v], [DEPOT], dur, dist, drop_penalty={"ordinary": 1e9})


def cargo(oid, kg=0.0, litres=0.0, skills=(), window=(8, 12)):
    return Order(id=oid, lat=57.7, lon=11.9, window=TimeWindow(window[0] * H, window[1] * H),
                 weight_kg=kg, volume_l=litres, skills=tuple(skills))


def skilled_van(vid, skills=(), kg=None, litres=None, capacity=10):
    return Vehicle(id=vid, depot_id="d", capacity=capacity, shift=TimeWindow(8 * H, 20 * H),
                   weight_capacity_kg=kg, volume_capacity_l=litres, skills=tuple(skills))


def day(orders, vehicles, **kw):
    stops = consolidate_stops(orders, max_parcels=10)
    dur, dist = line_matrices(len(stops) + 1)
    return build_day_model(orders, stops, vehicles, [DEPOT], dur, dist, **kw)


class TestLoadQuantities:
    def test_weight_and_volume_become_quantities_in_grams_and_millilitres(self):
        model = day([cargo("a", kg=12.5, litres=80), cargo("b", kg=0.0004)],
                    [skilled_van("v1", kg=750, litres=4000), skilled_van("v2")])
        weight, volume = model.problem.quantities
        assert (weight.name, weight.unit, list(weight.demand)) == ("weight", "kg", [0, 12_500, 1])  # rounded up
        assert list(volume.demand) == [0, 80_000, 0]
        assert [v.capacities for v in model.problem.vehicles] == [(750_000, 4_000_000), (None, None)]
        assert model.problem.capacity(1, 0) == 12_501  # unlimited: the day's total, never an overflow

    def test_a_day_without_weights_or_without_limits_has_no_extra_quantities(self):
        assert day([cargo("a")], [skilled_van("v1", kg=750)]).problem.quantities == []
        assert day([cargo("a", kg=30)], [skilled_van("v1")]).problem.quantities == []

    def test_an_order_heavier_than_every_vehicle_is_unserved_as_too_heavy(self):
        model = day([cargo("sofa", kg=900)], [skilled_van("v1", kg=750), skilled_van("v2", kg=600)])
        reason, detail = explain_unserved(model, model.stops[0])
        assert reason is UnservedReason.TOO_HEAVY
        assert detail == "900 kg, the largest vehicle carries 750 kg"

    def test_an_order_bulkier_than_every_vehicle_is_unserved_as_too_bulky(self):
        model = day([cargo("wardrobe", litres=5000)], [skilled_van("v1", litres=4000)])
        reason, detail = explain_unserved(model, model.stops[0])
        assert reason is UnservedReason.TOO_BULKY
        assert "5000 l" in detail and "4000 l" in detail

    def test_routes_and_visits_carry_their_weight_and_volume(self):
        model = day([cargo("a", kg=10, litres=30), cargo("b", kg=5)], [skilled_van("v1", kg=750)])
        route = schedule_route(model, 0, [1, 2])
        assert (route.weight_kg, route.volume_l) == (15, 30)
        assert [v.weight_kg for v in route.visits] == [10, 5]


class TestSkills:
    def test_a_stop_needing_a_skill_may_only_be_served_by_vehicles_with_it(self):
        model = day([cargo("milk", skills=["cold_chain"]), cargo("book")],
                    [skilled_van("v1"), skilled_van("cold", skills=["cold_chain", "two_person"])])
        assert model.problem.allowed_vehicles == {1: [1]}

    def test_skills_intersect_with_a_lock(self):
        vans = [skilled_van("v1", skills=["two_person"]), skilled_van("v2", skills=["two_person"]), skilled_van("v3")]
        model = day([cargo("sofa", skills=["two_person"]), cargo("fridge", skills=["two_person"])], vans,
                    locks={"sofa": "v2", "fridge": "v3"})
        assert model.problem.allowed_vehicles == {1: [1], 2: []}
        reason, detail = explain_unserved(model, model.stops[1])
        assert reason is UnservedReason.LOCKED_CONFLICT and "lacks two_person" in detail

    def test_an_order_needing_a_skill_nobody_has_is_unserved_naming_the_skill(self):
        model = day([cargo("oven", skills=["installation", "two_person"])], [skilled_van("v1", skills=["two_person"])])
        assert model.problem.allowed_vehicles == {1: []}
        plan = plan_from_solution(model, RoutingSolution([[]], [1], 0, "test", 0.0), date="2026-11-24")
        (unserved,) = plan.unserved
        assert unserved.reason is UnservedReason.SKILL_MISSING
        assert "installation" in unserved.detail and "two_person" not in unserved.detail

    def test_capacity_reasons_look_only_at_vehicles_with_the_skills(self):
        vans = [skilled_van("big", kg=2000), skilled_van("cold", skills=["cold_chain"], kg=500)]
        model = day([cargo("freezer", kg=800, skills=["cold_chain"])], vans)
        reason, detail = explain_unserved(model, model.stops[0])
        assert reason is UnservedReason.TOO_HEAVY
        assert detail == "800 kg, the largest vehicle with cold_chain carries 500 kg"


def test_a_pickup_stop_never_weighs_more_than_a_van_carries():
    orders = [Order(f"o{i}", 57.7, 11.9, TimeWindow(8 * H, 12 * H), pickup_point_id="pp1", weight_kg=300) for i in range(5)]
    stops = consolidate_stops(orders, max_parcels=10, max_weight_kg=750)
    assert [s.weight_kg for s in stops] == [600, 600, 300]


# Several and soft windows ----------------------------------------------------------------------

from optimizer.dayplan import order_lateness  # noqa: E402
from optimizer.domain import parse_windows  # noqa: E402

M = 60


def two_window_order(oid="home", text="08:00-08:30|17:00-19:00"):
    wins = parse_windows(text)
    return Order(id=oid, lat=57.7, lon=11.9, window=TimeWindow(wins[0].start, wins[-1].end), windows=wins)


class TestSeveralAndSoftWindows:
    def test_a_home_orders_windows_become_its_stops_and_the_problems(self):
        model = day([two_window_order(), cargo("other")], [skilled_van("v1")])
        assert model.stops[0].windows == parse_windows("08:00-08:30|17:00-19:00")
        assert model.problem.windows == {1: [(8 * H, 8 * H + 30 * M), (17 * H, 19 * H)]}
        assert (model.problem.tw_start[1], model.problem.tw_end[1]) == (8 * H, 19 * H)  # the hull
        assert model.problem.late_allowed is None  # no soft window today: the model as before

    def test_the_plan_serves_a_stop_in_the_window_it_can_reach_and_says_which(self):
        first = Order("first", 57.7, 11.9, TimeWindow(8 * H, 12 * H), service_s=15 * M)
        model = day([first, two_window_order()], [skilled_van("v1")])
        # 10 min out, 15 min there, 10 min on: the van reaches the second stop at 08:35, after its
        # morning window; it waits for the evening one.
        route = schedule_route(model, 0, [1, 2])
        late_one = route.visits[1]
        assert late_one.start == 17 * H and str(late_one.window_used) == "17:00-19:00"
        assert late_one.windows == parse_windows("08:00-08:30|17:00-19:00")
        assert route.visits[0].window_used == TimeWindow(8 * H, 12 * H)

    def test_an_orders_own_lateness_wins_over_its_tiers_and_zero_is_a_hard_window(self):
        tiers = {"ordinary": (10 * M, 1.0), "gold": (0, 0.0)}
        assert order_lateness(cargo("a"), tiers) == (600, 1.0)
        assert order_lateness(Order("b", 57.7, 11.9, TimeWindow(8 * H, 9 * H), max_late_s=300, late_cost_per_min=4.0),
                              tiers) == (300, 4.0)
        assert order_lateness(Order("c", 57.7, 11.9, TimeWindow(8 * H, 9 * H), tier="gold"), tiers) == (0, 0.0)
        assert order_lateness(Order("d", 57.7, 11.9, TimeWindow(8 * H, 9 * H), max_late_s=0), tiers) == (0, 0.0)

    def test_a_soft_window_becomes_allowed_seconds_and_a_cost_per_second_in_the_models_units(self):
        orders = [Order("late-ok", 57.7, 11.9, TimeWindow(8 * H, 9 * H), max_late_s=15 * M, late_cost_per_min=3.0)]
        model = day(orders, [skilled_van("v1")])
        assert list(model.problem.late_allowed) == [0, 900]
        assert model.problem.late_cost[1] == model.cost_scale.units(3.0 / 60)

    def test_a_stop_served_late_within_its_allowance_shows_its_minutes_and_cost(self):
        orders = [Order("late-ok", 57.7, 11.9, TimeWindow(8 * H, 8 * H + 5 * M), max_late_s=15 * M,
                        late_cost_per_min=3.0)]
        model = day(orders, [skilled_van("v1")])  # 10 min drive: 5 min late
        (visit,) = schedule_route(model, 0, [1]).visits
        assert visit.start == 8 * H + 10 * M and visit.late_s == 5 * M and visit.late_cost == 15.0
        assert visit.window_used == TimeWindow(8 * H, 8 * H + 5 * M)

    def test_a_pickup_stop_is_as_late_as_its_least_tolerant_order_allows_at_their_summed_cost(self):
        orders = [Order(f"p{k}", 57.7, 11.9, TimeWindow(8 * H, 12 * H), pickup_point_id="pp", max_late_s=s,
                        late_cost_per_min=c) for k, (s, c) in enumerate([(600, 1.0), (300, 2.0)])]
        (stop,) = consolidate_stops(orders, max_parcels=10)
        assert (stop.max_late_s, stop.late_cost_per_min) == (300, 3.0)

    def test_a_stop_whose_windows_all_close_before_any_van_arrives_is_unreachable_naming_them(self):
        wins = parse_windows("07:00-07:05|08:00-08:05")
        far = Order("far", 57.7, 11.9, TimeWindow(wins[0].start, wins[-1].end), windows=wins)
        model = day([far], [skilled_van("v1")])
        model.problem.duration[0, 1] = 20 * M
        reason, detail = explain_unserved(model, model.stops[0])
        assert reason is UnservedReason.WINDOW_UNREACHABLE
        assert detail == "slot 07:00-07:05|08:00-08:05 closes before the earliest possible arrival 08:20"
