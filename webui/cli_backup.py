"""``lastmile backup --out FILE`` and ``lastmile restore FILE``: a thin shell over
:mod:`scheduling.storage.backup` for the embedded SQLite store.

A PostgreSQL ``--database-url`` is refused (exit 2) with the ``pg_dump`` / ``pg_restore``
commands to run instead. A file that is not a lastmile backup, an existing ``--out`` or store
without ``--force``: bad input (exit 2), and nothing is written. See docs/backup.md.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys

URL_HELP = "SQLAlchemy URL of the store (default: LASTMILE_DATABASE_URL or var/lastmile.db)"


def _size(n: int) -> str:
    """Bytes as a short human figure (1 KiB = 1024 bytes)."""
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"


def _refuse_postgres(url: str, file: str, command: str):
    """The bad-input error for a PostgreSQL store: the PostgreSQL tool that does the job."""
    from scheduling.storage.backup import postgres_commands
    from webui.cli import BadInput

    pg = postgres_commands(url, file)
    if command == "backup":
        lines = ["--database-url is a PostgreSQL store: lastmile backup copies only the embedded SQLite store; "
                 "back PostgreSQL up with pg_dump:", f"  {pg.dump}"]
    else:
        lines = ["--database-url is a PostgreSQL store: lastmile restore writes only the embedded SQLite store; "
                 "restore a pg_dump file with pg_restore:", f"  {pg.restore}"]
    if pg.password_left_out:
        lines.append("(the password is left out of the URL: give it with PGPASSWORD or ~/.pgpass)")
    lines.append("see docs/backup.md")
    return BadInput(lines)


def _store_url(args: argparse.Namespace, file: str, command: str) -> str:
    from scheduling.storage import database_url
    from scheduling.storage.backup import BackupError, backend
    from webui.cli import BadInput

    url = database_url(args.database_url)
    try:
        name = backend(url)
    except BackupError as exc:
        raise BadInput(exc.lines)
    if name == "postgresql":
        raise _refuse_postgres(url, file, command)
    if name != "sqlite":
        raise BadInput(f"--database-url {url}: a {name} store; lastmile {command} handles SQLite, and PostgreSQL "
                       "through pg_dump / pg_restore (docs/backup.md)")
    return url


def _busy(exc: sqlite3.OperationalError, store: str) -> int:
    print(f"error: {store}: {exc}; the store stayed busy (another process holds a long write lock); "
          "try again, or stop that process", file=sys.stderr)
    return 1


def cmd_backup(args: argparse.Namespace) -> int:
    from scheduling.storage.backup import BackupError, create_backup
    from webui.cli import BadInput

    url = _store_url(args, args.out, "backup")
    try:
        info = create_backup(args.out, url, force=args.force)
    except BackupError as exc:
        raise BadInput(exc.lines)
    except sqlite3.OperationalError as exc:
        return _busy(exc, url)
    print(f"wrote {info.path} ({_size(info.size_bytes)}, {info.size_bytes} bytes): {info.bookings} bookings, "
          f"schema revision {info.revision}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from scheduling.storage.backup import BackupError, restore_backup
    from webui.cli import BadInput

    url = _store_url(args, args.file, "restore")
    try:
        report = restore_backup(args.file, url, force=args.force)
    except BackupError as exc:
        raise BadInput([*exc.lines, "nothing was restored; the store is unchanged"])
    except sqlite3.OperationalError as exc:
        return _busy(exc, url)
    src = report.source
    if report.kept is not None:
        print(f"kept the previous store as {report.kept}")
    upgraded = f", upgraded to {report.revision}" if report.revision != src.revision else ""
    print(f"restored {report.store} from {src.path}: {src.bookings} bookings, schema revision {src.revision}{upgraded}")
    print("start (or restart) lastmile serve now: a running server still holds the old day's routes in memory")
    return 0


def add_commands(sub) -> None:
    """Register ``backup`` and ``restore`` on the ``lastmile`` sub-parser."""
    p = sub.add_parser("backup", help="copy the SQLite store to a file, consistently, while the server runs")
    p.add_argument("--out", required=True, help="the backup file to write (refused if it exists, unless --force)")
    p.add_argument("--force", action="store_true", help="replace an existing --out file")
    p.add_argument("--database-url", default=None, help=URL_HELP)
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="replace the SQLite store by a backup file (checked first; old store kept)")
    p.add_argument("file", help="a file written by lastmile backup")
    p.add_argument("--force", action="store_true",
                   help="replace an existing store (it is kept as <store>.before-restore-<timestamp>)")
    p.add_argument("--database-url", default=None, help=URL_HELP)
    p.set_defaults(func=cmd_restore)
