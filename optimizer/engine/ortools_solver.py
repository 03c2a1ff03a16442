"""OR-Tools routing model of record.

:func:`solve_ortools` builds the full model (multi-depot, one capacity dimension per quantity:
parcels, weight, volume; time windows on the start of service, a stop with several windows as
one node per window in a disjunction of at most one, soft windows as a soft upper bound with a
hard one at the allowed lateness; shifts, release times (a stop's parcels reach the depot late: its vehicle leaves after), drivers' breaks as break intervals of the time dimension (never during a service), the
maximum route duration as a span upper bound and overtime as a soft one, per-vehicle
distance/labour/fixed costs, optional stops, allowed vehicles for locks and skills) and solves it
with guided local search. :func:`evaluate_in_ortools` expresses a route set found by any engine
in that same model, which is what makes OR-Tools the model of record.

All matrices are registered with ``RegisterTransitMatrix``/``RegisterUnaryTransitVector`` so no
Python callback runs per arc during the search.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.util import optional_boolean_pb2

from optimizer.problem import RoutingProblem, RoutingSolution

ENGINE = "ortools"

_FIRST_SOLUTION = routing_enums_pb2.FirstSolutionStrategy
_METAHEURISTIC = routing_enums_pb2.LocalSearchMetaheuristic

def penalty_cap(problem: RoutingProblem) -> int:
    """Largest penalty handed to OR-Tools for one stop: all stops dropped stay within 2**62, so
    with any plan's cost (at most :data:`optimizer.cost_scale.MAX_PLAN_UNITS`) the objective
    fits OR-Tools' int64."""
    return 2**62 // max(1, problem.n)


@dataclass
class OrtoolsModel:
    """A closed-over OR-Tools model plus what is needed to read solutions back."""

    problem: RoutingProblem
    manager: pywrapcp.RoutingIndexManager
    routing: pywrapcp.RoutingModel
    time_dim: pywrapcp.RoutingDimension
    required_penalty: int  # penalty OR-Tools charges for dropping a required stop
    base: list[int]  # OR-Tools node -> problem node (a window copy maps to its stop, a reload to its depot)
    copies: dict[int, list[int]]  # stop with several windows -> its OR-Tools nodes, one per window
    reload_nodes: dict[int, list[int]] | None = None  # vehicle -> its reload OR-Tools nodes (copies of its depot)

    def node_index(self, node: int, window: int = 0) -> int:
        """The routing index of problem node ``node`` served in its ``window``-th window."""
        ids = self.copies.get(node)
        return self.manager.NodeToIndex(ids[min(window, len(ids) - 1)] if ids else node)


def required_drop_penalty(problem: RoutingProblem) -> int:
    """A per-stop penalty larger than any plan cost, so dropping a required stop never pays.

    Upper bound of a plan: every vehicle used (fixed cost), every vehicle busy its whole shift
    (labour), every stop reached over the longest arc at the dearest vehicle's rate, plus all
    optional penalties. Cost units.
    """
    max_arc = problem.longest_arc()
    max_cpm = max((v.cost_per_m for v in problem.vehicles), default=0)
    bound = (problem.n + 2 * len(problem.vehicles)) * max_arc * max_cpm
    bound += sum(v.fixed_cost + v.cost_per_s * max(0, v.shift_end - v.shift_start) for v in problem.vehicles)
    if problem.penalty is not None:
        bound += int(np.clip(problem.penalty, 0, None).sum())
    if problem.late_cost is not None and problem.late_allowed is not None:
        bound += int((np.clip(problem.late_cost, 0, None) * np.clip(problem.late_allowed, 0, None)).sum())
    return int(min(max(10 * bound, 1_000_000), penalty_cap(problem)))


def _horizon(problem: RoutingProblem) -> int:
    ends = [v.shift_end for v in problem.vehicles] + [int(problem.tw_end.max())]
    if problem.late_allowed is not None and problem.n:
        ends.append(int((problem.tw_end + np.clip(problem.late_allowed, 0, None)).max()))
    return int(max(ends))


