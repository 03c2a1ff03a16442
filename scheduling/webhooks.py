"""Delivering the outbox's events to the shops: signed webhooks (push) and the polling query.

A shop with a ``webhook_url`` gets each of its events as an HTTP POST whose body is
``json.dumps(envelope(event))`` (see :func:`scheduling.outbox.envelope`), with the headers

* ``X-Lastmile-Event-Id``: the event id (deduplicate by it: delivery is at least once),
* ``X-Lastmile-Event-Type``: e.g. ``booking.planned``,
* ``X-Lastmile-Signature``: ``t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``
  over the exact body bytes; :func:`verify` checks it.

Delivery guarantees, as :func:`deliver_due` keeps them:

* **At least once.** An event counts as delivered only when the webhook answered 2xx; a crash
  between the answer and the database write sends it again later.
* **In order per booking.** An event waits while an earlier event of the same booking is
  neither delivered nor given up, so a shop never hears ``eta_changed`` before ``planned``.
* **One sender at a time per event.** A sender claims an event with a lease (a conditional
  ``UPDATE ... SET lease_until``) before sending it, so two server processes do not send the
  same event at the same moment; a lease left by a killed process runs out after
  ``timeout_s + 10`` seconds and the event is sent again.
* **Retries** back off exponentially (:func:`backoff`: 10 s doubling, at most 1 h, a little
  jitter) within the retention window (24 h from the event's creation, configurable). The last
  attempt is made as the window closes; one failing then gives up (``gave_up_at``). An event
  is never pushed after its window: it stays readable with ``GET /api/v1/events``.

Shops without a webhook poll ``GET /api/v1/events?after=ID`` (:func:`events_after`); their
events are skipped by the sender and never marked. Times are naive UTC unless stated.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import logging
import random
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import aliased

from scheduling.outbox import envelope
from scheduling.shops import find_shop
from scheduling.storage import Database
from scheduling.storage.models import OutboxEvent, Shop

log = logging.getLogger("lastmile.webhooks")

SIGNATURE_HEADER = "X-Lastmile-Signature"
EVENT_ID_HEADER = "X-Lastmile-Event-Id"
EVENT_TYPE_HEADER = "X-Lastmile-Event-Type"
MAX_URL_LENGTH = 500
DEFAULT_TIMEOUT_S = 10.0
DEFAULT_RETENTION = dt.timedelta(hours=24)
BACKOFF_FIRST_S = 10.0
BACKOFF_CAP_S = 3600.0

PostFn = Callable[[str, bytes, dict[str, str], float], int]
"""``post(url, body, headers, timeout_s) -> HTTP status``; raises ``OSError`` when no answer came."""


# --------------------------------------------------------------------------- configuration


def validate_webhook_url(url: str) -> str:
    """``url`` if lastmile may POST events to it, else ``ValueError`` saying why and what to do.

    Allowed: ``https://host[:port]/path``, and ``http://`` only to this machine (127.0.0.0/8,
    ``::1``, ``localhost``) for development. At most 500 characters, no credentials.
    """
    if not isinstance(url, str) or not url:
        raise ValueError("webhook URL: give an https:// URL, e.g. https://shop.example/lastmile-events")
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"webhook URL: {len(url)} characters is too long; use at most {MAX_URL_LENGTH}")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise ValueError("webhook URL: contains spaces or control characters; percent-encode them (%20)")
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        shown = f"'{scheme}'" if scheme else "no scheme"
        raise ValueError(f"webhook URL: {shown} is not allowed; use https://HOST/PATH")
    if not parts.hostname:
        raise ValueError(f"webhook URL: '{url}' has no host; write it as {scheme}://HOST/PATH")
    if parts.username is not None or parts.password is not None:
        raise ValueError(
            "webhook URL: remove the user name and password from the URL; each request is signed "
            "(X-Lastmile-Signature), so verify the signature instead"
        )
    try:
        parts.port
    except ValueError:
        raise ValueError(f"webhook URL: the port in '{parts.netloc}' is not a number from 1 to 65535") from None
    if scheme == "http" and not _is_loopback(parts.hostname):
        raise ValueError(
            f"webhook URL: plain http is allowed only to this machine (127.0.0.1, ::1, localhost), "
            f"not to '{parts.hostname}'; use https://{parts.netloc}{parts.path}"
        )
    return url


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def set_webhook(db: Database, shop: str, url: str | None) -> str | None:
    """Point ``shop``'s (name or numeric id) events at ``url``; return the new signing secret.

    The secret is random (``secrets.token_urlsafe(32)``), replaces any earlier one and is shown
    only here. ``url=None`` removes the webhook and its secret (the shop then polls) and returns
    ``None``. Raises ``ValueError`` for an unknown shop or a URL that
    :func:`validate_webhook_url` refuses.
    """
    if url is not None:
        url = validate_webhook_url(url.strip())
    with db.session() as s:
        row = find_shop(s, shop)
        if url is None:
            row.webhook_url = row.webhook_secret = None
            return None
        secret = secrets.token_urlsafe(32)
        row.webhook_url, row.webhook_secret = url, secret
        return secret


# --------------------------------------------------------------------------- signatures


def sign(secret: str, timestamp: int, body: bytes | str) -> str:
    """The ``X-Lastmile-Signature`` value: ``t=<timestamp>,v1=<hex HMAC-SHA256>``.

    ``timestamp`` is in whole unix seconds; the MAC covers ``f"{timestamp}."`` followed by the
    exact body bytes (UTF-8 if ``body`` is text).
    """
    raw = body.encode("utf-8") if isinstance(body, str) else body
    mac = hmac.new(secret.encode("utf-8"), f"{int(timestamp)}.".encode("ascii") + raw, hashlib.sha256)
    return f"t={int(timestamp)},v1={mac.hexdigest()}"


def verify(secret: str, header: str | None, body: bytes | str, tolerance_s: float = 300, now: float | None = None) -> bool:
    """Whether ``header`` is a valid signature of ``body`` made with ``secret`` within
    ``tolerance_s`` seconds of ``now`` (unix seconds, default: the clock).

    Compares in constant time; several ``v1=`` entries are accepted (any may match). A
    malformed header is ``False``, never an exception.
    """
    if not header:
        return False
    timestamp, candidates = None, []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            return False
        if key == "t":
            if not value.isdigit():
                return False
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance_s:
        return False
    expected = sign(secret, timestamp, body).partition(",v1=")[2]
    return any(hmac.compare_digest(expected.encode(), c.encode("ascii", "replace")) for c in candidates)


# --------------------------------------------------------------------------- delivery


def backoff(attempts: int, rng: random.Random | None = None) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt (1, 2, ...).

    10 s doubling per attempt, capped at 1 h, less up to 10 % jitter (so it never exceeds the
    cap and senders that failed together do not retry together).
    """
    if attempts < 1:
        raise ValueError(f"attempts is {attempts}; backoff is for the 1st failed attempt or later")
    base = min(BACKOFF_CAP_S, BACKOFF_FIRST_S * 2.0 ** min(attempts - 1, 30))
    return base * (1.0 - 0.1 * (rng or random).random())


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a delivery: the signed body is not re-sent elsewhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102 - urllib hook
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post_json(url: str, body: bytes, headers: dict[str, str], timeout_s: float) -> int:
    """POST ``body`` to ``url`` with :mod:`urllib.request`; the HTTP status (redirects not followed).

    Raises ``OSError`` (``URLError``, ``TimeoutError``, ...) when no HTTP answer came.
    """
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=timeout_s) as response:
            response.read(65536)
            return response.status
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code


