"""Shared helpers for the page tests: a small day, users, signing in through the form."""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from pathlib import Path

DAY = "2026-11-24"  # a Tuesday
PASSWORD = "correct-horse-1"


def small_day_config(tmp: Path, **extra) -> dict:
    """App config for tests: a fresh SQLite file, 40 generated orders, 3-second solves on
    threads of the test process (``SOLVER_CLUSTER = "inline"``: the same job function as on a
    Dask worker, without starting one)."""
    config = {
        "TESTING": False,  # keep CSRF checks on: the pages must carry their tokens
        "SECRET_KEY": "test-secret-" + "0123456789abcdef" * 2,  # create_app wants 32+ bytes
        "DATABASE_URL": f"sqlite:///{tmp / 'lastmile.db'}",
        "IMPORT_DIR": str(tmp / "imports"),
        "ORDERS_PER_DAY_OVERRIDE": 40,
        "PLAN_TIME_LIMIT_S": 3.0,
        "SOLVER_ENGINE": "ortools",
        "SOLVER_CLUSTER": "inline",
        "SIMULATION_DIR": str(tmp / "simulations"),
        "SIMULATION_ITERATIONS": 200,
        "SIMULATION_TIME_LIMIT_S": 2.0,
    }
    config.update(extra)
    return config


_HASHES: dict[tuple, str] = {}  # what werkzeug made of a password, once per session


def add_users(app) -> None:
    """The test users ``dispatch`` (dispatcher) and ``plan`` (planner), both with :data:`PASSWORD`.

    They are added with :func:`webui.accounts.add_user` as ever, except that the (real, scrypt)
    hash of a password is made once per session and then reused: a hash costs about 0.1 s on
    purpose and these users are made for a hundred tests. Signing in checks it the real way."""
    from unittest import mock

    import webui.accounts as accounts
    from webui.app import get_db

    real = accounts.generate_password_hash

    def hash_once(password: str, *args, **kwargs) -> str:
        key = (password, args, tuple(sorted(kwargs.items())))
        if key not in _HASHES:
            _HASHES[key] = real(password, *args, **kwargs)
        return _HASHES[key]

    with mock.patch.object(accounts, "generate_password_hash", hash_once):
        accounts.add_user(get_db(app), "dispatch", PASSWORD, "dispatcher")
        accounts.add_user(get_db(app), "plan", PASSWORD, "planner")


def form_token(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html) or re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert m, "page has no CSRF token"
    return m.group(1)


def sign_in(client, username: str = "dispatch", password: str = PASSWORD):
    token = form_token(client.get("/signin").get_data(as_text=True))
    return client.post("/signin", data={"username": username, "password": password, "csrf_token": token})


def page_token(client, path: str = f"/day/{DAY}") -> str:
    return form_token(client.get(path).get_data(as_text=True))


def wait_job(client, poll_url: str, timeout_s: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        snap = client.get(poll_url).get_json()
        if snap["state"] in ("done", "failed", "stopped"):
            return snap
        time.sleep(0.1)
    raise AssertionError(f"job at {poll_url} did not finish in {timeout_s} s")


@contextmanager
def page_app(tmp_path_factory, name: str, **config):
    """The web app on a small day in a fresh folder ``name``, with the test users; its solver
    jobs are shut down afterwards (for module-scoped fixtures: ``with page_app(...) as app: yield app``)."""
    from webui.app import create_app

    app = create_app(small_day_config(tmp_path_factory.mktemp(name), **config))
    add_users(app)
    try:
        yield app
    finally:
        app.extensions["lastmile.jobs"].shutdown()


def signed_in(app, username: str = "dispatch"):
    """A test client of ``app`` signed in as ``username``."""
    client = app.test_client()
    assert sign_in(client, username).status_code == 302
    return client