def window_copies(problem: RoutingProblem) -> tuple[list[int], dict[int, list[int]]]:
    """OR-Tools nodes for ``problem``: every node, plus one copy of a stop per window after its
    first (appended after the problem's nodes). Returns (OR-Tools node -> problem node, stop ->
    its OR-Tools nodes in window order)."""
    base = list(range(problem.n))
    copies: dict[int, list[int]] = {}
    depot_set = set(problem.depots)
    for node, wins in sorted(problem.windows.items()):
        if node in depot_set or len(wins) < 2:
            continue
        ids = [node]
        for _ in wins[1:]:
            ids.append(len(base))
            base.append(node)
        copies[node] = ids
    return base, copies


def reload_copies(problem: RoutingProblem, base: list[int]) -> dict[int, list[int]]:
    """Append to ``base`` one OR-Tools node per reload a vehicle may make, each a copy of its
    depot (same matrices row and column); returns vehicle -> those nodes."""
    out: dict[int, list[int]] = {}
    for v_idx, spec in enumerate(problem.vehicles):
        for _ in range(spec.max_reloads):
            out.setdefault(v_idx, []).append(len(base))
            base.append(spec.depot)
    return out


def build_model(problem: RoutingProblem, *, reload_penalty: int = 0, trip_release: bool = True) -> OrtoolsModel:
    """Build (but do not close) the OR-Tools model for ``problem``.

    A stop with several windows is one OR-Tools node per window, all copies of the stop (same
    matrices row and column, demand, service, locks) in one disjunction of at most one: the stop
    is served in exactly one of its windows or dropped, each copy with a single window on its
    time cumul. (Removing the gaps from one node's cumul domain instead, ``RemoveInterval``, is
    the same model, but OR-Tools then made 2.4-13x fewer improving moves in 20 s on the Gothenburg
    day and its plan was 53-60 % dearer: docs/engine.md.)

    Reloads (multi-trip, ``VehicleSpec.max_reloads``): each vehicle gets that many optional copies
    of its depot, free to leave out and only for it, with its ``reload_s`` as service. Every load
    dimension takes the vehicle's capacity off at a reload and lets the slack there set the next
    trip's load anywhere from zero (slack is zero everywhere else), so capacity holds per trip;
    release times hold per trip through a ``Trip`` dimension (:func:`_add_trip_release`).
    ``reload_penalty`` is what leaving a reload out costs: 0 in the model of record; the first
    solution of :func:`solve_ortools` builds with a large one (see there), and without the
    per-trip release times (``trip_release=False``), whose cross-dimension constraints the
    insertion heuristics can only check by propagation.
    """
    vehicles = problem.vehicles
    if problem.has_reloads() and problem.has_returns():
        raise ValueError("the OR-Tools model holds reloads or returns on a day, not both")
    base, copies = window_copies(problem)
    reload_nodes = reload_copies(problem, base)
    reload_of = {node: v_idx for v_idx, nodes in reload_nodes.items() for node in nodes}
    n = len(base)
    at = np.asarray(base, dtype=np.int64)
    depots = [v.depot for v in vehicles]
    manager = pywrapcp.RoutingIndexManager(n, len(vehicles), depots, depots)
    routing = pywrapcp.RoutingModel(manager)

    # Arc costs: one registered matrix per distinct street profile and cost_per_m.
    arc_cost_index: dict[tuple[str, int], int] = {}
    for v_idx, v in enumerate(vehicles):
        key = (v.profile, v.cost_per_m)
        if key not in arc_cost_index:
            distance = np.asarray(problem.distance_of(v_idx), dtype=np.int64)[np.ix_(at, at)]
            arc_cost_index[key] = routing.RegisterTransitMatrix((distance * v.cost_per_m).tolist())
        routing.SetArcCostEvaluatorOfVehicle(arc_cost_index[key], v_idx)
        routing.SetFixedCostOfVehicle(int(v.fixed_cost), v_idx)

    # Capacity: parcels, then one dimension per further quantity (weight, volume), each with the
    # vehicles' capacities (an unlimited one is the quantity's total demand: RoutingProblem.capacity).
    names = ["Capacity", *(f"Capacity:{q.name}" for q in problem.quantities)]
    caps = [[problem.capacities(v_idx)[k] for v_idx in range(len(vehicles))] for k in range(len(names))]
    for name, amount, dim_caps in zip(names, problem.amounts(), caps):
        if problem.has_returns():
            loaded = np.array([problem.loaded_at_depot(int(node)) for node in base], dtype=bool)
            _add_load_with_returns(routing, manager, problem, np.asarray(amount)[at], np.asarray(problem.collects)[at],
                                   loaded, dim_caps, name)
        elif reload_of:
            # A reload takes the capacity off; its slack (0..capacity) sets the next trip's load.
            change = [int(d) for d in np.asarray(amount)[at]]
            for node, v_idx in reload_of.items():
                change[node] = -int(dim_caps[v_idx])
            index = routing.RegisterUnaryTransitVector(change)
            routing.AddDimensionWithVehicleCapacity(index, max(dim_caps), dim_caps, True, name)
            load = routing.GetDimensionOrDie(name)
            for i in range(routing.Size()):
                if manager.IndexToNode(i) not in reload_of:
                    load.SlackVar(i).SetValue(0)
        else:
            index = routing.RegisterUnaryTransitVector([int(d) for d in np.asarray(amount)[at]])
            routing.AddDimensionWithVehicleCapacity(index, 0, dim_caps, True, name)

    # Time: transit i->j = travel(i, j) + service(i), by each vehicle's street profile; slack = waiting.
    service = np.asarray(problem.service, dtype=np.int64)[at]
    for node, v_idx in reload_of.items():
        service[node] = int(vehicles[v_idx].reload_s)
    time_index: dict[str, int] = {}
    for v_idx, v in enumerate(vehicles):
        if v.profile not in time_index:
            transit = np.asarray(problem.duration_of(v_idx), dtype=np.int64)[np.ix_(at, at)] + service[:, None]
            time_index[v.profile] = routing.RegisterTransitMatrix(transit.tolist())
    horizon = _horizon(problem)
    if len(time_index) == 1:
        routing.AddDimension(next(iter(time_index.values())), horizon, horizon, False, "Time")
    else:
        routing.AddDimensionWithVehicleTransits([time_index[v.profile] for v in vehicles], horizon, horizon, False,
                                                "Time")
    time_dim = routing.GetDimensionOrDie("Time")

    depot_set = set(problem.depots)
    vehicle_depots = set(depots)
    for node in range(problem.n):
        if node in vehicle_depots:
            continue
        if node in depot_set:  # a depot no vehicle starts from: never visit it
            index = manager.NodeToIndex(node)
            routing.AddDisjunction([index], 0)  # without a disjunction the node would be mandatory
            routing.solver().Add(routing.ActiveVar(index) == 0)
            continue
        # Service start: inside the window of each copy (one per window of the stop); the last
        # window may start up to its hard end (its end plus the allowed lateness).
        wins = problem.windows_of(node)
        ids = copies.get(node, [node])
        for k, model_node in enumerate(ids):
            index = manager.NodeToIndex(model_node)
            last = k == len(ids) - 1
            lo, hi = wins[k][0] if len(ids) > 1 else int(problem.tw_start[node]), \
                problem.hard_end(node) if last else wins[k][1]
            lo, hi = max(int(lo), 0), min(int(hi), horizon)
            if lo > hi:  # empty window: this copy can never be served
                routing.solver().Add(routing.ActiveVar(index) == 0)
                continue
            time_dim.CumulVar(index).SetRange(lo, hi)
            # Soft window: each second after the promised end costs late_cost (cost units, the
            # objective's scale); the hard bound above stops it at the allowed lateness.
            if last and problem.allowed_late(node) > 0 and problem.late_cost is not None \
                    and int(problem.late_cost[node]) > 0:
                time_dim.SetCumulVarSoftUpperBound(index, int(problem.tw_end[node]), int(problem.late_cost[node]))

    for v_idx, v in enumerate(vehicles):
        start, end = routing.Start(v_idx), routing.End(v_idx)
        time_dim.CumulVar(start).SetRange(int(v.shift_start), int(v.shift_end))
        time_dim.CumulVar(end).SetRange(int(v.shift_start), int(v.shift_end))
        time_dim.SetSpanCostCoefficientForVehicle(int(v.cost_per_s), v_idx)
        routing.AddVariableMaximizedByFinalizer(time_dim.CumulVar(start))
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(end))
        work = v.work
        if work.max_span is not None:
            time_dim.SetSpanUpperBoundForVehicle(int(work.max_span), v_idx)
        if work.normal_span is not None and work.overtime_cost_per_s > 0:
            time_dim.SetSoftSpanUpperBoundForVehicle(
                pywrapcp.BoundCost(int(work.normal_span), int(work.overtime_cost_per_s)), v_idx)
    for node, v_idx in reload_of.items():  # a reload: optional, only for its vehicle, within its shift
        index = manager.NodeToIndex(node)
        spec = vehicles[v_idx]
        time_dim.CumulVar(index).SetRange(int(spec.shift_start), int(spec.shift_end))
        routing.AddDisjunction([index], int(reload_penalty))
        routing.VehicleVar(index).SetValues([-1, v_idx])
    _add_breaks(routing, manager, time_dim, problem, service)
    if reload_of:
        if trip_release:
            _add_trip_release(routing, manager, time_dim, problem, copies, reload_of)
    else:
        _add_release_times(routing, manager, time_dim, problem, copies)

    # Optional stops; required stops get a prohibitive penalty so a first solution always exists.
    # A stop's window copies share one disjunction: at most one of them is visited.
    required_penalty = required_drop_penalty(problem)
    cap = penalty_cap(problem)
    for node in problem.stop_nodes():
        if node in vehicle_depots:
            continue
        indices = [manager.NodeToIndex(m) for m in copies.get(node, [node])]
        penalty = required_penalty if problem.is_required(node) else int(problem.penalty[node])
        routing.AddDisjunction(indices, min(penalty, cap), 1)

    # Pickup-and-delivery pairs: both ends or neither, on one vehicle, the pickup first. The order
    # is held on a "Rank" dimension (each visit counts one: the cumul is the position on the
    # route, fixed by the path), not on time: with drivers' breaks, "Time(pickup) <= Time(delivery)"
    # made OR-Tools reject a 51-stop route with three pairs that the checker (and OR-Tools without
    # any one of the three) accepts, so PyVRP's plans never reached the polish.
    solver = routing.solver()
    rank = None
    if problem.pairs:
        one = routing.RegisterUnaryTransitVector([1] * manager.GetNumberOfNodes())
        routing.AddDimension(one, 0, routing.Size() + 1, True, "Rank")
        rank = routing.GetDimensionOrDie("Rank")
    for pickup, delivery in sorted(problem.pairs.items()):
        if pickup in copies or delivery in copies:
            raise ValueError(f"pair {pickup}->{delivery}: a pair's ends have one window each")
        p_index, d_index = manager.NodeToIndex(pickup), manager.NodeToIndex(delivery)
        routing.AddPickupAndDelivery(p_index, d_index)
        solver.Add(routing.VehicleVar(p_index) == routing.VehicleVar(d_index))
        solver.Add(rank.CumulVar(p_index) < rank.CumulVar(d_index))

    # Locks and skills (an empty list: no vehicle may serve the stop, so it is dropped).
    for node, allowed in problem.allowed_vehicles.items():
        if node in vehicle_depots:
            continue
        # SetAllowedVehiclesForIndex's absl::Span binding rejects Python lists in 9.15; restricting
        # the vehicle variable is equivalent (-1 keeps the stop droppable through its disjunction).
        for model_node in copies.get(node, [node]):
            routing.VehicleVar(manager.NodeToIndex(model_node)).SetValues([-1] + [int(v) for v in allowed])

    return OrtoolsModel(problem, manager, routing, time_dim, required_penalty, base, copies, reload_nodes)


