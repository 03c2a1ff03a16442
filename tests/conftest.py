"""Shared fixtures: databases (SQLite and PostgreSQL) and the default city's network.

Running every migration costs about half a second on PostgreSQL and a tenth on SQLite, and most
tests only want a store to use, so :func:`database_url` hands out a copy of a store migrated
once per session (a ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL, a file copy on SQLite);
:func:`empty_database_url` is the truly empty one, for the tests of the migrations themselves.
:func:`store_copies` does the same for any store a builder fills (a booked and published day).
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import uuid
from pathlib import Path
from typing import Any, Callable

import pytest

POSTGRES_URL = os.environ.get("LASTMILE_TEST_POSTGRES_URL")
REQUIRE_POSTGRES = os.environ.get("LASTMILE_REQUIRE_POSTGRES") == "1"
DIALECTS = ["sqlite", "postgresql"]


def _admin():
    from sqlalchemy import create_engine

    return create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")


def _fresh_postgres_url(base: str, template: str | None = None) -> str:
    """Create a database on the test server (empty, or a copy of ``template``) so each test starts clean."""
    from sqlalchemy import create_engine, text

    name = f"lm_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    admin.dispose()
    return base.rsplit("/", 1)[0] + f"/{name}"


def _need_postgres() -> None:
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("LASTMILE_REQUIRE_POSTGRES=1 but LASTMILE_TEST_POSTGRES_URL is not set")
        pytest.skip("no PostgreSQL server: set LASTMILE_TEST_POSTGRES_URL (see .ci/start-postgres)")


def _copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of the SQLite store ``source`` (its WAL included) at ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for ext in ("", "-wal", "-shm"):
        Path(f"{target}{ext}").unlink(missing_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


class StoreCopies:
    """Stores built once per session (per dialect and key) and handed out as copies.

    ``copy(dialect, key, build, target)`` builds the store the first time a key is asked for:
    ``build(url, folder)`` gets a migrated store at ``url`` and a folder of its own, fills the
    store, disposes every engine it opened and returns what the tests need to know about it
    (plan ids, ...); ``build=None`` is the migrated store itself. Each call then returns
    ``(url of a new copy, what build returned)``: a test may change its copy freely. On SQLite
    the copy is written at ``target`` (a path to a ``.db`` file).
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.built: dict[tuple, tuple[str, Any]] = {}  # (dialect, key) -> (a file or a database name, info)
        self.serial = itertools.count()

    def _template(self, dialect: str, key: tuple, build: Callable[[str, Path], Any] | None) -> tuple[str, Any]:
        from sqlalchemy import text

        if (dialect, key) in self.built:
            return self.built[(dialect, key)]
        folder = self.folder / f"store-{next(self.serial)}"
        folder.mkdir()
        if dialect == "sqlite":
            path = folder / "lastmile.db"
            if build is None:  # the migrated, empty store every other one starts from
                from scheduling.storage import open_database

                open_database(f"sqlite:///{path}").engine.dispose()
                info = None
            else:
                info = build(self.copy("sqlite", ("migrated",), None, path)[0], folder)
            self.built[(dialect, key)] = (str(path), info)
        else:
            if build is None:
                from scheduling.storage import open_database

                url = _fresh_postgres_url(POSTGRES_URL)
                open_database(url).engine.dispose()
                info = None
            else:
                url = self.copy("postgresql", ("migrated",), None, None)[0]
                info = build(url, folder)
            name = url.rsplit("/", 1)[1]
            admin = _admin()
            with admin.connect() as conn:  # nothing may stay connected to a template
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n "
                                  "AND pid <> pg_backend_pid()"), {"n": name})
            admin.dispose()
            self.built[(dialect, key)] = (name, info)
        return self.built[(dialect, key)]

    def copy(self, dialect: str, key: tuple, build: Callable[[str, Path], Any] | None, target: Path | None) -> tuple[str, Any]:
        """``(url of a new copy of the store built for key, what its builder returned)``."""
        if dialect == "postgresql":
            _need_postgres()
        template, info = self._template(dialect, key, build)
        if dialect == "sqlite":
            _copy_sqlite(Path(template), target)
            return f"sqlite:///{target}", info
        return _fresh_postgres_url(POSTGRES_URL, template), info


@pytest.fixture(scope="session")
def store_copies(tmp_path_factory) -> StoreCopies:
    return StoreCopies(tmp_path_factory.mktemp("store-templates"))


@pytest.fixture(params=DIALECTS)
def database_url(request, tmp_path, store_copies) -> str:
    """A URL of a database migrated to the newest schema and holding nothing, once for SQLite
    (WAL file ``lastmile.db`` in the test's folder) and once for PostgreSQL.

    PostgreSQL runs where ``LASTMILE_TEST_POSTGRES_URL`` points (``.ci/run`` starts one);
    without it the PostgreSQL case is skipped, unless ``LASTMILE_REQUIRE_POSTGRES=1``.
    """
    return store_copies.copy(request.param, ("migrated",), None, tmp_path / "lastmile.db")[0]


@pytest.fixture(params=DIALECTS)
def dialect(request) -> str:
    """``sqlite`` and ``postgresql`` (skipped as :func:`database_url` is), for tests that take a copy
    of a filled store from :func:`store_copies` rather than an empty one."""
    if request.param == "postgresql":
        _need_postgres()
    return request.param


@pytest.fixture(params=DIALECTS)
def empty_database_url(request, tmp_path) -> str:
    """A URL of an empty database (no table, no migration run), for the migration tests; as
    :func:`database_url` otherwise."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'lastmile.db'}"
    _need_postgres()
    return _fresh_postgres_url(POSTGRES_URL)


@pytest.fixture(scope="session")
def gothenburg():
    """The embedded default city, loaded once per test session."""
    from geo.network import load_network

    return load_network("gothenburg")
