"""Signing in and out, and who may do what.

Sessions are Flask's signed cookies managed by Flask-Login; every POST form and fetch carries
the CSRF token (Flask-WTF ``CSRFProtect``, see :func:`webui.app.create_app`). A session names
the user and their ``session_version`` (``"<id>.<version>"``): signing out, a new password and
removal raise the stored version, and a cookie with an older one no longer signs anyone in, on
any process. Sign-ins are throttled per account and per client address
(:mod:`webui.signin_throttle`); ``next=`` takes only a path on this site (:func:`_safe_next`).
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

import unicodedata
from functools import wraps
from typing import Callable
from urllib.parse import unquote, urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from webui import signin_throttle
from webui.accounts import authenticate, end_sessions, get_user

STOP_ROLES: tuple[str, ...] = ("dispatcher",)  # who sees addresses, instructions and stop positions
HOME_OF_ROLE = {"dispatcher": "day.view", "planner": "planner.view", "admin": "admin.view"}

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.signin"
login_manager.login_message = "Sign in to see this page."
login_manager.session_protection = "basic"


class SignedIn(UserMixin):
    def __init__(self, user_id: int, username: str, role: str, session_version: int = 1):
        self.id = user_id
        self.username = username
        self.role = role
        self.session_version = session_version

    def get_id(self) -> str:
        # What the session cookie stores: a cookie of an older version is refused by _load.
        return f"{self.id}.{self.session_version}"

    def has_role(self, *roles: str) -> bool:
        return self.role in roles


@login_manager.user_loader
def _load(user_id: str) -> SignedIn | None:
    from webui.app import get_db

    uid, _, version = user_id.partition(".")
    try:
        user = get_user(get_db(current_app), int(uid))
        version_n = int(version)
    except ValueError:
        return None  # malformed, or a cookie from before session versions: sign in again
    if user is None or version_n != user.session_version:  # ended by sign-out, new password or removal
        return None
    return SignedIn(user.id, user.username, user.role, user.session_version)


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
    """``target`` if it is a path on this site, else ``None`` (the caller goes home).

    Only a relative path with a single leading ``/``: no scheme or host, no backslash (browsers
    read ``/\\host`` as ``//host``) and no control character (CR/LF would split the Location
    header), also when percent-encoded."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    for text in (target, unquote(target)):
        if "\\" in text or text.startswith("//") or any(unicodedata.category(ch) == "Cc" for ch in text):
            return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@bp.route("/signin", methods=["GET", "POST"])
def signin():
    from webui.app import get_db

    error = None
    status = 200
    username = ""
    if request.method == "POST":
        db = get_db(current_app)
        username = request.form.get("username", "")
        password = request.form.get("password", "")
        if not username.strip() or not password:
            error, status = "Enter your user name and password.", 401
        elif (refused := signin_throttle.refusal(db, username, request.remote_addr)) is not None:
            error, status = refused.message(), 429
        else:
            user = authenticate(db, username, password)
            if user is None:
                locked = signin_throttle.record_failure(db, username, request.remote_addr)
                error, status = (locked.message(), 429) if locked else ("User name or password is wrong.", 401)
            else:
                signin_throttle.record_success(db, user.id)
                login_user(SignedIn(user.id, user.username, user.role, user.session_version), remember=False)
                return redirect(_safe_next(request.args.get("next")) or url_for("day.home"))
    return render_template("signin.html", error=error, username=username), status


@bp.route("/signout", methods=["POST"])
def signout():
    from webui.app import get_db

    if current_user.is_authenticated:
        end_sessions(get_db(current_app), current_user.id)  # a copy of this cookie stops working too
    logout_user()
    flash("You are signed out.")
    return redirect(url_for("auth.signin"))
