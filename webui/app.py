"""The Flask application factory: the dispatcher and planner pages and the booking API.

Configuration (``create_app(config)`` or environment):

* ``DATABASE_URL`` (env ``LASTMILE_DATABASE_URL``): SQLite file by default, PostgreSQL by URL;
* ``SECRET_KEY`` (env ``LASTMILE_SECRET_KEY``): signs sessions; a random one is made if unset,
  which signs everyone out at restart;
* ``SCENARIO`` (env ``LASTMILE_SCENARIO``): the scenario the pages and API plan in.
"""

from __future__ import annotations

import os
import secrets
from typing import Any, Mapping

from flask import Flask

from scheduling.storage import Database, open_database


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(
        SECRET_KEY=os.environ.get("LASTMILE_SECRET_KEY") or secrets.token_hex(32),
        DATABASE_URL=os.environ.get("LASTMILE_DATABASE_URL"),
        SCENARIO=os.environ.get("LASTMILE_SCENARIO", "gothenburg"),
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
    )
    if config:
        app.config.update(config)
    app.extensions["lastmile.db"] = open_database(app.config["DATABASE_URL"])
    from webui.api import register as register_api

    register_api(app)
    return app


def get_db(app: Flask) -> Database:
    return app.extensions["lastmile.db"]
