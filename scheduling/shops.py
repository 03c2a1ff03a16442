"""Shops that book through the API: each has one API key, shown once, stored only as a hash.

Keys are 32 random bytes (URL-safe text), so a plain SHA-256 is enough: there is nothing to
guess that a slow password hash would protect.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy.exc import IntegrityError

from scheduling.storage import Database
from scheduling.storage.models import Shop

KEY_PREFIX = "lm_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_shop(db: Database, name: str) -> tuple[int, str]:
    """Add a shop; returns ``(shop id, API key)``. The key cannot be recovered later."""
    name = name.strip()
    if not name:
        raise ValueError("the shop needs a name")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    try:
        with db.session() as s:
            shop = Shop(name=name, api_key_hash=hash_key(key))
            s.add(shop)
            s.flush()
            return shop.id, key
    except IntegrityError:
        raise ValueError(f"a shop named '{name}' already exists; choose another name") from None
