"""Read the PyVRP-Instances VRPLIB dialects of the variant benchmarks and check solutions of them
independently of the solver.

Three dialects (``TYPE``), the shared instances in ``../shared/benchmarks/variants/``:

* ``MTVRPTWR``: multi-trip VRPTW with release times. ``RELEASE_TIME_SECTION`` (a client's
  parcel reaches the depot then: the trip that serves it leaves the depot at or after it) and
  ``VEHICLES_RELOAD_DEPOT_SECTION`` (the depot where each vehicle may reload mid-route; any
  number of reloads unless ``VEHICLES_MAX_RELOADS``). Capacity holds per trip.
* ``PCVRPTW``: prize-collecting VRPTW (Gehring-Homberger 1000 customers). ``PRIZE_SECTION``: a
  client with a prize may be left out, its prize then counts as cost; prize 0 = required.
* ``MDVRPTW``: multi-depot VRPTW with a maximum route duration (Vidal et al. 2013).
  ``DEPOT_SECTION`` lists depots 1..k, ``VEHICLES_DEPOT_SECTION`` each vehicle's depot (it
  starts and ends there), ``VEHICLES_MAX_DURATION`` the longest a route may last, waiting
  included.

**Units.** Every value is scaled to integers as the best-known solutions were computed:
MTVRPTWR and PCVRPTW by DIMACS rounding (``trunc(10 x)``: distances, times, prizes truncated to
one decimal, as their READMEs say), MDVRPTW by PyVRP's ``exact`` rounding (``round(1000 x)``:
the ``.sol`` costs 6655548 and 7201765 of PR11A and PR13B are the BKS routes' distance at three
decimals; DIMACS rounding gives 66358 and 71704 for the same routes; that README names no
rounding). Costs here are in those integer units, the units of the ``.sol`` files' ``Cost``.
Travel time equals distance.

**Reading.** :func:`read_variant` first reads the file itself (header and sections with their
line numbers, values checked: node ids, counts, numbers, signs, windows, depot references) so a
malformed file is refused with :class:`~optimizer.vrplib.InstanceError` naming the file, the
section and the line; fields outside the dialects are refused (PyVRP's reader would silently
ignore a section it does not know, and the checker must model every constraint it is asked to
judge). Then ``pyvrp.read(path, round_func=...)`` builds the :class:`pyvrp.ProblemData` the
solver gets (PyVRP 0.14 reads all three dialects: several depots, release times, prizes as
optional clients, reload depots and max reloads, vehicles' depots and shift durations), its
errors wrapped in :class:`InstanceError` too, and the two readings are compared field by field:
if PyVRP reads the file differently from us, the file is refused rather than solved as another
problem than the one checked.

**Checking.** :func:`check_routes` walks routes (``.sol`` numbering: locations 0-based, depots
first, a depot inside a route is a reload) over our own arrays and distance matrix, never
asking PyVRP: distance, uncollected prizes, capacity per trip, time windows on service start,
release times per trip, the vehicle's depot window, maximum duration (the route starts as late
as its windows allow, which gives its shortest duration), reloads only at the vehicle's reload
depots and at most ``max_reloads``, every required client exactly once and no client twice.
:func:`pyvrp_opinion` gives PyVRP's own verdict on the same routes as a second opinion.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from optimizer.vrplib import InstanceError, _number, _parse, _Section, dimacs_matrix

KINDS = ("mtvrptwr", "pcvrptw", "mdvrptw")

ROUNDING = {"MTVRPTWR": "dimacs", "PCVRPTW": "dimacs", "MDVRPTW": "exact"}
SCALE = {"dimacs": 10, "exact": 1000}

# Header keys and sections each dialect must have, and those it may have (PyVRP 0.14 reads
# them and the checker models them). Anything else in a file is refused.
_HEADER_ALLOWED = {
    "NAME", "COMMENT", "TYPE", "DIMENSION", "VEHICLES", "CAPACITY", "SERVICE_TIME", "EDGE_WEIGHT_TYPE",
    "VEHICLES_MAX_DURATION", "VEHICLES_MAX_RELOADS",
}
_SECTIONS_ALLOWED = {
    "NODE_COORD_SECTION", "DEMAND_SECTION", "SERVICE_TIME_SECTION", "TIME_WINDOW_SECTION",
    "RELEASE_TIME_SECTION", "PRIZE_SECTION", "VEHICLES_RELOAD_DEPOT_SECTION", "VEHICLES_DEPOT_SECTION",
    "DEPOT_SECTION",
}
_REQUIRED = {
    "MTVRPTWR": ("RELEASE_TIME_SECTION", "VEHICLES_RELOAD_DEPOT_SECTION"),
    "PCVRPTW": ("PRIZE_SECTION",),
    "MDVRPTW": ("VEHICLES_DEPOT_SECTION",),
}
_COMMON_REQUIRED = ("NODE_COORD_SECTION", "DEMAND_SECTION", "TIME_WINDOW_SECTION", "DEPOT_SECTION")

_INF = math.inf


def scale_values(values: np.ndarray, rounding: str) -> np.ndarray:
    """The instance's rounding applied to data values (the same definition as PyVRP's
    ``round_func``): ``dimacs`` truncates ``10 x``, ``exact`` rounds ``1000 x``."""
    values = np.asarray(values, dtype=float)
    if rounding == "dimacs":
        return np.trunc(10 * values).astype(np.int64)
    return np.round(1000 * values).astype(np.int64)


def distance_matrix(coords: np.ndarray, rounding: str) -> np.ndarray:
    """Euclidean arcs in the instance's integer units: ``floor(10 d)`` (exact integer square
    roots for integer coordinates) or ``round(1000 d)``."""
    if rounding == "dimacs":
        return dimacs_matrix(coords)
    coords = np.asarray(coords, dtype=float)
    d = np.sqrt(((coords[:, None, :] - coords[None, :, :]) ** 2).sum(axis=2))
    return np.round(1000 * d).astype(np.int64)


@dataclass(frozen=True)
class Vehicle:
    """One vehicle of a variant instance, integer units; depots are 0-based locations."""

    depot: int
    capacity: int
    tw_early: int
    tw_late: int
    max_duration: int | None = None
    reload_depots: tuple[int, ...] = ()
    max_reloads: int | None = None  # None = unlimited


@dataclass
class VariantInstance:
    """A variant instance as we read it (``dist``, node arrays over locations 0..n-1, depots
    first, integer units of :data:`SCALE`) and as PyVRP read it (``data``)."""

    path: Path
    name: str
    kind: str  # TYPE, upper case
    rounding: str
    num_depots: int
    dist: np.ndarray  # (n, n) int64
    demand: np.ndarray  # (n,) int64, raw
    service: np.ndarray  # (n,) int64, 0 at depots
    tw_early: np.ndarray
    tw_late: np.ndarray
    release: np.ndarray  # (n,) int64, 0 without RELEASE_TIME_SECTION
    prize: np.ndarray  # (n,) int64, 0 = required
    vehicles: list[Vehicle]
    data: object = None  # pyvrp.ProblemData
    notes: list[str] = field(default_factory=list)

    @property
    def scale(self) -> int:
        """Integer units per instance unit."""
        return SCALE[self.rounding]

    @property
    def n(self) -> int:
        return len(self.demand)

    @property
    def required(self) -> np.ndarray:
        """Clients that must be served (prize 0); depots False."""
        req = self.prize == 0
        req[: self.num_depots] = False
        return req

    @property
    def num_clients(self) -> int:
        return self.n - self.num_depots


# --------------------------------------------------------------------------- reading


def _node_table(path: Path, sections: dict[str, _Section], name: str, n: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``id v1 .. v_width`` of a per-node section, by node, and the file line of each."""
    section = sections[name]
    if len(section.rows) != n:
        raise InstanceError(path, f"{section.where()}: {len(section.rows)} rows, DIMENSION says {n}")
    return _id_table(path, section, n, width, "node")


