"""Quoted fees: what an offer promised a slot costs, honoured by the booking that cites it.

An offer gives each available slot a ``quote_id``: the slot's terms (shop, date, slot, pickup
point, where, parcels, bulky, tier) and fee, valid for the hold time, signed with the server's
quote key (HMAC-SHA256). Nothing is stored: any server process holding the same key (derived
from ``SECRET_KEY``) checks it, so quotes cost no write per offer. A booking citing a valid quote
for the same terms pays the quoted fee; an expired quote is refused with ``quote_expired`` and
the new fee; a quote whose terms differ from the booking's (more parcels, another place) with a
different fee today is refused with ``price_changed`` and the new fee.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from dataclasses import asdict, dataclass

from scheduling.booking_setup import BookingError


@dataclass(frozen=True)
class QuoteTerms:
    """What a quote is for. ``lat``/``lon`` rounded to 4 decimals (about 10 m); ``fee`` in the
    scenario currency; ``expires`` seconds since the Unix epoch (UTC)."""

    shop_id: int
    date: str
    slot: str
    pickup_point_id: str | None
    lat: float
    lon: float
    parcels: int
    bulky: bool
    tier: str
    fee: float
    expires: int

    def same_stop(self, other: "QuoteTerms") -> bool:
        """Whether ``other`` asks for what this quote priced (everything but fee and expiry)."""
        mine, theirs = asdict(self), asdict(other)
        return all(mine[k] == theirs[k] for k in mine if k not in ("fee", "expires"))


def terms(shop_id: int, date: str, slot: str, pickup_point_id: str | None, lat: float, lon: float, parcels: int,
          bulky: bool, tier: str, fee: float, expires: dt.datetime) -> QuoteTerms:
    return QuoteTerms(shop_id, date, slot, pickup_point_id or None, round(lat, 4), round(lon, 4), int(parcels), bool(bulky),
                      tier, float(fee), int(expires.timestamp()))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue(key: bytes, t: QuoteTerms) -> str:
    """The quote id: the terms and their signature, URL-safe."""
    body = json.dumps(asdict(t), sort_keys=True, separators=(",", ":")).encode()
    return _b64(body) + "." + _b64(hmac.new(key, body, hashlib.sha256).digest()[:20])


def read(key: bytes, quote_id: str) -> QuoteTerms:
    """The terms of a quote this server (or one with the same key) issued; 422 on ``quote_id`` otherwise."""
    bad = BookingError(422, "quote_id", "invalid", "quote_id is not a quote from this service's offers; send the "
                                                    "quote_id of a slot from GET /api/v1/slots, or leave it out")
    try:
        body_text, signature = quote_id.split(".", 1)
        body = _unb64(body_text)
        if not hmac.compare_digest(_unb64(signature), hmac.new(key, body, hashlib.sha256).digest()[:20]):
            raise bad
        return QuoteTerms(**json.loads(body))
    except (ValueError, TypeError, KeyError):
        raise bad from None


def honoured_fee(key: bytes, quote_id: str, asked: QuoteTerms, now: dt.datetime) -> float:
    """The fee the booking pays when it cites ``quote_id``; ``asked`` are the booking's terms with
    today's fee. Refused: another shop's or slot's quote (422), ``quote_expired`` or
    ``price_changed`` (409, with ``fee``: what the booking would cost now)."""
    quoted = read(key, quote_id)
    if (quoted.shop_id, quoted.date, quoted.slot, quoted.pickup_point_id) != (asked.shop_id, asked.date, asked.slot, asked.pickup_point_id):
        raise BookingError(422, "quote_id", "other_slot",
                           f"quote_id is for {quoted.slot} on {quoted.date}, not {asked.slot} on {asked.date}; "
                           "send the quote of the slot you book")
    if now.timestamp() > quoted.expires:
        raise BookingError(409, "quote_id", "quote_expired",
                           f"the quote expired at {dt.datetime.fromtimestamp(quoted.expires, dt.timezone.utc):%H:%M} UTC; "
                           f"the fee now is {asked.fee:g}: show it to the customer and book again without quote_id, "
                           "or ask for a new offer", fee=asked.fee)
    if not quoted.same_stop(asked) and quoted.fee != asked.fee:
        raise BookingError(409, "quote_id", "price_changed",
                           f"the booking differs from what was quoted (place, parcels, bulky or tier) and costs {asked.fee:g}, "
                           f"not {quoted.fee:g}; show the new fee and book again without quote_id", fee=asked.fee)
    return quoted.fee


def quote_key(secret: str | bytes | None) -> bytes:
    """The quote key derived from the app's secret (the same on every process sharing it);
    ``None``: a random key of this process (quotes do not survive a restart)."""
    import secrets as _secrets

    if secret is None or secret == "":
        return _secrets.token_bytes(32)
    raw = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(raw, b"lastmile quotes", hashlib.sha256).digest()
