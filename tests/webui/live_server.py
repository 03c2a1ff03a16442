"""``lastmile serve`` in a subprocess on a free loopback port, for tests that kill or restart it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Mapping, Sequence

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    url: str,
    port: int,
    cwd: Path,
    *,
    env: Mapping[str, str] | None = None,
    args: Sequence[str] = ("--no-resolve", "--threads", "8"),
    timeout_s: float = 90.0,
) -> subprocess.Popen:
    """Start the server and wait until its API answers; its stderr goes to ``cwd/server.log``."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "webui.cli", "serve", "--port", str(port), "--database-url", url, *args],
        cwd=cwd, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        stdout=subprocess.DEVNULL, stderr=open(Path(cwd) / "server.log", "a"),
    )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=1).read()
            return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("the server exited during start-up: " + (Path(cwd) / "server.log").read_text()[-2000:])
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"the server did not start within {timeout_s:g} s")


def call(port: int, method: str, path: str, key: str, body: dict | None = None, timeout_s: float = 30) -> tuple[int, dict]:
    """One JSON request with the shop's API key: ``(status, body)``."""
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=None if body is None else json.dumps(body).encode(), method=method,
        headers={"X-API-Key": key, "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")
