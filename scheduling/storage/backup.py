"""Backups of the embedded SQLite store, and the PostgreSQL commands that do the same job.

:func:`create_backup` copies a live store with SQLite's online backup API: the copy is one read
transaction of the source, so it is a consistent snapshot even while the server commits bookings
(WAL mode lets the writer go on while we read). It is written to a temporary file next to the
target and renamed into place, so a failed backup never leaves a half file.

:func:`restore_backup` first copies the given file to a private staging file and checks it
(SQLite header and size, ``PRAGMA integrity_check``, lastmile's tables, a schema revision this
code knows); anything else is refused with :class:`BackupError` before the store is touched. It
then keeps the current store as ``<db>.before-restore-<timestamp>`` and writes the backup into
the store with the backup API again, as one transaction of the store (the store's ``-wal`` and
``-shm`` stay consistent). An older revision is upgraded by :func:`open_database` as usual.

PostgreSQL is backed up with its own tools; :func:`postgres_commands` gives the exact commands.
Sizes are bytes; times are UTC.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import shlex
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from scheduling.storage.db import MIGRATIONS_DIR, database_url, make_engine, open_database, upgrade

SQLITE_HEADER = b"SQLite format 3\x00"
HEADER_BYTES = 100
AUDIT_ACTOR = "cli"


class BackupError(ValueError):
    """A backup or restore that cannot go ahead; ``lines`` name the file, the reason and the fix.

    Nothing was written or replaced when this is raised.
    """

    def __init__(self, lines: list[str] | str):
        self.lines = [lines] if isinstance(lines, str) else list(lines)
        super().__init__("\n".join(self.lines))


@dataclass(frozen=True)
class BackupInfo:
    """What a backup file holds: its size in bytes, its booking rows and its schema revision."""

    path: Path
    size_bytes: int
    bookings: int
    revision: str


@dataclass(frozen=True)
class RestoreReport:
    """A finished restore: the store written, what it was restored from, where the old store went
    (``None`` when there was no store), and the store's revision after any upgrade."""

    store: Path
    source: BackupInfo
    kept: Path | None
    revision: str


@dataclass(frozen=True)
class PgCommands:
    """Shell-ready ``pg_dump`` and ``pg_restore`` command lines for one PostgreSQL store."""

    dump: str
    restore: str
    password_left_out: bool


# --------------------------------------------------------------------------- URLs


def backend(url: str) -> str:
    """``sqlite``, ``postgresql`` or another SQLAlchemy backend name of ``url``."""
    try:
        return make_url(url).get_backend_name()
    except ArgumentError as exc:
        raise BackupError(f"--database-url {url}: not a database URL ({exc}); write it as sqlite:///path/to/lastmile.db "
                          "or postgresql+psycopg://user@host/dbname")


def sqlite_path(url: str | None = None) -> Path:
    """The file of a SQLite store URL (``None``: ``LASTMILE_DATABASE_URL`` or ``var/lastmile.db``)."""
    url = database_url(url)
    if backend(url) != "sqlite":
        raise BackupError(f"--database-url {url}: not a SQLite store; lastmile backup and restore copy only the embedded "
                          "SQLite store (use pg_dump / pg_restore for PostgreSQL)")
    name = make_url(url).database
    if not name or name == ":memory:" or name.startswith("file::memory:"):
        raise BackupError(f"--database-url {url}: an in-memory store has no file to back up or restore; give "
                          "sqlite:///path/to/lastmile.db")
    return Path(name)


def libpq_url(url: str) -> tuple[str, bool]:
    """A SQLAlchemy PostgreSQL URL (``postgresql+psycopg://...``) in the libpq form the PostgreSQL
    tools take (``postgresql://...``), without its password; and whether a password was left out."""
    u = make_url(url)
    had_password = u.password is not None
    plain = URL.create("postgresql", username=u.username, host=u.host, port=u.port, database=u.database, query=u.query)
    return plain.render_as_string(hide_password=False), had_password


def postgres_commands(url: str, file: str | os.PathLike) -> PgCommands:
    """``pg_dump --format=custom --file FILE URL`` and ``pg_restore --clean --if-exists --dbname URL FILE``."""
    plain, had_password = libpq_url(url)
    f, u = shlex.quote(str(file)), shlex.quote(plain)
    return PgCommands(
        dump=f"pg_dump --format=custom --file {f} {u}",
        restore=f"pg_restore --clean --if-exists --dbname {u} {f}",
        password_left_out=had_password,
    )