def _naive_utc(now: dt.datetime) -> dt.datetime:
    return now.astimezone(dt.timezone.utc).replace(tzinfo=None) if now.tzinfo is not None else now


def _earlier_pending():
    """True where an earlier event of the same booking is neither delivered nor given up."""
    earlier = aliased(OutboxEvent)
    return exists().where(
        earlier.booking_id == OutboxEvent.booking_id,
        earlier.id < OutboxEvent.id,
        earlier.delivered_at.is_(None),
        earlier.gave_up_at.is_(None),
    )


def _due(now: dt.datetime):
    return (
        OutboxEvent.delivered_at.is_(None),
        OutboxEvent.gave_up_at.is_(None),
        OutboxEvent.next_attempt_at <= now,
        or_(OutboxEvent.lease_until.is_(None), OutboxEvent.lease_until <= now),
        ~_earlier_pending(),
    )


@dataclass(frozen=True)
class _Claimed:
    event: OutboxEvent
    url: str
    secret: str


def _claim(db: Database, event_id: int, now: dt.datetime, lease: dt.timedelta) -> _Claimed | None:
    """Take the lease on one due event; ``None`` if another sender (or the order rule) has it."""
    with db.session() as s:
        taken = s.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id == event_id, *_due(now))
            .values(lease_until=now + lease)
            .execution_options(synchronize_session=False)
        ).rowcount
        if taken != 1:
            return None
        event, url, secret = s.execute(
            select(OutboxEvent, Shop.webhook_url, Shop.webhook_secret)
            .join(Shop, Shop.id == OutboxEvent.shop_id)
            .where(OutboxEvent.id == event_id)
        ).one()
        if not url or not secret:  # the webhook was removed since the candidates were read
            event.lease_until = None
            return None
        return _Claimed(event, url, secret)


