"""Read VRPLIB VRPTW instances as RoutingProblems: coordinates (Solomon, Gehring-Homberger,
LKH-3 style, ``EDGE_WEIGHT_TYPE: EUC_2D``) or explicit travel-time matrices (real-world
instances with asymmetric road times, ``EDGE_WEIGHT_TYPE: EXPLICIT`` with
``EDGE_WEIGHT_FORMAT: FULL_MATRIX``).

EUC_2D follows the DIMACS convention used by the best-known solutions: every arc is the
euclidean distance truncated to one decimal, stored as an integer in tenths
(``floor(10 * d)``); travel time equals distance; windows and service times are multiplied by
:data:`SCALE` too. EXPLICIT takes ``EDGE_WEIGHT_SECTION`` as it stands: ``n x n`` whole numbers,
row ``i`` the arcs leaving node ``i``, read row by row however the lines wrap, used as both
travel time and distance, with windows and service times in the same units (scale 1; any
``NODE_COORD_SECTION`` is only for display and ignored). Either way the objective is the sum of
arc weights (``cost_per_m=1``, no labour or fixed cost) and :func:`instance_units` turns it back
into the instance's own units; all stops are required, the vehicle count is the file's
``VEHICLES`` (default: one per customer) and every shift is the depot's window.

Malformed files raise :class:`InstanceError` naming the file, the section and the line.

Why our own reader and not the ``vrplib`` package (installed with PyVRP): ``vrplib`` 2.2
parses the same sections, and the tests check both agree, but it drops line numbers, does not
check that a FULL_MATRIX has ``DIMENSION x DIMENSION`` entries (a missing row comes back as a
smaller array), nor node ids, negative windows or times, and it raises generic errors. A
benchmark command must say which section and line of a file is wrong, so we keep this reader.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from optimizer.problem import RoutingProblem, VehicleSpec

SCALE = 10  # integer units per instance unit for EUC_2D (one decimal)

EDGE_WEIGHT_TYPES = ("EUC_2D", "EXPLICIT")
_REQUIRED_SECTIONS = ("DEMAND_SECTION", "TIME_WINDOW_SECTION", "DEPOT_SECTION")


class InstanceError(ValueError):
    """A VRPLIB file that cannot be turned into a routing problem."""

    def __init__(self, file: str | Path, problem: str):
        self.file = str(file)
        self.problem = problem
        super().__init__(f"{self.file}: {problem}")


@dataclass
class VrptwInstance:
    """The raw numbers of a VRPTW file, instance units, node 0 = depot.

    ``matrix`` is the explicit ``(n, n)`` travel-time matrix of an EXPLICIT file (None for
    EUC_2D, whose arcs come from ``coords``); ``coords`` are zeros when an EXPLICIT file has none.
    """

    name: str
    coords: np.ndarray  # (n, 2) float
    demand: np.ndarray  # (n,) int
    tw_start: np.ndarray  # (n,) float
    tw_end: np.ndarray  # (n,) float
    service: np.ndarray  # (n,) float
    capacity: int
    vehicles: int
    edge_weight_type: str = "EUC_2D"
    matrix: np.ndarray | None = None  # (n, n) int64, EXPLICIT only

    @property
    def scale(self) -> int:
        """Integer units of the routing problem per instance unit."""
        return SCALE if self.edge_weight_type == "EUC_2D" else 1


@dataclass
class _Section:
    """The rows of one ``*_SECTION`` with the file line of each (1-based)."""

    name: str
    line: int
    rows: list[tuple[int, list[str]]] = field(default_factory=list)

    def where(self) -> str:
        """``NAME, lines a-b`` (or ``line a`` for a section without rows)."""
        last = self.rows[-1][0] if self.rows else self.line
        return f"{self.name}, line {self.line}" if last == self.line else f"{self.name}, lines {self.line}-{last}"


def _number(text: str, file: Path, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InstanceError(file, f"{where}: '{text}' is not a number") from None
    if not math.isfinite(value):
        raise InstanceError(file, f"{where}: '{text}' is not a finite number")
    return value


def _parse(path: Path) -> tuple[dict[str, tuple[str, int]], dict[str, _Section]]:
    """Header ``KEY : value`` pairs (with their line) and each ``*_SECTION`` with its rows."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise InstanceError(path, f"cannot read the file ({exc.strerror})") from None
    header: dict[str, tuple[str, int]] = {}
    sections: dict[str, _Section] = {}
    current: _Section | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line == "EOF":
            continue
        word = line.split()[0].rstrip(":")
        if word.endswith("_SECTION"):
            if word in sections:
                raise InstanceError(path, f"{word}, line {number}: the section appears twice (first at line {sections[word].line})")
            current = sections[word] = _Section(word, number)
            rest = line[len(line.split()[0]):].strip(" :")
            if rest:
                current.rows.append((number, rest.split()))
        elif ":" in line and re.match(r"^[A-Z_]+\s*:", line):
            key, value = line.split(":", 1)
            header[key.strip()] = (value.strip(), number)
            current = None
        elif current is not None:
            current.rows.append((number, line.split()))
        else:
            raise InstanceError(path, f"line {number}: unexpected line outside any section: '{line}'")
    return header, sections


