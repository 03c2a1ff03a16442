"""``lastmile audit`` prints the log newest first; ``lastmile user add --role admin | remove |
password | role | list`` manage accounts and are written to the log as ``cli``; the CLI's key,
webhook and driver-link commands are logged too. An unknown user, a bad date or action, and
removing the last admin are bad input (exit 2) naming what to fix."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from scheduling.audit import entries, record
from scheduling.storage import open_database
from webui.accounts import ROLES, add_user, authenticate
from webui.cli import USER_ROLES, main

PASSWORD = "a-good-password"


@pytest.fixture
def url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'admin.db'}"
    db = open_database(url)
    add_user(db, "root", PASSWORD, "admin")
    add_user(db, "anna", PASSWORD, "dispatcher")
    return url


def lastmile(*argv: str, stdin: str | None = None, monkeypatch=None) -> int:
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(list(argv))


def actions(url: str) -> list[tuple[str, str, str]]:
    return [(e.actor, e.action, e.subject) for e in entries(open_database(url))]


def test_the_cli_offers_every_role_of_the_accounts():
    assert USER_ROLES == ROLES


def test_user_add_takes_the_admin_role_and_logs_it_as_the_cli(url, monkeypatch, capsys):
    assert lastmile("user", "add", "bo", "--role", "admin", "--password-stdin", "--database-url", url,
                    stdin=PASSWORD + "\n", monkeypatch=monkeypatch) == 0
    assert "Added admin 'bo'" in capsys.readouterr().out
    assert authenticate(open_database(url), "bo", PASSWORD).role == "admin"
    assert actions(url)[0] == ("cli", "user.add", "user:bo")


def test_user_remove_deletes_the_user_and_logs_it(url, capsys):
    assert lastmile("user", "remove", "anna", "--database-url", url) == 0
    assert "Removed 'anna'" in capsys.readouterr().out
    assert authenticate(open_database(url), "anna", PASSWORD) is None
    assert actions(url)[0] == ("cli", "user.remove", "user:anna")


def test_removing_an_unknown_user_or_the_last_admin_is_bad_input(url, capsys):
    assert lastmile("user", "remove", "nobody", "--database-url", url) == 2
    assert "user 'nobody' does not exist" in capsys.readouterr().err
    assert lastmile("user", "remove", "root", "--database-url", url) == 2
    assert "'root' is the last admin; add another admin first" in capsys.readouterr().err
    assert authenticate(open_database(url), "root", PASSWORD) is not None
    assert lastmile("user", "role", "root", "planner", "--database-url", url) == 2
    assert "last admin" in capsys.readouterr().err
    assert actions(url) == []


def test_user_password_reads_the_new_password_from_stdin_and_logs_it(url, monkeypatch, capsys):
    assert lastmile("user", "password", "anna", "--password-stdin", "--database-url", url,
                    stdin="a-new-password\n", monkeypatch=monkeypatch) == 0
    assert "'anna' has a new password" in capsys.readouterr().out
    db = open_database(url)
    assert authenticate(db, "anna", "a-new-password") is not None and authenticate(db, "anna", PASSWORD) is None
    (entry,) = entries(db)
    assert (entry.actor, entry.action, entry.subject) == ("cli", "user.password", "user:anna")
    assert "a-new-password" not in entry.detail


def test_user_password_asks_twice_on_a_terminal(url, monkeypatch, capsys):
    answers = iter(["typed-password", "typed-password"])
    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    assert lastmile("user", "password", "anna", "--database-url", url) == 0
    assert authenticate(open_database(url), "anna", "typed-password") is not None


def test_user_password_for_an_unknown_user_or_a_short_one_is_bad_input(url, monkeypatch, capsys):
    assert lastmile("user", "password", "ghost", "--password-stdin", "--database-url", url,
                    stdin=PASSWORD + "\n", monkeypatch=monkeypatch) == 2
    assert "user 'ghost' does not exist" in capsys.readouterr().err
    assert lastmile("user", "password", "anna", "--password-stdin", "--database-url", url,
                    stdin="short\n", monkeypatch=monkeypatch) == 2
    assert "password: use at least 8 characters" in capsys.readouterr().err


def test_user_role_and_list(url, capsys):
    assert lastmile("user", "role", "anna", "planner", "--database-url", url) == 0
    assert "'anna' is now a planner (was dispatcher)" in capsys.readouterr().out
    assert lastmile("user", "list", "--database-url", url) == 0
    listed = [line.split("\t")[:2] for line in capsys.readouterr().out.splitlines()]
    assert listed == [["anna", "planner"], ["root", "admin"]]
    assert actions(url)[0] == ("cli", "user.role", "user:anna")


def test_audit_prints_one_line_per_entry_newest_first(url, capsys):
    db = open_database(url)
    record(db, "user:anna", "day.view", "day:2026-11-24", "40 orders", at=dt.datetime(2026, 11, 24, 7, 0))
    record(db, "user:anna", "day.export", "day:2026-11-24", "all driver sheets CSV, plan 3", at=dt.datetime(2026, 11, 24, 7, 5))
    record(db, "cli", "key.create", "shop:Acme", "shop id 1", at=dt.datetime(2026, 11, 25, 9, 0))
    assert lastmile("audit", "--database-url", url) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["2026-11-25 09:00:00Z\tcli\tkey.create\tshop:Acme\tshop id 1",
                     "2026-11-24 07:05:00Z\tuser:anna\tday.export\tday:2026-11-24\tall driver sheets CSV, plan 3",
                     "2026-11-24 07:00:00Z\tuser:anna\tday.view\tday:2026-11-24\t40 orders"]
    assert lastmile("audit", "--since", "2026-11-25", "--database-url", url) == 0
    assert [line.split("\t")[2] for line in capsys.readouterr().out.splitlines()] == ["key.create"]
    # An ISO time with an offset is read in UTC: 09:03+02:00 is 07:03 UTC.
    assert lastmile("audit", "--since", "2026-11-24T09:03:00+02:00", "--database-url", url) == 0
    assert [line.split("\t")[2] for line in capsys.readouterr().out.splitlines()] == ["key.create", "day.export"]
    assert lastmile("audit", "--action", "day.view", "--database-url", url) == 0
    assert [line.split("\t")[2] for line in capsys.readouterr().out.splitlines()] == ["day.view"]
    assert lastmile("audit", "--since", "2030-01-01", "--database-url", url) == 0
    assert capsys.readouterr().out.strip() == "no audit entries for this filter"


@pytest.mark.parametrize("argv, message", [
    (["--since", "24/11/2026"], "--since: '24/11/2026' is not a date or time; write YYYY-MM-DD"),
    (["--action", "day.peek"], "--action: 'day.peek' is not an audit action; use one of"),
    (["--limit", "0"], "--limit: give at least 1"),
])
def test_audit_bad_input_names_the_option(url, capsys, argv, message):
    assert lastmile("audit", *argv, "--database-url", url) == 2
    assert message in capsys.readouterr().err


def test_shop_add_and_webhook_and_driver_links_are_logged(url, capsys):
    assert lastmile("shop", "add", "Acme", "--key-only", "--database-url", url) == 0
    key = capsys.readouterr().out.strip()
    assert lastmile("shop", "webhook", "Acme", "https://acme.example/hooks", "--database-url", url) == 0
    assert lastmile("shop", "webhook", "Acme", "--remove", "--database-url", url) == 0
    logged = entries(open_database(url))
    assert [(e.actor, e.action, e.subject) for e in logged] == [
        ("cli", "webhook.set", "shop:Acme"), ("cli", "webhook.set", "shop:Acme"), ("cli", "key.create", "shop:Acme")]
    assert logged[0].detail == "webhook removed" and "https://acme.example/hooks" in logged[1].detail
    assert all(key not in e.detail for e in logged), "the API key is never written to the log"


def test_driver_token_and_revoke_are_logged(tmp_path, capsys):
    from tests.scenarios.execution_world import DATE, make_world

    url = f"sqlite:///{tmp_path / 'drv.db'}"
    make_world(url)
    assert lastmile("driver", "token", "--date", DATE, "--vehicle", "V1", "--database-url", url) == 0
    token = capsys.readouterr().out.splitlines()[0]
    assert lastmile("driver", "revoke", token, "--database-url", url) == 0
    logged = entries(open_database(url))
    assert [(e.actor, e.action) for e in logged] == [("cli", "driver.revoke"), ("cli", "driver.link")]
    assert logged[1].subject == f"day:{DATE}" and "V1" in logged[1].detail
    assert all(token not in e.detail and token not in e.subject for e in logged)