def _id_table(path: Path, section: _Section, n: int, width: int, what: str) -> tuple[np.ndarray, np.ndarray]:
    out = np.zeros((n, width))
    lines = np.zeros(n, dtype=np.int64)
    for line, row in section.rows:
        where = f"{section.name}, line {line}"
        if len(row) != width + 1:
            raise InstanceError(path, f"{where}: row '{' '.join(row)}' has {len(row)} columns, {width + 1} expected")
        idx = _number(row[0], path, where)
        if idx != int(idx) or not 1 <= idx <= n:
            raise InstanceError(path, f"{where}: {what} id {row[0]} outside 1..{n}")
        k = int(idx) - 1
        if lines[k]:
            raise InstanceError(path, f"{where}: {what} id {k + 1} listed twice (first at line {lines[k]})")
        out[k] = [_number(v, path, where) for v in row[1:]]
        lines[k] = line
    return out, lines


def _first(mask: np.ndarray) -> int | None:
    hits = np.flatnonzero(mask)
    return int(hits[0]) if hits.size else None


def _whole(path: Path, section: str, values: np.ndarray, lines: np.ndarray, what: str) -> None:
    i = _first(values != np.round(values))
    if i is not None:
        raise InstanceError(path, f"{section}, line {lines[i]}: {what} {values[i]:g} is not a whole number")