# --------------------------------------------------------------------------- schema revisions


@functools.lru_cache(maxsize=1)
def known_revisions() -> tuple[str, ...]:
    """The schema revisions of this code's migrations, oldest first (the last is the newest)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return tuple(reversed([s.revision for s in ScriptDirectory.from_config(cfg).walk_revisions()]))


@functools.lru_cache(maxsize=None)
def tables_at(revision: str) -> frozenset[str]:
    """The tables a lastmile store of ``revision`` holds (built by migrating an empty scratch store)."""
    with tempfile.TemporaryDirectory(prefix="lastmile-schema-") as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'schema.db'}")
        try:
            upgrade(engine, revision)
            with engine.connect() as conn:
                names = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'").scalars().all()
        finally:
            engine.dispose()
    return frozenset(n for n in names if not n.startswith("sqlite_"))


# --------------------------------------------------------------------------- checking a file


def _check_header(path: Path) -> None:
    """Refuse a file that is missing, empty, not SQLite, or shorter than its header says."""
    if not path.exists():
        raise BackupError(f"{path}: no such file; give the path of a file written by lastmile backup")
    if not path.is_file():
        raise BackupError(f"{path}: not a file; give the path of a file written by lastmile backup")
    size = path.stat().st_size
    if size == 0:
        raise BackupError(f"{path}: the file is empty, not a backup; give a file written by lastmile backup")
    with open(path, "rb") as f:
        head = f.read(HEADER_BYTES)
    if head[: len(SQLITE_HEADER)] != SQLITE_HEADER[: len(head)]:
        raise BackupError(f"{path}: not a SQLite database (it does not start with the SQLite header), so not a lastmile "
                          "backup; give a file written by lastmile backup")
    if len(head) < HEADER_BYTES:
        raise BackupError(f"{path}: truncated: {size} bytes, shorter than a SQLite header; the copy is incomplete, "
                          "take the backup again")
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(head[28:32], "big")
    valid_count = head[24:28] == head[92:96] and pages > 0
    if page_size < 512 or page_size & (page_size - 1):
        raise BackupError(f"{path}: damaged SQLite header (page size {page_size}); not a usable backup")
    if valid_count and size < pages * page_size:
        raise BackupError(f"{path}: truncated: {size} bytes where its header promises {pages * page_size}; the copy "
                          "is incomplete, take the backup again")


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=10)
    conn.execute("PRAGMA busy_timeout=10000")
    return conn


def _describe(conn: sqlite3.Connection, path: Path, *, full_check: bool) -> tuple[int, str]:
    """Check an open copy (``path`` names the file in messages): its booking rows and schema revision."""
    check = "integrity_check" if full_check else "quick_check"
    try:
        problems = [r[0] for r in conn.execute(f"PRAGMA {check}(20)").fetchall()]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path}: damaged or not a sound SQLite database ({exc}); it cannot be restored: give a "
                          "file written by lastmile backup")
    if problems != ["ok"]:
        raise BackupError([f"{path}: the database is damaged (PRAGMA {check}); it cannot be restored:",
                           *[f"  {p}" for p in problems[:5]], "take the backup again from a healthy store"])
    if "alembic_version" not in tables:
        raise BackupError(f"{path}: a SQLite database, but not a lastmile store (no alembic_version table); give a file "
                          "written by lastmile backup")
    revisions = [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]
    if len(revisions) != 1:
        raise BackupError(f"{path}: the alembic_version table holds {len(revisions)} rows, not one schema revision; "
                          "not a lastmile backup")
    revision = revisions[0]
    known = known_revisions()
    if revision not in known:
        raise BackupError(f"{path}: schema revision '{revision}' is unknown to this lastmile (it knows {known[0]} to "
                          f"{known[-1]}); restore it with the lastmile version that wrote it, or upgrade lastmile")
    missing = sorted(tables_at(revision) - tables)
    if missing:
        raise BackupError(f"{path}: not a complete lastmile store of schema revision {revision} (missing tables: "
                          f"{', '.join(missing)}); give a file written by lastmile backup")
    bookings = conn.execute("SELECT count(*) FROM bookings").fetchone()[0] if "bookings" in tables else 0
    return int(bookings), revision


def inspect_backup(path: str | os.PathLike) -> BackupInfo:
    """Check a backup file without changing it (a scratch copy is opened, never the file itself)."""
    path = Path(path)
    _check_header(path)
    with tempfile.TemporaryDirectory(prefix="lastmile-inspect-") as folder:
        scratch = Path(folder) / "backup.db"
        shutil.copyfile(path, scratch)
        conn = _connect(scratch)
        try:
            bookings, revision = _describe(conn, path, full_check=True)
        finally:
            conn.close()
    return BackupInfo(path=path, size_bytes=path.stat().st_size, bookings=bookings, revision=revision)


# --------------------------------------------------------------------------- writing files


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _scratch_next_to(target: Path, tag: str) -> Path:
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=f".{tag}")
    os.close(fd)
    return Path(name)


def _remove_quietly(path: Path) -> None:
    for p in (path, Path(f"{path}-journal"), Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            p.unlink()
        except FileNotFoundError:
            pass


def _snapshot(store: Path, dest_path: Path) -> None:
    """Copy the whole store ``store`` into the file ``dest_path`` in one step of the backup API
    (one read transaction of the source: a consistent snapshot), as a single self-contained file."""
    source = _connect(store)
    try:
        dest = sqlite3.connect(str(dest_path))
        try:
            source.backup(dest)  # pages=-1: all pages in one step, one snapshot
            dest.execute("PRAGMA journal_mode=DELETE")  # no -wal beside the copy: one file holds it all
            dest.commit()
        finally:
            dest.close()
    finally:
        source.close()
    with open(dest_path, "rb+") as f:
        os.fsync(f.fileno())


def _publish(scratch: Path, target: Path, *, force: bool) -> None:
    """Rename a finished ``scratch`` file to ``target``; an existing target only with ``force``."""
    if force:
        os.replace(scratch, target)
    else:
        try:
            os.link(scratch, target)  # fails if target exists: no check-then-write race
        except FileExistsError:
            raise BackupError(f"--out {target}: the file exists; give another --out, or --force to replace it")
        except OSError:  # a file system without hard links
            if target.exists():
                raise BackupError(f"--out {target}: the file exists; give another --out, or --force to replace it")
            os.replace(scratch, target)
        else:
            scratch.unlink()
    _fsync_dir(target.parent)


# --------------------------------------------------------------------------- backup


def create_backup(out: str | os.PathLike, url: str | None = None, *, force: bool = False) -> BackupInfo:
    """Write a consistent copy of the SQLite store at ``url`` to ``out`` and record ``backup.create``.

    Safe while the server runs and writes. ``out`` appears only complete (temporary file, then
    rename); an existing ``out`` is replaced only with ``force``.
    """
    url = database_url(url)
    store = sqlite_path(url)
    out = Path(out)
    if not store.is_file():
        raise BackupError(f"--database-url {url}: no store at {store}, so nothing to back up; check the URL "
                          "(or LASTMILE_DATABASE_URL)")
    if out.is_dir():
        raise BackupError(f"--out {out}: a folder; give the backup's file name, e.g. {out / 'lastmile-backup.db'}")
    if not out.parent.is_dir():
        raise BackupError(f"--out {out}: the folder {out.parent} does not exist; create it first")
    if out.exists() and not force:
        raise BackupError(f"--out {out}: the file exists; give another --out, or --force to replace it")
    if out.exists() and out.resolve() == store.resolve():
        raise BackupError(f"--out {out}: that is the store itself; write the backup to another file")
    db = open_database(url)  # the store's schema current, as every command does (and the audit table there)
    try:
        scratch = _scratch_next_to(out, "partial")
        try:
            _snapshot(store, scratch)
            conn = _connect(scratch)
            try:
                bookings, revision = _describe(conn, out, full_check=False)
            finally:
                conn.close()
            _publish(scratch, out, force=force)
        except BaseException:
            _remove_quietly(scratch)
            raise
        from scheduling.audit import record

        info = BackupInfo(path=out, size_bytes=out.stat().st_size, bookings=bookings, revision=revision)
        record(db, AUDIT_ACTOR, "backup.create", subject=str(out.resolve()),
               detail=f"{info.bookings} bookings, schema revision {info.revision}, {info.size_bytes} bytes")
    finally:
        db.engine.dispose()
    return info


# --------------------------------------------------------------------------- restore


def _kept_name(store: Path, now: dt.datetime) -> Path:
    stamp = now.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    kept = store.with_name(f"{store.name}.before-restore-{stamp}")
    k = 2
    while kept.exists():
        kept = store.with_name(f"{store.name}.before-restore-{stamp}-{k}")
        k += 1
    return kept


def _keep_old(store: Path, now: dt.datetime) -> Path:
    """Copy the current store (with what its ``-wal`` holds) to ``<store>.before-restore-<stamp>``."""
    kept = _kept_name(store, now)
    scratch = _scratch_next_to(kept, "partial")
    try:
        try:
            _snapshot(store, scratch)
        except sqlite3.OperationalError:
            raise  # busy or locked: never fall back to copying bytes under a writer
        except sqlite3.DatabaseError:
            # A store SQLite cannot read (the reason to restore, perhaps): keep its bytes as they are.
            _remove_quietly(scratch)
            shutil.copyfile(store, scratch)
            wal = Path(f"{store}-wal")
            if wal.exists():
                shutil.copyfile(wal, Path(f"{kept}-wal"))
        _publish(scratch, kept, force=False)
    except BaseException:
        _remove_quietly(scratch)
        raise
    return kept


def _write_into(staged: Path, store: Path) -> None:
    """Replace the store's content by ``staged`` (a checked copy in the store's folder)."""
    source = _connect(staged)
    try:
        try:
            dest = _connect(store)
            try:
                page_size = dest.execute("PRAGMA page_size").fetchone()[0]
                if source.execute("PRAGMA page_size").fetchone()[0] != page_size:
                    # A store in WAL mode keeps its page size: give the copy the store's first.
                    source.execute(f"PRAGMA page_size={int(page_size)}")
                    source.execute("VACUUM")
                source.backup(dest)  # one write transaction of the store: the -wal and -shm stay consistent
                dest.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                dest.close()
            return
        except sqlite3.OperationalError:
            raise  # busy or locked: never replace files under a writer
        except sqlite3.DatabaseError:
            pass  # the store is not readable SQLite ("file is not a database", "malformed"): replace its files
    finally:
        source.close()
    for side in (Path(f"{store}-wal"), Path(f"{store}-shm"), Path(f"{store}-journal")):
        side.unlink(missing_ok=True)
    os.replace(staged, store)
    _fsync_dir(store.parent)


def restore_backup(backup: str | os.PathLike, url: str | None = None, *, force: bool = False,
                   now: dt.datetime | None = None) -> RestoreReport:
    """Replace the SQLite store at ``url`` by the backup file ``backup`` and record ``backup.restore``.

    The file is checked first; a file that is not a lastmile backup raises :class:`BackupError`
    and nothing is written. An existing store is replaced only with ``force``, and is kept as
    ``<store>.before-restore-<UTC stamp>`` first. Stop the server while restoring: it caches the
    day's routes.
    """
    url = database_url(url)
    store = sqlite_path(url)
    backup = Path(backup)
    _check_header(backup)
    if not store.parent.is_dir():
        raise BackupError(f"--database-url {url}: the folder {store.parent} does not exist; create it first")
    if store.exists() and backup.resolve() == store.resolve():
        raise BackupError(f"{backup}: that is the store itself; give a backup file")
    staged = _scratch_next_to(store, "restoring")
    try:
        shutil.copyfile(backup, staged)  # what is checked is exactly what is restored
        conn = _connect(staged)
        try:
            bookings, revision = _describe(conn, backup, full_check=True)
            conn.execute("PRAGMA journal_mode=DELETE")  # the staged copy in one file, whatever mode it came in
        finally:
            conn.close()
        info = BackupInfo(path=backup, size_bytes=backup.stat().st_size, bookings=bookings, revision=revision)
        kept = None
        if store.exists():
            if not force:
                raise BackupError(f"--database-url {url}: a store exists at {store}; restoring replaces it, so add "
                                  "--force (the current store is kept as "
                                  f"{store.name}.before-restore-<timestamp> next to it)")
            kept = _keep_old(store, now or dt.datetime.now(dt.timezone.utc))
        _write_into(staged, store)
    finally:
        _remove_quietly(staged)
    db = open_database(url)  # an older revision is upgraded here
    try:
        from scheduling.audit import record

        detail = f"schema revision {info.revision}, {info.bookings} bookings"
        if kept is not None:
            detail += f"; the previous store kept as {kept}"
        record(db, AUDIT_ACTOR, "backup.restore", subject=str(backup.resolve()), detail=detail)
        with db.engine.connect() as c:
            revision = c.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one()
    finally:
        db.engine.dispose()
    return RestoreReport(store=store, source=info, kept=kept, revision=revision)
