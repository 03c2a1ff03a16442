"""Web UI accounts: dispatchers, planners and admins who sign in with a password.

Passwords are stored only as salted hashes (``werkzeug.security``, scrypt by default); an
unknown name is checked against a dummy hash, so it answers as slowly as a known one.
A user's ``session_version`` is in every session cookie (:mod:`webui.pages.auth`): signing out,
a new password and removal raise it, and every cookie carrying an older one stops working.
Every change made with an ``actor`` (``user:<name>`` from the pages, ``cli`` from the command
line) is written to the audit log (:mod:`scheduling.audit`) in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from scheduling import audit
from scheduling.storage import Database
from scheduling.storage.models import User

ROLES: tuple[str, ...] = ("dispatcher", "planner", "admin")
MIN_PASSWORD_LENGTH = 8
_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,80}$")


class AccountError(ValueError):
    """A user that cannot be created or changed as asked; the message names the field and the fix."""


@dataclass(frozen=True)
class Account:
    """A user as the admin page and ``lastmile user`` list it (never the password hash)."""

    username: str
    role: str
    created_at: dt.datetime | None


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"role '{role}' is unknown; use one of {', '.join(ROLES)}")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password: use at least {MIN_PASSWORD_LENGTH} characters")


def _existing(s, username: str) -> User:
    user = s.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        raise AccountError(f"user '{username.strip()}' does not exist; check the name (lastmile user list shows them)")
    return user


def _first_session_version() -> int:
    """A random start: a store may give a removed user's id to a new user (SQLite reuses the
    highest rowid), and the old user's cookies must not fit the new one."""
    return secrets.randbelow(2**30) + 1


def _admins(s) -> int:
    return s.scalar(select(func.count()).select_from(User).where(User.role == "admin")) or 0


def add_user(db: Database, username: str, password: str, role: str = "dispatcher", *, actor: str | None = None) -> User:
    """Create a user; raises :class:`AccountError` for a bad name, a short password, an unknown
    role or a name already taken (nothing is stored then)."""
    username = username.strip()
    if not _USERNAME.match(username):
        raise AccountError(
            f"username '{username}': use 2-80 letters, digits or . _ @ - (no spaces)"
        )
    _check_role(role)
    _check_password(password)
    with db.session() as s:
        if s.scalar(select(User).where(User.username == username)) is not None:
            raise AccountError(f"username '{username}' is already taken; pick another name")
        user = User(username=username, password_hash=generate_password_hash(password), role=role,
                    session_version=_first_session_version())
        s.add(user)
        s.flush()
        if actor is not None:
            audit.record(s, actor, "user.add", f"user:{username}", f"role {role}")
        s.expunge(user)
    return user


def list_users(db: Database) -> list[Account]:
    """Every user by name."""
    with db.session() as s:
        return [Account(u.username, u.role, u.created_at) for u in s.scalars(select(User).order_by(User.username))]


def remove_user(db: Database, username: str, *, actor: str | None = None) -> None:
    """Delete a user; the last admin cannot be removed (nobody could manage users then)."""
    with db.session() as s:
        user = _existing(s, username)
        if user.role == "admin" and _admins(s) <= 1:
            raise AccountError(f"user '{user.username}' is the last admin; add another admin first, then remove this one")
        user.session_version += 1  # a session still open on another process fails its next request
        s.flush()
        s.delete(user)
        if actor is not None:
            audit.record(s, actor, "user.remove", f"user:{user.username}", f"role {user.role}")


def set_password(db: Database, username: str, password: str, *, actor: str | None = None) -> None:
    """Give a user a new password (stored hashed): every session of theirs ends and a sign-in lock
    (:mod:`webui.signin_throttle`) is lifted."""
    _check_password(password)
    with db.session() as s:
        user = _existing(s, username)
        user.password_hash = generate_password_hash(password)
        user.session_version += 1
        user.failed_signins = 0
        user.locked_until = None
        if actor is not None:
            audit.record(s, actor, "user.password", f"user:{user.username}", "password reset")


def set_role(db: Database, username: str, role: str, *, actor: str | None = None) -> str:
    """Change a user's role; returns the role they had. The last admin keeps the admin role."""
    _check_role(role)
    with db.session() as s:
        user = _existing(s, username)
        before = user.role
        if before == "admin" and role != "admin" and _admins(s) <= 1:
            raise AccountError(f"user '{user.username}' is the last admin; make another user an admin first")
        user.role = role
        if actor is not None and before != role:
            audit.record(s, actor, "user.role", f"user:{user.username}", f"{before} -> {role}")
        return before


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash of a random password made like the real ones, checked for unknown names."""
    return generate_password_hash(secrets.token_hex(16))


def authenticate(db: Database, username: str, password: str) -> User | None:
    """The user if the password matches, else ``None``. An unknown name gets the same answer after
    the same work: its password is checked against a dummy hash."""
    with db.session() as s:
        user = s.scalar(select(User).where(User.username == username.strip()))
        if user is None:
            check_password_hash(_dummy_hash(), password)
            return None
        if not check_password_hash(user.password_hash, password):
            return None
        s.expunge(user)
        return user


def end_sessions(db: Database, user_id: int) -> None:
    """Raise the user's session version: every session cookie of theirs (on any process) stops working."""
    with db.session() as s:
        s.execute(update(User).where(User.id == user_id).values(session_version=User.session_version + 1))


def get_user(db: Database, user_id: int) -> User | None:
    with db.session() as s:
        user = s.get(User, user_id)
        if user is not None:
            s.expunge(user)
        return user