def _nonnegative(path: Path, section: str, values: np.ndarray, lines: np.ndarray, what: str) -> None:
    i = _first(values < 0)
    if i is not None:
        raise InstanceError(path, f"{section}, line {lines[i]}: negative {what} {values[i]:g} at node {i + 1}")


def read_variant(path: str | Path, kind: str | None = None) -> VariantInstance:
    """Read, validate and hand to PyVRP one variant file; raises :class:`InstanceError`.

    ``kind`` (``mtvrptwr``, ``pcvrptw``, ``mdvrptw``), when given, must match the file's TYPE.
    """
    path = Path(path)
    header, sections = _parse(path)

    def head(key: str) -> str:
        return f"{key} (line {header[key][1]})"

    if "TYPE" not in header:
        raise InstanceError(path, f"missing TYPE (one of {', '.join(ROUNDING)})")
    dialect = header["TYPE"][0].upper()
    if dialect not in ROUNDING:
        raise InstanceError(path, f"{head('TYPE')}: {header['TYPE'][0]} is not a variant dialect ({', '.join(ROUNDING)})")
    if kind is not None and dialect != kind.upper():
        raise InstanceError(path, f"{head('TYPE')}: the file is {dialect}, not {kind.upper()}")
    for key, (_, line) in header.items():
        if key not in _HEADER_ALLOWED:
            raise InstanceError(path, f"{key} (line {line}): not supported in {dialect} (lastmile's checker does not model it)")
    for name, section in sections.items():
        if name not in _SECTIONS_ALLOWED:
            raise InstanceError(path, f"{name}, line {section.line}: not supported in {dialect} (lastmile's checker does not model it)")
    weight_type = header.get("EDGE_WEIGHT_TYPE", ("", 0))[0]
    if weight_type != "EUC_2D":
        where = head("EDGE_WEIGHT_TYPE") if "EDGE_WEIGHT_TYPE" in header else "EDGE_WEIGHT_TYPE"
        raise InstanceError(path, f"{where}: '{weight_type or 'missing'}' is not supported (only EUC_2D)")
    for name in _COMMON_REQUIRED + _REQUIRED[dialect]:
        if name not in sections:
            raise InstanceError(path, f"missing {name} ({dialect} needs it)")
    for key in ("DIMENSION", "VEHICLES", "CAPACITY") + (("VEHICLES_MAX_DURATION",) if dialect == "MDVRPTW" else ()):
        if key not in header:
            raise InstanceError(path, f"missing {key}")

    def whole_header(key: str, minimum: int) -> int:
        value = _number(header[key][0], path, head(key))
        if value != int(value) or value < minimum:
            raise InstanceError(path, f"{head(key)}: {header[key][0]} must be a whole number >= {minimum}")
        return int(value)

    n = whole_header("DIMENSION", 2)
    num_vehicles = whole_header("VEHICLES", 1)
    capacity = whole_header("CAPACITY", 1)
    rounding = ROUNDING[dialect]

    # Depots: 1..k, contiguous from 1 (PyVRP's requirement), ending with an optional -1.
    dsec = sections["DEPOT_SECTION"]
    depots: list[int] = []
    for line, row in dsec.rows:
        for value in row:
            number = _number(value, path, f"DEPOT_SECTION, line {line}")
            if number == -1:
                break
            depots.append(int(number))
    if not depots or depots != list(range(1, len(depots) + 1)) or len(depots) >= n:
        raise InstanceError(path, f"{dsec.where()}: depots {depots or 'none'}; they must be 1..k, the first k nodes, and leave clients")
    num_depots = len(depots)

    coords, _ = _node_table(path, sections, "NODE_COORD_SECTION", n, 2)
    demands, demand_lines = _node_table(path, sections, "DEMAND_SECTION", n, 1)
    demand = demands[:, 0]
    _whole(path, "DEMAND_SECTION", demand, demand_lines, "demand")
    _nonnegative(path, "DEMAND_SECTION", demand, demand_lines, "demand")
    windows, window_lines = _node_table(path, sections, "TIME_WINDOW_SECTION", n, 2)
    _nonnegative(path, "TIME_WINDOW_SECTION", windows[:, 0], window_lines, "window start")
    i = _first(windows[:, 1] < windows[:, 0])
    if i is not None:
        raise InstanceError(
            path, f"TIME_WINDOW_SECTION, line {window_lines[i]}: time window of node {i + 1} ends ({windows[i, 1]:g}) "
                  f"before it starts ({windows[i, 0]:g})"
        )
    if "SERVICE_TIME_SECTION" in sections:
        if "SERVICE_TIME" in header:
            raise InstanceError(path, f"{head('SERVICE_TIME')}: both SERVICE_TIME and SERVICE_TIME_SECTION given")
        svc, svc_lines = _node_table(path, sections, "SERVICE_TIME_SECTION", n, 1)
        service = svc[:, 0]
        _nonnegative(path, "SERVICE_TIME_SECTION", service, svc_lines, "service time")
    else:
        text, line = header.get("SERVICE_TIME", ("0", 0))
        value = _number(text, path, f"SERVICE_TIME (line {line})")
        if value < 0:
            raise InstanceError(path, f"SERVICE_TIME (line {line}): negative service time {text}")
        service = np.full(n, value)
    service = service.copy()
    service[:num_depots] = 0.0  # depots have no service (reloads are instantaneous in these dialects)
    release = np.zeros(n)
    if "RELEASE_TIME_SECTION" in sections:
        rel, rel_lines = _node_table(path, sections, "RELEASE_TIME_SECTION", n, 1)
        release = rel[:, 0]
        _nonnegative(path, "RELEASE_TIME_SECTION", release, rel_lines, "release time")
    prize = np.zeros(n)
    if "PRIZE_SECTION" in sections:
        pr, prize_lines = _node_table(path, sections, "PRIZE_SECTION", n, 1)
        prize = pr[:, 0]
        _nonnegative(path, "PRIZE_SECTION", prize, prize_lines, "prize")
        i = _first(prize[:num_depots] != 0)
        if i is not None:
            raise InstanceError(path, f"PRIZE_SECTION, line {prize_lines[i]}: depot {i + 1} has prize {prize[i]:g}, must be 0")

    # Per-vehicle fields.
    def vehicle_depots(name: str, what: str) -> np.ndarray | None:
        """Each vehicle's depot in section ``name`` (0-based), checked against DEPOT_SECTION."""
        if name not in sections:
            return None
        section = sections[name]
        if len(section.rows) != num_vehicles:
            raise InstanceError(path, f"{section.where()}: {len(section.rows)} rows, VEHICLES says {num_vehicles}")
        table, lines = _id_table(path, section, num_vehicles, 1, "vehicle")
        for v in range(num_vehicles):
            if table[v, 0] not in depots:
                raise InstanceError(path, f"{name}, line {lines[v]}: {what} {table[v, 0]:g} is not in DEPOT_SECTION {depots}")
        return table[:, 0].astype(np.int64) - 1

    start_depots = vehicle_depots("VEHICLES_DEPOT_SECTION", "depot")
    vehicle_depot = np.zeros(num_vehicles, dtype=np.int64) if start_depots is None else start_depots
    reload_depots = vehicle_depots("VEHICLES_RELOAD_DEPOT_SECTION", "reload depot")
    reloads: list[tuple[int, ...]] = [()] * num_vehicles if reload_depots is None else [(int(d),) for d in reload_depots]
    max_duration = None
    if "VEHICLES_MAX_DURATION" in header:
        value = _number(header["VEHICLES_MAX_DURATION"][0], path, head("VEHICLES_MAX_DURATION"))
        if value <= 0:
            raise InstanceError(path, f"{head('VEHICLES_MAX_DURATION')}: must be positive")
        max_duration = int(scale_values(np.array([value]), rounding)[0])
    max_reloads = None
    if "VEHICLES_MAX_RELOADS" in header:
        max_reloads = whole_header("VEHICLES_MAX_RELOADS", 0)

    required = prize == 0
    required[:num_depots] = False
    i = _first(required & (demand > capacity))
    if i is not None:
        raise InstanceError(
            path, f"DEMAND_SECTION, line {demand_lines[i]}: node {i + 1} demands {demand[i]:g}, more than a vehicle's capacity {capacity}"
        )

    tw_early = scale_values(windows[:, 0], rounding)
    tw_late = scale_values(windows[:, 1], rounding)
    vehicles = [
        Vehicle(
            depot=int(vehicle_depot[v]), capacity=capacity, tw_early=int(tw_early[vehicle_depot[v]]),
            tw_late=int(tw_late[vehicle_depot[v]]), max_duration=max_duration, reload_depots=reloads[v],
            max_reloads=max_reloads,
        )
        for v in range(num_vehicles)
    ]
    inst = VariantInstance(
        path=path,
        name=header.get("NAME", (path.stem, 0))[0],
        kind=dialect,
        rounding=rounding,
        num_depots=num_depots,
        dist=distance_matrix(coords, rounding),
        demand=demand.astype(np.int64),
        service=scale_values(service, rounding),
        tw_early=tw_early,
        tw_late=tw_late,
        release=scale_values(release, rounding),
        prize=scale_values(prize, rounding),
        vehicles=vehicles,
    )
    inst.data = _read_with_pyvrp(path, rounding)
    _compare_with_pyvrp(inst)
    return inst