def _whole(values: np.ndarray, lines: np.ndarray, path: Path, section: str, what: str) -> None:
    """Refuse non-integers in an EXPLICIT file, naming the first one's line."""
    bad = np.flatnonzero(values != np.round(values))
    if bad.size:
        i = bad[0]
        raise InstanceError(
            path, f"{section}, line {lines[i]}: {what} {values[i]:g} is not a whole number "
                  "(an EXPLICIT instance is read in its own integer units)"
        )


def _full_matrix(section: _Section, n: int, path: Path) -> np.ndarray:
    """``EDGE_WEIGHT_SECTION`` as an ``(n, n)`` int64 matrix, row-major however the lines wrap."""
    values: list[str] = []
    lines: list[int] = []
    for line, row in section.rows:
        values.extend(row)
        lines.extend([line] * len(row))
    if len(values) != n * n:
        rows = [(line, len(row)) for line, row in section.rows]
        if all(width == n for _, width in rows):
            raise InstanceError(
                path, f"{section.where()}: {len(rows)} rows of {n} weights, a FULL_MATRIX of DIMENSION {n} has {n} rows"
            )
        line, width = next(((line, width) for line, width in rows if width != n), rows[-1] if rows else (section.line, 0))
        raise InstanceError(
            path, f"{section.name}, line {line}: {width} weights where a FULL_MATRIX row of DIMENSION {n} has {n} "
                  f"({len(values)} weights in {section.where()}, {n} x {n} = {n * n} needed)"
        )
    try:
        numbers = np.asarray(values, dtype=float)  # fast path: a 1000-node matrix is a million numbers
    except ValueError:
        numbers = np.array([_number(v, path, f"{section.name}, line {line}") for v, line in zip(values, lines)])
    where = np.asarray(lines)
    if not np.isfinite(numbers).all():
        k = int(np.flatnonzero(~np.isfinite(numbers))[0])
        raise InstanceError(path, f"{section.name}, line {where[k]}: '{values[k]}' is not a finite number")
    _whole(numbers, where, path, section.name, "weight")
    negative = np.flatnonzero(numbers < 0)
    if negative.size:
        k = negative[0]
        raise InstanceError(
            path, f"{section.name}, line {where[k]}: negative weight {numbers[k]:g} from node {k // n + 1} to node {k % n + 1}"
        )
    return numbers.astype(np.int64).reshape(n, n)