def _record(db: Database, event: OutboxEvent, now: dt.datetime, error: str | None, retention: dt.timedelta, rng) -> None:
    with db.session() as s:
        row = s.get(OutboxEvent, event.id)
        if row is None or row.delivered_at is not None:
            return
        row.lease_until = None
        if error is None:
            row.delivered_at = now
            return
        row.attempts += 1
        row.last_error = error[:300]
        window_end = row.created_at + retention
        if now >= window_end:
            row.gave_up_at = now
        else:
            row.next_attempt_at = min(now + dt.timedelta(seconds=backoff(row.attempts, rng)), window_end)


class _NoAnswer(Exception):
    """The webhook gave no HTTP answer (refused, timed out, TLS or DNS failure)."""


def _send(claimed: _Claimed, post: PostFn, timeout_s: float) -> str | None:
    """POST one event; ``None`` on 2xx, else a short reason; raises :class:`_NoAnswer` without an answer."""
    event = claimed.event
    body = json.dumps(envelope(event)).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "lastmile-webhooks/1",
        EVENT_ID_HEADER: str(event.id),
        EVENT_TYPE_HEADER: event.type,
        SIGNATURE_HEADER: sign(claimed.secret, int(time.time()), body),
    }
    try:
        status = post(claimed.url, body, headers, timeout_s)
    except Exception as exc:  # connection refused, timeout, TLS, DNS: all are "try again later"
        reason = getattr(exc, "reason", None) or exc
        raise _NoAnswer(f"no answer: {type(exc).__name__}: {reason}") from exc
    return None if 200 <= status < 300 else f"HTTP {status}"