def _add_load_with_returns(routing, manager, problem: RoutingProblem, amount: np.ndarray, collects: np.ndarray,
                           loaded: np.ndarray, caps: list[int], name: str) -> None:
    """A load dimension for a day with returns or pairs: ``name`` is what is on board (its cumul at
    the start is what the vehicle leaves with; each delivery takes its amount off, each collection
    (a return, a pair's pickup) adds it), bounded by the vehicle's capacity at every node, and
    ``name:delivered`` counts the deliveries ``loaded`` at the depot (not a pair's delivery, whose
    load came aboard at its pickup), so the load at the start is exactly those. Both in engine
    units (``amount``, ``collects`` and ``loaded`` indexed by model node)."""
    delivered = [int(a) if ok else 0 for a, ok in zip(amount, loaded)]
    change = [int(a) if c else -int(a) for a, c in zip(amount, collects)]
    routing.AddDimensionWithVehicleCapacity(routing.RegisterUnaryTransitVector(delivered), 0, caps, True,
                                            f"{name}:delivered")
    routing.AddDimensionWithVehicleCapacity(routing.RegisterUnaryTransitVector(change), 0, caps, False, name)
    on_board, out = routing.GetDimensionOrDie(name), routing.GetDimensionOrDie(f"{name}:delivered")
    solver = routing.solver()
    for v_idx in range(len(problem.vehicles)):
        solver.Add(on_board.CumulVar(routing.Start(v_idx)) == out.CumulVar(routing.End(v_idx)))


