"""Reading VRPLIB VRPTW files: DIMACS scaling, best-known solutions, and clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from optimizer.checker import check_routes
from optimizer.vrplib import InstanceError, read_problem, read_solution, read_vrptw, scaled_distance

SOLOMON = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "solomon"
NAMES = sorted(p.stem for p in SOLOMON.glob("*.vrp"))

TINY = """NAME : TINY
TYPE : CVRPTW
DIMENSION : 3
VEHICLES : 2
CAPACITY : 10
SERVICE_TIME : 5
EDGE_WEIGHT_TYPE : EUC_2D
NODE_COORD_SECTION
1 0 0
2 3 4
3 1 1
DEMAND_SECTION
1 0
2 4
3 6
TIME_WINDOW_SECTION
1 0 100
2 0 50
3 10 20
DEPOT_SECTION
1
-1
EOF
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "x.vrp"
    path.write_text(text)
    return path


def test_twelve_solomon_instances_are_shipped():
    assert len(NAMES) == 12


def test_tiny_file_is_scaled_to_tenths_with_truncated_arcs(tmp_path):
    problem = read_problem(write(tmp_path, TINY))
    assert problem.name == "TINY"
    assert problem.distance[0, 1] == 50  # 5.0
    assert problem.distance[0, 2] == 14  # sqrt(2) = 1.414 -> 1.4
    assert problem.distance[1, 2] == 36  # sqrt(13) = 3.605 -> 3.6
    assert np.array_equal(problem.duration, problem.distance)
    assert list(problem.service) == [0, 50, 50]
    assert list(problem.tw_start) == [0, 0, 100] and list(problem.tw_end) == [1000, 500, 200]
    assert len(problem.vehicles) == 2
    spec = problem.vehicles[0]
    assert (spec.capacity, spec.shift_start, spec.shift_end) == (10, 0, 1000)
    assert (spec.cost_per_m, spec.cost_per_s, spec.fixed_cost) == (1, 0, 0)
    assert problem.penalty is None and problem.depots == [0]


def test_reader_agrees_with_the_vrplib_package():
    vrplib = pytest.importorskip("vrplib")
    ours = read_vrptw(SOLOMON / "R101.vrp")
    theirs = vrplib.read_instance(str(SOLOMON / "R101.vrp"))
    assert np.array_equal(ours.coords, theirs["node_coord"])
    assert np.array_equal(ours.demand, theirs["demand"])
    assert np.array_equal(np.c_[ours.tw_start, ours.tw_end], theirs["time_window"])


@pytest.mark.parametrize("name", NAMES)
def test_best_known_solution_is_feasible_and_matches_its_cost_under_dimacs_truncation(name):
    problem = read_problem(SOLOMON / f"{name}.vrp")
    routes, cost = read_solution(SOLOMON / f"{name}.sol")
    report = check_routes(problem, routes)
    assert report.feasible, report.violations
    assert scaled_distance(report.distance) == cost


@pytest.mark.parametrize(
    "change, message",
    [
        (("DEMAND_SECTION", "DEMANDS_SECTION"), "missing DEMAND_SECTION"),
        (("TIME_WINDOW_SECTION", "TW_SECTION"), "missing TIME_WINDOW_SECTION"),
        (("2 4\n", "2 -4\n"), "negative demand -4 at node 2"),
        (("3 10 20", "3 20 10"), "time window of node 3 ends (10) before it starts (20)"),
        (("CAPACITY : 10", "CAPACITY : 4"), "total demand 10 exceeds total capacity 2 x 4 = 8"),
        (("CAPACITY : 10", "CAPACITY : 5"), "node 3 demands 6, more than a vehicle's capacity 5"),
        (("2 3 4", "2 3 x"), "NODE_COORD_SECTION: 'x' is not a number"),
        (("3 1 1\n", ""), "NODE_COORD_SECTION has 2 rows, DIMENSION says 3"),
    ],
)
def test_malformed_files_raise_instance_error_naming_file_and_problem(tmp_path, change, message):
    path = write(tmp_path, TINY.replace(*change, 1))
    with pytest.raises(InstanceError) as err:
        read_problem(path)
    assert err.value.file == str(path)
    assert message in err.value.problem
    assert str(err.value).startswith(str(path))


def test_missing_file_is_an_instance_error(tmp_path):
    with pytest.raises(InstanceError, match="cannot read"):
        read_problem(tmp_path / "nope.vrp")
