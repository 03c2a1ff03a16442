"""A shop's webhook for tests: a loopback HTTP server that verifies and records every POST."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

from scheduling.webhooks import verify


@dataclass(frozen=True)
class Receipt:
    event_id: int
    header_event_id: str | None
    event_type: str | None
    envelope: dict
    body: bytes
    signature: str | None
    verified: bool
    content_type: str | None


@dataclass
class Receiver:
    """``answer(envelope) -> status`` decides each reply (default 200) after ``delay_s`` seconds.

    ``secret`` may be set after start (it comes from ``set_webhook``); each receipt records
    whether its signature verified with it.
    """

    secret: str | None = None
    delay_s: float = 0.0
    answer: Callable[[dict], int] = lambda envelope: 200
    receipts: list[Receipt] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                signature = self.headers.get("X-Lastmile-Signature")
                envelope = json.loads(body)
                receipt = Receipt(
                    event_id=envelope["id"],
                    header_event_id=self.headers.get("X-Lastmile-Event-Id"),
                    event_type=self.headers.get("X-Lastmile-Event-Type"),
                    envelope=envelope,
                    body=body,
                    signature=signature,
                    verified=receiver.secret is not None and verify(receiver.secret, signature, body),
                    content_type=self.headers.get("Content-Type"),
                )
                with receiver._lock:
                    receiver.receipts.append(receipt)
                if receiver.delay_s:
                    time.sleep(receiver.delay_s)
                status = receiver.answer(envelope)
                try:
                    self.send_response(status)
                    if 300 <= status < 400:
                        self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:  # the sender went away (timeout, killed): nothing to answer
                    pass

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks/lastmile"

    def ids(self) -> list[int]:
        with self._lock:
            return [r.event_id for r in self.receipts]

    def __enter__(self) -> "Receiver":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
