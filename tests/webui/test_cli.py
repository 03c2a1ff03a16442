"""The `lastmile` command line: plans a file end to end, refuses bad files whole with exit 2."""

import json

import pytest

from webui.cli import main

GOOD = """order_id,lat,lon,address,slot_start,slot_end,parcels,tier
G1,57.7050,11.9650,Kungsgatan 12,08:00,12:00,1,ordinary
G2,57.6980,11.9720,Vasagatan 3,10:00,14:00,2,gold
G3,57.7150,11.9900,Redbergsvägen 5,12:00,16:00,1,silver
"""


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_plan_an_order_file_writes_the_four_files(tmp_path, capsys):
    orders = tmp_path / "orders.csv"
    orders.write_text(GOOD)
    out_dir = tmp_path / "out"
    code, out, _ = run(capsys, "plan", "--orders", str(orders), "--date", "2026-11-24",
                       "--time-limit", "2", "--engine", "ortools", "--out", str(out_dir), "--quiet")
    assert code == 0
    assert {p.name for p in out_dir.iterdir()} == {"plan.json", "routes.csv", "routes.geojson", "scorecard.json"}
    card = json.loads((out_dir / "scorecard.json").read_text())
    assert card["orders_served"] == 3 and card["on_time_rate"] == 1.0
    assert "On-time rate" in out


@pytest.mark.parametrize(
    "text, expected",
    [
        ("order_id,lat,address,slot_start,slot_end\nX,57.7,a,08:00,10:00\n", ["line 1, column lon: required column is missing"]),
        (GOOD + "B1,57.70,11.97,x,8h,10:00,1,ordinary\n", ["line 5, column slot_start: '8h' is not a time of day"]),
        (GOOD + "B2,57.70,11.97,x,12:00,10:00,1,ordinary\n", ["line 5, column slot_end: the slot ends before"]),
        (GOOD + "B3,59.33,18.06,Stockholm,10:00,12:00,1,ordinary\nB4,57.70,11.97,x,12:00,10:00,1,ordinary\n",
         ["line 5, columns lat/lon: at lat=59.330000", "line 6, column slot_end"]),
    ],
    ids=["missing-column", "bad-time", "slot-ends-before-start", "far-point-and-bad-slot"],
)
def test_a_bad_order_file_is_refused_whole_with_exit_2_and_a_line_per_problem(tmp_path, capsys, text, expected):
    orders = tmp_path / "orders.csv"
    orders.write_text(text)
    out_dir = tmp_path / "out"
    code, _, err = run(capsys, "plan", "--orders", str(orders), "--out", str(out_dir), "--quiet", "--time-limit", "1")
    assert code == 2
    lines = err.strip().splitlines()
    for want, line in zip(expected, lines):
        assert want in line
    assert len(lines) == len(expected) + 1 and lines[-1] == "error: nothing was imported"
    assert not out_dir.exists()


def test_bad_dates_and_time_limits_are_usage_errors(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["plan", "--date", "24/11/2026"])
    assert exit_info.value.code == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["plan", "--time-limit", "0"])


def test_an_unknown_scenario_exits_2_naming_the_builtin_ones(capsys):
    code, _, err = run(capsys, "plan", "--scenario", "atlantis", "--quiet")
    assert code == 2 and "gothenburg" in err


def test_a_depot_off_the_network_exits_2_naming_the_depot_and_the_scenario_key(tmp_path, capsys):
    import shutil

    folder = tmp_path / "moved-depot"
    shutil.copytree("scenarios/data/gothenburg", folder)
    text = (folder / "scenario.yaml").read_text(encoding="utf-8")
    (folder / "scenario.yaml").write_text(text.replace("lat: 57.7228, lon: 11.9510", "lat: 59.3293, lon: 18.0686"), encoding="utf-8")
    code, _, err = run(capsys, "plan", "--scenario", str(folder), "--quiet", "--out", str(tmp_path / "out"))
    assert code == 2 and "Traceback" not in err
    assert "scenario.yaml, depots: depot ringon" in err and "snap_max_distance_m" in err
    assert not (tmp_path / "out").exists()


def test_prices_no_integer_cost_scale_can_hold_exit_2_naming_both_prices(tmp_path, capsys):
    import shutil

    folder = tmp_path / "absurd-prices"
    shutil.copytree("scenarios/data/gothenburg", folder)
    text = (folder / "scenario.yaml").read_text(encoding="utf-8")
    text = text.replace("cost_per_km: 4.0 ", "cost_per_km: 0.000000001 ").replace("{drop_penalty: 10000,", "{drop_penalty: 1000000000000,")
    (folder / "scenario.yaml").write_text(text, encoding="utf-8")
    orders = tmp_path / "orders.csv"
    orders.write_text(GOOD)
    code, _, err = run(capsys, "plan", "--scenario", str(folder), "--orders", str(orders), "--date", "2026-11-24",
                       "--time-limit", "1", "--engine", "ortools", "--quiet", "--out", str(tmp_path / "out"))
    assert code == 2 and "Traceback" not in err
    assert "error: prices span too many orders of magnitude" in err
    assert "cost_per_km" in err and "drop_penalty" in err
    assert not (tmp_path / "out").exists()
