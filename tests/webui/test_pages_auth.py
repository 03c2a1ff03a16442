"""Signing in: hashed passwords, sessions, CSRF on every form, roles, the user add command."""

from __future__ import annotations

import io

import pytest

from tests.webui.pages_support import DAY, PASSWORD, add_users, form_token, page_token, sign_in, small_day_config


@pytest.fixture
def app(tmp_path, database_url):
    from webui.app import create_app

    app = create_app(small_day_config(tmp_path, DATABASE_URL=database_url))
    add_users(app)
    yield app
    app.extensions["lastmile.jobs"].shutdown()


def test_passwords_are_stored_hashed_and_checked(app):
    from sqlalchemy import select

    from scheduling.storage.models import User
    from webui.accounts import authenticate
    from webui.app import get_db

    db = get_db(app)
    with db.session() as s:
        stored = s.scalar(select(User).where(User.username == "dispatch")).password_hash
    assert PASSWORD not in stored and stored.startswith(("scrypt:", "pbkdf2:"))
    assert authenticate(db, "dispatch", PASSWORD).role == "dispatcher"
    assert authenticate(db, "dispatch", PASSWORD + "x") is None
    assert authenticate(db, "nobody", PASSWORD) is None


@pytest.mark.parametrize(
    "username, password, role, field",
    [("a b", "long-enough", "dispatcher", "username"), ("carol", "short", "dispatcher", "password"),
     ("carol", "long-enough", "superuser", "role"), ("dispatch", "long-enough", "planner", "already taken")],
)
def test_bad_accounts_are_refused_with_the_field_named(app, username, password, role, field):
    from webui.accounts import AccountError, add_user
    from webui.app import get_db

    with pytest.raises(AccountError, match=field):
        add_user(get_db(app), username, password, role)


def test_pages_need_a_signed_in_user(app):
    client = app.test_client()
    resp = client.get(f"/day/{DAY}")
    assert resp.status_code == 302 and "/signin" in resp.location
    assert client.get("/planner").status_code == 302


def test_sign_in_then_out(app):
    client = app.test_client()
    wrong = sign_in(client, password="not-the-password")
    assert wrong.status_code == 401 and "User name or password is wrong." in wrong.get_data(as_text=True)
    ok = sign_in(client)
    assert ok.status_code == 302
    assert client.get(f"/day/{DAY}").status_code == 200
    token = page_token(client)
    client.post("/signout", data={"csrf_token": token})
    assert client.get(f"/day/{DAY}").status_code == 302


@pytest.mark.parametrize("target", ["https://evil.example/x", "//evil.example", "/\\evil.example", "/%0d%0aSet-Cookie:x"])
def test_sign_in_never_redirects_to_another_site(app, target):
    client = app.test_client()
    token = form_token(client.get("/signin").get_data(as_text=True))
    resp = client.post("/signin", query_string={"next": target},
                       data={"username": "dispatch", "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 302 and "evil" not in resp.location and resp.location == "/"


def test_forms_without_the_csrf_token_are_refused_with_a_plain_message(app):
    client = app.test_client()
    resp = client.post("/signin", data={"username": "dispatch", "password": PASSWORD})
    assert resp.status_code == 400
    text = resp.get_data(as_text=True)
    assert "Reload the page and try again" in text and "Traceback" not in text
    sign_in(client)
    resp = client.post(f"/day/{DAY}/plan", json={"time_limit": 1})
    assert resp.status_code == 400 and "Reload the page" in resp.get_json()["error"]


def test_a_planner_sees_the_day_per_zone_but_may_not_plan(app):
    client = app.test_client()
    sign_in(client, "plan")
    assert client.get("/").location.endswith("/planner")
    page = client.get(f"/day/{DAY}").get_data(as_text=True)
    assert 'id="plan-button"' not in page and 'id="zone-summary"' in page and 'id="orders"' not in page
    resp = client.post(f"/day/{DAY}/plan", json={}, headers={"X-CSRFToken": form_token(page)})
    assert resp.status_code == 403 and "dispatcher role" in resp.get_json()["error"]


def test_user_add_command(tmp_path, monkeypatch, capsys):
    from webui.accounts import authenticate
    from webui.cli import main
    from scheduling.storage import open_database

    url = f"sqlite:///{tmp_path / 'users.db'}"
    monkeypatch.setattr("sys.stdin", io.StringIO("a-good-password\n"))
    assert main(["user", "add", "erik", "--role", "planner", "--password-stdin", "--database-url", url]) == 0
    assert "Added planner 'erik'" in capsys.readouterr().out
    assert authenticate(open_database(url), "erik", "a-good-password").role == "planner"
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["user", "add", "frida", "--password-stdin", "--database-url", url]) == 2
    assert "at least 8 characters" in capsys.readouterr().err
