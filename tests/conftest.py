"""Shared fixtures: databases (SQLite and PostgreSQL) and the default city's network."""

from __future__ import annotations

import os
import uuid

import pytest

POSTGRES_URL = os.environ.get("LASTMILE_TEST_POSTGRES_URL")
REQUIRE_POSTGRES = os.environ.get("LASTMILE_REQUIRE_POSTGRES") == "1"


def _fresh_postgres_url(base: str) -> str:
    """Create an empty database on the test server so each test starts clean."""
    from sqlalchemy import create_engine, text

    name = f"lm_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """A URL of an empty database, once for SQLite (WAL file) and once for PostgreSQL.

    PostgreSQL runs where ``LASTMILE_TEST_POSTGRES_URL`` points (``.ci/run`` starts one);
    without it the PostgreSQL case is skipped, unless ``LASTMILE_REQUIRE_POSTGRES=1``.
    """
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'lastmile.db'}"
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("LASTMILE_REQUIRE_POSTGRES=1 but LASTMILE_TEST_POSTGRES_URL is not set")
        pytest.skip("no PostgreSQL server: set LASTMILE_TEST_POSTGRES_URL (see .ci/start-postgres)")
    return _fresh_postgres_url(POSTGRES_URL)


@pytest.fixture(scope="session")
def gothenburg():
    """The embedded default city, loaded once per test session."""
    from geo.network import load_network

    return load_network("gothenburg")
