"""Which shop an API key belongs to, what it may do, and how fast (keys are made in :mod:`scheduling.shops`).

Each Flask app (one per server process) has its own :class:`KeyGate`: a cache of looked-up keys
that keeps an entry at most ``API_KEY_CACHE_S`` seconds (default 2, at most 5), so a key revoked
in the database is refused by every process within that time; and a token bucket per key
(``API_RATE_LIMIT_PER_S`` requests a second, bursts of ``API_RATE_LIMIT_BURST``), per process.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import threading
import time
from dataclasses import dataclass
from typing import Callable

from scheduling.shops import KEY_PREFIX, KeyInfo, create_shop, hash_key, key_by_hash  # noqa: F401 - the API's key functions
from scheduling.storage import Database

CACHE_S = 2.0  # default key-cache time; revocation takes effect within it
CACHE_MAX_S = 5.0  # the promise: a revoked key is refused by every process within 5 s
RATE_PER_S = 250.0  # default per key and process: about twice one process's measured saturation on one key
_MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class Caller:
    """The shop behind a request's key, and what the key may do."""

    shop_id: int
    key_id: int
    scopes: tuple[str, ...]


@dataclass
class _Entry:
    key: KeyInfo
    fetched: float


class _Bucket:
    __slots__ = ("tokens", "at")

    def __init__(self, tokens: float, at: float):
        self.tokens, self.at = tokens, at


class KeyGate:
    """One process's key cache and rate limits. ``clock`` is seconds since the epoch (UTC), injectable for tests."""

    def __init__(self, db: Database, *, cache_s: float = CACHE_S, rate_per_s: float = RATE_PER_S,
                 burst: float | None = None, clock: Callable[[], float] = time.time):
        if not 0 <= cache_s <= CACHE_MAX_S:
            raise ValueError(f"API_KEY_CACHE_S is {cache_s:g}; give 0 to {CACHE_MAX_S:g} seconds (revocation must reach every process within 5 s)")
        if rate_per_s < 0:
            raise ValueError(f"API_RATE_LIMIT_PER_S is {rate_per_s:g}; give a positive number of requests a second (0: no limit)")
        self.db, self.cache_s, self.rate_per_s, self.clock = db, float(cache_s), float(rate_per_s), clock
        self.burst = float(burst) if burst is not None else 2 * self.rate_per_s
        if self.rate_per_s and self.burst < 1:
            raise ValueError(f"API_RATE_LIMIT_BURST is {self.burst:g}; give at least 1")
        self._keys: dict[str, _Entry] = {}
        self._buckets: dict[int, _Bucket] = {}
        self._lock = threading.Lock()

    def caller(self, key: str | None) -> Caller | None:
        """The caller owning ``key`` if the key exists and is not revoked, else ``None``."""
        if not key or len(key) > 200:
            return None
        digest, now = hash_key(key), self.clock()
        entry = self._keys.get(digest)
        if entry is None or not 0 <= now - entry.fetched < self.cache_s:
            found = key_by_hash(self.db, digest)
            if found is None:  # unknown keys are not remembered: a new key works at once
                self._keys.pop(digest, None)
                return None
            entry = _Entry(found, now)
            with self._lock:
                if len(self._keys) >= _MAX_ENTRIES:
                    self._keys = {d: e for d, e in self._keys.items() if 0 <= now - e.fetched < self.cache_s}
                if len(self._keys) < _MAX_ENTRIES:
                    self._keys[digest] = entry
        info = entry.key
        if not info.active(dt.datetime.fromtimestamp(now, dt.timezone.utc).replace(tzinfo=None)):
            return None
        return Caller(info.shop_id, info.id, info.scopes)

    def retry_after(self, key_id: int) -> int:
        """0 if key ``key_id`` may make a request now (and count it), else whole seconds to wait."""
        if not self.rate_per_s:
            return 0
        now = self.clock()
        with self._lock:
            b = self._buckets.get(key_id)
            if b is None:
                b = self._buckets[key_id] = _Bucket(self.burst, now)
            b.tokens = min(self.burst, b.tokens + max(0.0, now - b.at) * self.rate_per_s)
            b.at = now
            if b.tokens >= 1:
                b.tokens -= 1
                return 0
            return max(1, math.ceil((1 - b.tokens) / self.rate_per_s))


_GATES_LOCK = threading.Lock()


def _number(app, name: str, default: float | None) -> float | None:
    value = app.config.get(name, os.environ.get(f"LASTMILE_{name}"))
    if value is None or value == "":
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} is '{value}'; give a number") from None


def gate_for(app) -> KeyGate:
    """The app's :class:`KeyGate`, made on first use from its config (or ``LASTMILE_<NAME>`` in the environment)."""
    gate = app.extensions.get("lastmile.keys")
    if gate is None:
        with _GATES_LOCK:
            gate = app.extensions.get("lastmile.keys")
            if gate is None:
                gate = KeyGate(
                    app.extensions["lastmile.db"],
                    cache_s=_number(app, "API_KEY_CACHE_S", CACHE_S),
                    rate_per_s=_number(app, "API_RATE_LIMIT_PER_S", RATE_PER_S),
                    burst=_number(app, "API_RATE_LIMIT_BURST", None),
                )
                app.extensions["lastmile.keys"] = gate
    return gate


def shop_for_key(db: Database, key: str | None) -> int | None:
    """The id of the shop owning ``key`` if it is valid now, or ``None`` (uncached: for tools and tests)."""
    return getattr(KeyGate(db, cache_s=0, rate_per_s=0).caller(key), "shop_id", None)
