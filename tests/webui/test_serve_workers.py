"""``lastmile serve --workers N``: N processes answer on one port against one store; without a
shared secret key it refuses to start; when one process dies the others are stopped too."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.webui.live_server import ROOT, call, free_port, start_server
from webui.api.auth import create_shop
from scheduling.storage import open_database


def _workers(parent_pid: int) -> list[int]:
    """Pids of the serve processes started by ``parent_pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().split()
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if int(stat[3]) == parent_pid and b"--worker-index" in cmdline:
            found.append(int(entry.name))
    return sorted(found)


@pytest.mark.slow  # about 10 s: a parent, two servers and a solver cluster start
def test_two_processes_serve_one_port_and_stop_together(tmp_path):
    url = f"sqlite:///{tmp_path / 'two.db'}"
    _, key = create_shop(open_database(url), "shop")
    port = free_port()
    env = {"LASTMILE_SECRET_KEY": secrets.token_hex(32), "LASTMILE_NOW": "2026-11-23T08:00:00Z"}
    server = start_server(url, port, tmp_path, env=env, args=("--no-resolve", "--threads", "4", "--workers", "2"),
                          timeout_s=180)
    try:
        deadline = time.monotonic() + 60
        while len(_workers(server.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        pids = _workers(server.pid)
        assert len(pids) == 2
        statuses = [call(port, "GET", "/api/v1/slots?date=2026-11-25&lat=57.7089&lon=11.9746", key)[0] for _ in range(20)]
        assert statuses == [200] * 20
        booked = call(port, "POST", "/api/v1/bookings", key, {"customer_id": "c1", "date": "2026-11-25",
                                                               "slot": "home:18:00-20:00", "lat": 57.7089, "lon": 11.9746})
        assert booked[0] == 201
        os.kill(pids[0], signal.SIGKILL)
        server.wait(60)
        assert _workers(server.pid) == []
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_several_processes_need_a_shared_secret_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "LASTMILE_SECRET_KEY"}
    done = subprocess.run([sys.executable, "-m", "webui.cli", "serve", "--workers", "2", "--port", str(free_port()),
                           "--database-url", f"sqlite:///{tmp_path / 'k.db'}"],
                          cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "LASTMILE_SECRET_KEY" in done.stderr and "secrets.token_hex(32)" in done.stderr
