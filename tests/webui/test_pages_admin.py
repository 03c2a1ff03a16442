"""The admin page: users (add, change role, reset password, remove; never oneself or the last
admin), shops without their keys, and the audit log newest first with a ``since`` filter.
Admins only; every form carries the CSRF token; every change is in the audit log."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from scheduling.audit import entries, record
from tests.webui.pages_support import PASSWORD, add_users, form_token, sign_in, small_day_config


@pytest.fixture
def app(tmp_path):
    from scheduling.webhooks import set_webhook
    from webui.accounts import add_user
    from webui.api.auth import create_shop
    from webui.app import create_app, get_db

    app = create_app(small_day_config(tmp_path))
    add_users(app)
    db = get_db(app)
    add_user(db, "root", PASSWORD, "admin")
    _, app.shop_key = create_shop(db, "Acme")
    create_shop(db, "Bygg")
    app.webhook_secret = set_webhook(db, "Acme", "https://acme.example/hooks")
    yield app
    app.extensions["lastmile.jobs"].shutdown()


@pytest.fixture
def admin(app):
    client = app.test_client()
    assert sign_in(client, "root").status_code == 302
    return client


def db_of(app):
    from webui.app import get_db

    return get_db(app)


def post(client, path: str, **form):
    form.setdefault("csrf_token", form_token(client.get("/admin").get_data(as_text=True)))
    return client.post(path, data=form)


def flashes(client) -> str:
    found = re.findall(r'class="flash flash-(?:ok|error)"[^>]*>([^<]*)', client.get("/admin").get_data(as_text=True))
    return html.unescape(" ".join(found))


def user_rows(page: str) -> dict[str, str]:
    """``{name: role}`` of the users table."""
    return dict(re.findall(r'<tr data-user="([^"]+)"><td>[^<]*(?:<small>\(you\)</small>)?</td>\s*<td>([a-z]+)</td>', page))


def test_an_admin_lands_on_the_admin_page_and_the_nav_links_it(admin):
    assert admin.get("/").location.endswith("/admin")
    page = admin.get("/admin").get_data(as_text=True)
    assert 'href="/admin"' in page


@pytest.mark.parametrize("who", ["dispatch", "plan"])
def test_only_admins_may_open_the_page_or_send_its_forms(app, who):
    client = app.test_client()
    sign_in(client, who)
    resp = client.get("/admin")
    assert resp.status_code == 403 and "admin role" in resp.get_data(as_text=True)
    token = form_token(client.get("/planner").get_data(as_text=True))
    for path, form in (("/admin/users", {"username": "eve", "password": PASSWORD, "role": "admin"}),
                       ("/admin/users/root/role", {"role": "planner"}), ("/admin/users/root/password", {"password": "x" * 12}),
                       ("/admin/users/root/remove", {})):
        assert client.post(path, data={**form, "csrf_token": token}).status_code == 403, path
    assert 'href="/admin"' not in client.get("/planner").get_data(as_text=True)
    assert entries(db_of(app)) == []


def test_the_page_lists_users_with_role_and_creation_and_shops_without_their_keys(app, admin):
    page = admin.get("/admin").get_data(as_text=True)
    assert user_rows(page) == {"dispatch": "dispatcher", "plan": "planner", "root": "admin"}
    assert re.search(r"<td>20\d\d-\d\d-\d\d \d\d:\d\d</td>", page), "created time"
    shops = re.search(r'<section class="card" id="shops">(.*?)</section>', page, re.S).group(1)
    assert "<td>Acme</td>" in shops and "<td>Bygg</td>" in shops
    assert shops.count("<td>set</td>") == 1 and shops.count("none (polls events)") == 1
    for secret in (app.shop_key, app.webhook_secret, "https://acme.example/hooks", "scrypt:", "pbkdf2:"):
        assert secret not in page


def test_an_admin_adds_a_user_who_can_then_sign_in(app, admin):
    assert post(admin, "/admin/users", username="erik", password="erik-password", role="planner").status_code == 302
    assert "Added planner 'erik'" in flashes(admin)
    assert user_rows(admin.get("/admin").get_data(as_text=True))["erik"] == "planner"
    assert sign_in(app.test_client(), "erik", "erik-password").status_code == 302
    (e,) = entries(db_of(app), action="user.add")
    assert (e.actor, e.subject, e.detail) == ("user:root", "user:erik", "role planner")


@pytest.mark.parametrize("form, said", [
    (dict(username="a b", password="long-enough", role="planner"), "username 'a b'"),
    (dict(username="erik", password="short", role="planner"), "password: use at least 8"),
    (dict(username="erik", password="long-enough", role="owner"), "role 'owner' is unknown"),
    (dict(username="plan", password="long-enough", role="planner"), "'plan' is already taken"),
])
def test_a_user_that_cannot_be_added_is_refused_naming_the_field(app, admin, form, said):
    post(admin, "/admin/users", **form)
    message = flashes(admin)
    assert message.startswith("Not added:") and said in message
    assert entries(db_of(app)) == []


def test_an_admin_changes_a_role_and_the_last_admin_keeps_hers(app, admin):
    post(admin, "/admin/users/dispatch/role", role="planner")
    assert "'dispatch' is now a planner (was dispatcher)" in flashes(admin)
    assert user_rows(admin.get("/admin").get_data(as_text=True))["dispatch"] == "planner"
    post(admin, "/admin/users/root/role", role="dispatcher")
    assert "root' is the last admin" in flashes(admin)
    post(admin, "/admin/users/ghost/role", role="planner")
    assert "user 'ghost' does not exist" in flashes(admin)
    assert [(e.action, e.subject, e.detail) for e in entries(db_of(app))] == [("user.role", "user:dispatch", "dispatcher -> planner")]


def test_an_admin_resets_a_password(app, admin):
    post(admin, "/admin/users/dispatch/password", password="brand-new-pass")
    assert "has a new password" in flashes(admin)
    assert sign_in(app.test_client(), "dispatch", PASSWORD).status_code == 401
    assert sign_in(app.test_client(), "dispatch", "brand-new-pass").status_code == 302
    post(admin, "/admin/users/dispatch/password", password="short")
    assert "Password not changed: password: use at least 8" in flashes(admin)
    (e,) = entries(db_of(app))
    assert (e.actor, e.action, e.subject) == ("user:root", "user.password", "user:dispatch")
    assert "brand-new-pass" not in e.detail


def test_an_admin_removes_others_but_not_herself(app, admin):
    page = admin.get("/admin").get_data(as_text=True)
    assert 'action="/admin/users/plan/remove"' in page and 'action="/admin/users/root/remove"' not in page
    post(admin, "/admin/users/plan/remove")
    assert "Removed 'plan'" in flashes(admin)
    assert "plan" not in user_rows(admin.get("/admin").get_data(as_text=True))
    post(admin, "/admin/users/root/remove")
    assert "you are signed in as 'root'" in flashes(admin)
    assert "root" in user_rows(admin.get("/admin").get_data(as_text=True))
    assert [(e.action, e.subject) for e in entries(db_of(app))] == [("user.remove", "user:plan")]


def test_the_forms_need_the_csrf_token(app, admin):
    assert admin.post("/admin/users/plan/remove", data={}).status_code == 400
    assert admin.post("/admin/users", data={"username": "x1", "password": PASSWORD, "role": "admin"}).status_code == 400
    assert entries(db_of(app)) == []


def test_the_audit_log_is_listed_newest_first_from_since(app, admin):
    db = db_of(app)
    record(db, "user:dispatch", "day.view", "day:2026-11-24", "40 orders", at=dt.datetime(2026, 11, 23, 7, 0))
    record(db, "user:dispatch", "day.export", "day:2026-11-24", "all driver sheets CSV", at=dt.datetime(2026, 11, 24, 6, 0))
    record(db, "cli", "key.create", "shop:Acme", "shop id 1", at=dt.datetime(2026, 11, 24, 8, 0))

    def listed(query: str = "") -> list[str]:
        page = admin.get("/admin" + query).get_data(as_text=True)
        table = re.search(r'<table id="audit-log">(.*?)</table>', page, re.S).group(1)
        return re.findall(r"<td>([a-z]+\.[a-z]+)</td>", table)

    assert listed() == ["key.create", "day.export", "day.view"]
    assert listed("?since=2026-11-24") == ["key.create", "day.export"]
    assert listed("?since=2026-11-24T07:30:00Z") == ["key.create"]
    assert listed("?action=day.view") == ["day.view"]
    page = admin.get("/admin?since=2026-11-24T10:00:00%2B05:00").get_data(as_text=True)  # 05:00 UTC
    assert "2026-11-24 06:00:00" in page and "2026-11-23 07:00:00" not in page


def test_a_bad_since_or_action_names_the_field(admin):
    resp = admin.get("/admin?since=yesterday")
    assert resp.status_code == 400
    assert "since: &#39;yesterday&#39; is not a date or time" in resp.get_data(as_text=True)
    resp = admin.get("/admin?action=day.peek")
    assert resp.status_code == 400 and "action: &#39;day.peek&#39; is not an audit action" in resp.get_data(as_text=True)
