"""Storage opens SQLite (WAL) or PostgreSQL and migrates the schema to the newest revision."""

from sqlalchemy import inspect, select

from scheduling.storage import open_database
from scheduling.storage.models import User


def test_open_database_creates_the_schema_and_round_trips_a_row(empty_database_url):
    db = open_database(empty_database_url)
    assert {"users", "shops", "plans", "alembic_version"} <= set(inspect(db.engine).get_table_names())
    with db.session() as s:
        s.add(User(username="dispatcher1", password_hash="x", role="dispatcher"))
    with db.session() as s:
        assert s.scalars(select(User.username)).all() == ["dispatcher1"]


def test_migrating_twice_is_harmless(empty_database_url):
    open_database(empty_database_url)
    db = open_database(empty_database_url)
    with db.session() as s:
        assert s.scalars(select(User)).all() == []


def test_sqlite_runs_in_wal_mode(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'x.db'}")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
