"""Backups of the SQLite store: a backup taken while shops book holds every booking acknowledged
before it started and is a sound database; a restore checks the file first, refuses anything that
is not a lastmile backup without touching the store, replaces a store only with ``force`` and
keeps the old one; PostgreSQL gets its own tools' commands."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select

from scheduling import audit
from scheduling.booking_setup import BookingError
from scheduling.storage import open_database
from scheduling.storage import backup as bk
from scheduling.storage.db import make_engine, upgrade
from scheduling.storage.models import Booking, Shop, SlotCounter
from tests.scheduling.booking_world import CENTRE, NEAR_CENTRE, NEXT_DOOR, make_world, request

SLOTS = ["home:08:00-10:00", "home:10:00-12:00", "home:12:00-14:00", "home:14:00-16:00", "home:16:00-18:00",
         "home:18:00-20:00"]
PLACES = [CENTRE, NEAR_CENTRE, NEXT_DOOR]


def url_of(path: Path) -> str:
    return f"sqlite:///{path}"


def store_with_shops(path: Path, *names: str) -> str:
    """A migrated store at ``path`` holding one shop per name."""
    db = open_database(url_of(path))
    with db.session() as s:
        s.add_all([Shop(name=n, api_key_hash=n.ljust(64, "k")) for n in names])
    db.engine.dispose()
    return url_of(path)


def shop_names(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM shops")}
    finally:
        conn.close()


def integrity(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()


def fingerprint(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file of a folder with its bytes and modification time (ns)."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir()) if p.is_file()}


# --------------------------------------------------------------------------- under a booking burst


def test_a_backup_taken_during_a_booking_burst_holds_every_booking_acknowledged_before_it(tmp_path, gothenburg):
    w = make_world(url_of(tmp_path / "live.db"), gothenburg, capacity=400, vans=8, van_capacity=400)
    acked: list[str] = []
    lock = threading.Condition()
    stop = threading.Event()
    attempts_per_thread = 60
    # The bursts hold their last third until the last backup starts, so bookings do go on after it
    # began however fast the machine books (else all 240 may be in before it).
    last_backup_begins = threading.Event()

    def burst(k: int) -> None:
        for n in range(attempts_per_thread):
            if n == attempts_per_thread * 2 // 3:
                last_backup_begins.wait(timeout=120)
            if stop.is_set():
                return
            req = request(SLOTS[(k + n) % len(SLOTS)], customer=f"t{k}-c{n}", at=PLACES[n % len(PLACES)])
            try:
                out = w.service.book(w.shop, req)
            except BookingError:
                continue  # refused: never acknowledged, so no promise to keep
            with lock:  # appended only after book() returned: the booking was committed
                acked.append(out.body["id"])
                lock.notify_all()

    def wait_for(count: int, running) -> None:
        with lock:
            lock.wait_for(lambda: len(acked) >= count or not any(f.running() for f in running))

    backups = []
    with ThreadPoolExecutor(4) as pool:
        running = [pool.submit(burst, k) for k in range(4)]
        for i in range(3):
            wait_for(8 * (i + 1), running)
            with lock:
                before = set(acked)  # acknowledged before this backup started
            if i == 2:
                last_backup_begins.set()
            info = bk.create_backup(tmp_path / f"backup-{i}.db", w.db.url)
            backups.append((info, before))
        wait_for(len(acked) + 4, running)  # bookings go on committing after the backups
        stop.set()
        for f in running:
            f.result()

    assert backups[-1][1], "the burst acknowledged bookings before the backups"
    for i, (info, before) in enumerate(backups):
        restored = tmp_path / f"restored-{i}.db"
        bk.restore_backup(info.path, url_of(restored))
        assert integrity(restored) == ["ok"]
        db = open_database(url_of(restored))
        with db.session() as s:
            ids = set(s.scalars(select(Booking.id)))
            confirmed = {}
            for b in s.scalars(select(Booking).where(Booking.status == "confirmed")):
                confirmed[(b.zone, b.date, b.slot)] = confirmed.get((b.zone, b.date, b.slot), 0) + 1
            counters = {(c.zone, c.date, c.slot): c.booked for c in s.scalars(select(SlotCounter))}
        db.engine.dispose()
        assert before <= ids, f"backup {i} lost acknowledged bookings: {sorted(before - ids)}"
        assert ids <= set(acked), "a backup holds only bookings that committed"
        assert info.bookings == len(ids)
        # One snapshot: every seat counter agrees with the booking rows beside it.
        assert {k: v for k, v in counters.items() if v} == confirmed
    assert len(acked) > len(backups[-1][1]), "bookings went on after the last backup began"


# --------------------------------------------------------------------------- backup


def test_a_backup_is_one_sound_file_with_what_it_holds_and_the_store_records_it(tmp_path):
    url = store_with_shops(tmp_path / "lastmile.db", "north", "south")
    out = tmp_path / "backups" / "monday.db"
    out.parent.mkdir()
    info = bk.create_backup(out, url)
    assert (info.path, info.size_bytes, info.bookings, info.revision) == (out, out.stat().st_size, 0, bk.known_revisions()[-1])
    assert sorted(p.name for p in out.parent.iterdir()) == ["monday.db"]  # no -wal, no leftover temp file
    assert integrity(out) == ["ok"] and shop_names(out) == {"north", "south"}
    assert out.stat().st_mode & 0o777 == 0o600  # customers' addresses: readable only by the one who backed up
    db = open_database(url)
    [entry] = audit.entries(db, action="backup.create")
    db.engine.dispose()
    assert (entry.actor, entry.subject) == ("cli", str(out.resolve()))


def test_an_existing_backup_file_is_replaced_only_with_force(tmp_path):
    url = store_with_shops(tmp_path / "lastmile.db", "north")
    out = tmp_path / "b.db"
    out.write_text("yesterday's notes")
    with pytest.raises(bk.BackupError, match=r"b\.db: the file exists; give another --out, or --force"):
        bk.create_backup(out, url)
    assert out.read_text() == "yesterday's notes"
    bk.create_backup(out, url, force=True)
    assert shop_names(out) == {"north"}


def test_a_failed_backup_leaves_no_file_behind(tmp_path, monkeypatch):
    url = store_with_shops(tmp_path / "lastmile.db", "north")
    (tmp_path / "out").mkdir()

    def half_then_fail(source, dest_path):
        dest_path.write_bytes(b"SQLite format 3\x00 half")
        raise OSError("disk full")

    monkeypatch.setattr(bk, "_snapshot", half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        bk.create_backup(tmp_path / "out" / "b.db", url)
    assert list((tmp_path / "out").iterdir()) == []


def test_a_backup_needs_a_store_and_a_folder(tmp_path):
    with pytest.raises(bk.BackupError, match=r"no store at .*missing\.db, so nothing to back up"):
        bk.create_backup(tmp_path / "b.db", url_of(tmp_path / "missing.db"))
    url = store_with_shops(tmp_path / "lastmile.db", "north")
    with pytest.raises(bk.BackupError, match=r"the folder .*nowhere does not exist"):
        bk.create_backup(tmp_path / "nowhere" / "b.db", url)
    with pytest.raises(bk.BackupError, match="in-memory store has no file"):
        bk.create_backup(tmp_path / "b.db", "sqlite://")


# --------------------------------------------------------------------------- restore


def _bad_files(tmp_path: Path, good: Path) -> dict[str, tuple[Path, str]]:
    """Files that are not restorable backups, each with the reason the refusal must give."""
    data = good.read_bytes()
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "notes.txt").write_text("route notes, not a database\n")
    (bad / "empty.db").write_bytes(b"")
    (bad / "half.db").write_bytes(data[: len(data) // 2])
    (bad / "stub.db").write_bytes(data[:60])
    other = sqlite3.connect(bad / "other.db")
    other.execute("CREATE TABLE recipes (name TEXT)")
    other.commit()
    other.close()
    for name, sql in (("newer.db", "UPDATE alembic_version SET version_num = '9999'"),
                      ("no_bookings.db", "DROP TABLE bookings")):
        (bad / name).write_bytes(data)
        c = sqlite3.connect(bad / name)
        c.execute(sql)
        c.commit()
        c.close()
    # A sound header over a damaged table page.
    damaged = bytearray(data)
    page_size = int.from_bytes(data[16:18], "big")
    damaged[page_size * 2: page_size * 6] = b"\xa5" * (page_size * 4)
    (bad / "damaged.db").write_bytes(bytes(damaged))
    return {
        "text": (bad / "notes.txt", "not a SQLite database"),
        "empty": (bad / "empty.db", "the file is empty"),
        "truncated": (bad / "half.db", "truncated"),
        "truncated header": (bad / "stub.db", "truncated"),
        "another SQLite database": (bad / "other.db", "not a lastmile store"),
        "a newer schema": (bad / "newer.db", "schema revision '9999' is unknown"),
        "missing tables": (bad / "no_bookings.db", "missing tables: bookings"),
        "damaged": (bad / "damaged.db", "damaged"),
        "missing": (bad / "absent.db", "no such file"),
    }


@pytest.mark.parametrize("kind", ["text", "empty", "truncated", "truncated header", "another SQLite database",
                                  "a newer schema", "missing tables", "damaged", "missing"])
def test_a_file_that_is_not_a_backup_is_refused_naming_it_and_the_store_is_untouched(tmp_path, kind):
    good = tmp_path / "good.db"
    bk.create_backup(good, store_with_shops(tmp_path / "src.db", "north"))
    path, reason = _bad_files(tmp_path, good)[kind]
    live = tmp_path / "live"
    live.mkdir()
    db = open_database(store_with_shops(live / "lastmile.db", "today"))  # a live store, -wal and all
    before = fingerprint(live)
    with pytest.raises(bk.BackupError) as info:
        bk.restore_backup(path, db.url, force=True)
    assert str(info.value).startswith(f"{path}: ") and reason in str(info.value)
    assert fingerprint(live) == before  # same files, same bytes, same times: nothing written
    db.engine.dispose()
    assert shop_names(live / "lastmile.db") == {"today"}


def test_a_store_is_replaced_only_with_force_and_the_old_one_is_kept(tmp_path):
    backup = tmp_path / "b.db"
    bk.create_backup(backup, store_with_shops(tmp_path / "src.db", "monday"))
    live = store_with_shops(tmp_path / "lastmile.db", "tuesday")
    with pytest.raises(bk.BackupError, match=r"a store exists at .*lastmile\.db; restoring replaces it, so add --force"):
        bk.restore_backup(backup, live)
    assert shop_names(tmp_path / "lastmile.db") == {"tuesday"}
    at = dt.datetime(2026, 11, 24, 6, 30, tzinfo=dt.timezone.utc)
    report = bk.restore_backup(backup, live, force=True, now=at)
    assert report.kept == tmp_path / "lastmile.db.before-restore-20261124T063000Z"
    assert shop_names(report.kept) == {"tuesday"} and integrity(report.kept) == ["ok"]
    assert shop_names(tmp_path / "lastmile.db") == {"monday"}
    again = bk.restore_backup(backup, live, force=True, now=at)
    assert again.kept == tmp_path / "lastmile.db.before-restore-20261124T063000Z-2"  # never overwrites a kept store
    db = open_database(live)
    [entry] = audit.entries(db, action="backup.restore")  # in the restored store; the earlier one was replaced
    db.engine.dispose()
    assert entry.subject == str(backup.resolve()) and "before-restore-20261124T063000Z-2" in entry.detail


def test_a_restore_reaches_a_server_that_keeps_the_store_open(tmp_path):
    """Written through SQLite into the open store: the server's next transaction reads the backup."""
    backup = tmp_path / "b.db"
    bk.create_backup(backup, store_with_shops(tmp_path / "src.db", "monday"))
    server = open_database(store_with_shops(tmp_path / "lastmile.db", "tuesday"))
    with server.session() as s:
        assert s.scalars(select(Shop.name)).all() == ["tuesday"]
    bk.restore_backup(backup, server.url, force=True)
    with server.session() as s:
        assert s.scalars(select(Shop.name)).all() == ["monday"]
        s.add(Shop(name="wednesday", api_key_hash="w" * 64))
    server.engine.dispose()
    assert shop_names(tmp_path / "lastmile.db") == {"monday", "wednesday"}
    assert integrity(tmp_path / "lastmile.db") == ["ok"]


