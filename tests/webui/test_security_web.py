"""Web hardening: the sign-in's redirect filter, throttling and timing, sessions that end on the
server, the secret key, security headers and cookies, and the API's JSON answer to a large body."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.webui.pages_support import DAY, PASSWORD, add_users, form_token, page_app, page_token, sign_in, small_day_config

GOOD_KEY = "6044f016423829f3e015a4a789b8ca49e5157408cfde81b7148292cc2cf72c3e"  # made with secrets.token_hex(32)
TEMPLATES = Path(__file__).resolve().parents[2] / "webui" / "templates"


@pytest.fixture
def app(tmp_path, database_url):
    """On SQLite and PostgreSQL: for what the store keeps (throttle counts, session versions)."""
    from webui.app import create_app

    app = create_app(small_day_config(tmp_path, DATABASE_URL=database_url))
    add_users(app)
    yield app
    app.extensions["lastmile.jobs"].shutdown()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One app on SQLite for the whole module: for what does not depend on the store (redirects,
    headers, cookies, body limits); only successful sign-ins, so no throttle state builds up."""
    with page_app(tmp_path_factory, "security-site") as app:
        yield app


def _post_signin(client, username="dispatch", password=PASSWORD, *, next_=None, address="10.0.0.1"):
    token = form_token(client.get("/signin").get_data(as_text=True))
    return client.post("/signin", query_string={"next": next_} if next_ is not None else None,
                       data={"username": username, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": address})


def _db(app):
    from webui.app import get_db

    return get_db(app)


# --- the redirect after sign-in -------------------------------------------------------------

@pytest.mark.parametrize("payload", [
    "/\\evil.example", "//evil.example", "https://evil.example", "https://evil.example/x", "///evil.example",
    "/%5Cevil.example", "/%2F/evil.example", "/%0d%0aSet-Cookie:x", "/\r\nSet-Cookie: x=1", "/\tevil",
    "/\x00", "evil.example", "javascript:alert(1)",
])
def test_a_next_that_is_not_a_path_on_this_site_lands_on_the_home_page(site, payload):
    resp = _post_signin(site.test_client(), next_=payload)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    where = urlsplit(resp.location)
    assert where.netloc in ("", "localhost") and where.path == "/"
    assert "evil" not in resp.location and "Set-Cookie" not in resp.location and "\n" not in resp.location


def test_a_next_on_this_site_is_followed(site):
    resp = _post_signin(site.test_client(), next_=f"/day/{DAY}?plan=3")
    assert resp.status_code == 302 and resp.location == f"/day/{DAY}?plan=3"


def test_the_filter_takes_only_single_slash_relative_paths():
    from webui.pages.auth import _safe_next

    assert _safe_next("/planner") == "/planner" and _safe_next("/day/2026-11-24?plan=1#x") == "/day/2026-11-24?plan=1#x"
    for bad in (None, "", "planner", "//x", "/\\x", "/a\\b", "/a\nb", "/a\rb", "/a\x7fb", "/a%0Ab", "http://x/", "/%2f%2fx"):
        assert _safe_next(bad) is None, bad


# --- throttling ------------------------------------------------------------------------------

LOCKED = re.compile(r"Too many failed sign-ins for this account; try again after \d\d:\d\d UTC "
                    r"or ask an admin to reset the password\.")


def test_twenty_wrong_passwords_in_a_minute_lock_the_account_and_say_so(app):
    client = app.test_client()
    for _ in range(19):
        assert _post_signin(client, password="wrong-password").status_code == 401
    twentieth = _post_signin(client, password="wrong-password")
    assert twentieth.status_code == 429 and LOCKED.search(twentieth.get_data(as_text=True))
    # The right password during the lock gets the same answer, and signs nobody in.
    right = _post_signin(client)
    assert right.status_code == 429 and LOCKED.search(right.get_data(as_text=True))
    assert client.get(f"/day/{DAY}").status_code == 302
    # Another account from the same address is not affected.
    assert _post_signin(app.test_client(), "plan").status_code == 302


def test_the_lock_names_its_end_in_utc_and_ends_after_fifteen_minutes(app):
    from webui import signin_throttle as t

    start = dt.datetime(2026, 11, 24, 14, 0, 30)
    for i in range(20):
        locked = t.record_failure(_db(app), "dispatch", "10.0.0.1", now=start + dt.timedelta(seconds=i))
    assert locked is not None and "after 14:16 UTC" in locked.message()
    assert t.refusal(_db(app), "dispatch", "10.0.0.2", now=start + dt.timedelta(minutes=15)) is not None
    assert t.refusal(_db(app), "dispatch", "10.0.0.2", now=start + dt.timedelta(minutes=16)) is None


def test_failures_spread_over_more_than_a_minute_do_not_lock(app):
    from webui import signin_throttle as t

    start = dt.datetime(2026, 11, 24, 14, 0)
    for i in range(30):
        assert t.record_failure(_db(app), "dispatch", "10.0.0.1", now=start + dt.timedelta(seconds=4 * i)) is None
    assert t.refusal(_db(app), "dispatch", "10.0.0.1", now=start + dt.timedelta(seconds=121)) is None


def test_a_successful_sign_in_resets_the_count(app):
    from webui import signin_throttle as t
    from webui.accounts import get_user

    client = app.test_client()
    for _ in range(19):
        t.record_failure(_db(app), "dispatch", "10.0.0.1")
    assert _post_signin(client).status_code == 302
    user_id = get_user_id(app, "dispatch")
    assert get_user(_db(app), user_id).failed_signins == 0
    assert t.record_failure(_db(app), "dispatch", "10.0.0.1") is None  # 20 in the minute, but 1 since the sign-in


def get_user_id(app, username: str) -> int:
    from sqlalchemy import select

    from scheduling.storage.models import User

    with _db(app).session() as s:
        return s.scalar(select(User.id).where(User.username == username))


def test_an_admin_password_reset_lifts_the_lock(app):
    from webui import signin_throttle as t
    from webui.accounts import set_password

    for _ in range(20):
        t.record_failure(_db(app), "dispatch", "10.0.0.1")
    assert _post_signin(app.test_client()).status_code == 429
    set_password(_db(app), "dispatch", "a-new-password-2", actor="cli")
    assert _post_signin(app.test_client(), password="a-new-password-2").status_code == 302


def test_an_unknown_name_is_locked_the_same_way(app):
    client = app.test_client()
    answers = [_post_signin(client, "nobody", "wrong-password") for _ in range(20)]
    assert [a.status_code for a in answers] == [401] * 19 + [429]
    assert LOCKED.search(answers[-1].get_data(as_text=True))
    assert LOCKED.search(_post_signin(client, "nobody", "wrong-password").get_data(as_text=True))


def test_fifty_failures_from_one_address_refuse_it_for_a_while(app):
    from webui import signin_throttle as t

    for i in range(49):
        t.record_failure(_db(app), f"guess{i}", "10.6.6.6")
    fiftieth = _post_signin(app.test_client(), "guess-last", "wrong", address="10.6.6.6")
    assert fiftieth.status_code == 401
    refused = _post_signin(app.test_client(), address="10.6.6.6")  # even the right password of another user
    text = refused.get_data(as_text=True)
    assert refused.status_code == 429 and re.search(r"from your network address; try again after \d\d:\d\d UTC", text)
    assert _post_signin(app.test_client(), address="10.0.0.9").status_code == 302
    later = t.utcnow() + t.ADDRESS_WINDOW + dt.timedelta(seconds=1)
    assert t.refusal(_db(app), "dispatch", "10.6.6.6", now=later) is None


def test_old_failures_are_pruned(app):
    from sqlalchemy import func, select

    from scheduling.storage.models import SigninFailure
    from webui import signin_throttle as t

    long_ago = t.utcnow() - t.KEEP - dt.timedelta(minutes=1)
    for i in range(5):
        t.record_failure(_db(app), "dispatch", "10.0.0.1", now=long_ago + dt.timedelta(seconds=i))
    t.record_failure(_db(app), "dispatch", "10.0.0.1")
    with _db(app).session() as s:
        assert s.scalar(select(func.count()).select_from(SigninFailure)) == 1


# --- the same work for unknown and known names -----------------------------------------------

def test_the_password_hash_is_checked_for_unknown_names_too(app, monkeypatch):
    import webui.accounts as accounts

    checked: list[str] = []
    real = accounts.check_password_hash

    def spy(pwhash: str, password: str) -> bool:
        checked.append(pwhash.split(":")[0])
        return real(pwhash, password)

    monkeypatch.setattr(accounts, "check_password_hash", spy)
    assert _post_signin(app.test_client(), "nobody", "wrong-password").status_code == 401
    assert _post_signin(app.test_client(), "dispatch", "wrong-password").status_code == 401
    assert len(checked) == 2 and checked[0] == checked[1]  # one check each, of the same kind of hash


# --- sessions end on the server --------------------------------------------------------------

def _copy_session(client, app):
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    return copy


def test_a_copied_session_cookie_stops_working_after_sign_out(app):
    client = app.test_client()
    assert sign_in(client).status_code == 302
    copy = _copy_session(client, app)
    assert copy.get(f"/day/{DAY}").status_code == 200
    client.post("/signout", data={"csrf_token": page_token(client)})
    resp = copy.get(f"/day/{DAY}")
    assert resp.status_code == 302 and "/signin" in resp.location
    assert sign_in(app.test_client()).status_code == 302  # signing in again works


def test_a_new_password_and_removal_end_the_users_sessions(app):
    from webui.accounts import add_user, remove_user, set_password

    client = app.test_client()
    sign_in(client)
    set_password(_db(app), "dispatch", "another-password-3")
    assert client.get(f"/day/{DAY}").status_code == 302
    add_user(_db(app), "temp", PASSWORD, "dispatcher")
    other = app.test_client()
    sign_in(other, "temp")
    assert other.get(f"/day/{DAY}").status_code == 200
    remove_user(_db(app), "temp")
    add_user(_db(app), "temp", PASSWORD, "dispatcher")  # a new user of the same name is not signed in
    assert other.get(f"/day/{DAY}").status_code == 302


def test_a_cookie_without_a_session_version_is_refused(app):
    from flask.sessions import SecureCookieSessionInterface

    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    old = app.test_client()
    old.set_cookie("session", serializer.dumps({"_user_id": str(get_user_id(app, "dispatch")), "_fresh": True}))
    assert old.get(f"/day/{DAY}").status_code == 302


# --- the secret key --------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["x", "test-secret", "a" * 40, "0123456789abcdef0123456789abcde"])
def test_a_short_or_plain_secret_key_is_refused_at_start_up(tmp_path, key):
    from webui.app import SecretKeyError, create_app

    with pytest.raises(SecretKeyError, match=r"at least 32 random bytes.*secrets\.token_hex\(32\)"):
        create_app(small_day_config(tmp_path, SECRET_KEY=key))


def test_the_environment_key_is_checked_too(tmp_path, monkeypatch):
    from webui.app import SecretKeyError, create_app

    config = small_day_config(tmp_path)
    del config["SECRET_KEY"]
    monkeypatch.setenv("LASTMILE_SECRET_KEY", "x")
    with pytest.raises(SecretKeyError, match="LASTMILE_SECRET_KEY"):
        create_app(config)
    monkeypatch.setenv("LASTMILE_SECRET_KEY", GOOD_KEY)
    app = create_app(config)
    assert app.secret_key == GOOD_KEY
    app.extensions["lastmile.jobs"].shutdown()


def test_several_processes_need_a_configured_key(tmp_path, monkeypatch):
    from webui.app import SecretKeyError, create_app, require_secret_key_for_processes

    monkeypatch.delenv("LASTMILE_SECRET_KEY", raising=False)
    config = small_day_config(tmp_path)
    del config["SECRET_KEY"]
    random_key = create_app(config)
    assert len(random_key.secret_key) >= 32
    require_secret_key_for_processes(random_key, 1)  # one process: its own random key is fine
    with pytest.raises(SecretKeyError, match=r"2 server processes need one shared LASTMILE_SECRET_KEY.*token_hex"):
        require_secret_key_for_processes(random_key, 2)
    configured = create_app(small_day_config(tmp_path, SECRET_KEY=GOOD_KEY))
    require_secret_key_for_processes(configured, 4)
    for a in (random_key, configured):
        a.extensions["lastmile.jobs"].shutdown()


# --- headers and cookies ---------------------------------------------------------------------

def _assert_security_headers(resp) -> None:
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "'unsafe-eval'" not in csp and "frame-ancestors 'none'" in csp
    assert "script-src 'self' 'unsafe-inline'" not in csp and "base-uri 'none'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_every_response_carries_the_security_headers(site):
    client = site.test_client()
    sign_in(client)
    for path in ("/signin", f"/day/{DAY}", "/planner", "/static/site.css", "/nothing-here", "/api/v1/openapi.json",
                 "/api/v1/slots"):
        resp = client.get(path)
        _assert_security_headers(resp)
        assert "Strict-Transport-Security" not in resp.headers, path


def test_hsts_only_over_https(site):
    resp = site.test_client().get("/signin", base_url="https://localhost")
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")


def test_the_templates_hold_no_inline_script_or_event_handler():
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), f"{template.name}: inline <script>"
        assert not re.search(r"\son[a-z]+\s*=", text), f"{template.name}: inline event handler"
        assert "javascript:" not in text, template.name


def _session_cookie(resp) -> str:
    return next(h for h in resp.headers.getlist("Set-Cookie") if h.startswith("session="))


def test_the_session_cookie_is_httponly_and_samesite_lax(site):
    cookie = _session_cookie(_post_signin(site.test_client()))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


@pytest.mark.parametrize("how", ["config", "env"])
def test_over_https_the_session_cookie_is_secure(tmp_path, monkeypatch, how):
    from webui.app import create_app

    if how == "env":
        monkeypatch.setenv("LASTMILE_HTTPS", "1")
        app = create_app(small_day_config(tmp_path))
    else:
        app = create_app(small_day_config(tmp_path, HTTPS=True))
    add_users(app)
    client = app.test_client()
    token = form_token(client.get("/signin", base_url="https://localhost").get_data(as_text=True))
    resp = client.post("/signin", base_url="https://localhost",
                       data={"username": "dispatch", "password": PASSWORD, "csrf_token": token})
    assert "Secure" in _session_cookie(resp)
    app.extensions["lastmile.jobs"].shutdown()


# --- a body over the limit -------------------------------------------------------------------

BIG = b"x" * (16 * 1024 * 1024 + 1)


@pytest.mark.parametrize("path", ["/api/v1/bookings", "/api/v1/no-such-route"])
def test_a_body_over_16_mb_to_the_api_gets_its_json_error(site, path):
    resp = site.test_client().post(path, data=BIG, headers={"Content-Type": "application/json", "X-API-Key": "whatever"})
    assert resp.status_code == 413 and resp.is_json
    assert resp.get_json() == {"error": {"field": None, "reason": "too_large",
                                         "message": "the request body is larger than the 16 MB limit; send a smaller body"}}


def test_a_body_over_16_mb_read_by_an_api_view_gets_the_json_error_too(site):
    """The blueprint's catch-all would hand a 413 raised in a view back as Werkzeug's HTML page."""
    from werkzeug.exceptions import RequestEntityTooLarge

    from webui.api import bp

    view = next(name for name in site.view_functions if name.startswith("api."))
    original = site.view_functions[view]

    def reads_too_much(*args, **kwargs):
        raise RequestEntityTooLarge()

    site.view_functions[view] = reads_too_much
    try:
        rule = next(r for r in site.url_map.iter_rules() if r.endpoint == view)
        path = re.sub(r"<[^>]+>", "x", rule.rule)
        method = sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        resp = site.test_client().open(path, method=method)
    finally:
        site.view_functions[view] = original
    assert bp.name == "api" and resp.status_code == 413 and resp.get_json()["error"]["reason"] == "too_large"


def test_a_body_over_16_mb_to_a_page_gets_a_plain_page(site):
    resp = site.test_client().post("/signin", data=BIG, headers={"Content-Type": "application/octet-stream"})
    assert resp.status_code == 413 and "limit is 16 MB" in resp.get_data(as_text=True) and "Traceback" not in resp.get_data(as_text=True)


def test_failures_counted_at_once_by_several_threads_are_each_counted(app):
    """Several server processes failing for one account at once: the row lock makes each count."""
    from concurrent.futures import ThreadPoolExecutor

    from webui import signin_throttle as t
    from webui.accounts import get_user

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: t.record_failure(_db(app), "dispatch", "10.0.0.1"), range(24)))
    user = get_user(_db(app), get_user_id(app, "dispatch"))
    assert user.failed_signins == 24 and user.locked_until is not None
