"""Signing in and out, and who may do what.

Sessions are Flask's signed cookies managed by Flask-Login; every POST form and fetch carries
the CSRF token (Flask-WTF ``CSRFProtect``, see :func:`webui.app.create_app`).
Roles: a **dispatcher** plans, edits and prints the day; a **planner** runs what-if comparisons
of pickup points. Both may look at every page.
"""

from __future__ import annotations

from functools import wraps
from typing import Callable
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from webui.accounts import authenticate, get_user

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
