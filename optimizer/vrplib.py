"""Read VRPLIB VRPTW instances (Solomon / Gehring-Homberger, LKH-3 style) as RoutingProblems.

Scaling follows the DIMACS convention used by the best-known solutions: every arc is the
euclidean distance truncated to one decimal, stored as an integer in tenths
(``floor(10 * d)``); travel time equals distance; windows and service times are multiplied by
:data:`SCALE` too. The objective is distance only (``cost_per_m=1``, no labour or fixed cost),
all stops are required, the vehicle count is the file's ``VEHICLES`` and every shift is the
depot's window.

Malformed files raise :class:`InstanceError` naming the file and the problem.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from optimizer.problem import RoutingProblem, VehicleSpec

SCALE = 10  # integer units per instance unit (one decimal)

_REQUIRED_SECTIONS = ("NODE_COORD_SECTION", "DEMAND_SECTION", "TIME_WINDOW_SECTION", "DEPOT_SECTION")


class InstanceError(ValueError):
    """A VRPLIB file that cannot be turned into a routing problem."""

    def __init__(self, file: str | Path, problem: str):
        self.file = str(file)
        self.problem = problem
        super().__init__(f"{self.file}: {problem}")


@dataclass
class VrptwInstance:
    """The raw numbers of a VRPTW file, instance units, node 0 = depot."""

    name: str
    coords: np.ndarray  # (n, 2) float
    demand: np.ndarray  # (n,) int
    tw_start: np.ndarray  # (n,) float
    tw_end: np.ndarray  # (n,) float
    service: np.ndarray  # (n,) float
    capacity: int
    vehicles: int


def _number(text: str, file: Path, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise InstanceError(file, f"{what}: '{text}' is not a number") from None


def _parse(path: Path) -> tuple[dict[str, str], dict[str, list[list[str]]]]:
    """Header ``KEY : value`` pairs and the rows of each ``*_SECTION``."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise InstanceError(path, f"cannot read the file ({exc.strerror})") from None
    header: dict[str, str] = {}
    sections: dict[str, list[list[str]]] = {}
    current: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line == "EOF":
            continue
        word = line.split()[0].rstrip(":")
        if word.endswith("_SECTION"):
            current = word
            sections[current] = []
            rest = line[len(line.split()[0]):].strip(" :")
            if rest:
                sections[current].append(rest.split())
        elif ":" in line and re.match(r"^[A-Z_]+\s*:", line):
            key, value = line.split(":", 1)
            header[key.strip()] = value.strip()
            current = None
        elif current is not None:
            sections[current].append(line.split())
        else:
            raise InstanceError(path, f"unexpected line outside any section: '{line}'")
    return header, sections


def read_vrptw(path: str | Path) -> VrptwInstance:
    """Parse and validate a VRPLIB VRPTW file; raises :class:`InstanceError`."""
    path = Path(path)
    header, sections = _parse(path)
    for section in _REQUIRED_SECTIONS:
        if section not in sections:
            raise InstanceError(path, f"missing {section}")
    if "DIMENSION" not in header:
        raise InstanceError(path, "missing DIMENSION")
    if "CAPACITY" not in header:
        raise InstanceError(path, "missing CAPACITY")
    if header.get("EDGE_WEIGHT_TYPE", "EUC_2D") != "EUC_2D":
        raise InstanceError(path, f"EDGE_WEIGHT_TYPE {header['EDGE_WEIGHT_TYPE']} is not supported (only EUC_2D)")
    n = int(_number(header["DIMENSION"], path, "DIMENSION"))
    capacity = int(_number(header["CAPACITY"], path, "CAPACITY"))
    vehicles = int(_number(header.get("VEHICLES", str(n - 1)), path, "VEHICLES"))
    if n < 2:
        raise InstanceError(path, f"DIMENSION {n}: need a depot and at least one customer")
    if capacity <= 0 or vehicles <= 0:
        raise InstanceError(path, f"CAPACITY {capacity} and VEHICLES {vehicles} must be positive")

    def table(section: str, width: int) -> np.ndarray:
        rows = sections[section]
        if len(rows) != n:
            raise InstanceError(path, f"{section} has {len(rows)} rows, DIMENSION says {n}")
        out = np.zeros((n, width))
        for row in rows:
            if len(row) < width + 1:
                raise InstanceError(path, f"{section}: row '{' '.join(row)}' has too few columns")
            node = int(_number(row[0], path, section)) - 1
            if not 0 <= node < n:
                raise InstanceError(path, f"{section}: node id {node + 1} outside 1..{n}")
            out[node] = [_number(v, path, section) for v in row[1 : width + 1]]
        return out

    coords = table("NODE_COORD_SECTION", 2)
    demand = table("DEMAND_SECTION", 1)[:, 0].astype(np.int64)
    windows = table("TIME_WINDOW_SECTION", 2)
    if "SERVICE_TIME_SECTION" in sections:
        service = table("SERVICE_TIME_SECTION", 1)[:, 0]
    else:
        service = np.full(n, _number(header.get("SERVICE_TIME", "0"), path, "SERVICE_TIME"))
    depots = [int(r[0]) for r in sections["DEPOT_SECTION"] if r and r[0] != "-1"]
    if depots != [1]:
        raise InstanceError(path, f"DEPOT_SECTION lists {depots or 'no depot'}; only a single depot 1 is supported")
    service[0] = 0.0

    negative = np.flatnonzero(demand < 0)
    if negative.size:
        raise InstanceError(path, f"negative demand {demand[negative[0]]} at node {negative[0] + 1}")
    backwards = np.flatnonzero(windows[:, 1] < windows[:, 0])
    if backwards.size:
        i = backwards[0]
        raise InstanceError(path, f"time window of node {i + 1} ends ({windows[i, 1]:g}) before it starts ({windows[i, 0]:g})")
    if demand.sum() > capacity * vehicles:
        raise InstanceError(
            path, f"total demand {demand.sum()} exceeds total capacity {vehicles} x {capacity} = {capacity * vehicles}"
        )
    too_big = np.flatnonzero(demand > capacity)
    if too_big.size:
        i = too_big[0]
        raise InstanceError(path, f"node {i + 1} demands {demand[i]}, more than a vehicle's capacity {capacity}")
    return VrptwInstance(
        name=header.get("NAME", path.stem),
        coords=coords,
        demand=demand,
        tw_start=windows[:, 0],
        tw_end=windows[:, 1],
        service=service,
        capacity=capacity,
        vehicles=vehicles,
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
    dist = dimacs_matrix(inst.coords)
    tw_start = np.floor(inst.tw_start * SCALE + 1e-9).astype(np.int64)
    tw_end = np.floor(inst.tw_end * SCALE + 1e-9).astype(np.int64)
    service = np.floor(inst.service * SCALE + 1e-9).astype(np.int64)
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
    """Read a VRPLIB VRPTW file as an integer-scaled RoutingProblem (tenths of a unit)."""
    return instance_to_problem(read_vrptw(path))


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
