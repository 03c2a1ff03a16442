"""SQL storage for lastmile: SQLite (a file, WAL mode) by default, PostgreSQL by URL.

The schema is owned by Alembic migrations in ``migrations/``; :func:`open_database` upgrades a
database to the newest revision before handing out sessions.
"""

from scheduling.storage.db import Database, database_url, open_database

__all__ = ["Database", "database_url", "open_database"]