def _add_breaks(routing, manager, time_dim, problem: RoutingProblem, service: np.ndarray) -> None:
    """Each vehicle's breaks as fixed-duration intervals of the time dimension, started within
    ``[earliest, latest - duration]``. A break may interrupt driving or waiting but not a service
    (the node visit transits are the service times); OR-Tools lets it fall before the route starts
    or after it ends, which is the rule the checker's walk follows (:mod:`optimizer.departure`)."""
    if not problem.has_breaks():
        return
    solver = routing.solver()
    visit = [int(service[manager.IndexToNode(index)]) for index in range(routing.Size())]
    for v_idx, v in enumerate(problem.vehicles):
        if not v.work.breaks:
            continue
        intervals = [solver.FixedDurationIntervalVar(int(b.earliest), int(b.latest_start), int(b.duration), False,
                                                     f"break {k} of vehicle {v_idx}")
                     for k, b in enumerate(v.work.breaks)]
        for before, after in zip(intervals, intervals[1:]):  # taken in the order listed, as the walk does
            solver.Add(after.StartExpr() >= before.EndExpr())
        time_dim.SetBreakIntervalsOfVehicle(intervals, v_idx, visit)


def _add_release_times(routing, manager, time_dim, problem: RoutingProblem, copies: dict[int, list[int]]) -> None:
    """A stop whose parcels reach the depot at ``ready`` holds back the departure of the vehicle
    that serves it: ``start cumul >= ready x [the stop is on that vehicle]``, for each vehicle whose
    shift starts earlier (one constraint per such stop, copy and vehicle)."""
    if problem.ready is None:
        return
    solver = routing.solver()
    for node in problem.stop_nodes():
        ready = int(problem.ready[node])
        late_starts = [v for v, spec in enumerate(problem.vehicles) if spec.shift_start < ready]
        for model_node in copies.get(node, [node]) if late_starts else ():
            index = manager.NodeToIndex(model_node)
            for v in late_starts:
                on_v = solver.IsEqualCstVar(routing.VehicleVar(index), v)
                solver.Add(time_dim.CumulVar(routing.Start(v)) >= on_v * ready)


