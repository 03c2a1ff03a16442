"""The Flask application factory: the dispatcher and planner pages and the booking API.

Configuration (``create_app(config)`` or environment):

* ``DATABASE_URL`` (env ``LASTMILE_DATABASE_URL``): SQLite file by default, PostgreSQL by URL;
* ``SECRET_KEY`` (env ``LASTMILE_SECRET_KEY``): signs sessions; a random one is made if unset,
  which signs everyone out at restart;
* ``SCENARIO`` (env ``LASTMILE_SCENARIO``): the scenario the pages and API plan in;
* ``PLAN_TIME_LIMIT_S`` (default 30) and ``PLAN_TIME_LIMIT_MAX_S`` (300): solver seconds for
  the plan button; ``SOLVER_ENGINE`` (``auto``);
* ``SOLVER_CLUSTER``: where solves run: ``local`` (default: a Dask LocalCluster, started with
  ``lastmile serve`` or on the first solve; ``serve --scheduler tcp://HOST:PORT`` connects to
  an existing cluster instead) or ``inline`` (threads of this process; for tests only); ``SOLVER_PROCESSES`` (2) and
  ``SOLVER_THREADS`` (1) shape the local cluster (env ``LASTMILE_SOLVER_PROCESSES`` /
  ``LASTMILE_SOLVER_THREADS``), ``SOLVER_NICE`` (10) the workers' CPU priority;
* ``ORDERS_PER_DAY_OVERRIDE``: cap the generated orders of a day (small days for tests/demos);
* ``IMPORT_DIR`` (env ``LASTMILE_IMPORT_DIR``, default ``var/imports``): imported order files.

Every form and every fetch() POST of the pages carries a CSRF token (Flask-WTF); blueprints
whose name starts with ``api`` (the booking API, authenticated by API key) are exempt.
"""

from __future__ import annotations

import os
import secrets
from typing import Any, Mapping

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from scheduling.storage import Database, open_database


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(
        SECRET_KEY=os.environ.get("LASTMILE_SECRET_KEY") or secrets.token_hex(32),
        DATABASE_URL=os.environ.get("LASTMILE_DATABASE_URL"),
        SCENARIO=os.environ.get("LASTMILE_SCENARIO", "gothenburg"),
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
        IMPORT_DIR=os.environ.get("LASTMILE_IMPORT_DIR"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,  # valid for the session: a dispatcher keeps one tab open all day
    )
    if config:
        app.config.update(config)
    app.extensions["lastmile.db"] = open_database(app.config["DATABASE_URL"])
    from webui.api import register as register_api
    from webui.pages import register_pages

    # The API first: the pages' error handlers keep its JSON answers for /api/ paths.
    register_api(app)
    register_pages(app)
    csrf = CSRFProtect(app)
    for blueprint in app.blueprints.values():
        if blueprint.name.startswith("api"):
            csrf.exempt(blueprint)
    return app


def get_db(app: Flask) -> Database:
    return app.extensions["lastmile.db"]