def test_a_backup_with_another_page_size_restores_into_a_wal_store(tmp_path):
    src = tmp_path / "src.db"
    store_with_shops(src, "monday")
    backup = tmp_path / "b.db"
    conn = sqlite3.connect(backup)
    live = sqlite3.connect(src)
    live.backup(conn)
    live.close()
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.execute("PRAGMA page_size=8192")
    conn.execute("VACUUM")
    conn.close()
    server = open_database(store_with_shops(tmp_path / "lastmile.db", "tuesday"))
    bk.restore_backup(backup, server.url, force=True)
    server.engine.dispose()
    assert shop_names(tmp_path / "lastmile.db") == {"monday"} and integrity(tmp_path / "lastmile.db") == ["ok"]


def test_an_unreadable_store_is_replaced_and_its_bytes_are_kept(tmp_path):
    backup = tmp_path / "b.db"
    bk.create_backup(backup, store_with_shops(tmp_path / "src.db", "monday"))
    store = tmp_path / "lastmile.db"
    store.write_bytes(b"\x00garbage after a disk failure" * 100)
    report = bk.restore_backup(backup, url_of(store), force=True)
    assert report.kept.read_bytes() == b"\x00garbage after a disk failure" * 100
    assert shop_names(store) == {"monday"} and integrity(store) == ["ok"]