def _add_trip_release(routing, manager, time_dim, problem: RoutingProblem, copies: dict[int, list[int]],
                      reload_of: dict[int, int]) -> None:
    """Release times per trip, for a model with reloads: the ``Trip`` dimension holds when the
    current trip began, constant along a trip (no transit, no slack): the vehicle's departure, or
    the loading start at the reload that began it (equal, not merely bounded: a ``Trip`` cumul
    the finalizer had to choose cost 0.25 s of search per four-stop assignment); a stop's
    ``Trip`` cumul is at least when its parcels reach the depot."""
    if problem.ready is None:
        return
    horizon = _horizon(problem)
    zero = routing.RegisterUnaryTransitVector([0] * manager.GetNumberOfNodes())
    routing.AddDimension(zero, horizon, horizon, False, "Trip")
    trip = routing.GetDimensionOrDie("Trip")
    solver = routing.solver()
    for i in range(routing.Size()):
        if manager.IndexToNode(i) in reload_of:
            solver.Add(trip.CumulVar(i) + trip.SlackVar(i) == time_dim.CumulVar(i))
        else:
            trip.SlackVar(i).SetValue(0)
    for v_idx in range(len(problem.vehicles)):
        solver.Add(trip.CumulVar(routing.Start(v_idx)) == time_dim.CumulVar(routing.Start(v_idx)))
    for node in problem.stop_nodes():
        ready = int(problem.ready[node])
        if ready > 0:
            for model_node in copies.get(node, [node]):
                trip.CumulVar(manager.NodeToIndex(model_node)).SetMin(min(ready, horizon))


