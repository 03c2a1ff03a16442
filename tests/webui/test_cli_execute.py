"""``lastmile execute --simulate`` drives a published day and ``lastmile vehicle out`` re-plans a
broken van; bad input is a BadInput naming the option (``lastmile`` exits 2) and stores nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from scheduling.storage import open_database
from scheduling.storage.models import DeliveryEventRow, VehicleOutage
from webui.cli import BadInput
from webui.cli_execute import add_commands
from tests.scenarios.driven_support import demo_copy
from tests.webui.cli_support import command_runner

DATE = dt.date(2026, 11, 25)


lastmile = command_runner(add_commands)


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory, store_copies) -> str:
    out: Path = tmp_path_factory.mktemp("demo")
    demo_copy(store_copies, DATE, out, time_limit_s=1, n_orders=25)  # run_demo, once per session
    return f"sqlite:///{out / 'lastmile.db'}"


def rows(url: str, table) -> int:
    with open_database(url).session() as s:
        return s.scalar(select(func.count()).select_from(table))


def test_vehicle_out_re_plans_and_execute_drives_the_rest(demo_url, capsys):
    assert lastmile(["vehicle", "out", "--date", DATE.isoformat(), "--vehicle", "van-1", "--from", "07:00",
                     "--reason", "clutch", "--time-limit", "2", "--database-url", demo_url]) == 0
    out = capsys.readouterr().out
    assert "van-1 out of service from 07:00 (clutch)" in out and "published" in out
    assert rows(demo_url, VehicleOutage) == 1
    assert lastmile(["execute", "--date", DATE.isoformat(), "--simulate", "--seed", "2", "--database-url", demo_url]) == 0
    out = capsys.readouterr().out
    assert "driven (seed 2)" in out and "refused" not in out
    with open_database(demo_url).session() as s:
        assert s.scalar(select(func.count()).select_from(DeliveryEventRow).where(DeliveryEventRow.vehicle_id == "van-1")) == 0


@pytest.mark.parametrize(
    "argv, option",
    [
        (["execute", "--date", "2026-11-30", "--simulate"], "--date"),
        (["execute", "--date", DATE.isoformat()], "--simulate"),
        (["vehicle", "out", "--date", DATE.isoformat(), "--vehicle", "van-99", "--from", "12:00", "--reason", "x"], "--vehicle"),
    ],
)
def test_bad_input_names_the_option_and_stores_nothing(demo_url, argv, option):
    before = (rows(demo_url, VehicleOutage), rows(demo_url, DeliveryEventRow))
    with pytest.raises(BadInput) as bad:
        lastmile(argv + ["--database-url", demo_url])
    assert str(bad.value).startswith(option)
    assert (rows(demo_url, VehicleOutage), rows(demo_url, DeliveryEventRow)) == before


@pytest.mark.parametrize("argv", [["execute", "--date", "2026-11-25", "--simulate", "--breakdown", "van-2"],
                                  ["execute", "--date", "2026-11-25", "--simulate", "--not-home", "2"],
                                  ["vehicle", "out", "--date", "2026-11-25", "--vehicle", "van-2", "--from", "25:00", "--reason", "x"]])
def test_a_malformed_option_is_refused_by_the_parser(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        lastmile(argv)
    assert stop.value.code == 2
    assert "error:" in capsys.readouterr().err
