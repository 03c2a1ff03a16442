"""`lastmile sites` and `lastmile simulate`: bad input exits 2 with the fix; a tiny run writes its files."""

from __future__ import annotations

import pytest

from webui.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_sites_with_k_larger_than_the_candidates(capsys):
    code, _, err = run(capsys, "sites", "--k", "5000")
    assert code == 2
    assert "k=5000 is larger than the number of candidates that could be opened" in err


def test_sites_with_a_negative_capacity(capsys):
    code, _, err = run(capsys, "sites", "--k", "1", "--site", "57.70,11.96,locker,-4")
    assert code == 2
    assert "capacity -4 is negative; give parcels per day >= 0" in err


def test_simulate_a_site_outside_the_network(capsys):
    code, _, err = run(capsys, "simulate", "--add-site", "57.60,11.70", "--days", "1", "--quiet")
    assert code == 2
    assert "outside the street network" in err


def test_simulate_an_unknown_site_id(capsys):
    code, _, err = run(capsys, "simulate", "--add-site", "pp-nowhere", "--days", "1", "--quiet")
    assert code == 2
    assert "site 'pp-nowhere': not a candidate id" in err


def test_simulate_an_unreachable_scheduler(capsys):
    code, _, err = run(
        capsys, "simulate", "--add-site", "pp-aschebergsgatan", "--days", "1", "--quiet",
        "--scheduler", "tcp://127.0.0.1:9", "--connect-timeout", "1",
    )
    assert code == 2
    assert "--scheduler tcp://127.0.0.1:9: no Dask scheduler answered within 1 s" in err


@pytest.mark.slow
def test_simulate_end_to_end_on_a_local_cluster(capsys, tmp_path):
    code, out, _ = run(
        capsys, "simulate", "--add-site", "pp-aschebergsgatan", "--days", "2", "--orders-per-day", "20",
        "--iterations", "30", "--start", "2026-11-24", "--out", str(tmp_path), "--quiet",
    )
    assert code == 0
    assert "Cost per order incl. sites" in out and "variant - baseline" in out
    assert {p.name for p in tmp_path.iterdir()} == {
        "days.csv", "comparison.csv", "points.csv", "comparison.png", "points.png"
    }


@pytest.mark.slow
def test_sites_prints_the_chosen_sites(capsys, tmp_path):
    code, out, _ = run(capsys, "sites", "--k", "3", "--out", str(tmp_path))
    assert code == 0
    assert out.count(" new ") >= 3 and "Chosen: " in out
    assert (tmp_path / "catchments.geojson").is_file()


@pytest.mark.parametrize("command", [["sites", "--k", "1"], ["simulate", "--days", "1", "--quiet", "--add-site", "pp-aschebergsgatan"]])
def test_a_bad_choice_parameter_names_the_scenario_file_and_key(capsys, tmp_path, command):
    import shutil

    from scenarios.scenario import BUILTIN_DIR

    folder = tmp_path / "city"
    shutil.copytree(BUILTIN_DIR / "gothenburg", folder)
    with open(folder / "scenario.yaml", "a", encoding="utf-8") as f:
        f.write("\nchoice:\n  walk_per_kilometre: -2.0\n")
    code, _, err = run(capsys, *command, "--scenario", str(folder))
    assert code == 2
    assert "scenario.yaml: choice.walk_per_kilometre: unknown parameter" in err