# Above this many nodes, switch off the LNS operators that rebuild whole routes with a
# (global/local) cheapest-insertion heuristic. On 1000 nodes and 250 vehicles one such move ran
# for over a minute without checking the time limit (a 20 s solve took 77 s wall); without them
# GLS respects the limit and makes 3-4x more moves.
LARGE_PROBLEM_NODES = 400
_SLOW_LNS_OPERATORS = (
    "use_global_cheapest_insertion_path_lns",
    "use_local_cheapest_insertion_path_lns",
    "use_relocate_path_global_cheapest_insertion_insert_unperformed",
    "use_global_cheapest_insertion_visit_types_lns",
    "use_local_cheapest_insertion_visit_types_lns",
)


def search_parameters(
    time_limit_s: float,
    first_solution: str = "parallel_cheapest_insertion",
    log_search: bool = False,
    metaheuristic: str = "guided_local_search",
    n_nodes: int = 0,
) -> pywrapcp.DefaultRoutingSearchParameters:
    """Routing search parameters: first-solution strategy, metaheuristic, wall-clock limit (s).

    For problems above :data:`LARGE_PROBLEM_NODES` nodes the insertion-heuristic LNS
    operators are switched off (see there).
    """
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(_FIRST_SOLUTION, first_solution.upper())
    params.local_search_metaheuristic = getattr(_METAHEURISTIC, metaheuristic.upper())
    params.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
    params.log_search = log_search
    if n_nodes > LARGE_PROBLEM_NODES:
        for name in _SLOW_LNS_OPERATORS:
            if hasattr(params.local_search_operators, name):
                setattr(params.local_search_operators, name, optional_boolean_pb2.BOOL_FALSE)
    return params


def read_routes(model: OrtoolsModel, assignment: pywrapcp.Assignment) -> tuple[list[list[int]], list[int]]:
    """Routes (stop nodes per vehicle, depots excluded) and dropped stops of an assignment."""
    manager, routing = model.manager, model.routing
    routes: list[list[int]] = []
    served: set[int] = set()
    for v_idx in range(len(model.problem.vehicles)):
        route: list[int] = []
        index = assignment.Value(routing.NextVar(routing.Start(v_idx)))
        while not routing.IsEnd(index):
            node = model.base[manager.IndexToNode(index)]
            route.append(node)
            served.add(node)
            index = assignment.Value(routing.NextVar(index))
        routes.append(route)
    vehicle_depots = {v.depot for v in model.problem.vehicles}
    dropped = [s for s in model.problem.stop_nodes() if s not in served and s not in vehicle_depots]
    return routes, dropped


def _routes_as_indices(model: OrtoolsModel, routes: Sequence[Sequence[int]]) -> list[list[int]]:
    """Routing indices of routes of problem nodes; a stop with several windows becomes the copy
    of the window it is served in when the van leaves at the route's cheapest departure."""
    problem = model.problem
    routes = list(routes) + [[] for _ in range(len(problem.vehicles) - len(routes))]
    out = []
    for v_idx, route in enumerate(routes):
        route = [int(node) for node in route]
        window_of: dict[int, int] = {}
        if model.copies and v_idx < len(problem.vehicles) and any(node in model.copies for node in route):
            walk = problem.walk(v_idx, route, problem.departure(v_idx, route).depart_s)
            for node, start in zip(route, walk.starts):
                if node in model.copies:
                    wins = problem.windows_of(node)
                    window_of[node] = next((k for k, (_, close) in enumerate(wins) if start <= close), len(wins) - 1)
        reloads = iter((model.reload_nodes or {}).get(v_idx, ()))
        depot = problem.vehicles[v_idx].depot if v_idx < len(problem.vehicles) else None
        indices = []
        for node in route:
            if node == depot:  # a reload: the vehicle's next reload copy (none left: not a valid route)
                indices.append(model.manager.NodeToIndex(next(reloads)))
            else:
                indices.append(model.node_index(node, window_of.get(node, 0)))
        out.append(indices)
    return out


