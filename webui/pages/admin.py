"""The admin page ``/admin``: users, shops and the audit log (admins only, 403 for the others).

Users can be added, given another role, given a new password and removed (never oneself, never
the last admin); shops are listed by name with whether a webhook is set (keys are stored only
as hashes and never shown). The audit log (:func:`scheduling.audit.entries`) is listed newest
first from ``?since=`` (a date or an ISO time, UTC) and for one ``?action=``. Every change is
recorded in the audit log by :mod:`webui.accounts` (actor ``user:<name>``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from scheduling.audit import ACTIONS, entries
from scheduling.storage import Database
from scheduling.storage.models import Shop
from webui.accounts import ROLES, AccountError, add_user, list_users, remove_user, set_password, set_role
from webui.auditlog import parse_since
from webui.pages.auth import actor, role_required

bp = Blueprint("admin", __name__)

AUDIT_ROWS = 500  # the most entries one page lists


@dataclass(frozen=True)
class ShopRow:
    name: str
    created_at: dt.datetime | None
    webhook: bool


def shop_rows(db: Database) -> list[ShopRow]:
    """Every shop by name: no key, no webhook URL or secret, just whether a webhook is set."""
    with db.session() as s:
        return [ShopRow(sh.name, sh.created_at, bool(sh.webhook_url)) for sh in s.scalars(select(Shop).order_by(Shop.name))]


def _db() -> Database:
    from webui.app import get_db

    return get_db(current_app)


def _done(message: str | None = None, error: str | None = None):
    if error:
        flash(error, "error")
    elif message:
        flash(message, "ok")
    return redirect(url_for("admin.view"))


@bp.route("/admin")
@role_required("admin")
def view():
    db = _db()
    raw_since, action = request.args.get("since", ""), request.args.get("action", "")
    error = None
    try:
        since = parse_since(raw_since)
    except ValueError as exc:
        error, since = str(exc), None
    if action and action not in ACTIONS:
        error, action = f"action: '{action}' is not an audit action; choose one from the list", ""
    log = [] if error else entries(db, since=since, action=action or None, limit=AUDIT_ROWS)
    return render_template("admin.html", users=list_users(db), roles=ROLES, shops=shop_rows(db), log=log,
                           since=raw_since, action=action, actions=sorted(ACTIONS), error=error,
                           limit=AUDIT_ROWS), (400 if error else 200)


@bp.route("/admin/users", methods=["POST"])
@role_required("admin")
def add():
    username = request.form.get("username", "")
    role = request.form.get("role", "")
    try:
        user = add_user(_db(), username, request.form.get("password", ""), role, actor=actor())
    except AccountError as exc:
        return _done(error=f"Not added: {exc}.")
    return _done(f"Added {user.role} '{user.username}'.")


@bp.route("/admin/users/<username>/role", methods=["POST"])
@role_required("admin")
def change_role(username: str):
    role = request.form.get("role", "")
    try:
        before = set_role(_db(), username, role, actor=actor())
    except AccountError as exc:
        return _done(error=f"Role not changed: {exc}.")
    return _done(f"'{username}' is now a {role} (was {before})." if before != role else f"'{username}' was already a {role}.")


@bp.route("/admin/users/<username>/password", methods=["POST"])
@role_required("admin")
def reset_password(username: str):
    try:
        set_password(_db(), username, request.form.get("password", ""), actor=actor())
    except AccountError as exc:
        return _done(error=f"Password not changed: {exc}.")
    return _done(f"'{username}' has a new password; tell them in person, not by e-mail.")


@bp.route("/admin/users/<username>/remove", methods=["POST"])
@role_required("admin")
def remove(username: str):
    if username == current_user.username:
        return _done(error=f"Not removed: you are signed in as '{username}'; another admin must remove you.")
    try:
        remove_user(_db(), username, actor=actor())
    except AccountError as exc:
        return _done(error=f"Not removed: {exc}.")
    return _done(f"Removed '{username}'.")
