"""`lastmile bench vrptw` on an explicit-matrix file: solved in the file's own units, or refused
with exit 2 naming the file, the section and the line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from webui.cli import main

RING6 = Path(__file__).resolve().parents[1] / "optimizer" / "data" / "RING6.vrp"  # one-way ring, best tour 60


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("engine", ["ortools", "pyvrp"])
def test_an_asymmetric_explicit_instance_is_solved_and_reported_in_its_own_units(capsys, engine):
    code, out, _ = run(capsys, "bench", "vrptw", str(RING6), "--time-limit", "1", "--engine", engine, "--json")
    assert code == 0
    [result] = json.loads(out)
    assert result["instance"] == "RING6" and result["feasible"] is True
    assert result["distance"] == 60.0  # the matrix's own units, round the ring forwards
    assert result["vehicles"] == 1 and result["unserved"] == []


@pytest.mark.parametrize(
    "change, where",
    [
        (("10 30 30 30 25 0\n", ""), "EDGE_WEIGHT_SECTION, lines 40-45: 5 rows of 6 weights"),  # matrix too small
        (("30 25 0 10 30 30\n", "30 25 0 10 30\n"), "EDGE_WEIGHT_SECTION, line 43: 5 weights"),
        (("6 60 80\n", "6 -60 80\n"), "TIME_WINDOW_SECTION, line 39: time window of node 6 starts at -60"),
    ],
)
def test_a_malformed_explicit_file_exits_2_naming_the_section_and_the_line(tmp_path, capsys, change, where):
    bad = tmp_path / "bad.vrp"
    bad.write_text(RING6.read_text().replace(*change, 1))
    code, out, err = run(capsys, "bench", "vrptw", str(RING6), str(bad), "--time-limit", "1", "--engine", "ortools")
    assert code == 2
    assert out == ""  # nothing solved: every file is read first
    assert f"error: {bad}: {where}" in err
