"""The Flask application factory: the dispatcher and planner pages and the booking API.

Configuration (``create_app(config)`` or environment):

* ``DATABASE_URL`` (env ``LASTMILE_DATABASE_URL``): SQLite file by default, PostgreSQL by URL;
* ``SECRET_KEY`` (env ``LASTMILE_SECRET_KEY``): signs sessions; at least 32 bytes of randomness
  (``python -c "import secrets; print(secrets.token_hex(32))"``), a shorter one is refused at
  start-up. Unset, a random one is made for this process, which signs everyone out at restart and
  cannot work with several processes: :func:`require_secret_key_for_processes` refuses that;
* ``HTTPS`` (env ``LASTMILE_HTTPS=1``): the site is served over HTTPS (directly or behind a
  TLS proxy), so the session cookie is marked ``Secure`` (``SESSION_COOKIE_SECURE``);
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

Every response carries the security headers of :func:`_security_headers` (a Content-Security-Policy
without inline script, ``X-Frame-Options: DENY``, ``nosniff``, a Referrer-Policy, and HSTS when the
request came over HTTPS). Every form and every fetch() POST of the pages carries a CSRF token (Flask-WTF); blueprints
whose name starts with ``api`` (the booking API, authenticated by API key) are exempt.
"""

from __future__ import annotations

import os
import secrets
from typing import Any, Mapping

from flask import Flask, Response, request
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import RequestEntityTooLarge

from scheduling.storage import Database, open_database


MIN_SECRET_KEY_BYTES = 32
MAKE_A_KEY = 'python -c "import secrets; print(secrets.token_hex(32))"'
# No inline script anywhere: every script is a file under webui/static/. Inline styles are allowed:
# the vehicle colours are data (style="background: #..." in the templates and in Leaflet's marker
# markup); a style cannot run code, and script-src stays 'self' only.
# connect-src has blob: for the driver page, which fetches its basemap with a token header and
# hands the map a blob: URL.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self' blob:; font-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)
HSTS = "max-age=31536000"


class SecretKeyError(RuntimeError):
    """The app cannot sign sessions safely as configured; the message says how to fix it."""


def _check_secret_key(key: str | bytes | None) -> None:
    """Refuse a configured key that is too short or too plain to be a random 32-byte key."""
    if key is None:
        return
    raw = key.encode() if isinstance(key, str) else bytes(key)
    if len(raw) < MIN_SECRET_KEY_BYTES or len(set(raw)) < 8:
        raise SecretKeyError(
            f"LASTMILE_SECRET_KEY (SECRET_KEY) must be at least {MIN_SECRET_KEY_BYTES} random bytes; "
            f"this one is {len(raw)} bytes{' of few distinct characters' if len(raw) >= MIN_SECRET_KEY_BYTES else ''}. "
            f"Make one with: {MAKE_A_KEY}"
        )


def require_secret_key_for_processes(app: Flask, processes: int) -> None:
    """Refuse to serve with ``processes`` > 1 on a per-process random key: each process would sign
    its own sessions and a user would be signed out whenever a request reached another process.
    ``lastmile serve --workers N`` calls this before starting its processes."""
    if processes > 1 and not app.config.get("LASTMILE_SECRET_KEY_CONFIGURED"):
        raise SecretKeyError(
            f"{processes} server processes need one shared LASTMILE_SECRET_KEY (none is set, so each process "
            f"would make its own and sign users out); make one with: {MAKE_A_KEY} "
            "and set it in the environment of every process"
        )


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _security_headers(response: Response) -> Response:
    h = response.headers
    h.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if request.is_secure:
        h.setdefault("Strict-Transport-Security", HSTS)
    return response


def _refuse_large_bodies() -> None:
    """Refuse a body declared larger than ``MAX_CONTENT_LENGTH`` before any view (or API key check) runs."""
    from flask import current_app

    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(
        SECRET_KEY=os.environ.get("LASTMILE_SECRET_KEY") or None,
        DATABASE_URL=os.environ.get("LASTMILE_DATABASE_URL"),
        SCENARIO=os.environ.get("LASTMILE_SCENARIO", "gothenburg"),
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
        IMPORT_DIR=os.environ.get("LASTMILE_IMPORT_DIR"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        HTTPS=_truthy(os.environ.get("LASTMILE_HTTPS")),
        WTF_CSRF_TIME_LIMIT=None,  # valid for the session: a dispatcher keeps one tab open all day
    )
    if config:
        app.config.update(config)
    _check_secret_key(app.config["SECRET_KEY"])
    app.config["LASTMILE_SECRET_KEY_CONFIGURED"] = app.config["SECRET_KEY"] is not None
    if app.config["SECRET_KEY"] is None:
        app.config["SECRET_KEY"] = secrets.token_hex(32)  # this process only: see require_secret_key_for_processes
    if app.config["HTTPS"]:
        app.config["SESSION_COOKIE_SECURE"] = app.config["REMEMBER_COOKIE_SECURE"] = True
    app.extensions["lastmile.db"] = open_database(app.config["DATABASE_URL"])
    from webui.api import register as register_api
    from webui.pages import register_pages

    # The API first: the pages' error handlers keep its JSON answers for /api/ paths.
    register_api(app)
    register_pages(app)
    app.before_request(_refuse_large_bodies)
    app.after_request(_security_headers)
    csrf = CSRFProtect(app)
    for blueprint in app.blueprints.values():
        if blueprint.name.startswith("api"):
            csrf.exempt(blueprint)
    return app


def get_db(app: Flask) -> Database:
    return app.extensions["lastmile.db"]
