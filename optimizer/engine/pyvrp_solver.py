"""PyVRP engine: maps a RoutingProblem onto ``pyvrp.ProblemData`` and back.

Mapping (PyVRP 0.14): one PyVRP *location* per node, so the problem's matrices are used as they
are; one *depot* per vehicle depot; one *client* per stop that some allowed vehicle could serve
alone (``delivery=[demand, *quantities]``, ``pickup`` instead for a return: parcels, then weight and volume in engine units, the
vehicle types' ``capacity`` alike, an unlimited capacity as the quantity's total demand;
``service_duration``, window on the start of service,
``prize=penalty, required=False`` for optional stops); one *vehicle type* per distinct vehicle
spec and lock signature (shift as ``tw_early``/``tw_late``, ``unit_distance_cost=cost_per_m``,
``unit_duration_cost=cost_per_s``, ``fixed_cost``).

Several windows (``RoutingProblem.windows``): PyVRP 0.14 has one window per client, but it has
mutually exclusive client groups, so a stop with several windows is one client per window at
its location, in one group (required if the stop is): exact, never in a gap. Soft windows
(``late_allowed``) have no counterpart: the last window's end is widened by the allowed
lateness and lateness is not priced, a *relaxation* (``meta["relaxed"]``, :func:`relaxed`). The
portfolio re-walks every PyVRP plan with the checker (exact windows, lateness priced), repairs
one that breaks them (:mod:`optimizer.engine.repair`) and, on one core under soft windows, lets
OR-Tools, the model of record, polish it; a PyVRP plan is never kept unless the checker and
OR-Tools accept it.

Locks and skills (``allowed_vehicles``; a skill restricts a stop to the vehicles that have it, and
the day planner intersects that with any lock) are routing profiles, PyVRP's own way of modelling access
restrictions. A vehicle's *lock signature* is the set of locked stops it may not serve; vehicles
with the same spec and signature form one vehicle type, and each distinct signature gets one
profile: the problem's matrices with every edge *into* those stops made prohibitive
(:func:`prohibitive_edges`: a duration longer than twice the day's horizon, so any route that
takes one has time warp and PyVRP never calls it feasible, and a distance longer than any
route, so it is dear even while the time-warp penalty is low). A stop locked to van 3 is then
reachable only on the profile of van 3's type. A vehicle with a street profile of its own (a
cargo bike: ``VehicleSpec.profile``, ``RoutingProblem.profiles``) has that profile's matrices as
the base of its routing profile, so a profile is one (street profile, lock signature) pair.
There are at most as many profiles as vehicles
(one per pair; vans free of every lock share the plain profile); each costs two
``n x n`` int64 matrices, so problems whose profiles would pass :data:`PROFILE_BYTES_LIMIT`
raise :class:`NotSupported`. PyVRP's granular neighbourhood takes the nearest edge over all
vehicle types' profiles, so prohibitive edges do not distort it. The checker re-walks PyVRP's
plan on the problem's own matrices and reports a stop on a vehicle not allowed to serve it as a
``locked`` violation, so a prohibitive edge cannot be taken silently;
``meta["lock_violations"]`` lists them in PyVRP's answer.

PyVRP's search parameters that weigh violations against costs (the penalty bounds per unit
of excess load or time warp, the neighbourhood's weight per second of waiting) are absolute
numbers. They are multiplied by :func:`search_factor` (``problem.cost_scale`` over the
milli-currency scale the day plans were tuned at), so a problem priced at a finer cost scale
is searched exactly as the same problem at the reference scale: every number PyVRP compares
grows alike. Problems without a cost scale (VRPLIB) use PyVRP's defaults.

PyVRP charges ``unit_duration_cost`` on the route duration including waiting, with the
departure chosen as late as possible, which is the same minimal span that OR-Tools' span cost
and :mod:`optimizer.checker` price. PyVRP requires a zero matrix diagonal; a depot node's
diagonal is zeroed in its copy (a virtual depot of a re-plan leaves from the van's position and
returns to its real depot, so its own entry is a real trip, never taken by a non-empty route).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyvrp
from pyvrp.constants import MAX_VALUE
from pyvrp.search import NeighbourhoodParams

from optimizer.cost_scale import MAX_PLAN_UNITS, REFERENCE_UNITS_PER_CURRENCY
from optimizer.engine.exchange import DEFAULT_INTERVAL_S, Mailboxes, search
from optimizer.engine.screening import servable_alone
from optimizer.problem import RoutingProblem, RoutingSolution

ENGINE = "pyvrp"
PROFILE_BYTES_LIMIT = 1 << 30  # routing profiles' matrices together (2 x n x n int64 each)


class Deadline:
    """PyVRP stopping criterion: stop at a wall-clock deadline (``time.perf_counter()`` value),
    or earlier once ``should_stop()`` returns True (asked every iteration: keep it cheap).

    ``pyvrp.stop.MaxRuntime`` starts its clock at its first call, i.e. after PyVRP's initial
    local search, which on 1000 customers can take seconds; a deadline fixed when
    :func:`solve_pyvrp` starts keeps the whole call within its limit (up to one iteration).
    """

    def __init__(self, deadline: float, should_stop: Callable[[], bool] | None = None):
        self.deadline = deadline
        self.should_stop = should_stop
        self.stopped = False

    def __call__(self, best_cost: float) -> bool:
        if time.perf_counter() >= self.deadline:
            return True
        if self.should_stop is not None and self.should_stop():
            self.stopped = True
        return self.stopped


class NotSupported(Exception):
    """The problem uses a feature this engine cannot express."""


@dataclass
class PyvrpModel:
    data: pyvrp.ProblemData
    client_nodes: list[int]  # PyVRP client index -> node
    type_vehicles: list[list[int]]  # PyVRP vehicle type -> our vehicle indices
    unservable: list[int]  # stops left out of the model (no vehicle can serve them)
    profiles: list[tuple[str, frozenset[int]]]  # routing profile -> (street profile, stops whose incoming edges it prohibits)
    reload_depots: dict[int, int] = dataclasses.field(default_factory=dict)  # our vehicle -> its PyVRP reload depot
    shipment_nodes: list[tuple[int, int]] = dataclasses.field(default_factory=list)  # shipment -> (pickup, delivery) nodes


def lock_signatures(problem: RoutingProblem) -> list[frozenset[int]]:
    """Per vehicle: the locked stops it may not serve (empty for a vehicle no lock excludes)."""
    locks = [(node, set(allowed)) for node, allowed in problem.allowed_vehicles.items()]
    return [frozenset(node for node, allowed in locks if v_idx not in allowed) for v_idx in range(len(problem.vehicles))]


def profile_signatures(signatures: list[frozenset[int]], problem: RoutingProblem | None = None) -> list[tuple[str, frozenset[int]]]:
    """The distinct routing profiles, one per (street profile, lock signature) of the vehicles
    (``problem`` gives each vehicle's street profile; without it all are the vans'): the plain one
    (vans' streets, no prohibited stop) first when some vehicle uses it, then in order of first use."""
    keys = [(problem.vehicles[v].profile if problem is not None else "", sig) for v, sig in enumerate(signatures)]
    distinct = list(dict.fromkeys(keys))
    return sorted(distinct, key=lambda key: key != ("", frozenset()))


def unsupported_reason(problem: RoutingProblem) -> str | None:
    """Why PyVRP cannot express ``problem`` (None if it can). Cheap: no data is built.

    Locks need one routing profile per distinct lock signature (two ``n x n`` int64 matrices
    each); more than :data:`PROFILE_BYTES_LIMIT` bytes of them is refused."""
    profiles = len(profile_signatures(lock_signatures(problem), problem))
    size = profiles * 2 * problem.n * problem.n * 8
    if size > PROFILE_BYTES_LIMIT:
        return (f"locks and street profiles need {profiles} routing profiles of {problem.n}x{problem.n} "
                f"({size / 2**20:.0f} MiB, over the {PROFILE_BYTES_LIMIT / 2**20:.0f} MiB limit)")
    return None


def prohibitive_edges(problem: RoutingProblem) -> tuple[int, int]:
    """``(distance m, duration s)`` of an edge a vehicle may not take (into a stop locked away from it).

    The duration is twice the day's horizon (earliest shift start or window opening to the latest
    shift end or window close) plus one: arriving over it is at least a horizon after any window
    closes, so a route that takes it has time warp and is infeasible to PyVRP. The distance is
    longer than any route (``n`` times the longest arc, plus one), so the edge is dear even when
    PyVRP's time-warp penalty is at its minimum; it is capped so that a route taking it for every
    client still prices below :data:`~optimizer.cost_scale.MAX_PLAN_UNITS` and never passes
    PyVRP's :data:`~pyvrp.constants.MAX_VALUE`.
    """
    specs = problem.vehicles
    earliest = min([int(np.min(problem.tw_start))] + [v.shift_start for v in specs]) if problem.n else 0
    latest = max([max(problem.hard_end(i) for i in range(problem.n))] + [v.shift_end for v in specs]) if problem.n else 0
    duration = 2 * max(0, latest - earliest) + 1
    longest = problem.longest_arc()
    distance = problem.n * max(1, longest) + 1
    dearest_per_m = max([1] + [v.cost_per_m for v in specs])
    cap = MAX_PLAN_UNITS // (dearest_per_m * max(1, problem.n))
    return max(1, min(distance, cap, MAX_VALUE)), min(duration, MAX_VALUE)


def _profile_matrices(problem: RoutingProblem, profiles: list[tuple[str, frozenset[int]]]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Distance and duration matrix per routing profile: its street profile's (the problem's for
    vans, ``RoutingProblem.profiles`` for a cargo bike), diagonal zeroed, edges into the profile's
    prohibited stops set to :func:`prohibitive_edges` (their own diagonal stays 0)."""
    far, long = prohibitive_edges(problem)
    plain: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    distances, durations = [], []
    for street, prohibited in profiles:
        if street not in plain:
            source = problem.profiles[street] if street else problem
            distance = np.ascontiguousarray(source.distance, dtype=np.int64).copy()
            duration = np.ascontiguousarray(source.duration, dtype=np.int64).copy()
            np.fill_diagonal(distance, 0)
            np.fill_diagonal(duration, 0)
            plain[street] = distance, duration
        distance, duration = plain[street]
        if not prohibited:
            distances.append(distance)
            durations.append(duration)
            continue
        cols = sorted(prohibited)
        dist, dur = distance.copy(), duration.copy()
        dist[:, cols] = far
        dur[:, cols] = long
        dist[cols, cols] = 0
        dur[cols, cols] = 0
        distances.append(dist)
        durations.append(dur)
    return distances, durations


def build_data(problem: RoutingProblem) -> PyvrpModel:
    """Translate ``problem`` into PyVRP data (locks as routing profiles, see the module docstring);
    raises :class:`NotSupported` when the profiles would be too large."""
    reason = unsupported_reason(problem)
    if reason is not None:
        raise NotSupported(reason)
    n = problem.n
    locations = [pyvrp.Location(x=0, y=0) for _ in range(n)]  # coordinates unused: explicit matrices

    vehicle_depots = sorted({v.depot for v in problem.vehicles})
    depot_index = {node: i for i, node in enumerate(vehicle_depots)}
    depots = [pyvrp.Depot(location=node, service_duration=int(problem.service[node])) for node in vehicle_depots]
    # Reloads: one more depot at the same place per (depot, loading time), the reload depot of the
    # vehicles that reload there; its service duration is the reload's.
    reload_depot: dict[tuple[int, int], int] = {}
    for spec in problem.vehicles:
        key = (spec.depot, int(spec.reload_s))
        if spec.max_reloads and key not in reload_depot:
            reload_depot[key] = len(depots)
            depots.append(pyvrp.Depot(location=spec.depot, service_duration=int(spec.reload_s)))

    ok = servable_alone(problem)
    # Pickup-and-delivery pairs are PyVRP shipments (pickup before delivery, one route, both or
    # neither), except a pair whose end has several windows or that no vehicle can serve alone:
    # left out (see relaxed).
    shipment_nodes = [(p, d) for p, d in sorted(problem.pairs.items()) if _shipment_fits(problem, p, d, ok)]
    paired = problem.partners()
    shipped = {node for pd in shipment_nodes for node in pd}
    client_nodes: list[int] = []
    clients: list[pyvrp.Client] = []
    groups: list[pyvrp.ClientGroup] = []
    unservable: list[int] = []
    earliest = {node: min(v.shift_start + int(problem.service[v.depot]) + int(problem.duration_of(k)[v.depot, node])
                          for k, v in enumerate(problem.vehicles)) for node in problem.windows}
    for node in problem.stop_nodes():
        if node in depot_index:
            continue
        if node in paired:  # a shipment below, or left out
            if node not in shipped:
                unservable.append(node)
            continue
        if not ok[node]:
            unservable.append(node)
            continue
        required = problem.is_required(node)
        # Several windows: one client per window at the stop's location, in a mutually exclusive
        # client group (exactly one visited if the stop is required, at most one otherwise), so
        # PyVRP serves the stop in one of its windows and never in a gap. Windows that close
        # before any vehicle could arrive are left out. Soft windows have no PyVRP counterpart: the
        # last window's end is widened by the allowed lateness, which PyVRP does not price (a
        # relaxation; the checker prices the lateness and the portfolio judges the plan).
        wins = problem.windows_of(node)
        if node in problem.windows:
            wins = [w for w in wins if w[1] >= earliest[node]] or wins[-1:]
        hard_end = problem.hard_end(node)
        several = len(wins) > 1
        # A return is picked up and carried to the depot: PyVRP holds the load along the route
        # exactly (deliveries leave the depot, pickups come back), as the checker does.
        load = [int(a[node]) for a in problem.amounts()]
        collects = problem.collects is not None and bool(problem.collects[node])
        none = [0] * len(load)
        if several:
            groups.append(pyvrp.ClientGroup([], required=required))
        for k, (open_s, close_s) in enumerate(wins):
            clients.append(
                pyvrp.Client(
                    location=node,
                    delivery=none if collects else load, pickup=load if collects else none,
                    service_duration=int(problem.service[node]),
                    tw_early=int(open_s),
                    tw_late=hard_end if k == len(wins) - 1 else int(close_s),
                    prize=0 if required else int(problem.penalty[node]),
                    release_time=0 if problem.ready is None else int(problem.ready[node]),
                    required=required and not several,
                    group=len(groups) - 1 if several else None,
                )
            )
            if several:
                groups[-1].add_client(len(clients) - 1)
            client_nodes.append(node)

    shipments = []
    for pickup, delivery in shipment_nodes:
        required = problem.is_required(pickup) or problem.is_required(delivery)
        shipments.append(pyvrp.Shipment(
            pickup_location=pickup, delivery_location=delivery,
            pickup_tw_early=int(problem.tw_start[pickup]), pickup_tw_late=problem.hard_end(pickup),
            pickup_service_duration=int(problem.service[pickup]),
            delivery_tw_early=int(problem.tw_start[delivery]), delivery_tw_late=problem.hard_end(delivery),
            delivery_service_duration=int(problem.service[delivery]),
            amount=[int(a[pickup]) for a in problem.amounts()],
            prize=0 if required else int(problem.penalty[pickup]) + int(problem.penalty[delivery]),
            required=required,
        ))

    modelled = set(client_nodes) | shipped
    signatures = [sig & modelled for sig in lock_signatures(problem)]  # unservable stops are not clients
    profiles = profile_signatures(signatures, problem)
    profile_of = {key: k for k, key in enumerate(profiles)}
    by_type: dict = {}
    for v_idx, v in enumerate(problem.vehicles):
        caps = tuple(problem.capacity(v_idx, k) for k in range(len(problem.quantities)))
        by_type.setdefault((v, caps, (v.profile, signatures[v_idx])), []).append(v_idx)
    vehicle_types, type_vehicles = [], []
    for (spec, caps, signature), members in by_type.items():
        vehicle_types.append(
            pyvrp.VehicleType(
                num_available=len(members),
                capacity=[int(spec.capacity), *caps],
                start_depot=depot_index[spec.depot],
                end_depot=depot_index[spec.depot],
                fixed_cost=int(spec.fixed_cost),
                tw_early=int(spec.shift_start),
                tw_late=int(spec.shift_end),
                unit_distance_cost=int(spec.cost_per_m),
                unit_duration_cost=int(spec.cost_per_s),
                profile=profile_of[signature],
                **_working_time(spec),
                **(dict(reload_depots=[reload_depot[(spec.depot, int(spec.reload_s))]], max_reloads=int(spec.max_reloads))
                   if spec.max_reloads else {}),
            )
        )
        type_vehicles.append(members)

    distances, durations = _profile_matrices(problem, profiles or [("", frozenset())])
    data = pyvrp.ProblemData(
        locations=locations,
        clients=clients,
        depots=depots,
        vehicle_types=vehicle_types,
        distance_matrices=distances,
        duration_matrices=durations,
        groups=groups,
        shipments=shipments,
    )
    return PyvrpModel(data, client_nodes, type_vehicles, unservable, profiles or [("", frozenset())],
                      {v_idx: reload_depot[(spec.depot, int(spec.reload_s))]
                       for v_idx, spec in enumerate(problem.vehicles) if spec.max_reloads},
                      shipment_nodes)


def _shipment_fits(problem: RoutingProblem, pickup: int, delivery: int, ok) -> bool:
    """Whether a pair goes to PyVRP as a shipment: one window at each end, each end reachable."""
    return pickup not in problem.windows and delivery not in problem.windows and bool(ok[pickup]) and bool(ok[delivery])


def _working_time(spec) -> dict:
    """PyVRP's route duration limits for a vehicle: the normal duration as ``shift_duration``, the
    rest of the maximum as ``max_overtime`` at ``unit_overtime_cost`` (exact: PyVRP's duration is
    the route's span, waiting included). Breaks have no PyVRP counterpart (see :func:`relaxed`)."""
    work = spec.work
    if work.normal_span is not None and work.overtime_cost_per_s > 0:
        top = work.max_span if work.max_span is not None else spec.shift_end - spec.shift_start
        return dict(shift_duration=int(work.normal_span), max_overtime=max(0, int(top) - int(work.normal_span)),
                    unit_overtime_cost=int(work.overtime_cost_per_s))
    if work.max_span is not None:
        return dict(shift_duration=int(work.max_span))
    return {}


def relaxed(problem: RoutingProblem) -> bool:
    """Whether PyVRP searches a relaxation of ``problem``: soft windows (widened, lateness
    unpriced), drivers' breaks (left out: PyVRP 0.14 has none) or pickup-and-delivery pairs. A pair
    is a PyVRP shipment (exact: pickup first, one route, the load along it), but PyVRP 0.14.1 puts
    an optional shipment in only where its pickup fits next to a neighbour as the load stands (one
    that fits only after a delivery has made room stays out, measured on a four-node day), and a
    pair with several windows at an end is left out; so OR-Tools, which inserts pairs whole,
    polishes. Several windows are exact
    (mutually exclusive client groups, see :func:`build_data`); so are the maximum route duration
    and overtime (:func:`_working_time`)."""
    soft = problem.late_allowed is not None and bool(np.any(problem.late_allowed > 0))
    return soft or problem.has_breaks() or bool(problem.pairs)


def search_factor(problem: RoutingProblem) -> float:
    """How much larger the problem's cost units are than the reference scale PyVRP's search
    parameters were tuned at (1.0 without a cost scale)."""
    if problem.cost_scale is None:
        return 1.0
    return problem.cost_scale.units_per_currency / REFERENCE_UNITS_PER_CURRENCY


def solve_params(problem: RoutingProblem, ils: pyvrp.IteratedLocalSearchParams | None = None) -> pyvrp.SolveParams:
    """PyVRP's default parameters with penalty bounds and the waiting weight scaled by
    :func:`search_factor` (see the module docstring); ``ils`` as given."""
    ils = ils if ils is not None else pyvrp.IteratedLocalSearchParams()
    factor = search_factor(problem)
    if factor == 1.0:
        return pyvrp.SolveParams(ils=ils)
    penalty = pyvrp.PenaltyParams()
    penalty = dataclasses.replace(
        penalty, min_penalty=penalty.min_penalty * factor, max_penalty=penalty.max_penalty * factor
    )
    hood = NeighbourhoodParams()
    hood = NeighbourhoodParams(
        weight_wait_time=hood.weight_wait_time * factor,
        num_neighbours=hood.num_neighbours,
        symmetric_proximity=hood.symmetric_proximity,
    )
    return pyvrp.SolveParams(ils=ils, penalty=penalty, neighbourhood=hood)


def _initial_solution(model: PyvrpModel, problem: RoutingProblem, routes: list[list[int]]) -> pyvrp.Solution | None:
    """A PyVRP solution for our routes (one per vehicle), or None if it cannot be expressed."""
    client_of: dict[int, int] = {}
    for i, node in enumerate(model.client_nodes):
        client_of.setdefault(node, i)  # a stop with several windows: its first window's client
    type_of = {v: t for t, members in enumerate(model.type_vehicles) for v in members}
    step_of = _shipment_steps(model)
    pv_routes = []
    try:
        for v_idx, route in enumerate(routes):
            if not route:
                continue
            depot = problem.vehicles[v_idx].depot
            activities = [pyvrp.Activity(pyvrp.ActivityType.DEPOT, model.reload_depots[v_idx]) if int(node) == depot
                          else pyvrp.Activity(*step_of[int(node)]) if int(node) in step_of
                          else pyvrp.Activity(pyvrp.ActivityType.CLIENT, client_of[int(node)]) for node in route]
            pv_routes.append(pyvrp.Route(model.data, activities, type_of[v_idx]))
        return pyvrp.Solution(model.data, pv_routes)
    except (KeyError, RuntimeError, ValueError, IndexError):
        return None


def _shipment_steps(model: PyvrpModel) -> dict[int, tuple]:
    """node -> (activity type, shipment index) for each end of a shipment."""
    steps: dict[int, tuple] = {}
    for k, (pickup, delivery) in enumerate(model.shipment_nodes):
        steps[pickup] = (pyvrp.ActivityType.PICKUP, k)
        steps[delivery] = (pyvrp.ActivityType.DELIVERY, k)
    return steps


def read_solution(model: PyvrpModel, problem: RoutingProblem, solution: pyvrp.Solution) -> tuple[list[list[int]], list[int]]:
    """Routes per vehicle (our indices) and dropped stops of a PyVRP solution."""
    routes: list[list[int]] = [[] for _ in problem.vehicles]
    free = [list(members) for members in model.type_vehicles]
    served: set[int] = set()
    for route in solution.routes():
        v_idx = free[route.vehicle_type()].pop(0)
        inner = list(route.schedule())[1:-1]  # between the start and end depots: clients, shipments' steps, reloads
        nodes = [model.client_nodes[a.idx] if a.is_client()
                 else model.shipment_nodes[a.idx][0] if a.type == pyvrp.ActivityType.PICKUP
                 else model.shipment_nodes[a.idx][1] if a.type == pyvrp.ActivityType.DELIVERY
                 else problem.vehicles[v_idx].depot for a in inner]
        routes[v_idx] = nodes
        served.update(nodes)
    vehicle_depots = {v.depot for v in problem.vehicles}
    dropped = [s for s in problem.stop_nodes() if s not in served and s not in vehicle_depots]
    return routes, dropped


def lock_violations(problem: RoutingProblem, routes: list[list[int]]) -> list[int]:
    """Stops on a vehicle not allowed to serve them: in PyVRP's model, prohibitive edges taken."""
    return [node for v_idx, route in enumerate(routes) for node in route if not problem.may_serve(v_idx, node)]


def _cost(solution: pyvrp.Solution) -> int:
    """PyVRP's price of a solution: distance + duration + fixed costs + uncollected prizes."""
    return int(
        solution.distance_cost() + solution.duration_cost() + solution.fixed_vehicle_cost() + solution.uncollected_prizes()
    )


class _Progress(pyvrp.IteratedLocalSearchCallbacks):
    """Reports every new feasible best: ``progress(elapsed_s, cost)``."""

    def __init__(self, t0: float, progress: Callable[[float, int], None]) -> None:
        self.t0, self.progress = t0, progress

    def on_best(self, best: pyvrp.Solution) -> None:
        if best.is_feasible():
            self.progress(time.perf_counter() - self.t0, _cost(best))


def solve_pyvrp(
    problem: RoutingProblem,
    time_limit_s: float,
    seed: int = 0,
    *,
    initial: RoutingSolution | None = None,
    progress: Callable[[float, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    mail: Mailboxes | None = None,
    exchange_interval_s: float = DEFAULT_INTERVAL_S,
    quiet_last_s: float = 0.0,
    from_scratch: bool = False,
    tune_history: bool = False,
) -> RoutingSolution:
    """Solve with PyVRP's iterated local search for ``time_limit_s`` wall-clock seconds.

    Locks are routing profiles (module docstring); raises :class:`NotSupported` only when they
    would need more than :data:`PROFILE_BYTES_LIMIT` of matrices. Stops no allowed vehicle can
    serve alone are dropped up front. If PyVRP finds no feasible solution, ``meta["feasible"]``
    is False and the (infeasible) best routes are returned for diagnosis; the portfolio discards
    them. A plan that puts a locked stop on another vehicle (a prohibitive edge taken) is never
    feasible either: ``meta["lock_violations"]`` lists such stops, and the checker reports them.
    ``objective`` is PyVRP's cost: distance + duration + fixed costs + uncollected prizes.
    ``progress(elapsed_s, cost)`` is called on every new feasible best. ``should_stop()`` is asked every
    iteration; once it returns True the search ends with its best plan (``meta["stopped_early"]``).
    ``mail``: this search is one of several on other cores that hand each other their best
    solution every ``exchange_interval_s`` (:mod:`optimizer.engine.exchange`; ``meta["adopted"]``
    counts the ones it took); it posts nothing in its last ``quiet_last_s`` seconds.
    ``from_scratch``: ignore ``problem.initial_routes`` (the search starts from PyVRP's own
    random start). ``tune_history``: the search's late-acceptance memory follows the iterations
    its budget buys (:mod:`optimizer.engine.tuning`; ``meta["history_length"]``); without it,
    PyVRP's own parameters.
    """
    t0, cpu0 = time.perf_counter(), time.process_time()
    model = build_data(problem)
    ils = None if progress is None else pyvrp.IteratedLocalSearchParams(callbacks=_Progress(t0, progress))
    params = solve_params(problem, ils)
    seed_routes = initial.routes if initial is not None else None if from_scratch else problem.initial_routes
    init = _initial_solution(model, problem, seed_routes) if seed_routes else None
    stop = Deadline(t0 + time_limit_s, should_stop)
    found = search(model.data, stop.deadline, seed, params, initial=init, mail=mail, interval_s=exchange_interval_s,
                   should_stop=lambda: stop(float("inf")), post_until=stop.deadline - quiet_last_s,
                   tune_history=tune_history)
    best, iterations, adopted = found.best, found.iterations, found.adopted
    routes, dropped = read_solution(model, problem, best)
    cost = _cost(best)
    wrong_vehicle = lock_violations(problem, routes)
    return RoutingSolution(
        routes=routes,
        dropped=dropped,
        objective=int(cost),
        engine=ENGINE,
        wall_s=time.perf_counter() - t0,
        meta={
            "feasible": bool(best.is_feasible()) and not wrong_vehicle,
            # soft windows are widened and lateness unpriced: feasible in that relaxation only
            "relaxed": relaxed(problem),
            "window_groups": model.data.num_groups,  # stops with several windows, one client per window
            "lock_violations": wrong_vehicle,
            "profiles": len(model.profiles),
            "cpu_s": round(time.process_time() - cpu0, 2),  # < wall_s when the machine is shared
            "iterations": int(iterations),
            "adopted": adopted,
            "history_length": found.history_length,
            "unservable": model.unservable,
            "seeded": init is not None,
            "stopped_early": stop.stopped,
        },
    )