def _read_with_pyvrp(path: Path, rounding: str):
    import warnings

    import pyvrp

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ScalingWarning on huge values: our checks refuse those anyway
            return pyvrp.read(path, round_func=rounding)
    except Exception as exc:  # vrplib's and PyVRP's errors are generic (ValueError, IndexError, ...)
        message = " ".join(str(exc).split()) or type(exc).__name__
        raise InstanceError(path, f"PyVRP 0.14 cannot read the file: {message}") from None


def _compare_with_pyvrp(inst: VariantInstance) -> None:
    """Refuse the file if PyVRP's ProblemData is not the problem we check."""
    data = inst.data
    path = inst.path

    def differ(what: str) -> InstanceError:
        return InstanceError(path, f"PyVRP 0.14 reads the file differently from lastmile: {what}")

    if data.num_depots != inst.num_depots or data.num_clients != inst.num_clients:
        raise differ(f"{data.num_depots} depots and {data.num_clients} clients, we read {inst.num_depots} and {inst.num_clients}")
    if data.num_vehicles != len(inst.vehicles) or data.num_profiles != 1:
        raise differ(f"{data.num_vehicles} vehicles in {data.num_profiles} profiles, we read {len(inst.vehicles)} vehicles")
    if data.shipments() or data.num_groups:
        raise differ("it has shipments or client groups")
    pd = np.asarray(data.distance_matrix(0), dtype=np.int64)
    diff = np.abs(pd - inst.dist)
    if diff.max() > 1:  # a one-unit difference is float noise at a rounding boundary
        i, j = np.unravel_index(int(diff.argmax()), diff.shape)
        raise differ(f"arc {i}->{j} is {pd[i, j]}, we compute {inst.dist[i, j]}")
    if diff.any():
        inst.notes.append(f"{int((diff > 0).sum())} arcs differ by one unit from PyVRP's (float rounding); the checker uses ours")
    if not np.array_equal(np.asarray(data.duration_matrix(0), dtype=np.int64), pd):
        raise differ("duration is not distance")
    scale = inst.scale
    for c, client in enumerate(data.clients()):
        loc = client.location
        ours = (
            loc, [int(inst.demand[loc]) * scale], int(inst.service[loc]),
            int(inst.tw_early[loc]), int(inst.tw_late[loc]), int(inst.release[loc]), int(inst.prize[loc]),
            bool(inst.required[loc]),
        )
        theirs = (
            c + inst.num_depots, list(client.delivery), client.service_duration, client.tw_early, client.tw_late,
            client.release_time, client.prize, client.required,
        )
        if ours != theirs or any(client.pickup):
            raise differ(f"client at location {loc}: PyVRP {theirs}, we read {ours}")
    for depot_index, depot in enumerate(data.depots()):
        if depot.location != depot_index or depot.service_duration != 0:
            raise differ(f"depot {depot_index}")
    for t, vt in enumerate(data.vehicle_types()):
        for v in map(int, vt.name.split(",")):
            veh = inst.vehicles[v]
            cap = veh.capacity * scale
            ours = (veh.depot, veh.depot, [cap], veh.tw_early, veh.tw_late, tuple(veh.reload_depots))
            theirs = (vt.start_depot, vt.end_depot, list(vt.capacity), vt.tw_early, vt.tw_late, tuple(vt.reload_depots))
            if ours != theirs:
                raise differ(f"vehicle {v + 1}: PyVRP {theirs}, we read {ours}")
            if vt.fixed_cost or vt.unit_distance_cost != 1 or vt.unit_duration_cost or vt.max_overtime:
                raise differ(f"vehicle {v + 1} has costs beyond distance")
            if veh.max_duration is not None and vt.max_duration != veh.max_duration:
                raise differ(f"vehicle {v + 1}: max duration {vt.max_duration}, we read {veh.max_duration}")
            if veh.max_reloads is not None and vt.max_reloads != veh.max_reloads:
                raise differ(f"vehicle {v + 1}: max reloads {vt.max_reloads}, we read {veh.max_reloads}")


