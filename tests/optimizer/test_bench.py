"""The bench command: checker-verified results, JSON output, exit code 2 on a bad file."""

from __future__ import annotations

import json
from pathlib import Path

from optimizer.bench import bench_vrptw, main
from optimizer.engine.portfolio import warm_up

SOLOMON = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "solomon"


def test_bench_vrptw_reports_checker_verified_distance_and_vehicles():
    warm_up()
    [result] = bench_vrptw([SOLOMON / "C201.vrp"], 1.5)
    assert result["instance"] == "C201"
    assert result["feasible"] is True
    assert result["unserved"] == []
    assert 589.1 <= result["distance"] <= 589.1 * 1.03  # best-known 589.1
    assert isinstance(result["distance"], float)
    assert result["vehicles"] >= 3
    assert result["engine"] in {"ortools", "pyvrp+ortools", "pyvrp+ortools-polish"}


def test_main_prints_json_and_exits_zero(capsys):
    code = main(["vrptw", str(SOLOMON / "C101.vrp"), "--time-limit", "1", "--engine", "ortools", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out[0]["instance"] == "C101" and out[0]["feasible"] is True
    assert set(out[0]) == {"instance", "vehicles", "distance", "feasible", "wall_s", "engine", "unserved"}


def test_main_exits_2_with_the_instance_error_on_a_bad_file(tmp_path, capsys):
    bad = tmp_path / "bad.vrp"
    bad.write_text((SOLOMON / "C101.vrp").read_text().replace("DEMAND_SECTION", "DEMANDS"))
    code = main(["vrptw", str(SOLOMON / "C101.vrp"), str(bad), "--time-limit", "1"])
    err = capsys.readouterr().err
    assert code == 2
    assert str(bad) in err and "missing DEMAND_SECTION" in err
