"""Reading VRPLIB VRPTW files: DIMACS scaling, best-known solutions, and clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from optimizer.checker import check_routes
from optimizer.vrplib import (
    InstanceError,
    instance_units,
    read_benchmark,
    read_problem,
    read_solution,
    read_vrptw,
    scaled_distance,
)

SOLOMON = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "solomon"
RING6 = Path(__file__).resolve().parent / "data" / "RING6.vrp"  # EXPLICIT, asymmetric, 5 customers
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
        (("2 4\n", "2 -4\n"), "DEMAND_SECTION, line 14: negative demand -4 at node 2"),
        (("2 4\n", "2 4.5\n"), "DEMAND_SECTION, line 14: demand 4.5 is not a whole number"),
        (("3 10 20", "3 20 10"), "TIME_WINDOW_SECTION, line 19: time window of node 3 ends (10) before it starts (20)"),
        (("3 10 20", "3 -10 20"), "TIME_WINDOW_SECTION, line 19: time window of node 3 starts at -10, before time 0"),
        (("CAPACITY : 10", "CAPACITY : 4"), "total demand 10 exceeds total capacity 2 x 4 = 8"),
        (("CAPACITY : 10", "CAPACITY : 5"), "DEMAND_SECTION, line 15: node 3 demands 6, more than a vehicle's capacity 5"),
        (("2 3 4", "2 3 x"), "NODE_COORD_SECTION, line 10: 'x' is not a number"),
        (("3 1 1\n", ""), "NODE_COORD_SECTION, lines 8-10: 2 rows, DIMENSION says 3"),
        (("3 1 1\n", "2 1 1\n"), "NODE_COORD_SECTION, line 11: node id 2 listed twice (first at line 10)"),
        (("DIMENSION : 3", "DIMENSION : three"), "DIMENSION (line 3): 'three' is not a number"),
        (("EUC_2D", "GEO"), "EDGE_WEIGHT_TYPE (line 7): GEO is not supported (only EUC_2D and EXPLICIT)"),
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


# -- EXPLICIT FULL_MATRIX: real-world instances with asymmetric travel times -----------------


def test_explicit_full_matrix_is_taken_as_it_stands_asymmetric_and_unscaled():
    problem, scale = read_benchmark(RING6)
    assert scale == 1 and problem.name == "RING6"
    assert problem.distance[0, 1] == 10 and problem.distance[1, 0] == 25  # one way is not the other
    assert np.array_equal(problem.duration, problem.distance)
    assert list(problem.service) == [0, 5, 5, 5, 5, 5]  # SERVICE_TIME_SECTION, depot 0
    assert list(problem.tw_start) == [0, 0, 20, 30, 50, 60] and list(problem.tw_end) == [200, 20, 40, 50, 70, 80]
    assert len(problem.vehicles) == 2 and problem.vehicles[0].shift_end == 200
    assert instance_units(60, scale) == 60.0 and instance_units(16377, 10) == 1637.7


def test_the_one_way_ring_is_cheap_only_forwards():
    problem = read_problem(RING6)
    forwards, backwards = check_routes(problem, [[1, 2, 3, 4, 5]]), check_routes(problem, [[5, 4, 3, 2, 1]])
    assert forwards.feasible and forwards.distance == 60
    assert not backwards.feasible  # windows and the 25s going back


def test_explicit_reader_agrees_with_the_vrplib_package():
    vrplib = pytest.importorskip("vrplib")
    ours = read_vrptw(RING6)
    theirs = vrplib.read_instance(str(RING6))
    assert np.array_equal(ours.matrix, theirs["edge_weight"])
    assert np.array_equal(ours.demand, theirs["demand"])
    assert np.array_equal(ours.service, theirs["service_time"])
    assert np.array_equal(np.c_[ours.tw_start, ours.tw_end], theirs["time_window"])


def test_a_full_matrix_row_may_wrap_over_lines(tmp_path):
    text = RING6.read_text().replace("25 0 10 30 30 30\n", "25 0 10\n30 30 30\n")
    assert np.array_equal(read_vrptw(write(tmp_path, text)).matrix, read_vrptw(RING6).matrix)


EXPLICIT_MALFORMED = [
    # the matrix of the wrong size: a row missing, a row short, a row too long
    (("10 30 30 30 25 0\n", ""), "EDGE_WEIGHT_SECTION, lines 40-45: 5 rows of 6 weights, "
                                  "a FULL_MATRIX of DIMENSION 6 has 6 rows"),
    (("30 25 0 10 30 30\n", "30 25 0 10 30\n"), "EDGE_WEIGHT_SECTION, line 43: 5 weights where a FULL_MATRIX row "
                                                 "of DIMENSION 6 has 6"),
    (("30 25 0 10 30 30\n", "30 25 0 10 30 30 30\n"), "EDGE_WEIGHT_SECTION, line 43: 7 weights"),
    (("30 30 25 0 10 30\n", "30 30 25 0 -10 30\n"), "EDGE_WEIGHT_SECTION, line 44: negative weight -10 from node 4 to node 5"),
    (("30 30 25 0 10 30\n", "30 30 25 0 10.5 30\n"), "EDGE_WEIGHT_SECTION, line 44: weight 10.5 is not a whole number"),
    (("30 30 25 0 10 30\n", "30 30 25 0 ten 30\n"), "EDGE_WEIGHT_SECTION, line 44: 'ten' is not a number"),
    # a negative time window, a window ending before it starts
    (("6 60 80\n", "6 -60 80\n"), "TIME_WINDOW_SECTION, line 39: time window of node 6 starts at -60, before time 0"),
    (("6 60 80\n", "6 80 60\n"), "TIME_WINDOW_SECTION, line 39: time window of node 6 ends (60) before it starts (80)"),
    (("6 60 80\n", "6 60.5 80\n"), "TIME_WINDOW_SECTION, line 39: window start 60.5 is not a whole number"),
    (("6 60 80\n", "6 60\n"), "TIME_WINDOW_SECTION, line 39: row '6 60' has too few columns"),
    (("4 5\n", "4 -5\n"), "SERVICE_TIME_SECTION, line 30: negative service time -5 at node 4"),
    (("4 5\n", "2 5\n"), "SERVICE_TIME_SECTION, line 30: node id 2 listed twice (first at line 28)"),
    (("FULL_MATRIX", "LOWER_ROW"), "EDGE_WEIGHT_FORMAT (line 8): LOWER_ROW is not supported (only FULL_MATRIX)"),
    (("EDGE_WEIGHT_FORMAT : FULL_MATRIX\n", ""), "EDGE_WEIGHT_TYPE (line 7): EXPLICIT needs EDGE_WEIGHT_FORMAT: FULL_MATRIX"),
    (("EDGE_WEIGHT_SECTION", "EDGE_WEIGHTS"), "missing EDGE_WEIGHT_SECTION (EDGE_WEIGHT_TYPE is EXPLICIT)"),
]


@pytest.mark.parametrize("change, message", EXPLICIT_MALFORMED)
def test_a_malformed_explicit_file_names_the_section_and_the_line(tmp_path, change, message):
    text = RING6.read_text()
    assert change[0] in text
    path = write(tmp_path, text.replace(*change, 1))
    with pytest.raises(InstanceError) as err:
        read_problem(path)
    assert err.value.file == str(path)
    assert message in err.value.problem
