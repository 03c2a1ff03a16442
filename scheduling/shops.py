"""Shops that book through the API, and their API keys: several per shop, each with scopes,
shown once and stored only as a hash.

Keys are 32 random bytes (URL-safe text), so a plain SHA-256 is enough: there is nothing to
guess that a slow password hash would protect. The table ``api_keys`` is the source of truth;
``shops.api_key_hash`` (the one key of stores before schema 0007) is filled for the first key
and never read. A key's ``revoked_at`` is when it stops working: now for a revocation, later
for a rotation's grace period. Times are naive UTC like the rest of the store.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from scheduling.storage import Database
from scheduling.storage.models import ApiKey, Shop

KEY_PREFIX = "lm_"
SHOWN_CHARS = len(KEY_PREFIX) + 8  # the part of a key that lists show and --key-prefix matches
SCOPES = ("read", "book")
ALL_SCOPES = "read,book"
ROTATION_GRACE = dt.timedelta(hours=24)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class KeyInfo:
    """One API key as lists show it (never the key itself)."""

    id: int
    shop_id: int
    prefix: str
    label: str
    scopes: tuple[str, ...]
    created_at: dt.datetime
    revoked_at: dt.datetime | None

    def active(self, now: dt.datetime) -> bool:
        return self.revoked_at is None or now < self.revoked_at

    @classmethod
    def of(cls, row: ApiKey) -> KeyInfo:
        scopes = tuple(s for s in SCOPES if s in row.scopes.split(","))
        return cls(row.id, row.shop_id, row.prefix, row.label, scopes, row.created_at, row.revoked_at)


def parse_scopes(text: str) -> str:
    """``"read"``, ``"book"`` or ``"read,book"`` (any order, spaces allowed), in canonical form."""
    given = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in given if s not in SCOPES]
    if unknown or not given:
        what = f"scope '{unknown[0]}' is unknown" if unknown else "no scope given"
        raise ValueError(f"{what}; use read (look up slots, bookings, events), book (change bookings) or read,book")
    return ",".join(s for s in SCOPES if s in given)


def _new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def _add(s, shop_id: int, key: str, scopes: str, label: str, now: dt.datetime) -> ApiKey:
    label = label.strip()
    if len(label) > 80:
        raise ValueError("the label is longer than 80 characters; shorten it")
    row = ApiKey(shop_id=shop_id, key_hash=hash_key(key), prefix=key[:SHOWN_CHARS], scopes=scopes, label=label, created_at=now)
    s.add(row)
    s.flush()
    return row


def create_shop(db: Database, name: str) -> tuple[int, str]:
    """Add a shop with a first key of both scopes; returns ``(shop id, API key)``. The key cannot be recovered later."""
    name = name.strip()
    if not name:
        raise ValueError("the shop needs a name")
    key = _new_key()
    try:
        with db.session() as s:
            shop = Shop(name=name, api_key_hash=hash_key(key))
            s.add(shop)
            s.flush()
            _add(s, shop.id, key, ALL_SCOPES, "first key", _utcnow())
            return shop.id, key
    except IntegrityError:
        raise ValueError(f"a shop named '{name}' already exists; choose another name") from None


def find_shop(s, shop: str) -> Shop:
    """The shop named ``shop``, or numbered so; ``ValueError`` naming the fix."""
    text = str(shop).strip()
    found = s.scalar(select(Shop).where(Shop.name == text))
    if found is None and text.isdigit():
        found = s.get(Shop, int(text))
    if found is None:
        raise ValueError(f"no shop named or numbered '{text}'; add it with 'lastmile shop add NAME' or check the spelling")
    return found


def add_key(db: Database, shop: str, *, scopes: str = ALL_SCOPES, label: str = "", now: dt.datetime | None = None) -> tuple[KeyInfo, str]:
    """A new key for ``shop`` (name or id): ``(its info, the key)``; the key is shown only now."""
    canonical = parse_scopes(scopes)
    key = _new_key()
    with db.session() as s:
        row = _add(s, find_shop(s, shop).id, key, canonical, label, now or _utcnow())
        return KeyInfo.of(row), key


def list_keys(db: Database, shop: str) -> list[KeyInfo]:
    """``shop``'s keys, oldest first, revoked ones included."""
    with db.session() as s:
        found = find_shop(s, shop)
        return [KeyInfo.of(r) for r in s.scalars(select(ApiKey).where(ApiKey.shop_id == found.id).order_by(ApiKey.id))]


