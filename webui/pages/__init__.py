"""The pages: sign-in, day view and edits, driver sheets, planner view, performance, admin.

:func:`register_pages` wires them into the app made by :func:`webui.app.create_app`.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from webui.jobs import JobRunner
from scenarios.dispatch.workbench import Workbench

log = logging.getLogger(__name__)

PLAIN_MESSAGES = {
    400: "The request could not be understood.",
    403: "You may not do this.",
    404: "There is nothing here.",
    405: "This page cannot be used that way.",
    413: "The file is too large.",
    500: "Something went wrong on the server. The error was logged; please try again.",
}


def _wants_json() -> bool:
    return (request.is_json or request.path.startswith("/jobs/") or request.path.endswith(".geojson")
            or request.accept_mimetypes.best == "application/json" or request.headers.get("X-Requested-With") == "fetch")


def _is_api() -> bool:
    return request.path.startswith("/api/") or (request.blueprint or "").startswith("api")


def _error_page(status: int, message: str):
    if _wants_json():
        return jsonify(error=message), status
    return render_template("error.html", status=status, message=message), status


def register_pages(app: Flask) -> None:
    from webui.pages import auth, day, driver, planner, sheets

    app.config.setdefault("PLAN_TIME_LIMIT_S", 30.0)
    app.config.setdefault("PLAN_TIME_LIMIT_MAX_S", 300.0)
    app.config.setdefault("SOLVER_ENGINE", "auto")
    app.config.setdefault("SOLVER_WORKERS", 1)
    from webui.app import get_db

    app.extensions["lastmile.workbench"] = Workbench(get_db(app), app.config)
    app.extensions["lastmile.jobs"] = JobRunner(get_db(app), app.config)
    auth.login_manager.init_app(app)
    for blueprint in (auth.bp, day.bp, sheets.bp, planner.bp, driver.bp):
        app.register_blueprint(blueprint)
    from webui.pages import admin, performance

    app.register_blueprint(performance.bp)
    app.register_blueprint(admin.bp)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        return _error_page(400, f"The form had expired or was sent from elsewhere ({exc.description}). "
                                "Reload the page and try again.")

    # The booking API (registered first) answers its own errors in JSON: keep its handler for /api/.
    api_handler = app.error_handler_spec.get(None, {}).get(None, {}).get(HTTPException)

    # A handler by status code wins over the API blueprint's catch-all, which would hand the
    # exception back as Werkzeug's HTML page: a too-large body gets the API's JSON error shape.
    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge):
        limit_mb = (app.config.get("MAX_CONTENT_LENGTH") or 0) / (1024 * 1024)
        if _is_api():
            from webui.api import error

            return error(413, None, "too_large", f"the request body is larger than the {limit_mb:g} MB limit; send a smaller body")
        return _error_page(413, f"The file is too large: the limit is {limit_mb:g} MB. Split it and import the parts.")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if _is_api():
            return api_handler(exc) if api_handler is not None else exc
        status = exc.code or 500
        description = exc.description if exc.description and exc.description != type(exc).description else None
        return _error_page(status, description or PLAIN_MESSAGES.get(status, exc.name))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _error_page(500, PLAIN_MESSAGES[500])

    @app.context_processor
    def _globals():
        from geo.network import ODBL_NOTICE

        from webui.basemap import BASEMAP_NOTE

        from webui.pages.day import default_date

        return {"odbl_notice": ODBL_NOTICE, "basemap_note": BASEMAP_NOTE, "nav_date": default_date()}
