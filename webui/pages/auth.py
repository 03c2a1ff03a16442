"""Signing in and out, and who may do what.

Sessions are Flask's signed cookies managed by Flask-Login; every POST form and fetch carries
the CSRF token (Flask-WTF ``CSRFProtect``, see :func:`webui.app.create_app`).
Roles (:data:`webui.accounts.ROLES`):

* a **dispatcher** plans, edits, publishes and prints the day, and so sees the addresses,
  instructions and positions of its stops;
* a **planner** works with forecasts, capacity, what-ifs and pickup-point catchments and sees
  zone-level aggregates only: never an address, customer, order id, instruction or a stop's
  position (the day page shows it the day per zone; maps, stop lists and driver sheets are 403);
* an **admin** manages users and shops and reads the audit log (``/admin``); like a planner it
  sees only aggregates unless the same person also has a dispatcher account.

:data:`STOP_ROLES` are the roles that may see individual stops; :func:`audit` records what a
signed-in user viewed, exported or changed (actor ``user:<name>``).
"""

from __future__ import annotations

from functools import wraps
from typing import Callable
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from webui.accounts import authenticate, get_user

STOP_ROLES: tuple[str, ...] = ("dispatcher",)  # who sees addresses, instructions and stop positions
HOME_OF_ROLE = {"dispatcher": "day.view", "planner": "planner.view", "admin": "admin.view"}

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.signin"
login_manager.login_message = "Sign in to see this page."
login_manager.session_protection = "basic"


class SignedIn(UserMixin):
    def __init__(self, user_id: int, username: str, role: str):
        self.id = user_id
        self.username = username
        self.role = role

    def has_role(self, *roles: str) -> bool:
        return self.role in roles


@login_manager.user_loader
def _load(user_id: str) -> SignedIn | None:
    from webui.app import get_db

    try:
        user = get_user(get_db(current_app), int(user_id))
    except ValueError:
        return None
    return None if user is None else SignedIn(user.id, user.username, user.role)


def role_required(*roles: str) -> Callable:
    """Allow a view only to signed-in users with one of ``roles`` (403 with a plain message otherwise)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                abort(403, description=f"this needs the {' or '.join(roles)} role; you are signed in as a {current_user.role}")
            return view(*args, **kwargs)

        return wrapper

    return decorate


def sees_stops() -> bool:
    """Whether the signed-in user may see individual stops (addresses, instructions, positions)."""
    return current_user.is_authenticated and current_user.has_role(*STOP_ROLES)


def actor() -> str:
    """The audit log's actor for the signed-in user."""
    return f"user:{current_user.username}" if current_user.is_authenticated else "anonymous"


def audit(action: str, subject: str = "", detail: str = "") -> None:
    """Record ``action`` by the signed-in user in the audit log (:func:`scheduling.audit.record`)."""
    from scheduling.audit import record
    from webui.app import get_db

    record(get_db(current_app), actor(), action, subject, detail)


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    # Only paths on this site: never bounce a signed-in user to another host.
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/signin", methods=["GET", "POST"])
def signin():
    from webui.app import get_db

    error = None
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "")
        password = request.form.get("password", "")
        if not username.strip() or not password:
            error = "Enter your user name and password."
        else:
            user = authenticate(get_db(current_app), username, password)
            if user is None:
                error = "User name or password is wrong."
            else:
                login_user(SignedIn(user.id, user.username, user.role), remember=False)
                return redirect(_safe_next(request.args.get("next")) or url_for("day.home"))
    return render_template("signin.html", error=error, username=username), (401 if error else 200)


@bp.route("/signout", methods=["POST"])
def signout():
    logout_user()
    flash("You are signed out.")
    return redirect(url_for("auth.signin"))