# --------------------------------------------------------------------------- solutions

Routes = list[tuple[int, list[int]]]  # (vehicle index 0-based, visits: locations, depots inside = reloads)


def read_bks(path: str | Path) -> tuple[Routes, int | float]:
    """A ``.sol`` file: ``Route #k: ...`` is vehicle ``k`` (1-based in the file), visits are
    0-based locations (depots first; a depot inside a route is a reload); and its ``Cost``."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise InstanceError(path, f"cannot read the solution file ({exc.strerror})") from None
    routes: Routes = []
    cost = math.nan
    for number, line in enumerate(text.splitlines(), start=1):
        m = re.match(r"^\s*Route\s*#?\s*(\d+)\s*:(.*)$", line)
        if m:
            try:
                visits = [int(x) for x in m.group(2).split()]
            except ValueError:
                raise InstanceError(path, f"line {number}: a route of non-integer locations: '{line.strip()}'") from None
            if visits:
                routes.append((int(m.group(1)) - 1, visits))
        elif line.lower().startswith("cost"):
            cost = _number(line.split(":", 1)[-1].split()[0] if ":" in line else line.split()[1], path, f"line {number}")
    if math.isnan(cost):
        raise InstanceError(path, "no 'Cost' line")
    return routes, (int(cost) if cost == int(cost) else cost)


def solution_routes(inst: VariantInstance, solution) -> Routes:
    """A PyVRP solution of ``inst.data`` as :data:`Routes`: each route on the next unused vehicle
    of its vehicle type (the type's name lists its vehicles), visits by location."""
    free = {t: [int(v) for v in vt.name.split(",")] for t, vt in enumerate(inst.data.vehicle_types())}
    routes: Routes = []
    for route in solution.routes():
        schedule = list(route.schedule())
        visits = []
        for activity in schedule[1:-1]:
            if activity.is_client():
                visits.append(inst.data.client(activity.idx).location)
            elif activity.is_depot():
                visits.append(inst.data.depot(activity.idx).location)
            else:  # pragma: no cover - no shipments in these dialects (refused when reading)
                raise ValueError(f"unexpected activity {activity}")
        routes.append((free[route.vehicle_type()].pop(0), visits))
    return routes


@dataclass
class VariantReport:
    """What :func:`check_routes` found. Costs in the instance's integer units."""

    feasible: bool
    cost: int  # distance + uncollected prizes
    distance: int
    uncollected_prize: int
    routes: int  # non-empty routes
    trips: int  # trips over all routes (a route with r reloads has r + 1)
    visited: int  # clients served
    violations: list[str] = field(default_factory=list)

    @property
    def reloads(self) -> int:
        return self.trips - self.routes


def check_routes(inst: VariantInstance, routes: Routes) -> VariantReport:
    """Judge ``routes`` on ``inst`` with our own data and arithmetic (module docstring)."""
    violations: list[str] = []
    n, nd, s = inst.n, inst.num_depots, inst.scale
    seen = np.zeros(n, dtype=np.int64)
    used: dict[int, int] = {}
    distance = 0
    trips_total = 0
    nonempty = 0

    def t(x: float) -> str:  # integer units -> instance units for messages
        return f"{x / s:g}"

    for r, (v, visits) in enumerate(routes):
        label = f"route {r + 1} (vehicle {v + 1})"
        if not 0 <= v < len(inst.vehicles):
            violations.append(f"{label}: no such vehicle (the instance has {len(inst.vehicles)})")
            continue
        if v in used:
            violations.append(f"{label}: vehicle {v + 1} already drives route {used[v] + 1}")
        used[v] = r
        if not visits:
            continue
        bad = [x for x in visits if not 0 <= x < n]
        if bad:
            violations.append(f"{label}: locations {bad} outside 0..{n - 1}")
            continue
        nonempty += 1
        veh = inst.vehicles[v]
        path = [veh.depot, *visits, veh.depot]
        distance += int(inst.dist[path[:-1], path[1:]].sum())
        # split into trips
        trips: list[list[int]] = [[]]
        for x in visits:
            if x < nd:
                if x not in veh.reload_depots:
                    allowed = [d for d in veh.reload_depots] or "none"
                    violations.append(f"{label}: visits depot {x} mid-route; its reload depots: {allowed}")
                trips.append([])
            else:
                seen[x] += 1
                trips[-1].append(x)
        trips_total += len(trips)
        if veh.max_reloads is not None and len(trips) - 1 > veh.max_reloads:
            violations.append(f"{label}: {len(trips) - 1} reloads, at most {veh.max_reloads}")
        for k, trip in enumerate(trips):
            load = int(inst.demand[trip].sum()) if trip else 0
            if load > veh.capacity:
                violations.append(f"{label}: trip {k + 1} carries {load}, capacity {veh.capacity}")
        # Time. f(t0) = max(t0 + A, B) is the service start (departure at a depot) at the current
        # node when the vehicle leaves its depot at t0; t0 in [lo, U] keeps every step so far in time.
        lo, U = veh.tw_early, veh.tw_late
        A, B = 0, (int(inst.release[trips[0]].max()) if trips[0] else -_INF)
        prev, trip_index = veh.depot, 0
        for x in path[1:]:
            d = int(inst.service[prev]) + int(inst.dist[prev, x])
            e, l = (-_INF, _INF) if x < nd else (int(inst.tw_early[x]), int(inst.tw_late[x]))
            arrive_lo = max(lo + A + d, B + d)
            if arrive_lo > l:
                violations.append(f"{label}: location {x} reached at {t(arrive_lo)} at the earliest, its window closes at {t(l)}")
            U = min(U, l - A - d)
            A += d
            B = max(B + d, e)
            if x < nd:  # a reload (or the end): the next trip leaves once its parcels are released
                trip_index += 1
                if trip_index < len(trips) and trips[trip_index]:
                    B = max(B, int(inst.release[trips[trip_index]].max()))
            prev = x
        end_lo = max(lo + A, B)
        if end_lo > veh.tw_late:
            violations.append(
                f"{label}: back at depot {veh.depot} at {t(end_lo)} at the earliest, its window closes at {t(veh.tw_late)}"
            )
        U = min(U, veh.tw_late - A)
        if veh.max_duration is not None and U >= lo:
            shortest = max(A, B - U)  # leaving as late as the windows allow gives the shortest route
            if shortest > veh.max_duration:
                violations.append(f"{label}: lasts at least {t(shortest)}, at most {t(veh.max_duration)} allowed")

    twice = np.flatnonzero(seen > 1)
    if twice.size:
        violations.append(f"clients served more than once: locations {twice.tolist()[:10]}")
    missing = np.flatnonzero(inst.required & (seen == 0))
    if missing.size:
        violations.append(f"{missing.size} required clients not served: locations {missing.tolist()[:10]}")
    unserved = (seen == 0)
    unserved[:nd] = False
    uncollected = int(inst.prize[unserved & ~inst.required].sum())
    return VariantReport(
        feasible=not violations,
        cost=distance + uncollected,
        distance=distance,
        uncollected_prize=uncollected,
        routes=nonempty,
        trips=trips_total,
        visited=int((seen[nd:] > 0).sum()),
        violations=violations,
    )


def pyvrp_opinion(inst: VariantInstance, routes: Routes) -> tuple[bool, int]:
    """PyVRP's own verdict on ``routes`` (second opinion): ``(is_feasible, distance +
    uncollected prizes)``."""
    import pyvrp
    from pyvrp import Activity, ActivityType

    veh2type = {}
    for t, vt in enumerate(inst.data.vehicle_types()):
        for v in vt.name.split(","):
            veh2type[int(v)] = t
    loc2act = {d.location: Activity(ActivityType.DEPOT, i) for i, d in enumerate(inst.data.depots())}
    loc2act.update({c.location: Activity(ActivityType.CLIENT, i) for i, c in enumerate(inst.data.clients())})
    pr = [pyvrp.Route(inst.data, [loc2act[x] for x in visits], veh2type[v]) for v, visits in routes if visits]
    sol = pyvrp.Solution(inst.data, pr)
    return sol.is_feasible(), int(sol.distance() + sol.uncollected_prizes())
