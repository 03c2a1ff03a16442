"""``lastmile shop key add|rotate|revoke|list``: a new key is printed once, lists show only its
first characters, every change is audited, bad input is exit status 2 naming the fix; and a key
revoked with the CLI is refused by two running ``lastmile serve`` processes within 5 s."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time

import pytest

from scheduling.audit import entries
from scheduling.shops import list_keys
from scheduling.storage import open_database
from tests.webui.live_server import ROOT, call, free_port, start_server
from webui.api.auth import create_shop, shop_for_key
from webui.cli import main as lastmile


@pytest.fixture
def url(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    create_shop(open_database(url), "Acme")
    return url


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = lastmile(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_add_prints_the_key_once_with_its_scopes_and_audits_it(url, capsys):
    code, out, _ = run(capsys, "shop", "key", "add", "Acme", "--scopes", "read", "--label", "reports", "--database-url", url)
    assert code == 0 and "scopes read added" in out
    key = out.strip().splitlines()[-1]
    db = open_database(url)
    assert shop_for_key(db, key) is not None
    added = list_keys(db, "Acme")[-1]
    assert added.scopes == ("read",) and added.label == "reports" and key.startswith(added.prefix)
    (entry,) = entries(db, action="key.create")
    assert entry.actor == "cli" and entry.subject == "shop:Acme" and key not in entry.detail and added.prefix in entry.detail


def test_list_shows_id_first_characters_scopes_created_state_and_never_the_key(url, capsys):
    _, added, _ = run(capsys, "shop", "key", "add", "Acme", "--scopes", "book", "--label", "till", "--database-url", url)
    key = added.strip().splitlines()[-1]
    code, out, _ = run(capsys, "shop", "key", "list", "Acme", "--database-url", url)
    assert code == 0
    header, first, second = out.strip().splitlines()
    assert header.split()[:5] == ["id", "key", "scopes", "created", "(UTC)"]
    assert first.split()[2] == "read,book" and "active" in first and first.endswith("first key")
    assert second.split()[2] == "book" and second.endswith("till") and "lm_" in second
    for k in list_keys(open_database(url), "Acme"):
        assert len(k.prefix) == 11 and k.prefix in out
    assert key not in out


def test_rotate_keeps_the_old_key_for_24_hours_unless_now(url, capsys):
    db = open_database(url)
    code, out, _ = run(capsys, "shop", "key", "rotate", "Acme", "--database-url", url)
    assert code == 0 and "stops working at" in out
    new_key = out.strip().splitlines()[-1]
    old, new = list_keys(db, "Acme")
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    assert dt.timedelta(hours=23, minutes=59) < old.revoked_at - now <= dt.timedelta(hours=24)
    assert new.scopes == old.scopes and new.revoked_at is None and shop_for_key(db, new_key) is not None
    code, out, _ = run(capsys, "shop", "key", "rotate", "Acme", "--id", str(new.id), "--now", "--database-url", url)
    assert code == 0 and "stops working now" in out and shop_for_key(db, new_key) is None
    assert [e.action for e in entries(db, action="key.rotate")] == ["key.rotate", "key.rotate"]


def test_revoke_by_prefix_or_id_stops_the_key_and_says_when_none_is_left(url, capsys):
    db = open_database(url)
    (first,) = list_keys(db, "Acme")
    code, out, _ = run(capsys, "shop", "key", "revoke", "Acme", "--key-prefix", first.prefix, "--database-url", url)
    assert code == 0 and f"key {first.id}" in out and "revoked" in out and "no working key left" in out
    assert list_keys(db, "Acme")[0].revoked_at is not None
    (entry,) = entries(db, action="key.revoke")
    assert entry.subject == "shop:Acme" and first.prefix in entry.detail
    code, _, err = run(capsys, "shop", "key", "revoke", "Acme", "--id", str(first.id), "--database-url", url)
    assert code == 2 and "already revoked" in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["add", "Nobody"], "no shop named or numbered 'Nobody'; add it with 'lastmile shop add NAME'"),
        (["add", "Acme", "--scopes", "write"], "scope 'write' is unknown; use read"),
        (["add", "Acme", "--label", "x" * 81], "the label is longer than 80 characters"),
        (["revoke", "Acme", "--id", "99"], "shop 'Acme' has no key with id 99"),
        (["revoke", "Acme", "--key-prefix", "lm_"], "--key-prefix 'lm_' is too short"),
        (["revoke", "Acme", "--key-prefix", "lm_zzzzzzzz"], "no key with prefix 'lm_zzzzzzzz'"),
    ],
)
def test_bad_input_is_exit_2_naming_the_fix(url, capsys, argv, message):
    code, _, err = run(capsys, "shop", "key", *argv, "--database-url", url)
    assert code == 2 and message in err


def test_revoke_needs_to_be_told_which_key(url, capsys):
    with pytest.raises(SystemExit) as exit_:
        lastmile(["shop", "key", "revoke", "Acme", "--database-url", url])
    assert exit_.value.code == 2 and "one of the arguments --key-prefix --id is required" in capsys.readouterr().err


@pytest.mark.slow
def test_a_key_revoked_with_the_cli_is_refused_by_two_running_servers(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    db = open_database(url)
    create_shop(db, "Acme")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-m", "webui.cli", "shop", "key", "add", "Acme", "--label", "till", "--database-url", url],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=True,
    ).stdout
    key = out.strip().splitlines()[-1]
    ports = [free_port(), free_port()]
    servers = [start_server(url, p, tmp_path) for p in ports]
    try:
        assert [call(p, "GET", "/api/v1/bookings", key)[0] for p in ports] == [200, 200]  # both cache the key
        prefix = list_keys(db, "Acme")[-1].prefix
        subprocess.run([sys.executable, "-m", "webui.cli", "shop", "key", "revoke", "Acme", "--key-prefix", prefix, "--database-url", url],
                       cwd=tmp_path, env=env, check=True, capture_output=True)
        refused = {p: False for p in ports}
        for _ in range(50):  # poll every 0.2 s, up to 10 s
            for p in ports:
                refused[p] = refused[p] or call(p, "GET", "/api/v1/bookings", key)[0] == 401
            if all(refused.values()):
                break
            time.sleep(0.2)
        assert all(refused.values()), f"still accepted by the server(s) on {[p for p, r in refused.items() if not r]}"
        assert all(call(p, "GET", "/api/v1/bookings", key)[0] == 401 for p in ports)  # and it stays refused
    finally:
        for s in servers:
            s.kill()
            s.wait()
