"""A real server on 127.0.0.1 and Debian's headless Chromium driven by Playwright.

The browser is ``/usr/bin/chromium`` (``.ci/run`` installs it with apt; nothing is downloaded).
Every request that leaves localhost is aborted and recorded, and fails the test. Screenshots go
to ``artifacts/screenshots/`` (or ``$LASTMILE_SCREENSHOTS``).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.webui.pages_support import add_users, small_day_config

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = Path(os.environ.get("LASTMILE_SCREENSHOTS") or Path(__file__).resolve().parents[3] / "artifacts" / "screenshots")
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The web app on a free port of 127.0.0.1, served by werkzeug in a thread."""
    from werkzeug.serving import make_server

    from webui.app import create_app

    tmp = tmp_path_factory.mktemp("webui-browser")
    app = create_app(small_day_config(tmp))
    add_users(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    app.extensions["lastmile.jobs"].shutdown()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("LASTMILE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"LASTMILE_REQUIRE_BROWSER=1 but {CHROMIUM} is missing (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium), as .ci/run does")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Guard:
    """Records requests that leave localhost, uncaught page errors and CSP violations."""

    def __init__(self):
        self.external: list[str] = []
        self.page_errors: list[str] = []

    def route(self, route):
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about") or parts.hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            self.external.append(url)
            route.abort()


def new_page(browser, width: int = 1280, height: int = 800):
    context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
    guard = Guard()
    context.route("**/*", guard.route)
    page = context.new_page()
    page.on("pageerror", lambda exc: guard.page_errors.append(str(exc)))
    # Page.wait_for_function takes "() => expr": a bare expression is eval()ed in the page, which the
    # CSP refuses. A Content-Security-Policy violation only logs to the console ("Refused to execute inline
    # script ..."): count it as a page error, so every flow that checks page_errors checks the CSP.
    page.on("console", lambda msg: guard.page_errors.append(f"CSP: {msg.text}")
            if msg.type == "error" and "Content Security Policy" in msg.text else None)
    page.set_default_timeout(30_000)
    return context, page, guard


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def shoot(page, name: str, full_page: bool = False) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    shoot.folder = SCREENSHOTS
    return shoot