def test_an_older_backup_is_upgraded_to_the_newest_schema_on_restore(tmp_path):
    old = tmp_path / "old.db"
    engine = make_engine(url_of(old))
    upgrade(engine, "0004")
    engine.dispose()
    conn = sqlite3.connect(old)
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()
    report = bk.restore_backup(old, url_of(tmp_path / "lastmile.db"))
    assert (report.source.revision, report.revision, report.kept) == ("0004", bk.known_revisions()[-1], None)
    db = open_database(url_of(tmp_path / "lastmile.db"))
    assert [e.action for e in audit.entries(db)] == ["backup.restore"]
    db.engine.dispose()


def test_a_backup_file_is_checked_without_being_changed(tmp_path):
    backup = tmp_path / "b.db"
    bk.create_backup(backup, store_with_shops(tmp_path / "src.db", "monday"))
    before = fingerprint(tmp_path)
    info = bk.inspect_backup(backup)
    assert (info.bookings, info.revision) == (0, bk.known_revisions()[-1])
    assert fingerprint(tmp_path) == before


# --------------------------------------------------------------------------- PostgreSQL


@pytest.mark.parametrize("url, libpq", [
    ("postgresql+psycopg://lastmile@db.internal:5432/lastmile", "postgresql://lastmile@db.internal:5432/lastmile"),
    ("postgresql://localhost/lm", "postgresql://localhost/lm"),
    ("postgresql+psycopg://lm@/lm?host=/run/postgresql", "'postgresql://lm@/lm?host=%2Frun%2Fpostgresql'"),
])
def test_postgresql_gets_the_pg_dump_and_pg_restore_commands_in_libpq_form(url, libpq):
    pg = bk.postgres_commands(url, "nightly.dump")
    assert pg.dump == f"pg_dump --format=custom --file nightly.dump {libpq}"
    assert pg.restore == f"pg_restore --clean --if-exists --dbname {libpq} nightly.dump"
    assert not pg.password_left_out


def test_a_password_in_the_url_is_never_printed_in_the_commands():
    pg = bk.postgres_commands("postgresql+psycopg://lm:s3cret@db:5432/lm", "my backup.dump")
    assert "s3cret" not in pg.dump + pg.restore and pg.password_left_out
    assert pg.dump == "pg_dump --format=custom --file 'my backup.dump' postgresql://lm@db:5432/lm"


def test_a_postgresql_store_is_not_copied_as_a_file(tmp_path):
    with pytest.raises(bk.BackupError, match="not a SQLite store.*pg_dump"):
        bk.create_backup(tmp_path / "b.db", "postgresql+psycopg://lm@db/lm")