def solve_ortools(
    problem: RoutingProblem,
    time_limit_s: float,
    *,
    first_solution: str = "parallel_cheapest_insertion",
    initial: RoutingSolution | None = None,
    log_search: bool = False,
    progress: Callable[[float, int], None] | None = None,
    metaheuristic: str = "guided_local_search",
    should_stop: Callable[[], bool] | None = None,
) -> RoutingSolution:
    """Solve ``problem`` with OR-Tools within ``time_limit_s`` wall-clock seconds.

    ``initial`` (or else ``problem.initial_routes``) seeds the search; if OR-Tools cannot read
    it as a valid assignment the solve starts from ``first_solution`` instead. ``progress`` is
    called with (elapsed seconds, objective) at every new best solution. Never raises for an
    infeasible problem: stops that cannot be served are reported in ``dropped``.
    ``objective`` is OR-Tools' own cost, which charges ``required_drop_penalty`` per dropped
    required stop. ``should_stop()`` is asked at every accepted solution; once it returns True
    the search finishes there with its best solution (``meta["stopped_early"]``).
    """
    t0, cpu0 = time.perf_counter(), time.process_time()
    model = build_model(problem)
    routing = model.routing
    params = search_parameters(time_limit_s, first_solution, log_search, metaheuristic, problem.n)
    routing.CloseModelWithParameters(params)

    stopped = [False]
    if progress is not None or should_stop is not None:
        cost_var = routing.CostVar()
        best = [None]
        solver = routing.solver()

        def _on_solution() -> None:  # GLS reports every accepted move; pass on improvements only
            if progress is not None:
                cost = int(cost_var.Value())
                if best[0] is None or cost < best[0]:
                    best[0] = cost
                    progress(time.perf_counter() - t0, cost)
            if should_stop is not None and not stopped[0] and should_stop():
                stopped[0] = True
                solver.FinishCurrentSearch()  # the search ends here, keeping its best solution

        routing.AddAtSolutionCallback(_on_solution)

    seed_routes = initial.routes if initial is not None else problem.initial_routes
    if seed_routes is None and problem.has_reloads():
        seed_routes = _first_routes_with_reloads(problem, params)
    seeded = False
    assignment = None
    if seed_routes is not None:
        try:
            start = routing.ReadAssignmentFromRoutes(_routes_as_indices(model, seed_routes), True)
        except Exception:  # malformed hint (unknown node, too many routes): ignore it
            start = None
        if start is not None:
            remaining = max(0.05, time_limit_s - (time.perf_counter() - t0))
            params.time_limit.FromMilliseconds(int(remaining * 1000))
            assignment = routing.SolveFromAssignmentWithParameters(start, params)
            seeded = assignment is not None
    if assignment is None:
        assignment = routing.SolveWithParameters(params)

    wall = time.perf_counter() - t0
    if assignment is None:  # cannot happen with droppable stops, but never crash
        return RoutingSolution(
            routes=[[] for _ in problem.vehicles],
            dropped=[s for s in problem.stop_nodes() if s not in {v.depot for v in problem.vehicles}],
            objective=0,
            engine=ENGINE,
            wall_s=wall,
            meta={"status": int(routing.status()), "seeded": False},
        )
    routes, dropped = read_routes(model, assignment)
    return RoutingSolution(
        routes=routes,
        dropped=dropped,
        objective=int(assignment.ObjectiveValue()),
        engine=ENGINE,
        wall_s=wall,
        meta={
            "status": int(routing.status()),
            "seeded": seeded,
            "stopped_early": stopped[0],
            "cpu_s": round(time.process_time() - cpu0, 2),  # < wall_s when the machine is shared
            "required_drop_penalty": model.required_penalty,
            "dropped_required": [s for s in dropped if problem.is_required(s)],
        },
    )