def _pick(s, shop: Shop, key_id: int | None, prefix: str | None, now: dt.datetime) -> ApiKey:
    """The one active key of ``shop`` that ``key_id`` or ``prefix`` names (or its only active key when neither is given)."""
    rows = list(s.scalars(select(ApiKey).where(ApiKey.shop_id == shop.id).order_by(ApiKey.id)))
    if key_id is not None:
        rows = [r for r in rows if r.id == key_id]
        what = f"id {key_id}"
    elif prefix is not None:
        prefix = prefix.strip()
        if len(prefix) < len(KEY_PREFIX) + 4:
            raise ValueError(f"--key-prefix '{prefix}' is too short; give at least {len(KEY_PREFIX) + 4} characters as 'lastmile shop key list' shows them")
        whole = hash_key(prefix)
        rows = [r for r in rows if r.key_hash == whole or (r.prefix and (r.prefix.startswith(prefix) or prefix.startswith(r.prefix)))]
        what = f"prefix '{prefix}'"
    else:
        rows = [r for r in rows if KeyInfo.of(r).active(now)]
        if len(rows) != 1:
            raise ValueError(f"shop '{shop.name}' has {len(rows)} active keys; name one with --key-prefix or --id (lastmile shop key list shows them)")
        return rows[0]
    if not rows:
        raise ValueError(f"shop '{shop.name}' has no key with {what}; 'lastmile shop key list {shop.name}' shows its keys")
    if len(rows) > 1:
        raise ValueError(f"{what} matches {len(rows)} keys of shop '{shop.name}' (ids {', '.join(str(r.id) for r in rows)}); give --id")
    row = rows[0]
    if row.revoked_at is not None and row.revoked_at <= now:
        raise ValueError(f"key {row.id} of shop '{shop.name}' was already revoked at {row.revoked_at:%Y-%m-%d %H:%M:%S} UTC")
    return row


def _retire_legacy(shop: Shop, row: ApiKey) -> None:
    """The pre-0007 column never names a key that is going away (nothing reads it; an old binary would)."""
    if shop.api_key_hash == row.key_hash:
        shop.api_key_hash = "retired:" + secrets.token_hex(16)


def rotate_key(
    db: Database, shop: str, *, key_id: int | None = None, prefix: str | None = None,
    grace: dt.timedelta = ROTATION_GRACE, now: dt.datetime | None = None,
) -> tuple[KeyInfo, KeyInfo, str]:
    """Replace one of ``shop``'s keys by a new one with the same scopes and label: ``(old, new, new key)``.

    The old key keeps working for ``grace`` (0: stops now), so the shop can deploy the new one.
    """
    if grace < dt.timedelta(0):
        raise ValueError("the grace period cannot be negative")
    now = now or _utcnow()
    key = _new_key()
    with db.session() as s:
        found = find_shop(s, shop)
        old = _pick(s, found, key_id, prefix, now)
        until = now + grace
        if old.revoked_at is None or until < old.revoked_at:
            old.revoked_at = until
        _retire_legacy(found, old)
        new = _add(s, found.id, key, old.scopes, old.label, now)
        return KeyInfo.of(old), KeyInfo.of(new), key


def revoke_key(db: Database, shop: str, *, key_id: int | None = None, prefix: str | None = None, now: dt.datetime | None = None) -> KeyInfo:
    """Stop one of ``shop``'s keys now (exactly one of ``key_id`` and ``prefix`` names it)."""
    if (key_id is None) == (prefix is None):
        raise ValueError("name the key with either --key-prefix or --id")
    now = now or _utcnow()
    with db.session() as s:
        found = find_shop(s, shop)
        row = _pick(s, found, key_id, prefix, now)
        row.revoked_at = now
        _retire_legacy(found, row)
        return KeyInfo.of(row)


def key_by_hash(db: Database, digest: str) -> KeyInfo | None:
    """The key with this hash (revoked or not), by its unique index."""
    with db.session() as s:
        row = s.scalar(select(ApiKey).where(ApiKey.key_hash == digest))
        return KeyInfo.of(row) if row is not None else None