def read_vrptw(path: str | Path) -> VrptwInstance:
    """Parse and validate a VRPLIB VRPTW file; raises :class:`InstanceError`."""
    path = Path(path)
    header, sections = _parse(path)

    def head(key: str) -> str:
        return f"{key} (line {header[key][1]})"

    weight_type = header.get("EDGE_WEIGHT_TYPE", ("EUC_2D", 0))[0]
    if weight_type not in EDGE_WEIGHT_TYPES:
        raise InstanceError(
            path, f"{head('EDGE_WEIGHT_TYPE')}: {weight_type} is not supported (only {' and '.join(EDGE_WEIGHT_TYPES)})"
        )
    explicit = weight_type == "EXPLICIT"
    if explicit:
        weight_format = header.get("EDGE_WEIGHT_FORMAT", ("", 0))[0]
        if "EDGE_WEIGHT_FORMAT" not in header:
            raise InstanceError(path, f"{head('EDGE_WEIGHT_TYPE')}: EXPLICIT needs EDGE_WEIGHT_FORMAT: FULL_MATRIX")
        if weight_format != "FULL_MATRIX":
            raise InstanceError(path, f"{head('EDGE_WEIGHT_FORMAT')}: {weight_format} is not supported (only FULL_MATRIX)")
    required = _REQUIRED_SECTIONS + (("EDGE_WEIGHT_SECTION",) if explicit else ("NODE_COORD_SECTION",))
    for section in required:
        if section not in sections:
            why = " (EDGE_WEIGHT_TYPE is EXPLICIT)" if section == "EDGE_WEIGHT_SECTION" else ""
            raise InstanceError(path, f"missing {section}{why}")
    if "DIMENSION" not in header:
        raise InstanceError(path, "missing DIMENSION")
    if "CAPACITY" not in header:
        raise InstanceError(path, "missing CAPACITY")
    n = int(_number(header["DIMENSION"][0], path, head("DIMENSION")))
    capacity = int(_number(header["CAPACITY"][0], path, head("CAPACITY")))
    vehicles = int(_number(header["VEHICLES"][0], path, head("VEHICLES"))) if "VEHICLES" in header else n - 1
    if n < 2:
        raise InstanceError(path, f"{head('DIMENSION')}: {n} nodes; need a depot and at least one customer")
    if capacity <= 0 or vehicles <= 0:
        raise InstanceError(path, f"CAPACITY {capacity} and VEHICLES {vehicles} must be positive")

    def table(name: str, width: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows ``id v1 .. v_width`` by node, and the file line of each node's row."""
        section = sections[name]
        if len(section.rows) != n:
            raise InstanceError(path, f"{section.where()}: {len(section.rows)} rows, DIMENSION says {n}")
        out = np.zeros((n, width))
        lines = np.zeros(n, dtype=np.int64)
        for line, row in section.rows:
            if len(row) < width + 1:
                raise InstanceError(path, f"{name}, line {line}: row '{' '.join(row)}' has too few columns ({width + 1} needed)")
            where = f"{name}, line {line}"
            node = int(_number(row[0], path, where)) - 1
            if not 0 <= node < n:
                raise InstanceError(path, f"{where}: node id {node + 1} outside 1..{n}")
            if lines[node]:
                raise InstanceError(path, f"{where}: node id {node + 1} listed twice (first at line {lines[node]})")
            out[node] = [_number(v, path, where) for v in row[1 : width + 1]]
            lines[node] = line
        return out, lines

    if "NODE_COORD_SECTION" in sections and not explicit:
        coords, _ = table("NODE_COORD_SECTION", 2)
    else:
        coords = np.zeros((n, 2))
    demands, demand_lines = table("DEMAND_SECTION", 1)
    windows, window_lines = table("TIME_WINDOW_SECTION", 2)
    if "SERVICE_TIME_SECTION" in sections:
        service_source = "SERVICE_TIME_SECTION"
        service, service_lines = table(service_source, 1)
        service = service[:, 0]
    else:  # one service time for every customer in the header (default 0)
        service_source = "SERVICE_TIME"
        text, line = header.get("SERVICE_TIME", ("0", 0))
        service = np.full(n, _number(text, path, f"SERVICE_TIME (line {line})"))
        service_lines = np.full(n, line)
    depot_section = sections["DEPOT_SECTION"]
    depots = [int(_number(r[0], path, f"DEPOT_SECTION, line {line}")) for line, r in depot_section.rows if r and r[0] != "-1"]
    if depots != [1]:
        raise InstanceError(
            path, f"{depot_section.where()}: lists {depots or 'no depot'}; only a single depot 1 is supported"
        )
    matrix = _full_matrix(sections["EDGE_WEIGHT_SECTION"], n, path) if explicit else None

    _whole(demands[:, 0], demand_lines, path, "DEMAND_SECTION", "demand")
    demand = demands[:, 0].astype(np.int64)
    if explicit:
        _whole(windows[:, 0], window_lines, path, "TIME_WINDOW_SECTION", "window start")
        _whole(windows[:, 1], window_lines, path, "TIME_WINDOW_SECTION", "window end")
        _whole(service, service_lines, path, service_source, "service time")
    negative = np.flatnonzero(demand < 0)
    if negative.size:
        i = negative[0]
        raise InstanceError(path, f"DEMAND_SECTION, line {demand_lines[i]}: negative demand {demand[i]} at node {i + 1}")
    negative = np.flatnonzero(service < 0)
    if negative.size:
        i = negative[0]
        raise InstanceError(
            path, f"{service_source}, line {service_lines[i]}: negative service time {service[i]:g} at node {i + 1}"
        )
    service[0] = 0.0
    negative = np.flatnonzero(windows[:, 0] < 0)
    if negative.size:
        i = negative[0]
        raise InstanceError(
            path, f"TIME_WINDOW_SECTION, line {window_lines[i]}: time window of node {i + 1} starts at "
                  f"{windows[i, 0]:g}, before time 0"
        )
    backwards = np.flatnonzero(windows[:, 1] < windows[:, 0])
    if backwards.size:
        i = backwards[0]
        raise InstanceError(
            path, f"TIME_WINDOW_SECTION, line {window_lines[i]}: time window of node {i + 1} ends ({windows[i, 1]:g}) "
                  f"before it starts ({windows[i, 0]:g})"
        )
    if demand.sum() > capacity * vehicles:
        raise InstanceError(
            path, f"total demand {demand.sum()} exceeds total capacity {vehicles} x {capacity} = {capacity * vehicles}"
        )
    too_big = np.flatnonzero(demand > capacity)
    if too_big.size:
        i = too_big[0]
        raise InstanceError(
            path, f"DEMAND_SECTION, line {demand_lines[i]}: node {i + 1} demands {demand[i]}, "
                  f"more than a vehicle's capacity {capacity}"
        )
    return VrptwInstance(
        name=header.get("NAME", (path.stem, 0))[0],
        coords=coords,
        demand=demand,
        tw_start=windows[:, 0],
        tw_end=windows[:, 1],
        service=service,
        capacity=capacity,
        vehicles=vehicles,
        edge_weight_type=weight_type,
        matrix=matrix,
    )


def dimacs_matrix(coords: np.ndarray) -> np.ndarray:
    """Euclidean distances truncated to one decimal, in tenths: ``floor(10 * d)`` (int64).

    Integer coordinates use exact integer square roots, so no arc is off by one from floating
    point error.
    """
    coords = np.asarray(coords, dtype=float)
    if np.all(coords == np.round(coords)) and np.abs(coords).max(initial=0) < 2**20:
        c = coords.astype(np.int64)
        sq = ((c[:, None, :] - c[None, :, :]) ** 2).sum(axis=2) * SCALE * SCALE
        return np.vectorize(math.isqrt, otypes=[np.int64])(sq)
    d = np.sqrt(((coords[:, None, :] - coords[None, :, :]) ** 2).sum(axis=2))
    return np.floor(d * SCALE + 1e-9).astype(np.int64)


def instance_to_problem(inst: VrptwInstance) -> RoutingProblem:
    """Integer-scaled RoutingProblem of an instance (see module docstring)."""
    scale = inst.scale
    if inst.matrix is not None:
        dist = np.asarray(inst.matrix, dtype=np.int64)
    else:
        dist = dimacs_matrix(inst.coords)
    tw_start = np.floor(inst.tw_start * scale + 1e-9).astype(np.int64)
    tw_end = np.floor(inst.tw_end * scale + 1e-9).astype(np.int64)
    service = np.floor(inst.service * scale + 1e-9).astype(np.int64)
    spec = VehicleSpec(
        depot=0, capacity=inst.capacity, shift_start=int(tw_start[0]), shift_end=int(tw_end[0]),
        cost_per_m=1, cost_per_s=0, fixed_cost=0,
    )
    return RoutingProblem(
        duration=dist.copy(),
        distance=dist,
        demand=inst.demand.copy(),
        service=service,
        tw_start=tw_start,
        tw_end=tw_end,
        vehicles=[spec] * inst.vehicles,
        depots=[0],
        penalty=None,
        name=inst.name,
    )


def read_problem(path: str | Path) -> RoutingProblem:
    """Read a VRPLIB VRPTW file as an integer-scaled RoutingProblem (EUC_2D: tenths of a unit)."""
    return instance_to_problem(read_vrptw(path))


def read_benchmark(path: str | Path) -> tuple[RoutingProblem, int]:
    """The RoutingProblem of a VRPTW file and its scale (integer units per instance unit), for
    :func:`instance_units`."""
    inst = read_vrptw(path)
    return instance_to_problem(inst), inst.scale


def read_solution(path: str | Path) -> tuple[list[list[int]], float]:
    """Read a ``.sol`` file: routes of customer ids (= node ids, depot 0 excluded) and its cost."""
    path = Path(path)
    routes: list[list[int]] = []
    cost = math.nan
    for line in path.read_text().splitlines():
        if line.startswith("Route"):
            routes.append([int(x) for x in line.split(":", 1)[1].split()])
        elif line.lower().startswith("cost"):
            cost = float(line.split()[1])
    return routes, cost


def scaled_distance(units: int) -> float:
    """Integer tenths back to instance units with one decimal (``16377 -> 1637.7``)."""
    return round(int(units) / SCALE, 1)


def instance_units(units: int, scale: int) -> float:
    """Integer units of a problem read at ``scale`` back to the instance's own units: tenths with
    one decimal for EUC_2D (``16377 -> 1637.7``), the matrix's own whole numbers for EXPLICIT."""
    return round(int(units) / scale, 1) if scale != 1 else float(int(units))
