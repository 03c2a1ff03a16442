"""Web UI accounts: dispatchers and planners who sign in with a password.

Passwords are stored only as salted hashes (``werkzeug.security``, scrypt by default).
"""

from __future__ import annotations

import re

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from scheduling.storage import Database
from scheduling.storage.models import User

ROLES: tuple[str, ...] = ("dispatcher", "planner")
MIN_PASSWORD_LENGTH = 8
_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,80}$")


class AccountError(ValueError):
    """A user that cannot be created as asked; the message names the field and the fix."""


def add_user(db: Database, username: str, password: str, role: str = "dispatcher") -> User:
    """Create a user; raises :class:`AccountError` for a bad name, a short password, an unknown
    role or a name already taken (nothing is stored then)."""
    username = username.strip()
    if not _USERNAME.match(username):
        raise AccountError(
            f"username '{username}': use 2-80 letters, digits or . _ @ - (no spaces)"
        )
    if role not in ROLES:
        raise AccountError(f"role '{role}' is unknown; use one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password: use at least {MIN_PASSWORD_LENGTH} characters")
    with db.session() as s:
        if s.scalar(select(User).where(User.username == username)) is not None:
            raise AccountError(f"username '{username}' is already taken; pick another name")
        user = User(username=username, password_hash=generate_password_hash(password), role=role)
        s.add(user)
        s.flush()
        s.expunge(user)
    return user


def authenticate(db: Database, username: str, password: str) -> User | None:
    """The user if the password matches, else ``None`` (same answer for unknown names)."""
    with db.session() as s:
        user = s.scalar(select(User).where(User.username == username.strip()))
        if user is None or not check_password_hash(user.password_hash, password):
            return None
        s.expunge(user)
        return user


def get_user(db: Database, user_id: int) -> User | None:
    with db.session() as s:
        user = s.get(User, user_id)
        if user is not None:
            s.expunge(user)
        return user
