"""Which shop an API key belongs to (keys are made in :mod:`scheduling.shops`)."""

from __future__ import annotations

from sqlalchemy import select

from scheduling.shops import KEY_PREFIX, create_shop, hash_key  # noqa: F401 - the API's key functions
from scheduling.storage import Database
from scheduling.storage.models import Shop

_KNOWN: dict[tuple[str, str], int] = {}  # (database url, key hash) -> shop id; keys never change owner


def shop_for_key(db: Database, key: str | None) -> int | None:
    """The id of the shop owning ``key``, or ``None`` (known keys are remembered per process)."""
    if not key or len(key) > 200:
        return None
    digest = hash_key(key)
    found = _KNOWN.get((db.url, digest))
    if found is not None:
        return found
    with db.session() as s:
        found = s.scalar(select(Shop.id).where(Shop.api_key_hash == digest))
    if found is not None and len(_KNOWN) < 10_000:
        _KNOWN[(db.url, digest)] = found
    return found
