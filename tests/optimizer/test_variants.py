"""The variant benchmarks' VRPLIB dialects (multi-trip with release times, prize-collecting,
multi-depot with maximum duration): read, checked independently of PyVRP (the best-known
solutions at their stated cost, broken ones refused for the right reason), malformed files
refused naming the file, and a short `lastmile bench` solve."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from optimizer.variants import check_routes, pyvrp_opinion, read_bks, read_variant
from optimizer.vrplib import InstanceError
from webui.cli import main

VARIANTS = Path(__file__).resolve().parents[3] / "shared" / "benchmarks" / "variants"
FILES = sorted(VARIANTS.glob("*/*.vrp"))
MT = VARIANTS / "mtvrptwr" / "C201R0.25.vrp"
PC = VARIANTS / "pcvrptw" / "R1_10_1.vrp"
MD = VARIANTS / "mdvrptw" / "PR11A.vrp"

pytestmark = pytest.mark.skipif(not MT.exists(), reason="shared variant benchmarks not present")


@pytest.fixture(scope="module")
def mt():
    return read_variant(MT)


@pytest.fixture(scope="module")
def md():
    return read_variant(MD)


@pytest.fixture(scope="module")
def pc():
    return read_variant(PC)


def test_the_multi_trip_dialect_has_release_times_and_a_reload_depot(mt):
    assert (mt.kind, mt.rounding, mt.num_depots, mt.num_clients, len(mt.vehicles)) == ("MTVRPTWR", "dimacs", 1, 100, 8)
    assert mt.release.max() > 0 and mt.release[0] == 0
    assert all(v.reload_depots == (0,) and v.max_reloads is None and v.capacity == 100 for v in mt.vehicles)
    assert mt.service[1] == 900 and mt.service[0] == 0  # SERVICE_TIME 90, DIMACS tenths, none at the depot
    assert mt.dist[0, 1] == 277  # (40,50)-(52,75): sqrt(769) = 27.73.. truncated to one decimal


def test_the_prize_collecting_dialect_makes_every_client_optional(pc):
    assert (pc.kind, pc.num_clients, len(pc.vehicles)) == ("PCVRPTW", 1000, 100)
    assert not pc.required.any() and pc.prize[0] == 0 and pc.prize[1:].min() >= 10  # prize >= 1, in tenths
    assert pc.release.max() == 0 and all(v.reload_depots == () for v in pc.vehicles)


def test_the_multi_depot_dialect_has_vehicles_depots_and_a_maximum_duration(md):
    assert (md.kind, md.rounding, md.num_depots, md.num_clients, len(md.vehicles)) == ("MDVRPTW", "exact", 4, 360, 40)
    assert sorted({v.depot for v in md.vehicles}) == [0, 1, 2, 3]
    assert {v.max_duration for v in md.vehicles} == {450_000}  # 450 in thousandths


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_the_best_known_solution_is_feasible_at_its_stated_cost(path):
    inst = read_variant(path)
    routes, cost = read_bks(path.with_suffix(".sol"))
    report = check_routes(inst, routes)
    assert report.violations == []
    assert report.cost == cost  # exact: integer units of the instance's rounding
    assert pyvrp_opinion(inst, routes) == (True, cost)  # the second opinion agrees
    if inst.kind == "MTVRPTWR":
        assert report.reloads > 0
    if inst.kind == "PCVRPTW":
        assert report.uncollected_prize > 0 and report.visited < inst.num_clients


def _bks(path):
    return [(v, list(visits)) for v, visits in read_bks(path.with_suffix(".sol"))[0]]


def test_a_trip_without_its_reload_breaks_capacity(mt):
    routes = _bks(MT)
    v, visits = routes[3]  # Route #4: five trips
    routes[3] = (v, [x for x in visits if x != 0])
    report = check_routes(mt, routes)
    assert not report.feasible
    assert any("route 4 (vehicle 4): trip 1 carries" in m and "capacity 100" in m for m in report.violations)
    assert pyvrp_opinion(mt, routes)[0] is False


def test_a_client_moved_to_a_trip_that_leaves_before_its_release_is_late_or_refused(mt):
    routes = _bks(MT)
    released = [x for x in range(1, mt.n) if mt.release[x] > 0]
    # a released client put first on the first trip of another vehicle: that trip must wait for it
    client = max(released, key=lambda x: mt.release[x])
    routes = [(v, [x for x in visits if x != client]) for v, visits in routes]
    v, visits = routes[0]
    routes[0] = (v, [client, *visits])
    report = check_routes(mt, routes)
    assert not report.feasible
    assert pyvrp_opinion(mt, routes)[0] is False


def test_the_release_time_holds_per_trip_not_per_route(mt):
    # Route #2 of C201R0.25 is "63 62 66 0 68 ...": make a client of its second trip released
    # just after the first trip returns: still feasible; released later than that: the second trip waits.
    routes = _bks(MT)
    report = check_routes(mt, routes)
    assert report.feasible
    later = dataclasses.replace(mt, release=mt.release.copy())
    later.release[68] = mt.tw_late[0]  # released at the depot's closing time: no trip can take it
    report = check_routes(later, routes)
    assert not report.feasible and any("route 2 (vehicle 2)" in m for m in report.violations)


def test_windows_and_the_maximum_duration_are_checked(md):
    routes = _bks(MD)
    v, visits = routes[1]
    flipped = list(routes)
    flipped[1] = (v, visits[::-1])
    report = check_routes(md, flipped)
    assert not report.feasible and any("window closes" in m for m in report.violations)
    assert pyvrp_opinion(md, flipped)[0] is False

    shorter = dataclasses.replace(md, vehicles=[dataclasses.replace(x, max_duration=100_000) for x in md.vehicles])
    report = check_routes(shorter, routes)
    assert not report.feasible and any("at most 100 allowed" in m for m in report.violations)
    assert report.cost == 6655548  # the cost does not change, the verdict does


def test_coverage_reloads_and_prizes(md, pc):
    routes = _bks(MD)
    v, visits = routes[1]
    routes[1] = (v, visits[1:])  # a required client left out
    report = check_routes(md, routes)
    assert any("1 required clients not served" in m for m in report.violations)
    routes[1] = (v, [*visits[:2], 2, *visits[2:]])  # a mid-route depot: MDVRPTW vehicles do not reload
    assert any("visits depot 2 mid-route" in m for m in check_routes(md, routes).violations)
    routes[1] = (v, [*visits, visits[0]])
    assert any("more than once" in m for m in check_routes(md, routes).violations)

    pc_routes = _bks(PC)
    dropped = pc_routes[1][1][0]
    full = check_routes(pc, pc_routes)
    v, visits = pc_routes[1]
    pc_routes[1] = (v, visits[1:])
    less = check_routes(pc, pc_routes)
    assert less.feasible  # every PCVRPTW client is optional
    assert less.uncollected_prize == full.uncollected_prize + pc.prize[dropped]


def _broken(tmp_path, source: Path, old: str, new: str) -> Path:
    text = source.read_text()
    assert old in text
    bad = tmp_path / source.name
    bad.write_text(text.replace(old, new, 1))
    return bad


@pytest.mark.parametrize(
    "old, new, message",
    [
        ("97\t1466\n", "97\tsoon\n", "RELEASE_TIME_SECTION, line 412: 'soon' is not a number"),
        ("97\t1466\n", "97\t-5\n", "RELEASE_TIME_SECTION, line 412: negative release time -5 at node 97"),
        ("101\t0\nVEHICLES_RELOAD", "VEHICLES_RELOAD", "RELEASE_TIME_SECTION, lines 315-415: 100 rows, DIMENSION says 101"),
        ("VEHICLES_RELOAD_DEPOT_SECTION\n1\t1\n", "VEHICLES_RELOAD_DEPOT_SECTION\n1\t2\n", "reload depot 2 is not in DEPOT_SECTION [1]"),
        ("TYPE: MTVRPTWR\n", "TYPE: MTVRPTWR\nVEHICLES_FIXED_COST: 5\n", "VEHICLES_FIXED_COST (line 4): not supported in MTVRPTWR"),
        ("RELEASE_TIME_SECTION", "BACKHAUL_SECTION", "BACKHAUL_SECTION, line 315: not supported"),
    ],
)
def test_a_malformed_file_is_refused_naming_the_file_and_the_place(tmp_path, old, new, message):
    bad = _broken(tmp_path, MT, old, new)
    with pytest.raises(InstanceError) as info:
        read_variant(bad)
    assert info.value.file == str(bad)
    assert message in str(info.value)


def test_the_cli_refuses_a_malformed_file_with_exit_2_before_solving_anything(tmp_path, capsys):
    bad = _broken(tmp_path, MT, "RELEASE_TIME_SECTION\n", "")
    code = main(["bench", "mtvrptwr", str(MT), str(bad), "--time-limit", "1"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.strip().startswith(f"error: {bad}:")  # the file is named, and what is wrong with it
    code = main(["bench", "mdvrptw", str(MT), "--time-limit", "1"])
    out, err = capsys.readouterr()
    assert code == 2 and "TYPE (line 3): the file is MTVRPTWR, not MDVRPTW" in err


def test_a_short_solve_of_the_smallest_instance_is_feasible_and_reports_its_gap(capsys):
    code = main(["bench", "mtvrptwr", str(VARIANTS / "mtvrptwr" / "R201R0.5.vrp"), "--time-limit", "2", "--json"])
    out, _ = capsys.readouterr()
    assert code == 0
    [r] = json.loads(out)
    assert r["instance"] == "R201R0.5" and r["kind"] == "MTVRPTWR" and r["bks"] == 14426
    assert r["feasible"] is True and r["violations"] == [] and r["visited"] == r["clients"] == 100
    assert r["cost"] == r["solver_cost"] and r["solver_feasible"] is True
    assert r["gap_pct"] == pytest.approx(100 * (r["cost"] - 14426) / 14426, abs=0.01)
    assert r["trips"] >= r["routes"] and r["wall_s"] < 10


def test_on_two_cores_two_seeds_search_at_once_and_the_better_plan_is_kept(capsys):
    code = main(["bench", "mtvrptwr", str(VARIANTS / "mtvrptwr" / "R201R0.5.vrp"), "--time-limit", "2",
                 "--cores", "2", "--seed", "5", "--json"])
    out, _ = capsys.readouterr()
    assert code == 0
    [r] = json.loads(out)
    costs = {int(s): c for s, c in r["seed_costs"].items()}
    assert set(costs) == {5, 6} and r["cost"] == min(costs.values()) == costs[r["seed"]]
    assert r["feasible"] is True and r["wall_s"] < 10  # the two ran side by side, not one after the other
    assert r["exchange"] is True and set(r["adopted"]) == {"5", "6"}


def test_without_exchange_the_searches_never_take_each_others_plans(capsys):
    code = main(["bench", "mtvrptwr", str(VARIANTS / "mtvrptwr" / "R201R0.5.vrp"), "--time-limit", "2",
                 "--cores", "2", "--no-exchange", "--json"])
    out, _ = capsys.readouterr()
    assert code == 0
    [r] = json.loads(out)
    assert r["exchange"] is False and r["adopted"] == {"1": 0, "2": 0} and r["feasible"] is True


def test_one_core_has_nobody_to_exchange_with(capsys):
    code = main(["bench", "mtvrptwr", str(VARIANTS / "mtvrptwr" / "R201R0.5.vrp"), "--time-limit", "1",
                 "--cores", "1", "--json"])
    [r] = json.loads(capsys.readouterr().out)
    assert code == 0 and r["exchange"] is False and r["seed_costs"].keys() == {"1"}


def test_cores_is_refused_for_vrptw_and_below_one(capsys):
    assert main(["bench", "vrptw", str(MT), "--cores", "2"]) == 2
    assert "--cores: for the variants only" in capsys.readouterr().err
    assert main(["bench", "vrptw", str(MT), "--no-exchange"]) == 2
    assert "--no-exchange: for the variants only" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["bench", "mtvrptwr", str(MT), "--cores", "0"])
    assert info.value.code == 2