def _first_routes_with_reloads(problem: RoutingProblem, params) -> list[list[int]] | None:
    """A first solution that uses the reloads: insertion never adds a reload on its own (leaving one
    out is free and it only costs time), so no stop ever goes on a second trip. Built with every
    reload worth a large penalty, each vehicle's reloads all go in and its trips fill; the search
    from there (penalty 0) takes out those that serve nothing.

    Built without the release times per trip (see :func:`build_model`); then each route's trips go
    in the order their parcels are in, and stops still early for their parcels (or that this
    pushes out of their windows) come off (:func:`~optimizer.engine.repair.repair_windows`), so the
    seed holds under the exact model."""
    from optimizer.engine.repair import repair_windows

    # As dear as a required stop: the insertion takes the dearest first, so the reloads are in
    # before the stops that need them are tried.
    model = build_model(problem, reload_penalty=min(required_drop_penalty(problem), penalty_cap(problem) // (1 + sum(
        v.max_reloads for v in problem.vehicles))), trip_release=False)
    first = pywrapcp.DefaultRoutingSearchParameters()
    first.CopyFrom(params)
    first.solution_limit = 1
    assignment = model.routing.SolveWithParameters(first)
    if assignment is None:
        return None
    routes = [problem.without_idle_reloads(v, route) for v, route in enumerate(read_routes(model, assignment)[0])]
    if problem.ready is None:
        return routes
    routes = [_trips_by_release(problem, v, route) for v, route in enumerate(routes)]
    routes, _ = repair_windows(problem, routes, reinsert=False)
    return [problem.without_idle_reloads(v, route) for v, route in enumerate(routes)]


def _trips_by_release(problem: RoutingProblem, vehicle: int, route: list[int]) -> list[int]:
    """``route`` with its trips in the order their last parcels reach the depot (stable)."""
    ready_and_trips = zip(problem.trip_ready(vehicle, route), problem.trips(vehicle, route))
    return problem.join_trips(vehicle, [trip for _, trip in sorted(ready_and_trips, key=lambda rt: rt[0])])


def read_in_ortools(problem: RoutingProblem, routes: Sequence[Sequence[int]]) -> int | None:
    """OR-Tools objective of ``routes`` in the model of record, or None if it rejects them.

    Rejection means the routes are not a valid assignment (window, shift, capacity, lock, or a
    node twice). Stops on no route count as dropped and pay their penalty
    (``required_drop_penalty`` for required stops).
    """
    model = build_model(problem)
    routing = model.routing
    routing.CloseModelWithParameters(_evaluation_parameters(problem.n))
    routes = list(routes) + [[] for _ in range(len(problem.vehicles) - len(routes))]
    try:
        assignment = routing.ReadAssignmentFromRoutes(_routes_as_indices(model, routes), True)
    except Exception:
        assignment = None
    if assignment is None:
        return None
    # The restored assignment's cumuls come from propagation; one greedy-descent pass with a
    # solution limit of one lets the finalizers and cumul optimizer settle the span costs.
    solved = routing.SolveFromAssignmentWithParameters(assignment, _evaluation_parameters(problem.n))
    final = solved if solved is not None else assignment
    got, _ = read_routes(model, final)
    if [list(r) for r in got] != [[int(n) for n in r] for r in routes]:
        return None
    return int(final.ObjectiveValue())


def evaluate_in_ortools(problem: RoutingProblem, routes: Sequence[Sequence[int]]) -> tuple[bool, int]:
    """Express ``routes`` in the OR-Tools model: (feasible, OR-Tools objective).

    Feasible means OR-Tools accepts the routes as an assignment (windows, shifts, capacity,
    locks) **and** no required stop is left out. The objective includes penalties of dropped
    stops (``required_drop_penalty`` per dropped required stop). Returns ``(False, -1)`` when
    the routes are not a valid assignment.
    """
    objective = read_in_ortools(problem, routes)
    if objective is None:
        return False, -1
    on_route = {int(n) for r in routes for n in r}
    vehicle_depots = {v.depot for v in problem.vehicles}
    missing_required = [
        s for s in problem.stop_nodes() if s not in on_route and s not in vehicle_depots and problem.is_required(s)
    ]
    return not missing_required, objective


def _evaluation_parameters(n_nodes: int = 0) -> pywrapcp.DefaultRoutingSearchParameters:
    """Parameters that only restore and cost a given assignment (no improving moves)."""
    params = search_parameters(5.0, n_nodes=n_nodes)
    params.local_search_metaheuristic = _METAHEURISTIC.GREEDY_DESCENT
    params.solution_limit = 1
    params.time_limit.FromMilliseconds(5000)
    return params
