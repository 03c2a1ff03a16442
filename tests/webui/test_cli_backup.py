"""``lastmile backup`` and ``lastmile restore``: what was written is printed (path, size, bookings,
schema revision); an existing file or store needs ``--force``; a file that is not a backup is
bad input (exit 2) naming the file, and nothing is touched; a PostgreSQL store gets the
``pg_dump`` / ``pg_restore`` commands to run instead (exit 2)."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

import pytest

from scheduling.storage import open_database
from scheduling.storage.backup import known_revisions
from scheduling.storage.models import Shop
from webui.cli import EXIT_BAD_INPUT, BadInput
from webui.cli_backup import add_commands

NEWEST = known_revisions()[-1]


def lastmile(argv: list[str]) -> int:
    """The command as ``lastmile`` runs it: :class:`BadInput` is exit 2 with its lines on stderr."""
    parser = argparse.ArgumentParser(prog="lastmile")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except BadInput as exc:
        for line in exc.lines:
            print(f"error: {line}", file=sys.stderr)
        return EXIT_BAD_INPUT


def store(path: Path, *shops: str) -> str:
    db = open_database(f"sqlite:///{path}")
    with db.session() as s:
        s.add_all([Shop(name=n, api_key_hash=n.ljust(64, "k")) for n in shops])
    db.engine.dispose()
    return f"sqlite:///{path}"


def shop_names(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM shops")}
    finally:
        conn.close()


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir()) if p.is_file()}


def test_backup_prints_the_file_its_size_bookings_and_schema_revision(tmp_path, capsys):
    url = store(tmp_path / "lastmile.db", "north")
    out = tmp_path / "monday.db"
    assert lastmile(["backup", "--out", str(out), "--database-url", url]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out} (" in printed and f"{out.stat().st_size} bytes" in printed
    assert f"0 bookings, schema revision {NEWEST}" in printed
    assert shop_names(out) == {"north"}


def test_backup_refuses_to_overwrite_a_file_without_force(tmp_path, capsys):
    url = store(tmp_path / "lastmile.db", "north")
    out = tmp_path / "monday.db"
    out.write_text("keep me")
    assert lastmile(["backup", "--out", str(out), "--database-url", url]) == EXIT_BAD_INPUT
    assert f"error: --out {out}: the file exists; give another --out, or --force to replace it" in capsys.readouterr().err
    assert out.read_text() == "keep me"
    assert lastmile(["backup", "--out", str(out), "--database-url", url, "--force"]) == 0
    assert shop_names(out) == {"north"}


def test_backup_and_restore_use_lastmile_database_url_by_default(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LASTMILE_DATABASE_URL", store(tmp_path / "env.db", "from-env"))
    assert lastmile(["backup", "--out", str(tmp_path / "b.db")]) == 0
    assert shop_names(tmp_path / "b.db") == {"from-env"}
    monkeypatch.setenv("LASTMILE_DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.db'}")
    assert lastmile(["restore", str(tmp_path / "b.db")]) == 0
    assert shop_names(tmp_path / "fresh.db") == {"from-env"}


def test_restore_over_a_store_needs_force_then_keeps_the_old_store_and_says_where(tmp_path, capsys):
    backup = tmp_path / "b.db"
    assert lastmile(["backup", "--out", str(backup), "--database-url", store(tmp_path / "src.db", "monday")]) == 0
    live = tmp_path / "live"
    live.mkdir()
    url = store(live / "lastmile.db", "tuesday")
    before = snapshot(live)
    capsys.readouterr()
    assert lastmile(["restore", str(backup), "--database-url", url]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "a store exists at" in err and "add --force" in err and "nothing was restored; the store is unchanged" in err
    assert snapshot(live) == before
    assert lastmile(["restore", str(backup), "--database-url", url, "--force"]) == 0
    printed = capsys.readouterr().out
    [kept] = [p for p in live.iterdir() if ".before-restore-" in p.name]
    assert f"kept the previous store as {kept}" in printed
    assert f"restored {live / 'lastmile.db'} from {backup}: 0 bookings, schema revision {NEWEST}" in printed
    assert shop_names(kept) == {"tuesday"} and shop_names(live / "lastmile.db") == {"monday"}


@pytest.mark.parametrize("content, reason", [
    (b"order_id,lat,lon\n1,57.7,11.9\n", "not a SQLite database"),
    (b"", "the file is empty"),
    (b"SQLite format 3\x00\x10\x00", "truncated"),
])
def test_restore_refuses_a_file_that_is_not_a_backup_and_touches_nothing(tmp_path, capsys, content, reason):
    bad = tmp_path / "orders.csv"
    bad.write_bytes(content)
    live = tmp_path / "live"
    live.mkdir()
    url = store(live / "lastmile.db", "tuesday")
    before = snapshot(live)
    assert lastmile(["restore", str(bad), "--database-url", url, "--force"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert f"error: {bad}: " in err and reason in err and "nothing was restored; the store is unchanged" in err
    assert snapshot(live) == before


def test_restore_refuses_another_sqlite_database(tmp_path, capsys):
    other = tmp_path / "recipes.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.commit()
    conn.close()
    assert lastmile(["restore", str(other), "--database-url", f"sqlite:///{tmp_path / 'new.db'}"]) == EXIT_BAD_INPUT
    assert f"error: {other}: a SQLite database, but not a lastmile store" in capsys.readouterr().err
    assert not (tmp_path / "new.db").exists()


@pytest.mark.parametrize("command", [["backup", "--out", "nightly.dump"], ["restore", "nightly.dump"]])
def test_a_postgresql_store_is_refused_with_the_pg_command_to_run(command, capsys):
    url = "postgresql+psycopg://lastmile:secret@db.internal:5432/lastmile"
    assert lastmile([*command, "--database-url", url]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    if command[0] == "backup":
        assert "pg_dump --format=custom --file nightly.dump postgresql://lastmile@db.internal:5432/lastmile" in err
    else:
        assert "pg_restore --clean --if-exists --dbname postgresql://lastmile@db.internal:5432/lastmile nightly.dump" in err
    assert "secret" not in err and "PGPASSWORD" in err


def test_the_commands_are_part_of_lastmile(tmp_path, capsys):
    from webui.cli import main

    assert main(["backup", "--out", "x.dump", "--database-url", "postgresql://localhost/lm"]) == EXIT_BAD_INPUT
    assert "pg_dump --format=custom --file x.dump postgresql://localhost/lm" in capsys.readouterr().err
    assert main(["restore", str(tmp_path / "absent.db"), "--database-url", f"sqlite:///{tmp_path / 'lm.db'}"]) == EXIT_BAD_INPUT
    assert "absent.db: no such file" in capsys.readouterr().err


def test_a_backup_taken_while_the_server_takes_bookings_holds_every_acknowledged_one(tmp_path, capsys):
    """``lastmile serve`` in its own process commits bookings over HTTP while ``lastmile backup`` runs."""
    import datetime as dt
    import threading

    from scheduling.capacity_store import set_capacity
    from tests.webui.live_server import call, free_port, start_server
    from webui.api.auth import create_shop

    url = f"sqlite:///{tmp_path / 'lastmile.db'}"
    db = open_database(url)
    _, key = create_shop(db, "burst shop")
    date = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    spots = [(57.7089, 11.9746), (57.7065, 11.9680), (57.6990, 11.9630), (57.7160, 11.9700)]
    slots = ["home:18:00-20:00", "home:08:00-10:00", "home:12:00-14:00", "home:10:00-12:00"]
    for zone in ("Z-2-2", "Z-2-1", "Z-3-2", "Z-1-2"):
        for slot in slots:
            set_capacity(db, zone, date, slot, 100)
    db.engine.dispose()
    port = free_port()
    server = start_server(url, port, tmp_path)
    acknowledged: list[str] = []
    changed = threading.Condition()
    stop = threading.Event()

    def client(k: int) -> None:
        n = 0
        while not stop.is_set() and n < 200:
            lat, lon = spots[(k + n) % len(spots)]
            body = {"customer_id": f"c{k}-{n}", "date": date, "slot": slots[n % len(slots)],
                    "lat": lat + 0.0003 * (n % 5), "lon": lon}
            n += 1
            status, data = call(port, "POST", "/api/v1/bookings", key, body)
            if status == 201:
                with changed:
                    acknowledged.append(data["id"])
                    changed.notify_all()

    def wait_for(count: int) -> None:
        with changed:  # the timeout only keeps a broken server from hanging the run
            assert changed.wait_for(lambda: len(acknowledged) >= count, timeout=120), "the server stopped booking"

    threads = [threading.Thread(target=client, args=(k,)) for k in range(6)]
    try:
        for t in threads:
            t.start()
        wait_for(10)
        with changed:
            before = set(acknowledged)
        out = tmp_path / "backup.db"
        assert lastmile(["backup", "--out", str(out), "--database-url", url]) == 0
        wait_for(len(before) + 10)  # the server went on booking through and after the backup
    finally:
        stop.set()
        for t in threads:
            t.join()
        server.terminate()
        server.wait()
    restored = tmp_path / "restored.db"
    assert lastmile(["restore", str(out), "--database-url", f"sqlite:///{restored}"]) == 0
    conn = sqlite3.connect(restored)
    try:
        assert [r[0] for r in conn.execute("PRAGMA integrity_check")] == ["ok"]
        ids = {r[0] for r in conn.execute("SELECT id FROM bookings WHERE status = 'confirmed'")}
    finally:
        conn.close()
    assert before <= ids, f"lost acknowledged bookings: {sorted(before - ids)}"
