"""``lastmile driver token`` prints a token and the driver page path once; ``lastmile driver
revoke`` signs the driver out; a van or date without a published route is bad input (exit 2)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from scenarios.execution.tokens import token_driver
from scheduling.storage.models import DriverToken
from tests.scenarios.execution_world import DATE, make_world
from webui.cli import BadInput
from webui.cli_driver import add_commands
from tests.webui.cli_support import command_runner

ON_THE_DAY = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.timezone.utc)


lastmile = command_runner(add_commands)


@pytest.fixture
def world(tmp_path):
    url = f"sqlite:///{tmp_path / 'drv.db'}"
    return url, make_world(url)


def test_driver_token_prints_the_token_and_the_page_path_once(world, capsys):
    url, w = world
    assert lastmile(["driver", "token", "--date", DATE, "--vehicle", "V1", "--name", "Kim", "--database-url", url]) == 0
    token, path, note = capsys.readouterr().out.splitlines()
    assert path == f"/driver?token={token}" and "V1" in note and "2026-11-26 03:00" in note
    row = token_driver(w.db, token, ON_THE_DAY)
    assert (row.vehicle_id, row.date, row.driver_name) == ("V1", DATE, "Kim")


def test_driver_revoke_signs_the_driver_out_and_an_unknown_token_is_bad_input(world, capsys):
    url, w = world
    lastmile(["driver", "token", "--date", DATE, "--vehicle", "V2", "--database-url", url])
    token = capsys.readouterr().out.splitlines()[0]
    assert lastmile(["driver", "revoke", token, "--database-url", url]) == 0
    assert token_driver(w.db, token, ON_THE_DAY) is None
    with pytest.raises(BadInput, match="TOKEN: .*not known or already revoked"):
        lastmile(["driver", "revoke", token, "--database-url", url])


@pytest.mark.parametrize("argv, message", [
    (["--date", DATE, "--vehicle", "V9"], "--vehicle: vehicle V9 has no route .* V1, V2"),
    (["--date", "2026-11-26", "--vehicle", "V1"], "--date: nothing is published for 2026-11-26"),
    (["--date", "25/11", "--vehicle", "V1"], "--date: date '25/11' is not a date"),
])
def test_a_token_for_a_van_or_date_without_a_published_route_is_bad_input(world, argv, message):
    url, w = world
    with pytest.raises(BadInput, match=message):
        lastmile(["driver", "token", *argv, "--database-url", url])
    with w.db.session() as s:
        assert s.scalar(select(func.count()).select_from(DriverToken)) == 0