def deliver_due(
    db: Database,
    now: dt.datetime,
    *,
    post: PostFn = post_json,
    batch: int = 50,
    workers: int = 4,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    retention: dt.timedelta = DEFAULT_RETENTION,
    rng: random.Random | None = None,
) -> int:
    """Send the events due at ``now`` to their shops' webhooks; return how many were delivered (2xx).

    At most ``batch`` events, the oldest first and at most one per booking (the next one of a
    booking becomes due when this one is delivered), posted by up to ``workers`` threads. Each
    is claimed with a lease of ``timeout_s + 10`` seconds just before its POST (``now`` plus the
    seconds the pass has taken so far); times written are ``now``. Once a shop's
    webhook gave no answer (refused, timed out), its remaining events of the pass are backed
    off without a POST, so a shop that is down costs one timeout per worker, not one per event.
    An event past ``retention`` since its creation is given up instead of sent.
    """
    now = _naive_utc(now)
    lease = dt.timedelta(seconds=timeout_s + 10)
    with db.session() as s:
        due = s.execute(
            select(OutboxEvent.id, OutboxEvent.created_at)
            .join(Shop, Shop.id == OutboxEvent.shop_id)
            .where(Shop.webhook_url.is_not(None), Shop.webhook_secret.is_not(None), *_due(now))
            .order_by(OutboxEvent.id)
            .limit(batch)
        ).all()
        expired = [i for i, created in due if now - created > retention]
        if expired:
            s.execute(
                update(OutboxEvent)
                .where(OutboxEvent.id.in_(expired), OutboxEvent.delivered_at.is_(None), OutboxEvent.gave_up_at.is_(None))
                .values(gave_up_at=now, last_error=f"not delivered within the {_hours(retention)} retention window; poll GET /api/v1/events")
                .execution_options(synchronize_session=False)
            )
    ids = [i for i, created in due if now - created <= retention]
    silent: dict[int, str] = {}  # shop id -> why its webhook gave no answer in this pass
    started = time.monotonic()

    def deliver(event_id: int) -> bool:
        # A pass can outlast a lease (slow webhooks): lease from the time of the claim, not the pass.
        claimed = _claim(db, event_id, now + dt.timedelta(seconds=time.monotonic() - started), lease)
        if claimed is None:
            return False
        shop_id = claimed.event.shop_id
        if shop_id in silent:  # a webhook that is down: back off all of its events, do not wait on each
            error = f"not sent: {silent[shop_id]}"[:300]
        else:
            try:
                error = _send(claimed, post, timeout_s)
            except _NoAnswer as exc:
                error = str(exc)
                silent.setdefault(shop_id, f"no answer to event {event_id} in the same pass")
        if error is not None:
            log.info("webhook for event %s to shop %s failed: %s", event_id, shop_id, error)
        _record(db, claimed.event, now, error, retention, rng)
        return error is None

    if len(ids) <= 1 or workers <= 1:
        return sum(deliver(i) for i in ids)
    with ThreadPoolExecutor(max_workers=min(workers, len(ids)), thread_name_prefix="webhook") as pool:
        return sum(pool.map(deliver, ids))


def _hours(span: dt.timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours:g} h"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class OutboxSender:
    """Background delivery of due outbox events: a daemon thread calling :func:`deliver_due`.

    It runs again at once while events are being delivered, else waits ``interval_s`` seconds
    (or until :meth:`wake`). An exception is logged and the loop goes on. ``clock`` returns the
    current time (naive or aware UTC); the other keywords go to :func:`deliver_due`.
    """

    def __init__(
        self,
        db: Database,
        *,
        interval_s: float = 1.0,
        clock: Callable[[], dt.datetime] = _utcnow,
        **deliver_options: Any,
    ) -> None:
        if interval_s <= 0:
            raise ValueError(f"interval_s is {interval_s}; give a positive number of seconds")
        self.db = db
        self.interval_s = interval_s
        self.clock = clock
        self.deliver_options = deliver_options
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """One pass of :func:`deliver_due` at ``clock()``; the number delivered."""
        return deliver_due(self.db, self.clock(), **self.deliver_options)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                delivered = self.run_once()
            except Exception:
                log.exception("webhook delivery pass failed; trying again in %g s", self.interval_s)
                delivered = 0
            if not delivered:
                self._wake.wait(self.interval_s)
                self._wake.clear()

    def start(self) -> None:
        """Start the thread (once; a second call does nothing while it runs)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="outbox-sender", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look for due events now instead of after the interval (e.g. right after an enqueue)."""
        self._wake.set()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Ask the thread to stop and wait up to ``timeout_s`` seconds (a POST in flight may outlast it)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)


# --------------------------------------------------------------------------- polling


def events_after(db: Database, shop_id: int, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
    """``shop_id``'s own events with an id above ``after``, oldest first, at most ``limit``, as envelopes."""
    with db.session() as s:
        rows = s.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.shop_id == shop_id, OutboxEvent.id > after)
            .order_by(OutboxEvent.id)
            .limit(limit)
        ).all()
        return [envelope(e) for e in rows]
