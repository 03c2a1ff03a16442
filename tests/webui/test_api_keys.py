"""A shop's API keys: several per shop, with scopes (403 ``scope``), rotation and revocation that
every server process honours within its key-cache time (at most 5 s), and per-key rate limits
(429 with Retry-After). Two Flask apps on one database stand for two server processes."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import delete, text

from scheduling.shops import add_key, hash_key, list_keys, revoke_key, rotate_key
from scheduling.storage import open_database
from scheduling.storage.db import make_engine, upgrade
from scheduling.storage.models import ApiKey, Shop
from tests.webui.api_client import CENTRE, DATE, booking_body, make_api
from webui.api import scope_needed
from webui.api.auth import CACHE_S, RATE_PER_S, KeyGate, shop_for_key
from webui.app import create_app

SLOTS = f"/api/v1/slots?date={DATE}&lat={CENTRE['lat']}&lon={CENTRE['lon']}"
START = dt.datetime(2026, 11, 23, 8, 0)  # naive UTC, the store's time


class Clock:
    """Seconds since the epoch, moved by hand."""

    def __init__(self, at: dt.datetime = START):
        self.t = at.replace(tzinfo=dt.timezone.utc).timestamp()

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


def gate(app, clock: Clock, **kw) -> KeyGate:
    """Give ``app`` (one 'process') its own key gate on ``clock``."""
    g = KeyGate(app.extensions["lastmile.db"], clock=clock, **kw)
    app.extensions["lastmile.keys"] = g
    return g


@pytest.fixture
def api(tmp_path):
    return make_api(f"sqlite:///{tmp_path / 'api.db'}")


def second_process(url: str):
    return create_app({"DATABASE_URL": url, "TESTING": True, "BOOKING_RESOLVE": False, "SOLVER_CLUSTER": "inline",
                       "BOOKING_CLOCK": lambda: START.replace(tzinfo=dt.timezone.utc)})


def status(app, key: str, path: str = "/api/v1/bookings") -> int:
    return app.test_client().get(path, headers={"X-API-Key": key}).status_code


# --------------------------------------------------------------------------- scopes

# Every route a shop's key opens, and the scope it needs. A new route must be added here.
SCOPES = {
    ("GET", "/api/v1/slots"): "read",
    ("GET", "/api/v1/pickup-points"): "read",
    ("GET", "/api/v1/bookings"): "read",
    ("GET", "/api/v1/bookings/<booking_id>"): "read",
    ("GET", "/api/v1/events"): "read",
    ("GET", "/api/v1/bookings/<booking_id>/rebook-offer"): "read",
    ("GET", "/api/v1/customers/<customer_id>/export"): "read",
    ("POST", "/api/v1/bookings"): "book",
    ("POST", "/api/v1/bookings/<booking_id>/confirm"): "book",
    ("PATCH", "/api/v1/bookings/<booking_id>"): "book",
    ("DELETE", "/api/v1/bookings/<booking_id>"): "book",
    ("POST", "/api/v1/bookings/<booking_id>/feedback"): "book",
    ("DELETE", "/api/v1/customers/<customer_id>"): "book",
}


def test_every_shop_route_needs_read_to_look_and_book_to_change(api):
    served = {}
    for rule in api.app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.openapi":
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                served[(method, rule.rule)] = scope_needed(method, rule.endpoint)
    assert served == SCOPES


def test_a_read_only_key_looks_but_cannot_book_and_stores_nothing(api, tmp_path):
    db = api.app.extensions["lastmile.db"]
    _, read_only = add_key(db, "Shop A", scopes="read", label="reporting")
    assert api.get(SLOTS, key=read_only).status_code == 200
    assert api.get(f"/api/v1/bookings?date={DATE}", key=read_only).status_code == 200
    r = api.post("/api/v1/bookings", booking_body(), key=read_only)
    assert r.status_code == 403
    err = r.get_json()["error"]
    assert err["field"] == "X-API-Key" and err["reason"] == "scope" and "'book'" in err["message"]
    assert api.booking_rows() == 0
    assert api.post("/api/v1/bookings", booking_body()).status_code == 201  # the shop's full key still books


def test_a_book_only_key_changes_bookings_but_cannot_read(api):
    db = api.app.extensions["lastmile.db"]
    _, book_only = add_key(db, "Shop A", scopes="book")
    booked = api.post("/api/v1/bookings", booking_body(), key=book_only)
    assert booked.status_code == 201
    r = api.get(f"/api/v1/bookings/{booked.get_json()['id']}", key=book_only)
    assert r.status_code == 403 and r.get_json()["error"]["reason"] == "scope" and "'read'" in r.get_json()["error"]["message"]
    cancel = api.client.delete(f"/api/v1/bookings/{booked.get_json()['id']}", headers=api.headers(book_only))
    assert cancel.status_code == 200


def test_scopes_are_checked_when_the_key_is_added(api):
    db = api.app.extensions["lastmile.db"]
    with pytest.raises(ValueError, match="scope 'write' is unknown; use read"):
        add_key(db, "Shop A", scopes="read,write")
    assert add_key(db, "Shop A", scopes=" book , read")[0].scopes == ("read", "book")


# --------------------------------------------------------------------------- the source of truth


def test_a_new_shop_key_is_in_api_keys_and_the_old_column_is_not_read(api):
    db = api.app.extensions["lastmile.db"]
    (first,) = list_keys(db, "Shop A")
    assert first.scopes == ("read", "book") and first.label == "first key" and api.key.startswith(first.prefix)
    with db.session() as s:
        s.add(Shop(name="legacy only", api_key_hash=hash_key("lm_legacy-key")))  # no api_keys row
    assert shop_for_key(db, "lm_legacy-key") is None


def test_a_store_from_before_keys_had_their_table_keeps_its_keys(empty_database_url):
    url = empty_database_url
    engine = make_engine(url)
    upgrade(engine, "0006")
    with engine.begin() as c:
        c.execute(text("INSERT INTO shops (name, api_key_hash) VALUES ('old shop', :h)"), {"h": hash_key("lm_old-key")})
    engine.dispose()
    db = open_database(url)  # upgrades through 0007
    assert shop_for_key(db, "lm_old-key") is not None
    (key,) = list_keys(db, "old shop")
    assert key.scopes == ("read", "book") and key.prefix == "" and key.revoked_at is None
    assert abs(key.created_at - dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)) < dt.timedelta(minutes=5)  # naive UTC
    revoke_key(db, "old shop", key_id=key.id)  # a key without a known prefix is revoked by its id
    assert shop_for_key(db, "lm_old-key") is None


# --------------------------------------------------------------------------- revocation across processes


def test_a_revoked_key_is_refused_by_every_process_once_its_cache_time_is_over(database_url):
    one = make_api(database_url)
    two = second_process(database_url)
    clock = Clock()
    gates = [gate(one.app, clock, cache_s=CACHE_S), gate(two, clock, cache_s=CACHE_S)]
    db = one.app.extensions["lastmile.db"]
    info, key = add_key(db, "Shop A", label="till 3")
    assert [status(app, key) for app in (one.app, two)] == [200, 200]  # both processes now cache it

    revoke_key(db, "Shop A", key_id=info.id, now=START)
    clock.advance(CACHE_S * 0.99)
    assert all(g._keys[hash_key(key)].key.revoked_at is None for g in gates)  # still the cached copy
    clock.advance(CACHE_S * 0.02)  # the cache time is over: both look again
    assert [status(app, key) for app in (one.app, two)] == [401, 401]
    assert [status(app, one.key) for app in (one.app, two)] == [200, 200]  # the shop's other key is untouched


def test_a_deleted_key_is_not_remembered_past_the_cache_time(api):
    clock = Clock()
    gate(api.app, clock)
    assert status(api.app, api.key) == 200
    with api.app.extensions["lastmile.db"].session() as s:
        s.execute(delete(ApiKey).where(ApiKey.key_hash == hash_key(api.key)))
    clock.advance(CACHE_S)
    assert status(api.app, api.key) == 401


def test_with_no_cache_time_revocation_is_immediate(api):
    gate(api.app, Clock(), cache_s=0)
    db = api.app.extensions["lastmile.db"]
    assert status(api.app, api.key) == 200
    (first,) = list_keys(db, "Shop A")
    revoke_key(db, "Shop A", prefix=first.prefix, now=START)
    r = api.get("/api/v1/bookings")
    assert r.status_code == 401 and "revoked" in r.get_json()["error"]["message"]


def test_the_cache_time_is_configured_and_may_not_exceed_five_seconds(tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}", "TESTING": True, "API_KEY_CACHE_S": 0.5})
    from webui.api.auth import gate_for

    assert gate_for(app).cache_s == 0.5 and gate_for(app) is gate_for(app)
    with pytest.raises(ValueError, match=r"API_KEY_CACHE_S is 6; give 0 to 5 seconds"):
        KeyGate(app.extensions["lastmile.db"], cache_s=6)


# --------------------------------------------------------------------------- rotation


def test_a_rotated_key_works_through_its_grace_period_then_stops(api):
    clock = Clock()
    gate(api.app, clock)
    db = api.app.extensions["lastmile.db"]
    old, new, new_key = rotate_key(db, "Shop A", grace=dt.timedelta(hours=1), now=START)
    assert new.scopes == old.scopes and new.label == old.label and old.revoked_at == START + dt.timedelta(hours=1)
    assert status(api.app, api.key) == 200 and status(api.app, new_key) == 200
    clock.advance(3599)
    assert status(api.app, api.key) == 200
    clock.advance(1)  # the grace is over: refused at once, even from the cache
    assert status(api.app, api.key) == 401 and status(api.app, new_key) == 200


def test_rotating_now_stops_the_old_key_at_once_and_names_ambiguity(api):
    gate(api.app, Clock(), cache_s=0)
    db = api.app.extensions["lastmile.db"]
    _, _, new_key = rotate_key(db, "Shop A", grace=dt.timedelta(0), now=START)
    assert status(api.app, api.key) == 401 and status(api.app, new_key) == 200
    add_key(db, "Shop A", now=START)
    with pytest.raises(ValueError, match="has 2 active keys; name one with --key-prefix or --id"):
        rotate_key(db, "Shop A", now=START)


# --------------------------------------------------------------------------- rate limits


def test_a_key_over_its_rate_gets_429_with_retry_after_and_other_keys_do_not(api):
    clock = Clock()
    gate(api.app, clock, rate_per_s=2, burst=3)
    assert [status(api.app, api.key) for _ in range(3)] == [200, 200, 200]
    r = api.get("/api/v1/bookings")
    assert r.status_code == 429 and r.headers["Retry-After"] == "1"
    assert r.get_json()["error"]["reason"] == "rate_limited" and r.get_json()["error"]["field"] == "X-API-Key"
    assert status(api.app, api.other_key) == 200  # another shop's key has its own bucket
    _, second = add_key(api.app.extensions["lastmile.db"], "Shop A")
    assert status(api.app, second) == 200  # so has the same shop's other key
    clock.advance(0.5)  # one token back at 2/s
    assert status(api.app, api.key) == 200 and status(api.app, api.key) == 429


def test_the_rate_limit_is_configured_and_generous_by_default(tmp_path):
    from webui.api.auth import gate_for

    url = f"sqlite:///{tmp_path / 'r.db'}"
    default = gate_for(create_app({"DATABASE_URL": url, "TESTING": True}))
    assert default.rate_per_s == RATE_PER_S >= 200 and default.burst == 2 * RATE_PER_S
    app = create_app({"DATABASE_URL": url, "TESTING": True, "API_RATE_LIMIT_PER_S": 1, "API_RATE_LIMIT_BURST": 1})
    assert (gate_for(app).rate_per_s, gate_for(app).burst) == (1, 1)
    assert gate_for(create_app({"DATABASE_URL": url, "TESTING": True, "API_RATE_LIMIT_PER_S": 0})).retry_after(1) == 0


def test_unknown_and_revoked_keys_are_told_apart_from_missing_ones(api):
    r = api.client.get("/api/v1/bookings")
    assert r.get_json()["error"]["reason"] == "missing_api_key"
    r = api.get("/api/v1/bookings", key="lm_" + "x" * 43)
    assert r.status_code == 401 and re.search("unknown, revoked", r.get_json()["error"]["message"])


def test_the_openapi_document_names_403_and_429_on_every_shop_route(api):
    doc = api.client.get("/api/v1/openapi.json").get_json()
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            if op.get("security") == [{"ApiKey": []}]:
                assert {"403", "429"} <= set(op["responses"]), (method, path)
                assert "scope" in op["responses"]["403"]["description"] and "Retry-After" in op["responses"]["429"]["description"]
